import { describe, expect, it } from "vitest";
import { INSPECTORS } from "../../src/capabilities/inspect/index.js";
import { defaultRules } from "../../src/rules/catalog.js";
import { inspectFiles } from "../helpers/runtime.js";

// Every check of rules/runtime/ (issue 10) with its examples in the runtime's real config format:
// each `match` example triggers the check, each `noMatch` example does not, and neither leaves an
// issue (a malformed example would pass a noMatch silently).
const checks = defaultRules().runtime;

describe("rules/runtime examples", () => {
  it("every check names a runtime with an inspector", () => {
    const ids = new Set(INSPECTORS.map((i) => i.id));
    for (const c of checks) expect(ids.has(c.runtime), c.id).toBe(true);
  });

  for (const check of checks) {
    describe(check.id, () => {
      check.examples.match.forEach((ex, i) => {
        it(`match ${i + 1}`, async () => {
          const r = await inspectFiles(ex.files, {
            runtime: check.runtime,
            ...(ex.env ? { env: ex.env } : {}),
          });
          expect(r.issues).toEqual([]);
          expect(r.findings.map((f) => f.ruleId)).toContain(check.id);
        });
      });
      check.examples.noMatch.forEach((ex, i) => {
        it(`noMatch ${i + 1}`, async () => {
          const r = await inspectFiles(ex.files, {
            runtime: check.runtime,
            ...(ex.env ? { env: ex.env } : {}),
          });
          expect(r.issues).toEqual([]);
          expect(r.findings.map((f) => f.ruleId)).not.toContain(check.id);
        });
      });
    });
  }
});
