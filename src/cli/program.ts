import { Command, CommanderError } from "commander";
import { UsageError } from "../core/errors.js";
import { redactCredentials } from "../core/redact.js";
import { toolVersion } from "../core/version.js";
import { baselineCommand } from "./baseline.js";
import type { CliIo } from "./io.js";
import { probeCommand } from "./probe.js";
import { scanCommand } from "./scan.js";

/** A fresh program per call (tests run many in one process). Returns the exit code; never exits. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const result = { exitCode: 0 };
  const program = new Command("agent-audit")
    .description("What can your AI agent leak, and what stops it?")
    .version(toolVersion(), "-V, --version")
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: (t) => io.stderr(redactCredentials(t)) })
    .showHelpAfterError("(run with --help for usage)");
  program.addCommand(scanCommand(io, result));
  program.addCommand(probeCommand(io, result));
  program.addCommand(baselineCommand(io, result));
  for (const c of program.commands)
    c.exitOverride().configureOutput({
      writeOut: io.stdout,
      writeErr: (t) => io.stderr(redactCredentials(t)),
    });
  try {
    await program.parseAsync(argv, { from: "user" });
    return result.exitCode;
  } catch (e) {
    if (e instanceof CommanderError) {
      // --help and --version exit 0; every usage error exits 2 (commander already printed it).
      return e.exitCode === 0 ? 0 : 2;
    }
    if (e instanceof UsageError) {
      io.stderr(redactCredentials(`agent-audit: ${e.message}${e.hint ? `\n  hint: ${e.hint}` : ""}\n`));
      return 2;
    }
    throw e;
  }
}
