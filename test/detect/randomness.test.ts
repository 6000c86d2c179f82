import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { looksRandom, shannonEntropy } from "../../src/detect/randomness.js";

// Issue 8 made the per-secret gates faster (a flood of candidate secrets on one line): one pass for
// the character classes, the shape regexes skipped when none can match, entropy counted in a table.
// These properties pin the new code to the straightforward definitions it replaced.

function entropyReference(s: string): number {
  const counts = new Map<string, number>();
  let n = 0;
  for (const ch of s) {
    counts.set(ch, (counts.get(ch) ?? 0) + 1);
    n++;
  }
  let h = 0;
  for (const c of counts.values()) h -= (c / n) * Math.log2(c / n);
  return h;
}

const SHAPES: RegExp[] = [
  /^(true|false|yes|no|on|off|null|none|nil|undefined|enabled|disabled)$/i,
  /^\d+(\.\d+)*$/,
  /^v?\d+\.\d+\.\d+([-+][\w.]+)?$/,
  /^[a-z]+([_.-][a-z]+)*$/i,
  /^([a-z0-9]+(-[a-z0-9]+)*\.)+[a-z]{2,}(:\d{1,5})?$/i,
  /^(~|\.{1,2})?\/?([\w.-]+\/)+[\w.-]*$/,
  /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i,
  /^https?:\/\/[^@\s]*$/i,
  /^[a-z]{2}(_[A-Z]{2})?(\.UTF-8)?$/,
  /^#?[0-9a-f]{3}$|^#[0-9a-f]{6}$/i,
  // Issue 15: references (an ARN, a Vault path with its key) are not secrets.
  /^arn:aws[a-z-]*:[a-z0-9-]+:[a-z0-9-]*:\d{0,12}:\S+$/,
  /^(vault:)?\/?[\w.-]+(\/[\w.-]+)+(#\/?[a-z_]+([.-][a-z_]+)*)?$|^vault:\/?[\w.-]+(#\/?[a-z_]+)?$/i,
];
function looksRandomReference(value: string, minLength = 8): boolean {
  if (value.length < minLength) return false;
  if (/\s/.test(value)) return false;
  for (const re of SHAPES) if (re.test(value)) return false;
  let classes = 0;
  if (/[a-z]/.test(value)) classes++;
  if (/[A-Z]/.test(value)) classes++;
  if (/\d/.test(value)) classes++;
  if (/[^A-Za-z0-9]/.test(value)) classes++;
  const h = entropyReference(value);
  if (classes >= 3) return h >= 3.0;
  const lettersAndSymbolsOnly = !/\d/.test(value) && !(/[a-z]/.test(value) && /[A-Z]/.test(value));
  if (classes === 2 && lettersAndSymbolsOnly) return value.length >= 20 && h >= 3.8;
  if (classes === 2) return h >= (value.length >= 20 ? 3.2 : 3.0);
  return value.length >= 24 && h >= 3.5;
}

// Strings from the alphabets the shapes care about, so that the shaped cases come up often.
const alphabet = fc.constantFrom(..."abcdefxyzABCDEFXYZ0123456789.-/:_#~@ v\u00e9\u4e00");
const value = fc.oneof(
  fc.string({ unit: alphabet, maxLength: 40 }),
  fc.string({ maxLength: 40 }),
  fc.constantFrom(
    "1.2.3",
    "v1.2.3-rc.1",
    "db01.prod.internal",
    "./key.pem",
    "en_US.UTF-8",
    "#a1b",
    "#a1b2c3",
  ),
);

describe("randomness gates", () => {
  it("looksRandom gives the reference answer for any string and minimum length", () => {
    fc.assert(
      fc.property(value, fc.integer({ min: 1, max: 24 }), (v, min) => {
        expect(looksRandom(v, min)).toBe(looksRandomReference(v, min));
      }),
      { numRuns: 5000 },
    );
    // A Vault path with its key, which the reference once lacked (a counterexample fast-check found).
    expect(looksRandom("acd/-8#C", 1)).toBe(false);
    expect(looksRandomReference("acd/-8#C", 1)).toBe(false);
  });

  it("shannonEntropy gives the reference value (by code point) for any string", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: alphabet }), fc.string({ unit: "grapheme" })), (s) => {
        expect(shannonEntropy(s)).toBeCloseTo(entropyReference(s), 9);
      }),
      { numRuns: 3000 },
    );
    expect(shannonEntropy("")).toBe(0);
    expect(shannonEntropy("aaaa")).toBe(0);
    expect(shannonEntropy("abcd")).toBe(2);
  });
});
