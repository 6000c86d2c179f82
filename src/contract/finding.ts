// How a finding is built (issue 9: one makeFinding builds every finding), and the two ways a
// secret may appear in a report: its preview and, inside a fingerprint, its hash.

import { hash } from "node:crypto";
import {
  type Finding,
  type FindingKind,
  type Location,
  type RemediationFix,
  SEVERITY_RANK,
  type Severity,
  type StepId,
} from "./types.js";

/**
 * The only way a secret becomes printable (shared/DESIGN.md): at most the first 4 characters of a
 * secret of 16 or more characters, plus its length; shorter secrets are fully masked.
 */
export function preview(secret: string): string {
  // Code points, not UTF-16 units; without surrogates they are the same (the common case, no array).
  if (!SURROGATE.test(secret)) {
    return secret.length >= 16 ? `${secret.slice(0, 4)}…(${secret.length})` : `…(${secret.length})`;
  }
  const points = [...secret];
  if (points.length >= 16) return `${points.slice(0, 4).join("")}…(${points.length})`;
  return `…(${points.length})`;
}
const SURROGATE = /[\uD800-\uDFFF]/;

/** SHA-256 of the secret, hex. Used for identity (fingerprints, baselines), never printed on its own. */
export function secretHash(secret: string): string {
  // One-shot crypto.hash (Node 20.12+): no Hash object per value (issue 8: 24k findings per MB).
  return hash("sha256", secret, "hex");
}

/**
 * Stable identity of a finding: the rule, where it lives (source, path, variable name — never the
 * line, so a secret that moves within a file keeps its identity) and a hash of the secret (so a
 * secret that changes is a new finding). Truncated to 96 bits: the fingerprint is an id, not a
 * verifier, and a short id gives an offline guesser less to confirm a weak password against.
 */
export function fingerprint(parts: {
  ruleId: string;
  source: string;
  path?: string;
  name?: string;
  subject: string;
  /** secretHash(subject), when the caller has it already (a value found in several places). */
  subjectHash?: string;
}): string {
  const head = `agent-audit/v1\0${parts.ruleId}\0${parts.source}\0${parts.path ?? ""}\0${parts.name ?? ""}\0`;
  return hash("sha256", head + (parts.subjectHash ?? secretHash(parts.subject)), "hex").slice(0, 24);
}

/** What makeFinding needs to build a finding. */
export interface FindingInput {
  ruleId: string;
  control: StepId;
  kind: FindingKind;
  severity: Severity;
  title: string;
  /** The one-line remediation a person reads. */
  remediation: string;
  /** The structured remediation: which generator of `agent-audit fix` would close this, with what. */
  fix?: RemediationFix;
  location: Location;
  /**
   * What the finding is about, for its identity: the secret value for a secret (hashed, never
   * stored), a probe's method and target for an egress finding. With `subjectHash`, the hash of it
   * that the caller already has.
   */
  subject: string;
  subjectHash?: string;
  /** The path that identifies the finding when it differs from the location's (a file seen via a link). */
  identityPath?: string;
  /** For kind `secret`: what the secret is; `value` becomes the preview, never more. */
  secret?: { provider: string; type: string; value: string; valid?: boolean };
  /** Fingerprints the baseline accepts. */
  accepted?: ReadonlySet<string>;
}

/**
 * The one constructor of a finding (issue 9): computes the fingerprint from the rule, the location
 * and the subject, keeps only the location's defined fields, turns a secret into its preview, and
 * marks the finding accepted when the baseline holds its fingerprint. A secret whose own format
 * says it is not live (an offline checksum fails) is `info`, whatever its rule says.
 */
export function makeFinding(input: FindingInput): Finding {
  const loc = input.location;
  const fp = fingerprint({
    ruleId: input.ruleId,
    source: loc.source,
    path: input.identityPath ?? loc.path,
    name: loc.name,
    subject: input.subject,
    subjectHash: input.subjectHash,
  });
  let severity = input.severity;
  let title = input.title;
  if (input.secret?.valid === false) {
    // The format's own checksum says this is not a live token (a typo, a test value, a truncation).
    severity = "info";
    title = `${title} (fails its offline validity check: not a live token)`;
  }
  const finding: Finding = {
    fingerprint: fp,
    ruleId: input.ruleId,
    control: input.control,
    kind: input.kind,
    severity,
    title,
    remediation: input.remediation,
    location: definedOnly(loc),
    accepted: input.accepted?.has(fp) ?? false,
  };
  if (input.fix) finding.fix = input.fix;
  if (input.secret && input.kind === "secret") {
    finding.secret = {
      provider: input.secret.provider,
      type: input.secret.type,
      preview: preview(input.secret.value),
    };
    if (input.secret.valid !== undefined) finding.secret.valid = input.secret.valid;
  }
  return finding;
}

/** The location without its undefined fields (a loop: this runs once per finding, issue 8). */
function definedOnly(loc: Location): Location {
  const out: Record<string, unknown> = {};
  for (const k in loc) {
    const v = (loc as unknown as Record<string, unknown>)[k];
    if (v !== undefined) out[k] = v;
  }
  return out as unknown as Location;
}

const SOURCE_RANK: Record<string, number> = { env: 0, home: 1, tree: 2, mount: 3, socket: 4, process: 5 };

/** Code-unit order: the same on every machine, whatever LANG says (localeCompare does not). */
export function byteOrder(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Deterministic order, in place: severity, then source, path, line, name, rule. */
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
