// The built policy (dist/gate-policy.json, compiled from rules/gate by `npm run build`), read with
// one JSON.parse and nothing else loaded: the hook's path. Undefined when running from the sources.

import { readFileSync } from "node:fs";
import type { GatePolicy } from "./policy.js";

let cached: GatePolicy | undefined;

export function compiledPolicy(): GatePolicy | undefined {
  if (cached) return cached;
  // dist/src/capabilities/gate/compiled.js -> dist/gate-policy.json
  if (!import.meta.url.includes("/dist/src/capabilities/gate/")) return undefined;
  cached = JSON.parse(
    readFileSync(new URL("../../../gate-policy.json", import.meta.url), "utf8"),
  ) as GatePolicy;
  return cached;
}
