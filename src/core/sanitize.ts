// The output boundary of issue 8 (items 5 and 6): what a report may hold, and what a written text
// may hold. Reports are redacted field by field when they are assembled (buildReport) and again
// before they are rendered (writeReports: issues added after assembly, such as stale baseline
// entries, pass too); human-facing renderers escape control characters in every field; every
// written text gets a last scrub of the run's known secret values.

import { escapeControls, escapeStreamControls } from "./controls.js";
import { activeRedactor, Redactor } from "./redact.js";
import type { AuditReport } from "./types.js";

/**
 * Fields that agent-audit itself fills from closed sets or from the secret's own redaction: never
 * audited-world text. Everything else in a report (paths, names, targets, hosts, users, issue texts,
 * probe details, titles that quote a probe's answer, egress evidence) is redacted.
 */
const OWN_FIELDS = new Set([
  "fingerprint",
  "ruleId",
  "control",
  "kind",
  "severity",
  "provider",
  "type",
  "preview",
  "status",
  "schemaVersion",
  "tool",
  "stats",
]);

/** Every string of a JSON-like value through `f`, except under the keys in `skip`. A new value. */
function mapStrings<T>(value: T, f: (s: string) => string, skip: ReadonlySet<string>): T {
  // Plain loops (no Object.entries pairs): a report can hold 24k findings per MB scanned (issue 8).
  const walk = (v: unknown): unknown => {
    if (typeof v === "string") return f(v);
    if (Array.isArray(v)) {
      const out = new Array<unknown>(v.length);
      for (let i = 0; i < v.length; i++) out[i] = walk(v[i]);
      return out;
    }
    if (v !== null && typeof v === "object") {
      const out: Record<string, unknown> = {};
      for (const k of Object.keys(v)) {
        const x = (v as Record<string, unknown>)[k];
        out[k] = skip.has(k) ? x : walk(x);
      }
      return out;
    }
    return v;
  };
  return walk(value) as T;
}

/** The redactor for this run: the CLI's, or one with no known values (content rules and userinfo still apply). */
export function runRedactor(): Redactor {
  return activeRedactor() ?? new Redactor();
}

/**
 * The report with every audited-world string redacted (Redactor.redact: known secret values,
 * content-rule matches including tokens embedded in names, URL userinfo). Fingerprints are not
 * touched: they were computed on the raw values. Idempotent: a redacted string has nothing left to
 * redact.
 */
export function redactReport(report: AuditReport, redactor: Redactor = runRedactor()): AuditReport {
  return mapStrings(report, (s) => redactor.redact(s), OWN_FIELDS);
}

/**
 * The report with every string's control characters escaped visibly (escapeControls): for the
 * human-facing renderers (table, markdown) and the XML and SARIF ones, whose text a person reads.
 * The renderer's own formatting (colours, line breaks) is added after this, so it stays.
 */
export function escapeReport(report: AuditReport): AuditReport {
  return mapStrings(report, escapeControls, new Set(["stats"]));
}

/**
 * The last line before any text leaves the process (stdout, stderr, report files): the run's
 * known secret values, raw or as a format escapes them, become their previews, and any control
 * character still there is escaped, except newlines and agent-audit's own colour and
 * progress-erase sequences.
 */
export function outputText(text: string, redactor: Redactor | undefined = activeRedactor()): string {
  const scrubbed = redactor ? redactor.scrub(text) : text;
  // Most texts hold no control but newlines: one test, no copy of a many-MB report (issue 8).
  return CONTROL_BUT_NEWLINE.test(scrubbed) ? escapeStreamControls(scrubbed) : scrubbed;
}

/** The characters escapeStreamControls() may escape (escapeControls' set), newline excepted. */
const CONTROL_BUT_NEWLINE =
  /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
