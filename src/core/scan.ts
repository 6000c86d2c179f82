import { score, scoreChecklist } from "../checklist/index.js";
import { ContentScanner, type SuppressedCounts } from "../detectors/content.js";
import { defaultRules, type RuleSet } from "../detectors/rules.js";
import type { Access } from "../sources/access.js";
import type { Located, ScanLimits, SourceContext } from "../sources/context.js";
import { scanEnv } from "../sources/env.js";
import { scanHome } from "../sources/home.js";
import { SOURCE_EXTRA } from "../sources/registry.js";
import { scanTree } from "../sources/tree.js";
import { activeRedactor, fingerprint, maskRandomRuns, preview, Redactor, secretHash } from "./redact.js";
import { redactReport } from "./sanitize.js";
import {
  type AuditReport,
  type ChecklistItem,
  type EgressPosture,
  type Finding,
  type Probe,
  type ReportTarget,
  type ScanIssue,
  SEVERITY_RANK,
  type Severity,
  type SourceName,
  type StepId,
} from "./types.js";
import { toolVersion } from "./version.js";

export interface ScanOptions {
  sources: ReadonlySet<SourceName>;
  env: Record<string, string> | undefined;
  home: string;
  root: string;
  systemRoot: string;
  access: Access;
  limits: ScanLimits;
  target: ReportTarget;
  rules?: RuleSet;
  /** Rule ids switched off (agent-audit.yaml `rules.disable`). */
  disabledRules?: ReadonlySet<string>;
  /** Severity per rule id (agent-audit.yaml `rules.severity`). */
  severityOverrides?: Readonly<Record<string, Severity>>;
  /** Fingerprints of the accepted inventory (baseline). */
  accepted?: ReadonlySet<string>;
  onFile?: (bytes: number) => void;
  /** Clock, replaceable in tests. */
  now?: () => number;
}

/** Results of capabilities that run beside the inventory (probes, inspectors), merged into the report. */
export interface ExtraResults {
  findings?: Finding[];
  probes?: Probe[];
  posture?: EgressPosture;
  egress?: Record<string, unknown>;
  probed?: boolean;
  checklist?: Partial<Record<StepId, Omit<ChecklistItem, "step" | "id">>>;
  issues?: ScanIssue[];
}

const SOURCES: Record<SourceName, (ctx: SourceContext) => Promise<Located[]>> = {
  env: scanEnv,
  home: scanHome,
  tree: scanTree,
  ...SOURCE_EXTRA,
};

/** Source order matters for dedupe of files seen twice: home first, then the tree. */
const ORDER: SourceName[] = ["env", "home", "tree", "mounts", "sockets", "processes"];

export function toFinding(
  d: Located,
  opts: Pick<ScanOptions, "accepted" | "severityOverrides">,
  subjectHash?: string,
): Finding {
  const loc = d.location;
  const fp = fingerprint({
    ruleId: d.ruleId,
    source: loc.source,
    path: d.identityPath ?? loc.path,
    name: loc.name,
    subject: d.secret,
    subjectHash,
  });
  const kind = d.kind ?? "secret";
  let severity = opts.severityOverrides?.[d.ruleId] ?? d.severity;
  let title = d.title;
  if (d.valid === false) {
    // The format's own checksum says this is not a live token (a typo, a test value, a truncation).
    severity = "info";
    title = `${title} (fails its offline validity check: not a live token)`;
  }
  const finding: Finding = {
    fingerprint: fp,
    ruleId: d.ruleId,
    control: "secret-inventory",
    kind,
    severity,
    title,
    remediation: d.remediation,
    location: definedOnly(loc),
    accepted: opts.accepted?.has(fp) ?? false,
  };
  if (kind === "secret") {
    finding.secret = { provider: d.provider, type: d.type, preview: preview(d.secret) };
    if (d.valid !== undefined) finding.secret.valid = d.valid;
  }
  return finding;
}

/** The location without its undefined fields (a loop: this runs once per finding, issue 8). */
function definedOnly(loc: Located["location"]): Finding["location"] {
  const out: Record<string, unknown> = {};
  for (const k in loc) {
    const v = (loc as unknown as Record<string, unknown>)[k];
    if (v !== undefined) out[k] = v;
  }
  return out as unknown as Finding["location"];
}

const SOURCE_RANK: Record<string, number> = { env: 0, home: 1, tree: 2, mount: 3, socket: 4, process: 5 };

/**
 * A key path built from file content (a JSON key, a netrc machine, a registry URL) can itself hold
 * a secret: `https://user:pw@registry` as a key, a token used as a map key. The redactor masks URL
 * userinfo, known values and what a content rule matches; any other part that looks generated is
 * replaced by its preview too.
 */
export function safeKeyPath(name: string, redactor: Redactor): string {
  return maskRandomRuns(redactor.redact(name));
}

/** Code-unit order: the same on every machine, whatever LANG says (localeCompare does not). */
function byteOrder(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Deterministic order: severity, then source, path, line, name, rule. */
export function sortFindings(findings: Finding[]): Finding[] {
  return findings.sort(
    (a, b) =>
      SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity] ||
      (SOURCE_RANK[a.location.source] ?? 9) - (SOURCE_RANK[b.location.source] ?? 9) ||
      byteOrder(a.location.path ?? "", b.location.path ?? "") ||
      (a.location.line ?? 0) - (b.location.line ?? 0) ||
      byteOrder(a.location.name ?? "", b.location.name ?? "") ||
      byteOrder(a.ruleId, b.ruleId),
  );
}

export interface InventoryResult {
  findings: Finding[];
  issues: ScanIssue[];
  stats: { files: number; bytes: number };
  /** Matches kept out of the findings by disabled rules and inline allow markers (issue 8 item 9). */
  suppressed: SuppressedCounts;
  /**
   * Holds the secret values this inventory found, unreadable (issue 8): buildReport() masks them
   * wherever they occur in a name or path, and the CLI's output boundary scrubs every written text.
   */
  redactor?: Redactor;
}

/** Findings of one rule listed per file; the rest are counted in an issue (see runInventory). */
export const MAX_LISTED = 100;

/** Runs the selected secret sources and returns redacted findings. Raw secrets do not leave here. */
export async function runInventory(opts: ScanOptions): Promise<InventoryResult> {
  const rules = opts.rules ?? defaultRules();
  // The CLI run's redactor, so its output boundary knows this run's secrets; else one of our own.
  const redactor = activeRedactor() ?? new Redactor(opts.rules);
  const ctx: SourceContext = {
    rules,
    scanner: new ContentScanner(rules, opts.disabledRules),
    home: opts.home,
    root: opts.root,
    systemRoot: opts.systemRoot,
    env: opts.env,
    access: opts.access,
    limits: opts.limits,
    issues: [],
    stats: { files: 0, bytes: 0 },
    suppressed: { config: 0, inlineAllow: 0 },
    scanned: new Set(),
    onFile: opts.onFile,
    sources: opts.sources,
  };
  const located: Located[] = [];
  for (const name of ORDER) {
    if (!opts.sources.has(name)) continue;
    // A loop, not push(...found): a spread of more than ~125k detections overflows the stack (issue 8).
    const found = await SOURCES[name](ctx);
    for (let i = 0; i < found.length; i++) located.push(found[i]!);
  }
  const findings = new Map<string, Finding>();
  const names = new Map<string, string>();
  // Every secret found, also those of disabled rules: switching a rule off does not make its
  // secret printable in a file name (issue 8).
  for (let i = 0; i < located.length; i++) redactor.add(located[i]!.secret);
  // One hash per distinct value, however many places hold it.
  const hashes = new Map<string, string>();
  // A file that holds more than MAX_LISTED findings of one rule (a flood an agent can write: 24,000
  // tokens on one line) lists the first MAX_LISTED and counts the rest in an issue (issue 8): the
  // report stays readable and bounded, the values are all in the redactor above, and the file is
  // not silent. Counted per (source, path, rule), in the order the scan found them. A file's
  // detections come one after another: the counts of the last (source, path) are kept at hand, so
  // a flood costs no key string per detection.
  const listed = new Map<string, { path: string; counts: Map<string, number> }>();
  let lastSource: string | undefined;
  let lastPath: string | undefined;
  let counts: Map<string, number> | undefined;
  for (let i = 0; i < located.length; i++) {
    const d = located[i]!;
    if (opts.disabledRules?.has(d.ruleId) || (d.viaRuleId && opts.disabledRules?.has(d.viaRuleId))) {
      ctx.suppressed!.config++;
      continue;
    }
    const loc = d.location;
    if (loc.path !== undefined) {
      if (counts === undefined || loc.path !== lastPath || loc.source !== lastSource) {
        lastSource = loc.source;
        lastPath = loc.path;
        const key = `${loc.source}\0${loc.path}`;
        counts = listed.get(key)?.counts;
        if (counts === undefined) {
          counts = new Map();
          listed.set(key, { path: loc.path, counts });
        }
      }
      const n = (counts.get(d.ruleId) ?? 0) + 1;
      counts.set(d.ruleId, n);
      if (n > MAX_LISTED) continue;
    }
    const name = loc.name;
    if (name !== undefined && loc.source !== "env" && loc.source !== "process") {
      let safe = names.get(name);
      if (safe === undefined) {
        safe = safeKeyPath(name, redactor);
        names.set(name, safe);
      }
      d.location = { ...loc, name: safe };
    }
    let h = hashes.get(d.secret);
    if (h === undefined) {
      h = secretHash(d.secret);
      hashes.set(d.secret, h);
    }
    const f = toFinding(d, opts, h);
    if (!findings.has(f.fingerprint)) findings.set(f.fingerprint, f);
  }
  for (const { path, counts } of listed.values()) {
    for (const [ruleId, n] of counts) {
      if (n <= MAX_LISTED) continue;
      ctx.issues.push({
        where: path,
        message: `${n} ${ruleId} findings: the first ${MAX_LISTED} are listed, ${n - MAX_LISTED} more are counted here only`,
      });
    }
  }
  // Issues are pushed as concurrent reads finish: sorted, so a report is the same from run to run.
  const issues = [...ctx.issues].sort(
    (a, b) => byteOrder(a.where, b.where) || byteOrder(a.message, b.message),
  );
  return {
    findings: sortFindings([...findings.values()]),
    issues,
    stats: ctx.stats,
    suppressed: ctx.suppressed!,
    redactor,
  };
}

/**
 * Assembles the report: inventory + extra capabilities, scored against the six steps. The output
 * boundary's first half (issue 8): every string of the report that comes from the audited world or
 * the command line (target, locations, issues, probes, titles quoting a probe's answer) is redacted
 * here, before any renderer, the baseline or a script sees it. Fingerprints stay as computed on the
 * raw values.
 */
export function buildReport(
  opts: { target: ReportTarget; inventoryRan: boolean; elapsedMs: number; sources: SourceName[] },
  inventory: InventoryResult,
  extra: ExtraResults = {},
): AuditReport {
  const findings = sortFindings([...inventory.findings, ...(extra.findings ?? [])]);
  const probes = extra.probes ?? [];
  const posture = extra.posture ?? "unknown";
  const checklist = scoreChecklist({
    findings,
    probes,
    posture,
    inventoryRan: opts.inventoryRan,
    issues: inventory.issues,
    probed: extra.probed ?? false,
    external: extra.checklist,
  });
  const report: AuditReport = {
    schemaVersion: 1,
    tool: { name: "agent-audit", version: toolVersion() },
    target: opts.target,
    findings,
    probes,
    egress: { ...(extra.egress ?? {}), posture },
    checklist,
    score: score(checklist),
    issues: [...inventory.issues, ...(extra.issues ?? [])],
    stats: { ...inventory.stats, elapsedMs: opts.elapsedMs, sources: opts.sources },
  };
  return redactReport(report, inventory.redactor ?? activeRedactor() ?? new Redactor());
}

/** Exit code per the contract: 1 if any non-accepted finding is at or above the threshold. */
export function exitCodeFor(report: AuditReport, failOn: Severity, exitZero: boolean): number {
  if (exitZero) return 0;
  const threshold = SEVERITY_RANK[failOn];
  return report.findings.some((f) => !f.accepted && SEVERITY_RANK[f.severity] >= threshold) ? 1 : 0;
}
