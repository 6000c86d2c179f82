import {
  detection,
  envVarFindings,
  type Found,
  type ParseInput,
  type ParseResult,
  TextLocator,
  uniqueBySecret,
  walkKeys,
} from "./common.js";
import { isMcpSubtree, mcpSecrets } from "./mcp.js";

// JSON credential files, read by key name (common.ts classifyKey): AWS SSO and CLI caches
// (`accessToken`, `Credentials.SecretAccessKey`), gcloud ADC (`client_secret`, `refresh_token`,
// service-account `private_key`: https://cloud.google.com/docs/authentication/application-default-credentials),
// Entra ID MSAL caches, Codex `auth.json` (`OPENAI_API_KEY`, `tokens.*`), Gemini `oauth_creds.json`,
// terraform `credentials.tfrc.json`, composer `auth.json`.

export function parseJsonText(text: string): { ok: true; value: unknown } | { ok: false } {
  const t = stripBom(text);
  // An empty file is an empty config, not a broken one (tools create them that way).
  if (t.trim() === "") return { ok: true, value: {} };
  try {
    return { ok: true, value: JSON.parse(t) };
  } catch {
    // VS Code and Gemini CLI settings are JSON with comments and trailing commas (JSONC:
    // https://code.visualstudio.com/docs/languages/json#_json-with-comments).
    try {
      return { ok: true, value: JSON.parse(stripJsonc(t)) };
    } catch {
      return { ok: false };
    }
  }
}

/** JSONC to JSON: drops // and /* *\/ comments outside strings, then trailing commas. */
export function stripJsonc(text: string): string {
  let out = "";
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === "\\" ? 2 : 1;
      out += text.slice(i, j + 1);
      i = j + 1;
    } else if (c === "/" && text[i + 1] === "/") {
      while (i < text.length && text[i] !== "\n") i++;
    } else if (c === "/" && text[i + 1] === "*") {
      const end = text.indexOf("*/", i + 2);
      i = end < 0 ? text.length : end + 2;
    } else {
      out += c;
      i++;
    }
  }
  return out.replace(/,(\s*[}\]])/g, "$1");
}

function stripBom(s: string): string {
  return s.charCodeAt(0) === 0xfeff ? s.slice(1) : s;
}

/**
 * The value as it is written in the file when it needed escapes (a PEM key in a service-account
 * JSON is stored with `\n` escapes). Content rules see the file's text, so reporting the same form
 * lets the per-secret dedupe (src/sources/files.ts) merge a structural and a content detection of
 * one key instead of listing it twice. The secret is only hashed and previewed, never used.
 */
export function textForm(loc: TextLocator, value: string): string {
  // Trailing newlines are not part of a PEM block as content rules capture it (BEGIN to END line).
  const trimmed = value.trimEnd();
  const escaped = JSON.stringify(trimmed).slice(1, -1);
  return escaped !== trimmed && loc.includes(escaped) ? escaped : value;
}

export interface StructuredOptions {
  /** Extract MCP servers (`mcpServers`, `mcp_servers`) and a top-level `env` block like the environment. */
  mcp?: boolean;
  /** Also read a top-level `servers` map as MCP servers (VS Code mcp.json). */
  servers?: boolean;
}

/**
 * Generic key walk over a parsed document, plus the MCP extraction when asked. Lines come from one
 * locator over `text` (common.ts TextLocator: linear in the text, issue 8).
 */
export function structuredSecrets(root: unknown, text: string, opts: StructuredOptions = {}): Found[] {
  const loc = new TextLocator(text);
  const found: Found[] = [];
  const mcp = opts.mcp ?? false;
  const servers = opts.servers ?? false;
  if (mcp) {
    for (const f of mcpSecrets(root, loc, servers)) found.push(f);
    // Claude Code settings.json `env`: variables set for every session
    // (https://docs.anthropic.com/en/docs/claude-code/settings#environment-variables).
    const env = (root as Record<string, unknown> | null)?.env;
    if (env && typeof env === "object" && !Array.isArray(env)) {
      for (const [name, value] of Object.entries(env)) {
        if (typeof value === "string")
          for (const f of envVarFindings(name, value, `env.${name}`, loc)) found.push(f);
      }
    }
  }
  walkKeys(
    root,
    (f) =>
      found.push({
        secret: textForm(loc, f.value),
        type: f.type,
        name: f.path,
        line: loc.line(f.value),
      }),
    mcp ? (path, key) => isMcpSubtree(path, key, servers) || (path.length === 0 && key === "env") : undefined,
  );
  return uniqueBySecret(found);
}

export function parseJson(input: ParseInput): ParseResult {
  const r = parseJsonText(input.text);
  if (!r.ok) return { detections: [], malformed: "not valid JSON" };
  return { detections: structuredSecrets(r.value, input.text).map((f) => detection(input, f)) };
}

export function parseMcpJson(input: ParseInput): ParseResult {
  const r = parseJsonText(input.text);
  if (!r.ok) return { detections: [], malformed: "not valid JSON" };
  return {
    detections: structuredSecrets(r.value, input.text, { mcp: true, servers: true }).map((f) =>
      detection(input, f),
    ),
  };
}
