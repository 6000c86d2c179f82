import { execFileSync } from "node:child_process";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADDR, cleanStale, ensureBuilt, Lab, missingPrerequisites } from "./lab.js";

// Issue 12, "Done when": `agent-audit fix --apply` in the egress lab (test/integration/lab.ts). From
// the open posture, the generated nftables and squid configs are applied by the real CLI inside the
// lab's agent namespace (nft -f loads the table there only; --system-root puts /etc/... under a temp
// folder), the self-test and a separate `probe` then report kernel-enforced-with-proxy with the allowed
// host working through the lab's squid; a second squid started from the generated (placed) squid.conf
// lets allowed.test through and refuses canary.test; `fix --rollback` returns to open. And a self-test
// that does not improve (the lab already firewall+proxy) rolls back by itself. Under CI a missing
// prerequisite fails; elsewhere the suite is skipped unless root (egress-lab.test.ts's rule).
const why = missingPrerequisites();
const runLab = !why || Boolean(process.env.CI);

/** Debian's squid (5.7): its compiled-in pid_filename, which the generated squid.conf keeps. */
const DEFAULT_SQUID_PID = "/run/squid.pid";
const PROXY = `http://${ADDR.proxy}:${ADDR.proxyPort}`;
/** Lab targets only, never the default ones. */
const TARGET_ARGS = [
  "--no-default-targets",
  "--canary",
  "canary.test:443",
  "--canary",
  `${ADDR.literal4}:443`,
  "--canary",
  `[${ADDR.literal6}]:443`,
  "--allowed-host",
  "allowed.test",
  "--dns-resolver",
  ADDR.resolver4,
  "--dns-resolver",
  ADDR.resolver6,
  "--metadata",
  `${ADDR.metadata}:80`,
  "--timeout-ms",
  "1500",
];

interface Report {
  probes: { method: string; via: string; target: string; outcome: string; detail: string }[];
  findings: { ruleId: string; severity: string }[];
  egress: { posture: string; firewall: Record<string, unknown> };
  checklist: { id: string; status: string }[];
}

/** The 24 direct probes of TARGET_ARGS (canary.test has an A and an AAAA record in the lab). */
function directProbes(): string[] {
  const out: string[] = [];
  for (const a of [ADDR.canary4, `[${ADDR.canary6}]`, ADDR.literal4, `[${ADDR.literal6}]`]) {
    for (const port of [443, 22, 25, 53]) out.push(`tcp direct ${a}:${port}`);
    out.push(`http direct ${a}:80`);
  }
  out.push(`dns direct ${ADDR.resolver4}:53`, `dns direct [${ADDR.resolver6}]:53`);
  out.push(`dns direct ${ADDR.resolverConfigured}:53`, `http direct ${ADDR.metadata}:80`);
  return out;
}

/** The proxy probes the lab's squid (allowlist allowed.test, .wild.test) refuses. */
const PROXY_BLOCKED = [
  "connect proxy canary.test:443",
  "http proxy canary.test:80",
  `connect proxy ${ADDR.literal4}:443`,
  `http proxy ${ADDR.literal4}:80`,
  `connect proxy [${ADDR.literal6}]:443`,
  `http proxy [${ADDR.literal6}]:80`,
  `connect proxy ${ADDR.canary4}:443`,
  `connect proxy [${ADDR.canary6}]:443`,
  `connect proxy ${ADDR.allowed4}:443`,
  `http proxy ${ADDR.metadata}:80`,
];
const PROXY_OPEN = ["connect proxy allowed.test:443", "http proxy allowed.test:80"];

function outcomes(r: Report): string[] {
  return r.probes.map((p) => `${p.method} ${p.via} ${p.target} ${p.outcome}`).sort();
}

function expected(open: string[], blocked: string[]): string[] {
  return [...open.map((s) => `${s} open`), ...blocked.map((s) => `${s} blocked`)].sort();
}

/** Every file below `dir`, relative, sorted (directories end in /). */
function tree(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string, rel: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) {
        out.push(`${r}/`);
        walk(join(d, e.name), r);
      } else out.push(r);
    }
  };
  walk(dir, "");
  return out.sort();
}

/** The tables of the test process's own (root) network namespace: must never change. */
function hostTables(): string {
  return execFileSync("nft", ["list", "tables"], { encoding: "utf8" });
}

describe.skipIf(!runLab)("fix --apply in the egress lab: nftables and squid, self-test, rollback", () => {
  let lab: Lab;
  let tmp = "";
  let hostBefore = "";

  beforeAll(async () => {
    if (why) throw new Error(`CI is set but ${why}`);
    // `squid -k check` of the placed squid.conf signals the pid in squid's default pid file: a squid
    // running on this host with it would be reconfigured with the lab's config. Refuse to run rather
    // than touch it. (The labs' own squids run with `pid_filename none`.)
    if (existsSync(DEFAULT_SQUID_PID))
      throw new Error(`${DEFAULT_SQUID_PID} exists (a squid runs here): fix --apply would reconfigure it`);
    ensureBuilt();
    cleanStale();
    hostBefore = hostTables();
    lab = new Lab();
    try {
      await lab.up();
    } catch (e) {
      lab.down();
      throw e;
    }
    // squid drops to its own user: it must reach the placed files.
    tmp = mkdtempSync(join(lab.dir, "fix-"));
    chmodSync(tmp, 0o755);
  }, 60_000);

  afterAll(() => {
    lab?.down();
  });

  interface Dirs {
    home: string;
    root: string;
    sys: string;
    state: string;
    out: string;
  }

  function dirs(name: string): Dirs {
    const base = join(tmp, name);
    const d = {
      home: join(base, "home"),
      root: join(base, "root"),
      sys: join(base, "sys"),
      state: join(base, "state"),
      out: join(base, "out"),
    };
    for (const p of [d.home, d.root, d.sys]) mkdirSync(p, { recursive: true, mode: 0o755 });
    chmodSync(base, 0o755);
    return d;
  }

  function applyArgs(d: Dirs): string[] {
    return [
      "fix",
      "--sources",
      "env",
      "--home",
      d.home,
      "--root",
      d.root,
      "--probe",
      ...TARGET_ARGS,
      "--proxy",
      PROXY,
      "--only",
      "nftables,squid",
      "--apply",
      "--system-root",
      d.sys,
      "--state-dir",
      d.state,
      "--out",
      d.out,
    ];
  }

  async function probe(extra: string[], exitCode: number): Promise<Report> {
    const r = await lab.run(["probe", ...TARGET_ARGS, ...extra, "--format", "json"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(exitCode);
    return JSON.parse(r.stdout) as Report;
  }

  function manifestOf(d: Dirs): string {
    const ids = readdirSync(d.state);
    expect(ids).toHaveLength(1);
    expect(ids[0]).toMatch(/^\d{8}T\d{6}Z$/);
    return join(d.state, ids[0]!, "manifest.json");
  }

  const NFT = "etc/nftables.d/agent-audit.nft";
  const CONF = "etc/squid/squid.conf";
  const LIST = "etc/squid/allowed-domains.txt";
  const one = { d: undefined as Dirs | undefined };

  it("from the open posture, apply gives kernel-enforced-with-proxy, in the agent namespace only", async () => {
    lab.firewall("open");
    // The issue's starting point: no firewall, no proxy in the environment.
    const before = await probe([], 1);
    expect(before.egress.posture).toBe("open");

    const d = dirs("one");
    one.d = d;
    const r = await lab.run(applyArgs(d));
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const s = d.sys;
    const manifest = manifestOf(d);
    expect(r.stdout.split("\n").slice(-10)).toEqual([
      "Nothing outside the output directory was changed.",
      `  create    ${join(s, CONF)}`,
      `  create    ${join(s, LIST)}`,
      `  create    ${join(s, NFT)}`,
      `  ran       squid -k parse -f ${join(s, CONF)} -> ok`,
      // No squid runs with the placed config's pid file: nothing to reconfigure, not a failure.
      `  ran       squid -k check -f ${join(s, CONF)} -> exit 1`,
      `  ran       nft -f ${join(s, NFT)} -> ok`,
      `Applied. Manifest: ${manifest} (undo with agent-audit fix --rollback)`,
      // The before scan probes through --proxy too (the lab's squid answers): proxy-bypassable.
      "Self-test: egress posture proxy-bypassable -> kernel-enforced-with-proxy.",
      "",
    ]);
    expect(r.stdout).toContain("Allowlist (1): allowed.test\n");
    expect(tree(s)).toEqual(["etc/", "etc/nftables.d/", NFT, "etc/squid/", LIST, CONF]);
    // The placed files are the generated ones (squid.conf pointing at the placed allowlist).
    expect(readFileSync(join(s, NFT), "utf8")).toBe(readFileSync(join(d.out, "nftables.nft"), "utf8"));
    expect(readFileSync(join(s, LIST), "utf8")).toBe(
      readFileSync(join(d.out, "allowed-domains.txt"), "utf8"),
    );
    expect(readFileSync(join(s, CONF), "utf8")).toBe(
      readFileSync(join(d.out, "squid.conf"), "utf8").replace(
        '"/etc/squid/allowed-domains.txt"',
        `"${join(s, LIST)}"`,
      ),
    );
    expect(
      readFileSync(join(s, LIST), "utf8")
        .split("\n")
        .filter((l) => l && !l.startsWith("#")),
    ).toEqual(["allowed.test"]);

    // The table is in the agent namespace, and only there.
    const table = lab.exec("agent", "nft", ["list", "table", "inet", "agent_audit"]);
    expect(table.code).toBe(0);
    expect(table.out).toContain(`ip daddr ${ADDR.proxy} tcp dport ${ADDR.proxyPort} accept`);
    expect(lab.exec("agent", "nft", ["list", "tables"]).out).toBe("table inet agent_audit\n");
    expect(lab.exec("inet", "nft", ["list", "tables"]).out).toBe("");
    expect(hostTables() === hostBefore).toBe(true);

    // A separate probe: every direct probe blocked, the allowed host open through the proxy.
    const after = await probe(["--proxy", PROXY], 0);
    expect(after.egress.posture).toBe("kernel-enforced-with-proxy");
    expect(outcomes(after)).toEqual(expected(PROXY_OPEN, [...directProbes(), ...PROXY_BLOCKED]));
    expect(Object.fromEntries(after.checklist.map((c) => [c.id, c.status]))).toMatchObject({
      "default-deny-egress": "pass",
      "egress-proxy": "pass",
    });
    expect(after.findings).toEqual([]);
    // The generated rules reject: over IPv4 at once (EHOSTUNREACH); over IPv6 EACCES, after about a
    // second (the kernel rate-limits ICMPv6 errors and the SYN is sent again), or past the probe's
    // timeout when more retransmits are needed: still blocked, never open.
    const details = (v6: boolean) =>
      new Set(
        after.probes
          .filter((p) => p.via === "direct" && p.method !== "dns" && p.target.startsWith("[") === v6)
          .map((p) => p.detail.replace(/ \[.*\]$/, "")),
      );
    expect(details(false)).toEqual(new Set(["unreachable (EHOSTUNREACH)"]));
    expect(details(true).size).toBeGreaterThan(0);
    expect(["denied-locally (EACCES)", "timeout"]).toEqual(expect.arrayContaining([...details(true)]));
    expect(after.egress.firewall).toMatchObject({ ipv4OutputDefaultDeny: true, ipv6OutputDefaultDeny: true });
    expect(lab.exec("agent", "nft", ["list", "table", "inet", "agent_audit"]).out).toMatch(
      /counter packets [1-9]\d* bytes \d+ log prefix "agent-audit-egress: " reject/,
    );
  }, 120_000);

  it("a second squid from the generated squid.conf lets allowed.test through and refuses canary.test", async () => {
    const d = one.d!;
    const placed = readFileSync(join(d.sys, CONF), "utf8");
    const folder = join(lab.dir, "squid-fix");
    mkdirSync(folder, { mode: 0o777 });
    chmodSync(folder, 0o777);
    // A lab copy of the placed config, changed only where the lab needs it: another port (the lab's
    // squid holds 3128; http_port adds a port, so the line is replaced), the access log in the lab
    // folder instead of /var/log/squid (access_log also adds, so replaced); and, appended (squid's
    // later single-value directives win), the lab's names, no pid file, logs in the folder.
    const listen = `http_port ${ADDR.proxy}:${ADDR.proxyPort}`;
    const log = "access_log daemon:/var/log/squid/access.log squid";
    expect(placed.split("\n").filter((l) => l === listen || l === log)).toEqual([listen, log]);
    writeFileSync(
      join(folder, "hosts"),
      `${ADDR.canary4} canary.test\n${ADDR.allowed4} allowed.test\n${ADDR.wild4} wild.test\n`,
    );
    const conf = join(folder, "squid.conf");
    writeFileSync(
      conf,
      `${placed
        .replace(listen, `http_port ${ADDR.proxy}:3129`)
        .replace(log, `access_log stdio:${folder}/access.log squid`)}\n# lab only\npid_filename none\n` +
        `cache_log ${folder}/cache.log\nhosts_file ${folder}/hosts\ndns_nameservers ${ADDR.resolverConfigured}\n` +
        `pinger_enable off\nshutdown_lifetime 0 seconds\ncoredump_dir ${folder}\n`,
    );
    const squid = await lab.squid(conf, folder);
    try {
      // The client runs in the internet namespace: the agent's firewall (loaded above) lets it reach
      // port 3128 only.
      const requests: [string, string][] = [
        ["CONNECT allowed.test:443", "200"],
        ["GET http://allowed.test/", "200"],
        ["CONNECT canary.test:443", "403"],
        ["GET http://canary.test/", "403"],
        ["CONNECT www.allowed.test:443", "403"], // allowed.test is exact
        ["CONNECT wild.test:443", "403"], // on the lab squid's list, not on the generated one
        ["CONNECT allowed.test:22", "403"],
        [`CONNECT ${ADDR.allowed4}:443`, "403"],
        [`GET http://${ADDR.metadata}/`, "403"],
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
      const s = net.connect(3129, "${ADDR.proxy}", () => s.write(line + " HTTP/1.1\\r\\nHost: " + host + "\\r\\nConnection: close\\r\\n\\r\\n"));
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
      const r = lab.exec("inet", process.execPath, [script, JSON.stringify(requests.map((q) => q[0]))]);
      expect(r.code).toBe(0);
      const got = JSON.parse(r.out.trim()) as string[];
      expect(requests.map((q, i) => `${q[0]} -> ${got[i]}`)).toEqual(
        requests.map((q) => `${q[0]} -> ${q[1]}`),
      );
      const lines = readFileSync(join(folder, "access.log"), "utf8").trim().split("\n");
      expect(lines.length).toBe(requests.length);
      expect(lines.filter((l) => / TCP_DENIED\/403 /.test(l)).length).toBe(7);
      expect(lines.find((l) => l.includes("CONNECT canary.test:443"))).toMatch(
        /^\d+\.\d{3} +\d+ 10\.200\.1\.1 TCP_DENIED\/403 \d+ CONNECT canary\.test:443 - HIER_NONE\/- text\/html$/,
      );
    } finally {
      if (squid.pid) process.kill(-squid.pid, "SIGKILL");
    }
  }, 60_000);

  it("--rollback deletes the placed files, unloads the table, and the posture is open again", async () => {
    const d = one.d!;
    const s = d.sys;
    const manifest = manifestOf(d);
    const r = await lab.run(["fix", "--rollback", "--state-dir", d.state]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      [
        `Rollback of ${manifest}:`,
        `  deleted   ${join(s, NFT)}`,
        `  deleted   ${join(s, LIST)}`,
        `  deleted   ${join(s, CONF)}`,
        "  ran       nft delete table inet agent_audit -> ok",
        `  removed   ${join(s, "etc/nftables.d")}/`,
        `  removed   ${join(s, "etc/squid")}/`,
        `  removed   ${join(s, "etc")}/`,
        "Restored: every file is as it was before the apply.",
        "",
      ].join("\n"),
    );
    // None of the files existed before: nothing is left under the system root.
    expect(tree(s)).toEqual([]);
    expect(lab.exec("agent", "nft", ["list", "table", "inet", "agent_audit"]).code).not.toBe(0);
    expect(lab.exec("agent", "nft", ["list", "tables"]).out).toBe("");
    expect(hostTables() === hostBefore).toBe(true);
    const after = await probe([], 1);
    expect(after.egress.posture).toBe("open");
    expect(outcomes(after)).toEqual(expected(directProbes(), []));
  }, 60_000);

  it("a self-test that does not improve (already firewall+proxy) rolls back by itself", async () => {
    lab.firewall("firewall+proxy");
    const d = dirs("two");
    const r = await lab.run(applyArgs(d));
    expect(r.stderr).toBe("");
    expect(r.code).toBe(1);
    const s = d.sys;
    const manifest = manifestOf(d);
    expect(r.stdout.split("\n").slice(-10)).toEqual([
      `  create    ${join(s, CONF)}`,
      `  create    ${join(s, LIST)}`,
      `  create    ${join(s, NFT)}`,
      `  ran       squid -k parse -f ${join(s, CONF)} -> ok`,
      `  ran       squid -k check -f ${join(s, CONF)} -> exit 1`,
      `  ran       nft -f ${join(s, NFT)} -> ok`,
      `Applied. Manifest: ${manifest} (undo with agent-audit fix --rollback)`,
      "Self-test: egress posture kernel-enforced-with-proxy -> kernel-enforced-with-proxy.",
      "The posture did not improve: everything was rolled back (restored).",
      "",
    ]);
    expect(tree(s)).toEqual([]);
    // The lab's own table stays; the one the apply loaded is gone.
    expect(lab.exec("agent", "nft", ["list", "tables"]).out).toBe("table inet aa_egress\n");
    expect(hostTables() === hostBefore).toBe(true);
    // The manifest records the rollback; a second --rollback finds every file already as before.
    const m = JSON.parse(readFileSync(manifest, "utf8")) as {
      status: string;
      rolledBack: { complete: boolean };
    };
    expect(m.status).toBe("applied");
    expect(m.rolledBack.complete).toBe(true);
    const again = await lab.run(["fix", "--rollback", "--state-dir", d.state]);
    expect(again.code).toBe(0);
    expect(again.stdout).toBe(
      [
        `Rollback of ${manifest}:`,
        `  already   ${join(s, NFT)}`,
        `  already   ${join(s, LIST)}`,
        `  already   ${join(s, CONF)}`,
        "Restored: every file is as it was before the apply.",
        "",
      ].join("\n"),
    );
    expect(lab.exec("agent", "nft", ["list", "tables"]).out).toBe("table inet aa_egress\n");
  }, 120_000);
});
