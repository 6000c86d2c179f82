// Human-facing renderers escape control characters in every field of a report (issue 8, the
// output boundary: detect/redact.ts redacts, this escapes).

import type { AuditReport } from "../contract/types.js";
import { escapeControls } from "../util/controls.js";
import { mapStrings } from "../util/map-strings.js";

/**
 * The report with every string's control characters escaped visibly (escapeControls): for the
 * human-facing renderers (table, markdown) and the XML and SARIF ones, whose text a person reads.
 * The renderer's own formatting (colours, line breaks) is added after this, so it stays.
 */
export function escapeReport(report: AuditReport): AuditReport {
  return mapStrings(report, escapeControls, new Set(["stats"]));
}
