import { byteOrder, makeFinding, secretHash, sortFindings } from "../../contract/finding.js";
import type { ChecklistItem, Finding, ScanIssue, Severity } from "../../contract/types.js";
import { defaultRules, type RuleSet, type ScopeCheck } from "../../rules/catalog.js";
import type { Located } from "../../sources/context.js";
import { safeMessage } from "../../util/errors.js";
import { OfflineAnalyzer } from "./offline.js";
import type { Analyzer, AnalyzerContext, Assessment, ObservedSecret } from "./types.js";

export { OfflineAnalyzer } from "./offline.js";
export type { Analyzer, AnalyzerContext, Assessment, ObservedSecret } from "./types.js";

// Step 6 `credential-scope` (issue 10): for every secret the inventory listed, is it short-lived
// and narrow? The inventory hands each listed secret to a ScopeCollector (ScanOptions.onListed);
// finish() runs the analyzers (the offline one, and a live cloud one when the app adds it) and
// turns their assessments into `kind: scope` findings at the secret's location, and a verdict.
// Raw values stay inside this module: findings, issues and the step hold check ids, fixed texts,
// enums and fingerprints only.

export interface ScopeOptions {
  rules?: RuleSet;
  /** The audited home (~/.aws/config is read from it); absent when the home was not scanned. */
  home?: string;
  /** The audited working tree. */
  root?: string;
  /** Fingerprints of the accepted inventory (baseline): scope findings listed there do not fail the step. */
  accepted?: ReadonlySet<string>;
  /** Rule ids switched off (agent-audit.yaml `rules.disable`): a disabled scope check is not judged. */
  disabledRules?: ReadonlySet<string>;
  /** Severity per rule id (agent-audit.yaml `rules.severity`); a check's risk (the verdict) stays. */
  severityOverrides?: Readonly<Record<string, Severity>>;
  /** Clock in milliseconds (JWT expiries), replaceable in tests. */
  now?: () => number;
  /** The analyzers, run in order; default: the offline one. A live analyzer is added beside it. */
  analyzers?: readonly Analyzer[];
}

export interface ScopeResult {
  findings: Finding[];
  issues: ScanIssue[];
  /** Step 6's verdict (`skip` is the app's, when the inventory did not run). */
  step: Omit<ChecklistItem, "step" | "id">;
}

/** The secret of an inventory finding, as step 6 sees it (the raw value from the detection). */
export function observedSecret(d: Located, finding: Finding): ObservedSecret {
  const s: ObservedSecret = {
    ruleId: d.ruleId,
    provider: d.provider,
    type: d.type,
    secret: d.secret,
    fingerprint: finding.fingerprint,
    // The finding's location: its name is the safe key path the inventory reports.
    location: finding.location,
  };
  if (d.valid !== undefined) s.valid = d.valid;
  return s;
}

export class ScopeCollector {
  readonly #secrets: ObservedSecret[] = [];
  readonly #opts: ScopeOptions;

  constructor(opts: ScopeOptions = {}) {
    this.#opts = opts;
  }

  /** Records a secret to judge. One that fails its format's validity check (not a live token) is not judged. */
  add(s: ObservedSecret): void {
    if (s.valid === false) return;
    this.#secrets.push(s);
  }

  /** The inventory's ScanOptions.onListed: `runInventory({ ..., onListed: collector.onListed })`. */
  readonly onListed = (d: Located, finding: Finding): void => {
    this.add(observedSecret(d, finding));
  };

  /** Runs the analyzers over every secret added and returns the findings, issues and step 6. */
  async finish(): Promise<ScopeResult> {
    const opts = this.#opts;
    const checks = new Map<string, ScopeCheck>();
    for (const c of (opts.rules ?? defaultRules()).scope) checks.set(c.id, c);
    const applies = new Map<string, ReadonlySet<string>>();
    for (const c of checks.values()) applies.set(c.id, new Set(c.appliesTo));
    const issues: ScanIssue[] = [];
    let failed = 0;
    const ctx: AnalyzerContext = {
      home: opts.home,
      root: opts.root,
      now: (opts.now ?? Date.now)(),
      issue: (i) => issues.push(i),
      incomplete: (i) => {
        issues.push(i);
        failed++;
      },
      enabled: (id) => checks.has(id) && !opts.disabledRules?.has(id),
      appliesTo: (id) => applies.get(id),
    };
    const analyzers = opts.analyzers ?? [new OfflineAnalyzer()];
    const assessments: Assessment[] = [];
    for (const a of analyzers) {
      try {
        for (const x of await a.analyze(this.#secrets, ctx)) assessments.push(x);
      } catch (e) {
        failed++;
        issues.push({ where: `credential-scope (${a.name})`, message: `analysis failed: ${safeMessage(e)}` });
      }
    }

    // One finding per (check, place, value): a value two inventory rules listed at one place is
    // judged once, under the smallest fingerprint (the same from run to run).
    const chosen = new Map<string, Assessment>();
    for (const a of assessments) {
      if (!ctx.enabled(a.checkId)) continue;
      const loc = a.secret.location;
      const key = `${a.checkId}\0${loc.source}\0${loc.path ?? ""}\0${loc.name ?? ""}\0${secretHash(a.secret.secret)}`;
      const prev = chosen.get(key);
      if (!prev || byteOrder(a.secret.fingerprint, prev.secret.fingerprint) < 0) chosen.set(key, a);
    }
    const findings = sortFindings(
      [...chosen.values()].map((a) => scopeFinding(a, checks.get(a.checkId)!, opts)),
    );
    issues.sort((a, b) => byteOrder(a.where, b.where) || byteOrder(a.message, b.message));
    const judged = new Set(this.#secrets.map((s) => s.fingerprint)).size;
    return { findings, issues, step: scoreScope(findings, checks, judged, failed) };
  }
}

/** A scope finding: at the secret's place, identified by the secret's finding and the check. */
function scopeFinding(a: Assessment, check: ScopeCheck, opts: ScopeOptions): Finding {
  return makeFinding({
    ruleId: check.id,
    control: "credential-scope",
    kind: "scope",
    severity: opts.severityOverrides?.[check.id] ?? check.severity,
    // One line: what is wide. What to use instead is the remediation's (and fix.params.instead).
    title: check.title,
    remediation: check.remediation,
    fix: {
      target: check.fix.target,
      params: {
        ...check.fix.params,
        instead: check.narrower,
        provider: a.secret.provider,
        current: a.current,
      },
    },
    location: a.secret.location,
    subject: `${a.secret.fingerprint}\0${check.id}`,
    accepted: opts.accepted,
  });
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

/**
 * Step 6: `fail` when a high-risk finding is not accepted, else `warn` for a medium-risk one, else
 * `pass`; `error` when an analyzer failed and nothing fails. Evidence: the fingerprints that decide.
 */
export function scoreScope(
  findings: readonly Finding[],
  checks: ReadonlyMap<string, ScopeCheck>,
  judged: number,
  failedAnalyzers = 0,
): Omit<ChecklistItem, "step" | "id"> {
  const open = findings.filter((f) => !f.accepted);
  const high = open.filter((f) => checks.get(f.ruleId)?.risk === "high");
  const medium = open.filter((f) => checks.get(f.ruleId)?.risk === "medium");
  const accepted = findings.length - open.length;
  const judgedText = `${plural(judged, "credential")} judged`;
  const acceptedText = accepted ? `; ${accepted} accepted in the baseline` : "";
  if (high.length) {
    return {
      status: "fail",
      summary:
        `${plural(high.length, "high-risk credential scope finding")} (long-lived or broad) not in the accepted inventory` +
        `${medium.length ? `; ${medium.length} medium-risk` : ""}${acceptedText}; ${judgedText}`,
      evidence: high.map((f) => f.fingerprint),
    };
  }
  if (failedAnalyzers) {
    return {
      status: "error",
      summary: `${plural(failedAnalyzers, "credential analyzer")} failed (see issues); ${judgedText}`,
      evidence: [],
    };
  }
  if (medium.length) {
    return {
      status: "warn",
      summary: `${plural(medium.length, "medium-risk credential scope finding")} not in the accepted inventory, none high-risk${acceptedText}; ${judgedText}`,
      evidence: medium.map((f) => f.fingerprint),
    };
  }
  return {
    status: "pass",
    summary:
      judged === 0
        ? "no credential found to judge"
        : `${judgedText}: none found long-lived or broad${acceptedText ? ` (${accepted} accepted in the baseline)` : ""}`,
    evidence: [],
  };
}
