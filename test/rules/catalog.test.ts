import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ContentScanner } from "../../src/detect/content.js";
import { defaultRules } from "../../src/rules/catalog.js";

// The catalog-level promises of GitHub issue 2 ("Detectors"): coverage, examples on every rule,
// offline validity on every must-match example, and exact-name env rules that never overlap.
const rules = defaultRules();
const scanner = new ContentScanner(rules);

describe("secret rule catalog", () => {
  it("covers at least 60 distinct providers with content rules (the issue's spec)", () => {
    const providers = new Set(rules.content.map((r) => r.provider).filter((p) => p !== "generic"));
    expect(providers.size).toBeGreaterThanOrEqual(60);
  });

  it("gives every content rule at least 2 must-match and 1 must-not-match examples", () => {
    const short = rules.content
      .filter((r) => r.examples.match.length < 2 || r.examples.noMatch.length < 1)
      .map((r) => r.id);
    expect(short).toEqual([]);
  });

  it("gives every env rule at least 2 must-match (or 1 for a single-name rule) and 1 must-not-match examples", () => {
    const short = rules.env
      .filter(
        (r) => r.examples.match.length < Math.min(2, r.names.length || 2) || r.examples.noMatch.length < 1,
      )
      .map((r) => r.id);
    expect(short).toEqual([]);
  });

  it("starts every rule file with a comment saying where the format is documented", () => {
    const bare = [...rules.content, ...rules.env]
      .filter((r) => !readFileSync(r.file, "utf8").startsWith("# "))
      .map((r) => r.id);
    expect(bare).toEqual([]);
  });

  it("gates every assignment-style (generic) rule by randomness or entropy", () => {
    const ungated = rules.content.filter(
      (r) => r.provider === "generic" && !r.generic && r.entropy === undefined,
    );
    expect(ungated.map((r) => r.id)).toEqual([]);
  });

  it("finds a secret that passes the rule's offline validator in every must-match example", () => {
    const invalid: string[] = [];
    for (const rule of rules.content.filter((r) => r.validator)) {
      for (const ex of rule.examples.match) {
        const hits = scanner.scan(ex, { rules: [rule], honourInlineAllows: false });
        if (hits.length !== 1 || hits[0]!.valid !== true) invalid.push(`${rule.id}: ${ex.slice(0, 30)}`);
      }
    }
    expect(invalid).toEqual([]);
  });

  it("lists each exact environment-variable name in at most one env rule", () => {
    const seen = new Map<string, string>();
    const dupes: string[] = [];
    for (const rule of rules.env) {
      for (const name of rule.names) {
        if (seen.has(name)) dupes.push(`${name}: ${seen.get(name)} and ${rule.id}`);
        seen.set(name, rule.id);
      }
    }
    expect(dupes).toEqual([]);
  });

  it("keeps provider keywords specific: at least 2 characters and no plain English words", () => {
    const words = /^(key|pass|auth|api|user|code|data|test|live|http|https)$/;
    const loose = rules.content
      .filter((r) => r.provider !== "generic")
      .flatMap((r) => r.keywords.filter((k) => k.length < 2 || words.test(k)).map((k) => `${r.id}: ${k}`));
    expect(loose).toEqual([]);
  });
});
