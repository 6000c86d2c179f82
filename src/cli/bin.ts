#!/usr/bin/env node
// The installed binary. `agent-audit gate hook <runtime>` runs on every tool call an agent makes,
// so it takes a path of its own that loads only the gate (no commander, no scanner): it must start
// almost as fast as an empty Node process (issue 11). Everything else is the full program (main.ts).
import { hookArgs } from "./gate-hook-args.js";

const hook = hookArgs(process.argv.slice(2));
if (hook) {
  const { runHookProcess } = await import("./gate-hook.js");
  await runHookProcess(hook);
} else {
  await import("./main.js");
}
