import { isIP } from "node:net";
import type { StepId } from "../../contract/types.js";
import { matchesNoProxy, type ProxySpec } from "./proxy.js";
import { describeAnswer, proxyAnswer } from "./refusal.js";
import { type AllowedHost, formatHostPort, type HostPort, type MetadataTarget } from "./targets.js";
import { type ConnectError, dnsQuery, type Exchange, httpExchange, tcpConnect } from "./wire.js";

/** Which question a probe answers; it picks the finding and the verdict it feeds. */
export type ProbeGroup =
  | "canary" // direct TCP to a canary address on the canary's port
  | "port" // direct TCP to a canary address on a non-HTTP port
  | "http" // direct HTTP GET to a canary address
  | "resolver" // a DNS question straight to an outside resolver
  | "configured-resolver" // a DNS question to the resolver the sandbox is configured with
  | "metadata" // direct HTTP to a cloud metadata endpoint
  | "proxy-canary" // CONNECT / GET through the proxy to a canary
  | "proxy-ip-literal" // CONNECT through the proxy to an IP literal
  | "proxy-metadata" // GET through the proxy to a metadata endpoint (and its encoded forms)
  | "proxy-allowed" // CONNECT / GET through the proxy to an allowed host
  | "proxy-apex"; // the apex of a `*.` allowed host: reported, not scored

export type Expected = "blocked" | "open";

export interface ProbeRun {
  outcome: "open" | "blocked" | "error";
  detail: string;
  /** The proxy itself could not be reached (refused, timed out, name did not resolve). */
  proxyUnreachable?: boolean;
  /** The endpoint answered like something other than an HTTP proxy. */
  notAProxy?: boolean;
  latencyMs?: number;
}

export interface ProbeSpec {
  id: string;
  group: ProbeGroup;
  control: StepId;
  method: "tcp" | "http" | "dns" | "connect";
  via: "direct" | "proxy";
  /** host:port as probed ([v6]:port); for direct probes always an IP literal. */
  target: string;
  /** The name behind an address, when the user gave a name. */
  name?: string;
  /** What a well-configured sandbox shows; absent for informational probes. */
  expected?: Expected;
  /** The proxy's printable label (never userinfo). */
  proxy?: string;
  run: (timeoutMs: number) => Promise<ProbeRun>;
}

const UA = "agent-audit-probe";

/** A canary after name resolution: its addresses (at most one per family), or why it has none. */
export interface ResolvedCanary extends HostPort {
  addresses: string[];
  lookupError?: string;
}

export interface PlanInput {
  canaries: ResolvedCanary[];
  ports: number[];
  metadata: MetadataTarget[];
  resolvers: HostPort[];
  queryName: string;
  /** The sandbox's configured resolvers (from resolv.conf), asked for `configuredQuery`. */
  configuredResolvers: HostPort[];
  configuredQuery?: string;
  allowed: (AllowedHost & { addresses: string[] })[];
  /** Proxy for CONNECT probes and for plain-HTTP probes (the agent's https_proxy / http_proxy). */
  connectProxy?: ProxySpec;
  httpProxy?: ProxySpec;
  /** NO_PROXY, honoured only for proxies from the environment. */
  noProxy: string | null;
  /** The subdomain label used to probe a `*.` allowed host. */
  wildcardLabel: string;
}

/** Plain HTTP goes to the canary's own port, or to 80 when that port is 443 (TLS). */
export function httpPort(port: number): number {
  return port === 443 ? 80 : port;
}

function failureDetail(f: ConnectError): string {
  return f.code && f.reason !== "timeout" ? `${f.reason} (${f.code})` : f.reason;
}

/** Direct connect failures: refused, reset, dropped, unreachable are all "blocked"; the rest is ours. */
function directFailure(f: ConnectError): ProbeRun {
  const blocked = f.reason !== "dns" && f.reason !== "error";
  return { outcome: blocked ? "blocked" : "error", detail: failureDetail(f) };
}

function withName(run: ProbeRun, name: string | undefined): ProbeRun {
  return name ? { ...run, detail: `${run.detail} [${name}]` } : run;
}

function tcpProbe(address: string, port: number, name?: string) {
  return async (timeoutMs: number): Promise<ProbeRun> => {
    const r = await tcpConnect(address, port, timeoutMs);
    return withName(r.ok ? { outcome: "open", detail: "connected" } : directFailure(r), name);
  };
}

function hostHeader(host: string, port: number): string {
  const h = isIP(host) === 6 ? `[${host}]` : host;
  return port === 80 ? h : `${h}:${port}`;
}

/** Direct GET /: any HTTP answer from the destination means the path is open. */
function directHttpProbe(address: string, port: number, host: string, name?: string) {
  return async (timeoutMs: number): Promise<ProbeRun> => {
    const req = `GET / HTTP/1.1\r\nHost: ${hostHeader(host, port)}\r\nUser-Agent: ${UA}\r\nAccept: */*\r\nConnection: close\r\n\r\n`;
    const x = await httpExchange({ host: address, port }, req, timeoutMs);
    if (x.stage === "connect") return withName(directFailure(x.failure), name);
    if (x.stage === "no-response")
      return withName({ outcome: "open", detail: `connected; no HTTP response (${x.reason})` }, name);
    const a = proxyAnswer(x.response);
    // A transparent proxy on the path that refuses the request is a block, not an open path.
    if (a.proxy && (a.kind === "denied" || a.kind === "rejected"))
      return withName(
        { outcome: "blocked", detail: `intercepted: ${describeAnswer(x.response.status, a)}` },
        name,
      );
    return withName({ outcome: "open", detail: `http ${x.response.status}` }, name);
  };
}

function dnsProbe(server: HostPort, query: string, configured: boolean) {
  return async (timeoutMs: number): Promise<ProbeRun> => {
    const r = await dnsQuery(server, query, timeoutMs);
    if (!r.answered) {
      if (r.reason === "error")
        return { outcome: "error", detail: `dns-error${r.code ? ` (${r.code})` : ""}` };
      return { outcome: "blocked", detail: r.reason };
    }
    if (!configured) {
      // Any answer, even NXDOMAIN or REFUSED, means the question reached the resolver: a tunnel.
      return { outcome: "open", detail: `dns-answer ${r.rcode}` };
    }
    if (r.addresses > 0) return { outcome: "open", detail: `dns-answer ${r.rcode}: resolves ${query}` };
    // The sandbox's own resolver answered but would not resolve the outside name: a filtering resolver.
    return { outcome: "blocked", detail: `dns-${r.rcode.toLowerCase()}: does not resolve ${query}` };
  };
}

function proxyRequest(kind: "connect" | "http", authority: string, proxy: ProxySpec): string {
  const auth = proxy.authorization ? `Proxy-Authorization: ${proxy.authorization}\r\n` : "";
  if (kind === "connect")
    return `CONNECT ${authority} HTTP/1.1\r\nHost: ${authority}\r\n${auth}User-Agent: ${UA}\r\n\r\n`;
  const host = authority.endsWith(":80") ? authority.slice(0, -3) : authority;
  return `GET http://${host}/ HTTP/1.1\r\nHost: ${host}\r\n${auth}User-Agent: ${UA}\r\nAccept: */*\r\nConnection: close\r\n\r\n`;
}

/** Classifies the proxy's answer. For plain HTTP an unfingerprinted answer came from the destination. */
export function classifyProxyExchange(kind: "connect" | "http", x: Exchange): ProbeRun {
  if (x.stage === "connect") {
    return {
      outcome: "error",
      detail: `proxy-unreachable (${failureDetail(x.failure)})`,
      proxyUnreachable: true,
    };
  }
  if (x.stage === "no-response") {
    return {
      outcome: "error",
      detail: `proxy-no-response (${x.reason}): not an HTTP proxy?`,
      notAProxy: x.reason !== "timeout",
    };
  }
  const res = x.response;
  if (kind === "connect" && res.status >= 200 && res.status < 300)
    return { outcome: "open", detail: `tunnel (${res.status})` };
  const a = proxyAnswer(res);
  const text = describeAnswer(res.status, a);
  if (a.kind === "denied" || a.kind === "rejected") return { outcome: "blocked", detail: text };
  if (a.kind === "auth")
    return { outcome: "error", detail: `${text}: give the proxy credentials in the URL` };
  if (a.kind === "upstream")
    return {
      outcome: "error",
      detail: `${text}: the proxy let the request through but could not reach the destination`,
    };
  if (kind === "http") return { outcome: "open", detail: `http ${res.status}` };
  return { outcome: "error", detail: `${text}: not a forward proxy?`, notAProxy: true };
}

function proxyProbe(kind: "connect" | "http", authority: string, proxy: ProxySpec) {
  return async (timeoutMs: number): Promise<ProbeRun> => {
    if (proxy.scheme !== "http") {
      return { outcome: "error", detail: `proxy scheme ${proxy.scheme} is not probed by this version` };
    }
    const x = await httpExchange(proxy, proxyRequest(kind, authority, proxy), timeoutMs, kind === "connect");
    return classifyProxyExchange(kind, x);
  };
}

type AddProbe = (s: Omit<ProbeSpec, "id">) => void;

const DIRECT = "default-deny-egress" as const;
const VIA_PROXY = "egress-proxy" as const;

/** Builds every probe for the input, deduplicated by id, in a stable order. */
export function planProbes(p: PlanInput): ProbeSpec[] {
  const specs = new Map<string, ProbeSpec>();
  const add: AddProbe = (s) => {
    const id = `${s.group}:${s.method}:${s.via}:${s.target}`;
    if (!specs.has(id)) specs.set(id, { id, ...s });
  };
  // Direct: what the kernel lets out. Always to addresses, so the family (IPv4 / IPv6) is explicit.
  planCanaries(p, add);
  planPortsAndHttp(p, add);
  planResolvers(p, add);
  planDirectMetadata(p, add);
  // Through the proxy: what its policy lets through. By name, as the agent's clients send it.
  planThroughProxy(p, add);
  return [...specs.values()];
}

/** The name behind a canary's addresses, when the user gave a name rather than an IP literal. */
function canaryName(c: ResolvedCanary): string | undefined {
  return c.family ? undefined : c.host;
}

/** Direct TCP to each canary address on the canary's own port; an unresolved name is an error. */
function planCanaries(p: PlanInput, add: AddProbe): void {
  for (const c of p.canaries) {
    if (c.addresses.length === 0) {
      add(unresolvedCanary(c));
      continue;
    }
    const name = canaryName(c);
    for (const address of c.addresses) {
      add({
        group: "canary",
        control: DIRECT,
        method: "tcp",
        via: "direct",
        target: formatHostPort(address, c.port),
        name,
        expected: "blocked",
        run: tcpProbe(address, c.port, name),
      });
    }
  }
}

function unresolvedCanary(c: ResolvedCanary): Omit<ProbeSpec, "id"> {
  return {
    group: "canary",
    control: DIRECT,
    method: "tcp",
    via: "direct",
    target: formatHostPort(c.host, c.port),
    expected: "blocked",
    run: async () => ({
      outcome: "error",
      detail: `unresolved (${c.lookupError ?? "no address"}): ${c.host} does not resolve here; give an IP literal canary to probe direct TCP`,
    }),
  };
}

/** Direct TCP to the non-HTTP ports, then a direct HTTP GET, on every canary address. */
function planPortsAndHttp(p: PlanInput, add: AddProbe): void {
  for (const c of p.canaries) {
    const name = canaryName(c);
    for (const address of c.addresses) {
      for (const port of p.ports) {
        add({
          group: "port",
          control: DIRECT,
          method: "tcp",
          via: "direct",
          target: formatHostPort(address, port),
          name,
          expected: "blocked",
          run: tcpProbe(address, port, name),
        });
      }
      add({
        group: "http",
        control: DIRECT,
        method: "http",
        via: "direct",
        target: formatHostPort(address, httpPort(c.port)),
        name,
        expected: "blocked",
        run: directHttpProbe(address, httpPort(c.port), c.host, name),
      });
    }
  }
}

/** DNS questions straight to the outside resolvers, then to the sandbox's configured ones. */
function planResolvers(p: PlanInput, add: AddProbe): void {
  for (const r of p.resolvers) {
    add({
      group: "resolver",
      control: DIRECT,
      method: "dns",
      via: "direct",
      target: formatHostPort(r.host, r.port),
      expected: "blocked",
      run: dnsProbe(r, p.queryName, false),
    });
  }
  if (!p.configuredQuery) return;
  for (const r of p.configuredResolvers) {
    add({
      group: "configured-resolver",
      control: DIRECT,
      method: "dns",
      via: "direct",
      target: formatHostPort(r.host, r.port),
      name: p.configuredQuery,
      expected: "blocked",
      run: dnsProbe(r, p.configuredQuery, true),
    });
  }
}

/** Direct HTTP to the metadata endpoints that are IP literals. */
function planDirectMetadata(p: PlanInput, add: AddProbe): void {
  for (const m of p.metadata) {
    if (!m.direct || !m.family) continue; // names and encoded forms only mean something to a proxy
    add({
      group: "metadata",
      control: DIRECT,
      method: "http",
      via: "direct",
      target: formatHostPort(m.host, m.port),
      expected: "blocked",
      run: directHttpProbe(m.host, m.port, m.host),
    });
  }
}

type Through = (
  kind: "connect" | "http",
  group: ProbeGroup,
  host: string,
  port: number,
  expected: Expected | undefined,
) => void;

/** Adds one probe through the agent's proxy for `kind`, unless there is none or NO_PROXY skips it. */
function throughProxy(p: PlanInput, add: AddProbe): Through {
  const bypass = (host: string, port: number, proxy: ProxySpec) =>
    proxy.source !== "--proxy" && proxy.source !== "config" && matchesNoProxy(p.noProxy, host, port);
  return (kind, group, host, port, expected) => {
    const proxy = kind === "connect" ? p.connectProxy : p.httpProxy;
    if (!proxy || bypass(host, port, proxy)) return;
    const authority = formatHostPort(host, port);
    add({
      group,
      control: VIA_PROXY,
      method: kind,
      via: "proxy",
      target: authority,
      expected,
      proxy: proxy.label,
      run: proxyProbe(kind, authority, proxy),
    });
  };
}

/** Canaries, IP literals and metadata must be refused by the proxy; allowed hosts must pass. */
function planThroughProxy(p: PlanInput, add: AddProbe): void {
  const through = throughProxy(p, add);
  for (const c of p.canaries) {
    through("connect", "proxy-canary", c.host, c.port, "blocked");
    through("http", "proxy-canary", c.host, httpPort(c.port), "blocked");
  }
  planProxyIpLiterals(p, through);
  for (const m of p.metadata) {
    if (m.proxy) through("http", "proxy-metadata", m.host, m.port, "blocked");
  }
  planProxyAllowed(p, through);
}

/** CONNECT to the addresses behind canary names and allowed hosts: a policy by name must refuse them. */
function planProxyIpLiterals(p: PlanInput, through: Through): void {
  for (const c of p.canaries) {
    if (c.family) continue; // already an IP literal above
    for (const address of c.addresses) through("connect", "proxy-ip-literal", address, c.port, "blocked");
  }
  for (const a of p.allowed) {
    for (const address of a.addresses) through("connect", "proxy-ip-literal", address, a.port, "blocked");
  }
}

/** Allowed hosts (a `*.` host by a probe label) should pass; a wildcard's bare apex is reported only. */
function planProxyAllowed(p: PlanInput, through: Through): void {
  for (const a of p.allowed) {
    const host = a.wildcard ? `${p.wildcardLabel}.${a.host}` : a.host;
    through("connect", "proxy-allowed", host, a.port, "open");
    through("http", "proxy-allowed", host, a.explicitPort ? a.port : 80, "open");
    if (a.wildcard && !p.allowed.some((b) => !b.wildcard && b.host === a.host)) {
      through("connect", "proxy-apex", a.host, a.port, undefined);
    }
  }
}

/** Which proxy probes a NO_PROXY entry skipped (the agent's clients go direct for them). */
export function bypassedByNoProxy(p: PlanInput): string[] {
  const out: string[] = [];
  const fromEnv = [p.connectProxy, p.httpProxy].some(
    (x) => x && x.source !== "--proxy" && x.source !== "config",
  );
  if (!fromEnv) return out;
  for (const c of p.canaries)
    if (matchesNoProxy(p.noProxy, c.host, c.port)) out.push(formatHostPort(c.host, c.port));
  for (const a of p.allowed)
    if (matchesNoProxy(p.noProxy, a.host, a.port)) out.push(formatHostPort(a.host, a.port));
  return [...new Set(out)];
}
