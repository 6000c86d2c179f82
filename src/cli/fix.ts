import { execFile } from "node:child_process";
import { join } from "node:path";
import { Command } from "commander";
import {
  type ApplyOutcome,
  applyFix,
  DEFAULT_OUT_DIR,
  DEFAULT_PROXY,
  type FixResult,
  parseTargets,
  rollbackFix,
  runFix,
} from "../app/fix.js";
import { defaultScanRequest } from "../app/scan.js";
import type { RollbackResult, Runner } from "../fix/apply.js";
import { FIX_TARGETS, type FixTarget } from "../fix/types.js";
import { escapeControls } from "../util/controls.js";
import { UsageError } from "../util/errors.js";
import {
  appContext,
  type EgressFlags,
  egressRequest,
  environmentSpec,
  type RunFlags,
  type SourceFlags,
  sourceRequest,
} from "./flags.js";
import type { CliIo, CliResult } from "./io.js";
import { addEgressOptions, addRunOptions, addSourceOptions, collect } from "./options.js";

export interface FixFlags extends SourceFlags, RunFlags, EgressFlags {
  fromReport?: string;
  out: string;
  only?: FixTarget[];
  agentUser?: string;
  proxyUser?: string;
  pinnedResolver?: string;
  k8sNamespace?: string;
  k8sPodLabel: string[];
  gateCommand?: string;
  alertSink: string[];
  probe: boolean;
  apply: boolean;
  dryRun: boolean;
  rollback?: string | true;
  force: boolean;
  stateDir?: string;
}

const HELP = `
What it writes (into --out; file names are stable):
  squid.conf, allowed-domains.txt            squid: default deny, the allowlist, CONNECT to 443 only
  nftables.nft                               nftables: output dropped except to the proxy (IPv4 and IPv6)
  iptables.rules, ip6tables.rules            the same for iptables-restore / ip6tables-restore
  kubernetes/networkpolicy.yaml              default-deny egress for the agent pods, DNS and the proxy only
  kubernetes/cilium-networkpolicy.yaml       the allowlist as Cilium toFQDNs
  claude-code/settings.json                  the gate hook, deny rules for the credentials found, the sandbox
  codex/config.toml, codex/agent-audit.rules approvals on, and prefix rules for dangerous commands
  gemini/agent-audit.toml                    Gemini CLI policy rules
  hermes/config.yaml                         the approvals block
  sandbox-runtime/srt-settings.json          sandbox-runtime's allowlist and credential denies
  agent-env.sh                               starts the agent with a scrubbed environment and the proxy
  alerting/agent-audit.yaml                  the watcher's config: squid's and the firewall's denials in, alerts out
  alerting/agent-audit-watch.service         a systemd unit that runs agent-audit watch
  alerting/kubernetes-sidecar.yaml           the watcher as a sidecar of a squid pod
  README.md                                  per file: what it closes, where it goes, how to load it

Targets for --only: ${FIX_TARGETS.join(", ")}.
Without --only, a target is generated when the report calls for it: the network files when step 2
or 3 does not pass (Kubernetes only inside a pod), a runtime's files when that runtime is present,
the launcher when the environment holds secrets or the network files are generated.

The allowlist: egress.allowedHosts of the agent-audit.yaml named with --config, --allowed-host, and
what the inventory implies (a model provider's key: its API host; an npm token: the npm registry; a
GitHub token: api.github.com). A config found in the audited tree is the agent's to write: its hosts
are proposed in README.md, never added. NAME is that name only; *.NAME (or .NAME) is NAME and every
name below it.

Nothing outside --out is touched without --apply. --apply puts each file where its runtime or service
reads it (merged key by key into an existing JSON, TOML or YAML file; system files replaced), after
backing up every file it changes into --state-dir with a manifest; then it loads nftables, iptables
and squid where their files changed. It refuses the whole apply, before writing anything, when a
destination is a symbolic link, lies below one, is not a regular file, has other hard links, or
needs root that it does not have. With --probe, the probes run again afterwards and everything is
rolled back when the egress posture did not improve. --dry-run shows the diff of every file instead.
--rollback restores the state before an apply, byte for byte (the newest manifest, or the one given),
also after a crash mid-apply.

Exit codes:
  0  the files were written (and applied, or rolled back on request)
  1  --apply was rolled back: a load failed or the self-test showed no improvement
  2  usage, config or runtime error; --apply refused (nothing changed)`;

/** `agent-audit fix`. */
export function command(io: CliIo, result: CliResult): Command {
  const cmd = new Command("fix").description(
    "Write the configs that close what the scan found: egress proxy and firewall, Kubernetes policies, the agent " +
      "runtimes' approval gates and sandboxes, and a launcher with a scrubbed environment. Runs a scan (same " +
      "options as scan) or reads --from-report.",
  );
  addSourceOptions(cmd);
  addRunOptions(cmd);
  addEgressOptions(cmd);
  cmd
    .option("--from-report <file>", "read a JSON report of an earlier scan instead of scanning")
    .option("--out <dir>", "directory the files are written to", DEFAULT_OUT_DIR)
    .option("--only <targets>", "generate only these targets, comma-separated (see below)", parseTargets)
    .option(
      "--agent-user <name>",
      "firewall: apply the rules to this user's traffic only (default: every user but the proxy's)",
    )
    .option(
      "--proxy-user <name>",
      "firewall: the user the local proxy runs as, whose traffic is exempt",
      "proxy",
    )
    .option("--pinned-resolver <ip>", "firewall: the one DNS resolver the agent may reach (default: none)")
    .option("--k8s-namespace <name>", "Kubernetes: the agent pods' namespace", "default")
    .option(
      "--k8s-pod-label <key=value>",
      "Kubernetes: a label of the agent pods (repeatable; default app=agent)",
      collect,
      [],
    )
    .option(
      "--gate-command <cmd>",
      "how the runtimes' hooks and the watcher's unit call agent-audit (default: agent-audit on PATH)",
    )
    .option(
      "--alert-sink <sink>",
      "alerting: a sink of the generated watcher config besides its file and syslog sinks (webhook:URL, slack:URL, syslog:udp://HOST:PORT; repeatable)",
      collect,
      [],
    )
    .option(
      "--probe",
      "scan with the egress probes too (steps 2 and 3 then say what is open); with --apply, probe again afterwards",
      false,
    )
    .option("--apply", "put the files in place (backups and a manifest in --state-dir)", false)
    .option("--dry-run", "with --apply: show the diff of every file it would change, change nothing", false)
    .option(
      "--rollback [manifest]",
      "restore the state before an apply (default: the newest manifest in --state-dir)",
    )
    .option("--force", "with --rollback: also restore files changed since the apply", false)
    .option(
      "--state-dir <dir>",
      "where --apply keeps manifests and backups (default: /var/lib/agent-audit/fix as root, else ~/.local/state/agent-audit/fix)",
    );
  cmd.addHelpText(
    "after",
    `\n(--proxy is the proxy the generated files send traffic to; default ${DEFAULT_PROXY}.)\n${HELP}`,
  );
  cmd.action(async (flags: FixFlags) => {
    const ctx = appContext(io);
    const stateDir =
      flags.stateDir ??
      (isRoot() ? "/var/lib/agent-audit/fix" : join(io.homedir, ".local", "state", "agent-audit", "fix"));
    const who = { runner: realRunner, isRoot: isRoot(), uid: process.getuid?.() ?? -1, stateDir };
    if (flags.rollback !== undefined) {
      if (flags.apply || flags.dryRun)
        throw new UsageError("--rollback cannot be combined with --apply or --dry-run");
      const r = await rollbackFix(
        { ...who, ...(flags.rollback === true ? {} : { manifest: flags.rollback }), force: flags.force },
        ctx,
      );
      io.stdout(rollbackText(r));
      result.exitCode = r.done && r.ok ? 0 : 1;
      return;
    }
    if (flags.dryRun && !flags.apply) throw new UsageError("--dry-run goes with --apply");
    if (flags.force) throw new UsageError("--force goes with --rollback");
    const podLabels = parseLabels(flags.k8sPodLabel);
    const fromReport = flags.fromReport;
    const res = await runFix(
      {
        ...(fromReport !== undefined ? { fromReport } : { scan: sourceRequest(flags) }),
        ...(flags.config !== undefined ? { config: flags.config } : {}),
        out: flags.out,
        ...(flags.only ? { only: flags.only } : {}),
        allowedHosts: flags.allowedHost,
        ...(flags.proxy !== undefined ? { proxy: flags.proxy } : {}),
        ...(flags.agentUser !== undefined ? { agentUser: flags.agentUser } : {}),
        ...(flags.proxyUser !== undefined ? { proxyUser: flags.proxyUser } : {}),
        ...(flags.pinnedResolver !== undefined ? { pinnedResolver: flags.pinnedResolver } : {}),
        kubernetes: {
          ...(flags.k8sNamespace !== undefined ? { namespace: flags.k8sNamespace } : {}),
          ...(podLabels ? { podLabels } : {}),
        },
        ...(flags.gateCommand !== undefined ? { gateCommand: flags.gateCommand } : {}),
        ...(flags.alertSink.length ? { alertSinks: flags.alertSink } : {}),
      },
      ctx,
    );
    io.stdout(summary(res, flags.out));
    result.exitCode = 0;
    if (!flags.apply) return;
    const outcome = await applyFix(
      res,
      {
        ...who,
        dryRun: flags.dryRun,
        systemRoot: flags.systemRoot,
        ...(flags.probe
          ? {
              selfTest: defaultScanRequest({
                systemRoot: flags.systemRoot,
                environment: environmentSpec(flags),
                inventory: false,
                egress: { ...egressRequest(flags), proxy: res.options.proxy.url },
                baseline: false,
                ...(flags.config !== undefined ? { config: flags.config } : {}),
              }),
            }
          : {}),
      },
      ctx,
    );
    io.stdout(applyText(outcome, flags.probe));
    result.exitCode = outcome.result?.status === "rolled-back" || outcome.selfTest?.rolledBack ? 1 : 0;
  });
  return cmd;
}

function isRoot(): boolean {
  return process.getuid?.() === 0;
}

/** Runs a command without a shell; a command that cannot start is exit code 127. */
const realRunner: Runner = (argv) =>
  new Promise((done) => {
    execFile(
      argv[0]!,
      argv.slice(1),
      { timeout: 60_000, maxBuffer: 4 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === "number" ? err.code : 127) : 0;
        done({ code, stdout: String(stdout), stderr: String(stderr) });
      },
    );
  });

function applyText(o: ApplyOutcome, probed: boolean): string {
  const lines: string[] = [];
  if (o.dryRun !== undefined) {
    // Line by line: escapeControls on the whole text escaped its newlines, printing the diff as one line.
    lines.push("--dry-run: nothing was changed. What --apply would do:", ...o.dryRun.trimEnd().split("\n"));
    return `${lines.map(escapeControls).join("\n")}\n`;
  }
  const r = o.result!;
  for (const e of o.plan.entries) lines.push(`  ${e.action.padEnd(9)} ${e.dest}`);
  for (const a of r.activations)
    lines.push(
      `  ran       ${a.argv.join(" ")} -> ${a.code === 0 ? "ok" : `exit ${a.code}${a.error ? `: ${a.error}` : ""}`}`,
    );
  if (r.status === "unchanged")
    lines.push("Applied: nothing to change (every file already holds what fix generates).");
  else if (r.status === "applied")
    lines.push(`Applied. Manifest: ${r.manifestPath} (undo with agent-audit fix --rollback)`);
  else lines.push(`Rolled back: ${r.failure ?? "a step failed"}.`);
  if (o.selfTest) {
    const { before, after, rolledBack } = o.selfTest;
    lines.push(`Self-test: egress posture ${before} -> ${after}.`);
    if (rolledBack)
      lines.push(
        `The posture did not improve: everything was rolled back (${rolledBack.ok ? "restored" : "NOT fully restored: see agent-audit fix --rollback"}).`,
      );
  } else if (r.status === "applied" && !probed)
    lines.push(
      "Not verified: run with --probe to re-run the egress probes and roll back when nothing improved.",
    );
  return `${lines.map(escapeControls).join("\n")}\n`;
}

function rollbackText(r: RollbackResult): string {
  const lines = [`Rollback of ${r.manifestPath}:`];
  for (const e of r.entries)
    lines.push(`  ${e.action.padEnd(9)} ${e.dest}${e.reason ? ` (${e.reason})` : ""}`);
  for (const a of r.activations)
    lines.push(`  ran       ${a.argv.join(" ")} -> ${a.code === 0 ? "ok" : `exit ${a.code}`}`);
  for (const d of r.removedDirs) lines.push(`  removed   ${d}/`);
  lines.push(
    !r.done
      ? "Refused: a file changed since the apply (nothing was restored; --force restores it too)."
      : r.ok
        ? "Restored: every file is as it was before the apply."
        : "Not every file could be restored: see the lines above.",
  );
  return `${lines.map(escapeControls).join("\n")}\n`;
}

function parseLabels(list: string[]): Record<string, string> | undefined {
  if (list.length === 0) return undefined;
  const out: Record<string, string> = {};
  for (const item of list) {
    const m = /^([A-Za-z0-9][A-Za-z0-9._/-]{0,252})=([A-Za-z0-9._-]{0,63})$/.exec(item);
    if (!m) throw new UsageError("--k8s-pod-label: KEY=VALUE with a Kubernetes label key and value");
    out[m[1]!] = m[2]!;
  }
  return out;
}

/** What was written and why, for a person. */
export function summary(res: FixResult, outLabel: string): string {
  const lines: string[] = [];
  const byTarget = new Map<string, string[]>();
  for (const f of res.files) byTarget.set(f.target, [...(byTarget.get(f.target) ?? []), f.path]);
  lines.push(`Wrote ${res.files.length + 1} files to ${outLabel}/ (see ${outLabel}/README.md):`);
  for (const s of res.selection) {
    if (!s.selected) continue;
    lines.push(`  ${s.target.padEnd(16)} ${(byTarget.get(s.target) ?? []).join(", ")}  (${s.reason})`);
  }
  const skipped = res.selection.filter((s) => !s.selected);
  if (skipped.length) {
    lines.push("Not generated:");
    for (const s of skipped) lines.push(`  ${s.target.padEnd(16)} ${s.reason}`);
  }
  lines.push(
    res.allowlist.hosts.length
      ? `Allowlist (${res.allowlist.hosts.length}): ${res.allowlist.hosts.map((h) => (h.subdomains ? `*.${h.host}` : h.host)).join(", ")}`
      : "Allowlist: empty (the proxy will refuse everything; add hosts with --allowed-host or egress.allowedHosts)",
  );
  if (res.allowlist.proposed.length)
    lines.push(
      `Proposed, not added: ${res.allowlist.proposed.map((p) => p.host).join(", ")} (see README.md)`,
    );
  lines.push("Nothing outside the output directory was changed.");
  return `${lines.map(escapeControls).join("\n")}\n`;
}
