#!/usr/bin/env node
// The installed binary. `agent-audit gate hook <runtime>` runs on every tool call an agent makes,
// so it takes a path of its own that loads only the gate (no commander, no scanner): it must start
// almost as fast as an empty Node process (issue 11). Everything else is the full program (main.ts).
import { statSync } from "node:fs";
import { hookArgs } from "./gate-hook-args.js";

const hook = hookArgs(process.argv.slice(2));
if (hook) {
  // The build joins the hook's modules into one file (scripts/bundle-hook.mjs): one module to load
  // instead of eleven. Without it (running from a partial build), the separate modules.
  const bundle = "./gate-hook.bundle.js";
  const mod = (await import(bundle).catch(() => import("./gate-hook.js"))) as typeof import("./gate-hook.js");
  await mod.runHookProcess(hook);
} else {
  // The build joins the program's modules into a few files (scripts/bundle-cli.mjs). Chosen by
  // whether the file exists and is not older than the modules (a `tsc` run alone leaves an older
  // bundle behind; an installed package's files all carry one time), never by catching a failed
  // import: main.js runs the command as it loads, and an error from the command must not run it a
  // second time from the other copy.
  const bundled = "../bundle/main.js";
  const bundle = statSync(new URL(bundled, import.meta.url), { throwIfNoEntry: false });
  const modules = bundle && statSync(new URL("./main.js", import.meta.url), { throwIfNoEntry: false });
  if (bundle && (!modules || bundle.mtimeMs >= modules.mtimeMs)) await import(bundled);
  else await import("./main.js");
}
