import { describe, expect, it } from "vitest";
import { ContentScanner, TextIndex } from "../../src/detect/content.js";
import { KeywordMatcher } from "../../src/detect/keywords.js";
import { defaultRules } from "../../src/rules/catalog.js";

// Issue 8: the scan must stay linear in its input, shown here by counting work, not by timing.
// The count: characters the string built-ins called from JavaScript examine (indexOf/lastIndexOf
// from their start to their result, slice/substring/toLowerCase by their length, includes by the
// string's length). The old inline-allow check copied the whole line for every match, so one long
// line with N matches cost N times its length; the keyword flood spread every keyword position into
// one call and threw RangeError. Regex work is the rules' part (rules/secrets, checked separately).

const scanner = new ContentScanner(defaultRules());

function generator(seed: number) {
  let s = seed >>> 0 || 1;
  const ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  return (n: number) => {
    let out = "";
    for (let i = 0; i < n; i++) {
      s ^= s << 13;
      s >>>= 0;
      s ^= s >>> 17;
      s ^= s << 5;
      s >>>= 0;
      out += ALNUM[s % ALNUM.length];
    }
    return out;
  };
}
const alnum = generator(42);
const ghToken = () => ["gh", "p_"].join("") + alnum(36);
/** A value the generic rule reports: random letters alone read as a word, so it ends in a digit and a pair of cases. */
const value = () => `${alnum(21)}7Qz`;

type Method = "indexOf" | "lastIndexOf" | "slice" | "substring" | "includes" | "toLowerCase";
/** Runs fn and returns its result and the characters the string built-ins examined meanwhile. */
function counted<T>(fn: () => T): { result: T; touched: number } {
  const proto = String.prototype as unknown as Record<Method, (...a: unknown[]) => unknown>;
  const saved = {} as Record<Method, (...a: unknown[]) => unknown>;
  let touched = 0;
  const cost: Record<Method, (s: string, args: unknown[], r: unknown) => number> = {
    indexOf: (s, [needle, from], r) => {
      const f = Math.max(0, Number(from ?? 0) || 0);
      return (r as number) === -1 ? s.length - f : (r as number) - f + String(needle).length;
    },
    lastIndexOf: (s, [, from], r) => {
      const f = from === undefined ? s.length : Number(from);
      return (r as number) === -1 ? f : f - (r as number);
    },
    slice: (_s, _a, r) => (r as string).length,
    substring: (_s, _a, r) => (r as string).length,
    includes: (s) => s.length,
    toLowerCase: (s) => s.length,
  };
  for (const m of Object.keys(cost) as Method[]) {
    const orig = proto[m]!;
    saved[m] = orig;
    proto[m] = function (this: string, ...args: unknown[]) {
      const r = orig.apply(this, args);
      touched += cost[m](String(this), args, r);
      return r;
    };
  }
  try {
    return { result: fn(), touched };
  } finally {
    for (const m of Object.keys(saved) as Method[]) proto[m] = saved[m]!;
  }
}

/** One line of JSON with n `"token":"<random>"` entries, as in issue 8 (24,000 entries, 770 KB). */
function jsonLine(n: number): { text: string; values: string[] } {
  const values = Array.from({ length: n }, value);
  return { text: `{${values.map((v, i) => `"token${i}":"${v}"`).join(",")}}`, values };
}

describe("linear content scan (issue 8)", () => {
  it("one JSON line with many token entries: every entry found, work linear in the size", () => {
    const small = jsonLine(2000);
    const big = jsonLine(4000);
    const a = counted(() => scanner.scan(small.text));
    const b = counted(() => scanner.scan(big.text));
    expect(a.result.map((d) => `${d.ruleId}:${d.line}:${d.secret}`)).toEqual(
      small.values.map((v) => `generic-password-assignment:1:${v}`),
    );
    expect(b.result.length).toBe(4000);
    // Constant work per character: the same bound at both sizes; twice the input, about twice the work.
    expect(a.touched).toBeLessThanOrEqual(16 * small.text.length);
    expect(b.touched).toBeLessThanOrEqual(16 * big.text.length);
    expect(b.touched / a.touched).toBeLessThan(2.2);
  });

  it("inline-allow markers are looked up once per text, not once per match", () => {
    // A marker at the end of the long line allows every match on it; the next line is not allowed.
    const { text, values } = jsonLine(3000);
    const tok = ghToken();
    const input = `${text} // gitleaks:allow\nGH=${tok}\n`;
    const { result, touched } = counted(() => scanner.scan(input));
    expect(result.map((d) => `${d.ruleId}:${d.line}`)).toEqual(["github-pat-classic:2"]);
    expect(touched).toBeLessThanOrEqual(16 * input.length);
    // Off, every match is reported.
    expect(scanner.scan(input, { honourInlineAllows: false }).length).toBe(values.length + 1);
  });

  it("a single-line shell history of assignments: linear, every value found", () => {
    const values = Array.from({ length: 3000 }, value);
    const text = values.map((v) => `export API_TOKEN=${v}; `).join("");
    const { result, touched } = counted(() => scanner.scan(text));
    expect(result.map((d) => d.secret)).toEqual(values);
    expect(touched).toBeLessThanOrEqual(16 * text.length);
  });

  it("a keyword flood (780 KB of `token `) does not overflow the stack; the token is found", () => {
    const tok = ghToken();
    const text = `${"token ".repeat(130_000)}${tok}\n`;
    const { result, touched } = counted(() => scanner.scan(text));
    expect(result.map((d) => `${d.ruleId}:${d.line}`)).toEqual(["github-pat-classic:1"]);
    expect(touched).toBeLessThanOrEqual(16 * text.length);
    // The same with the rules given and no recorded positions (keywords found by searching the text).
    const rules = defaultRules().content.filter((r) => r.id === "generic-password-assignment");
    expect(scanner.scan(`${"token ".repeat(130_000)}\ntoken = ${value()}\n`, { rules }).length).toBe(1);
  });

  it("floods of several keywords of one rule: starts merged in order, each value found once", () => {
    const v1 = value();
    const v2 = value();
    const text = `${"secret password token ".repeat(40_000)}password = ${v1}\n${"pwd ".repeat(50_000)}secret: ${v2}\n`;
    const found = scanner.scan(text).map((d) => `${d.ruleId}:${d.line}:${d.secret}`);
    expect(found).toEqual([`generic-password-assignment:1:${v1}`, `generic-password-assignment:2:${v2}`]);
  });

  it("the keyword matcher records every start of a flood", () => {
    const m = new KeywordMatcher(["token", "ghp_"]);
    const positions = { wanted: Uint8Array.from([1, 0]), starts: new Map<number, number[]>() };
    expect(m.find("token ".repeat(200_000), positions)).toEqual([0]);
    const starts = positions.starts.get(0)!;
    expect(starts.length).toBe(200_000);
    expect(starts[199_999]).toBe(6 * 199_999);
  });

  it("a window keeps only the matches that start inside it", () => {
    const toks = [ghToken(), ghToken(), ghToken()];
    const text = toks.map((t) => `GH=${t}`).join("\n");
    const starts = toks.map((_, i) => i * (toks[0]!.length + 4) + 3);
    const lines = (start: number, end: number) =>
      scanner.scan(text, { window: { start, end } }).map((d) => d.line);
    expect(lines(0, Number.POSITIVE_INFINITY)).toEqual([1, 2, 3]);
    expect(lines(starts[1]!, starts[2]!)).toEqual([2]);
    expect(lines(starts[1]! + 1, starts[2]! + 1)).toEqual([3]);
  });

  it("TextIndex: lines and markers by lookup, same answers as the line's own text", () => {
    const text = "\na\n# pragma: allowlist nextline secret\nb gitleaks:allow\nc\n\nd";
    const idx = new TextIndex(text);
    const lineOf = (s: string) => text.indexOf(s) + 1;
    expect(["\na", "\nb ", "\nc", "\nd"].map((s) => idx.lineOf(lineOf(s)))).toEqual([1, 3, 4, 6]);
    // "b" is allowed twice over (own marker, and the next-line marker above); "c" and "d" are not.
    expect(["\na", "\nb ", "\nc", "\nd"].map((s) => idx.allowed(lineOf(s)))).toEqual([
      false,
      true,
      false,
      false,
    ]);
    expect(new TextIndex("x").allowed(0)).toBe(false);
  });
});
