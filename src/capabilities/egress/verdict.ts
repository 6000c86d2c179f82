import { makeFinding } from "../../contract/finding.js";
import type {
  ChecklistItem,
  EgressPosture,
  ExtraResults,
  Finding,
  RemediationFix,
} from "../../contract/types.js";
import { CODE_RULES, type CodeRule, DROP_RULE } from "../../rules/code.js";
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

/**
 * One finding rule per kind of open path: the rule's id, control, severity and fixed remediation
 * come from the catalog (rules/code.ts); the title, and a remediation that depends on the probe,
 * are written here.
 */
interface Rule {
  rule: CodeRule;
  title: (r: ProbeResult) => string;
  remediation?: (r: ProbeResult) => string;
}

const of = (r: ProbeResult) => (r.spec.name ? `${r.spec.target} (${r.spec.name})` : r.spec.target);
const port = (target: string) => target.slice(target.lastIndexOf(":") + 1);

/** The remediation says which rule to add, and where. */
const RULES: Partial<Record<ProbeGroup, Rule>> = {
  canary: {
    rule: CODE_RULES["egress-direct-tcp-open"],
    title: (r) =>
      `Direct ${isV6(r.spec.target) ? "IPv6" : "IPv4"} TCP to ${of(r)} connects: traffic leaves without the proxy`,
    remediation: (r) =>
      isV6(r.spec.target)
        ? `Filter IPv6 too: ${DROP_RULE}; the inet family covers both IPv4 and IPv6 (an ip-only table or iptables without ip6tables leaves IPv6 open).`
        : CODE_RULES["egress-direct-tcp-open"].remediation,
  },
  port: {
    rule: CODE_RULES["egress-direct-port-open"],
    title: (r) => `Direct TCP to ${of(r)} connects: port ${port(r.spec.target)} is a non-HTTP channel out`,
  },
  http: {
    rule: CODE_RULES["egress-direct-http-open"],
    title: (r) => `Direct HTTP to ${of(r)} gets an answer (${r.run.detail.split(" [")[0]})`,
  },
  resolver: {
    rule: CODE_RULES["egress-dns-outside-resolver"],
    title: (r) => `DNS questions reach the outside resolver ${r.spec.target} directly: a DNS tunnel out`,
  },
  "configured-resolver": {
    rule: CODE_RULES["egress-dns-configured-resolver"],
    title: (r) =>
      `The configured resolver ${r.spec.target} resolves outside names (${r.spec.name}): queries for an attacker's domain leave through it`,
  },
  metadata: {
    rule: CODE_RULES["egress-metadata-reachable"],
    title: (r) =>
      `Cloud metadata endpoint ${r.spec.target} answers (${r.run.detail}): the machine's role credentials are one request away`,
  },
  "proxy-canary": {
    rule: CODE_RULES["egress-proxy-allows-canary"],
    title: (r) =>
      `The proxy lets ${r.spec.method === "connect" ? "CONNECT" : "plain HTTP"} to ${r.spec.target} through (${r.run.detail})`,
  },
  "proxy-ip-literal": {
    rule: CODE_RULES["egress-proxy-allows-ip-literal"],
    title: (r) =>
      `The proxy tunnels to the IP literal ${r.spec.target}${r.spec.name ? ` (${r.spec.name})` : ""}: name-based rules can be skipped`,
  },
  "proxy-metadata": {
    rule: CODE_RULES["egress-proxy-allows-metadata"],
    title: (r) => `The proxy forwards a request to the metadata address ${r.spec.target} (${r.run.detail})`,
  },
  "proxy-allowed": {
    rule: CODE_RULES["egress-proxy-blocks-allowed-host"],
    title: (r) =>
      `The proxy refuses ${r.spec.method === "connect" ? "CONNECT" : "plain HTTP"} to ${r.spec.target}, which the agent needs (${r.run.detail})`,
    remediation: (r) =>
      `Add ${r.spec.target.replace(/:\d+$/, "")} to the proxy allowlist (squid: \`acl allowed_dst dstdomain -n <name>\`; sandbox-runtime: allowedDomains); an allowlist that blocks what the agent needs gets switched off.`,
  },
  "proxy-apex": {
    rule: CODE_RULES["egress-proxy-wildcard-apex"],
    title: (r) =>
      `The apex ${r.spec.target} is reachable through the proxy although only *.${r.spec.target.replace(/:\d+$/, "")} was declared`,
  },
};

/**
 * The structured remediation (Finding.fix, issue 9): which generator of `agent-audit fix` closes
 * the hole, and for which destination. A direct path out is closed by the firewall (default-deny
 * output), a proxy that forwards what it should not by its allowlist; a proxy that refuses what
 * the agent needs, by allowing that host.
 */
export function egressFix(rule: CodeRule, target: string): RemediationFix | undefined {
  const host = target.replace(/:\d+$/, "").replace(/^\[|\]$/g, "");
  switch (rule.id) {
    case "egress-proxy-missing":
    case "egress-proxy-unreachable":
      return { target: "egress-proxy" };
    case "egress-proxy-blocks-allowed-host":
      return { target: "egress-proxy", params: { allow: host } };
    case "egress-proxy-wildcard-apex":
      return { target: "egress-proxy", params: { subdomainsOnly: host } };
    case "egress-dns-configured-resolver":
      // The sandbox's own resolver answers for outside names: a resolver setting, not a rule.
      return undefined;
  }
  if (rule.control === "egress-proxy") return { target: "egress-proxy", params: { deny: target } };
  if (rule.control === "default-deny-egress") return { target: "firewall", params: { reached: target } };
  return undefined;
}

function finding(how: Rule, r: ProbeResult): Finding {
  const { rule } = how;
  return probeFinding(rule, {
    target: r.spec.target,
    subject: `${r.spec.method} ${r.spec.via} ${r.spec.target}`,
    title: how.title(r),
    ...(how.remediation ? { remediation: how.remediation(r) } : {}),
  });
}

/**
 * A finding of a code-declared egress rule at a probe target: the rule's id, step, kind, severity
 * and texts (unless a more specific title or remediation is given), and its structured fix.
 */
function probeFinding(
  rule: CodeRule,
  at: { target: string; subject: string; title?: string; remediation?: string; fix?: RemediationFix },
): Finding {
  const fix = at.fix ?? egressFix(rule, at.target);
  return makeFinding({
    ruleId: rule.id,
    control: rule.control,
    kind: rule.kind,
    severity: rule.severity,
    title: at.title ?? rule.title,
    remediation: at.remediation ?? rule.remediation,
    ...(fix ? { fix } : {}),
    location: { source: "probe", target: at.target },
    subject: at.subject,
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
  const { findings, evidence } = probeFindings(input);
  const p = posture(input);
  const step2 = directStep(input.results.filter(isDirect), evidence);
  const step3 = proxyStep(input, p, findings, evidence);
  return {
    findings,
    posture: p,
    checklist: { "default-deny-egress": step2, "egress-proxy": step3 },
  };
}

type Evidence = Record<"default-deny-egress" | "egress-proxy", string[]>;

/** A finding per probe that went the wrong way, and the IPv4-only firewall; fingerprints by step. */
function probeFindings(input: VerdictInput): { findings: Finding[]; evidence: Evidence } {
  const findings: Finding[] = [];
  const evidence: Evidence = { "default-deny-egress": [], "egress-proxy": [] };
  for (const r of input.results) {
    const how = RULES[r.spec.group];
    if (!how) continue;
    const bad = r.spec.group === "proxy-apex" ? r.run.outcome === "open" : wrong(r);
    if (!bad) continue;
    const f = finding(how, r);
    findings.push(f);
    if (how.rule.severity !== "low") evidence[how.rule.control as keyof Evidence].push(f.fingerprint);
  }
  const v6 = ipv6Unfiltered(input);
  if (v6) {
    findings.push(v6);
    evidence["default-deny-egress"].push(v6.fingerprint);
  }
  return { findings, evidence };
}

/** An IPv6 probe got out while the firewall denies IPv4 by default only. */
function ipv6Unfiltered(input: VerdictInput): Finding | undefined {
  const openV6 = input.results.find((r) => isDirect(r) && r.run.outcome === "open" && isV6(r.spec.target));
  const fw = input.firewall;
  if (!openV6 || fw?.ipv4OutputDefaultDeny !== true || fw.ipv6OutputDefaultDeny !== false) return undefined;
  const rule = CODE_RULES["egress-ipv6-unfiltered"];
  return probeFinding(rule, {
    target: openV6.spec.target,
    subject: "firewall ipv4-only",
    title: `${rule.title}: ${openV6.spec.method} ${openV6.spec.target} gets out`,
    fix: { target: "firewall", params: { reached: openV6.spec.target, family: "ipv6" } },
  });
}

/**
 * Step 2. An open path is proven, so it fails even when other probes errored; otherwise any error
 * makes the step an error (never a pass).
 */
function directStep(direct: ProbeResult[], evidence: Evidence): StepVerdict {
  const dOpen = direct.filter((r) => r.run.outcome === "open");
  const dErr = direct.filter((r) => r.run.outcome === "error");
  if (direct.length === 0) {
    return {
      status: "error",
      summary: "no direct probe ran: give --canary, --dns-resolver or --metadata targets",
      evidence: [],
    };
  }
  if (dOpen.length) {
    return {
      status: "fail",
      summary: `${dOpen.length} of ${direct.length} direct probes got out: ${list(dOpen)}${dErr.length ? ` (${dErr.length} could not run)` : ""}`,
      evidence: evidence["default-deny-egress"],
    };
  }
  if (dErr.length) {
    return {
      status: "error",
      summary: `${dErr.length} of ${direct.length} direct probes could not run (${list(dErr, 2)}: ${dErr[0]!.run.detail})`,
      evidence: [],
    };
  }
  return {
    status: "pass",
    summary: `all ${direct.length} direct probes were blocked (${counts(direct)})`,
    evidence: [],
  };
}

/** The missing proxy, as a finding of step 3 (medium: nothing leaks, but there is no audited way out). */
function proxyMissing(): Finding {
  const rule = CODE_RULES["egress-proxy-missing"];
  return probeFinding(rule, { target: "proxy", subject: "proxy" });
}

/** Step 3: pass only for kernel-enforced-with-proxy. May add the missing-proxy finding. */
function proxyStep(
  input: VerdictInput,
  p: EgressPosture,
  findings: Finding[],
  evidence: Evidence,
): StepVerdict {
  const direct = input.results.filter(isDirect);
  const proxied = input.results.filter((r) => !isDirect(r) && r.spec.expected !== undefined);
  const allowedProbes = proxied.filter((r) => r.spec.expected === "open");
  if (p === "kernel-enforced-with-proxy") {
    return {
      status: "pass",
      summary: `direct egress is refused and the proxy refuses all ${proxied.length - allowedProbes.length} canary probes while the ${allowedProbes.length} allowed-host probes work`,
      evidence: [],
    };
  }
  if (!input.proxyConfigured) {
    // Direct egress is already a finding when open; with it refused, the missing proxy is its own
    // (medium: nothing leaks, but the agent has no audited way out and will be given a hole).
    const missing = proxyMissing();
    if (!findings.some((f) => f.control === "egress-proxy")) findings.push(missing);
    return {
      status: "fail",
      summary:
        "no egress proxy is configured (no --proxy, and no HTTPS_PROXY, HTTP_PROXY or ALL_PROXY in the agent's environment)",
      evidence: [missing.fingerprint],
    };
  }
  const letThrough = proxied.filter((r) => r.spec.expected === "blocked" && r.run.outcome === "open");
  const refusedNeeded = proxied.filter((r) => r.spec.expected === "open" && r.run.outcome === "blocked");
  if (letThrough.length || refusedNeeded.length) {
    const parts = [];
    if (letThrough.length)
      parts.push(`lets ${letThrough.length} canary probe(s) through: ${list(letThrough)}`);
    if (refusedNeeded.length)
      parts.push(`refuses ${refusedNeeded.length} allowed-host probe(s): ${list(refusedNeeded)}`);
    return { status: "fail", summary: `the proxy ${parts.join("; ")}`, evidence: evidence["egress-proxy"] };
  }
  if (p === "proxy-bypassable") {
    const dOpen = direct.filter((r) => r.run.outcome === "open");
    return {
      status: "fail",
      summary: `a proxy is configured but direct egress still works (${list(dOpen, 2)}): it can be bypassed`,
      evidence: evidence["default-deny-egress"],
    };
  }
  if (proxied.length > 0 && proxied.every((r) => r.run.proxyUnreachable)) {
    // Every probe through the proxy failed to connect to it: no working proxy, which is what a
    // missing proxy is (issue 9 review: an agent that sets HTTPS_PROXY to a dead port turned the
    // missing-proxy finding into an error step and a clean exit).
    const f = proxyUnreachable(proxied[0]!);
    if (!findings.some((x) => x.control === "egress-proxy")) findings.push(f);
    return {
      status: "fail",
      summary: `the proxy ${proxied[0]!.spec.proxy ?? ""} is unreachable ${proxied[0]!.run.detail.replace(/^proxy-unreachable /, "")}: the agent has no working proxy`,
      evidence: [f.fingerprint],
    };
  }
  return proxyUndecided(p, direct, proxied, allowedProbes.length, evidence);
}

/** A configured proxy that refuses every connection, as a finding of step 3. */
function proxyUnreachable(r: ProbeResult): Finding {
  const rule = CODE_RULES["egress-proxy-unreachable"];
  return probeFinding(rule, { target: "proxy", subject: `unreachable ${r.spec.proxy ?? ""}` });
}

/** Step 3 when nothing proves the proxy wrong: an error or a warning, never a pass. */
function proxyUndecided(
  p: EgressPosture,
  direct: ProbeResult[],
  proxied: ProbeResult[],
  allowed: number,
  evidence: Evidence,
): StepVerdict {
  const pErr = proxied.filter((r) => r.run.outcome === "error");
  if (proxied.length === 0) {
    return {
      status: "error",
      summary:
        "a proxy is configured but no probe went through it (NO_PROXY covers every target, or no target was given)",
      evidence: [],
    };
  }
  if (pErr.length) {
    const unreachable = pErr.every((r) => r.run.proxyUnreachable);
    return {
      status: "error",
      summary: unreachable
        ? `the proxy ${pErr[0]!.spec.proxy ?? ""} is unreachable ${pErr[0]!.run.detail.replace(/^proxy-unreachable /, "")}`
        : `${pErr.length} of ${proxied.length} proxy probes could not run (${list(pErr, 2)}: ${pErr[0]!.run.detail})`,
      evidence: [],
    };
  }
  if (direct.some((r) => r.run.outcome === "error") || direct.length === 0) {
    return {
      status: "error",
      summary:
        "the proxy behaves, but direct egress could not be established as refused (see default-deny-egress)",
      evidence: [],
    };
  }
  if (allowed === 0) {
    return {
      status: "warn",
      summary:
        "the proxy refuses every canary, but no --allowed-host was given: a dead or non-proxy endpoint refuses everything too",
      evidence: [],
    };
  }
  return { status: "error", summary: `egress posture is ${p}`, evidence: evidence["egress-proxy"] };
}
