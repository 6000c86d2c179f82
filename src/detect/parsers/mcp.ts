import {
  acceptValue,
  classifyKey,
  envVarFindings,
  type Found,
  isObj,
  isPlaceholder,
  judgeEnv,
  MAX_WALK_DEPTH,
  type TextLocator,
} from "./common.js";

// MCP server definitions in agent configs. The shapes:
// - Claude Code `~/.claude.json` (`mcpServers`, and `projects.<dir>.mcpServers`), `.mcp.json`,
//   Cursor `~/.cursor/mcp.json`, Gemini CLI `settings.json`: `mcpServers.<name>.{command,args,env,url,headers}`
//   (https://docs.anthropic.com/en/docs/claude-code/mcp, https://docs.cursor.com/context/model-context-protocol,
//   https://github.com/google-gemini/gemini-cli/blob/main/docs/tools/mcp-server.md);
// - VS Code `.vscode/mcp.json`: `servers.<name>` with the same fields
//   (https://code.visualstudio.com/docs/copilot/chat/mcp-servers);
// - Codex `config.toml`: `[mcp_servers.<name>]` with `env` and `http_headers`; `env_http_headers`
//   and `bearer_token_env_var` name variables, they hold no secret
//   (https://github.com/openai/codex/blob/main/docs/config.md#mcp_servers).
// `env` values are judged exactly like the agent's own environment (src/detect/env.ts).

export const MCP_KEYS = new Set(["mcpServers", "mcp_servers"]);

/** Authorization header schemes whose credential follows the scheme word (RFC 9110 section 11.4). */
const AUTH_SCHEME_RE = /^(bearer|basic|token|bot|apikey|api-key|key)\s+(\S+)$/i;

/** Secrets in one server definition; `prefix` is its key path (mcpServers.github). */
export function mcpServerSecrets(server: unknown, prefix: string, loc: TextLocator): Found[] {
  if (!isObj(server)) return [];
  const out: Found[] = [];
  const env = server.env;
  if (isObj(env)) {
    for (const [name, value] of Object.entries(env)) {
      if (typeof value === "string")
        for (const f of envVarFindings(name, value, `${prefix}.env.${name}`, loc)) out.push(f);
    }
  }
  for (const hk of ["headers", "http_headers", "requestInit"]) {
    let headers = server[hk];
    if (hk === "requestInit" && isObj(headers)) headers = headers.headers;
    if (!isObj(headers)) continue;
    const base = hk === "requestInit" ? `${prefix}.requestInit.headers` : `${prefix}.${hk}`;
    for (const [name, value] of Object.entries(headers)) {
      if (typeof value !== "string") continue;
      const f = headerSecret(name, value);
      if (f) out.push({ ...f, name: `${base}.${name}`, line: loc.line(f.secret) });
    }
  }
  // Command-line flags: `--api-key=<v>` or `--token <v>` in args.
  const args = server.args;
  if (Array.isArray(args)) {
    for (let i = 0; i < args.length; i++) {
      const a = args[i];
      if (typeof a !== "string") continue;
      const m = /^--?([A-Za-z][\w-]*)(?:=(.*))?$/.exec(a);
      if (!m) continue;
      const type = classifyKey(m[1]!);
      if (!type) continue;
      const next = args[i + 1];
      const value = m[2] ?? (typeof next === "string" && !next.startsWith("-") ? next : undefined);
      if (value !== undefined && acceptValue(type, value))
        out.push({ secret: value, type, name: `${prefix}.args.${m[1]}`, line: loc.line(value) });
    }
  }
  return out;
}

function headerSecret(name: string, value: string): { secret: string; type: string } | undefined {
  const v = value.trim();
  if (isPlaceholder(v)) return undefined;
  if (/^(proxy-)?authorization$/i.test(name)) {
    const m = AUTH_SCHEME_RE.exec(v);
    const cred = m ? m[2]! : v;
    if (isPlaceholder(cred) || cred.length < 8) return undefined;
    return { secret: cred, type: "token" };
  }
  const j = judgeEnv(name.replace(/[^A-Za-z0-9]+/g, "_").toUpperCase(), v)[0];
  return j ? { secret: j.secret, type: j.type === "secret" ? "token" : j.type } : undefined;
}

/** Every MCP server secret under `mcpServers`/`mcp_servers` anywhere in the tree, and top-level `servers`. */
export function mcpSecrets(root: unknown, loc: TextLocator, topLevelServers: boolean): Found[] {
  const out: Found[] = [];
  // Iterative and depth-bounded like walkKeys (issue 8: a hostile file nested 100,000 deep must not
  // overflow the stack), in document order: children are pushed in reverse, and a server map is a
  // frame of its own so that it is read in its place among its siblings.
  type Frame = { node: unknown; path: string[]; servers: boolean };
  const stack: Frame[] = [{ node: root, path: [], servers: false }];
  while (stack.length > 0) {
    const { node, path, servers } = stack.pop()!;
    if (!isObj(node)) continue;
    if (servers) {
      for (const [server, def] of Object.entries(node)) {
        for (const f of mcpServerSecrets(def, [...path, server].join("."), loc)) out.push(f);
      }
      continue;
    }
    if (path.length >= MAX_WALK_DEPTH) continue;
    const children: Frame[] = [];
    for (const [key, value] of Object.entries(node)) {
      const isServers =
        (MCP_KEYS.has(key) || (topLevelServers && key === "servers" && path.length === 0)) && isObj(value);
      children.push({ node: value, path: [...path, key], servers: isServers });
    }
    for (let i = children.length - 1; i >= 0; i--) stack.push(children[i]!);
  }
  return out;
}

/** Path test for walkKeys: the MCP subtrees are extracted by mcpSecrets, not by the generic walk. */
export function isMcpSubtree(path: string[], key: string, topLevelServers: boolean): boolean {
  return MCP_KEYS.has(key) || (topLevelServers && path.length === 0 && key === "servers");
}
