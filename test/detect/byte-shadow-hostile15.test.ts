import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { ContentScanner, shadowSafe, useByteShadow } from "../../src/detect/content.js";
import { defaultRules } from "../../src/rules/catalog.js";
import type { ContentRule } from "../../src/rules/types.js";
import { inventory } from "../helpers/inventory.js";
import { tempTree } from "../helpers/tmp.js";

// Hostile review of issue 15's byte shadow (content.ts byteShadow): the shadow maps two byte
// sequences to one (`À` C3 80 and `à` C3 A0 both read C3 80; C2 A0 and A0 A0 both read A0 A0). A
// rule with a backreference compares two stretches of the shadow, and found equal what the file
// holds as different: the connection-string rules' `(?!\1@)` (a password that is not the user's
// name) dropped `postgres://svcÀ…:svcà…@db` whole. A rule with a backreference runs its rewritten
// regexes over the text, as before the shadow.

const rules = defaultRules();
const scanner = new ContentScanner(rules);
/** The byte view of a text saved as UTF-8, as src/sources/files.ts scans it. */
const view = (s: string) => Buffer.from(s, "utf8").toString("latin1");
/** A value found in the byte view, read back as UTF-8 (as files.ts reports it). */
const read = (s: string) => Buffer.from(s, "latin1").toString("utf8");
const found = (text: string) =>
  scanner.scan(view(text)).map((d) => `${d.ruleId} ${d.line} ${read(d.secret)}`);
const rewritten = (text: string) => {
  useByteShadow(false);
  try {
    return found(text);
  } finally {
    useByteShadow(true);
  }
};

/** A password-like tail made at run time (no credential in the repository). */
const tail = ["Kq8v", "Wz2P"].join("");

let cleanups: (() => void)[] = [];
afterEach(() => {
  useByteShadow(true);
  for (const c of cleanups) c();
  cleanups = [];
});

describe("byte shadow and backreferences (hostile15)", () => {
  it("a password that differs from the user's name only by À/à is found, by every URL rule with `(?!\\1@)`", () => {
    const cases: [string, string][] = [
      ["postgres", "postgres-connection-string"],
      ["postgresql", "postgres-connection-string"],
      ["mysql", "mysql-connection-string"],
      ["MariaDB", "mysql-connection-string"],
      ["mongodb+srv", "mongodb-connection-string"],
      ["rediss", "redis-connection-string"],
      ["https", "url-basic-auth"],
    ];
    for (const [scheme, ruleId] of cases) {
      const password = `svcà${tail}`;
      const text = `# config\n\nurl = "${scheme}://svcÀ${tail}:${password}@db.example.com/app"\n`;
      expect(found(text), scheme).toEqual([`${ruleId} 3 ${password}`]);
      // What the rewritten regexes (and the decoded text) find.
      expect(rewritten(text), scheme).toEqual([`${ruleId} 3 ${password}`]);
      // The same with a no-break space after it (C2 A0 vs A0 A0 in the shadow).
      expect(found(`${text}x\u00a0y\n`), scheme).toEqual([`${ruleId} 3 ${password}`]);
    }
    // A password equal to the user's name is still no finding (the rules' own exclusion).
    expect(found(`postgres://svcà${tail}:svcà${tail}@db.example.com\n`)).toEqual([]);
  });

  it("in a tree scan: the file's finding, at its line, and the value in no field of it", async () => {
    const password = `svcà${tail}`;
    const t = tempTree({
      "app/settings.py": `import os\n\nDB = "postgres://svcÀ${tail}:${password}@db.example.com/app"\n`,
    });
    cleanups.push(t.cleanup);
    const findings = (await inventory({ sources: ["tree"], root: t.dir })).findings;
    expect(findings.map((f) => `${f.location.path}:${f.location.line} ${f.ruleId}`)).toEqual([
      "app/settings.py:3 postgres-connection-string",
    ]);
    expect(JSON.stringify(findings)).not.toContain(password);
  });

  it("finds what the rewritten regexes find, with user and password that differ by À/à, Ā-like bytes and no-break spaces", () => {
    const unit = fc.constantFrom("s", "K", "8", "À", "à", "\u00a0", "Р", "丠", "\u0080");
    const part = fc.array(unit, { minLength: 1, maxLength: 8 }).map((u) => u.join(""));
    // The password: the user's name with some À made à (and back), so the two often differ only there.
    const swap = (s: string, mask: number) =>
      [...s].map((c, i) => ((mask >> i) & 1 ? (c === "À" ? "à" : c === "à" ? "À" : c) : c)).join("");
    fc.assert(
      fc.property(
        fc.constantFrom("postgres", "mysql", "mongodb", "redis", "https", "ftp"),
        part,
        fc.nat(255),
        fc.constantFrom("", tail, "x"),
        fc.constantFrom("", "\n", " ", "\u00a0"),
        (scheme, user, mask, extra, after) => {
          const text = `u = ${scheme}://${user}:${swap(user, mask)}${extra}@db.example.com${after}\n`;
          expect(found(text)).toEqual(rewritten(text));
        },
      ),
      { numRuns: 1500 },
    );
  });

  it("runs over the shadow only the rules whose backreferences it reads as the text", () => {
    const withBackreference = rules.content.filter((r) => /\\(?:[1-9]|k<)/.test(r.regex.source));
    expect(withBackreference.length).toBeGreaterThan(20);
    expect(
      withBackreference
        .filter((r) => !shadowSafe(r))
        .map((r) => r.id)
        .sort(),
    ).toEqual([
      // Their quote may be JSON-escaped (`\\?["']?`, a package.json script): anchored at echo/printf.
      "cmdline-chpasswd",
      "cmdline-stdin-password",
      "mongodb-connection-string",
      "mysql-connection-string",
      "postgres-connection-string",
      "redis-connection-string",
      "url-basic-auth",
    ]);
    const safe = (source: string) => shadowSafe({ regex: new RegExp(source, "g") } as ContentRule);
    // An atomic group: the text compared with itself.
    expect(safe("a=(?=(?<v>\\S{4,}))\\k<v>")).toBe(true);
    // A group of ASCII characters, optional or not.
    expect(safe("(?<q>[\"'])x\\k<q>")).toBe(true);
    expect(safe("(?<q>[\"']?)x\\k<q>")).toBe(true);
    // An octal escape in a class is no backreference.
    expect(safe("[\\1-\\7]x")).toBe(true);
    // Numbered, quantified inside the lookahead, not right after it, a negated class, any text.
    expect(safe("(\\S+):\\1")).toBe(false);
    expect(safe("(?=(?<v>\\S)+)\\k<v>")).toBe(false);
    expect(safe("(?=(?<v>\\S+)):\\k<v>")).toBe(false);
    expect(safe("(?=(?<v>\\S+)x)\\k<v>")).toBe(false);
    expect(safe('(?<q>[^"])x\\k<q>')).toBe(false);
    expect(safe("(?<v>\\S+):\\k<v>")).toBe(false);
    expect(safe("\\k<nope>")).toBe(false);
  });
});
