// The dotenv path as it was before issue 15's speed-up (commit 1b8eb65: src/detect/env-text.ts
// parseDotenvText, src/detect/env.ts detectEnvVar, src/detect/parsers/dotenv.ts parseDotenvFile),
// frozen here as the oracle the faster code must agree with exactly (dotenv-fast.test.ts). Only
// the imports and names differ; do not "fix" this file: it is what the old code did.

import type { ContentScanner } from "../../../src/detect/content.js";
import {
  detection,
  type Found,
  type ParseInput,
  type ParseResult,
  sharedScanner,
  TextLocator,
} from "../../../src/detect/parsers/common.js";
import { looksRandom } from "../../../src/detect/randomness.js";
import { defaultRules, type RuleSet } from "../../../src/rules/catalog.js";
import type { Detection, EnvRule } from "../../../src/rules/types.js";

// ---- src/detect/env-text.ts (parseDotenvText and its helpers)

/** JavaScript's `\s` but the line feed (a dotenv line's blanks: the BOM and Unicode spaces too). */
function isBlank(ch: string | undefined): boolean {
  if (ch === undefined) return false;
  const c = ch.charCodeAt(0);
  return (
    c === 0x20 ||
    c === 0x09 ||
    c === 0x0b ||
    c === 0x0c ||
    c === 0xa0 ||
    c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x202f ||
    c === 0x205f ||
    c === 0x3000 ||
    c === 0xfeff
  );
}
const isKeyChar = (c: number) =>
  (c >= 0x30 && c <= 0x39) ||
  (c >= 0x41 && c <= 0x5a) ||
  (c >= 0x61 && c <= 0x7a) ||
  c === 0x5f ||
  c === 0x2e ||
  c === 0x2d;

/**
 * KEY=VALUE lines as the dotenv package reads them (https://github.com/motdotla/dotenv#what-rules-does-the-parsing-engine-follow),
 * in one pass: `export ` prefixes, `KEY=value` or `KEY: value`, keys of letters, digits, `_`, `.`
 * and `-`, values in single, double or back quotes (which may span lines; double quotes expand
 * `\n` and `\r`), `#` comments. Two deliberate differences, both so that a secret is read whole:
 * an unquoted value ends at a `#` only after a blank (a password holding `#` is not cut short, as
 * in a shell), and an unclosed quote is read as an unquoted value. Linear: a closing quote is
 * searched for from an opening quote to the next quote of its kind, which lies at or before the
 * next opening quote of that kind, so the searches for one kind of quote cover disjoint stretches.
 */
export function oldParseDotenvText(input: string): Record<string, string> {
  const text = input.replace(/\r\n?/g, "\n");
  const env: Record<string, string> = Object.create(null);
  const n = text.length;
  let i = 0;
  while (i < n) {
    const eol = text.indexOf("\n", i);
    const lineEnd = eol === -1 ? n : eol;
    let p = i;
    while (p < lineEnd && isBlank(text[p])) p++;
    const lineStart = p;
    if (text.startsWith("export", p) && isBlank(text[p + 6])) {
      p += 6;
      while (p < lineEnd && isBlank(text[p])) p++;
    }
    let keyStart = p;
    while (p < lineEnd && isKeyChar(text.charCodeAt(p))) p++;
    // `export = x` and `export: x` set a variable named export.
    if (p === keyStart && keyStart !== lineStart) {
      keyStart = lineStart;
      p = lineStart + 6;
    }
    const key = text.slice(keyStart, p);
    // `KEY=value` with blanks around the `=`, or `KEY: value` with the colon right after the key.
    let r = p;
    while (r < lineEnd && isBlank(text[r])) r++;
    if (text[r] === "=") p = r;
    const sep = text[p];
    const colon = sep === ":" && (isBlank(text[p + 1]) || text[p + 1] === "\n");
    if (key === "" || p >= lineEnd || (sep !== "=" && !colon)) {
      i = lineEnd + 1;
      continue;
    }
    p++;
    while (p < lineEnd && isBlank(text[p])) p++;
    const q = text[p];
    if (q === '"' || q === "'" || q === "`") {
      const close = closingQuote(text, p + 1, q);
      if (close !== -1) {
        let v = text.slice(p + 1, close);
        if (q === '"') v = expandNewlines(v);
        env[key] = v;
        const closeEol = text.indexOf("\n", close);
        i = closeEol === -1 ? n : closeEol + 1;
        continue;
      }
    }
    env[key] = unquotedValue(text, p, lineEnd);
    i = lineEnd + 1;
  }
  return env;
}

/**
 * Offset of the quote closing the one opened just before `from`, or -1. As dotenv's
 * `'(?:\\'|[^'])*'` followed by blanks and an optional comment: the first unescaped quote, or
 * else the escaped ones before it, the furthest first, whichever has only blanks or a comment after
 * it on its line. Each check stops at the first character that is not a blank, and the blanks
 * after two candidates do not overlap: linear.
 */
function closingQuote(text: string, from: number, q: string): number {
  const escaped: number[] = [];
  let first = -1;
  for (let j = from; j < text.length; j++) {
    const c = text[j];
    if (c === "\\" && text[j + 1] === q) escaped.push(++j);
    else if (c === q) {
      first = j;
      break;
    }
  }
  if (first !== -1 && endsLine(text, first + 1)) return first;
  for (let k = escaped.length - 1; k >= 0; k--) if (endsLine(text, escaped[k]! + 1)) return escaped[k]!;
  return -1;
}

/** Whether only blanks, then the end of the line or a comment, follow `from`. */
function endsLine(text: string, from: number): boolean {
  let r = from;
  while (r < text.length && isBlank(text[r])) r++;
  return r === text.length || text[r] === "\n" || text[r] === "#";
}

/**
 * An unquoted value: to the end of the line or to a `#` after a blank, trimmed. As dotenv does, a
 * value that still starts and ends with the same quote loses both, and one that starts with `"`
 * has `\n` and `\r` expanded.
 */
function unquotedValue(text: string, from: number, lineEnd: number): string {
  let end = lineEnd;
  for (let j = from; j < lineEnd; j++) {
    if (text[j] === "#" && (j === from || isBlank(text[j - 1]))) {
      end = j;
      break;
    }
  }
  let v = text.slice(from, end).trim();
  const q = v[0];
  if (v.length >= 2 && (q === '"' || q === "'" || q === "`") && v.endsWith(q)) v = v.slice(1, -1);
  return q === '"' ? expandNewlines(v) : v;
}

function expandNewlines(v: string): string {
  return v.replace(/\\n/g, "\n").replace(/\\r/g, "\r");
}

// ---- src/detect/env.ts (urlPassword, envRuleSecret, detectEnvVar)

/** user:password in a URL (DATABASE_URL, HTTPS_PROXY): returns the password, or undefined. */
function urlPassword(value: string): string | undefined {
  const m = /^[a-z][a-z0-9+.-]*:\/\/([^:@/\s]*):([^@/\s]+)@/i.exec(value.trim());
  return m?.[2] ? safeDecode(m[2]) : undefined;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

const exactNames = new WeakMap<RuleSet, Map<string, EnvRule[]>>();
/** The env rules listing each exact (upper-case) variable name, in file order; built once per rule set. */
function exactNameIndex(rules: RuleSet): Map<string, EnvRule[]> {
  let index = exactNames.get(rules);
  if (!index) {
    index = new Map();
    for (const rule of rules.env) {
      for (const n of rule.names) {
        const list = index.get(n) ?? [];
        if (!list.includes(rule)) list.push(rule);
        index.set(n, list);
      }
    }
    exactNames.set(rules, index);
  }
  return index;
}

function nameMatches(rule: EnvRule, upper: string): boolean {
  if (rule.names.includes(upper)) return true;
  if (!rule.namePattern?.test(upper)) return false;
  for (const ex of rule.excludeNames) if (ex.test(upper)) return false;
  return true;
}

/**
 * Detections in one environment variable: provider-specific content rules over the value (a
 * `ghp_` token is a token whatever the variable is called), then the name rules gated by shape.
 */
export function oldDetectEnvVar(
  name: string,
  value: string,
  rules: RuleSet,
  scanner: ContentScanner,
): Detection[] {
  const out: Detection[] = [];
  const seen = new Set<string>();
  for (const d of scanner.scan(value, { honourInlineAllows: false })) {
    if (d.priority < 3 || seen.has(d.secret)) continue;
    seen.add(d.secret);
    out.push({ ...d, line: undefined, name });
  }
  if (out.length) return out;
  const upper = name.toUpperCase();
  // Exact-name rules first: they carry the provider. Then every rule in file order.
  const exact = exactNameIndex(rules).get(upper) ?? [];
  for (const rule of exact.length ? [...exact, ...rules.env] : rules.env) {
    if (!nameMatches(rule, upper)) continue;
    const secret = envRuleSecret(rule, value, scanner);
    if (!secret) continue;
    out.push({
      ruleId: rule.id,
      provider: rule.provider,
      type: rule.type,
      severity: rule.severity,
      title: rule.title,
      remediation: rule.remediation,
      secret,
      name,
      priority: 2,
    });
    break;
  }
  return out;
}

/** The secret an env rule sees in a value, or undefined when the value's shape says "not a secret". */
function envRuleSecret(rule: EnvRule, value: string, scanner: ContentScanner): string | undefined {
  const v = value.trim();
  if (rule.value.shape === "url-userinfo") {
    const pw = urlPassword(v);
    return pw && !scanner.isPlaceholder(pw) ? pw : undefined;
  }
  if (v.length < rule.value.minLength || scanner.isPlaceholder(v)) return undefined;
  // A URL with credentials in a secret-named variable: the password is the secret.
  const pw = urlPassword(v);
  if (pw) return scanner.isPlaceholder(pw) ? undefined : pw;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(v)) return undefined;
  if (rule.value.shape === "random" && !looksRandom(v, rule.value.minLength)) return undefined;
  return v;
}

// ---- src/detect/parsers/dotenv.ts (parseDotenvFile), with judgeEnv inlined over the packaged rules

function oldJudgeEnv(
  name: string,
  value: string,
): { secret: string; type: string; provider: string; ruleId: string }[] {
  const rules = defaultRules();
  return oldDetectEnvVar(name, value, rules, sharedScanner(rules)).map((d) => ({
    secret: d.secret,
    type: d.type,
    provider: d.provider,
    ruleId: d.ruleId,
  }));
}

export function oldParseDotenvFile(input: ParseInput): ParseResult {
  const vars = oldParseDotenvText(input.text);
  const loc = new TextLocator(input.text);
  let decls: Map<string, number> | undefined;
  const found: Found[] = [];
  for (const [name, value] of Object.entries(vars)) {
    const judged = oldJudgeEnv(name, value);
    if (judged.length === 0) continue;
    // Only for secrets: where each variable is declared, from one pass over the lines.
    decls ??= declarations(input.text);
    const from = decls.get(name);
    for (const j of judged) {
      found.push({
        secret: j.secret,
        type: j.type,
        viaRuleId: j.ruleId,
        name,
        line: loc.line(j.secret, from),
        ...(j.provider !== "generic" ? { provider: j.provider } : {}),
      });
    }
  }
  return { detections: found.map((f) => detection(input, f)) };
}

const isDeclBlank = (c: string | undefined) => c === " " || c === "\t";
/** As parseDotenvText reads keys: letters, digits, `_`, `.` and `-`. */
function isDeclKeyChar(c: number): boolean {
  return (
    (c >= 0x30 && c <= 0x39) ||
    (c >= 0x41 && c <= 0x5a) ||
    (c >= 0x61 && c <= 0x7a) ||
    c === 0x5f ||
    c === 0x2e ||
    c === 0x2d
  );
}

/**
 * Offset of the last declaration of each variable (`[blanks][export blanks]KEY[blanks](=|:)` at a
 * line start: the last one is the value parseDotenvText keeps), so that a secret's line is looked up
 * from its own declaration rather than from an earlier comment or variable that holds the same text.
 * One pass over the text, each character looked at a bounded number of times (issue 8: the former
 * code built and ran one RegExp over the whole text per variable).
 */
function declarations(text: string): Map<string, number> {
  const out = new Map<string, number>();
  const n = text.length;
  let i = 0;
  while (i < n) {
    const nl = text.indexOf("\n", i);
    const end = nl === -1 ? n : nl;
    let p = i;
    while (p < end && isDeclBlank(text[p])) p++;
    if (text.startsWith("export", p) && isDeclBlank(text[p + 6])) {
      p += 6;
      while (p < end && isDeclBlank(text[p])) p++;
    }
    const keyStart = p;
    while (p < end && isDeclKeyChar(text.charCodeAt(p))) p++;
    const key = text.slice(keyStart, p);
    while (p < end && isDeclBlank(text[p])) p++;
    if (key !== "" && (text[p] === "=" || text[p] === ":")) out.set(key, keyStart);
    i = end + 1;
  }
  return out;
}
