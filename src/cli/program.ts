import { Command, CommanderError } from "commander";
import { outputText, Redactor, withRedactor } from "../detect/redact.js";
import { escapeControls } from "../util/controls.js";
import { UsageError } from "../util/errors.js";
import { toolVersion } from "../util/version.js";
import { COMMANDS, commandName } from "./commands.js";
import type { CliIo } from "./io.js";

/**
 * Commander's error messages quote what was typed: a bad option value (`argument 'x' is invalid`),
 * an unknown option or command. A value can be anything, a pasted secret too, so it is never
 * echoed (issue 8): the message names the option and what it accepts, and an unknown option is
 * named by its position on the command line. Commander's "(Did you mean --x?)" names one of ours
 * and stays.
 */
export function commanderMessage(text: string, argv: readonly string[]): string {
  const invalid = /^error: option '([^']*)' argument '[\s\S]*' is invalid\.( |$)/.exec(text);
  if (invalid)
    return `error: option '${invalid[1]}': invalid value.${invalid[2]}${text.slice(invalid[0].length)}`;
  const unknown = /^error: unknown (option|command) '([\s\S]*?)'(\s*\(Did you mean [^\n]*\?\))?\n?$/.exec(
    text,
  );
  if (unknown) {
    const at = argv.indexOf(unknown[2]!);
    const where = at === -1 ? "" : ` (argument ${at + 1})`;
    // The name of a mistyped flag helps: when commander suggests one of ours, the flag is a typo of
    // that option (a few edits away from it) and its name (before any `=value`) is shown.
    const name = /^(--?[a-z][a-z-]{0,30})(=|$)/.exec(unknown[2]!)?.[1];
    const shown = unknown[1] === "option" && unknown[3] && name ? ` '${name}'` : "";
    return `error: unknown ${unknown[1]}${shown}${where}${unknown[3] ?? ""}\n`;
  }
  return text;
}

/** A message for stderr: redacted (run secrets, content rules, URL userinfo), controls escaped. */
function errorText(text: string, redactor: Redactor): string {
  return text
    .split("\n")
    .map((line) => escapeControls(redactor.redact(line)))
    .join("\n");
}

/** A fresh program per call (tests run many in one process). Returns the exit code; never exits. */
export async function runCli(argv: string[], rawIo: CliIo): Promise<number> {
  // The output boundary of issue 8: one redactor per run, which the inventory fills with the
  // secret values it finds, and through which every write to stdout and stderr passes.
  const redactor = new Redactor();
  const io: CliIo = {
    ...rawIo,
    stdout: (s) => rawIo.stdout(outputText(s, redactor)),
    stderr: (s) => rawIo.stderr(outputText(s, redactor)),
  };
  const writeErr = (t: string) => io.stderr(errorText(commanderMessage(t, argv), redactor));
  return withRedactor(redactor, async () => {
    const result = { exitCode: 0 };
    const program = new Command("agent-audit")
      .description("What can your AI agent leak, and what stops it?")
      .version(toolVersion(), "-V, --version")
      .exitOverride()
      .configureOutput({ writeOut: io.stdout, writeErr })
      .showHelpAfterError("(run with --help for usage)");
    const wanted = commandName(argv);
    for (const [name, c] of Object.entries(COMMANDS)) {
      if (name === wanted) program.addCommand((await c.load()).command(io, result).summary(c.summary));
      else program.command(name).summary(c.summary);
    }
    // Every command at every depth (`gate check`, `gate exec`): usage errors exit 2, not commander's 1.
    const override = (c: Command) => {
      c.exitOverride().configureOutput({ writeOut: io.stdout, writeErr });
      for (const sub of c.commands) override(sub);
    };
    for (const c of program.commands) override(c);
    try {
      await program.parseAsync(argv, { from: "user" });
      return result.exitCode;
    } catch (e) {
      if (e instanceof CommanderError) {
        // --help and --version exit 0; every usage error exits 2 (commander already printed it), but
        // `gate exec`'s exit 2 could be its command's own: its usage errors exit 125, as documented.
        if (e.exitCode === 0) return 0;
        const gi = argv.indexOf("gate");
        return wanted === "gate" && gi !== -1 && argv[gi + 1] === "exec" ? 125 : 2;
      }
      if (e instanceof UsageError) {
        io.stderr(
          `${errorText(`agent-audit: ${e.message}${e.hint ? `\n  hint: ${e.hint}` : ""}`, redactor)}\n`,
        );
        return 2;
      }
      throw e;
    }
  });
}
