import { describe, expect, it } from "vitest";
import { ContentScanner } from "../../src/detect/content.js";
import { defaultRules } from "../../src/rules/catalog.js";

// Review of the round-two rules (issue 15): the command-line rules read a command continued with a
// trailing backslash. Spelled `\\\r?\n?` next to a character class that takes `\r`, a backslash and a
// carriage return matched two ways, and a run of k such pairs 2^k ways, all tried when the match
// failed (~90 bytes took ~47 s). `\\(?:\r?\n)?` matches one way. recheck (rules.test.ts) did not
// flag it, so the spelling itself is checked here, and every rule meets a run of 40 pairs after its
// keyword (2^40 steps if it came back: the test would not end).
const rules = defaultRules();
const scanner = new ContentScanner(rules);

describe("line continuations in content rules", () => {
  it("no rule spells a continuation as an optional CR then an optional LF after a backslash", () => {
    expect(rules.content.filter((r) => r.regex.source.includes("\\\\\\r?\\n?")).map((r) => r.id)).toEqual([]);
  });
  it("no rule's keyword followed by 40 backslash-CR pairs finds anything", () => {
    const hits: string[] = [];
    for (const rule of rules.content) {
      for (const k of rule.keywords) {
        const text = `${k} ${"\\\r".repeat(40)}x`;
        for (const d of scanner.scan(text, { rules: [rule], honourInlineAllows: false }))
          hits.push(`${rule.id}: ${d.secret}`);
      }
    }
    expect(hits).toEqual([]);
  });
});
