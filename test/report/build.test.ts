import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { makeFinding } from "../../src/contract/finding.js";
import type { Finding, Location, Probe, Severity } from "../../src/contract/types.js";
import { buildReport, type InventoryPart } from "../../src/report/build.js";

// src/report/build.ts: the report from the inventory and the capabilities beside it. Pure.

const VERSION = (JSON.parse(readFileSync("package.json", "utf8")) as { version: string }).version;
const TARGET = { home: "/h", root: "/r", user: "agent", hostname: "box" };

function finding(severity: Severity, location: Location, control: Finding["control"] = "secret-inventory") {
  return makeFinding({
    ruleId: "test-rule",
    control,
    kind: control === "secret-inventory" ? "secret" : "egress",
    severity,
    title: "t",
    remediation: "r",
    location,
    subject: `${severity}:${location.source}:${location.path ?? location.target ?? ""}`,
  });
}

const OPTS = {
  target: TARGET,
  inventoryRan: true,
  elapsedMs: 12,
  sources: ["env" as const, "tree" as const],
};

function inventory(findings: Finding[] = [], issues: InventoryPart["issues"] = []): InventoryPart {
  return { findings, issues, stats: { files: 4, bytes: 1000 } };
}

describe("buildReport", () => {
  it("an empty inventory: the whole report, keys in the contract's order", () => {
    const r = buildReport(OPTS, inventory());
    expect(r).toStrictEqual({
      schemaVersion: 1,
      tool: { name: "agent-audit", version: VERSION },
      target: TARGET,
      findings: [],
      probes: [],
      egress: { posture: "unknown" },
      checklist: r.checklist,
      score: { passed: 1, evaluated: 1, total: 6 },
      issues: [],
      stats: { files: 4, bytes: 1000, elapsedMs: 12, sources: ["env", "tree"] },
    });
    expect(Object.keys(r)).toEqual([
      "schemaVersion",
      "tool",
      "target",
      "findings",
      "probes",
      "egress",
      "checklist",
      "score",
      "issues",
      "stats",
    ]);
    expect(r.checklist.map((c) => c.status)).toEqual(["pass", "skip", "skip", "skip", "skip", "skip"]);
  });

  it("merges the inventory's and the capabilities' findings, sorted, without reordering the inputs", () => {
    const lowTree = finding("low", { source: "tree", path: "a" });
    const highHome = finding("high", { source: "home", path: "b" });
    const highEnv = finding("high", { source: "env", name: "X" });
    const critProbe = finding("critical", { source: "probe", target: "1.1.1.1:443" }, "default-deny-egress");
    const inv = [lowTree, highHome];
    const extra = [critProbe, highEnv];
    const r = buildReport(OPTS, inventory(inv), { findings: extra });
    expect(r.findings).toEqual([critProbe, highEnv, highHome, lowTree]);
    expect(inv).toEqual([lowTree, highHome]);
    expect(extra).toEqual([critProbe, highEnv]);
    // Step 1 scores the inventory's findings (the probe's critical finding is step 2's).
    expect(r.checklist[0]).toMatchObject({
      status: "fail",
      evidence: [highEnv.fingerprint, highHome.fingerprint],
    });
  });

  it("takes the posture, probes and egress evidence of the probes; the posture field wins", () => {
    const probe: Probe = {
      id: "direct-tcp",
      control: "default-deny-egress",
      method: "tcp",
      via: "direct",
      target: "192.0.2.1:443",
      outcome: "blocked",
      detail: "refused",
      latencyMs: 3,
    };
    const r = buildReport(OPTS, inventory(), {
      probes: [probe],
      posture: "kernel-enforced-with-proxy",
      egress: { posture: "open", proxy: { url: "http://proxy:3128" } },
      probed: true,
    });
    expect(r.probes).toEqual([probe]);
    expect(r.egress).toStrictEqual({
      posture: "kernel-enforced-with-proxy",
      proxy: { url: "http://proxy:3128" },
    });
  });

  it("concatenates the issues, the inventory's first, unsorted", () => {
    const a = { where: "z", message: "cannot read: permission denied (EACCES)" };
    const b = { where: "a", message: "malformed JSON; scanned as text" };
    const c = { where: "egress", message: "cannot read: the firewall rules" };
    const r = buildReport(OPTS, inventory([], [a, b]), { issues: [c] });
    expect(r.issues).toEqual([a, b, c]);
  });

  it("a coverage gap of the inventory warns step 1; an issue of another capability does not", () => {
    const gap = { where: "secret.txt", message: "cannot read: permission denied (EACCES)" };
    expect(buildReport(OPTS, inventory([], [gap])).checklist[0]!.status).toBe("warn");
    expect(buildReport(OPTS, inventory(), { issues: [gap] }).checklist[0]!.status).toBe("pass");
  });

  it("step 1 is skipped when the inventory did not run, and the score counts no evaluated step", () => {
    const r = buildReport(
      { ...OPTS, inventoryRan: false },
      inventory([finding("critical", { source: "env" })]),
    );
    expect(r.checklist[0]).toStrictEqual({
      step: 1,
      id: "secret-inventory",
      status: "skip",
      summary: "no secret source was scanned (--sources)",
      evidence: [],
    });
    expect(r.score).toStrictEqual({ passed: 0, evaluated: 0, total: 6 });
  });

  it("the capabilities' checklist verdicts reach the report and its score", () => {
    const r = buildReport(OPTS, inventory(), {
      checklist: {
        "default-deny-egress": { status: "pass", summary: "blocked", evidence: [] },
        "egress-proxy": { status: "fail", summary: "bypassable", evidence: ["fp1"] },
      },
    });
    expect(r.checklist.map((c) => `${c.step}:${c.status}`)).toEqual([
      "1:pass",
      "2:pass",
      "3:fail",
      "4:skip",
      "5:skip",
      "6:skip",
    ]);
    expect(r.checklist[2]).toStrictEqual({
      step: 3,
      id: "egress-proxy",
      status: "fail",
      summary: "bypassable",
      evidence: ["fp1"],
    });
    expect(r.score).toStrictEqual({ passed: 2, evaluated: 3, total: 6 });
  });

  it("has no policy or verdict: the app adds them", () => {
    const r = buildReport(OPTS, inventory());
    expect("policy" in r).toBe(false);
    expect("verdict" in r).toBe(false);
  });
});
