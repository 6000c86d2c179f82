import { BlockList, isIP } from "node:net";
import { stripUserinfo } from "../../detect/redact.js";
import { UsageError } from "../../util/errors.js";
import { formatHostPort } from "./targets.js";

/** A proxy to probe through. `label` is the only form ever printed: it never holds userinfo. */
export interface ProxySpec {
  scheme: "http" | "https" | "socks4" | "socks4a" | "socks5" | "socks5h";
  host: string;
  port: number;
  /** `scheme://host:port`, without userinfo, path or query. */
  label: string;
  /** Where it came from: `--proxy`, `config`, or the environment variable's name. */
  source: string;
  /**
   * `Basic …` from the URL's userinfo, sent to the proxy itself only (as the agent's own clients do),
   * never to a destination and never printed.
   */
  authorization?: string;
}

const SCHEMES = new Set(["http", "https", "socks4", "socks4a", "socks5", "socks5h"]);

/**
 * Parses a proxy URL as curl and the agents' HTTP clients read HTTP(S)_PROXY: a scheme-less value means
 * http://, and a missing port is the scheme's default (80 / 443 / 1080). Returns a reason on failure;
 * the reason never quotes the URL (it may carry a password).
 */
export function parseProxyUrl(raw: string, source: string): ProxySpec | { error: string } {
  const text = raw.trim();
  if (text === "") return { error: "empty" };
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `http://${text}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    return { error: "not a URL" };
  }
  const scheme = url.protocol.slice(0, -1).toLowerCase();
  if (!SCHEMES.has(scheme)) return { error: `unsupported scheme "${scheme}"` };
  let host = url.hostname;
  if (host.startsWith("[") && host.endsWith("]")) host = host.slice(1, -1);
  if (host === "") return { error: "no host" };
  const port = url.port ? Number(url.port) : scheme === "http" ? 80 : scheme === "https" ? 443 : 1080;
  const spec: ProxySpec = {
    scheme: scheme as ProxySpec["scheme"],
    host,
    port,
    label: `${scheme}://${formatHostPort(host, port)}`,
    source,
  };
  if (url.username || url.password) {
    const user = decodeURIComponent(url.username);
    const pass = decodeURIComponent(url.password);
    spec.authorization = `Basic ${Buffer.from(`${user}:${pass}`, "utf8").toString("base64")}`;
  }
  return spec;
}

/** For `--proxy`: a bad value is a usage error, printed without its userinfo. */
export function parseProxyFlag(raw: string, source = "--proxy"): ProxySpec {
  const p = parseProxyUrl(raw, source);
  if ("error" in p) {
    throw new UsageError(
      `${source} ${stripUserinfo(raw)}: ${p.error}`,
      "give a proxy URL such as http://proxy.internal:3128",
    );
  }
  return p;
}

/** First set value among the names, lowercase before uppercase (curl's order). */
function pick(env: Record<string, string>, names: string[]): { name: string; value: string } | undefined {
  for (const name of names) {
    const value = env[name];
    if (value !== undefined && value.trim() !== "") return { name, value };
  }
  return undefined;
}

export interface AgentProxies {
  /** Used for CONNECT probes (the agent's https:// traffic). */
  connect?: ProxySpec;
  /** Used for plain-HTTP probes (the agent's http:// traffic). */
  http?: ProxySpec;
  /** NO_PROXY as set (null when unset); honoured only for proxies taken from the environment. */
  noProxy: string | null;
  /** Problems with proxy variables (unparsable values), without the values. */
  problems: string[];
}

/**
 * The proxies the agent's own clients would use: `--proxy` for everything when given, otherwise
 * https_proxy/HTTPS_PROXY for https, http_proxy/HTTP_PROXY for http, all_proxy/ALL_PROXY as the fallback
 * (curl's variables, also read by Node, Python requests and Go's net/http).
 */
export function resolveProxies(env: Record<string, string>, explicit?: ProxySpec): AgentProxies {
  if (explicit) return { connect: explicit, http: explicit, noProxy: null, problems: [] };
  const problems: string[] = [];
  const load = (names: string[]): ProxySpec | undefined => {
    const v = pick(env, names);
    if (!v) return undefined;
    const p = parseProxyUrl(v.value, v.name);
    if ("error" in p) {
      problems.push(`${v.name} is set but unusable (${p.error})`);
      return undefined;
    }
    return p;
  };
  const all = ["all_proxy", "ALL_PROXY"];
  const noProxy = pick(env, ["no_proxy", "NO_PROXY"]);
  return {
    connect: load(["https_proxy", "HTTPS_PROXY", ...all]),
    http: load(["http_proxy", "HTTP_PROXY", ...all]),
    noProxy: noProxy ? noProxy.value : null,
    problems,
  };
}

/**
 * Whether NO_PROXY sends `host:port` around the proxy. Entries are comma-separated: `*`; a domain
 * (`example.com` or `.example.com`, matching the name and its subdomains, as curl and Go do); an IP;
 * a CIDR block (curl 7.86+, Go); each optionally with `:port`.
 */
export function matchesNoProxy(noProxy: string | null, host: string, port: number): boolean {
  if (!noProxy) return false;
  const h = host.toLowerCase().replace(/\.$/, "");
  const family = isIP(h);
  for (const raw of noProxy.split(/[,\s]+/)) {
    let entry = raw.trim().toLowerCase();
    if (entry === "") continue;
    if (entry === "*") return true;
    let entryPort: number | undefined;
    const bracket = /^\[([^\]]+)\](?::(\d+))?$/.exec(entry);
    if (bracket) {
      entry = bracket[1]!;
      entryPort = bracket[2] ? Number(bracket[2]) : undefined;
    } else if (entry.split(":").length === 2) {
      const [e, p] = entry.split(":");
      entry = e!;
      entryPort = Number(p);
    }
    if (entryPort !== undefined && entryPort !== port) continue;
    const slash = entry.indexOf("/");
    if (slash > 0 && family) {
      const base = entry.slice(0, slash);
      const bits = Number(entry.slice(slash + 1));
      const bf = isIP(base);
      if (bf === family && Number.isInteger(bits)) {
        const list = new BlockList();
        try {
          list.addSubnet(base, bits, bf === 6 ? "ipv6" : "ipv4");
          if (list.check(h, family === 6 ? "ipv6" : "ipv4")) return true;
        } catch {
          // An invalid prefix length: the entry matches nothing, as in curl.
        }
      }
      continue;
    }
    if (isIP(entry) || family) {
      if (entry === h) return true;
      continue;
    }
    const domain = entry.replace(/^\*?\./, "");
    if (h === domain || h.endsWith(`.${domain}`)) return true;
  }
  return false;
}
