import { decide } from "../../src/capabilities/gate/engine.js";
import { builtinPolicy } from "../../src/capabilities/gate/load.js";
import type { CommandJudge } from "../../src/capabilities/inspect/mcp/types.js";

/**
 * The gate's real engine and built-in policy as the MCP checks' CommandJudge (issue 16), composed
 * as src/app/scan.ts composes it: the home and the project are the audited ones.
 */
export function gateJudge(home: string, root: string): CommandJudge {
  const policy = builtinPolicy();
  return (command, cwd) => decide(command, { cwd, home, workspace: root }, policy);
}

/** A judge that records every command it is asked about (and allows each). */
export function recordingJudge(): CommandJudge & { calls: { command: string; cwd: string }[] } {
  const calls: { command: string; cwd: string }[] = [];
  const judge = ((command: string, cwd: string) => {
    calls.push({ command, cwd });
    return { decision: "allow" as const, rules: [], reason: "", categories: [] };
  }) as unknown as CommandJudge & { calls: typeof calls };
  judge.calls = calls;
  return judge;
}
