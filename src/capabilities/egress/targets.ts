import { isIP } from "node:net";
import { stripUserinfo } from "../../detect/redact.js";
import { defaultRules, loadEgressRules } from "../../rules/catalog.js";
import { UsageError } from "../../util/errors.js";

/** A destination as the user wrote it: a host name or an IP literal, and a port. */
export interface HostPort {
  host: string;
  port: number;
  /** 0 for a name, 4 or 6 for an IP literal (net.isIP). */
  family: 0 | 4 | 6;
}

/** `host:port` with IPv6 in brackets, the form curl and URLs use (RFC 3986 §3.2.2). */
export function formatHostPort(host: string, port: number): string {
  return isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
}

// RFC 1123 labels, plus "_" (seen in real service names) and a trailing dot (an FQDN). Purely numeric
// or hex "names" such as 2852039166 or 0xa9fea9fe are let through on purpose: they are the encoded
// IPv4 forms (inet_aton shorthand) that the metadata probes send through a proxy.
const NAME =
  /^(?=.{1,253}\.?$)[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?(?:\.[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?)*\.?$/i;

function parsePort(text: string): number | undefined {
  if (!/^\d{1,5}$/.test(text)) return undefined;
  const n = Number(text);
  return n >= 1 && n <= 65535 ? n : undefined;
}

/**
 * Parses `HOST:PORT`, `[IPv6]:PORT` (and, when `defaultPort` is given, a bare `HOST` or `[IPv6]`).
 * Errors are UsageErrors naming the flag; the echoed input has any URL userinfo removed.
 */
export function parseHostPort(input: string, flag: string, defaultPort?: number): HostPort {
  const shown = stripUserinfo(input);
  const fail = (
    why: string,
    hint = "write HOST:PORT, e.g. example.com:443, 192.0.2.1:443 or [2001:db8::1]:443",
  ) => new UsageError(`${flag} ${shown}: ${why}`, hint);
  const text = input.trim();
  if (text === "") throw fail("empty value");
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) throw fail("a URL is not a destination");
  let host: string;
  let portText: string | undefined;
  if (text.startsWith("[")) {
    const close = text.indexOf("]");
    if (close < 0) throw fail("missing ']' after an IPv6 address");
    host = text.slice(1, close);
    const rest = text.slice(close + 1);
    if (rest !== "" && !rest.startsWith(":")) throw fail("expected ':PORT' after ']'");
    portText = rest === "" ? undefined : rest.slice(1);
    if (isIP(host) !== 6) throw fail(`"${host}" is not an IPv6 address`);
  } else {
    const colons = text.split(":").length - 1;
    if (colons > 1) {
      throw fail(
        "an IPv6 address needs brackets",
        `write [${isIP(text) === 6 ? text : "addr"}]:PORT, e.g. [2001:db8::1]:443`,
      );
    }
    const i = text.lastIndexOf(":");
    host = i < 0 ? text : text.slice(0, i);
    portText = i < 0 ? undefined : text.slice(i + 1);
    if (host === "") throw fail("missing host");
    if (!isIP(host) && !NAME.test(host)) throw fail(`"${host}" is not a host name or IP address`);
  }
  let port: number | undefined;
  if (portText === undefined) {
    if (defaultPort === undefined) throw fail("missing :PORT");
    port = defaultPort;
  } else {
    port = parsePort(portText);
    if (port === undefined) throw fail(`"${portText}" is not a port (1-65535)`);
  }
  const family = isIP(host) as 0 | 4 | 6;
  return { host: family ? host : host.toLowerCase(), port, family };
}

/** An allowed host: `NAME`, `NAME:PORT` or `*.NAME` (a wildcard: any subdomain, per srt/Smokescreen). */
export interface AllowedHost extends HostPort {
  /** `*.NAME` was given: `host` is NAME and the probes use a subdomain of it. */
  wildcard: boolean;
  /** The port was given explicitly (otherwise CONNECT uses 443 and plain HTTP 80). */
  explicitPort: boolean;
}

export function parseAllowedHost(input: string, flag = "--allowed-host"): AllowedHost {
  const text = input.trim();
  const wildcard = text.startsWith("*.");
  const hp = parseHostPort(wildcard ? text.slice(2) : text, flag, 443);
  if (wildcard && hp.family) {
    throw new UsageError(
      `${flag} ${stripUserinfo(input)}: a wildcard needs a domain name`,
      "e.g. *.example.com",
    );
  }
  return { ...hp, wildcard, explicitPort: /:\d+$/.test(text) && !text.endsWith("]") };
}

/** A DNS server: an IP literal, optionally with a port (`8.8.8.8`, `[2001:4860:4860::8888]:53`). */
export function parseResolver(input: string, flag = "--dns-resolver"): HostPort {
  const text = input.trim();
  // A bare IPv6 address (no brackets, no port) is unambiguous here: resolvers are always IPs.
  const hp = parseHostPort(isIP(text) === 6 ? `[${text}]` : text, flag, 53);
  if (!hp.family) {
    throw new UsageError(
      `${flag} ${stripUserinfo(input)}: a resolver must be an IP address`,
      "e.g. 8.8.8.8 or [2001:4860:4860::8888]:53",
    );
  }
  return hp;
}

// ---------------------------------------------------------------------------------------------
// Default targets: rules/egress/*.yaml. One file per kind of destination, each entry with the
// public source that documents it, so an operator can see exactly what a default probe contacts.
// Their schema is the catalog's (src/rules/catalog.ts, kind "egress").

export interface MetadataTarget extends HostPort {
  direct: boolean;
  proxy: boolean;
}

export interface EgressDefaults {
  canaries: HostPort[];
  /** Non-HTTP ports probed on every canary address. */
  ports: number[];
  metadata: MetadataTarget[];
  resolvers: HostPort[];
  queryName: string;
}

/** Parses a metadata target; `via` defaults to both paths. */
export function parseMetadata(
  input: string,
  flag = "--metadata",
  via?: ("direct" | "proxy")[],
): MetadataTarget {
  const hp = parseHostPort(input, flag, 80);
  return { ...hp, direct: via ? via.includes("direct") : true, proxy: via ? via.includes("proxy") : true };
}

/**
 * The default targets of rules/egress/*.yaml, read by the rule catalog like every rule kind (its
 * loader, schema and build cache: src/rules/catalog.ts), here parsed into destinations. `dir`:
 * another rules/egress folder (tests). Every error is reported together, grouped by file.
 */
export function loadEgressDefaults(dir?: string): EgressDefaults {
  const out: EgressDefaults = { canaries: [], ports: [], metadata: [], resolvers: [], queryName: "" };
  const loaded = dir === undefined ? { files: defaultRules().egress, errors: [] } : loadEgressRules(dir);
  // Each error with its file's label, so they can be grouped by file (a stable sort keeps the order
  // within one file: the catalog's checks, then the targets').
  const errors = loaded.errors.map((message) => ({ file: message.split(":")[0]!, message }));
  for (const d of loaded.files) {
    const where = d.label;
    for (const [i, t] of d.targets.entries()) {
      const at = `${where}: targets.${i}`;
      try {
        if (d.kind === "canaries") out.canaries.push(parseHostPort(t.target, at));
        else if (d.kind === "resolvers") out.resolvers.push(parseResolver(t.target, at));
        else out.metadata.push(parseMetadata(t.target, at, t.via));
      } catch (e) {
        errors.push({ file: where, message: e instanceof UsageError ? e.message : `${at}: invalid` });
      }
    }
    if (d.kind === "canaries" && d.ports) out.ports.push(...d.ports);
    if (d.kind === "resolvers") {
      if (!d.queryName)
        errors.push({ file: where, message: `${where}: queryName is required for kind resolvers` });
      else out.queryName = d.queryName;
    }
  }
  errors.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
  if (errors.length)
    throw new Error(
      `agent-audit: invalid default egress targets:\n  ${errors.map((e) => e.message).join("\n  ")}`,
    );
  out.ports = [...new Set(out.ports)];
  return out;
}
