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
  /**
   * Name resolution for the egress probes; absent = the system resolver (getaddrinfo). Tests pass
   * their own, so that no test ever sends a DNS query to this machine's resolver.
   */
  lookup?: (host: string) => Promise<{ address: string; family: number }[]>;
}

export interface CliResult {
  exitCode: number;
}
