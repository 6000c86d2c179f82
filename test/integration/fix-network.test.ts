import { type ChildProcess, execFileSync, spawn, spawnSync } from "node:child_process";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateIptables, generateNftables } from "../../src/fix/firewall.js";
import { generateSquid, SQUID_ACCESS_LOG, SQUID_ALLOWLIST_PATH } from "../../src/fix/squid.js";
import type { FixOptions, GeneratedFile } from "../../src/fix/types.js";
import { baseOptions, smallReport } from "../fix/network-fixtures.js";

// The network generators of `agent-audit fix` (issue 12) checked by the real tools: `squid -k parse`
// and a real squid answering requests, `nft -c -f` and a real load (twice) of the nftables file, and
// `iptables-restore --test` / `ip6tables-restore --test`, all inside a network namespace this test
// creates and deletes (aa-fixval-<pid>); nothing touches the host's own firewall. Under CI a missing
// prerequisite fails; elsewhere the suite is skipped unless root (test/integration/lab.ts's rule).

function has(cmd: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${cmd}`], { stdio: "ignore" }).status === 0;
}

function missingPrerequisites(): string | undefined {
  if (process.getuid?.() !== 0) return "the fix validation needs root (network namespaces, nftables)";
  const missing = ["ip", "nft", "squid", "iptables-restore", "ip6tables-restore"].filter((c) => !has(c));
  if (missing.length)
    return `the fix validation needs ${missing.join(", ")} (apt-get install iproute2 nftables squid iptables)`;
  // The generated rules name the users `proxy` (Debian's squid) and `nobody`: nft and iptables resolve them.
  for (const user of ["proxy", "nobody"])
    if (spawnSync("id", [user], { stdio: "ignore" }).status !== 0) return `the user ${user} does not exist`;
  return undefined;
}

const why = missingPrerequisites();
const runIt = !why || Boolean(process.env.CI);
const NS = `aa-fixval-${process.pid}`;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Namespaces and folders left by an earlier run whose process is gone. */
function cleanStale(): void {
  const list = spawnSync("ip", ["netns", "list"], { encoding: "utf8" }).stdout ?? "";
  for (const line of list.split("\n")) {
    const m = /^aa-fixval-(\d+)\b/.exec(line);
    if (m && !alive(Number(m[1]))) spawnSync("ip", ["netns", "delete", `aa-fixval-${m[1]}`]);
  }
  for (const d of readdirSync(tmpdir())) {
    const m = /^aa-fixval-(\d+)-/.exec(d);
    if (m && !alive(Number(m[1]))) rmSync(join(tmpdir(), d), { recursive: true, force: true });
  }
}

interface Run {
  code: number;
  out: string;
}

/** Runs a command inside the test's namespace (stdout and stderr together). */
function inNs(cmd: string, args: string[], input?: string): Run {
  const r = spawnSync("ip", ["netns", "exec", NS, cmd, ...args], { encoding: "utf8", input });
  return { code: r.status ?? -1, out: `${r.stdout ?? ""}${r.stderr ?? ""}` };
}

function file(files: GeneratedFile[], path: string): string {
  const f = files.find((x) => x.path === path);
  if (!f) throw new Error(`no ${path}`);
  return f.content;
}

const VARIANTS: [string, FixOptions][] = [
  ["base (proxy 10.200.1.1)", baseOptions()],
  // `nobody` instead of the goldens' `agent`: the rules name a user that must exist where they load.
  ["--agent-user", baseOptions({ agentUser: "nobody" })],
  ["a pinned DNS resolver", baseOptions({ dnsResolver: "10.200.2.53" })],
  [
    "an IPv6 resolver and proxy",
    baseOptions({
      dnsResolver: "fd00:aa:2::53",
      proxy: { url: "http://[fd00:aa:1::1]:3128", host: "fd00:aa:1::1", port: 3128 },
    }),
  ],
  [
    "a local proxy (its user exempt)",
    baseOptions({ proxy: { url: "http://127.0.0.1:3128", host: "127.0.0.1", port: 3128 } }),
  ],
  [
    "a proxy on localhost",
    baseOptions({ proxy: { url: "http://localhost:3128", host: "localhost", port: 3128 } }),
  ],
  [
    "a proxy given by name",
    baseOptions({ proxy: { url: "http://proxy.internal:3128", host: "proxy.internal", port: 3128 } }),
  ],
];

describe.skipIf(!runIt)("fix: the network configs, checked by squid, nft and iptables", () => {
  let dir = "";
  const procs: ChildProcess[] = [];

  beforeAll(() => {
    if (why) throw new Error(`CI is set but ${why}`);
    cleanStale();
    dir = mkdtempSync(join(tmpdir(), `aa-fixval-${process.pid}-`));
    // squid drops to its own user: it must reach the folder.
    chmodSync(dir, 0o755);
    execFileSync("ip", ["netns", "add", NS]);
    inNs("ip", ["link", "set", "lo", "up"]);
  });

  afterAll(() => {
    for (const p of procs) {
      if (p.pid && p.exitCode === null) {
        try {
          process.kill(-p.pid, "SIGKILL");
        } catch {
          // already gone
        }
      }
    }
    spawnSync("ip", ["netns", "delete", NS]);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** squid.conf with its allowlist include (and, to run it, its log) pointed into the temp folder. */
  function squidFiles(opts: FixOptions, name: string): { conf: string; folder: string } {
    const files = generateSquid(smallReport(), opts);
    const folder = join(dir, name);
    mkdirSync(folder, { mode: 0o777 });
    chmodSync(folder, 0o777);
    const allow = join(folder, "allowed-domains.txt");
    writeFileSync(allow, file(files, "allowed-domains.txt"));
    const text = file(files, "squid.conf");
    expect(text).toContain(`"${SQUID_ALLOWLIST_PATH}"`);
    const conf = join(folder, "squid.conf");
    writeFileSync(conf, text.replace(`"${SQUID_ALLOWLIST_PATH}"`, `"${allow}"`));
    return { conf, folder };
  }

  /** The lines of `squid -k parse` that are not routine (warnings, errors). */
  function parseComplaints(conf: string): { code: number; complaints: string[] } {
    const r = spawnSync("squid", ["-k", "parse", "-f", conf], { encoding: "utf8" });
    const complaints = `${r.stdout}${r.stderr}`
      .split("\n")
      .filter((l) => /WARNING|ERROR|FATAL|Bungled/i.test(l))
      .map((l) => l.replace(/^\S+ \S+\| /, ""));
    return { code: r.status ?? -1, complaints };
  }

  for (const [name, opts] of VARIANTS) {
    it(`squid -k parse accepts squid.conf with its allowlist: ${name}`, () => {
      const { conf } = squidFiles(opts, `parse-${VARIANTS.findIndex((v) => v[0] === name)}`);
      // `via off` is asked for (no proxy name in requests); squid says HTTP wants Via, and nothing else.
      expect(parseComplaints(conf)).toEqual({
        code: 0,
        complaints: ["WARNING: HTTP requires the use of Via"],
      });
    });
  }

  it("squid -k parse would refuse what the generator avoids: a name listed both exactly and with `.`", () => {
    const { conf, folder } = squidFiles(baseOptions(), "parse-overlap");
    writeFileSync(join(folder, "allowed-domains.txt"), "github.com\n.github.com\n");
    const r = parseComplaints(conf);
    expect(r.code).toBe(1);
    expect(r.complaints.slice(0, 2)).toEqual([
      "ERROR: '.github.com' is a subdomain of 'github.com'",
      "ERROR: You need to remove '.github.com' from the ACL named 'allowed_domains'",
    ]);
    expect(r.complaints[2]).toMatch(
      /^FATAL: Bungled .*squid\.conf line \d+: acl allowed_domains dstdomain -n /,
    );
  });

  it("a real squid with the generated config: only allowed names on allowed ports, never IP addresses", async () => {
    const opts = baseOptions({
      allowlist: [
        {
          host: "api.example.com",
          subdomains: false,
          reason: "--allowed-host (not evil.test, nor .evil.test)",
        },
        { host: "github.com", subdomains: true, reason: "a GitHub token was found (GITHUB_TOKEN)" },
      ],
    });
    const { conf, folder } = squidFiles(opts, "run");
    // Names resolve from a hosts file (no DNS here); 10.200.9.9 has no route in the namespace, so a
    // request squid lets through fails at once with 503, while a refused one gets 403.
    writeFileSync(
      join(folder, "hosts"),
      [
        "10.200.9.9 api.example.com www.api.example.com github.com deep.www.github.com evil.test canary.test",
        "127.0.0.1 loop.github.com",
        "169.254.169.254 meta.github.com",
        "",
      ].join("\n"),
    );
    const text = readFileSync(conf, "utf8").replace(
      `access_log daemon:${SQUID_ACCESS_LOG} squid`,
      `access_log stdio:${folder}/access.log squid`,
    );
    expect(text).toContain(`access_log stdio:${folder}/access.log squid`);
    writeFileSync(
      conf,
      `${text}\n# test only\npid_filename none\ncache_log ${folder}/cache.log\nhosts_file ${folder}/hosts\n` +
        `dns_nameservers 127.0.0.1\npinger_enable off\nshutdown_lifetime 0 seconds\ncoredump_dir ${folder}\n`,
    );
    inNs("ip", ["addr", "add", "10.200.1.1/32", "dev", "lo"]);
    const child = spawn("ip", ["netns", "exec", NS, "squid", "-N", "-f", conf], {
      stdio: "ignore",
      detached: true,
    });
    procs.push(child);
    const started = Date.now();
    const cacheLog = join(folder, "cache.log");
    while (
      !(existsSync(cacheLog) && /Accepting HTTP Socket connections/.test(readFileSync(cacheLog, "utf8")))
    ) {
      if (child.exitCode !== null || Date.now() - started > 20_000)
        throw new Error(
          `squid did not start: ${existsSync(cacheLog) ? readFileSync(cacheLog, "utf8").slice(-800) : ""}`,
        );
      await new Promise((r) => setTimeout(r, 100));
    }

    const requests: [string, string][] = [
      ["CONNECT api.example.com:443", "503"],
      ["CONNECT github.com:443", "503"], // `.github.com` covers the apex
      ["CONNECT deep.www.github.com:443", "503"],
      ["GET http://api.example.com/", "503"],
      ["CONNECT www.api.example.com:443", "403"], // api.example.com is exact
      ["CONNECT canary.test:443", "403"], // not listed
      ["CONNECT evil.test:443", "403"], // named only in a `# reason` comment line
      ["CONNECT api.example.com:22", "403"], // CONNECT only to 443
      ["GET http://api.example.com:8080/", "403"], // plain HTTP only to 80
      ["CONNECT loop.github.com:443", "403"], // an allowed name that resolves to loopback
      ["CONNECT meta.github.com:443", "403"], // ... or to the metadata address
      ["CONNECT 10.200.9.9:443", "403"],
      ["CONNECT [fd00::1]:443", "403"],
      ["CONNECT 2852039166:443", "403"],
      ["CONNECT 0x7f.1:443", "403"],
      ["GET http://10.200.9.9/", "403"],
    ];
    const script = join(folder, "ask.cjs");
    writeFileSync(
      script,
      `const net = require("node:net");
const reqs = JSON.parse(process.argv[2]);
(async () => {
  const out = [];
  for (const line of reqs) {
    const [method, target] = line.split(" ");
    const host = method === "CONNECT" ? target : new URL(target).host;
    out.push(await new Promise((done) => {
      const s = net.connect(3128, "10.200.1.1", () => s.write(line + " HTTP/1.1\\r\\nHost: " + host + "\\r\\nConnection: close\\r\\n\\r\\n"));
      let buf = "";
      s.setTimeout(10000, () => { s.destroy(); done("timeout"); });
      s.on("data", (d) => { buf += d; const m = /^HTTP\\/1\\.[01] (\\d{3})/.exec(buf); if (m) { s.destroy(); done(m[1]); } });
      s.on("error", (e) => done("error " + e.code));
      s.on("close", () => done("closed"));
    }));
  }
  console.log(JSON.stringify(out));
})();
`,
    );
    const r = inNs(process.execPath, [script, JSON.stringify(requests.map((q) => q[0]))]);
    expect(r.code).toBe(0);
    const got = JSON.parse(r.out.trim()) as string[];
    expect(requests.map((q, i) => `${q[0]} -> ${got[i]}`)).toEqual(requests.map((q) => `${q[0]} -> ${q[1]}`));

    // The refusals are in squid's native access.log format, the lines `agent-audit watch` reads.
    const log = readFileSync(join(folder, "access.log"), "utf8").trim().split("\n");
    expect(log.length).toBe(requests.length);
    expect(log.filter((l) => / TCP_DENIED\/403 /.test(l)).length).toBe(12);
    expect(log.find((l) => l.includes("canary.test"))).toMatch(
      /^\d+\.\d{3} +\d+ 10\.200\.1\.1 TCP_DENIED\/403 \d+ CONNECT canary\.test:443 - HIER_NONE\/- text\/html$/,
    );
  });

  for (const [name, opts] of VARIANTS) {
    it(`nft -c -f, iptables-restore --test and ip6tables-restore --test accept the rules: ${name}`, () => {
      const nft = generateNftables(smallReport(), opts);
      const ipt = generateIptables(smallReport(), opts);
      expect(inNs("nft", ["-c", "-f", "-"], file(nft, "nftables.nft"))).toEqual({ code: 0, out: "" });
      expect(inNs("iptables-restore", ["--test"], file(ipt, "iptables.rules"))).toEqual({ code: 0, out: "" });
      expect(inNs("ip6tables-restore", ["--test"], file(ipt, "ip6tables.rules"))).toEqual({
        code: 0,
        out: "",
      });
    });
  }

  it("the checks can fail: nft and iptables-restore refuse a rule naming a user that does not exist", () => {
    const missing = "aa-no-such-user";
    const nft = file(generateNftables(smallReport(), baseOptions({ agentUser: missing })), "nftables.nft");
    const ipt = file(generateIptables(smallReport(), baseOptions({ agentUser: missing })), "iptables.rules");
    expect(inNs("nft", ["-c", "-f", "-"], nft).code).not.toBe(0);
    expect(inNs("iptables-restore", ["--test"], ipt).code).not.toBe(0);
  });

  it("nftables.nft loads for real, twice, to the same table; it rejects at once and counts", () => {
    const text = file(generateNftables(smallReport(), baseOptions()), "nftables.nft");
    expect(inNs("nft", ["-f", "-"], text)).toEqual({ code: 0, out: "" });
    const first = inNs("nft", ["list", "table", "inet", "agent_audit"]);
    expect(first.code).toBe(0);
    expect(inNs("nft", ["-f", "-"], text)).toEqual({ code: 0, out: "" });
    const second = inNs("nft", ["list", "table", "inet", "agent_audit"]);
    expect(second).toEqual(first);
    expect(
      first.out
        .split("\n")
        .map((l) => l.trim())
        .filter(Boolean),
    ).toEqual([
      "table inet agent_audit {",
      "chain output {",
      "type filter hook output priority filter; policy drop;",
      'oif "lo" accept',
      "ct state established,related accept",
      "icmpv6 type { mld-listener-report, nd-router-solicit, nd-neighbor-solicit, nd-neighbor-advert, mld2-listener-report } accept",
      "ip daddr 10.200.1.1 tcp dport 3128 accept",
      'counter packets 0 bytes 0 log prefix "agent-audit-deny: " reject with icmpx admin-prohibited',
      "}",
      "}",
    ]);
    // Exactly one table: loading twice did not stack a second copy.
    expect(inNs("nft", ["list", "tables"]).out.trim()).toBe("table inet agent_audit");

    // (The loads above ran with loopback only, so no packet could move the counter between them.)
    // A route out of the namespace, over a veth pair whose other end answers nothing: without the
    // firewall a connection there fails only after ARP gives up (about 3 s); with it, at once. The
    // link coming up sends neighbour discovery and MLD reports, which pass: only the probe is counted.
    for (const args of [
      ["link", "add", "aa0", "type", "veth", "peer", "name", "aa1"],
      ["addr", "add", "10.200.8.1/24", "dev", "aa0"],
      ["link", "set", "aa0", "up"],
      ["link", "set", "aa1", "up"],
      ["route", "add", "default", "via", "10.200.8.2"],
    ])
      expect(inNs("ip", args)).toEqual({ code: 0, out: "" });

    const probe = inNs(process.execPath, [
      "-e",
      `const s = require("node:net").connect(443, "10.200.8.9");
       const t = Date.now();
       s.on("error", (e) => { console.log(e.code, Date.now() - t < 1000); process.exit(0); });
       s.on("connect", () => { console.log("connected"); process.exit(0); });
       setTimeout(() => { console.log("timeout"); process.exit(0); }, 5000);`,
    ]);
    expect(probe.out.trim()).toBe("EHOSTUNREACH true");
    expect(inNs("nft", ["list", "table", "inet", "agent_audit"]).out).toMatch(
      /counter packets 1 bytes \d+ log prefix "agent-audit-deny: " reject/,
    );
  });
});
