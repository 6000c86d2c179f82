import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { ContentScanner, latin1Whitespace } from "../../src/detect/content.js";
import { defaultRules } from "../../src/rules/catalog.js";
import { inventory } from "../helpers/inventory.js";
import { tempTree } from "../helpers/tmp.js";

// Issue 15 (non-ASCII secrets): content rules run over a latin1 view of a file's bytes, where a
// regex's \s also matched the byte 0xA0. That byte is the second half of `à` (C3 A0), `Р` (D0 A0)
// and many CJK characters (`丠` is E4 B8 A0), so a secret holding one was cut there; and a secret
// before a UTF-8 no-break space (C2 A0) was reported with a stray C2 byte. In the byte view the
// rules' whitespace is ASCII whitespace and the no-break space as the file means it.

const rules = defaultRules();
const scanner = new ContentScanner(rules);
/** The byte view of a text saved as UTF-8, as src/sources/files.ts scans it. */
const view = (s: string) => Buffer.from(s, "utf8").toString("latin1");
/** A secret found in the byte view, read back as UTF-8 (as files.ts reports it). */
const read = (s: string) => Buffer.from(s, "latin1").toString("utf8");
const found = (text: string) =>
  scanner.scan(view(text)).map((d) => `${d.ruleId} ${d.line} ${read(d.secret)}`);

const V = "Zq8K7vW2mX9pL4";

let cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups) c();
  cleanups = [];
});

describe("whitespace in the byte view", () => {
  it("a secret holding a character whose UTF-8 has a 0xA0 byte is reported whole", () => {
    for (const ch of ["à", "Р", "丠", "é"]) {
      const secret = `${V.slice(0, 4)}${ch}${V.slice(4)}`;
      expect(found(`password = ${secret}\n`)).toEqual([`generic-password-assignment 1 ${secret}`]);
      // The same as the decoded text gives.
      expect(scanner.scan(`password = ${secret}\n`).map((d) => d.secret)).toEqual([secret]);
    }
  });

  it("a no-break space ends a secret and separates like a space: not cut, not merged", () => {
    for (const text of [
      `token: ${V}\u00a0# a comment\n`,
      `token:\u00a0${V}\n`,
      `token: ${V}\u00a0\u00a0next\n`,
      `x\ntoken =\u00a0${V}\u00a0\n`,
    ])
      expect(found(text).map((f) => f.split(" ")[2])).toEqual([V]);
    // A character right after the secret that only looks alike in bytes is part of it.
    expect(found(`token: ${V}à\n`)).toEqual([`generic-password-assignment 1 ${V}à`]);
    expect(found(`token: ${V}é\n`)).toEqual([`generic-password-assignment 1 ${V}é`]);
  });

  it("a latin1 file's no-break space (a lone 0xA0 after ASCII) is a space", () => {
    const bytes = Buffer.concat([
      Buffer.from(`password = ${V}`),
      Buffer.from([0xa0]),
      Buffer.from("# note\n"),
    ]);
    expect(scanner.scan(bytes.toString("latin1")).map((d) => d.secret)).toEqual([V]);
  });

  it("in a tree scan: whole values, one finding per value, the same finding with a space or a no-break space", async () => {
    const scan = async (files: Record<string, string>) => {
      const t = tempTree(files);
      cleanups.push(t.cleanup);
      return (await inventory({ sources: ["tree"], root: t.dir })).findings;
    };
    const nbsp = await scan({
      "a.py": `password = ${V.slice(0, 4)}à${V.slice(4)}\n`,
      "c.cfg": `token: ${V}\u00a0# rotated\n`,
    });
    const space = await scan({
      "a.py": `password = ${V.slice(0, 4)}é${V.slice(4)}\n`,
      "c.cfg": `token: ${V} # rotated\n`,
    });
    const rows = (fs: typeof nbsp) =>
      fs.map((f) => `${f.location.path}:${f.location.line} ${f.ruleId} ${f.secret?.preview}`);
    expect(rows(nbsp)).toEqual([
      "a.py:1 generic-password-assignment …(15)",
      "c.cfg:1 generic-password-assignment …(14)",
    ]);
    expect(rows(space)).toEqual(rows(nbsp));
    expect(nbsp[1]!.fingerprint).toBe(space[1]!.fingerprint);
    expect(nbsp[0]!.fingerprint).not.toBe(space[0]!.fingerprint);
  });

  it("every packaged rule with \\s or \\S is rewritten, compiles, and finds its examples as before", () => {
    for (const rule of rules.content) {
      if (!/\\[sS]/.test(rule.regex.source)) continue;
      const source = latin1Whitespace(rule.regex.source, rule.regex.flags);
      expect(source, rule.id).toBeDefined();
      const re = new RegExp(source!, rule.regex.flags);
      for (const ex of rule.examples.match) {
        const a = ex.match(new RegExp(rule.regex.source, rule.regex.flags.replace("g", "")));
        const b = ex.match(new RegExp(re.source, re.flags.replace("g", "")));
        expect(b?.[0], `${rule.id}: ${ex}`).toBe(a?.[0]);
      }
    }
    expect(latin1Whitespace("a[b-c]d", "")).toBeUndefined();
    expect(latin1Whitespace("a\\\\s", "")).toBeUndefined();
  });

  it("no secret found in the byte view is cut inside a character or holds a no-break space", () => {
    const pieces = [
      "password = ",
      "token: ",
      "secret=",
      V,
      "à",
      "é",
      "Р",
      "丠",
      "\u00a0",
      " ",
      "\n",
      '"',
      ...rules.content.flatMap((r) => r.examples.match.slice(0, 1)),
    ];
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...pieces), { maxLength: 24 }), (parts) => {
        for (const d of scanner.scan(view(parts.join("")))) {
          const bytes = Buffer.from(d.secret, "latin1");
          const utf8 = bytes.toString("utf8");
          expect(Buffer.from(utf8, "utf8").equals(bytes)).toBe(true);
          expect(utf8).not.toContain("\u00a0");
        }
      }),
      { numRuns: 300 },
    );
  });
});
