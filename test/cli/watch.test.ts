import { appendFileSync, chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { cli } from "../helpers/cli.js";

// `agent-audit watch` end to end in-process (issue 14): real log files, a file sink, a loopback
// webhook, the state file across runs, the config's alerting: section, and the errors a user meets.
// The netns lab (test/integration/watch-lab.test.ts) runs it against a real squid.

const TOKEN = `ghp_${"Wq7".repeat(12)}`; // a fake GitHub token, searched for in every output

function tmp(): string {
  return mkdtempSync(join(tmpdir(), "aa-watch-cli-"));
}

function squidLine(t: number, host: string, port = 443, method = "CONNECT"): string {
  const target = method === "CONNECT" ? `${host}:${port}` : `http://${host}:${port}/x?token=${TOKEN}`;
  return `${t.toFixed(3)}      0 10.200.1.2 TCP_DENIED/403 3901 ${method} ${target} - HIER_NONE/- text/html\n`;
}

function jsonLines(text: string): Record<string, unknown>[] {
  return text
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

const T0 = 1796573494;

describe("watch --once", () => {
  it("turns squid's denials into one alert per destination, with the count, on stdout and in a file", async () => {
    const d = tmp();
    const log = join(d, "access.log");
    writeFileSync(
      log,
      squidLine(T0, "canary.test") +
        squidLine(T0 + 1, "canary.test") +
        squidLine(T0 + 2, "evil.example", 8080, "GET") +
        `${T0 + 3}.000      5 10.200.1.2 TCP_TUNNEL/200 3901 CONNECT allowed.test:443 - HIER_DIRECT/10.0.0.1 -\n`,
    );
    const out = join(d, "alerts.jsonl");
    const r = await cli([
      "watch",
      "--source",
      `squid:${log}`,
      "--sink",
      "stdout",
      "--sink",
      `file:${out}`,
      "--state",
      join(d, "state", "state.json"),
      "--once",
    ]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(
      [
        "agent-audit watch: 4 lines read, 3 denials, 2 alerts",
        "  stdout: 2 delivered",
        `  file:${out}: 2 delivered`,
        "",
      ].join("\n"),
    );
    const alerts = jsonLines(r.stdout);
    expect(alerts.map((a) => [a.host, a.port, a.method, a.decision, a.count, a.client])).toEqual([
      ["canary.test", 443, "CONNECT", "TCP_DENIED/403", 2, "10.200.1.2"],
      ["evil.example", 8080, "GET", "TCP_DENIED/403", 1, "10.200.1.2"],
    ]);
    expect(alerts[0]).toMatchObject({
      type: "agent-audit.egress-denied",
      source: "squid",
      origin: log,
      time: new Date(T0 * 1000).toISOString(),
      firstSeen: new Date(T0 * 1000).toISOString(),
      lastSeen: new Date((T0 + 1) * 1000).toISOString(),
      hostname: "test-host",
    });
    expect(readFileSync(out, "utf8")).toBe(r.stdout);
    expect(r.stdout).not.toContain(TOKEN);
    expect(readFileSync(out, "utf8")).not.toContain(TOKEN);
  });

  it("resumes after the last line on the next run: nothing repeated, a partial line waits for its end", async () => {
    const d = tmp();
    const log = join(d, "access.log");
    const state = join(d, "state.json");
    const args = ["watch", "--source", `squid:${log}`, "--state", state, "--once"];
    writeFileSync(log, squidLine(T0, "one.test"));
    const first = await cli(args);
    expect(jsonLines(first.stdout).map((a) => a.host)).toEqual(["one.test"]);
    const next = squidLine(T0 + 100, "two.test");
    appendFileSync(log, next.slice(0, 30)); // the proxy is in the middle of writing the line
    const second = await cli(args);
    expect(second.stdout).toBe("");
    expect(second.stderr).toBe(
      "agent-audit watch: 0 lines read, 0 denials, 0 alerts\n  stdout: 0 delivered\n",
    );
    appendFileSync(log, next.slice(30));
    const third = await cli(args);
    expect(jsonLines(third.stdout).map((a) => a.host)).toEqual(["two.test"]);
    const fourth = await cli(args);
    expect(fourth.stdout).toBe("");
  });

  it("keeps the alerts of a sink that is down and delivers them, in order, once it is back (exit 1, then 0)", async () => {
    const d = tmp();
    const log = join(d, "access.log");
    const received: string[] = [];
    let up = false;
    const server: Server = createServer((req, res) => {
      let body = "";
      req.on("data", (c) => {
        body += c;
      });
      req.on("end", () => {
        if (!up) {
          res.writeHead(503).end();
          return;
        }
        received.push(body);
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
      const args = [
        "watch",
        "--source",
        `squid:${log}`,
        "--sink",
        `webhook:${url}`,
        "--state",
        join(d, "state.json"),
        "--once",
        "--retries",
        "1",
      ];
      writeFileSync(log, squidLine(T0, "a.test"));
      const down1 = await cli(args);
      expect(down1.code).toBe(1);
      expect(down1.stderr).toContain(`  webhook:${url}: 0 delivered, 1 queued (`);
      appendFileSync(log, squidLine(T0 + 100, "b.test"));
      const down2 = await cli(args);
      expect(down2.code).toBe(1);
      expect(down2.stderr).toContain(": 0 delivered, 2 queued (");
      up = true;
      const back = await cli(args);
      expect(back.code).toBe(0);
      expect(back.stderr).toBe(
        `agent-audit watch: 0 lines read, 0 denials, 0 alerts\n  webhook:${url}: 2 delivered\n`,
      );
      expect(received.map((b) => (JSON.parse(b) as { host: string }).host)).toEqual(["a.test", "b.test"]);
      const again = await cli(args);
      expect(again.code).toBe(0);
      expect(received).toHaveLength(2);
    } finally {
      server.close();
    }
  });

  it("says so when a log is not there (yet), instead of reading nothing in silence", async () => {
    const d = tmp();
    const log = join(d, "acess.log");
    const r = await cli(["watch", "--source", `squid:${log}`, "--state", join(d, "s.json"), "--once"]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(
      `agent-audit watch: 0 lines read, 0 denials, 0 alerts\n  stdout: 0 delivered\n  warning: squid:${log}: no such file (yet): it is read from its start once it appears\n`,
    );
  });

  it("takes its sources, sinks and state from the config's alerting: section", async () => {
    const d = tmp();
    const log = join(d, "access.log");
    const out = join(d, "alerts.jsonl");
    writeFileSync(log, squidLine(T0, "conf.test"));
    writeFileSync(
      join(d, "agent-audit.yaml"),
      [
        "alerting:",
        "  sources:",
        `    - "squid:${log}"`,
        "  sinks:",
        `    - "file:${out}"`,
        `  state: ${join(d, "st", "state.json")}`,
        "",
      ].join("\n"),
    );
    const r = await cli(["watch", "--config", join(d, "agent-audit.yaml"), "--once"], { cwd: d });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("");
    expect(jsonLines(readFileSync(out, "utf8")).map((a) => a.host)).toEqual(["conf.test"]);
    expect(JSON.parse(readFileSync(join(d, "st", "state.json"), "utf8"))).toBeTypeOf("object");
  });
});

describe("watch --send-test", () => {
  it("sends one synthetic alert through every sink and says which took it", async () => {
    const d = tmp();
    const bodies: string[] = [];
    const server = createServer((req, res) => {
      let body = "";
      req.on("data", (c) => {
        body += c;
      });
      req.on("end", () => {
        bodies.push(body);
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
      const r = await cli([
        "watch",
        "--send-test",
        "--sink",
        `webhook:${url}`,
        "--sink",
        `file:${join(d, "nodir", "x")}/`,
      ]);
      expect(r.code).toBe(1);
      const lines = r.stderr.split("\n");
      expect(lines[0]).toBe(`agent-audit watch --send-test: webhook:${url}: sent`);
      expect(lines[1]).toMatch(new RegExp(`^agent-audit watch --send-test: file:${d}/nodir/x/: FAILED: `));
      expect(bodies).toHaveLength(1);
      expect(JSON.parse(bodies[0]!)).toMatchObject({
        type: "agent-audit.test",
        host: "canary.agent-audit.invalid",
        port: 443,
        decision: "test",
        count: 1,
        hostname: "test-host",
      });
    } finally {
      server.close();
    }
  });
});

describe("watch: errors are usage errors (exit 2)", () => {
  it.each([
    [["watch", "--once"], "no log to watch: give --source KIND:PATH"],
    [["watch", "--source", "apache:/x", "--once"], 'agent-audit: --source "apache:/x": not KIND:PATH'],
    [["watch", "--source", "squid:", "--once"], 'agent-audit: --source "squid:": not KIND:PATH'],
    [
      ["watch", "--source", "journal:bad unit", "--once"],
      "agent-audit: --source journal:UNIT: not a systemd unit name",
    ],
    [["watch", "--source", "squid:/x", "--sink", "carrier-pigeon", "--once"], "unknown sink"],
    [["watch", "--source", "squid:/x", "--window", "0", "--once"], "--window"],
  ])("%j", async (argv, message) => {
    const d = tmp();
    const r = await cli([...argv, "--state", join(d, "s.json")]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain(message);
  });

  it("never echoes a secret from a bad spec", async () => {
    const r = await cli([
      "watch",
      "--source",
      "squid:/x",
      "--sink",
      `webhook:https://u:${TOKEN}@h/`,
      "--once",
    ]);
    expect(r.stderr).not.toContain(TOKEN);
  });
});

describe("scan: step 4 egress-alerting", () => {
  const dirs: string[] = [];
  afterEach(() => {
    dirs.length = 0;
  });

  function sandbox(proxy: boolean): { d: string; home: string; envFile: string } {
    const d = tmp();
    dirs.push(d);
    const home = join(d, "home");
    mkdirSync(home);
    const envFile = join(d, "agent.env");
    writeFileSync(envFile, proxy ? "HTTPS_PROXY=http://10.200.1.1:3128\n" : "PATH=/usr/bin\n");
    return { d, home, envFile };
  }

  async function step4(argv: string[], cwd: string) {
    const r = await cli(["scan", ...argv, "--format", "json", "--exit-zero"], { cwd });
    expect(r.stderr).toBe("");
    const report = JSON.parse(r.stdout) as { checklist: { id: string; status: string; summary: string }[] };
    return report.checklist.find((c) => c.id === "egress-alerting");
  }

  it("fails when the agent's traffic has a proxy and nothing watches it; skips with no proxy", async () => {
    const s = sandbox(true);
    const base = ["--sources", "env", "--environ", s.envFile, "--home", s.home, "--root", s.d];
    expect(await step4(base, s.d)).toEqual({
      step: 4,
      id: "egress-alerting",
      status: "fail",
      summary:
        "the agent's traffic goes through a proxy (HTTPS_PROXY) but nothing turns its denials into alerts: no watcher config was found (/etc/agent-audit/agent-audit.yaml, or --config with an alerting: section)",
      evidence: [],
    });
    const n = sandbox(false);
    const step = await step4(
      ["--sources", "env", "--environ", n.envFile, "--home", n.home, "--root", n.d],
      n.d,
    );
    expect(step?.status).toBe("skip");
    expect(step?.summary).toBe(
      "no egress proxy found (no proxy variable in the agent's environment, no egress.proxy in agent-audit.yaml): no proxy denials to alert on",
    );
  });

  it("passes with a --config whose watcher reads squid's log and has a sink", async () => {
    const s = sandbox(true);
    const conf = join(s.d, "ops", "agent-audit.yaml");
    mkdirSync(join(s.d, "ops"));
    writeFileSync(
      conf,
      'alerting:\n  sources: ["squid:/var/log/squid/access.log", "journal"]\n  sinks: ["syslog", "file:/var/log/aa.jsonl"]\n',
    );
    const step = await step4(
      ["--sources", "env", "--environ", s.envFile, "--home", s.home, "--root", s.home, "--config", conf],
      s.d,
    );
    expect(step?.status).toBe("pass");
    expect(step?.summary).toBe(
      "--config ops/agent-audit.yaml watches squid:/var/log/squid/access.log and alerts to 2 sinks",
    );
  });

  it("a watcher config with no proxy log source does not count", async () => {
    const s = sandbox(true);
    const conf = join(s.d, "conf.yaml");
    writeFileSync(conf, 'alerting:\n  sources: ["journal"]\n  sinks: ["syslog"]\n');
    const step = await step4(
      ["--sources", "env", "--environ", s.envFile, "--home", s.home, "--root", s.home, "--config", conf],
      s.d,
    );
    expect(step?.status).toBe("fail");
    expect(step?.summary).toBe(
      "the agent's traffic goes through a proxy (HTTPS_PROXY) but nothing turns its denials into alerts: --config conf.yaml has no sink or no proxy log source (squid, smokescreen, sandbox-runtime)",
    );
  });

  it("a config found in the audited tree is the agent's: it cannot make step 4 pass", async () => {
    const s = sandbox(true);
    writeFileSync(
      join(s.d, "agent-audit.yaml"),
      'alerting:\n  sources: ["squid:/var/log/squid/access.log"]\n  sinks: ["stdout"]\n',
    );
    const step = await step4(
      ["--sources", "env", "--environ", s.envFile, "--home", s.home, "--root", s.d],
      s.d,
    );
    expect(step?.status).toBe("fail");
    expect(step?.summary).toBe(
      "the agent's traffic goes through a proxy (HTTPS_PROXY) but nothing turns its denials into alerts: no watcher config was found (/etc/agent-audit/agent-audit.yaml, or --config with an alerting: section); not trusted: agent-audit.yaml (found in the audited tree: the agent can write it)",
    );
  });

  it("trusts the image's /etc/agent-audit/agent-audit.yaml (system source) unless others can write it", async () => {
    const s = sandbox(true);
    const sys = join(s.d, "image");
    mkdirSync(join(sys, "etc", "agent-audit"), { recursive: true });
    const conf = join(sys, "etc", "agent-audit", "agent-audit.yaml");
    writeFileSync(
      conf,
      'alerting:\n  sources: ["smokescreen:/var/log/smokescreen.log"]\n  sinks: ["syslog"]\n',
      {
        mode: 0o644,
      },
    );
    chmodSync(conf, 0o644);
    const argv = ["--sources", "env,system", "--environ", s.envFile, "--home", s.home, "--root", s.home];
    const step = await step4([...argv, "--system-root", sys], s.d);
    expect(step?.status).toBe("pass");
    expect(step?.summary).toBe(
      "/etc/agent-audit/agent-audit.yaml watches smokescreen:/var/log/smokescreen.log and alerts to 1 sink",
    );
    chmodSync(conf, 0o666);
    const open = await step4([...argv, "--system-root", sys], s.d);
    expect(open?.status).toBe("fail");
    expect(open?.summary).toContain(
      "; not trusted: /etc/agent-audit/agent-audit.yaml (writable by others, or owned by another user)",
    );
    // Without the system source the image's /etc is not read at all.
    const off = await step4(
      ["--sources", "env", "--environ", s.envFile, "--home", s.home, "--root", s.home, "--system-root", sys],
      s.d,
    );
    expect(off?.summary).toBe(
      "the agent's traffic goes through a proxy (HTTPS_PROXY) but nothing turns its denials into alerts: no watcher config was found (/etc/agent-audit/agent-audit.yaml, or --config with an alerting: section)",
    );
  });

  it("--verify-alerting needs --probe", async () => {
    const r = await cli(["scan", "--demo", "--verify-alerting"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--verify-alerting needs --probe");
  });
});
