import { homedir, hostname, userInfo } from "node:os";
import { COMMANDS, commandName } from "./commands.js";

// The command's module starts loading now, beside the program's (issue 9: the modules of a lazily
// imported command would otherwise load only after the program's; together they load at once).
const wanted = commandName(process.argv.slice(2));
const preload =
  wanted !== undefined && Object.hasOwn(COMMANDS, wanted) ? COMMANDS[wanted]!.load() : undefined;
// A failure surfaces where the program imports the module, with the program's error handling.
preload?.catch(() => {});
const [{ runCli }, { redactText }, { escapeControls }] = await Promise.all([
  import("./program.js"),
  import("../detect/redact.js"),
  import("../util/controls.js"),
]);

// The only place that touches process: binds the CLI to the real world and sets the exit code.
const info = (() => {
  try {
    return userInfo();
  } catch {
    return { username: String(process.getuid?.() ?? "unknown"), uid: process.getuid?.() ?? -1 };
  }
})();

// `agent-audit scan | head`: a closed pipe ends the output, not the program with a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (err: NodeJS.ErrnoException) => {
    if (err.code === "EPIPE") process.exit(process.exitCode ?? 0);
    throw err;
  });
}

// Node.js 20 itself reads `--env-file` anywhere on its command line, also after the script path and
// through this file's `#!/usr/bin/env node`: it loads the file into this process's environment and
// obeys NODE_OPTIONS from it before any line here runs (issue 8). agent-audit's own flag is
// therefore `--environ`, and no flag of ours is one Node interprets (test/cli/node-flags.test.ts).
// A user who still types --env-file gets a clear refusal instead of a scan of a polluted process.
const nodeOwned = process.argv.slice(2).find((a) => /^--env-file(-if-exists)?(=|$)/.test(a));
if (nodeOwned !== undefined) {
  process.stderr.write(
    "agent-audit: --env-file is read by Node.js itself, not by agent-audit: Node loads the file into " +
      "agent-audit's own environment and obeys NODE_OPTIONS in it\n  hint: use --environ FILE, which reads the file as data only\n",
  );
  process.exit(2);
}

// A current directory deleted under the shell: process.cwd() throws. That is a usage error (exit 2),
// not a crash with exit 1, which the contract reserves for findings.
const cwd = (() => {
  try {
    return process.cwd();
  } catch {
    process.stderr.write(
      "agent-audit: the current directory no longer exists\n  hint: cd to an existing directory, or pass absolute paths\n",
    );
    process.exit(2);
  }
})();

runCli(process.argv.slice(2), {
  stdout: (s) => process.stdout.write(s),
  stderr: (s) => process.stderr.write(s),
  env: process.env,
  cwd,
  homedir: homedir(),
  user: info.username,
  uid: info.uid,
  hostname: hostname(),
  stdoutIsTTY: Boolean(process.stdout.isTTY),
  stderrIsTTY: Boolean(process.stderr.isTTY),
}).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    // A bug, not a user error: print the stack, redacted and with control characters escaped, line
    // by line (issue 8: a message can quote foreign input, a file name or a value).
    const text = `agent-audit: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`;
    process.stderr.write(
      `${text
        .split("\n")
        .map((line) => escapeControls(redactText(line)))
        .join("\n")}\n`,
    );
    process.exitCode = 2;
  },
);
