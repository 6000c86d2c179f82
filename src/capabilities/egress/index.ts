import { Resolver } from "node:dns";
import { lookup as dnsLookup } from "node:dns/promises";
import { isIP } from "node:net";
import type { ExtraResults, Probe, ScanIssue } from "../../contract/types.js";
import { type CommandRunner, collectFirewall, execRunner, type FirewallEvidence } from "./firewall.js";
import {
  bypassedByNoProxy,
  type PlanInput,
  type ProbeRun,
  type ProbeSpec,
  planProbes,
  type ResolvedCanary,
} from "./plan.js";
import { runPool, withTimeout } from "./pool.js";
import { type AgentProxies, parseProxyFlag, resolveProxies } from "./proxy.js";
import {
  type AllowedHost,
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

/** Every input parsed and expanded: what will be probed, and through which proxies. */
interface EgressTargets {
  canaries: HostPort[];
  resolvers: HostPort[];
  metadata: MetadataTarget[];
  allowed: AllowedHost[];
  ports: number[];
  queryName: string;
  proxies: AgentProxies;
  proxyConfigured: boolean;
}

/** The time limits of one run: per probe, and in total from `started`. */
interface EgressClock {
  started: number;
  timeoutMs: number;
  budgetMs: number;
}

type FirewallResult = FirewallEvidence | { collected: false; reason: string };
type ReportedProbe = Probe & { expected?: "blocked" | "open" };

/** Probes egress from this network context and scores steps 2 and 3. */
export async function runEgress(opts: EgressOptions): Promise<ExtraResults> {
  const started = Date.now();
  const deps: EgressDeps = { ...DEFAULT_DEPS, ...opts.deps };
  const timeoutMs = opts.timeoutMs;
  const clock: EgressClock = { started, timeoutMs, budgetMs: opts.budgetMs ?? timeoutMs * 2 + 1000 };
  const issues: ScanIssue[] = [];

  // Parse every input first: a bad value is a usage error before anything is sent.
  const t = parseTargets(opts, deps, issues);
  const plan = await resolvePlan(t, deps, clock, issues);
  const specs = planProbes(plan);
  reportPlanGaps(plan, specs, t.proxyConfigured, issues);

  const firewallRun = startFirewallEvidence(opts, deps, timeoutMs);
  const runs = await runProbes(specs, opts.concurrency ?? 64, clock);
  const firewall = await firewallRun;
  const results: ProbeResult[] = specs.map((spec, i) => ({ spec, run: runs[i]! }));

  reportNotAProxy(results, issues);
  const v = verdict({
    results,
    proxyConfigured: t.proxyConfigured,
    firewall: "tools" in firewall ? firewall : undefined,
  });
  return {
    probed: true,
    posture: v.posture,
    probes: results.map(toProbe),
    findings: v.findings,
    checklist: v.checklist,
    issues,
    egress: {
      proxy: { ...proxyContext(t.proxies), recognised: recognisedProxies(results) },
      firewall,
      sandboxMarkers: sandboxMarkers(opts.env),
      timeoutMs,
      budgetMs: clock.budgetMs,
    },
  };
}

/** Parses and expands every target and the proxy; the proxy's problems become issues. */
function parseTargets(opts: EgressOptions, deps: EgressDeps, issues: ScanIssue[]): EgressTargets {
  const useDefaults = opts.useDefaults !== false;
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
  const proxies = agentProxies(opts);
  for (const problem of proxies.problems) issues.push({ where: "egress", message: problem });
  const proxyConfigured = Boolean(proxies.connect || proxies.http);
  return { canaries, resolvers, metadata, allowed, ports, queryName, proxies, proxyConfigured };
}

/** The proxy given (--proxy or config) or, without one, the agent's environment's. */
function agentProxies(opts: EgressOptions): AgentProxies {
  const explicit =
    opts.proxy !== undefined ? parseProxyFlag(opts.proxy, opts.proxySource ?? "--proxy") : undefined;
  if (explicit && opts.proxySource === "config") explicit.source = "config";
  return resolveProxies(opts.env, explicit);
}

/** Resolves the names the probes need and reads the configured resolvers: the planner's input. */
async function resolvePlan(
  t: EgressTargets,
  deps: EgressDeps,
  clock: EgressClock,
  issues: ScanIssue[],
): Promise<PlanInput> {
  // Names: canaries need addresses for the direct probes; allowed hosts for the IP-literal probe.
  const lookupMs = Math.min(clock.timeoutMs, clock.budgetMs / 2);
  const resolvedCanaries: ResolvedCanary[] = await Promise.all(
    t.canaries.map(async (c) => {
      if (c.family) return { ...c, addresses: [c.host] };
      const r = await resolveName(deps.lookup, c.host, lookupMs);
      return { ...c, addresses: r.addresses, lookupError: r.error };
    }),
  );
  const resolvedAllowed = await Promise.all(
    t.allowed.map(async (a) => {
      if (a.family || a.wildcard || !t.proxyConfigured) return { ...a, addresses: [] as string[] };
      const r = await resolveName(deps.lookup, a.host, lookupMs);
      return { ...a, addresses: r.addresses };
    }),
  );
  const configuredQuery = t.canaries.find((c) => !c.family)?.host;
  return {
    canaries: resolvedCanaries,
    ports: t.ports,
    metadata: t.metadata,
    resolvers: t.resolvers,
    queryName: t.queryName,
    configuredResolvers: configuredResolvers(t.canaries, configuredQuery, deps, issues),
    configuredQuery,
    allowed: resolvedAllowed,
    connectProxy: t.proxies.connect,
    httpProxy: t.proxies.http,
    noProxy: t.proxies.noProxy,
    wildcardLabel: WILDCARD_LABEL,
  };
}

/** The sandbox's own resolvers, asked for a canary's name; none when no canary is a name. */
function configuredResolvers(
  canaries: HostPort[],
  configuredQuery: string | undefined,
  deps: EgressDeps,
  issues: ScanIssue[],
): HostPort[] {
  const out: HostPort[] = [];
  if (configuredQuery) {
    for (const s of deps.configuredResolvers()) {
      try {
        out.push(parseResolver(s, "resolv.conf"));
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
  return out;
}

/** What the plan cannot cover: destinations NO_PROXY sends around the proxy, no IP literal via it. */
function reportPlanGaps(plan: PlanInput, specs: ProbeSpec[], proxyConfigured: boolean, issues: ScanIssue[]) {
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
}

/** Starts reading the firewall rules (only for this network namespace, and unless disabled). */
function startFirewallEvidence(
  opts: EgressOptions,
  deps: EgressDeps,
  timeoutMs: number,
): Promise<FirewallResult> {
  if (opts.firewallEvidence === false)
    return Promise.resolve({ collected: false, reason: "disabled (--no-firewall-evidence)" });
  if (opts.systemRoot !== "/")
    return Promise.resolve({ collected: false, reason: "not read: --system-root is not /" });
  return collectFirewall(deps.runCommand, Math.min(timeoutMs, 2000));
}

/** Runs every probe within the time left of the budget; what the budget cuts short is an error. */
function runProbes(specs: ProbeSpec[], concurrency: number, clock: EgressClock): Promise<ProbeRun[]> {
  const { timeoutMs, budgetMs } = clock;
  const left = Math.max(0, budgetMs - (Date.now() - clock.started));
  return runPool(
    specs.map((s) => (t: number) => timedRun(s, t, clock)),
    {
      concurrency,
      timeoutMs,
      budgetMs: left,
      onSkip: () => ({
        outcome: "error" as const,
        detail: `not run: the total time budget of ${budgetMs}ms ran out`,
        latencyMs: 0,
      }),
    },
  );
}

async function timedRun(s: ProbeSpec, t: number, clock: EgressClock): Promise<ProbeRun> {
  const t0 = Date.now();
  const run = await s.run(t);
  const latencyMs = Date.now() - t0;
  // A timeout within a slice cut short by the budget proves nothing: fail closed.
  if (t < clock.timeoutMs && run.outcome === "blocked" && run.detail.startsWith("timeout")) {
    return {
      outcome: "error" as const,
      detail: `timeout after ${t}ms, cut short by the total time budget of ${clock.budgetMs}ms`,
      latencyMs,
    };
  }
  return { ...run, latencyMs };
}

/** Something answered at the proxy's address, but never like a forward proxy. */
function reportNotAProxy(results: ProbeResult[], issues: ScanIssue[]): void {
  if (
    results.some((r) => r.run.notAProxy) &&
    !results.some((r) => r.spec.via === "proxy" && r.run.outcome !== "error")
  ) {
    issues.push({
      where: "egress",
      message: "the proxy endpoint does not behave like an HTTP forward proxy",
    });
  }
}

function toProbe(r: ProbeResult): ReportedProbe {
  const probe: ReportedProbe = {
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
}

/** Which proxy answered, by its refusal fingerprint (squid, srt, smokescreen), when one did. */
function recognisedProxies(results: ProbeResult[]): string[] {
  return [
    ...new Set(
      results.flatMap((r) => /^proxy-[a-z-]+:(squid|srt|smokescreen) /.exec(r.run.detail)?.[1] ?? []),
    ),
  ].sort();
}

/** The known sandboxes' markers that are set; a value only when it is short and plain. */
function sandboxMarkers(env: Record<string, string>): string[] {
  return SANDBOX_MARKERS.filter((n) => env[n] !== undefined).map((n) =>
    /^[\w.-]{0,16}$/.test(env[n]!) ? `${n}=${env[n]}` : n,
  );
}
