export function codexBinary(repo: string): string | undefined;
export function judgeCorpus(
  cases: readonly { command: string }[],
  opts: {
    bin: string;
    rules: string[];
    home: string;
    codexCommands: (script: string) => string[][];
    concurrency?: number;
  },
): Promise<{
  judged: { decision: "allow" | "ask" | "deny"; outcome: "rule" | "unmatched" | "error" }[];
  calls: number;
}>;
