// The shell syntax tree the gate's parser builds (POSIX sh with the bash extensions agents write).
// It keeps what decides what runs: words with their quoting and expansions, redirections,
// here-documents, and every compound form. Positions are not kept: nothing downstream needs them.

/** One piece of a word. Quoted pieces never split, glob or tilde-expand. */
export type Part =
  /** Literal text; `quoted` when it came from quotes or an escape (no glob, no tilde, no brace expansion). */
  | { type: "lit"; value: string; quoted: boolean }
  /** `$name`, `${name}`, `${name op ...}` (op is the raw text after the name, e.g. `/x/r`, `:-d`, `#`). */
  | { type: "param"; name: string; op: string; quoted: boolean }
  /** `$(...)`, backticks: a command list that runs; its output is data of unknown value. */
  | { type: "cmdsub"; body: Script; quoted: boolean }
  /** `<(...)`, `>(...)`: a command list that runs; the word becomes a /dev/fd path. */
  | { type: "procsub"; dir: "<" | ">"; body: Script }
  /** `$((...))`: arithmetic; the raw expression (it never contains a substitution: those fail the parse). */
  | { type: "arith"; raw: string };

export interface Word {
  parts: Part[];
  /** The source text of the word (after normalisation), for messages and payload recursion. */
  raw: string;
}

export interface Redirect {
  /** The fd written (`2>`), if given. */
  fd?: number;
  /** `<`, `>`, `>>`, `>|`, `<>`, `<&`, `>&`, `&>`, `&>>`, `<<`, `<<-`, `<<<`. */
  op: string;
  /** The target word; for a here-document, its delimiter. */
  target: Word;
  /** A here-document's body; `quoted` when the delimiter was quoted (no expansion in the body). */
  heredoc?: { body: string; quoted: boolean };
}

export interface Assign {
  name: string;
  /** The value; an array assignment `a=(x y)` has `array` instead. */
  value?: Word;
  array?: Word[];
  append: boolean;
}

export type Command =
  | { type: "simple"; assigns: Assign[]; words: Word[]; redirects: Redirect[] }
  | { type: "subshell"; body: Script; redirects: Redirect[] }
  | { type: "group"; body: Script; redirects: Redirect[] }
  | { type: "if"; clauses: { cond: Script; body: Script }[]; orElse?: Script; redirects: Redirect[] }
  | { type: "loop"; kind: "while" | "until"; cond: Script; body: Script; redirects: Redirect[] }
  | { type: "for"; name: string; items?: Word[]; body: Script; redirects: Redirect[] }
  | { type: "case"; word: Word; arms: { patterns: Word[]; body: Script }[]; redirects: Redirect[] }
  | { type: "function"; name: string; body: Command }
  /** `[[ ... ]]`: its words (operators included as literal words). */
  | { type: "test"; words: Word[]; redirects: Redirect[] }
  /** `(( ... ))` */
  | { type: "arith"; raw: string; redirects: Redirect[] };

export interface Pipeline {
  commands: Command[];
  bang: boolean;
}

/** A list: pipelines joined by `&&`, `||`, `;`, `&` and newlines (each item's `op` is what follows it). */
export interface Script {
  items: { pipeline: Pipeline; op: "&&" | "||" | ";" | "&" }[];
}
