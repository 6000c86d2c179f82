#!/usr/bin/env node
// Stores every rule file that parses and validates, keyed by path relative to the package root, with the hash of its text
// and its kind, in dist/rules-cache.json. src/rules/catalog.ts uses an entry only while the file's
// text hashes the same and it is read as the same kind, so a normal start-up neither parses YAML nor
// loads zod; an edited, added or invalid rule is read, validated and reported at load time as before.
// Run by `npm run build`, after tsc (it validates with the compiled schemas).
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import { RULES_CACHE_VERSION, ruleFileHash, validateRuleData } from "../dist/src/rules/catalog.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const rules = join(root, "rules");
const files = {};
let invalid = 0;
const add = (kind, p) => {
  const text = readFileSync(p, "utf8");
  let data;
  try {
    data = parse(text);
  } catch {
    invalid++; // Invalid YAML stays out of the cache: the loader reports it with its file name.
    return;
  }
  if (validateRuleData(kind, p, data).length) {
    invalid++; // Likewise a rule its schema rejects.
    return;
  }
  files[relative(root, p)] = { hash: ruleFileHash(text), kind, data };
};
for (const [dir, kind] of [
  ["secrets", "content"],
  ["env", "env"],
  ["paths", "paths"],
  ["egress", "egress"],
  ["runtime", "runtime"],
  ["scope", "scope"],
  ["mcp", "mcp"],
]) {
  let names;
  try {
    names = readdirSync(join(rules, dir)).sort();
  } catch {
    continue;
  }
  for (const name of names) {
    if (name.endsWith(".yaml")) add(kind, join(rules, dir, name));
  }
}
add("placeholder", join(rules, "placeholders.yaml"));
mkdirSync(join(root, "dist"), { recursive: true });
writeFileSync(
  join(root, "dist", "rules-cache.json"),
  JSON.stringify({ version: RULES_CACHE_VERSION, files }),
);
if (invalid) console.error(`compile-rules: ${invalid} invalid rule file(s) left out of the cache`);

// The gate's policy (rules/gate/*.yaml), validated and stored as one JSON file: `gate hook` runs on
// every tool call and loads it with one JSON.parse (no YAML, no zod), with the rules' program index
// precomputed (compilePolicyDir). An invalid gate rule fails the build.
const { compilePolicyDir, GATE_POLICY_FILE } = await import("../dist/src/capabilities/gate/load.js");
writeFileSync(join(root, "dist", GATE_POLICY_FILE), JSON.stringify(compilePolicyDir(join(rules, "gate"))));
