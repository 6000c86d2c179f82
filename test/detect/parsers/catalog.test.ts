import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { PARSERS } from "../../../src/detect/parsers/index.js";
import { defaultRules } from "../../../src/rules/catalog.js";

// The home-directory catalog (rules/paths/): every entry names a parser that exists, cites the
// document that defines its path, and says what to do instead.
const paths = defaultRules().paths;

describe("rules/paths catalog", () => {
  it("has at least 40 entries", () => {
    expect(paths.length).toBeGreaterThanOrEqual(40);
  });
  for (const rule of paths) {
    describe(rule.id, () => {
      it("names a registered parser (or text)", () => {
        expect(rule.parser === "text" || PARSERS[rule.parser] !== undefined).toBe(true);
      });
      it("starts with a comment citing its documentation", () => {
        expect(readFileSync(rule.file, "utf8")).toMatch(/^# .*https:\/\//);
      });
      it("has globs relative to home and a one-line remediation", () => {
        for (const p of rule.paths) expect(p.startsWith("/") || p.startsWith("~")).toBe(false);
        expect(rule.remediation).not.toContain("\n");
      });
    });
  }
});
