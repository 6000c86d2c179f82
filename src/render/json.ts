import type { AuditReport } from "../contract/types.js";
import { escapeJsonControls } from "../util/controls.js";

/**
 * The JSON contract (shared/DESIGN.md). Scan statistics are timing-dependent and left out. The data
 * stay as they are; the characters a terminal would obey and JSON.stringify leaves raw (C1, bidi
 * controls, line separators) are written as \uXXXX escapes, the same strings to a parser (issue 8).
 */
export function renderJson(report: AuditReport): string {
  const { stats: _stats, ...rest } = report;
  return `${escapeJsonControls(JSON.stringify(rest, null, 2))}\n`;
}
