import { resolve } from "node:path";
import type { AgentAuditConfig } from "../config/index.js";
import type { AuditReport } from "../contract/types.js";
import { outputText, redactReport } from "../detect/redact.js";
import { REPORTERS, reporterNames } from "../render/index.js";
import { defaultRules, ruleCatalog } from "../rules/catalog.js";
import { UsageError } from "../util/errors.js";
import { checkReplaceable, writeFileReplacing } from "../util/safe-write.js";
import type { CliIo } from "./io.js";

/** A bad --format or --report value is never echoed: it may be anything, a pasted secret too (issue 8). */
function unknownFormat(flag: string): UsageError {
  return new UsageError(`${flag}: unknown format`, `choose from ${reporterNames().join(", ")}`);
}

function render(report: AuditReport, format: string, color: boolean): string {
  const fn = REPORTERS[format];
  if (!fn) throw unknownFormat("--format");
  // The rule catalog of the rules the scan used (the CLI scans with the packaged ones), as data:
  // the SARIF rule list shows every rule of it (issue 9).
  return fn(report, format === "sarif" ? { color, rules: ruleCatalog(defaultRules()) } : { color });
}

/**
 * Report files pass the same output boundary as stdout, and are written without following a link
 * or blocking on a FIFO planted at their path (issue 8; see writeFileReplacing).
 */
function writeFile(path: string, text: string, flag: string): void {
  writeFileReplacing(path, outputText(text), `${flag} ${path}`);
}

/** Parses `FORMAT:PATH` (--report). */
export function parseReportSpec(spec: string): { format: string; path: string } {
  const i = spec.indexOf(":");
  if (i <= 0 || i === spec.length - 1)
    throw new UsageError("--report: expected FORMAT:PATH", "e.g. --report sarif:agent-audit.sarif");
  const format = spec.slice(0, i);
  if (!REPORTERS[format]) throw unknownFormat("--report");
  return { format, path: spec.slice(i + 1) };
}

/** Checks --format and every --report before any work is done (a typo must not cost a whole scan). */
export function validateOutputFlags(flags: { format?: string; report: string[] }): void {
  const format = flags.format ?? "table";
  if (!REPORTERS[format]) throw unknownFormat("--format");
  for (const r of flags.report) parseReportSpec(r);
}

/**
 * Renders the main report (stdout or --output) and every --report FORMAT:PATH. The report is
 * redacted again first: issues added after buildReport() (stale baseline entries quote the baseline
 * file, which lives in the audited tree) pass the same redactor as the rest (issue 8).
 */
export function writeReports(
  assembled: AuditReport,
  flags: { format?: string; output?: string; report: string[] },
  io: CliIo,
  _config: AgentAuditConfig,
): void {
  const report = redactReport(assembled);
  const format = flags.format ?? "table";
  const extra = flags.report.map(parseReportSpec);
  // Render everything before writing anything, so a bad format leaves no half-written set.
  const main = render(
    report,
    format,
    !flags.output && io.stdoutIsTTY && format === "table" && !io.env.NO_COLOR,
  );
  const others = extra.map((r) => ({ path: resolve(io.cwd, r.path), text: render(report, r.format, false) }));
  // Every destination checked before anything is written: a FIFO at one leaves no half-written set.
  if (flags.output)
    checkReplaceable(resolve(io.cwd, flags.output), `--output ${resolve(io.cwd, flags.output)}`);
  for (const o of others) checkReplaceable(o.path, `--report ${o.path}`);
  if (flags.output) writeFile(resolve(io.cwd, flags.output), main, "--output");
  else io.stdout(main);
  for (const o of others) writeFile(o.path, o.text, "--report");
}
