import { describe, expect, it } from "vitest";
import { compileNumbered, withoutNames } from "../../src/detect/content.js";
import { defaultRules } from "../../src/rules/catalog.js";

// Issue 8 (speed of a flood): the scan runs each content rule's regexes with numbered groups only
// (a named group builds a `groups` dictionary per match). Renumbering must not change a match.

describe("withoutNames", () => {
  it("numbers groups in the order of their opening parentheses and rewrites backreferences", () => {
    expect(withoutNames("(a)(?<x>b)(?:c)(?=d)(?<!e)(?<y>f\\k<x>)")).toEqual({
      source: "(a)(b)(?:c)(?=d)(?<!e)(f(?:\\2))",
      groups: new Map([
        ["x", 2],
        ["y", 3],
      ]),
    });
  });

  it("ignores parentheses that are escaped or inside a class, and leaves a source without names alone", () => {
    expect(withoutNames("\\((?<s>[(a-z)]+)\\)")).toEqual({
      source: "\\(([(a-z)]+)\\)",
      groups: new Map([["s", 1]]),
    });
    expect(withoutNames("(a|b)c")).toEqual({ source: "(a|b)c", groups: new Map() });
  });

  it("gives up (undefined) on what it does not renumber: an unknown name, an unclosed name", () => {
    expect(withoutNames("(?<x>a)\\k<y>")).toBeUndefined();
    expect(withoutNames("(?<x")).toBeUndefined();
  });
});

describe("every packaged content rule, renumbered, finds the same secrets in its examples", () => {
  const rules = defaultRules().content;
  it("covers the rules with named groups", () => {
    const renamed = rules.filter(
      (r) => typeof r.secretGroup === "string" && typeof compileNumbered(r).group === "number",
    );
    expect(renamed.length).toBe(rules.filter((r) => typeof r.secretGroup === "string").length);
    expect(renamed.length).toBeGreaterThan(0);
  });

  for (const rule of rules) {
    it(rule.id, () => {
      const n = compileNumbered(rule);
      const secretsOf = (re: RegExp, group: number | string, text: string) =>
        [...text.matchAll(new RegExp(re.source, re.flags.replace("y", "g")))].map((m) =>
          typeof group === "string" ? m.groups?.[group] : m[group],
        );
      for (const text of [...rule.examples.match, ...rule.examples.noMatch]) {
        expect(secretsOf(n.regex, n.group, text)).toEqual(secretsOf(rule.regex, rule.secretGroup, text));
        if (rule.anchored) {
          expect(secretsOf(n.anchored!, n.group, text)).toEqual(
            secretsOf(rule.anchored, rule.secretGroup, text),
          );
        }
      }
    });
  }
});
