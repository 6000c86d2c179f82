import {
  type AuditReport,
  type Finding,
  SEVERITY_RANK,
  type Severity,
  STEP_IDS,
  type StepId,
  type StepStatus,
} from "../contract/types.js";
import {
  failingFindings,
  failOnLabel,
  locationLabel,
  mcpRows,
  policyLines,
  runtimeRows,
  STEP_INFO,
} from "./labels.js";
import { escapeReport } from "./sanitize.js";

/**
 * A report a person pastes into a pull request or an incident ticket (GitHub Flavored Markdown,
 * https://github.github.com/gfm/): the scorecard first, then findings per control, then what to do.
 * Previews are shown: they are the contract's redaction (at most 4 characters of a secret of 16+).
 */

const BADGE: Record<StepStatus, string> = {
  pass: "**PASS**",
  fail: "**FAIL**",
  warn: "**WARN**",
  skip: "SKIP",
  error: "**ERROR**",
};

/** Plain text in a table cell: backslash-escape Markdown syntax (GFM §6.1) and keep it on one line. */
export function mdText(s: string): string {
  return s.replace(/\r?\n|\r/g, " ").replace(/[\\`*_[\]<>|~&]/g, (c) => `\\${c}`);
}

/**
 * A code span. In a table cell GFM splits rows on unescaped `|` before inline parsing (GFM §4.10),
 * so `\|` is needed even inside a code span; outside a table the backslash would show, so it is not
 * added there. A backtick run in the value needs a longer fence (GFM §6.1).
 */
export function mdCode(s: string, inTable = true): string {
  const flat = s.replace(/\r?\n|\r/g, " ");
  const v = inTable ? flat.replace(/\|/g, "\\|") : flat;
  // A loop, not Math.max(...runs): a name of 125k backtick runs would overflow the stack (issue 8).
  let longest = 0;
  for (const run of v.match(/`+/g) ?? []) if (run.length > longest) longest = run.length;
  const fence = "`".repeat(longest + 1);
  const pad = longest > 0 ? " " : "";
  return `${fence}${pad}${v}${pad}${fence}`;
}

function whereCell(f: Finding, inTable = true): string {
  const l = f.location;
  const code = (v: string) => mdCode(v, inTable);
  switch (l.source) {
    case "env":
      return `env ${code(l.name ?? "")}`;
    case "tree":
      return code(locationLabel(l));
    case "home":
      return code(locationLabel(l));
    case "probe":
      return `egress ${code(l.target ?? l.path ?? "")}`;
    case "process":
      return `process ${code(l.name ?? "")}${l.path ? ` in ${code(l.path)}` : ""}`;
    default:
      return `${l.source} ${code(l.path ?? l.target ?? l.name ?? "")}`;
  }
}

interface Action {
  severity: Severity;
  text: string;
  applies: string[];
}

/** Distinct remediations of failing findings and failing steps, most severe first. */
function actions(report: AuditReport): Action[] {
  const byText = new Map<string, Action>();
  const add = (severity: Severity, text: string, applies: string) => {
    const a = byText.get(text);
    if (!a) {
      byText.set(text, { severity, text, applies: [applies] });
      return;
    }
    if (SEVERITY_RANK[severity] > SEVERITY_RANK[a.severity]) a.severity = severity;
    if (!a.applies.includes(applies)) a.applies.push(applies);
  };
  for (const f of failingFindings(report))
    add(f.severity, f.remediation, `${f.ruleId} at ${whereCell(f, false)}`);
  // A failing step ranks as high: the sandbox misses a control (same as the SARIF rule severity).
  for (const c of report.checklist) {
    if (c.status === "fail")
      add("high", STEP_INFO[c.id].remediation, `step ${c.step} ${mdCode(c.id, false)}`);
  }
  // Stable sort: equal severities keep their order (findings in report order, then steps).
  return [...byText.values()].sort((a, b) => SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity]);
}

/** Every field's control characters are escaped visibly first (issue 8): Markdown shows them as text. */
export function renderMarkdown(data: AuditReport, _opts?: { color: boolean }): string {
  const report = escapeReport(data);
  const t = report.target;
  const out: string[] = [
    "# agent-audit report",
    "",
    `Target: user ${mdCode(t.user)} on ${mdCode(t.hostname)}, home ${mdCode(t.home)}, working tree ${mdCode(t.root)}. ` +
      `agent-audit ${mdText(report.tool.version)}; egress posture ${mdCode(report.egress.posture)}.`,
    "",
    "## Checklist",
    "",
    "| step | id | status | summary |",
    "|---:|---|---|---|",
  ];
  for (const c of report.checklist) {
    out.push(`| ${c.step} | ${mdCode(c.id)} | ${BADGE[c.status]} | ${mdText(c.summary)} |`);
  }
  const s = report.score;
  out.push(
    "",
    `Coverage: ${s.evaluated} of ${s.total} steps evaluated, ${s.passed} passed.` +
      (report.verdict
        ? ` Gate: ${report.verdict.failing.length} finding${report.verdict.failing.length === 1 ? "" : "s"} at or above ${mdText(failOnLabel(report))} outside the baseline.`
        : ""),
    "",
    `## Findings (${report.findings.length})`,
    "",
  );
  if (report.findings.length === 0) out.push("No findings.", "");
  const accepted = report.findings.filter((f) => f.accepted).length;
  if (accepted) {
    out.push(
      `${accepted} finding${accepted === 1 ? " is" : "s are"} marked *(accepted)*: listed in the baseline, reported but never failing the gate.`,
      "",
    );
  }
  const groups = new Map<StepId, Finding[]>();
  for (const f of report.findings) groups.set(f.control, [...(groups.get(f.control) ?? []), f]);
  for (const id of STEP_IDS) {
    const list = groups.get(id);
    if (!list) continue;
    out.push(
      `### ${id} (step ${STEP_IDS.indexOf(id) + 1}): ${list.length} finding${list.length === 1 ? "" : "s"}`,
      "",
      "| severity | where | what | preview |",
      "|---|---|---|---|",
    );
    for (const f of list) {
      const sev = f.accepted ? `${f.severity} *(accepted)*` : f.severity;
      const preview = f.secret ? mdCode(f.secret.preview) : "";
      out.push(`| ${sev} | ${whereCell(f)} | ${mdText(f.title)} | ${preview} |`);
    }
    out.push("");
  }
  if (report.agents) {
    const { rows, absent } = runtimeRows(report);
    out.push(`## Agent runtimes (${rows.length} of ${report.agents.runtimes.length} found)`, "");
    if (rows.length) {
      const mcp = rows.some((r) => r.servers !== undefined);
      out.push(
        `| runtime | config files | gate | sandbox |${mcp ? " MCP servers | skills and instructions |" : ""} top problems |`,
        `|---|---|---|---|${mcp ? "---|---|" : ""}---|`,
      );
      for (const r of rows) {
        const top = r.top.map((t) => `${t.severity}: ${mdText(t.title)} (${mdCode(t.ruleId)})`);
        if (r.more) top.push(`… and ${r.more} more`);
        out.push(
          `| ${mdText(r.name)} | ${r.files.map((f) => mdCode(f)).join("<br>") || "none (environment marker)"} | ` +
            `**${r.gateStatus}**: ${mdText(r.gate)} | **${r.sandboxStatus}**: ${mdText(r.sandbox)} | ` +
            (mcp ? `${mdText(r.servers ?? "")} | ${mdText(r.skills ?? "")} | ` : "") +
            `${top.join("<br>") || "none"} |`,
        );
      }
      out.push("");
    }
    if (absent.length) out.push(`Not found: ${absent.map(mdText).join(", ")}.`, "");
    for (const m of report.agents.markers) out.push(`- Environment: ${mdText(m.meaning)}`);
    if (report.agents.markers.length) out.push("");
    // Issue 16: MCP servers, skills and instruction files, tool lists.
    const mcp = mcpRows(report);
    for (const [title, rows, shown] of [
      ["MCP servers", mcp.servers, report.agents.servers],
      ["Skills and instruction files", mcp.skills, report.agents.skills],
      ["MCP tool lists", mcp.tools, report.agents.toolLists],
    ] as const) {
      if (!shown) continue;
      out.push(`## ${title} (${rows.length})`, "");
      if (!rows.length) {
        out.push("None found.", "");
        continue;
      }
      out.push("| what | runs / where | context | top problems |", "|---|---|---|---|");
      for (const r of rows) {
        const top = r.top.map((t) => `${t.severity}: ${mdText(t.title)} (${mdCode(t.ruleId)})`);
        if (r.more) top.push(`… and ${r.more} more`);
        out.push(
          `| ${mdText(r.label)} | ${r.what ? mdCode(r.what) : ""} | ${mdText(r.detail)} | ${top.join("<br>") || "none"} |`,
        );
      }
      out.push("");
    }
  }
  if (report.probes.length) {
    out.push(
      `## Egress probes (${report.probes.length})`,
      "",
      "| probe | via | target | outcome | detail |",
      "|---|---|---|---|---|",
    );
    for (const p of report.probes) {
      out.push(
        `| ${mdCode(p.id)} | ${p.via} | ${mdCode(p.target)} | ${mdText(p.outcome)} | ${mdText(p.detail)} |`,
      );
    }
    out.push("");
  }
  out.push("## What to do next", "");
  const todo = actions(report);
  if (todo.length === 0) {
    out.push(
      `Nothing fails: no finding at or above ${failOnLabel(report)} outside the baseline, no failing step.`,
    );
  }
  todo.forEach((a, i) => {
    out.push(`${i + 1}. **${a.severity}**: ${mdText(a.text)} (${a.applies.join("; ")})`);
  });
  out.push("");
  const policy = policyLines(report);
  if (policy.length) {
    out.push("## Policy", "");
    for (const l of policy) out.push(`- ${mdText(l)}`);
    out.push("");
  }
  if (report.issues.length) {
    out.push(`## Scan issues (${report.issues.length}): the scan went on`, "");
    for (const i of report.issues.slice(0, 20)) out.push(`- ${mdCode(i.where, false)}: ${mdText(i.message)}`);
    if (report.issues.length > 20) out.push(`- … and ${report.issues.length - 20} more (see --format json)`);
    out.push("");
  }
  return `${out.join("\n")}`;
}
