import type { AuditReport } from "../core/types.js";

/** The JSON contract (shared/DESIGN.md). Scan statistics are timing-dependent and left out. */
export function renderJson(report: AuditReport): string {
  const { stats: _stats, ...rest } = report;
  return `${JSON.stringify(rest, null, 2)}\n`;
}
