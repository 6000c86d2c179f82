// The command table (issue 9: `agent-audit <cmd>` imports only that command's module). Small and
// free of heavy imports: bin.ts reads it to start loading the command's module while the program
// itself loads.

import type { Command } from "commander";
import type { CliIo, CliResult } from "./io.js";

/** A command's module: its full definition (options, help, action), imported only when it runs. */
export interface CommandModule {
  command(io: CliIo, result: CliResult): Command;
}

/**
 * The commands, with the one line `agent-audit --help` lists. `agent-audit <cmd>` imports only
 * that command's module (issue 9: the gate hook runs on every tool call and cannot afford to load
 * the scanner); the others are listed by their summary alone.
 */
export const COMMANDS: Record<string, { summary: string; load: () => Promise<CommandModule> }> = {
  scan: {
    summary:
      "inventory every secret the agent can read, and score the sandbox (step 1; steps 2-3 with --probe)",
    load: () => import("./scan.js"),
  },
  probe: {
    summary: "probe egress from this network context: can a stolen secret leave? (steps 2 and 3)",
    load: () => import("./probe.js"),
  },
  gate: {
    summary:
      "the approval gate: allow / ask / deny a shell command (check, hook for Claude Code and Gemini CLI, exec, verify)",
    load: () => import("./gate.js"),
  },
  fix: {
    summary:
      "write the configs that close the gaps: proxy, firewall, Kubernetes, runtime gates and sandboxes, a scrubbed launcher",
    load: () => import("./fix.js"),
  },
  creds: {
    summary:
      "how narrow are the agent's cloud credentials: AWS IAM grants, last use, a least-privilege plan and its reversible apply (step 6)",
    load: () => import("./creds.js"),
  },
  watch: {
    summary:
      "turn every egress request the proxy or the firewall denies into an alert (step 4): stdout, file, syslog, webhook, Slack",
    load: () => import("./watch.js"),
  },
  baseline: {
    summary: "accept the current findings: write their fingerprints to .agent-audit-baseline.json",
    load: () => import("./baseline.js"),
  },
};

/** The command the arguments name: the first argument that is not an option (`help scan` names scan). */
export function commandName(argv: readonly string[]): string | undefined {
  const i = argv.findIndex((a) => !a.startsWith("-"));
  if (i === -1) return undefined;
  return argv[i] === "help" ? argv.slice(i + 1).find((a) => !a.startsWith("-")) : argv[i];
}
