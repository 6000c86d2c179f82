import { writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { cli } from "../helpers/cli.js";
import { tempTree } from "../helpers/tmp.js";

// `agent-audit scan` over a runtime config fixture, end to end (issue 10): which sources read which
// configs, the per-runtime view, rules.disable and rules.severity from a named config (and not from
// one the agent planted in the tree), and a baseline that accepts a runtime finding.

const F = resolve("fixtures/runtimes/claude-code/unsafe");
const base = [
  "scan",
  "--home",
  `${F}/home`,
  "--root",
  `${F}/tree`,
  "--system-root",
  `${F}/system`,
  "--no-env",
];
const work = tempTree({});
afterAll(() => work.cleanup());

interface Report {
  findings: {
    fingerprint: string;
    ruleId: string;
    severity: string;
    accepted: boolean;
    location: { source: string };
  }[];
  checklist: { id: string; status: string }[];
  agents: { runtimes: { runtime: string; files: { scope: string }[]; gate: { status: string } }[] };
  policy: { suppressed: { config: number } };
}
async function scan(extra: string[]): Promise<{ code: number; report: Report }> {
  const r = await cli([...base, "--format", "json", "--no-baseline", ...extra]);
  return { code: r.code, report: JSON.parse(r.stdout) as Report };
}
const runtimeIds = (r: Report) =>
  r.findings
    .filter((f) => f.location.source === "agent-config")
    .map((f) => f.ruleId)
    .sort();

const HOME_TREE = [
  "claude-allow-all-bash",
  "claude-bypass-not-disabled",
  "claude-bypass-permissions-mode",
  "claude-credential-read-unprotected",
  "claude-hook-command-unresolved",
  "claude-hook-timeout",
  "claude-ignored-scope-key",
  "claude-ignored-scope-key",
  "claude-ignored-scope-key",
  "claude-sandbox-broad-domain",
  "claude-sandbox-broad-domain",
  "claude-sandbox-broad-domain",
  "claude-sandbox-disabled",
  "claude-sandbox-excluded-commands",
  "claude-sandbox-unix-sockets",
];

describe("scan: the runtime inspectors end to end", () => {
  it("--sources home,tree reads the user and project configs only; system adds the managed ones", async () => {
    const homeTree = await scan(["--sources", "home,tree"]);
    expect(homeTree.code).toBe(1);
    expect(runtimeIds(homeTree.report)).toEqual(HOME_TREE);
    expect(homeTree.report.agents.runtimes[0]!.files.map((f) => f.scope)).toEqual([
      "user",
      "project",
      "local",
      "state",
    ]);
    const all = await scan(["--sources", "home,tree,system"]);
    expect(runtimeIds(all.report)).toEqual([...HOME_TREE, "claude-sandbox-weaker-isolation"].sort());
    expect(all.report.agents.runtimes[0]!.files.map((f) => f.scope)).toEqual([
      "user",
      "project",
      "local",
      "managed",
      "state",
    ]);
    expect(all.report.agents.runtimes[0]!.gate.status).toBe("off");
    expect(all.report.checklist.map((c) => `${c.id}:${c.status}`)).toEqual([
      "secret-inventory:pass",
      "default-deny-egress:skip",
      "egress-proxy:skip",
      "egress-alerting:skip",
      "approval-gate:fail",
      "credential-scope:pass",
    ]);
  });

  it("--sources env alone inspects no runtime config: step 5 is skipped", async () => {
    writeFileSync(join(work.dir, "empty.env"), "");
    const ok = await cli([
      "scan",
      "--home",
      `${F}/home`,
      "--root",
      `${F}/tree`,
      "--system-root",
      `${F}/system`,
      "--environ",
      join(work.dir, "empty.env"),
      "--sources",
      "env",
      "--format",
      "json",
      "--no-baseline",
    ]);
    const report = JSON.parse(ok.stdout) as Report;
    expect(report.findings).toEqual([]);
    expect(report.checklist[4]).toEqual({
      step: 5,
      id: "approval-gate",
      status: "skip",
      summary: "no agent runtime config was inspected: the home, tree and system sources were all left out",
      evidence: [],
    });
  });

  it("a named config disables and re-rates runtime checks; one planted in the tree cannot", async () => {
    const named = join(work.dir, "named.yaml");
    writeFileSync(
      named,
      "rules:\n  disable: [claude-sandbox-broad-domain]\n  severity:\n    claude-hook-timeout: low\n",
    );
    const r = await scan(["--sources", "home,tree", "--config", named]);
    expect(runtimeIds(r.report)).toEqual(HOME_TREE.filter((id) => id !== "claude-sandbox-broad-domain"));
    expect(r.report.findings.find((f) => f.ruleId === "claude-hook-timeout")!.severity).toBe("low");
    expect(r.report.policy.suppressed.config).toBe(3);
    // The same file found in the audited root is the agent's word: the gate's findings stay.
    const planted = tempTree({
      "agent-audit.yaml": "rules:\n  disable: [claude-bypass-permissions-mode, claude-allow-all-bash]\n",
    });
    try {
      const p = await cli([
        "scan",
        "--home",
        `${F}/home`,
        "--root",
        planted.dir,
        "--system-root",
        `${F}/system`,
        "--no-env",
        "--sources",
        "home,tree",
        "--format",
        "json",
        "--no-baseline",
      ]);
      const ids = (JSON.parse(p.stdout) as Report).findings.map((f) => f.ruleId);
      expect(ids).toContain("claude-bypass-permissions-mode");
      expect(ids).toContain("claude-allow-all-bash");
    } finally {
      planted.cleanup();
    }
  });

  it("a baseline accepts a runtime finding by fingerprint; the step's verdict stays", async () => {
    const path = join(work.dir, "baseline.json");
    const made = await cli([
      "baseline",
      "--home",
      `${F}/home`,
      "--root",
      `${F}/tree`,
      "--system-root",
      `${F}/system`,
      "--no-env",
      "--sources",
      "home,tree",
      "--output",
      path,
    ]);
    expect(made.code).toBe(0);
    const r = await cli([...base, "--sources", "home,tree", "--format", "json", "--baseline", path]);
    const report = JSON.parse(r.stdout) as Report;
    expect(r.code).toBe(0);
    expect(report.findings.every((f) => f.accepted)).toBe(true);
    expect(report.checklist[4]!.status).toBe("fail");
  });
});
