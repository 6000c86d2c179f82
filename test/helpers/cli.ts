import type { CliIo } from "../../src/cli/io.js";
import { runCli } from "../../src/cli/program.js";

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs the CLI in-process with a fake world: an empty environment (never the real one), a home
 * and cwd the test chose, no terminal.
 */
export async function cli(argv: string[], over: Partial<CliIo> = {}): Promise<CliRun> {
  let stdout = "";
  let stderr = "";
  const io: CliIo = {
    stdout: (s) => {
      stdout += s;
    },
    stderr: (s) => {
      stderr += s;
    },
    env: {},
    cwd: over.cwd ?? "/nonexistent-cwd",
    homedir: "/nonexistent-home",
    user: "tester",
    uid: 1000,
    hostname: "test-host",
    stdoutIsTTY: false,
    stderrIsTTY: false,
    ...over,
  };
  const code = await runCli(argv, io);
  return { code, stdout, stderr };
}
