import { join } from "node:path";
import { envConfigDir } from "../env-dir.js";
import {
  type ConfigReader,
  type ConfigSpec,
  getAt,
  isRecord,
  type KeyPath,
  type LoadedConfig,
} from "../read.js";
import type { InspectContext } from "../types.js";
import type { McpClient, McpServer, McpTransport, McpValue } from "./types.js";

// Discovery of every configured MCP server (issue 16), per client and scope, in each client's own
// format, read through the inspectors' ConfigReader (bounded, regular files only, confined: a
// symlink out of the home or the project is not followed). Nothing is started or fetched.
//
// Where each client keeps its servers (Linux), and which scope wins a name defined twice:
// - Claude Code: `~/.claude.json` `mcpServers` (user) and `projects.<abs path>.mcpServers` (local,
//   for the project whose path is the audited root), project `.mcp.json` (project), managed
//   `/etc/claude-code/managed-mcp.json` (managed). local > project > user; a managed-mcp.json takes
//   exclusive control (no other server loads). https://code.claude.com/docs/en/mcp,
//   https://code.claude.com/docs/en/managed-mcp
// - Claude Desktop: `~/.config/Claude/claude_desktop_config.json` `mcpServers` (stdio only).
// - Cursor: `~/.cursor/mcp.json` (user), `.cursor/mcp.json` (project), `mcpServers`, `url` for remote
//   servers, `${env:VAR}` interpolation. https://docs.cursor.com/context/model-context-protocol
// - VS Code: `.vscode/mcp.json` (workspace) and the user profile's `mcp.json`
//   (`~/.config/Code/User/mcp.json`), top-level `servers`, JSON with comments, `inputs` for prompted
//   secrets. https://code.visualstudio.com/docs/copilot/reference/mcp-configuration
// - Windsurf: `~/.codeium/windsurf/mcp_config.json` `mcpServers`, remote servers by `serverUrl`,
//   `disabled`. https://docs.windsurf.com/windsurf/cascade/mcp
// - Codex: `[mcp_servers.<name>]` in `$CODEX_HOME/config.toml` (default `~/.codex`, user) and the
//   project's `.codex/config.toml` (project, loaded in a trusted project; over the user's): `command`,
//   `args`, `env`, `env_vars`, `cwd`, `url`, `bearer_token_env_var`, `http_headers`,
//   `env_http_headers`, `enabled`. https://github.com/openai/codex/blob/main/docs/config.md
// - Gemini CLI: `mcpServers` in `~/.gemini/settings.json` (user), `.gemini/settings.json` (project),
//   `/etc/gemini-cli/settings.json` (system, over both) and `system-defaults.json` (under all):
//   `command`/`args`/`env`/`cwd`, `url` (SSE), `httpUrl` (streamable HTTP), `headers`, `trust`;
//   `mcp.excluded` / `mcp.allowed` switch servers off by name.
//   https://github.com/google-gemini/gemini-cli/blob/main/docs/tools/mcp-server.md

/** Most servers read from one file; more is an issue (a hand-written config has a few). */
export const MAX_SERVERS_PER_FILE = 256;
/** Most arguments, env entries and headers read per server. */
export const MAX_ITEMS = 256;
/** Longest string value kept (an argument, a URL, an env value); longer is cut (and an issue). */
export const MAX_VALUE = 16 * 1024;

/** Every config file looked at, for "none found: looked for ...". */
export const LOOKED_FOR: Record<McpClient, string[]> = {
  "claude-code": [
    "~/.claude.json (mcpServers, projects.<root>.mcpServers)",
    ".mcp.json",
    "/etc/claude-code/managed-mcp.json",
  ],
  "claude-desktop": ["~/.config/Claude/claude_desktop_config.json"],
  cursor: ["~/.cursor/mcp.json", ".cursor/mcp.json"],
  vscode: ["~/.config/Code/User/mcp.json", ".vscode/mcp.json"],
  windsurf: ["~/.codeium/windsurf/mcp_config.json"],
  codex: ["~/.codex/config.toml (or $CODEX_HOME)", ".codex/config.toml"],
  "gemini-cli": [
    "~/.gemini/settings.json",
    ".gemini/settings.json",
    "/etc/gemini-cli/settings.json",
    "/etc/gemini-cli/system-defaults.json",
  ],
};

/** One config file of a client, with where its servers are and how strongly it binds. */
interface Source {
  client: McpClient;
  spec: ConfigSpec;
  /** Key paths of server maps inside the file (resolved once the file is parsed). */
  maps: (file: LoadedConfig) => KeyPath[];
  /** Higher wins a name defined twice for the same client. */
  rank: number;
}

export interface Discovery {
  servers: McpServer[];
  /** Every config file that exists (read or not), in discovery order. */
  files: { client: McpClient; file: LoadedConfig }[];
}

/** Finds every configured server of every client. Never throws on what the files hold. */
export async function discoverServers(ctx: InspectContext): Promise<Discovery> {
  const read = ctx.read;
  const sources = sourcesOf(ctx);
  const files: Discovery["files"] = [];
  const servers: McpServer[] = [];
  const ranks = new Map<McpServer, number>();
  for (const s of sources) {
    const file = await loadQuiet(read, s.spec);
    if (!file) continue;
    files.push({ client: s.client, file });
    if (!file.ok) continue;
    for (const map of s.maps(file))
      for (const server of readMap(read, s.client, file, map)) {
        servers.push(server);
        // Claude Code's `projects.<root>.mcpServers` is the local scope, over the project's .mcp.json.
        ranks.set(server, map[0] === "projects" ? RANK.local : s.rank);
      }
  }
  geminiSwitches(
    servers,
    files.filter((f) => f.client === "gemini-cli").map((f) => f.file),
  );
  resolveOverrides(servers, files, ranks);
  return { servers, files };
}

/**
 * Loads a file through the shared reader, without repeating an issue the runtime inspectors already
 * recorded for the same file (they read ~/.claude.json, settings.json and config.toml too).
 */
export async function loadQuiet(read: ConfigReader, spec: ConfigSpec): Promise<LoadedConfig | undefined> {
  const before = read.issues.length;
  const file = await read.load(spec);
  if (read.issues.length > before) {
    const seen = new Set(read.issues.slice(0, before).map((i) => `${i.where}\0${i.message}`));
    const fresh = read.issues.splice(before).filter((i) => !seen.has(`${i.where}\0${i.message}`));
    read.issues.push(...fresh);
  }
  return file;
}

/** Rank of each scope within its client: the higher wins a name defined twice. */
const RANK = { low: 0, user: 1, project: 2, local: 3, system: 4, managed: 5 } as const;

function sourcesOf(ctx: InspectContext): Source[] {
  const out: Source[] = [];
  const home = ctx.origins.has("home");
  const tree = ctx.origins.has("tree");
  const system = ctx.origins.has("system");
  const top = (key: string) => (file: LoadedConfig) => (isRecord(getAt(file.value, [key])) ? [[key]] : []);
  const mcpServers = top("mcpServers");

  // Claude Code.
  if (home) {
    const { dir, moved } = envConfigDir(ctx, "CLAUDE_CONFIG_DIR", join(ctx.home, ".claude"));
    const abs = moved ? join(dir, ".claude.json") : join(ctx.home, ".claude.json");
    out.push({
      client: "claude-code",
      spec: { abs, scope: "user", origin: "home", format: "json", ...(moved ? { base: dir } : {}) },
      maps: (file) => [...mcpServers(file), ...claudeLocal(file, ctx)],
      rank: RANK.user,
    });
  }
  if (tree)
    out.push({
      client: "claude-code",
      spec: { abs: join(ctx.root, ".mcp.json"), scope: "project", origin: "tree", format: "json" },
      maps: mcpServers,
      rank: RANK.project,
    });
  if (system)
    out.push({
      client: "claude-code",
      spec: {
        abs: join(ctx.systemRoot, "etc/claude-code/managed-mcp.json"),
        scope: "managed",
        origin: "system",
        format: "json",
      },
      maps: mcpServers,
      rank: RANK.managed,
    });

  // Claude Desktop.
  if (home)
    out.push({
      client: "claude-desktop",
      spec: {
        abs: join(ctx.home, ".config/Claude/claude_desktop_config.json"),
        scope: "user",
        origin: "home",
        format: "json",
      },
      maps: mcpServers,
      rank: RANK.user,
    });

  // Cursor: precedence between its two files is not documented; both are listed, none overrides.
  if (home)
    out.push({
      client: "cursor",
      spec: { abs: join(ctx.home, ".cursor/mcp.json"), scope: "user", origin: "home", format: "jsonc" },
      maps: mcpServers,
      rank: RANK.low,
    });
  if (tree)
    out.push({
      client: "cursor",
      spec: { abs: join(ctx.root, ".cursor/mcp.json"), scope: "project", origin: "tree", format: "jsonc" },
      maps: mcpServers,
      rank: RANK.low,
    });

  // VS Code: the same, `servers` at the top level.
  if (home)
    out.push({
      client: "vscode",
      spec: {
        abs: join(ctx.home, ".config/Code/User/mcp.json"),
        scope: "user",
        origin: "home",
        format: "jsonc",
        // VS Code's JSON reader takes a trailing comma (github/github-mcp-server#534).
        trailingCommas: true,
      },
      maps: top("servers"),
      rank: RANK.low,
    });
  if (tree)
    out.push({
      client: "vscode",
      spec: {
        abs: join(ctx.root, ".vscode/mcp.json"),
        scope: "workspace",
        origin: "tree",
        format: "jsonc",
        trailingCommas: true,
      },
      maps: top("servers"),
      rank: RANK.low,
    });

  // Windsurf.
  if (home)
    out.push({
      client: "windsurf",
      spec: {
        abs: join(ctx.home, ".codeium/windsurf/mcp_config.json"),
        scope: "user",
        origin: "home",
        format: "jsonc",
      },
      maps: mcpServers,
      rank: RANK.user,
    });

  // Codex.
  if (home) {
    const { dir, moved } = envConfigDir(ctx, "CODEX_HOME", join(ctx.home, ".codex"));
    out.push({
      client: "codex",
      spec: {
        abs: join(dir, "config.toml"),
        scope: "user",
        origin: "home",
        format: "toml",
        ...(moved ? { base: dir } : {}),
      },
      maps: top("mcp_servers"),
      rank: RANK.user,
    });
  }
  if (tree)
    out.push({
      client: "codex",
      spec: { abs: join(ctx.root, ".codex/config.toml"), scope: "project", origin: "tree", format: "toml" },
      maps: top("mcp_servers"),
      rank: RANK.project,
    });

  // Gemini CLI: system-defaults < user < project < system.
  const etc = join(ctx.systemRoot, "etc/gemini-cli");
  if (system)
    out.push({
      client: "gemini-cli",
      spec: {
        abs: join(etc, "system-defaults.json"),
        scope: "system-defaults",
        origin: "system",
        format: "jsonc",
      },
      maps: mcpServers,
      rank: RANK.low,
    });
  if (home)
    out.push({
      client: "gemini-cli",
      spec: { abs: join(ctx.home, ".gemini/settings.json"), scope: "user", origin: "home", format: "jsonc" },
      maps: mcpServers,
      rank: RANK.user,
    });
  if (tree)
    out.push({
      client: "gemini-cli",
      spec: {
        abs: join(ctx.root, ".gemini/settings.json"),
        scope: "project",
        origin: "tree",
        format: "jsonc",
      },
      maps: mcpServers,
      rank: RANK.project,
    });
  if (system)
    out.push({
      client: "gemini-cli",
      spec: { abs: join(etc, "settings.json"), scope: "system", origin: "system", format: "jsonc" },
      maps: mcpServers,
      rank: RANK.system,
    });
  return out;
}

/**
 * `projects.<path>.mcpServers` of ~/.claude.json for the audited project: its key is the project's
 * absolute path as the agent sees it (the root, or the root inside --system-root).
 */
function claudeLocal(file: LoadedConfig, ctx: InspectContext): KeyPath[] {
  const projects = getAt(file.value, ["projects"]);
  if (!isRecord(projects)) return [];
  const strip = (p: string) => (p.length > 1 ? p.replace(/\/+$/, "") : p);
  const wanted = new Set([strip(ctx.root)]);
  if (ctx.systemRoot !== "/" && ctx.root.startsWith(`${ctx.systemRoot}/`))
    wanted.add(strip(ctx.root.slice(ctx.systemRoot.length)));
  const out: KeyPath[] = [];
  for (const key of Object.keys(projects)) {
    if (!wanted.has(strip(key))) continue;
    if (isRecord(getAt(projects, [key, "mcpServers"]))) out.push(["projects", key, "mcpServers"]);
  }
  return out;
}

/** Each client's scope name for a Claude Code map: `projects.*` is the local scope. */
function scopeOf(file: LoadedConfig, map: KeyPath): string {
  return map[0] === "projects" ? "local" : file.scope;
}

/** The servers of one server map. */
function readMap(read: ConfigReader, client: McpClient, file: LoadedConfig, map: KeyPath): McpServer[] {
  const entries = getAt(file.value, map) as Record<string, unknown>;
  const names = Object.keys(entries);
  if (names.length > MAX_SERVERS_PER_FILE)
    read.issue(
      file.abs,
      `skipped: ${names.length - MAX_SERVERS_PER_FILE} of ${names.length} MCP servers not read (at most ${MAX_SERVERS_PER_FILE} per file)`,
    );
  const scope = scopeOf(file, map);
  const out: McpServer[] = [];
  for (const name of names.slice(0, MAX_SERVERS_PER_FILE)) {
    const path = [...map, name];
    const def = entries[name];
    if (!isRecord(def)) {
      read.typeIssue(file, path, "an MCP server object", def);
      continue;
    }
    const server = readServer(read, client, file, path, def, scope);
    if (server) out.push(server);
  }
  return out;
}

/** A string field (a wrong type is an issue and reads as unset); cut at MAX_VALUE. */
function text(read: ConfigReader, file: LoadedConfig, path: KeyPath, v: unknown): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "string") {
    read.typeIssue(file, path, "a string", v);
    return undefined;
  }
  return v.length > MAX_VALUE ? v.slice(0, MAX_VALUE) : v;
}

function flag(read: ConfigReader, file: LoadedConfig, path: KeyPath, v: unknown): boolean | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "boolean") {
    read.typeIssue(file, path, "true or false", v);
    return undefined;
  }
  return v;
}

function readServer(
  read: ConfigReader,
  client: McpClient,
  file: LoadedConfig,
  path: KeyPath,
  def: Record<string, unknown>,
  scope: string,
): McpServer | undefined {
  const at = (key: string) => (Object.hasOwn(def, key) ? def[key] : undefined);
  const command = text(read, file, [...path, "command"], at("command"));
  const args = stringList(read, file, [...path, "args"], at("args"));
  // The URL key of each client: Windsurf serverUrl, Gemini httpUrl (streamable HTTP) or url (SSE).
  const urlKey =
    client === "windsurf" && at("serverUrl") !== undefined
      ? "serverUrl"
      : client === "gemini-cli" && at("httpUrl") !== undefined
        ? "httpUrl"
        : "url";
  const url = text(read, file, [...path, urlKey], at(urlKey));
  const typeRaw = text(read, file, [...path, "type"], at("type"));
  const transport = transportOf(client, typeRaw, urlKey, url, command);
  if (!transport) {
    read.issue(
      file.abs,
      `${lineText(file, path)}MCP server ${quoted(String(path[path.length - 1]))} has neither a command nor a URL (the client cannot start it; not inspected)`,
    );
    return undefined;
  }
  const env: McpValue[] = [
    ...values(read, file, [...path, "env"], at("env")),
    ...(client === "codex" ? codexEnvVars(read, file, path, def) : []),
  ];
  const headers: McpValue[] = [
    ...values(
      read,
      file,
      [...path, client === "codex" ? "http_headers" : "headers"],
      at(client === "codex" ? "http_headers" : "headers"),
    ),
    ...(client === "codex" ? codexHeaderVars(read, file, path, def) : []),
  ];
  const cwd = text(read, file, [...path, "cwd"], at("cwd"));
  let disabled = false;
  if (client === "codex") disabled = flag(read, file, [...path, "enabled"], at("enabled")) === false;
  else disabled = flag(read, file, [...path, "disabled"], at("disabled")) === true;
  const name = String(path[path.length - 1]);
  // A TOML server written with dotted keys (`mcp_servers.x.command = ...`) has no table line of its
  // own: the line of its command or URL (once the reader's TOML index knows dotted keys: see
  // /work/notes/requests-mcp-hostile.md; today such a server has no line).
  const line = file.lineOf(path) ?? file.lineOf([...path, "command"]) ?? file.lineOf([...path, urlKey]);
  const trust = client === "gemini-cli" && flag(read, file, [...path, "trust"], at("trust")) === true;
  return {
    client,
    scope,
    file,
    key: keyText(path),
    name,
    transport,
    ...(transport === "stdio" && command !== undefined ? { command } : {}),
    args: transport === "stdio" ? args : [],
    ...(transport !== "stdio" && url !== undefined ? { url } : {}),
    ...(cwd !== undefined ? { cwd } : {}),
    env,
    headers,
    disabled,
    ...(trust ? { trust } : {}),
    ...(line !== undefined ? { line } : {}),
  };
}

function transportOf(
  client: McpClient,
  type: string | undefined,
  urlKey: string,
  url: string | undefined,
  command: string | undefined,
): McpTransport | undefined {
  const t = type?.toLowerCase();
  if (t === "stdio" || (t === undefined && command !== undefined))
    return command !== undefined ? "stdio" : undefined;
  if (url === undefined) return command !== undefined ? "stdio" : undefined;
  if (t === "sse") return "sse";
  if (t === "http" || t === "streamable-http" || t === "streamablehttp") return "http";
  // Gemini CLI: `url` is SSE, `httpUrl` streamable HTTP.
  if (client === "gemini-cli") return urlKey === "httpUrl" ? "http" : "sse";
  return "http";
}

function stringList(read: ConfigReader, file: LoadedConfig, path: KeyPath, v: unknown): string[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) {
    read.typeIssue(file, path, "an array of strings", v);
    return [];
  }
  if (v.length > MAX_ITEMS)
    read.issue(file.abs, `${lineText(file, path)}${MAX_ITEMS} of ${v.length} arguments read`);
  const out: string[] = [];
  v.slice(0, MAX_ITEMS).forEach((item, i) => {
    // A number or boolean argument is passed as its text by every client.
    if (typeof item === "number" || typeof item === "boolean") out.push(String(item));
    else {
      const s = text(read, file, [...path, i], item);
      if (s !== undefined) out.push(s);
    }
  });
  return out;
}

/** The entries of an env or header map, as values (references told from literals). */
function values(read: ConfigReader, file: LoadedConfig, path: KeyPath, v: unknown): McpValue[] {
  if (v === undefined || v === null) return [];
  if (!isRecord(v)) {
    read.typeIssue(file, path, "an object of strings", v);
    return [];
  }
  const keys = Object.keys(v);
  if (keys.length > MAX_ITEMS)
    read.issue(file.abs, `${lineText(file, path)}${MAX_ITEMS} of ${keys.length} entries read`);
  const out: McpValue[] = [];
  for (const key of keys.slice(0, MAX_ITEMS)) {
    const raw = v[key];
    const s =
      typeof raw === "number" || typeof raw === "boolean"
        ? String(raw)
        : text(read, file, [...path, key], raw);
    if (s === undefined) continue;
    out.push(mcpValue(key, s, valueLine(file, [...path, key])));
  }
  return out;
}

/** Codex `env_vars = ["NAME", ...]`: variables passed through from the client's environment. */
function codexEnvVars(
  read: ConfigReader,
  file: LoadedConfig,
  path: KeyPath,
  def: Record<string, unknown>,
): McpValue[] {
  const names = stringList(
    read,
    file,
    [...path, "env_vars"],
    Object.hasOwn(def, "env_vars") ? def.env_vars : undefined,
  );
  const line = valueLine(file, [...path, "env_vars"]);
  return names.map((n) => ({ key: n, literal: false, vars: [n], raw: "", ...(line ? { line } : {}) }));
}

/** Codex `bearer_token_env_var` and `env_http_headers = { Header = "VAR" }`: headers from variables. */
function codexHeaderVars(
  read: ConfigReader,
  file: LoadedConfig,
  path: KeyPath,
  def: Record<string, unknown>,
): McpValue[] {
  const out: McpValue[] = [];
  const bearer = text(
    read,
    file,
    [...path, "bearer_token_env_var"],
    Object.hasOwn(def, "bearer_token_env_var") ? def.bearer_token_env_var : undefined,
  );
  if (bearer) {
    const line = valueLine(file, [...path, "bearer_token_env_var"]);
    out.push({ key: "Authorization", literal: false, vars: [bearer], raw: "", ...(line ? { line } : {}) });
  }
  const headers = Object.hasOwn(def, "env_http_headers") ? def.env_http_headers : undefined;
  if (headers !== undefined && !isRecord(headers))
    read.typeIssue(file, [...path, "env_http_headers"], "a table of strings", headers);
  if (isRecord(headers))
    for (const key of Object.keys(headers).slice(0, MAX_ITEMS)) {
      const name = text(read, file, [...path, "env_http_headers", key], headers[key]);
      if (!name) continue;
      const line = valueLine(file, [...path, "env_http_headers", key]);
      out.push({ key, literal: false, vars: [name], raw: "", ...(line ? { line } : {}) });
    }
  return out;
}

/** The line of a value; a TOML inline table gives none for its keys, then its parent's line. */
export function valueLine(file: LoadedConfig, path: KeyPath): number | undefined {
  return file.lineOf(path) ?? (path.length > 1 ? file.lineOf(path.slice(0, -1)) : undefined);
}

/**
 * The references in a value: `${VAR}`, `${VAR:-default}` (Claude Code), `${env:VAR}` (Cursor, VS
 * Code, Windsurf), `$VAR` (Gemini CLI); `${input:id}` (a VS Code prompt) and other `${...}`
 * variables (`${workspaceFolder}`) are references to no environment variable. One linear pass.
 */
export function mcpValue(key: string, raw: string, line?: number): McpValue {
  const vars: string[] = [];
  let literal = false;
  for (let i = 0; i < raw.length; ) {
    if (raw[i] === "$" && raw[i + 1] === "{") {
      const end = raw.indexOf("}", i + 2);
      if (end > 0) {
        const body = raw.slice(i + 2, end);
        const m = /^(?:env:)?([A-Za-z_][A-Za-z0-9_]*)(?::-[^}]*)?$/.exec(body);
        if (m && (body.startsWith("env:") || !/^(?:workspaceFolder|userHome|pathSeparator|cwd)$/.test(m[1]!)))
          vars.push(m[1]!);
        // `${VAR:-default}`: the default is written here, and passed whenever VAR is unset.
        if (m && body.length > m[1]!.length + 2 + (body.startsWith("env:") ? 4 : 0)) literal = true;
        i = end + 1;
        continue;
      }
    }
    if (raw[i] === "$" && /[A-Za-z_]/.test(raw[i + 1] ?? "")) {
      let j = i + 1;
      while (j < raw.length && /[A-Za-z0-9_]/.test(raw[j]!)) j++;
      vars.push(raw.slice(i + 1, j));
      i = j;
      continue;
    }
    literal = true;
    i++;
  }
  return { key, literal, vars: [...new Set(vars)], raw, ...(line !== undefined ? { line } : {}) };
}

/**
 * Gemini CLI's `mcp.excluded` (names never connected) and `mcp.allowed` (only these connect), from
 * the highest-precedence settings file that sets each.
 */
function geminiSwitches(servers: McpServer[], files: LoadedConfig[]): void {
  const ordered = [...files].filter((f) => f.ok).sort((a, b) => geminiRank(a.scope) - geminiRank(b.scope));
  let excluded: string[] | undefined;
  let allowed: string[] | undefined;
  for (const f of ordered) {
    const ex = getAt(f.value, ["mcp", "excluded"]);
    const al = getAt(f.value, ["mcp", "allowed"]);
    if (Array.isArray(ex)) excluded = ex.filter((x): x is string => typeof x === "string");
    if (Array.isArray(al)) allowed = al.filter((x): x is string => typeof x === "string");
  }
  for (const s of servers) {
    if (s.client !== "gemini-cli") continue;
    if (excluded?.includes(s.name) || (allowed && !allowed.includes(s.name))) s.disabled = true;
  }
}

function geminiRank(scope: string): number {
  return scope === "system-defaults" ? 0 : scope === "user" ? 1 : scope === "project" ? 2 : 3;
}

/**
 * Which definition of a name the client uses: the highest-ranked scope's. Claude Code's
 * managed-mcp.json, when present, is the only source it loads (exclusive control).
 */
function resolveOverrides(
  servers: McpServer[],
  files: Discovery["files"],
  ranks: Map<McpServer, number>,
): void {
  const managed = files.find((f) => f.client === "claude-code" && f.file.scope === "managed" && f.file.ok);
  const best = new Map<string, McpServer>();
  const id = (s: McpServer) => `${s.client}\0${s.name}`;
  const rank = (s: McpServer) => ranks.get(s) ?? 0;
  for (const s of servers) {
    const b = best.get(id(s));
    if (!b || rank(s) > rank(b)) best.set(id(s), s);
  }
  for (const s of servers) {
    if (managed && s.client === "claude-code" && s.file.scope !== "managed") {
      s.overriddenBy = managed.file.abs;
      continue;
    }
    const b = best.get(id(s))!;
    if (b !== s && rank(b) > rank(s)) s.overriddenBy = b.file.abs;
  }
}

function keyText(path: KeyPath): string {
  return path.map((k) => String(k)).join(".");
}

function lineText(file: LoadedConfig, path: KeyPath): string {
  const line = file.lineOf(path);
  return line ? `line ${line}: ` : "";
}

function quoted(name: string): string {
  return /^[A-Za-z0-9_.@-]{1,64}$/.test(name) ? `"${name}"` : `<${name.length} characters, not shown>`;
}
