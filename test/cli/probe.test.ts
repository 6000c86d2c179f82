import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CliIo } from "../../src/cli/io.js";
import { runCli } from "../../src/cli/program.js";
import { reporterNames } from "../../src/render/index.js";
import { allowlistProxy, closedPort, type Started } from "../capabilities/egress/fake-servers.js";

// The CLI in-process, on loopback only: --system-root points at a temp folder (no firewall command is
// run), --no-default-targets keeps every default target out, and every canary is an IP literal (so the
// configured resolver is never asked), and names resolve through a stub, never this machine's resolver.
// The proxy password must appear in no output of any kind.

const PASSWORD = "s3cret-proxy-pa55";
const USER = "agentuser";
const dir = mkdtempSync(join(tmpdir(), "aa-probe-cli-"));
let proxy: Started;
let closed: number;
let closedProxy: number;

function io(env: Record<string, string> = {}) {
  const out = { stdout: "", stderr: "" };
  const value: CliIo = {
    stdout: (s) => {
      out.stdout += s;
    },
    stderr: (s) => {
      out.stderr += s;
    },
    env,
    cwd: dir,
    homedir: dir,
    user: "tester",
    uid: 1000,
    hostname: "test",
    stdoutIsTTY: false,
    stderrIsTTY: false,
    // No test asks this machine's resolver: every name is unknown here (as .test names are).
    lookup: async (host) => {
      throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: "ENOTFOUND" });
    },
  };
  return { io: value, out };
}

async function cli(args: string[], env: Record<string, string> = {}) {
  const { io: i, out } = io(env);
  const code = await runCli(args, i);
  return { code, ...out };
}

function clean(text: string): void {
  expect(text).not.toContain(PASSWORD);
  expect(text).not.toContain(`${USER}:`);
  expect(text).not.toContain(Buffer.from(`${USER}:${PASSWORD}`).toString("base64"));
}

const base = () => [
  "probe",
  "--no-default-targets",
  "--canary",
  `127.0.0.1:${closed}`,
  "--ports",
  "none",
  "--allowed-host",
  "allowed.test",
  "--system-root",
  dir,
  "--timeout-ms",
  "500",
];

beforeAll(async () => {
  proxy = await allowlistProxy(["allowed.test"]);
  closed = await closedPort();
  closedProxy = await closedPort();
});
afterAll(async () => {
  await proxy.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("agent-audit probe", () => {
  it("reports steps 2 and 3 and skips the rest, in the JSON contract", async () => {
    const r = await cli([
      ...base(),
      "--proxy",
      `http://${USER}:${PASSWORD}@127.0.0.1:${proxy.port}`,
      "--format",
      "json",
    ]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe("");
    const report = JSON.parse(r.stdout);
    expect(report.egress.posture).toBe("kernel-enforced-with-proxy");
    expect(report.checklist.map((c: { status: string }) => c.status)).toEqual([
      "skip",
      "pass",
      "pass",
      "skip",
      "skip",
      "skip",
    ]);
    expect(report.score).toEqual({ passed: 2, evaluated: 2, total: 6 });
    expect(
      report.probes.map(
        (p: { method: string; via: string; target: string; outcome: string }) =>
          `${p.method} ${p.via} ${p.target} ${p.outcome}`,
      ),
    ).toEqual([
      `tcp direct 127.0.0.1:${closed} blocked`,
      `http direct 127.0.0.1:${closed} blocked`,
      `connect proxy 127.0.0.1:${closed} blocked`,
      `http proxy 127.0.0.1:${closed} blocked`,
      "connect proxy allowed.test:443 open",
      "http proxy allowed.test:80 open",
    ]);
    expect(report.egress.proxy.connect).toBe(`http://127.0.0.1:${proxy.port}`);
    clean(r.stdout);
  });

  it("no output format, file or stream shows the proxy URL's userinfo", async () => {
    for (const [label, proxyArgs, env] of [
      ["--proxy", ["--proxy", `http://${USER}:${PASSWORD}@127.0.0.1:${proxy.port}`], {}],
      ["HTTPS_PROXY", [], { HTTPS_PROXY: `http://${USER}:${PASSWORD}@127.0.0.1:${proxy.port}` }],
      ["unreachable proxy", ["--proxy", `http://${USER}:${PASSWORD}@127.0.0.1:${closedProxy}`], {}],
    ] as const) {
      for (const format of reporterNames()) {
        const reports = reporterNames().map((f) => `${f}:${join(dir, `${format}-${f}.out`)}`);
        const r = await cli(
          [...base(), ...proxyArgs, "--format", format, ...reports.flatMap((x) => ["--report", x])],
          env,
        );
        expect(r.code, `${label} ${format}`).toBe(0);
        expect(r.stdout.length).toBeGreaterThan(50);
        clean(r.stdout);
        clean(r.stderr);
        for (const f of readdirSync(dir).filter((n) => n.endsWith(".out"))) {
          clean(readFileSync(join(dir, f), "utf8"));
          rmSync(join(dir, f));
        }
      }
    }
  });

  it("an unreachable proxy fails step 3 with a finding, as a missing proxy does (issue 9 review)", async () => {
    const r = await cli([
      ...base(),
      "--proxy",
      `http://${USER}:${PASSWORD}@127.0.0.1:${closedProxy}`,
      "--format",
      "json",
    ]);
    const report = JSON.parse(r.stdout);
    const unreachable = report.findings.filter(
      (f: { ruleId: string }) => f.ruleId === "egress-proxy-unreachable",
    );
    expect(unreachable.map((f: { severity: string; fix: unknown }) => [f.severity, f.fix])).toEqual([
      ["medium", { target: "egress-proxy" }],
    ]);
    expect(report.checklist[2]).toEqual({
      step: 3,
      id: "egress-proxy",
      status: "fail",
      summary: `the proxy http://127.0.0.1:${closedProxy} is unreachable (refused (ECONNREFUSED)): the agent has no working proxy`,
      evidence: [unreachable[0].fingerprint],
    });
    expect(report.egress.posture).toBe("kernel-enforced-no-proxy");
  });

  it.each([
    [
      ["--canary", "nope"],
      "agent-audit: --canary nope: missing :PORT\n  hint: write HOST:PORT, e.g. example.com:443, 192.0.2.1:443 or [2001:db8::1]:443\n",
    ],
    [
      ["--canary", "::1:443"],
      "agent-audit: --canary ::1:443: an IPv6 address needs brackets\n  hint: write [::1:443]:PORT, e.g. [2001:db8::1]:443\n",
    ],
    [
      ["--canary", "127.0.0.1:1", "--proxy", `ftp://${USER}:${PASSWORD}@proxy:21`],
      'agent-audit: --proxy ftp://proxy:21: unsupported scheme "ftp"\n  hint: give a proxy URL such as http://proxy.internal:3128\n',
    ],
    [
      ["--canary", "127.0.0.1:1", "--dns-resolver", "dns.example"],
      "agent-audit: --dns-resolver dns.example: a resolver must be an IP address\n  hint: e.g. 8.8.8.8 or [2001:4860:4860::8888]:53\n",
    ],
  ])("bad input %j exits 2 with one clear line", async (args, stderr) => {
    const r = await cli(["probe", "--no-default-targets", "--system-root", dir, ...args]);
    expect(r).toEqual({ code: 2, stdout: "", stderr });
  });

  it("--ports must be a port list", async () => {
    const r = await cli(["probe", "--no-default-targets", "--ports", "22,http"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('"http" is not a port (1-65535)');
  });

  it("--help documents the flags, the postures and the exit codes", async () => {
    const r = await cli(["probe", "--help"]);
    expect(r.code).toBe(0);
    for (const s of [
      "--canary <host:port>",
      "--allowed-host <name>",
      "--proxy <url>",
      "--timeout-ms <ms>",
      "--dns-resolver <ip[:port]>",
      "--metadata <host:port>",
      "--ports <list>",
      "--no-default-targets",
      "--no-firewall-evidence",
      "kernel-enforced-with-proxy",
      "Exit codes:",
    ])
      expect(r.stdout).toContain(s);
  });
});

describe("agent-audit scan --probe", () => {
  it("runs the inventory and the probes together", async () => {
    const r = await cli([
      "scan",
      "--probe",
      "--no-env",
      "--home",
      dir,
      "--root",
      dir,
      "--sources",
      "tree",
      ...base().slice(1),
      "--proxy",
      `http://${USER}:${PASSWORD}@127.0.0.1:${proxy.port}`,
      "--format",
      "json",
    ]);
    const report = JSON.parse(r.stdout);
    expect(report.checklist.map((c: { status: string }) => c.status)).toEqual([
      "pass",
      "pass",
      "pass",
      "fail",
      "warn",
      "pass",
    ]);
    // A proxy and nobody watching its denials: step 4 fails (issue 14).
    expect(report.checklist[3].summary).toBe(
      "the agent's traffic goes through a proxy (--proxy) but nothing turns its denials into alerts: no watcher config was found (/etc/agent-audit/agent-audit.yaml, or --config with an alerting: section)",
    );
    // The tree source runs, so step 5 looks for agent runtime config (none here: warn); step 6
    // judges the credentials the inventory lists (none: pass).
    expect(report.checklist[5].summary).toBe("no credential found to judge");
    expect(report.probes.length).toBe(6);
    clean(r.stdout);
  });

  it("a baseline can accept an egress finding, and keeps it when a later run does not probe", async () => {
    const bdir = mkdtempSync(join(tmpdir(), "aa-probe-baseline-"));
    try {
      const file = join(bdir, "baseline.json");
      // No proxy: egress-proxy-missing (medium), the only finding in this empty tree.
      const probeArgs = ["--probe", ...base().slice(1)];
      const common = ["--no-env", "--home", dir, "--root", dir, "--sources", "tree"];
      const scan = (extra: string[]) =>
        cli(["scan", ...common, "--fail-on", "medium", "--format", "json", "--baseline", file, ...extra]);

      const written = await cli(["baseline", ...common, ...probeArgs, "--output", file]);
      expect(written.code).toBe(0);
      expect(written.stdout).toBe(`agent-audit: wrote 1 entry to ${file} (1 new, 0 kept, 0 dropped)\n`);
      const entries = JSON.parse(readFileSync(file, "utf8")).entries;
      expect(entries.map((e: { ruleId: string; location: unknown }) => [e.ruleId, e.location])).toEqual([
        ["egress-proxy-missing", { source: "probe", target: "proxy" }],
      ]);

      const accepted = await scan(probeArgs);
      expect(accepted.code).toBe(0);
      const report = JSON.parse(accepted.stdout);
      expect(
        report.findings.map((f: { ruleId: string; accepted: boolean }) => [f.ruleId, f.accepted]),
      ).toEqual([["egress-proxy-missing", true]]);
      // `probe` accepts it too, from a baseline it is given.
      const probed = await cli([...base(), "--fail-on", "medium", "--format", "json", "--baseline", file]);
      expect(probed.code).toBe(0);
      expect(JSON.parse(probed.stdout).findings.map((f: { accepted: boolean }) => f.accepted)).toEqual([
        true,
      ]);
      expect((await cli([...base(), "--fail-on", "medium"])).code).toBe(1);
      // Without the baseline the same scan fails the gate.
      expect(
        (await cli(["scan", ...common, ...probeArgs, "--fail-on", "medium", "--no-baseline"])).code,
      ).toBe(1);

      // A run without --probe could not have seen it: not stale, and re-writing keeps it.
      const noProbe = await scan([]);
      expect(JSON.parse(noProbe.stdout).issues).toEqual([]);
      const rewritten = await cli(["baseline", ...common, "--output", file]);
      expect(rewritten.stdout).toBe(`agent-audit: wrote 1 entry to ${file} (0 new, 1 kept, 0 dropped)\n`);
      expect(JSON.parse(readFileSync(file, "utf8")).entries).toEqual(entries);
    } finally {
      rmSync(bdir, { recursive: true, force: true });
    }
  });

  it("without --probe, steps 2 and 3 stay skipped with the reason", async () => {
    const r = await cli([
      "scan",
      "--no-env",
      "--home",
      dir,
      "--root",
      dir,
      "--sources",
      "tree",
      "--format",
      "json",
    ]);
    const report = JSON.parse(r.stdout);
    expect(
      report.checklist
        .slice(1, 3)
        .map((c: { status: string; summary: string }) => `${c.status}: ${c.summary}`),
    ).toEqual(["skip: egress not probed: run with --probe", "skip: egress not probed: run with --probe"]);
    expect(report.probes).toEqual([]);
  });
});

describe("a config found in the current directory does not choose the probes (issue 9 review)", () => {
  it("ignores its egress: section (an issue says so); --config with the same file uses it", async () => {
    const sub = join(dir, "project");
    mkdirSync(sub, { recursive: true });
    writeFileSync(join(sub, "agent-audit.yaml"), `egress:\n  proxy: http://127.0.0.1:${proxy.port}\n`);
    const run = async (extra: string[]) => {
      const { io: i, out } = io();
      const code = await runCli([...base(), "--format", "json", ...extra], { ...i, cwd: sub });
      return { code, report: JSON.parse(out.stdout) };
    };
    const configIssues = (r: { report: { issues: { where: string }[] } }) =>
      r.report.issues.filter((x) => x.where === "agent-audit.yaml");
    const found = await run([]);
    expect(configIssues(found)).toEqual([
      {
        where: "agent-audit.yaml",
        message:
          "egress: ignored: a config found in the audited root does not choose the probes' targets (name it with --config to use it)",
      },
    ]);
    expect(found.report.findings.map((f: { ruleId: string }) => f.ruleId)).toEqual(["egress-proxy-missing"]);
    const named = await run(["--config", join(sub, "agent-audit.yaml")]);
    expect(configIssues(named)).toEqual([]);
    expect(named.report.egress.posture).toBe("kernel-enforced-with-proxy");
  });
});

describe("probe reads no home", () => {
  it("runs with a home that does not exist (no --home to fix it with)", async () => {
    const { io: i, out } = io();
    const code = await runCli([...base(), "--no-env", "--format", "json"], {
      ...i,
      homedir: join(dir, "no-such-home"),
    });
    expect(out.stderr).toBe("");
    expect(code).toBe(0);
    expect(JSON.parse(out.stdout).checklist[0].status).toBe("skip");
  });
});
