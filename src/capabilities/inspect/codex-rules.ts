// Codex execpolicy rules files (`~/.codex/rules/*.rules`, issue 10). They are Starlark, which
// agent-audit does not run: a rules file is checked as text against the small subset real rules
// files use (calls of prefix_rule, network_rule and host_executable with keyword arguments whose
// values are string literals, lists of them, or lists of lists), so a file Codex would reject, or one
// whose meaning cannot be told without running it, is reported with its line and column.

export type RulesDecision = "allow" | "prompt" | "forbidden";

/** One prefix_rule: each pattern position lists its alternatives. */
export interface PrefixRule {
  line: number;
  decision: RulesDecision;
  pattern: string[][];
}

export type RulesParse =
  | { ok: true; rules: PrefixRule[] }
  | { ok: false; line: number; column: number; reason: string };

const DECISIONS: readonly string[] = ["allow", "prompt", "forbidden"];
const CALLS: Record<string, readonly string[]> = {
  prefix_rule: ["pattern", "decision", "justification", "match", "not_match"],
  network_rule: ["host", "protocol", "decision", "justification"],
  host_executable: ["name", "paths"],
};
const MAX_LIST_DEPTH = 4;

type Tok =
  | { t: "id"; v: string; line: number; col: number }
  | { t: "str"; v: string; line: number; col: number }
  | { t: "p"; v: string; line: number; col: number }
  | { t: "eof"; line: number; col: number };

class RulesError extends Error {
  constructor(
    readonly line: number,
    readonly column: number,
    reason: string,
  ) {
    super(reason);
  }
}

function tokenize(text: string): Tok[] {
  const out: Tok[] = [];
  let line = 1;
  let lineStart = 0;
  let i = 0;
  const col = (at: number) => at - lineStart + 1;
  while (i < text.length) {
    const c = text[i]!;
    if (c === "\n") {
      line++;
      lineStart = ++i;
      continue;
    }
    if (c === " " || c === "\t" || c === "\r") {
      i++;
      continue;
    }
    if (c === "\\" && text[i + 1] === "\n") {
      i += 2;
      line++;
      lineStart = i;
      continue;
    }
    if (c === "#") {
      while (i < text.length && text[i] !== "\n") i++;
      continue;
    }
    const startLine = line;
    const startCol = col(i);
    let raw = false;
    let q = i;
    if ((c === "r" || c === "R") && (text[i + 1] === '"' || text[i + 1] === "'")) {
      raw = true;
      q = i + 1;
    }
    const quote = text[q];
    if (quote === '"' || quote === "'") {
      const triple = text.startsWith(quote.repeat(3), q);
      let j = q + (triple ? 3 : 1);
      let value = "";
      for (;;) {
        if (j >= text.length) throw new RulesError(startLine, startCol, "string is not closed");
        const d = text[j]!;
        if (triple ? text.startsWith(quote.repeat(3), j) : d === quote) {
          j += triple ? 3 : 1;
          break;
        }
        if (d === "\n") {
          if (!triple) throw new RulesError(startLine, startCol, "string is not closed on its line");
          line++;
          lineStart = j + 1;
        }
        if (d === "\\" && !raw) {
          value += text[j + 1] ?? "";
          j += 2;
          continue;
        }
        value += d;
        j++;
      }
      out.push({ t: "str", v: value, line: startLine, col: startCol });
      i = j;
      continue;
    }
    if (/[A-Za-z_]/.test(c)) {
      let j = i + 1;
      while (j < text.length && /[A-Za-z0-9_]/.test(text[j]!)) j++;
      out.push({ t: "id", v: text.slice(i, j), line: startLine, col: startCol });
      i = j;
      continue;
    }
    if ("()[],=;".includes(c)) {
      out.push({ t: "p", v: c, line: startLine, col: startCol });
      i++;
      continue;
    }
    throw new RulesError(
      startLine,
      startCol,
      "unexpected character (only calls with literal arguments are checked)",
    );
  }
  out.push({ t: "eof", line, col: col(i) });
  return out;
}

type Value = string | Value[] | boolean;

/** Checks a rules file's text; the prefix rules it declares when it is well-formed. */
export function parseRules(text: string): RulesParse {
  try {
    return { ok: true, rules: parseTokens(tokenize(text)) };
  } catch (e) {
    if (e instanceof RulesError) return { ok: false, line: e.line, column: e.column, reason: e.message };
    throw e;
  }
}

function parseTokens(toks: Tok[]): PrefixRule[] {
  let k = 0;
  const rules: PrefixRule[] = [];
  const peek = () => toks[k]!;
  const fail = (tok: Tok, reason: string): never => {
    throw new RulesError(tok.line, tok.col, reason);
  };
  const expect = (v: string) => {
    const tok = toks[k]!;
    if (tok.t !== "p" || tok.v !== v) fail(tok, `expected "${v}"`);
    k++;
  };
  const value = (depth: number): Value => {
    const tok = toks[k]!;
    if (tok.t === "str") {
      k++;
      return tok.v;
    }
    if (tok.t === "id" && (tok.v === "True" || tok.v === "False")) {
      k++;
      return tok.v === "True";
    }
    if (tok.t === "p" && tok.v === "[") {
      if (depth >= MAX_LIST_DEPTH) fail(tok, "lists nested too deep");
      k++;
      const items: Value[] = [];
      while (!(peek().t === "p" && (peek() as { v: string }).v === "]")) {
        items.push(value(depth + 1));
        const next = peek();
        if (next.t === "p" && next.v === ",") k++;
        else if (!(next.t === "p" && next.v === "]")) fail(next, 'expected "," or "]"');
      }
      k++;
      return items;
    }
    return fail(tok, "expected a string or a list (only literal arguments are checked)");
  };
  let lastLine = 0;
  let separated = true;
  while (peek().t !== "eof") {
    const tok = peek();
    if (tok.t === "p" && tok.v === ";") {
      k++;
      separated = true;
      continue;
    }
    if (tok.t !== "id" || !Object.hasOwn(CALLS, tok.v))
      fail(tok, "expected a call of prefix_rule, network_rule or host_executable");
    const name = (tok as { v: string }).v;
    if (!separated && tok.line === lastLine) fail(tok, "two statements on one line");
    k++;
    expect("(");
    const args = new Map<string, { v: Value; tok: Tok }>();
    while (!(peek().t === "p" && (peek() as { v: string }).v === ")")) {
      const key = peek();
      if (key.t !== "id") fail(key, "expected a keyword argument (name = value)");
      const kname = (key as { v: string }).v;
      if (!CALLS[name]!.includes(kname)) fail(key, `${name} takes no argument "${kname}"`);
      if (args.has(kname)) fail(key, `argument "${kname}" given twice`);
      k++;
      expect("=");
      const at = peek();
      args.set(kname, { v: value(0), tok: at });
      const next = peek();
      if (next.t === "p" && next.v === ",") k++;
      else if (!(next.t === "p" && next.v === ")")) fail(next, 'expected "," or ")"');
    }
    const close = peek();
    k++;
    lastLine = close.line;
    separated = false;
    if (name === "prefix_rule") rules.push(prefixRule(args, tok, fail));
  }
  return rules;
}

function prefixRule(
  args: Map<string, { v: Value; tok: Tok }>,
  call: Tok,
  fail: (tok: Tok, reason: string) => never,
): PrefixRule {
  const pattern = args.get("pattern");
  if (!pattern) return fail(call, "prefix_rule needs pattern = [...]");
  if (!Array.isArray(pattern.v) || pattern.v.length === 0)
    return fail(pattern.tok, "pattern must be a non-empty list");
  const positions: string[][] = [];
  for (const item of pattern.v) {
    if (typeof item === "string" && item) positions.push([item]);
    else if (Array.isArray(item) && item.length && item.every((a) => typeof a === "string" && a))
      positions.push(item as string[]);
    else fail(pattern.tok, "each pattern item must be a non-empty string or a non-empty list of strings");
  }
  const decision = args.get("decision");
  let d: RulesDecision = "allow";
  if (decision) {
    if (typeof decision.v !== "string" || !DECISIONS.includes(decision.v))
      fail(decision.tok, 'decision must be "allow", "prompt" or "forbidden"');
    d = decision.v as RulesDecision;
  }
  for (const key of ["match", "not_match"]) {
    const ex = args.get(key);
    if (!ex) continue;
    if (
      !Array.isArray(ex.v) ||
      !ex.v.every((e) => typeof e === "string" || (Array.isArray(e) && e.every((w) => typeof w === "string")))
    )
      fail(ex.tok, `${key} must be a list of command strings or of lists of words`);
  }
  const justification = args.get("justification");
  if (justification && typeof justification.v !== "string")
    fail(justification.tok, "justification must be a string");
  return { line: call.line, decision: d, pattern: positions };
}

/** Whether a prefix rule matches a command that starts with these words. */
export function ruleCovers(rule: PrefixRule, words: readonly string[]): boolean {
  if (rule.pattern.length > words.length) return false;
  return rule.pattern.every((alts, i) => alts.includes(words[i]!));
}
