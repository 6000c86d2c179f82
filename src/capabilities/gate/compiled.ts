// The built policy (dist/gate-policy.json, compiled from rules/gate by `npm run build`), read with
// one JSON.parse and nothing else loaded: the hook's path. Undefined when running from the sources.

import { readFileSync } from "node:fs";
import type { GatePolicy } from "./policy.js";

let cached: GatePolicy | undefined;

export function compiledPolicy(): GatePolicy | undefined {
  if (cached) return cached;
  // dist/src/capabilities/gate/compiled.js, the hook's bundle dist/src/cli/gate-hook.bundle.js or
  // the CLI's bundle dist/src/bundle/*.js (scripts/bundle-cli.mjs) -> dist/gate-policy.json
  const url = import.meta.url;
  const rel = url.includes("/dist/src/capabilities/gate/")
    ? "../../../gate-policy.json"
    : url.includes("/dist/src/cli/") || url.includes("/dist/src/bundle/")
      ? "../../gate-policy.json"
      : undefined;
  if (rel === undefined) return undefined;
  cached = JSON.parse(readFileSync(new URL(rel, url), "utf8")) as GatePolicy;
  return cached;
}
