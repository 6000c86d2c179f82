import { styleText } from "node:util";
import type { AuditReport, Finding, Severity, StepStatus } from "../contract/types.js";
import { configPathLabel, failOnLabel, mcpRows, policyLines, runtimeRows } from "./labels.js";
import { escapeReport } from "./sanitize.js";

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

/** Gate and sandbox statuses: green when on, red when off. */
const GATE_COLOR: Record<string, Color> = {
  covered: "green",
  on: "green",
  partial: "yellow",
  weak: "yellow",
  off: "red",
  unknown: "magenta",
  none: "gray",
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

/**
 * One line per row, two spaces in, columns padded to the widest cell of the block up to `caps` (a
 * longer cell pushes the rest of its line along, it is never cut: a path is shown whole). The
 * first cell is painted. Compact on purpose (issue 9): no rules between rows, nothing wrapped.
 */
function columns(rows: string[][], caps: number[], paint: (row: number, cell: string) => string): string[] {
  const widths = caps.map((cap, c) => Math.min(cap, Math.max(0, ...rows.map((r) => (r[c] ?? "").length))));
  return rows.map((r, i) => {
    const cells = r.map((cell, c) => (c < widths.length ? cell.padEnd(widths[c]!) : cell));
    cells[0] = paint(i, cells[0]!);
    return `  ${cells.join("  ")}`.trimEnd();
  });
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
    // Where goes last: a path of any length then never pushes the other columns out of line.
    const rows = list.map((f) => [
      f.accepted ? `${f.severity} ✓` : f.severity,
      f.secret ? f.secret.preview : "",
      `${f.title} [${f.ruleId}]`,
      f.location.source === "agent-config" && f.location.path
        ? `${configPathLabel(report, f.location.path)}${f.location.line ? `:${f.location.line}` : ""}${f.location.name ? ` ${f.location.name}` : ""}`
        : where(f),
    ]);
    const colors = list.map((f) => SEVERITY_COLOR[f.severity]);
    for (const line of columns(rows, [10, 11, 72], (r, cell) => paint(colors[r]!, cell))) out.push(line);
    out.push("");
  }
  if (report.findings.length === 0) out.push("No findings.", "");

  if (report.probes.length) {
    out.push(paint("bold", `Egress probes (${report.probes.length}): posture ${report.egress.posture}`));
    const colors: Color[] = [];
    const rows = report.probes.map((p) => {
      const expected = (p as { expected?: string }).expected;
      const bad = p.outcome === "error" || (expected !== undefined && p.outcome !== expected);
      colors.push(p.outcome === "error" ? "magenta" : bad ? "red" : "green");
      return [p.outcome, p.method, p.via, p.target, p.detail];
    });
    for (const line of columns(rows, [8, 8, 6, 40], (r, cell) => paint(colors[r]!, cell))) out.push(line);
    out.push("");
  }

  const runtimes = runtimeRows(report);
  if (report.agents) {
    const total = report.agents.runtimes.length;
    out.push(paint("bold", `Agent runtimes (${runtimes.rows.length} of ${total} found)`));
    for (const r of runtimes.rows) {
      out.push(`  ${r.name}`);
      out.push(`    gate     ${paint(GATE_COLOR[r.gateStatus] ?? "gray", r.gateStatus)}: ${r.gate}`);
      out.push(`    sandbox  ${paint(GATE_COLOR[r.sandboxStatus] ?? "gray", r.sandboxStatus)}: ${r.sandbox}`);
      out.push(`    files    ${r.files.join(", ") || "none (found by an environment marker)"}`);
      if (r.servers !== undefined) out.push(`    mcp      ${r.servers}`);
      if (r.skills !== undefined) out.push(`    skills   ${r.skills}`);
      for (const t of r.top)
        out.push(`    ${paint(SEVERITY_COLOR[t.severity], t.severity.padEnd(8))} ${t.title} [${t.ruleId}]`);
      if (r.more) out.push(`    … and ${r.more} more (listed above)`);
    }
    if (runtimes.absent.length) out.push(`  not found: ${runtimes.absent.join(", ")}`);
    for (const m of report.agents.markers) out.push(`  environment: ${m.meaning}`);
    out.push("");
  }

  // Issue 16: every MCP server, skill, instruction file and tool list, with its worst findings.
  const mcp = mcpRows(report);
  for (const [title, rows, none] of [
    ["MCP servers", mcp.servers, report.agents?.servers],
    ["Skills and instruction files", mcp.skills, report.agents?.skills],
    ["MCP tool lists", mcp.tools, report.agents?.toolLists],
  ] as const) {
    if (!none) continue;
    out.push(paint("bold", `${title} (${rows.length})`));
    if (!rows.length) out.push("  none found");
    for (const r of rows) {
      out.push(`  ${r.label}${r.what ? `  ${r.what}` : ""}`);
      if (r.detail) out.push(`    ${r.detail}`);
      for (const t of r.top)
        out.push(`    ${paint(SEVERITY_COLOR[t.severity], t.severity.padEnd(8))} ${t.title} [${t.ruleId}]`);
      if (r.more) out.push(`    … and ${r.more} more (listed above)`);
    }
    out.push("");
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
