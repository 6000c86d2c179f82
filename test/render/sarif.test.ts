import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { physicalLocation, renderSarif, ruleName } from "../../src/render/sarif.js";
import { validationProblems } from "./multitool.js";
import { handReport, PREVIEWS } from "./report-fixture.js";

// biome-ignore lint/suspicious/noExplicitAny: a parsed SARIF log is checked structurally below
type Json = any;
const report = handReport();
const text = renderSarif(report, { color: false });
const log: Json = JSON.parse(text);
const run = log.runs[0];

const tmp = mkdtempSync(join(tmpdir(), "agent-audit-sarif-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe("sarif reporter", () => {
  it("matches the golden file", async () => {
    await expect(text).toMatchFileSnapshot("./__snapshots__/hand-report.sarif.golden");
  });

  it("has one run with the tool driver GitHub needs", () => {
    expect(log.version).toBe("2.1.0");
    expect(log.$schema).toBe(
      "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json",
    );
    expect(log.runs).toHaveLength(1);
    const { rules, ...driver } = run.tool.driver;
    expect(driver).toEqual({
      name: "agent-audit",
      informationUri: "https://github.com/agent-audit/agent-audit",
      semanticVersion: "0.1.0",
    });
    expect(rules.map((r: Json) => r.id)).toEqual([
      "secret-inventory",
      "default-deny-egress",
      "egress-proxy",
      "egress-alerting",
      "approval-gate",
      "credential-scope",
      "aws-access-key-id",
      "aws-credentials",
      "docker-socket-writable",
      "egress-direct-open",
      "generic-password-assignment",
      "github-pat-classic",
      "mounted-secret-file",
      "npm-token",
    ]);
  });

  it("gives every rule the properties code scanning reads", () => {
    const props = Object.fromEntries(run.tool.driver.rules.map((r: Json) => [r.id, r.properties]));
    expect(props).toEqual({
      "secret-inventory": { "security-severity": "8.0", tags: ["security", "secret-inventory"] },
      "default-deny-egress": { "security-severity": "8.0", tags: ["security", "default-deny-egress"] },
      "egress-proxy": { "security-severity": "8.0", tags: ["security", "egress-proxy"] },
      "egress-alerting": { "security-severity": "8.0", tags: ["security", "egress-alerting"] },
      "approval-gate": { "security-severity": "8.0", tags: ["security", "approval-gate"] },
      "credential-scope": { "security-severity": "8.0", tags: ["security", "credential-scope"] },
      "aws-access-key-id": { "security-severity": "8.0", tags: ["security", "secret-inventory"] },
      "aws-credentials": { "security-severity": "8.0", tags: ["security", "secret-inventory"] },
      "docker-socket-writable": { "security-severity": "9.5", tags: ["security", "credential-scope"] },
      "egress-direct-open": { "security-severity": "8.0", tags: ["security", "default-deny-egress"] },
      "generic-password-assignment": { "security-severity": "5.5", tags: ["security", "secret-inventory"] },
      // Two findings (critical and info): the rule takes the most severe.
      "github-pat-classic": { "security-severity": "9.5", tags: ["security", "secret-inventory"] },
      "mounted-secret-file": { "security-severity": "3.0", tags: ["security", "secret-inventory"] },
      "npm-token": { "security-severity": "8.0", tags: ["security", "secret-inventory"] },
    });
    for (const r of run.tool.driver.rules) {
      expect(Object.keys(r)).toEqual([
        "id",
        "name",
        "shortDescription",
        "fullDescription",
        "help",
        "defaultConfiguration",
        "properties",
      ]);
      expect(r.help.text.length).toBeGreaterThan(10);
      expect(r.help.markdown).toContain(r.help.text);
    }
  });

  it("emits one result per finding and per fail/warn/error step, each with one relative location", () => {
    const rows = run.results.map((r: Json) => [
      r.ruleId,
      r.level,
      r.locations[0].physicalLocation.artifactLocation.uri,
      r.locations[0].physicalLocation.artifactLocation.uriBaseId ?? "",
      r.locations[0].physicalLocation.region.startLine,
    ]);
    expect(rows).toEqual([
      ["secret-inventory", "error", "agent-audit/checklist/secret-inventory", "", 1],
      ["default-deny-egress", "error", "agent-audit/checklist/default-deny-egress", "", 1],
      ["egress-proxy", "warning", "agent-audit/checklist/egress-proxy", "", 1],
      ["approval-gate", "warning", "agent-audit/checklist/approval-gate", "", 1],
      ["github-pat-classic", "error", "agent-audit/env/GITHUB_TOKEN", "", 1],
      ["docker-socket-writable", "error", "agent-audit/socket/var/run/docker.sock", "", 1],
      ["aws-credentials", "error", "agent-audit/home/.aws/credentials", "", 1],
      ["npm-token", "error", "agent-audit/home/.npmrc", "", 2],
      ["aws-access-key-id", "error", "deploy/.env", "%SRCROOT%", 3],
      ["egress-direct-open", "error", "agent-audit/egress/1.2.3.4_443", "", 1],
      ["generic-password-assignment", "warning", "src/settings%20(old)/db%231.py", "%SRCROOT%", 12],
      ["mounted-secret-file", "note", "agent-audit/mount/run/secrets/db_password", "", 1],
      ["github-pat-classic", "note", "README.md", "%SRCROOT%", 1],
    ]);
    for (const r of run.results) {
      expect(r.locations).toHaveLength(1);
      expect(run.tool.driver.rules[r.ruleIndex].id).toBe(r.ruleId);
    }
  });

  it("describes secrets without any of their characters, not even the preview", () => {
    for (const p of PREVIEWS) expect(text).not.toContain(p);
    expect(run.results[4].message.text).toBe(
      "GitHub personal access token (classic), at environment variable GITHUB_TOKEN; secret of provider github, type personal-access-token.",
    );
    expect(run.results[5].message.text).toBe(
      "Docker socket is writable by the agent (root on the host), at socket /var/run/docker.sock.",
    );
    expect(run.results[1].message.text).toBe(
      "Checklist step 2, default-deny-egress: fail. direct TCP to 1.2.3.4:443 was open | IPv6 not tested",
    );
  });

  it("carries fingerprints, properties and the baseline suppression", () => {
    const f = run.results[7];
    expect(f.partialFingerprints).toEqual({ "agentAuditFingerprint/v1": "c3d4e5f6a7b8c3d4e5f6a7b8" });
    expect(f.properties).toEqual({
      control: "secret-inventory",
      kind: "secret",
      severity: "high",
      accepted: true,
    });
    expect(f.suppressions).toEqual([{ kind: "external", justification: "accepted in baseline" }]);
    expect(run.results.filter((r: Json) => r.suppressions).length).toBe(1);
    expect(run.results[0].partialFingerprints).toEqual({
      "agentAuditFingerprint/v1": "checklist/secret-inventory",
    });
  });

  it("reports scan issues as tool execution notifications", () => {
    expect(run.invocations).toEqual([
      {
        executionSuccessful: true,
        toolExecutionNotifications: [
          {
            level: "warning",
            message: {
              text: "~/.config/gh/hosts.yml: could not parse: unexpected '<' & \"quote\" at line 3",
            },
          },
          { level: "warning", message: { text: "/work/repo/big.bin: skipped: larger than 10 MB" } },
        ],
      },
    ]);
  });

  it("maps every source to the synthetic URI scheme", () => {
    const uri = (l: Parameters<typeof physicalLocation>[0]) => physicalLocation(l).artifactLocation.uri;
    expect(uri({ source: "process", path: "/proc/4242/environ", name: "OPENAI_API_KEY" })).toBe(
      "agent-audit/process/4242/OPENAI_API_KEY",
    );
    expect(uri({ source: "probe", target: "[2001:db8::1]:53" })).toBe("agent-audit/egress/_2001_db8__1__53");
    expect(uri({ source: "agent-config", path: "/home/agent/.claude/settings.json" })).toBe(
      "agent-audit/agent-config/home/agent/.claude/settings.json",
    );
    expect(uri({ source: "cloud", name: "arn:aws:iam::123456789012:user/agent" })).toBe(
      "agent-audit/cloud/arn%3Aaws%3Aiam%3A%3A123456789012%3Auser/agent",
    );
    expect(physicalLocation({ source: "tree", path: "a.txt", line: 0 }).region).toEqual({ startLine: 1 });
    expect(uri({ source: "mount", path: "/run/secrets/../../etc/shadow" })).toBe(
      "agent-audit/mount/run/secrets/%2E%2E/%2E%2E/etc/shadow",
    );
  });

  it("passes the SARIF multitool validator (schema, SARIF and GitHub rules) with no error or warning", () => {
    expect(validationProblems(tmp, "hand-report", text)).toEqual([]);
  }, 120_000);

  it("has a validator that does catch what GitHub rejects (control for the test above)", () => {
    const broken: Json = JSON.parse(text);
    delete broken.runs[0].results[0].locations;
    delete broken.runs[0].tool.driver.informationUri;
    expect(validationProblems(tmp, "broken", JSON.stringify(broken))).toEqual([
      "GH1015 error runs[0].results[0]",
      "GH1017 error runs[0].results[0]",
      "GH2012 error runs[0].results[0]",
      "SARIF2005 warning runs[0].tool.driver",
    ]);
  }, 120_000);
});

describe("rule names (issue 9)", () => {
  it("are readable PascalCase identifiers from the title, never equal to the id", () => {
    expect(ruleName("kubeconfig", "Kubernetes credentials in a kubeconfig")).toBe(
      "KubernetesCredentialsInAKubeconfig",
    );
    expect(ruleName("github-pat-classic", "GitHub personal access token (classic)")).toBe(
      "GitHubPersonalAccessTokenClassic",
    );
    expect(ruleName("jwt", "JWT")).toBe("JWTFinding");
    expect(ruleName("netrc", "")).toBe("NetrcFinding");
  });

  it("the demo's SARIF report validates with no error and no warning", () => {
    const text = readFileSync(new URL("../../reports/demo.sarif", import.meta.url), "utf8");
    const tmp = mkdtempSync(join(tmpdir(), "aa-sarif-demo-"));
    try {
      expect(validationProblems(tmp, "demo", text)).toEqual([]);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  }, 120_000);
});

describe("a catalog rule's security-severity (issue 9 review)", () => {
  it("follows its most severe finding: a token failing its checksum (info) does not rank its rule as high", async () => {
    const { cli } = await import("../helpers/cli.js");
    const { tempTree } = await import("../helpers/tmp.js");
    // A GitHub classic token shape whose CRC32 suffix is wrong: an info finding (built at run time).
    const fake = `${["gh", "p_"].join("")}Zx9Qw8Er7Ty6Ui5Op4As3Df2Gh1Jk0LmNbVc`;
    const t = tempTree({ "work/app.py": `token = "${fake}"\n`, "home/.keep": "" });
    try {
      const r = await cli([
        "scan",
        "--root",
        join(t.dir, "work"),
        "--home",
        join(t.dir, "home"),
        "--no-env",
        "--sources",
        "tree",
        "--format",
        "sarif",
        "--exit-zero",
      ]);
      const run = JSON.parse(r.stdout).runs[0];
      const rule = run.tool.driver.rules.find((x: { id: string }) => x.id === "github-pat-classic");
      expect(
        run.results
          .filter((x: { ruleId: string }) => x.ruleId === "github-pat-classic")
          .map((x: { level: string }) => x.level),
      ).toEqual(["note"]);
      expect(rule.properties["security-severity"]).toBe("0.0");
      expect(rule.defaultConfiguration).toEqual({ level: "note" });
      // A rule without findings keeps its catalog severity.
      const none = run.tool.driver.rules.find((x: { id: string }) => x.id === "gitlab-pat");
      expect(none.properties["security-severity"]).toBe("9.5");
    } finally {
      t.cleanup();
    }
  });
});
