import { readdir, realpath } from "node:fs/promises";
import { join } from "node:path";
import type { RuntimeFile, ScanIssue } from "../../contract/types.js";
import { isUnder } from "../../util/confine.js";
import { safeMessage } from "../../util/errors.js";
import { jsonc, toml, yaml } from "../../util/lazy.js";
import { readRegularText, UnsafeFileError } from "../../util/safe-read.js";
import type { Origin } from "./types.js";

// Reading an agent runtime's config files (issue 10). The agent can write every one of them: they
// are read as data only, never executed; only regular files of bounded size, opened without
// blocking, confined to where they belong (a symlink out of the home or the project is not
// followed); parsed with a depth bound; and every file that exists but could not be read or parsed
// becomes an issue naming the file and the position, never a crash and never a silent pass.

export type Format = "json" | "jsonc" | "toml" | "yaml" | "text";

/** A config file to read. */
export interface ConfigSpec {
  abs: string;
  /** The runtime's own name for the file's scope: user, project, local, managed, policy, rules, ... */
  scope: string;
  origin: Origin;
  format: Format;
  /**
   * JSON with comments only: the runtime also accepts a comma before `}` or `]` (VS Code's own
   * JSON reader does; Cursor's and Gemini CLI's do not).
   */
  trailingCommas?: boolean;
  /**
   * The directory the file must stay inside (symlinks included): by default the home, the root or
   * the system root, after its origin. A directory named by the agent's environment (CODEX_HOME)
   * is its own base.
   */
  base?: string;
}

/** A key path inside a config: object keys and array indexes. */
export type KeyPath = readonly (string | number)[];

/** A config file that exists: read and parsed (`ok`), or not (an issue says why). */
export interface LoadedConfig {
  abs: string;
  scope: string;
  origin: Origin;
  format: Format;
  ok: boolean;
  /** The text, when it was read ("" otherwise). */
  text: string;
  /** The parsed value (for `text`: the text itself); undefined when not ok. */
  value: unknown;
  /** The 1-based line where the value at a key path is written, when it can be told. */
  lineOf(path: KeyPath): number | undefined;
}

/** Largest config file read, per format: YAML's parser costs far more per byte than the others. */
export const CONFIG_LIMITS: Record<Format, number> = {
  json: 1024 * 1024,
  jsonc: 1024 * 1024,
  toml: 1024 * 1024,
  yaml: 256 * 1024,
  text: 1024 * 1024,
};
/** Deepest nesting parsed: hand-written configs are a few levels deep; a flood is refused, not parsed. */
export const MAX_DEPTH = 64;
/** Most entries taken from one config directory (managed-settings.d, rules, policies). */
export const MAX_DIR_ENTRIES = 256;
/** Type issues listed per file: a 1 MiB array of numbers is one issue line per item otherwise. */
export const MAX_TYPE_ISSUES = 50;

export class ConfigReader {
  readonly issues: ScanIssue[] = [];
  readonly #bases: Record<Origin, string>;
  readonly #real = new Map<string, Promise<string | undefined>>();
  readonly #typeIssues = new Map<string, number>();

  constructor(bases: Record<Origin, string>) {
    this.#bases = bases;
  }

  /** Records an issue about a file (where: its absolute path). */
  issue(where: string, message: string): void {
    this.issues.push({ where, message });
  }

  /**
   * A value of the wrong type: an issue naming the file, the key and the line. The inspector then
   * treats the key as unset, which its checks report as the unsafe default where that matters.
   */
  typeIssue(file: LoadedConfig, path: KeyPath, expected: string, found: unknown): void {
    const n = (this.#typeIssues.get(file.abs) ?? 0) + 1;
    this.#typeIssues.set(file.abs, n);
    if (n > MAX_TYPE_ISSUES) {
      if (n === MAX_TYPE_ISSUES + 1)
        this.issue(
          file.abs,
          `more values of the wrong type not listed (over ${MAX_TYPE_ISSUES}; each is ignored, as the runtime would reject or ignore it)`,
        );
      return;
    }
    const line = file.lineOf(path);
    this.issue(
      file.abs,
      `${line ? `line ${line}: ` : ""}${showPath(path)}: expected ${expected}, found ${typeName(found)} (ignored, as the runtime would reject or ignore it)`,
    );
  }

  /** The file's description for a runtime view. */
  static view(f: LoadedConfig): RuntimeFile {
    return { path: f.abs, scope: f.scope, origin: f.origin, ok: f.ok };
  }

  /** Reads and parses a file; undefined when it does not exist. */
  async load(spec: ConfigSpec): Promise<LoadedConfig | undefined> {
    const base = spec.base ?? this.#bases[spec.origin];
    const realBase = await this.#realBase(base);
    if (base !== this.#bases[spec.origin] && this.#bases.system !== "/") {
      // A directory the agent's environment names (CODEX_HOME=/etc, /proc/self, ..) while an image is
      // audited (--system-root): it must lie inside the home, the project or the system root, or the
      // scan would read the scanning machine's files instead of the agent's.
      if (realBase === undefined) return undefined;
      if (!(await this.#insideBases(realBase))) {
        this.issue(
          spec.abs,
          "skipped: the directory the agent's environment names for it leads outside the home, the project and the system root (--system-root)",
        );
        return failed(spec);
      }
    }
    let text: string;
    try {
      text = await readRegularText(spec.abs, {
        maxBytes: CONFIG_LIMITS[spec.format],
        ...(realBase && realBase !== "/" ? { confineTo: realBase } : {}),
      });
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === "ENOENT" || code === "ENOTDIR") return undefined;
      this.issue(spec.abs, readFailure(e, spec.origin));
      return failed(spec);
    }
    return parseConfig(spec, text, (m) => this.issue(spec.abs, m));
  }

  /**
   * The files of a config directory whose names end with `suffix`, sorted (the order runtimes
   * apply them in), at most MAX_DIR_ENTRIES. A directory that does not exist lists nothing.
   */
  async list(dir: string, suffix: string): Promise<string[]> {
    let names: string[];
    try {
      if (this.#bases.system !== "/" && !(await this.#insideBases(await realpath(dir)))) {
        // A config directory linked out of the audited image: its names are the scanning machine's.
        this.issue(dir, "skipped: leads outside the home, the project and the system root (--system-root)");
        return [];
      }
      names = await readdir(dir);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== "ENOENT" && code !== "ENOTDIR") this.issue(dir, `cannot list: ${safeMessage(e)}`);
      return [];
    }
    const picked = names
      .filter((n) => n.endsWith(suffix) && !n.startsWith("."))
      .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    if (picked.length > MAX_DIR_ENTRIES) {
      this.issue(
        dir,
        `skipped: ${picked.length - MAX_DIR_ENTRIES} of ${picked.length} *${suffix} files not read (at most ${MAX_DIR_ENTRIES} per directory)`,
      );
    }
    return picked.slice(0, MAX_DIR_ENTRIES).map((n) => join(dir, n));
  }

  /** Whether a real path lies inside the home, the project or the system root (their real paths). */
  async #insideBases(real: string): Promise<boolean> {
    for (const o of ["home", "tree", "system"] as const) {
      const r = await this.#realBase(this.#bases[o]);
      if (r !== undefined && isUnder(r, real)) return true;
    }
    return false;
  }

  #realBase(base: string): Promise<string | undefined> {
    let p = this.#real.get(base);
    if (!p) {
      p = realpath(base).catch(() => undefined);
      this.#real.set(base, p);
    }
    return p;
  }
}

function failed(spec: ConfigSpec): LoadedConfig {
  return { ...pick(spec), ok: false, text: "", value: undefined, lineOf: () => undefined };
}

function pick(spec: ConfigSpec) {
  return { abs: spec.abs, scope: spec.scope, origin: spec.origin, format: spec.format };
}

const PLACE: Record<Origin, string> = {
  home: "the home directory",
  tree: "the project (--root)",
  system: "the system root",
};

function readFailure(e: unknown, origin: Origin): string {
  if (e instanceof UnsafeFileError) {
    if (e.code === "outside-root")
      return `skipped: leads outside ${PLACE[origin]} (a symlink); the runtime follows it, so inspect its target by hand`;
    return `skipped: ${e.message}`;
  }
  return `cannot read: ${safeMessage(e)}`;
}

/** Parses a config's text; a failure is reported through `issue` with the line and column. */
export function parseConfig(spec: ConfigSpec, text: string, issue: (message: string) => void): LoadedConfig {
  const lines = lineStarts(text);
  const at = (offset: number) => position(lines, offset);
  if (spec.format === "text") {
    return { ...pick(spec), ok: true, text, value: text, lineOf: () => undefined };
  }
  if (spec.format === "json" || spec.format === "jsonc") {
    const deep = tooDeep(text, spec.format === "jsonc");
    if (deep !== undefined) {
      const p = at(deep);
      issue(`not parsed: nested deeper than ${MAX_DEPTH} levels at line ${p.line}, column ${p.column}`);
      return failed(spec);
    }
    let parsed: JsonParse;
    try {
      parsed = parseJson(text, spec.format === "jsonc", spec.trailingCommas === true);
    } catch (e) {
      // Defence in depth: the depth guard above should keep the parser's recursion bounded.
      issue(
        `not parsed: ${e instanceof RangeError ? `nested deeper than ${MAX_DEPTH} levels` : "the parser failed"}`,
      );
      return failed(spec);
    }
    if (!parsed.ok) {
      const p = at(parsed.offset);
      issue(
        `not valid ${spec.format === "json" ? "JSON" : "JSON (with comments)"} at line ${p.line}, column ${p.column}: ${parsed.reason}`,
      );
      return failed(spec);
    }
    let tree: import("jsonc-parser").Node | undefined | null = null;
    return {
      ...pick(spec),
      ok: true,
      text,
      value: parsed.value,
      lineOf: (path) => {
        if (tree === null) {
          try {
            tree = jsonTree(text, spec.format === "jsonc", spec.trailingCommas === true);
          } catch {
            tree = undefined;
          }
        }
        const node = tree ? jsonc().findNodeAtLocation(tree, path as (string | number)[]) : undefined;
        if (!node) return undefined;
        const start = node.parent?.type === "property" ? node.parent.offset : node.offset;
        return at(start).line;
      },
    };
  }
  if (spec.format === "toml") {
    try {
      const value = toml().parse(text, { maxDepth: MAX_DEPTH });
      let index: Map<string, number> | undefined;
      return {
        ...pick(spec),
        ok: true,
        text,
        value,
        lineOf: (path) => {
          index ??= tomlLines(text);
          return tomlLine(index, path);
        },
      };
    } catch (e) {
      const err = e as { line?: number; column?: number; message?: string };
      const why = tomlReason(err.message);
      issue(
        err.line
          ? `not valid TOML at line ${err.line}, column ${err.column ?? 1}${why ? `: ${why}` : ""}`
          : `not valid TOML${why ? `: ${why}` : ""}`,
      );
      return failed(spec);
    }
  }
  // YAML: one document, aliases bounded (no billion laughs), errors by code and position.
  try {
    // prettyErrors fills linePos; its message (which quotes the text) is never used.
    // PyYAML (and YAML itself) rejects NUL, which yaml reads as data: a UTF-16 file parses as one
    // string, the runtime's defaults would seem to apply, and the file's real settings go unseen.
    const nul = text.indexOf("\0");
    if (nul >= 0) {
      const p = at(nul);
      issue(
        `not valid YAML at line ${p.line}, column ${p.column}: a NUL character (a UTF-16 or binary file is not read)`,
      );
      return failed(spec);
    }
    const shape = yamlShapeError(text);
    if (shape) {
      issue(`not parsed: ${shape}`);
      return failed(spec);
    }
    const doc = yaml().parseDocument(text, { prettyErrors: true, uniqueKeys: false });
    const err = doc.errors[0];
    if (err) {
      const p = err.linePos?.[0];
      issue(`not valid YAML${p ? ` at line ${p.line}, column ${p.col}` : ""}: ${err.code}`);
      return failed(spec);
    }
    const value = doc.toJS({ maxAliasCount: 100 });
    if (depthOf(value) > MAX_DEPTH) {
      issue(`not parsed: nested deeper than ${MAX_DEPTH} levels`);
      return failed(spec);
    }
    return {
      ...pick(spec),
      ok: true,
      text,
      value,
      lineOf: (path) => {
        const node = doc.getIn(path as unknown[], true) as { range?: [number, number, number] } | undefined;
        return node?.range ? at(node.range[0]).line : undefined;
      },
    };
  } catch (e) {
    issue(
      `not valid YAML: ${e instanceof RangeError ? "nested too deep" : "aliases expand too far or the document is malformed"}`,
    );
    return failed(spec);
  }
}

/** Deepest indentation of a YAML line: hand-written configs use a few dozen columns at most. */
const MAX_YAML_INDENT = 256;
/** Tokens that carry no structure: any number of them may precede or follow a YAML node. */
const YAML_TRIVIA = new Set(["space", "newline", "comment", "byte-order-mark"]);
/** Structural tokens (anchors, tags, indicators, stray values) one YAML node may carry at most. */
const MAX_NODE_TOKENS = 8;

/**
 * Refuses, before the document is composed, the YAML shapes on which the yaml package is
 * superlinear or recurses deep (as src/config does for agent-audit.yaml, issue 8): flow brackets or
 * block indicators nested past MAX_DEPTH (the composer recurses, and V8 can abort the whole process,
 * uncatchably, when a regular expression is compiled near the stack limit), deep indentation, more
 * than one document, and piles of anchors, tags or quotes on one node (quadratic in the composer:
 * 256 KiB of `"` took three minutes). Quoted brackets count too (a config holds a few at most).
 * One linear pass over the text, then one over yaml's concrete syntax tree, with a stack.
 */
function yamlShapeError(text: string): string | undefined {
  let flow = 0;
  let lineNo = 0;
  for (let start = 0; start <= text.length; ) {
    lineNo++;
    const nl = text.indexOf("\n", start);
    const end = nl === -1 ? text.length : nl;
    let indent = 0;
    while (start + indent < end && (text[start + indent] === " " || text[start + indent] === "\t")) indent++;
    if (indent > MAX_YAML_INDENT) return `line ${lineNo}: indented more than ${MAX_YAML_INDENT} columns`;
    let indicators = 0;
    for (let k = start; k < end; k++) {
      const c = text.charCodeAt(k);
      if (c === 0x5b || c === 0x7b) {
        if (++flow > MAX_DEPTH) return `nested deeper than ${MAX_DEPTH} levels`;
      } else if (c === 0x5d || c === 0x7d) {
        if (flow > 0) flow--;
      } else if (c === 0x2d || c === 0x3f || c === 0x3a) {
        // `-`, `?` or `:` followed by a blank or the end of the line: a block indicator.
        const next = k + 1 < end ? text.charCodeAt(k + 1) : 0x20;
        if ((next === 0x20 || next === 0x09) && ++indicators > MAX_DEPTH)
          return `nested deeper than ${MAX_DEPTH} levels`;
      }
    }
    if (nl === -1) break;
    start = nl + 1;
  }
  const y = yaml();
  const lc = new y.LineCounter();
  const where = (offset: number) => `line ${lc.linePos(offset).line}`;
  let documents = 0;
  let directives = 0;
  const stack: unknown[] = [];
  for (const token of new y.Parser(lc.addNewLine).parse(text)) {
    if (token.type === "document" && ++documents > 1)
      return `${where(token.offset)}: more than one YAML document`;
    if (token.type === "directive" && ++directives > MAX_NODE_TOKENS)
      return `${where(token.offset)}: more than ${MAX_NODE_TOKENS} YAML directives`;
    stack.push(token);
  }
  while (stack.length) {
    const node = stack.pop();
    if (typeof node !== "object" || node === null) continue;
    if (Array.isArray(node)) {
      for (const item of node) stack.push(item);
      continue;
    }
    for (const [k, v] of Object.entries(node)) {
      if (typeof v !== "object" || v === null) continue;
      if ((k === "start" || k === "end" || k === "sep") && Array.isArray(v)) {
        let structural = 0;
        for (const t of v as { type?: string; offset?: number }[]) {
          if (t.type && !YAML_TRIVIA.has(t.type) && ++structural > MAX_NODE_TOKENS)
            return `${where(t.offset ?? 0)}: too many anchors, tags or indicators on one value`;
        }
      }
      stack.push(v);
    }
  }
  return undefined;
}

type JsonParse = { ok: true; value: unknown } | { ok: false; offset: number; reason: string };

/**
 * Strict JSON (Claude Code, sandbox-runtime) or JSON with comments (Gemini CLI). jsonc-parser finds
 * the first error's offset without quoting the text (JSON.parse's messages quote it, and it may
 * hold a secret); the value comes from JSON.parse of the comment-free text, which, unlike an object
 * built key by key, treats a `__proto__` key as data.
 */
function parseJson(text: string, comments: boolean, trailingCommas = false): JsonParse {
  const errors: import("jsonc-parser").ParseError[] = [];
  jsonc().visit(
    text,
    {
      onError: (error, offset) => {
        errors.push({ error, offset, length: 0 });
      },
    },
    { disallowComments: !comments, allowTrailingComma: trailingCommas, allowEmptyContent: false },
  );
  const first = errors[0];
  if (first) return { ok: false, offset: first.offset, reason: jsonc().printParseErrorCode(first.error) };
  try {
    const plain = comments ? jsonc().stripComments(text) : text;
    return { ok: true, value: JSON.parse(trailingCommas ? withoutTrailingCommas(plain) : plain) };
  } catch {
    return { ok: false, offset: 0, reason: "InvalidSymbol" };
  }
}

function jsonTree(
  text: string,
  comments: boolean,
  trailingCommas = false,
): import("jsonc-parser").Node | undefined {
  return jsonc().parseTree(text, [], { disallowComments: !comments, allowTrailingComma: trailingCommas });
}

/**
 * The text with each comma that only whitespace separates from a `}` or `]` replaced by a space
 * (offsets unchanged), for JSON.parse. One pass of jsonc-parser's scanner: strings are tokens, so a
 * comma inside one is never touched. The text has no comments left (stripComments ran).
 */
function withoutTrailingCommas(text: string): string {
  const scanner = jsonc().createScanner(text, false);
  const drop: number[] = [];
  let comma = -1;
  // SyntaxKind: 2 `}`, 4 `]`, 5 `,`, 14 line break, 15 whitespace, 17 end.
  for (let kind = scanner.scan(); kind !== 17; kind = scanner.scan()) {
    if (kind === 14 || kind === 15) continue;
    if ((kind === 2 || kind === 4) && comma >= 0) drop.push(comma);
    comma = kind === 5 ? scanner.getTokenOffset() : -1;
  }
  if (!drop.length) return text;
  let out = "";
  let from = 0;
  for (const at of drop) {
    out += `${text.slice(from, at)} `;
    from = at + 1;
  }
  return out + text.slice(from);
}

/** The offset where JSON nesting first exceeds MAX_DEPTH (strings and comments skipped), or undefined. */
export function tooDeep(text: string, comments: boolean): number | undefined {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      // A string: skip to its closing quote, or to a line break, where jsonc-parser's scanner ends
      // an unterminated string and goes on reading structure (so must this guard).
      for (i++; i < text.length; i++) {
        const d = text.charCodeAt(i);
        if (d === 0x5c) i++;
        else if (d === 0x22) break;
        else if (d === 0x0a || d === 0x0d) {
          i--;
          break;
        }
      }
    } else if (comments && c === 0x2f && text.charCodeAt(i + 1) === 0x2f) {
      const nl = text.indexOf("\n", i);
      i = nl < 0 ? text.length : nl;
    } else if (comments && c === 0x2f && text.charCodeAt(i + 1) === 0x2a) {
      const end = text.indexOf("*/", i + 2);
      i = end < 0 ? text.length : end + 1;
    } else if (c === 0x7b || c === 0x5b) {
      if (++depth > MAX_DEPTH) return i;
    } else if (c === 0x7d || c === 0x5d) {
      depth--;
    }
  }
  return undefined;
}

/** Nesting depth of a parsed value, iteratively (a YAML document's anchors can share nodes). */
function depthOf(value: unknown): number {
  let max = 0;
  const stack: [unknown, number][] = [[value, 1]];
  let visited = 0;
  while (stack.length) {
    const [v, d] = stack.pop()!;
    if (v === null || typeof v !== "object") continue;
    if (++visited > 1_000_000) return Number.POSITIVE_INFINITY;
    if (d > max) max = d;
    if (d > MAX_DEPTH) return d;
    for (const child of Object.values(v)) stack.push([child, d + 1]);
  }
  return max;
}

/** smol-toml's reason without the code excerpt it appends (which quotes the file's text). */
function tomlReason(message: string | undefined): string {
  if (!message) return "";
  const first = message.split("\n")[0] ?? "";
  return first
    .replace(/^Invalid TOML document:\s*/, "")
    .replace(/[^\x20-\x7e]/g, "?")
    .slice(0, 120);
}

/**
 * The line of a key in a TOML file: under the table header of the path's parent (or at the top for
 * a top-level key), the first line that assigns the key or a key below it (dotted keys, quoted
 * keys with dots in them). Best effort (TOML parsers give no positions): a key inside an inline
 * table gives the line of the key that holds the table. The file is indexed once (table and
 * key → first line), so a file with many keys, headers or wrong-typed items costs one pass, not one
 * per lookup.
 */
function tomlLine(index: Map<string, number>, path: KeyPath): number | undefined {
  const keys = path.filter((k): k is string => typeof k === "string");
  if (!keys.length) return undefined;
  return index.get(keys.join("\0"));
}

function tomlLines(text: string): Map<string, number> {
  const index = new Map<string, number>();
  const lines = text.split("\n");
  let table: string[] = [];
  const put = (keys: string[], line: number) => {
    // Every prefix too: `mcp_servers.x.command = ...` is where table `mcp_servers.x` first appears.
    for (let n = 1; n <= keys.length; n++) {
      const id = keys.slice(0, n).join("\0");
      if (!index.has(id)) index.set(id, line);
    }
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line.startsWith("[")) {
      const inner = line.startsWith("[[") ? line.slice(2) : line.slice(1);
      const keys = dottedKeys(inner, "]");
      if (keys) {
        table = keys.keys;
        put(table, i + 1);
      }
      continue;
    }
    const key = dottedKeys(line, "=");
    if (key) put([...table, ...key.keys], i + 1);
  }
  return index;
}

/**
 * The dotted key at the start of `s` up to `end` (`]` for a table header, `=` for an assignment):
 * bare keys and quoted ones (`"a.b"` is one key), dots between them; undefined when `s` does not
 * start with one. One pass over the characters.
 */
function dottedKeys(s: string, end: "]" | "="): { keys: string[] } | undefined {
  const keys: string[] = [];
  let i = 0;
  const n = s.length;
  const blank = () => {
    while (i < n && (s[i] === " " || s[i] === "\t")) i++;
  };
  for (;;) {
    blank();
    const c = s[i];
    if (c === '"' || c === "'") {
      const close = s.indexOf(c, i + 1);
      if (close < 0) return undefined;
      keys.push(s.slice(i + 1, close));
      i = close + 1;
    } else {
      const start = i;
      while (i < n && /[A-Za-z0-9_-]/.test(s[i]!)) i++;
      if (i === start) return undefined;
      keys.push(s.slice(start, i));
    }
    blank();
    if (s[i] === ".") {
      i++;
      continue;
    }
    return s[i] === end ? { keys } : undefined;
  }
}

function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = text.indexOf("\n"); i >= 0; i = text.indexOf("\n", i + 1)) starts.push(i + 1);
  return starts;
}

function position(starts: number[], offset: number): { line: number; column: number } {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid]! <= offset) lo = mid;
    else hi = mid - 1;
  }
  return { line: lo + 1, column: offset - starts[lo]! + 1 };
}

/** A key path as a person writes it: `permissions.allow[2]`; each key at most 64 characters. */
export function showPath(path: KeyPath): string {
  let out = "";
  for (const k of path) {
    if (typeof k === "number") out += `[${k}]`;
    else {
      const key = k.length > 64 ? `${k.slice(0, 64)}…` : k;
      out += out ? `.${key}` : key;
    }
  }
  return out || "(top level)";
}

function typeName(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  if (typeof v === "object") return "an object";
  return `a ${typeof v}`;
}

// Typed accessors for inspectors: a value of the wrong type is an issue (typeIssue) and reads as unset.

/** The value at a key path, or undefined. Own properties only (a `__proto__` key is data). */
export function getAt(value: unknown, path: KeyPath): unknown {
  let v = value;
  for (const k of path) {
    if (v === null || typeof v !== "object") return undefined;
    if (!Object.hasOwn(v as object, k)) return undefined;
    v = (v as Record<string | number, unknown>)[k];
  }
  return v;
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

/** The string at a path, or undefined (a wrong type is an issue). */
export function str(read: ConfigReader, file: LoadedConfig, path: KeyPath): string | undefined {
  const v = getAt(file.value, path);
  if (v === undefined || typeof v === "string") return v;
  read.typeIssue(file, path, "a string", v);
  return undefined;
}

/** The boolean at a path, or undefined (a wrong type is an issue). */
export function bool(read: ConfigReader, file: LoadedConfig, path: KeyPath): boolean | undefined {
  const v = getAt(file.value, path);
  if (v === undefined || typeof v === "boolean") return v;
  read.typeIssue(file, path, "true or false", v);
  return undefined;
}

/** The number at a path, or undefined (a wrong type is an issue). */
export function num(read: ConfigReader, file: LoadedConfig, path: KeyPath): number | undefined {
  const v = getAt(file.value, path);
  if (v === undefined || (typeof v === "number" && Number.isFinite(v))) return v;
  read.typeIssue(file, path, "a number", v);
  return undefined;
}

/** The strings of an array at a path ([] when unset); a wrong type, or a non-string item, is an issue. */
export function strs(read: ConfigReader, file: LoadedConfig, path: KeyPath): string[] {
  const v = getAt(file.value, path);
  if (v === undefined) return [];
  if (!Array.isArray(v)) {
    read.typeIssue(file, path, "an array of strings", v);
    return [];
  }
  const out: string[] = [];
  v.forEach((item, i) => {
    if (typeof item === "string") out.push(item);
    else read.typeIssue(file, [...path, i], "a string", item);
  });
  return out;
}

/** The object at a path, or undefined (a wrong type is an issue). */
export function obj(
  read: ConfigReader,
  file: LoadedConfig,
  path: KeyPath,
): Record<string, unknown> | undefined {
  const v = getAt(file.value, path);
  if (v === undefined || isRecord(v)) return v;
  read.typeIssue(file, path, "an object", v);
  return undefined;
}
