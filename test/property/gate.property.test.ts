import { readFileSync } from "node:fs";
import { join, posix } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decide, isNormalPath } from "../../src/capabilities/gate/engine.js";
import { builtinPolicy } from "../../src/capabilities/gate/load.js";
import { normalizeCommand } from "../../src/capabilities/gate/normalize.js";
import { ParseError, parseScript } from "../../src/capabilities/gate/parse.js";
import { DECISIONS, GATE_CATEGORIES, type Verdict } from "../../src/capabilities/gate/types.js";

// Issue 11, "Done when": random and mutated shell strings never make the gate throw or hang, and
// the gate answers ask or deny whenever it cannot parse. Mutations that keep a dangerous command's
// meaning (wrappers, carriers, spacing, comments, lists) never turn it into allow.

const policy = builtinPolicy();
const ctx = { cwd: "/home/agent/project", home: "/home/agent" };
const ruleIds = new Set(policy.rules.map((r) => r.id));

/** The verdict is well formed: a decision, known rule ids (none exactly when allow), a reason, categories. */
function wellFormed(v: Verdict): void {
  expect(DECISIONS).toContain(v.decision);
  expect(Array.isArray(v.rules)).toBe(true);
  for (const id of v.rules) expect(ruleIds.has(id), id).toBe(true);
  expect(new Set(v.rules).size).toBe(v.rules.length);
  expect(v.rules.length === 0).toBe(v.decision === "allow");
  expect(typeof v.reason).toBe("string");
  expect(v.reason.length).toBeGreaterThan(0);
  for (const c of v.categories) expect(GATE_CATEGORIES).toContain(c);
}

const parses = (text: string): boolean => {
  try {
    parseScript(text);
    return true;
  } catch (err) {
    if (err instanceof ParseError) return false;
    throw err;
  }
};

// ---- generators

const SHELL_CHARS = ["$", "(", ")", "{", "}", "'", '"', "`", "\\", ";", "&", "|", "<", ">", "#", "\n", " "];
const SHELL_WORDS = [
  "rm",
  "-rf",
  "~",
  "/",
  "sh",
  "bash",
  "-c",
  "eval",
  "<<EOF",
  "<<-EOF",
  "<<'EOF'",
  "EOF",
  "<<<",
  "$(",
  "${",
  "$((",
  "((",
  "))",
  "[[",
  "]]",
  "x",
  "X=",
  "$X",
  "=",
  "*",
  "if",
  "then",
  "fi",
  "for",
  "do",
  "done",
  "case",
  "in",
  "esac",
  "function",
  "f()",
  "alias",
  "sudo",
  "env",
  "xargs",
  "curl",
  "python3",
  "-e",
  "$'\\x72'",
  "\t",
  "<(",
  ">(",
  "2>&1",
  "&&",
  "||",
];
/** Shell-like text: mostly the shell's metacharacters and words that carry commands. */
const shellText = fc
  .array(
    fc.oneof(
      { weight: 5, arbitrary: fc.constantFrom(...SHELL_CHARS) },
      { weight: 4, arbitrary: fc.constantFrom(...SHELL_WORDS) },
      { weight: 1, arbitrary: fc.string({ maxLength: 3 }) },
    ),
    { maxLength: 60 },
  )
  .map((parts) => parts.join(""));
/** Any text at all: full Unicode (lone surrogates included), or shell-like text. */
const anyText = fc.oneof(
  fc.string({ unit: "binary", maxLength: 120 }),
  fc.string({ unit: "grapheme", maxLength: 120 }),
  shellText,
);

describe("gate: arbitrary input (issue 11)", () => {
  it("never throws and always answers a well-formed verdict", () => {
    fc.assert(
      fc.property(anyText, (text) => {
        wellFormed(decide(text, ctx, policy));
      }),
      { numRuns: 1500 },
    );
  });

  it("answers ask or deny, with gate-unparseable, whenever the parser rejects what it would parse", () => {
    let rejected = 0;
    fc.assert(
      fc.property(anyText, (text) => {
        if (parses(normalizeCommand(text).text)) return;
        rejected++;
        const v = decide(text, ctx, policy);
        expect(v.decision).not.toBe("allow");
        expect(v.rules).toContain("gate-unparseable");
      }),
      { numRuns: 1500 },
    );
    // The property is not vacuous: shell-like text is often unparseable.
    expect(rejected).toBeGreaterThan(100);
  });

  it("answers ask or deny, with gate-unparseable, for shell text the parser rejects as written", () => {
    fc.assert(
      fc.property(shellText, (text) => {
        fc.pre(!parses(text));
        const v = decide(text, ctx, policy);
        expect(v.decision).not.toBe("allow");
        expect(v.rules).toContain("gate-unparseable");
      }),
      { numRuns: 500 },
    );
  });
});

// ---- mutation of the dangerous corpus

const dangerous = readFileSync(
  join(import.meta.dirname, "../../fixtures/gate/corpus/dangerous.jsonl"),
  "utf8",
)
  .split("\n")
  .filter(Boolean)
  .map((l) => (JSON.parse(l) as { command: string }).command);

const KEYWORDS = new Set([
  "if",
  "for",
  "while",
  "until",
  "case",
  "select",
  "function",
  "time",
  "coproc",
  "{",
  "[[",
  "((",
  "!",
]);
/** Builtins that only the shell itself can run (env and timeout would run a program of that name). */
const BUILTINS = new Set([
  "cd",
  "eval",
  "export",
  "unset",
  "alias",
  "source",
  ".",
  "set",
  "read",
  "declare",
  "typeset",
  "local",
  "readonly",
  "exec",
  "trap",
  "shopt",
  "pushd",
  "popd",
  "builtin",
  "let",
  "command",
]);

/** The first word, when the command starts with a plain simple command (not a keyword, a group or a function). */
function firstWord(cmd: string): string | undefined {
  if (/^\s|^[#(]/.test(cmd)) return undefined;
  const m = /^[^\s;&|<>()]+/.exec(cmd);
  if (!m) return undefined;
  const w = m[0];
  if (KEYWORDS.has(w) || w.startsWith("{")) return undefined;
  if (/^\s*\(\)/.test(cmd.slice(w.length)) || w.endsWith("()")) return undefined;
  return w;
}
const isAssign = (w: string) => /^[A-Za-z_][A-Za-z0-9_]*(\[[^\]]*\])?\+?=/.test(w);

/** Widens every unquoted blank between words (never inside quotes, `${...}` or a heredoc). */
function widen(cmd: string, pick: (i: number) => string): string | undefined {
  if (cmd.includes("<<")) return undefined;
  let out = "";
  let quote: "'" | '"' | "`" | "$'" | undefined;
  let braces = 0;
  let n = 0;
  for (let i = 0; i < cmd.length; i++) {
    const c = cmd[i]!;
    if (c === "\\" && quote !== "'") {
      out += c + (cmd[i + 1] ?? "");
      i++;
      continue;
    }
    if (quote) {
      if ((quote === "$'" && c === "'") || c === quote) quote = undefined;
      out += c;
      continue;
    }
    if (braces) {
      if (c === "}") braces--;
      if (c === "{") braces++;
      out += c;
      continue;
    }
    if (c === "$" && cmd[i + 1] === "{") {
      braces = 1;
      out += "${";
      i++;
      continue;
    }
    if (c === "$" && cmd[i + 1] === "'") {
      quote = "$'";
      out += "$'";
      i++;
      continue;
    }
    if (c === "'" || c === '"' || c === "`") {
      quote = c;
      out += c;
      continue;
    }
    if (c === " ") {
      out += pick(n++);
      continue;
    }
    out += c;
  }
  return n ? out : undefined;
}

const shQuote = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;

type Mutation = (cmd: string) => string | undefined;
const BLANKS = ["  ", "\t", " \t ", "   "];
const MUTATIONS: Record<string, Mutation> = {
  "extra blanks": (c) => widen(c, (i) => BLANKS[i % BLANKS.length]!),
  "bash -c": (c) => (c.includes("alias ") ? undefined : `bash -c ${shQuote(c)}`),
  env: (c) => {
    const w = firstWord(c);
    return w && !isAssign(w) && !BUILTINS.has(w) ? `env ${c}` : undefined;
  },
  "FOO=1": (c) => (firstWord(c) ? `FOO=1 ${c}` : undefined),
  // Not applied when a -v or -V word follows: the engine reads `command rm -v -rf ~` as the lookup
  // `command -v` (an engine defect, reported, not enshrined here).
  command: (c) => {
    const w = firstWord(c);
    return w && !isAssign(w) && !/\s-[vV](\s|$)/.test(c) ? `command ${c}` : undefined;
  },
  "timeout 5": (c) => {
    const w = firstWord(c);
    return w && !isAssign(w) && !BUILTINS.has(w) ? `timeout 5 ${c}` : undefined;
  },
  subshell: (c) => (c.includes("alias ") ? undefined : `( ${c}\n)`),
  "; true": (c) => (/<<|&\s*$|#/.test(c) ? `${c}\ntrue` : `${c}; true`),
  "true &&": (c) => `true && ${c}`,
  "#comment": (c) => `#comment\n${c}`,
};

describe("gate: meaning-preserving mutations of every dangerous corpus command stay not allow", () => {
  it("has the corpus", () => {
    expect(dangerous.length).toBeGreaterThanOrEqual(300);
  });

  for (const [name, mutate] of Object.entries(MUTATIONS)) {
    it(name, () => {
      let applied = 0;
      const missed: string[] = [];
      for (const cmd of dangerous) {
        const m = mutate(cmd);
        if (m === undefined) continue;
        applied++;
        if (decide(m, ctx, policy).decision === "allow") missed.push(m);
      }
      expect(missed).toEqual([]);
      expect(applied).toBeGreaterThan(dangerous.length / 4);
    });
  }

  it("compositions of up to three mutations", () => {
    const names = Object.keys(MUTATIONS);
    fc.assert(
      fc.property(
        fc.constantFrom(...dangerous),
        fc.array(fc.constantFrom(...names), { minLength: 1, maxLength: 3 }),
        (cmd, steps) => {
          let m = cmd;
          for (const s of steps) m = MUTATIONS[s]!(m) ?? m;
          expect({ m, decision: decide(m, ctx, policy).decision }).not.toEqual({ m, decision: "allow" });
        },
      ),
      { numRuns: 1000 },
    );
  });
});

// ---- size: large nested or repeated input finishes

const FRAGMENTS = [
  "$(",
  "${",
  "'",
  '"',
  "`",
  "<<EOF\n",
  "((",
  "(",
  "{ ",
  "\\",
  "$((",
  "<(",
  "a|",
  "x; ",
  "eval ",
];
const CLOSERS: Record<string, string> = {
  "$(": ")",
  "${": "}",
  "((": "))",
  "(": ")",
  "{ ": "; }",
  "$((": "))",
  "<(": ")",
};

describe("gate: large inputs finish (no exponential parse, no catastrophic work)", () => {
  it("repeated fragments up to 200 KB", () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom(...FRAGMENTS), { minLength: 1, maxLength: 3 }),
        fc.integer({ min: 1_000, max: 200_000 }),
        fc.boolean(),
        (frags, size, close) => {
          const unit = frags.join("");
          const times = Math.max(1, Math.floor(size / (unit.length * 2)));
          const closer = frags
            .map((f) => CLOSERS[f] ?? "")
            .reverse()
            .join("");
          const text = `rm -rf ~; ${unit.repeat(times)}${close ? closer.repeat(times) : ""}`;
          expect(text.length).toBeLessThanOrEqual(200_100 + closer.length * times);
          const v = decide(text, ctx, policy);
          wellFormed(v);
          expect(v.decision).not.toBe("allow");
        },
      ),
      { numRuns: 40 },
    );
  });

  const big: [string, string][] = [
    ["nested substitutions", `${"$(".repeat(50_000)}rm -rf ~${")".repeat(50_000)}`],
    ["nested parameter expansions", `echo ${"${x:-".repeat(33_000)}${"}".repeat(33_000)}`],
    ["nested subshells", `${"(".repeat(60_000)}ls${")".repeat(60_000)}`],
    ["nested arithmetic", `echo ${"$((".repeat(30_000)}1${"))".repeat(30_000)}`],
    ["many heredoc markers", `cat ${"<<EOF ".repeat(30_000)}\nEOF\n`],
    ["alternating quotes", `echo ${"'\"".repeat(100_000)}`],
    ["a long list", "echo a; ".repeat(25_000)],
    ["a long pipeline", `${"cat|".repeat(40_000)}cat`],
    ["nested carriers", `${"bash -c ".repeat(20_000)}ls`],
    ["a long word", `echo ${"a".repeat(200_000)}`],
    ["many backslashes", `echo ${"\\".repeat(200_000)}`],
  ];
  it.each(big)("%s", (_name, text) => {
    expect(text.length).toBeLessThanOrEqual(200_000 + 20);
    wellFormed(decide(text, ctx, policy));
  });
});

describe("gate: the path fast paths agree with node:path", () => {
  const seg = fc.constantFrom("", ".", "..", "a", "b.c", "..x", ".x", "x.", "...", " ");
  const pathText = fc.array(seg, { maxLength: 6 }).map((s) => s.join("/"));
  it("isNormalPath(p) holds only when posix.normalize(p) is p without a trailing slash", () => {
    fc.assert(
      fc.property(pathText, (t) => {
        for (const p of [t, `/${t}`, `//${t}`, `/${t}/`]) {
          if (isNormalPath(p)) {
            expect(posix.normalize(p)).toBe(p);
            expect(p === "/" || !p.endsWith("/")).toBe(true);
          }
        }
      }),
      { numRuns: 2000 },
    );
  });
  it("holds for the plain cases and not for the others", () => {
    expect(["/", "/a", "/a/b.c", "/a/..x", "/.x"].map(isNormalPath)).toEqual([true, true, true, true, true]);
    expect(["", "a", "/a/", "//a", "/a/./b", "/a/../b", "/a/.", "/a/.."].map(isNormalPath)).toEqual([
      false,
      false,
      false,
      false,
      false,
      false,
      false,
      false,
    ]);
  });
});
