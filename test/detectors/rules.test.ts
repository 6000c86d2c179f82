import { describe, expect, it } from "vitest";
import { ContentScanner } from "../../src/detectors/content.js";
import { detectEnvVar } from "../../src/detectors/env.js";
import { defaultRules } from "../../src/detectors/rules.js";

// One generic test runs every rule's own examples (shared/STYLE.md): a rule whose must-match example
// does not match, or whose must-not-match example does, fails here, naming the rule file.
const rules = defaultRules();
const scanner = new ContentScanner(rules);

describe("content rules", () => {
  for (const rule of rules.content) {
    describe(rule.id, () => {
      for (const ex of rule.examples.match) {
        it(`matches ${JSON.stringify(ex).slice(0, 60)}`, () => {
          const hits = scanner.scan(ex, { rules: [rule], honourInlineAllows: false });
          expect(hits.map((h) => h.ruleId)).toEqual([rule.id]);
        });
        it(`is reached through the keyword prefilter: ${JSON.stringify(ex).slice(0, 40)}`, () => {
          expect(scanner.candidates(ex)).toContain(rule);
        });
      }
      for (const ex of rule.examples.noMatch) {
        it(`does not match ${JSON.stringify(ex).slice(0, 60)}`, () => {
          expect(scanner.scan(ex, { rules: [rule], honourInlineAllows: false })).toEqual([]);
        });
      }
    });
  }
});

describe("environment name rules", () => {
  for (const rule of rules.env) {
    describe(rule.id, () => {
      for (const ex of rule.examples.match) {
        it(`matches ${ex.name}`, () => {
          const hits = detectEnvVar(
            ex.name,
            ex.value,
            { ...rules, env: [rule] },
            new ContentScanner({ ...rules, content: [] }),
          );
          expect(hits.map((h) => h.ruleId)).toEqual([rule.id]);
        });
      }
      for (const ex of rule.examples.noMatch) {
        it(`does not match ${ex.name}=${ex.value.slice(0, 12)}`, () => {
          expect(detectEnvVar(ex.name, ex.value, rules, scanner)).toEqual([]);
        });
      }
    });
  }
});

describe("placeholders", () => {
  for (const ex of rules.placeholderExamples.match) {
    it(`treats ${ex} as a placeholder`, () => expect(scanner.isPlaceholder(ex)).toBe(true));
  }
  for (const ex of rules.placeholderExamples.noMatch) {
    it(`treats ${ex.slice(0, 8)}… as a real value`, () => expect(scanner.isPlaceholder(ex)).toBe(false));
  }
});
