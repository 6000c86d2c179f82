import {
  type ChecklistItem,
  type EgressPosture,
  type Finding,
  type Probe,
  type ScanIssue,
  SEVERITY_RANK,
  STEP_IDS,
  type StepId,
  type StepStatus,
} from "../contract/types.js";

/** What the scorer knows beyond findings: which capabilities ran, and their own verdicts. */
export interface ChecklistInput {
  findings: Finding[];
  probes: Probe[];
  posture: EgressPosture;
  /** Whether the secret inventory ran (any secret source). */
  inventoryRan: boolean;
  /** The inventory's issues: coverage gaps turn a passing step 1 into `warn`. */
  issues?: ScanIssue[];
  /** Whether egress was probed (--probe / `probe`). */
  probed: boolean;
  /** Verdicts computed by later capabilities, keyed by step id; they win over the defaults here. */
  external?: Partial<Record<StepId, Omit<ChecklistItem, "step" | "id">>>;
}

const SKIP_REASONS: Record<StepId, string> = {
  "secret-inventory": "no secret source was scanned (--sources)",
  "default-deny-egress": "egress not probed: run with --probe",
  "egress-proxy": "egress not probed: run with --probe",
  "egress-alerting":
    "not judged here: `scan` reads the watcher config (agent-audit watch) and the agent's proxy",
  "approval-gate": "no agent runtime config was inspected (the home, tree and system sources were left out)",
  "credential-scope": "no secret source was scanned, so no credential's scope was judged",
};

function item(id: StepId, status: StepStatus, summary: string, evidence: string[] = []): ChecklistItem {
  return { step: STEP_IDS.indexOf(id) + 1, id, status, summary, evidence };
}

/**
 * Issues that mean part of what the agent can read was not scanned (a file over the size cap, an
 * unreadable file or directory). With any of them, step 1 cannot pass: it becomes `warn`. Malformed
 * files (still scanned as text) and other users' processes (unreadable to the agent too) are not gaps.
 */
const COVERAGE_GAP = /^(skipped:|cannot (read|list|stat|search))/;
export function isCoverageGap(issue: ScanIssue): boolean {
  return COVERAGE_GAP.test(issue.message);
}

/** Step 1: every high/critical secret the agent can read is in the accepted inventory (baseline). */
export function scoreInventory(findings: Finding[], issues: ScanIssue[] = []): ChecklistItem {
  const inv = findings.filter((f) => f.control === "secret-inventory");
  const serious = inv.filter((f) => SEVERITY_RANK[f.severity] >= SEVERITY_RANK.high);
  const open = serious.filter((f) => !f.accepted);
  const accepted = inv.filter((f) => f.accepted).length;
  if (open.length) {
    return item(
      "secret-inventory",
      "fail",
      `${open.length} high/critical secret${open.length === 1 ? "" : "s"} readable by the agent and not in the accepted inventory (baseline)`,
      open.map((f) => f.fingerprint),
    );
  }
  // Disjoint counts (issue 9 review: an accepted low finding was counted as accepted and as below
  // high), and "findings": mounted files and sockets are exposures, not all of them secrets.
  const lower = inv.length - serious.length;
  const found =
    `${inv.length} finding${inv.length === 1 ? "" : "s"}: ` +
    (serious.length
      ? `${serious.length} high/critical, all accepted in the baseline`
      : "none high/critical") +
    (lower
      ? `; ${lower} below high severity${accepted > serious.length ? ` (${accepted - serious.length} of them accepted)` : ""}`
      : "");
  const gaps = issues.filter(isCoverageGap).length;
  if (gaps) {
    return item(
      "secret-inventory",
      "warn",
      `${found}; but ${gaps} path${gaps === 1 ? "" : "s"} could not be scanned (see issues), so the inventory may be incomplete`,
    );
  }
  return item("secret-inventory", "pass", found);
}

export function scoreChecklist(input: ChecklistInput): ChecklistItem[] {
  return STEP_IDS.map((id) => {
    const ext = input.external?.[id];
    if (ext) return { step: STEP_IDS.indexOf(id) + 1, id, ...ext };
    if (id === "secret-inventory") {
      return input.inventoryRan
        ? scoreInventory(input.findings, input.issues)
        : item(id, "skip", SKIP_REASONS[id]);
    }
    // Probed, yet the egress capability gave no verdict for its step: never "not probed", never a
    // pass (fail closed; issue 9 review).
    if (input.probed && (id === "default-deny-egress" || id === "egress-proxy"))
      return item(id, "error", "egress was probed but the probes gave no verdict for this step");
    return item(id, "skip", SKIP_REASONS[id]);
  });
}

/**
 * Passed of evaluated steps, of all six. A step that could not be evaluated (`error`) is not
 * evaluated (shared/DESIGN.md: the score counts only evaluated steps), like a skipped one.
 */
export function score(checklist: ChecklistItem[]): { passed: number; evaluated: number; total: number } {
  const evaluated = checklist.filter((c) => c.status !== "skip" && c.status !== "error");
  return {
    passed: evaluated.filter((c) => c.status === "pass").length,
    evaluated: evaluated.length,
    total: checklist.length,
  };
}
