import type { Severity } from "../../../contract/types.js";
import type { LoadedConfig } from "../read.js";

// MCP servers, skills, instruction files and tool lists (issue 16). Part of the inspect capability:
// the same config reader (bounded, regular files only, confined) and the same discovery rules.
// Nothing here starts a server, runs a command or fetches anything: every file is data.

/** The MCP clients whose configs are read. */
export const MCP_CLIENTS = [
  "claude-code",
  "claude-desktop",
  "cursor",
  "vscode",
  "windsurf",
  "codex",
  "gemini-cli",
] as const;
export type McpClient = (typeof MCP_CLIENTS)[number];

export type McpTransport = "stdio" | "http" | "sse";

/**
 * The gate's classifier for one shell command, composed by the app layer (capabilities never import
 * each other). Launcher commands and commands found in skills are judged by it, never by a regex.
 */
export type CommandJudge = (
  command: string,
  cwd: string,
) => {
  decision: "allow" | "ask" | "deny";
  rules: readonly string[];
  reason: string;
  categories: readonly string[];
};

/**
 * One value a server is given (an env variable or a header): never the value itself in anything
 * that is printed. `vars` are the `${VAR}` / `$VAR` / `${env:VAR}` references in it; `literal` is true
 * when any part of it is written out (not only references).
 */
export interface McpValue {
  key: string;
  literal: boolean;
  vars: string[];
  /** The 1-based line of the value in its file, when it can be told. */
  line?: number;
  /** The raw text (internal: for secret detection and linking; never rendered). */
  raw: string;
}

/** One configured MCP server, as its client would start it. */
export interface McpServer {
  client: McpClient;
  /** The client's own name for the scope: user, project, local, managed, workspace, ... */
  scope: string;
  file: LoadedConfig;
  /** The key path of the server's entry (`mcpServers.github`, `projects./p.mcpServers.x`, `mcp_servers.x`). */
  key: string;
  name: string;
  transport: McpTransport;
  command?: string;
  args: string[];
  url?: string;
  cwd?: string;
  env: McpValue[];
  headers: McpValue[];
  /** Disabled in its config (the client will not start it). */
  disabled: boolean;
  /**
   * The client runs its tools without asking, by the server's own entry (Gemini CLI `trust: true`;
   * added by helper A for the approval checks).
   */
  trust?: boolean;
  /** When a higher-precedence scope defines the same name for the same client: that file (absolute). */
  overriddenBy?: string;
  /** The 1-based line of the entry, when it can be told. */
  line?: number;
}

/** A secret finding of the inventory, as data (the app passes these in; linking is by fingerprint). */
export interface InventorySecret {
  fingerprint: string;
  ruleId: string;
  severity: Severity;
  source: string;
  /** The env variable name (source env / process). */
  name?: string;
  /** As the inventory reports it: relative to the home (home), to the root (tree), else absolute. */
  path?: string;
  line?: number;
}

/** A problem found: one finding, by the id of a check of rules/mcp/. */
export interface McpProblem {
  check: string;
  /** The file the problem is in (absolute). */
  file: string;
  line?: number;
  /** The server, skill or instruction file it concerns (shown in the finding's location name). */
  subject: string;
  /** A more specific one-line title (otherwise the check's). Must never contain a secret value. */
  title?: string;
  /** Makes identity distinct when one subject has several problems of one check. */
  detail?: string;
  /** More parameters for the fix generator (merged over the check's fix params). */
  fixParams?: Record<string, string | number | boolean | string[]>;
  /** Fingerprints of inventory secret findings this problem is about (step 1 evidence). */
  secrets?: string[];
}
