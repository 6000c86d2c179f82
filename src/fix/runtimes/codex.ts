import { join } from "node:path";
import type { AuditReport, Finding } from "../../contract/types.js";
import type { FixOptions, GeneratedFile, Generator } from "../types.js";
import { COMMAND_PREFIXES, type CommandPrefix, firstWords } from "./commands.js";
import { fingerprints, param, runtimeFindings, steps } from "./common.js";
import { reportPrefixes } from "./report-prefixes.js";

// Codex CLI (issue 12; research §3.1): `~/.codex/config.toml` keys that keep the approval gate and
// the workspace sandbox on with the sandbox's network off, and `~/.codex/rules/agent-audit.rules`,
// execpolicy prefix rules (Starlark) that prompt for or forbid the dangerous command prefixes of
// rules/gate, each with a match and a not_match example Codex checks when it loads the file.
// The sandbox gets no allowlist: commands that need the network must be approved out of it.

/** The config keys written (merged into the user's config.toml: other keys and profiles stay). */
export function codexConfig(): string {
  return [
    "# agent-audit fix (issue 12): Codex approval gate and sandbox.",
    "# Commands run in the workspace-write sandbox without network; leaving it (network, writes",
    "# outside the workspace) needs a person's approval, and the rules in",
    "# ~/.codex/rules/agent-audit.rules prompt for or forbid the dangerous commands.",
    'approval_policy = "on-request"',
    'sandbox_mode = "workspace-write"',
    "",
    "[sandbox_workspace_write]",
    "network_access = false",
    "",
  ].join("\n");
}

/** A Starlark string literal (JSON's escapes are Starlark's for these characters). */
function lit(s: string): string {
  return JSON.stringify(s);
}

function patternLit(pattern: CommandPrefix["pattern"]): string {
  return `[${pattern.map((p) => (typeof p === "string" ? lit(p) : `[${p.map(lit).join(", ")}]`)).join(", ")}]`;
}

/** A command the rule must not match: the first word alone with --help, or another program. */
function notMatch(rule: CommandPrefix): string {
  const words = firstWords(rule.pattern);
  return words.length > 1 ? `${words[0]} --help` : `echo ${words[0]}`;
}

/** The rules file: one prefix_rule per command prefix, each with its inline tests. */
export function codexRules(extra: readonly CommandPrefix[] = []): string {
  const prefixes = [...COMMAND_PREFIXES, ...extra];
  const lines = [
    "# agent-audit fix (issue 12): Codex execpolicy rules derived from agent-audit's gate (rules/gate).",
    '# "forbidden": the gate denies these; "prompt": the gate asks. A prefix rule sees only the first',
    "# words of a command, so it is broader than the gate (every curl, every npm install) and cannot see",
    "# pipes or paths: keep the workspace-write sandbox on; the sandbox, not these rules, is the boundary.",
    "# Check: codex execpolicy check --rules ~/.codex/rules/agent-audit.rules -- rm -rf /",
    "",
  ];
  for (const r of prefixes) {
    lines.push(
      "prefix_rule(",
      `    pattern = ${patternLit(r.pattern)},`,
      `    decision = ${lit(r.decision)},`,
      `    justification = ${lit(`agent-audit ${r.gate}: ${r.why}`)},`,
      `    match = [${lit(firstWords(r.pattern).join(" "))}],`,
      `    not_match = [${lit(notMatch(r))}],`,
      ")",
    );
  }
  lines.push("");
  return lines.join("\n");
}

/** Findings the two files answer once applied (merged into ~/.codex/config.toml, the rules file replaced). */
function closed(report: AuditReport, config: string, rules: string): Finding[] {
  const own = runtimeFindings(report, "codex", ["gate-rules", "runtime-sandbox"]);
  return own.filter((f) => {
    const file = param(f, "file");
    const key = param(f, "key") ?? "";
    switch (f.ruleId) {
      // approval_policy / sandbox_mode at the top level of the user config: ours win the merge. A
      // profile's or the project config's value stays above ours.
      case "codex-full-access-no-approval":
      case "codex-approval-never":
      case "codex-sandbox-off":
        return (file === undefined || file === config) && !key.startsWith("profiles.");
      // Rules from every file combine: ours prompt for or forbid every category.
      case "codex-rules-gap":
        return true;
      // A broken or broad rules file is answered only when it is ours (replaced).
      case "codex-rules-invalid":
      case "codex-rules-allow-broad":
        return file === rules;
      default:
        return false;
    }
  });
}

export const generateCodex: Generator = (report, opts: FixOptions): GeneratedFile[] => {
  const configDest = join(opts.home, ".codex/config.toml");
  const rulesDest = join(opts.home, ".codex/rules/agent-audit.rules");
  const answered = closed(report, configDest, rulesDest);
  const ruleChecks = ["codex-rules-gap", "codex-rules-invalid", "codex-rules-allow-broad"];
  const configFindings = answered.filter((f) => !ruleChecks.includes(f.ruleId));
  const rulesFindings = answered.filter((f) => ruleChecks.includes(f.ruleId));
  const done = new Set(answered.map((f) => f.fingerprint));
  const open = runtimeFindings(report, "codex", ["gate-rules", "runtime-sandbox"]).filter(
    (f) => !done.has(f.fingerprint),
  );
  const byHand = [...new Set(open.map((f) => f.ruleId))].sort();
  return [
    {
      path: "codex/config.toml",
      target: "codex",
      content: codexConfig(),
      mode: 0o644,
      closes: { steps: steps("approval-gate"), findings: fingerprints(configFindings) },
      summary:
        "Codex CLI config keys: approval_policy on-request, sandbox_mode workspace-write, no network in the sandbox",
      load: [
        `Merge into ${configDest} (agent-audit fix --apply does it key by key; your other keys and profiles stay).`,
        "A selected profile (profile = ...) or a project .codex/config.toml that sets approval_policy or sandbox_mode overrides these keys: check them by hand.",
        ...(byHand.length
          ? [`Not answered by these files (fix by hand, see the findings): ${byHand.join(", ")}.`]
          : []),
        "Restart Codex; check with: agent-audit scan --sources home",
      ],
      install: { dest: configDest, merge: "toml", privileged: false },
    },
    {
      path: "codex/agent-audit.rules",
      target: "codex",
      content: codexRules(reportPrefixes(report, opts.home)),
      mode: 0o644,
      closes: { steps: steps("approval-gate"), findings: fingerprints(rulesFindings) },
      summary: `Codex execpolicy rules: ${COMMAND_PREFIXES.length + reportPrefixes(report, opts.home).length} prefix rules that prompt for or forbid the dangerous commands of agent-audit's gate`,
      load: [
        `Copy to ${rulesDest} (Codex loads every *.rules file in ~/.codex/rules at start).`,
        `Check: codex execpolicy check --rules ${rulesDest} -- rm -rf /   (expect "forbidden")`,
        "Restart Codex.",
      ],
      install: { dest: rulesDest, merge: "replace", privileged: false },
    },
  ];
};
