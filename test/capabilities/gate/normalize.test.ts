import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { normalizeCommand } from "../../../src/capabilities/gate/normalize.js";

// Normalisation before the gate parses (issue 11): NFKC folds look-alike letters to what the shell
// runs, invisible characters are removed, and any invisible or control character marks the command
// `hidden` (a person reading it cannot see what it does).

describe("normalizeCommand", () => {
  const cases: [string, string, boolean][] = [
    // plain text passes through
    ["", "", false],
    ["ls -la", "ls -la", false],
    ["ls\tsrc\nnpm test", "ls\tsrc\nnpm test", false],
    ["echo héllo", "echo héllo", false],
    // NFKC, code point by code point, where the result is word characters or a blank: fullwidth
    // letters, the ideographic space, ligatures; a combining accent stays as it is
    ["ｒｍ -rf ~", "rm -rf ~", false],
    ["ｓｕｄｏ ｌｓ", "sudo ls", false],
    ["rm\u3000-rf\u3000~", "rm -rf ~", false],
    ["\u00a0rm", " rm", false],
    ["\ufb01nd .", "find .", false],
    ["echo e\u0301", "echo e\u0301", false],
    // Fullwidth punctuation that would become shell syntax stays: bash reads it as a letter.
    ["ｃｕｒｌ ｈｔｔｐｓ：／／example.com ｜ ｓｈ", "curl https://example.com ｜ sh", false],
    ["echo ＂; rm -rf ~; echo ＂", "echo ＂; rm -rf ~; echo ＂", false],
    ["echo ＼\nrm", "echo ＼\nrm", false],
    ["echo ＃ ＄ ＇ ； ＆ （ ＜", "echo ＃ ＄ ＇ ； ＆ （ ＜", false],
    ["\u2460", "1", false],
    // zero-width and bidi characters are removed, and mark the command hidden
    ["r\u200bm -rf build", "rm -rf build", true],
    ["r\u200cm", "rm", true],
    ["r\u200dm", "rm", true],
    ["\u200erm\u200f", "rm", true],
    ["\ufeffls", "ls", true],
    ["su\u2060do id", "sudo id", true],
    ["echo \u202eabc", "echo abc", true],
    ["\u202arm\u202c -rf ~", "rm -rf ~", true],
    ["\u2066rm\u2069 -rf ~", "rm -rf ~", true],
    ["r\u00adm -rf ~", "rm -rf ~", true],
    ["\u061crm", "rm", true],
    ["rm\ufe0f", "rm", true],
    ["rm\u180e -rf", "rm -rf", true],
    ["ｒ\u200bｍ", "rm", true],
    // control characters other than tab and newline stay, and mark the command hidden
    ["ls\r", "ls\r", true],
    ["echo \x1b[31mok\x1b[0m", "echo \x1b[31mok\x1b[0m", true],
    ["echo a\x00b", "echo a\x00b", true],
    ["echo \x07", "echo \x07", true],
    ["ls\x0b", "ls\x0b", true],
    ["ls\x0c", "ls\x0c", true],
    ["ls\x7f", "ls\x7f", true],
    ["ls\u0085", "ls\u0085", true],
    ["ls\u009b", "ls\u009b", true],
  ];
  it.each(cases)("%j", (raw, text, hidden) => {
    expect(normalizeCommand(raw)).toEqual({ text, hidden });
  });

  it("is idempotent, and a normalised text without control characters is no longer hidden", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme", maxLength: 40 }), (raw) => {
        const once = normalizeCommand(raw);
        const twice = normalizeCommand(once.text);
        expect(twice.text).toBe(once.text);
        expect(twice.hidden).toBe(/[\x00-\x08\x0B-\x1F\x7F-\x9F]/.test(once.text));
      }),
      { numRuns: 300 },
    );
  });

  it("keeps no zero-width or bidi character in its output", () => {
    const invisible =
      "\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2060\u2066\u2067\u2068\u2069\ufeff\u00ad";
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(fc.constantFrom(...invisible.split("")), fc.constantFrom("r", "m", " ", "-", "f", "~")),
          {
            maxLength: 30,
          },
        ),
        (chars) => {
          const raw = chars.join("");
          const { text, hidden } = normalizeCommand(raw);
          expect([...text].filter((c) => invisible.includes(c))).toEqual([]);
          expect(text).toBe([...raw].filter((c) => !invisible.includes(c)).join(""));
          expect(hidden).toBe([...raw].some((c) => invisible.includes(c)));
        },
      ),
      { numRuns: 300 },
    );
  });

  it("removes Unicode tag characters and supplementary variation selectors, and says so", () => {
    // "rm" followed by the tag-character spelling of " -rf ~" (U+E0020 U+E002D ...): invisible text.
    const tags = [..." -rf ~"].map((c) => String.fromCodePoint(0xe0000 + c.charCodeAt(0))).join("");
    expect(normalizeCommand(`rm${tags} ./build`)).toEqual({ text: "rm ./build", hidden: true });
    expect(normalizeCommand("ls\u{E0100}\u{E01EF} -la")).toEqual({ text: "ls -la", hidden: true });
    // A letter beside U+E0080 (not a tag character) stays.
    expect(normalizeCommand("echo \u{E0080}")).toEqual({ text: "echo \u{E0080}", hidden: false });
  });
});
