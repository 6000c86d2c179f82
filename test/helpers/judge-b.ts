import { decide } from "../../src/capabilities/gate/engine.js";
import { builtinPolicy } from "../../src/capabilities/gate/load.js";
import type { CommandJudge } from "../../src/capabilities/inspect/mcp/types.js";

/** The gate's real engine as the CommandJudge the app composes (helper B's copy; see test/helpers/judge.ts). */
export function gateJudge(home: string, workspace: string): CommandJudge & { calls: string[] } {
  const calls: string[] = [];
  const judge = ((command: string, cwd: string) => {
    calls.push(command);
    const v = decide(command, { cwd, workspace, home }, builtinPolicy());
    return { decision: v.decision, rules: v.rules, reason: v.reason, categories: v.categories };
  }) as unknown as CommandJudge & { calls: string[] };
  judge.calls = calls;
  return judge;
}
