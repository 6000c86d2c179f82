import { describe, expect, it } from "vitest";
import type { ProbeGroup, ProbeRun } from "../../../src/capabilities/egress/plan.js";
import { type ProbeResult, verdict } from "../../../src/capabilities/egress/verdict.js";

const DIRECT = new Set(["canary", "port", "http", "resolver", "configured-resolver", "metadata"]);
const METHOD: Record<ProbeGroup, "tcp" | "http" | "dns" | "connect"> = {
  canary: "tcp",
  port: "tcp",
  http: "http",
  resolver: "dns",
  "configured-resolver": "dns",
  metadata: "http",
  "proxy-canary": "connect",
  "proxy-ip-literal": "connect",
  "proxy-metadata": "http",
  "proxy-allowed": "connect",
  "proxy-apex": "connect",
};

function r(
  group: ProbeGroup,
  target: string,
  outcome: ProbeRun["outcome"],
  extra: Partial<ProbeRun> = {},
): ProbeResult {
  const direct = DIRECT.has(group);
  const expected = group === "proxy-apex" ? undefined : group === "proxy-allowed" ? "open" : "blocked";
  return {
    spec: {
      id: `${group}:${target}`,
      group,
      control: direct ? "default-deny-egress" : "egress-proxy",
      method: METHOD[group],
      via: direct ? "direct" : "proxy",
      target,
      expected,
      run: async () => ({ outcome, detail: "" }),
    },
    run: {
      outcome,
      detail: outcome === "blocked" ? "refused" : outcome === "open" ? "connected" : "dns",
      ...extra,
    },
  };
}

const directBlocked = [
  r("canary", "192.0.2.1:443", "blocked"),
  r("canary", "[2001:db8::1]:443", "blocked"),
  r("resolver", "192.0.2.53:53", "blocked"),
];
const proxyGood = [
  r("proxy-canary", "canary.test:443", "blocked"),
  r("proxy-ip-literal", "192.0.2.1:443", "blocked"),
  r("proxy-allowed", "allowed.test:443", "open"),
];

function summary(results: ProbeResult[], proxyConfigured: boolean) {
  const v = verdict({ results, proxyConfigured });
  return {
    posture: v.posture,
    step2: v.checklist["default-deny-egress"]?.status,
    step3: v.checklist["egress-proxy"]?.status,
    findings: v.findings.map((f) => `${f.ruleId} ${f.severity} ${f.location.target}`),
  };
}

describe("posture and steps 2 and 3", () => {
  it.each<[string, ProbeResult[], boolean, ReturnType<typeof summary>]>([
    [
      "open: direct works, no proxy",
      [r("canary", "192.0.2.1:443", "open"), ...directBlocked.slice(1)],
      false,
      {
        posture: "open",
        step2: "fail",
        step3: "fail",
        findings: ["egress-direct-tcp-open high 192.0.2.1:443", "egress-proxy-missing medium proxy"],
      },
    ],
    [
      "proxy-bypassable: direct IPv6 works beside a good proxy",
      [directBlocked[0]!, r("canary", "[2001:db8::1]:443", "open"), directBlocked[2]!, ...proxyGood],
      true,
      {
        posture: "proxy-bypassable",
        step2: "fail",
        step3: "fail",
        findings: ["egress-direct-tcp-open high [2001:db8::1]:443"],
      },
    ],
    [
      "kernel-enforced-no-proxy: all direct refused, no proxy",
      directBlocked,
      false,
      {
        posture: "kernel-enforced-no-proxy",
        step2: "pass",
        step3: "fail",
        findings: ["egress-proxy-missing medium proxy"],
      },
    ],
    [
      "kernel-enforced-with-proxy",
      [...directBlocked, ...proxyGood],
      true,
      { posture: "kernel-enforced-with-proxy", step2: "pass", step3: "pass", findings: [] },
    ],
    [
      "a proxy that lets a canary through is no allowlist",
      [...directBlocked, r("proxy-canary", "canary.test:443", "open"), ...proxyGood.slice(1)],
      true,
      {
        posture: "kernel-enforced-no-proxy",
        step2: "pass",
        step3: "fail",
        findings: ["egress-proxy-allows-canary high canary.test:443"],
      },
    ],
    [
      "a proxy that refuses an allowed host is broken",
      [...directBlocked, ...proxyGood.slice(0, 2), r("proxy-allowed", "allowed.test:443", "blocked")],
      true,
      {
        posture: "kernel-enforced-no-proxy",
        step2: "pass",
        step3: "fail",
        findings: ["egress-proxy-blocks-allowed-host medium allowed.test:443"],
      },
    ],
    [
      "metadata through the proxy is critical",
      [...directBlocked, ...proxyGood, r("proxy-metadata", "2852039166:80", "open")],
      true,
      {
        posture: "kernel-enforced-no-proxy",
        step2: "pass",
        step3: "fail",
        findings: ["egress-proxy-allows-metadata critical 2852039166:80"],
      },
    ],
    [
      "an unreachable proxy fails step 3, as a missing one does (never a pass, never hidden)",
      [
        ...directBlocked,
        r("proxy-canary", "canary.test:443", "error", { proxyUnreachable: true }),
        r("proxy-allowed", "allowed.test:443", "error", { proxyUnreachable: true }),
      ],
      true,
      {
        posture: "kernel-enforced-no-proxy",
        step2: "pass",
        step3: "fail",
        findings: ["egress-proxy-unreachable medium proxy"],
      },
    ],
    [
      "a direct probe that errors makes step 2 an error",
      [...directBlocked, r("canary", "nx.test:443", "error"), ...proxyGood],
      true,
      { posture: "unknown", step2: "error", step3: "error", findings: [] },
    ],
    [
      "an open path fails step 2 even beside an error",
      [r("canary", "nx.test:443", "error"), r("metadata", "169.254.169.254:80", "open")],
      false,
      {
        posture: "open",
        step2: "fail",
        step3: "fail",
        findings: [
          "egress-metadata-reachable critical 169.254.169.254:80",
          "egress-proxy-missing medium proxy",
        ],
      },
    ],
    [
      "a proxy probe that errors (not unreachable) makes step 3 an error",
      [...directBlocked, ...proxyGood, r("proxy-canary", "x.test:443", "error")],
      true,
      { posture: "unknown", step2: "pass", step3: "error", findings: [] },
    ],
    [
      "no allowed host: nothing shows the proxy forwards anything",
      [...directBlocked, ...proxyGood.slice(0, 2)],
      true,
      { posture: "unknown", step2: "pass", step3: "warn", findings: [] },
    ],
    [
      "nothing probed",
      [],
      false,
      { posture: "unknown", step2: "error", step3: "fail", findings: ["egress-proxy-missing medium proxy"] },
    ],
    [
      "the apex of a wildcard is reported, not scored",
      [...directBlocked, ...proxyGood, r("proxy-apex", "wild.test:443", "open")],
      true,
      {
        posture: "kernel-enforced-with-proxy",
        step2: "pass",
        step3: "pass",
        findings: ["egress-proxy-wildcard-apex low wild.test:443"],
      },
    ],
  ])("%s", (_name, results, proxyConfigured, want) => {
    expect(summary(results, proxyConfigured)).toEqual(want);
  });

  it("an IPv4-only firewall with IPv6 open is its own finding", () => {
    const results = [directBlocked[0]!, r("canary", "[2001:db8::1]:443", "open")];
    const v = verdict({
      results,
      proxyConfigured: false,
      firewall: { tools: { nft: "read" }, ipv4OutputDefaultDeny: true, ipv6OutputDefaultDeny: false },
    });
    expect(v.findings.map((f) => f.ruleId)).toEqual([
      "egress-direct-tcp-open",
      "egress-ipv6-unfiltered",
      "egress-proxy-missing",
    ]);
    expect(v.checklist["default-deny-egress"]?.evidence).toEqual(
      v.findings.filter((f) => f.control === "default-deny-egress").map((f) => f.fingerprint),
    );
  });

  it("fingerprints are stable per method, via and target", () => {
    const a = verdict({ results: [r("canary", "192.0.2.1:443", "open")], proxyConfigured: false });
    const b = verdict({ results: [r("canary", "192.0.2.1:443", "open")], proxyConfigured: false });
    const c = verdict({ results: [r("canary", "192.0.2.2:443", "open")], proxyConfigured: false });
    expect(a.findings[0]!.fingerprint).toBe(b.findings[0]!.fingerprint);
    expect(a.findings[0]!.fingerprint).not.toBe(c.findings[0]!.fingerprint);
    expect(a.findings[0]).toMatchObject({
      kind: "egress",
      control: "default-deny-egress",
      location: { source: "probe", target: "192.0.2.1:443" },
      accepted: false,
    });
  });
});

describe("structured remediation (Finding.fix, issue 9)", () => {
  it("names the generator that closes each egress hole, and for which destination", () => {
    const v = verdict({
      results: [
        r("canary", "192.0.2.1:443", "open"),
        r("metadata", "169.254.169.254:80", "open"),
        r("configured-resolver", "10.0.0.2:53", "open"),
        r("proxy-canary", "canary.test:443", "open"),
        r("proxy-allowed", "allowed.test:443", "blocked"),
        r("proxy-apex", "example.test:443", "open"),
      ],
      proxyConfigured: true,
    });
    expect(v.findings.map((f) => [f.ruleId, f.fix])).toEqual([
      ["egress-direct-tcp-open", { target: "firewall", params: { reached: "192.0.2.1:443" } }],
      ["egress-metadata-reachable", { target: "firewall", params: { reached: "169.254.169.254:80" } }],
      ["egress-dns-configured-resolver", undefined],
      ["egress-proxy-allows-canary", { target: "egress-proxy", params: { deny: "canary.test:443" } }],
      ["egress-proxy-blocks-allowed-host", { target: "egress-proxy", params: { allow: "allowed.test" } }],
      ["egress-proxy-wildcard-apex", { target: "egress-proxy", params: { subdomainsOnly: "example.test" } }],
    ]);
  });

  it("the missing proxy asks for the egress-proxy generator", () => {
    const v = verdict({ results: directBlocked, proxyConfigured: false });
    expect(v.findings.map((f) => [f.ruleId, f.fix])).toEqual([
      ["egress-proxy-missing", { target: "egress-proxy" }],
    ]);
  });
});
