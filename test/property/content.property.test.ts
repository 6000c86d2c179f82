import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ContentScanner } from "../../src/detect/content.js";
import { defaultRules } from "../../src/rules/catalog.js";
import type { Detection } from "../../src/rules/types.js";
import { charsOf, countWork, ghToken, hostileText, leaks, linearBound, plant, token } from "./support.js";

// Issue 8, "Then, by construction": the content scanner over the packaged rules (loaded as
// test/detectors/rules.test.ts loads them) takes any text the agent wrote. It never throws, it
// finds a planted token and prints nothing of it outside `secret`, and its work and its output grow
// linearly with the input.

const rules = defaultRules();
const scanner = new ContentScanner(rules);

/** The strings of a detection meant for output: everything but `secret` (the raw value, by design). */
function printable(d: Detection): string[] {
  return [d.ruleId, d.provider, d.type, d.severity, d.title, d.remediation, d.name ?? "", d.viaRuleId ?? ""];
}

describe("content scanner: arbitrary text (issue 8)", () => {
  it("never throws, with or without inline allows, whole or in a window", () => {
    fc.assert(
      fc.property(hostileText, fc.nat(), fc.nat(), (text, a, b) => {
        const whole = scanner.scan(text);
        scanner.scan(text, { honourInlineAllows: false });
        const start = a % (text.length + 1);
        const end = start + (b % (text.length + 1 - start));
        // A window keeps the matches that start in it: a subset of the whole scan's.
        const inWindow = scanner.scan(text, { window: { start, end } });
        expect(inWindow.length).toBeLessThanOrEqual(whole.length);
        for (const d of whole) {
          expect(d.secret.length).toBeGreaterThan(0);
          expect(Number.isInteger(d.line) && d.line! >= 1).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe("content scanner: a planted token (issue 8)", () => {
  // Separators that end a token for every rule's boundary (`\b`, `(?![A-Za-z0-9_-])`).
  const boundary = fc.constantFrom(" ", "\n", "\t", '"', "'", "=", ":", ",", "(", ")", "<", ">");
  it("is found exactly once and shown only as `secret`", () => {
    fc.assert(
      fc.property(hostileText, token, fc.nat(), boundary, boundary, (text, t, at, before, after) => {
        const hits = scanner.scan(plant(text, t, at, before, after), { honourInlineAllows: false });
        const provider = hits.filter((d) => d.secret === t && d.priority === 3);
        expect(provider).toHaveLength(1);
        for (const d of hits) for (const s of printable(d)) expect(leaks(s, t)).toBe(false);
      }),
      { numRuns: 300 },
    );
  });

  it("is found exactly once per line when planted on every line", () => {
    fc.assert(
      fc.property(
        ghToken,
        fc.integer({ min: 1, max: 50 }),
        fc.constantFrom("", "x = ", "# ", "\t"),
        (t, lines, pre) => {
          const text = Array.from({ length: lines }, () => `${pre}${t}`).join("\n");
          const hits = scanner.scan(text).filter((d) => d.ruleId === "github-pat-classic");
          expect(hits.map((d) => d.line)).toEqual(Array.from({ length: lines }, (_, i) => i + 1));
        },
      ),
      { numRuns: 100 },
    );
  });
});

// Adversarial units: every rule's keywords (the prefilter's triggers), near-misses built from the
// rules' own examples cut short, the floods of issue 8, random token characters and separators.
const keywords = [...new Set(rules.content.flatMap((r) => r.keywords))];
const nearMisses = rules.content.flatMap((r) =>
  r.examples.match.map((m) => m.slice(0, Math.max(4, m.length - 3))),
);
const piece = fc.oneof(
  fc.constantFrom(...keywords),
  fc.constantFrom(...nearMisses),
  fc.constantFrom(
    "-ghs_1_eyJaaaaaaaa.bbbbbbbb.",
    "asana_token: 1/",
    "-eyJ",
    "-ops_eyJ",
    "token ",
    '"token":"',
    "gitleaks:allow",
  ),
  charsOf("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", 12),
  fc.constantFrom(" ", "\n", "=", ":", '"', "_", "-", ".", "/", "+"),
);
const unit = fc.array(piece, { minLength: 1, maxLength: 5 }).map((p) => p.join(""));
/** The shortest secret any rule reports is longer than this: detections <= input length / it. */
const MIN_SECRET = 4;

describe("content scanner: linear work and output (issue 8)", () => {
  it("n, 2n, 3n, 4n repetitions of one unit: detections grow by the same step, work at most 4 times", () => {
    fc.assert(
      // n a multiple of 60: a match that spans up to 6 units repeats with a period that divides n.
      fc.property(unit, fc.integer({ min: 2, max: 4 }), (u, m) => {
        const n = 60 * m;
        const scan = (k: number) => countWork(() => scanner.scan(u.repeat(k), { honourInlineAllows: false }));
        const [c1, c2, c3, c4] = [1, 2, 3, 4].map((k) => scan(k * n));
        // Exactly affine in the size: every repetition adds the same detections.
        expect(c3!.result.length - c2!.result.length).toBe(c2!.result.length - c1!.result.length);
        expect(c4!.result.length - c3!.result.length).toBe(c2!.result.length - c1!.result.length);
        expect(c4!.result.length).toBeLessThanOrEqual((4 * n * u.length) / MIN_SECRET);
        expect(c4!.work, `work ${c1!.work} -> ${c4!.work}`).toBeLessThanOrEqual(linearBound(c1!.work, n));
      }),
      { numRuns: 30 },
    );
  });
});
