#!/usr/bin/env node
// The installed binary. `agent-audit gate hook <runtime>` runs on every tool call an agent makes,
// so it takes a path of its own that loads only the gate (no commander, no scanner): it must start
// almost as fast as an empty Node process (issue 11). Everything else is the full program (main.ts).
import { existsSync } from "node:fs";
import { hookArgs } from "./gate-hook-args.js";

const hook = hookArgs(process.argv.slice(2));
if (hook) {
  // The build joins the hook's modules into one file (scripts/bundle-hook.mjs): one module to load
  // instead of eleven. Without it (running from a partial build), the separate modules.
  const bundle = "./gate-hook.bundle.js";
  const mod = (await import(bundle).catch(() => import("./gate-hook.js"))) as typeof import("./gate-hook.js");
  await mod.runHookProcess(hook);
} else {
  // The build joins the program's modules into a few files (scripts/bundle-cli.mjs), and removes
  // them first thing, so a build that fails leaves none. Chosen by whether the file exists, never
  // by its time (npm writes an installed package's files in any order, with the time of the
  // install) and never by catching a failed import: main.js runs the command as it loads, and an
  // error from the command must not run it a second time from the other copy. `tsc` run alone
  // leaves the last build's bundle in place: `npm run build` is the build.
  const bundled = "../bundle/main.js";
  if (existsSync(new URL(bundled, import.meta.url))) await import(bundled);
  else await import("./main.js");
}
