import type { HttpResponse } from "./wire.js";

// How a proxy says no (shared/research/egress-approval.md §0, §1.2, §6.1, §6.2):
// - squid: `X-Squid-Error: ERR_ACCESS_DENIED 0` on a 403 with its HTML error page (access.log records
//   TCP_DENIED/403). Other ERR_* codes say the URL was rejected, or that squid tried the destination
//   and failed, which means its policy let the request through.
// - sandbox-runtime (and the Codex network proxy): 403 with `X-Proxy-Error: blocked-by-allowlist`
//   (also blocked-by-denylist / -method-policy / -policy), body "Connection blocked by network allowlist".
// - Smokescreen: 407 "Request Rejected by Proxy" with `X-Smokescreen-Error: Egress proxying is denied ...`.

export type ProxyName = "squid" | "srt" | "smokescreen";

export interface ProxyAnswer {
  /** Which proxy said it, when the response carries a known fingerprint. */
  proxy?: ProxyName;
  /**
   * denied: a policy refusal. rejected: the request itself was refused (bad URL, bad method).
   * upstream: the proxy tried the destination and failed (so its policy allowed it).
   * auth: proxy authentication required. other: no known meaning.
   */
  kind: "denied" | "rejected" | "upstream" | "auth" | "other";
  /** A short, fixed token for the detail (an ERR_* code or X-Proxy-Error value), never free text. */
  code?: string;
}

const SQUID_DENIED = new Set(["ERR_ACCESS_DENIED", "ERR_CACHE_ACCESS_DENIED", "ERR_FORWARDING_DENIED"]);
const SQUID_REJECTED = new Set([
  "ERR_INVALID_URL",
  "ERR_INVALID_REQ",
  "ERR_UNSUP_REQ",
  "ERR_UNSUP_HTTPVERSION",
  "ERR_TOO_BIG",
  "ERR_PROTOCOL_UNKNOWN",
  "ERR_INVALID_RESP",
]);

/** Classifies a response that came from a proxy (CONNECT answers always do; plain HTTP ones may not). */
export function proxyAnswer(res: HttpResponse): ProxyAnswer {
  const h = res.headers;
  if (h["x-smokescreen-error"] !== undefined) return { proxy: "smokescreen", kind: "denied" };
  const proxyError = h["x-proxy-error"];
  if (proxyError !== undefined) {
    const code = /^[a-z0-9-]{1,40}$/i.test(proxyError) ? proxyError : undefined;
    return { proxy: "srt", kind: proxyError.startsWith("blocked-by-") ? "denied" : "rejected", code };
  }
  if (res.body.includes("Connection blocked by network allowlist")) {
    return { proxy: "srt", kind: "denied", code: "blocked-by-allowlist" };
  }
  const squidHeader = /^(ERR_[A-Z_]+)/.exec(h["x-squid-error"] ?? "");
  const squidBody = /\b(ERR_[A-Z_]+)\b/.exec(res.body);
  const isSquid = squidHeader || (squidBody && /squid/i.test(`${h.server ?? ""} ${res.body}`));
  if (isSquid) {
    const code = (squidHeader ?? squidBody)![1]!;
    const kind = SQUID_DENIED.has(code)
      ? "denied"
      : SQUID_REJECTED.has(code)
        ? "rejected"
        : res.status === 407
          ? "auth"
          : "upstream";
    return { proxy: "squid", kind, code };
  }
  if (res.status === 403) return { kind: "denied", code: "403" };
  if (res.status === 407) return { kind: "auth", code: "407" };
  if (res.status === 502 || res.status === 503 || res.status === 504)
    return { kind: "upstream", code: String(res.status) };
  return { kind: "other", code: String(res.status) };
}

/** `proxy-denied:squid (403 ERR_ACCESS_DENIED)`, `proxy-denied:generic-403`, ... */
export function describeAnswer(status: number, a: ProxyAnswer): string {
  const who = a.proxy ?? (a.kind === "denied" ? "generic-403" : "unknown-proxy");
  const code = a.code && a.code !== String(status) ? ` ${a.code}` : "";
  const prefix =
    a.kind === "denied"
      ? "proxy-denied"
      : a.kind === "rejected"
        ? "proxy-rejected"
        : a.kind === "upstream"
          ? "proxy-upstream-failure"
          : a.kind === "auth"
            ? "proxy-auth-required"
            : "proxy-answered";
  return `${prefix}:${who} (${status}${code})`;
}
