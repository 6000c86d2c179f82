// Environment dumps and dotenv text, parsed as data only (issue 8): pure, linear in the text.

/**
 * Parses an environment dump: the NUL-separated format of /proc/PID/environ, or KEY=VALUE lines
 * (dotenv syntax: quotes, `export ` prefixes and comments are understood).
 *
 * Issue 8: the dump is the agent's. The result has no prototype, so a variable named `__proto__`
 * is kept like any other instead of vanishing into the object's prototype slot; and the
 * KEY=VALUE reader is parseDotenvText below, linear in the text, not the dotenv package (its line
 * regex starts `^\s*` at every line and backtracks over every blank line after it: 40,000 newlines
 * before one word took 3.8 s, 16 MiB would take days).
 */
export function parseEnvDump(buf: Buffer): Record<string, string> {
  if (buf.includes(0)) {
    const env: Record<string, string> = Object.create(null);
    for (const entry of buf.toString("utf8").split("\0")) {
      const eq = entry.indexOf("=");
      if (eq > 0) env[entry.slice(0, eq)] = entry.slice(eq + 1);
    }
    return env;
  }
  return parseDotenvText(buf.toString("utf8"));
}

/** JavaScript's `\s` but the line feed (a dotenv line's blanks: the BOM and Unicode spaces too), by char code. */
function isBlank(c: number): boolean {
  if (c < 0x80) return c === 0x20 || c === 0x09 || c === 0x0b || c === 0x0c;
  return (
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
/** The characters of a key: letters, digits, `_`, `.` and `-` (a table, read per character). */
const KEY_CHARS = new Uint8Array(128);
for (let c = 0; c < 128; c++) KEY_CHARS[c] = /[A-Za-z0-9_.-]/.test(String.fromCharCode(c)) ? 1 : 0;
export const isKeyChar = (c: number): boolean => c < 128 && KEY_CHARS[c] === 1;

const NL = 0x0a;
const HASH = 0x23;

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
export function parseDotenvText(input: string): Record<string, string> {
  const env: Record<string, string> = Object.create(null);
  for (const [key, value] of parseDotenvVars(input)) env[key] = value;
  return env;
}

/**
 * parseDotenvText's variables as a Map, in the order Object.keys lists that function's record:
 * names that are array indices (`0`, `42`) first, in numeric order, then the others in the order
 * each was first declared; a name declared again keeps its place and takes the last value. For the
 * dotenv parser (issue 15): a Map is built several times faster than an object with a property per
 * variable (V8 internalises every property name), and is read without Object.entries' copies.
 */
export function parseDotenvVars(input: string): Map<string, string> {
  const text = input.includes("\r") ? input.replace(/\r\n?/g, "\n") : input;
  const env = new Map<string, string>();
  let indexNames = false;
  const n = text.length;
  // The next `#` at or after the value being read (n: none): found with indexOf, and searched
  // again only once the reading has passed it, so the searches cover the text once in all.
  let hash = -1;
  let i = 0;
  while (i < n) {
    const eol = text.indexOf("\n", i);
    const lineEnd = eol === -1 ? n : eol;
    let p = i;
    while (p < lineEnd && isBlank(text.charCodeAt(p))) p++;
    const lineStart = p;
    if (p + 6 < n && text.startsWith("export", p) && isBlank(text.charCodeAt(p + 6))) {
      p += 6;
      while (p < lineEnd && isBlank(text.charCodeAt(p))) p++;
    }
    let keyStart = p;
    while (p < lineEnd && isKeyChar(text.charCodeAt(p))) p++;
    // `export = x` and `export: x` set a variable named export.
    if (p === keyStart && keyStart !== lineStart) {
      keyStart = lineStart;
      p = lineStart + 6;
    }
    const keyEnd = p;
    // `KEY=value` with blanks around the `=`, or `KEY: value` with the colon right after the key.
    let r = p;
    while (r < lineEnd && isBlank(text.charCodeAt(r))) r++;
    if (r < lineEnd && text.charCodeAt(r) === 0x3d) p = r;
    const sep = p < lineEnd ? text.charCodeAt(p) : -1;
    const colon =
      sep === 0x3a && p + 1 < n && (isBlank(text.charCodeAt(p + 1)) || text.charCodeAt(p + 1) === NL);
    if (keyEnd === keyStart || p >= lineEnd || (sep !== 0x3d && !colon)) {
      i = lineEnd + 1;
      continue;
    }
    const key = text.slice(keyStart, keyEnd);
    const c0 = key.charCodeAt(0);
    if (c0 >= 0x30 && c0 <= 0x39) indexNames ||= isArrayIndex(key);
    p++;
    while (p < lineEnd && isBlank(text.charCodeAt(p))) p++;
    const q = p < lineEnd ? text.charCodeAt(p) : -1;
    if (q === 0x22 || q === 0x27 || q === 0x60) {
      const close = closingQuote(text, p + 1, q);
      if (close !== -1) {
        let v = text.slice(p + 1, close);
        if (q === 0x22) v = expandNewlines(v);
        env.set(key, v);
        const closeEol = text.indexOf("\n", close);
        i = closeEol === -1 ? n : closeEol + 1;
        continue;
      }
    }
    // An unquoted value: to the end of the line or to a `#` after a blank, trimmed. As dotenv
    // does, a value that still starts and ends with the same quote loses both, and one that starts
    // with `"` has `\n` and `\r` expanded.
    let end = lineEnd;
    if (hash !== n && hash < p) hash = indexOrEnd(text, "#", p);
    while (hash < lineEnd) {
      if (hash === p || isBlank(text.charCodeAt(hash - 1))) {
        end = hash;
        break;
      }
      hash = indexOrEnd(text, "#", hash + 1);
    }
    let v = text.slice(p, end).trim();
    // Not charCodeAt(0) of an empty value: a read past a string's end is a path the optimized code
    // of this function does not expect, and throws away (issue 15).
    const vq = v.length > 0 ? v.charCodeAt(0) : -1;
    if (v.length >= 2 && (vq === 0x22 || vq === 0x27 || vq === 0x60) && v.charCodeAt(v.length - 1) === vq)
      v = v.slice(1, -1);
    env.set(key, vq === 0x22 ? expandNewlines(v) : v);
    i = lineEnd + 1;
  }
  return indexNames ? indicesFirst(env) : env;
}

function indexOrEnd(text: string, s: string, from: number): number {
  const i = text.indexOf(s, from);
  return i === -1 ? text.length : i;
}

/** Whether a name is an array index (`0` to `4294967294`, no leading zero): an object lists those first. */
function isArrayIndex(k: string): boolean {
  if (k.length > 10) return false;
  for (let i = 0; i < k.length; i++) {
    const c = k.charCodeAt(i);
    if (c < 0x30 || c > 0x39 || (c === 0x30 && i === 0 && k.length > 1)) return false;
  }
  return Number(k) <= 4294967294;
}

/** The same Map with its array-index names first, in numeric order, as an object would list them. */
function indicesFirst(env: Map<string, string>): Map<string, string> {
  const indices = [...env.keys()].filter(isArrayIndex).sort((a, b) => Number(a) - Number(b));
  const out = new Map<string, string>();
  for (const k of indices) out.set(k, env.get(k)!);
  for (const [k, v] of env) if (!out.has(k)) out.set(k, v);
  return out;
}

/**
 * Offset of the quote closing the one opened just before `from`, or -1. As dotenv's
 * `'(?:\\'|[^'])*'` followed by blanks and an optional comment: the first unescaped quote, or
 * else the escaped ones before it, the furthest first, whichever has only blanks or a comment after
 * it on its line. Each check stops at the first character that is not a blank, and the blanks
 * after two candidates do not overlap: linear.
 */
function closingQuote(text: string, from: number, q: number): number {
  const escaped: number[] = [];
  let first = -1;
  for (let j = from; j < text.length; j++) {
    const c = text.charCodeAt(j);
    if (c === 0x5c && text.charCodeAt(j + 1) === q) escaped.push(++j);
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
  while (r < text.length && isBlank(text.charCodeAt(r))) r++;
  return r === text.length || text.charCodeAt(r) === NL || text.charCodeAt(r) === HASH;
}

function expandNewlines(v: string): string {
  return v.includes("\\") ? v.replace(/\\n/g, "\n").replace(/\\r/g, "\r") : v;
}
