import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { defaultRules } from "../../src/rules/catalog.js";
import { anyOf, globToRegExp } from "../../src/sources/glob.js";

// The tree walk tests each path against every tree path rule's globs at once (anyOf) before it
// looks for the rule (issue 15): the combined regex must match exactly where one of them does.
describe("anyOf", () => {
  const globs = defaultRules()
    .paths.filter((r) => r.scope === "tree")
    .flatMap((r) => r.paths);
  const res = globs.map(globToRegExp);
  const any = anyOf(res)!;

  it("matches a path exactly when one of the tree rules' globs does", () => {
    const parts = [
      ".env",
      "x.env",
      ".env.local",
      "env",
      "kubeconfig",
      "c.kubeconfig",
      "kubeconfig.yaml",
      ".mcp.json",
      "mcp.json",
      ".vscode",
      ".cursor",
      ".claude",
      ".gemini",
      "settings.json",
      "settings.local.json",
      ".npmrc",
      "k.p12",
      "k.PFX",
      "k.pfx",
      "a",
      "src",
    ];
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...parts), { minLength: 1, maxLength: 4 }), (segments) => {
        const path = segments.join("/");
        expect(any.test(path)).toBe(res.some((re) => re.test(path)));
      }),
      { numRuns: 2000 },
    );
    expect(any.test(".vscode/mcp.json")).toBe(true);
    expect(any.test("a/.vscode/mcp.json")).toBe(false);
    expect(any.test("src/app.ts")).toBe(false);
  });

  it("is undefined for no globs", () => {
    expect(anyOf([])).toBeUndefined();
  });
});
