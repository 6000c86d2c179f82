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
// - a heredoc's body (`RUN <<EOF` ... `EOF`) is data, not instructions;
// - `ONBUILD ENV` is an ENV too.
// A value that expands a build variable (`$NAME`, `${NAME}`) is the builder's to fill in, not a
// literal in the file: it is not judged. The content rules read the file as text as well (the path
// rule keeps `textScan`); the dedupe keeps this parser's finding over a generic rule's match of the
// same value, and a provider's own rule (a `ghp_` token) over both.
// One pass over the lines, each character looked at a bounded number of times.

interface Instruction {
  /** The instruction's text with its continuations joined (escape character and line end taken out). */
  text: string;
  /** Offset in the file where the instruction starts. */
  offset: number;
}

const DIRECTIVE = /^#[ \t]*([A-Za-z][A-Za-z0-9_-]*)[ \t]*=[ \t]*(\S*)[ \t]*$/;
// A heredoc opens at a word `<<EOF`, `<<-EOF`, `<<"EOF"` (after an optional fd number) of a RUN,
// COPY or ADD instruction; `<<<` is a here-string, not a heredoc.
const HEREDOC = /(?<!\S)\d*<<(-?)(["']?)([A-Za-z_][A-Za-z0-9_.-]*)\2(?!\S)/g;
const HEREDOC_INSTRUCTION = /^[ \t]*(?:RUN|COPY|ADD)[ \t]/i;
const KEYWORD = /^[ \t]*([A-Za-z]+)(?:[ \t]+|$)/;

/** The file's escape character and its instructions, in order, with their start offsets. */
export function dockerInstructions(text: string): { escape: string; instructions: Instruction[] } {
  const lines = text.split("\n");
  let esc = "\\";
  let at = 0;
  let i = 0;
  // Parser directives: `# name=value` lines at the very top, before anything else.
  for (; i < lines.length; i++) {
    const m = DIRECTIVE.exec(stripCr(lines[i]!));
    if (!m) break;
    if (m[1]!.toLowerCase() === "escape" && (m[2] === "`" || m[2] === "\\")) esc = m[2];
    at += lines[i]!.length + 1;
  }
  const out: Instruction[] = [];
  let heredocs: { end: string; tabs: boolean }[] = [];
  let parts: string[] = [];
  let start = -1;
  for (; i < lines.length; at += lines[i]!.length + 1, i++) {
    const line = stripCr(lines[i]!);
    if (heredocs.length) {
      const h = heredocs[0]!;
      if ((h.tabs ? line.replace(/^\t+/, "") : line) === h.end) heredocs.shift();
      continue;
    }
    const trimmed = line.trimStart();
    if (start === -1) {
      if (trimmed === "" || trimmed.startsWith("#")) continue;
      start = at;
    } else if (trimmed === "" || trimmed.startsWith("#")) continue; // dropped inside an instruction
    // The escape character as the last one of a line (blanks after it allowed) joins the next.
    const body = line.trimEnd();
    if (body.endsWith(esc)) {
      parts.push(body.slice(0, -1));
      continue;
    }
    parts.push(line);
    const joined = parts.join("");
    out.push({ text: joined, offset: start });
    heredocs = heredocsOf(joined);
    parts = [];
    start = -1;
  }
  if (start !== -1) out.push({ text: parts.join(""), offset: start });
  return { escape: esc, instructions: out };
}

function stripCr(line: string): string {
  return line.endsWith("\r") ? line.slice(0, -1) : line;
}

/** The heredocs an instruction opens (`<<EOF`, `<<-EOF`, `<<"EOF"`), in order. */
function heredocsOf(instruction: string): { end: string; tabs: boolean }[] {
  if (!instruction.includes("<<") || !HEREDOC_INSTRUCTION.test(instruction)) return [];
  const out: { end: string; tabs: boolean }[] = [];
  for (const m of instruction.matchAll(HEREDOC)) out.push({ end: m[3]!, tabs: m[1] === "-" });
  return out;
}

/**
 * Splits `rest` into words at unquoted blanks, taking quotes off: inside `"…"` the escape character
 * escapes `"`, `$` and itself; `'…'` is literal; outside quotes it escapes any character. `expands`
 * is true for a word with an unescaped `$` before a name or `{` outside single quotes.
 */
export function dockerWords(rest: string, esc = "\\"): { word: string; expands: boolean }[] {
  const out: { word: string; expands: boolean }[] = [];
  let word = "";
  let expands = false;
  let inWord = false;
  let quote = "";
  for (let i = 0; i < rest.length; i++) {
    const c = rest[i]!;
    if (quote === "'") {
      if (c === "'") quote = "";
      else word += c;
      continue;
    }
    if (c === esc && i + 1 < rest.length) {
      const next = rest[i + 1]!;
      if (quote === "" || next === '"' || next === "$" || next === esc) {
        word += next;
        i++;
        inWord = true;
        continue;
      }
    }
    if (quote === '"') {
      if (c === '"') quote = "";
      else {
        if (c === "$" && /[A-Za-z_{]/.test(rest[i + 1] ?? "")) expands = true;
        word += c;
      }
      continue;
    }
    if (c === " " || c === "\t") {
      if (inWord) out.push({ word, expands });
      word = "";
      expands = false;
      inWord = false;
      continue;
    }
    inWord = true;
    if (c === '"' || c === "'") quote = c;
    else {
      if (c === "$" && /[A-Za-z_{]/.test(rest[i + 1] ?? "")) expands = true;
      word += c;
    }
  }
  if (inWord) out.push({ word, expands });
  return out;
}

/** The variables an ENV or ARG instruction sets: name, value, and whether the value expands others. */
export function dockerVariables(
  instruction: string,
  esc = "\\",
): { name: string; value: string; expands: boolean }[] {
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
  const first = /^\S+/.exec(rest)?.[0] ?? "";
  if (keyword === "ENV" && first !== "" && !first.includes("=")) {
    // The legacy form: the name, then the rest of the instruction is the value.
    const value = rest.slice(first.length).trim();
    const words = dockerWords(value, esc);
    return value === ""
      ? []
      : [{ name: first, value: words.map((w) => w.word).join(" "), expands: words.some((w) => w.expands) }];
  }
  const out: { name: string; value: string; expands: boolean }[] = [];
  for (const w of dockerWords(rest, esc)) {
    const eq = w.word.indexOf("=");
    // ARG NAME (no default) sets nothing the file holds.
    if (eq <= 0) continue;
    out.push({ name: w.word.slice(0, eq), value: w.word.slice(eq + 1), expands: w.expands });
  }
  return out;
}

export function parseDockerfile(input: ParseInput): ParseResult {
  const text = input.text;
  const { escape: esc, instructions } = dockerInstructions(text);
  const judge = envJudge();
  const loc = new TextLocator(text);
  const found: Found[] = [];
  for (const ins of instructions) {
    // Cheap test first: most instructions are RUN, COPY, FROM.
    const head = ins.text.trimStart().slice(0, 8).toUpperCase();
    if (!head.startsWith("ENV") && !head.startsWith("ARG") && !head.startsWith("ONBUILD")) continue;
    for (const v of dockerVariables(ins.text, esc)) {
      if (v.expands || v.value === "") continue;
      for (const j of judge(v.name, v.value)) {
        found.push({
          secret: j.secret,
          type: j.type,
          viaRuleId: j.ruleId,
          name: v.name,
          line: loc.line(j.secret, ins.offset) ?? loc.lineAt(ins.offset),
          ...(j.provider !== "generic" ? { provider: j.provider } : {}),
        });
      }
    }
  }
  return { detections: found.map((f) => detection(input, f)) };
}
