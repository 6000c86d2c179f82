import {
  type AuditReport,
  type Finding,
  type Location,
  type McpValueView,
  SEVERITY_RANK,
  type SecretInfo,
  type Severity,
  STEP_IDS,
  type StepId,
} from "../contract/types.js";

/**
 * Shared wording of the CI reporters (sarif, junit, markdown). The step texts restate the table in
 * shared/DESIGN.md ("The threat and the six controls"); the step ids are the public contract.
 */
export interface StepInfo {
  title: string;
  /** When the step passes (DESIGN.md, "passes when"). */
  passesWhen: string;
  /** What an operator does when the step fails. */
  remediation: string;
}

export const STEP_INFO: Record<StepId, StepInfo> = {
  "secret-inventory": {
    title: "Secret inventory",
    passesWhen:
      "Every high or critical secret the agent can read is known: listed in the accepted inventory (the baseline file), none unacknowledged.",
    remediation:
      "Remove or rotate each high/critical secret the agent can read, or record it knowingly in the accepted inventory (the baseline file).",
  },
  "default-deny-egress": {
    title: "Default-deny egress",
    passesWhen:
      "Direct outbound traffic is refused by the kernel or network: IPv4, IPv6, DNS to outside resolvers, non-HTTP ports and cloud metadata.",
    remediation:
      "Refuse direct outbound traffic in the kernel or network (nftables/iptables owner rules, a Kubernetes NetworkPolicy, a network namespace without a route) so only the proxy can reach the outside.",
  },
  "egress-proxy": {
    title: "Egress proxy with an allowlist",
    passesWhen:
      "All outbound traffic goes through a proxy that holds an allowlist: other destinations are refused, allowlisted ones work, and the proxy cannot be bypassed.",
    remediation:
      "Route all outbound traffic through a proxy with a destination allowlist, and make the proxy the only way out.",
  },
  "egress-alerting": {
    title: "Egress alerting",
    passesWhen: "A refused outbound request becomes an alert somewhere a person looks.",
    remediation: "Send the proxy's and firewall's refusals to an alert channel a person watches.",
  },
  "approval-gate": {
    title: "Approval gate",
    passesWhen:
      "Every agent runtime found has a gate that stops the dangerous commands (credential-path writes, package installs, network fetches piped to a shell, irreversible deletes) and fails closed.",
    remediation:
      "Configure each agent runtime to ask before dangerous commands, with a deny list that fails closed.",
  },
  "credential-scope": {
    title: "Credential scope",
    passesWhen:
      "The credentials the agent can read are short-lived and narrow: no admin keys, no wildcard cloud policies, no unencrypted long-lived keys.",
    remediation:
      "Replace long-lived or broad credentials with short-lived ones scoped to the agent's task (role sessions, fine-grained tokens).",
  },
};

export function stepNumber(id: StepId): number {
  return STEP_IDS.indexOf(id) + 1;
}

/**
 * A one-line, human description of where a finding lives. Never contains secret material: it is
 * built from the location only (paths, variable names, probe targets).
 */
export function locationLabel(l: Location): string {
  const at = (p: string | undefined) => (p && l.line ? `${p}:${l.line}` : (p ?? ""));
  switch (l.source) {
    case "env":
      return l.path
        ? `environment variable ${l.name ?? ""} (${l.path})`
        : `environment variable ${l.name ?? ""}`;
    case "home":
      return `~/${at(l.path)}`;
    case "tree":
      return at(l.path);
    case "process":
      return `process environment ${l.name ?? ""}${l.path ? ` (${l.path})` : ""}`.trim();
    case "probe":
      return `egress to ${l.target ?? l.path ?? ""}`;
    default: {
      const subject = l.target ?? (l.path ? at(l.path) : (l.name ?? ""));
      return `${l.source} ${subject}`.trim();
    }
  }
}

/** Names the secret without any of its characters: SARIF and JUnit carry no preview at all. */
export function secretLabel(s: SecretInfo): string {
  return `secret of provider ${s.provider}, type ${s.type}`;
}

/** The contract's default threshold (`--fail-on high`), for reports that carry no verdict. */
const DEFAULT_FAIL_ON: Severity = "high";

/**
 * The findings that fail the run: those of the report's verdict, the same list the exit code was
 * decided by (issue 9). A report without a verdict (older versions) is judged at the default.
 */
export function failingFindings(report: AuditReport): Finding[] {
  if (report.verdict) {
    const failing = new Set(report.verdict.failing);
    return report.findings.filter((f) => failing.has(f.fingerprint));
  }
  return report.findings.filter(
    (f) => !f.accepted && SEVERITY_RANK[f.severity] >= SEVERITY_RANK[DEFAULT_FAIL_ON],
  );
}

/** The threshold as a reader needs it: `medium`, or `critical (tree: medium)` when the tree's differs. */
export function failOnLabel(report: AuditReport): string {
  const v = report.verdict;
  if (!v) return DEFAULT_FAIL_ON;
  return v.treeFailOn ? `${v.failOn} (working tree: ${v.treeFailOn})` : v.failOn;
}

/**
 * What besides the rules shaped the verdict (issue 8, trust model), as plain sentences for the human
 * formats: the config in effect and what it may affect, the rules it disabled or re-rated, its
 * failOn, the baseline, and how many findings each mechanism kept out. Empty when none of that
 * applies (no config, no baseline, nothing suppressed).
 */
export function policyLines(report: AuditReport): string[] {
  const p = report.policy;
  if (!p) return [];
  const lines: string[] = [];
  const reach = (scope: "all" | "tree") =>
    scope === "tree" ? "the working tree's findings only" : "every source";
  if (p.config) {
    const how = p.config.discovered
      ? "found in the scanned tree (the agent can write it)"
      : "named with --config";
    lines.push(`config ${p.config.path}: ${how}; its rules apply to ${reach(p.config.scope)}`);
  }
  if (p.paths?.include.length)
    lines.push(`working tree limited by the config to: ${p.paths.include.join(", ")}`);
  if (p.paths?.exclude.length)
    lines.push(`working tree paths skipped by the config: ${p.paths.exclude.join(", ")}`);
  if (p.disabledRules.length) lines.push(`rules disabled by the config: ${p.disabledRules.join(", ")}`);
  if (p.severityOverrides.length)
    lines.push(
      `severities changed by the config: ${p.severityOverrides.map((o) => `${o.ruleId} → ${o.severity}`).join(", ")}`,
    );
  if (p.failOn) lines.push(`fail-on ${p.failOn.severity} from the config, for ${reach(p.failOn.scope)}`);
  if (p.baseline)
    lines.push(
      `baseline ${p.baseline.path}: ${p.baseline.entries} accepted finding${p.baseline.entries === 1 ? "" : "s"} listed`,
    );
  const s = p.suppressed;
  const kept = [
    s.baseline ? `${s.baseline} accepted by the baseline` : "",
    s.config ? `${s.config} by rules the config disabled` : "",
    s.inlineAllow ? `${s.inlineAllow} by inline allow markers` : "",
  ].filter(Boolean);
  if (kept.length) lines.push(`kept out of the verdict: ${kept.join(", ")}`);
  return lines;
}

/** A runtime config path as a person reads it: `~/…` under the home, `./…` under the root. */
export function configPathLabel(report: AuditReport, path: string): string {
  const { home, root } = report.target;
  if (root && (path === root || path.startsWith(`${root}/`))) return `./${path.slice(root.length + 1)}`;
  if (home && (path === home || path.startsWith(`${home}/`))) return `~/${path.slice(home.length + 1)}`;
  return path;
}

/** What the per-runtime view shows of one runtime (issue 10), for the table and markdown. */
export interface RuntimeRow {
  name: string;
  gate: string;
  gateStatus: string;
  sandbox: string;
  sandboxStatus: string;
  files: string[];
  /** The most severe findings of the runtime (at most 3): severity, title and rule id. */
  top: { severity: Severity; title: string; ruleId: string }[];
  more: number;
  /** Its MCP servers and skills with their status (issue 16), one line each; absent: not inspected. */
  servers?: string;
  skills?: string;
}

/** At most 8 entries named, then a count. */
function listed(items: readonly string[]): string {
  if (!items.length) return "none";
  return items.length > 8
    ? `${items.slice(0, 8).join(", ")}, … and ${items.length - 8} more`
    : items.join(", ");
}

/** The runtimes found (present), in report order, with their top problems; and the names not found. */
export function runtimeRows(report: AuditReport): { rows: RuntimeRow[]; absent: string[] } {
  const agents = report.agents;
  if (!agents) return { rows: [], absent: [] };
  const byFp = new Map(report.findings.map((f) => [f.fingerprint, f]));
  const rows: RuntimeRow[] = [];
  const absent: string[] = [];
  for (const r of agents.runtimes) {
    if (!r.present) {
      absent.push(r.name);
      continue;
    }
    const found = r.findings.map((fp) => byFp.get(fp)).filter((f): f is Finding => f !== undefined);
    rows.push({
      name: r.name,
      gate: r.gate.detail,
      gateStatus: r.gate.status,
      sandbox: r.sandbox.detail,
      sandboxStatus: r.sandbox.status,
      // At most 8 named (a managed-settings.d can hold 256); the JSON lists them all.
      files: [
        ...r.files
          .slice(0, 8)
          .map((f) => `${configPathLabel(report, f.path)} (${f.scope}${f.ok ? "" : ", not read"})`),
        ...(r.files.length > 8 ? [`… and ${r.files.length - 8} more`] : []),
      ],
      top: found.slice(0, 3).map((f) => ({ severity: f.severity, title: f.title, ruleId: f.ruleId })),
      more: Math.max(0, found.length - 3),
      ...(r.mcp ? { servers: listed(r.mcp.servers), skills: listed(r.mcp.skills) } : {}),
    });
  }
  return { rows, absent };
}

/** What the MCP view shows of one server, skill or tool list (issue 16), for the table and markdown. */
export interface McpRow {
  /** `claude-code user github (stdio)`, `skill ~/.claude/skills/x/SKILL.md`, `tools github`. */
  label: string;
  /** The launcher, the URL, or the file. */
  what: string;
  /** Hosts needed, env names given, scripts, hashes: one line of context. */
  detail: string;
  top: { severity: Severity; title: string; ruleId: string }[];
  more: number;
}

/** Servers, skills and tool lists, each with its most severe findings (at most 3). */
export function mcpRows(report: AuditReport): { servers: McpRow[]; skills: McpRow[]; tools: McpRow[] } {
  const agents = report.agents;
  const byFp = new Map(report.findings.map((f) => [f.fingerprint, f]));
  const top = (fps: string[]) => {
    const found = fps.map((fp) => byFp.get(fp)).filter((f): f is Finding => f !== undefined);
    return {
      top: found.slice(0, 3).map((f) => ({ severity: f.severity, title: f.title, ruleId: f.ruleId })),
      more: Math.max(0, found.length - 3),
    };
  };
  const servers = (agents?.servers ?? []).map((s) => {
    const detail = [
      ...(s.disabled ? ["disabled"] : []),
      ...(s.overriddenBy ? [`overridden by ${configPathLabel(report, s.overriddenBy)}`] : []),
      ...(s.hosts.length ? [`needs ${s.hosts.join(", ")}`] : []),
      ...(s.env.length ? [`env ${s.env.map(valueLabel).join(", ")}`] : []),
      ...(s.headers.length ? [`headers ${s.headers.map(valueLabel).join(", ")}`] : []),
      `in ${configPathLabel(report, s.file)}`,
    ].join("; ");
    return {
      label: `${s.client} ${s.scope} ${s.name} (${s.transport})`,
      what: s.launcher ?? s.url ?? "",
      detail,
      ...top(s.findings),
    };
  });
  const skills = (agents?.skills ?? []).map((s) => ({
    label: `${s.kind === "skill" ? "skill" : "instructions"} ${s.name}`,
    what: configPathLabel(report, s.path),
    detail: s.kind === "skill" ? `${s.scripts} script${s.scripts === 1 ? "" : "s"}` : "",
    ...top(s.findings),
  }));
  const tools = (agents?.toolLists ?? []).map((t) => ({
    label: `tools ${t.server}`,
    what: `${t.tools} tool${t.tools === 1 ? "" : "s"}, sha256 ${t.hash.slice(0, 16)}…`,
    detail: `from ${configPathLabel(report, t.file)}`,
    ...top(t.findings),
  }));
  return { servers, skills, tools };
}

/** `NAME` (written out), `NAME from $VAR` (a reference), `NAME from $VAR and text` (both). */
function valueLabel(v: McpValueView): string {
  const vars = v.vars.map((n) => `$${n}`).join(", ");
  if (v.from === "literal" || !vars) return `${v.name} (written out)`;
  return v.from === "reference" ? `${v.name} from ${vars}` : `${v.name} from ${vars} and written text`;
}
