// `agent-audit fix` (issue 12): which targets a report calls for, the generators that write them
// (pure: report + options in, files out), and the README.md that goes with them into --out.

import type { AuditReport, StepId } from "../contract/types.js";
import { generateAlerting } from "./alerting.js";
import type { Allowlist } from "./allowlist.js";
import { generateIptables, generateNftables } from "./firewall.js";
import { generateKubernetes } from "./kubernetes.js";
import {
  generateClaudeCode,
  generateCodex,
  generateEnv,
  generateGemini,
  generateHermes,
  generateSandboxRuntime,
} from "./runtimes/index.js";
import { generateSquid } from "./squid.js";
import { FIX_TARGETS, type FixOptions, type FixTarget, type GeneratedFile, type Generator } from "./types.js";

export const GENERATORS: Readonly<Record<FixTarget, Generator>> = {
  squid: generateSquid,
  nftables: generateNftables,
  iptables: generateIptables,
  kubernetes: generateKubernetes,
  "claude-code": generateClaudeCode,
  codex: generateCodex,
  gemini: generateGemini,
  hermes: generateHermes,
  "sandbox-runtime": generateSandboxRuntime,
  env: generateEnv,
  alerting: generateAlerting,
};

/** The runtime each runtime target configures (the report's agents.runtimes ids). */
const RUNTIME_OF: Partial<Record<FixTarget, string>> = {
  "claude-code": "claude-code",
  codex: "codex",
  gemini: "gemini-cli",
  hermes: "hermes",
  "sandbox-runtime": "sandbox-runtime",
};

export interface Selection {
  target: FixTarget;
  /** Why it is generated, or why not (shown by `fix` and in the README). */
  reason: string;
  selected: boolean;
}

const passes = (report: AuditReport, id: StepId) =>
  report.checklist.find((c) => c.id === id)?.status === "pass";

/** Whether the report shows the agent in a Kubernetes pod (a service-account token is mounted). */
function inKubernetes(report: AuditReport): boolean {
  return report.findings.some(
    (f) => f.location.source === "mount" && (f.location.path ?? "").includes("/secrets/kubernetes.io/"),
  );
}

/**
 * The targets a report calls for, each with the reason. `only` (from `--only`) selects exactly
 * those. Otherwise: the network targets when step 2 or 3 does not pass (Kubernetes only when the
 * agent runs in a pod); each runtime target when that runtime is present; `env` when the
 * environment holds a secret or the network targets are generated (the launcher sets the proxy).
 */
export function selectTargets(report: AuditReport, only?: readonly FixTarget[]): Selection[] {
  const step2 = passes(report, "default-deny-egress");
  const step3 = passes(report, "egress-proxy");
  const network = !(step2 && step3);
  const failing = [...(step2 ? [] : ["2 (default-deny-egress)"]), ...(step3 ? [] : ["3 (egress-proxy)"])];
  const netWhy = network
    ? `${failing.length === 1 ? "step" : "steps"} ${failing.join(" and ")} ${failing.length === 1 ? "does" : "do"} not pass`
    : "steps 2 and 3 pass";
  const out: Selection[] = [];
  for (const target of FIX_TARGETS) {
    if (only) {
      out.push({
        target,
        selected: only.includes(target),
        reason: only.includes(target) ? "--only" : "not in --only",
      });
      continue;
    }
    const runtime = RUNTIME_OF[target];
    if (runtime) {
      const view = report.agents?.runtimes.find((r) => r.runtime === runtime);
      out.push(
        view?.present
          ? {
              target,
              selected: true,
              reason: `${view.name} is present (gate ${view.gate.status}, sandbox ${view.sandbox.status})`,
            }
          : { target, selected: false, reason: "the runtime was not found (select it with --only)" },
      );
      continue;
    }
    if (target === "kubernetes") {
      const k8s = inKubernetes(report);
      out.push({
        target,
        selected: network && k8s,
        reason: !network
          ? netWhy
          : k8s
            ? `${netWhy}; the agent runs in a Kubernetes pod`
            : "the agent does not run in a Kubernetes pod (select it with --only)",
      });
      continue;
    }
    if (target === "env") {
      const envSecrets = report.findings.filter(
        (f) => f.kind === "secret" && f.location.source === "env",
      ).length;
      out.push({
        target,
        selected: network || envSecrets > 0,
        reason:
          envSecrets > 0
            ? `the environment holds ${envSecrets} secret${envSecrets === 1 ? "" : "s"}`
            : network
              ? "the launcher sets the proxy variables"
              : "no secret in the environment and steps 2 and 3 pass",
      });
      continue;
    }
    if (target === "alerting") {
      const step4 = passes(report, "egress-alerting");
      const proxied = network || step3;
      out.push({
        target,
        selected: !step4 && proxied,
        reason: step4
          ? "step 4 (egress-alerting) passes"
          : proxied
            ? "step 4 (egress-alerting) does not pass: nothing turns the proxy's denials into alerts"
            : "no proxy to watch (select it with --only)",
      });
      continue;
    }
    out.push({ target, selected: network, reason: netWhy });
  }
  return out;
}

/** Runs the selected generators, in target order. */
export function generate(
  report: AuditReport,
  opts: FixOptions,
  targets: readonly FixTarget[],
): GeneratedFile[] {
  const files: GeneratedFile[] = [];
  for (const t of FIX_TARGETS) if (targets.includes(t)) files.push(...GENERATORS[t](report, opts));
  const seen = new Set<string>();
  for (const f of files) {
    if (seen.has(f.path)) throw new Error(`two generators wrote ${f.path}`);
    seen.add(f.path);
  }
  return files;
}

const STEP_NUMBER: Record<StepId, number> = {
  "secret-inventory": 1,
  "default-deny-egress": 2,
  "egress-proxy": 3,
  "egress-alerting": 4,
  "approval-gate": 5,
  "credential-scope": 6,
};

/** README.md for --out: per file what it closes, where it goes and how to load it; the allowlist with reasons. */
export function hardeningReadme(
  files: readonly GeneratedFile[],
  selection: readonly Selection[],
  allowlist: Allowlist,
  opts: FixOptions,
): string {
  const lines: string[] = [
    "# Agent hardening: generated by `agent-audit fix`",
    "",
    "Each file below closes a gap the scan found. Nothing here is in effect until you load it, by hand as",
    "shown, or with `agent-audit fix --apply` (which keeps a backup of every file it changes and a manifest",
    "for `agent-audit fix --rollback`). Regenerate rather than edit: the next run overwrites these files.",
    "",
    "## Files",
    "",
  ];
  for (const f of files) {
    const steps = f.closes.steps.map((s) => `step ${STEP_NUMBER[s]} (${s})`).join(", ");
    const n = f.closes.findings.length;
    lines.push(`### ${f.path}`, "", f.summary, "");
    lines.push(
      `- Closes: ${steps || "nothing by itself"}${n ? `; answers ${n} finding${n === 1 ? "" : "s"}` : ""}.`,
    );
    lines.push(
      f.install
        ? `- Goes to: \`${f.install.dest}\` (${f.install.merge === "replace" ? "replaces the file; a backup is kept" : `merged into the existing ${f.install.merge.toUpperCase()} key by key; your other keys stay`}${f.install.privileged ? "; needs root" : ""}).`
        : "- Goes to: nowhere by itself (`--apply` does not place it); load it as below.",
    );
    lines.push("- Load it:", "", "```sh", ...f.load, "```", "");
  }
  lines.push("## The allowlist", "");
  if (allowlist.hosts.length === 0)
    lines.push(
      "Empty: nothing listed the hosts the agent needs, so the proxy refuses everything. Add them to",
      "`egress.allowedHosts` in agent-audit.yaml or with `--allowed-host`, and run `agent-audit fix` again.",
      "",
    );
  else {
    lines.push("| host | covers | why |", "|---|---|---|");
    for (const h of allowlist.hosts)
      lines.push(
        `| ${h.host} | ${h.subdomains ? `${h.host} and every name below it` : "this name only"} | ${h.reason.replace(/\|/g, "\\|")} |`,
      );
    lines.push("");
  }
  if (allowlist.proposed.length) {
    lines.push(
      "Proposed, not added (the allowlist never widens by itself: add a host only if the agent needs it):",
      "",
    );
    for (const p of allowlist.proposed) lines.push(`- ${p.host}: ${p.reason}`);
    lines.push("");
  }
  lines.push(
    "## The proxy",
    "",
    `Every config here sends the agent's traffic through ${opts.proxy.url}. The firewall rules can pin the`,
    "proxy only by address: give `--proxy` with an IP literal.",
    "",
    "## Not generated",
    "",
  );
  const skipped = selection.filter((s) => !s.selected);
  if (skipped.length === 0) lines.push("Every target was generated.", "");
  else for (const s of skipped) lines.push(`- ${s.target}: ${s.reason}.`);
  lines.push("");
  return `${lines
    .join("\n")
    .replace(/\n{3,}/g, "\n\n")
    .trimEnd()}\n`;
}
