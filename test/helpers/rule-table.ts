import { expect, it } from "vitest";
import type { ContentScanner } from "../../src/detect/content.js";
import type { RuleSet } from "../../src/rules/catalog.js";
import { dedupe } from "../../src/sources/files.js";

// The table-driven shape of the detection tests (issue 15): a line scanned with the whole catalog and
// deduplicated as a scanned file's detections are, its exact [rule id, secret] list asserted; the
// lines that must give nothing; and 1 MB floods of each rule's near misses.

export type Row = [line: string, expected: [ruleId: string, secret: string][]];

/** [rule id, secret] of each detection in `line`, deduplicated per secret (a provider rule outranks a generic one). */
export function foundBy(scanner: ContentScanner): (line: string) => string[][] {
  return (line) => dedupe(scanner.scan(line, { honourInlineAllows: false })).map((d) => [d.ruleId, d.secret]);
}

/** One test per row (its exact list) and per must-not-match line (nothing); call inside a describe. */
export function lineTable(found: (line: string) => string[][], match: Row[], noMatch: string[]): void {
  for (const [line, expected] of match) {
    it(`finds ${JSON.stringify(line).slice(0, 90)}`, () => {
      expect(found(line)).toEqual(expected);
    });
  }
  for (const line of noMatch) {
    it(`reports nothing for ${JSON.stringify(line).slice(0, 90)}`, () => {
      expect(found(line)).toEqual([]);
    });
  }
}

export const MB = 1 << 20;

/** `unit` repeated to exactly `bytes` characters. */
export function flood(unit: string, bytes = MB): string {
  return unit.repeat(Math.ceil(bytes / unit.length)).slice(0, bytes);
}

/** The content rule `id` of a rule set (a typo in a test fails loudly). */
export function ruleOf(rules: RuleSet, id: string) {
  const r = rules.content.find((c) => c.id === id);
  if (!r) throw new Error(`no rule ${id}`);
  return r;
}

/**
 * One test per [rule id, unit]: 1 MB of the unit reaches the rule through the keyword prefilter and
 * gives nothing (issue 8: each keyword start reads a bounded window). `nameChars`: how much of the
 * unit the test's name shows.
 */
export function floodTable(
  scanner: ContentScanner,
  rules: RuleSet,
  floods: [id: string, unit: string][],
  nameChars: number,
): void {
  for (const [id, unit] of floods) {
    it(`${id}: ${JSON.stringify(unit.slice(0, nameChars))} repeated finds nothing`, () => {
      const text = flood(unit);
      expect(scanner.candidates(text)).toContain(ruleOf(rules, id));
      expect(scanner.scan(text, { rules: [ruleOf(rules, id)], honourInlineAllows: false })).toEqual([]);
    });
  }
}

/** The best of `runs` wall times (ms) of one whole-catalog scan of `text`: the floods' timing probe. */
export function bestScanMs(scanner: ContentScanner, text: string, runs = 3): number {
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    scanner.scan(text, { honourInlineAllows: false });
    best = Math.min(best, performance.now() - t0);
  }
  return best;
}
