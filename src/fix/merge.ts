// `agent-audit fix --apply` (issue 12): merging a generated config into the one already in place,
// key by key. The rule is the same for every format: where both sides hold an object, merge it key
// by key; where both hold a list, keep the user's entries in their order and append the generated
// ones not already there; anywhere else the generated value wins. The user's other keys stay. Each
// format keeps what it can of the user's text: JSON(C) through jsonc-parser edits (comments and
// formatting outside the edited values survive), YAML through the yaml Document API (comments
// survive), TOML by rewriting only the changed top-level keys and tables in place (verified by
// parsing the result), else re-written whole (comments lost, and the plan says so).
//
// Pure: text in, text out. A merge that changes nothing returns the input text itself, so applying
// twice changes nothing the second time.

import {
  applyEdits,
  type FormattingOptions,
  findNodeAtLocation,
  getNodeValue,
  modify,
  type Node,
  type ParseError,
  parseTree,
} from "jsonc-parser";
import { parse as parseToml, stringify as stringifyToml } from "smol-toml";
import {
  isMap,
  isScalar,
  isSeq,
  parseDocument,
  parse as parseYaml,
  type YAMLMap,
  type Node as YamlNode,
} from "yaml";

/** Why a merge could not be done (the existing file is not what the format needs). No content in the message. */
export class MergeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "MergeError";
  }
}

export interface MergeResult {
  /** The merged text; the input text itself (===) when nothing changed. */
  text: string;
  changed: boolean;
  /** What the plan should say about the merge (`comments were lost`, ...). */
  notes: string[];
}

type Json = unknown;

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== "object" || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** A canonical text of a value (object keys sorted), for equality of list entries and values. */
function canonical(v: Json): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(",")}]`;
  if (isPlainObject(v))
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(v[k])}`)
      .join(",")}}`;
  if (v instanceof Date) return `D${JSON.stringify(v)}`;
  return JSON.stringify(v) ?? "undefined";
}

export function deepEqual(a: Json, b: Json): boolean {
  return canonical(a) === canonical(b);
}

/** The list union: the user's entries in their order, then the generated ones not among them. */
export function unionList(user: Json[], gen: Json[]): Json[] {
  const seen = new Set(user.map(canonical));
  const out = [...user];
  for (const g of gen) {
    const c = canonical(g);
    if (!seen.has(c)) {
      seen.add(c);
      out.push(g);
    }
  }
  return out;
}

/** The merge of two parsed values (the semantics every format's merge implements). */
export function mergeValues(user: Json, gen: Json): Json {
  if (isPlainObject(user) && isPlainObject(gen)) {
    const out: Record<string, Json> = {};
    for (const k of Object.keys(user)) define(out, k, user[k]);
    for (const k of Object.keys(gen))
      define(out, k, Object.hasOwn(user, k) ? mergeValues(user[k], gen[k]) : gen[k]);
    return out;
  }
  if (Array.isArray(user) && Array.isArray(gen)) return unionList(user, gen);
  return gen;
}

function define(o: Record<string, Json>, k: string, v: Json): void {
  Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
}

// ---------------------------------------------------------------------------------------------- JSON

function formattingOf(text: string): FormattingOptions {
  const eol = text.includes("\r\n") ? "\r\n" : "\n";
  const m = /^([ \t]+)\S/m.exec(text);
  if (m?.[1]?.startsWith("\t")) return { insertSpaces: false, tabSize: 1, eol };
  return { insertSpaces: true, tabSize: m?.[1]?.length ?? 2, eol };
}

function parseJsonc(text: string): Node | undefined {
  const errors: ParseError[] = [];
  const tree = parseTree(text, errors, { allowTrailingComma: true, disallowComments: false });
  if (errors.length > 0) throw new MergeError("is not valid JSON (comments allowed)");
  return tree;
}

/** Merges generated JSON into an existing JSON-with-comments text, editing only what changes. */
export function mergeJson(current: string, generated: string): MergeResult {
  const gen = JSON.parse(generated) as Json;
  if (!isPlainObject(gen)) throw new MergeError("the generated JSON is not an object");
  if (current.trim() === "") return { text: generated, changed: generated !== current, notes: [] };
  const root = parseJsonc(current);
  if (root?.type !== "object") throw new MergeError("its top level is not a JSON object");
  const fmt = formattingOf(current);
  let text = current;
  // Each edit re-parses the text: files are small (1 MiB cap) and the paths stay exact.
  const edit = (path: (string | number)[], value: Json, isArrayInsertion = false): void => {
    text = applyEdits(text, modify(text, path, value, { formattingOptions: fmt, isArrayInsertion }));
  };
  const walk = (path: (string | number)[], g: Json): void => {
    const node = findNodeAtLocation(parseJsonc(text)!, path);
    if (node && node.type === "object" && isPlainObject(g)) {
      for (const k of Object.keys(g)) walk([...path, k], g[k]);
      return;
    }
    if (node && node.type === "array" && Array.isArray(g)) {
      const user = getNodeValue(node) as Json[];
      const merged = unionList(user, g);
      for (let i = user.length; i < merged.length; i++) edit([...path, i], merged[i], true);
      return;
    }
    if (node && deepEqual(getNodeValue(node), g)) return;
    edit(path, g);
  };
  for (const k of Object.keys(gen)) walk([k], gen[k]);
  const changed = text !== current;
  return { text: changed ? text : current, changed, notes: [] };
}

// ---------------------------------------------------------------------------------------------- YAML

/** Merges generated YAML into an existing YAML text through the Document API (comments survive). */
export function mergeYaml(current: string, generated: string): MergeResult {
  const gen = parseYaml(generated) as Json;
  if (!isPlainObject(gen)) throw new MergeError("the generated YAML is not a mapping");
  const doc = parseDocument(current);
  if (doc.errors.length > 0) throw new MergeError("is not valid YAML");
  if (doc.contents === null || (isScalar(doc.contents) && doc.contents.value === null)) {
    if (current.trim() === "") return { text: generated, changed: generated !== current, notes: [] };
    // Only comments: keep them, add the mapping.
    doc.contents = doc.createNode(gen) as unknown as typeof doc.contents;
    return { text: doc.toString({ lineWidth: 0 }), changed: true, notes: [] };
  }
  if (!isMap(doc.contents)) throw new MergeError("its top level is not a YAML mapping");
  let changed = false;
  const js = (n: unknown): Json =>
    n && typeof n === "object" && "toJS" in n ? (n as YamlNode).toJS(doc) : n;
  const walk = (map: YAMLMap, g: Record<string, Json>): void => {
    for (const k of Object.keys(g)) {
      const v = g[k];
      const item = map.get(k, true) as unknown;
      if (isMap(item) && isPlainObject(v)) {
        walk(item, v);
      } else if (isSeq(item) && Array.isArray(v)) {
        const user = js(item) as Json[];
        const merged = unionList(user, v);
        for (let i = user.length; i < merged.length; i++) {
          item.add(doc.createNode(merged[i]));
          changed = true;
        }
      } else if (item !== undefined && deepEqual(js(item), v)) {
        // already there
      } else if (isScalar(item) && (v === null || typeof v !== "object")) {
        item.value = v; // in place: the comment beside the value stays
        changed = true;
      } else {
        map.set(doc.createNode(k), doc.createNode(v));
        changed = true;
      }
    }
  };
  walk(doc.contents, gen);
  return changed
    ? { text: doc.toString({ lineWidth: 0 }), changed, notes: [] }
    : { text: current, changed, notes: [] };
}

// ---------------------------------------------------------------------------------------------- TOML

/** A header line: `[a.b]` or `[[a.b]]`, with an optional comment after it. */
const HEADER = /^\s*(\[\[?)\s*([^\]\n]*?)\s*(\]\]?)\s*(#.*)?$/;

/** The key path of a table header (`a."b c"` -> [a, b c]), by parsing it alone. */
function headerPath(inner: string): string[] | undefined {
  try {
    let o = parseToml(`[${inner}]\n`) as Record<string, unknown>;
    const path: string[] = [];
    for (;;) {
      const keys = Object.keys(o);
      if (keys.length !== 1) return keys.length === 0 ? path : undefined;
      path.push(keys[0]!);
      o = o[keys[0]!] as Record<string, unknown>;
    }
  } catch {
    return undefined;
  }
}

/** The top-level key a root line `key = ...` or `key.sub = ...` defines, when the line is one whole assignment. */
function rootKeyOf(line: string): string | undefined {
  if (/^\s*(#.*)?$/.test(line)) return undefined;
  try {
    const o = parseToml(`${line}\n`);
    const keys = Object.keys(o);
    return keys.length === 1 ? keys[0] : undefined;
  } catch {
    return "\0unparsed";
  }
}

/** One TOML text rewritten textually: the changed top-level keys and tables only. undefined: not safely possible. */
function tomlInPlace(
  text: string,
  user: Record<string, Json>,
  merged: Record<string, Json>,
  notes: string[],
): string | undefined {
  const eol = text.includes("\r\n") ? "\r\n" : "\n";
  const lines = text.split(/\r?\n/);
  const trailingNewline = lines.length > 0 && lines[lines.length - 1] === "";
  if (trailingNewline) lines.pop();
  // Sections: the root (before the first header), then one per header, with its top-level key.
  interface Section {
    start: number;
    end: number;
    top: string | undefined;
    array: boolean;
  }
  const sections: Section[] = [];
  let rootEnd = lines.length;
  for (let i = 0; i < lines.length; i++) {
    const m = HEADER.exec(lines[i]!);
    if (!m) continue;
    const path = headerPath(m[2]!);
    if (!path || path.length === 0) return undefined;
    if (sections.length === 0) rootEnd = i;
    else sections[sections.length - 1]!.end = i;
    sections.push({ start: i, end: lines.length, top: path[0], array: m[1] === "[[" });
  }
  const rootLines = lines.slice(0, rootEnd);
  const changed = Object.keys(merged).filter(
    (k) => !Object.hasOwn(user, k) || !deepEqual(user[k], merged[k]),
  );
  const replaceLine = new Map<number, string[]>();
  const dropSection = new Set<Section>();
  const rootAppend: string[] = [];
  const tableAppend: string[] = [];
  let insertAt: Section | undefined;
  for (const k of changed) {
    const v = merged[k];
    const rootIdx = rootLines.map((l, i) => (rootKeyOf(l) === k ? i : -1)).filter((i) => i >= 0);
    if (rootLines.some((l) => rootKeyOf(l) === "\0unparsed")) return undefined; // multi-line values at the root
    const owned = sections.filter((s) => s.top === k);
    if (owned.some((s) => s.array)) return undefined;
    const rendered = stringifyToml({ [k]: v })
      .replace(/\n+$/, "")
      .split("\n");
    if (isPlainObject(v)) {
      if (rootIdx.length > 0) return undefined; // a dotted or inline definition at the root
      for (const s of owned) dropSection.add(s);
      if (owned.some((s) => lines.slice(s.start, s.end).some((l) => /^\s*#/.test(l) || /#[^"']*$/.test(l))))
        notes.push(`TOML table ${k} rewritten: the comments inside it are lost`);
      if (owned.length > 0 && (!insertAt || owned[0]!.start < insertAt.start)) insertAt = owned[0];
      tableAppend.push(...rendered, "");
    } else {
      if (owned.length > 0 || rootIdx.length > 1) return undefined;
      if (rendered.length !== 1) return undefined;
      if (rootIdx.length === 1) replaceLine.set(rootIdx[0]!, rendered);
      else rootAppend.push(...rendered);
    }
  }
  const out: string[] = [];
  for (const [i, l] of rootLines.entries()) out.push(...(replaceLine.get(i) ?? [l]));
  if (rootAppend.length > 0) {
    while (out.length > 0 && out[out.length - 1] === "") out.pop();
    out.push(...rootAppend, "");
  }
  let tablesWritten = false;
  for (const s of sections) {
    if (s === insertAt) {
      out.push(...tableAppend);
      tablesWritten = true;
    }
    if (!dropSection.has(s)) out.push(...lines.slice(s.start, s.end));
  }
  if (!tablesWritten && tableAppend.length > 0) {
    if (out.length > 0 && out[out.length - 1] !== "") out.push("");
    out.push(...tableAppend);
  }
  while (out.length > 0 && out[out.length - 1] === "") out.pop();
  if (out[0] === "") out.shift();
  return out.join(eol) + (trailingNewline || out.length > 0 ? eol : "");
}

/**
 * Merges generated TOML into an existing TOML text. The changed top-level keys and tables are
 * rewritten in place, the rest of the text (comments included) kept, when the result parses back to
 * exactly the merge; otherwise the merge is written whole and, if the file had comments, a note says
 * they were lost.
 */
export function mergeToml(current: string, generated: string): MergeResult {
  const gen = parseToml(generated) as Record<string, Json>;
  if (current.trim() === "") return { text: generated, changed: generated !== current, notes: [] };
  let user: Record<string, Json>;
  try {
    user = parseToml(current) as Record<string, Json>;
  } catch {
    throw new MergeError("is not valid TOML");
  }
  const merged = mergeValues(user, gen) as Record<string, Json>;
  if (deepEqual(user, merged)) return { text: current, changed: false, notes: [] };
  const tableNotes: string[] = [];
  const inPlace = tomlInPlace(current, user, merged, tableNotes);
  if (inPlace !== undefined) {
    try {
      if (deepEqual(parseToml(inPlace), merged)) return { text: inPlace, changed: true, notes: tableNotes };
    } catch {
      // fall through to the whole rewrite
    }
  }
  const notes = current.includes("#") ? ["TOML rewritten whole: the file's comments are lost"] : [];
  return { text: stringifyToml(merged), changed: true, notes };
}

/** The merge for an install's kind; `replace` takes the generated content. */
export function mergeText(
  kind: "json" | "toml" | "yaml" | "replace",
  current: string,
  generated: string,
): MergeResult {
  try {
    return mergeKind(kind, current, generated);
  } catch (e) {
    // The parsers and the merge recurse: a file the agent nested 100,000 deep overflowed the stack,
    // and apply reported an internal error instead of refusing the file.
    if (e instanceof RangeError) throw new MergeError("is nested too deeply to merge");
    throw e;
  }
}

function mergeKind(
  kind: "json" | "toml" | "yaml" | "replace",
  current: string,
  generated: string,
): MergeResult {
  switch (kind) {
    case "json":
      return mergeJson(current, generated);
    case "yaml":
      return mergeYaml(current, generated);
    case "toml":
      return mergeToml(current, generated);
    case "replace":
      return { text: current === generated ? current : generated, changed: current !== generated, notes: [] };
  }
}
