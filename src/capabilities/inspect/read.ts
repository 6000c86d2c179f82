import { readdir, realpath } from "node:fs/promises";
import { join } from "node:path";
import type { RuntimeFile, ScanIssue } from "../../contract/types.js";
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

export class ConfigReader {
  readonly issues: ScanIssue[] = [];
  readonly #bases: Record<Origin, string>;
  readonly #real = new Map<string, Promise<string | undefined>>();

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
    const parsed = parseJson(text, spec.format === "jsonc");
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
        tree ??= jsonTree(text, spec.format === "jsonc");
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
      return { ...pick(spec), ok: true, text, value, lineOf: (path) => tomlLine(text, path) };
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

type JsonParse = { ok: true; value: unknown } | { ok: false; offset: number; reason: string };

/**
 * Strict JSON (Claude Code, sandbox-runtime) or JSON with comments (Gemini CLI). jsonc-parser finds
 * the first error's offset without quoting the text (JSON.parse's messages quote it, and it may
 * hold a secret); the value comes from JSON.parse of the comment-free text, which, unlike an object
 * built key by key, treats a `__proto__` key as data.
 */
function parseJson(text: string, comments: boolean): JsonParse {
  const errors: import("jsonc-parser").ParseError[] = [];
  jsonc().visit(
    text,
    {
      onError: (error, offset) => {
        errors.push({ error, offset, length: 0 });
      },
    },
    { disallowComments: !comments, allowTrailingComma: false, allowEmptyContent: false },
  );
  const first = errors[0];
  if (first) return { ok: false, offset: first.offset, reason: jsonc().printParseErrorCode(first.error) };
  try {
    return { ok: true, value: JSON.parse(comments ? jsonc().stripComments(text) : text) };
  } catch {
    return { ok: false, offset: 0, reason: "InvalidSymbol" };
  }
}

function jsonTree(text: string, comments: boolean): import("jsonc-parser").Node | undefined {
  return jsonc().parseTree(text, [], { disallowComments: !comments, allowTrailingComma: false });
}

/** The offset where JSON nesting first exceeds MAX_DEPTH (strings and comments skipped), or undefined. */
export function tooDeep(text: string, comments: boolean): number | undefined {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      // A string: skip to its closing quote.
      for (i++; i < text.length; i++) {
        const d = text.charCodeAt(i);
        if (d === 0x5c) i++;
        else if (d === 0x22) break;
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
 * a top-level key), the first line that assigns the key. Best effort (TOML parsers give no
 * positions): a dotted or inline-table spelling gives no line.
 */
function tomlLine(text: string, path: KeyPath): number | undefined {
  const keys = path.filter((k): k is string => typeof k === "string");
  if (!keys.length) return undefined;
  const lines = text.split("\n");
  const tablePath = keys.slice(0, -1);
  const last = keys[keys.length - 1]!;
  let inTable = tablePath.length === 0;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    const header = /^\[\[?([^\]]*)\]\]?/.exec(line);
    if (header) {
      const name = header[1]!
        .split(".")
        .map((s) => s.trim().replace(/^["']|["']$/g, ""))
        .join("\0");
      inTable = name === tablePath.join("\0");
      continue;
    }
    if (!inTable) continue;
    const key = /^("[^"]*"|'[^']*'|[A-Za-z0-9_-]+)\s*=/.exec(line);
    if (key && key[1]!.replace(/^["']|["']$/g, "") === last) return i + 1;
  }
  return undefined;
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
