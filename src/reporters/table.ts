import { styleText } from "node:util";
import Table from "cli-table3";
import { escapeReport } from "../core/sanitize.js";
import type { AuditReport, Finding, Severity, StepStatus } from "../core/types.js";
import { failOnLabel, policyLines } from "./labels.js";

type Color = Parameters<typeof styleText>[0];
const SEVERITY_COLOR: Record<Severity, Color> = {
  critical: ["bold", "red"],
  high: "red",
  medium: "yellow",
  low: "cyan",
  info: "gray",
};
const STATUS_COLOR: Record<StepStatus, Color> = {
  pass: "green",
  fail: "red",
  warn: "yellow",
  skip: "gray",
  error: "magenta",
};

const SOURCE_TITLE: Record<string, string> = {
  env: "Environment",
  home: "Home directory",
  tree: "Working tree",
  mount: "Mounted secrets",
  socket: "Sockets",
  process: "Other processes",
  probe: "Egress probes",
  "agent-config": "Agent runtime configs",
  cloud: "Cloud",
};

/** Paths and ids have no spaces to wrap at: cut them at the column width instead of truncating. */
function hardWrap(text: string, width: number): string {
  if (text.length <= width) return text;
  const parts: string[] = [];
  for (let i = 0; i < text.length; i += width) parts.push(text.slice(i, i + width));
  return parts.join("\n");
}

export function where(f: Finding): string {
  const l = f.location;
  if (l.name && l.path) return `${l.path} ${l.name}`;
  if (l.name) return l.name;
  if (l.target) return l.target;
  return l.line ? `${l.path}:${l.line}` : (l.path ?? "");
}

/**
 * The human report: findings grouped by source, severity-coloured, then the checklist and a summary
 * line. Every field is escaped first (issue 8): a file name of cursor and erase sequences shows as
 * `\x1b[2A`, it cannot redraw the checklist. Only the colours added here are real escape sequences.
 */
export function renderTable(data: AuditReport, opts: { color: boolean }): string {
  const report = escapeReport(data);
  const paint = (c: Color, s: string) => (opts.color ? styleText(c, s) : s);
  const out: string[] = [];
  const groups = new Map<string, Finding[]>();
  for (const f of report.findings) {
    const list = groups.get(f.location.source) ?? [];
    list.push(f);
    groups.set(f.location.source, list);
  }
  for (const [source, list] of groups) {
    out.push(paint("bold", `${SOURCE_TITLE[source] ?? source} (${list.length})`));
    const table = new Table({
      head: ["severity", "where", "what", "secret", "rule"],
      style: { head: [], border: [] },
      wordWrap: true,
      colWidths: [10, 38, 40, 16, 30],
    });
    for (const f of list) {
      const sev = f.accepted ? `${f.severity} ✓` : f.severity;
      table.push([
        paint(SEVERITY_COLOR[f.severity], sev),
        hardWrap(where(f), 36),
        f.title,
        f.secret ? f.secret.preview : "",
        hardWrap(f.ruleId, 28),
      ]);
    }
    out.push(table.toString(), "");
  }
  if (report.findings.length === 0) out.push("No findings.", "");

  if (report.probes.length) {
    out.push(paint("bold", `Egress probes (${report.probes.length}): posture ${report.egress.posture}`));
    const table = new Table({
      head: ["outcome", "method", "via", "target", "detail"],
      style: { head: [], border: [] },
      wordWrap: true,
      colWidths: [9, 9, 8, 38, 48],
    });
    for (const p of report.probes) {
      const expected = (p as { expected?: string }).expected;
      const bad = p.outcome === "error" || (expected !== undefined && p.outcome !== expected);
      const color: Color = p.outcome === "error" ? "magenta" : bad ? "red" : "green";
      table.push([paint(color, p.outcome), p.method, p.via, hardWrap(p.target, 36), p.detail]);
    }
    out.push(table.toString(), "");
  }

  out.push(paint("bold", "Checklist"));
  for (const c of report.checklist) {
    out.push(
      `  ${c.step}. ${paint(STATUS_COLOR[c.status], c.status.toUpperCase().padEnd(5))} ${c.id}: ${c.summary}`,
    );
  }
  out.push("");
  const policy = policyLines(report);
  if (policy.length) {
    out.push(paint("bold", "Policy"));
    for (const l of policy) out.push(`  ${l}`);
    out.push("");
  }
  if (report.issues.length) {
    out.push(paint("bold", `Issues (${report.issues.length}): the scan went on`));
    for (const i of report.issues.slice(0, 20)) out.push(`  ${i.where}: ${i.message}`);
    if (report.issues.length > 20) out.push(`  … and ${report.issues.length - 20} more (see --format json)`);
    out.push("");
  }
  out.push(summaryLine(report));
  return `${out.join("\n")}\n`;
}

export function summaryLine(report: AuditReport): string {
  const counts: Record<Severity, number> = { critical: 0, high: 0, medium: 0, low: 0, info: 0 };
  for (const f of report.findings) counts[f.severity]++;
  const accepted = report.findings.filter((f) => f.accepted).length;
  const sev = (Object.keys(counts) as Severity[])
    .filter((s) => counts[s] > 0)
    .map((s) => `${counts[s]} ${s}`)
    .join(", ");
  const s = report.score;
  const stats = report.stats
    ? `; ${report.stats.files} files, ${(report.stats.bytes / 1e6).toFixed(1)} MB in ${(report.stats.elapsedMs / 1000).toFixed(2)}s`
    : "";
  return (
    `${report.findings.length} finding${report.findings.length === 1 ? "" : "s"}` +
    (sev ? ` (${sev})` : "") +
    (accepted ? `, ${accepted} accepted` : "") +
    (report.verdict
      ? `; ${report.verdict.failing.length} at or above --fail-on ${failOnLabel(report)}`
      : "") +
    `; score ${s.passed}/${s.evaluated} (${s.evaluated} of ${s.total} steps evaluated)` +
    stats
  );
}
