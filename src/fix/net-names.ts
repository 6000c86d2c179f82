// The checks every network generator runs on the names and numbers it writes into a file that root
// loads (squid.conf, nftables, iptables-restore, Kubernetes manifests): the allowlist is built
// elsewhere, but a generator refuses, with a clear Error, anything that could change the meaning of
// the file it writes (a quote, a newline, a space, a `;`). Pure: no I/O.

import { isIPv4, isIPv6 } from "node:net";
import type { AuditReport } from "../contract/types.js";
import type { AllowedHost, FixOptions } from "./types.js";

/** A DNS name as the allowlist holds it: lower case, [a-z0-9.-], no empty label, no trailing dot. */
export function checkHostName(host: string, what: string): string {
  if (typeof host !== "string" || !/^[a-z0-9.-]+$/.test(host))
    throw new Error(`${what}: ${JSON.stringify(host)} is not a host name (only a-z, 0-9, '.', '-' allowed)`);
  if (host.length > 253) throw new Error(`${what}: ${JSON.stringify(host)} is longer than 253 characters`);
  const labels = host.split(".");
  if (labels.some((l) => l.length === 0 || l.length > 63 || l.startsWith("-") || l.endsWith("-")))
    throw new Error(
      `${what}: ${JSON.stringify(host)} has an empty label, a label over 63 characters, or one that starts or ends with '-'`,
    );
  // A name whose last label is a number is an IPv4 address to inet_aton and to URL parsers (127.1, 2852039166).
  if (/^(0x[0-9a-f]*|[0-9]+)$/.test(labels[labels.length - 1]!))
    throw new Error(`${what}: ${JSON.stringify(host)} is an IP address, not a host name`);
  return host;
}

/** An IPv4 or IPv6 literal (brackets allowed around IPv6), or undefined. Zone ids (`%eth0`) are refused. */
export function ipLiteral(host: string): { address: string; family: 4 | 6 } | undefined {
  const h = host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
  if (isIPv4(h)) return { address: h, family: 4 };
  if (/^[0-9a-fA-F:.]+$/.test(h) && isIPv6(h)) return { address: h.toLowerCase(), family: 6 };
  return undefined;
}

/** The proxy's host: an IP literal, or a host name (then nothing can pin it by address). */
export function checkProxyHost(host: string): { address: string; family: 4 | 6 } | { name: string } {
  const ip = ipLiteral(host);
  if (ip) return ip;
  return { name: checkHostName(host, "proxy host") };
}

/** true: the proxy listens on this host's loopback (127.0.0.0/8, ::1, localhost). */
export function isLoopbackProxy(host: string): boolean {
  const ip = ipLiteral(host);
  if (!ip) return host === "localhost";
  return ip.family === 4 ? ip.address.startsWith("127.") : ip.address === "::1";
}

/** A Unix user name as useradd(8) accepts it by default, and nft/iptables resolve at load time. */
export function checkUser(user: string, what: string): string {
  if (typeof user !== "string" || !/^[a-z_][a-z0-9_-]*$/.test(user) || user.length > 32)
    throw new Error(
      `${what}: ${JSON.stringify(user)} is not a user name (expected [a-z_][a-z0-9_-]*, at most 32)`,
    );
  return user;
}

/**
 * A log prefix: printable ASCII without a quote or backslash (it is written inside double quotes), at
 * most 24 characters (iptables' LOG allows 29, and nft's log lines are read by the same watcher).
 */
export function checkLogPrefix(prefix: string): string {
  if (typeof prefix !== "string" || !/^[\x20-\x7e]*$/.test(prefix) || /["\\]/.test(prefix))
    throw new Error(
      `log prefix ${JSON.stringify(prefix)}: only printable ASCII without a quote or backslash is allowed`,
    );
  if (prefix.length === 0 || prefix.length > 24)
    throw new Error(`log prefix ${JSON.stringify(prefix)}: must be 1 to 24 characters`);
  return prefix;
}

export function checkPort(port: number, what: string): number {
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new Error(`${what}: ${JSON.stringify(port)} is not a port (1-65535)`);
  return port;
}

/** The pinned DNS resolver: an IP literal only (a resolver reached by name would need a resolver). */
export function checkResolver(resolver: string): { address: string; family: 4 | 6 } {
  const ip = ipLiteral(resolver);
  if (!ip) throw new Error(`DNS resolver: ${JSON.stringify(resolver)} is not an IPv4 or IPv6 address`);
  return ip;
}

/** A reason, as one comment line: control characters (a newline would end the comment) become spaces. */
export function commentText(text: string): string {
  return text.replace(/[\x00-\x1f\x7f\u2028\u2029]+/g, " ").trim();
}

/**
 * The allowlist as squid can hold it: checked, deduplicated (a name listed both exactly and with its
 * subdomains keeps the wider entry), and without names already covered by a listed parent with
 * subdomains (squid 5 refuses `a.com` next to `.a.com`, "Bungled", and warns about `x.a.com` next to
 * `.a.com`). Each kept entry carries every reason that led to it; sorted by name for stable output.
 */
export interface NormalizedHost {
  host: string;
  subdomains: boolean;
  reasons: string[];
  /** Entries dropped because this one covers them: `name (reason)`. */
  covers: string[];
}

export function normalizeAllowlist(list: AllowedHost[]): NormalizedHost[] {
  const byHost = new Map<string, NormalizedHost>();
  for (const e of list) {
    checkHostName(e.host, "allowed host");
    const reason = commentText(e.reason ?? "");
    const cur = byHost.get(e.host);
    if (cur) {
      cur.subdomains ||= e.subdomains === true;
      if (reason && !cur.reasons.includes(reason)) cur.reasons.push(reason);
    } else {
      byHost.set(e.host, {
        host: e.host,
        subdomains: e.subdomains === true,
        reasons: reason ? [reason] : [],
        covers: [],
      });
    }
  }
  const wide = [...byHost.values()].filter((e) => e.subdomains);
  const kept: NormalizedHost[] = [];
  for (const e of byHost.values()) {
    const parent = wide.find((w) => w !== e && e.host.endsWith(`.${w.host}`));
    if (parent) parent.covers.push(`${e.host}${e.reasons.length ? ` (${e.reasons.join("; ")})` : ""}`);
    else kept.push(e);
  }
  for (const e of kept) e.covers.sort();
  return kept.sort((a, b) => (a.host < b.host ? -1 : a.host > b.host ? 1 : 0));
}

/** Fingerprints of the report's findings whose structured fix names one of these targets, in report order. */
export function findingsFor(report: AuditReport, targets: string[]): string[] {
  return report.findings.filter((f) => f.fix && targets.includes(f.fix.target)).map((f) => f.fingerprint);
}

/** The options every network generator checks before writing anything. */
export function checkCommon(opts: FixOptions): void {
  checkPort(opts.proxy.port, "proxy port");
  checkProxyHost(opts.proxy.host);
}
