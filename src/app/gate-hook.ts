// The runtimes' hook protocols (issue 11). Claude Code PreToolUse: JSON on stdin with tool_name,
// tool_input.command and cwd; the answer is hookSpecificOutput.permissionDecision with a reason on
// stdout and exit 0. Gemini CLI BeforeTool: JSON on stdin with tool_name `run_shell_command`; the
// answer is {"decision": "deny", "reason"} (Gemini hooks have no "ask": an ask is a deny whose reason
// says a person must approve). Anything malformed, and any internal error, blocks with exit 2 and
// the reason on stderr: exit 2 blocks in both runtimes whatever stdout holds, so no failure of the
// gate lets a command through.

import { posix } from "node:path";
import { type GateSetup, gateCheck, gateContext, logDecision } from "./gate.js";

export const HOOK_RUNTIMES = ["claude-code", "gemini"] as const;
export type HookRuntime = (typeof HOOK_RUNTIMES)[number];

/** Largest hook input read (Claude Code sends the command, its description and session fields). */
export const HOOK_INPUT_MAX = 4 * 1024 * 1024;

export interface HookAnswer {
  stdout: string;
  stderr: string;
  exitCode: 0 | 2;
}

export interface HookOptions {
  runtime: HookRuntime;
  /** Answer allow explicitly (skipping the runtime's own prompt) instead of deferring to the runtime's rules. */
  approveAllowed: boolean;
  env: Record<string, string | undefined>;
  home: string;
  /** The hook process's own directory, when the input has no cwd. */
  processCwd: string;
}

const SHELL_TOOLS: Record<HookRuntime, string[]> = {
  "claude-code": ["Bash"],
  gemini: ["run_shell_command"],
};

const block = (reason: string): HookAnswer => ({
  stdout: "",
  stderr: `agent-audit gate: ${reason}\n`,
  exitCode: 2,
});

/** Answers one hook call. Never throws. */
export async function answerHook(input: string, setup: GateSetup, opts: HookOptions): Promise<HookAnswer> {
  try {
    return await answer(input, setup, opts);
  } catch (err) {
    return block(`internal error (${(err as Error).name}); blocked because the gate fails closed`);
  }
}

async function answer(input: string, setup: GateSetup, opts: HookOptions): Promise<HookAnswer> {
  if (input.length > HOOK_INPUT_MAX) return block("hook input too large; blocked");
  let data: unknown;
  try {
    data = JSON.parse(input);
  } catch {
    return block("hook input is not JSON; blocked");
  }
  if (typeof data !== "object" || data === null || Array.isArray(data))
    return block("hook input is not a JSON object; blocked");
  const d = data as Record<string, unknown>;
  const tool = d.tool_name;
  if (typeof tool !== "string") return block("hook input has no tool_name; blocked");
  // Not the shell tool: no answer, the runtime's own permissions decide.
  if (!SHELL_TOOLS[opts.runtime].includes(tool)) return { stdout: "", stderr: "", exitCode: 0 };
  const ti = d.tool_input;
  const command = typeof ti === "object" && ti !== null ? (ti as Record<string, unknown>).command : undefined;
  if (typeof command !== "string") return block("hook input has no tool_input.command string; blocked");
  const base = typeof d.cwd === "string" && d.cwd.startsWith("/") ? d.cwd : opts.processCwd;
  // Gemini's run_shell_command may name a directory to run in (dir_path, or directory in older versions).
  const ti2 = ti as Record<string, unknown>;
  const dir = opts.runtime === "gemini" ? (ti2.dir_path ?? ti2.directory) : undefined;
  const cwd = typeof dir === "string" && dir !== "" ? posix.resolve(base, dir) : base;
  const projectVar = opts.runtime === "claude-code" ? "CLAUDE_PROJECT_DIR" : "GEMINI_PROJECT_DIR";
  const project = opts.env[projectVar];
  const workspace = project?.startsWith("/") ? project : cwd;
  const verdict = gateCheck(command, gateContext(cwd, opts.home, workspace), setup);
  let stderr = "";
  if (verdict.decision !== "allow" && setup.log) {
    const problem = await logDecision(setup.log, {
      source: `hook ${opts.runtime}`,
      decision: verdict.decision,
      rules: verdict.rules,
      reason: verdict.reason,
      command,
      cwd,
    });
    if (problem) stderr = `agent-audit gate: ${problem}\n`;
  }
  const reason = verdict.rules.length ? `${verdict.reason} [${verdict.rules.join(", ")}]` : verdict.reason;
  if (verdict.decision === "allow" && !opts.approveAllowed) return { stdout: "", stderr, exitCode: 0 };
  if (opts.runtime === "claude-code") {
    const out = {
      hookSpecificOutput: {
        hookEventName: "PreToolUse",
        permissionDecision: verdict.decision,
        permissionDecisionReason: `agent-audit gate: ${reason}`,
      },
    };
    return { stdout: `${JSON.stringify(out)}\n`, stderr, exitCode: 0 };
  }
  const out =
    verdict.decision === "allow"
      ? { decision: "allow" }
      : {
          decision: "deny",
          reason:
            verdict.decision === "ask"
              ? `agent-audit gate: needs a person's approval, which Gemini CLI hooks cannot ask for: ${reason}`
              : `agent-audit gate: ${reason}`,
        };
  return { stdout: `${JSON.stringify(out)}\n`, stderr, exitCode: 0 };
}
