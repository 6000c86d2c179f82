import { posix } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  hasBlank,
  hasBraceList,
  hasBracketPair,
  hasGlobChar,
  isEnvVariantName,
  isFlagClusterDashValue,
  isFlagClusterEnding,
  isNameChar,
  isNameStart,
  isPipName,
  normalizePath,
  startsWithScheme,
  startsWithShortFlag,
  stripTrailingSlashes,
  stripVersionSuffix,
} from "../../../src/capabilities/gate/chars.js";
import { normalizeCommand } from "../../../src/capabilities/gate/normalize.js";

// Each helper replaces a regular expression in the engine (V8 compiles those on first use, which
// the hook pays per call): on random strings over the characters that matter, each must give
// exactly what its regular expression gives.

const alphabet = (chars: string) =>
  fc.array(fc.constantFrom(...[...chars]), { maxLength: 24 }).map((a) => a.join(""));
const wide = fc.oneof(
  alphabet("ab/{},.[]*? \t\n\r\u2028\u2029-_09Ap.ie=v"),
  fc.string({ maxLength: 24 }),
  fc.string({ unit: "grapheme", maxLength: 12 }),
);
const RUNS = { numRuns: 3000 };

const cases: [string, (t: string) => unknown, (t: string) => unknown, fc.Arbitrary<string>][] = [
  ["hasBlank", hasBlank, (t) => /[ \t\n]/.test(t), wide],
  ["hasGlobChar", hasGlobChar, (t) => /[*?]/.test(t), wide],
  ["hasBracketPair", hasBracketPair, (t) => /\[[^\]]*\]/.test(t), alphabet("[]a\n*")],
  ["hasBraceList", hasBraceList, (t) => /\{[^}]*(,|\.\.)[^}]*\}/.test(t), alphabet("{},.a\n")],
  [
    "isPipName",
    isPipName,
    (t) => /^pip[0-9.]*$/.test(t),
    fc.oneof(alphabet("pi3.0x\n"), wide).map((t) => `pip${t}`),
  ],
  ["isPipName (any)", isPipName, (t) => /^pip[0-9.]*$/.test(t), alphabet("pi3.0x")],
  [
    "isEnvVariantName",
    isEnvVariantName,
    (t) => /^\.env\.[A-Za-z0-9_-]+$/.test(t),
    fc.oneof(
      alphabet(".envEN_-09z/\n"),
      alphabet("aZ_-9.\n").map((t) => `.env.${t}`),
    ),
  ],
  [
    "stripTrailingSlashes",
    stripTrailingSlashes,
    (t) => t.replace(/(.)\/+$/, "$1"),
    alphabet("/a\n\r\u2028\u2029."),
  ],
  ["stripVersionSuffix", stripVersionSuffix, (t) => t.replace(/[0-9][0-9.]*$/, ""), alphabet("python3.12-x")],
  [
    "isFlagClusterEnding o",
    (t) => isFlagClusterEnding(t, "o"),
    (t) => /^-[a-zA-Z]*o$/.test(t),
    alphabet("-oOsLx1\n"),
  ],
  [
    "isFlagClusterEnding O",
    (t) => isFlagClusterEnding(t, "O"),
    (t) => /^-[a-zA-Z]*O$/.test(t),
    alphabet("-oOq\u017f"),
  ],
  [
    "isFlagClusterDashValue o",
    (t) => isFlagClusterDashValue(t, "o"),
    (t) => /^-[a-zA-Z]*o(.+)$/.exec(t)?.[1] === "-",
    alphabet("-oOsL/\n"),
  ],
  [
    "isFlagClusterDashValue O",
    (t) => isFlagClusterDashValue(t, "O"),
    (t) => /^-[a-zA-Z]*O(.+)$/.exec(t)?.[1] === "-",
    alphabet("-Oqo\u2028"),
  ],
  ["normalizePath", normalizePath, (t) => posix.normalize(t), alphabet("/./a.\n")],
  ["startsWithShortFlag", startsWithShortFlag, (t) => /^-[A-Za-z0-9]/.test(t), alphabet("-a9_Z\u00e9 ")],
  ["startsWithScheme", startsWithScheme, (t) => /^[a-z]+:\/\//i.test(t), alphabet("hTtps:/\u017f\u212a1")],
];

describe("gate string tests without regular expressions", () => {
  it.each(cases)("%s gives what its regular expression gives", (_name, fn, re, arb) => {
    fc.assert(
      fc.property(arb, (t) => {
        expect(fn(t)).toBe(re(t));
      }),
      RUNS,
    );
  });

  it("isNameStart and isNameChar are /[A-Za-z_]/ and /[A-Za-z0-9_]/ on every UTF-16 unit and on the empty string", () => {
    for (let x = 0; x < 0x10000; x++) {
      const c = String.fromCharCode(x);
      expect(isNameStart(c)).toBe(/[A-Za-z_]/.test(c));
      expect(isNameChar(c)).toBe(/[A-Za-z0-9_]/.test(c));
    }
    expect(isNameStart("")).toBe(false);
    expect(isNameChar("")).toBe(false);
  });

  it("handles the edges of each", () => {
    expect(stripTrailingSlashes("/")).toBe("/");
    expect(stripTrailingSlashes("///")).toBe("/");
    expect(stripTrailingSlashes("/a/b//")).toBe("/a/b");
    expect(stripTrailingSlashes("a\n/")).toBe("a\n/");
    expect(stripTrailingSlashes("a\n//")).toBe("a\n/");
    expect(stripVersionSuffix("python3.12")).toBe("python");
    expect(stripVersionSuffix("x.3.")).toBe("x.");
    expect(stripVersionSuffix("...")).toBe("...");
    expect(hasBraceList("{a}{b,c}")).toBe(true);
    expect(hasBraceList("{a{b}c,d}")).toBe(false);
    expect(hasBraceList("{{a..b}")).toBe(true);
    expect(hasBracketPair("]a[")).toBe(false);
    expect(isEnvVariantName(".env.")).toBe(false);
    expect(isEnvVariantName(".env.local-1")).toBe(true);
  });

  it("normalizeCommand's ASCII fast path gives what the regular expressions give", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary-ascii", maxLength: 40 }), (t) => {
        expect(normalizeCommand(t)).toEqual({ text: t, hidden: /[\x00-\x08\x0B-\x1F\x7F-\x9F]/.test(t) });
      }),
      RUNS,
    );
    expect(normalizeCommand("ls\u00a0-la").hidden).toBe(false);
    expect(normalizeCommand("rm\u200b -rf /")).toEqual({ text: "rm -rf /", hidden: true });
    expect(normalizeCommand("ls\x85")).toEqual({ text: "ls\x85", hidden: true });
  });
});
