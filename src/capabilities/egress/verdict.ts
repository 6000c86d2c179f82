import { makeFinding } from "../../contract/finding.js";
import type {
  ChecklistItem,
  EgressPosture,
  ExtraResults,
  Finding,
  Severity,
  StepId,
} from "../../contract/types.js";
import type { FirewallEvidence } from "./firewall.js";
import type { ProbeGroup, ProbeRun, ProbeSpec } from "./plan.js";

export interface ProbeResult {
  spec: ProbeSpec;
  run: ProbeRun;
}

type StepVerdict = Omit<ChecklistItem, "step" | "id">;

const DIRECT: ReadonlySet<ProbeGroup> = new Set([
  "canary",
  "port",
  "http",
  "resolver",
  "configured-resolver",
  "metadata",
]);

export function isDirect(r: ProbeResult): boolean {
  return DIRECT.has(r.spec.group);
}

/** A scored probe whose outcome is not what a well-configured sandbox shows (error excluded). */
function wrong(r: ProbeResult): boolean {
  return r.spec.expected !== undefined && r.run.outcome !== "error" && r.run.outcome !== r.spec.expected;
}

function isV6(target: string): boolean {
  return target.startsWith("[") && !target.startsWith("[::ffff:");
}

const DROP_RULE =
  "make the sandbox's output policy drop and allow only loopback, established traffic and the proxy, e.g. nftables " +
  '`table inet agent { chain output { type filter hook output priority 0; policy drop; oif "lo" accept; ' +
  "ct state established,related accept; ip daddr <proxy-ip> tcp dport <proxy-port> accept } }`";

interface Rule {
  ruleId: string;
  control: StepId;
  severity: Severity;
  title: (r: ProbeResult) => string;
  remediation: (r: ProbeResult) => string;
}

const of = (r: ProbeResult) => (r.spec.name ? `${r.spec.target} (${r.spec.name})` : r.spec.target);
const port = (target: string) => target.slice(target.lastIndexOf(":") + 1);

/** One finding rule per kind of open path; the remediation says which rule to add, and where. */
const RULES: Partial<Record<ProbeGroup, Rule>> = {
  canary: {
    ruleId: "egress-direct-tcp-open",
    control: "default-deny-egress",
    severity: "high",
    title: (r) =>
      `Direct ${isV6(r.spec.target) ? "IPv6" : "IPv4"} TCP to ${of(r)} connects: traffic leaves without the proxy`,
    remediation: (r) =>
      isV6(r.spec.target)
        ? `Filter IPv6 too: ${DROP_RULE}; the inet family covers both IPv4 and IPv6 (an ip-only table or iptables without ip6tables leaves IPv6 open).`
        : `Default-deny egress: ${DROP_RULE}.`,
  },
  port: {
    ruleId: "egress-direct-port-open",
    control: "default-deny-egress",
    severity: "high",
    title: (r) => `Direct TCP to ${of(r)} connects: port ${port(r.spec.target)} is a non-HTTP channel out`,
    remediation: () =>
      `Do not allow non-HTTP ports to any destination (Claude Code's init-firewall.sh allows TCP 22 everywhere): ${DROP_RULE}; send SSH through the proxy (CONNECT to allowlisted hosts).`,
  },
  http: {
    ruleId: "egress-direct-http-open",
    control: "default-deny-egress",
    severity: "high",
    title: (r) => `Direct HTTP to ${of(r)} gets an answer (${r.run.detail.split(" [")[0]})`,
    remediation: () => `Default-deny egress: ${DROP_RULE}.`,
  },
  resolver: {
    ruleId: "egress-dns-outside-resolver",
    control: "default-deny-egress",
    severity: "high",
    title: (r) => `DNS questions reach the outside resolver ${r.spec.target} directly: a DNS tunnel out`,
    remediation: () =>
      "Drop UDP and TCP port 53 except to the sandbox's own resolver (nftables: `udp dport 53 ip daddr != <resolver> drop`, same for tcp), or give the sandbox no DNS and resolve at the proxy (anthropics/claude-code#36907).",
  },
  "configured-resolver": {
    ruleId: "egress-dns-configured-resolver",
    control: "default-deny-egress",
    severity: "medium",
    title: (r) =>
      `The configured resolver ${r.spec.target} resolves outside names (${r.spec.name}): queries for an attacker's domain leave through it`,
    remediation: () =>
      "Resolve names at the proxy only (no resolver reachable in the sandbox, as sandbox-runtime does with socks5h), or use a resolver that answers only for allowlisted domains.",
  },
  metadata: {
    ruleId: "egress-metadata-reachable",
    control: "default-deny-egress",
    severity: "critical",
    title: (r) =>
      `Cloud metadata endpoint ${r.spec.target} answers (${r.run.detail}): the machine's role credentials are one request away`,
    remediation: () =>
      "Drop the metadata addresses in the sandbox's output chain (nftables: `ip daddr { 169.254.169.254, 100.100.100.200 } drop`, `ip6 daddr fd00:ec2::254 drop`); on AWS also require IMDSv2 with a hop limit of 1.",
  },
  "proxy-canary": {
    ruleId: "egress-proxy-allows-canary",
    control: "egress-proxy",
    severity: "high",
    title: (r) =>
      `The proxy lets ${r.spec.method === "connect" ? "CONNECT" : "plain HTTP"} to ${r.spec.target} through (${r.run.detail})`,
    remediation: () =>
      "Make the proxy an allowlist that ends in a default deny (squid: `http_access allow agent allowed_dst` then `http_access deny all`; sandbox-runtime: keep the host out of allowedDomains; Smokescreen: action enforce) and list only the hosts the agent needs.",
  },
  "proxy-ip-literal": {
    ruleId: "egress-proxy-allows-ip-literal",
    control: "egress-proxy",
    severity: "high",
    title: (r) =>
      `The proxy tunnels to the IP literal ${r.spec.target}${r.spec.name ? ` (${r.spec.name})` : ""}: name-based rules can be skipped`,
    remediation: () =>
      "Refuse IP-literal destinations at the proxy: squid `acl allowed_dst dstdomain -n …` (no reverse DNS of IP URLs) with `http_access deny all` last; Smokescreen and sandbox-runtime match names only, so allow no address ranges.",
  },
  "proxy-metadata": {
    ruleId: "egress-proxy-allows-metadata",
    control: "egress-proxy",
    severity: "critical",
    title: (r) => `The proxy forwards a request to the metadata address ${r.spec.target} (${r.run.detail})`,
    remediation: () =>
      "Deny link-local and metadata destinations at the proxy after canonicalising and resolving the host (squid: `http_access deny to_linklocal` before any allow; Smokescreen denies them by default).",
  },
  "proxy-allowed": {
    ruleId: "egress-proxy-blocks-allowed-host",
    control: "egress-proxy",
    severity: "medium",
    title: (r) =>
      `The proxy refuses ${r.spec.method === "connect" ? "CONNECT" : "plain HTTP"} to ${r.spec.target}, which the agent needs (${r.run.detail})`,
    remediation: (r) =>
      `Add ${r.spec.target.replace(/:\d+$/, "")} to the proxy allowlist (squid: \`acl allowed_dst dstdomain -n <name>\`; sandbox-runtime: allowedDomains); an allowlist that blocks what the agent needs gets switched off.`,
  },
  "proxy-apex": {
    ruleId: "egress-proxy-wildcard-apex",
    control: "egress-proxy",
    severity: "low",
    title: (r) =>
      `The apex ${r.spec.target} is reachable through the proxy although only *.${r.spec.target.replace(/:\d+$/, "")} was declared`,
    remediation: () =>
      "If the agent does not need the apex, allow subdomains only: squid `.example.com` also matches example.com, sandbox-runtime and Smokescreen `*.example.com` do not.",
  },
};

function finding(rule: Rule, r: ProbeResult): Finding {
  return makeFinding({
    ruleId: rule.ruleId,
    control: rule.control,
    kind: "egress",
    severity: rule.severity,
    title: rule.title(r),
    remediation: rule.remediation(r),
    location: { source: "probe", target: r.spec.target },
    subject: `${r.spec.method} ${r.spec.via} ${r.spec.target}`,
  });
}

export interface VerdictInput {
  results: ProbeResult[];
  /** A proxy was configured (by --proxy, config or the agent's environment). */
  proxyConfigured: boolean;
  firewall?: FirewallEvidence;
}

export function posture(input: VerdictInput): EgressPosture {
  const direct = input.results.filter(isDirect);
  if (direct.some((r) => r.run.outcome === "open"))
    return input.proxyConfigured ? "proxy-bypassable" : "open";
  if (direct.length === 0 || direct.some((r) => r.run.outcome === "error")) return "unknown";
  if (!input.proxyConfigured) return "kernel-enforced-no-proxy";
  const scored = input.results.filter((r) => !isDirect(r) && r.spec.expected !== undefined);
  if (scored.length > 0 && scored.every((r) => r.run.proxyUnreachable)) return "kernel-enforced-no-proxy";
  if (scored.some(wrong)) return "kernel-enforced-no-proxy";
  if (scored.some((r) => r.run.outcome === "error")) return "unknown";
  const allowed = scored.filter((r) => r.spec.expected === "open");
  const refused = scored.filter((r) => r.spec.expected === "blocked");
  if (allowed.length === 0 || refused.length === 0) return "unknown";
  return "kernel-enforced-with-proxy";
}

function list(rs: ProbeResult[], n = 4): string {
  const shown = rs.slice(0, n).map((r) => `${r.spec.method} ${r.spec.target}`);
  return shown.join(", ") + (rs.length > n ? ` and ${rs.length - n} more` : "");
}

function counts(rs: ProbeResult[]): string {
  const by = new Map<string, number>();
  for (const r of rs) {
    const key = r.run.detail.split(/[ (:[]/)[0] ?? "blocked";
    by.set(key, (by.get(key) ?? 0) + 1);
  }
  return [...by.entries()]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([k, n]) => `${n} ${k}`)
    .join(", ");
}

export function verdict(
  input: VerdictInput,
): Required<Pick<ExtraResults, "findings" | "checklist" | "posture">> {
  const findings: Finding[] = [];
  const evidence: Record<"default-deny-egress" | "egress-proxy", string[]> = {
    "default-deny-egress": [],
    "egress-proxy": [],
  };
  for (const r of input.results) {
    const rule = RULES[r.spec.group];
    if (!rule) continue;
    const bad = r.spec.group === "proxy-apex" ? r.run.outcome === "open" : wrong(r);
    if (!bad) continue;
    const f = finding(rule, r);
    findings.push(f);
    if (rule.severity !== "low") evidence[rule.control as keyof typeof evidence].push(f.fingerprint);
  }
  const direct = input.results.filter(isDirect);
  const openV6 = direct.find((r) => r.run.outcome === "open" && isV6(r.spec.target));
  const fw = input.firewall;
  if (openV6 && fw?.ipv4OutputDefaultDeny === true && fw.ipv6OutputDefaultDeny === false) {
    const f = makeFinding({
      ruleId: "egress-ipv6-unfiltered",
      control: "default-deny-egress",
      kind: "egress",
      severity: "high",
      title: `The firewall denies IPv4 egress by default but not IPv6: ${openV6.spec.method} ${openV6.spec.target} gets out`,
      remediation:
        "Use one nftables `inet` table for both families, or mirror every iptables rule with ip6tables and set `ip6tables -P OUTPUT DROP` (anthropics/claude-code#24952).",
      location: { source: "probe", target: openV6.spec.target },
      subject: "firewall ipv4-only",
    });
    findings.push(f);
    evidence["default-deny-egress"].push(f.fingerprint);
  }

  const p = posture(input);

  // Step 2. An open path is proven, so it fails even when other probes errored; otherwise any error
  // makes the step an error (never a pass).
  let step2: StepVerdict;
  const dOpen = direct.filter((r) => r.run.outcome === "open");
  const dErr = direct.filter((r) => r.run.outcome === "error");
  if (direct.length === 0) {
    step2 = {
      status: "error",
      summary: "no direct probe ran: give --canary, --dns-resolver or --metadata targets",
      evidence: [],
    };
  } else if (dOpen.length) {
    step2 = {
      status: "fail",
      summary: `${dOpen.length} of ${direct.length} direct probes got out: ${list(dOpen)}${dErr.length ? ` (${dErr.length} could not run)` : ""}`,
      evidence: evidence["default-deny-egress"],
    };
  } else if (dErr.length) {
    step2 = {
      status: "error",
      summary: `${dErr.length} of ${direct.length} direct probes could not run (${list(dErr, 2)}: ${dErr[0]!.run.detail})`,
      evidence: [],
    };
  } else {
    step2 = {
      status: "pass",
      summary: `all ${direct.length} direct probes were blocked (${counts(direct)})`,
      evidence: [],
    };
  }

  // Step 3: pass only for kernel-enforced-with-proxy.
  let step3: StepVerdict;
  const proxied = input.results.filter((r) => !isDirect(r) && r.spec.expected !== undefined);
  const pErr = proxied.filter((r) => r.run.outcome === "error");
  const letThrough = proxied.filter((r) => r.spec.expected === "blocked" && r.run.outcome === "open");
  const refusedNeeded = proxied.filter((r) => r.spec.expected === "open" && r.run.outcome === "blocked");
  const allowedProbes = proxied.filter((r) => r.spec.expected === "open");
  const ev = evidence["egress-proxy"];
  if (p === "kernel-enforced-with-proxy") {
    step3 = {
      status: "pass",
      summary: `direct egress is refused and the proxy refuses all ${proxied.length - allowedProbes.length} canary probes while the ${allowedProbes.length} allowed-host probes work`,
      evidence: [],
    };
  } else if (!input.proxyConfigured) {
    // Direct egress is already a finding when open; with it refused, the missing proxy is its own
    // (medium: nothing leaks, but the agent has no audited way out and will be given a hole).
    const missing = makeFinding({
      ruleId: "egress-proxy-missing",
      control: "egress-proxy",
      kind: "egress",
      severity: "medium",
      title: "No egress proxy is configured: the agent has no allowlisted, logged way out",
      remediation:
        "Run an allowlisting proxy (squid, smokescreen, sandbox-runtime) and point the agent at it with HTTPS_PROXY/HTTP_PROXY; allow only it through the firewall.",
      location: { source: "probe", target: "proxy" },
      subject: "proxy",
    });
    if (!findings.some((f) => f.control === "egress-proxy")) findings.push(missing);
    step3 = {
      status: "fail",
      summary:
        "no egress proxy is configured (no --proxy, and no HTTPS_PROXY, HTTP_PROXY or ALL_PROXY in the agent's environment)",
      evidence: [missing.fingerprint],
    };
  } else if (letThrough.length || refusedNeeded.length) {
    const parts = [];
    if (letThrough.length)
      parts.push(`lets ${letThrough.length} canary probe(s) through: ${list(letThrough)}`);
    if (refusedNeeded.length)
      parts.push(`refuses ${refusedNeeded.length} allowed-host probe(s): ${list(refusedNeeded)}`);
    step3 = { status: "fail", summary: `the proxy ${parts.join("; ")}`, evidence: ev };
  } else if (p === "proxy-bypassable") {
    step3 = {
      status: "fail",
      summary: `a proxy is configured but direct egress still works (${list(dOpen, 2)}): it can be bypassed`,
      evidence: evidence["default-deny-egress"],
    };
  } else if (proxied.length === 0) {
    step3 = {
      status: "error",
      summary:
        "a proxy is configured but no probe went through it (NO_PROXY covers every target, or no target was given)",
      evidence: [],
    };
  } else if (pErr.length) {
    const unreachable = pErr.every((r) => r.run.proxyUnreachable);
    step3 = {
      status: "error",
      summary: unreachable
        ? `the proxy ${pErr[0]!.spec.proxy ?? ""} is unreachable ${pErr[0]!.run.detail.replace(/^proxy-unreachable /, "")}`
        : `${pErr.length} of ${proxied.length} proxy probes could not run (${list(pErr, 2)}: ${pErr[0]!.run.detail})`,
      evidence: [],
    };
  } else if (dErr.length || direct.length === 0) {
    step3 = {
      status: "error",
      summary:
        "the proxy behaves, but direct egress could not be established as refused (see default-deny-egress)",
      evidence: [],
    };
  } else if (allowedProbes.length === 0) {
    step3 = {
      status: "warn",
      summary:
        "the proxy refuses every canary, but no --allowed-host was given: a dead or non-proxy endpoint refuses everything too",
      evidence: [],
    };
  } else {
    step3 = { status: "error", summary: `egress posture is ${p}`, evidence: ev };
  }
  return {
    findings,
    posture: p,
    checklist: { "default-deny-egress": step2, "egress-proxy": step3 },
  };
}
