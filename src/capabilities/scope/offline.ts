import { findPemKeys } from "../../detect/parsers/pem.js";
import { awsAdminAssessments } from "./aws/config.js";
import { jwtFacts, jwtOverCap, MAX_JWT_PAYLOAD } from "./jwt.js";
import { kubeAdminAssessments } from "./kube.js";
import type { Analyzer, AnalyzerContext, Assessment, ObservedSecret } from "./types.js";

// The offline analyzer of step 6: what the value's own format says (AKIA vs ASIA, ghp_ vs
// github_pat_, admin key prefixes, a JWT's exp, a private key's encryption) and what the local
// config beside it names (an admin role in ~/.aws/config, an admin user in a kubeconfig). No network.

/** A token's lifetime beyond which it counts as long-lived. */
export const LONG_LIVED_MS = 24 * 60 * 60 * 1000;
/** Longest value inspected as a private key (a 16 KB RSA key is far below). */
const MAX_KEY_CHARS = 64 * 1024;

const AWS_USER_KEY = /^AKIA[A-Z2-7]{16}$/;
const GITHUB_CLASSIC = /^ghp_[A-Za-z0-9]{36}$/;
const GITHUB_OAUTH = /^gho_[A-Za-z0-9]{36}$/;
const PPK_HEADER = /^PuTTY-User-Key-File-\d+:/m;
const PPK_ENCRYPTION = /^Encryption:[ \t]*(\S+)/m;

/** Every check the offline analyzer can report (each is a rules/scope/<id>.yaml). */
export const OFFLINE_CHECK_IDS = [
  "aws-long-lived-access-key",
  "aws-admin-role-profile",
  "github-classic-pat-broad",
  "github-oauth-token-broad",
  "anthropic-admin-key-org-wide",
  "openai-admin-key-org-wide",
  "jwt-no-expiry",
  "jwt-long-expiry",
  "kubernetes-sa-token-no-expiry",
  "kubernetes-admin-user",
  "private-key-unencrypted",
] as const;

/** The judgements of one secret by its value alone: [check id, current]. */
export function valueAssessments(s: ObservedSecret, now: number): [string, string][] {
  const out: [string, string][] = [];
  const v = s.secret.trim();
  if (AWS_USER_KEY.test(v)) out.push(["aws-long-lived-access-key", "long-lived-user-key"]);
  else if (GITHUB_CLASSIC.test(v)) out.push(["github-classic-pat-broad", "classic-pat"]);
  else if (GITHUB_OAUTH.test(v)) out.push(["github-oauth-token-broad", "oauth-app-token"]);
  else if (v.startsWith("sk-ant-admin")) out.push(["anthropic-admin-key-org-wide", "organization-admin-key"]);
  else if (v.startsWith("sk-admin-")) out.push(["openai-admin-key-org-wide", "organization-admin-key"]);
  else if (v.startsWith("eyJ")) {
    const jwt = jwtFacts(v);
    if (jwt?.kubernetesServiceAccount) {
      // A bound token with a short exp dies with its pod: not reported. An exp the token's holder
      // could have been issued far ahead (--service-account-max-token-expiration, or a claim set by
      // whoever holds the signing key) is long-lived like any other JWT.
      if (jwt.expMs === undefined)
        out.push(["kubernetes-sa-token-no-expiry", "no-expiry-service-account-token"]);
      else if (jwt.expMs - now > LONG_LIVED_MS) out.push(["jwt-long-expiry", "long-lived-token"]);
    } else if (jwt) {
      if (jwt.expMs === undefined) out.push(["jwt-no-expiry", "no-expiry-token"]);
      else if (jwt.expMs - now > LONG_LIVED_MS) out.push(["jwt-long-expiry", "long-lived-token"]);
    }
  } else if (unencryptedKey(v)) out.push(["private-key-unencrypted", "unencrypted-private-key"]);
  return out;
}

/** Whether the value holds a private key usable without a passphrase (PEM, OpenSSH, PuTTY). */
export function unencryptedKey(v: string): boolean {
  if (v.length > MAX_KEY_CHARS) return false;
  if (v.includes("PRIVATE KEY-----")) {
    const keys = findPemKeys(v);
    return keys?.some((k) => !k.encrypted) === true;
  }
  if (PPK_HEADER.test(v)) {
    const m = PPK_ENCRYPTION.exec(v);
    return m !== null && m[1]!.toLowerCase() === "none";
  }
  return false;
}

/** Whether a JWT check would judge this secret (enabled and applying to the rule that listed it). */
function jwtJudged(s: ObservedSecret, ctx: AnalyzerContext): boolean {
  return ["jwt-no-expiry", "jwt-long-expiry", "kubernetes-sa-token-no-expiry"].some(
    (id) => ctx.enabled(id) && ctx.appliesTo(id)?.has(s.ruleId) === true,
  );
}

/** The first analyzer: the value's format and the local config, offline. */
export class OfflineAnalyzer implements Analyzer {
  readonly name = "offline";

  async analyze(secrets: readonly ObservedSecret[], ctx: AnalyzerContext): Promise<Assessment[]> {
    const out: Assessment[] = [];
    for (const s of secrets) {
      for (const [checkId, current] of valueAssessments(s, ctx.now)) {
        if (ctx.enabled(checkId) && ctx.appliesTo(checkId)?.has(s.ruleId))
          out.push({ secret: s, checkId, current });
      }
      if (s.secret.trimStart().startsWith("eyJ") && jwtOverCap(s.secret) && jwtJudged(s, ctx)) {
        const loc = s.location;
        ctx.issue({
          where: `${loc.path ?? loc.source}${loc.name ? ` ${loc.name}` : ""}`,
          message: `a JWT was not judged for expiry: its header or payload is over ${MAX_JWT_PAYLOAD / 1024} KiB`,
        });
      }
    }
    for (const a of await awsAdminAssessments(secrets, ctx)) out.push(a);
    for (const a of await kubeAdminAssessments(secrets, ctx)) out.push(a);
    return out;
  }
}
