// Interpreter one-liners as data (issue 11). `python -c CODE`, `node -e CODE`, `perl -e CODE`,
// `ruby -e CODE`, `php -r CODE` and code fed to an interpreter on stdin are read here with one
// left-to-right tokenizer per language (string literal forms, comments, escapes, interpolation), then
// one pass over the tokens reports what the code does: the shell commands it spawns, the paths it
// deletes and writes, the paths it mentions, network use, evaluation of built code and environment
// reads. The code is hostile: every loop moves forward, nothing recurses on the input, nothing throws,
// and where the reading is uncertain the facts err towards reporting (a spurious fact costs a question).

import { shellQuote } from "../../util/shell-quote.js";
import { stripVersionSuffix } from "./chars.js";

export type InterpLang = "python" | "node" | "perl" | "ruby" | "php";

const INTERPRETERS: Record<string, InterpLang> = {
  python: "python",
  pypy: "python",
  ipython: "python",
  node: "node",
  nodejs: "node",
  bun: "node",
  deno: "node",
  tsx: "node",
  "ts-node": "node",
  perl: "perl",
  ruby: "ruby",
  jruby: "ruby",
  truffleruby: "ruby",
  php: "php",
  "php-cli": "php",
  "php-cgi": "php",
};

/** The interpreter a command name runs (python3.12 -> python, nodejs -> node, bun/deno -> node, ...), or undefined. */
export function interpreterOf(name: string): InterpLang | undefined {
  if (name.length > 200) return undefined;
  let base = name.slice(name.lastIndexOf("/") + 1).toLowerCase();
  if (base.endsWith(".exe")) base = base.slice(0, -4);
  base = stripVersionSuffix(base);
  return Object.hasOwn(INTERPRETERS, base) ? INTERPRETERS[base] : undefined;
}

export interface InterpFacts {
  /** String literals the code hands to a process-spawning API, as shell command text. */
  shell: string[];
  /** A spawning API is called with something that is not a plain literal. */
  dynamicSpawn: boolean;
  /** Literal paths the code deletes. */
  deletes: string[];
  /** A delete API is called with a non-literal argument. */
  dynamicDelete: boolean;
  /** Literal paths opened or written for writing/appending. */
  writes: string[];
  /** Every string literal that looks like a filesystem path, in order, deduplicated. */
  paths: string[];
  /** The code uses a network API. */
  network: boolean;
  /** The code evaluates code it builds or downloads. */
  evaluates: boolean;
  /** Reads environment variables. */
  readsEnv: boolean;
  /** Names of environment variables read literally. */
  envNames: string[];
}

// ---------------------------------------------------------------------------------------------
// Tokens

type Kind = "id" | "str" | "list" | "p" | "num" | "nl";

interface Tok {
  k: Kind;
  /** id: dotted chain (separators normalised to "."; a leading "." is a member after an expression); str: decoded text; p: punctuation. */
  v: string;
  /** str: interpolated or unterminated (not a plain literal). */
  dyn: boolean;
  /** str: runs as a shell command (backticks, qx//, %x()). */
  cmd: boolean;
  /** str: a JS template literal. */
  tmpl: boolean;
  /** Whitespace precedes the token. */
  sp: boolean;
  /** list: the words of qw()/%w(). */
  items: string[] | undefined;
  /** str: the literal segments between interpolations. */
  parts: string[] | undefined;
}

/** Every token has the same shape (one hidden class for the engine). */
function mk(k: Kind, v: string, dyn = false, cmd = false): Tok {
  return { k, v, dyn, cmd, tmpl: false, sp: false, items: undefined, parts: undefined };
}
function wordList(tok: Tok): Tok {
  const t = mk("list", tok.v);
  t.items = tok.v.split(/\s+/).filter((w) => w !== "");
  t.sp = tok.sp;
  return t;
}

type Esc = "py" | "raw" | "c" | "sq" | "none";
type Interp = "none" | "pyf" | "js" | "ruby" | "perl" | "php";

interface StrState {
  close: string;
  open: string;
  nest: number;
  esc: Esc;
  interp: Interp;
  /** Ends (unterminated) at a newline. */
  line: boolean;
  parts: string[] | undefined;
  buf: string;
  dyn: boolean;
  cmd: boolean;
  tmpl: boolean;
  contentStart: number;
  sp: boolean;
}

interface Frame {
  st: StrState;
  depth: number;
}

const BRACKET: Record<string, string> = { "(": ")", "[": "]", "{": "}", "<": ">" };
const TWO_CHAR = new Set([
  "==",
  "!=",
  "=>",
  "<=",
  ">=",
  "=~",
  "!~",
  "&&",
  "||",
  "+=",
  "-=",
  "*=",
  "|=",
  ".=",
]);
const MAX_RESCUES = 8;

function isIdStart(c: number, lang: InterpLang): boolean {
  return (
    (c >= 97 && c <= 122) ||
    (c >= 65 && c <= 90) ||
    c === 95 ||
    c > 127 ||
    (lang === "node" && (c === 36 || c === 35)) ||
    (lang === "php" && c === 92)
  );
}
function isIdChar(c: number, lang: InterpLang): boolean {
  return isIdStart(c, lang) || (c >= 48 && c <= 57);
}
function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}
function isHex(s: string): boolean {
  return s.length > 0 && /^[0-9a-fA-F]+$/.test(s);
}
function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 13 || c === 12 || c === 11;
}

const REGEX_KEYWORDS = new Set([
  "return",
  "typeof",
  "instanceof",
  "in",
  "of",
  "new",
  "delete",
  "void",
  "throw",
  "case",
  "do",
  "else",
  "yield",
  "await",
  "and",
  "or",
  "not",
  "if",
  "unless",
  "when",
  "while",
  "until",
  "split",
  "grep",
  "map",
  "join",
  "push",
  "unshift",
  "puts",
  "print",
]);

const PUNCT = new Map<string, Tok>();
const PUNCT_SP = new Map<string, Tok>();
const NL = mk("nl", "\n");

class Tokenizer {
  readonly toks: Tok[] = [];
  private pos = 0;
  private depth = 0;
  private readonly stack: Frame[] = [];
  private rescues = 0;
  private heredocMisses = 0;
  private sp = false;
  private heredocFrom = -1;
  private heredocTo = -1;
  private readonly n: number;

  constructor(
    private readonly src: string,
    private readonly lang: InterpLang,
  ) {
    this.n = src.length;
  }

  private emit(t: Tok): void {
    if (this.sp) t.sp = true;
    this.sp = false;
    this.toks.push(t);
  }
  private emitP(k: Kind, v: string): void {
    if (k !== "p") {
      this.emit(mk(k, v));
      return;
    }
    // punctuation tokens are never changed once emitted: share them (bracket floods allocate nothing)
    const cache = this.sp ? PUNCT_SP : PUNCT;
    let t = cache.get(v);
    if (!t) {
      t = mk("p", v);
      t.sp = this.sp;
      cache.set(v, t);
    }
    this.sp = false;
    this.toks.push(t);
  }

  private prev(): Tok | undefined {
    return this.toks[this.toks.length - 1];
  }

  /** Expression position: a `/` here starts a regex, a `%(` a literal. */
  private exprPos(): boolean {
    const p = this.prev();
    if (!p) return true;
    if (p.k === "p") return p.v !== ")" && p.v !== "]" && p.v !== "}";
    if (p.k === "nl") return true;
    if (p.k === "id") {
      if (REGEX_KEYWORDS.has(p.v)) return true;
      return this.lang === "perl" && !/^[$@%&]/.test(p.v) && !p.v.startsWith(".");
    }
    return false;
  }

  private atLineStart(i: number): boolean {
    return i === 0 || this.src.charCodeAt(i - 1) === 10;
  }

  run(): Tok[] {
    const { src, lang } = this;
    const n = this.n;
    if (lang === "node" && src.startsWith("#!")) this.pos = this.lineEnd(0);
    while (this.pos < n) {
      if (this.heredocFrom >= 0 && this.pos >= this.heredocFrom) {
        if (this.pos < this.heredocTo) this.pos = this.heredocTo;
        this.heredocFrom = -1;
        continue;
      }
      const i = this.pos;
      const c = src.charCodeAt(i);
      if (c === 10) {
        if ((lang === "python" || lang === "ruby") && this.depth === 0) {
          const p = this.prev();
          if (p && p.k !== "nl") this.toks.push(NL);
        }
        this.sp = true;
        this.pos++;
        continue;
      }
      if (isSpace(c)) {
        this.sp = true;
        this.pos++;
        continue;
      }
      if (c === 92 && lang !== "php" && src.charCodeAt(i + 1) === 10) {
        this.pos += 2;
        this.sp = true;
        continue;
      }
      if (this.comment(i, c)) continue;
      if ((lang === "perl" || lang === "ruby") && this.atLineStart(i)) {
        if (src.startsWith("__END__", i) || (lang === "perl" && src.startsWith("__DATA__", i))) break;
        if (c === 61 && isIdStart(src.charCodeAt(i + 1), lang)) {
          // POD (=pod ... =cut) / =begin ... =end
          const endMark = lang === "perl" ? "\n=cut" : "\n=end";
          const e = src.indexOf(endMark, i);
          this.pos = e < 0 ? n : this.lineEnd(e + 1);
          continue;
        }
      }
      const top = this.stack[this.stack.length - 1];
      if (top && c === 125) {
        if (top.depth === 0) {
          this.stack.pop();
          this.pos = i + 1;
          this.scanString(top.st);
          continue;
        }
        top.depth--;
      } else if (top && c === 123) {
        top.depth++;
      }
      if (this.stringStart(i, c)) continue;
      if (
        isIdStart(c, lang) ||
        ((lang === "perl" || lang === "php") && c === 36) ||
        (lang === "perl" && (c === 64 || c === 37 || c === 38) && this.sigilVar(i))
      ) {
        this.ident(i);
        continue;
      }
      if (isDigit(c)) {
        let j = i + 1;
        while (j < n) {
          const d = src.charCodeAt(j);
          if (isIdChar(d, lang) || (d === 46 && isDigit(src.charCodeAt(j + 1)))) j++;
          else break;
        }
        this.emitP("num", src.slice(i, j));
        this.pos = j;
        continue;
      }
      if (c === 46 && lang !== "perl" && lang !== "php" && isIdStart(src.charCodeAt(i + 1), lang)) {
        // a member access after an expression: Path("x").unlink
        this.ident(i + 1, ".");
        continue;
      }
      if (c === 47 && (lang === "node" || lang === "perl" || lang === "ruby") && this.exprPos()) {
        const e = this.regexEnd(i + 1, 47);
        if (e > 0) {
          this.emitP("p", "/re/");
          this.pos = e;
          continue;
        }
      }
      // punctuation
      const c2 = src.charCodeAt(i + 1);
      const two = c2 === 61 || c2 === 62 || c2 === 126 || c2 === 38 || c2 === 124 ? src.slice(i, i + 2) : "";
      if (two !== "" && TWO_CHAR.has(two)) {
        this.emitP("p", two);
        this.pos = i + 2;
        continue;
      }
      const ch = src[i]!;
      if (ch === "(" || ch === "[" || ch === "{") this.depth++;
      else if ((ch === ")" || ch === "]" || ch === "}") && this.depth > 0) this.depth--;
      this.emitP("p", ch);
      this.pos = i + 1;
    }
    // strings still open around an unclosed interpolation are unterminated
    for (let f = this.stack.pop(); f; f = this.stack.pop()) {
      this.rescues = MAX_RESCUES;
      this.finish(f.st, false, false);
    }
    return this.toks;
  }

  private lineEnd(i: number): number {
    const e = this.src.indexOf("\n", i);
    return e < 0 ? this.n : e;
  }

  private sigilVar(i: number): boolean {
    const d = this.src.charCodeAt(i + 1);
    return isIdStart(d, this.lang) || d === 123 || d === 58;
  }

  private comment(i: number, c: number): boolean {
    const { src, lang } = this;
    if (c === 35 && lang !== "node") {
      if (lang === "php" && src.charCodeAt(i + 1) === 91) return false; // #[Attribute]
      this.pos = this.lineEnd(i);
      return true;
    }
    if ((lang === "node" || lang === "php") && c === 47) {
      const d = src.charCodeAt(i + 1);
      if (d === 47) {
        this.pos = this.lineEnd(i);
        return true;
      }
      if (d === 42) {
        const e = src.indexOf("*/", i + 2);
        this.pos = e < 0 ? this.n : e + 2;
        this.sp = true;
        return true;
      }
    }
    if (lang === "php" && src.startsWith("<?php", i)) {
      this.pos = i + 5;
      return true;
    }
    return false;
  }

  /** A regex body from j (after the opening delimiter) to its end, on one line; -1 if it does not close. */
  private regexEnd(j: number, close: number): number {
    const { src, n } = this;
    let cls = false;
    while (j < n) {
      const d = src.charCodeAt(j);
      if (d === 10) return -1;
      if (d === 92) {
        j += 2;
        continue;
      }
      if (cls) {
        if (d === 93) cls = false;
      } else if (d === 91 && close === 47) cls = true;
      else if (d === close) {
        j++;
        while (j < n && isIdChar(src.charCodeAt(j), this.lang)) j++;
        return j;
      }
      j++;
    }
    return -1;
  }

  private newStr(close: string, esc: Esc, interp: Interp, line: boolean, start: number, open = ""): StrState {
    const st: StrState = {
      close,
      open,
      nest: 0,
      esc,
      interp,
      line,
      parts: undefined,
      buf: "",
      dyn: false,
      cmd: false,
      tmpl: false,
      contentStart: start,
      sp: this.sp,
    };
    this.sp = false;
    return st;
  }

  private stringStart(i: number, c: number): boolean {
    const { src, lang } = this;
    if (c === 39 || c === 34) {
      const q = src[i]!;
      if (lang === "python") return this.pyString(i, "");
      let esc: Esc = c === 34 ? "c" : "sq";
      let interp: Interp = "none";
      if (c === 34)
        interp = lang === "ruby" ? "ruby" : lang === "perl" ? "perl" : lang === "php" ? "php" : "none";
      if (lang === "node") esc = "c";
      this.pos = i + 1;
      this.scanString(this.newStr(q, esc, interp, lang === "node", i + 1));
      return true;
    }
    if (c === 96) {
      this.pos = i + 1;
      const st =
        lang === "node"
          ? this.newStr("`", "c", "js", false, i + 1)
          : this.newStr(
              "`",
              "c",
              lang === "ruby" ? "ruby" : lang === "perl" ? "perl" : lang === "php" ? "php" : "none",
              false,
              i + 1,
            );
      if (lang === "node") st.tmpl = true;
      else if (lang !== "python") st.cmd = true;
      this.scanString(st);
      return true;
    }
    if (c === 60 && src.charCodeAt(i + 1) === 60 && (lang === "perl" || lang === "ruby" || lang === "php")) {
      return this.heredoc(i);
    }
    if (lang === "ruby" && c === 37) return this.rubyPercent(i);
    if (lang === "ruby" && c === 63 && this.exprPos()) {
      const d = src.charCodeAt(i + 1);
      if (d === 39 || d === 34 || d === 96 || d === 35) {
        this.emitP("str", src[i + 1]!);
        this.pos = i + 2;
        return true;
      }
    }
    return false;
  }

  private pyString(i: number, prefix: string): boolean {
    const { src } = this;
    const q = src[i]!;
    const triple = src.startsWith(q + q + q, i);
    const close = triple ? q + q + q : q;
    const p = prefix.toLowerCase();
    const esc: Esc = p.includes("r") ? "raw" : "py";
    const interp: Interp = p.includes("f") ? "pyf" : "none";
    this.pos = i + close.length;
    this.scanString(this.newStr(close, esc, interp, !triple, this.pos));
    return true;
  }

  private rubyPercent(i: number): boolean {
    const { src } = this;
    let j = i + 1;
    let type = "Q";
    const t = src[j];
    if (t && /[qQwWiIxrs]/.test(t)) {
      type = t;
      j++;
    }
    const d = src[j];
    if (!d || /[A-Za-z0-9\s]/.test(d) || d === "=") return false;
    if (!this.exprPos()) {
      const p = this.prev();
      // `a % b` is modulo; `puts %w(a b)` is a literal
      if (!(p?.k === "id" && this.sp && src.charCodeAt(j + 1) !== 32)) return false;
    }
    const close = BRACKET[d] ?? d;
    const open = BRACKET[d] ? d : "";
    const interp: Interp = type === "q" || type === "w" || type === "i" || type === "s" ? "none" : "ruby";
    const esc: Esc = interp === "none" ? "sq" : "c";
    this.pos = j + 1;
    const st = this.newStr(close, esc, interp, false, j + 1, open);
    if (type === "x") st.cmd = true;
    if (type === "w" || type === "W" || type === "i" || type === "I") {
      const start = this.toks.length;
      this.scanString(st);
      const tok = this.toks[start];
      if (tok?.k === "str") this.toks[start] = wordList(tok);
      return true;
    }
    if (type === "r") {
      const e = this.skipDelimited(j + 1, d);
      this.emitP("p", "/re/");
      this.pos = e;
      return true;
    }
    this.scanString(st);
    return true;
  }

  /** Skips a delimited body starting after `open` (nesting brackets); returns the index after the close. */
  private skipDelimited(j: number, open: string): number {
    const { src, n } = this;
    const close = BRACKET[open] ?? open;
    let nest = 0;
    while (j < n) {
      const d = src[j]!;
      if (d === "\\") {
        j += 2;
        continue;
      }
      if (BRACKET[open] && d === open) nest++;
      else if (d === close) {
        if (nest === 0) return j + 1;
        nest--;
      }
      j++;
    }
    return n;
  }

  private heredoc(i: number): boolean {
    const { src, lang } = this;
    let j = i + 2;
    if (lang === "php") {
      if (src[j] !== "<") return false;
      j++;
      while (src[j] === " " || src[j] === "\t") j++;
    }
    let indent = false;
    if (lang === "ruby" && (src[j] === "~" || src[j] === "-")) {
      indent = true;
      j++;
    }
    if (lang === "perl" && src[j] === "~") {
      indent = true;
      j++;
    }
    let quote = "";
    if (src[j] === "'" || src[j] === '"' || src[j] === "`") quote = src[j++]!;
    const s = j;
    while (j < this.n && isIdChar(src.charCodeAt(j), lang)) j++;
    const term = src.slice(s, j);
    if (term === "" || (quote && src[j] !== quote)) return false;
    if (!quote && lang === "ruby" && !indent && !/^[A-Z_]/.test(term)) return false;
    if (quote) j++;
    const lineEnd = this.heredocFrom >= 0 ? this.heredocTo : this.lineEnd(j);
    let k = lineEnd + 1;
    const lines: string[] = [];
    let terminated = false;
    while (k <= this.n) {
      const e0 = src.indexOf("\n", k);
      const e = e0 < 0 ? this.n : e0;
      const line = src.slice(k, e);
      const trimmed = line.trim();
      if (
        trimmed === term ||
        (lang === "php" && trimmed.startsWith(term) && !isIdChar(trimmed.charCodeAt(term.length), lang))
      ) {
        terminated = true;
        k = e;
        break;
      }
      lines.push(indent || lang === "php" ? line.trimStart() : line);
      k = e + 1;
      if (e0 < 0) break;
    }
    const body = lines.join("\n") + (lines.length ? "\n" : "");
    const interpolating = quote !== "'";
    const dyn = !terminated || (interpolating && (/[$@][A-Za-z_{]/.test(body) || body.includes("#{")));
    this.emit(mk("str", body, dyn, quote === "`"));
    this.pos = j;
    // an unterminated here-document may be a misreading (`a <<B` as a shift): read its lines as code too,
    // a bounded number of times so that a flood of openers stays linear
    if (!terminated && this.heredocMisses < MAX_RESCUES) {
      this.heredocMisses++;
      return true;
    }
    this.heredocFrom = lineEnd;
    this.heredocTo = Math.min(k, this.n);
    return true;
  }

  private ident(i: number, lead = ""): void {
    const { src, lang } = this;
    const n = this.n;
    let j = i;
    const segs: string[] = [];
    // a sigil starts perl/php variables
    let first = true;
    for (;;) {
      const s = j;
      if (first && (lang === "perl" || lang === "php")) {
        const c = src.charCodeAt(j);
        if (c === 36 || (lang === "perl" && (c === 64 || c === 37 || c === 38))) {
          j++;
          if (lang === "perl" && src[j] === "#") j++;
          const d = src.charCodeAt(j);
          if (!isIdStart(d, lang)) {
            // $_ $0 $! $' ${ ...
            if (d === 123 || j >= n) {
              this.emitP("p", src.slice(s, j));
              this.pos = j;
              return;
            }
            if (lang === "perl" && d === 58 && src.charCodeAt(j + 1) === 58) {
              j += 2;
            } else {
              this.emitP("id", src.slice(s, j + 1));
              this.pos = j + 1;
              return;
            }
          }
        }
      }
      while (j < n && isIdChar(src.charCodeAt(j), lang)) j++;
      if (lang === "ruby" && (src[j] === "?" || src[j] === "!") && src[j + 1] !== "=") j++;
      segs.push(src.slice(s, j));
      first = false;
      // separators
      let k = j;
      while (k < n && isSpace(src.charCodeAt(k))) k++;
      if (
        k < n &&
        src.charCodeAt(k) === 10 &&
        (lang === "node" || lang === "ruby" || (lang === "python" && this.depth > 0))
      ) {
        let m = k;
        while (m < n && (isSpace(src.charCodeAt(m)) || src.charCodeAt(m) === 10)) m++;
        if (src[m] === "." && src[m + 1] !== ".") k = m;
      }
      let sep = 0;
      if (src.startsWith("::", k)) sep = 2;
      else if (src.startsWith("->", k) && (lang === "perl" || lang === "php")) sep = 2;
      else if (src.startsWith("?->", k) && lang === "php") sep = 3;
      else if ((src.startsWith("?.", k) && lang === "node") || (src.startsWith("&.", k) && lang === "ruby"))
        sep = 2;
      else if (src[k] === "." && lang !== "perl" && lang !== "php" && src[k + 1] !== ".") sep = 1;
      if (!sep) break;
      let m = k + sep;
      while (m < n && isSpace(src.charCodeAt(m))) m++;
      const d = src.charCodeAt(m);
      if (!(isIdStart(d, lang) || (lang === "php" && d === 36))) break;
      j = m;
      if (lang === "php" && d === 36) j++;
    }
    this.pos = j;
    let name = lead + segs.join(".");
    if (lang === "php") name = name.replace(/\\/g, ".").replace(/^\./, lead).toLowerCase();
    // python string prefixes: r"..", b'..', f"..", rb'..'
    if (lang === "python" && !lead && segs.length === 1 && name.length <= 2 && /^[rbuf]+$/i.test(name)) {
      const q = src.charCodeAt(j);
      if (q === 39 || q === 34) {
        this.pyString(j, name);
        return;
      }
    }
    if (lang === "perl" && segs.length === 1 && !lead && /^(q|qq|qw|qx|m|qr|s|tr|y)$/.test(name)) {
      if (this.perlQuote(name, j)) return;
    }
    this.emitP("id", name);
  }

  private perlQuote(op: string, j: number): boolean {
    const { src } = this;
    let k = j;
    while (k < this.n && isSpace(src.charCodeAt(k))) k++;
    const d = src[k];
    if (!d || /[A-Za-z0-9_\s,;)=]/.test(d) || (d === "#" && k !== j)) return false;
    if (src.startsWith("=>", k)) return false;
    const close = BRACKET[d] ?? d;
    const open = BRACKET[d] ? d : "";
    if (op === "q" || op === "qq" || op === "qw" || op === "qx") {
      this.pos = k + 1;
      const st = this.newStr(
        close,
        op === "q" || op === "qw" ? "sq" : "c",
        op === "q" || op === "qw" ? "none" : "perl",
        false,
        k + 1,
        open,
      );
      if (op === "qx") st.cmd = true;
      const start = this.toks.length;
      this.scanString(st);
      if (op === "qw") {
        const tok = this.toks[start];
        if (tok?.k === "str") this.toks[start] = wordList(tok);
      }
      return true;
    }
    // m qr s tr y: patterns, not data
    let e = this.skipDelimited(k + 1, d);
    let evalFlag = false;
    if (op === "s" || op === "tr" || op === "y") {
      if (open) {
        while (e < this.n && /\s/.test(src[e]!)) e++;
        const d2 = src[e];
        if (d2) e = this.skipDelimited(e + 1, d2);
      } else {
        e = this.skipDelimited(e, d);
      }
    }
    let f = e;
    while (f < this.n && /[a-z]/.test(src[f]!)) f++;
    if (op === "s" && src.slice(e, f).includes("e")) evalFlag = true;
    this.emitP("p", evalFlag ? "/re-eval/" : "/re/");
    this.pos = f;
    return true;
  }

  private flush(st: StrState, from: number, to: number): void {
    if (to > from) st.buf += this.src.slice(from, to);
  }

  private breakSeg(st: StrState): void {
    if (st.parts) st.parts.push(st.buf);
    else st.parts = [st.buf];
    st.buf = "";
    st.dyn = true;
  }

  /** Scans string content from this.pos; emits the token at the close, or pushes an interpolation frame. */
  private scanString(st: StrState): void {
    const { src, lang } = this;
    const n = this.n;
    const closeC = st.close.charCodeAt(0);
    const openC = st.open ? st.open.charCodeAt(0) : -1;
    let i = this.pos;
    let from = i;
    while (i < n) {
      const c = src.charCodeAt(i);
      if (c === 92 && st.esc !== "none") {
        this.flush(st, from, i);
        i = this.escape(st, i);
        from = i;
        continue;
      }
      if (c === 10 && st.line) {
        this.flush(st, from, i);
        this.pos = i;
        this.finish(st, false, false);
        return;
      }
      if (c === openC) {
        st.nest++;
        i++;
        continue;
      }
      if (c === closeC) {
        if (st.close.length > 1 && !src.startsWith(st.close, i)) {
          i++;
          continue;
        }
        if (st.nest > 0) {
          st.nest--;
          i++;
          continue;
        }
        this.flush(st, from, i);
        this.pos = i + st.close.length;
        this.finish(st, true, false);
        return;
      }
      const d = src.charCodeAt(i + 1);
      switch (st.interp) {
        case "pyf":
          if (c === 123 || c === 125) {
            if (d === c) {
              this.flush(st, from, i + 1);
              i += 2;
              from = i;
              continue;
            }
            if (c === 123) {
              this.flush(st, from, i);
              this.breakSeg(st);
              this.pos = i + 1;
              this.stack.push({ st, depth: 0 });
              return;
            }
          }
          break;
        case "js":
          if (c === 36 && d === 123) {
            this.flush(st, from, i);
            this.breakSeg(st);
            this.pos = i + 2;
            this.stack.push({ st, depth: 0 });
            return;
          }
          break;
        case "ruby":
          if (c === 35 && d === 123) {
            this.flush(st, from, i);
            this.breakSeg(st);
            this.pos = i + 2;
            this.stack.push({ st, depth: 0 });
            return;
          }
          if (c === 35 && (d === 64 || d === 36)) {
            this.flush(st, from, i);
            this.breakSeg(st);
            i += 2;
            while (i < n && isIdChar(src.charCodeAt(i), lang)) i++;
            from = i;
            continue;
          }
          break;
        case "perl":
        case "php":
          if ((c === 36 || (c === 64 && st.interp === "perl")) && d === 123 && st.close !== "}") {
            this.flush(st, from, i);
            this.breakSeg(st);
            this.pos = i + 2;
            this.stack.push({ st, depth: 0 });
            return;
          }
          if (st.interp === "php" && c === 123 && d === 36) {
            this.flush(st, from, i);
            this.breakSeg(st);
            this.pos = i + 1;
            this.stack.push({ st, depth: 0 });
            return;
          }
          if (
            (c === 36 || (c === 64 && st.interp === "perl")) &&
            (isIdStart(d, lang) || (c === 36 && d === 58))
          ) {
            this.flush(st, from, i);
            this.breakSeg(st);
            const v0 = i;
            i++;
            while (i < n && (isIdChar(src.charCodeAt(i), lang) || src.charCodeAt(i) === 58)) i++;
            const open = src[i];
            if (st.interp === "perl" && (open === "{" || open === "[") && st.close !== BRACKET[open]) {
              // a subscript: $h{key}, $a[0]; "$ENV{HOME}" reads the environment
              const e = this.skipDelimited(i + 1, open);
              if (src.slice(v0, i) === "$ENV" && open === "{") {
                const key = src.slice(i + 1, e - 1).replace(/^["']|["']$/g, "");
                this.toks.push(mk("id", "$ENV"), mk("p", "{"), mk("str", key), mk("p", "}"));
              }
              i = e;
            }
            from = i;
            continue;
          }
          break;
      }
      i++;
    }
    this.flush(st, from, n);
    this.pos = n;
    this.finish(st, false, true);
  }

  private finish(st: StrState, terminated: boolean, eof: boolean): void {
    let v = st.buf;
    if (st.parts) {
      st.parts.push(st.buf);
      v = st.parts.join("");
    }
    const tok = mk("str", v, st.dyn || !terminated, st.cmd);
    if (st.parts) tok.parts = st.parts;
    tok.tmpl = st.tmpl;
    tok.sp = st.sp;
    this.toks.push(tok);
    this.sp = false;
    if (eof && this.rescues < MAX_RESCUES && st.contentStart < this.n) {
      // an unterminated string may be a misreading: read the rest as code too
      this.rescues++;
      this.stack.length = 0;
      this.pos = st.contentStart;
    }
  }

  private escape(st: StrState, i: number): number {
    const { src } = this;
    const c = src[i + 1];
    if (c === undefined) return i + 1;
    if (st.esc === "raw") {
      st.buf += "\\" + c;
      return i + 2;
    }
    if (st.esc === "sq") {
      if (c === "\\" || c === st.close[0] || (st.open && c === st.open)) st.buf += c;
      else st.buf += "\\" + c;
      return i + 2;
    }
    if (c === "\n") return i + 2;
    if (Object.hasOwn(SIMPLE_ESC, c) && !(c === "e" && st.esc === "py")) {
      st.buf += SIMPLE_ESC[c]!;
      return i + 2;
    }
    if (c === "x") {
      if (src[i + 2] === "{" && st.esc === "c") {
        const e = src.indexOf("}", i + 3);
        const h = e > 0 && e - i < 12 ? src.slice(i + 3, e) : "";
        if (isHex(h)) {
          st.buf += codePoint(Number.parseInt(h, 16));
          return e + 1;
        }
      }
      const h = src.slice(i + 2, i + 4);
      if (h.length === 2 && isHex(h)) {
        st.buf += String.fromCharCode(Number.parseInt(h, 16));
        return i + 4;
      }
    }
    if (c === "u") {
      if (src[i + 2] === "{") {
        const e = src.indexOf("}", i + 3);
        const h = e > 0 && e - i < 12 ? src.slice(i + 3, e) : "";
        if (isHex(h)) {
          st.buf += codePoint(Number.parseInt(h, 16));
          return e + 1;
        }
      }
      const h = src.slice(i + 2, i + 6);
      if (h.length === 4 && isHex(h)) {
        st.buf += String.fromCharCode(Number.parseInt(h, 16));
        return i + 6;
      }
    }
    if (c === "U" && st.esc === "py") {
      const h = src.slice(i + 2, i + 10);
      if (h.length === 8 && isHex(h)) {
        st.buf += codePoint(Number.parseInt(h, 16));
        return i + 10;
      }
    }
    if (c >= "0" && c <= "7") {
      let j = i + 1;
      while (j < i + 4 && src[j]! >= "0" && src[j]! <= "7") j++;
      st.buf += String.fromCharCode(Number.parseInt(src.slice(i + 1, j), 8));
      return j;
    }
    if (st.esc === "py" && c !== "\\" && c !== "'" && c !== '"') st.buf += "\\" + c;
    else st.buf += c;
    return i + 2;
  }
}

const SIMPLE_ESC: Record<string, string> = {
  n: "\n",
  t: "\t",
  r: "\r",
  a: "\x07",
  b: "\b",
  f: "\f",
  v: "\v",
  e: "\x1b",
};

function codePoint(cp: number): string {
  return cp <= 0x10ffff ? String.fromCodePoint(cp) : "\ufffd";
}

// ---------------------------------------------------------------------------------------------
// API tables

type Spawn = "first" | "jsCmd" | "jsFile" | "all" | "pyexec" | "tail";
type Del = "first" | "all";
type Write = "first" | "open" | "second" | "osopen" | "perlopen";
interface Api {
  spawn?: Spawn;
  del?: Del;
  write?: Write;
  evaluates?: boolean;
}

function table(groups: [string, Api][]): Map<string, Api> {
  const m = new Map<string, Api>();
  for (const [names, api] of groups) for (const name of names.split(" ")) m.set(name, api);
  return m;
}

interface ApiTables {
  /** Per language: the exact names, then the distinctive last names. */
  TABLES: Record<InterpLang, [Map<string, Api>, Map<string, Api>]>;
  NET_PREFIX: Record<InterpLang, string[]>;
  PY: Map<string, Api>;
  PY_LAST: Map<string, Api>;
}

let apiTables: ApiTables | undefined;

/**
 * The API tables, built on first use: the hook loads this module on every call, and most commands
 * run no interpreter code (building them at load cost about 0.3 ms of the hook's start-up).
 */
function apiTablesOf(): ApiTables {
  if (apiTables) return apiTables;
  const PY = table([
    [
      "os.system os.popen os.popen2 os.popen3 os.popen4 subprocess.run subprocess.call subprocess.check_call subprocess.check_output subprocess.Popen subprocess.getoutput subprocess.getstatusoutput commands.getoutput commands.getstatusoutput asyncio.create_subprocess_shell platform.popen pexpect.spawn pexpect.run",
      { spawn: "first" },
    ],
    ["asyncio.create_subprocess_exec pty.spawn", { spawn: "all" }],
    [
      "os.execl os.execle os.execlp os.execlpe os.execv os.execve os.execvp os.execvpe os.spawnl os.spawnle os.spawnlp os.spawnlpe os.spawnv os.spawnve os.spawnvp os.spawnvpe os.posix_spawn os.posix_spawnp",
      { spawn: "pyexec" },
    ],
    ["shutil.rmtree os.remove os.unlink os.rmdir os.removedirs", { del: "first" }],
    ["open io.open codecs.open builtins.open", { write: "open" }],
    ["os.open", { write: "osopen" }],
    [
      "shutil.copy shutil.copy2 shutil.copyfile shutil.copytree shutil.move os.rename os.replace",
      { write: "second" },
    ],
    ["exec eval compile execfile builtins.exec builtins.eval builtins.compile", { evaluates: true }],
  ]);
  /** Distinctive method names matched whatever the receiver (aliases we could not follow). */
  const PY_LAST = table([
    [
      "system popen check_output check_call Popen getoutput getstatusoutput create_subprocess_shell",
      { spawn: "first" },
    ],
    ["create_subprocess_exec", { spawn: "all" }],
    [
      "execl execle execlp execlpe execv execve execvp execvpe spawnl spawnle spawnlp spawnlpe spawnv spawnve spawnvp spawnvpe posix_spawn posix_spawnp",
      { spawn: "pyexec" },
    ],
    ["rmtree removedirs", { del: "first" }],
  ]);

  const JS = table([
    ["child_process.exec child_process.execSync", { spawn: "jsCmd" }],
    [
      "child_process.spawn child_process.spawnSync child_process.execFile child_process.execFileSync child_process.fork Bun.spawn Bun.spawnSync Deno.Command Deno.run execa execaSync execa.execa execa.execaSync execa.execaCommand execa.execaCommandSync execaCommand execaCommandSync",
      { spawn: "jsFile" },
    ],
    ["shelljs.exec", { spawn: "jsCmd" }],
    [
      "fs.rmSync fs.rmdirSync fs.unlinkSync fs.rm fs.rmdir fs.unlink fs.promises.rm fs.promises.rmdir fs.promises.unlink Deno.remove Deno.removeSync rimraf rimraf.rimraf rimraf.sync rimraf.rimrafSync fs-extra.remove fs-extra.removeSync",
      { del: "first" },
    ],
    [
      "fs.writeFileSync fs.writeFile fs.appendFileSync fs.appendFile fs.createWriteStream fs.promises.writeFile fs.promises.appendFile Bun.write Deno.writeTextFile Deno.writeTextFileSync Deno.writeFile Deno.writeFileSync fs-extra.outputFile fs-extra.outputFileSync",
      { write: "first" },
    ],
    ["fs.openSync fs.open fs.promises.open", { write: "open" }],
    [
      "fs.copyFileSync fs.copyFile fs.cpSync fs.cp fs.renameSync fs.rename fs.promises.copyFile fs.promises.cp fs.promises.rename",
      { write: "second" },
    ],
    [
      "eval Function globalThis.eval window.eval global.eval vm.runInThisContext vm.runInNewContext vm.runInContext vm.compileFunction vm.Script vm.SourceTextModule",
      { evaluates: true },
    ],
  ]);
  const JS_LAST = table([
    ["execSync", { spawn: "jsCmd" }],
    ["execFileSync spawnSync spawn execFile", { spawn: "jsFile" }],
    ["rmSync rmdirSync unlinkSync", { del: "first" }],
    ["writeFileSync appendFileSync createWriteStream writeFile appendFile", { write: "first" }],
    ["copyFileSync", { write: "second" }],
    ["runInThisContext runInNewContext runInContext compileFunction", { evaluates: true }],
  ]);

  const RB = table([
    [
      "system exec spawn Kernel.system Kernel.exec Kernel.spawn Process.spawn Process.exec Open3.capture2 Open3.capture2e Open3.capture3 Open3.popen2 Open3.popen2e Open3.popen3 Open3.pipeline Open3.pipeline_r Open3.pipeline_w Open3.pipeline_rw Open3.pipeline_start PTY.spawn",
      { spawn: "all" },
    ],
    ["IO.popen", { spawn: "first" }],
    [
      "FileUtils.rm_rf FileUtils.rm_r FileUtils.rm FileUtils.rm_f FileUtils.remove FileUtils.remove_dir FileUtils.remove_entry FileUtils.remove_entry_secure FileUtils.remove_file FileUtils.rmdir FileUtils.rmtree FileUtils.safe_unlink",
      { del: "first" },
    ],
    ["File.delete File.unlink Dir.rmdir Dir.delete Dir.unlink", { del: "all" }],
    ["File.write IO.write File.binwrite IO.binwrite", { write: "first" }],
    ["File.open File.new open Kernel.open", { write: "open" }],
    [
      "FileUtils.cp FileUtils.mv FileUtils.copy FileUtils.move FileUtils.install FileUtils.cp_r",
      { write: "second" },
    ],
    ["eval instance_eval class_eval module_eval Kernel.eval binding.eval", { evaluates: true }],
  ]);
  const RB_LAST = table([
    ["rm_rf rm_r rmtree remove_entry_secure", { del: "first" }],
    ["instance_eval class_eval module_eval", { evaluates: true }],
  ]);

  const PL = table([
    ["system exec CORE.system CORE.exec", { spawn: "all" }],
    ["readpipe", { spawn: "first" }],
    ["open2 open3 IPC.Open2.open2 IPC.Open3.open3", { spawn: "tail" }],
    ["unlink rmdir rmtree remove_tree File.Path.rmtree File.Path.remove_tree", { del: "all" }],
    ["open CORE.open", { write: "perlopen" }],
    ["write_file File.Slurp.write_file", { write: "first" }],
    ["copy move File.Copy.copy File.Copy.move", { write: "second" }],
  ]);
  const PL_LAST = table([["rmtree remove_tree", { del: "all" }]]);

  const PHP = table([
    ["system exec shell_exec passthru proc_open popen", { spawn: "first" }],
    ["pcntl_exec", { spawn: "jsFile" }],
    ["unlink rmdir", { del: "first" }],
    ["file_put_contents", { write: "first" }],
    ["fopen", { write: "open" }],
    ["copy rename", { write: "second" }],
    ["eval create_function", { evaluates: true }],
  ]);

  const TABLES: Record<InterpLang, [Map<string, Api>, Map<string, Api>]> = {
    python: [PY, PY_LAST],
    node: [JS, JS_LAST],
    ruby: [RB, RB_LAST],
    perl: [PL, PL_LAST],
    php: [PHP, new Map()],
  };

  const NET_PREFIX: Record<InterpLang, string[]> = {
    python: [
      "urllib",
      "urllib2",
      "urllib3",
      "requests",
      "httpx",
      "http.client",
      "socket",
      "aiohttp",
      "ftplib",
      "smtplib",
      "telnetlib",
      "websocket",
      "websockets",
      "pycurl",
      "paramiko",
      "urlopen",
    ],
    node: [
      "http",
      "https",
      "net",
      "tls",
      "dgram",
      "http2",
      "undici",
      "axios",
      "node-fetch",
      "ws",
      "got",
      "fetch",
      "XMLHttpRequest",
      "WebSocket",
      "EventSource",
      "navigator.sendBeacon",
      "Deno.connect",
      "Deno.connectTls",
      "Bun.connect",
      "globalThis.fetch",
      "window.fetch",
    ],
    ruby: [
      "Net",
      "TCPSocket",
      "UDPSocket",
      "Socket",
      "URI.open",
      "OpenURI",
      "HTTParty",
      "Faraday",
      "RestClient",
      "Excon",
      "HTTP",
      "open-uri",
      "net/http",
      "net/https",
      "socket",
      "httparty",
      "faraday",
      "rest-client",
      "excon",
    ],
    perl: [
      "LWP",
      "IO.Socket",
      "HTTP.Tiny",
      "HTTP.Request",
      "Net",
      "Socket",
      "Mojo.UserAgent",
      "WWW.Mechanize",
      "Furl",
      "socket",
      "getstore",
      "getprint",
    ],
    php: [
      "curl_init",
      "curl_exec",
      "curl_multi_exec",
      "fsockopen",
      "pfsockopen",
      "stream_socket_client",
      "socket_create",
      "socket_connect",
      "get_headers",
      "guzzlehttp",
    ],
  };
  apiTables = { TABLES, NET_PREFIX, PY, PY_LAST };
  return apiTables;
}

function hasPrefix(name: string, prefixes: string[]): boolean {
  for (const p of prefixes) if (name === p || name.startsWith(p + ".")) return true;
  return false;
}

// ---------------------------------------------------------------------------------------------
// Analysis

type Arg =
  | { k: "str"; v: string; dyn: boolean; s: number; e: number }
  | { k: "list"; items: (string | null)[]; s: number; e: number }
  | { k: "obj"; s: number; e: number }
  | { k: "kw"; name: string; val: Arg; s: number; e: number }
  | { k: "dyn"; s: number; e: number };

/** A list element as a shell word (`~` stays the home). */
function argWord(w: string): string {
  // `~` stands for a home expression (Dir.home, os.homedir()): keep it unquoted so the gate reads the
  // home (a literal "~" element would be a file named ~; judging it as the home is the safe mistake).
  if (w === "~") return w;
  if (w.startsWith("~/")) return `~/${argWord(w.slice(2))}`;
  return shellQuote(w);
}

function looksLikePath(s: string): boolean {
  if (s === "" || s.length > 4096 || s.includes("://") || s.includes("\n")) return false;
  if (s.startsWith("/") || s.startsWith("~/") || s.startsWith("./") || s.startsWith("../")) return true;
  return s.includes("/") && !/\s/.test(s);
}

const PAREN_LESS_END = new Set([
  "or",
  "and",
  "if",
  "unless",
  "while",
  "until",
  "do",
  "then",
  "end",
  "foreach",
  "for",
  "rescue",
]);
const PAREN_LESS_BUDGET = 256;
const MAX_EVAL_DEPTH = 2;
const MAX_ARG_NEST = 8;
const PATH_JOIN =
  /^(path\.join|path\.resolve|path\.posix\.join|os\.path\.join|posixpath\.join|File\.join|join_paths)$/;
const HOME_MAPS = new Set(["os.environ", "process.env", "Bun.env", "ENV", "$ENV", "$_server", "$_env"]);
const PATH_HELPER =
  /(^|\.)(expanduser|abspath|realpath|normpath|expand_path|resolve|normalize|Path|PosixPath|PurePath|Pathname)$/;
const PY_EXCLUDE = new Set(["platform.system", "platform.popen"]);

class Analyzer {
  readonly f: InterpFacts = {
    shell: [],
    dynamicSpawn: false,
    deletes: [],
    dynamicDelete: false,
    writes: [],
    paths: [],
    network: false,
    evaluates: false,
    readsEnv: false,
    envNames: [],
  };
  private readonly match: Int32Array;
  private readonly aliases = new Map<string, string>();
  private readonly star: string[] = [];
  private readonly skip: Uint8Array;
  private readonly notPath: Uint8Array;
  private readonly seen = {
    shell: new Set<string>(),
    del: new Set<string>(),
    write: new Set<string>(),
    path: new Set<string>(),
    env: new Set<string>(),
  };

  constructor(
    private readonly lang: InterpLang,
    private readonly t: Tok[],
    private readonly depth = 0,
  ) {
    this.match = new Int32Array(t.length).fill(-1);
    this.skip = new Uint8Array(t.length);
    this.notPath = new Uint8Array(t.length);
    const open: number[] = [];
    for (let i = 0; i < t.length; i++) {
      const tok = t[i]!;
      if (tok.k !== "p") continue;
      if (tok.v === "(" || tok.v === "[" || tok.v === "{") open.push(i);
      else if (tok.v === ")" || tok.v === "]" || tok.v === "}") {
        const o = open[open.length - 1];
        if (o !== undefined && BRACKET[t[o]!.v] === tok.v) {
          open.pop();
          this.match[o] = i;
          this.match[i] = o;
        }
      }
    }
    for (const o of open) this.match[o] = t.length;
  }

  private add(list: string[], seen: Set<string>, v: string): void {
    if (!seen.has(v)) {
      seen.add(v);
      list.push(v);
    }
  }

  private p(i: number, v: string): boolean {
    const tok = this.t[i];
    return tok !== undefined && tok.k === "p" && tok.v === v;
  }
  private id(i: number, v?: string): boolean {
    const tok = this.t[i];
    return tok !== undefined && tok.k === "id" && (v === undefined || tok.v === v);
  }

  private normModule(m: string): string {
    let s = m.startsWith("node:") ? m.slice(5) : m;
    if (s === "fs/promises") s = "fs.promises";
    return s;
  }

  run(): InterpFacts {
    this.imports();
    const t = this.t;
    for (let i = 0; i < t.length; i++) {
      const tok = t[i]!;
      if (tok.k === "str") {
        if (this.notPath[i]) continue;
        const parts = tok.parts ?? [tok.v];
        for (const part of parts) if (looksLikePath(part)) this.add(this.f.paths, this.seen.path, part);
        if (tok.cmd) this.spawnStr(tok);
        continue;
      }
      if (tok.k === "list") {
        for (const w of tok.items ?? []) if (looksLikePath(w)) this.add(this.f.paths, this.seen.path, w);
        continue;
      }
      if (tok.k === "p" && tok.v === "/re-eval/") this.f.evaluates = true;
      if (tok.k === "id") {
        this.composedPath(i);
        this.identifier(i);
      }
    }
    return this.f;
  }

  private spawnStr(tok: Tok): void {
    if (tok.dyn) this.f.dynamicSpawn = true;
    else this.add(this.f.shell, this.seen.shell, tok.v);
  }

  /** Collects import aliases and module mentions; marks import statements so their names are not uses. */
  private imports(): void {
    const t = this.t;
    const lang = this.lang;
    for (let i = 0; i < t.length; i++) {
      const tok = t[i]!;
      if (tok.k !== "id") continue;
      if (lang === "python" && (tok.v === "import" || tok.v === "from")) {
        i = this.pyImport(i);
        continue;
      }
      if (lang === "node") {
        if (
          (tok.v === "require" || tok.v === "import") &&
          this.p(i + 1, "(") &&
          t[i + 2]?.k === "str" &&
          this.p(i + 3, ")")
        ) {
          const m = this.normModule(t[i + 2]!.v);
          this.mention(m);
          this.moduleStr(i + 2);
          let target = m;
          const next = t[i + 4];
          if (next?.k === "id" && next.v.startsWith(".")) target = m + next.v;
          if (this.p(i - 1, "=") && this.id(i - 2)) this.aliases.set(t[i - 2]!.v, target);
          else if (this.p(i - 1, "=") && this.p(i - 2, "}"))
            this.destructure(this.match[i - 2]!, i - 2, target, ":");
          else if (this.id(i - 1, "await") && this.p(i - 2, "=") && this.id(i - 3))
            this.aliases.set(t[i - 3]!.v, target);
          continue;
        }
        if (tok.v === "import" && !this.p(i + 1, "(")) {
          i = this.jsImport(i);
          continue;
        }
      }
      if (
        (lang === "ruby" && (tok.v === "require" || tok.v === "require_relative")) ||
        (lang === "perl" && (tok.v === "use" || tok.v === "require"))
      ) {
        let j = i + 1;
        if (this.p(j, "(")) j++;
        const m = t[j];
        if (m && (m.k === "str" || m.k === "id")) this.mention(m.v);
        this.moduleStr(j);
      }
    }
  }

  /** Marks a module specifier string: `require("net/http")` names a module, not a path. */
  private moduleStr(j: number): void {
    if (this.t[j]?.k === "str") this.notPath[j] = 1;
  }

  private mention(module: string): void {
    if (hasPrefix(module, apiTablesOf().NET_PREFIX[this.lang])) this.f.network = true;
  }

  private destructure(open: number, close: number, module: string, renameSep: string): void {
    if (open < 0) return;
    const t = this.t;
    for (let j = open; j <= close; j++) this.skip[j] = 1;
    let j = open + 1;
    while (j < close) {
      const a = t[j];
      if (a?.k === "id") {
        let local = a.v;
        let k = j + 1;
        if ((renameSep === ":" && this.p(k, ":")) || (renameSep === "as" && this.id(k, "as"))) {
          if (this.id(k + 1)) local = t[k + 1]!.v;
          k += 2;
        }
        if (a.v !== "type") this.aliases.set(local, `${module}.${a.v}`);
        j = k;
        while (j < close && !this.p(j, ",")) j = this.next(j);
        j++;
        continue;
      }
      j = this.next(j);
    }
  }

  /** The index after token j, jumping over a bracketed group. */
  private next(j: number): number {
    const m = this.match[j]!;
    const tok = this.t[j]!;
    if (m > j && tok.k === "p" && (tok.v === "(" || tok.v === "[" || tok.v === "{")) return m + 1;
    return j + 1;
  }

  private jsImport(i: number): number {
    const t = this.t;
    let j = i + 1;
    const limit = Math.min(t.length, i + 400);
    while (j < limit && !this.id(j, "from") && !this.p(j, ";") && t[j]!.k !== "str") j = this.next(j);
    if (this.id(j, "from") && t[j + 1]?.k === "str") {
      const m = this.normModule(t[j + 1]!.v);
      this.mention(m);
      this.moduleStr(j + 1);
      for (let k = i; k <= j + 1; k++) this.skip[k] = 1;
      for (let k = i + 1; k < j; k++) {
        const tok = t[k]!;
        if (tok.k === "p" && tok.v === "{") {
          const e = this.match[k]!;
          this.destructure(k, Math.min(e, j), m, "as");
          k = e;
        } else if (tok.k === "p" && tok.v === "*" && this.id(k + 1, "as") && this.id(k + 2)) {
          this.aliases.set(t[k + 2]!.v, m);
          k += 2;
        } else if (tok.k === "id" && tok.v !== "type" && tok.v !== "typeof") {
          this.aliases.set(tok.v, m);
        }
      }
      return j + 1;
    }
    if (t[j]?.k === "str" && j === i + 1) {
      this.mention(this.normModule(t[j]!.v));
      this.moduleStr(j);
    }
    return i;
  }

  private pyImport(i: number): number {
    const t = this.t;
    const startOk = i === 0 || t[i - 1]!.k === "nl" || this.p(i - 1, ";") || this.p(i - 1, ":");
    if (!startOk) return i;
    let j = i + 1;
    this.skip[i] = 1;
    if (t[i]!.v === "import") {
      while (this.id(j)) {
        const mod = t[j]!.v;
        this.mention(mod);
        this.skip[j] = 1;
        j++;
        if (this.id(j, "as") && this.id(j + 1)) {
          this.aliases.set(t[j + 1]!.v, mod);
          this.skip[j] = this.skip[j + 1] = 1;
          j += 2;
        }
        if (!this.p(j, ",")) break;
        j++;
      }
      return j - 1;
    }
    // from MOD import a [as b], ...
    let mod = "";
    while (j < t.length && !this.id(j, "import") && t[j]!.k !== "nl" && j < i + 50) {
      const tok = t[j]!;
      mod += tok.v;
      this.skip[j] = 1;
      j++;
    }
    if (!this.id(j, "import")) return j - 1;
    this.mention(mod);
    this.skip[j] = 1;
    j++;
    let close = -1;
    if (this.p(j, "(")) {
      close = this.match[j]!;
      this.skip[j] = 1;
      j++;
    }
    for (;;) {
      if (this.p(j, "*")) {
        this.star.push(mod);
        this.skip[j] = 1;
        j++;
      } else if (this.id(j)) {
        const name = t[j]!.v;
        let local = name;
        this.skip[j] = 1;
        j++;
        if (this.id(j, "as") && this.id(j + 1)) {
          local = t[j + 1]!.v;
          this.skip[j] = this.skip[j + 1] = 1;
          j += 2;
        }
        this.aliases.set(local, `${mod}.${name}`);
      } else break;
      if (!this.p(j, ",")) break;
      this.skip[j] = 1;
      j++;
    }
    if (close > 0 && close < t.length) this.skip[close] = 1;
    return Math.max(j - 1, i);
  }

  private resolve(name: string): string {
    if (name.startsWith(".")) return name;
    const dot = name.indexOf(".");
    const head = dot < 0 ? name : name.slice(0, dot);
    const a = this.aliases.get(head);
    if (a !== undefined) return dot < 0 ? a : a + name.slice(dot);
    return name;
  }

  private lookup(canon: string): { api: Api; exact: boolean } | undefined {
    const [exact, last] = apiTablesOf().TABLES[this.lang];
    const bare = canon.startsWith(".") ? canon.slice(1) : canon;
    if (!canon.startsWith(".")) {
      const a = exact.get(canon);
      if (a) return { api: a, exact: true };
      if (this.lang === "python" && !canon.includes(".")) {
        for (const m of this.star) {
          const b = exact.get(`${m}.${canon}`);
          if (b) return { api: b, exact: true };
        }
      }
    }
    const dot = bare.lastIndexOf(".");
    const tail = dot < 0 ? bare : bare.slice(dot + 1);
    if (dot < 0 && !canon.startsWith(".") && this.lang === "python") return undefined;
    const b = last.get(tail);
    return b ? { api: b, exact: false } : undefined;
  }

  private identifier(i: number): void {
    const t = this.t;
    const lang = this.lang;
    const raw = t[i]!.v;
    let canon = this.resolve(raw);
    // require("child_process").execSync / __import__("os").system
    if (raw.startsWith(".") && this.p(i - 1, ")")) {
      const o = this.match[i - 1]!;
      const callee = t[o - 1];
      // (Path.home() / ".ssh" / "authorized_keys").write_text(k)
      if (
        lang === "python" &&
        o >= 0 &&
        this.p(o, "(") &&
        callee?.k !== "id" &&
        /^\.(unlink|rmdir|write_text|write_bytes|touch|open)$/.test(raw)
      ) {
        const a = this.classify(o + 1, i - 1);
        if (a.k === "str") {
          this.pathMethod(i, raw.slice(1), mk("str", a.v, a.dyn));
          return;
        }
      }
      if (o > 0 && this.p(o, "(") && callee?.k === "id" && t[o + 1]?.k === "str" && o + 2 === i - 1) {
        const mod = this.normModule(t[o + 1]!.v);
        if (
          callee.v === "require" ||
          callee.v === "__import__" ||
          callee.v === "importlib.import_module" ||
          callee.v === "import"
        ) {
          canon = mod + raw;
        } else if (
          lang === "python" &&
          /^(pathlib\.)?(Path|PosixPath|PurePath|PurePosixPath)$/.test(this.resolve(callee.v))
        ) {
          this.pathMethod(i, raw.slice(1), t[o + 1]!);
          return;
        }
      }
    }
    if (
      hasPrefix(canon.startsWith(".") ? canon.slice(1) : canon, apiTablesOf().NET_PREFIX[lang]) &&
      !canon.startsWith(".")
    ) {
      if (
        !(
          lang === "node" &&
          (canon === "fetch" || canon === "http" || canon === "https") &&
          !this.p(i + 1, "(") &&
          !canon.includes(".")
        )
      ) {
        this.f.network = true;
      }
    }
    if (lang === "node" && canon === "fetch" && this.p(i + 1, "(")) this.f.network = true;
    this.env(i, canon);
    if (this.skip[i]) return;
    // JS tagged templates that run shell: zx $`..`, Bun.$`..`
    if (
      lang === "node" &&
      (canon === "$" || canon === "Bun.$" || canon === "zx.$") &&
      t[i + 1]?.tmpl &&
      !t[i + 1]!.sp
    ) {
      this.spawnStr(t[i + 1]!);
      return;
    }
    if (lang === "perl" && raw === "eval") {
      if (!this.p(i + 1, "{")) {
        this.f.evaluates = true;
        this.evalLiteral(i);
      }
      return;
    }
    if (lang === "python" && canon === "getattr") this.getattr(i);
    if (lang === "python" && PY_EXCLUDE.has(canon)) return;
    if (lang === "python" && /\.(unlink|rmdir)$/.test(canon) && !canon.startsWith("os.")) {
      const args = this.call(i);
      if (args)
        this.deleteArgs(
          args.filter((a) => a.k !== "kw"),
          "first",
        );
      return;
    }
    if (
      lang === "node" &&
      /^\.?(.*\.)?[^.]*fs[^.]*\.(rm|rmdir|unlink)$/i.test(canon) &&
      !apiTablesOf().TABLES.node[0].has(canon)
    ) {
      const args = this.call(i);
      if (args) this.deleteArgs(args, "first");
      return;
    }
    if ((lang === "ruby" || lang === "perl") && (raw === "open" || raw === "Kernel.open") && this.openPipe(i))
      return;
    if (
      (lang === "php" &&
        /^(file_get_contents|fopen|file|readfile|copy|fpassthru|get_headers)$/.test(canon)) ||
      (lang === "ruby" && canon === "open")
    ) {
      const u = t[i + 1]?.k === "str" ? t[i + 1] : this.p(i + 1, "(") ? t[i + 2] : undefined;
      if (u?.k === "str" && /^(https?|ftp):\/\//i.test(u.v)) this.f.network = true;
    }
    const hit = this.lookup(canon);
    if (!hit) return;
    const prev = t[i - 1];
    if (prev?.k === "id" && (prev.v === "def" || prev.v === "function" || prev.v === "sub")) return;
    const next = t[i + 1];
    if (next?.k === "p" && (next.v === "=" || (next.v === ":" && lang !== "ruby"))) return;
    const { api } = hit;
    if (api.evaluates) {
      if (lang === "python" && canon === "compile" && !this.p(i + 1, "(")) return;
      this.f.evaluates = true;
      this.evalLiteral(i);
      return;
    }
    const args = this.call(i);
    if (!args) {
      // referenced, not called: f = os.system; f(cmd)
      if (hit.exact && (lang === "python" || lang === "node")) {
        if (api.spawn) this.f.dynamicSpawn = true;
        if (api.del) this.f.dynamicDelete = true;
      }
      return;
    }
    if (api.spawn) this.spawnArgs(args, api.spawn, hit.exact);
    if (api.del)
      this.deleteArgs(
        args.filter((a) => a.k !== "kw" && a.k !== "obj"),
        api.del,
      );
    if (api.write) this.writeArgs(args, api.write);
  }

  /** eval("literal code"): the code is read too (two levels deep; each literal is read once, so still linear). */
  private evalLiteral(i: number): void {
    if (this.depth >= MAX_EVAL_DEPTH) return;
    const a = this.call(i)?.[0];
    if (a?.k !== "str" || a.dyn || a.v.length === 0) return;
    const inner = new Analyzer(this.lang, new Tokenizer(a.v, this.lang).run(), this.depth + 1).run();
    const f = this.f;
    for (const v of inner.shell) this.add(f.shell, this.seen.shell, v);
    for (const v of inner.deletes) this.add(f.deletes, this.seen.del, v);
    for (const v of inner.writes) this.add(f.writes, this.seen.write, v);
    for (const v of inner.paths) this.add(f.paths, this.seen.path, v);
    for (const v of inner.envNames) this.add(f.envNames, this.seen.env, v);
    f.dynamicSpawn ||= inner.dynamicSpawn;
    f.dynamicDelete ||= inner.dynamicDelete;
    f.network ||= inner.network;
    f.evaluates ||= inner.evaluates;
    f.readsEnv ||= inner.readsEnv;
  }

  private getattr(i: number): void {
    const args = this.call(i);
    const a = args?.[1];
    if (a?.k !== "str") return;
    const api =
      apiTablesOf().PY.get(`os.${a.v}`) ??
      apiTablesOf().PY.get(`subprocess.${a.v}`) ??
      apiTablesOf().PY.get(`shutil.${a.v}`) ??
      apiTablesOf().PY_LAST.get(a.v);
    if (api?.spawn) this.f.dynamicSpawn = true;
    if (api?.del) this.f.dynamicDelete = true;
    if (a.v === "exec" || a.v === "eval") this.f.evaluates = true;
  }

  private pathMethod(i: number, method: string, lit: Tok): void {
    const path = lit.dyn ? undefined : lit.v;
    if (method === "unlink" || method === "rmdir") {
      if (path === undefined) this.f.dynamicDelete = true;
      else this.add(this.f.deletes, this.seen.del, path);
    } else if (method === "write_text" || method === "write_bytes" || method === "touch") {
      if (path !== undefined) this.add(this.f.writes, this.seen.write, path);
    } else if (method === "open") {
      const args = this.call(i);
      const mode = args?.find((a) => a.k === "str") ?? args?.find((a) => a.k === "kw" && a.name === "mode");
      const m = mode?.k === "kw" ? mode.val : mode;
      if (path !== undefined && m && (m.k !== "str" || /[wax+]/.test(m.v)))
        this.add(this.f.writes, this.seen.write, path);
    }
  }

  private openPipe(i: number): boolean {
    const args = this.call(i);
    if (!args) return false;
    const pos = args.filter((a) => a.k !== "kw");
    const lang = this.lang;
    const spec = lang === "ruby" ? pos[0] : pos[1];
    if (spec?.k !== "str") return false;
    const s = spec.v.trim();
    if (lang === "ruby" && s.startsWith("|")) {
      if (spec.dyn) this.f.dynamicSpawn = true;
      else this.add(this.f.shell, this.seen.shell, s.slice(1).trim());
      return true;
    }
    if (lang === "perl") {
      if (pos.length === 2 && (s.startsWith("|") || s.endsWith("|"))) {
        if (spec.dyn) this.f.dynamicSpawn = true;
        else
          this.add(this.f.shell, this.seen.shell, (s.startsWith("|") ? s.slice(1) : s.slice(0, -1)).trim());
        return true;
      }
      if (pos.length > 2 && (s === "-|" || s === "|-")) {
        this.spawnArgs(pos.slice(2), "all", true);
        return true;
      }
    }
    return false;
  }

  /** The arguments of a call at token i (with parens, or paren-less for perl/ruby), or undefined if not a call. */
  private call(i: number): Arg[] | undefined {
    const t = this.t;
    if (this.p(i + 1, "(")) {
      return this.splitArgs(i + 2, this.match[i + 1]!, false);
    }
    if (this.lang === "perl" || this.lang === "ruby") {
      const nx = t[i + 1];
      if (!nx || nx.k === "nl") return undefined;
      if (nx.k === "p" && !(nx.v === "[" || nx.v === "{" || nx.v === "-" || nx.v === "$")) return undefined;
      if (nx.k === "id" && PAREN_LESS_END.has(nx.v)) return undefined;
      if (this.lang === "ruby" && nx.k === "p" && nx.v === "{") return undefined;
      return this.splitArgs(i + 1, t.length, true);
    }
    return undefined;
  }

  private splitArgs(s: number, end: number, parenless: boolean, nest = 0): Arg[] {
    const t = this.t;
    const args: Arg[] = [];
    let j = s;
    let a = s;
    let budget = PAREN_LESS_BUDGET;
    const stop = Math.min(end, t.length);
    while (j < stop) {
      const tok = t[j]!;
      if (parenless) {
        if (--budget < 0) {
          args.push({ k: "dyn", s: a, e: j });
          return args;
        }
        if (tok.k === "nl" && !this.p(j - 1, ",")) break;
        if (
          tok.k === "p" &&
          (tok.v === ";" ||
            tok.v === ")" ||
            tok.v === "]" ||
            tok.v === "}" ||
            tok.v === "?" ||
            tok.v === "||" ||
            tok.v === "&&" ||
            tok.v === "=~")
        )
          break;
        if (tok.k === "id" && PAREN_LESS_END.has(tok.v)) break;
      }
      if (tok.k === "p" && tok.v === ",") {
        if (j > a) args.push(this.classify(a, j, nest));
        a = j + 1;
        j++;
        continue;
      }
      if (tok.k === "nl") {
        j++;
        continue;
      }
      j = this.next(j);
    }
    const e = Math.min(j, stop);
    if (e > a) args.push(this.classify(a, e, nest));
    return args;
  }

  /** One argument's shape. `nest` bounds the recursion into nested lists and calls (hostile input nests deep). */
  private classify(s: number, e: number, nest = 0): Arg {
    const t = this.t;
    const lang = this.lang;
    e = Math.min(e, t.length);
    while (s < e && t[s]!.k === "nl") s++;
    if (s >= e || nest > MAX_ARG_NEST) return { k: "dyn", s, e };
    // keyword arguments: name=val (python), name: val (ruby), key => val; a chain a=b=c keeps the first name
    const s0 = s;
    let kw: string | undefined;
    while (s + 1 < e) {
      const a = t[s]!;
      const sep = t[s + 1]!;
      const isSep =
        sep.k === "p" &&
        ((a.k === "id" &&
          ((lang === "python" && sep.v === "=") || (lang === "ruby" && sep.v === ":" && !sep.sp))) ||
          ((a.k === "id" || a.k === "str") && sep.v === "=>"));
      if (!isSep) break;
      kw ??= a.v;
      s += 2;
    }
    if (kw !== undefined) return { k: "kw", name: kw, val: this.classify(s, e, nest + 1), s: s0, e };
    const first = t[s]!;
    if (
      first.k === "p" &&
      (first.v === "[" || first.v === "(" || first.v === "{") &&
      this.match[s] === e - 1
    ) {
      if (first.v === "{") return { k: "obj", s, e };
      const inner = this.splitArgs(s + 1, e - 1, false, nest + 1);
      const trailingComma = this.p(e - 2, ",");
      if (first.v === "(" && inner.length === 1 && !trailingComma && lang !== "perl") return inner[0]!;
      return { k: "list", items: inner.map((x) => (x.k === "str" && !x.dyn ? x.v : null)), s, e };
    }
    if (first.k === "list" && e === s + 1) return { k: "list", items: first.items ?? [], s, e };
    if (
      lang === "php" &&
      first.k === "id" &&
      first.v === "array" &&
      this.p(s + 1, "(") &&
      this.match[s + 1] === e - 1
    ) {
      const inner = this.splitArgs(s + 2, e - 1, false, nest + 1);
      return { k: "list", items: inner.map((x) => (x.k === "str" && !x.dyn ? x.v : null)), s, e };
    }
    // a literal through a path helper: os.path.expanduser("~/.bashrc"), Path("x"), File.expand_path("x")
    if (
      first.k === "id" &&
      e === s + 4 &&
      this.p(s + 1, "(") &&
      this.match[s + 1] === s + 3 &&
      t[s + 2]!.k === "str" &&
      PATH_HELPER.test(this.resolve(first.v))
    ) {
      const lit = t[s + 2]!;
      return { k: "str", v: lit.v, dyn: lit.dyn === true, s, e };
    }
    // path.join("a", "b"), os.path.join(os.path.expanduser("~"), ".ssh"), File.join(Dir.home, ".x")
    if (
      first.k === "id" &&
      this.p(s + 1, "(") &&
      this.match[s + 1] === e - 1 &&
      PATH_JOIN.test(this.resolve(first.v))
    ) {
      const parts = this.splitArgs(s + 2, e - 1, false, nest + 1);
      if (parts.length > 0 && parts.every((x) => x.k === "str")) {
        const v = parts
          .map((x) => (x.k === "str" ? x.v : ""))
          .join("/")
          .replace(/\/{2,}/g, "/");
        return { k: "str", v, dyn: parts.some((x) => x.k === "str" && x.dyn), s, e };
      }
    }
    // literal, or literals concatenated; a home-directory expression counts as "~"
    const concat = lang === "perl" || lang === "php" ? "." : "+";
    let v = "";
    let dyn = false;
    let j = s;
    let expectStr = true;
    while (j < e) {
      const tok = t[j]!;
      if (expectStr) {
        const h = this.homeAt(j);
        if (h > 0 && h <= e) {
          v += "~";
          j = h;
          expectStr = false;
          continue;
        }
      }
      if (!expectStr && lang === "python" && tok.k === "p" && tok.v === "/") {
        v += "/";
        expectStr = true;
        j++;
        continue;
      }
      if (tok.k === "str" && expectStr !== false) {
        v += tok.v;
        if (tok.dyn || tok.cmd) dyn = true;
        j++;
        expectStr = false;
        if (j < e && t[j]!.k === "str") expectStr = true;
        continue;
      }
      if (!expectStr && tok.k === "p" && tok.v === concat) {
        expectStr = true;
        j++;
        continue;
      }
      return { k: "dyn", s, e };
    }
    if (expectStr) return { k: "dyn", s, e };
    return { k: "str", v, dyn, s, e };
  }

  /** The index after a home-directory expression at j (process.env.HOME, os.homedir(), Path.home(), $ENV{HOME}, ...), or -1. */
  private homeAt(j: number): number {
    const t = this.t;
    const tok = t[j];
    if (tok?.k !== "id") return -1;
    const c = this.resolve(tok.v);
    const homeLit = (k: number) => {
      const x = t[k];
      return x !== undefined && (x.k === "str" || (x.k === "id" && this.lang === "perl")) && x.v === "HOME";
    };
    if (HOME_MAPS.has(c)) {
      const o = t[j + 1];
      if (o?.k === "p" && (o.v === "[" || o.v === "{") && this.match[j + 1] === j + 3 && homeLit(j + 2))
        return j + 4;
      return -1;
    }
    if (c === "process.env.HOME" || c === "Bun.env.HOME" || (c === "Dir.home" && !this.p(j + 1, "(")))
      return j + 1;
    if (this.p(j + 1, "(")) {
      const m = this.match[j + 1];
      if (m === j + 2 && /(^|\.)(homedir|home)$/.test(c)) return j + 3;
      if (m === j + 3) {
        if (/(^|\.)(getenv|get|fetch)$/.test(c) && homeLit(j + 2)) return j + 4;
        if (/(^|\.)expanduser$/.test(c) && t[j + 2]?.k === "str" && t[j + 2]!.v === "~") return j + 4;
      }
    }
    return -1;
  }

  /** Paths composed from the home directory and literals: process.env.HOME + "/.ssh/id_rsa" -> ~/.ssh/id_rsa. */
  private composedPath(i: number): void {
    const t = this.t;
    const tok = t[i]!;
    if (this.p(i + 1, "(") && PATH_JOIN.test(this.resolve(tok.v))) {
      const a = this.classify(i, Math.min(this.match[i + 1]! + 1, t.length));
      if (a.k === "str" && looksLikePath(a.v)) this.add(this.f.paths, this.seen.path, a.v);
      return;
    }
    const h = this.homeAt(i);
    if (h < 0) return;
    const concat = this.lang === "perl" || this.lang === "php" ? "." : "+";
    let v = "~";
    let k = h;
    while (
      k + 1 < t.length &&
      t[k + 1]!.k === "str" &&
      (this.p(k, concat) || (this.lang === "python" && this.p(k, "/")))
    ) {
      v += (this.p(k, "/") ? "/" : "") + t[k + 1]!.v;
      k += 2;
    }
    if (v !== "~" && looksLikePath(v)) this.add(this.f.paths, this.seen.path, v);
  }

  private spawnArgs(args: Arg[], mode: Spawn, exact: boolean): void {
    let pos = args.filter((a) => a.k !== "kw");
    if (pos.length === 0) {
      if (exact) this.f.dynamicSpawn = true;
      return;
    }
    const words: string[] = [];
    let dynamic = false;
    const fromList = (a: Arg): boolean => {
      if (a.k !== "list") return false;
      for (const w of a.items) {
        if (w === null) dynamic = true;
        else words.push(w);
      }
      return true;
    };
    const objKey = (a: Arg, keys: string[]): boolean => {
      if (a.k !== "obj") return false;
      const inner = this.splitArgs(a.s + 1, a.e - 1, false);
      for (const x of inner) {
        if (x.k === "kw" && keys.includes(x.name.replace(/^["']|["']$/g, ""))) {
          if (!fromList(x.val)) dynamic = true;
          return true;
        }
        if (
          x.k === "dyn" &&
          this.t[x.s]?.k === "id" &&
          keys.includes(this.t[x.s]!.v) &&
          this.p(x.s + 1, ":")
        ) {
          const val = this.classify(x.s + 2, x.e);
          if (!fromList(val)) dynamic = true;
          return true;
        }
      }
      return false;
    };
    let text: string | undefined;
    switch (mode) {
      case "first":
      case "jsCmd": {
        const a = pos[0]!;
        if (a.k === "str") {
          if (a.dyn) dynamic = true;
          else text = a.v;
        } else if (!fromList(a)) dynamic = true;
        break;
      }
      case "jsFile": {
        const a = pos[0]!;
        if (a.k === "str") {
          if (a.dyn) dynamic = true;
          else words.push(a.v);
        } else if (!fromList(a) && !objKey(a, ["cmd", "args"])) dynamic = true;
        const b = pos[1];
        if (b && !fromList(b) && !objKey(b, ["args"]) && b.k !== "obj") {
          const callback =
            b.k === "dyn" &&
            (this.t[b.s]?.v === "function" ||
              this.t.slice(b.s, Math.min(b.e, b.s + 64)).some((x) => x.k === "p" && x.v === "=>"));
          if (!callback) dynamic = true;
        }
        if (words.length === 1 && pos[0]?.k === "str" && !pos[1]) text = words[0];
        break;
      }
      case "all":
      case "tail": {
        if (mode === "tail") {
          let k = 0;
          while (k < pos.length && pos[k]!.k !== "str" && pos[k]!.k !== "list") k++;
          pos = pos.slice(k);
          if (pos.length === 0) dynamic = true;
        } else if (pos[0]!.k === "obj") pos = pos.slice(1);
        if (pos.length === 1 && pos[0]!.k === "str") {
          const a = pos[0]!;
          if (a.dyn) dynamic = true;
          else text = a.v;
          break;
        }
        for (const a of pos) {
          if (a.k === "str" && !a.dyn) words.push(a.v);
          else if (!fromList(a)) dynamic = true;
        }
        break;
      }
      case "pyexec": {
        const list = pos.find((a) => a.k === "list");
        if (list) fromList(list);
        else {
          const strs = pos.filter((a) => a.k === "str");
          if (strs.some((a) => a.k === "str" && a.dyn)) dynamic = true;
          const lits = strs.map((a) => (a.k === "str" ? a.v : ""));
          words.push(...(lits.length > 1 ? lits.slice(1) : lits));
          if (lits.length === 0) dynamic = true;
        }
        break;
      }
    }
    if (dynamic) {
      this.f.dynamicSpawn = true;
      return;
    }
    if (text === undefined && words.length) text = words.map(argWord).join(" ");
    if (text !== undefined) this.add(this.f.shell, this.seen.shell, text);
  }

  private deleteArgs(pos: Arg[], mode: Del): void {
    if (pos.length === 0) {
      this.f.dynamicDelete = true;
      return;
    }
    for (const a of mode === "first" ? pos.slice(0, 1) : pos) {
      if (a.k === "str" && !a.dyn) this.add(this.f.deletes, this.seen.del, a.v);
      else if (a.k === "list") {
        for (const w of a.items) {
          if (w === null) this.f.dynamicDelete = true;
          else this.add(this.f.deletes, this.seen.del, w);
        }
      } else this.f.dynamicDelete = true;
    }
  }

  private writeArgs(args: Arg[], mode: Write): void {
    const pos = args.filter((a) => a.k !== "kw");
    const lit = (a: Arg | undefined): string | undefined => (a?.k === "str" && !a.dyn ? a.v : undefined);
    const push = (p: string | undefined) => {
      if (p !== undefined) this.add(this.f.writes, this.seen.write, p);
    };
    switch (mode) {
      case "first":
        push(lit(pos[0]));
        return;
      case "second":
        push(lit(pos[1]));
        return;
      case "open": {
        const kw = args.find((a) => a.k === "kw" && (a.name === "mode" || a.name === "flags"));
        const m = pos[1] ?? (kw?.k === "kw" ? kw.val : undefined);
        if (!m) return;
        const re = this.lang === "php" ? /[waxc+]/ : /[wax+]/;
        if (m.k !== "str" || m.dyn || re.test(m.v)) push(lit(pos[0]));
        return;
      }
      case "osopen": {
        const m = pos[1];
        if (!m) return;
        for (let j = m.s; j < m.e; j++) {
          const tok = this.t[j]!;
          if (tok.k === "id" && /O_(WRONLY|RDWR|APPEND|CREAT|TRUNC)$/.test(tok.v)) {
            push(lit(pos[0]));
            return;
          }
        }
        return;
      }
      case "perlopen": {
        const spec = pos[1];
        if (spec?.k !== "str" || spec.dyn) return;
        const s = spec.v.trim();
        if (pos.length >= 3) {
          if (s.includes(">")) push(lit(pos[2]));
          return;
        }
        const w = /^(\+?>{1,2}|\+<)\s*(.*)$/.exec(s);
        if (w) push(w[2]!.trim());
        return;
      }
    }
  }

  private env(i: number, canon: string): void {
    const t = this.t;
    const lang = this.lang;
    const f = this.f;
    const name = (tok: Tok | undefined) => {
      if (!tok) return;
      const v = tok.v;
      if (v !== "" && v.length <= 256) this.add(f.envNames, this.seen.env, v);
    };
    const bracketName = (j: number, open: string) => {
      const close = BRACKET[open]!;
      const inner = t[j + 1];
      if (
        this.p(j, open) &&
        inner &&
        (inner.k === "str" ? !inner.dyn : lang === "perl" && inner.k === "id") &&
        this.p(j + 2, close)
      )
        name(inner);
    };
    const callName = (j: number) => {
      if (this.p(j, "(") && t[j + 1]?.k === "str" && !t[j + 1]!.dyn) name(t[j + 1]);
    };
    switch (lang) {
      case "python":
        if (hasPrefix(canon, ["os.environ", "os.environb", "os.getenv", "os.getenvb", "posix.environ"])) {
          f.readsEnv = true;
          if (canon === "os.environ" || canon === "os.environb") bracketName(i + 1, "[");
          else callName(i + 1);
        }
        return;
      case "node": {
        if (hasPrefix(canon, ["process.env", "Deno.env", "Bun.env"])) {
          f.readsEnv = true;
          const segs = canon.split(".");
          if (canon === "process.env" || canon === "Bun.env") {
            bracketName(i + 1, "[");
            if (this.p(i - 1, "=") && this.p(i - 2, "}")) {
              const o = this.match[i - 2]!;
              for (let j = o + 1; j > 0 && j < i - 2; j = this.next(j)) {
                if (t[j]!.k === "id" && (this.p(j - 1, "{") || this.p(j - 1, ","))) name(t[j]);
              }
            }
          } else if (canon === "Deno.env.get") callName(i + 1);
          else if (segs[0] !== "Deno" && segs.length >= 3) name(mk("id", segs[2]!));
        }
        return;
      }
      case "ruby":
        if (canon === "ENV" || canon.startsWith("ENV.")) {
          f.readsEnv = true;
          if (canon === "ENV") bracketName(i + 1, "[");
          else if (canon === "ENV.fetch" || canon === "ENV.key?") callName(i + 1);
        }
        return;
      case "perl":
        if (canon === "$ENV" || canon === "%ENV" || canon === "@ENV") {
          f.readsEnv = true;
          bracketName(i + 1, "{");
        }
        return;
      case "php":
        if (canon === "getenv") {
          f.readsEnv = true;
          callName(i + 1);
        } else if (canon === "$_env" || canon === "$_server") {
          f.readsEnv = true;
          bracketName(i + 1, "[");
        }
        return;
    }
  }
}

const MAX_CODE = 16 * 1024 * 1024;

/** Reads interpreter code as data and reports what it does. Never throws; linear in the code's length. */
export function scanInterpreterCode(lang: InterpLang, code: string): InterpFacts {
  try {
    const src = code.length > MAX_CODE ? code.slice(0, MAX_CODE) : code;
    const toks = new Tokenizer(src, lang).run();
    const facts = new Analyzer(lang, toks).run();
    if (code.length > MAX_CODE) {
      facts.dynamicSpawn = true;
      facts.dynamicDelete = true;
      facts.evaluates = true;
    }
    return facts;
  } catch {
    // a defect in the reader must not let code through unexamined
    return {
      shell: [],
      dynamicSpawn: true,
      deletes: [],
      dynamicDelete: true,
      writes: [],
      paths: [],
      network: true,
      evaluates: true,
      readsEnv: true,
      envNames: [],
    };
  }
}
