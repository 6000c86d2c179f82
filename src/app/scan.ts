// The scan use case (issue 9, app layer): what `scan`, `probe`, `baseline` and the demo reports
// run. Typed requests in, a report out; no commander, no flag names, no output. The CLI maps its
// flags to a ScanRequest (cli/scan.ts) and renders what comes back.

import { lstatSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { scoreAlerting, type WatcherConfig } from "../capabilities/alerting/step.js";
import { type EgressOptions, runEgress } from "../capabilities/egress/index.js";
import { inventorySecrets, portablePath, runInspect } from "../capabilities/inspect/index.js";
import type { CommandJudge } from "../capabilities/inspect/mcp/types.js";
import type { ConfiguredGate, Origin } from "../capabilities/inspect/types.js";
import { type InventoryResult, runInventory, type ScanOptions } from "../capabilities/inventory/index.js";
import { AwsIamAnalyzer, CredentialsError, resolveCredentials } from "../capabilities/scope/aws/index.js";
import { OfflineAnalyzer, ScopeCollector } from "../capabilities/scope/index.js";
import {
  type Baseline,
  type BaselineEntry,
  DEFAULT_BASELINE_FILE,
  displayPath,
  isToolListEntry,
  pruneBaseline,
  readBaseline,
  staleEntries,
  staleIssues,
  writeBaseline,
} from "../config/baseline.js";
import { type AgentAuditConfig, type LoadedConfig, loadConfig } from "../config/index.js";
import type {
  AuditReport,
  ChecklistItem,
  EgressPosture,
  ExtraResults,
  Finding,
  PolicyScope,
  ScanIssue,
  Severity,
  SourceName,
  StepId,
  StepStatus,
} from "../contract/types.js";
import { SEVERITY_RANK, SOURCE_NAMES } from "../contract/types.js";
import { redactReport, runRedactor } from "../detect/redact.js";
import { buildReport } from "../report/build.js";
import {
  applyTreeSeverity,
  configScope,
  type FailPolicy,
  failPolicy,
  reportPolicy,
  reportVerdict,
} from "../report/policy.js";
import { type Access, identityAccess, selfAccess } from "../sources/access.js";
import { readEnvFile, readProcEnv } from "../sources/env.js";
import { autoWorkers } from "../sources/scan-pool.js";
import { resolveUser } from "../sources/users.js";
import { confinementOf } from "../util/confine.js";
import { safeMessage, UsageError } from "../util/errors.js";
import { materializeDemo } from "./demo.js";

/** Where the agent's environment comes from. */
export type EnvironmentSpec =
  | { from: "none" }
  /** This process's own environment (AppContext.env): the auditor runs as the agent. */
  | { from: "self" }
  /** A file read as data only: a copy of /proc/PID/environ, or KEY=VALUE lines. */
  | { from: "file"; path: string }
  /** /proc/<pid>/environ under the system root. */
  | { from: "pid"; pid: number };

/** How the working tree is walked. */
export interface TreeSettings {
  maxFileSize: number;
  includeVcs: boolean;
  includeDeps: boolean;
  includeBinary: boolean;
  concurrency: number;
  workers: number | "auto";
}

/** The egress probes to run (steps 2 and 3); the config's `egress:` section fills what is not given. */
export interface EgressRequest {
  canaries: string[];
  allowedHosts: string[];
  proxy?: string;
  timeoutMs?: number;
  dnsResolvers?: string[];
  metadata?: string[];
  ports?: number[];
  /** false: no default target (only the given ones). */
  useDefaults?: boolean;
  /** false: do not read the firewall rules. */
  firewallEvidence?: boolean;
}

export interface ScanRequest {
  /** The bundled demo sandbox fills home, root, environment and system root when not given. */
  demo: boolean;
  home?: string;
  root?: string;
  systemRoot: string;
  environment: EnvironmentSpec;
  /** Sources to run (default: all). */
  sources?: SourceName[];
  /** Judge readability as this user (name or uid) instead of the auditor's own. */
  asUser?: string;
  tree: TreeSettings;
  /** Run the inventory (step 1). `probe` runs the egress probes alone. */
  inventory: boolean;
  /** Run the egress probes (steps 2 and 3). */
  egress?: EgressRequest;
  failOn?: Severity;
  /** agent-audit.yaml to use; default: <root>/agent-audit.yaml when present. */
  config?: string;
  /** A baseline file; false: none; undefined: the config's, else <root>/.agent-audit-baseline.json. */
  baseline?: string | false;
  /** Prune stale baseline entries and write the file back. */
  updateBaseline?: boolean;
  /** List every finding: no listing cap per rule and file (the baseline records every one). */
  listAll?: boolean;
  /**
   * Replay the built-in gate corpus through every configured gate the inspectors find (issue 11,
   * `gate verify`): a gate that lets a dangerous category through, or fails open, fails step 5.
   * Runs the hook commands of the audited configs, as the runtime would.
   */
  verifyGates?: boolean;
  /** A `tools/list` export of MCP servers to judge offline (issue 16; relative to cwd). */
  mcpTools?: string;
  /** Corpus files (JSON lines) replayed instead of the built-in corpus by verifyGates. */
  verifyCorpus?: string[];
  /**
   * Step 4, live (issue 14): with the probes, wait this long for the proxy's refusal of a probe
   * request to come out of the watcher (its `file:` sinks) as an alert.
   */
  verifyAlerting?: { timeoutMs: number };
  /** Step 6, live (issue 13): analyse the agent's AWS keys through IAM. */
  aws?: { profile?: string; endpoint?: string; region?: string; windowDays?: number };
}

/** The world the use case runs in; tests pass their own. */
export interface AppContext {
  cwd: string;
  /** This process's environment (for `environment: { from: "self" }`). */
  env: Record<string, string | undefined>;
  homedir: string;
  user: string;
  hostname: string;
  /** Name resolution for the probes (tests pass their own). */
  lookup?: (host: string) => Promise<{ address: string; family: number }[]>;
  /** Called per file read by the inventory, with its size. */
  onFile?: (bytes: number) => void;
  /** Called once the inventory is over. */
  onInventoryDone?: () => void;
  /** A one-line notice for the person running the scan (e.g. entries pruned from the baseline). */
  notice?: (text: string) => void;
}

export interface ScanResult {
  report: AuditReport;
  /** The threshold for findings other than the tree's; `fail` has both. */
  failOn: Severity;
  fail: FailPolicy;
  config: AgentAuditConfig;
  loaded: LoadedConfig;
}

/** A request with every default: the whole inventory of the current user, no probes. */
export function defaultScanRequest(overrides: Partial<ScanRequest> = {}): ScanRequest {
  return {
    demo: false,
    systemRoot: "/",
    environment: { from: "self" },
    tree: {
      maxFileSize: 10 * 1024 * 1024,
      includeVcs: false,
      includeDeps: false,
      includeBinary: false,
      concurrency: 32,
      workers: "auto",
    },
    inventory: true,
    ...overrides,
  };
}

/** Runs a scan: on the demo sandbox (written to a temporary directory for the run) or as asked. */
export async function runScan(request: ScanRequest, ctx: AppContext): Promise<ScanResult> {
  if (!request.demo) return scanWith(request, ctx);
  const demo = materializeDemo();
  try {
    return await scanWith(demoRequest(request, demo), ctx);
  } finally {
    demo.cleanup();
  }
}

/** The request with the demo sandbox in every place the request leaves open. A new request. */
function demoRequest(request: ScanRequest, demo: ReturnType<typeof materializeDemo>): ScanRequest {
  return {
    ...request,
    home: request.home ?? demo.home,
    root: request.root ?? demo.root,
    environment:
      request.environment.from === "self" ? { from: "file", path: demo.environ } : request.environment,
    systemRoot: request.systemRoot === "/" ? demo.systemRoot : request.systemRoot,
  };
}

async function scanWith(request: ScanRequest, ctx: AppContext): Promise<ScanResult> {
  const started = Date.now();
  const where = resolveTarget(request, ctx);
  // Checked before anything runs: a mistyped path fails at once, not after the inventory.
  const mcpTools =
    request.mcpTools !== undefined
      ? existingFile(resolve(ctx.cwd, request.mcpTools), "--mcp-tools")
      : undefined;
  const loaded = await loadConfig({
    path: request.config ? resolve(ctx.cwd, request.config) : undefined,
    root: where.root,
    systemRoot: where.systemRoot,
  });
  // Issue 8, trust model (report/policy.ts): a config found in the audited root governs the
  // tree's findings only; one named with --config governs every source.
  const scope = configScope(loaded.discovered);
  const fail = failPolicy(request.failOn, loaded.config.failOn, scope);
  const env = await loadAgentEnv(request.environment, where.systemRoot, ctx);
  const sources = new Set<SourceName>(request.sources ?? SOURCE_NAMES);
  if (!env) sources.delete("env");
  const access = request.asUser
    ? identityAccess(await resolveUser(request.asUser, where.systemRoot))
    : selfAccess(ctx.user);
  const baseline = await openBaseline(request, loaded, where, ctx.cwd);
  const accepted = baseline ? new Set(baseline.file.entries.map((e) => e.fingerprint)) : undefined;

  // Step 6 (issue 10) judges every listed secret while its raw value is still in hand; only
  // assessments leave the scope capability.
  const trusted = scope === "all";
  const scopeCollector = new ScopeCollector({
    home: where.home,
    root: where.root,
    ...(request.aws
      ? { analyzers: [new OfflineAnalyzer(), await awsAnalyzer(request.aws, env, where.home)] }
      : {}),
    ...(accepted ? { accepted } : {}),
    ...(trusted
      ? {
          disabledRules: new Set(loaded.config.rules.disable),
          severityOverrides: loaded.config.rules.severity,
        }
      : {}),
  });
  const inventory = request.inventory
    ? await inventoryStep(request, ctx, {
        where,
        env,
        sources,
        access,
        loaded,
        accepted,
        onListed: scopeCollector.onListed,
      })
    : emptyInventory();
  ctx.onInventoryDone?.();
  if (scope === "tree") applyTreeSeverity(inventory.findings, loaded.config.rules.severity);
  // Step 4 (issue 14), judged by `scan` (not by `probe`, which scores steps 2 and 3 alone): the
  // watcher configs the scan can trust; with --verify-alerting, the length of their file sinks
  // before the probes run.
  const watch = request.inventory
    ? await trustedWatchers(loaded, scope, sources.has("system") ? where.systemRoot : undefined, ctx)
    : undefined;
  // Loaded only for --verify-alerting (scan start-up matters).
  const verify =
    watch && request.verifyAlerting && request.egress
      ? await import("../capabilities/alerting/verify.js")
      : undefined;
  const marks = verify && watch ? await verify.markSinks(verify.fileSinks(watch.watchers)) : undefined;
  const extra = await egressStep(request, ctx, {
    env: env ?? {},
    systemRoot: where.systemRoot,
    config: loaded.config,
    scope,
    suppressed: inventory.suppressed,
    accepted,
  });
  if (!request.inventory) extra.checklist = { ...extra.checklist, "secret-inventory": NOT_EVALUATED };
  const verified =
    verify && marks && request.verifyAlerting
      ? await verify.verifyAlerting({
          marks,
          hosts: verify.refusedHosts(extra.probes ?? []),
          timeoutMs: request.verifyAlerting.timeoutMs,
        })
      : undefined;
  if (watch)
    mergeExtra(extra, {
      checklist: {
        "egress-alerting": scoreAlerting({
          ...watch,
          ...proxyOf(request, loaded, scope, env ?? {}),
          ...(verified ? { verified } : {}),
        }),
      },
    });
  if (request.inventory) {
    const inspected = await inspectStep(where, {
      mcpTools,
      posture: extra.probed ? extra.posture : undefined,
      allowlist: request.egress
        ? egressOptions(request.egress, loaded.config).allowedHosts
        : scope === "all"
          ? loaded.config.egress?.allowedHosts
          : undefined,
      ...(request.verifyGates
        ? { verifyGates: { env: ctx.env, cwd: ctx.cwd, corpus: request.verifyCorpus } }
        : {}),
      env: sources.has("env") ? env : undefined,
      sources,
      loaded,
      accepted,
      findings: inventory.findings,
      suppressed: inventory.suppressed,
    });
    const mcpFindings = inspected.mcpFindings;
    mergeExtra(extra, inspected);
    // Issue 16: servers that need hosts the egress posture refuses, or may reach anything, feed
    // step 3 when the probes scored it.
    const proxyStep = extra.checklist?.["egress-proxy"];
    if (proxyStep)
      extra.checklist = {
        ...extra.checklist,
        "egress-proxy": feedStep(proxyStep, mcpFindings, "egress-proxy", "MCP servers"),
      };
    const inventoried = [...sources].some((s) => s !== "system");
    if (inventoried) {
      const judged = await scopeCollector.finish();
      mergeExtra(extra, {
        findings: judged.findings,
        issues: judged.issues,
        // Issue 16: broad tokens handed to MCP servers.
        checklist: {
          "credential-scope": feedStep(judged.step, mcpFindings, "credential-scope", "MCP servers"),
        },
      });
    }
  } else {
    extra.checklist = {
      ...extra.checklist,
      "approval-gate": NOT_EVALUATED,
      "credential-scope": NOT_EVALUATED,
    };
  }

  // The output boundary's first half (issue 8): every audited-world string of the report is
  // redacted before any renderer, the baseline or a script sees it.
  const report = redactReport(
    buildReport(
      {
        target: { home: where.home, root: where.root, user: access.user, hostname: ctx.hostname },
        inventoryRan: request.inventory && [...sources].some((s) => s !== "system"),
        elapsedMs: Date.now() - started,
        sources: [...sources],
      },
      inventory,
      extra,
    ),
    inventory.redactor ?? runRedactor(),
  );
  if (baseline && request.inventory)
    await reconcileBaseline(request, ctx, report, baseline, {
      sources,
      root: where.root,
      counted: inventory.counted,
      // A rule the config disables was not looked for: its entries are not stale (issue 9 review).
      disabled: (e) =>
        (loaded.config.rules.disable.includes(e.ruleId) &&
          (scope === "all" || e.location.source === "tree")) ||
        // A tool list's pin is looked for only with a tools/list export (issue 16).
        (isToolListEntry(e) && request.mcpTools === undefined),
    });
  report.policy = reportPolicy({
    config: loaded.config,
    ...(loaded.file ? { configPath: displayPath(loaded.file, where.root) } : {}),
    discovered: loaded.discovered,
    ...(request.failOn ? { failFlag: request.failOn } : {}),
    ...(baseline
      ? { baseline: { path: displayPath(baseline.path, where.root), entries: baseline.file.entries.length } }
      : {}),
    findings: report.findings,
    suppressed: inventory.suppressed,
  });
  report.verdict = reportVerdict(report.findings, fail);
  return { report, failOn: fail.failOn, fail, config: loaded.config, loaded };
}

/** Adds a capability's results to those gathered so far. */
function mergeExtra(into: ExtraResults, more: ExtraResults): void {
  if (more.findings) into.findings = [...(into.findings ?? []), ...more.findings];
  if (more.issues) into.issues = [...(into.issues ?? []), ...more.issues];
  if (more.checklist) into.checklist = { ...into.checklist, ...more.checklist };
  if (more.agents) into.agents = more.agents;
}

/** The origins of runtime configs a set of sources reads. */
function originsOf(sources: ReadonlySet<SourceName>): Set<Origin> {
  const out = new Set<Origin>();
  if (sources.has("home")) out.add("home");
  if (sources.has("tree")) out.add("tree");
  if (sources.has("system")) out.add("system");
  return out;
}

/**
 * Step 5 (issue 10): the agent runtimes' configs. The config's rules.disable and rules.severity
 * reach these findings only from a config named with --config (issue 8, trust model: one found in
 * the audited root governs the tree's secret findings, not the verdict on the agent's own gate).
 */
async function inspectStep(
  where: Target,
  run: {
    env: Record<string, string> | undefined;
    sources: ReadonlySet<SourceName>;
    loaded: LoadedConfig;
    accepted: Set<string> | undefined;
    findings: readonly Finding[];
    /** `scan --mcp-tools FILE` (absolute). */
    mcpTools: string | undefined;
    /** The probed egress posture (absent: not probed) and the allowlist the operator gave. */
    posture: EgressPosture | undefined;
    allowlist: readonly string[] | undefined;
    /** Counts the findings the config's rules.disable kept out. */
    suppressed: { config: number };
    /** `scan --verify-gates`: the auditor's environment (PATH and the locale for the hooks) and the corpus. */
    verifyGates?: { env: Record<string, string | undefined>; cwd: string; corpus: string[] | undefined };
  },
): Promise<ExtraResults & { mcpFindings: Finding[] }> {
  const trusted = configScope(run.loaded.discovered) === "all";
  const credentialPaths = [
    ...new Set(
      run.findings
        .filter((f) => f.location.source === "home" && f.location.path)
        .map((f) => f.location.path as string),
    ),
  ].sort();
  const result = await runInspect({
    home: where.home,
    root: where.root,
    systemRoot: where.systemRoot,
    origins: originsOf(run.sources),
    ...(run.env ? { env: run.env } : {}),
    credentialPaths,
    ...(trusted
      ? {
          disabledRules: new Set(run.loaded.config.rules.disable),
          severityOverrides: run.loaded.config.rules.severity,
        }
      : {}),
    ...(run.accepted ? { accepted: run.accepted } : {}),
    // Issue 16: MCP servers, skills and tool lists, judged by the gate's classifier (composed
    // here: capabilities never import each other) and linked to the inventory's secrets.
    mcp: {
      judge: await mcpJudge(where),
      secrets: inventorySecrets(run.findings),
      ...(run.mcpTools ? { toolsExport: run.mcpTools } : {}),
      ...(run.posture ? { egress: { posture: run.posture, allowlist: [...(run.allowlist ?? [])] } } : {}),
    },
  });
  run.suppressed.config += result.suppressed;
  let { findings, step, issues } = result;
  const mcpFindings = result.mcp?.findings ?? [];
  findings = [...findings, ...mcpFindings];
  step = feedStep(step, mcpFindings, "approval-gate", "MCP servers and skills");
  if (run.verifyGates && result.gates.length) {
    const verified = await verifyStep(where, result.gates, run.verifyGates, {
      ...(trusted ? { disabled: new Set(run.loaded.config.rules.disable) } : {}),
      ...(run.accepted ? { accepted: run.accepted } : {}),
      suppressed: run.suppressed,
    });
    findings = [...findings, ...verified.findings];
    issues = [...issues, ...verified.issues];
    if (verified.failing.length)
      step = {
        status: "fail",
        summary: `gate verify: ${verified.failing.join("; ")}; ${step.summary}`,
        evidence: [...step.evidence, ...verified.findings.map((f) => f.fingerprint)],
      };
  }
  return {
    findings,
    issues,
    agents: result.agents,
    checklist: { "approval-gate": step },
    mcpFindings,
  };
}

/** The gate's engine and built-in policy as the classifier of MCP launchers and skill commands. */
async function mcpJudge(where: Target): Promise<CommandJudge> {
  // Loaded when the inspectors run, not with this module (`probe` loads it too and needs no gate).
  const [{ compiledPolicy }, { decide }] = await Promise.all([
    import("../capabilities/gate/compiled.js"),
    import("../capabilities/gate/engine.js"),
  ]);
  const policy = compiledPolicy() ?? (await import("../capabilities/gate/load.js")).builtinPolicy();
  return (command, cwd) => decide(command, { cwd, home: where.home, workspace: where.root }, policy);
}

/**
 * What MCP servers and skills add to a step another capability scored (issue 16): an open
 * high/critical finding of the step's control fails it, an open medium one turns a pass into a warn;
 * the findings are its evidence either way. A skipped or errored step stays as it is (the findings
 * still show in the report).
 */
export function feedStep(
  step: Omit<ChecklistItem, "step" | "id">,
  findings: readonly Finding[],
  control: StepId,
  what: string,
): Omit<ChecklistItem, "step" | "id"> {
  const own = findings.filter((f) => f.control === control && !f.accepted);
  if (!own.length || step.status === "skip" || step.status === "error") return step;
  const serious = own.filter((f) => SEVERITY_RANK[f.severity] >= SEVERITY_RANK.high);
  const medium = own.filter((f) => f.severity === "medium");
  const counted = serious.length ? serious : medium;
  if (!counted.length) return step;
  const status: StepStatus = serious.length ? "fail" : step.status === "pass" ? "warn" : step.status;
  const worst = serious.length ? "high/critical" : "medium";
  return {
    status,
    summary: `${what}: ${counted.length} ${worst} finding${counted.length === 1 ? "" : "s"}; ${step.summary}`,
    evidence: [...step.evidence, ...counted.map((f) => f.fingerprint)],
  };
}

/**
 * `scan --verify-gates` (issue 11): replays the built-in corpus through the configured gates and
 * returns their findings (gate-verify-miss, gate-verify-fails-open) with one line per failing gate.
 */
async function verifyStep(
  where: Target,
  gates: readonly ConfiguredGate[],
  run: { env: Record<string, string | undefined>; cwd: string; corpus: string[] | undefined },
  opts: { disabled?: ReadonlySet<string>; accepted?: ReadonlySet<string>; suppressed: { config: number } },
): Promise<{ findings: Finding[]; failing: string[]; issues: ScanIssue[] }> {
  const { builtinCorpus, hookEnv, loadCorpus, verifyConfigured, verifyFindings } = await import(
    "./gate-verify.js"
  );
  const portable = (abs: string) => portablePath(abs, where);
  const verified = await verifyConfigured(
    gates,
    run.corpus ? loadCorpus({ corpus: run.corpus, builtin: false }, run.cwd).cases : builtinCorpus(),
    { home: where.home, root: where.root, env: hookEnv(run.env, where.home) },
    {},
  );
  const all = verifyFindings(verified.gates, portable, opts.accepted);
  const findings = all.filter((f) => !opts.disabled?.has(f.ruleId));
  opts.suppressed.config += all.length - findings.length;
  const failing = verified.gates
    .filter((g) =>
      findings.some((f) => f.location.name === g.key && f.location.path === (g.file ?? g.files?.[0])),
    )
    .map((g) => {
      const place = g.file ? `${portable(g.file)} ${g.key}` : (g.files ?? []).map(portable).join(", ");
      const what = [
        ...(g.missedCategories.length ? [`missed ${g.missedCategories.join(", ")}`] : []),
        ...(g.failsOpen ? ["fails open"] : []),
      ];
      return `${g.runtime} ${g.kind === "hook" ? "hook" : "rules"} ${place} ${what.join(" and ")}`;
    });
  // What could not be replayed is said, not passed over (a gate not tested is not a gate verified).
  // Not worded "skipped:": that prefix marks a gap in the secret inventory (step 1).
  const issues: ScanIssue[] = [];
  if (verified.notVerified)
    issues.push({
      where: "gate verify",
      message: `${verified.notVerified} hook${verified.notVerified === 1 ? "" : "s"} not replayed (over the cap of hooks per run)`,
    });
  if (verified.codex === "not-installed")
    issues.push({
      where: "gate verify",
      message: "Codex rules files found but not replayed (the codex CLI is not on PATH)",
    });
  return { findings, failing, issues };
}

const NOT_EVALUATED = {
  status: "skip" as const,
  summary: "not evaluated by `probe`: run `agent-audit scan`",
  evidence: [],
};

interface Target {
  root: string;
  home: string;
  systemRoot: string;
}

function resolveTarget(request: ScanRequest, ctx: AppContext): Target {
  return {
    root: existingDir(resolve(ctx.cwd, request.root ?? "."), "--root"),
    // `probe` reads no home: a missing one is no error there (it has no --home to fix it with).
    home: request.inventory
      ? existingDir(resolve(ctx.cwd, request.home ?? ctx.homedir), "--home")
      : resolve(ctx.cwd, request.home ?? ctx.homedir),
    systemRoot: existingDir(resolve(ctx.cwd, request.systemRoot), "--system-root"),
  };
}

/** `what` names the setting in the message (the CLI's flag name: the user knows it by that). */
/**
 * The tools/list export the operator named (issue 16): a path that is not there, or not a regular
 * file, is a usage error (exit 2), not an issue a CI run would pass over; what the file holds is
 * judged as data (malformed JSON is an issue of the scan).
 */
function existingFile(path: string, what: string): string {
  let st: ReturnType<typeof statSync>;
  try {
    st = statSync(path);
  } catch {
    throw new UsageError(
      `${what} ${path}: no such file`,
      `pass the path of a tools/list export (JSON) to ${what}`,
    );
  }
  if (!st.isFile())
    throw new UsageError(
      `${what} ${path}: not a regular file`,
      `pass the path of a tools/list export (JSON) to ${what}`,
    );
  return path;
}

function existingDir(path: string, what: string): string {
  let st: ReturnType<typeof statSync>;
  try {
    st = statSync(path);
  } catch {
    throw new UsageError(`${what} ${path}: no such directory`, `pass an existing directory to ${what}`);
  }
  if (!st.isDirectory())
    throw new UsageError(`${what} ${path}: not a directory`, `pass a directory to ${what}`);
  return path;
}

/** The proxy variables a client honours (the egress probes read the same). */
const PROXY_VARS = ["HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"];
/** Where `agent-audit fix` installs the watcher's config (src/fix/alerting.ts WATCH_CONFIG_PATH). */
const SYSTEM_WATCH_CONFIG = "etc/agent-audit/agent-audit.yaml";

/**
 * Step 4: the watcher configs the scan can trust (a --config named by the operator; the system
 * file, read with the `system` source, if nobody but root or the auditor can write it). A config found in the audited
 * root is the agent's: it cannot make step 4 pass.
 */
async function trustedWatchers(
  loaded: LoadedConfig,
  scope: ReturnType<typeof configScope>,
  /** The audited system's root when the `system` source is on (its /etc is read), else undefined. */
  systemRoot: string | undefined,
  ctx: AppContext,
): Promise<{ watchers: WatcherConfig[]; ignored: string[] }> {
  const watchers: WatcherConfig[] = [];
  const ignored: string[] = [];
  const a = loaded.config.alerting;
  if (a && loaded.file) {
    const origin = displayPath(loaded.file, ctx.cwd);
    if (scope === "all")
      watchers.push({ origin: `--config ${origin}`, sources: a.sources ?? [], sinks: a.sinks ?? [] });
    else ignored.push(`${origin} (found in the audited tree: the agent can write it)`);
  }
  if (systemRoot === undefined) return { watchers, ignored };
  const sys = join(systemRoot, SYSTEM_WATCH_CONFIG);
  try {
    const st = lstatSync(sys);
    const uid = process.getuid?.();
    if (!st.isFile()) ignored.push(`/${SYSTEM_WATCH_CONFIG} (not a regular file)`);
    else if ((st.mode & 0o022) !== 0 || (st.uid !== 0 && st.uid !== uid))
      ignored.push(`/${SYSTEM_WATCH_CONFIG} (writable by others, or owned by another user)`);
    else {
      const sysLoaded = await loadConfig({ path: sys, root: systemRoot });
      const sa = sysLoaded.config.alerting;
      if (sa)
        watchers.push({
          origin: `/${SYSTEM_WATCH_CONFIG}`,
          sources: sa.sources ?? [],
          sinks: sa.sinks ?? [],
        });
    }
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code !== "ENOENT" && code !== "ENOTDIR")
      ignored.push(`/${SYSTEM_WATCH_CONFIG} (${e instanceof UsageError ? e.message : safeMessage(e)})`);
  }
  return { watchers, ignored };
}

/** Whether the agent's traffic has a proxy, and where that was seen. */
function proxyOf(
  request: ScanRequest,
  loaded: LoadedConfig,
  scope: ReturnType<typeof configScope>,
  env: Record<string, string>,
): { proxy?: { seenIn: string } } {
  if (request.egress?.proxy) return { proxy: { seenIn: "--proxy" } };
  if (loaded.config.egress?.proxy && scope === "all") return { proxy: { seenIn: "egress.proxy" } };
  const envProxy = PROXY_VARS.find((k) => (env[k] ?? "").trim() !== "");
  return envProxy ? { proxy: { seenIn: envProxy } } : {};
}

/** `scan --aws`: the live IAM analyzer for the agent's AWS keys (the environment's, or a profile's). */
async function awsAnalyzer(
  aws: NonNullable<ScanRequest["aws"]>,
  env: Record<string, string> | undefined,
  home: string,
): Promise<AwsIamAnalyzer> {
  let creds: Awaited<ReturnType<typeof resolveCredentials>>;
  try {
    creds = await resolveCredentials({
      env: env ?? {},
      home,
      ...(aws.profile !== undefined ? { profile: aws.profile } : {}),
    });
  } catch (e) {
    if (e instanceof CredentialsError)
      throw new UsageError(`--aws: ${e.message}`, "pass --aws-profile NAME, or drop --aws");
    throw e;
  }
  // The SDK loads only when --aws asks for it (it is most of a cold start otherwise).
  const { gatherLive } = await import("../capabilities/scope/aws/live.js");
  return new AwsIamAnalyzer(
    creds,
    (c) =>
      gatherLive({
        credentials: c,
        ...(aws.region ? { region: aws.region } : {}),
        ...(aws.endpoint ? { endpoint: aws.endpoint } : {}),
      }),
    aws.windowDays ?? 90,
  );
}

/** The agent's environment, read as data only; undefined when there is none to inventory. */
export async function loadAgentEnv(
  spec: EnvironmentSpec,
  systemRoot: string,
  ctx: Pick<AppContext, "cwd" | "env">,
): Promise<Record<string, string> | undefined> {
  switch (spec.from) {
    case "none":
      return undefined;
    case "file":
      return readEnvFile(resolve(ctx.cwd, spec.path));
    case "pid":
      return readProcEnv(spec.pid, systemRoot);
    case "self": {
      const env: Record<string, string> = {};
      for (const [k, v] of Object.entries(ctx.env)) if (v !== undefined) env[k] = v;
      return env;
    }
  }
}

interface OpenBaseline {
  path: string;
  file: Baseline;
  /** Found in the root (the default file, or a discovered config's `baseline:`), not named by the operator. */
  found: boolean;
}

/** The baseline in effect: named, the config's, or the default file in the root when present. */
async function openBaseline(
  request: ScanRequest,
  loaded: LoadedConfig,
  where: Target,
  cwd: string,
): Promise<OpenBaseline | undefined> {
  const { config } = loaded;
  const path =
    request.baseline === false
      ? undefined
      : request.baseline
        ? resolve(cwd, request.baseline)
        : config.baseline
          ? resolve(where.root, config.baseline)
          : join(where.root, DEFAULT_BASELINE_FILE);
  if (request.updateBaseline && !path)
    throw new UsageError("--update-baseline and --no-baseline are mutually exclusive");
  // Issue 8: a baseline found in the root is confined like the tree when the root lies in an
  // audited image, and not read at all when the root leads out of it; one named with --baseline or
  // by a --config is the operator's choice.
  const rootConf = await confinementOf(where.systemRoot, where.root);
  const found = !request.baseline && (!config.baseline || loaded.discovered);
  const file =
    path && !(found && rootConf.kind === "escapes")
      ? await readBaseline(path, {
          // A config's `baseline:` that names no file is an error, as --baseline is (issue 8).
          required: Boolean(request.baseline) || Boolean(config.baseline),
          confineTo: found && rootConf.kind === "inside" ? rootConf.root : undefined,
          ...(request.baseline
            ? { label: `--baseline ${path}` }
            : config.baseline
              ? { label: `baseline ${path} (named in ${loaded.file})` }
              : {}),
        })
      : undefined;
  if (request.updateBaseline && !file)
    throw new UsageError(
      `--update-baseline: no baseline file at ${path}`,
      "write one first with `agent-audit baseline`",
    );
  return file && path ? { path, file, found } : undefined;
}

function inventoryStep(
  request: ScanRequest,
  ctx: AppContext,
  run: {
    where: Target;
    env: Record<string, string> | undefined;
    sources: Set<SourceName>;
    access: Access;
    loaded: LoadedConfig;
    accepted: Set<string> | undefined;
    onListed?: ScanOptions["onListed"];
  },
): Promise<InventoryResult> {
  const { config } = run.loaded;
  const scope = configScope(run.loaded.discovered);
  const { tree } = request;
  return runInventory({
    sources: run.sources,
    env: run.env,
    home: run.where.home,
    root: run.where.root,
    systemRoot: run.where.systemRoot,
    access: run.access,
    target: { home: run.where.home, root: run.where.root, user: run.access.user, hostname: ctx.hostname },
    limits: {
      maxFileBytes: tree.maxFileSize,
      includeBinary: tree.includeBinary,
      includeVcs: tree.includeVcs,
      includeDeps: tree.includeDeps,
      exclude: config.exclude,
      include: config.include,
      ...(scope === "tree" ? { treeDisabledRules: config.rules.disable } : {}),
      concurrency: tree.concurrency,
      workers: tree.workers === "auto" ? autoWorkers() : tree.workers,
    },
    disabledRules: new Set(scope === "all" ? config.rules.disable : []),
    severityOverrides: scope === "all" ? config.rules.severity : {},
    accepted: run.accepted,
    ...(request.listAll ? { listAll: true } : {}),
    ...(run.onListed ? { onListed: run.onListed } : {}),
    onFile: ctx.onFile,
  });
}

function emptyInventory(): InventoryResult {
  return {
    findings: [],
    issues: [],
    stats: { files: 0, bytes: 0 },
    suppressed: { config: 0, inlineAllow: 0 },
  };
}

async function egressStep(
  request: ScanRequest,
  ctx: AppContext,
  run: {
    env: Record<string, string>;
    systemRoot: string;
    config: AgentAuditConfig;
    scope: PolicyScope;
    /** Counts the findings the config's rules.disable kept out. */
    suppressed: { config: number };
    accepted: Set<string> | undefined;
  },
): Promise<ExtraResults> {
  if (!request.egress) return {};
  // A config found in the audited root is the agent's word (issue 8, trust model): it does not
  // choose what the probes test (it could drop the default canaries or the firewall evidence and
  // hide a hole, issue 9 review). Only a config named with --config does.
  const trusted = run.scope === "all" ? run.config : { ...run.config, egress: undefined };
  const ignored = run.scope === "tree" && run.config.egress !== undefined;
  const extra = await runEgress({
    ...egressOptions(request.egress, trusted),
    env: run.env,
    systemRoot: run.systemRoot,
    ...(ctx.lookup ? { deps: { lookup: ctx.lookup } } : {}),
  });
  if (run.scope === "all") run.suppressed.config += applyRulesConfig(extra, run.config);
  // Egress findings have stable fingerprints (probe, path, target): a baseline can accept them
  // too (`baseline --probe`), for a hole that is known and tracked.
  if (run.accepted) for (const f of extra.findings ?? []) f.accepted = run.accepted.has(f.fingerprint);
  if (ignored) {
    extra.issues = [
      ...(extra.issues ?? []),
      {
        where: "agent-audit.yaml",
        message:
          "egress: ignored: a config found in the audited root does not choose the probes' targets (name it with --config to use it)",
      },
    ];
  }
  return extra;
}

/**
 * A config named with --config governs every source (issue 8, trust model): its rules.disable and
 * rules.severity reach the egress findings too, whose ids are in the rule catalog (issue 9). A
 * disabled finding goes, and so does its fingerprint from the steps' evidence; a step's status,
 * which is about the control, stays. Returns how many findings were dropped.
 */
function applyRulesConfig(extra: ExtraResults, config: AgentAuditConfig): number {
  if (!extra.findings) return 0;
  const off = new Set(config.rules.disable);
  const dropped = new Set(extra.findings.filter((f) => off.has(f.ruleId)).map((f) => f.fingerprint));
  extra.findings = extra.findings.filter((f) => !dropped.has(f.fingerprint));
  for (const item of Object.values(extra.checklist ?? {}))
    if (item && dropped.size) item.evidence = item.evidence.filter((fp) => !dropped.has(fp));
  for (const f of extra.findings) {
    const s = config.rules.severity[f.ruleId];
    if (s) f.severity = s;
  }
  return dropped.size;
}

function strings(v: unknown): string[] | undefined {
  return Array.isArray(v) && v.every((s) => typeof s === "string") ? v : undefined;
}

/**
 * The probes' options: the request, then the `egress:` section of agent-audit.yaml (canaries,
 * allowedHosts, proxy, timeoutMs, dnsResolvers, metadata, ports, defaultTargets,
 * firewallEvidence). What the request gives wins over the file.
 */
export function egressOptions(
  e: EgressRequest,
  config: AgentAuditConfig,
): Omit<EgressOptions, "env" | "systemRoot"> {
  const c = (config.egress ?? {}) as Record<string, unknown>;
  const out: Omit<EgressOptions, "env" | "systemRoot"> = {
    canaries: e.canaries.length ? e.canaries : (config.egress?.canaries ?? []),
    allowedHosts: e.allowedHosts.length ? e.allowedHosts : (config.egress?.allowedHosts ?? []),
    proxy: e.proxy ?? config.egress?.proxy,
    timeoutMs: e.timeoutMs ?? config.egress?.timeoutMs ?? 2000,
  };
  const resolvers = e.dnsResolvers?.length ? e.dnsResolvers : strings(c.dnsResolvers);
  if (resolvers) out.dnsResolvers = resolvers;
  const metadata = e.metadata?.length ? e.metadata : strings(c.metadata);
  if (metadata) out.metadata = metadata;
  const ports =
    e.ports ?? (Array.isArray(c.ports) && c.ports.every((n) => Number.isInteger(n)) ? c.ports : undefined);
  if (ports) out.ports = ports as number[];
  if (e.useDefaults === false || c.defaultTargets === false) out.useDefaults = false;
  if (e.firewallEvidence === false || c.firewallEvidence === false) out.firewallEvidence = false;
  if (e.proxy === undefined && typeof c.proxy === "string") out.proxySource = "config";
  return out;
}

/** Baseline entries that match nothing any more: pruned with updateBaseline, otherwise reported. */
async function reconcileBaseline(
  request: ScanRequest,
  ctx: AppContext,
  report: AuditReport,
  baseline: OpenBaseline,
  run: {
    sources: ReadonlySet<SourceName>;
    root: string;
    counted?: ReadonlySet<string>;
    disabled: (e: BaselineEntry) => boolean;
  },
): Promise<void> {
  const { root } = run;
  const stale = staleEntries(
    baseline.file,
    report.findings,
    run.sources,
    request.egress !== undefined,
    run.counted,
    run.disabled,
  );
  const where = displayPath(baseline.path, root);
  if (request.updateBaseline) {
    if (!stale.length) return;
    await writeBaseline(
      baseline.path,
      pruneBaseline(baseline.file, stale),
      baseline.found ? { within: root } : {},
    );
    ctx.notice?.(`pruned ${stale.length} stale entr${stale.length === 1 ? "y" : "ies"} from ${where}`);
    return;
  }
  // A loop, not a spread: 130k stale entries overflowed the call stack (issue 8).
  for (const issue of staleIssues(stale, where)) report.issues.push(issue);
}
