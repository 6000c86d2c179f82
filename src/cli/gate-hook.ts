// `agent-audit gate hook <runtime>`: the process side of the hook. Reads the hook JSON from stdin
// (bounded), answers, and exits. Every failure of its own (a bad flag, a bad config, a timeout, a
// crash) exits 2 with the reason on stderr, which both runtimes treat as "block": the gate fails
// closed. It loads only the gate (bin.ts takes this path before the program loads).

import { writeSync } from "node:fs";
import { homedir, userInfo } from "node:os";
import { type GateSetup, gateSetup } from "../app/gate.js";
import { answerHook, HOOK_INPUT_MAX, HOOK_RUNTIMES, type HookRuntime } from "../app/gate-hook.js";
import type { HookArgs } from "./gate-hook-args.js";

/** The hook gives itself this long (ms) before it blocks; runtimes let a timed-out hook through. */
export const HOOK_WATCHDOG_MS = 10_000;

function fail(reason: string): never {
  process.stderr.write(`agent-audit gate: ${reason}; blocked because the gate fails closed\n`);
  process.exit(2);
}

/**
 * Reads stdin to its end, at most HOOK_INPUT_MAX bytes (past that, a marker the answer blocks on).
 * Through process.stdin, though its stream classes cost a few ms of start-up: a read that waits
 * in libuv's thread pool (fs.read on fd 0) keeps the process from exiting until it returns, so
 * the watchdog could not block a call whose stdin never closes.
 */
async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of process.stdin as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > HOOK_INPUT_MAX) return "\u0000too-large".padEnd(HOOK_INPUT_MAX + 1, "x");
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString("utf8");
}

/** Writes all of `text` to fd 1 or 2 (the stream classes only when the descriptor would block). */
function emit(fd: 1 | 2, text: string): void {
  const buf = Buffer.from(text, "utf8");
  let off = 0;
  try {
    while (off < buf.length) off += writeSync(fd, buf, off);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EAGAIN") throw err;
    (fd === 1 ? process.stdout : process.stderr).write(buf.subarray(off));
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
  const watchdog = setTimeout(() => fail(`no answer within ${HOOK_WATCHDOG_MS / 1000} s`), HOOK_WATCHDOG_MS);
  process.on("uncaughtException", (err) => fail(`internal error (${err.name})`));
  process.on("unhandledRejection", () => fail("internal error"));
  if (!(HOOK_RUNTIMES as readonly string[]).includes(args.runtime))
    fail(
      `usage: agent-audit gate hook <${HOOK_RUNTIMES.join("|")}> [--config FILE] [--log FILE | --no-log] [--approve-allowed]`,
    );
  if (args.unknown.length) {
    // The flag is foreign input (it may hold a token): redacted like every other message.
    const { redactText } = await import("../detect/redact.js");
    fail(`unknown or incomplete option ${redactText(args.unknown[0]!).replace(/[^\x20-\x7e]/g, "?")}`);
  }
  // $HOME empty or relative: the account's home from the password database.
  let home = homedir();
  if (!home.startsWith("/")) {
    try {
      home = userInfo().homedir;
    } catch {
      home = "";
    }
  }
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
  clearTimeout(watchdog);
  if (answer.stdout) emit(1, answer.stdout);
  if (answer.stderr) emit(2, answer.stderr);
  process.exitCode = answer.exitCode;
}
