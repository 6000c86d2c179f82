// Reading a JWT's claims for step 6: only what decides its scope leaves this file (whether it
// expires and when, whether it is a Kubernetes service-account token), never a claim's text, which
// can hold anything the issuer put there (emails, tenant ids, even secrets).

/** Longest payload segment decoded (base64url characters); a bigger one is not judged. */
export const MAX_JWT_PAYLOAD = 16 * 1024;

export interface JwtFacts {
  /** exp in milliseconds, when the claim is a finite number; undefined: no (usable) exp claim. */
  expMs?: number;
  /** Kubernetes service-account claims (legacy `kubernetes/serviceaccount` issuer, or `system:serviceaccount:` subject). */
  kubernetesServiceAccount: boolean;
}

const SEGMENT = /^[A-Za-z0-9_-]+$/;

/**
 * The facts of a compact JWS (`header.payload.signature`), or undefined when the value is not one
 * whose header and payload decode to JSON objects (a JWE, a truncated token, a payload over the cap).
 */
export function jwtFacts(value: string): JwtFacts | undefined {
  const token = value.trim();
  const first = token.indexOf(".");
  const second = first < 0 ? -1 : token.indexOf(".", first + 1);
  if (first <= 0 || second < 0 || token.indexOf(".", second + 1) >= 0) return undefined;
  const header = token.slice(0, first);
  const payload = token.slice(first + 1, second);
  if (header.length > MAX_JWT_PAYLOAD || payload.length > MAX_JWT_PAYLOAD) return undefined;
  if (!SEGMENT.test(header) || !SEGMENT.test(payload)) return undefined;
  const h = decodeObject(header);
  const claims = decodeObject(payload);
  if (!h || typeof h.alg !== "string" || !claims) return undefined;
  const exp = claims.exp;
  const iss = claims.iss;
  const sub = claims.sub;
  return {
    expMs: typeof exp === "number" && Number.isFinite(exp) ? exp * 1000 : undefined,
    kubernetesServiceAccount:
      iss === "kubernetes/serviceaccount" ||
      (typeof sub === "string" && sub.startsWith("system:serviceaccount:")) ||
      Object.hasOwn(claims, "kubernetes.io/serviceaccount/namespace"),
  };
}

/**
 * Whether the value has a compact JWS's shape (three base64url segments) with a header or payload
 * over the cap: jwtFacts does not judge it, and the caller says so (an agent could pad a claim to
 * make a token that never expires pass unseen).
 */
export function jwtOverCap(value: string): boolean {
  const token = value.trim();
  const parts = token.split(".", 4);
  if (parts.length !== 3 || !parts.every((p) => p.length > 0)) return false;
  const [header, payload] = parts as [string, string, string];
  if (header.length <= MAX_JWT_PAYLOAD && payload.length <= MAX_JWT_PAYLOAD) return false;
  return SEGMENT.test(header) && SEGMENT.test(payload);
}

function decodeObject(segment: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(Buffer.from(segment, "base64url").toString("utf8"));
    return typeof v === "object" && v !== null && !Array.isArray(v)
      ? (v as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}
