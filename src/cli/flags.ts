// The CLI's flags as commander gives them, and their mapping to the app's typed requests (issue
// 9: the app layer knows no flag name; the CLI maps flags once, here).

import type { EgressRequest, EnvironmentSpec, ScanRequest, TreeSettings } from "../app/scan.js";
import type { Severity, SourceName } from "../contract/types.js";
import { UsageError } from "../util/errors.js";
import type { CliIo } from "./io.js";

/** addEnvironmentOptions. */
export interface EnvironmentFlags {
  environ?: string;
  envPid?: number;
  /** commander's `--no-env`. */
  env: boolean;
  systemRoot: string;
}

/** addSourceOptions. */
export interface SourceFlags extends EnvironmentFlags {
  demo: boolean;
  home?: string;
  root?: string;
  sources?: SourceName[];
  asUser?: string;
  includeVcs: boolean;
  includeDeps: boolean;
  includeBinary: boolean;
  maxFileSize: number;
  concurrency: number;
  workers: number | "auto";
}

/** addRunOptions. */
export interface RunFlags {
  config?: string;
  progress: boolean;
}

/** addOutputOptions. */
export interface OutputFlags extends RunFlags {
  format?: string;
  output?: string;
  report: string[];
  failOn?: Severity;
  exitZero: boolean;
}

/** addEgressOptions. */
export interface EgressFlags {
  canary: string[];
  allowedHost: string[];
  proxy?: string;
  timeoutMs?: number;
  dnsResolver: string[];
  metadata: string[];
  ports?: number[];
  /** commander's `--no-default-targets`. */
  defaultTargets: boolean;
  /** commander's `--no-firewall-evidence`. */
  firewallEvidence: boolean;
}

export function environmentSpec(flags: EnvironmentFlags): EnvironmentSpec {
  if (!flags.env) return { from: "none" };
  if (flags.environ && flags.envPid) throw new UsageError("--environ and --env-pid are mutually exclusive");
  if (flags.environ) return { from: "file", path: flags.environ };
  if (flags.envPid) return { from: "pid", pid: flags.envPid };
  return { from: "self" };
}

export function treeSettings(flags: SourceFlags): TreeSettings {
  return {
    maxFileSize: flags.maxFileSize,
    includeVcs: flags.includeVcs,
    includeDeps: flags.includeDeps,
    includeBinary: flags.includeBinary,
    concurrency: flags.concurrency,
    workers: flags.workers,
  };
}

export function egressRequest(flags: EgressFlags): EgressRequest {
  return {
    canaries: flags.canary,
    allowedHosts: flags.allowedHost,
    ...(flags.proxy !== undefined ? { proxy: flags.proxy } : {}),
    ...(flags.timeoutMs !== undefined ? { timeoutMs: flags.timeoutMs } : {}),
    dnsResolvers: flags.dnsResolver,
    metadata: flags.metadata,
    ...(flags.ports !== undefined ? { ports: flags.ports } : {}),
    ...(flags.defaultTargets === false ? { useDefaults: false } : {}),
    ...(flags.firewallEvidence === false ? { firewallEvidence: false } : {}),
  };
}

/** The inventory request of `scan` and `baseline` (probes when `probe` is set). */
export function sourceRequest(flags: SourceFlags & RunFlags & EgressFlags & { probe: boolean }): ScanRequest {
  return {
    demo: flags.demo,
    ...(flags.home !== undefined ? { home: flags.home } : {}),
    ...(flags.root !== undefined ? { root: flags.root } : {}),
    systemRoot: flags.systemRoot,
    environment: environmentSpec(flags),
    ...(flags.sources ? { sources: flags.sources } : {}),
    ...(flags.asUser !== undefined ? { asUser: flags.asUser } : {}),
    tree: treeSettings(flags),
    inventory: true,
    ...(flags.probe ? { egress: egressRequest(flags) } : {}),
    ...(flags.config !== undefined ? { config: flags.config } : {}),
  };
}

/** The app's context, bound to the CLI's world; progress and notices go to stderr. */
export function appContext(
  io: CliIo,
  hooks: { onFile?: (bytes: number) => void; onInventoryDone?: () => void } = {},
) {
  return {
    cwd: io.cwd,
    env: io.env,
    homedir: io.homedir,
    user: io.user,
    hostname: io.hostname,
    ...(io.lookup ? { lookup: io.lookup } : {}),
    ...hooks,
    notice: (text: string) => io.stderr(`agent-audit: ${text}\n`),
  };
}
