// `agent-audit fix` (issue 12): a scan (or an earlier JSON report) in, the configs that close its
// gaps out, into --out with a README.md; on request (--apply) put in place with a manifest and
// backups, checked by the probes, rolled back when the posture did not improve.

import { lstatSync, mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { loadConfig } from "../config/index.js";
import type { AuditReport, EgressPosture } from "../contract/types.js";
import { maskTokens } from "../detect/echo.js";
import { redactText } from "../detect/redact.js";
import { checkSink } from "../fix/alerting.js";
import { type Allowlist, AllowlistError, buildAllowlist, parseAllowedHost } from "../fix/allowlist.js";
import {
  ApplyRefused,
  type ApplyResult,
  apply,
  type Plan,
  planApply,
  type RollbackResult,
  type Runner,
  renderDryRun,
  rollback,
  UntrustedManifest,
} from "../fix/apply.js";
import { generate, hardeningReadme, type Selection, selectTargets } from "../fix/index.js";
import { SQUID_ALLOWLIST_PATH } from "../fix/squid.js";
import {
  FIX_TARGETS,
  type FixOptions,
  type FixTarget,
  type GeneratedFile,
  type ProxySpec,
} from "../fix/types.js";
import { safeMessage, UsageError } from "../util/errors.js";
import { readRegularFile, UnsafeFileError } from "../util/safe-read.js";
import { writeFileReplacing } from "../util/safe-write.js";
import { type AppContext, runScan, type ScanRequest } from "./scan.js";

export const DEFAULT_OUT_DIR = "agent-hardening";
export const DEFAULT_PROXY = "http://127.0.0.1:3128";
/** The prefix of the firewall's log lines, which `agent-audit watch` reads. */
export const FIREWALL_LOG_PREFIX = "agent-audit-egress: ";
const REPORT_MAX_BYTES = 64 * 1024 * 1024;

export interface FixRequest {
  /** The scan to run, or undefined with `fromReport`. */
  scan?: ScanRequest;
  /** A JSON report of an earlier scan (instead of scanning). */
  fromReport?: string;
  /** agent-audit.yaml, for `egress.allowedHosts` with --from-report (a scan loads its own). */
  config?: string;
  out: string;
  only?: FixTarget[];
  allowedHosts: string[];
  proxy?: string;
  agentUser?: string;
  proxyUser?: string;
  pinnedResolver?: string;
  kubernetes?: { namespace?: string; podLabels?: Record<string, string> };
  gateCommand?: string;
  /** Extra sinks of the generated watcher config (`--alert-sink`). */
  alertSinks?: string[];
}

export interface FixResult {
  report: AuditReport;
  selection: Selection[];
  allowlist: Allowlist;
  options: FixOptions;
  files: GeneratedFile[];
  /** Absolute paths written into --out (README.md last). */
  written: string[];
  outDir: string;
}

export function parseTargets(text: string): FixTarget[] {
  const names = text
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  if (names.length === 0)
    throw new UsageError(
      "--only takes a comma-separated list of targets",
      `one of ${FIX_TARGETS.join(", ")}`,
    );
  for (const n of names)
    if (!(FIX_TARGETS as readonly string[]).includes(n))
      throw new UsageError(
        `--only: unknown target ${JSON.stringify(n.slice(0, 40))}`,
        `targets: ${FIX_TARGETS.join(", ")}`,
      );
  return [...new Set(names)] as FixTarget[];
}

/** The proxy URL: http with a host and a port (the default 3128 when none is given); no userinfo. */
export function parseProxy(text: string): ProxySpec {
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    throw new UsageError("--proxy: not a URL", `e.g. ${DEFAULT_PROXY}`);
  }
  if (u.protocol !== "http:")
    throw new UsageError("--proxy: only an http:// proxy is supported", `e.g. ${DEFAULT_PROXY}`);
  if (u.username || u.password)
    throw new UsageError(
      "--proxy: no user or password in the URL",
      "generated files would hold the password",
    );
  if (u.pathname !== "/" || u.search || u.hash)
    throw new UsageError("--proxy: scheme, host and port only", `e.g. ${DEFAULT_PROXY}`);
  const host = u.hostname.replace(/^\[|\]$/g, "");
  if (!/^[A-Za-z0-9.:-]+$/.test(host)) throw new UsageError("--proxy: not a host name or IP address");
  const port = u.port ? Number(u.port) : 3128;
  return { url: `http://${host.includes(":") ? `[${host}]` : host}:${port}`, host, port };
}

/** Reads a JSON report written by `agent-audit scan --format json` (bounded, regular file only). */
export async function readReport(path: string): Promise<AuditReport> {
  let buf: Buffer;
  try {
    buf = await readRegularFile(path, { maxBytes: REPORT_MAX_BYTES });
  } catch (e) {
    const why = e instanceof UnsafeFileError ? e.message : safeMessage(e);
    throw new UsageError(`--from-report: cannot read the report: ${why}`);
  }
  let data: unknown;
  try {
    data = JSON.parse(buf.toString("utf8"));
  } catch {
    throw new UsageError("--from-report: not JSON", "write it with `agent-audit scan --format json -o FILE`");
  }
  const r = data as Partial<AuditReport>;
  if (
    typeof r !== "object" ||
    r === null ||
    r.schemaVersion !== 1 ||
    !Array.isArray(r.findings) ||
    !Array.isArray(r.checklist) ||
    typeof r.target !== "object" ||
    r.target === null ||
    typeof r.target.home !== "string" ||
    typeof r.target.root !== "string"
  )
    throw new UsageError("--from-report: not an agent-audit JSON report (schemaVersion 1)");
  const bad = reportShapeError(r as AuditReport);
  if (bad !== undefined)
    throw new UsageError(
      `--from-report: not an agent-audit JSON report: ${bad}`,
      "write it with `agent-audit scan --format json -o FILE`",
    );
  return { probes: [], egress: { posture: "unknown" as EgressPosture }, issues: [], ...r } as AuditReport;
}

const isObj = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);
const isStr = (v: unknown): v is string => typeof v === "string";
const optStr = (v: unknown) => v === undefined || isStr(v);
/** A path the generators may write into configs and README.md: absolute, plain characters, no `..`, no token. */
const PLAIN_PATH = /^\/[A-Za-z0-9._@%+=,:~/ -]{0,1023}$/;

/**
 * Why a parsed report cannot be used, or undefined. The report may be the agent's work: every field
 * the generators read must have the type a scan writes (a `null` finding crashed them), and the
 * target's home and root, which go into configs, README.md and --apply's destinations verbatim, must
 * be plain absolute paths (a newline or `$(...)` in them was copied into README.md's commands, a
 * token in them into every file). Never quotes a field: it may hold a secret.
 */
export function reportShapeError(r: AuditReport): string | undefined {
  for (const key of ["home", "root"] as const) {
    const p = r.target[key];
    if (!PLAIN_PATH.test(p) || p.split("/").includes("..") || redactText(p) !== p)
      return `target.${key} is not a plain absolute path`;
  }
  for (const [i, f] of (r.findings as unknown[]).entries()) {
    const at = `findings[${i}]`;
    if (!isObj(f)) return `${at} is not an object`;
    for (const k of ["fingerprint", "ruleId", "control", "kind", "title", "remediation"])
      if (!isStr(f[k])) return `${at}.${k} is not a string`;
    const l = f.location;
    if (!isObj(l) || !isStr(l.source) || !optStr(l.path) || !optStr(l.name))
      return `${at}.location is not a location`;
    if (f.secret !== undefined && !(isObj(f.secret) && isStr(f.secret.provider)))
      return `${at}.secret is not a secret`;
    if (
      f.fix !== undefined &&
      !(isObj(f.fix) && isStr(f.fix.target) && (f.fix.params === undefined || isObj(f.fix.params)))
    )
      return `${at}.fix is not a fix`;
  }
  for (const [i, c] of (r.checklist as unknown[]).entries())
    if (!isObj(c) || !isStr(c.id) || !isStr(c.status)) return `checklist[${i}] is not a step`;
  if (r.egress !== undefined && !(isObj(r.egress) && isStr(r.egress.posture)))
    return "egress is not an object";
  if (r.agents !== undefined) {
    const a = r.agents as unknown;
    if (!isObj(a) || !Array.isArray(a.runtimes)) return "agents.runtimes is not a list";
    for (const [i, v] of (a.runtimes as unknown[]).entries())
      if (
        !isObj(v) ||
        !isStr(v.runtime) ||
        !isStr(v.name) ||
        typeof v.present !== "boolean" ||
        !isObj(v.gate) ||
        !isStr(v.gate.status) ||
        !isObj(v.sandbox) ||
        !isStr(v.sandbox.status)
      )
        return `agents.runtimes[${i}] is not a runtime`;
    // Issue 16: the allowlist proposes MCP servers' hosts from here.
    if (a.servers !== undefined) {
      if (!Array.isArray(a.servers)) return "agents.servers is not a list";
      for (const [i, v] of (a.servers as unknown[]).entries())
        if (
          !isObj(v) ||
          !isStr(v.name) ||
          !isStr(v.client) ||
          !isStr(v.scope) ||
          typeof v.disabled !== "boolean" ||
          !optStr(v.overriddenBy) ||
          !Array.isArray(v.hosts) ||
          !v.hosts.every(isStr)
        )
          return `agents.servers[${i}] is not an MCP server`;
    }
  }
  return undefined;
}

/** Creates `dir` and its missing parents; refuses one that is a link or not a directory. */
function ensureDir(dir: string): void {
  try {
    const st = lstatSync(dir);
    if (st.isSymbolicLink())
      throw new UsageError(`--out ${dir} is a symbolic link; refusing to write through it`);
    if (!st.isDirectory()) throw new UsageError(`--out ${dir} is not a directory`);
    return;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
  }
  mkdirSync(dir, { recursive: true, mode: 0o755 });
}

/** The generators' options from the request (defaults: the proxy on 127.0.0.1:3128, Debian's `proxy` user). */
export function fixOptions(
  report: AuditReport,
  allowlist: Allowlist,
  request: Partial<Omit<FixRequest, "out">>,
): FixOptions {
  return {
    allowlist: allowlist.hosts,
    proxy: parseProxy(request.proxy ?? DEFAULT_PROXY),
    ...(request.agentUser !== undefined ? { agentUser: request.agentUser } : {}),
    proxyUser: request.proxyUser ?? "proxy",
    ...(request.pinnedResolver !== undefined ? { dnsResolver: request.pinnedResolver } : {}),
    logPrefix: FIREWALL_LOG_PREFIX,
    home: report.target.home,
    root: report.target.root,
    kubernetes: {
      namespace: request.kubernetes?.namespace ?? "default",
      podLabels: request.kubernetes?.podLabels ?? { app: "agent" },
    },
    gateCommand: request.gateCommand ?? "agent-audit",
    ...(request.alertSinks?.length ? { alertSinks: request.alertSinks.map(sinkSpec) } : {}),
  };
}

/** An --alert-sink value, checked before any file is generated. */
function sinkSpec(spec: string): string {
  try {
    return checkSink(spec);
  } catch (e) {
    throw new UsageError((e as Error).message, "see agent-audit watch --help for the sink forms");
  }
}

/** The scan (or the report read), the options, and the generated files written into --out. */
export async function runFix(request: FixRequest, ctx: AppContext): Promise<FixResult> {
  let report: AuditReport;
  let configHosts: string[] = [];
  let discoveredHosts: string[] = [];
  if (request.fromReport !== undefined) {
    report = await readReport(resolve(ctx.cwd, request.fromReport));
    if (request.config !== undefined) {
      const loaded = await loadConfig({ path: resolve(ctx.cwd, request.config), root: report.target.root });
      configHosts = loaded.config.egress?.allowedHosts ?? [];
    }
  } else {
    if (!request.scan) throw new UsageError("fix: nothing to read (a scan or --from-report)");
    const scanned = await runScan(request.scan, ctx);
    report = scanned.report;
    // A config found in the audited tree is the agent's to write: its hosts are proposed, never added.
    if (scanned.loaded.discovered) discoveredHosts = scanned.config.egress?.allowedHosts ?? [];
    else configHosts = scanned.config.egress?.allowedHosts ?? [];
  }
  let allowlist: Allowlist;
  try {
    allowlist = buildAllowlist(report, { config: configHosts, flags: request.allowedHosts });
    for (const h of discoveredHosts) {
      const e = parseAllowedHost(h, "");
      if (
        !allowlist.hosts.some((a) => a.host === e.host) &&
        !allowlist.proposed.some((p) => p.host === e.host)
      )
        allowlist.proposed.push({
          host: e.host,
          reason: "listed by the agent-audit.yaml found in the audited tree, which the agent can write",
        });
    }
  } catch (e) {
    if (e instanceof AllowlistError) throw new UsageError(e.message);
    throw e;
  }
  const options = fixOptions(report, allowlist, request);
  const selection = selectTargets(report, request.only);
  let files: GeneratedFile[];
  try {
    files = generate(
      report,
      options,
      selection.filter((s) => s.selected).map((s) => s.target),
    );
  } catch (e) {
    // A generator refuses a name it cannot put in a config safely (a user, a host, a prefix), with a
    // plain Error whose message says why (the name JSON-quoted); safeMessage alone printed `Error`.
    const why = e instanceof Error && e.name === "Error" ? maskTokens(redactText(e.message)) : safeMessage(e);
    throw new UsageError(`fix: ${why}`);
  }
  const outDir = resolve(ctx.cwd, request.out);
  ensureDir(outDir);
  const written: string[] = [];
  for (const f of files) {
    const dest = join(outDir, ...f.path.split("/"));
    ensureDir(join(dest, ".."));
    writeFileReplacing(dest, f.content, `${request.out}/${f.path}`, f.mode);
    written.push(dest);
  }
  const readme = join(outDir, "README.md");
  writeFileReplacing(
    readme,
    hardeningReadme(files, selection, allowlist, options),
    `${request.out}/README.md`,
  );
  written.push(readme);
  return { report, selection, allowlist, options, files, written, outDir };
}

// ------------------------------------------------------------------------------------ --apply

const POSTURE_RANK: Partial<Record<EgressPosture, number>> = {
  open: 0,
  "proxy-bypassable": 1,
  "kernel-enforced-no-proxy": 2,
  "kernel-enforced-with-proxy": 3,
};

export interface ApplyRequest {
  dryRun: boolean;
  /** Where manifests and backups go (never inside the agent's home or tree). */
  stateDir: string;
  runner: Runner;
  isRoot: boolean;
  uid: number;
  /** System destinations (/etc/...) are placed under it when it is not `/` (a test, an image). */
  systemRoot: string;
  /** The probes to re-run after the apply (the self-test); absent: no self-test. */
  selfTest?: ScanRequest;
  now?: () => Date;
}

export interface ApplyOutcome {
  plan: Plan;
  /** The dry run's text (diffs, refusals, notes); only with dryRun. */
  dryRun?: string;
  result?: ApplyResult;
  /** The posture before and after, when the self-test ran; `rolledBack` when it did not improve. */
  selfTest?: { before: EgressPosture; after: EgressPosture; rolledBack?: RollbackResult };
}

/** The generated files with their system destinations under the system root. */
export function placed(files: readonly GeneratedFile[], home: string, systemRoot: string): GeneratedFile[] {
  if (systemRoot === "/" || systemRoot === "") return [...files];
  return files.map((f) => {
    if (!f.install) return f;
    const dest = f.install.dest;
    // A system file (privileged) always goes under the system root: a report whose home is /etc
    // (the agent can write the report) must not make /etc/squid/squid.conf count as a home file.
    const inHome = !f.install.privileged && (dest === home || dest.startsWith(`${home}/`));
    if (inHome) return f;
    // squid.conf names its allowlist file by its system path: under the system root, that one.
    const content =
      f.target === "squid" && f.path === "squid.conf"
        ? f.content.split(`"${SQUID_ALLOWLIST_PATH}"`).join(`"${join(systemRoot, SQUID_ALLOWLIST_PATH)}"`)
        : f.content;
    return { ...f, content, install: { ...f.install, dest: join(systemRoot, dest) } };
  });
}

/** Plans, and unless dry-run applies, the generated files; then the self-test and, when it fails, the rollback. */
export async function applyFix(res: FixResult, req: ApplyRequest, ctx: AppContext): Promise<ApplyOutcome> {
  const files = placed(res.files, res.options.home, req.systemRoot);
  const roots = [res.options.root, ...(req.systemRoot !== "/" ? [req.systemRoot] : [])];
  const plan = await planApply(files, { home: res.options.home, roots });
  if (req.dryRun) return { plan, dryRun: renderDryRun(plan) };
  const now = req.now ?? (() => new Date());
  let result: ApplyResult;
  try {
    result = await apply(plan, {
      stateDir: req.stateDir,
      runner: req.runner,
      now,
      isRoot: req.isRoot,
      uid: req.uid,
    });
  } catch (e) {
    if (e instanceof ApplyRefused)
      throw new UsageError(
        `--apply refused, nothing was changed:\n  ${e.reasons.join("\n  ")}`,
        "run as root for system files, or use --only to apply the runtime files alone",
      );
    throw e;
  }
  const outcome: ApplyOutcome = { plan, result };
  if (req.selfTest && result.status === "applied") {
    const before = res.report.egress.posture;
    const after = (await runScan(req.selfTest, ctx)).report.egress.posture;
    outcome.selfTest = { before, after };
    const b = POSTURE_RANK[before];
    const a = POSTURE_RANK[after];
    // Not improved: worse, the same, or not measurable. Everything goes back.
    if (a === undefined || (b !== undefined && a <= b) || (b === undefined && a < 3))
      outcome.selfTest.rolledBack = await rollback(result.manifestPath!, {
        runner: req.runner,
        isRoot: req.isRoot,
        uid: req.uid,
        now,
      });
  }
  return outcome;
}

export interface RollbackRequest {
  /** A manifest.json, or undefined for the newest in stateDir. */
  manifest?: string;
  stateDir: string;
  runner: Runner;
  isRoot: boolean;
  uid: number;
  force: boolean;
  now?: () => Date;
}

export async function rollbackFix(req: RollbackRequest, ctx: AppContext): Promise<RollbackResult> {
  const target = req.manifest !== undefined ? resolve(ctx.cwd, req.manifest) : { stateDir: req.stateDir };
  try {
    return await rollback(target, {
      runner: req.runner,
      isRoot: req.isRoot,
      uid: req.uid,
      now: req.now ?? (() => new Date()),
      force: req.force,
    });
  } catch (e) {
    if (e instanceof UntrustedManifest || (e as Error).message === "no manifest to roll back")
      // Their messages are ours (a path and the reason); safeMessage would keep only the class name.
      throw new UsageError(
        `--rollback: ${maskTokens((e as Error).message)}`,
        `manifests are in ${req.stateDir}`,
      );
    throw e;
  }
}
