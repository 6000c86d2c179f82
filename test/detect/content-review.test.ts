import { describe, expect, it } from "vitest";
import { ContentScanner } from "../../src/detect/content.js";
import { defaultRules } from "../../src/rules/catalog.js";

// Review: ContentScanner.scan with `rules` and no `positions` (embeddedSecrets' calls) finds an
// anchored rule's keyword starts in `text.toLowerCase()` (keywordStarts), whose offsets move after
// an "İ" (U+0130 lower-cases to two code units); sparseStarts checks for that, keywordStarts does
// not. The sticky regex is then tried one character too far and the match is missed.

describe("anchored rules named by the caller, after an İ (review)", () => {
  it("find what the scan without named rules finds", () => {
    const rules = defaultRules();
    const scanner = new ContentScanner(rules);
    const generic = rules.content.find((r) => r.id === "generic-password-assignment")!;
    const text = "İ password = Xk9pLm2QrT7vWz4";
    const all = scanner.scan(text).map((d) => `${d.ruleId}:${d.line}`);
    expect(all).toEqual(["generic-password-assignment:1"]);
    expect(scanner.scan(text, { rules: [generic] }).map((d) => `${d.ruleId}:${d.line}`)).toEqual(all);
  });
});
