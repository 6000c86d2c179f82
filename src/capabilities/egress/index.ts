import { Resolver } from "node:dns";
import { lookup as dnsLookup } from "node:dns/promises";
import { isIP } from "node:net";
import type { ExtraResults, Probe, ScanIssue } from "../../contract/types.js";
import { type CommandRunner, collectFirewall, execRunner, type FirewallEvidence } from "./firewall.js";
import { bypassedByNoProxy, type PlanInput, planProbes, type ResolvedCanary } from "./plan.js";
import { runPool, withTimeout } from "./pool.js";
import { type AgentProxies, parseProxyFlag, resolveProxies } from "./proxy.js";
import {
  type EgressDefaults,
  type HostPort,
  loadEgressDefaults,
  type MetadataTarget,
  parseAllowedHost,
  parseHostPort,
  parseMetadata,
  parseResolver,
} from "./targets.js";
import { type ProbeResult, verdict } from "./verdict.js";

export interface EgressOptions {
  /**
   * host:port targets that must be unreachable ([v6]:port for IPv6). Given ones replace the defaults in
   * rules/egress/; the word `defaults` stands for them. Empty = the defaults (unless useDefaults is false).
   */
  canaries: string[];
  /** Hosts the agent legitimately needs (NAME, NAME:PORT or *.NAME); they should work through the proxy. */
  allowedHosts: string[];
  /** Proxy URL; undefined = from the agent's environment (HTTPS_PROXY, HTTP_PROXY, ALL_PROXY, NO_PROXY). */
  proxy?: string;
  /** Where `proxy` came from, for messages: "--proxy" (default) or "config". */
  proxySource?: "--proxy" | "config";
  timeoutMs: number;
  /** The agent's environment (for proxy variables). */
  env: Record<string, string>;
  /** Prefix for system state; firewall evidence is read only when it is "/" (this network namespace). */
  systemRoot: string;
  /** Outside DNS resolvers (IP or IP:port); replace the defaults like `canaries`. */
  dnsResolvers?: string[];
  /** Metadata endpoints (host:port); replace the defaults like `canaries`. */
  metadata?: string[];
  /** Extra ports probed on every canary address (default: rules/egress, 22, 25 and 53); [] for none. */
  ports?: number[];
  /** false: no default target of any kind is used (only what is given). Default true. */
  useDefaults?: boolean;
  /** false: do not run nft / iptables-save / ip6tables-save. Default true. */
  firewallEvidence?: boolean;
  /** Probes in flight at once (default 64). */
  concurrency?: number;
  /** Total time budget in ms (default 2 × timeoutMs + 1000). */
  budgetMs?: number;
  /** Replaceable world, for tests. */
  deps?: Partial<EgressDeps>;
}

export interface EgressDeps {
  lookup: (host: string) => Promise<{ address: string; family: number }[]>;
  /** The resolvers this sandbox is configured with (resolv.conf), as c-ares reports them. */
  configuredResolvers: () => string[];
  runCommand: CommandRunner;
  defaults: () => EgressDefaults;
}

const DEFAULT_DEPS: EgressDeps = {
  lookup: (host) => dnsLookup(host, { all: true, verbatim: true }),
  configuredResolvers: () => new Resolver().getServers(),
  runCommand: execRunner,
  defaults: () => loadEgressDefaults(),
};

/** The label used to probe a `*.example.com` allowed host: agent-audit-probe.example.com. */
export const WILDCARD_LABEL = "agent-audit-probe";

/** Env markers of known sandboxes (shared/research/egress-approval.md §0): context, never secrets. */
const SANDBOX_MARKERS = [
  "SANDBOX_RUNTIME",
  "CODEX_SANDBOX",
  "CODEX_SANDBOX_NETWORK_DISABLED",
  "CLAUDECODE",
  "CLAUDE_CODE_CHILD_SESSION",
];

function expand<T>(
  given: string[] | undefined,
  defaults: T[],
  useDefaults: boolean,
  parse: (s: string) => T,
): T[] {
  if (!given || given.length === 0) return useDefaults ? defaults : [];
  const out: T[] = [];
  for (const g of given) {
    if (g.trim() === "defaults") out.push(...defaults);
    else out.push(parse(g));
  }
  return out;
}

async function resolveName(
  lookup: EgressDeps["lookup"],
  host: string,
  timeoutMs: number,
): Promise<{ addresses: string[]; error?: string }> {
  try {
    const all = await withTimeout<{ address: string; family: number }[] | "timeout">(
      lookup(host),
      timeoutMs,
      () => "timeout",
    );
    if (all === "timeout") return { addresses: [], error: "timeout" };
    const v4 = all.find((a) => a.family === 4 || isIP(a.address) === 4);
    const v6 = all.find((a) => a.family === 6 || isIP(a.address) === 6);
    const addresses = [v4?.address, v6?.address].filter((a): a is string => Boolean(a));
    return addresses.length ? { addresses } : { addresses: [], error: "no address" };
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    return {
      addresses: [],
      error: typeof code === "string" && /^E[A-Z_]+$/.test(code) ? code : "lookup failed",
    };
  }
}

function proxyContext(p: AgentProxies) {
  return {
    connect: p.connect?.label ?? null,
    http: p.http?.label ?? null,
    source: [...new Set([p.connect?.source, p.http?.source].filter(Boolean))].join(", ") || null,
    noProxy: p.noProxy,
  };
}

/** Probes egress from this network context and scores steps 2 and 3. */
export async function runEgress(opts: EgressOptions): Promise<ExtraResults> {
  const started = Date.now();
  const deps: EgressDeps = { ...DEFAULT_DEPS, ...opts.deps };
  const useDefaults = opts.useDefaults !== false;
  const timeoutMs = opts.timeoutMs;
  const budgetMs = opts.budgetMs ?? timeoutMs * 2 + 1000;
  const issues: ScanIssue[] = [];

  // Parse every input first: a bad value is a usage error before anything is sent.
  const needDefaults =
    useDefaults ||
    [opts.canaries, opts.dnsResolvers, opts.metadata].some((l) => l?.some((g) => g.trim() === "defaults"));
  const defaults: EgressDefaults = needDefaults
    ? deps.defaults()
    : { canaries: [], ports: [], metadata: [], resolvers: [], queryName: "" };
  const canaries = expand(opts.canaries, defaults.canaries, useDefaults, (s) => parseHostPort(s, "--canary"));
  const resolvers = expand(opts.dnsResolvers, defaults.resolvers, useDefaults, (s) => parseResolver(s));
  const metadata: MetadataTarget[] = expand(opts.metadata, defaults.metadata, useDefaults, (s) =>
    parseMetadata(s),
  );
  const allowed = opts.allowedHosts.map((s) => parseAllowedHost(s));
  // The non-HTTP ports are probed on every canary address, defaults or not.
  const ports = opts.ports ?? (defaults.ports.length ? defaults.ports : [22, 25, 53]);
  const queryName = defaults.queryName || canaries.find((c) => !c.family)?.host || "example.com";
  const explicit =
    opts.proxy !== undefined ? parseProxyFlag(opts.proxy, opts.proxySource ?? "--proxy") : undefined;
  if (explicit && opts.proxySource === "config") explicit.source = "config";
  const proxies = resolveProxies(opts.env, explicit);
  for (const problem of proxies.problems) issues.push({ where: "egress", message: problem });
  const proxyConfigured = Boolean(proxies.connect || proxies.http);

  // Names: canaries need addresses for the direct probes; allowed hosts for the IP-literal probe.
  const lookupMs = Math.min(timeoutMs, budgetMs / 2);
  const resolvedCanaries: ResolvedCanary[] = await Promise.all(
    canaries.map(async (c) => {
      if (c.family) return { ...c, addresses: [c.host] };
      const r = await resolveName(deps.lookup, c.host, lookupMs);
      return { ...c, addresses: r.addresses, lookupError: r.error };
    }),
  );
  const resolvedAllowed = await Promise.all(
    allowed.map(async (a) => {
      if (a.family || a.wildcard || !proxyConfigured) return { ...a, addresses: [] as string[] };
      const r = await resolveName(deps.lookup, a.host, lookupMs);
      return { ...a, addresses: r.addresses };
    }),
  );

  const configuredQuery = canaries.find((c) => !c.family)?.host;
  const configuredResolvers: HostPort[] = [];
  if (configuredQuery) {
    for (const s of deps.configuredResolvers()) {
      try {
        configuredResolvers.push(parseResolver(s, "resolv.conf"));
      } catch {
        issues.push({ where: "egress", message: "a configured resolver could not be parsed; not probed" });
      }
    }
  } else if (canaries.length) {
    issues.push({
      where: "egress",
      message: "the configured resolver was not probed: no canary is a host name to ask it for",
    });
  }

  const plan: PlanInput = {
    canaries: resolvedCanaries,
    ports,
    metadata,
    resolvers,
    queryName,
    configuredResolvers,
    configuredQuery,
    allowed: resolvedAllowed,
    connectProxy: proxies.connect,
    httpProxy: proxies.http,
    noProxy: proxies.noProxy,
    wildcardLabel: WILDCARD_LABEL,
  };
  const specs = planProbes(plan);
  const bypassed = bypassedByNoProxy(plan);
  if (bypassed.length) {
    issues.push({
      where: "egress",
      message: `NO_PROXY sends ${bypassed.join(", ")} around the proxy: the agent's clients connect directly (covered by the direct probes only)`,
    });
  }
  const hostOf = (target: string) => target.replace(/:\d+$/, "").replace(/^\[(.*)\]$/, "$1");
  if (
    proxyConfigured &&
    !specs.some((s) => s.via === "proxy" && s.expected === "blocked" && isIP(hostOf(s.target)))
  ) {
    issues.push({
      where: "egress",
      message: "no IP-literal destination was probed through the proxy: give an IP-literal --canary",
    });
  }

  const firewallRun =
    opts.firewallEvidence === false
      ? Promise.resolve<FirewallEvidence | { collected: false; reason: string }>({
          collected: false,
          reason: "disabled (--no-firewall-evidence)",
        })
      : opts.systemRoot !== "/"
        ? Promise.resolve({ collected: false as const, reason: "not read: --system-root is not /" })
        : collectFirewall(deps.runCommand, Math.min(timeoutMs, 2000));

  const left = Math.max(0, budgetMs - (Date.now() - started));
  const runs = await runPool(
    specs.map((s) => async (t: number) => {
      const t0 = Date.now();
      const run = await s.run(t);
      const latencyMs = Date.now() - t0;
      // A timeout within a slice cut short by the budget proves nothing: fail closed.
      if (t < timeoutMs && run.outcome === "blocked" && run.detail.startsWith("timeout")) {
        return {
          outcome: "error" as const,
          detail: `timeout after ${t}ms, cut short by the total time budget of ${budgetMs}ms`,
          latencyMs,
        };
      }
      return { ...run, latencyMs };
    }),
    {
      concurrency: opts.concurrency ?? 64,
      timeoutMs,
      budgetMs: left,
      onSkip: () => ({
        outcome: "error" as const,
        detail: `not run: the total time budget of ${budgetMs}ms ran out`,
        latencyMs: 0,
      }),
    },
  );
  const firewall = await firewallRun;
  const results: ProbeResult[] = specs.map((spec, i) => ({ spec, run: runs[i]! }));

  if (
    results.some((r) => r.run.notAProxy) &&
    !results.some((r) => r.spec.via === "proxy" && r.run.outcome !== "error")
  ) {
    issues.push({
      where: "egress",
      message: "the proxy endpoint does not behave like an HTTP forward proxy",
    });
  }
  const v = verdict({
    results,
    proxyConfigured,
    firewall: "tools" in firewall ? firewall : undefined,
  });
  const probes: (Probe & { expected?: "blocked" | "open" })[] = results.map((r) => {
    const probe: Probe & { expected?: "blocked" | "open" } = {
      id: r.spec.id,
      control: r.spec.control,
      method: r.spec.method,
      via: r.spec.via,
      target: r.spec.target,
      outcome: r.run.outcome,
      detail: r.spec.proxy ? `${r.run.detail} via ${r.spec.proxy}` : r.run.detail,
      latencyMs: r.run.latencyMs ?? 0,
    };
    if (r.spec.expected) probe.expected = r.spec.expected;
    return probe;
  });
  // Which proxy answered, by its refusal fingerprint (squid, srt, smokescreen), when one did.
  const recognised = [
    ...new Set(
      results.flatMap((r) => /^proxy-[a-z-]+:(squid|srt|smokescreen) /.exec(r.run.detail)?.[1] ?? []),
    ),
  ].sort();
  const markers = SANDBOX_MARKERS.filter((n) => opts.env[n] !== undefined).map((n) =>
    /^[\w.-]{0,16}$/.test(opts.env[n]!) ? `${n}=${opts.env[n]}` : n,
  );
  return {
    probed: true,
    posture: v.posture,
    probes,
    findings: v.findings,
    checklist: v.checklist,
    issues,
    egress: {
      proxy: { ...proxyContext(proxies), recognised },
      firewall,
      sandboxMarkers: markers,
      timeoutMs,
      budgetMs,
    },
  };
}
