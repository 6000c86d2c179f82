import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import {
  ContentScanner,
  type SuppressedSink,
  scannerFor,
  sharedScanner,
  WHOLE_TEXT,
} from "../../src/detect/content.js";
import { KeywordMatcher } from "../../src/detect/keywords.js";
import { Redactor } from "../../src/detect/redact.js";
import { defaultRules, loadRules } from "../../src/rules/catalog.js";
import { anyOf, globToRegExp } from "../../src/sources/glob.js";
import { UsageError } from "../../src/util/errors.js";
import { tempTree } from "../helpers/tmp.js";

// Hostile review of the issue 15 performance changes (notes/review-15.md). Each block attacks one
// change with input an agent controls (text, file names, tree layout) and pins the result the
// change must keep. Tokens are assembled at run time; none is a real credential.

const t = tempTree({}, "aa-review15-");
afterAll(() => t.cleanup());

/** A deterministic PRNG (xorshift32): the tests' data is the same on every run. */
function prng(seed: number): (n: number) => number {
  let x = seed >>> 0 || 1;
  return (n) => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x % n;
  };
}

/** The keyword automaton's folding: ASCII and latin1 capitals only (a non-unicode /i on latin1). */
const foldChar = (c: number) =>
  (c >= 0x41 && c <= 0x5a) || (c >= 0xc0 && c <= 0xde && c !== 0xd7) ? c + 0x20 : c;
/** Folded code unit by code unit (not by code point: a surrogate pair stays two units). */
function fold(s: string): string {
  let out = "";
  for (let i = 0; i < s.length; i++) out += String.fromCharCode(foldChar(s.charCodeAt(i)));
  return out;
}
/** Every start of `k` in `text`, folded, overlapping. */
function naiveStarts(text: string, k: string): number[] {
  const f = fold(text);
  const fk = fold(k);
  const out: number[] = [];
  for (let p = f.indexOf(fk); p !== -1; p = f.indexOf(fk, p + 1)) out.push(p);
  return out;
}
const usable = (k: string) => k.length > 0 && !/[^\u0001-\u00ff]/.test(k);

describe("keywords.ts: strings read as bytes (asBytes)", () => {
  // Keywords with latin1 capitals, ÿ, a char past latin1 and a NUL (never matched), overlapping ones.
  const crafted = ["ab", "b\u00ff", "abc", "\u00e9t", "x\u0100y", "q\0r", "AB", "zz", "\u00ff\u00ff"];
  const alphabet = [
    ..."abcABtxyqrzZ \n_",
    "\u00ff",
    "\u0178", // Ÿ: the capital of ÿ, past latin1 (a NUL to the automaton)
    "\u00e9",
    "\u00c9",
    "\u0100",
    "\0",
    "\ud83d", // lone surrogates
    "\ude00",
    "\u0141",
    "\uff41", // fullwidth a
  ];
  const text = fc
    .array(fc.constantFrom(...alphabet), { minLength: 0, maxLength: 600 })
    .map((cs) => cs.join(""));

  it("finds a keyword exactly where a folded search of the string does, positions included", () => {
    const m = new KeywordMatcher(crafted);
    fc.assert(
      fc.property(text, (s) => {
        const pos = { wanted: new Uint8Array(crafted.length).fill(1), starts: new Map<number, number[]>() };
        const found = new Set(m.find(s, pos).map((i) => crafted[i]!));
        for (let i = 0; i < crafted.length; i++) {
          const k = crafted[i]!;
          const starts = usable(k) ? naiveStarts(s, k) : [];
          expect([k, found.has(k)]).toEqual([k, starts.length > 0]);
          expect([k, pos.starts.get(i) ?? []]).toEqual([k, starts]);
        }
      }),
      { numRuns: 1500 },
    );
  });

  it("a string and its latin1 bytes give the same keywords when the string is latin1 (the file path)", () => {
    const m = new KeywordMatcher(crafted);
    const latin1 = fc
      .array(fc.constantFrom(..."abcABtxyqrzZ \n_\u00ff\u00e9\u00c9\0"), { maxLength: 600 })
      .map((cs) => cs.join(""));
    fc.assert(
      fc.property(latin1, (s) => {
        expect(m.find(s)).toEqual(m.findBytes(Buffer.from(s, "latin1")));
      }),
      { numRuns: 1000 },
    );
  });

  it("chars past latin1 read as NUL never join a keyword across them (`gh\\u0100p_` is not `ghp_`)", () => {
    const m = new KeywordMatcher(["ghp_", "akia"]);
    expect(m.find("gh\u0100p_ ak\u0000ia a\u0130kia")).toEqual([]);
    expect(m.find("\u0100ghp_\u0100AKIA\u0100")).toEqual([0, 1]);
  });

  it("a rule set built around the schema (a NUL keyword) does not crash the scanner; its other keyword still works", () => {
    const base = defaultRules();
    const rule = base.content.find((r) => r.id === "aws-access-key-id")!;
    const rules = { ...base, content: [{ ...rule, keywords: ["ak\0ia", "asia"] }] };
    const scanner = new ContentScanner(rules);
    const key = ["AS", "IA"].join("") + "Y34FZKBOKMUTVV7A";
    expect(scanner.scan(`k = ${key}`).map((d) => [d.ruleId, d.line])).toEqual([["aws-access-key-id", 1]]);
    // Only the NUL keyword present: the rule is never a candidate (not a crash).
    expect(scanner.candidates("ak\0ia")).toEqual([]);
  });

  it("a custom rules dir with a NUL keyword is a usage error naming the file, not a crash", () => {
    const dir = join(t.dir, "rules-nul");
    mkdirSync(join(dir, "secrets"), { recursive: true });
    writeFileSync(
      join(dir, "secrets", "nul.yaml"),
      [
        "id: nul-kw",
        "provider: test",
        "type: token",
        "title: t",
        "severity: high",
        'keywords: ["ab\\0cd"]',
        "regex: '(abcd[0-9]{8})'",
        "remediation: r",
        "examples:",
        "  match: ['abcd12345678']",
        "  noMatch: ['abcd']",
        "",
      ].join("\n"),
    );
    let error: unknown;
    try {
      loadRules(dir);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UsageError);
    expect((error as Error).message).toBe(
      `invalid rules:\n  ${join(dir, "secrets", "nul.yaml")}: keywords.0: a keyword is latin1 characters only, with no NUL (the text is matched byte by byte)`,
    );
  });
});

describe("content.ts: one scanner shared by the inventory, the parsers and the redactor", () => {
  const rules = defaultRules();
  const key = () => ["AK", "IA"].join("") + "Q3EGRSXMPL7NBDZW";

  it("scannerFor gives the shared scanner only when no rule is disabled, and never shares a disabled one", () => {
    const shared = sharedScanner(rules);
    expect(scannerFor(rules, undefined)).toBe(shared);
    expect(scannerFor(rules, new Set())).toBe(shared);
    const off = scannerFor(rules, new Set(["aws-access-key-id"]));
    expect(off).not.toBe(shared);
    expect([...off.disabled]).toEqual(["aws-access-key-id"]);
    expect([...shared.disabled]).toEqual([]);
    // A second disabled set gets a scanner of its own, not the first one.
    expect(scannerFor(rules, new Set(["aws-access-key-id"]))).not.toBe(off);
    // The shared scanner still reports the rule another caller disabled.
    expect(shared.scan(`id = ${key()}`).map((d) => d.ruleId)).toEqual(["aws-access-key-id"]);
  });

  it("the warm-up leaves nothing behind: the same detections and nothing in a later scan's sink", () => {
    const scanner = new ContentScanner(rules, new Set(["github-pat-classic"]));
    const text = `a = ${key()}\nb = ${key()} # agent-audit:allow\n`;
    const run = () => {
      const sink: SuppressedSink = { config: new Set(), inlineAllow: new Set() };
      const bytes = Buffer.from(text, "latin1");
      const positions = scanner.positionsRequest();
      const found = scanner.scan(text, {
        rules: scanner.candidatesInBytes(bytes, positions),
        positions,
        suppressed: sink,
        spareBytes: undefined,
        window: WHOLE_TEXT,
      });
      return {
        found: found.map((d) => [d.ruleId, d.line, d.valid]),
        allow: sink.inlineAllow.size,
        off: sink.config.size,
      };
    };
    const before = run();
    scanner.warmUp();
    scanner.warmUp();
    expect(run()).toEqual(before);
    expect(before).toEqual({ found: [["aws-access-key-id", 1, undefined]], allow: 1, off: 0 });
    expect(WHOLE_TEXT).toEqual({ start: 0, end: Number.POSITIVE_INFINITY });
  });

  it("a redaction between a file's keyword pass and its scan does not change that scan (positions are handed over)", () => {
    const shared = sharedScanner(rules);
    const file = `x\n${"pad ".repeat(100)}${key()}\nid2 = ${key()}\n`;
    const direct = shared.scan(file).map((d) => [d.ruleId, d.line]);
    const bytes = Buffer.from(file, "latin1");
    const positions = shared.positionsRequest();
    const candidates = shared.candidatesInBytes(bytes, positions);
    // The redactor (same rule set: the same scanner) scans other text in between.
    const redactor = new Redactor(rules);
    const masked = redactor.redact(`token ${key()} and ghp_ akia asia ${"akia ".repeat(300)}`);
    expect(masked.includes(key())).toBe(false);
    const later = shared
      .scan(file, { rules: candidates, positions, window: WHOLE_TEXT })
      .map((d) => [d.ruleId, d.line]);
    expect(later).toEqual(direct);
    expect(direct).toEqual([
      ["aws-access-key-id", 2],
      ["aws-access-key-id", 3],
    ]);
  });
});

describe("glob.ts: the literal forms and the factored frame, against the general translation", () => {
  // The translation before issue 15, verbatim: the reference.
  function general(glob: string): RegExp {
    const trimmed = glob.trim().replace(/\/+$/, "");
    const anchored = trimmed.includes("/");
    const g = trimmed.replace(/^\/+/, "");
    let re = "";
    for (let i = 0; i < g.length; i++) {
      const c = g[i]!;
      if (c === "*") {
        if (g[i + 1] === "*") {
          i++;
          if (g[i + 1] === "/") {
            re += "(?:.*/)?";
            i++;
          } else re += ".*";
        } else re += "[^/]*";
      } else if (c === "?") re += "[^/]";
      else re += c.replace(/[.+^${}()|[\]\\]/g, "\\$&");
    }
    return new RegExp(`${anchored ? "^" : "(^|/)"}${re}(/|$)`);
  }
  // What a user may type in agent-audit.yaml or --exclude, and what a hostile tree may name a file:
  // newlines, a line separator, backslashes, brackets, spaces, leading and trailing slashes.
  const gchars = [
    "a",
    "b",
    ".",
    "*",
    "**",
    "?",
    "/",
    "\\",
    "\n",
    " ",
    "[",
    "]",
    "{",
    "}",
    "é",
    "\u2028",
    "$",
    "^",
    "|",
    "(",
    "+",
  ];
  const pchars = [
    "a",
    "b",
    ".",
    "/",
    "\\",
    "\n",
    " ",
    "[",
    "]",
    "{",
    "é",
    "\u2028",
    "$",
    "^",
    "|",
    "(",
    "+",
    "ab",
    "a.b",
  ];
  const glob = fc.array(fc.constantFrom(...gchars), { minLength: 1, maxLength: 6 }).map((c) => c.join(""));
  const path = fc.array(fc.constantFrom(...pchars), { minLength: 1, maxLength: 7 }).map((c) => c.join(""));

  it("each glob matches exactly where the general form does; anyOf exactly where one of them does", () => {
    fc.assert(
      fc.property(
        fc.array(glob, { minLength: 1, maxLength: 4 }),
        fc.array(path, { minLength: 1, maxLength: 6 }),
        (gs, ps) => {
          const fast = gs.map(globToRegExp);
          const ref = gs.map(general);
          const one = anyOf(fast)!;
          for (const p of ps) {
            for (let i = 0; i < gs.length; i++)
              expect([gs[i], p, fast[i]!.test(p)]).toEqual([gs[i], p, ref[i]!.test(p)]);
            expect([gs, p, one.test(p)]).toEqual([gs, p, ref.some((r) => r.test(p))]);
          }
        },
      ),
      { numRuns: 4000 },
    );
  });

  it("pins the user-facing shapes: trailing and leading slashes, `**`, a newline in a file name", () => {
    const m = (g: string, p: string) => globToRegExp(g).test(p);
    expect(m("*.pem", "keys/a.pem")).toBe(true);
    expect(m("*.pem", "keys/a.pem/inner")).toBe(true);
    expect(m("*.pem", "keys/a.pem.bak")).toBe(false);
    expect(m("*.pem/", "x/a.pem")).toBe(true);
    expect(m("/*.pem", "a.pem")).toBe(true);
    expect(m("/*.pem", "x/a.pem")).toBe(false);
    expect(m(".env*", "x/.env.local")).toBe(true);
    expect(m(".env*", "x/a.env")).toBe(false);
    expect(m("*.pem", "evil\n.pem")).toBe(true);
    expect(m(".env*", "a\n.env")).toBe(false);
    expect(m("**/*.pem", "a/b/c.pem")).toBe(true);
  });
});

describe("bundled CLI (dist/src/bundle) vs the separate modules, with the scan pool's take-back", () => {
  const bin = join(process.cwd(), "dist/src/cli/bin.js");
  const modules = join(process.cwd(), "dist/src/cli/main.js");
  const built = existsSync(join(process.cwd(), "dist/src/bundle/main.js")) && existsSync(modules);
  const root = join(t.dir, "tree");
  const home = join(t.dir, "home");
  const B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  const keys: { path: string; line: number }[] = [];
  let allowed = 0;

  function buildTree(): void {
    mkdirSync(home, { recursive: true });
    const rnd = prng(0x15);
    const prefix = ["AK", "IA"].join("");
    // 700 files of ~16 KB: past the 4 MB after which the scan pool starts, so batches queue at
    // the workers and the main thread takes some back at the end.
    for (let i = 0; i < 700; i++) {
      const rel = `d${i % 23}/e${i % 7}/f${i}.txt`;
      mkdirSync(join(root, `d${i % 23}`, `e${i % 7}`), { recursive: true });
      const lines: string[] = [];
      for (let j = 0; j < 240; j++)
        lines.push(`line ${j} of file ${i}: lorem ipsum dolor sit amet, consectetur`);
      const k = () => prefix + Array.from({ length: 16 }, () => B32[rnd(32)]).join("");
      if (i % 5 === 0) {
        lines[40] = `aws_access_key_id = ${k()}`;
        keys.push({ path: rel, line: 41 });
      }
      if (i % 9 === 0) {
        lines[80] = `aws_access_key_id = ${k()} # agent-audit:allow`;
        allowed++;
      }
      writeFileSync(join(root, rel), `${lines.join("\n")}\n`);
    }
    keys.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : a.line - b.line));
  }
  if (built) buildTree();

  function scan(entry: string, workers: string) {
    const r = spawnSync(
      process.execPath,
      [
        entry,
        "scan",
        "--root",
        root,
        "--home",
        home,
        "--no-env",
        "--sources",
        "tree",
        "--format",
        "json",
      ].concat(["--no-baseline", "--exit-zero", "--no-progress", "--workers", workers]),
      {
        env: { PATH: process.env.PATH ?? "", AGENT_AUDIT_TRACE_WORKERS: "1" },
        encoding: "utf8",
        timeout: 120_000,
      },
    );
    expect(r.status).toBe(0);
    const report = JSON.parse(r.stdout) as {
      findings: { ruleId: string; location: { path: string; line: number } }[];
      issues: unknown[];
      policy?: { suppressed?: { inlineAllow: number; config: number; baseline: number } };
    };
    const aws = report.findings
      .filter((f) => f.ruleId === "aws-access-key-id")
      .map((f) => ({ path: f.location.path, line: f.location.line }))
      .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : a.line - b.line));
    const split = /batches scanned: (\d+) here, (\d+) by workers/.exec(r.stderr);
    return {
      aws,
      count: report.findings.length,
      issues: report.issues,
      suppressed: report.policy?.suppressed,
      byWorkers: split ? Number(split[2]) : 0,
      usedPool: split !== null,
    };
  }

  it.runIf(built)(
    "reports the same findings, counts and issues with and without workers, bundled and not",
    () => {
      const runs = [scan(bin, "2"), scan(bin, "0"), scan(modules, "2"), scan(modules, "0")];
      expect(runs[0]!.usedPool).toBe(true);
      expect(runs[0]!.byWorkers).toBeGreaterThan(0);
      expect(runs[2]!.usedPool).toBe(true);
      for (const r of runs) {
        expect(r.aws).toEqual(keys);
        expect(r.issues).toEqual([]);
        expect(r.suppressed).toEqual({ config: 0, inlineAllow: allowed, baseline: 0 });
        expect(r.count).toBe(runs[1]!.count);
      }
    },
    240_000,
  );
});
