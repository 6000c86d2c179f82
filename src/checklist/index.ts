import {
  type ChecklistItem,
  type EgressPosture,
  type Finding,
  type Probe,
  SEVERITY_RANK,
  STEP_IDS,
  type StepId,
  type StepStatus,
} from "../core/types.js";

/** What the scorer knows beyond findings: which capabilities ran, and their own verdicts. */
export interface ChecklistInput {
  findings: Finding[];
  probes: Probe[];
  posture: EgressPosture;
  /** Whether the secret inventory ran (any secret source). */
  inventoryRan: boolean;
  /** Whether egress was probed (--probe / `probe`). */
  probed: boolean;
  /** Verdicts computed by later capabilities, keyed by step id; they win over the defaults here. */
  external?: Partial<Record<StepId, Omit<ChecklistItem, "step" | "id">>>;
}

const SKIP_REASONS: Record<StepId, string> = {
  "secret-inventory": "no secret source was scanned (--sources)",
  "default-deny-egress": "egress not probed: run with --probe",
  "egress-proxy": "egress not probed: run with --probe",
  "egress-alerting": "not evaluated yet: egress alerting checks are not implemented in this version",
  "approval-gate": "not evaluated yet: agent runtime inspection is not implemented in this version",
  "credential-scope": "not evaluated yet: credential scope checks are not implemented in this version",
};

function item(id: StepId, status: StepStatus, summary: string, evidence: string[] = []): ChecklistItem {
  return { step: STEP_IDS.indexOf(id) + 1, id, status, summary, evidence };
}

/** Step 1: every high/critical secret the agent can read is in the accepted inventory (baseline). */
export function scoreInventory(findings: Finding[]): ChecklistItem {
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
  const lower = inv.length - serious.length;
  return item(
    "secret-inventory",
    "pass",
    `${inv.length} secret${inv.length === 1 ? "" : "s"} found; ${accepted} accepted in the baseline, ${lower} below high severity`,
  );
}

export function scoreChecklist(input: ChecklistInput): ChecklistItem[] {
  return STEP_IDS.map((id) => {
    const ext = input.external?.[id];
    if (ext) return { step: STEP_IDS.indexOf(id) + 1, id, ...ext };
    if (id === "secret-inventory") {
      return input.inventoryRan ? scoreInventory(input.findings) : item(id, "skip", SKIP_REASONS[id]);
    }
    return item(id, "skip", SKIP_REASONS[id]);
  });
}

export function score(checklist: ChecklistItem[]): { passed: number; evaluated: number; total: number } {
  const evaluated = checklist.filter((c) => c.status !== "skip");
  return {
    passed: evaluated.filter((c) => c.status === "pass").length,
    evaluated: evaluated.length,
    total: checklist.length,
  };
}
