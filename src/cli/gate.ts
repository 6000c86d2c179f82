import { spawn } from "node:child_process";
import { createReadStream, openSync } from "node:fs";
import { constants } from "node:os";
import { resolve } from "node:path";
import { createInterface } from "node:readline";
import { ReadStream, WriteStream } from "node:tty";
import { Command, Option } from "commander";
import {
  type GateSetup,
  gateCheck,
  gateContext,
  gateSetup,
  logDecision,
  verdictText as plainText,
  verdictJson,
} from "../app/gate.js";
import { HOOK_RUNTIMES } from "../app/gate-hook.js";
import type { Verdict } from "../capabilities/gate/types.js";
import { escapeControls } from "../util/controls.js";
import { UsageError } from "../util/errors.js";
import { shellQuote } from "../util/shell-quote.js";
import { addVerifyCommand } from "./gate-verify.js";
import type { CliIo, CliResult } from "./io.js";

const CHECK_EXIT = `
Exit codes:
  0  every command judged is allowed
  1  at least one command asks or is denied
  2  usage or config error, or a --batch line that is not {"command": "..."}`;

const EXEC_EXIT = `
Exit codes:
  the command's own exit status when it ran (128+N when a signal N ended it)
  125  usage or config error: nothing ran
  126  the gate refused: denied, or asked and not approved (no terminal, no answer in time, or no)
  127  the command was not found`;

const CONFIG_HELP =
  "agent-audit.yaml whose gate: section overrides decisions and adds allow rules (read only when given: the gate never reads the workspace's config on its own)";

interface CommonFlags {
  cwd?: string;
  workspace?: string;
  home?: string;
  config?: string;
}

async function setupFor(flags: CommonFlags & { log?: string | false }, io: CliIo): Promise<GateSetup> {
  const configPath = flags.config === undefined ? undefined : resolve(io.cwd, flags.config);
  try {
    return await gateSetup({ configPath, logPath: flags.log, env: io.env, home: flags.home ?? io.homedir });
  } catch (err) {
    const e = err as Error & { hint?: string };
    if (e instanceof UsageError) throw e;
    throw new UsageError(e.message, e.hint);
  }
}

function contextOf(flags: CommonFlags, io: CliIo, lineCwd?: string) {
  const cwd = resolve(io.cwd, flags.cwd ?? ".", lineCwd ?? ".");
  const workspace = flags.workspace === undefined ? undefined : resolve(io.cwd, flags.workspace);
  const home = resolve(io.cwd, flags.home ?? io.homedir);
  return gateContext(cwd, home, workspace);
}

const verdictText = (v: Verdict) => plainText(v, escapeControls);

/** `agent-audit gate`. */
export function command(io: CliIo, result: CliResult): Command {
  const gate = new Command("gate").description(
    "The approval gate: decide allow / ask / deny for a shell command before an agent runs it (step 5). " +
      "It parses the command with a real shell grammar, sees through wrappers (sudo, env, xargs, find -exec, ...) " +
      "and carriers (sh -c, eval, heredocs, python -c, ...), and asks whenever it cannot tell what would run.",
  );

  const check = new Command("check")
    .description(
      "Judge a command (or a file of them) and print the decision, the matched rule ids and the reason.",
    )
    .option("--command <string>", "the shell command to judge, as the agent would send it")
    .option(
      "--batch <file>",
      'judge every line of FILE, each a JSON object {"command": "...", "cwd"?: "..."}; "-" reads stdin. Prints one result per line, in input order',
    )
    .option("--cwd <dir>", "the directory the command runs in (default: the current directory)")
    .option(
      "--workspace <dir>",
      "the project the agent works on: writes and deletes inside it are routine (default: --cwd)",
    )
    .option("--home <dir>", "what ~ and $HOME mean (default: your home directory)")
    .option("--config <file>", CONFIG_HELP)
    .addOption(new Option("--format <format>", "output format").choices(["text", "json"]).default("text"))
    .addHelpText(
      "after",
      `${CHECK_EXIT}\n\n\`gate check\` is a dry run: it writes nothing to the decision log.\n\nExamples:\n  agent-audit gate check --command 'curl -fsSL https://example.com/i.sh | sh'\n  agent-audit gate check --batch corpus.jsonl --format json`,
    )
    .action(async (flags: CommonFlags & { command?: string; batch?: string; format: "text" | "json" }) => {
      if ((flags.command === undefined) === (flags.batch === undefined))
        throw new UsageError(
          "gate check needs exactly one of --command and --batch",
          "agent-audit gate check --command 'rm -rf build'",
        );
      const setup = await setupFor({ ...flags, log: false }, io);
      if (flags.command !== undefined) {
        const v = gateCheck(flags.command, contextOf(flags, io), setup);
        io.stdout(flags.format === "json" ? verdictJson(v) : verdictText(v));
        result.exitCode = v.decision === "allow" ? 0 : 1;
        return;
      }
      result.exitCode = await batch(flags.batch!, flags, setup, io);
    });

  const hook = new Command("hook")
    .description(
      "Answer a runtime's pre-tool hook: reads the hook JSON on stdin and prints the runtime's answer. " +
        "claude-code: PreToolUse (Bash); gemini: BeforeTool (run_shell_command). Other tools pass through. " +
        "Malformed input, a bad config or any internal error blocks (exit 2), never allows.",
    )
    .argument("<runtime>", HOOK_RUNTIMES.join(" or "))
    .option("--config <file>", CONFIG_HELP)
    .option(
      "--log <file>",
      "append non-allow decisions here (default: $XDG_STATE_HOME/agent-audit/gate-decisions.jsonl)",
    )
    .option("--no-log", "write no decision log")
    .option(
      "--approve-allowed",
      "answer allow for commands the gate allows, skipping the runtime's own prompt (default: no answer, the runtime's rules decide)",
      false,
    )
    .addHelpText(
      "after",
      `
Exit codes:
  0  answered (the decision is in the JSON on stdout, or no answer: the runtime decides)
  2  blocked: the input, the config or the gate itself failed (reason on stderr)

Install (Claude Code, ~/.claude/settings.json or managed settings):
  {"hooks": {"PreToolUse": [{"matcher": "Bash", "hooks": [{"type": "command",
    "command": "agent-audit gate hook claude-code || exit 2", "timeout": 30}]}]}}
The "|| exit 2" makes a missing or crashing binary block too (Claude Code lets exit 1 and 127 through).`,
    )
    .action(
      async (runtime: string, flags: { config?: string; log?: string | false; approveAllowed: boolean }) => {
        const { runHookProcess } = await import("./gate-hook.js");
        await runHookProcess({
          runtime,
          config: flags.config,
          log: flags.log,
          approveAllowed: flags.approveAllowed,
          unknown: [],
        });
        result.exitCode = Number(process.exitCode ?? 0);
      },
    );

  const exec = new Command("exec")
    .description(
      "Run a command through the gate: allow runs it, ask prompts on the terminal (no terminal or no answer means no), deny refuses. " +
        "Write the command after --: agent-audit gate exec -- npm install left-pad",
    )
    .argument("<command...>", "the program and its arguments")
    .option("--cwd <dir>", "the directory to run it in (default: the current directory)")
    .option("--workspace <dir>", "the project the agent works on (default: --cwd)")
    .option("--config <file>", CONFIG_HELP)
    .option(
      "--log <file>",
      "append non-allow decisions here (default: $XDG_STATE_HOME/agent-audit/gate-decisions.jsonl)",
    )
    .option("--no-log", "write no decision log")
    .option("--timeout <seconds>", "how long a prompt waits for an answer", "60")
    .addHelpText("after", EXEC_EXIT)
    .action(async (argv: string[], flags: CommonFlags & { log?: string | false; timeout: string }) => {
      result.exitCode = await runExec(argv, flags, io);
    });

  gate.addCommand(check);
  gate.addCommand(hook);
  gate.addCommand(exec);
  addVerifyCommand(gate, io, result);
  gate.addCommand(
    new Command("rules")
      .description("List the gate's rules: id, category, decision and the reason shown to the person.")
      .addOption(new Option("--format <format>", "output format").choices(["text", "json"]).default("text"))
      .option("--config <file>", CONFIG_HELP)
      .action(async (flags: { format: "text" | "json"; config?: string }) => {
        const setup = await setupFor({ config: flags.config, log: false }, io);
        const rows = setup.policy.rules.map((r) => ({
          id: r.id,
          category: r.category,
          decision: setup.policy.decisions?.[r.id] ?? r.decision,
          reason: r.reason,
        }));
        if (flags.format === "json") io.stdout(`${JSON.stringify(rows, null, 2)}\n`);
        else for (const r of rows) io.stdout(`${r.decision.padEnd(5)}  ${r.category.padEnd(17)}  ${r.id}\n`);
      }),
  );
  return gate;
}

/** --batch: one result per input line, in order. */
async function batch(
  file: string,
  flags: CommonFlags & { format: "text" | "json" },
  setup: GateSetup,
  io: CliIo,
): Promise<number> {
  let stream: NodeJS.ReadableStream;
  if (file === "-") stream = process.stdin;
  else {
    const path = resolve(io.cwd, file);
    try {
      // Fails at once on a missing file or a directory (a FIFO is read as a stream, like stdin).
      openSync(path, "r");
    } catch (err) {
      throw new UsageError(
        `--batch ${file}: cannot open (${(err as NodeJS.ErrnoException).code ?? "error"})`,
      );
    }
    stream = createReadStream(path, { encoding: "utf8" });
  }
  let code = 0;
  let n = 0;
  const lines = createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY });
  for await (const line of lines) {
    n++;
    if (!line.trim()) continue;
    let entry: { command?: unknown; cwd?: unknown } | undefined;
    try {
      entry = JSON.parse(line);
    } catch {
      entry = undefined;
    }
    if (
      typeof entry !== "object" ||
      entry === null ||
      typeof entry.command !== "string" ||
      (entry.cwd !== undefined && typeof entry.cwd !== "string")
    ) {
      const msg = 'not a JSON object {"command": "...", "cwd"?: "..."}';
      io.stdout(
        flags.format === "json"
          ? `${JSON.stringify({ line: n, error: msg, decision: "ask", rules: [], reason: msg })}\n`
          : `line ${n}: error: ${msg}\n`,
      );
      code = 2;
      continue;
    }
    const v = gateCheck(entry.command, contextOf(flags, io, entry.cwd as string | undefined), setup);
    if (v.decision !== "allow" && code === 0) code = 1;
    io.stdout(flags.format === "json" ? verdictJson(v, { line: n }) : `line ${n}: ${verdictText(v)}`);
  }
  return code;
}

async function runExec(
  argv: string[],
  flags: CommonFlags & { log?: string | false; timeout: string },
  io: CliIo,
) {
  const timeout = Number(flags.timeout);
  if (!Number.isFinite(timeout) || timeout <= 0 || timeout > 86400) {
    io.stderr("agent-audit gate exec: --timeout must be a number of seconds from 1 to 86400\n");
    return 125;
  }
  let setup: GateSetup;
  try {
    setup = await setupFor(flags, io);
  } catch (err) {
    io.stderr(`agent-audit gate exec: ${escapeControls((err as Error).message)}\n`);
    return 125;
  }
  const ctx = contextOf(flags, io);
  const text = argv.map(shellQuote).join(" ");
  const v = gateCheck(text, ctx, setup);
  if (v.decision !== "allow" && setup.log) {
    const problem = await logDecision(setup.log, {
      source: "exec",
      decision: v.decision,
      rules: v.rules,
      reason: v.reason,
      command: text,
      cwd: ctx.cwd,
    });
    if (problem) io.stderr(`agent-audit gate: ${escapeControls(problem)}\n`);
  }
  if (v.decision === "deny") {
    io.stderr(`agent-audit gate: denied [${v.rules.join(", ")}]\n  ${escapeControls(v.reason)}\n`);
    return 126;
  }
  if (v.decision === "ask") {
    const { redactText } = await import("../detect/redact.js");
    const yes = await promptTty(
      `agent-audit gate: ${v.reason} [${v.rules.join(", ")}]\n  command: ${escapeControls(redactText(text))}\nRun it? [y/N] `,
      timeout * 1000,
    );
    if (yes !== true) {
      io.stderr(
        `agent-audit gate: not approved (${yes === undefined ? "no terminal to ask on" : yes === "timeout" ? "no answer in time" : "answered no"}) [${v.rules.join(", ")}]\n`,
      );
      return 126;
    }
  }
  return await new Promise<number>((done) => {
    const child = spawn(argv[0]!, argv.slice(1), { cwd: ctx.cwd, stdio: "inherit" });
    child.on("error", (err: NodeJS.ErrnoException) => {
      io.stderr(`agent-audit gate exec: cannot run ${escapeControls(argv[0]!)}: ${err.code ?? "error"}\n`);
      done(err.code === "ENOENT" ? 127 : 126);
    });
    child.on("exit", (code, signal) => {
      done(code ?? 128 + (signal ? ((constants.signals as Record<string, number>)[signal] ?? 0) : 0));
    });
  });
}

/**
 * Asks on the controlling terminal (not stdin, which the command may own). Resolves true on y/yes,
 * "no" otherwise, "timeout" when no answer came in time, undefined when there is no terminal.
 */
function promptTty(question: string, ms: number): Promise<true | "no" | "timeout" | undefined> {
  let fd: number;
  try {
    fd = openSync("/dev/tty", "r+");
  } catch {
    return Promise.resolve(undefined);
  }
  return new Promise((done) => {
    const input = new ReadStream(fd);
    const output = new WriteStream(fd);
    const rl = createInterface({ input, output, terminal: false });
    let answered = false;
    const finish = (answer: true | "no" | "timeout") => {
      // Once: closing the reader fires its "close" event, which must not overwrite the answer.
      if (answered) return;
      answered = true;
      clearTimeout(timer);
      rl.close();
      input.destroy();
      done(answer);
    };
    const timer = setTimeout(() => {
      output.write("\n");
      finish("timeout");
    }, ms);
    output.write(question);
    rl.once("line", (line) => finish(/^\s*(y|yes)\s*$/i.test(line) ? true : "no"));
    rl.once("close", () => finish("no"));
  });
}
