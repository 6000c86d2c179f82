import { createHash } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ContentScanner } from "../../../src/detect/content.js";
import { detectEnvVar, keywordPrefilter } from "../../../src/detect/env.js";
import { parseDotenvText, parseDotenvVars } from "../../../src/detect/env-text.js";
import { runParser } from "../../../src/detect/parsers/common.js";
import { parseDotenvFile } from "../../../src/detect/parsers/dotenv.js";
import { defaultRules, type RuleSet } from "../../../src/rules/catalog.js";
import type { Detection, EnvRule } from "../../../src/rules/types.js";
import { oldDetectEnvVar, oldParseDotenvFile, oldParseDotenvText } from "./dotenv-oracle.js";

// Issue 15: the dotenv path (parseDotenvVars, the name-rule cache of detectEnvVar, the keyword
// pass before the content scan, the declarations of the secrets' variables only) is several times
// faster than it was, and must find exactly what it found: the same secrets, lines, rule ids,
// names, in the same order. Exact expectations on representative and hostile files, then the old
// code (dotenv-oracle.ts, frozen) against the new on generated files.

/** A fake random-looking secret of `n` characters, made at run time from a seed (no token in the repository). */
const fake = (seed: string, n = 32) =>
  createHash("sha256").update(seed).digest("base64url").replace(/[-_]/g, "x").slice(0, n);
/** A GitHub-classic-PAT-like fake: its prefix assembled at run time. */
const pat = (seed: string) => ["gh", "p_"].join("") + fake(seed, 36);

const shape = (d: Detection) => ({ ruleId: d.viaRuleId, name: d.name, line: d.line, secret: d.secret });
/** The new parser's detections, checked against the old parser's first. */
function run(text: string) {
  const found = parseDotenvFile({ text, path: ".env" });
  expect(found).toEqual(oldParseDotenvFile({ text, path: ".env" }));
  return found.detections.map(shape);
}

describe("dotenv fast path: exact results", () => {
  it("a representative file", () => {
    const text = [
      "# service config",
      "export NODE_ENV=production",
      `GITHUB_TOKEN=${pat("gh")}`,
      `SERVICE_API_KEY='${fake("svc", 20)}'`,
      `DATABASE_URL=postgres://app:${fake("db", 12)}@db.internal:5432/app`,
      `HTTPS_PROXY=http://u:${fake("proxy", 10)}@proxy:3128`,
      `UPSTREAM=https://svc:${fake("up", 14)}@h.example/api`,
      "API_KEY=your-key-here",
      "SESSION_TOKEN=short",
      `DB_PASSWORD="q8Zr!v2Lp#x9Wm4T"  # a comment`,
      "TOKENIZERS_PARALLELISM=false",
      "PORT=8080",
    ].join("\n");
    expect(run(text)).toEqual([
      { ruleId: "github-pat-classic", name: "GITHUB_TOKEN", line: 3, secret: pat("gh") },
      { ruleId: "generic-secret-name", name: "SERVICE_API_KEY", line: 4, secret: fake("svc", 20) },
      { ruleId: "postgres-connection-string", name: "DATABASE_URL", line: 5, secret: fake("db", 12) },
      { ruleId: "proxy-url-credentials", name: "HTTPS_PROXY", line: 6, secret: fake("proxy", 10) },
      { ruleId: "url-credentials", name: "UPSTREAM", line: 7, secret: fake("up", 14) },
      { ruleId: "generic-secret-name", name: "DB_PASSWORD", line: 10, secret: "q8Zr!v2Lp#x9Wm4T" },
    ]);
  });

  it("the order of an object's keys: array-index names first, in numeric order; a name declared again keeps its place and its last value", () => {
    const text = [
      `ZED_SECRET=${fake("zed")}`,
      `42=${pat("42")}`,
      `API_TOKEN=${fake("first")}`,
      `7=${pat("7")}`,
      `4294967295=${pat("not-an-index")}`,
      `007=${pat("leading-zero")}`,
      `__proto__=${pat("proto")}`,
      `API_TOKEN=${fake("second")}`,
    ].join("\n");
    expect(run(text)).toEqual([
      { ruleId: "github-pat-classic", name: "7", line: 4, secret: pat("7") },
      { ruleId: "github-pat-classic", name: "42", line: 2, secret: pat("42") },
      { ruleId: "generic-secret-name", name: "ZED_SECRET", line: 1, secret: fake("zed") },
      { ruleId: "generic-secret-name", name: "API_TOKEN", line: 8, secret: fake("second") },
      { ruleId: "github-pat-classic", name: "4294967295", line: 5, secret: pat("not-an-index") },
      { ruleId: "github-pat-classic", name: "007", line: 6, secret: pat("leading-zero") },
      { ruleId: "github-pat-classic", name: "__proto__", line: 7, secret: pat("proto") },
    ]);
    expect([...parseDotenvVars(text).keys()]).toEqual(Object.keys(parseDotenvText(text)));
  });

  it("CRLF, quotes over several lines, `KEY: value`, Unicode blanks, comments and escapes", () => {
    const text = [
      "\ufeffexport\u00a0A_TOKEN = 'x'",
      `MULTI_SECRET="line1\r\n${pat("multi")}"`,
      `COLON_TOKEN: ${fake("colon", 24)} # trailing`,
      `HASHED_PASSWORD=pa#${fake("hash", 10)}`,
      `ESCAPED_SECRET="${pat("esc")}\\nmore"`,
      `OPEN_TOKEN="${fake("open", 24)}`,
      "",
    ].join("\r\n");
    expect(run(text)).toEqual([
      { ruleId: "github-pat-classic", name: "MULTI_SECRET", line: 3, secret: pat("multi") },
      { ruleId: "generic-secret-name", name: "COLON_TOKEN", line: 4, secret: fake("colon", 24) },
      { ruleId: "generic-secret-name", name: "HASHED_PASSWORD", line: 5, secret: `pa#${fake("hash", 10)}` },
      { ruleId: "github-pat-classic", name: "ESCAPED_SECRET", line: 6, secret: pat("esc") },
      { ruleId: "generic-secret-name", name: "OPEN_TOKEN", line: 7, secret: `"${fake("open", 24)}` },
    ]);
  });

  it("hostile: one variable of a megabyte", () => {
    const big = Array.from({ length: 40_000 }, (_, i) => fake(`big${i}`, 26)).join("");
    expect(big.length).toBe(1_040_000);
    const found = run(`SECRET_KEY=${big}\n`);
    expect(found.map((d) => ({ ...d, secret: d.secret.length }))).toEqual([
      { ruleId: "generic-secret-name", name: "SECRET_KEY", line: 1, secret: 1_040_000 },
    ]);
    expect(found[0]!.secret).toBe(big);
  });

  it("hostile: 100,000 tiny variables, one secret at the end", () => {
    const lines = Array.from({ length: 100_000 }, (_, i) => `V${i}=${i}`);
    lines.push(`LAST_TOKEN=${fake("last")}`);
    expect(run(lines.join("\n"))).toEqual([
      { ruleId: "generic-secret-name", name: "LAST_TOKEN", line: 100_001, secret: fake("last") },
    ]);
  });

  it("hostile: more distinct names than the name cache holds, names longer than it keeps, one name 100,000 times", () => {
    // 20,000 distinct names: the cache (8,192 names) starts over twice; every 2,500th is a secret.
    const many = Array.from({ length: 20_000 }, (_, i) =>
      i % 2_500 === 0 ? `N${i}_TOKEN=${fake(`n${i}`)}` : `N${i}_TOKEN=v${i}`,
    );
    expect(run(many.join("\n"))).toEqual(
      Array.from({ length: 8 }, (_, k) => ({
        ruleId: "generic-secret-name",
        name: `N${k * 2_500}_TOKEN`,
        line: k * 2_500 + 1,
        secret: fake(`n${k * 2_500}`),
      })),
    );
    // Names of 1,000 characters (not cached), each judged by its own name.
    const long = (i: number, suffix: string) => `${"A_".repeat(500)}${i}${suffix}`;
    const longText = [
      `${long(1, "_TOKEN")}=${fake("long1")}`,
      `${long(2, "_LAYOUT")}=${fake("long2")}`,
      `${long(3, "_TOKEN")}=${fake("long3")}`,
    ].join("\n");
    expect(run(longText)).toEqual([
      { ruleId: "generic-secret-name", name: long(1, "_TOKEN"), line: 1, secret: fake("long1") },
      { ruleId: "generic-secret-name", name: long(3, "_TOKEN"), line: 3, secret: fake("long3") },
    ]);
    // One name 100,000 times: its last value counts, on its own line.
    const again = `${"PASSWORD=abc\n".repeat(99_999)}PASSWORD=${fake("again", 12)}\n`;
    expect(run(again)).toEqual([
      { ruleId: "generic-secret-name", name: "PASSWORD", line: 100_000, secret: fake("again", 12) },
    ]);
  });

  it("a name judged again with another value, and short values beside URL passwords", () => {
    // The name's decision is remembered, the value is judged every time.
    const rules = defaultRules();
    const scanner = new ContentScanner(rules);
    const judge = (name: string, v: string) =>
      detectEnvVar(name, v, rules, scanner).map((d) => ({
        ruleId: d.ruleId,
        name: d.name,
        secret: d.secret,
      }));
    expect(judge("API_TOKEN", "abc")).toEqual([]);
    expect(judge("API_TOKEN", fake("t2"))).toEqual([
      { ruleId: "generic-secret-name", name: "API_TOKEN", secret: fake("t2") },
    ]);
    expect(judge("API_TOKEN", "abc")).toEqual([]);
    expect(judge("api_token", fake("t3"))).toEqual([
      { ruleId: "generic-secret-name", name: "api_token", secret: fake("t3") },
    ]);
    // Shorter than any name rule's minimum (6), with and without a URL password.
    const text = [
      "X=a@b",
      `Y=s://u:${fake("y", 8)}@h`,
      "Z=s://u:p@h",
      "PASSWORD=abcde",
      "PASSWORD_2=q@b",
    ].join("\n");
    expect(run(text)).toEqual([
      { ruleId: "url-credentials", name: "Y", line: 2, secret: fake("y", 8) },
      { ruleId: "url-credentials", name: "Z", line: 3, secret: "p" },
    ]);
  });
});

// ---- the old code against the new

const KEYS = [
  "API_KEY",
  "GITHUB_TOKEN",
  "GH_TOKEN",
  "DB_PASSWORD",
  "DATABASE_URL",
  "HTTPS_PROXY",
  "AWS_SECRET_ACCESS_KEY",
  "KEYBOARD_LAYOUT",
  "TOKENIZERS_PARALLELISM",
  "SECRET_NAME",
  "FOO",
  "foo_token",
  "Api.Key-x",
  "export",
  "__proto__",
  "constructor",
  "0",
  "1",
  "42",
  "01",
  "4294967294",
  "4294967295",
  "BUNDLE_GEMS__EXAMPLE__COM",
];
const key = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...KEYS) },
  fc.stringMatching(/^[A-Za-z0-9_.-]{1,12}$/),
  fc.constantFrom(...KEYS).map((k) => `${k}_${"X".repeat(130)}`),
);
const plain = fc.oneof(
  fc.constantFrom(
    "",
    "true",
    "8080",
    "abc",
    "your-key-here",
    `\${OTHER}`,
    "changeme",
    "a@b",
    "x # y",
    "#x",
    "#",
    "a\t#b",
    "pa#ss",
  ),
  fc.nat(1000).map((i) => fake(`v${i}`, 8 + (i % 30))),
  fc.nat(1000).map((i) => pat(`p${i}`)),
  fc.nat(1000).map((i) => `postgres://app:${fake(`u${i}`, 10)}@db/app`),
  fc.nat(1000).map((i) => `https://u:${fake(`w${i}`, 6)}@h.example`),
  fc.string({
    unit: fc.constantFrom("a", "Z", "9", " ", "#", "@", ":", "/", "\\", "n", "'", '"', "`", "\u00a0", "é"),
  }),
);
/** URLs with a password, shorter than any name rule's minLength. */
const shortUrl = fc.constantFrom("x://:p@", "s://u:p@h", "a://b:c@", `s://u:\${X}@h`);
const value = fc.oneof(
  { weight: 3, arbitrary: plain },
  plain.map((v) => `"${v}"`),
  plain.map((v) => `'${v}'`),
  plain.map((v) => `\`${v}\``),
  fc.tuple(plain, plain).map(([a, b]) => `"${a}\n${b}"`),
  fc.tuple(plain, plain).map(([a, b]) => `"${a}\\n${b}"`),
  plain.map((v) => `"${v}`),
  plain.map((v) => `${v} # comment`),
);
const line = fc.oneof(
  {
    weight: 6,
    arbitrary: fc
      .tuple(
        fc.constantFrom("", " ", "\t", "export ", " export\t", "\u00a0", "\ufeff"),
        key,
        fc.constantFrom("=", " = ", ": ", ":", "=\t", " :"),
        value,
      )
      .map((parts) => parts.join("")),
  },
  fc.constantFrom("", "# comment", "   ", "export", "=x", "NOVALUE", "#A_TOKEN=abc"),
);
const dotenvText = fc
  .tuple(fc.array(line, { maxLength: 30 }), fc.constantFrom("\n", "\r\n", "\r"))
  .map(([lines, eol]) => lines.join(eol));

/** Every keyword of the packaged content rules. */
const KEYWORDS = [...new Set(defaultRules().content.flatMap((r) => r.keywords))].sort();
/** Text around a keyword (or the start of one), its letters in any case, next to characters beyond ASCII at times. */
const withKeyword = fc
  .tuple(
    fc.string({
      unit: fc.constantFrom("a", "Z", "0", "_", "-", ".", ":", "/", " ", "é", "\u00a0", "İ", "K"),
    }),
    fc.constantFrom(...KEYWORDS),
    fc.nat(30),
    fc.array(fc.boolean(), { maxLength: 40 }),
    fc.string({ unit: fc.constantFrom("a", "Z", "9", "=", "@", "#") }),
  )
  .map(([before, k, cut, upper, after]) => {
    const part = cut < 3 ? k.slice(0, cut + 1) : k;
    const cased = [...part].map((ch, i) => (upper[i] ? ch.toUpperCase() : ch.toLowerCase())).join("");
    return `${before}${cased}${after}`;
  });

describe("dotenv fast path: the keyword prefilter", () => {
  const rules = defaultRules();
  const scanner = new ContentScanner(rules);
  const may = keywordPrefilter(rules);

  it("passes every keyword of the rules, in any case, alone or inside other text", () => {
    expect(KEYWORDS.length).toBeGreaterThan(100);
    for (const k of KEYWORDS) {
      for (const v of [k, k.toUpperCase(), k.toLowerCase(), `xx${k}yy`, `0.${k.toUpperCase()}/`]) {
        expect({ v, may: may(v) }).toEqual({ v, may: true });
      }
    }
  });

  it("rejects only values the keyword pass finds nothing in", () => {
    let rejected = 0;
    fc.assert(
      fc.property(fc.oneof(withKeyword, plain), (v) => {
        if (may(v)) return;
        rejected++;
        expect(scanner.candidates(v)).toEqual([]);
      }),
      { numRuns: 3000, seed: 15 },
    );
    // It does reject: most plain words and numbers hold no keyword.
    expect(rejected).toBeGreaterThan(100);
    for (const v of ["8080", "true", "production", "/var/lib/node/handler", "logger-name.internal"])
      expect(may(v)).toBe(false);
  });

  it("passes every value with a character beyond ASCII (latin1 folding is the matcher's)", () => {
    for (const v of ["é", "x\u00a0y", "İ", "\u212a"]) expect(may(v)).toBe(true);
  });
});

describe("dotenv fast path: the old code and the new agree", () => {
  it("parseDotenvText and parseDotenvVars read what the old parser read, in the same order", () => {
    fc.assert(
      fc.property(dotenvText, (text) => {
        const before = Object.entries(oldParseDotenvText(text));
        expect(Object.entries(parseDotenvText(text))).toEqual(before);
        expect([...parseDotenvVars(text)]).toEqual(before);
      }),
      { numRuns: 400, seed: 15 },
    );
  });

  it("parseDotenvFile finds the same detections", () => {
    let found = 0;
    fc.assert(
      fc.property(dotenvText, (text) => {
        const input = { text, path: ".env" };
        const after = parseDotenvFile(input);
        expect(after).toEqual(oldParseDotenvFile(input));
        found += after.detections.length;
      }),
      { numRuns: 400, seed: 15 },
    );
    // The generated files hold secrets of every kind, not only noise.
    expect(found).toBeGreaterThan(400);
  });

  it("detectEnvVar judges each variable the same, twice over (the name cache), with the packaged rules and a rule set of its own", () => {
    const packaged = defaultRules();
    // A rule set of its own: another object, other env rules (the generic one first, no URL rule).
    const own: RuleSet = {
      ...packaged,
      env: [...packaged.env.filter((r) => r.id === "generic-secret-name"), ...packaged.env.slice(0, 5)],
    };
    for (const rules of [packaged, own]) {
      const scanner = new ContentScanner(rules);
      fc.assert(
        fc.property(key, fc.oneof(plain, withKeyword), (name, v) => {
          const before = oldDetectEnvVar(name, v, rules, scanner);
          expect(detectEnvVar(name, v, rules, scanner)).toEqual(before);
          expect(detectEnvVar(name, v, rules, scanner)).toEqual(before);
          // The scanner is made from `rules`: the keyword prefilter may run.
          expect(detectEnvVar(name, v, rules, scanner, true)).toEqual(before);
        }),
        { numRuns: 300, seed: 15 },
      );
    }
  });

  it("detectEnvVar agrees on odd rule sets: minLengths that are not numbers or huge, a URL rule listing names, stateful name patterns", () => {
    const packaged = defaultRules();
    /** A copy of a rule set with every env rule and regex its own (a `g` regex's state is not shared). */
    const copy = (rs: RuleSet, edit: (r: EnvRule) => EnvRule = (r) => r): RuleSet => ({
      ...rs,
      env: rs.env.map((r) => {
        const e = edit({ ...r, value: { ...r.value } });
        const re = (x: RegExp) => new RegExp(x.source, x.flags);
        return {
          ...e,
          namePattern: e.namePattern && re(e.namePattern),
          excludeNames: e.excludeNames.map(re),
        };
      }),
    });
    // minLengths that are not numbers, zero, huge, infinite.
    const odd = (r: EnvRule): EnvRule => {
      if (r.id === "generic-secret-name") r.value.minLength = Number.NaN;
      else if (r.id === "github-token") r.value.minLength = 0;
      else if (r.id === "gitlab-token") r.value.minLength = 1e9;
      else if (r.id === "npm-token") r.value.minLength = Number.POSITIVE_INFINITY;
      else if (r.id === "bundler-host-credentials-env") r.value.minLength = 5000;
      return r;
    };
    // URL rules listing names their patterns do not take: found by name, ahead of url-credentials.
    const urlNames = (r: EnvRule): EnvRule => {
      if (r.id === "database-url") r.names = ["MY_URL"];
      else if (r.id === "url-credentials") r.names = ["GH_TOKEN"];
      return r;
    };
    const stateful = (r: EnvRule): EnvRule => {
      const flags = r.id === "generic-secret-name" ? "g" : r.id === "database-url" ? "y" : "";
      if (r.namePattern && flags)
        r.namePattern = new RegExp(r.namePattern.source, r.namePattern.flags + flags);
      return r;
    };
    for (const edit of [odd, urlNames, stateful]) {
      const before = copy(packaged, edit);
      const after = copy(packaged, edit);
      const scanner = new ContentScanner(packaged);
      let found = 0;
      fc.assert(
        fc.property(
          fc.oneof(key, fc.constantFrom("MY_URL", "MY_URL_X")),
          fc.oneof(plain, withKeyword, shortUrl),
          (name, v) => {
            const old = oldDetectEnvVar(name, v, before, scanner);
            expect(detectEnvVar(name, v, after, scanner)).toEqual(old);
            found += old.length;
          },
        ),
        { numRuns: 400, seed: 15 },
      );
      expect(found).toBeGreaterThan(50);
      // A sequence where a `g` pattern's state tells: a secret name with a short value (the old
      // code tested the name, and the test moved lastIndex), then secret names with secrets.
      const seq: [string, string][] = [
        ["API_KEY", "abc"],
        ["FOO_TOKEN", fake("s1")],
        ["X_SECRET", "short"],
        ["A_PASSWORD", fake("s2")],
        ["MY_URL", "x://:p@"],
        ["API_KEY", fake("s3")],
        // Longer than the length lists go (4,096), for a rule whose minLength is longer still.
        ["BUNDLE_GEMS__EXAMPLE__COM", Array.from({ length: 200 }, (_, i) => fake(`vault${i}`, 30)).join("")],
      ];
      for (const [name, v] of seq)
        expect(detectEnvVar(name, v, after, scanner)).toEqual(oldDetectEnvVar(name, v, before, scanner));
    }
  });

  it("a parse bound to another rule set judges with that set (runParser)", () => {
    const packaged = defaultRules();
    const noGeneric: RuleSet = {
      ...packaged,
      env: packaged.env.filter((r) => r.id !== "generic-secret-name"),
    };
    const text = `SERVICE_API_KEY=${fake("bound", 20)}\nGITHUB_TOKEN=${pat("bound")}`;
    const input = { text, path: ".env" };
    expect(runParser(parseDotenvFile, input, packaged).detections.map(shape)).toEqual([
      { ruleId: "generic-secret-name", name: "SERVICE_API_KEY", line: 1, secret: fake("bound", 20) },
      { ruleId: "github-pat-classic", name: "GITHUB_TOKEN", line: 2, secret: pat("bound") },
    ]);
    expect(runParser(parseDotenvFile, input, noGeneric).detections.map(shape)).toEqual([
      { ruleId: "github-pat-classic", name: "GITHUB_TOKEN", line: 2, secret: pat("bound") },
    ]);
  });
});
