#!/usr/bin/env node
// The installed `agent-audit` command. CommonJS on purpose: `agent-audit gate hook <runtime>` runs
// on every tool call an agent makes, and Node's ES-module loader alone costs about 15 ms of start-up,
// so the hook runs from a CommonJS bundle of its modules (dist/src/cli/gate-hook.bundle.cjs, built by
// scripts/bundle-hook.mjs), compiled from its build-time code cache. Every other command, and the
// hook when the bundle is missing, runs the ES-module program (bin.js), which takes the same
// decisions.
//
// The loader of that bundle lives here, not in a module of its own, so that the hook loads one file
// before the bundle instead of two (a second CommonJS module costs about 0.5 ms): hook-loader.cts
// re-exports it for the build's cache step and the tests, and requiring this file from there runs
// nothing (only the main module runs the command).
//
// The bundle is loaded with the V8 code cache that `npm run build` made for it
// (gate-hook.bundle.cache, by scripts/bundle-hook.mjs): compiling the bundle and the functions one
// decision runs is a third of the hook's start-up over an empty Node. The cache is bytecode V8 made
// from this very bundle, written at build time next to it: it is trusted as the code is, and
// nothing writes it at run time (unlike Node's compile cache, whose directory an agent could
// write). A cache from another build (its first 64 bytes are the bundle's build id), another Node
// or other V8 flags is not used, or V8 rejects it: the bundle then compiles as usual.

import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { Script } from "node:vm";

export interface HookBundle {
  hookArgs(argv: readonly string[]): unknown;
  runHookProcess(args: unknown): Promise<void>;
  /** The hook's own functions, for the build's warm-up run that fills the cache. */
  answerHook?: unknown;
  gateSetup?: unknown;
}

export const BUNDLE = "gate-hook.bundle.cjs";
export const CACHE = "gate-hook.bundle.cache";
/** The CommonJS wrapper; `__hookImport` stands in for `import()`, which a vm.Script cannot call. */
export const WRAP_HEAD = "(function (exports, require, module, __filename, __dirname, __hookImport) {";
export const WRAP_TAIL = "\n})";
/** The bundle's last line names its build: `//# agent-audit-build <64 hex digits>`. */
const BUILD_MARK = "//# agent-audit-build ";

export function buildIdOf(source: string): string | undefined {
  const at = source.lastIndexOf(BUILD_MARK);
  if (at === -1) return undefined;
  const id = source.slice(at + BUILD_MARK.length, at + BUILD_MARK.length + 64);
  return /^[0-9a-f]{64}$/.test(id) ? id : undefined;
}

export function compileHook(file: string, source: string, cachedData?: Buffer): Script {
  return new Script(WRAP_HEAD + source + WRAP_TAIL, { filename: file, cachedData });
}

export function runHookScript(script: Script, file: string): HookBundle {
  const module = { exports: {} as HookBundle };
  // Dynamic imports resolve from this file, which sits in the bundle's directory.
  const hookImport = (spec: string) => import(spec);
  const wrapper = script.runInThisContext() as (...a: unknown[]) => void;
  wrapper(module.exports, require, module, file, dirname(file), hookImport);
  return module.exports;
}

/** The bundle in `dir`, and whether a cache was there and V8 took it. */
export function loadHookBundle(dir: string): { bundle: HookBundle; cache: "used" | "rejected" | "none" } {
  const file = join(dir, BUNDLE);
  // The build writes it in ASCII (scripts/bundle-hook.mjs): latin1 is the same text, read into a
  // one-byte string without a UTF-8 decode.
  const source = readFileSync(file, "latin1");
  let cachedData: Buffer | undefined;
  try {
    const cache = readFileSync(join(dir, CACHE));
    const id = buildIdOf(source);
    if (id !== undefined && cache.length > 64 && cache.subarray(0, 64).toString("latin1") === id)
      cachedData = cache.subarray(64);
  } catch {
    cachedData = undefined;
  }
  const script = compileHook(file, source, cachedData);
  const bundle = runHookScript(script, file);
  return {
    bundle,
    cache: cachedData === undefined ? "none" : script.cachedDataRejected ? "rejected" : "used",
  };
}

if (require.main === module) {
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
}
