import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  type AppContext,
  defaultScanRequest,
  type EgressRequest,
  egressOptions,
  runScan,
  type ScanRequest,
} from "../../src/app/scan.js";
import { type AgentAuditConfig, EMPTY_CONFIG } from "../../src/config/index.js";
import type { AuditReport } from "../../src/contract/types.js";
import { UsageError } from "../../src/util/errors.js";
import { tempTree } from "../helpers/tmp.js";

// src/app/scan.ts called directly with typed requests (issue 9: the use case has no commander).
// Every request names its home, root, system root and environment: never this machine's own. The
// fake tokens are the ones of test/render/real-scan.test.ts (the GitHub one has a valid CRC32).

const GITHUB_TOKEN = "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";
const AWS_KEY_ID = "AKIAQ3EGRSXMPL7NBDZW";
const DB_PASSWORD = "q8Zr!v2Lp#x9Wm4T";

// Fingerprints depend on rule, source, path, name and secret only: the same in every temp dir.
const FP_GITHUB = "71b469f2d8b65fbe8b1a789a";
const FP_DB = "b019ec2d3033565df41901b2";
const FP_AWS = "93d26df43bf9302d915ff27c";
// Step 6 (issue 10): the classic token is broad, the AKIA key long-lived; each has a scope finding.
const FP_GITHUB_SCOPE = "7521ef7fe1b9af1acfa59424";
const FP_AWS_SCOPE = "724d1376cbddf828daa7b21b";

const t = tempTree({
  "home/.keep": "",
  "system/.keep": "",
  "tree/deploy/.env": `# deploy\nGITHUB_TOKEN=${GITHUB_TOKEN}\n`,
  "tree/deploy/aws.ini": `[default]\nregion = eu-west-1\naws_access_key_id = ${AWS_KEY_ID}\n`,
  environ: `DB_PASSWORD=${DB_PASSWORD}\n`,
  "not-a-dir": "",
});
afterAll(() => t.cleanup());

const CTX: AppContext = {
  cwd: t.dir,
  env: {},
  homedir: "/nonexistent-home",
  user: "tester",
  hostname: "test-host",
};

/** The fixture's request: sources env, home and tree; no workers (the scan stays in this thread). */
function request(over: Partial<ScanRequest> = {}): ScanRequest {
  const base = defaultScanRequest();
  return defaultScanRequest({
    home: join(t.dir, "home"),
    root: join(t.dir, "tree"),
    systemRoot: join(t.dir, "system"),
    environment: { from: "file", path: join(t.dir, "environ") },
    sources: ["env", "home", "tree"],
    tree: { ...base.tree, concurrency: 4, workers: 0 },
    ...over,
  });
}

/** A tree of its own, for tests that write a config or baseline into the root. */
function ownTree(files: Record<string, string>) {
  const own = tempTree({
    "tree/deploy/.env": `# deploy\nGITHUB_TOKEN=${GITHUB_TOKEN}\n`,
    "tree/deploy/aws.ini": `[default]\naws_access_key_id = ${AWS_KEY_ID}\n`,
    ...files,
  });
  cleanups.push(own.cleanup);
  return join(own.dir, "tree");
}
const cleanups: (() => void)[] = [];
afterAll(() => {
  for (const c of cleanups) c();
});

function deepFreeze<T>(o: T): T {
  if (o && typeof o === "object" && !Object.isFrozen(o)) {
    Object.freeze(o);
    for (const v of Object.values(o)) deepFreeze(v);
  }
  return o;
}

const summary = (r: AuditReport) =>
  r.findings.map(
    (f) =>
      `${f.fingerprint} ${f.severity} ${f.ruleId} ${f.location.source}:${f.location.path ?? f.location.name}`,
  );

describe("runScan", () => {
  it("scans the given home, root and environment file, and nothing else", async () => {
    const { report, failOn, fail } = await runScan(request(), CTX);
    expect(summary(report)).toEqual([
      `${FP_GITHUB} critical github-pat-classic tree:deploy/.env`,
      `${FP_DB} high generic-secret-name env:DB_PASSWORD`,
      `${FP_GITHUB_SCOPE} high github-classic-pat-broad tree:deploy/.env`,
      `${FP_AWS} high aws-access-key-id tree:deploy/aws.ini`,
      `${FP_AWS_SCOPE} high aws-long-lived-access-key tree:deploy/aws.ini`,
    ]);
    expect(report.target).toStrictEqual({
      home: join(t.dir, "home"),
      root: join(t.dir, "tree"),
      user: "tester",
      hostname: "test-host",
    });
    expect(report.stats?.sources).toEqual(["env", "home", "tree"]);
    // The two files of the tree (the environment file is not a file of the agent's).
    expect(report.stats?.files).toBe(2);
    expect(report.issues).toEqual([]);
    expect(report.checklist[0]).toStrictEqual({
      step: 1,
      id: "secret-inventory",
      status: "fail",
      summary: "3 high/critical secrets readable by the agent and not in the accepted inventory (baseline)",
      evidence: [FP_GITHUB, FP_DB, FP_AWS],
    });
    expect(report.policy).toStrictEqual({
      disabledRules: [],
      severityOverrides: [],
      suppressed: { config: 0, inlineAllow: 0, baseline: 0 },
    });
    expect(report.checklist[5]).toStrictEqual({
      step: 6,
      id: "credential-scope",
      status: "fail",
      summary:
        "2 high-risk credential scope findings (long-lived or broad) not in the accepted inventory; 3 credentials judged",
      evidence: [FP_GITHUB_SCOPE, FP_AWS_SCOPE],
    });
    expect(report.checklist[4]?.status).toBe("warn");
    expect(report.verdict).toStrictEqual({
      failOn: "high",
      failing: [FP_GITHUB, FP_DB, FP_GITHUB_SCOPE, FP_AWS, FP_AWS_SCOPE],
    });
    expect(failOn).toBe("high");
    expect(fail).toStrictEqual({ failOn: "high", treeFailOn: "high" });
    const json = JSON.stringify(report);
    for (const secret of [GITHUB_TOKEN, AWS_KEY_ID, DB_PASSWORD]) expect(json).not.toContain(secret);
  });

  it("does not mutate its request (deep-frozen, and equal to a copy afterwards)", async () => {
    const req = request({ failOn: "medium" });
    const copy = structuredClone(req);
    deepFreeze(req);
    const { report } = await runScan(req, CTX);
    expect(req).toStrictEqual(copy);
    expect(report.findings).toHaveLength(5);
    expect(report.verdict?.failOn).toBe("medium");
  });

  it("does not mutate a request that leaves the sources to their default (every source)", async () => {
    // Every source, under the fixture's own system root: its mounts, sockets and processes are empty.
    const { sources: _all, ...rest } = request({ baseline: false });
    const req = deepFreeze<ScanRequest>(rest);
    const copy = structuredClone(req);
    const { report } = await runScan(req, CTX);
    expect(req).toStrictEqual(copy);
    expect("sources" in req).toBe(false);
    expect(report.stats?.sources).toEqual([
      "env",
      "home",
      "tree",
      "mounts",
      "sockets",
      "processes",
      "system",
    ]);
    expect(report.findings.map((f) => f.fingerprint)).toEqual([
      FP_GITHUB,
      FP_DB,
      FP_GITHUB_SCOPE,
      FP_AWS,
      FP_AWS_SCOPE,
    ]);
  });

  it("the demo request gives the demo's report: the 71 findings of reports/demo.json", async () => {
    const golden = JSON.parse(readFileSync("reports/demo.json", "utf8")) as AuditReport;
    expect(golden.findings).toHaveLength(71);
    // The demo fills home, root, environment and system root itself; the request stays as given.
    const req = deepFreeze(defaultScanRequest({ demo: true }));
    const copy = structuredClone(req);
    const { report } = await runScan(req, { ...CTX, cwd: "/", homedir: "/nonexistent" });
    expect(req).toStrictEqual(copy);
    expect(report.findings).toHaveLength(71);
    expect(report.findings.map((f) => f.fingerprint)).toEqual(golden.findings.map((f) => f.fingerprint));
    expect(report.verdict).toStrictEqual(golden.verdict);
    expect(report.checklist).toStrictEqual(golden.checklist);
  });

  it("a root that does not exist is a UsageError naming --root", async () => {
    const missing = join(t.dir, "no-such-root");
    const err = await runScan(request({ root: missing }), CTX).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as UsageError).message).toBe(`--root ${missing}: no such directory`);
    expect((err as UsageError).hint).toBe("pass an existing directory to --root");
  });

  it("a root that is a file, a missing home, a missing system root: each named", async () => {
    const file = join(t.dir, "not-a-dir");
    await expect(runScan(request({ root: file }), CTX)).rejects.toThrow(
      new UsageError(`--root ${file}: not a directory`, "pass a directory to --root"),
    );
    const home = join(t.dir, "no-such-home");
    await expect(runScan(request({ home }), CTX)).rejects.toThrow(`--home ${home}: no such directory`);
    const sys = join(t.dir, "no-such-system");
    await expect(runScan(request({ systemRoot: sys }), CTX)).rejects.toThrow(
      `--system-root ${sys}: no such directory`,
    );
  });

  it("resolves a relative root against the context's cwd", async () => {
    const { report } = await runScan(request({ root: "tree", home: "home" }), CTX);
    expect(report.target.root).toBe(join(t.dir, "tree"));
    expect(report.target.home).toBe(join(t.dir, "home"));
  });

  it("environment none: the env source does not run, even when asked for", async () => {
    const { report } = await runScan(request({ environment: { from: "none" } }), CTX);
    expect(report.stats?.sources).toEqual(["home", "tree"]);
    expect(report.findings.map((f) => f.fingerprint)).toEqual([
      FP_GITHUB,
      FP_GITHUB_SCOPE,
      FP_AWS,
      FP_AWS_SCOPE,
    ]);
  });

  it("no inventory (the `probe` command without --probe targets): step 1 is not evaluated", async () => {
    const { report } = await runScan(request({ inventory: false }), CTX);
    expect(report.findings).toEqual([]);
    expect(report.checklist[0]).toStrictEqual({
      step: 1,
      id: "secret-inventory",
      status: "skip",
      summary: "not evaluated by `probe`: run `agent-audit scan`",
      evidence: [],
    });
    expect(report.score).toStrictEqual({ passed: 0, evaluated: 0, total: 6 });
  });

  it("a baseline marks exactly its findings accepted, and they leave the verdict", async () => {
    const path = join(t.dir, "accepted.json");
    writeFileSync(
      path,
      JSON.stringify({
        schemaVersion: 1,
        entries: [
          {
            fingerprint: FP_GITHUB,
            ruleId: "github-pat-classic",
            location: { source: "tree", path: "deploy/.env" },
          },
        ],
      }),
    );
    const { report } = await runScan(request({ baseline: path }), CTX);
    expect(report.findings.map((f) => [f.fingerprint, f.accepted])).toEqual([
      [FP_GITHUB, true],
      [FP_DB, false],
      // The token is accepted; how broad it is (step 6) is a finding of its own, not accepted.
      [FP_GITHUB_SCOPE, false],
      [FP_AWS, false],
      [FP_AWS_SCOPE, false],
    ]);
    expect(report.verdict).toStrictEqual({
      failOn: "high",
      failing: [FP_DB, FP_GITHUB_SCOPE, FP_AWS, FP_AWS_SCOPE],
    });
    expect(report.policy?.baseline).toStrictEqual({ path, entries: 1 });
    expect(report.policy?.suppressed).toStrictEqual({ config: 0, inlineAllow: 0, baseline: 1 });
    expect(report.checklist[0]?.evidence).toEqual([FP_DB, FP_AWS]);
  });

  it("the root's .agent-audit-baseline.json is read by default, shown relative to the root; false ignores it", async () => {
    const baseline = JSON.stringify({
      schemaVersion: 1,
      entries: [
        {
          fingerprint: FP_AWS,
          ruleId: "aws-access-key-id",
          location: { source: "tree", path: "deploy/aws.ini" },
        },
      ],
    });
    const root = ownTree({ "tree/.agent-audit-baseline.json": baseline });
    const found = await runScan(request({ root, environment: { from: "none" } }), CTX);
    expect(found.report.findings.map((f) => [f.fingerprint, f.accepted])).toEqual([
      [FP_GITHUB, false],
      [FP_GITHUB_SCOPE, false],
      [FP_AWS, true],
      [FP_AWS_SCOPE, false],
    ]);
    expect(found.report.policy?.baseline).toStrictEqual({ path: ".agent-audit-baseline.json", entries: 1 });
    const ignored = await runScan(request({ root, environment: { from: "none" }, baseline: false }), CTX);
    expect(ignored.report.findings.map((f) => f.accepted)).toEqual([false, false, false, false]);
    expect("baseline" in (ignored.report.policy ?? {})).toBe(false);
  });

  it("a config found in the root governs the tree's findings only; the --fail-on flag beats it", async () => {
    const config = [
      "failOn: critical",
      "rules:",
      "  severity:",
      "    aws-access-key-id: low",
      "    generic-secret-name: low",
      "",
    ].join("\n");
    const root = ownTree({ "tree/agent-audit.yaml": config });
    const { report, fail } = await runScan(request({ root }), CTX);
    // The tree's config re-rates the tree's secrets, not the scope findings of step 6 (whose ids it
    // does not name); under its failOn critical, those high ones do not fail.
    expect(summary(report)).toEqual([
      `${FP_GITHUB} critical github-pat-classic tree:deploy/.env`,
      `${FP_DB} high generic-secret-name env:DB_PASSWORD`,
      `${FP_GITHUB_SCOPE} high github-classic-pat-broad tree:deploy/.env`,
      `${FP_AWS_SCOPE} high aws-long-lived-access-key tree:deploy/aws.ini`,
      `${FP_AWS} low aws-access-key-id tree:deploy/aws.ini`,
    ]);
    expect(fail).toStrictEqual({ failOn: "high", treeFailOn: "critical" });
    expect(report.verdict).toStrictEqual({
      failOn: "high",
      treeFailOn: "critical",
      failing: [FP_GITHUB, FP_DB],
    });
    expect(report.policy).toStrictEqual({
      disabledRules: [],
      severityOverrides: [
        { ruleId: "aws-access-key-id", severity: "low" },
        { ruleId: "generic-secret-name", severity: "low" },
      ],
      suppressed: { config: 0, inlineAllow: 0, baseline: 0 },
      config: { path: "agent-audit.yaml", discovered: true, scope: "tree" },
      failOn: { severity: "critical", scope: "tree" },
    });
    const flagged = await runScan(request({ root, failOn: "low" }), CTX);
    expect(flagged.fail).toStrictEqual({ failOn: "low", treeFailOn: "low" });
    expect(flagged.report.verdict).toStrictEqual({
      failOn: "low",
      failing: [FP_GITHUB, FP_DB, FP_GITHUB_SCOPE, FP_AWS_SCOPE, FP_AWS],
    });
    expect("failOn" in (flagged.report.policy ?? {})).toBe(false);
  });

  it("a config named in the request governs every source", async () => {
    const own = tempTree({
      "named.yaml": "failOn: medium\nrules:\n  severity:\n    generic-secret-name: medium\n",
    });
    cleanups.push(own.cleanup);
    const { report, fail } = await runScan(request({ config: join(own.dir, "named.yaml") }), CTX);
    expect(summary(report)).toEqual([
      `${FP_GITHUB} critical github-pat-classic tree:deploy/.env`,
      `${FP_GITHUB_SCOPE} high github-classic-pat-broad tree:deploy/.env`,
      `${FP_AWS} high aws-access-key-id tree:deploy/aws.ini`,
      `${FP_AWS_SCOPE} high aws-long-lived-access-key tree:deploy/aws.ini`,
      `${FP_DB} medium generic-secret-name env:DB_PASSWORD`,
    ]);
    expect(fail).toStrictEqual({ failOn: "medium", treeFailOn: "medium" });
    expect(report.policy?.config).toStrictEqual({
      path: join(own.dir, "named.yaml"),
      discovered: false,
      scope: "all",
    });
    expect(report.verdict).toStrictEqual({
      failOn: "medium",
      failing: [FP_GITHUB, FP_GITHUB_SCOPE, FP_AWS, FP_AWS_SCOPE, FP_DB],
    });
  });
});

describe("egressOptions", () => {
  const none: EgressRequest = { canaries: [], allowedHosts: [] };
  const config: AgentAuditConfig = {
    ...EMPTY_CONFIG,
    egress: {
      canaries: ["192.0.2.1:443"],
      allowedHosts: ["config.example"],
      proxy: "http://config-proxy:3128",
      timeoutMs: 5000,
      dnsResolvers: ["192.0.2.53"],
      metadata: ["192.0.2.254:80"],
      ports: [22],
      defaultTargets: false,
      firewallEvidence: false,
    },
  };

  it("the request's values beat the config's", () => {
    const req: EgressRequest = {
      canaries: ["198.51.100.1:443"],
      allowedHosts: ["request.example"],
      proxy: "http://request-proxy:8080",
      timeoutMs: 700,
      dnsResolvers: ["198.51.100.53"],
      metadata: ["198.51.100.254:80"],
      ports: [2525],
    };
    expect(egressOptions(req, config)).toStrictEqual({
      canaries: ["198.51.100.1:443"],
      allowedHosts: ["request.example"],
      proxy: "http://request-proxy:8080",
      timeoutMs: 700,
      dnsResolvers: ["198.51.100.53"],
      metadata: ["198.51.100.254:80"],
      ports: [2525],
      // The config's false stands: the request only ever says false (a --no-... flag) or nothing.
      useDefaults: false,
      firewallEvidence: false,
    });
  });

  it("the config fills what the request leaves empty, and says the proxy came from it", () => {
    expect(egressOptions({ ...none, dnsResolvers: [], metadata: [] }, config)).toStrictEqual({
      canaries: ["192.0.2.1:443"],
      allowedHosts: ["config.example"],
      proxy: "http://config-proxy:3128",
      timeoutMs: 5000,
      dnsResolvers: ["192.0.2.53"],
      metadata: ["192.0.2.254:80"],
      ports: [22],
      useDefaults: false,
      firewallEvidence: false,
      proxySource: "config",
    });
  });

  it("with neither: empty lists, a 2000 ms timeout, no proxy, and no optional field", () => {
    expect(egressOptions(none, EMPTY_CONFIG)).toStrictEqual({
      canaries: [],
      allowedHosts: [],
      proxy: undefined,
      timeoutMs: 2000,
    });
  });

  it("a request's false switches the defaults and the firewall evidence off without a config", () => {
    expect(
      egressOptions({ ...none, useDefaults: false, firewallEvidence: false }, EMPTY_CONFIG),
    ).toStrictEqual({
      canaries: [],
      allowedHosts: [],
      proxy: undefined,
      timeoutMs: 2000,
      useDefaults: false,
      firewallEvidence: false,
    });
  });

  it("a request's proxy is not attributed to the config", () => {
    const out = egressOptions({ ...none, proxy: "http://request-proxy:8080" }, config);
    expect(out.proxy).toBe("http://request-proxy:8080");
    expect("proxySource" in out).toBe(false);
  });
});
