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

  it("matches exactly where one of any globs does (deep, anchored and ** ones mixed)", () => {
    const chars = ["a", "b", ".", "*", "**", "?", "/", "|", "(", "[", "$", "^"];
    const glob = fc.array(fc.constantFrom(...chars), { minLength: 1, maxLength: 6 }).map((cs) => cs.join(""));
    const path = fc
      .array(fc.constantFrom("a", "b", ".a", "ab", "a.b", "|", "(", "$", "^", "b$"), {
        minLength: 1,
        maxLength: 4,
      })
      .map((segs) => segs.join("/"));
    fc.assert(
      fc.property(
        fc.array(glob, { minLength: 1, maxLength: 5 }),
        fc.array(path, { minLength: 1, maxLength: 8 }),
        (gs, ps) => {
          const rs = gs.map(globToRegExp);
          const one = anyOf(rs)!;
          for (const p of ps) expect(one.test(p)).toBe(rs.some((re) => re.test(p)));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it("globToRegExp's literal forms of `*LIT` and `LIT*` match exactly as the general form does", () => {
    // The general translation, for one segment: `*` is `[^/]*`, the pattern sits between a
    // segment start and a segment end.
    const general = (g: string) =>
      new RegExp(`(^|/)${g.replace(/[.+^${}()|[\]\\]/g, "\\$&").replaceAll("*", "[^/]*")}(/|$)`);
    const lit = fc
      .array(fc.constantFrom("a", "b", ".", "(", "$", "|", "+"), { minLength: 1, maxLength: 4 })
      .map((c) => c.join(""));
    const path = fc
      .array(fc.constantFrom("a", "b", ".a", "ab", "a.b", "ba.", "(", "$", "a$", "|b", "+"), {
        minLength: 1,
        maxLength: 4,
      })
      .map((segs) => segs.join("/"));
    fc.assert(
      fc.property(lit, fc.boolean(), fc.array(path, { minLength: 1, maxLength: 8 }), (l, star, ps) => {
        const g = star ? `*${l}` : `${l}*`;
        const fast = globToRegExp(g);
        const ref = general(g);
        for (const p of ps) expect([g, p, fast.test(p)]).toEqual([g, p, ref.test(p)]);
      }),
      { numRuns: 3000 },
    );
    expect(globToRegExp("*.pem").source).toBe("\\.pem(\\/|$)");
    expect(globToRegExp(".env.*").source).toBe("(^|\\/)\\.env\\.");
  });

  it("is undefined for no globs", () => {
    expect(anyOf([])).toBeUndefined();
  });
});
