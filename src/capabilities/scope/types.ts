import type { Location, ScanIssue } from "../../contract/types.js";

// Step 6 `credential-scope` (issue 10): how much damage each credential the inventory found could
// do. An Analyzer judges observed secrets and returns assessments, each naming a scope check
// (rules/scope/<id>.yaml); the collector (index.ts) turns them into findings. The offline analyzer
// (offline.ts) reads only the value and the local config beside it; a live cloud analyzer (AWS IAM,
// a later issue) implements the same interface.

/**
 * A secret the inventory listed, as step 6 sees it. `secret` is the raw value: in-process only. It
 * never leaves this module except as an assessment (a check id and an enum).
 */
export interface ObservedSecret {
  /** The inventory rule that found it. */
  ruleId: string;
  provider: string;
  type: string;
  /** The raw value. Never printed, never stored in a finding or an issue. */
  secret: string;
  /** The fingerprint of the inventory's finding of it. */
  fingerprint: string;
  location: Location;
  /** false: the value fails its format's offline validity check (not a live token): not judged. */
  valid?: boolean;
}

/** One judgement of one secret: which scope check applies, and what the credential is now. */
export interface Assessment {
  secret: ObservedSecret;
  /** A scope check id (rules/scope/<id>.yaml). */
  checkId: string;
  /**
   * What the credential is, as a fixed enum (`long-lived-user-key`, `classic-pat`, `no-expiry-jwt`,
   * ...): `fix.params.current`. Never a value read from the secret or a file.
   */
  current: string;
}

/** What an analyzer may use besides the secrets. */
export interface AnalyzerContext {
  /** The audited home (to read ~/.aws/config); undefined when the home was not scanned. */
  home?: string;
  /** The audited working tree (tree-relative locations). */
  root?: string;
  /** Clock in milliseconds. */
  now: number;
  /** Records a problem (a config that could not be read); the analysis goes on. Never a value. */
  issue(i: ScanIssue): void;
  /**
   * Records a problem that leaves the analysis incomplete (a cloud policy that could not be read):
   * an issue, and the step cannot pass, as if the analyzer had failed.
   */
  incomplete(i: ScanIssue): void;
  /** Whether a scope check is switched off (agent-audit.yaml rules.disable): no need to judge it. */
  enabled(checkId: string): boolean;
  /** The inventory rule ids a check applies to (its appliesTo), or undefined for an unknown check. */
  appliesTo(checkId: string): ReadonlySet<string> | undefined;
}

/**
 * Judges observed secrets. Gets every secret at once (a config can tie several together, a live
 * analyzer batches its calls); returns assessments in any order (the collector sorts and dedupes).
 */
export interface Analyzer {
  /** A short name for issues (`offline`, `aws-iam`). */
  readonly name: string;
  analyze(secrets: readonly ObservedSecret[], ctx: AnalyzerContext): Promise<Assessment[]>;
}
