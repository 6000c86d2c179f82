import { join } from "node:path";
import type { AuditReport, Finding } from "../../contract/types.js";
import type { GeneratedFile, Generator } from "../types.js";
import { COMMAND_PREFIXES, type CommandPrefix, expand } from "./commands.js";
import { fingerprints, param, runtimeFindings, steps } from "./common.js";
import { reportPrefixes } from "./report-prefixes.js";

// Gemini CLI (issue 12; research §7): a policy-engine file at the user tier,
// ~/.gemini/policies/agent-audit.toml (the workspace tier .gemini/policies is disabled, and the admin
// tier /etc/gemini-cli/policies must be root-owned). One [[rule]] per gate decision: deny for what
// the gate denies, ask_user for what it asks, on run_shell_command by command prefix. The priorities
// (900 and 800, over tools.allowed's 300 at the same tier) keep them above the user's own allow rules
// of lower priority. `deny_message` is the key Gemini CLI's loader reads (packages/core/src/policy/
// toml-loader.ts; the research note's `denyMessage` is not it); older versions drop it silently.

const PRIORITY: Record<CommandPrefix["decision"], number> = { forbidden: 900, prompt: 800 };

/** The command prefixes of one decision, as strings, deduplicated in order. */
function prefixes(decision: CommandPrefix["decision"], extra: readonly CommandPrefix[]): string[] {
  const out: string[] = [];
  for (const r of [...COMMAND_PREFIXES, ...extra]) {
    if (r.decision !== decision) continue;
    for (const words of expand(r.pattern)) {
      const s = words.join(" ");
      if (!out.includes(s)) out.push(s);
    }
  }
  return out;
}

function tomlList(items: readonly string[]): string {
  return `[\n${items.map((i) => `  ${JSON.stringify(i)},`).join("\n")}\n]`;
}

export function geminiPolicy(extra: readonly CommandPrefix[] = []): string {
  return [
    "# agent-audit fix (issue 12): Gemini CLI policy, derived from agent-audit's gate (rules/gate).",
    "# deny: the gate denies these; ask_user: the gate asks (in non-interactive mode ask_user denies).",
    "# A command prefix sees only the start of a command: keep the sandbox on (tools.sandbox) and",
    "# YOLO off (security.disableYoloMode) in ~/.gemini/settings.json.",
    "",
    "[[rule]]",
    'toolName = "run_shell_command"',
    `commandPrefix = ${tomlList(prefixes("forbidden", extra))}`,
    'decision = "deny"',
    `priority = ${PRIORITY.forbidden}`,
    'deny_message = "blocked by the agent-audit policy (the gate denies this command)"',
    "",
    "[[rule]]",
    'toolName = "run_shell_command"',
    `commandPrefix = ${tomlList(prefixes("prompt", extra))}`,
    'decision = "ask_user"',
    `priority = ${PRIORITY.prompt}`,
    "",
  ].join("\n");
}

function closed(report: AuditReport, dest: string): Finding[] {
  return runtimeFindings(report, "gemini-cli", ["gate-rules", "runtime-sandbox"]).filter((f) => {
    if (f.ruleId === "gemini-policy-gap") return true;
    // A finding about the policy file itself is answered when that file is ours (replaced).
    return f.ruleId.startsWith("gemini-policy-") && param(f, "file") === dest;
  });
}

export const generateGemini: Generator = (report, opts): GeneratedFile[] => {
  const dest = join(opts.home, ".gemini/policies/agent-audit.toml");
  const answered = closed(report, dest);
  const done = new Set(answered.map((f) => f.fingerprint));
  const byHand = [
    ...new Set(
      runtimeFindings(report, "gemini-cli", ["gate-rules", "runtime-sandbox"])
        .filter((f) => !done.has(f.fingerprint))
        .map((f) => f.ruleId),
    ),
  ].sort();
  return [
    {
      path: "gemini/agent-audit.toml",
      target: "gemini",
      // The credential-read prefixes (readers x files, about 2,000 strings) are left to the Codex rules:
      // Gemini CLI asks before every shell command it is not told to allow.
      content: geminiPolicy(
        reportPrefixes(report, opts.home).filter((p) => p.gate !== "gate-credential-read"),
      ),
      mode: 0o644,
      closes: { steps: steps("approval-gate"), findings: fingerprints(answered) },
      summary:
        "Gemini CLI policy (user tier): deny and ask_user rules on run_shell_command for the gate's dangerous commands",
      load: [
        `Copy to ${dest} (Gemini CLI loads every *.toml in ~/.gemini/policies; not .gemini/policies in the project, whose tier is disabled).`,
        'Also set in ~/.gemini/settings.json (or /etc/gemini-cli/settings.json): {"security": {"disableYoloMode": true}, "tools": {"sandbox": "docker"}} — the policy alone leaves --yolo and an unsandboxed shell.',
        "Restart Gemini CLI; check with: agent-audit scan --sources home",
        ...(byHand.length
          ? [`Not answered by this file (fix by hand, see the findings): ${byHand.join(", ")}.`]
          : []),
      ],
      install: { dest, merge: "replace", privileged: false },
    },
  ];
};
