import { hash } from "node:crypto";
import { safeMessage } from "../../../util/errors.js";
import { readRegularText, UnsafeFileError } from "../../../util/safe-read.js";
import { isRecord, type KeyPath, type LoadedConfig, parseConfig } from "../read.js";
import type { InspectContext } from "../types.js";
import { describeRun, findHiddenRuns } from "./hidden.js";
import { credentialIn, firstUnnegated, negated, READ_VERBS, safeLabel, words } from "./skills.js";
import type { McpProblem } from "./types.js";

// MCP tool lists, offline (issue 16): `scan --mcp-tools FILE` reads a `tools/list` export (nothing is
// started or contacted) and flags tool poisoning in the text the model reads (tool names, titles,
// descriptions, input schemas): hidden characters, instructions aimed at the model, references to
// other tools (shadowing) and to credential files. Each server's list is hashed so that a baseline
// pins it: a list that changes later (a rug pull) has a new hash, so a new finding.
//
// Accepted shapes (decided here; documented in the README):
// 1. one server: `{"tools": [...]}`, or the JSON-RPC response `{"result": {"tools": [...]}}`; the
//    server's name is the object's `server` (or `name`) string, else "server";
// 2. several: `{"<server>": {"tools": [...]}, ...}` (each value also as a bare array of tools or a
//    JSON-RPC response);
// 3. several: `[{"server": "<name>", "tools": [...]}, ...]` (`name` accepted for `server`).

export interface ToolListRecord {
  server: string;
  /** The export file (absolute). */
  file: string;
  tools: number;
  /** sha256 (hex) of the canonical tool list. */
  hash: string;
}

export const TOOL_LIMITS = {
  /** Largest export read: a tool list with schemas is some tens of KiB per server. */
  maxBytes: 8 * 1024 * 1024,
  maxServers: 256,
  maxToolsPerServer: 4096,
  /** Strings and keys of one tool's input schema looked at. */
  maxSchemaNodes: 20_000,
  /** Problems per server and check. */
  maxProblemsPerCheck: 100,
} as const;

interface Tool {
  name: string;
  title?: string;
  description?: string;
  inputSchema?: unknown;
  /** The key path of the tool in the file (for its line). */
  path: KeyPath;
}

interface ServerList {
  server: string;
  tools: Tool[];
  path: KeyPath;
}

export async function inspectToolsExport(
  ctx: InspectContext,
  path: string,
): Promise<{ lists: ToolListRecord[]; problems: McpProblem[] }> {
  const file = await load(ctx, path);
  if (!file?.ok) return { lists: [], problems: [] };
  const servers = serversOf(ctx, file);
  const lists: ToolListRecord[] = [];
  const problems: McpProblem[] = [];
  const allNames = new Map<string, string>();
  for (const s of servers) for (const t of s.tools) if (!allNames.has(t.name)) allNames.set(t.name, s.server);
  for (const s of servers) {
    const h = listHash(s.tools);
    lists.push({ server: s.server, file: path, tools: s.tools.length, hash: h });
    problems.push({
      check: "mcp-tool-list-unpinned",
      file: path,
      ...lineOf(file, s.path),
      subject: s.server,
      title: `Tool list of MCP server "${s.server}" (${s.tools.length} ${s.tools.length === 1 ? "tool" : "tools"}) is not pinned in the baseline (its sha256 is in the report's tool lists)`,
      detail: h,
      fixParams: { file: path, server: s.server, hash: h, tools: s.tools.length },
    });
    checkServer(file, s, servers, problems);
  }
  return { lists, problems };
}

/** Reads the export: the operator's file (not the agent's), bounded and regular, parsed as JSON. */
async function load(ctx: InspectContext, path: string): Promise<LoadedConfig | undefined> {
  let text: string;
  try {
    text = await readRegularText(path, { maxBytes: TOOL_LIMITS.maxBytes });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    ctx.read.issue(
      path,
      code === "ENOENT"
        ? "the --mcp-tools file does not exist"
        : e instanceof UnsafeFileError
          ? `skipped: ${e.message}`
          : `cannot read: ${safeMessage(e)}`,
    );
    return undefined;
  }
  return parseConfig({ abs: path, scope: "tools-export", origin: "tree", format: "json" }, text, (m) =>
    ctx.read.issue(path, m),
  );
}

function lineOf(file: LoadedConfig, path: KeyPath): { line?: number } {
  const line = file.lineOf(path);
  return line === undefined ? {} : { line };
}

/** The tools array of one server's value: `{tools}`, `{result: {tools}}` or a bare array. */
function toolsOf(v: unknown, at: KeyPath): { tools: unknown[]; path: KeyPath } | undefined {
  if (Array.isArray(v)) return { tools: v, path: at };
  if (!isRecord(v)) return undefined;
  if (Array.isArray(v.tools)) return { tools: v.tools, path: [...at, "tools"] };
  if (isRecord(v.result) && Array.isArray(v.result.tools))
    return { tools: v.result.tools, path: [...at, "result", "tools"] };
  return undefined;
}

function serversOf(ctx: InspectContext, file: LoadedConfig): ServerList[] {
  const v = file.value;
  const raw: { server: string; tools: unknown[]; path: KeyPath }[] = [];
  const bad = (where: string) =>
    ctx.read.issue(file.abs, `${where}: not a tool list (expected {"tools": [...]}); ignored`);
  const one = isRecord(v) ? toolsOf(v, []) : undefined;
  if (one && !Array.isArray(v)) {
    const name = isRecord(v)
      ? typeof v.server === "string"
        ? v.server
        : typeof v.name === "string"
          ? v.name
          : ""
      : "";
    raw.push({ server: name || "server", ...one });
  } else if (Array.isArray(v)) {
    v.forEach((item, i) => {
      const t = toolsOf(item, [i]);
      if (!t || Array.isArray(item) || !isRecord(item)) {
        bad(`[${i}]`);
        return;
      }
      const name =
        typeof item.server === "string" ? item.server : typeof item.name === "string" ? item.name : "";
      raw.push({ server: name || `server-${i + 1}`, ...t });
    });
  } else if (isRecord(v)) {
    for (const [k, item] of Object.entries(v)) {
      const t = toolsOf(item, [k]);
      if (!t) {
        bad(safeLabel(k));
        continue;
      }
      raw.push({ server: k, ...t });
    }
  } else {
    ctx.read.issue(file.abs, "not a tool list export (expected a JSON object or array); ignored");
  }
  if (raw.length > TOOL_LIMITS.maxServers) {
    ctx.read.issue(file.abs, `only the first ${TOOL_LIMITS.maxServers} of ${raw.length} servers read`);
    raw.length = TOOL_LIMITS.maxServers;
  }
  const seen = new Map<string, number>();
  return raw.map((r) => {
    let server = safeLabel(r.server, 80) || "server";
    const n = (seen.get(server) ?? 0) + 1;
    seen.set(server, n);
    if (n > 1) server = `${server}#${n}`;
    const tools: Tool[] = [];
    r.tools.slice(0, TOOL_LIMITS.maxToolsPerServer).forEach((t, i) => {
      const path = [...r.path, i];
      if (!isRecord(t) || typeof t.name !== "string") {
        ctx.read.issue(file.abs, `${server}: tool ${i + 1} has no name; ignored`);
        return;
      }
      const tool: Tool = { name: t.name, path };
      if (typeof t.title === "string") tool.title = t.title;
      if (typeof t.description === "string") tool.description = t.description;
      if (t.inputSchema !== undefined) tool.inputSchema = t.inputSchema;
      tools.push(tool);
    });
    if (r.tools.length > TOOL_LIMITS.maxToolsPerServer)
      ctx.read.issue(file.abs, `${server}: only the first ${TOOL_LIMITS.maxToolsPerServer} tools read`);
    return { server, tools, path: r.path };
  });
}

/**
 * sha256 over the canonical JSON of the list: the tools sorted by name, each as
 * `{"description", "inputSchema", "name"}` with every object's keys sorted (arrays keep their order).
 */
export function listHash(tools: readonly Pick<Tool, "name" | "description" | "inputSchema">[]): string {
  const items = tools.map((t) =>
    canonical({ name: t.name, description: t.description ?? null, inputSchema: t.inputSchema ?? null }),
  );
  items.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return hash("sha256", `[${items.join(",")}]`, "hex");
}

/**
 * Canonical JSON: object keys sorted, no whitespace. Recursive: the value was parsed with the
 * reader's depth bound (64 levels), so the recursion is bounded too.
 */
export function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((v) => canonical(v === undefined ? null : v)).join(",")}]`;
  if (isRecord(value)) {
    const keys = Object.keys(value)
      .filter((k) => value[k] !== undefined)
      .sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical(value[k])}`).join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

/** The texts of a tool the model reads, each with where it is (for titles and lines). */
function textsOf(t: Tool): { where: string; text: string; path: KeyPath }[] {
  const out: { where: string; text: string; path: KeyPath }[] = [
    { where: "name", text: t.name, path: [...t.path, "name"] },
  ];
  if (t.title !== undefined) out.push({ where: "title", text: t.title, path: [...t.path, "title"] });
  if (t.description !== undefined)
    out.push({ where: "description", text: t.description, path: [...t.path, "description"] });
  // Every string and property name of the input schema (descriptions, titles, defaults, enums, examples).
  const stack: { v: unknown; path: KeyPath; label: string }[] = [
    { v: t.inputSchema, path: [...t.path, "inputSchema"], label: "inputSchema" },
  ];
  let nodes = 0;
  while (stack.length && nodes < TOOL_LIMITS.maxSchemaNodes) {
    const { v, path, label } = stack.pop()!;
    nodes++;
    if (typeof v === "string") out.push({ where: label, text: v, path });
    else if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) stack.push({ v: v[i], path: [...path, i], label: `${label}[${i}]` });
    } else if (isRecord(v))
      for (const [k, x] of Object.entries(v)) {
        const key = safeLabel(k, 40);
        if (path[path.length - 1] === "properties")
          out.push({ where: `${label} property`, text: k, path: [...path, k] });
        stack.push({ v: x, path: [...path, k], label: `${label}.${key}` });
      }
  }
  return out;
}

/** Tags aimed at the model, as poisoned descriptions write them. */
const MODEL_TAGS = [
  "<important",
  "<system",
  "<instruction",
  "<secret",
  "<critical",
  "<hidden",
  "<admin",
  "<override",
  "<context",
];
const IGNORE_VERBS = new Set(["ignore", "disregard", "forget", "override", "bypass"]);
const IGNORE_OBJECTS = new Set([
  "instructions",
  "instruction",
  "rules",
  "prompt",
  "prompts",
  "guidelines",
  "directions",
  "directives",
  "restrictions",
]);
const TELL_VERBS = new Set([
  "tell",
  "mention",
  "inform",
  "reveal",
  "notify",
  "alert",
  "show",
  "disclose",
  "let",
]);
const USER_WORDS = new Set(["user", "users", "human", "operator"]);
const BEFORE_WORDS = new Set(["before", "prior"]);
const USE_WORDS = new Set([
  "using",
  "calling",
  "use",
  "call",
  "invoking",
  "invoke",
  "running",
  "run",
  "executing",
]);
const GENERIC_TOOL_WORDS = new Set([
  "this",
  "that",
  "these",
  "the",
  "a",
  "an",
  "same",
  "above",
  "other",
  "any",
  "each",
  "every",
  "following",
  "previous",
  "next",
  "mcp",
  "current",
  "first",
  "second",
]);

/** What in a text addresses the model instead of describing the tool; undefined if nothing. */
export function modelInstruction(text: string): string | undefined {
  const lower = text.toLowerCase();
  for (const tag of MODEL_TAGS) {
    const i = lower.indexOf(tag);
    if (i >= 0) {
      const c = lower.charCodeAt(i + tag.length);
      if (c === 0x3e || c === 0x20 || c === 0x5f || c === 0x73 || Number.isNaN(c)) return `a ${tag}> tag`;
    }
  }
  const ws = words(lower);
  for (let i = 0; i < ws.length; i++) {
    const w = ws[i]!;
    if (IGNORE_VERBS.has(w)) {
      for (let k = i + 1; k < Math.min(ws.length, i + 6); k++)
        if (IGNORE_OBJECTS.has(ws[k]!)) return `"${w} … ${ws[k]}"`;
    }
    if (TELL_VERBS.has(w) && negated(ws, i)) {
      for (let k = i + 1; k < Math.min(ws.length, i + 5); k++)
        if (USER_WORDS.has(ws[k]!)) return `"do not ${w} the ${ws[k]}"`;
    }
    if (BEFORE_WORDS.has(w)) {
      let use = -1;
      for (let k = i + 1; k < Math.min(ws.length, i + 4); k++) if (USE_WORDS.has(ws[k]!)) use = k;
      if (use > 0 && ws.slice(use + 1, use + 4).some((x) => x === "tool" || x === "tools")) {
        const rest = ws.slice(use + 1, use + 40);
        const r = firstUnnegated(rest, READ_VERBS);
        if (
          r >= 0 &&
          (credentialIn(lower) !== undefined || rest.some((x) => x === "file" || x.includes("/")))
        )
          return `"before using this tool, ${rest[r]} …"`;
      }
    }
  }
  return undefined;
}

/** Another tool a text names: `the X tool` with X not one of the server's own, or another server's tool name. */
function otherTool(
  text: string,
  own: ReadonlySet<string>,
  others: ReadonlyMap<string, string>,
  self: string,
): string | undefined {
  const lower = text.toLowerCase();
  const ws = words(lower).map((w) => w.replace(/^[`'"*]+|[`'"*,;]+$/g, ""));
  for (let i = 0; i < ws.length; i++) {
    const w = ws[i]!;
    const server = others.get(w);
    if (server !== undefined && server !== self && !own.has(w) && distinctive(w))
      return `${w} (of server ${server})`;
    if (i >= 1 && (w === "tool" || w === "tools") && ws[i - 2] === "the") {
      const name = ws[i - 1]!;
      if (!own.has(name) && !GENERIC_TOOL_WORDS.has(name) && name.length >= 3) return `the ${name} tool`;
    }
  }
  return undefined;
}

/** A tool name specific enough to be a reference when found in prose (`send_email`, `readFile`), not `search`. */
function distinctive(name: string): boolean {
  return name.length >= 8 || /[_.-]/.test(name);
}

function checkServer(file: LoadedConfig, s: ServerList, all: ServerList[], problems: McpProblem[]): void {
  const own = new Set(s.tools.map((t) => t.name.toLowerCase()));
  const others = new Map<string, string>();
  for (const o of all)
    if (o !== s)
      for (const t of o.tools)
        if (!others.has(t.name.toLowerCase())) others.set(t.name.toLowerCase(), o.server);
  const counts = new Map<string, number>();
  const add = (check: string, t: Tool, where: string, path: KeyPath, title: string, detail: string) => {
    const n = (counts.get(check) ?? 0) + 1;
    counts.set(check, n);
    if (n > TOOL_LIMITS.maxProblemsPerCheck) return;
    const tool = safeLabel(t.name, 80);
    problems.push({
      check,
      file: file.abs,
      ...lineOf(file, path),
      subject: s.server,
      title,
      detail: `${tool}\0${where}\0${detail}`,
      fixParams: { file: file.abs, server: s.server, tool, field: where },
    });
  };
  for (const t of s.tools) {
    const tool = safeLabel(t.name, 80);
    const label = `Tool "${tool}" of MCP server "${s.server}"`;
    const flagged = new Set<string>();
    for (const { where, text, path } of textsOf(t)) {
      if (text.length > 256 * 1024) continue;
      const runs = findHiddenRuns(text);
      if (runs.length && !flagged.has(`h:${where}`)) {
        flagged.add(`h:${where}`);
        add(
          "mcp-tool-hidden-characters",
          t,
          where,
          path,
          `${label} hides characters in its ${where}: ${describeRun(runs[0]!)}${runs.length > 1 ? ` and ${runs.length - 1} more run(s)` : ""}`,
          runs.map((r) => r.codePoints.join(",")).join(";"),
        );
      }
      if (where === "name") continue;
      // What hidden tag characters spell is read too: the model reads it.
      const decoded = runs.map((r) => r.decoded ?? "").join(" ");
      const instruction = modelInstruction(decoded ? `${text} ${decoded}` : text);
      if (instruction && !flagged.has("i")) {
        flagged.add("i");
        add(
          "mcp-tool-model-instructions",
          t,
          where,
          path,
          `${label} addresses the model in its ${where}: ${instruction}`,
          instruction,
        );
      }
      const cred = credentialIn(text.toLowerCase());
      if (cred && !flagged.has(`c:${cred}`)) {
        flagged.add(`c:${cred}`);
        add("mcp-tool-credential-paths", t, where, path, `${label} mentions ${cred} in its ${where}`, cred);
      }
      const other = otherTool(text, own, others, s.server);
      if (other && !flagged.has("o")) {
        flagged.add("o");
        add(
          "mcp-tool-shadowing",
          t,
          where,
          path,
          `${label} refers to another tool in its ${where}: ${safeLabel(other, 100)}`,
          other,
        );
      }
    }
  }
}
