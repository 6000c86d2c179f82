import { sortFindings } from "../contract/finding.js";
import type {
  AuditReport,
  ExtraResults,
  Finding,
  ReportTarget,
  ScanIssue,
  SourceName,
} from "../contract/types.js";
import { toolVersion } from "../util/version.js";
import { score, scoreChecklist } from "./checklist.js";

/** What the inventory (step 1) gives the report. */
export interface InventoryPart {
  findings: Finding[];
  issues: ScanIssue[];
  stats: { files: number; bytes: number };
}

/**
 * Assembles the report: the inventory and the capabilities beside it, scored against the six
 * steps. Pure: the caller (app/scan.ts) redacts the result before anything reads it (issue 8, the
 * output boundary's first half).
 */
export function buildReport(
  opts: { target: ReportTarget; inventoryRan: boolean; elapsedMs: number; sources: SourceName[] },
  inventory: InventoryPart,
  extra: ExtraResults = {},
): AuditReport {
  const findings = sortFindings([...inventory.findings, ...(extra.findings ?? [])]);
  const probes = extra.probes ?? [];
  const posture = extra.posture ?? "unknown";
  const checklist = scoreChecklist({
    findings,
    probes,
    posture,
    inventoryRan: opts.inventoryRan,
    issues: inventory.issues,
    probed: extra.probed ?? false,
    external: extra.checklist,
  });
  return {
    schemaVersion: 1,
    tool: { name: "agent-audit", version: toolVersion() },
    target: opts.target,
    findings,
    probes,
    egress: { ...(extra.egress ?? {}), posture },
    checklist,
    score: score(checklist),
    issues: [...inventory.issues, ...(extra.issues ?? [])],
    ...(extra.agents ? { agents: extra.agents } : {}),
    stats: { ...inventory.stats, elapsedMs: opts.elapsedMs, sources: opts.sources },
  };
}
