import { join } from "node:path";
import { makeFinding, sortFindings } from "../../../contract/finding.js";
import type {
  EgressPosture,
  Finding,
  McpServerView,
  McpValueView,
  Severity,
  SkillView,
  StepId,
  ToolListView,
} from "../../../contract/types.js";
import { SEVERITY_RANK } from "../../../contract/types.js";
import type { McpCheck, RuleSet } from "../../../rules/catalog.js";
import { envConfigDir } from "../env-dir.js";
import { portablePath } from "../portable.js";
import { getAt, type LoadedConfig } from "../read.js";
import type { InspectContext } from "../types.js";
import { discoverServers, loadQuiet } from "./discover.js";
import {
  egressProblems,
  isActive,
  type ServerContext,
  serverHosts,
  serverProblems,
  shown,
  shownLauncher,
  shownUrl,
} from "./servers.js";
import { inspectSkills } from "./skills.js";
import { inspectToolsExport } from "./tools.js";
import type { CommandJudge, InventorySecret, McpProblem, McpServer, McpValue } from "./types.js";

// MCP servers, skills, instruction files and tool lists (issue 16): discovery, the per-server
// checks, helper B's skills and tool-list checks, turned into findings through the checks of
// rules/mcp/ and into the views of the report. Nothing is started, run or fetched.

export interface McpOptions {
  ctx: InspectContext;
  judge: CommandJudge;
  secrets: readonly InventorySecret[];
  rules: RuleSet;
  disabledRules?: ReadonlySet<string>;
  severityOverrides?: Readonly<Record<string, Severity>>;
  accepted?: ReadonlySet<string>;
  /** --mcp-tools FILE: absolute path (read through ctx.read, bounded). */
  toolsExport?: string;
  /** The probed egress posture and the operator's allowlist: adds egressProblems' findings. */
  egress?: { posture: EgressPosture; allowlist?: readonly string[] };
}

export interface McpResult {
  findings: Finding[];
  servers: McpServerView[];
  skills: SkillView[];
  toolLists: ToolListView[];
  suppressed: number;
  /** Steps 1/3/5/6 contributions: per step, the fingerprints of findings that bear on it. */
  evidence: Partial<Record<StepId, string[]>>;
}

/** The inventory's secret findings, as data for linking MCP servers to what they receive. */
export function inventorySecrets(findings: readonly Finding[]): InventorySecret[] {
  return findings
    .filter((f) => f.kind === "secret")
    .map((f) => ({
      fingerprint: f.fingerprint,
      ruleId: f.ruleId,
      severity: f.severity,
      source: f.location.source,
      ...(f.location.name !== undefined ? { name: f.location.name } : {}),
      ...(f.location.path !== undefined ? { path: f.location.path } : {}),
      ...(f.location.line !== undefined ? { line: f.location.line } : {}),
    }));
}

/** Severity of a problem of a server the client does not start (disabled, or overridden). */
const INACTIVE_MAX: Severity = "low";

export async function runMcp(opts: McpOptions): Promise<McpResult> {
  const { ctx } = opts;
  const checks = new Map(opts.rules.mcp.map((c) => [c.id, c]));
  const { servers } = await discoverServers(ctx);
  const approvals = servers.some((s) => s.client === "claude-code") ? await claudeApprovals(ctx) : new Map();
  const sc: ServerContext = { ctx, judge: opts.judge, secrets: opts.secrets, approvals };

  const findings: Finding[] = [];
  let suppressed = 0;
  const make = (p: McpProblem, server?: McpServer): Finding | undefined => {
    const check = checks.get(p.check);
    if (!check) throw new Error(`MCP problem "${p.check}" is not a check of rules/mcp/`);
    if (opts.disabledRules?.has(check.id)) {
      suppressed++;
      return undefined;
    }
    const f = problemFinding(check, p, server, opts);
    findings.push(f);
    return f;
  };

  const serverFindings = new Map<McpServer, Finding[]>();
  for (const s of servers) {
    const own: Finding[] = [];
    for (const p of serverProblems(s, sc)) {
      const f = make(p, s);
      if (f) own.push(f);
    }
    serverFindings.set(s, own);
  }
  const hosts = new Map(servers.map((s) => [s, serverHosts(s)]));
  if (opts.egress) {
    const byKey = new Map(servers.map((s) => [`${s.file.abs}\0${s.name}`, s]));
    const problems = egressProblems(
      servers.map((s) => ({
        client: s.client,
        name: s.name,
        file: s.file.abs,
        hosts: hosts.get(s)!,
        disabled: s.disabled,
        ...(s.overriddenBy !== undefined ? { overriddenBy: s.overriddenBy } : {}),
        ...(s.line !== undefined ? { line: s.line } : {}),
      })),
      opts.egress,
    );
    for (const p of problems) {
      const s = byKey.get(`${p.file}\0${p.subject}`);
      const f = make(p, s);
      if (f && s) serverFindings.get(s)!.push(f);
    }
  }

  const skillResult = await inspectSkills(ctx, opts.judge);
  const skillFindings = new Map<string, Finding[]>();
  for (const p of skillResult.problems) {
    const f = make(p);
    if (!f) continue;
    const list = skillFindings.get(p.file) ?? [];
    list.push(f);
    skillFindings.set(p.file, list);
  }
  const toolResult = opts.toolsExport
    ? await inspectToolsExport(ctx, opts.toolsExport)
    : { lists: [], problems: [] as McpProblem[] };
  const toolFindings = new Map<string, Finding[]>();
  for (const p of toolResult.problems) {
    const f = make(p);
    if (!f) continue;
    const key = `${p.file}\0${p.subject}`;
    const list = toolFindings.get(key) ?? [];
    list.push(f);
    toolFindings.set(key, list);
  }

  const unique = dedupe(findings);
  const ordered = (list: Finding[] | undefined) =>
    dedupe(list ?? [])
      .sort((a, b) => SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity])
      .map((f) => f.fingerprint);
  const serverViews: McpServerView[] = servers.map((s) => ({
    client: s.client,
    scope: s.scope,
    file: s.file.abs,
    name: shown(s.name, 128),
    transport: s.transport,
    ...(s.transport === "stdio" ? { launcher: shownLauncher(s) } : {}),
    ...(s.url !== undefined ? { url: shownUrl(s.url) } : {}),
    env: s.env.map(valueView),
    headers: s.headers.map(valueView),
    hosts: hosts.get(s)!.map((h) => shown(h, 128)),
    disabled: s.disabled,
    ...(s.overriddenBy !== undefined ? { overriddenBy: s.overriddenBy } : {}),
    findings: ordered(serverFindings.get(s)),
  }));
  const skillViews: SkillView[] = skillResult.skills.map((k) => ({
    kind: k.kind,
    path: k.file,
    name: shown(k.name, 128),
    scripts: k.scripts,
    findings: ordered(skillFindings.get(k.file)),
  }));
  const toolViews: ToolListView[] = toolResult.lists.map((l) => ({
    server: shown(l.server, 128),
    file: l.file,
    tools: l.tools,
    hash: l.hash,
    findings: ordered(toolFindings.get(`${l.file}\0${l.server}`)),
  }));
  const evidence: Partial<Record<StepId, string[]>> = {};
  for (const f of unique) {
    const list = evidence[f.control] ?? [];
    list.push(f.fingerprint);
    evidence[f.control] = list;
  }
  return {
    findings: sortFindings(unique),
    servers: serverViews,
    skills: skillViews,
    toolLists: toolViews,
    suppressed,
    evidence,
  };
}

function dedupe(findings: Finding[]): Finding[] {
  const seen = new Map<string, Finding>();
  for (const f of findings) if (!seen.has(f.fingerprint)) seen.set(f.fingerprint, f);
  return [...seen.values()];
}

function problemFinding(
  check: McpCheck,
  p: McpProblem,
  server: McpServer | undefined,
  opts: McpOptions,
): Finding {
  let severity = opts.severityOverrides?.[check.id] ?? check.severity;
  let title = shown(p.title ?? check.title, 400);
  if (server && !isActive(server)) {
    if (SEVERITY_RANK[severity] > SEVERITY_RANK[INACTIVE_MAX]) severity = INACTIVE_MAX;
    title += server.disabled
      ? " (the server is disabled)"
      : ` (not started: ${portablePath(server.overriddenBy!, opts.ctx)} defines it and wins)`;
  }
  const fixParams: Record<string, unknown> = {
    file: p.file,
    ...(server ? { client: server.client, server: shown(server.name, 128) } : {}),
    ...(check.fix.params ?? {}),
    ...(p.fixParams ?? {}),
    ...(p.secrets?.length ? { secrets: p.secrets } : {}),
  };
  return makeFinding({
    ruleId: check.id,
    control: check.control,
    kind: check.kind,
    severity,
    title,
    remediation: check.remediation,
    fix: { target: check.fix.target, params: fixParams as NonNullable<Finding["fix"]>["params"] },
    location: {
      source: "agent-config",
      path: p.file,
      ...(p.line !== undefined ? { line: p.line } : {}),
      name: shown(p.subject, 128),
    },
    // A tool list is identified by its server and content, not by where its export was saved (an
    // export written to a new temporary file each time must still match its pin in the baseline).
    identityPath: check.id.startsWith("mcp-tool-") ? "(tools/list export)" : portablePath(p.file, opts.ctx),
    subject: `${server?.client ?? ""}\0${p.subject}\0${check.id}\0${p.detail ?? ""}`,
    accepted: opts.accepted,
  });
}

/**
 * Claude Code servers whose every tool is approved in advance: `permissions.allow` holding
 * "mcp__<server>" or "mcp__<server>__*" in any settings file (user, project, local, managed), and
 * no ask or deny rule for the whole server (one for a single tool leaves the others approved). Claude Code's tool names replace characters other than
 * letters, digits, `_` and `-` in a server name with `_`.
 */
async function claudeApprovals(
  ctx: InspectContext,
): Promise<Map<string, Map<string, { file: string; key: string }>>> {
  const files: LoadedConfig[] = [];
  const add = (f: LoadedConfig | undefined) => {
    if (f?.ok) files.push(f);
  };
  if (ctx.origins.has("home")) {
    const { dir, moved } = envConfigDir(ctx, "CLAUDE_CONFIG_DIR", join(ctx.home, ".claude"));
    add(
      await loadQuiet(ctx.read, {
        abs: join(dir, "settings.json"),
        scope: "user",
        origin: "home",
        format: "json",
        ...(moved ? { base: dir } : {}),
      }),
    );
  }
  if (ctx.origins.has("tree"))
    for (const [n, scope] of [
      ["settings.json", "project"],
      ["settings.local.json", "local"],
    ] as const)
      add(
        await loadQuiet(ctx.read, {
          abs: join(ctx.root, ".claude", n),
          scope,
          origin: "tree",
          format: "json",
        }),
      );
  if (ctx.origins.has("system")) {
    const dir = join(ctx.systemRoot, "etc/claude-code");
    for (const abs of [
      join(dir, "managed-settings.json"),
      ...(await ctx.read.list(join(dir, "managed-settings.d"), ".json")),
    ])
      add(await loadQuiet(ctx.read, { abs, scope: "managed", origin: "system", format: "json" }));
  }
  const allow = new Map<string, { file: string; key: string }>();
  const gated = new Set<string>();
  for (const f of files) {
    for (const list of ["allow", "ask", "deny"] as const) {
      const rules = getAt(f.value, ["permissions", list]);
      if (!Array.isArray(rules)) continue;
      rules.slice(0, 4096).forEach((r, i) => {
        if (typeof r !== "string" || !r.startsWith("mcp__")) return;
        const body = r.slice(5);
        const sep = body.indexOf("__");
        const server = sep < 0 ? body : body.slice(0, sep);
        const tool = sep < 0 ? undefined : body.slice(sep + 2);
        if (list === "allow") {
          if ((tool === undefined || tool === "*") && !allow.has(server))
            allow.set(server, { file: f.abs, key: `permissions.allow[${i}]` });
        } else if (tool === undefined || tool === "*") gated.add(server);
        // An ask or deny rule for one tool leaves the server's other tools approved.
      });
    }
  }
  const byName = new Map<string, { file: string; key: string }>();
  for (const [server, where] of allow) if (!gated.has(server)) byName.set(server, where);
  // Keyed by the normalised name (servers.ts looks each server up by its normalised name).
  return new Map([["claude-code", byName]]);
}

/**
 * What the view says of one env variable or header (issue 16: references vs literals): its name,
 * whether its value is written out, only references the agent's environment, or both, and the
 * variables referenced. Never the value.
 */
function valueView(v: McpValue): McpValueView {
  return {
    name: shown(v.key, 64),
    from: v.literal ? (v.vars.length ? "mixed" : "literal") : "reference",
    vars: v.vars.map((name) => shown(name, 64)),
  };
}
