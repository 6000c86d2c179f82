// A recursive-descent parser for the shell language agents send (POSIX sh plus the bash forms they
// use: [[ ]], (( )), $'...', here-strings, process substitution, functions, arrays). Scannerless: it
// reads the string once, left to right, with no backtracking, so time is linear in the input; the
// nesting depth and the number of commands are capped, and anything it does not understand is a
// ParseError, which the gate answers with `ask` (fail closed).

import type { Assign, Command, Part, Pipeline, Redirect, Script, Word } from "./ast.js";
import { hasBlank, isNameChar, isNameStart } from "./chars.js";

export class ParseError extends Error {
  override name = "ParseError";
}

export const PARSE_LIMITS = {
  /** Deepest nesting of lists: subshells, groups, substitutions, compound bodies. */
  maxDepth: 48,
  /** Most commands, words and redirections in one input (with every substitution inside it). */
  maxNodes: 20_000,
};

const BLANK = new Set([" ", "\t"]);
/** Characters that end an unquoted word. */
const WORD_END = new Set([" ", "\t", "\n", ";", "&", "|", "(", ")", "<", ">"]);
/** Reserved words that end a list (the caller checks it is the one it expects). */
const LIST_END_WORDS = ["then", "else", "elif", "fi", "do", "done", "esac", "}"];
const SPECIAL_PARAMS = new Set(["@", "*", "#", "?", "$", "!", "-", "0"]);
/** Builtins whose NAME=value arguments bash parses as assignments (arrays included). */
const DECLARATIONS = new Set(["declare", "typeset", "local", "export", "readonly"]);

interface Budget {
  nodes: number;
}

/**
 * The expansions in an unquoted here-document's body (`$x`, `${x}`, `$(cmd)`, backticks): the body
 * is not split into words, but its substitutions run. Throws ParseError like parseScript.
 */
export function parseHeredocBody(body: string): Part[] {
  const p = new Parser(body, 0, { nodes: 0 });
  return p.parseText();
}

/** Parses one command string into a script. Throws ParseError on anything it cannot parse. */
export function parseScript(src: string): Script {
  const p = new Parser(src, 0, { nodes: 0 });
  const script = p.parseList();
  p.skipLinebreaks();
  if (!p.eof()) p.fail(`unexpected ${JSON.stringify(p.peekChars(2))}`);
  p.finishHeredocs();
  return script;
}

class Parser {
  private i = 0;
  private pending: { redirect: Redirect; delim: string; strip: boolean }[] = [];

  constructor(
    private readonly s: string,
    private depth: number,
    private readonly budget: Budget,
  ) {}

  eof(): boolean {
    return this.i >= this.s.length;
  }

  peekChars(n: number): string {
    return this.s.slice(this.i, this.i + n);
  }

  fail(msg: string): never {
    throw new ParseError(msg);
  }

  private count(): void {
    if (++this.budget.nodes > PARSE_LIMITS.maxNodes) this.fail("too many commands");
  }

  private enter(): void {
    if (++this.depth > PARSE_LIMITS.maxDepth) this.fail("nested too deeply");
  }

  private leave(): void {
    this.depth--;
  }

  // ---- characters, blanks, comments, newlines, here-documents

  private skipBlanks(): void {
    const s = this.s;
    for (;;) {
      const c = s[this.i];
      if (c !== undefined && BLANK.has(c)) this.i++;
      else if (c === "\\" && s[this.i + 1] === "\n") this.i += 2;
      else break;
    }
  }

  /** Blanks and a comment (a `#` at the start of a word runs to the end of the line). */
  private skipBlanksAndComment(): void {
    this.skipBlanks();
    if (this.s[this.i] === "#") {
      const nl = this.s.indexOf("\n", this.i);
      this.i = nl === -1 ? this.s.length : nl;
    }
  }

  /** Consumes one newline, then the bodies of the here-documents started on its line. */
  private newline(): void {
    this.i++;
    const pending = this.pending;
    this.pending = [];
    for (const h of pending) this.readHeredoc(h);
  }

  skipLinebreaks(): void {
    for (;;) {
      this.skipBlanksAndComment();
      if (this.s[this.i] === "\n") this.newline();
      else break;
    }
  }

  private readHeredoc(h: { redirect: Redirect; delim: string; strip: boolean }): void {
    const s = this.s;
    let body = "";
    while (this.i < s.length) {
      const nl = s.indexOf("\n", this.i);
      const end = nl === -1 ? s.length : nl;
      let line = s.slice(this.i, end);
      this.i = nl === -1 ? s.length : nl + 1;
      if (h.strip) line = line.replace(/^\t+/, "");
      if (line === h.delim) {
        h.redirect.heredoc = { body, quoted: h.redirect.heredoc?.quoted ?? false };
        return;
      }
      body += `${line}\n`;
    }
    // Unterminated: the shell reads the document to the end of the input (with a warning).
    h.redirect.heredoc = { body, quoted: h.redirect.heredoc?.quoted ?? false };
  }

  /** At the end of the input, a here-document that never got its newline is empty. */
  finishHeredocs(): void {
    for (const h of this.pending) h.redirect.heredoc ??= { body: "", quoted: false };
    this.pending = [];
  }

  private isWordEnd(c: string | undefined): boolean {
    return c === undefined || WORD_END.has(c);
  }

  /** A reserved word at the current position (followed by a word end). */
  private atWord(w: string): boolean {
    return this.s.startsWith(w, this.i) && this.isWordEnd(this.s[this.i + w.length]);
  }

  private expectWord(w: string): void {
    this.skipLinebreaks();
    if (!this.atWord(w)) this.fail(`expected ${w}`);
    this.i += w.length;
  }

  private atListEnd(): boolean {
    const s = this.s;
    const c = s[this.i];
    if (c === undefined || c === ")") return true;
    if (c === ";" && (s[this.i + 1] === ";" || s[this.i + 1] === "&")) return true;
    for (const w of LIST_END_WORDS) if (this.atWord(w)) return true;
    return false;
  }

  // ---- lists, pipelines, commands

  parseList(): Script {
    this.enter();
    const items: Script["items"] = [];
    this.skipLinebreaks();
    while (!this.atListEnd()) {
      const pipeline = this.parsePipeline();
      this.skipBlanksAndComment();
      const s = this.s;
      const c = s[this.i];
      const n = s[this.i + 1];
      if ((c === "&" && n === "&") || (c === "|" && n === "|")) {
        this.i += 2;
        items.push({ pipeline, op: c === "&" ? "&&" : "||" });
        this.skipLinebreaks();
        if (this.atListEnd()) this.fail(`nothing after ${c}${c}`);
        continue;
      }
      if (c === ";" && n !== ";" && n !== "&") {
        this.i++;
        items.push({ pipeline, op: ";" });
        this.skipLinebreaks();
        continue;
      }
      if (c === "&") {
        this.i++;
        items.push({ pipeline, op: "&" });
        this.skipLinebreaks();
        continue;
      }
      items.push({ pipeline, op: ";" });
      if (c === "\n") {
        this.skipLinebreaks();
        continue;
      }
      break;
    }
    this.leave();
    return { items };
  }

  private parsePipeline(): Pipeline {
    this.skipBlanks();
    let bang = false;
    if (this.atWord("time")) {
      this.i += 4;
      this.skipBlanks();
      if (this.atWord("-p")) this.i += 2;
      this.skipBlanks();
    }
    while (this.atWord("!")) {
      bang = !bang;
      this.i++;
      this.skipBlanks();
    }
    const commands = [this.parseCommand()];
    for (;;) {
      this.skipBlanks();
      const s = this.s;
      if (s[this.i] === "|" && s[this.i + 1] !== "|") {
        this.i += s[this.i + 1] === "&" ? 2 : 1;
        this.skipLinebreaks();
        commands.push(this.parseCommand());
      } else break;
    }
    return { commands, bang };
  }

  private parseCommand(): Command {
    this.count();
    this.skipBlanks();
    const s = this.s;
    const c = s[this.i];
    if (c === "(" && s[this.i + 1] === "(") {
      this.i += 2;
      const raw = this.scanArith();
      return { type: "arith", raw, redirects: this.trailingRedirects() };
    }
    if (c === "(") {
      this.i++;
      const body = this.parseBody();
      this.expectChar(")");
      return { type: "subshell", body, redirects: this.trailingRedirects() };
    }
    if (c === "{" && (s[this.i + 1] === undefined || hasBlank(s[this.i + 1]!))) {
      this.i++;
      const body = this.parseBody();
      this.expectWord("}");
      return { type: "group", body, redirects: this.trailingRedirects() };
    }
    if (this.atWord("[[")) return this.parseTest();
    if (this.atWord("if")) return this.parseIf();
    if (this.atWord("while") || this.atWord("until")) return this.parseLoop();
    if (this.atWord("for") || this.atWord("select")) return this.parseFor();
    if (this.atWord("case")) return this.parseCase();
    if (this.atWord("function")) return this.parseFunctionKeyword();
    if (this.atWord("coproc")) this.fail("coproc is not supported");
    for (const w of LIST_END_WORDS) if (this.atWord(w)) this.fail(`unexpected ${w}`);
    return this.parseSimple();
  }

  /** A compound command's body: a non-empty list. */
  private parseBody(): Script {
    const body = this.parseList();
    if (body.items.length === 0) this.fail("empty command list");
    return body;
  }

  private expectChar(ch: string): void {
    this.skipLinebreaks();
    if (this.s[this.i] !== ch) this.fail(`expected ${ch}`);
    this.i++;
  }

  private trailingRedirects(): Redirect[] {
    const out: Redirect[] = [];
    for (;;) {
      this.skipBlanks();
      if (this.atRedirect()) out.push(this.parseRedirect());
      else return out;
    }
  }

  private parseIf(): Command {
    this.i += 2;
    const clauses: { cond: Script; body: Script }[] = [];
    let orElse: Script | undefined;
    for (;;) {
      const cond = this.parseBody();
      this.expectWord("then");
      const body = this.parseBody();
      clauses.push({ cond, body });
      this.skipLinebreaks();
      if (this.atWord("elif")) {
        this.i += 4;
        continue;
      }
      if (this.atWord("else")) {
        this.i += 4;
        orElse = this.parseBody();
      }
      this.expectWord("fi");
      break;
    }
    return { type: "if", clauses, orElse, redirects: this.trailingRedirects() };
  }

  private parseLoop(): Command {
    const kind = this.atWord("while") ? "while" : "until";
    this.i += kind.length;
    const cond = this.parseBody();
    this.expectWord("do");
    const body = this.parseBody();
    this.expectWord("done");
    return { type: "loop", kind, cond, body, redirects: this.trailingRedirects() };
  }

  private parseFor(): Command {
    this.i += this.atWord("for") ? 3 : 6;
    this.skipBlanks();
    let name = "";
    let items: Word[] | undefined;
    if (this.s[this.i] === "(" && this.s[this.i + 1] === "(") {
      this.i += 2;
      this.scanArith();
      items = [];
    } else {
      name = this.readName();
      if (!name) this.fail("expected a loop variable");
      this.skipLinebreaks();
      if (this.atWord("in")) {
        this.i += 2;
        items = [];
        for (;;) {
          this.skipBlanks();
          const c = this.s[this.i];
          if (c === undefined || c === ";" || c === "\n") break;
          items.push(this.parseWordOrFail());
        }
      }
    }
    this.skipBlanks();
    if (this.s[this.i] === ";") this.i++;
    this.expectWord("do");
    const body = this.parseBody();
    this.expectWord("done");
    return { type: "for", name, items, body, redirects: this.trailingRedirects() };
  }

  private parseCase(): Command {
    this.i += 4;
    this.skipBlanks();
    const word = this.parseWordOrFail();
    this.expectWord("in");
    const arms: { patterns: Word[]; body: Script }[] = [];
    for (;;) {
      this.skipLinebreaks();
      if (this.atWord("esac")) {
        this.i += 4;
        break;
      }
      if (this.eof()) this.fail("expected esac");
      if (this.s[this.i] === "(") this.i++;
      const patterns: Word[] = [];
      for (;;) {
        this.skipBlanks();
        patterns.push(this.parseWordOrFail());
        this.skipBlanks();
        if (this.s[this.i] === "|") {
          this.i++;
          continue;
        }
        break;
      }
      if (this.s[this.i] !== ")") this.fail("expected ) after a case pattern");
      this.i++;
      const body = this.parseList();
      arms.push({ patterns, body });
      this.skipLinebreaks();
      const s = this.s;
      if (s.startsWith(";;&", this.i)) this.i += 3;
      else if (s.startsWith(";;", this.i) || s.startsWith(";&", this.i)) this.i += 2;
      else if (!this.atWord("esac")) this.fail("expected ;; or esac");
    }
    return { type: "case", word, arms, redirects: this.trailingRedirects() };
  }

  private parseFunctionKeyword(): Command {
    this.i += 8;
    this.skipBlanks();
    const name = this.parseWordOrFail();
    this.skipBlanks();
    if (this.s[this.i] === "(") {
      this.i++;
      this.skipBlanks();
      if (this.s[this.i] !== ")") this.fail("expected ) in a function definition");
      this.i++;
    }
    return this.functionBody(name.raw);
  }

  private functionBody(name: string): Command {
    this.skipLinebreaks();
    const body = this.parseCommand();
    if (body.type === "simple") this.fail("a function body must be a compound command");
    return { type: "function", name, body };
  }

  private parseTest(): Command {
    this.i += 2;
    const words: Word[] = [];
    for (;;) {
      this.skipBlanks();
      const s = this.s;
      if (s[this.i] === "\n") {
        this.newline();
        continue;
      }
      if (this.eof()) this.fail("expected ]]");
      if (this.atWord("]]")) {
        this.i += 2;
        break;
      }
      const two = s.slice(this.i, this.i + 2);
      if (two === "&&" || two === "||") {
        this.i += 2;
        words.push(lit(two));
        continue;
      }
      const c = s[this.i]!;
      if ("()<>!|;&".includes(c)) {
        this.i++;
        words.push(lit(c));
        continue;
      }
      words.push(this.parseWordOrFail());
      this.count();
    }
    return { type: "test", words, redirects: this.trailingRedirects() };
  }

  /** After `((` (or `$((`): the expression up to the matching `))`. Substitutions inside fail. */
  private scanArith(): string {
    const s = this.s;
    const start = this.i;
    let depth = 0;
    for (;;) {
      const c = s[this.i];
      if (c === undefined) this.fail("expected ))");
      if (c === "$" && s[this.i + 1] === "(") this.fail("a substitution inside arithmetic");
      if (c === "`") this.fail("a substitution inside arithmetic");
      if (c === "(") depth++;
      else if (c === ")") {
        if (depth === 0) {
          if (s[this.i + 1] !== ")") this.fail("expected ))");
          const raw = s.slice(start, this.i);
          this.i += 2;
          return raw;
        }
        depth--;
      }
      this.i++;
    }
  }

  private parseSimple(): Command {
    const assigns: Assign[] = [];
    const words: Word[] = [];
    const redirects: Redirect[] = [];
    for (;;) {
      this.skipBlanks();
      if (words.length || assigns.length || redirects.length) this.skipBlanksAndComment();
      if (this.atRedirect()) {
        redirects.push(this.parseRedirect());
        this.count();
        continue;
      }
      const s = this.s;
      const c = s[this.i];
      if (c === undefined || c === "\n" || c === ";" || c === "&" || c === "|" || c === ")") break;
      if (c === "(") {
        if (words.length === 1 && !assigns.length && !redirects.length) {
          this.i++;
          this.skipBlanks();
          if (s[this.i] !== ")") this.fail("expected ) in a function definition");
          this.i++;
          return this.functionBody(words[0]!.raw);
        }
        this.fail("unexpected (");
      }
      if (words.length === 0) {
        const a = this.tryAssign();
        if (a) {
          assigns.push(a);
          this.count();
          continue;
        }
      } else if (words.length >= 1 && DECLARATIONS.has(words[0]!.raw)) {
        // `declare -a A=(x y)`, `local X=$(cmd)`: bash parses these arguments as assignments.
        const start = this.i;
        const a = this.tryAssign();
        if (a) {
          const parts: Part[] = [{ type: "lit", value: `${a.name}=`, quoted: false }];
          if (a.value) parts.push(...a.value.parts);
          for (const w of a.array ?? []) for (const p of w.parts) if (p.type !== "lit") parts.push(p);
          words.push({ parts, raw: this.s.slice(start, this.i) });
          this.count();
          continue;
        }
      }
      words.push(this.parseWordOrFail());
      this.count();
    }
    if (!words.length && !assigns.length && !redirects.length) this.fail("expected a command");
    return { type: "simple", assigns, words, redirects };
  }

  private readName(): string {
    const s = this.s;
    const start = this.i;
    if (!isNameStart(s[this.i] ?? "")) return "";
    while (isNameChar(s[this.i] ?? "")) this.i++;
    return s.slice(start, this.i);
  }

  /** `NAME=`, `NAME+=`, `NAME[sub]=` at the start of a word: an assignment. */
  private tryAssign(): Assign | undefined {
    const s = this.s;
    const start = this.i;
    const name = this.readName();
    if (!name) return undefined;
    if (s[this.i] === "[") {
      // The subscript ends at `]` within this word (scanning stops at a word end: linear).
      let j = this.i + 1;
      while (j < s.length && s[j] !== "]" && !WORD_END.has(s[j]!)) j++;
      if (s[j] !== "]") {
        this.i = start;
        return undefined;
      }
      this.i = j + 1;
    }
    let append = false;
    if (s[this.i] === "+" && s[this.i + 1] === "=") {
      append = true;
      this.i++;
    }
    if (s[this.i] !== "=") {
      this.i = start;
      return undefined;
    }
    this.i++;
    if (s[this.i] === "(") {
      this.i++;
      const array: Word[] = [];
      for (;;) {
        this.skipLinebreaks();
        if (this.s[this.i] === ")") {
          this.i++;
          break;
        }
        if (this.eof()) this.fail("expected ) after an array");
        array.push(this.parseWordOrFail());
        this.count();
      }
      return { name, array, append };
    }
    return { name, value: this.parseWord(), append };
  }

  private atRedirect(): boolean {
    const s = this.s;
    let j = this.i;
    while (j < s.length && s.charCodeAt(j) >= 48 && s.charCodeAt(j) <= 57) j++;
    const c = s[j];
    if (c === "<" || c === ">") return s[j + 1] !== "(";
    return j === this.i && c === "&" && s[j + 1] === ">";
  }

  private parseRedirect(): Redirect {
    const s = this.s;
    const start = this.i;
    while (s.charCodeAt(this.i) >= 48 && s.charCodeAt(this.i) <= 57) this.i++;
    const fd = this.i > start ? Number(s.slice(start, this.i)) : undefined;
    const ops = ["<<<", "<<-", "<<", "<>", "<&", "<", "&>>", "&>", ">>", ">|", ">&", ">"];
    const op = ops.find((o) => s.startsWith(o, this.i))!;
    this.i += op.length;
    this.skipBlanks();
    const target = this.parseWordOrFail();
    const redirect: Redirect = { op, target };
    if (fd !== undefined) redirect.fd = fd;
    if (op === "<<" || op === "<<-") {
      const quoted = target.parts.some((p) => p.type !== "lit" || p.quoted);
      const delim = target.parts.map((p) => (p.type === "lit" ? p.value : "")).join("");
      redirect.heredoc = { body: "", quoted };
      this.pending.push({ redirect, delim, strip: op === "<<-" });
    }
    return redirect;
  }

  // ---- words

  private parseWordOrFail(): Word {
    const w = this.parseWord();
    if (!w.parts.length && !w.raw) this.fail(`unexpected ${JSON.stringify(this.peekChars(1))}`);
    return w;
  }

  private parseWord(): Word {
    const s = this.s;
    const start = this.i;
    const parts: Part[] = [];
    const addLit = (value: string, quoted: boolean) => {
      const last = parts[parts.length - 1];
      if (last?.type === "lit" && last.quoted === quoted) last.value += value;
      else parts.push({ type: "lit", value, quoted });
    };
    while (this.i < s.length) {
      const c = s[this.i]!;
      if (WORD_END.has(c)) {
        if ((c === "<" || c === ">") && s[this.i + 1] === "(") {
          this.i += 2;
          parts.push({ type: "procsub", dir: c, body: this.parseSub() });
          continue;
        }
        if (c === "(" && parts.length && /[@!+*?]$/.test(s[this.i - 1] ?? "")) {
          addLit(this.scanExtglob(), false);
          continue;
        }
        break;
      }
      if (c === "\\") {
        const n = s[this.i + 1];
        if (n === "\n") this.i += 2;
        else if (n === undefined) {
          addLit("\\", true);
          this.i++;
        } else {
          addLit(n, true);
          this.i += 2;
        }
        continue;
      }
      if (c === "'") {
        const close = s.indexOf("'", this.i + 1);
        if (close === -1) this.fail("unterminated single quote");
        addLit(s.slice(this.i + 1, close), true);
        this.i = close + 1;
        continue;
      }
      if (c === '"') {
        this.i++;
        this.parseDouble(parts, addLit);
        continue;
      }
      if (c === "$") {
        this.parseDollar(parts, addLit, false);
        continue;
      }
      if (c === "`") {
        parts.push({ type: "cmdsub", body: this.parseBacktick(false), quoted: false });
        continue;
      }
      let j = this.i + 1;
      while (j < s.length && !WORD_END.has(s[j]!) && !"\\'\"$`".includes(s[j]!)) j++;
      addLit(s.slice(this.i, j), false);
      this.i = j;
    }
    return { parts, raw: s.slice(start, this.i) };
  }

  /** `@(a|b)` and friends: a glob, kept as literal text. */
  private scanExtglob(): string {
    const s = this.s;
    const start = this.i;
    let depth = 0;
    for (;;) {
      const c = s[this.i];
      if (c === undefined || c === "\n") this.fail("unterminated pattern");
      if (c === "\\") {
        this.i += 2;
        continue;
      }
      if (c === "(") depth++;
      else if (c === ")" && --depth === 0) {
        this.i++;
        return s.slice(start, this.i);
      }
      this.i++;
    }
  }

  /** Text where only `\\`, `$` and backticks are special (a here-document body), to the end. */
  parseText(): Part[] {
    const s = this.s;
    const parts: Part[] = [];
    const addLit = (value: string, quoted: boolean) => {
      const last = parts[parts.length - 1];
      if (last?.type === "lit") last.value += value;
      else parts.push({ type: "lit", value, quoted });
    };
    while (this.i < s.length) {
      const c = s[this.i]!;
      if (c === "\\") {
        const n = s[this.i + 1];
        if (n === "\n") this.i += 2;
        else if (n !== undefined && "$`\\".includes(n)) {
          addLit(n, true);
          this.i += 2;
        } else {
          addLit("\\", true);
          this.i++;
        }
      } else if (c === "$") this.parseDollar(parts, addLit, true);
      else if (c === "`") parts.push({ type: "cmdsub", body: this.parseBacktick(true), quoted: true });
      else {
        let j = this.i + 1;
        while (j < s.length && !"\\$`".includes(s[j]!)) j++;
        addLit(s.slice(this.i, j), true);
        this.i = j;
      }
    }
    return parts;
  }

  /** After an opening `"`: the double-quoted text up to the closing quote. */
  private parseDouble(parts: Part[], addLit: (v: string, q: boolean) => void): void {
    const s = this.s;
    for (;;) {
      const c = s[this.i];
      if (c === undefined) this.fail("unterminated double quote");
      if (c === '"') {
        this.i++;
        // An empty "" still makes a (quoted, empty) word.
        addLit("", true);
        return;
      }
      if (c === "\\") {
        const n = s[this.i + 1];
        if (n === "\n") this.i += 2;
        else if (n !== undefined && '$`"\\'.includes(n)) {
          addLit(n, true);
          this.i += 2;
        } else {
          addLit("\\", true);
          this.i++;
        }
        continue;
      }
      if (c === "$") {
        this.parseDollar(parts, addLit, true);
        continue;
      }
      if (c === "`") {
        parts.push({ type: "cmdsub", body: this.parseBacktick(true), quoted: true });
        continue;
      }
      let j = this.i + 1;
      while (j < s.length && !'"\\$`'.includes(s[j]!)) j++;
      addLit(s.slice(this.i, j), true);
      this.i = j;
    }
  }

  private parseDollar(parts: Part[], addLit: (v: string, q: boolean) => void, quoted: boolean): void {
    const s = this.s;
    const n = s[this.i + 1];
    if (!quoted && n === "'") {
      this.i += 2;
      addLit(this.ansiC(), true);
      return;
    }
    if (!quoted && n === '"') {
      this.i += 2;
      this.parseDouble(parts, addLit);
      return;
    }
    if (n === "(" && s[this.i + 2] === "(") {
      this.i += 3;
      parts.push({ type: "arith", raw: this.scanArith() });
      return;
    }
    if (n === "(") {
      this.i += 2;
      parts.push({ type: "cmdsub", body: this.parseSub(), quoted });
      return;
    }
    if (n === "{") {
      this.i += 2;
      this.parseBraceParam(parts, quoted);
      return;
    }
    if (n !== undefined && isNameStart(n)) {
      this.i++;
      parts.push({ type: "param", name: this.readName(), op: "", quoted });
      return;
    }
    if (n !== undefined && (/[1-9]/.test(n) || SPECIAL_PARAMS.has(n))) {
      this.i += 2;
      parts.push({ type: "param", name: n, op: "", quoted });
      return;
    }
    addLit("$", quoted);
    this.i++;
  }

  /** After `$(` or `<(`: a command list up to the matching `)`. */
  private parseSub(): Script {
    const body = this.parseList();
    this.skipLinebreaks();
    if (this.s[this.i] !== ")") this.fail("expected ) to close a substitution");
    this.i++;
    return body;
  }

  /** After `${`: the parameter, its operator text, and any substitution inside the operator. */
  private parseBraceParam(parts: Part[], quoted: boolean): void {
    const s = this.s;
    let prefix = "";
    if ((s[this.i] === "#" || s[this.i] === "!") && s[this.i + 1] !== "}") prefix = s[this.i++]!;
    let name = this.readName();
    if (!name) {
      const c = s[this.i];
      if (c !== undefined && (/[0-9]/.test(c) || SPECIAL_PARAMS.has(c))) {
        let j = this.i + 1;
        if (/[0-9]/.test(c)) while (/[0-9]/.test(s[j] ?? "")) j++;
        name = s.slice(this.i, j);
        this.i = j;
      }
    }
    if (!name) this.fail("bad substitution");
    const opStart = this.i;
    const inner: Part[] = [];
    const innerLit = () => {};
    let depth = 0;
    for (;;) {
      const c = s[this.i];
      if (c === undefined) this.fail("unterminated ${");
      if (c === "}" && depth === 0) break;
      if (c === "{") depth++;
      else if (c === "}") depth--;
      if (c === "\\") {
        this.i += 2;
        continue;
      }
      if (c === "'" && !quoted) {
        const close = s.indexOf("'", this.i + 1);
        if (close === -1) this.fail("unterminated single quote");
        this.i = close + 1;
        continue;
      }
      if (c === '"') {
        this.i++;
        this.parseDouble(inner, innerLit);
        continue;
      }
      if (c === "$") {
        this.parseDollar(inner, innerLit, true);
        continue;
      }
      if (c === "`") {
        inner.push({ type: "cmdsub", body: this.parseBacktick(true), quoted: true });
        continue;
      }
      this.i++;
    }
    const op = prefix + s.slice(opStart, this.i);
    this.i++;
    parts.push({ type: "param", name, op, quoted });
    // Substitutions inside the operator (`${x:-$(cmd)}`) run: keep them as parts of the word.
    for (const p of inner) if (p.type !== "lit") parts.push(p);
  }

  /** After `$'`: ANSI-C quoting, decoded. */
  private ansiC(): string {
    const s = this.s;
    let out = "";
    for (;;) {
      const c = s[this.i];
      if (c === undefined) this.fail("unterminated $'");
      if (c === "'") {
        this.i++;
        return out;
      }
      if (c !== "\\") {
        out += c;
        this.i++;
        continue;
      }
      const n = s[this.i + 1];
      this.i += 2;
      const simple: Record<string, string> = {
        n: "\n",
        t: "\t",
        r: "\r",
        a: "\x07",
        b: "\b",
        f: "\f",
        v: "\v",
        e: "\x1b",
        E: "\x1b",
        "\\": "\\",
        "'": "'",
        '"': '"',
        "?": "?",
      };
      if (n === undefined) this.fail("unterminated $'");
      if (Object.hasOwn(simple, n)) {
        out += simple[n];
      } else if (n === "x") {
        out += this.hexDigits(2, 16);
      } else if (n === "u") {
        out += this.hexDigits(4, 16);
      } else if (n === "U") {
        out += this.hexDigits(8, 16);
      } else if (/[0-7]/.test(n)) {
        this.i--;
        out += this.hexDigits(3, 8);
      } else if (n === "c") {
        const ch = s[this.i++];
        if (ch === undefined) this.fail("unterminated $'");
        out += String.fromCharCode(ch.charCodeAt(0) & 31);
      } else {
        out += `\\${n}`;
      }
    }
  }

  private hexDigits(max: number, radix: 8 | 16): string {
    const s = this.s;
    const re = radix === 16 ? /[0-9A-Fa-f]/ : /[0-7]/;
    let j = this.i;
    while (j < this.i + max && re.test(s[j] ?? "")) j++;
    if (j === this.i) return radix === 16 ? "\\x" : "\\";
    const code = Number.parseInt(s.slice(this.i, j), radix);
    this.i = j;
    if (code > 0x10ffff) this.fail("bad escape in $'");
    return String.fromCodePoint(radix === 8 ? code & 255 : code);
  }

  /** After reaching a backtick: the command list inside, unescaped and parsed. */
  private parseBacktick(quoted: boolean): Script {
    const s = this.s;
    this.i++;
    let text = "";
    for (;;) {
      const c = s[this.i];
      if (c === undefined) this.fail("unterminated backquote");
      if (c === "`") {
        this.i++;
        break;
      }
      if (c === "\\") {
        const n = s[this.i + 1];
        if (n !== undefined && ("$`\\".includes(n) || (quoted && n === '"'))) {
          text += n;
          this.i += 2;
          continue;
        }
      }
      text += c;
      this.i++;
    }
    const sub = new Parser(text, this.depth, this.budget);
    const body = sub.parseList();
    sub.skipLinebreaks();
    if (!sub.eof()) sub.fail("unexpected text in a backquote substitution");
    sub.finishHeredocs();
    return body;
  }
}

function lit(value: string): Word {
  return { parts: [{ type: "lit", value, quoted: false }], raw: value };
}
