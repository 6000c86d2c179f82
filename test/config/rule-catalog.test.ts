import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CliIo } from "../../src/cli/io.js";
import { runCli } from "../../src/cli/program.js";
import { parseConfigText, ruleIds, validateConfig } from "../../src/config/index.js";
import { renderSarif } from "../../src/render/sarif.js";
import { defaultRules, ruleCatalog } from "../../src/rules/catalog.js";
import { CODE_RULE_LIST } from "../../src/rules/code.js";
import { closedPort } from "../capabilities/egress/fake-servers.js";

// Issue 9: every rule id a report can contain is in one catalog (src/rules: rules/* and the ids
// declared in code), which the config validator and the SARIF rule list read. Before, the config
// refused `rules.disable: [mounted-secret-file]` (or any id written in mounts.ts, sockets.ts or the
// egress verdicts) with "unknown rule id" and exit 2, though reports emit those ids.

const CODE_IDS = CODE_RULE_LIST.map((r) => r.id);
const IDS = ruleIds(defaultRules());
const STEPS = [
  "secret-inventory",
  "default-deny-egress",
  "egress-proxy",
  "egress-alerting",
  "approval-gate",
  "credential-scope",
];

function validate(yaml: string) {
  const parsed = parseConfigText(yaml);
  expect(parsed.errors).toEqual([]);
  return validateConfig(parsed.data, { dir: "/cfg", ruleIds: IDS });
}

const dir = mkdtempSync(join(tmpdir(), "aa-rule-catalog-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function cli(args: string[]) {
  const out = { stdout: "", stderr: "" };
  const io: CliIo = {
    stdout: (s) => {
      out.stdout += s;
    },
    stderr: (s) => {
      out.stderr += s;
    },
    env: {},
    cwd: dir,
    homedir: dir,
    user: "tester",
    uid: 1000,
    hostname: "test",
    stdoutIsTTY: false,
    stderrIsTTY: false,
    // No test asks this machine's resolver.
    lookup: async (host) => {
      throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: "ENOTFOUND" });
    },
  };
  const code = await runCli(args, io);
  return { code, ...out };
}

function config(name: string, yaml: string): string {
  const file = join(dir, name);
  writeFileSync(file, yaml);
  return file;
}

describe("the rule ids declared in code", () => {
  it("are exactly these, each declared once", () => {
    expect(CODE_IDS).toEqual([
      "kubernetes-service-account-token",
      "aws-eks-web-identity-token",
      "aws-eks-pod-identity-token",
      "mounted-secret-file",
      "pkcs12-default-password",
      "socket-container-runtime",
      "socket-ssh-agent-keys",
      "egress-direct-tcp-open",
      "egress-direct-port-open",
      "egress-direct-http-open",
      "egress-dns-outside-resolver",
      "egress-dns-configured-resolver",
      "egress-metadata-reachable",
      "egress-ipv6-unfiltered",
      "egress-proxy-missing",
      "egress-proxy-unreachable",
      "egress-proxy-allows-canary",
      "egress-proxy-allows-ip-literal",
      "egress-proxy-allows-metadata",
      "egress-proxy-blocks-allowed-host",
      "egress-proxy-wildcard-apex",
      "gate-verify-miss",
      "gate-verify-fails-open",
    ]);
  });

  it("are rule ids the config accepts, in rules.disable and rules.severity", () => {
    const yaml = [
      "rules:",
      `  disable: [${CODE_IDS.join(", ")}]`,
      "  severity:",
      ...CODE_IDS.map((id) => `    ${id}: low`),
    ].join("\n");
    const v = validate(yaml);
    expect(v.errors).toEqual([]);
    expect(v.config.rules.disable).toEqual(CODE_IDS);
    expect(Object.keys(v.config.rules.severity)).toEqual(CODE_IDS);
  });

  it("sit beside the rules/* ids in one catalog, without a duplicate", () => {
    const rules = defaultRules();
    const fileIds = [
      ...rules.content,
      ...rules.env,
      ...rules.paths,
      ...rules.runtime,
      ...rules.scope,
      ...rules.mcp,
    ].map((r) => r.id);
    // Issue 10: the runtime inspectors' and the credential-scope checks are in the one catalog;
    // issue 16: the MCP servers', skills' and tool lists' checks too.
    expect(rules.runtime.length).toBe(63);
    expect(rules.scope.length).toBe(18);
    expect(rules.mcp.length).toBe(29);
    expect(IDS).toEqual([...fileIds, ...CODE_IDS].sort());
    expect(new Set(IDS).size).toBe(IDS.length);
    expect(ruleCatalog(rules).map((r) => r.id)).toEqual(IDS);
  });

  it("an unknown id is still refused", () => {
    expect(validate("rules:\n  disable: [mounted-secret-files]\n").errors).toEqual([
      'rules.disable.0: unknown rule id "mounted-secret-files" (did you mean "mounted-secret-file"?)',
    ]);
  });
});

describe("every rule id of the demo report and of the code", () => {
  const demo = JSON.parse(readFileSync("reports/demo.json", "utf8")) as { findings: { ruleId: string }[] };
  const demoIds = [...new Set(demo.findings.map((f) => f.ruleId))].sort();
  const all = [...new Set([...demoIds, ...CODE_IDS])].sort();

  it("is known to the config validator", () => {
    expect(demoIds.length).toBe(44);
    expect(validate(`rules:\n  disable: [${all.join(", ")}]\n`).errors).toEqual([]);
  });

  it("is in the SARIF rule list of reports/demo.sarif, which lists the whole catalog after the steps", () => {
    const sarif = JSON.parse(readFileSync("reports/demo.sarif", "utf8"));
    const listed: string[] = sarif.runs[0].tool.driver.rules.map((r: { id: string }) => r.id);
    expect(listed).toEqual([...STEPS, ...IDS]);
    for (const id of all) expect(listed).toContain(id);
  });

  it("is in the SARIF rule list of a report without findings, given the catalog", () => {
    const report = JSON.parse(readFileSync("reports/demo.json", "utf8"));
    report.findings = [];
    const sarif = JSON.parse(renderSarif(report, { color: false, rules: ruleCatalog(defaultRules()) }));
    const rules: { id: string; shortDescription: { text: string } }[] = sarif.runs[0].tool.driver.rules;
    expect(rules.map((r) => r.id)).toEqual([...STEPS, ...IDS]);
    expect(rules.find((r) => r.id === "egress-proxy-missing")?.shortDescription.text).toBe(
      "No egress proxy is configured: the agent has no allowlisted, logged way out",
    );
  });
});

describe("rules.disable of a code-declared id removes its finding", () => {
  const root = join(dir, "root");
  const system = join(dir, "system");
  beforeAll(() => {
    mkdirSync(root, { recursive: true });
    mkdirSync(join(system, "run", "secrets"), { recursive: true });
    // No content rule matches it: the mount fallback reports it as mounted-secret-file.
    writeFileSync(join(system, "run", "secrets", "db_password"), "correct-horse-battery\n");
  });

  const scan = (...extra: string[]) =>
    cli([
      "scan",
      "--no-env",
      "--home",
      root,
      "--root",
      root,
      "--system-root",
      system,
      "--sources",
      "mounts",
      "--format",
      "json",
      ...extra,
    ]);

  it("mounted-secret-file (a fixture system root with /run/secrets)", async () => {
    const before = await scan();
    expect(before.stderr).toBe("");
    expect(before.code).toBe(1);
    const r1 = JSON.parse(before.stdout);
    expect(r1.findings.map((f: { ruleId: string; location: unknown }) => [f.ruleId, f.location])).toEqual([
      ["mounted-secret-file", { source: "mount", path: "/run/secrets/db_password" }],
    ]);

    const file = config("disable-mount.yaml", "rules:\n  disable: [mounted-secret-file]\n");
    const after = await scan("--config", file);
    expect(after.stderr).toBe("");
    expect(after.code).toBe(0);
    const r2 = JSON.parse(after.stdout);
    expect(r2.findings).toEqual([]);
    expect(r2.policy.disabledRules).toEqual(["mounted-secret-file"]);
    expect(r2.policy.suppressed).toEqual({ config: 1, inlineAllow: 0, baseline: 0 });
  });

  it("egress-proxy-missing (probe, loopback canary, no default target)", async () => {
    const closed = await closedPort();
    const probe = (...extra: string[]) =>
      cli([
        "probe",
        "--no-default-targets",
        "--canary",
        `127.0.0.1:${closed}`,
        "--ports",
        "none",
        "--system-root",
        system,
        "--timeout-ms",
        "500",
        "--format",
        "json",
        ...extra,
      ]);
    const before = await probe();
    expect(before.stderr).toBe("");
    const r1 = JSON.parse(before.stdout);
    expect(r1.findings.map((f: { ruleId: string }) => f.ruleId)).toEqual(["egress-proxy-missing"]);
    const missing = r1.findings[0].fingerprint;
    expect(r1.checklist[2]).toMatchObject({ id: "egress-proxy", status: "fail", evidence: [missing] });

    const file = config("disable-proxy.yaml", "rules:\n  disable: [egress-proxy-missing]\n");
    const after = await probe("--config", file);
    expect(after.stderr).toBe("");
    expect(after.code).toBe(before.code);
    const r2 = JSON.parse(after.stdout);
    expect(r2.findings).toEqual([]);
    // The step is about the control: it still fails, without the dropped finding as evidence.
    expect(r2.checklist[2]).toEqual({
      step: 3,
      id: "egress-proxy",
      status: "fail",
      summary:
        "no egress proxy is configured (no --proxy, and no HTTPS_PROXY, HTTP_PROXY or ALL_PROXY in the agent's environment)",
      evidence: [],
    });
    expect(r2.policy.disabledRules).toEqual(["egress-proxy-missing"]);
    expect(r2.policy.suppressed).toEqual({ config: 1, inlineAllow: 0, baseline: 0 });
  });

  it("the SARIF log lists a rule the --config disabled with enabled: false", async () => {
    const file = config("disable-mount-sarif.yaml", "rules:\n  disable: [mounted-secret-file]\n");
    const r = await scan("--config", file, "--format", "sarif");
    expect(r.stderr).toBe("");
    const rules: { id: string; defaultConfiguration: unknown }[] = JSON.parse(r.stdout).runs[0].tool.driver
      .rules;
    expect(rules.map((x) => x.id)).toEqual([...STEPS, ...IDS]);
    expect(rules.find((x) => x.id === "mounted-secret-file")?.defaultConfiguration).toEqual({
      level: "error",
      enabled: false,
    });
    expect(
      rules.filter((x) => (x.defaultConfiguration as { enabled?: boolean }).enabled === false).length,
    ).toBe(1);
  });

  it("rules.severity of a code-declared id re-rates its finding", async () => {
    const file = config("rerate-mount.yaml", "rules:\n  severity:\n    mounted-secret-file: low\n");
    const r = await scan("--config", file);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(
      JSON.parse(r.stdout).findings.map((f: { ruleId: string; severity: string }) => [f.ruleId, f.severity]),
    ).toEqual([["mounted-secret-file", "low"]]);
  });
});
