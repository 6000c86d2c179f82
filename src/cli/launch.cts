#!/usr/bin/env node
// The installed `agent-audit` command. CommonJS on purpose: `agent-audit gate hook <runtime>` runs
// on every tool call an agent makes, and Node's ES-module loader alone costs about 15 ms of start-up,
// so the hook runs from a CommonJS bundle of its modules (dist/src/cli/gate-hook.bundle.cjs, built by
// scripts/bundle-hook.mjs), compiled from its build-time code cache (hook-loader.cts). Every other command, and the hook when the bundle is missing, runs the
// ES-module program (bin.js), which takes the same decisions.

import { type HookBundle, loadHookBundle } from "./hook-loader.cjs";

const argv = process.argv.slice(2);
let bundle: HookBundle | undefined;
if (argv[0] === "gate" && argv[1] === "hook") {
  try {
    bundle = loadHookBundle(__dirname).bundle;
  } catch {
    bundle = undefined;
  }
}
const hook = bundle?.hookArgs(argv);
if (bundle && hook) void bundle.runHookProcess(hook);
else void import("./bin.js");
