import { createHash } from "node:crypto";

/**
 * The only way a secret becomes printable (shared/DESIGN.md): at most the first 4 characters of a
 * secret of 16 or more characters, plus its length; shorter secrets are fully masked.
 */
export function preview(secret: string): string {
  const length = [...secret].length;
  if (length >= 16) return `${[...secret].slice(0, 4).join("")}…(${length})`;
  return `…(${length})`;
}

/** SHA-256 of the secret, hex. Used for identity (fingerprints, baselines), never printed on its own. */
export function secretHash(secret: string): string {
  return createHash("sha256").update(secret, "utf8").digest("hex");
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
}): string {
  const h = createHash("sha256");
  h.update(`agent-audit/v1\0${parts.ruleId}\0${parts.source}\0${parts.path ?? ""}\0${parts.name ?? ""}\0`);
  h.update(secretHash(parts.subject));
  return h.digest("hex").slice(0, 24);
}

/**
 * Removes userinfo from a URL-ish string (proxy URLs in probe output, error messages): everything up
 * to the LAST "@", with or without a scheme, since a password may itself hold "/" or "@".
 * Over-redacting a URL whose path holds an "@" is the safe mistake.
 */
export function stripUserinfo(url: string): string {
  const m = /^([a-z][a-z0-9+.-]*:\/\/)?(.*)$/is.exec(url)!;
  const scheme = m[1] ?? "";
  const rest = m[2] ?? "";
  const at = rest.lastIndexOf("@");
  return at === -1 ? url : `${scheme}${rest.slice(at + 1)}`;
}

/**
 * Masks credentials in free text that may echo user input (commander's "unknown option '--x=...'"):
 * every whitespace- or quote-delimited token holding an "@" after a ":" loses what precedes its
 * last "@".
 */
export function redactCredentials(text: string): string {
  return text.replace(/[^\s'"]*:[^\s'"]*@[^\s'"]*/g, (token) => {
    const eq = token.indexOf("=");
    const head = eq >= 0 && eq < token.indexOf(":") ? token.slice(0, eq + 1) : "";
    return head + stripUserinfo(token.slice(head.length));
  });
}

/**
 * Masks every occurrence of any of the given secret values in a text. A last line of defence for
 * messages built from foreign input (parser errors can quote the line they choke on).
 */
export function scrub(text: string, secrets: Iterable<string>): string {
  let out = text;
  for (const s of secrets) {
    if (s.length >= 4 && out.includes(s)) out = out.split(s).join(preview(s));
  }
  return out;
}
