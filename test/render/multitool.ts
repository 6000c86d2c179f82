import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { expect } from "vitest";

// biome-ignore lint/suspicious/noExplicitAny: the validator's own SARIF log, read structurally
type Json = any;

/**
 * Validates a SARIF text with the SARIF multitool and returns its problems as "rule level where".
 * The multitool exits 0 even when it reports errors, so the verdict comes from its own SARIF log
 * (--output): every result there is a problem; a result without a level is a warning (SARIF §3.27.10).
 * Known blind spot: an out-of-enum value (e.g. level "bogus") makes it skip the file silently, so the
 * SARIF tests assert levels and severities exactly themselves.
 */
export function validationProblems(dir: string, name: string, sarif: string): string[] {
  const file = join(dir, `${name}.sarif`);
  const out = join(dir, `${name}.validation.sarif`);
  writeFileSync(file, sarif);
  const res = validate(file, out);
  expect(res.error, String(res.error)).toBeUndefined();
  expect(res.status, res.stdout + res.stderr).toBe(0);
  const validation: Json = JSON.parse(readFileSync(out, "utf8"));
  expect(validation.runs[0].invocations[0].executionSuccessful).toBe(true);
  return validation.runs[0].results
    .filter((r: Json) => (r.level ?? "warning") !== "note" && r.level !== "none")
    .map((r: Json) => `${r.ruleId} ${r.level ?? "warning"} ${r.message.arguments?.[0] ?? ""}`);
}

/**
 * Runs the multitool's platform binary directly: `@microsoft/sarif-multitool` exports its path (the
 * .NET single-file executable in the optional @microsoft/sarif-multitool-<os> package), while its
 * npm bin wrapper would go through a shell. --rule-kind "Sarif;Gh" adds GitHub's ingestion rules
 * (GH1xxx/GH2xxx) to the schema (JSON1xxx) and SARIF (SARIF1xxx/2xxx) rules.
 */
export function validate(file: string, output: string) {
  const bin = createRequire(import.meta.url)("@microsoft/sarif-multitool") as string;
  return spawnSync(
    bin,
    ["validate", file, "--output", output, "--log", "ForceOverwrite", "--rule-kind", "Sarif;Gh"],
    { encoding: "utf8", timeout: 110_000 },
  );
}
