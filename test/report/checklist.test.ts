import { describe, expect, it } from "vitest";
import { makeFinding } from "../../src/contract/finding.js";
import type { ChecklistItem, Finding, Severity, StepId } from "../../src/contract/types.js";
import {
  type ChecklistInput,
  isCoverageGap,
  score,
  scoreChecklist,
  scoreInventory,
} from "../../src/report/checklist.js";

// src/report/checklist.ts: the six steps of shared/DESIGN.md, scored from the findings and from the
// verdicts of the capabilities that ran. Step 1 is scored here; steps 2-6 come from capabilities
// (`external`) or are skipped with the reason.

let seq = 0;
function finding(
  severity: Severity,
  over: { accepted?: boolean; control?: StepId; kind?: Finding["kind"] } = {},
): Finding {
  const subject = `subject-${seq++}`;
  const f = makeFinding({
    ruleId: "test-rule",
    control: over.control ?? "secret-inventory",
    kind: over.kind ?? "secret",
    severity,
    title: "t",
    remediation: "r",
    location: { source: "tree", path: `f${seq}.env` },
    subject,
  });
  f.accepted = over.accepted ?? false;
  return f;
}

function input(over: Partial<ChecklistInput> = {}): ChecklistInput {
  return { findings: [], probes: [], posture: "unknown", inventoryRan: true, probed: false, ...over };
}

const SKIPPED_2_TO_6: ChecklistItem[] = [
  {
    step: 2,
    id: "default-deny-egress",
    status: "skip",
    summary: "egress not probed: run with --probe",
    evidence: [],
  },
  {
    step: 3,
    id: "egress-proxy",
    status: "skip",
    summary: "egress not probed: run with --probe",
    evidence: [],
  },
  {
    step: 4,
    id: "egress-alerting",
    status: "skip",
    summary: "not judged here: `scan` reads the watcher config (agent-audit watch) and the agent's proxy",
    evidence: [],
  },
  {
    step: 5,
    id: "approval-gate",
    status: "skip",
    summary: "no agent runtime config was inspected (the home, tree and system sources were left out)",
    evidence: [],
  },
  {
    step: 6,
    id: "credential-scope",
    status: "skip",
    summary: "no secret source was scanned, so no credential's scope was judged",
    evidence: [],
  },
];

describe("scoreChecklist", () => {
  it("without the inventory and without capabilities: six skipped steps, with their reasons", () => {
    expect(scoreChecklist(input({ inventoryRan: false, findings: [finding("critical")] }))).toStrictEqual([
      {
        step: 1,
        id: "secret-inventory",
        status: "skip",
        summary: "no secret source was scanned (--sources)",
        evidence: [],
      },
      ...SKIPPED_2_TO_6,
    ]);
  });

  it("an inventory with nothing found passes step 1", () => {
    expect(scoreChecklist(input())).toStrictEqual([
      {
        step: 1,
        id: "secret-inventory",
        status: "pass",
        summary: "0 findings: none high/critical",
        evidence: [],
      },
      ...SKIPPED_2_TO_6,
    ]);
  });

  it("step 1 fails on a high or critical secret not in the baseline; the evidence lists them in order", () => {
    const crit = finding("critical");
    const high = finding("high");
    const list = [crit, finding("medium"), high, finding("high", { accepted: true }), finding("low")];
    const [step1] = scoreChecklist(input({ findings: list }));
    expect(step1).toStrictEqual({
      step: 1,
      id: "secret-inventory",
      status: "fail",
      summary: "2 high/critical secrets readable by the agent and not in the accepted inventory (baseline)",
      evidence: [crit.fingerprint, high.fingerprint],
    });
  });

  it("one open secret: singular summary", () => {
    const high = finding("high");
    expect(scoreInventory([high])).toStrictEqual({
      step: 1,
      id: "secret-inventory",
      status: "fail",
      summary: "1 high/critical secret readable by the agent and not in the accepted inventory (baseline)",
      evidence: [high.fingerprint],
    });
  });

  it("step 1 passes when every high/critical secret is accepted, and counts what it saw", () => {
    const list = [
      finding("critical", { accepted: true }),
      finding("high", { accepted: true }),
      finding("medium"),
      finding("low"),
      finding("info"),
    ];
    expect(scoreInventory(list)).toStrictEqual({
      step: 1,
      id: "secret-inventory",
      status: "pass",
      summary: "5 findings: 2 high/critical, all accepted in the baseline; 3 below high severity",
      evidence: [],
    });
    expect(scoreInventory([finding("medium")]).summary).toBe(
      "1 finding: none high/critical; 1 below high severity",
    );
  });

  it("medium and below never fail step 1, accepted or not", () => {
    expect(scoreInventory([finding("medium"), finding("low"), finding("info")]).status).toBe("pass");
  });

  it("findings of other steps do not count for step 1", () => {
    const other = [
      finding("critical", { control: "default-deny-egress", kind: "egress" }),
      finding("high", { control: "credential-scope", kind: "scope" }),
    ];
    expect(scoreInventory(other)).toStrictEqual({
      step: 1,
      id: "secret-inventory",
      status: "pass",
      summary: "0 findings: none high/critical",
      evidence: [],
    });
  });

  it("an exposure of step 1 (a readable secret file, a socket) counts like a secret", () => {
    const exposure = finding("high", { kind: "exposure" });
    expect(scoreInventory([exposure]).status).toBe("fail");
    expect(scoreInventory([exposure]).evidence).toEqual([exposure.fingerprint]);
  });

  it("a coverage gap turns a passing step 1 into warn; other issues do not", () => {
    const issues = [
      {
        where: "big.bin",
        message: "skipped: 20000000 bytes is over the 10485760-byte cap (--max-file-size)",
      },
      { where: "secret", message: "cannot read: permission denied (EACCES)" },
      { where: "app.yaml", message: "malformed YAML; scanned as text" },
    ];
    const [step1] = scoreChecklist(input({ findings: [finding("medium")], issues }));
    expect(step1).toStrictEqual({
      step: 1,
      id: "secret-inventory",
      status: "warn",
      summary:
        "1 finding: none high/critical; 1 below high severity; but 2 paths could not be scanned (see issues), so the inventory may be incomplete",
      evidence: [],
    });
    expect(scoreInventory([], [issues[1]!]).summary).toBe(
      "0 findings: none high/critical; but 1 path could not be scanned (see issues), so the inventory may be incomplete",
    );
    expect(scoreInventory([], [issues[2]!]).status).toBe("pass");
  });

  it("an open secret fails step 1 even with coverage gaps (fail beats warn)", () => {
    const high = finding("high");
    const issues = [{ where: "d", message: "cannot list: permission denied (EACCES)" }];
    expect(scoreInventory([high], issues)).toStrictEqual({
      step: 1,
      id: "secret-inventory",
      status: "fail",
      summary: "1 high/critical secret readable by the agent and not in the accepted inventory (baseline)",
      evidence: [high.fingerprint],
    });
  });

  it("the capabilities' own verdicts replace the defaults, numbered by their step", () => {
    const ext: ChecklistInput["external"] = {
      "default-deny-egress": { status: "fail", summary: "direct egress is open", evidence: ["p1", "p2"] },
      "egress-proxy": { status: "warn", summary: "the proxy can be bypassed", evidence: [] },
      "credential-scope": { status: "error", summary: "could not list policies", evidence: [] },
    };
    const list = scoreChecklist(input({ probed: true, posture: "open", external: ext }));
    expect(list.map((c) => [c.step, c.id, c.status])).toEqual([
      [1, "secret-inventory", "pass"],
      [2, "default-deny-egress", "fail"],
      [3, "egress-proxy", "warn"],
      [4, "egress-alerting", "skip"],
      [5, "approval-gate", "skip"],
      [6, "credential-scope", "error"],
    ]);
    expect(list[1]).toStrictEqual({
      step: 2,
      id: "default-deny-egress",
      status: "fail",
      summary: "direct egress is open",
      evidence: ["p1", "p2"],
    });
  });

  it("an external verdict for step 1 wins over the inventory's (the `probe` command's skip)", () => {
    const [step1] = scoreChecklist(
      input({
        findings: [finding("critical")],
        external: {
          "secret-inventory": { status: "skip", summary: "not evaluated by `probe`", evidence: [] },
        },
      }),
    );
    expect(step1).toStrictEqual({
      step: 1,
      id: "secret-inventory",
      status: "skip",
      summary: "not evaluated by `probe`",
      evidence: [],
    });
  });

  it("always lists the six steps in order", () => {
    expect(scoreChecklist(input()).map((c) => `${c.step}:${c.id}`)).toEqual([
      "1:secret-inventory",
      "2:default-deny-egress",
      "3:egress-proxy",
      "4:egress-alerting",
      "5:approval-gate",
      "6:credential-scope",
    ]);
  });
});

describe("isCoverageGap", () => {
  it("is true for skipped paths and paths that could not be read, listed, stat'ed or searched", () => {
    const gaps = [
      "skipped: a FIFO (never opened)",
      "cannot read: permission denied (EACCES)",
      "cannot read past byte 65536: I/O error (EIO); the first 65536 bytes were scanned",
      "cannot list: permission denied (EACCES)",
      "cannot stat: no such file or directory (ENOENT)",
      "cannot search: permission denied (EACCES)",
    ];
    for (const message of gaps) expect(isCoverageGap({ where: "x", message })).toBe(true);
  });
  it("is false for everything else", () => {
    const others = [
      "malformed JSON; scanned as text",
      "cannot resolve: no such file or directory (ENOENT)",
      "150 jwt findings: the first 100 are listed, 50 more are counted here only",
      "the file was skipped: cannot read",
      "",
    ];
    for (const message of others) expect(isCoverageGap({ where: "x", message })).toBe(false);
  });
});

describe("score", () => {
  const at = (...statuses: ChecklistItem["status"][]): ChecklistItem[] =>
    statuses.map((status, i) => ({
      step: i + 1,
      id: "secret-inventory",
      status,
      summary: "",
      evidence: [],
    }));

  it("counts passed among the evaluated (not skipped) steps, out of all", () => {
    expect(score(at("pass", "skip", "skip", "skip", "skip", "skip"))).toStrictEqual({
      passed: 1,
      evaluated: 1,
      total: 6,
    });
    expect(score(at("pass", "fail", "warn", "pass", "skip", "skip"))).toStrictEqual({
      passed: 2,
      evaluated: 4,
      total: 6,
    });
    expect(score(at("skip", "skip", "skip", "skip", "skip", "skip"))).toStrictEqual({
      passed: 0,
      evaluated: 0,
      total: 6,
    });
    expect(score([])).toStrictEqual({ passed: 0, evaluated: 0, total: 0 });
  });

  it("does not count a step that could not be evaluated (error) as evaluated (DESIGN.md)", () => {
    expect(score(at("pass", "error", "error", "skip", "skip", "skip"))).toStrictEqual({
      passed: 1,
      evaluated: 1,
      total: 6,
    });
    expect(score(at("error", "fail", "pass", "skip", "skip", "skip"))).toStrictEqual({
      passed: 1,
      evaluated: 2,
      total: 6,
    });
  });

  it("scores a checklist from scoreChecklist", () => {
    const list = scoreChecklist(input({ findings: [finding("high")] }));
    expect(score(list)).toStrictEqual({ passed: 0, evaluated: 1, total: 6 });
    expect(score(scoreChecklist(input()))).toStrictEqual({ passed: 1, evaluated: 1, total: 6 });
  });
});

describe("steps 2 and 3 when egress was probed but gave no verdict (issue 9 review)", () => {
  it("are errors, not 'not probed' and never a pass", () => {
    const steps = scoreChecklist(input({ probed: true }));
    expect(steps.filter((s) => s.id === "default-deny-egress" || s.id === "egress-proxy")).toEqual([
      {
        step: 2,
        id: "default-deny-egress",
        status: "error",
        summary: "egress was probed but the probes gave no verdict for this step",
        evidence: [],
      },
      {
        step: 3,
        id: "egress-proxy",
        status: "error",
        summary: "egress was probed but the probes gave no verdict for this step",
        evidence: [],
      },
    ]);
  });
});
