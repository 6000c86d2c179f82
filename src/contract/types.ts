// The public contract of agent-audit (shared/DESIGN.md, "Contract"). Everything a reporter, a test
// or a user's script reads is defined here; change it only with a schemaVersion bump.

export const STEP_IDS = [
  "secret-inventory",
  "default-deny-egress",
  "egress-proxy",
  "egress-alerting",
  "approval-gate",
  "credential-scope",
] as const;
export type StepId = (typeof STEP_IDS)[number];

export const SEVERITIES = ["critical", "high", "medium", "low", "info"] as const;
export type Severity = (typeof SEVERITIES)[number];

/** Higher number = more severe. */
export const SEVERITY_RANK: Record<Severity, number> = { critical: 4, high: 3, medium: 2, low: 1, info: 0 };

export type FindingKind = "secret" | "exposure" | "egress" | "gate" | "scope" | "config";
export type SourceKind =
  | "env"
  | "home"
  | "tree"
  | "mount"
  | "socket"
  | "process"
  | "probe"
  | "agent-config"
  | "cloud";
/** The names accepted by `--sources`. */
export const SOURCE_NAMES = ["env", "home", "tree", "mounts", "sockets", "processes", "system"] as const;
export type SourceName = (typeof SOURCE_NAMES)[number];

export interface Location {
  source: SourceKind;
  /** home: relative to home; tree: relative to root; else absolute. */
  path?: string;
  line?: number;
  /** The environment variable name, when source is env or process. */
  name?: string;
  /** host:port, for probes. */
  target?: string;
}

export interface SecretInfo {
  provider: string;
  type: string;
  /** At most 4 leading characters of a secret of 16+ characters, plus its length; otherwise fully masked. */
  preview: string;
  /** true: passes an offline validity check; false: fails it (not a live token); absent: no check exists. */
  valid?: boolean;
}

/**
 * A rule as the one rule catalog describes it (src/rules: rules/* and the ids declared in code),
 * independent of any finding: what the SARIF rule list shows. Renderers get the catalog as data
 * (render options), since they import only contract and util.
 */
export interface RuleDescriptor {
  id: string;
  title: string;
  severity: Severity;
  control: StepId;
  kind: FindingKind;
  remediation: string;
}

export interface Finding {
  fingerprint: string;
  ruleId: string;
  control: StepId;
  kind: FindingKind;
  severity: Severity;
  title: string;
  remediation: string;
  location: Location;
  secret?: SecretInfo;
  accepted: boolean;
  /**
   * The structured half of the remediation (issue 9): which generator of `agent-audit fix` would
   * close this finding, and with which parameters, so `fix` reads findings instead of sentences.
   * Additive to schemaVersion 1: `remediation` stays the one line DESIGN.md promises.
   */
  fix?: RemediationFix;
}

/** A generator target of `agent-audit fix` and its parameters (plain JSON values). */
export interface RemediationFix {
  /** The generator: `egress-proxy`, `firewall`, `gate-rules`, `credential-scope`, ... */
  target: string;
  params?: Record<string, string | number | boolean | string[]>;
}

export type ProbeOutcome = "open" | "blocked" | "error";
export interface Probe {
  id: string;
  control: StepId;
  method: string;
  via: "direct" | "proxy";
  target: string;
  outcome: ProbeOutcome;
  detail: string;
  latencyMs: number;
}

export type EgressPosture =
  | "open"
  | "proxy-bypassable"
  | "kernel-enforced-no-proxy"
  | "kernel-enforced-with-proxy"
  | "unknown";

export type StepStatus = "pass" | "fail" | "warn" | "skip" | "error";
export interface ChecklistItem {
  step: number;
  id: StepId;
  status: StepStatus;
  summary: string;
  evidence: string[];
}

/**
 * What a capability beside the inventory (probes, and next the inspectors, the gate and scope)
 * adds to the report: findings, probes, the egress posture and evidence, and its checklist steps.
 */
export interface ExtraResults {
  findings?: Finding[];
  probes?: Probe[];
  posture?: EgressPosture;
  egress?: Record<string, unknown>;
  probed?: boolean;
  checklist?: Partial<Record<StepId, Omit<ChecklistItem, "step" | "id">>>;
  issues?: ScanIssue[];
  /** The agent runtimes' view (the inspectors, issue 10). */
  agents?: AgentsSection;
}

export interface ScanIssue {
  where: string;
  message: string;
}

export interface ReportTarget {
  home: string;
  root: string;
  user: string;
  hostname: string;
}

export interface AuditReport {
  schemaVersion: 1;
  tool: { name: "agent-audit"; version: string };
  target: ReportTarget;
  findings: Finding[];
  probes: Probe[];
  egress: { posture: EgressPosture; [extra: string]: unknown };
  checklist: ChecklistItem[];
  score: { passed: number; evaluated: number; total: number };
  issues: ScanIssue[];
  /**
   * What changed the scan's verdict besides the rules (issue 8, trust model): the config in effect
   * and what it may affect, the rules it disabled or re-rated, and how many findings each mechanism
   * suppressed. Absent only in reports of older versions.
   */
  policy?: ReportPolicy;
  /**
   * The gate's decision (issue 9: every format agrees with the exit code): the --fail-on threshold
   * in effect, and the findings that reach it. Exit code 1 exactly when `failing` is not empty
   * (unless --exit-zero). Absent only in reports of older versions (then: high, every source).
   */
  verdict?: ReportVerdict;
  /**
   * The agent runtimes (issue 10): which were looked for and found, the config files read, and
   * whether each one's command gate and sandbox are really on; plus the environment markers that
   * tell which runtime the scan runs under. Absent when no runtime config source was inspected.
   */
  agents?: AgentsSection;
  /** Statistics of the scan (files, bytes, elapsed). Not part of the golden comparisons. */
  stats?: ScanStats;
}

export interface ReportVerdict {
  /** The threshold for every finding (the tree's too, unless `treeFailOn` is given). */
  failOn: Severity;
  /** A different threshold for the working tree's findings, set by a config found in the tree. */
  treeFailOn?: Severity;
  /** Fingerprints of the findings at or above their threshold and not accepted, in report order. */
  failing: string[];
}

/** The scope of a config: `all` for one named with --config, `tree` for one found inside the audited root. */
export type PolicyScope = "all" | "tree";

export interface ReportPolicy {
  /** The agent-audit.yaml in effect; absent when none was found. */
  config?: {
    /** Relative to the root when inside it, else absolute. */
    path: string;
    /** true: found in the audited root (the agent can write it), not named with --config. */
    discovered: boolean;
    /** Which findings its rules.disable, rules.severity and failOn apply to: every source, or the tree's only. */
    scope: PolicyScope;
  };
  /** The config's tree globs, when it set any: the tree scan saw only `include` and skipped `exclude`. */
  paths?: { include: string[]; exclude: string[] };
  /** Rule ids the config switched off (sorted), for the findings of `config.scope`. */
  disabledRules: string[];
  /** Severities the config re-rated (sorted by rule id), for the findings of `config.scope`. */
  severityOverrides: { ruleId: string; severity: Severity }[];
  /** The config's failOn, when it set one, and the findings it applies to (the --fail-on flag beats it). */
  failOn?: { severity: Severity; scope: PolicyScope };
  /** The baseline read, when one was: relative to the root when inside it, else absolute. */
  baseline?: { path: string; entries: number };
  /**
   * Findings kept out of the verdict, by mechanism. `baseline`: findings listed but accepted.
   * `config`, `inlineAllow`: matches not reported because a rule the config disabled, or an inline
   * allow marker (`agent-audit:allow`, `gitleaks:allow`, ...) on their line, suppressed them
   * (counted once per secret value and file, however many rules or views of the file matched it).
   */
  suppressed: { config: number; inlineAllow: number; baseline: number };
}

export interface ScanStats {
  files: number;
  bytes: number;
  elapsedMs: number;
  sources: SourceName[];
}

/** The agent runtimes agent-audit inspects (issue 10). */
export const RUNTIME_IDS = ["claude-code", "codex", "gemini-cli", "hermes", "sandbox-runtime"] as const;
export type RuntimeId = (typeof RUNTIME_IDS)[number];

/**
 * Whether a runtime's dangerous-command gate is on. `covered`: every dangerous category stops
 * (asks or denies) and the gate fails closed; `partial`: a gate exists but some category runs
 * unasked, or it can fail open; `off`: approvals are off or bypassable; `unknown`: a config file of
 * it could not be read or parsed, so the effective policy is not known; `none`: the runtime has no
 * command approval of its own (sandbox-runtime confines commands, it asks about none), so it
 * neither passes nor fails step 5 by itself.
 */
export type GateStatus = "covered" | "partial" | "off" | "unknown" | "none";
/** Whether a runtime's sandbox is on: `on`, `weak` (on with a hole), `off`, `unknown`. */
export type SandboxStatus = "on" | "weak" | "off" | "unknown";

/** A config file an inspector read (or tried to). */
export interface RuntimeFile {
  /** Absolute path, as findings report it. */
  path: string;
  /** The runtime's own name for the file's scope: user, project, local, managed, requirements, policy, rules, ... */
  scope: string;
  /** Which `--sources` name reads it: home (user files), tree (project files), system (/etc). */
  origin: "home" | "tree" | "system";
  /** false: it exists but could not be read or parsed (see issues). */
  ok: boolean;
}

export interface RuntimeView {
  runtime: RuntimeId;
  /** The runtime's display name. */
  name: string;
  /** A config file of it was found (or an environment marker says the scan runs under it). */
  present: boolean;
  files: RuntimeFile[];
  gate: { status: GateStatus; detail: string };
  sandbox: { status: SandboxStatus; detail: string };
  /** Fingerprints of this runtime's findings, most severe first. */
  findings: string[];
  /**
   * The MCP servers this runtime starts and the skills and instruction files it loads (issue 16),
   * each as `name (scope): status`; absent when MCP servers and skills were not inspected.
   */
  mcp?: { servers: string[]; skills: string[] };
}

/** An environment variable that says which runtime or sandbox the agent runs under (context, not a finding). */
export interface EnvMarker {
  name: string;
  runtime: RuntimeId;
  meaning: string;
}

export interface AgentsSection {
  runtimes: RuntimeView[];
  markers: EnvMarker[];
  /** Every configured MCP server of every client (issue 16; absent: not inspected). */
  servers?: McpServerView[];
  /** Skills and instruction files the agents load (issue 16; absent: not inspected). */
  skills?: SkillView[];
  /** Tool lists read with `scan --mcp-tools` (issue 16), with the hash a baseline pins. */
  toolLists?: ToolListView[];
}

/** One configured MCP server (issue 16). Never holds a secret value: args, URLs and headers are redacted. */
export interface McpServerView {
  /** claude-code, claude-desktop, cursor, vscode, windsurf, codex, gemini-cli. */
  client: string;
  /** The client's own name for the scope: user, project, local, managed, workspace, ... */
  scope: string;
  /** Absolute path of the config file that defines it. */
  file: string;
  name: string;
  transport: "stdio" | "http" | "sse";
  /** stdio: the launcher as a shell would read it (secrets redacted). */
  launcher?: string;
  /** http / sse: the URL (user info, query and secrets redacted). */
  url?: string;
  /** The env variables and headers it is given: names and where their values come from, never values. */
  env: McpValueView[];
  headers: McpValueView[];
  /** Hosts it needs to reach: what an egress allowlist must hold for it. */
  hosts: string[];
  disabled: boolean;
  /** Another scope's file defines the same name and wins. */
  overriddenBy?: string;
  /**
   * `risky` (an open finding at medium or above), `ok`, `disabled` or `overridden` (not started);
   * set when the view is assembled.
   */
  status?: McpStatus;
  /** Fingerprints of its findings, most severe first. */
  findings: string[];
}

/** One env variable or header given to an MCP server (issue 16): never its value. */
export interface McpValueView {
  name: string;
  /** `literal`: written out in the config; `reference`: only `${VAR}`-style references; `mixed`: both. */
  from: "literal" | "reference" | "mixed";
  /** The variables of the agent's environment it references. */
  vars: string[];
}

/** A server's or a skill's status in the per-runtime view (issue 16). */
export type McpStatus = "risky" | "ok" | "disabled" | "overridden";

/** A skill folder or an instruction file the agent loads (issue 16). */
export interface SkillView {
  kind: "skill" | "instructions";
  /** `risky` (an open finding at medium or above) or `ok`; set when the view is assembled. */
  status?: McpStatus;
  /** Absolute path of SKILL.md or of the instruction file. */
  path: string;
  /** The skill's front-matter name, or the file name. */
  name: string;
  /** Bundled script files read (skills). */
  scripts: number;
  findings: string[];
}

/** A server's tool list from a `tools/list` export (issue 16). */
export interface ToolListView {
  server: string;
  /** The export file (absolute). */
  file: string;
  tools: number;
  /** sha256 of the canonical tool list (names, descriptions, input schemas). */
  hash: string;
  findings: string[];
}
