import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ContentScanner } from "../../src/detect/content.js";
import { defaultRules } from "../../src/rules/catalog.js";

// Issue 8 (speed): a rule with `near: N` is tried only in the N + 1 positions before each keyword
// occurrence. That must find exactly what the global regex over the whole text finds.

const rules = defaultRules();
const near = rules.content.filter((r) => r.near !== undefined);

function both(ruleId: string) {
  const rule = near.find((r) => r.id === ruleId)!;
  const global = { ...rule, near: undefined };
  const set = (r: typeof rule) => ({ ...rules, content: [r] });
  return {
    near: (text: string) => new ContentScanner(set(rule)).scan(text).map((d) => `${d.secret}@${d.line}`),
    // Without the prefilter's record (a caller that names the rules): the keyword search of its own.
    nearUnrecorded: (text: string) =>
      new ContentScanner(set(rule)).scan(text, { rules: [rule] }).map((d) => `${d.secret}@${d.line}`),
    global: (text: string) => new ContentScanner(set(global)).scan(text).map((d) => `${d.secret}@${d.line}`),
  };
}

describe("rules with `near`", () => {
  it("are the ones that declare it", () => {
    expect(near.map((r) => [r.id, r.near!.within]).sort()).toEqual([
      ["cmdline-http-auth-header", 1],
      ["ibm-cloud-api-key", 64],
      ["newrelic-license-key", 36],
      ["nuget-config-password", 40],
      ["okta-api-token", 64],
      ["sidekiq-gem-server-url", 48],
    ]);
  });

  for (const rule of near) {
    it(`${rule.id}: finds what the global regex finds, on its examples and on noise around them`, () => {
      const { near: n, nearUnrecorded: u, global: g } = both(rule.id);
      const pieces = [
        ...rule.examples.match,
        ...rule.examples.noMatch,
        ...rule.keywords,
        ...rule.keywords.map((k) => k.toUpperCase()),
        "_API_KEY=",
        "_TOKEN: ",
        "SSWS ",
        "00",
        "NRAL",
        "İ",
        "a".repeat(70),
        "0123456789abcdef".repeat(3),
      ];
      const noise = fc.string({ unit: fc.constantFrom(..."aZ09_-.=: \"'\n"), maxLength: 40 });
      // Padded so that the keywords stay sparse enough for the windowed search (at most 30 pieces,
      // each with a keyword or two: 60 x 65 positions <= 32,000 / 8), split at a random place.
      const pad = " \n".repeat(16_000);
      const text = fc
        .tuple(fc.array(fc.oneof(fc.constantFrom(...pieces), noise), { maxLength: 30 }), fc.nat(30))
        .map(([parts, cut]) => [...parts.slice(0, cut), pad, ...parts.slice(cut)].join(""));
      for (const ex of rule.examples.match) expect(n(ex)).toEqual(g(ex));
      expect(rule.examples.match.some((ex) => g(ex).length > 0)).toBe(true);
      fc.assert(
        fc.property(text, (t) => {
          const expected = g(t);
          expect(n(t)).toEqual(expected);
          expect(u(t)).toEqual(expected);
        }),
        { numRuns: 500 },
      );
    });
  }
});
