import { join } from "node:path";
import type { AuditReport, Finding } from "../../contract/types.js";
import type { GeneratedFile, Generator } from "../types.js";
import { COMMAND_PREFIXES, expand } from "./commands.js";
import { fingerprints, param, runtimeFindings, steps } from "./common.js";

// Hermes Agent (issue 12; research §4.1): the `approvals:` block of ~/.hermes/config.yaml. Manual
// approvals (a person answers; smart mode lets a model auto-approve), every unattended mode denies,
// and a hard-deny list of the commands agent-audit's gate denies (Hermes documents approvals.deny
// as never bypassable, also under smart mode). The entries are fnmatch patterns: each denied prefix
// as it is and followed by ` *`; prefixes holding fnmatch characters are left out (they would
// match far more than the gate denies). terminal.backend is left alone: a container backend skips
// Hermes's approvals, a change the operator makes knowingly.

export function hermesDenyList(): string[] {
  const out: string[] = [];
  for (const r of COMMAND_PREFIXES) {
    if (r.decision !== "forbidden") continue;
    for (const words of expand(r.pattern)) {
      const s = words.join(" ");
      if (/[*?[\]$]/.test(s)) continue;
      for (const p of [s, `${s} *`]) if (!out.includes(p)) out.push(p);
    }
  }
  return out;
}

export function hermesConfig(): string {
  return [
    "# agent-audit fix (issue 12): Hermes dangerous-command approvals.",
    "# mode manual: a person approves every dangerous command; cron, single-query and unattended",
    "# sessions deny; deny: commands agent-audit's gate denies, never run (fnmatch patterns).",
    "approvals:",
    "  mode: manual",
    "  cron_mode: deny",
    "  single_query_mode: deny",
    "  unattended_mode: deny",
    "  deny:",
    ...hermesDenyList().map((d) => `    - ${JSON.stringify(d)}`),
    "",
  ].join("\n");
}

function closed(report: AuditReport, dest: string): Finding[] {
  return runtimeFindings(report, "hermes", ["gate-rules", "runtime-sandbox"]).filter((f) => {
    const file = param(f, "file");
    switch (f.ruleId) {
      case "hermes-approvals-off":
      case "hermes-cron-auto-approve":
      case "hermes-unattended-auto-approve":
      case "hermes-no-deny-rules":
        return file === undefined || file === dest;
      default:
        return false;
    }
  });
}

export const generateHermes: Generator = (report, opts): GeneratedFile[] => {
  const dest = join(opts.home, ".hermes/config.yaml");
  const answered = closed(report, dest);
  const done = new Set(answered.map((f) => f.fingerprint));
  const byHand = [
    ...new Set(
      runtimeFindings(report, "hermes", ["gate-rules", "runtime-sandbox"])
        .filter((f) => !done.has(f.fingerprint))
        .map((f) => f.ruleId),
    ),
  ].sort();
  return [
    {
      path: "hermes/config.yaml",
      target: "hermes",
      content: hermesConfig(),
      mode: 0o644,
      closes: { steps: steps("approval-gate"), findings: fingerprints(answered) },
      summary:
        "Hermes approvals block: manual approvals, unattended modes deny, a hard-deny list of the gate's denied commands",
      load: [
        `Merge into ${dest} (agent-audit fix --apply does it key by key; command_allowlist and your other keys stay).`,
        "With $HERMES_HOME set, Hermes reads $HERMES_HOME/config.yaml instead: merge there.",
        "Remove HERMES_YOLO_MODE from ~/.hermes/.env and from the environment Hermes starts with (agent-env.sh drops it).",
        "Restart Hermes; check with: agent-audit scan --sources home",
        ...(byHand.length
          ? [`Not answered by this file (fix by hand, see the findings): ${byHand.join(", ")}.`]
          : []),
      ],
      install: { dest, merge: "yaml", privileged: false },
    },
  ];
};
