// Use cases of the approval gate (issue 11): check a command, answer a runtime's hook, run a command
// through the gate, and log every decision other than allow. Imports only the gate's own modules at
// load time: the hook runs on every tool call. The config loader and the redactor load lazily, only
// when a --config is given or a decision is logged.

import { closeSync, constants, fstatSync, mkdirSync, openSync, writeSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, isAbsolute, join, posix } from "node:path";
import { compiledPolicy } from "../capabilities/gate/compiled.js";
import { decide } from "../capabilities/gate/engine.js";
import type { GatePolicy, Match } from "../capabilities/gate/policy.js";
import type { Decision, GateContext, Verdict } from "../capabilities/gate/types.js";

/** A policy with the operator's overrides, and where decisions are logged. */
export interface GateSetup {
  policy: GatePolicy;
  /** The decision log; undefined: no log. */
  log?: string;
}

export class GateConfigError extends Error {
  override name = "GateConfigError";
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(message);
  }
}

/** The default decision log: $XDG_STATE_HOME/agent-audit/gate-decisions.jsonl, or under ~/.local/state. */
export function defaultLogPath(env: Record<string, string | undefined>, home: string): string {
  const state =
    env.XDG_STATE_HOME && isAbsolute(env.XDG_STATE_HOME) ? env.XDG_STATE_HOME : join(home, ".local", "state");
  return join(state, "agent-audit", "gate-decisions.jsonl");
}

/**
 * The policy and the log. A config is read only when its path is given: the gate never reads one
 * from the workspace on its own, because the agent it judges can write there.
 */
export async function gateSetup(opts: {
  configPath?: string;
  logPath?: string | false;
  env: Record<string, string | undefined>;
  home: string;
}): Promise<GateSetup> {
  // Built: the compiled policy alone (the hook's path). From the sources: the YAML rules, validated.
  const base = compiledPolicy() ?? (await import("../capabilities/gate/load.js")).builtinPolicy();
  let policy = base;
  let log: string | undefined =
    opts.logPath === false ? undefined : (opts.logPath ?? defaultLogPath(opts.env, opts.home));
  if (opts.configPath !== undefined) {
    const { loadConfig } = await import("../config/index.js");
    let loaded: Awaited<ReturnType<typeof loadConfig>>;
    try {
      loaded = await loadConfig({ path: opts.configPath, root: dirname(opts.configPath) });
    } catch (err) {
      // loadConfig's hint speaks of the scan's config discovery; the gate reads only the file given.
      const e = err as Error & { hint?: string };
      const missing = /no such file/.test(e.message);
      throw new GateConfigError(
        e.message,
        missing
          ? "pass an existing agent-audit.yaml with --config, or leave --config out (the gate never reads one on its own)"
          : e.hint,
      );
    }
    const { config } = loaded;
    const g = config.gate;
    if (g) {
      policy = await withOverrides(base, g.decisions ?? {}, g.allow ?? []);
      if (opts.logPath === undefined && g.log !== undefined) log = g.log === false ? undefined : g.log;
    }
  }
  return { policy, log };
}

/** The policy with per-rule decisions replaced and allow entries added; every id and entry is checked. */
export async function withOverrides(
  base: GatePolicy,
  decisions: Record<string, Decision>,
  allow: Record<string, unknown>[],
): Promise<GatePolicy> {
  const ids = base.rules.map((r) => r.id);
  const problems: string[] = [];
  for (const id of Object.keys(decisions)) {
    if (!ids.includes(id)) problems.push(`gate.decisions.${id}: unknown gate rule id${hintFor(id, ids)}`);
  }
  const entries: Match[] = [];
  if (allow.length) {
    // Validated with the rules' own schema (zod loads only here).
    const schema = (await import("../capabilities/gate/load.js")).matchSchema();
    allow.forEach((a, i) => {
      const r = schema.safeParse(a);
      if (!r.success) {
        for (const iss of r.error.issues)
          problems.push(`gate.allow.${i}${iss.path.length ? `.${iss.path.join(".")}` : ""}: ${iss.message}`);
      } else if (!r.data.command) {
        problems.push(`gate.allow.${i}: must name the command it allows (command: [...])`);
      } else entries.push(r.data);
    });
  }
  if (problems.length)
    throw new GateConfigError(problems.join("\n"), "see `agent-audit gate rules` for the ids");
  return { ...base, decisions: { ...decisions }, allow: entries };
}

function hintFor(id: string, ids: string[]): string {
  const close = ids.find((x) => x.startsWith(id) || id.startsWith(x));
  return close ? ` (did you mean "${close}"?)` : "";
}

/** Judges one command. */
export function gateCheck(command: string, ctx: GateContext, setup: GateSetup): Verdict {
  return decide(command, ctx, setup.policy);
}

/** The context of a command: cwd and workspace absolute (relative ones resolve against `base`). */
export function gateContext(cwd: string, home: string, workspace?: string): GateContext {
  const ctx: GateContext = { cwd: posix.normalize(cwd), home: posix.normalize(home) };
  if (workspace) ctx.workspace = posix.normalize(workspace);
  return ctx;
}

// ---- output

/** The text form of a verdict: the decision and rule ids, then the reason (control characters escaped by the caller). */
export function verdictText(v: Verdict, esc: (s: string) => string = (s) => s): string {
  return v.decision === "allow" ? "allow\n" : `${v.decision}  ${v.rules.join(", ")}\n  ${esc(v.reason)}\n`;
}

/** The JSON-lines form of a verdict (`extra` first: the batch line number). */
export function verdictJson(v: Verdict, extra: Record<string, unknown> = {}): string {
  return `${JSON.stringify({ ...extra, decision: v.decision, rules: v.rules, reason: v.reason, categories: v.categories })}\n`;
}

// ---- the decision log

export interface LogEntry {
  time: string;
  source: string;
  decision: Decision;
  rules: string[];
  reason: string;
  command: string;
  cwd: string;
}

/** Longest command text kept in a log entry (the rest is cut, with a marker). */
const LOG_COMMAND_MAX = 4096;

/**
 * Appends one decision to the JSON-lines log, the command and cwd redacted by the inventory's
 * detectors. The file is created 0600 (its directory 0700), opened append-only and never through a
 * symlink. Returns an error message instead of throwing: a log failure never changes a decision.
 */
export async function logDecision(
  path: string,
  entry: Omit<LogEntry, "time">,
  now = new Date(),
): Promise<string | undefined> {
  try {
    const { redactText } = await import("../detect/redact.js");
    const cut =
      entry.command.length > LOG_COMMAND_MAX
        ? `${entry.command.slice(0, LOG_COMMAND_MAX)}…[cut]`
        : entry.command;
    const line: LogEntry = {
      time: now.toISOString(),
      source: entry.source,
      decision: entry.decision,
      rules: entry.rules,
      reason: entry.reason,
      command: redactText(cut),
      cwd: redactText(entry.cwd),
    };
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    const fd = openSync(
      path,
      constants.O_WRONLY |
        constants.O_APPEND |
        constants.O_CREAT |
        constants.O_NOFOLLOW |
        constants.O_NONBLOCK,
      0o600,
    );
    try {
      if (!fstatSync(fd).isFile()) return `the decision log ${path} is not a regular file`;
      writeSync(fd, `${JSON.stringify(line)}\n`);
    } finally {
      closeSync(fd);
    }
    return undefined;
  } catch (err) {
    return `cannot write the decision log ${path}: ${(err as NodeJS.ErrnoException).code ?? "error"}`;
  }
}

export { homedir };
