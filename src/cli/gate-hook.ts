// `agent-audit gate hook <runtime>`: the process side of the hook. Reads the hook JSON from stdin
// (bounded), answers, and exits. Every failure of its own (a bad flag, a bad config, a timeout, a
// crash) exits 2 with the reason on stderr, which both runtimes treat as "block": the gate fails
// closed. It loads only the gate (bin.ts takes this path before the program loads).

import { fstatSync, readSync, writeSync } from "node:fs";
import { type GateSetup, gateSetup } from "../app/gate.js";
import { answerHook, HOOK_INPUT_MAX, HOOK_RUNTIMES, type HookRuntime } from "../app/gate-hook.js";
import type { HookArgs } from "./gate-hook-args.js";

/** The hook gives itself this long (ms) before it blocks; runtimes let a timed-out hook through. */
export const HOOK_WATCHDOG_MS = 10_000;

function fail(reason: string): never {
  process.stderr.write(`agent-audit gate: ${reason}; blocked because the gate fails closed\n`);
  process.exit(2);
}

let watchdog: ReturnType<typeof setTimeout> | undefined;

/**
 * Blocks the call HOOK_WATCHDOG_MS after the process started. Armed before the first wait that
 * input could prolong (stdin that has not ended yet, a config file, an unknown flag's redaction),
 * not before: a timer cannot interrupt synchronous work anyway, and on the usual call (stdin
 * already written and closed by the runtime, no config) nothing waits, so the timer's set-up
 * (about 0.4 ms of start-up) is skipped.
 */
function armWatchdog(): void {
  if (watchdog !== undefined) return;
  const left = Math.max(0, HOOK_WATCHDOG_MS - process.uptime() * 1000);
  watchdog = setTimeout(() => fail(`no answer within ${HOOK_WATCHDOG_MS / 1000} s`), left);
}

const TOO_LARGE = () => "\u0000too-large".padEnd(HOOK_INPUT_MAX + 1, "x");

interface PipeWrap {
  Pipe: new (type: number) => { open(fd: number): number };
  constants: { SOCKET: number };
}

/**
 * How fd 0 is read. A regular file: readSync to its end (it cannot block). A pipe or a socket (a
 * runtime spawning the hook gives it one): made non-blocking by the same libuv call that
 * process.stdin makes (uv_pipe_open, through Node's pipe_wrap binding), then readSync until the
 * end, polling with a timer while the writer has not finished, so the watchdog still blocks a call
 * whose stdin never closes. Anything else (a terminal, a closed descriptor), or a Node without that
 * binding (process.binding is refused under the permission model), reads through process.stdin,
 * whose stream classes cost about 4 ms of start-up. (A plain blocking readSync could not be
 * interrupted by the watchdog, and a read in libuv's thread pool keeps process.exit waiting.)
 */
function stdinKind(): "file" | "pipe" | "stream" {
  try {
    const st = fstatSync(0);
    if (st.isFile()) return "file";
    if (!st.isFIFO() && !st.isSocket()) return "stream";
    const { Pipe, constants } = pipeWrap();
    return new Pipe(constants.SOCKET).open(0) === 0 ? "pipe" : "stream";
  } catch {
    return "stream";
  }
}

/**
 * Node's pipe_wrap binding, without the notice that process.binding is for Node's own use (printed
 * under --pending-deprecation, and thrown a tick later under --throw-deprecation, which would turn
 * every answer into a block).
 */
function pipeWrap(): PipeWrap {
  const quiet = process.noDeprecation;
  process.noDeprecation = true;
  try {
    return (process as unknown as { binding(name: string): PipeWrap }).binding("pipe_wrap");
  } finally {
    process.noDeprecation = quiet;
  }
}

/** Reads stdin to its end, at most HOOK_INPUT_MAX bytes (past that, a marker the answer blocks on). */
function readStdin(): Promise<string> {
  const kind = stdinKind();
  if (kind === "stream") return readStdinStream();
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let wait = 1;
    const buf = Buffer.allocUnsafe(64 * 1024);
    const step = () => {
      try {
        for (;;) {
          let n: number;
          try {
            n = readSync(0, buf, 0, buf.length, null);
          } catch (err) {
            const code = (err as NodeJS.ErrnoException).code;
            if (code === "EINTR") continue;
            if (kind !== "pipe" || (code !== "EAGAIN" && code !== "EWOULDBLOCK")) throw err;
            // The writer has not finished: look again shortly (1, 2, 4, ... 16 ms).
            armWatchdog();
            setTimeout(step, wait);
            wait = Math.min(wait * 2, 16);
            return;
          }
          if (n === 0) {
            resolve(Buffer.concat(chunks, size).toString("utf8"));
            return;
          }
          size += n;
          if (size > HOOK_INPUT_MAX) {
            resolve(TOO_LARGE());
            return;
          }
          chunks.push(Buffer.from(buf.subarray(0, n)));
          wait = 1;
        }
      } catch (err) {
        reject(err);
      }
    };
    step();
  });
}

async function readStdinStream(): Promise<string> {
  armWatchdog();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of process.stdin as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > HOOK_INPUT_MAX) return TOO_LARGE();
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString("utf8");
}

/**
 * The home directory: $HOME when it is absolute (what os.homedir() returns then, without loading
 * node:os on the hook's path), else the account's home from the password database.
 */
function homeDir(): string {
  const env = process.env.HOME;
  if (env?.startsWith("/")) return env;
  const os = process.getBuiltinModule("node:os");
  const home = os.homedir();
  if (home.startsWith("/")) return home;
  try {
    return os.userInfo().homedir;
  } catch {
    return "";
  }
}

/**
 * Writes all of `text` to fd 1 or 2 (the stream classes only when the descriptor would block).
 * True when it was all written here; false when the rest was queued on the stream.
 */
function emit(fd: 1 | 2, text: string): boolean {
  const buf = Buffer.from(text, "utf8");
  let off = 0;
  try {
    while (off < buf.length) off += writeSync(fd, buf, off);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EAGAIN") throw err;
    (fd === 1 ? process.stdout : process.stderr).write(buf.subarray(off));
    return false;
  }
}

export async function runHookProcess(args: HookArgs): Promise<void> {
  try {
    await run(args);
  } catch (err) {
    fail(`internal error (${(err as Error).name})`);
  }
}

async function run(args: HookArgs): Promise<void> {
  process.on("uncaughtException", (err) => fail(`internal error (${err.name})`));
  process.on("unhandledRejection", () => fail("internal error"));
  if (!(HOOK_RUNTIMES as readonly string[]).includes(args.runtime))
    fail(
      `usage: agent-audit gate hook <${HOOK_RUNTIMES.join("|")}> [--config FILE] [--log FILE | --no-log] [--approve-allowed]`,
    );
  if (args.unknown.length) {
    armWatchdog();
    // The flag is foreign input (it may hold a token): redacted like every other message.
    const { redactText } = await import("../detect/redact.js");
    fail(`unknown or incomplete option ${redactText(args.unknown[0]!).replace(/[^\x20-\x7e]/g, "?")}`);
  }
  const home = homeDir();
  if (args.config !== undefined) armWatchdog();
  let setup: GateSetup;
  try {
    setup = await gateSetup({ configPath: args.config, logPath: args.log, env: process.env, home });
  } catch (err) {
    const e = err as Error & { hint?: string };
    const { redactText } = await import("../detect/redact.js");
    fail(`cannot load the gate's config: ${redactText(e.message).replace(/[^\x20-\x7e\n]/g, "?")}`);
  }
  const input = await readStdin();
  const answer = await answerHook(input, setup, {
    runtime: args.runtime as HookRuntime,
    approveAllowed: args.approveAllowed,
    env: process.env,
    home,
    processCwd: process.cwd(),
  });
  if (watchdog !== undefined) clearTimeout(watchdog);
  let written = true;
  if (answer.stdout) written = emit(1, answer.stdout);
  if (answer.stderr) written = emit(2, answer.stderr) && written;
  // Everything is written and nothing else is pending: exit now, which skips freeing the heap at
  // the end of the event loop (about 1 ms). A write still queued on a stream ends the usual way.
  if (written) process.exit(answer.exitCode);
  process.exitCode = answer.exitCode;
}
