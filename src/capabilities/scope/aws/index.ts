import { makeFinding, sortFindings } from "../../../contract/finding.js";
import type { Finding, Severity } from "../../../contract/types.js";
import { defaultRules, type RuleSet, type ScopeCheck } from "../../../rules/catalog.js";
import { safeMessage } from "../../../util/errors.js";
import type { Analyzer, AnalyzerContext, Assessment, ObservedSecret } from "../types.js";
import { IAM_CHECK_IDS, type IamJudgement, isOptionalPart, judgeFacts } from "./checks.js";
import type { AwsCredentials } from "./credentials.js";
import type { AwsFacts } from "./types.js";

export { grantsIncomplete, IAM_CHECK_IDS, judgeFacts } from "./checks.js";
export { type AwsCredentials, CredentialsError, resolveCredentials } from "./credentials.js";
export { EVIDENCE_FILES, EvidenceError, readEvidence } from "./evidence.js";
export { DEFAULT_WINDOW_DAYS, makePlan, PlanError } from "./plan.js";
export type * from "./types.js";

// Step 6 for AWS, live (issue 13): the judgements of checks.ts as `kind: scope` findings, either
// at the principal (`creds aws`: location `cloud`, the principal's ARN) or, inside `scan --aws`,
// at the credential the inventory found (an Analyzer beside the offline one).

export interface AwsFindingOptions {
  rules?: RuleSet;
  now: number;
  windowDays: number;
  accepted?: ReadonlySet<string>;
  disabledRules?: ReadonlySet<string>;
  severityOverrides?: Readonly<Record<string, Severity>>;
}

/** The findings of `creds aws`: one per judgement, located at the principal (source `cloud`). */
export function awsFindings(facts: AwsFacts, opts: AwsFindingOptions): Finding[] {
  const checks = scopeChecks(opts.rules);
  const out: Finding[] = [];
  for (const j of judgeFacts(facts, opts)) {
    const check = checks.get(j.checkId);
    if (!check || opts.disabledRules?.has(j.checkId)) continue;
    out.push(
      makeFinding({
        ruleId: check.id,
        control: "credential-scope",
        kind: "scope",
        severity: opts.severityOverrides?.[check.id] ?? check.severity,
        title: j.detail ? `${check.title}: ${j.detail}` : check.title,
        remediation: check.remediation,
        fix: {
          target: check.fix.target,
          params: { ...check.fix.params, instead: check.narrower, provider: "aws", current: j.current },
        },
        location: { source: "cloud", path: facts.principal.arn, name: j.where },
        subject: `${facts.principal.arn}\0${j.checkId}\0${j.where}`,
        accepted: opts.accepted,
      }),
    );
  }
  return sortFindings(out);
}

function scopeChecks(rules?: RuleSet): Map<string, ScopeCheck> {
  const m = new Map<string, ScopeCheck>();
  for (const c of (rules ?? defaultRules()).scope) m.set(c.id, c);
  return m;
}

/** The risk of each IAM check (for the step verdict): from its rule file. */
export function iamCheckRisk(rules?: RuleSet): Map<string, ScopeCheck["risk"]> {
  const m = new Map<string, ScopeCheck["risk"]>();
  for (const c of scopeChecks(rules).values())
    if ((IAM_CHECK_IDS as readonly string[]).includes(c.id)) m.set(c.id, c.risk);
  return m;
}

/**
 * `scan --aws`: gathers the facts for the credentials the app resolved and judges them, placing
 * each judgement at the inventory's finding of that access key id (or, failing that, of its
 * secret key). The gathering is injected: the app passes the live gatherer.
 */
export class AwsIamAnalyzer implements Analyzer {
  readonly name = "aws-iam";
  readonly #creds: AwsCredentials;
  readonly #gather: (c: AwsCredentials) => Promise<AwsFacts>;
  readonly #windowDays: number;

  constructor(creds: AwsCredentials, gather: (c: AwsCredentials) => Promise<AwsFacts>, windowDays: number) {
    this.#creds = creds;
    this.#gather = gather;
    this.#windowDays = windowDays;
  }

  async analyze(secrets: readonly ObservedSecret[], ctx: AnalyzerContext): Promise<Assessment[]> {
    const c = this.#creds;
    const anchor =
      pick(secrets.filter((s) => s.provider === "aws" && s.secret.trim() === c.accessKeyId)) ??
      pick(secrets.filter((s) => s.provider === "aws" && s.secret.trim() === c.secretAccessKey));
    if (!anchor) {
      ctx.issue({
        where: "credential-scope (aws-iam)",
        message: `the AWS credentials from the ${c.source} are not among the secrets the inventory found: not judged here (run 'agent-audit creds aws')`,
      });
      return [];
    }
    let facts: AwsFacts;
    try {
      facts = await this.#gather(c);
    } catch (e) {
      ctx.issue({
        where: "credential-scope (aws-iam)",
        message: `AWS IAM not analysed: ${e instanceof Error && e.name === "AwsAuditError" ? e.message : safeMessage(e)}`,
      });
      return [];
    }
    // A grant that could not be read may be the broad one: the step cannot pass (fail closed).
    for (const i of facts.issues) {
      const issue = { where: `aws-iam ${i.where}`, message: i.message };
      if (isOptionalPart(i.where)) ctx.issue(issue);
      else ctx.incomplete(issue);
    }
    const out: Assessment[] = [];
    const seen = new Set<string>();
    for (const j of judgeFacts(facts, { now: ctx.now, windowDays: this.#windowDays }) as IamJudgement[]) {
      if (!ctx.enabled(j.checkId) || !ctx.appliesTo(j.checkId)?.has(anchor.ruleId)) continue;
      // One per check at one credential: the first judgement (policies come before keys).
      if (seen.has(j.checkId)) continue;
      seen.add(j.checkId);
      out.push({ secret: anchor, checkId: j.checkId, current: j.current });
    }
    return out;
  }
}

function pick(list: ObservedSecret[]): ObservedSecret | undefined {
  return [...list].sort((a, b) =>
    a.fingerprint < b.fingerprint ? -1 : a.fingerprint > b.fingerprint ? 1 : 0,
  )[0];
}
