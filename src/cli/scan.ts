import { statSync } from "node:fs";
import { join, resolve } from "node:path";
import { Command, Option } from "commander";
import {
  DEFAULT_BASELINE_FILE,
  displayPath,
  pruneBaseline,
  readBaseline,
  staleEntries,
  staleIssues,
  writeBaseline,
} from "../baseline/index.js";
import { type AgentAuditConfig, type LoadedConfig, loadConfig } from "../config/index.js";
import {
  applyTreeSeverity,
  configScope,
  type FailPolicy,
  failPolicy,
  reportPolicy,
  reportVerdict,
  verdictExitCode,
} from "../config/policy.js";
import { UsageError } from "../core/errors.js";
import { buildReport, type ExtraResults, runInventory } from "../core/scan.js";
import { type AuditReport, type Severity, SOURCE_NAMES, type SourceName } from "../core/types.js";
import { runEgress } from "../probes/index.js";
import { egressExtras } from "../probes/options.js";
import { identityAccess, selfAccess } from "../sources/access.js";
import { confinementOf } from "../sources/confine.js";
import { readEnvFile, readProcEnv } from "../sources/env.js";
import { autoWorkers } from "../sources/scan-pool.js";
import { resolveUser } from "../sources/users.js";
import { materializeDemo } from "./demo-sandbox.js";
import type { CliIo, CliResult } from "./io.js";
import {
  collect,
  parsePositiveInt,
  parseSeverity,
  parseSize,
  parseSources,
  parseWorkers,
} from "./options.js";
import { validateOutputFlags, writeReports } from "./output.js";
import { addProbeTargetOptions } from "./probe.js";
import { Progress } from "./progress.js";

export interface ScanFlags {
  format?: string;
  output?: string;
  report: string[];
  environ?: string;
  envPid?: number;
  env: boolean;
  home?: string;
  root?: string;
  systemRoot: string;
  sources?: SourceName[];
  asUser?: string;
  includeVcs: boolean;
  includeDeps: boolean;
  includeBinary: boolean;
  maxFileSize: number;
  concurrency: number;
  workers?: number | "auto";
  failOn?: Severity;
  exitZero: boolean;
  config?: string;
  baseline?: string | false;
  updateBaseline?: boolean;
  demo: boolean;
  probe: boolean;
  canary: string[];
  allowedHost: string[];
  proxy?: string;
  timeoutMs?: number;
  progress: boolean;
}

const EXIT_CODES = `
Exit codes:
  0  no finding at or above --fail-on (default: high), or --exit-zero
  1  at least one finding at or above --fail-on that is not in the baseline
  2  usage, config or runtime error`;

export function addOutputOptions(cmd: Command): Command {
  return cmd
    .addOption(
      new Option("-f, --format <format>", "output format: table, json, sarif, junit, markdown").default(
        undefined,
        "table",
      ),
    )
    .option("-o, --output <file>", "write the report to a file instead of stdout")
    .option(
      "--report <format:path>",
      "also write a report in another format (repeatable), e.g. sarif:out.sarif",
      collect,
      [],
    )
    .option(
      "--fail-on <severity>",
      "lowest severity that fails the run: critical, high, medium, low, info (default: high)",
      parseSeverity,
    )
    .option("--exit-zero", "exit 0 even when findings are at or above --fail-on", false)
    .option("--config <file>", "agent-audit.yaml to use (default: <root>/agent-audit.yaml when present)")
    .option("--no-progress", "never show progress on stderr");
}

export function addEgressOptions(cmd: Command): Command {
  addProbeTargetOptions(cmd);
  return cmd
    .option(
      "--canary <host:port>",
      "destination that must be unreachable (repeatable; IPv6 as [addr]:port)",
      collect,
      [],
    )
    .option(
      "--allowed-host <name>",
      "destination the agent legitimately needs, expected to work through the proxy (repeatable)",
      collect,
      [],
    )
    .option("--proxy <url>", "proxy to test (default: the agent's HTTPS_PROXY / HTTP_PROXY / ALL_PROXY)")
    .option("--timeout-ms <ms>", "timeout per probe in milliseconds (default: 2000)", parsePositiveInt);
}

/** What to inventory and where: shared by `scan` and `baseline`, so both see the same findings. */
export function addSourceOptions(cmd: Command): Command {
  return cmd
    .option(
      "--demo",
      "scan the demo sandbox bundled in fixtures/ (fake home, tree, environment and system)",
      false,
    )
    .option("--home <dir>", "home directory to inventory (default: the user's home)")
    .option("--root <dir>", "working tree to scan (default: the current directory)")
    .option(
      "--environ <file>",
      "read the agent's environment from a file, as data only (a copy of /proc/PID/environ, or KEY=VALUE lines)",
    )
    .option("--env-pid <pid>", "read the agent's environment from /proc/<pid>/environ", parsePositiveInt)
    .option("--no-env", "do not inventory any environment")
    .option(
      "--sources <list>",
      `sources to run, comma-separated: ${SOURCE_NAMES.join(",")} (default: all)`,
      parseSources,
    )
    .option("--system-root <dir>", "prefix for system paths: /run/secrets, /proc, sockets, /etc/passwd", "/")
    .option(
      "--as-user <name|uid>",
      "evaluate readability as this user (from mode bits, groups, directory search permission)",
    )
    .option("--include-vcs", "scan .git and other version-control internals", false)
    .option("--include-deps", "scan node_modules and vendored dependency folders", false)
    .option("--include-binary", "scan files that look binary", false)
    .option(
      "--max-file-size <size>",
      "skip tree files larger than this (0 = no cap)",
      parseSize,
      10 * 1024 * 1024,
    )
    .option("--concurrency <n>", "files read at once", parsePositiveInt, 32)
    .option(
      "--workers <n|auto>",
      "worker threads for big working trees, beside the main thread (0 = none; auto = one per core but one, at most 3)",
      parseWorkers,
      "auto",
    );
}

export function scanCommand(io: CliIo, result: CliResult): Command {
  const cmd = new Command("scan")
    .summary(
      "inventory every secret the agent can read, and score the sandbox (step 1; steps 2-3 with --probe)",
    )
    .description(
      "Inventory every secret the agent can read (environment, home dotfiles, working tree, mounted secrets, " +
        "sockets, other processes) and score the sandbox against the six-step checklist. No secret value is " +
        "ever printed: previews show at most 4 characters of secrets of 16+ characters.",
    );
  addSourceOptions(cmd)
    .option("--baseline <file>", `accepted inventory (default: <root>/${DEFAULT_BASELINE_FILE} when present)`)
    .option("--no-baseline", "ignore any baseline file")
    .option(
      "--update-baseline",
      "prune baseline entries that no longer match a finding and write the file back (adds nothing)",
      false,
    )
    .option(
      "--probe",
      "also probe egress from this network context (opt-in: probes trip egress alarms)",
      false,
    );
  addOutputOptions(cmd);
  addEgressOptions(cmd);
  cmd.addHelpText("after", EXIT_CODES);
  cmd.action(async (flags: ScanFlags) => {
    validateOutputFlags(flags);
    const { report, config } = await runScan(flags, io);
    writeReports(report, flags, io, config);
    // The report's verdict decides: every format shows the same failing findings (issue 9).
    result.exitCode = verdictExitCode(report.verdict!, flags.exitZero);
  });
  return cmd;
}

function existingDir(path: string, flag: string): string {
  const abs = resolve(path);
  let st: ReturnType<typeof statSync>;
  try {
    st = statSync(abs);
  } catch {
    throw new UsageError(`${flag} ${path}: no such directory`, `pass an existing directory to ${flag}`);
  }
  if (!st.isDirectory())
    throw new UsageError(`${flag} ${path}: not a directory`, `pass a directory to ${flag}`);
  return abs;
}

export async function loadAgentEnv(
  flags: Pick<ScanFlags, "env" | "environ" | "envPid" | "systemRoot">,
  io: CliIo,
): Promise<Record<string, string> | undefined> {
  if (!flags.env) return undefined;
  if (flags.environ && flags.envPid) throw new UsageError("--environ and --env-pid are mutually exclusive");
  if (flags.environ) return readEnvFile(resolve(io.cwd, flags.environ));
  if (flags.envPid) return readProcEnv(flags.envPid, flags.systemRoot);
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(io.env)) if (v !== undefined) env[k] = v;
  return env;
}

export interface ScanResult {
  report: AuditReport;
  /** The threshold for findings other than the tree's (probe uses it); `fail` has both. */
  failOn: Severity;
  fail: FailPolicy;
  config: AgentAuditConfig;
  loaded: LoadedConfig;
}

export async function runScan(
  flags: ScanFlags,
  io: CliIo,
  mode: { inventory: boolean; probe: boolean } = { inventory: true, probe: flags.probe },
): Promise<ScanResult> {
  if (!flags.demo) return scanWith(flags, io, mode);
  // The demo sandbox, written out to a temporary directory for this run (see demo-sandbox.ts).
  const demo = materializeDemo();
  try {
    const f = { ...flags };
    f.home ??= demo.home;
    f.root ??= demo.root;
    if (!f.environ && !f.envPid && f.env) f.environ = demo.environ;
    if (f.systemRoot === "/") f.systemRoot = demo.systemRoot;
    return await scanWith(f, io, mode);
  } finally {
    demo.cleanup();
  }
}

async function scanWith(
  flags: ScanFlags,
  io: CliIo,
  mode: { inventory: boolean; probe: boolean },
): Promise<ScanResult> {
  const started = Date.now();
  const root = existingDir(resolve(io.cwd, flags.root ?? "."), "--root");
  const home = existingDir(resolve(io.cwd, flags.home ?? io.homedir), "--home");
  const systemRoot = existingDir(resolve(io.cwd, flags.systemRoot), "--system-root");
  const loaded = await loadConfig({
    path: flags.config ? resolve(io.cwd, flags.config) : undefined,
    root,
    systemRoot,
  });
  const { config } = loaded;
  // Issue 8, trust model (src/config/policy.ts): a config found in the audited root governs the
  // tree's findings only; one named with --config governs every source.
  const scope = configScope(loaded.discovered);
  const fail = failPolicy(flags.failOn, config, scope);
  const failOn = fail.failOn;
  const env = await loadAgentEnv(flags, io);
  const sources = new Set<SourceName>(flags.sources ?? SOURCE_NAMES);
  if (!env) sources.delete("env");
  const access = flags.asUser
    ? identityAccess(await resolveUser(flags.asUser, systemRoot))
    : selfAccess(io.user);

  let accepted: Set<string> | undefined;
  const baselinePath =
    flags.baseline === false
      ? undefined
      : flags.baseline
        ? resolve(io.cwd, flags.baseline)
        : config.baseline
          ? resolve(root, config.baseline)
          : join(root, DEFAULT_BASELINE_FILE);
  if (flags.updateBaseline && !baselinePath)
    throw new UsageError("--update-baseline and --no-baseline are mutually exclusive");
  // Issue 8: a baseline found in the root (the default file, or a discovered config's `baseline:`)
  // is confined like the tree when the root lies in an audited image, and not read at all when the
  // root leads out of it; one named with --baseline or by a --config is the operator's choice.
  const rootConf = await confinementOf(systemRoot, root);
  const baselineFound = !flags.baseline && (!config.baseline || loaded.discovered);
  const baselineConfineTo = baselineFound && rootConf.kind === "inside" ? rootConf.root : undefined;
  const baseline =
    baselinePath && !(baselineFound && rootConf.kind === "escapes")
      ? await readBaseline(baselinePath, {
          // A config's `baseline:` that names no file is an error, as --baseline is (issue 8).
          required: Boolean(flags.baseline) || Boolean(config.baseline),
          confineTo: baselineConfineTo,
          ...(flags.baseline
            ? { label: `--baseline ${baselinePath}` }
            : config.baseline
              ? { label: `baseline ${baselinePath} (named in ${loaded.file})` }
              : {}),
        })
      : undefined;
  if (flags.updateBaseline && !baseline)
    throw new UsageError(
      `--update-baseline: no baseline file at ${baselinePath}`,
      "write one first with `agent-audit baseline`",
    );
  if (baseline) accepted = new Set(baseline.entries.map((e) => e.fingerprint));

  const progress = new Progress(io, flags.progress !== false && mode.inventory);
  const inventory = mode.inventory
    ? await runInventory({
        sources,
        env,
        home,
        root,
        systemRoot,
        access,
        target: { home, root, user: access.user, hostname: io.hostname },
        limits: {
          maxFileBytes: flags.maxFileSize,
          includeBinary: flags.includeBinary,
          includeVcs: flags.includeVcs,
          includeDeps: flags.includeDeps,
          exclude: config.exclude,
          include: config.include,
          ...(scope === "tree" ? { treeDisabledRules: config.rules.disable } : {}),
          concurrency: flags.concurrency,
          workers: flags.workers === undefined || flags.workers === "auto" ? autoWorkers() : flags.workers,
        },
        disabledRules: new Set(scope === "all" ? config.rules.disable : []),
        severityOverrides: scope === "all" ? config.rules.severity : {},
        accepted,
        onFile: (bytes) => progress.tick(bytes),
      })
    : { findings: [], issues: [], stats: { files: 0, bytes: 0 }, suppressed: { config: 0, inlineAllow: 0 } };
  progress.done();
  if (scope === "tree") applyTreeSeverity(inventory.findings, config.rules.severity);

  let extra: ExtraResults = {};
  if (mode.probe) {
    extra = await runEgress({
      canaries: flags.canary.length ? flags.canary : (config.egress?.canaries ?? []),
      allowedHosts: flags.allowedHost.length ? flags.allowedHost : (config.egress?.allowedHosts ?? []),
      proxy: flags.proxy ?? config.egress?.proxy,
      timeoutMs: flags.timeoutMs ?? config.egress?.timeoutMs ?? 2000,
      env: env ?? {},
      systemRoot,
      ...egressExtras(flags, config),
      ...(io.lookup ? { deps: { lookup: io.lookup } } : {}),
    });
    // Egress findings have stable fingerprints (probe, path, target): a baseline can accept them
    // too (`baseline --probe`), for a hole that is known and tracked.
    if (accepted) for (const f of extra.findings ?? []) f.accepted = accepted.has(f.fingerprint);
  }
  if (!mode.inventory) {
    extra.checklist = {
      ...extra.checklist,
      "secret-inventory": {
        status: "skip",
        summary: "not evaluated by `probe`: run `agent-audit scan`",
        evidence: [],
      },
    };
  }
  const report = buildReport(
    {
      target: { home, root, user: access.user, hostname: io.hostname },
      inventoryRan: mode.inventory && sources.size > 0,
      elapsedMs: Date.now() - started,
      sources: [...sources],
    },
    inventory,
    extra,
  );
  if (baseline && baselinePath && mode.inventory) {
    // Entries that match nothing any more: pruned with --update-baseline, otherwise reported.
    const stale = staleEntries(baseline, report.findings, sources, mode.probe);
    const where = displayPath(baselinePath, root);
    if (flags.updateBaseline && stale.length) {
      await writeBaseline(
        baselinePath,
        pruneBaseline(baseline, stale),
        baselineFound ? { within: root } : {},
      );
      io.stderr(
        `agent-audit: pruned ${stale.length} stale entr${stale.length === 1 ? "y" : "ies"} from ${where}\n`,
      );
    } else if (!flags.updateBaseline) {
      // A loop, not a spread: 130k stale entries overflowed the call stack (issue 8).
      for (const issue of staleIssues(stale, where)) report.issues.push(issue);
    }
  }
  report.policy = reportPolicy({
    config,
    ...(loaded.file ? { configPath: displayPath(loaded.file, root) } : {}),
    discovered: loaded.discovered,
    ...(flags.failOn ? { failFlag: flags.failOn } : {}),
    ...(baseline && baselinePath
      ? { baseline: { path: displayPath(baselinePath, root), entries: baseline.entries.length } }
      : {}),
    findings: report.findings,
    suppressed: inventory.suppressed,
  });
  report.verdict = reportVerdict(report.findings, fail);
  return { report, failOn, fail, config, loaded };
}
