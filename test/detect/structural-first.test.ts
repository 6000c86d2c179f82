import { crc32 } from "node:zlib";
import { afterEach, describe, expect, it } from "vitest";
import { base62 } from "../../src/detect/validators.js";
import { defaultRules } from "../../src/rules/catalog.js";
import type { Detection } from "../../src/rules/types.js";
import { dedupe } from "../../src/sources/files.js";
import { inventory } from "../helpers/inventory.js";
import { tempTree } from "../helpers/tmp.js";

// Issue 15, structural verdicts first: when a structural parser knows what a value is (a kubeconfig
// users[].user.token, client-key-data, password, auth-provider and exec.env secrets; a docker auth
// or identity token; an npmrc _authToken), the finding is the parser's (its rule, type and
// severity), whatever shape-only content rule (jwt, generic-password-assignment) also matches the
// same value. A provider-specific content rule (an npm_ or ghp_ token) still wins: it names the
// issuer, the revocation path and checks the token's checksum. Every value is fake, built here.

const b64u = (o: unknown) => Buffer.from(JSON.stringify(o)).toString("base64url");
/** A JWT the jwt rule and its validator accept: JSON header with an algorithm, JSON payload. */
const jwt = (sub: string, sig: string) =>
  `${b64u({ alg: "RS256", kid: "k1" })}.${b64u({ iss: "https://idp.example.com", sub, exp: 1893456000 })}.${sig}`;
/** A checksum-valid classic-format token (`npm_`, `ghp_`): 30 base62 characters and their CRC32. */
const crcToken = (prefix: string, body: string) =>
  `${prefix}${body}${base62(crc32(Buffer.from(body, "ascii")), 6)}`;
const KEY_PEM =
  "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAu1Lm2Xw7Rt5Yp8Nc4Vb6Hj1Sd0QzKe9Fa3UbGq7vLm2Xw7Rt5\n-----END RSA PRIVATE KEY-----\n";

let cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups) c();
  cleanups = [];
});
function dir(files: Record<string, string>) {
  const t = tempTree(files, "aa-structural-");
  cleanups.push(t.cleanup);
  return t.dir;
}

type Row = [where: string, ruleId: string, severity: string, type: string, name: string];
interface F {
  ruleId: string;
  severity: string;
  location: { path?: string; line?: number; name?: string };
  secret?: { type: string };
}
const rows = (fs: F[]): Row[] =>
  fs
    .map(
      (f): Row => [
        `${f.location.path}:${f.location.line}`,
        f.ruleId,
        f.severity,
        f.secret?.type ?? "",
        f.location.name ?? "",
      ],
    )
    .sort((a, b) => a.join(" ").localeCompare(b.join(" ")));

const KUBECONFIG = [
  "apiVersion: v1", // 1
  "kind: Config",
  "users:",
  "- name: sa",
  "  user:", // 5
  `    token: ${jwt("system:serviceaccount:ci:deployer", "Qz8Lm2Xw7Rt5Yp8Nc4Vb6Hj1Sd0QzKe9Fa3UbGq7vLm")}`,
  "- name: basic",
  "  user:",
  "    username: admin",
  "    password: Kq7Lm2Xw9Rt5Yp8Nc4Vb", // 10: generic-password-assignment matches it too
  "- name: cert",
  "  user:",
  `    client-key-data: ${Buffer.from(KEY_PEM).toString("base64")}`,
  "- name: oidc",
  "  user:", // 15
  "    auth-provider:",
  "      name: oidc",
  "      config:",
  "        client-id: kubernetes",
  "        client-secret: Zx9Lm2Xw7Rt5Yp8Nc4Vb", // 20
  `        id-token: ${jwt("oidc-user", "Hj1Sd0QzKe9Fa3UbGq7vLmQz8Lm2Xw7Rt5Yp8Nc4Vb")}`,
  `        refresh-token: ${jwt("oidc-refresh", "Rt5Yp8Nc4Vb6Hj1Sd0QzKe9Fa3UbGq7vLmQz8Lm2Xw")}`,
  "        access-token: Ab3Cd5Ef7Gh9Ij2Kl4Mn6Op8Qr0St",
  "        idp-issuer-url: https://idp.example.com",
  "- name: eks", // 25
  "  user:",
  "    exec:",
  "      command: aws-iam-authenticator",
  "      env:",
  "      - { name: AWS_PROFILE, value: prod }", // 30: not a secret
  `      - { name: OIDC_TOKEN, value: ${jwt("exec-user", "Nc4Vb6Hj1Sd0QzKe9Fa3UbGq7vLmQz8Lm2Xw7Rt5Yp8")} }`,
  "      - { name: VENDOR_API_TOKEN, value: Fa3UbGq7vLm2Xw7Rt5Yp8Nc }",
  "      - { name: CLUSTER_NAME, value: prod-eu-7f3kq9x2 }", // not a secret name
].join("\n");

describe("structural verdicts first (issue 15)", () => {
  it("kubeconfig: every user credential is the parser's critical finding, JWT or not", async () => {
    const home = dir({ ".kube/config": KUBECONFIG });
    const res = await inventory({ sources: ["home"], home });
    expect(res.issues).toEqual([]);
    expect(rows(res.findings)).toEqual([
      [".kube/config:10", "kubeconfig", "critical", "password", "users.basic.user.password"],
      [".kube/config:13", "kubeconfig", "critical", "private-key", "users.cert.user.client-key-data"],
      [
        ".kube/config:20",
        "kubeconfig",
        "critical",
        "client-secret",
        "users.oidc.user.auth-provider.config.client-secret",
      ],
      [
        ".kube/config:21",
        "kubeconfig",
        "critical",
        "id-token",
        "users.oidc.user.auth-provider.config.id-token",
      ],
      [
        ".kube/config:22",
        "kubeconfig",
        "critical",
        "refresh-token",
        "users.oidc.user.auth-provider.config.refresh-token",
      ],
      [
        ".kube/config:23",
        "kubeconfig",
        "critical",
        "access-token",
        "users.oidc.user.auth-provider.config.access-token",
      ],
      // The exec plugin's env is judged like the environment: the jwt rule says what OIDC_TOKEN holds.
      [".kube/config:31", "kubeconfig", "critical", "jwt", "users.eks.user.exec.env.OIDC_TOKEN"],
      [".kube/config:32", "kubeconfig", "critical", "secret", "users.eks.user.exec.env.VENDOR_API_TOKEN"],
      [".kube/config:6", "kubeconfig", "critical", "token", "users.sa.user.token"],
    ]);
  });

  it("a kubeconfig in the working tree: tree-kubeconfig, critical, not a medium jwt", async () => {
    const root = dir({ "deploy/ci.kubeconfig": KUBECONFIG.split("\n").slice(0, 6).join("\n") });
    const res = await inventory({ sources: ["tree"], root });
    expect(rows(res.findings)).toEqual([
      ["deploy/ci.kubeconfig:6", "tree-kubeconfig", "critical", "token", "users.sa.user.token"],
    ]);
  });

  it("docker config.json: auth and identitytoken are the parser's, a JWT identity token too", async () => {
    const config = JSON.stringify(
      {
        auths: {
          "registry.example.com": { auth: Buffer.from("ci-bot:Pw9Lm2Xw7Rt5Yp8Nc").toString("base64") },
          "acr.example.io": {
            auth: Buffer.from("00000000-0000-0000-0000-000000000000:").toString("base64"),
            identitytoken: jwt("acr-refresh", "Yp8Nc4Vb6Hj1Sd0QzKe9Fa3UbGq7vLmQz8Lm2Xw7Rt5"),
          },
        },
        credsStore: "desktop",
      },
      null,
      2,
    );
    const home = dir({ ".docker/config.json": config });
    const res = await inventory({ sources: ["home"], home });
    expect(rows(res.findings)).toEqual([
      [".docker/config.json:4", "docker-config", "high", "password", "auths.registry.example.com.auth"],
      [".docker/config.json:8", "docker-config", "high", "token", "auths.acr.example.io.identitytoken"],
    ]);
  });

  it("npmrc: a JWT _authToken is the parser's; an npm_ token keeps its provider rule", async () => {
    const npm = crcToken("npm_", "JZX5RYDns38aCoEUx82pMohpYGtc3d");
    const npmrc = [
      "registry=https://registry.npmjs.org/",
      `//registry.npmjs.org/:_authToken=${npm}`,
      `//artifacts.example.com/api/npm/:_authToken=${jwt("npm-ci", "Vb6Hj1Sd0QzKe9Fa3UbGq7vLmQz8Lm2Xw7Rt5Yp8Nc4")}`,
      `//npm.pkg.github.com/:_authToken=\${GITHUB_PACKAGES_TOKEN}`,
    ].join("\n");
    const home = dir({ ".npmrc": npmrc });
    const res = await inventory({ sources: ["home"], home });
    expect(rows(res.findings)).toEqual([
      [".npmrc:2", "npm-access-token", "critical", "access-token", ""],
      [".npmrc:3", "npmrc", "high", "token", "//artifacts.example.com/api/npm/:_authToken"],
    ]);
    // In the working tree, .npmrc is tree-npmrc (critical).
    const root = dir({ ".npmrc": npmrc });
    const tree = await inventory({ sources: ["tree"], root });
    expect(rows(tree.findings)).toEqual([
      [".npmrc:2", "npm-access-token", "critical", "access-token", ""],
      [".npmrc:3", "tree-npmrc", "critical", "token", "//artifacts.example.com/api/npm/:_authToken"],
    ]);
  });

  it("a provider rule still wins over the parser: a ghp_ token in an npmrc or a kubeconfig", async () => {
    const ghp = crcToken("ghp_", "Zx9Lm2Xw7Rt5Yp8Nc4Vb6Hj1Sd0QzK");
    const home = dir({
      ".npmrc": `//npm.pkg.github.com/:_authToken=${ghp}\n`,
      ".kube/config": `users:\n- name: gh\n  user:\n    token: ${ghp}\n`,
    });
    const res = await inventory({ sources: ["home"], home });
    expect(rows(res.findings)).toEqual([
      [".kube/config:4", "github-pat-classic", "critical", "personal-access-token", ""],
      [".npmrc:1", "github-pat-classic", "critical", "personal-access-token", ""],
    ]);
  });

  it("must still match: a JWT outside any structural file stays a medium jwt finding", async () => {
    const root = dir({
      "scripts/call.sh": `curl -H "Authorization: Bearer ${jwt("svc", "Lm2Xw7Rt5Yp8Nc4Vb6Hj1Sd0QzKe9Fa3UbGq7vQz8")}" https://api.example.com\n`,
      // A kubeconfig-shaped YAML that no path rule selects: content rules only.
      "notes/users.yaml": `users:\n- name: sa\n  user:\n    token: ${jwt("sa", "Xw7Rt5Yp8Nc4Vb6Hj1Sd0QzKe9Fa3UbGq7vQz8Lm2")}\n`,
    });
    const res = await inventory({ sources: ["tree"], root });
    expect(rows(res.findings)).toEqual([
      ["notes/users.yaml:4", "jwt", "medium", "jwt", ""],
      ["scripts/call.sh:1", "jwt", "medium", "jwt", ""],
    ]);
  });

  it("a dotenv variable holding a JWT: the dotenv parser's finding, with the variable's name", async () => {
    const root = dir({
      ".env": `SUPABASE_SERVICE_ROLE_KEY=${jwt("service_role", "Sd0QzKe9Fa3UbGq7vQz8Lm2Xw7Rt5Yp8Nc4Vb6Hj1")}\n`,
    });
    const res = await inventory({ sources: ["tree"], root });
    expect(rows(res.findings)).toEqual([
      [".env:1", "tree-dotenv", "high", "jwt", "SUPABASE_SERVICE_ROLE_KEY"],
    ]);
  });
});

describe("the rank is data: rules/secrets shapeOnly", () => {
  const rules = defaultRules();
  const rule = (id: string) => rules.content.find((r) => r.id === id)!;

  it("jwt and the generic rules are shape-only; provider rules are not", () => {
    expect(rule("jwt").shapeOnly).toBe(true);
    expect(rule("generic-password-assignment").shapeOnly).toBe(true);
    expect(rule("github-pat-classic").shapeOnly).toBe(false);
    expect(rule("npm-access-token").shapeOnly).toBe(false);
    // Every generic rule is shape-only, whether or not its file says so.
    for (const r of rules.content) if (r.generic) expect(r.shapeOnly, r.id).toBe(true);
  });

  it("dedupe: provider content rule > structural parser > shape-only content rule > generic rule", () => {
    const d = (ruleId: string, priority: number): Detection => ({
      ruleId,
      provider: "p",
      type: "t",
      severity: "medium",
      title: "t",
      remediation: "r",
      secret: "s3cr3t-value",
      priority,
    });
    const winner = (...ds: Detection[]) => dedupe(ds, rules).map((x) => x.ruleId);
    expect(winner(d("jwt", 3), d("kubeconfig", 2))).toEqual(["kubeconfig"]);
    expect(winner(d("kubeconfig", 2), d("jwt", 3))).toEqual(["kubeconfig"]);
    expect(winner(d("generic-password-assignment", 1), d("jwt", 3))).toEqual(["jwt"]);
    expect(winner(d("kubeconfig", 2), d("github-pat-classic", 3))).toEqual(["github-pat-classic"]);
    expect(winner(d("generic-password-assignment", 1), d("npmrc", 2))).toEqual(["npmrc"]);
    // Without a rule set (no shape-only ids known), the priorities alone decide, as before.
    expect(dedupe([d("kubeconfig", 2), d("jwt", 3)]).map((x) => x.ruleId)).toEqual(["jwt"]);
  });
});
