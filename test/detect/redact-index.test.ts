import { describe, expect, it } from "vitest";
import { preview } from "../../src/contract/finding.js";
import { Redactor } from "../../src/detect/redact.js";

// Issue 8: the redactor indexes its values in one batch when a scrub first needs them (not per add),
// in typed-array chains by a hash of each form's first 8 characters. Checked against a plain
// reference: at each position from left to right, the longest known value starting there (of
// equally long ones, the first added) becomes its preview. Values use characters no output format
// escapes, so each is its only printed form.

function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s;
  };
}

function reference(text: string, values: string[]): string {
  const known = values.filter((v) => v.length >= 8);
  let out = "";
  let i = 0;
  while (i < text.length) {
    let best: string | undefined;
    for (const v of known)
      if (text.startsWith(v, i) && (best === undefined || v.length > best.length)) best = v;
    if (best === undefined) {
      out += text[i];
      i++;
    } else {
      out += preview(best);
      i += best.length;
    }
  }
  return out;
}

describe("Redactor.scrub against a reference, values added in batches between scrubs", () => {
  it("matches on 300 random cases (shared heads, values inside values, tables grown mid-run)", () => {
    const next = rng(42);
    // A small alphabet and shared 8-character heads, so chains hold several forms and values overlap.
    const alphabet = "abAB01-.";
    const word = (n: number) => Array.from({ length: n }, () => alphabet[next() % alphabet.length]).join("");
    for (let c = 0; c < 300; c++) {
      const r = new Redactor();
      const added: string[] = [];
      const heads = [word(8), word(8), word(8)];
      const batches = 1 + (next() % 4);
      for (let b = 0; b < batches; b++) {
        // Up to 700 values per batch: the tables (1,024 forms) grow in some runs, not in others.
        const n = next() % 3 === 0 ? 600 + (next() % 100) : 1 + (next() % 12);
        for (let k = 0; k < n; k++) {
          const v = next() % 2 ? heads[next() % 3]! + word(next() % 6) : word(4 + (next() % 12));
          r.add(v);
          if (!added.includes(v)) added.push(v);
        }
        let text = "";
        for (let k = 0; k < 20; k++)
          text += next() % 3 === 0 ? added[next() % added.length]! + word(next() % 3) : word(next() % 10);
        expect(r.scrub(text)).toBe(reference(text, added));
      }
      expect(r.size).toBe(added.filter((v) => v.length >= 8).length);
    }
  });
});
