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
export const SOURCE_NAMES = ["env", "home", "tree", "mounts", "sockets", "processes"] as const;
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
  /** Statistics of the scan (files, bytes, elapsed). Not part of the golden comparisons. */
  stats?: ScanStats;
}

export interface ScanStats {
  files: number;
  bytes: number;
  elapsedMs: number;
  sources: SourceName[];
}
