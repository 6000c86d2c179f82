import type { FindingKind, Severity } from "../contract/types.js";

/**
 * What a detector hands to the core. `secret` is the raw value: it never leaves the core, which
 * only hashes it (fingerprint) and previews it (redact.ts).
 */
export interface Detection {
  ruleId: string;
  provider: string;
  type: string;
  severity: Severity;
  title: string;
  remediation: string;
  kind?: FindingKind;
  secret: string;
  /** 1-based line of the secret in its file, when it has one. */
  line?: number;
  valid?: boolean;
  /** For env-like sources: the variable name. For structured files: the key path (not printed as a secret). */
  name?: string;
  /**
   * Dedupe rank when two detectors report the same secret at the same place: a provider-specific
   * content rule (3) beats a structural parser (2), which beats a generic assignment rule (1). A
   * content rule marked `shapeOnly` (ContentRule.shapeOnly: `jwt`) keeps 3 here, so the environment
   * source still reports its matches, but in a file's dedupe it ranks below a structural parser's
   * detection of the same value (src/sources/files.ts dedupeRank): the parser knows what the value
   * is (a kubeconfig user token), the rule only what it looks like.
   */
  priority: number;
  /**
   * For a structural detection whose secret the parser decoded (a docker `auth`'s password, a
   * kubeconfig `client-key-data`'s PEM key, an npmrc `_auth`/`_password`): the value as written in
   * the file. A generic or shape-only content rule's match of that written value is the same
   * credential, and the dedupe keeps the parser's finding only (structural verdicts first).
   */
  encoded?: string;
  /** For structural detections judged by a content or env rule: that rule's id (config `rules.disable` applies to it). */
  viaRuleId?: string;
  /**
   * Stands in for location.path in the fingerprint when the path changes from run to run (a pid in
   * /proc/PID/environ, a per-session SSH_AUTH_SOCK), so a baselined finding stays accepted.
   */
  identityPath?: string;
}

/** A content rule as compiled from rules/secrets/<id>.yaml. */
export interface ContentRule {
  id: string;
  provider: string;
  type: string;
  title: string;
  severity: Severity;
  remediation: string;
  /** Lower-cased literals; the regex runs only when one occurs in the (lower-cased) text. */
  keywords: string[];
  regex: RegExp;
  /** Capture group holding the secret (number or name); 0 = whole match. */
  secretGroup: number | string;
  /** Minimum Shannon entropy (bits per character) of the secret. */
  entropy?: number;
  /**
   * Sticky copy of `regex` for rules whose matches always start at a keyword: it runs only at the
   * keywords' positions, so its cost follows the number of keyword hits, not the size of the text.
   */
  anchored?: RegExp;
  /**
   * For rules whose every match starts at most `within` characters before one of their keywords,
   * which lies inside the match (rules/*.yaml `near`): a sticky copy of `regex` tried only at the
   * `within + 1` positions before each keyword occurrence, not at every position of the text.
   */
  near?: { within: number; sticky: RegExp };
  /** Generic rules (e.g. `password = ...`) also require the value to look random. */
  generic: boolean;
  /**
   * The rule says only what a value looks like (a JWT, a password-like assignment), not whose it is
   * or what it opens: when a structural parser reports the same value at a key it knows (a
   * kubeconfig `users[].user.token`, a docker `auth`, an npmrc `_authToken`), the parser's finding
   * (its rule, type and severity) is kept instead. rules/secrets `shapeOnly: true`; every generic
   * rule is shape-only. A provider-specific rule (a `ghp_` token) is not: its provider, remediation
   * and validity check say more than the file's key does.
   */
  shapeOnly: boolean;
  /** Offline validity check, by name (validators.ts). */
  validator?: ValidatorName;
  /** Secrets matching any of these are not reported (documentation values and the like). */
  allow: RegExp[];
  examples: { match: string[]; noMatch: string[] };
  file: string;
}

/** An environment-variable name rule as compiled from rules/env/<id>.yaml. */
export interface EnvRule {
  id: string;
  provider: string;
  type: string;
  title: string;
  severity: Severity;
  remediation: string;
  /** Exact names (upper-case). */
  names: string[];
  /** Name pattern, tested against the upper-cased name. */
  namePattern?: RegExp;
  /** Names that the pattern would match but that are not secrets (KEYBOARD_LAYOUT). */
  excludeNames: RegExp[];
  /** How the value must look for the variable to count as a secret. */
  value: {
    minLength: number;
    /** "random": must pass the randomness gate; "any": any non-placeholder value; "url-userinfo": a URL with a password. */
    shape: "random" | "any" | "url-userinfo";
  };
  examples: { match: { name: string; value: string }[]; noMatch: { name: string; value: string }[] };
  file: string;
}

/** A credential-bearing path from rules/paths/<id>.yaml. */
export interface PathRule {
  id: string;
  provider: string;
  title: string;
  severity: Severity;
  remediation: string;
  /** Globs relative to the home directory (scope home) or matched anywhere in the working tree (scope tree). */
  paths: string[];
  scope: "home" | "tree";
  /** Environment variables that point at this file instead (KUBECONFIG, AWS_SHARED_CREDENTIALS_FILE). */
  envPointers: string[];
  /** Structural parser to run (parsers/index.ts); "text" = content rules only; "presence" = existence is the finding. */
  parser: string;
  /** Content rules run too unless false. */
  textScan: boolean;
  file: string;
}

/**
 * The offline validity checks a content rule may name in `validator:` (implemented in
 * detect/validators.ts, which must have one for each name: the catalog validates rule files
 * against this list without loading the checks).
 */
export const VALIDATOR_NAMES = [
  "base62-crc32",
  "jwt",
  "github-installation-jwt",
  "openai-marker",
  "anthropic-suffix",
] as const;
export type ValidatorName = (typeof VALIDATOR_NAMES)[number];
