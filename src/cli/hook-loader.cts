// Loads the hook's CommonJS bundle (dist/src/cli/gate-hook.bundle.cjs) with the V8 code cache that
// `npm run build` made for it (gate-hook.bundle.cache, by scripts/bundle-hook.mjs): the hook starts
// on every tool call an agent makes, and compiling the bundle and the functions one decision runs
// is a third of its start-up over an empty Node. The cache is bytecode V8 made from this very
// bundle, written at build time next to it: it is trusted as the code is, and nothing writes it at
// run time (unlike Node's compile cache, whose directory an agent could write). A cache from
// another build (its first 64 bytes are the bundle's build id), another Node or other V8 flags is
// not used, or V8 rejects it: the bundle then compiles as usual.

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
  const source = readFileSync(file, "utf8");
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
