#!/usr/bin/env node
// The installed `agent-audit` command. CommonJS on purpose: `agent-audit gate hook <runtime>` runs
// on every tool call an agent makes, and Node's ES-module loader alone costs about 15 ms of start-up,
// so the hook runs from a CommonJS bundle of its modules (dist/src/cli/gate-hook.bundle.cjs, built by
// scripts/bundle-hook.mjs). Every other command, and the hook when the bundle is missing, runs the
// ES-module program (bin.js), which takes the same decisions.

interface HookBundle {
  hookArgs(argv: readonly string[]): unknown;
  runHookProcess(args: unknown): Promise<void>;
}

const argv = process.argv.slice(2);
let bundle: HookBundle | undefined;
if (argv[0] === "gate" && argv[1] === "hook") {
  try {
    bundle = require("./gate-hook.bundle.cjs") as HookBundle;
  } catch {
    bundle = undefined;
  }
}
const hook = bundle?.hookArgs(argv);
if (bundle && hook) void bundle.runHookProcess(hook);
else void import("./bin.js");
