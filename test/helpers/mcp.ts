import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import {
  inventorySecrets,
  type McpOptions,
  type McpResult,
  runMcp,
} from "../../src/capabilities/inspect/mcp/index.js";
import type { CommandJudge } from "../../src/capabilities/inspect/mcp/types.js";
import { ConfigReader } from "../../src/capabilities/inspect/read.js";
import type { InspectContext, Origin } from "../../src/capabilities/inspect/types.js";
import type { Finding, ScanIssue } from "../../src/contract/types.js";
import { defaultRules } from "../../src/rules/catalog.js";
import { inventory } from "./inventory.js";
import { gateJudge } from "./judge.js";
import { runtimeSandbox } from "./runtime.js";

export interface McpRun extends McpResult {
  issues: ScanIssue[];
  /** The inventory's findings over the same sandbox (secrets linked by fingerprint). */
  inventory: Finding[];
  home: string;
  root: string;
  system: string;
}

/**
 * Runs the real inventory and runMcp over a sandbox of files keyed as rules/mcp examples (`~/`
 * home, `./` project root, `/` system root). `__ROOT__` in a file's text becomes the project root's
 * absolute path (Claude Code keys ~/.claude.json projects by it), `__HOME__` the home's.
 */
export async function mcpFiles(
  files: Record<string, string | Buffer>,
  opts: {
    env?: Record<string, string>;
    tools?: string;
    origins?: Origin[];
    judge?: CommandJudge;
    egress?: McpOptions["egress"];
    credentialPaths?: string[];
    disabledRules?: Set<string>;
  } = {},
): Promise<McpRun> {
  const sandbox = runtimeSandbox({});
  try {
    const put = (rel: string, text: string | Buffer) => {
      const abs = placed(sandbox, rel);
      const body =
        typeof text === "string"
          ? text.replaceAll("__ROOT__", sandbox.root).replaceAll("__HOME__", sandbox.home)
          : text;
      mkdirFor(abs);
      writeFileSync(abs, body);
    };
    for (const [k, v] of Object.entries(files)) put(k, v);
    const env = opts.env ?? {};
    const inv = await inventory({
      home: sandbox.home,
      root: sandbox.root,
      systemRoot: sandbox.system,
      env,
      sources: ["home", "tree", ...(opts.env ? (["env"] as const) : [])],
    });
    const read = new ConfigReader({ home: sandbox.home, tree: sandbox.root, system: sandbox.system });
    const ctx: InspectContext = {
      home: sandbox.home,
      root: sandbox.root,
      systemRoot: sandbox.system,
      origins: new Set(opts.origins ?? ["home", "tree", "system"]),
      env: opts.env,
      read,
      credentialPaths:
        opts.credentialPaths ??
        [
          ...new Set(inv.findings.filter((f) => f.location.source === "home").map((f) => f.location.path!)),
        ].sort(),
    };
    let toolsExport: string | undefined;
    if (opts.tools !== undefined) {
      toolsExport = join(sandbox.dir, "tools-export.json");
      writeFileSync(toolsExport, opts.tools);
    }
    const result = await runMcp({
      ctx,
      judge: opts.judge ?? gateJudge(sandbox.home, sandbox.root),
      secrets: inventorySecrets(inv.findings),
      rules: defaultRules(),
      ...(toolsExport ? { toolsExport } : {}),
      ...(opts.egress ? { egress: opts.egress } : {}),
      ...(opts.disabledRules ? { disabledRules: opts.disabledRules } : {}),
    });
    return {
      ...result,
      issues: read.issues,
      inventory: inv.findings,
      home: sandbox.home,
      root: sandbox.root,
      system: sandbox.system,
    };
  } finally {
    sandbox.cleanup();
  }
}

function placed(sandbox: { home: string; root: string; system: string }, key: string): string {
  if (key.startsWith("~/")) return join(sandbox.home, key.slice(2));
  if (key.startsWith("./")) return join(sandbox.root, key.slice(2));
  if (key.startsWith("/")) return join(sandbox.system, key.slice(1));
  throw new Error(`file key must start with ~/, ./ or /: ${key}`);
}

function mkdirFor(abs: string): void {
  mkdirSync(dirname(abs), { recursive: true });
}

/** fixtures/mcp: one folder per client, each with risky and safe variants (home/, project/, system/, env.json). */
export const FIXTURES = join(import.meta.dirname, "../../fixtures/mcp");

/** A fixture variant as a files map keyed `~/`, `./`, `/`, and its environment. */
export function fixtureFiles(
  client: string,
  variant: string,
): { files: Record<string, string>; env?: Record<string, string> } {
  const dir = join(FIXTURES, client, variant);
  const files: Record<string, string> = {};
  const walk = (d: string, prefix: string) => {
    for (const name of readdirSync(d)) {
      const abs = join(d, name);
      if (statSync(abs).isDirectory()) walk(abs, prefix);
      else
        files[
          prefix + relative(join(dir, prefix === "~/" ? "home" : prefix === "./" ? "project" : "system"), abs)
        ] = readFileSync(abs, "utf8");
    }
  };
  for (const [sub, prefix] of [
    ["home", "~/"],
    ["project", "./"],
    ["system", "/"],
  ] as const) {
    try {
      walk(join(dir, sub), prefix);
    } catch {
      // no such folder in this variant
    }
  }
  let env: Record<string, string> | undefined;
  try {
    env = JSON.parse(readFileSync(join(dir, "env.json"), "utf8"));
  } catch {
    env = undefined;
  }
  return { files, ...(env ? { env } : {}) };
}
