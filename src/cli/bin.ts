#!/usr/bin/env node
// The installed binary. `agent-audit gate hook <runtime>` runs on every tool call an agent makes,
// so it takes a path of its own that loads only the gate (no commander, no scanner): it must start
// almost as fast as an empty Node process (issue 11). Everything else is the full program (main.ts).
import { hookArgs } from "./gate-hook-args.js";

const hook = hookArgs(process.argv.slice(2));
if (hook) {
  // The build joins the hook's modules into one file (scripts/bundle-hook.mjs): one module to load
  // instead of eleven. Without it (running from a partial build), the separate modules.
  const bundle = "./gate-hook.bundle.js";
  const mod = (await import(bundle).catch(() => import("./gate-hook.js"))) as typeof import("./gate-hook.js");
  await mod.runHookProcess(hook);
} else {
  await import("./main.js");
}
