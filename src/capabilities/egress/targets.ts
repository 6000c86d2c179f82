import { readdirSync, readFileSync } from "node:fs";
import { isIP } from "node:net";
import { basename, join } from "node:path";
import { stripUserinfo } from "../../detect/redact.js";
import { UsageError } from "../../util/errors.js";
import { yaml, zod } from "../../util/lazy.js";
import { rulesDir } from "../../util/paths.js";

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

/** The schema of one rules/egress file, built on first use (zod loads lazily). */
function buildFileSchema() {
  const { z } = zod();
  const entry = z.strictObject({
    target: z.string().min(1),
    note: z.string().min(1),
    source: z.string().min(1),
    /** Metadata only: where this form is probed (encoded forms only mean something to a proxy). */
    via: z
      .array(z.enum(["direct", "proxy"]))
      .min(1)
      .optional(),
  });

  return z.strictObject({
    id: z.string().regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, "must be kebab-case"),
    kind: z.enum(["canaries", "metadata", "resolvers"]),
    description: z.string().min(1),
    /** resolvers only: the name asked of each outside resolver. */
    queryName: z.string().optional(),
    /** canaries only: extra ports probed on every canary address (non-HTTP egress). */
    ports: z.array(z.number().int().min(1).max(65535)).optional(),
    targets: z.array(entry).min(1),
  });
}

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

/** Loads rules/egress/*.yaml (or another folder, for tests). Every error is reported together. */
export function loadEgressDefaults(dir = join(rulesDir(), "egress")): EgressDefaults {
  const out: EgressDefaults = { canaries: [], ports: [], metadata: [], resolvers: [], queryName: "" };
  const errors: string[] = [];
  let files: string[];
  try {
    files = readdirSync(dir)
      .filter((f) => f.endsWith(".yaml"))
      .sort();
  } catch {
    throw new Error(`agent-audit: cannot read the default egress targets in ${dir}`);
  }
  const fileSchema = buildFileSchema();
  for (const file of files) {
    const where = `rules/egress/${file}`;
    let data: unknown;
    try {
      data = yaml().parse(readFileSync(join(dir, file), "utf8"));
    } catch {
      errors.push(`${where}: not valid YAML`);
      continue;
    }
    const parsed = fileSchema.safeParse(data);
    if (!parsed.success) {
      for (const issue of parsed.error.issues)
        errors.push(`${where}: ${issue.path.join(".")}: ${issue.message}`);
      continue;
    }
    const d = parsed.data;
    if (d.id !== basename(file, ".yaml")) errors.push(`${where}: id "${d.id}" does not match the file name`);
    for (const [i, t] of d.targets.entries()) {
      const at = `${where}: targets.${i}`;
      try {
        if (d.kind === "canaries") out.canaries.push(parseHostPort(t.target, at));
        else if (d.kind === "resolvers") out.resolvers.push(parseResolver(t.target, at));
        else out.metadata.push(parseMetadata(t.target, at, t.via));
      } catch (e) {
        errors.push(e instanceof UsageError ? e.message : `${at}: invalid`);
      }
    }
    if (d.kind === "canaries" && d.ports) out.ports.push(...d.ports);
    if (d.kind === "resolvers") {
      if (!d.queryName) errors.push(`${where}: queryName is required for kind resolvers`);
      else out.queryName = d.queryName;
    }
  }
  if (errors.length)
    throw new Error(`agent-audit: invalid default egress targets:\n  ${errors.join("\n  ")}`);
  out.ports = [...new Set(out.ports)];
  return out;
}
