// A real egress lab built from network namespaces (ip-netns(8)) and a veth pair; no packet ever leaves
// them. "internet" holds web servers on canary and allowed addresses, a fake metadata server on
// 169.254.169.254, DNS responders and a real squid with an allowlist. "agent" holds the probe and, per
// posture, real nftables rules. `ip netns exec` bind-mounts /etc/netns/<agent>/{hosts,resolv.conf} over
// /etc, which gives the agent its own names and resolver.
import { type ChildProcess, execFileSync, spawn, spawnSync } from "node:child_process";
import {
  chmodSync,
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const SERVER_SCRIPT = join(REPO, "test/integration/servers/lab-server.mjs");
const BIN = join(REPO, "dist/src/cli/bin.js");

/** Addresses inside the lab (RFC 1918 / ULA / link-local, all owned by the lab's own namespaces). */
export const ADDR = {
  agent4: "10.200.1.2",
  agent6: "fd00:aa:1::2",
  gw4: "10.200.1.1",
  gw6: "fd00:aa:1::1",
  proxy: "10.200.1.1",
  proxyPort: 3128,
  canary4: "10.200.2.10",
  canary6: "fd00:aa:2::10",
  literal4: "10.200.2.11",
  literal6: "fd00:aa:2::11",
  allowed4: "10.200.2.20",
  wild4: "10.200.2.21",
  resolverConfigured: "10.200.2.53",
  resolver4: "10.200.2.54",
  resolver6: "fd00:aa:2::54",
  metadata: "169.254.169.254",
} as const;

export type Posture = "open" | "proxy-only" | "firewall-only" | "firewall+proxy" | "ipv4-firewall+proxy";

export const PREFIX = "aa-";

function sh(cmd: string, args: string[], input?: string): string {
  return execFileSync(cmd, args, { encoding: "utf8", input, stdio: ["pipe", "pipe", "pipe"] });
}

function ns(name: string, cmd: string, args: string[], input?: string): string {
  return sh("ip", ["netns", "exec", name, cmd, ...args], input);
}

function has(cmd: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${cmd}`], { stdio: "ignore" }).status === 0;
}

/** Why the lab cannot run here, or undefined. */
export function missingPrerequisites(): string | undefined {
  if (process.getuid?.() !== 0) return "the egress lab needs root (network namespaces, nftables)";
  const missing = ["ip", "nft", "squid"].filter((c) => !has(c));
  if (missing.length)
    return `the egress lab needs ${missing.join(", ")} (apt-get install iproute2 nftables squid)`;
  return undefined;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Crash recovery: removes namespaces, /etc/netns entries, processes and temp folders left by an earlier
 * run whose process is gone (names carry the owning pid: aa-<pid>-agent).
 */
export function cleanStale(): void {
  const list = spawnSync("ip", ["netns", "list"], { encoding: "utf8" }).stdout ?? "";
  for (const line of list.split("\n")) {
    const name = line.split(" ")[0] ?? "";
    const m = /^aa-(\d+)-(agent|inet)$/.exec(name);
    if (!m || alive(Number(m[1]))) continue;
    killNamespaceProcesses(name);
    spawnSync("ip", ["netns", "delete", name]);
  }
  if (existsSync("/etc/netns")) {
    for (const d of readdirSync("/etc/netns")) {
      const m = /^aa-(\d+)-agent$/.exec(d);
      if (m && !alive(Number(m[1]))) rmSync(join("/etc/netns", d), { recursive: true, force: true });
    }
  }
  for (const d of readdirSync(tmpdir())) {
    const m = /^aa-lab-(\d+)-/.exec(d);
    if (m && !alive(Number(m[1]))) rmSync(join(tmpdir(), d), { recursive: true, force: true });
  }
}

/** Kills what runs inside a namespace (only the lab's own namespaces are ever passed here). */
function killNamespaceProcesses(name: string): void {
  const pids = (spawnSync("ip", ["netns", "pids", name], { encoding: "utf8" }).stdout ?? "")
    .split("\n")
    .map((s) => Number(s.trim()))
    .filter((n) => Number.isInteger(n) && n > 1);
  for (const pid of pids) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
}

/** Builds dist/ when it is missing or older than src/ (the lab runs the real CLI inside the namespace). */
export function ensureBuilt(): void {
  const newest = (dir: string): number => {
    let t = 0;
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
    }
    return t;
  };
  if (existsSync(BIN) && statSync(BIN).mtimeMs >= newest(join(REPO, "src"))) return;
  // tsc emits even when another file has a type error; the type check is `npm run build`'s job.
  spawnSync(process.execPath, [join(REPO, "node_modules/typescript/bin/tsc"), "-p", REPO], {
    stdio: "ignore",
  });
  if (!existsSync(BIN)) throw new Error("the egress lab needs a build: npx tsc -p . did not produce dist/");
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export class Lab {
  readonly agent = `${PREFIX}${process.pid}-agent`;
  readonly inet = `${PREFIX}${process.pid}-inet`;
  readonly dir = mkdtempSync(join(tmpdir(), `aa-lab-${process.pid}-`));
  private readonly procs: ChildProcess[] = [];
  private createdEtcNetns = false;

  async up(): Promise<void> {
    const vA = `aa${process.pid}a`;
    const vI = `aa${process.pid}i`;
    sh("ip", ["netns", "add", this.agent]);
    sh("ip", ["netns", "add", this.inet]);
    sh("ip", [
      "link",
      "add",
      vA,
      "netns",
      this.agent,
      "type",
      "veth",
      "peer",
      "name",
      vI,
      "netns",
      this.inet,
    ]);
    for (const n of [this.agent, this.inet]) ns(n, "ip", ["link", "set", "lo", "up"]);
    ns(this.agent, "ip", ["addr", "add", `${ADDR.agent4}/24`, "dev", vA]);
    ns(this.agent, "ip", ["-6", "addr", "add", `${ADDR.agent6}/64`, "dev", vA, "nodad"]);
    ns(this.agent, "ip", ["link", "set", vA, "up"]);
    ns(this.agent, "ip", ["route", "add", "default", "via", ADDR.gw4]);
    ns(this.agent, "ip", ["-6", "route", "add", "default", "via", ADDR.gw6]);
    ns(this.inet, "ip", ["addr", "add", `${ADDR.gw4}/24`, "dev", vI]);
    ns(this.inet, "ip", ["-6", "addr", "add", `${ADDR.gw6}/64`, "dev", vI, "nodad"]);
    // The "internet": every outside address lives on the internet namespace's end of the veth.
    for (const a of [
      ADDR.canary4,
      ADDR.literal4,
      ADDR.allowed4,
      ADDR.wild4,
      ADDR.resolverConfigured,
      ADDR.resolver4,
      ADDR.metadata,
    ])
      ns(this.inet, "ip", ["addr", "add", `${a}/32`, "dev", vI]);
    for (const a of [ADDR.canary6, ADDR.literal6, ADDR.resolver6])
      ns(this.inet, "ip", ["-6", "addr", "add", `${a}/128`, "dev", vI, "nodad"]);
    ns(this.inet, "ip", ["link", "set", vI, "up"]);
    // Wait for the link-local addresses to leave DAD, or the first IPv6 connections wait ~1 s on
    // neighbour discovery and a short --timeout-ms would read as "blocked".
    for (let i = 0; i < 50; i++) {
      const tentative = [this.agent, this.inet].some((n) =>
        ns(n, "ip", ["-6", "addr", "show", "tentative"]).trim(),
      );
      if (!tentative) break;
      await new Promise((r) => setTimeout(r, 100));
    }

    // The agent's names and resolver (ip-netns(8): files in /etc/netns/NAME are bind-mounted over /etc).
    if (!existsSync("/etc/netns")) {
      mkdirSync("/etc/netns");
      this.createdEtcNetns = true;
    }
    const etc = join("/etc/netns", this.agent);
    mkdirSync(etc, { recursive: true });
    writeFileSync(
      join(etc, "hosts"),
      `127.0.0.1 localhost\n::1 localhost\n${ADDR.canary4} canary.test\n${ADDR.canary6} canary.test\n${ADDR.allowed4} allowed.test\n`,
    );
    writeFileSync(
      join(etc, "resolv.conf"),
      `nameserver ${ADDR.resolverConfigured}\noptions timeout:1 attempts:1\n`,
    );

    const web = (hosts: string[], ports: number[]) =>
      hosts.flatMap((host) => ports.map((port) => ({ host, port })));
    const records = {
      "canary.test": { a: [ADDR.canary4], aaaa: [ADDR.canary6] },
      "allowed.test": { a: [ADDR.allowed4] },
      "wild.test": { a: [ADDR.wild4] },
      "agent-audit-probe.wild.test": { a: [ADDR.wild4] },
    };
    await this.spawnReady("servers", this.inet, process.execPath, [
      SERVER_SCRIPT,
      JSON.stringify({
        name: "lab",
        http: [
          ...web([ADDR.canary4, ADDR.canary6, ADDR.literal4, ADDR.literal6], [80, 443, 22, 25, 53]),
          ...web([ADDR.allowed4, ADDR.wild4], [80, 443]),
          ...web([ADDR.metadata], [80]),
        ],
        dns: [ADDR.resolverConfigured, ADDR.resolver4, ADDR.resolver6].map((host) => ({ host, port: 53 })),
        records,
      }),
    ]);
    await this.startSquid();
  }

  /** Starts a process in a namespace and waits for "ready" on its stdout. */
  private spawnReady(what: string, netns: string, cmd: string, args: string[]): Promise<void> {
    const child = spawn("ip", ["netns", "exec", netns, cmd, ...args], {
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    this.procs.push(child);
    return new Promise((resolveReady, reject) => {
      let out = "";
      const timer = setTimeout(() => reject(new Error(`lab: ${what} did not start`)), 10_000);
      child.stdout!.on("data", (d: Buffer) => {
        out += d.toString();
        if (out.includes("ready")) {
          clearTimeout(timer);
          resolveReady();
        }
      });
      child.stderr!.on("data", (d: Buffer) => {
        out += d.toString();
      });
      child.once("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`lab: ${what} exited (${code}): ${out.slice(0, 500)}`));
      });
    });
  }

  /** A real squid, default-deny with an allowlist (shared/research/egress-approval.md §6.2). */
  private async startSquid(): Promise<void> {
    const d = join(this.dir, "squid");
    // squid drops to its own user (cache_effective_user): it must reach and write its folder.
    chmodSync(this.dir, 0o755);
    mkdirSync(d, { mode: 0o777 });
    writeFileSync(
      join(d, "hosts"),
      `${ADDR.canary4} canary.test\n${ADDR.allowed4} allowed.test\n${ADDR.wild4} wild.test agent-audit-probe.wild.test\n`,
    );
    const conf = join(d, "squid.conf");
    writeFileSync(
      conf,
      [
        `http_port ${ADDR.proxy}:${ADDR.proxyPort}`,
        "pid_filename none",
        `cache_log ${d}/cache.log`,
        `access_log stdio:${d}/access.log squid`,
        "cache deny all",
        "cache_mem 8 MB",
        `hosts_file ${d}/hosts`,
        `dns_nameservers ${ADDR.resolverConfigured}`,
        "pinger_enable off",
        "shutdown_lifetime 0 seconds",
        `coredump_dir ${d}`,
        "acl SSL_ports port 443",
        "acl Safe_ports port 80 443",
        "acl CONNECT method CONNECT",
        // -n: no reverse DNS of IP-literal URLs; `.wild.test` also matches the apex (squid semantics).
        "acl allowed_dst dstdomain -n allowed.test .wild.test",
        "http_access deny !Safe_ports",
        "http_access deny CONNECT !SSL_ports",
        "http_access allow allowed_dst",
        "http_access deny all",
        "",
      ].join("\n"),
    );
    sh("chmod", ["-R", "a+rwX", d]);
    await this.squid(conf, d);
  }

  /**
   * Runs `squid -N -f conf` in the internet namespace and waits until it accepts connections. The
   * config must log to `d`/cache.log (cache_log) and not use the default pid file; squid's own
   * output goes to `d`/squid.out. The process is killed by down() (or returned, to stop earlier).
   */
  async squid(conf: string, d: string): Promise<ChildProcess> {
    const out = openSync(join(d, "squid.out"), "w");
    const child = spawn("ip", ["netns", "exec", this.inet, "squid", "-N", "-f", conf], {
      stdio: ["ignore", out, out],
      detached: true,
    });
    closeSync(out);
    this.procs.push(child);
    const started = Date.now();
    while (Date.now() - started < 20_000) {
      const log = existsSync(join(d, "cache.log")) ? readFileSync(join(d, "cache.log"), "utf8") : "";
      if (/Accepting HTTP Socket connections/.test(log)) return child;
      if (child.exitCode !== null) {
        const stderr = readFileSync(join(d, "squid.out"), "utf8");
        throw new Error(`lab: squid exited: ${stderr.slice(-500)} ${log.slice(-1000)}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error("lab: squid did not start within 20s");
  }

  /** Runs a command in one of the lab's namespaces: exit code and stdout+stderr (never throws). */
  exec(where: "agent" | "inet", cmd: string, args: string[], input?: string): { code: number; out: string } {
    const name = where === "agent" ? this.agent : this.inet;
    const r = spawnSync("ip", ["netns", "exec", name, cmd, ...args], { encoding: "utf8", input });
    return { code: r.status ?? -1, out: `${r.stdout ?? ""}${r.stderr ?? ""}` };
  }

  /** Applies a posture's nftables rules in the agent namespace (and none for open / proxy-only). */
  firewall(posture: Posture): void {
    ns(this.agent, "nft", ["flush", "ruleset"]);
    if (posture === "open" || posture === "proxy-only") return;
    const family = posture === "ipv4-firewall+proxy" ? "ip" : "inet";
    const proxyRule =
      posture === "firewall-only" ? "" : `ip daddr ${ADDR.proxy} tcp dport ${ADDR.proxyPort} accept\n`;
    ns(
      this.agent,
      "nft",
      ["-f", "-"],
      `table ${family} aa_egress {\n  chain output {\n    type filter hook output priority 0; policy drop;\n` +
        `    oif "lo" accept\n    ct state established,related accept\n    ${proxyRule}  }\n}\n`,
    );
  }

  /** Runs the built CLI inside the agent namespace, with only PATH from this environment. */
  run(args: string[], agentEnv = ""): Promise<RunResult> {
    const envFile = join(this.dir, `env-${Math.random().toString(36).slice(2)}`);
    writeFileSync(envFile, agentEnv);
    const cwd = mkdtempSync(join(this.dir, "cwd-"));
    return new Promise((resolveRun) => {
      const child = spawn(
        "ip",
        ["netns", "exec", this.agent, process.execPath, BIN, ...args, "--environ", envFile],
        { cwd, env: { PATH: process.env.PATH ?? "/usr/sbin:/usr/bin:/sbin:/bin" } },
      );
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (d: Buffer) => {
        stdout += d.toString();
      });
      child.stderr.on("data", (d: Buffer) => {
        stderr += d.toString();
      });
      child.on("close", (code) => resolveRun({ code: code ?? -1, stdout, stderr }));
    });
  }

  squidAccessLog(): string {
    const p = join(this.dir, "squid", "access.log");
    return existsSync(p) ? readFileSync(p, "utf8") : "";
  }

  down(): void {
    for (const p of this.procs) {
      if (p.pid && p.exitCode === null) {
        try {
          process.kill(-p.pid, "SIGKILL");
        } catch {
          // already gone
        }
      }
    }
    for (const n of [this.agent, this.inet]) {
      killNamespaceProcesses(n);
      spawnSync("ip", ["netns", "delete", n]);
    }
    rmSync(join("/etc/netns", this.agent), { recursive: true, force: true });
    if (this.createdEtcNetns) {
      try {
        rmdirSync("/etc/netns");
      } catch {
        // not empty: something else uses it
      }
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
