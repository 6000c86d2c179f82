import { mkdirSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { IAM_CHECK_IDS } from "../../../src/capabilities/scope/aws/checks.js";
import {
  type Analyzer,
  type ObservedSecret,
  ScopeCollector,
  type ScopeOptions,
} from "../../../src/capabilities/scope/index.js";
import { jwtFacts, MAX_JWT_PAYLOAD } from "../../../src/capabilities/scope/jwt.js";
import { OFFLINE_CHECK_IDS, unencryptedKey } from "../../../src/capabilities/scope/offline.js";
import { catalogRuleIds, defaultRules, ruleCatalog } from "../../../src/rules/catalog.js";
import { tempTree } from "../../helpers/tmp.js";
import {
  anthropicKey,
  awsKeyId,
  githubToken,
  legacySaToken,
  makeJwt,
  NOW,
  observed,
  openaiKey,
  opensshKey,
  pemKey,
  puttyKey,
} from "./helpers.js";

const HOUR = 3600 * 1000;

async function judge(secrets: ObservedSecret[], opts: ScopeOptions = {}) {
  const c = new ScopeCollector({ now: () => NOW, ...opts });
  for (const s of secrets) c.add(s);
  return c.finish();
}
/** [check id, fix.params.current, the secret's path] of each finding. */
async function checks(secrets: ObservedSecret[], opts: ScopeOptions = {}) {
  const r = await judge(secrets, opts);
  return r.findings.map((f) => [f.ruleId, f.fix?.params?.current, f.location.path]);
}

describe("rules/scope", () => {
  const rules = defaultRules();
  it("holds exactly the checks the offline and AWS IAM analyzers report, in the one rule catalog", () => {
    const all = [...OFFLINE_CHECK_IDS, ...IAM_CHECK_IDS].sort();
    expect(rules.scope.map((c) => c.id).sort()).toEqual(all);
    const catalog = ruleCatalog(rules).filter((r) => r.control === "credential-scope");
    // Issue 16: a broad token handed to an MCP server is a config finding of step 6 too.
    expect(catalog.filter((r) => r.kind !== "scope").map((r) => [r.id, r.kind])).toEqual([
      ["mcp-server-broad-token", "config"],
    ]);
    expect(
      catalog
        .filter((r) => r.kind === "scope")
        .map((r) => [r.id, r.kind])
        .sort(),
    ).toEqual(all.map((id) => [id, "scope"]));
  });
  it("applies each check only to inventory rule ids that exist", () => {
    const ids = new Set(catalogRuleIds(rules));
    const unknown = rules.scope.flatMap((c) =>
      c.appliesTo.filter((id) => !ids.has(id)).map((id) => `${c.id}: ${id}`),
    );
    expect(unknown).toEqual([]);
  });
  it("gives every check the credential-scope fix with a narrower credential", () => {
    expect(rules.scope.filter((c) => c.fix.target !== "credential-scope" || !c.fix.params?.narrower)).toEqual(
      [],
    );
  });
});

describe("aws-long-lived-access-key", () => {
  it("reports an AKIA user key, not an ASIA session key", async () => {
    const akia = observed("aws-access-key-id", awsKeyId("AKIA", 1), {
      provider: "aws",
      type: "access-key-id",
    });
    const asia = observed("aws-access-key-id", awsKeyId("ASIA", 2), {
      provider: "aws",
      type: "access-key-id",
    });
    expect(await checks([akia, asia])).toEqual([
      ["aws-long-lived-access-key", "long-lived-user-key", akia.location.path],
    ]);
  });
  it("builds the finding at the secret's place, with the fix's parameters", async () => {
    const akia = observed("aws-access-key-id", awsKeyId("AKIA", 3), {
      provider: "aws",
      location: { source: "env", name: "AWS_ACCESS_KEY_ID" },
    });
    const [f] = (await judge([akia])).findings;
    expect(f).toMatchObject({
      ruleId: "aws-long-lived-access-key",
      control: "credential-scope",
      kind: "scope",
      severity: "high",
      location: { source: "env", name: "AWS_ACCESS_KEY_ID" },
      accepted: false,
      fix: {
        target: "credential-scope",
        params: { narrower: "role-session", provider: "aws", current: "long-lived-user-key" },
      },
    });
    expect(f!.title).toBe("Long-lived AWS IAM user access key (AKIA), valid until someone deactivates it");
    expect(f!.secret).toBeUndefined();
  });
  it("judges only the rules of its appliesTo", async () => {
    expect(await checks([observed("jwt", awsKeyId("AKIA", 4))])).toEqual([]);
  });
});

describe("GitHub tokens", () => {
  it("reports a classic PAT (high) and an OAuth token (medium), not fine-grained or app tokens", async () => {
    const ghp = observed("github-pat-classic", githubToken("ghp", 1));
    const gho = observed("github-oauth-token", githubToken("gho", 2));
    const ghs = observed("github-token", githubToken("ghs", 3));
    const fine = observed("github-pat-fine-grained", `github_pat_${"A1b2C3d4E5".repeat(8)}xy`);
    const r = await judge([ghp, gho, ghs, fine]);
    expect(r.findings.map((f) => [f.ruleId, f.severity, f.location.path])).toEqual([
      ["github-classic-pat-broad", "high", ghp.location.path],
      ["github-oauth-token-broad", "medium", gho.location.path],
    ]);
  });
  it("does not judge a token that fails its checksum (not a live token)", async () => {
    expect(await checks([observed("github-pat-classic", githubToken("ghp", 4), { valid: false })])).toEqual(
      [],
    );
  });
});

describe("admin API keys", () => {
  it("reports Anthropic and OpenAI admin keys (critical), not workspace or project keys", async () => {
    const ant = observed("anthropic-admin-key", anthropicKey("admin01", 1));
    const oai = observed("openai-api-key", openaiKey("admin", 2));
    const r = await judge([
      ant,
      oai,
      observed("anthropic-api-key", anthropicKey("api03", 3)),
      observed("openai-api-key", openaiKey("proj", 4)),
    ]);
    expect(r.findings.map((f) => [f.ruleId, f.severity, f.fix?.params?.current, f.location.path])).toEqual([
      ["anthropic-admin-key-org-wide", "critical", "organization-admin-key", ant.location.path],
      ["openai-admin-key-org-wide", "critical", "organization-admin-key", oai.location.path],
    ]);
  });
});

describe("private-key-unencrypted", () => {
  it("tells unencrypted PEM, PKCS#8, OpenSSH and PuTTY keys from encrypted ones", () => {
    expect(unencryptedKey(pemKey("RSA PRIVATE KEY", 1))).toBe(true);
    expect(unencryptedKey(pemKey("PRIVATE KEY", 2))).toBe(true);
    expect(unencryptedKey(opensshKey("none", 3))).toBe(true);
    expect(unencryptedKey(puttyKey("none", 4))).toBe(true);
    expect(unencryptedKey(pemKey("RSA PRIVATE KEY", 5, true))).toBe(false);
    expect(unencryptedKey(pemKey("ENCRYPTED PRIVATE KEY", 6))).toBe(false);
    expect(unencryptedKey(opensshKey("aes256-ctr", 7))).toBe(false);
    expect(unencryptedKey(puttyKey("aes256-cbc", 8))).toBe(false);
    // A truncated block (no END line) is not judged.
    expect(unencryptedKey(pemKey("RSA PRIVATE KEY", 9).split("-----END")[0]!)).toBe(false);
  });
  it("reports the unencrypted keys of key files and kubeconfig client keys", async () => {
    const ssh = observed("ssh-private-keys", opensshKey("none", 10));
    const kube = observed("kubeconfig", pemKey("RSA PRIVATE KEY", 11), {
      location: { source: "home", path: ".kube/config", line: 7, name: "users.dev.user.client-key-data" },
    });
    const encrypted = observed("ssh-private-keys", opensshKey("aes256-ctr", 12));
    expect(await checks([ssh, kube, encrypted])).toEqual([
      ["private-key-unencrypted", "unencrypted-private-key", ".kube/config"],
      ["private-key-unencrypted", "unencrypted-private-key", ssh.location.path],
    ]);
  });
});

describe("JWT expiry", () => {
  it("reads exp and the service-account claims only, and refuses what is not a JWS", () => {
    expect(jwtFacts(makeJwt({ sub: "x", exp: 1000 }))).toEqual({
      expMs: 1_000_000,
      kubernetesServiceAccount: false,
    });
    expect(jwtFacts(makeJwt({ sub: "x", exp: "soon" }))).toEqual({
      expMs: undefined,
      kubernetesServiceAccount: false,
    });
    expect(jwtFacts(legacySaToken())).toEqual({ expMs: undefined, kubernetesServiceAccount: true });
    expect(jwtFacts(makeJwt({ sub: "x" }, { typ: "JWT" }))).toBeUndefined(); // no alg
    expect(jwtFacts(`${makeJwt({ sub: "x" })}.extra`)).toBeUndefined(); // five-part JWE shape
    expect(jwtFacts("eyJhbGciOiJub25lIn0.bm90IGpzb24.c2ln")).toBeUndefined(); // payload not JSON
    expect(jwtFacts(makeJwt({ pad: "x".repeat(MAX_JWT_PAYLOAD) }))).toBeUndefined(); // over the cap
  });
  it("reports no exp (high) and exp more than 24 h ahead (medium); not a short-lived or expired token", async () => {
    const now = NOW / 1000;
    const none = observed("jwt", makeJwt({ sub: "svc" }));
    const long = observed("jwt", makeJwt({ sub: "svc", exp: now + 30 * 24 * 3600 }));
    const edge = observed("jwt", makeJwt({ sub: "svc", exp: now + 24 * 3600 }));
    const short = observed("jwt", makeJwt({ sub: "svc", exp: now + 3600 }));
    const expired = observed("jwt", makeJwt({ sub: "svc", exp: now - 3600 }));
    const r = await judge([none, long, edge, short, expired]);
    expect(r.findings.map((f) => [f.ruleId, f.severity, f.fix?.params?.current, f.location.path])).toEqual([
      ["jwt-no-expiry", "high", "no-expiry-token", none.location.path],
      ["jwt-long-expiry", "medium", "long-lived-token", long.location.path],
    ]);
  });
  it("uses the clock it is given", async () => {
    const exp = (NOW + 48 * HOUR) / 1000;
    const s = observed("jwt", makeJwt({ exp }));
    expect(await checks([s], { now: () => NOW + 25 * HOUR })).toEqual([]);
    expect(await checks([s], { now: () => NOW })).toEqual([
      ["jwt-long-expiry", "long-lived-token", s.location.path],
    ]);
  });
});

describe("kubernetes-sa-token-no-expiry", () => {
  it("reports a legacy service-account token (no exp), not a bound one; never as a plain JWT too", async () => {
    const mounted = observed("kubernetes-service-account-token", `${legacySaToken()}\n`, {
      location: { source: "mount", path: "/var/run/secrets/kubernetes.io/serviceaccount/token" },
    });
    const bound = observed(
      "kubernetes-service-account-token",
      makeJwt({
        iss: "https://kubernetes.default.svc.cluster.local",
        sub: "system:serviceaccount:default:agent",
        exp: NOW / 1000 + 365 * 24 * 3600,
      }),
    );
    expect(await checks([mounted, bound])).toEqual([
      [
        "kubernetes-sa-token-no-expiry",
        "no-expiry-service-account-token",
        "/var/run/secrets/kubernetes.io/serviceaccount/token",
      ],
    ]);
  });
});

describe("kubernetes-admin-user", () => {
  it("reports the credentials of an admin-named kubeconfig user or file, not of other users", async () => {
    const kube = (path: string, name: string) =>
      observed("kubeconfig", "Zq8vLm2XwRt5Yp8Nc7Hk", {
        provider: "kubernetes",
        location: { source: "home", path, line: 9, name },
      });
    const r = await checks([
      kube(".kube/config-staging", "users.staging-admin.user.password"),
      kube(".kube/config", "users.cluster-admin.user.token"),
      kube(".kube/admin.conf", "users.kubernetes.user.token"),
      kube(".kube/config", "users.developer.user.password"),
    ]);
    expect(r).toEqual([
      ["kubernetes-admin-user", "admin-user", ".kube/admin.conf"],
      ["kubernetes-admin-user", "admin-user", ".kube/config"],
      ["kubernetes-admin-user", "admin-user", ".kube/config-staging"],
    ]);
  });
});

describe("the collector", () => {
  const akia = () => observed("aws-access-key-id", awsKeyId("AKIA", 20), { provider: "aws" });

  it("judges a value two inventory rules listed at one place once, under the smaller fingerprint", async () => {
    const loc = { source: "home" as const, path: ".bashrc", line: 3 };
    const a = observed("github-pat-classic", githubToken("ghp", 21), {
      location: loc,
      fingerprint: "b".repeat(24),
    });
    const b = observed("github-token", a.secret, { location: loc, fingerprint: "a".repeat(24) });
    const one = (await judge([a, b])).findings;
    const only = (
      await judge([observed("github-token", a.secret, { location: loc, fingerprint: "a".repeat(24) })])
    ).findings;
    expect(one.map((f) => f.fingerprint)).toEqual(only.map((f) => f.fingerprint));
  });

  it("fails step 6 on a high-risk finding, with its fingerprint as evidence", async () => {
    const r = await judge([akia(), observed("github-oauth-token", githubToken("gho", 22))]);
    const high = r.findings.find((f) => f.ruleId === "aws-long-lived-access-key")!;
    expect(r.step).toEqual({
      status: "fail",
      summary:
        "1 high-risk credential scope finding (long-lived or broad) not in the accepted inventory; 1 medium-risk; 2 credentials judged",
      evidence: [high.fingerprint],
    });
  });

  it("warns on medium risk only, passes when the high-risk finding is accepted", async () => {
    const s = akia();
    const gho = observed("github-oauth-token", githubToken("gho", 23));
    const first = await judge([s, gho]);
    const accepted = new Set(
      first.findings.filter((f) => f.ruleId === "aws-long-lived-access-key").map((f) => f.fingerprint),
    );
    const r = await judge([s, gho], { accepted });
    const medium = r.findings.find((f) => f.ruleId === "github-oauth-token-broad")!;
    expect(r.step).toEqual({
      status: "warn",
      summary:
        "1 medium-risk credential scope finding not in the accepted inventory, none high-risk; 1 accepted in the baseline; 2 credentials judged",
      evidence: [medium.fingerprint],
    });
    const all = new Set(first.findings.map((f) => f.fingerprint));
    expect((await judge([s, gho], { accepted: all })).step).toEqual({
      status: "pass",
      summary: "2 credentials judged: none found long-lived or broad (2 accepted in the baseline)",
      evidence: [],
    });
  });

  it("passes with nothing to judge, and with only narrow credentials", async () => {
    expect((await judge([])).step).toEqual({
      status: "pass",
      summary: "no credential found to judge",
      evidence: [],
    });
    expect((await judge([observed("aws-access-key-id", awsKeyId("ASIA", 24))])).step).toEqual({
      status: "pass",
      summary: "1 credential judged: none found long-lived or broad",
      evidence: [],
    });
  });

  it("skips a disabled check and applies a severity override (the risk, and so the verdict, stays)", async () => {
    const s = akia();
    expect(await checks([s], { disabledRules: new Set(["aws-long-lived-access-key"]) })).toEqual([]);
    const r = await judge([s], { severityOverrides: { "aws-long-lived-access-key": "low" } });
    expect(r.findings.map((f) => [f.ruleId, f.severity])).toEqual([["aws-long-lived-access-key", "low"]]);
    expect(r.step.status).toBe("fail");
  });

  it("takes another analyzer (a live cloud one) beside the offline one, and reports one that fails", async () => {
    const live: Analyzer = {
      name: "fake-live",
      analyze: async (secrets) =>
        secrets
          .filter((s) => s.provider === "aws")
          .map((secret) => ({ secret, checkId: "aws-admin-role-profile", current: "wildcard-policy" })),
    };
    const broken: Analyzer = {
      name: "broken",
      analyze: async () => {
        throw new Error(`upstream said ${awsKeyId("AKIA", 25)}`);
      },
    };
    const s = akia();
    const r = await judge([s], { analyzers: [live, broken] });
    expect(r.findings.map((f) => [f.ruleId, f.fix?.params?.current])).toEqual([
      ["aws-admin-role-profile", "wildcard-policy"],
    ]);
    expect(r.issues).toEqual([{ where: "credential-scope (broken)", message: "analysis failed: Error" }]);
    const err = await judge([observed("github-oauth-token", githubToken("gho", 26))], {
      analyzers: [broken],
    });
    expect(err.step).toEqual({
      status: "error",
      summary: "1 credential analyzer failed (see issues); 1 credential judged",
      evidence: [],
    });
  });
});

describe("kubernetes-admin-user, read from the kubeconfig", () => {
  it("matches a token the jwt rule listed to its user, and flags the users of admin-named contexts", async () => {
    const ops = makeJwt({ sub: "ops", exp: NOW / 1000 + 600 });
    const dev = makeJwt({ sub: "dev", exp: NOW / 1000 + 600 });
    const root = makeJwt({ sub: "root", exp: NOW / 1000 + 600 });
    const t = tempTree({
      ".kube/config": [
        "apiVersion: v1",
        "contexts:",
        "- name: prod-admin",
        "  context: {cluster: prod, user: ops}",
        "- name: dev",
        "  context: {cluster: prod, user: dev}",
        "users:",
        "- name: ops",
        "  user:",
        `    token: ${ops}`,
        "- name: dev",
        "  user:",
        `    token: ${dev}`,
        "- name: cluster-admin",
        "  user:",
        `    token: ${root}`,
        "",
      ].join("\n"),
    });
    try {
      const at = (secret: string, line: number) =>
        observed("jwt", secret, { location: { source: "home", path: ".kube/config", line } });
      const r = await judge([at(ops, 10), at(dev, 13), at(root, 16)], { home: t.dir });
      expect(r.findings.map((f) => [f.ruleId, f.location.line])).toEqual([
        ["kubernetes-admin-user", 10],
        ["kubernetes-admin-user", 16],
      ]);
      expect(r.issues).toEqual([]);
    } finally {
      t.cleanup();
    }
  });
  it("does not follow a kubeconfig that leads outside the home: an issue, the key path still counts", async () => {
    const outside = tempTree({ config: "users:\n- name: cluster-admin\n  user: {token: abc}\n" });
    const t = tempTree();
    try {
      mkdirSync(join(t.dir, ".kube"));
      symlinkSync(join(outside.dir, "config"), join(t.dir, ".kube/config"));
      const token = makeJwt({ sub: "x", exp: NOW / 1000 + 600 });
      const jwt = observed("jwt", token, { location: { source: "home", path: ".kube/config", line: 3 } });
      const named = observed("kubeconfig", "Zq8vLm2XwRt5Yp8Nc7Hk", {
        location: { source: "home", path: ".kube/config", line: 9, name: "users.ops-admin.user.password" },
      });
      const r = await judge([jwt, named], { home: t.dir });
      expect(r.findings.map((f) => [f.ruleId, f.location.line])).toEqual([["kubernetes-admin-user", 9]]);
      expect(r.issues).toEqual([
        {
          where: ".kube/config",
          message: "not read for step 6 (admin-named kubeconfig users): leads outside the home",
        },
      ]);
    } finally {
      t.cleanup();
      outside.cleanup();
    }
  });
  it("does not read files of other names for a JWT", async () => {
    const s = observed("jwt", makeJwt({ sub: "x", exp: NOW / 1000 + 600 }), {
      location: { source: "home", path: "secrets/admin-token.txt", line: 1 },
    });
    expect(await checks([s], { home: "/nonexistent-home" })).toEqual([]);
  });
});
