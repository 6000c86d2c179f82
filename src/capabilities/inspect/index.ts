import { makeFinding, sortFindings } from "../../contract/finding.js";
import type {
  AgentsSection,
  ChecklistItem,
  EgressPosture,
  Finding,
  RuntimeView,
  ScanIssue,
  Severity,
} from "../../contract/types.js";
import { SEVERITY_RANK } from "../../contract/types.js";
import { defaultRules, type RuleSet, type RuntimeCheck } from "../../rules/catalog.js";
import { claudeCode } from "./claude-code.js";
import { codex } from "./codex.js";
import { gemini } from "./gemini.js";
import { hermes } from "./hermes.js";
import { envMarkers } from "./markers.js";
import { inventorySecrets, type McpResult, runMcp } from "./mcp/index.js";
import type { CommandJudge, InventorySecret } from "./mcp/types.js";
import { portablePath } from "./portable.js";
import { ConfigReader } from "./read.js";
import { sandboxRuntime } from "./sandbox-runtime.js";
import type {
  ConfiguredGate,
  InspectContext,
  Origin,
  Problem,
  RuntimeInspector,
  RuntimeResult,
} from "./types.js";

// Step 5 (issue 10): read every agent runtime's configs the way the runtime does, say per runtime
// whether its dangerous-command gate and its sandbox are really on, and score `approval-gate`.
// Hook commands and rules files are inspected as data, never run.

export { inventorySecrets, portablePath };

/** Every inspector, in report order. */
export const INSPECTORS: readonly RuntimeInspector[] = [claudeCode, codex, gemini, hermes, sandboxRuntime];

export interface InspectOptions {
  home: string;
  root: string;
  systemRoot: string;
  /** Which config origins to read (from --sources: home, tree, system). */
  origins: ReadonlySet<Origin>;
  /** The agent's environment, when the env source is on. */
  env?: Readonly<Record<string, string>>;
  /** Credential files the inventory found, relative to the home. */
  credentialPaths?: readonly string[];
  rules?: RuleSet;
  /** Rule ids switched off (agent-audit.yaml named with --config). */
  disabledRules?: ReadonlySet<string>;
  severityOverrides?: Readonly<Record<string, Severity>>;
  /** Fingerprints of the accepted inventory (baseline). */
  accepted?: ReadonlySet<string>;
  /** Replaces INSPECTORS (tests). */
  inspectors?: readonly RuntimeInspector[];
  /**
   * MCP servers, skills, instruction files and tool lists (issue 16), judged with the gate's
   * classifier the app composes in; absent: not inspected.
   */
  mcp?: {
    judge: CommandJudge;
    secrets: readonly InventorySecret[];
    /** `scan --mcp-tools FILE` (absolute). */
    toolsExport?: string;
    /** The probed egress posture and the operator's allowlist (absent: not probed). */
    egress?: { posture: EgressPosture; allowlist?: readonly string[] };
  };
}

export interface InspectResult {
  findings: Finding[];
  issues: ScanIssue[];
  agents: AgentsSection;
  /** Step 5's verdict. */
  step: Omit<ChecklistItem, "step" | "id">;
  /** Findings the config's rules.disable kept out. */
  suppressed: number;
  /** The gates `gate verify` can replay, in inspector order. */
  gates: ConfiguredGate[];
  /** MCP servers, skills and tool lists (issue 16), when asked for. */
  mcp?: McpResult;
}

export async function runInspect(opts: InspectOptions): Promise<InspectResult> {
  const rules = opts.rules ?? defaultRules();
  const checks = new Map(rules.runtime.map((c) => [c.id, c]));
  const read = new ConfigReader({ home: opts.home, tree: opts.root, system: opts.systemRoot });
  const ctx: InspectContext = {
    home: opts.home,
    root: opts.root,
    systemRoot: opts.systemRoot,
    origins: opts.origins,
    env: opts.env,
    read,
    credentialPaths: opts.credentialPaths ?? [],
  };
  const findings: Finding[] = [];
  const runtimes: RuntimeView[] = [];
  let suppressed = 0;
  const inspectors = opts.inspectors ?? INSPECTORS;
  const results: RuntimeResult[] = [];
  for (const inspector of inspectors) {
    const result = await inspector.inspect(ctx);
    results.push(result);
    const own: Finding[] = [];
    for (const p of result.problems) {
      const check = checks.get(p.check);
      if (!check || check.runtime !== inspector.id)
        throw new Error(
          `inspector ${inspector.id} reported "${p.check}", not a check of rules/runtime/ for it`,
        );
      if (opts.disabledRules?.has(check.id)) {
        suppressed++;
        continue;
      }
      own.push(problemFinding(inspector, check, p, ctx, opts));
    }
    const sorted = sortFindings(dedupe(own));
    findings.push(...sorted);
    runtimes.push({
      runtime: inspector.id,
      name: inspector.name,
      present: result.present,
      files: result.files,
      gate: result.gate,
      sandbox: result.sandbox,
      findings: [...sorted]
        .sort((a, b) => SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity])
        .map((f) => f.fingerprint),
    });
  }
  const markers = opts.env ? envMarkers(opts.env) : [];
  const mcp = opts.mcp
    ? await runMcp({
        ctx,
        judge: opts.mcp.judge,
        secrets: opts.mcp.secrets,
        rules,
        ...(opts.disabledRules ? { disabledRules: opts.disabledRules } : {}),
        ...(opts.severityOverrides ? { severityOverrides: opts.severityOverrides } : {}),
        ...(opts.accepted ? { accepted: opts.accepted } : {}),
        ...(opts.mcp.toolsExport ? { toolsExport: opts.mcp.toolsExport } : {}),
        ...(opts.mcp.egress ? { egress: opts.mcp.egress } : {}),
      })
    : undefined;
  if (mcp) {
    suppressed += mcp.suppressed;
    attachMcp(mcp, runtimes, ctx);
  }
  return {
    findings: sortFindings(findings),
    issues: read.issues,
    agents: {
      runtimes,
      markers,
      ...(mcp ? { servers: mcp.servers, skills: mcp.skills } : {}),
      // Tool lists are judged only from an export given (scan --mcp-tools).
      ...(mcp && opts.mcp?.toolsExport ? { toolLists: mcp.toolLists } : {}),
    },
    step: scoreGate(runtimes, inspectors, opts.origins, findings),
    suppressed,
    gates: results.flatMap((r) => r.gates ?? []),
    ...(mcp ? { mcp } : {}),
  };
}

/** The runtime ids of the MCP clients that are also inspected runtimes. */
const RUNTIME_OF_CLIENT: Readonly<Record<string, RuntimeView["runtime"]>> = {
  "claude-code": "claude-code",
  codex: "codex",
  "gemini-cli": "gemini-cli",
};

/**
 * Which runtime loads a skill or instruction file, by where it is (issue 16): Claude Code's
 * CLAUDE.md and .claude/ folders, Codex's AGENTS.md and .codex/ and .agents/ skills, Gemini CLI's
 * GEMINI.md. Other clients' files (.cursorrules, .windsurfrules, Copilot's) belong to no inspected
 * runtime and stay in the skills list only.
 */
function runtimeOfSkill(portable: string): RuntimeView["runtime"] | undefined {
  const name = portable.slice(portable.lastIndexOf("/") + 1);
  if (name === "CLAUDE.md" || name === "CLAUDE.local.md" || /(^|\/)\.claude\//.test(portable))
    return "claude-code";
  if (name === "AGENTS.md" || /(^|\/)\.(codex|agents)\//.test(portable)) return "codex";
  if (name === "GEMINI.md" || /(^|\/)\.gemini\//.test(portable)) return "gemini-cli";
  return undefined;
}

/**
 * Issue 16, the per-runtime view: each server's and skill's status (risky when an open finding of
 * it is at medium or above), and each inspected runtime's servers and skills as `name (scope): status`.
 */
function attachMcp(mcp: McpResult, runtimes: RuntimeView[], ctx: InspectContext): void {
  const risky = new Set(
    mcp.findings
      .filter((f) => !f.accepted && SEVERITY_RANK[f.severity] >= SEVERITY_RANK.medium)
      .map((f) => f.fingerprint),
  );
  const byId = new Map(runtimes.map((r) => [r.runtime, r]));
  for (const r of runtimes) r.mcp = { servers: [], skills: [] };
  for (const s of mcp.servers) {
    s.status = s.disabled
      ? "disabled"
      : s.overriddenBy
        ? "overridden"
        : s.findings.some((fp) => risky.has(fp))
          ? "risky"
          : "ok";
    const runtime = RUNTIME_OF_CLIENT[s.client];
    if (runtime) byId.get(runtime)?.mcp?.servers.push(`${s.name} (${s.scope}): ${s.status}`);
  }
  for (const k of mcp.skills) {
    k.status = k.findings.some((fp) => risky.has(fp)) ? "risky" : "ok";
    const portable = portablePath(k.path, ctx);
    const runtime = runtimeOfSkill(portable);
    if (runtime)
      byId.get(runtime)?.mcp?.skills.push(`${k.kind === "skill" ? k.name : portable}: ${k.status}`);
  }
}

/** One finding per fingerprint (an inspector may meet one problem through two files). */
function dedupe(findings: Finding[]): Finding[] {
  const seen = new Map<string, Finding>();
  for (const f of findings) if (!seen.has(f.fingerprint)) seen.set(f.fingerprint, f);
  return [...seen.values()];
}

function problemFinding(
  inspector: RuntimeInspector,
  check: RuntimeCheck,
  p: Problem,
  ctx: InspectContext,
  opts: InspectOptions,
): Finding {
  const portable = p.file ? portablePath(p.file.abs, ctx) : `(${inspector.id})`;
  const line = p.file?.ok && p.key ? p.file.lineOf(keyPathOf(p.key)) : undefined;
  const file = p.file?.abs;
  return makeFinding({
    ruleId: check.id,
    control: check.control,
    kind: check.kind,
    severity: opts.severityOverrides?.[check.id] ?? check.severity,
    title: p.title ?? check.title,
    remediation: check.remediation,
    fix: {
      target: check.fix.target,
      params: {
        runtime: inspector.id,
        ...(file ? { file } : {}),
        key: p.key,
        ...(check.fix.params ?? {}),
        ...(p.fixParams ?? {}),
      },
    },
    location: {
      source: "agent-config",
      ...(file ? { path: file } : {}),
      ...(line ? { line } : {}),
      name: p.key,
    },
    identityPath: portable,
    subject: `${inspector.id}\0${p.key}\0${p.subject ?? ""}`,
    accepted: opts.accepted,
  });
}

/** `permissions.allow[2]` → ["permissions", "allow", 2]; a key that is a sentence gives no path. */
function keyPathOf(key: string): (string | number)[] {
  if (/\s/.test(key)) return [];
  const out: (string | number)[] = [];
  for (const part of key.split(".")) {
    const m = /^([^[\]]*)((?:\[\d+\])*)$/.exec(part);
    if (!m) return [];
    if (m[1]) out.push(m[1]);
    for (const idx of m[2]!.matchAll(/\[(\d+)\]/g)) out.push(Number(idx[1]));
  }
  return out;
}

const RUNTIME_LIST = (inspectors: readonly RuntimeInspector[]) =>
  inspectors.map((i) => `${i.name} (${i.lookedFor.join(", ")})`).join("; ");

/**
 * Step 5: `fail` when a runtime that is present runs with approvals off or bypassable; `pass` when
 * every present runtime's gate covers the dangerous categories and fails closed; `warn` when a gate
 * has gaps, or no runtime config was found at all (saying which were looked for); `error` when
 * every present runtime's config could not be read.
 */
export function scoreGate(
  runtimes: RuntimeView[],
  inspectors: readonly RuntimeInspector[],
  origins: ReadonlySet<Origin>,
  findings: Finding[],
): Omit<ChecklistItem, "step" | "id"> {
  const gateEvidence = (ids: Set<string>) =>
    findings.filter((f) => f.control === "approval-gate" && ids.has(f.fingerprint)).map((f) => f.fingerprint);
  if (!origins.size)
    return {
      status: "skip",
      summary: "no agent runtime config was inspected: the home, tree and system sources were all left out",
      evidence: [],
    };
  const present = runtimes.filter((r) => r.present);
  if (!present.length)
    return {
      status: "warn",
      summary: `no agent runtime config found; looked for ${RUNTIME_LIST(inspectors)}`,
      evidence: [],
    };
  const line = (r: RuntimeView) => `${r.name}: gate ${r.gate.status} (${r.gate.detail})`;
  // A sandbox without approvals of its own (sandbox-runtime) is context for step 5, not a gate.
  const gated = present.filter((r) => r.gate.status !== "none");
  if (!gated.length)
    return {
      status: "warn",
      summary: `no agent runtime with a command gate found (${present.map(line).join("; ")}); looked for ${RUNTIME_LIST(inspectors.filter((i) => present.every((r) => r.runtime !== i.id)))}`,
      evidence: [],
    };
  const off = gated.filter((r) => r.gate.status === "off");
  if (off.length)
    return {
      status: "fail",
      summary: off.map(line).join("; "),
      evidence: gateEvidence(new Set(off.flatMap((r) => r.findings))),
    };
  const unknown = gated.filter((r) => r.gate.status === "unknown");
  if (unknown.length === gated.length)
    return {
      status: "error",
      summary: `${unknown.map(line).join("; ")}: the configs could not be read (see issues)`,
      evidence: [],
    };
  const partial = gated.filter((r) => r.gate.status !== "covered");
  if (partial.length)
    return {
      status: "warn",
      summary: partial.map(line).join("; "),
      evidence: gateEvidence(new Set(partial.flatMap((r) => r.findings))),
    };
  return {
    status: "pass",
    summary: gated.map(line).join("; "),
    evidence: [],
  };
}
