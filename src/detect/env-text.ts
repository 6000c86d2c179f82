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
export function parseDotenvText(input: string): Record<string, string> {
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
