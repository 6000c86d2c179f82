import {
  acceptValue,
  classifyKey,
  detection,
  type Found,
  isPlaceholder,
  type ParseInput,
  type ParseResult,
  uniqueBySecret,
  walkKeys,
} from "./common.js";

// INI and Java-properties style files: ~/.aws/credentials and config
// (https://docs.aws.amazon.com/cli/latest/userguide/cli-configure-files.html), ~/.pypirc, ~/.my.cnf,
// ~/.s3cfg, ~/.boto, rclone.conf, ~/.databrickscfg, ~/.oci/config, gradle.properties.
// Hand-written rather than the `ini` package because findings need line numbers and the format
// family needs a few leniencies (AWS nested sub-sections, my.cnf bare flags and !include lines).

export interface IniEntry {
  section: string;
  key: string;
  value: string;
  /**
   * The other reading of a value that holds ` ;` or ` #` (issue 8): `value` is the text before the
   * inline comment, `alt` the whole text. Readers disagree (below); the parser tries `value` first
   * and `alt` when `value` does not pass, so the secret is found under either reading.
   */
  alt?: string;
  /** 1-based line of the key. */
  line: number;
}

/**
 * The dialects of the family, by what their real readers do (issue 8):
 * - "ini": Python configparser (pypirc via twine, ~/.databrickscfg, ~/.oci/config) and botocore's
 *   `raw_config_parse` (~/.aws) use `RawConfigParser` without `inline_comment_prefixes`, so ` ; x`
 *   stays in the value (bpo-44892; aws-lite/aws-lite#207), while other AWS SDKs and boto 2's
 *   Python 2 ConfigParser strip ` ;`: both readings are kept (value and alt). An indented line
 *   after `key = value` continues the value (configparser: joined with a newline); after `key =`
 *   (empty) it is an AWS nested sub-section key.
 * - "my-cnf": MySQL option files: an unquoted `#` starts a comment anywhere in a line
 *   (https://dev.mysql.com/doc/refman/8.0/en/option-files.html).
 * - "properties": java.util.Properties (gradle.properties): no inline comments; a line ending in an
 *   odd number of backslashes continues on the next line, whose leading blanks are dropped; `\x`
 *   escapes are decoded (https://docs.oracle.com/javase/8/docs/api/java/util/Properties.html#load-java.io.Reader-).
 * - "npmrc": as before (keys hold colons; no comment stripping, no continuation).
 */
export type IniDialect = "ini" | "my-cnf" | "properties" | "npmrc";

/**
 * Entries of an INI-like file, or undefined when a line is none of: section, key=value, key: value,
 * flag, comment, continuation. One pass over the lines: linear in the text.
 */
export function readIni(
  text: string,
  opts: { colon?: boolean; dialect?: IniDialect } = {},
): IniEntry[] | undefined {
  const dialect: IniDialect = opts.dialect ?? (opts.colon === false ? "npmrc" : "ini");
  const colon = opts.colon !== false;
  const out: IniEntry[] = [];
  let section = "";
  let nested = ""; // AWS config: `s3 =` followed by indented `key = value` lines
  let last: IniEntry | undefined; // the entry an indented line may continue ("ini")
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    let raw = lines[i]!;
    const lineNo = i + 1;
    if (dialect === "properties") {
      // A logical line: physical lines joined while one ends in an odd number of backslashes.
      // Parts joined once (issue 8: re-slicing the growing line at every continuation was quadratic).
      if (endsInOddBackslashes(raw)) {
        const parts: string[] = [];
        let part = raw;
        while (endsInOddBackslashes(part) && i + 1 < lines.length) {
          parts.push(part.slice(0, -1));
          part = lines[++i]!.replace(/^[ \t\f]+/, "");
        }
        parts.push(endsInOddBackslashes(part) ? part.slice(0, -1) : part);
        raw = parts.join("");
      }
    }
    const line = raw.trim();
    const indented = /^\s/.test(raw);
    if (
      line === "" ||
      line.startsWith("#") ||
      line.startsWith(";") ||
      (dialect === "properties" && line.startsWith("!"))
    ) {
      if (line === "") last = undefined; // configparser: an empty line ends a multi-line value
      continue;
    }
    if (line.startsWith("!")) continue; // my.cnf !include / !includedir
    if (dialect === "ini" && indented && last && last.value !== "" && !nested) {
      last.value += `\n${stripComment(line, "ini").value}`;
      if (last.alt !== undefined) last.alt += `\n${line}`;
      continue;
    }
    const sec = /^\[([^\]]*)\]\s*([#;].*)?$/.exec(line);
    if (sec) {
      section = sec[1]!.trim();
      nested = "";
      last = undefined;
      continue;
    }
    const kv = splitKeyValue(line, colon);
    if (kv) {
      const key = kv[0];
      const { value, alt } = readValue(kv[1], dialect);
      if (!indented) nested = value === "" ? key : "";
      const entry: IniEntry = {
        section,
        key: indented && nested ? `${nested}.${key}` : key,
        value,
        line: lineNo,
      };
      if (alt !== undefined) entry.alt = alt;
      out.push(entry);
      last = indented && nested ? undefined : entry;
      continue;
    }
    if (/^[\w.-]+$/.test(line)) continue; // a bare flag (my.cnf `skip-external-locking`) or a properties key without value
    if (indented) continue; // a continuation line of a multi-line value
    return undefined;
  }
  return out;
}

/** A character JavaScript's `\s` matches (and `trim` removes). */
const isSpace = (c: string | undefined) => c !== undefined && /\s/.test(c);
/** A character JavaScript's `.` does not match. */
const isTerminator = (c: string | undefined) => c === "\n" || c === "\r" || c === "\u2028" || c === "\u2029";

/**
 * `key = value` (or `key: value` when `colon`) of a trimmed line, both trimmed, or undefined: what
 * `^([^=:\s][^=:]*?)\s*[=:]\s*(.*)$` matched, in one pass (issue 8: that regex backtracked over a
 * run of blanks inside a line, quadratically: a 200 KB line took 55 s). The key runs to the first
 * separator; the value holds no line terminator (`.`).
 */
function splitKeyValue(line: string, colon: boolean): [string, string] | undefined {
  const c0 = line[0];
  if (c0 === undefined || c0 === "=" || (colon && c0 === ":") || isSpace(c0)) return undefined;
  let sep = 1;
  while (sep < line.length && line[sep] !== "=" && !(colon && line[sep] === ":")) sep++;
  if (sep === line.length) return undefined;
  let v = sep + 1;
  while (v < line.length && isSpace(line[v])) v++;
  for (let j = v; j < line.length; j++) if (isTerminator(line[j])) return undefined;
  return [line.slice(0, sep).trim(), line.slice(v).trim()];
}

/**
 * A value quoted from its first character to a closing quote that only an inline comment follows:
 * what `^(["'])(.*?)\1(\s*[;#].*)?$` matched, in one pass (issue 8: after each candidate quote the
 * regex ran `.*` to a line terminator and back). Returns the text between the quotes.
 */
function quotedValue(v: string): string | undefined {
  const q = v[0];
  if (q !== '"' && q !== "'") return undefined;
  let lastTerminator = -1;
  for (let j = 0; j < v.length; j++) if (isTerminator(v[j])) lastTerminator = j;
  for (let k = 1; k < v.length && !isTerminator(v[k]); k++) {
    if (v[k] !== q) continue;
    let j = k + 1;
    while (j < v.length && isSpace(v[j])) j++;
    // Nothing after the quote, or blanks, a comment starter and a comment without a line terminator.
    if (j === k + 1 && j === v.length) return v.slice(1, k);
    if (j < v.length && (v[j] === ";" || v[j] === "#") && lastTerminator < j) return v.slice(1, k);
  }
  return undefined;
}

function endsInOddBackslashes(s: string): boolean {
  let n = 0;
  for (let i = s.length - 1; i >= 0 && s[i] === "\\"; i--) n++;
  return n % 2 === 1;
}

/** A value as the dialect's reader sees it, and the other reading when an inline comment is ambiguous. */
function readValue(v: string, dialect: IniDialect): { value: string; alt?: string } {
  if (dialect === "properties") return { value: unescapeProperties(v) };
  if (dialect === "npmrc") return { value: unquote(v) };
  const q = quotedValue(v);
  if (q !== undefined) return { value: q };
  return stripComment(v, dialect);
}

/** `value` without an inline comment; `alt` the whole text when there was one ("ini" only). */
function stripComment(v: string, dialect: IniDialect): { value: string; alt?: string } {
  const m = dialect === "my-cnf" ? /#/.exec(v) : /\s[;#]/.exec(v);
  if (!m) return { value: v };
  const value = v.slice(0, m.index).trimEnd();
  return dialect === "ini" ? { value, alt: v } : { value };
}

const PROPERTY_ESCAPES: Record<string, string> = { t: "\t", n: "\n", r: "\r", f: "\f" };
function unescapeProperties(v: string): string {
  return v.replace(/\\(u[0-9A-Fa-f]{4}|[\s\S])/g, (_, e: string) =>
    e.length === 5 ? String.fromCharCode(Number.parseInt(e.slice(1), 16)) : (PROPERTY_ESCAPES[e] ?? e),
  );
}

function unquote(v: string): string {
  const m = /^(["'])(.*)\1$/.exec(v);
  return m ? m[2]! : v;
}

/**
 * Keys whose names are AWS's own (botocore's config variable names): provider and type are known.
 * A Map (issue 8): looked up in a plain object, a file's key `constructor` or `__proto__` found
 * Object.prototype's members and was reported as an AWS secret with a function for its type.
 */
const AWS_KEYS = new Map([
  ["aws_secret_access_key", "secret-access-key"],
  ["aws_session_token", "session-token"],
  ["aws_security_token", "session-token"],
]);

export function parseIni(input: ParseInput, dialect: IniDialect = "ini"): ParseResult {
  const entries = readIni(input.text, { dialect });
  if (!entries) return { detections: [], malformed: "not valid INI" };
  const found: Found[] = [];
  for (const e of entries) {
    // The comment-free reading first, then the whole text (issue 8): whichever passes is the secret.
    for (const value of e.alt === undefined ? [e.value] : [e.value, e.alt]) {
      if (judgeEntry(e, value, found)) break;
    }
  }
  return { detections: uniqueBySecret(found).map((f) => detection(input, f)) };
}

/** Adds the findings of one entry read as `value`; true when it found any. */
function judgeEntry(e: IniEntry, value: string, found: Found[]): boolean {
  const before = found.length;
  const name = e.section ? `${e.section}.${e.key}` : e.key;
  const aws = AWS_KEYS.get(e.key.toLowerCase());
  if (aws) {
    if (value && !isPlaceholder(value) && value.length >= 16)
      found.push({ secret: value, type: aws, name, line: e.line, provider: "aws" });
    return found.length > before;
  }
  // rclone keeps OAuth tokens as a JSON object on one line: walk it for the tokens inside.
  if (value.startsWith("{")) {
    const inner = tryJson(value);
    if (inner !== undefined) {
      walkKeys(inner, (f) => {
        found.push({ secret: f.value, type: f.type, name: `${name}.${f.path}`, line: e.line });
      });
      return found.length > before;
    }
  }
  const type = classifyKey(e.key);
  if (type && acceptValue(type, value)) found.push({ secret: value, type, name, line: e.line });
  return found.length > before;
}

function tryJson(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return undefined;
  }
}
