import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { byteShadow, ContentScanner, useByteShadow } from "../../src/detect/content.js";
import { defaultRules } from "../../src/rules/catalog.js";

// Issue 15: in the byte view of a file with a 0xA0 byte, most rules run their own regexes over a
// shadow of the text (content.ts byteShadow) instead of regexes rewritten with a look-around per
// character (latin1Whitespace). The shadow must find what the rewritten regexes find: the same
// rules, values (read from the text itself) and lines.

const rules = defaultRules();
const scanner = new ContentScanner(rules);
const latin1 = (bytes: number[]) => Buffer.from(bytes).toString("latin1");
const V = "Zq8K7vW2mX9pL4";

afterEach(() => useByteShadow(true));

const scan = (text: string, shadow: boolean) => {
  useByteShadow(shadow);
  try {
    return scanner
      .scan(text)
      .map((d) => `${d.ruleId} ${d.line} ${Buffer.from(d.secret, "latin1").toString("hex")}`);
  } finally {
    useByteShadow(true);
  }
};

describe("the byte view's shadow", () => {
  it("changes a 0xA0 inside a character to 0x80 and the C2 of a no-break space to 0xA0, nothing else", () => {
    const cases: [number[], number[]][] = [
      [
        [0x61, 0xc3, 0xa0, 0x62],
        [0x61, 0xc3, 0x80, 0x62],
      ], // à
      [
        [0xd0, 0xa0],
        [0xd0, 0x80],
      ], // Р
      [
        [0xe4, 0xb8, 0xa0],
        [0xe4, 0xb8, 0x80],
      ], // 丠
      [
        [0xe2, 0xa0, 0x81],
        [0xe2, 0x80, 0x81],
      ], // Braille: part of its character
      [
        [0x61, 0xc2, 0xa0, 0x62],
        [0x61, 0xa0, 0xa0, 0x62],
      ], // UTF-8 no-break space
      [
        [0x61, 0xa0, 0x62],
        [0x61, 0xa0, 0x62],
      ], // a latin1 file's no-break space
      [
        [0xa0, 0x61],
        [0xa0, 0x61],
      ], // at the start
      [
        [0xc3, 0xa0, 0xa0],
        [0xc3, 0x80, 0xa0],
      ], // a 0xA0 after a 0xA0 reads as a space
    ];
    for (const [from, to] of cases)
      expect(Buffer.from(byteShadow(latin1(from)), "latin1")).toEqual(Buffer.from(to));
    const plain = `password = ${V}\u00a0x`;
    expect(byteShadow(plain)).toBe(plain);
  });

  it("finds what the rewritten regexes find, values read from the text (random byte views)", () => {
    const pieces = [
      "password = ",
      "token: ",
      "secret=",
      "api_key: '",
      V,
      `${V.slice(0, 6)}`,
      "\n",
      " ",
      '"',
      "'",
      latin1([0xc3, 0xa0]), // à
      latin1([0xc3, 0xa9]), // é
      latin1([0xd0, 0xa0]), // Р
      latin1([0xe4, 0xb8, 0xa0]), // 丠
      latin1([0xc2, 0xa0]), // no-break space
      latin1([0xa0]), // a latin1 no-break space
      latin1([0xc2]),
      latin1([0x80]),
      latin1([0xa0, 0xa0]),
      ...rules.content.flatMap((r) => r.examples.match.slice(0, 1)),
    ];
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...pieces), { maxLength: 20 }), (parts) => {
        const text = parts.join("");
        expect(scan(text, true)).toEqual(scan(text, false));
      }),
      { numRuns: 600 },
    );
  });

  it("reports a value that holds a changed byte with the text's bytes, at its line", () => {
    const a = latin1([0xc3, 0xa0]);
    const text = `x\ny\npassword = ${V.slice(0, 4)}${a}${V.slice(4)}${latin1([0xc2, 0xa0])}# note\n`;
    const found = scanner.scan(text);
    expect(found.map((d) => [d.ruleId, d.line, d.secret])).toEqual([
      ["generic-password-assignment", 3, `${V.slice(0, 4)}${a}${V.slice(4)}`],
    ]);
  });

  it("keeps a Braille character (E2 A0 xx) inside a value: its 0xA0 is part of it", () => {
    const braille = latin1([0xe2, 0xa0, 0x81]);
    const secret = `${V.slice(0, 5)}${braille}${V.slice(5)}`;
    expect(scanner.scan(`password = ${secret}\n`).map((d) => d.secret)).toEqual([secret]);
  });
});
