import { isAbsolute, join, resolve } from "node:path";
import { isPlausiblePath } from "../../sources/home.js";
import type { InspectContext } from "./types.js";

// A runtime's config directory named by the agent's environment (CODEX_HOME, CLAUDE_CONFIG_DIR,
// HERMES_HOME; issue 10). The value is the agent's: read as the inventory reads env pointers
// (sources/home.ts): an absolute path under the system root (the agent's "/", never the scanning
// machine's own files when --system-root is given), a relative one or `~/…` from the home. A value
// that is not a path is an issue, never printed.

export interface EnvDir {
  /** The directory's absolute path. */
  dir: string;
  /** true when the environment moved it from its default. */
  moved: boolean;
}

export function envConfigDir(ctx: InspectContext, variable: string, fallback: string): EnvDir {
  const value = ctx.env?.[variable];
  if (value === undefined || value === "") return { dir: fallback, moved: false };
  if (!isPlausiblePath(value)) {
    ctx.read.issue(`$${variable}`, "does not name a directory (the value is not a path; not printed)");
    return { dir: fallback, moved: false };
  }
  const dir = isAbsolute(value)
    ? join(ctx.systemRoot, value)
    : value === "~"
      ? ctx.home
      : resolve(ctx.home, value.replace(/^~\//, ""));
  return { dir, moved: dir !== fallback };
}
