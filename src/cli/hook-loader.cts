// The loader of the hook's CommonJS bundle, with its build-time V8 code cache. It lives in the
// installed command itself (launch.cts: one file to load before the bundle, not two); this module
// re-exports it for the build's cache step (scripts/hook-cache.cjs) and the tests. Requiring
// launch.cjs from here runs no command: only the main module does.

export {
  BUNDLE,
  buildIdOf,
  CACHE,
  compileHook,
  type HookBundle,
  loadHookBundle,
  runHookScript,
  WRAP_HEAD,
  WRAP_TAIL,
} from "./launch.cjs";
