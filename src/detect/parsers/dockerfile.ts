import { detection, envJudge, type Found, type ParseInput, type ParseResult, TextLocator } from "./common.js";

// Dockerfiles and Containerfiles (https://docs.docker.com/reference/dockerfile/): an `ENV` or `ARG`
// instruction sets a variable of the image or the build, so each one is judged exactly like a
// variable of the agent's environment or a dotenv line (src/detect/env.ts). This reads the
// instruction the way the builder does, where a content rule sees only text:
// - the legacy form `ENV NAME value with spaces` (no `=`: the rest of the line is the value), which
//   no assignment rule reads, beside `ENV A=1 B="two words"` and `ARG NAME=default`;
// - the escape character (`\`, or a backtick after the `# escape=` directive) ends a line that
//   goes on below; comment and empty lines inside an instruction are dropped, as the builder does;
// - quotes are taken off (`"` with the escape character before `"`, `$` and itself; `'` literal);
// - a heredoc's body (`RUN <<EOF` ... `EOF`) is data, not instructions; the file is also read
//   once with no heredoc at all, and the findings of both readings are kept, so a word that only
//   looks like a heredoc (or one a builder without heredocs reads as instructions) hides nothing;
// - `ONBUILD ENV` is an ENV too; a byte-order mark is dropped; whitespace is Docker's.
// A build variable in a value (`$NAME`, `${NAME}`) is read as the builder reads it with the variable
// unset: empty, or its default (`${NAME:-default}`); what is left is the literal the file holds,
// and that is judged (`postgres://app:S3cret@${DB_HOST}/db` keeps its password). The content rules
// read the file as text as well (the path rule keeps `textScan`); the dedupe keeps this parser's
// finding over a generic rule's match of the same value, and a provider's own rule (a `ghp_` token)
// over both. Two passes over the lines, each character looked at a bounded number of times.

interface Instruction {
  /** The instruction's text with its continuations joined (escape character and line end taken out). */
  text: string;
  /** Offset in the file where the instruction starts. */
  offset: number;
}

/** Docker's parser directives: `# name=value`, known names only (an unknown one ends the block). */
const DIRECTIVE = /^#[ \t]*([A-Za-z][A-Za-z0-9]*)[ \t]*=[ \t]*(\S.*)$/;
const KNOWN_DIRECTIVES = new Set(["syntax", "escape", "check"]);
/** The instructions whose words may open heredocs (BuildKit: RUN, COPY, ADD). */
const HEREDOC_INSTRUCTION = /^(?:ONBUILD[ \t\v\f\r]+)?(?:RUN|COPY|ADD)(?:[ \t\v\f\r]|$)/i;
/** A heredoc word: `<<EOF`, `<<-EOF`, `2<<EOF` (quotes already taken off the name). */
const HEREDOC_WORD = /^\d*<<(-?)([^<\s]+)$/;
/** Docker's blanks between words (Go's `[\t\v\f\r ]`). */
const isBlank = (c: string) => c === " " || c === "\t" || c === "\v" || c === "\f" || c === "\r";
const KEYWORD = /^([A-Za-z]+)(?:[ \t\v\f\r]+|$)/;

/**
 * The file's escape character and its instructions, in order, with their start offsets. With
 * `heredocs`, the body of each heredoc an instruction opens is skipped (an unterminated one, to the
 * end of the file: parseDockerfile's second reading, without heredocs, reads those lines).
 */
export function dockerInstructions(
  text: string,
  heredocs = true,
): { escape: string; instructions: Instruction[] } {
  const lines = text.split("\n");
  let esc = "\\";
  let at = 0;
  let i = 0;
  if (text.charCodeAt(0) === 0xfeff) {
    lines[0] = lines[0]!.slice(1);
    at = 1;
  }
  // Parser directives: `# name=value` lines at the very top; an unknown name ends them.
  for (; i < lines.length; i++) {
    const m = DIRECTIVE.exec(stripCr(lines[i]!));
    if (!m || !KNOWN_DIRECTIVES.has(m[1]!.toLowerCase())) break;
    const value = trimBlanksEnd(m[2]!);
    if (m[1]!.toLowerCase() === "escape" && (value === "`" || value === "\\")) esc = value;
    at += lines[i]!.length + 1;
  }
  const out: Instruction[] = [];
  let open: { end: string; tabs: boolean }[] = [];
  let next = 0;
  let parts: string[] = [];
  let start = -1;
  for (; i < lines.length; at += lines[i]!.length + 1, i++) {
    const line = stripCr(lines[i]!);
    if (next < open.length) {
      const h = open[next]!;
      if (trimEnd(h.tabs ? line.replace(/^\t+/, "") : line, "\r") === h.end) next++;
      continue;
    }
    const trimmed = line.trimStart();
    if (start === -1) {
      if (trimmed === "" || trimmed.startsWith("#")) continue;
      start = at + (line.length - trimmed.length);
    } else if (trimmed === "" || trimmed.startsWith("#")) continue; // dropped inside an instruction
    // The escape character as the last one of a line (spaces and tabs after it allowed) joins the next.
    const body = trimBlanksEnd(line);
    if (body.endsWith(esc)) {
      parts.push(body.slice(0, -1));
      continue;
    }
    parts.push(line);
    const joined = parts.join("");
    out.push({ text: joined.trimStart(), offset: start });
    parts = [];
    start = -1;
    if (heredocs) {
      open = heredocsOf(joined.trimStart(), esc);
      next = 0;
    }
  }
  if (start !== -1) out.push({ text: parts.join("").trimStart(), offset: start });
  return { escape: esc, instructions: out };
}

/** `s` without the spaces and tabs at its end (a loop: `/[ \t]+$/` backtracks over inner blanks). */
function trimBlanksEnd(s: string): string {
  let end = s.length;
  while (end > 0 && (s.charCodeAt(end - 1) === 0x20 || s.charCodeAt(end - 1) === 0x09)) end--;
  return end === s.length ? s : s.slice(0, end);
}

/** `s` without the characters `c` at its end. */
function trimEnd(s: string, c: string): string {
  let end = s.length;
  while (end > 0 && s[end - 1] === c) end--;
  return end === s.length ? s : s.slice(0, end);
}

function stripCr(line: string): string {
  return line.endsWith("\r") ? line.slice(0, -1) : line;
}

/**
 * The heredocs a RUN, COPY or ADD instruction opens, in order: its shell words (quotes and the
 * escape character keep a word together) that are `<<NAME`, `<<-NAME` or `2<<NAME`, the quotes
 * taken off the name. A `<<` inside quotes or inside a word is no heredoc; nor is the JSON form.
 */
function heredocsOf(instruction: string, esc: string): { end: string; tabs: boolean }[] {
  if (!instruction.includes("<<") || !HEREDOC_INSTRUCTION.test(instruction)) return [];
  const rest = instruction.replace(HEREDOC_INSTRUCTION, "").trimStart();
  if (rest.startsWith("[")) return [];
  const out: { end: string; tabs: boolean }[] = [];
  for (const w of dockerWords(rest, esc)) {
    if (w.quotedStart) continue;
    const m = HEREDOC_WORD.exec(w.word);
    if (m) out.push({ end: m[2]!, tabs: m[1] === "-" });
  }
  return out;
}

export interface DockerWord {
  /** The word with quotes taken off and, in `literal`, each build variable read as unset. */
  word: string;
  /** The word as the builder fills it in with every variable unset: `$X` empty, `${X:-w}` as w. */
  literal: string;
  /** True when the word holds an unescaped `$NAME` or `${...}` outside single quotes. */
  expands: boolean;
  /** True when the word starts inside quotes (a quoted `<<EOF` is no heredoc). */
  quotedStart: boolean;
}

/**
 * Splits `rest` into words at unquoted blanks, taking quotes off: inside `"…"` the escape character
 * escapes `"`, `$` and itself; `'…'` is literal; outside quotes it escapes any character.
 */
export function dockerWords(rest: string, esc = "\\"): DockerWord[] {
  const out: DockerWord[] = [];
  let word = "";
  let literal = "";
  let expands = false;
  let inWord = false;
  let quotedStart = false;
  let quote = "";
  const n = rest.length;
  for (let i = 0; i < n; i++) {
    const c = rest[i]!;
    if (quote === "'") {
      if (c === "'") quote = "";
      else {
        word += c;
        literal += c;
      }
      continue;
    }
    if (c === esc && i + 1 < n) {
      const next = rest[i + 1]!;
      if (quote === "" || next === '"' || next === "$" || next === esc) {
        if (!inWord) quotedStart = false;
        word += next;
        literal += next;
        i++;
        inWord = true;
        continue;
      }
    }
    if (c === "$" && /[A-Za-z_{]/.test(rest[i + 1] ?? "")) {
      // A build variable: `$NAME`, or `${...}` up to its closing brace (nested ones counted).
      expands = true;
      if (!inWord) quotedStart = false;
      inWord = true;
      let j = i + 1;
      if (rest[j] === "{") {
        let depth = 0;
        for (; j < n; j++) {
          if (rest[j] === "{") depth++;
          else if (rest[j] === "}" && --depth === 0) break;
        }
        const inner = rest.slice(i + 2, Math.min(j, n));
        word += rest.slice(i, Math.min(j + 1, n));
        literal += unsetValue(inner);
        i = Math.min(j, n - 1);
      } else {
        while (j < n && /[A-Za-z0-9_]/.test(rest[j]!)) j++;
        word += rest.slice(i, j);
        i = j - 1;
      }
      continue;
    }
    if (quote === '"') {
      if (c === '"') quote = "";
      else {
        word += c;
        literal += c;
      }
      continue;
    }
    if (isBlank(c) || c === "\u00a0") {
      if (inWord) out.push({ word, literal, expands, quotedStart });
      word = "";
      literal = "";
      expands = false;
      inWord = false;
      continue;
    }
    if (!inWord) quotedStart = c === '"' || c === "'";
    inWord = true;
    if (c === '"' || c === "'") quote = c;
    else {
      word += c;
      literal += c;
    }
  }
  if (inWord) out.push({ word, literal, expands, quotedStart });
  return out;
}

/**
 * `${inner}` as the builder reads it with the variable unset: the word after `:-`, `-`, `:+` or `+`
 * (the file's own literal, kept whichever way the variable goes), else empty.
 */
function unsetValue(inner: string): string {
  const m = /^[A-Za-z_][A-Za-z0-9_]*(:?[-+])/.exec(inner);
  return m ? inner.slice(m[0].length) : "";
}

/** Where the first word of `rest` ends: the first blank outside quotes and escapes. */
function firstWordEnd(rest: string, esc: string): number {
  let quote = "";
  for (let i = 0; i < rest.length; i++) {
    const c = rest[i]!;
    if (quote === "'") {
      if (c === "'") quote = "";
    } else if (c === esc && i + 1 < rest.length) i++;
    else if (quote === '"') {
      if (c === '"') quote = "";
    } else if (c === '"' || c === "'") quote = c;
    else if (isBlank(c) || c === "\u00a0") return i;
  }
  return rest.length;
}

export interface DockerVariable {
  name: string;
  /** The value as written, quotes taken off (build variables as written). */
  value: string;
  /** The value with every build variable unset (DockerWord.literal): what the file itself holds. */
  literal: string;
  expands: boolean;
}

/** The variables an ENV or ARG instruction sets. */
export function dockerVariables(instruction: string, esc = "\\"): DockerVariable[] {
  let m = KEYWORD.exec(instruction);
  let rest = m ? instruction.slice(m[0].length) : "";
  let keyword = m ? m[1]!.toUpperCase() : undefined;
  if (keyword === "ONBUILD") {
    m = KEYWORD.exec(rest);
    keyword = m ? m[1]!.toUpperCase() : undefined;
    rest = m ? rest.slice(m[0].length) : "";
  }
  if (keyword !== "ENV" && keyword !== "ARG") return [];
  rest = rest.trim();
  const end = firstWordEnd(rest, esc);
  const first = dockerWords(rest.slice(0, end), esc)[0];
  if (keyword === "ENV" && first && !first.word.includes("=")) {
    // The legacy form: the name, then the rest of the instruction is the value.
    const raw = rest.slice(end).trim();
    if (raw === "") return [];
    const words = dockerWords(raw, esc);
    return [
      {
        name: first.word,
        value: words.map((w) => w.word).join(" "),
        literal: words.map((w) => w.literal).join(" "),
        expands: words.some((w) => w.expands),
      },
    ];
  }
  const out: DockerVariable[] = [];
  for (const w of dockerWords(rest, esc)) {
    const eq = w.word.indexOf("=");
    // ARG NAME (no default) sets nothing the file holds.
    if (eq <= 0) continue;
    const leq = w.literal.indexOf("=");
    out.push({
      name: w.word.slice(0, eq),
      value: w.word.slice(eq + 1),
      literal: leq >= 0 ? w.literal.slice(leq + 1) : "",
      expands: w.expands,
    });
  }
  return out;
}

export function parseDockerfile(input: ParseInput): ParseResult {
  const text = input.text;
  const judge = envJudge();
  const loc = new TextLocator(text);
  const found: Found[] = [];
  const seen = new Set<string>();
  // Two readings: heredoc bodies skipped (the builder's), and none skipped (a builder without
  // heredocs; a word that only looks like one). Their findings are kept once each.
  for (const heredocs of [true, false]) {
    const { escape: esc, instructions } = dockerInstructions(text, heredocs);
    for (const ins of instructions) {
      // Cheap test first: most instructions are RUN, COPY, FROM.
      const head = ins.text.slice(0, 8).toUpperCase();
      if (!head.startsWith("ENV") && !head.startsWith("ARG") && !head.startsWith("ONBUILD")) continue;
      for (const v of dockerVariables(ins.text, esc)) {
        for (const value of candidates(v)) {
          const judged = judge(v.name, value);
          for (const j of judged) {
            const key = `${v.name}\u0000${j.secret}`;
            if (seen.has(key)) continue;
            seen.add(key);
            found.push({
              secret: j.secret,
              type: j.type,
              viaRuleId: j.ruleId,
              name: v.name,
              line: loc.line(j.secret, ins.offset) ?? loc.lineAt(ins.offset),
              ...(j.provider !== "generic" ? { provider: j.provider } : {}),
            });
          }
          if (judged.length) break;
        }
      }
    }
  }
  // In the file's order (the second reading adds what the first skipped).
  found.sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
  return { detections: found.map((f) => detection(input, f)) };
}

/**
 * The values of a variable to judge, in order, until one gives a finding: the literal the file holds
 * (build variables unset), then, for a value of several words (Docker has no inline comment:
 * `ENV TOKEN S3cret # prod` holds the comment too), its first word.
 */
function candidates(v: DockerVariable): string[] {
  const value = v.expands ? v.literal : v.value;
  if (value.trim() === "") return [];
  const first = value.trim().split(/\s+/, 1)[0]!;
  return first !== value ? [value, first] : [value];
}
