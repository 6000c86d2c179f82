import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CAPPED_STARTS, KeywordMatcher, type KeywordPositions } from "../../src/detect/keywords.js";

// find() reads an input of 256 or more characters as two interleaved halves (keywords.ts). These
// tests hold it to a plain reference (every start of every keyword, by indexOf over the folded
// text) on inputs of both sizes, as a Buffer and as a string, with keywords across the middle.

function fold(code: number): number {
  if (code >= 0x41 && code <= 0x5a) return code + 0x20;
  if (code >= 0xc0 && code <= 0xde && code !== 0xd7) return code + 0x20;
  return code;
}
const foldText = (s: string) =>
  Array.from(s, (c) => {
    const code = c.charCodeAt(0);
    return String.fromCharCode(code > 0xff ? 0x100 : fold(code));
  }).join("");

function reference(keywords: readonly string[], text: string, wanted: Uint8Array) {
  const folded = foldText(text);
  const first = new Map<number, number>();
  const starts = new Map<number, number[]>();
  keywords.forEach((k, i) => {
    // Never matched: a keyword with a character past latin1, or with a NUL (keywords.ts).
    if (k.length === 0 || [...k].some((c) => c.charCodeAt(0) > 0xff || c === "\0")) return;
    const fk = foldText(k);
    const all: number[] = [];
    for (let p = folded.indexOf(fk); p !== -1; p = folded.indexOf(fk, p + 1)) all.push(p);
    if (all.length === 0) return;
    first.set(i, all[0]!);
    if (wanted[i] === 1) starts.set(i, all);
    else if (wanted[i] === 2)
      starts.set(i, all.length > CAPPED_STARTS ? [...all.slice(0, CAPPED_STARTS), -1] : all);
  });
  const order = [...first.keys()].sort(
    (a, b) => first.get(a)! - first.get(b)! || keywords[b]!.length - keywords[a]!.length,
  );
  return { order, starts };
}

function run(m: KeywordMatcher, input: string | Uint8Array, wanted: Uint8Array) {
  const track: KeywordPositions = { wanted, starts: new Map() };
  const order = m.find(input, track);
  return { order, starts: new Map([...track.starts].sort((a, b) => a[0] - b[0])) };
}

const sorted = (m: Map<number, number[]>) => new Map([...m].sort((a, b) => a[0] - b[0]));

describe("KeywordMatcher: the two-halves read equals one pass", () => {
  it("finds a keyword that crosses the middle once, and its start, at every offset around it", () => {
    const m = new KeywordMatcher(["password", "pass", "word"]);
    const wanted = Uint8Array.from([1, 1, 1]);
    // The text is 608 characters: its middle (304) falls inside "password" for at in 297..303.
    for (let at = 280; at < 320; at++) {
      const text = `${"x".repeat(at)}password${"y".repeat(600 - at)}`;
      const got = run(m, Buffer.from(text, "latin1"), wanted);
      expect(got.order).toEqual([0, 1, 2]);
      expect(got.starts).toEqual(
        new Map([
          [0, [at]],
          [1, [at]],
          [2, [at + 4]],
        ]),
      );
      expect(run(m, text, wanted)).toEqual(got);
    }
  });

  it("caps a frequent keyword's starts at CAPPED_STARTS with a -1, across both halves", () => {
    const m = new KeywordMatcher(["ab", "cd"]);
    const wanted = Uint8Array.from([2, 1]);
    for (const n of [CAPPED_STARTS - 1, CAPPED_STARTS, CAPPED_STARTS + 1, 3 * CAPPED_STARTS]) {
      const text = `cd${"ab".repeat(n)}cd`;
      const want = reference(["ab", "cd"], text, wanted);
      expect(run(m, Buffer.from(text, "latin1"), wanted)).toEqual({
        order: want.order,
        starts: sorted(want.starts),
      });
      expect(run(m, text, wanted).starts.get(0)!.at(-1) === -1).toBe(n > CAPPED_STARTS);
    }
  });

  it("matches the reference on random keyword sets and inputs (Buffer and string)", () => {
    const alphabet = ["a", "b", "A", "B", "_", "-", "\u00e9", "\u00c9", "\u00a0", "\u0100", ":", "\0"];
    const char = fc.constantFrom(...alphabet);
    const word = fc.array(char, { minLength: 1, maxLength: 5 }).map((cs) => cs.join(""));
    fc.assert(
      fc.property(
        fc.uniqueArray(word, { minLength: 1, maxLength: 8, selector: foldText }),
        fc.array(char, { minLength: 0, maxLength: 900, size: "max" }).map((cs) => cs.join("")),
        fc.array(fc.constantFrom(0, 1, 2), { minLength: 8, maxLength: 8 }),
        (keywords, text, w) => {
          const m = new KeywordMatcher(keywords);
          const wanted = Uint8Array.from(w.slice(0, keywords.length));
          const want = reference(keywords, text, wanted);
          const expected = { order: want.order, starts: sorted(want.starts) };
          expect(run(m, text, wanted)).toEqual(expected);
          // The same text with its characters past latin1 made latin1, as a Buffer and as a string.
          const bytes = text.replaceAll("\u0100", "~");
          const wantBytes = reference(keywords, bytes, wanted);
          const expectedBytes = { order: wantBytes.order, starts: sorted(wantBytes.starts) };
          expect(run(m, Buffer.from(bytes, "latin1"), wanted)).toEqual(expectedBytes);
          expect(run(m, bytes, wanted)).toEqual(expectedBytes);
          // The matcher's scratch state is clean for the next input.
          expect(run(m, text, wanted)).toEqual(expected);
        },
      ),
      { numRuns: 400 },
    );
  });
});
