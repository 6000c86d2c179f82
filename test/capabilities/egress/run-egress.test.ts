import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type EgressDeps, type EgressOptions, runEgress } from "../../../src/capabilities/egress/index.js";
import type { EgressDefaults } from "../../../src/capabilities/egress/targets.js";
import { startDns } from "../../integration/servers/lab-server.mjs";
import { ANSWERS, allowlistProxy, closedPort, rawServer, type Started } from "./fake-servers.js";

// runEgress end to end on loopback: fake destinations and proxies, an injected name lookup, resolver
// list and command runner, so nothing here reads this machine's DNS, firewall or network.

let web: Started;
let proxy: Started;
let hang: Started;
let dnsPort: number;
let closeDns: () => void;
let closed: number;
let closed2: number;

const NFT_IP_ONLY =
  "table ip f {\n\tchain output {\n\t\ttype filter hook output priority filter; policy drop;\n\t}\n}\n";

const deps = (): Partial<EgressDeps> => ({
  lookup: async (host) => {
    if (host === "canary.test") return [{ address: "127.0.0.1", family: 4 }];
    if (host === "allowed.test") return [{ address: "127.0.0.2", family: 4 }];
    throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: "ENOTFOUND" });
  },
  configuredResolvers: () => [`127.0.0.1:${dnsPort}`],
  runCommand: async (cmd) =>
    cmd === "nft" ? { status: "ok", stdout: NFT_IP_ONLY } : { status: "not-installed" },
  defaults: () => {
    throw new Error("defaults must not be loaded in tests");
  },
});

function opts(o: Partial<EgressOptions>): EgressOptions {
  return {
    canaries: [],
    allowedHosts: [],
    timeoutMs: 500,
    env: {},
    systemRoot: "/tmp",
    useDefaults: false,
    ports: [],
    deps: deps(),
    ...o,
  };
}

const line = (p: { method: string; via: string; target: string; outcome: string; detail: string }) =>
  `${p.method} ${p.via} ${p.target} ${p.outcome} ${p.detail}`;

beforeAll(async () => {
  web = await rawServer(() => ANSWERS.ok);
  proxy = await allowlistProxy(["allowed.test"]);
  hang = await rawServer(() => "hang");
  const sock = (
    await startDns([{ host: "127.0.0.1", port: 0 }], { "canary.test": { a: ["127.0.0.1"] } })
  )[0]!;
  dnsPort = sock.address().port;
  closeDns = () => sock.close();
  closed = await closedPort();
  closed2 = await closedPort();
});
afterAll(async () => {
  await Promise.all([web.close(), proxy.close(), hang.close()]);
  closeDns();
});

describe("runEgress", () => {
  it("kernel-enforced-with-proxy: every direct probe refused, the proxy refuses all but the allowed host", async () => {
    const r = await runEgress(
      opts({
        canaries: [`127.0.0.1:${closed}`],
        dnsResolvers: [`127.0.0.1:${closed2}`],
        metadata: [`127.0.0.1:${closed2}`],
        allowedHosts: ["allowed.test"],
        proxy: `http://agent:pr0xy-pa55w0rd@127.0.0.1:${proxy.port}`,
      }),
    );
    const via = ` via http://127.0.0.1:${proxy.port}`;
    expect(r.probes!.map(line)).toEqual([
      `tcp direct 127.0.0.1:${closed} blocked refused (ECONNREFUSED)`,
      `http direct 127.0.0.1:${closed} blocked refused (ECONNREFUSED)`,
      `dns direct 127.0.0.1:${closed2} blocked refused`,
      `http direct 127.0.0.1:${closed2} blocked refused (ECONNREFUSED)`,
      `connect proxy 127.0.0.1:${closed} blocked proxy-denied:squid (403 ERR_ACCESS_DENIED)${via}`,
      `http proxy 127.0.0.1:${closed} blocked proxy-denied:squid (403 ERR_ACCESS_DENIED)${via}`,
      `connect proxy 127.0.0.2:443 blocked proxy-denied:squid (403 ERR_ACCESS_DENIED)${via}`,
      `http proxy 127.0.0.1:${closed2} blocked proxy-denied:squid (403 ERR_ACCESS_DENIED)${via}`,
      `connect proxy allowed.test:443 open tunnel (200)${via}`,
      `http proxy allowed.test:80 open http 200${via}`,
    ]);
    expect(r.posture).toBe("kernel-enforced-with-proxy");
    expect(r.checklist?.["default-deny-egress"]?.status).toBe("pass");
    expect(r.checklist?.["egress-proxy"]?.status).toBe("pass");
    expect(r.findings).toEqual([]);
    expect(r.issues).toEqual([
      {
        where: "egress",
        message: "the configured resolver was not probed: no canary is a host name to ask it for",
      },
    ]);
    // The proxy got the agent's credentials (as the agent's clients send them); no output holds them.
    expect(proxy.seen.at(-1)).toContain(
      `Proxy-Authorization: Basic ${Buffer.from("agent:pr0xy-pa55w0rd").toString("base64")}`,
    );
    expect(JSON.stringify(r)).not.toMatch(/pr0xy|pa55w0rd|agent:/);
    expect(r.egress).toEqual({
      proxy: {
        connect: `http://127.0.0.1:${proxy.port}`,
        http: `http://127.0.0.1:${proxy.port}`,
        source: "--proxy",
        noProxy: null,
        recognised: ["squid"],
      },
      firewall: { collected: false, reason: "not read: --system-root is not /" },
      sandboxMarkers: [],
      timeoutMs: 500,
      budgetMs: 2000,
    });
  });

  it("open: a name canary, the configured resolver resolves it, no proxy", async () => {
    const r = await runEgress(
      opts({ canaries: [`canary.test:${web.port}`], systemRoot: "/", env: { SANDBOX_RUNTIME: "1" } }),
    );
    expect(r.probes!.map(line)).toEqual([
      `tcp direct 127.0.0.1:${web.port} open connected [canary.test]`,
      `http direct 127.0.0.1:${web.port} open http 200 [canary.test]`,
      `dns direct 127.0.0.1:${dnsPort} open dns-answer NOERROR: resolves canary.test`,
    ]);
    expect(r.posture).toBe("open");
    expect(r.findings!.map((f) => `${f.ruleId} ${f.severity} ${f.title}`)).toEqual([
      `egress-direct-tcp-open high Direct IPv4 TCP to 127.0.0.1:${web.port} (canary.test) connects: traffic leaves without the proxy`,
      `egress-direct-http-open high Direct HTTP to 127.0.0.1:${web.port} (canary.test) gets an answer (http 200)`,
      `egress-dns-configured-resolver medium The configured resolver 127.0.0.1:${dnsPort} resolves outside names (canary.test): queries for an attacker's domain leave through it`,
      "egress-proxy-missing medium No egress proxy is configured: the agent has no allowlisted, logged way out",
    ]);
    expect(r.checklist?.["default-deny-egress"]).toEqual({
      status: "fail",
      summary: `3 of 3 direct probes got out: tcp 127.0.0.1:${web.port}, http 127.0.0.1:${web.port}, dns 127.0.0.1:${dnsPort}`,
      evidence: r.findings!.filter((f) => f.control === "default-deny-egress").map((f) => f.fingerprint),
    });
    expect(r.egress).toMatchObject({
      firewall: {
        tools: { nft: "read", "iptables-save": "not-installed", "ip6tables-save": "not-installed" },
        ipv4OutputDefaultDeny: true,
        ipv6OutputDefaultDeny: false,
      },
      sandboxMarkers: ["SANDBOX_RUNTIME=1"],
    });
  });

  it("a canary name that does not resolve is an error outcome, and step 2 is an error", async () => {
    const r = await runEgress(opts({ canaries: ["nx.test:443", `127.0.0.1:${closed}`] }));
    expect(r.probes!.map(line)).toEqual([
      "tcp direct nx.test:443 error unresolved (ENOTFOUND): nx.test does not resolve here; give an IP literal canary to probe direct TCP",
      `tcp direct 127.0.0.1:${closed} blocked refused (ECONNREFUSED)`,
      `http direct 127.0.0.1:${closed} blocked refused (ECONNREFUSED)`,
      // The configured resolver is asked for the name canary: it does not know it (a filtering resolver).
      `dns direct 127.0.0.1:${dnsPort} blocked dns-nxdomain: does not resolve nx.test`,
    ]);
    expect(r.posture).toBe("unknown");
    expect(r.checklist?.["default-deny-egress"]?.status).toBe("error");
  });

  it("NO_PROXY from the agent's environment keeps a target away from the proxy", async () => {
    const r = await runEgress(
      opts({
        canaries: [`127.0.0.1:${closed}`, `canary.test:${closed}`],
        env: { HTTPS_PROXY: `http://127.0.0.1:${proxy.port}`, NO_PROXY: "127.0.0.1" },
        ports: [],
      }),
    );
    expect(r.probes!.filter((p) => p.via === "proxy").map((p) => `${p.method} ${p.target}`)).toEqual([
      `connect canary.test:${closed}`,
    ]);
    expect(r.issues).toContainEqual({
      where: "egress",
      message: `NO_PROXY sends 127.0.0.1:${closed} around the proxy: the agent's clients connect directly (covered by the direct probes only)`,
    });
    expect(r.egress).toMatchObject({
      proxy: {
        connect: `http://127.0.0.1:${proxy.port}`,
        http: null,
        source: "HTTPS_PROXY",
        noProxy: "127.0.0.1",
      },
    });
  });

  it("finishes within the time budget when every proxy probe hangs, with errors, never a pass", async () => {
    const ports = await Promise.all(Array.from({ length: 20 }, () => closedPort()));
    const r = await runEgress(
      opts({
        canaries: ports.map((p) => `127.0.0.1:${p}`),
        allowedHosts: ["allowed.test"],
        proxy: `http://127.0.0.1:${hang.port}`,
        timeoutMs: 300,
        concurrency: 8,
      }),
    );
    // The budget itself is asserted with a fake clock in pool.test.ts; here: what it reports.
    expect(r.egress?.budgetMs).toBe(300 * 2 + 1000);
    const proxied = r.probes!.filter((p) => p.via === "proxy");
    expect(new Set(proxied.map((p) => p.outcome))).toEqual(new Set(["error"]));
    // Late probes get what is left of the budget (a shorter timeout) or do not start at all.
    const allowedDetails = new Set([
      "proxy-no-response (timeout): not an HTTP proxy?",
      "not run: the total time budget of 1600ms ran out",
    ]);
    expect(proxied.filter((p) => !allowedDetails.has(p.detail.replace(/ via .*/, "")))).toEqual([]);
    expect(proxied.length).toBe(43);
    expect(r.checklist?.["egress-proxy"]?.status).toBe("error");
    expect(r.posture).toBe("unknown");
  });

  it("bad input is a usage error before anything is sent", async () => {
    await expect(runEgress(opts({ canaries: ["[::1"] }))).rejects.toThrow(
      "--canary [::1: missing ']' after an IPv6 address",
    );
    await expect(
      runEgress(opts({ canaries: ["127.0.0.1:1"], proxy: "http://u:hunter2hunter2@[bad" })),
    ).rejects.toThrow(/^--proxy http:\/\/\[bad: not a URL$/);
    await expect(runEgress(opts({ dnsResolvers: ["resolver.test"] }))).rejects.toThrow(
      "--dns-resolver resolver.test: a resolver must be an IP address",
    );
  });

  it("`defaults` in a list brings the rules/egress targets back", async () => {
    const fake: EgressDefaults = {
      canaries: [{ host: "127.0.0.1", port: closed, family: 4 }],
      ports: [],
      metadata: [],
      resolvers: [],
      queryName: "example.test",
    };
    const r = await runEgress(
      opts({ canaries: ["defaults", `127.0.0.1:${closed2}`], deps: { ...deps(), defaults: () => fake } }),
    );
    expect(r.probes!.map((p) => `${p.method} ${p.target}`)).toEqual([
      `tcp 127.0.0.1:${closed}`,
      `tcp 127.0.0.1:${closed2}`,
      `http 127.0.0.1:${closed}`,
      `http 127.0.0.1:${closed2}`,
    ]);
  });
});
