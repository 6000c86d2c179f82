/** The outside world as the CLI sees it; tests pass their own. Only bin.ts binds it to process. */
export interface CliIo {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  env: Record<string, string | undefined>;
  cwd: string;
  homedir: string;
  user: string;
  uid: number;
  hostname: string;
  stdoutIsTTY: boolean;
  stderrIsTTY: boolean;
}

export interface CliResult {
  exitCode: number;
}
