import {
  type Finding,
  type PolicyScope,
  type ReportPolicy,
  type ReportVerdict,
  SEVERITY_RANK,
  type Severity,
} from "../contract/types.js";

/** The parts of agent-audit.yaml that change a verdict (config/index.ts AgentAuditConfig has them). */
export interface ConfigPolicy {
  rules: { disable: readonly string[]; severity: Readonly<Record<string, Severity>> };
  include: readonly string[];
  exclude: readonly string[];
  failOn?: Severity;
}

// The trust model of agent-audit.yaml (issue 8). The agent can write anywhere in the audited root,
// so a config FOUND there is the agent's word: its rules.disable, rules.severity and failOn apply to
// the tree's findings only (its include/exclude were tree-only already). A config NAMED with
// --config is the operator's: it applies to every source. Either way the report says what was
// disabled or re-rated, by which file, and how many findings were kept out of the verdict.

/** The scope of a config's rule settings: `tree` for one found in the audited root. */
export function configScope(discovered: boolean): PolicyScope {
  return discovered ? "tree" : "all";
}

/**
 * Applies a tree-scoped config's severity overrides to the tree's findings (the inventory applied
 * none). A finding that fails its offline validity check stays `info`, as toFinding decides.
 */
export function applyTreeSeverity(findings: Finding[], overrides: Readonly<Record<string, Severity>>): void {
  for (const f of findings) {
    if (f.location.source !== "tree" || f.secret?.valid === false) continue;
    const s = overrides[f.ruleId];
    if (s) f.severity = s;
  }
}

/** The threshold a finding is judged against: a tree-scoped config's failOn reaches tree findings only. */
export interface FailPolicy {
  failOn: Severity;
  /** For findings of the tree (equals failOn unless a discovered config set its own). */
  treeFailOn: Severity;
}

/** The --fail-on flag beats the config; a discovered config's failOn applies to the tree only. */
export function failPolicy(
  flag: Severity | undefined,
  configFailOn: Severity | undefined,
  scope: PolicyScope,
): FailPolicy {
  const failOn = flag ?? (scope === "all" ? configFailOn : undefined) ?? "high";
  return { failOn, treeFailOn: flag ?? configFailOn ?? "high" };
}

/**
 * The gate's decision: the findings that fail the run (not accepted, at or above their threshold:
 * the tree's own for tree findings). Every renderer and the exit code read this one list (issue 9).
 */
export function reportVerdict(findings: readonly Finding[], p: FailPolicy): ReportVerdict {
  const all = SEVERITY_RANK[p.failOn];
  const tree = SEVERITY_RANK[p.treeFailOn];
  const failing = findings
    .filter((f) => !f.accepted && SEVERITY_RANK[f.severity] >= (f.location.source === "tree" ? tree : all))
    .map((f) => f.fingerprint);
  return { failOn: p.failOn, ...(p.treeFailOn !== p.failOn ? { treeFailOn: p.treeFailOn } : {}), failing };
}

/** Exit code per the contract: 1 when the verdict has a failing finding, unless --exit-zero. */
export function verdictExitCode(verdict: ReportVerdict, exitZero: boolean): number {
  return !exitZero && verdict.failing.length > 0 ? 1 : 0;
}

/** The report's `policy` field. Paths are given as the report shows them (see displayPath). */
export function reportPolicy(opts: {
  config: ConfigPolicy;
  configPath?: string;
  discovered: boolean;
  failFlag?: Severity;
  baseline?: { path: string; entries: number };
  findings: readonly Finding[];
  /** Matches the inventory kept out by disabled rules and inline allow markers. */
  suppressed?: { config: number; inlineAllow: number };
}): ReportPolicy {
  const scope = configScope(opts.discovered);
  const policy: ReportPolicy = {
    disabledRules: [...new Set(opts.config.rules.disable)].sort(),
    severityOverrides: Object.keys(opts.config.rules.severity)
      .sort()
      .map((ruleId) => ({ ruleId, severity: opts.config.rules.severity[ruleId]! })),
    suppressed: {
      config: opts.suppressed?.config ?? 0,
      inlineAllow: opts.suppressed?.inlineAllow ?? 0,
      baseline: opts.findings.filter((f) => f.accepted).length,
    },
  };
  if (opts.configPath) policy.config = { path: opts.configPath, discovered: opts.discovered, scope };
  // Excludes hide files from the tree scan without a finding to count: the report names them
  // (issue 8, red-team finding: `exclude: ["**"]` in a planted config left no trace).
  if (opts.config.include.length || opts.config.exclude.length)
    policy.paths = { include: [...opts.config.include], exclude: [...opts.config.exclude] };
  // The flag beats the config everywhere: then the config's failOn decides nothing.
  if (opts.config.failOn && !opts.failFlag) policy.failOn = { severity: opts.config.failOn, scope };
  if (opts.baseline) policy.baseline = opts.baseline;
  return policy;
}
