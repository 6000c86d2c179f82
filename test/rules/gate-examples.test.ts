import { describe, expect, it } from "vitest";
import { decide } from "../../src/capabilities/gate/engine.js";
import { builtinPolicy } from "../../src/capabilities/gate/load.js";

// Every rule in rules/gate carries examples that must and must not match it; each is run here.
const ctx = { cwd: "/home/agent/project", home: "/home/agent" };

describe("gate rule examples", () => {
  const policy = builtinPolicy();
  for (const rule of policy.rules) {
    describe(rule.id, () => {
      for (const cmd of rule.examples.match)
        it(`matches ${JSON.stringify(cmd)}`, () => {
          const v = decide(cmd, ctx, policy);
          expect(v.rules).toContain(rule.id);
          expect(v.decision).not.toBe("allow");
        });
      for (const cmd of rule.examples.noMatch)
        it(`does not match ${JSON.stringify(cmd)}`, () => {
          expect(decide(cmd, ctx, policy).rules).not.toContain(rule.id);
        });
    });
  }
});
