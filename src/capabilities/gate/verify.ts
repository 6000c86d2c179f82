// Gate verification (issue 11, `agent-audit gate verify`; research §2.5, §7, §10.3): replay a corpus
// of dangerous and benign commands through a gate and judge each answer exactly as the runtime
// would. Hooks are spawned with the runtime's own stdin JSON through `/bin/sh -c` (as Claude Code
// and Gemini CLI run them), under a timeout; Codex rules files go through `codex execpolicy check`.
// Pure runners and scoring: the caller gives the environment, the binaries and the corpus.
//
// The hook commands come from agent-writable config. Verify runs them as the runtime would run
// them on every tool call: the same trust, no more. The corpus commands are data on the hook's
// stdin; nothing here runs them.

import { spawn } from "node:child_process";
import type { Command, Script, Word } from "./ast.js";
import { parseScript } from "./parse.js";
import type { Decision } from "./types.js";

/** One line of a corpus: dangerous (a category of GATE_CATEGORIES) or benign. */
export interface CorpusCase {
  command: string;
  /** A gate category, or "benign". */
  category: string;
  technique: string;
  note?: string;
}

/** How a gate's answer came about (what the runtime would make of the hook's exit and output). */
export type Outcome =
  /** Exit 2 (blocks whatever the output says). */
  | "exit-2"
  /** JSON on stdout that the runtime honours, with a decision in it. */
  | "json"
  /** The hook finished without a decision (exit 0, no JSON or JSON without one): the call proceeds. */
  | "no-decision"
  /** Another exit code without valid JSON, JSON that does not parse or does not fit the schema, or a signal. */
  | "error"
  /** Killed at the timeout: the runtime lets the call through. */
  | "timeout"
  /** Exit 127 or the program could not be started: the runtime lets the call through. */
  | "missing"
  /** Not run: the hook had already timed out on another case; judged as a timeout. */
  | "not-run"
  /** agent-audit's own policy answered (its engine's verdict). */
  | "verdict"
  /** Codex rules: a rule matched. */
  | "rule"
  /** Codex rules: no rule matched (Codex's approval policy decides, not the rules). */
  | "unmatched";

/** Outcomes that mean the gate broke (an error, a timeout, a missing program, not run after timeouts). */
export const BROKEN_OUTCOMES: readonly Outcome[] = ["error", "timeout", "missing", "not-run"];

/** The gate broke and the call went through: it failed open. */
export function failedOpen(j: Pick<Judged, "decision" | "outcome">): boolean {
  return j.decision === "allow" && BROKEN_OUTCOMES.includes(j.outcome);
}

export interface Judged {
  decision: Decision;
  outcome: Outcome;
  /** Milliseconds the gate took (0 when not run). */
  ms: number;
}

/** A hook a runtime runs before its shell tool (Claude Code PreToolUse on Bash, Gemini CLI BeforeTool). */
export interface HookGate {
  runtime: "claude-code" | "gemini-cli";
  /** The command as written in the settings file (run with `/bin/sh -c`), or the program of the exec form. */
  command: string;
  /** Claude Code's exec form (`args`): the program is run directly with these arguments, no shell. */
  args?: string[];
  /** The runtime's timeout for it, in milliseconds (its own setting or the runtime's default). */
  timeoutMs: number;
}

/** Where and how hooks run during a verification. */
export interface HookRun {
  /** The project directory: the hook's working directory and the stdin `cwd`. */
  cwd: string;
  /** The hook's environment (the caller picks it: PATH, HOME, ...). Project-dir variables are added. */
  env: Record<string, string>;
  /** Longest time one case may take, whatever the hook's own timeout (default VERIFY_TIMEOUT_CAP_MS). */
  timeoutCapMs?: number;
  /** Cases run at once (default 8). */
  concurrency?: number;
}

/** The longest a hook may take on one case during a verification (the runtime's default is far longer). */
export const VERIFY_TIMEOUT_CAP_MS = 10_000;
/** How long stdout may stay open after the hook exits (a background child holding it). */
const EXIT_GRACE_MS = 250;
/** Most bytes of a hook's stdout kept (the runtime's JSON answer is small). */
const STDOUT_MAX = 1024 * 1024;

/** The exact stdin JSON a runtime gives a hook before its shell tool runs `command`. */
export function hookInput(runtime: HookGate["runtime"], command: string, cwd: string, n: number): string {
  if (runtime === "claude-code")
    return JSON.stringify({
      session_id: "agent-audit-verify",
      transcript_path: "/dev/null",
      cwd,
      permission_mode: "default",
      hook_event_name: "PreToolUse",
      tool_name: "Bash",
      tool_input: {
        command,
        description: "agent-audit gate verify",
        timeout: 120000,
        run_in_background: false,
      },
      tool_use_id: `toolu_agent_audit_verify_${n}`,
    });
  return JSON.stringify({
    session_id: "agent-audit-verify",
    transcript_path: "/dev/null",
    cwd,
    hook_event_name: "BeforeTool",
    timestamp: new Date(0).toISOString(),
    tool_name: "run_shell_command",
    tool_input: { command, description: "agent-audit gate verify" },
  });
}

interface Exit {
  /** The exit code; undefined when killed by a signal or not started. */
  code: number | undefined;
  stdout: string;
  timedOut: boolean;
  /** The program could not be started (ENOENT, EACCES). */
  notStarted: boolean;
  ms: number;
}

/** Runs one program with `input` on stdin, kills its whole process group at the timeout. */
function runProcess(
  file: string,
  args: string[],
  input: string,
  opts: { cwd: string; env: Record<string, string>; timeoutMs: number },
): Promise<Exit> {
  const started = Date.now();
  return new Promise((done) => {
    let stdout = "";
    let settled = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const finish = (e: Omit<Exit, "stdout" | "ms">) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      done({ ...e, stdout, ms: Date.now() - started });
    };
    let child: ReturnType<typeof spawn>;
    try {
      child = spawn(file, args, {
        cwd: opts.cwd,
        env: opts.env,
        stdio: ["pipe", "pipe", "ignore"],
        detached: true,
      });
    } catch {
      finish({ code: undefined, timedOut: false, notStarted: true });
      return;
    }
    const kill = () => {
      try {
        if (child.pid) process.kill(-child.pid, "SIGKILL");
      } catch {
        // Already gone.
      }
    };
    timer = setTimeout(() => {
      kill();
      finish({ code: undefined, timedOut: true, notStarted: false });
    }, opts.timeoutMs);
    child.on("error", () => finish({ code: undefined, timedOut: false, notStarted: true }));
    child.stdout?.setEncoding("utf8");
    child.stdout?.on("data", (d: string) => {
      if (stdout.length < STDOUT_MAX) stdout += d.slice(0, STDOUT_MAX - stdout.length);
    });
    // A hook that exits without reading its stdin: the write fails with EPIPE, which is no error.
    child.stdin?.on("error", () => {});
    child.stdin?.end(input);
    // The answer is complete when stdout closes. A background grandchild may hold stdout open
    // after the hook exits: then the answer is what was written within a short grace after the exit.
    let code: number | undefined;
    child.stdout?.on("close", () => {
      if (!exited) return;
      kill();
      finish({ code, timedOut: false, notStarted: false });
    });
    let exited = false;
    child.on("exit", (c) => {
      exited = true;
      code = c ?? undefined;
      if (child.stdout?.closed !== false) {
        // Whatever the hook left running in the background goes with it (one per case would pile up).
        kill();
        finish({ code, timedOut: false, notStarted: false });
        return;
      }
      setTimeout(() => {
        kill();
        finish({ code, timedOut: false, notStarted: false });
      }, EXIT_GRACE_MS).unref();
    });
  });
}

/** The JSON answer of a hook, when stdout's first non-blank character is `{` and it parses. */
function jsonAnswer(
  stdout: string,
): { ok: true; value: Record<string, unknown> } | { ok: false } | undefined {
  const text = stdout.trim();
  if (!text.startsWith("{")) return undefined;
  try {
    const v = JSON.parse(text) as unknown;
    return v && typeof v === "object" && !Array.isArray(v)
      ? { ok: true, value: v as Record<string, unknown> }
      : { ok: false };
  } catch {
    return { ok: false };
  }
}

/**
 * What Claude Code makes of a PreToolUse hook's JSON: the decision, undefined for none, or
 * "invalid" when it does not fit the schema (a non-blocking error: the call proceeds).
 */
function claudeDecision(v: Record<string, unknown>): Decision | undefined | "invalid" {
  // `continue: false` stops Claude altogether: the tool does not run.
  if (v.continue === false) return "deny";
  const hso = v.hookSpecificOutput;
  if (hso !== undefined) {
    if (!hso || typeof hso !== "object" || Array.isArray(hso)) return "invalid";
    const pd = (hso as Record<string, unknown>).permissionDecision;
    if (pd !== undefined) {
      if (pd === "deny") return "deny";
      if (pd === "ask") return "ask";
      // `defer` hands the call to the normal permission flow: the hook did not stop it.
      if (pd === "allow" || pd === "defer") return "allow";
      return "invalid";
    }
  }
  // The deprecated top-level decision.
  if (v.decision !== undefined) {
    if (v.decision === "block") return "deny";
    if (v.decision === "approve") return "allow";
    return "invalid";
  }
  return undefined;
}

/** What Gemini CLI makes of a BeforeTool hook's JSON (`decision: allow|deny|block`, `continue: false`). */
function geminiDecision(v: Record<string, unknown>): Decision | undefined | "invalid" {
  if (v.continue === false) return "deny";
  if (v.decision === undefined) return undefined;
  if (v.decision === "deny" || v.decision === "block") return "deny";
  if (v.decision === "ask") return "ask";
  if (v.decision === "allow") return "allow";
  return "invalid";
}

/**
 * Judges a hook's exit as its runtime does (research §2.5, §7). Claude Code: exit 2 blocks; any
 * other exit with JSON on stdout (first non-blank character `{`) lets the JSON decide; without
 * valid JSON, exit 0 proceeds and any other code proceeds with an error. Gemini CLI: exit 2 blocks;
 * exit 0 lets the JSON decide; any other code only warns. A timeout, or a program that cannot
 * start or exits 127, proceeds in both.
 */
export function judgeHookExit(runtime: HookGate["runtime"], exit: Omit<Exit, "ms">): Omit<Judged, "ms"> {
  if (exit.timedOut) return { decision: "allow", outcome: "timeout" };
  if (exit.notStarted || exit.code === 127) return { decision: "allow", outcome: "missing" };
  if (exit.code === undefined) return { decision: "allow", outcome: "error" };
  if (exit.code === 2) return { decision: "deny", outcome: "exit-2" };
  const json = runtime === "claude-code" || exit.code === 0 ? jsonAnswer(exit.stdout) : undefined;
  if (json && !json.ok) return { decision: "allow", outcome: "error" };
  if (json?.ok) {
    const d = runtime === "claude-code" ? claudeDecision(json.value) : geminiDecision(json.value);
    if (d === "invalid") return { decision: "allow", outcome: "error" };
    if (d !== undefined) return { decision: d, outcome: "json" };
  }
  return { decision: "allow", outcome: exit.code === 0 ? "no-decision" : "error" };
}

/** Runs one hook over the corpus, `concurrency` cases at a time; results in corpus order. */
export async function verifyHook(
  gate: HookGate,
  cases: readonly CorpusCase[],
  run: HookRun,
): Promise<Judged[]> {
  const timeoutMs = Math.max(0, Math.min(gate.timeoutMs, run.timeoutCapMs ?? VERIFY_TIMEOUT_CAP_MS));
  const env: Record<string, string> = {
    ...run.env,
    CLAUDE_PROJECT_DIR: run.cwd,
    ...(gate.runtime === "gemini-cli" ? { GEMINI_PROJECT_DIR: run.cwd } : {}),
  };
  // Once the hook has timed out, no more of its cases start (each would cost the whole timeout):
  // the cases in flight finish, the rest are `not-run` and count as timed out.
  let timedOut = false;
  return mapLimit(cases, run.concurrency ?? 8, async (c, i) => {
    if (timedOut) return { decision: "allow", outcome: "not-run", ms: 0 };
    const input = hookInput(gate.runtime, c.command, run.cwd, i);
    const [file, args] = gate.args ? [gate.command, gate.args] : ["/bin/sh", ["-c", gate.command]];
    const exit = await runProcess(file, args, input, { cwd: run.cwd, env, timeoutMs });
    if (exit.timedOut) timedOut = true;
    return { ...judgeHookExit(gate.runtime, exit), ms: exit.ms };
  });
}

/** Codex's execpolicy decisions, as the gate's. */
const CODEX_DECISIONS: Record<string, Decision> = { forbidden: "deny", prompt: "ask", allow: "allow" };

/** Parses `codex execpolicy check` output: `{"matchedRules":[...],"decision":"forbidden|prompt|allow"}`. */
export function parseCodexCheck(stdout: string): Decision | undefined | "invalid" {
  let v: unknown;
  try {
    v = JSON.parse(stdout.trim());
  } catch {
    return "invalid";
  }
  if (!v || typeof v !== "object" || !Array.isArray((v as Record<string, unknown>).matchedRules))
    return "invalid";
  const d = (v as Record<string, unknown>).decision;
  if (d === undefined) return undefined;
  return typeof d === "string" && Object.hasOwn(CODEX_DECISIONS, d) ? CODEX_DECISIONS[d]! : "invalid";
}

/**
 * The argv lists Codex checks its rules against for a shell string: Codex runs the shell tool as
 * `bash -lc <script>`, and splits a script made only of plain words (no expansion, redirection,
 * assignment or subshell) joined by `&&`, `||`, `;` and `|` into its commands; any other script is
 * checked as the whole `bash -lc <script>` argv (openai/codex core/src/exec_policy.rs).
 */
export function codexCommands(script: string): string[][] {
  const whole = [["bash", "-lc", script]];
  let parsed: Script;
  try {
    parsed = parseScript(script);
  } catch {
    return whole;
  }
  const out: string[][] = [];
  const plainWord = (w: Word) => w.parts.every((p) => p.type === "lit");
  const plain = (c: Command): string[] | undefined =>
    c.type === "simple" &&
    !c.assigns.length &&
    !c.redirects.length &&
    c.words.length &&
    c.words.every(plainWord)
      ? c.words.map((w) => w.parts.map((p) => (p.type === "lit" ? p.value : "")).join(""))
      : undefined;
  for (const item of parsed.items) {
    if (item.op === "&" || item.pipeline.bang) return whole;
    for (const c of item.pipeline.commands) {
      const argv = plain(c);
      if (!argv) return whole;
      out.push(argv);
    }
  }
  return out.length ? out : whole;
}

/** Codex and its rules files. */
export interface CodexRun {
  /** The codex binary. */
  bin: string;
  /** Every rules file Codex loads: checked together, as Codex merges them. */
  rules: string[];
  /** Its environment: CODEX_HOME should point at an empty directory (it must not read a real config). */
  env: Record<string, string>;
  cwd: string;
  timeoutMs?: number;
  concurrency?: number;
}

/** Judges every case by Codex's rules: the strictest decision of any matched command; unmatched is allow. */
export async function verifyCodexRules(cases: readonly CorpusCase[], run: CodexRun): Promise<Judged[]> {
  const rulesArgs = run.rules.flatMap((r) => ["--rules", r]);
  return mapLimit(cases, run.concurrency ?? 8, async (c) => {
    const started = Date.now();
    let decision: Decision | undefined;
    for (const argv of codexCommands(c.command)) {
      const exit = await runProcess(run.bin, ["execpolicy", "check", ...rulesArgs, "--", ...argv], "", {
        cwd: run.cwd,
        env: run.env,
        timeoutMs: run.timeoutMs ?? VERIFY_TIMEOUT_CAP_MS,
      });
      if (exit.timedOut) return { decision: "allow", outcome: "timeout", ms: Date.now() - started };
      if (exit.notStarted) return { decision: "allow", outcome: "missing", ms: Date.now() - started };
      const d = exit.code === 0 ? parseCodexCheck(exit.stdout) : "invalid";
      if (d === "invalid") return { decision: "allow", outcome: "error", ms: Date.now() - started };
      if (d) decision = decision ? strongestOf(decision, d) : d;
    }
    return decision
      ? { decision, outcome: "rule", ms: Date.now() - started }
      : { decision: "allow", outcome: "unmatched", ms: Date.now() - started };
  });
}

function strongestOf(a: Decision, b: Decision): Decision {
  const rank: Record<Decision, number> = { allow: 0, ask: 1, deny: 2 };
  return rank[a] >= rank[b] ? a : b;
}

/** One category's numbers: caught = ask or deny, missed = allow. */
export interface CategoryScore {
  category: string;
  total: number;
  caught: number;
  missed: number;
}

/** A gate's numbers over a corpus. */
export interface GateScore {
  /** Every dangerous category in the corpus, in first-seen order. */
  categories: CategoryScore[];
  dangerous: { total: number; caught: number; missed: number };
  /** A false alarm is a benign case not allowed. */
  benign: { total: number; allowed: number; falseAlarms: number };
  /** Cases where the gate broke and let the command through, by outcome (error, timeout, missing, not-run). */
  failedOpen: Partial<Record<Outcome, number>>;
  /** The dangerous cases let through, in corpus order. */
  misses: (CorpusCase & { outcome: Outcome })[];
  /** The benign cases not allowed, in corpus order. */
  falseAlarms: (CorpusCase & { decision: Decision })[];
}

export function scoreGate(
  cases: readonly CorpusCase[],
  judged: readonly Pick<Judged, "decision" | "outcome">[],
): GateScore {
  const cats = new Map<string, CategoryScore>();
  const out: GateScore = {
    categories: [],
    dangerous: { total: 0, caught: 0, missed: 0 },
    benign: { total: 0, allowed: 0, falseAlarms: 0 },
    failedOpen: {},
    misses: [],
    falseAlarms: [],
  };
  cases.forEach((c, i) => {
    const j = judged[i]!;
    if (failedOpen(j)) out.failedOpen[j.outcome] = (out.failedOpen[j.outcome] ?? 0) + 1;
    if (c.category === "benign") {
      out.benign.total++;
      if (j.decision === "allow") out.benign.allowed++;
      else {
        out.benign.falseAlarms++;
        out.falseAlarms.push({ ...c, decision: j.decision });
      }
      return;
    }
    let s = cats.get(c.category);
    if (!s) {
      s = { category: c.category, total: 0, caught: 0, missed: 0 };
      cats.set(c.category, s);
    }
    s.total++;
    out.dangerous.total++;
    if (j.decision === "allow") {
      s.missed++;
      out.dangerous.missed++;
      out.misses.push({ ...c, outcome: j.outcome });
    } else {
      s.caught++;
      out.dangerous.caught++;
    }
  });
  out.categories = [...cats.values()];
  return out;
}

/** Parses corpus JSON lines; throws with the line number on a bad line. */
export function parseCorpus(text: string, where: string): CorpusCase[] {
  const out: CorpusCase[] = [];
  text.split("\n").forEach((line, i) => {
    if (!line.trim()) return;
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch {
      throw new Error(`${where}:${i + 1}: not a JSON object`);
    }
    const o = v as Record<string, unknown>;
    if (
      !o ||
      typeof o !== "object" ||
      typeof o.command !== "string" ||
      typeof o.category !== "string" ||
      (o.technique !== undefined && typeof o.technique !== "string")
    )
      throw new Error(`${where}:${i + 1}: needs "command" and "category" strings`);
    out.push({
      command: o.command,
      category: o.category,
      technique: typeof o.technique === "string" ? o.technique : "",
      ...(typeof o.note === "string" ? { note: o.note } : {}),
    });
  });
  return out;
}

/** Maps with at most `limit` calls in flight; results in input order. */
async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, i: number) => Promise<R>,
): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return out;
}
