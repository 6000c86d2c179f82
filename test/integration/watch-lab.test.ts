import { type ChildProcess, spawn } from "node:child_process";
import { createHash, randomInt } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { hostname } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AlertPayload as Payload } from "../../src/capabilities/alerting/sinks.js";
import { ADDR, cleanStale, ensureBuilt, Lab, missingPrerequisites, REPO } from "./lab.js";

// Issue 14: `agent-audit watch` against a real squid. Requests from the agent's namespace are
// denied by the lab's squid (default deny, allowlist); the watcher runs in this (root) namespace,
// reads squid's access log and posts alerts to a webhook receiver on 127.0.0.1 in this process.
// Nothing leaves loopback or the lab's namespaces. Under CI a missing prerequisite fails; elsewhere
// the suite is skipped unless root.
const why = missingPrerequisites();
const runLab = !why || Boolean(process.env.CI);

const BIN = join(REPO, "dist/src/cli/bin.js");
const PROXY = { host: ADDR.proxy, port: ADDR.proxyPort };

interface Received {
  raw: string;
  body: Payload;
  contentType: string | undefined;
}

/** A webhook receiver on 127.0.0.1: every POST body, raw and parsed, in arrival order. */
class Receiver {
  readonly got: Received[] = [];
  #server: Server | undefined;
  port = 0;

  /** Listens on `port` (0: any free port). */
  async start(port = 0): Promise<void> {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const raw = Buffer.concat(chunks).toString("utf8");
        let body: Payload;
        try {
          body = JSON.parse(raw) as Payload;
        } catch {
          res.statusCode = 400;
          res.end();
          return;
        }
        if (req.method !== "POST" || req.url !== "/hook") {
          res.statusCode = 404;
          res.end();
          return;
        }
        this.got.push({ raw, body, contentType: req.headers["content-type"] });
        res.statusCode = 204;
        res.end();
      });
    });
    await new Promise<void>((ok, fail) => {
      server.once("error", fail);
      server.listen(port, "127.0.0.1", () => ok());
    });
    this.#server = server;
    this.port = (server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    const s = this.#server;
    this.#server = undefined;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((ok) => s.close(() => ok()));
  }

  get sink(): string {
    return `webhook:http://127.0.0.1:${this.port}/hook`;
  }

  get bodies(): Payload[] {
    return this.got.map((g) => g.body);
  }
}

/** A free loopback port, closed again (a receiver that is down). */
async function closedPort(): Promise<number> {
  const r = new Receiver();
  await r.start();
  const port = r.port;
  await r.stop();
  return port;
}

/** Polls `check` until it returns true, or fails after `ms`. */
async function until(what: string, check: () => boolean, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Collects a child's output and exit code. */
function collect(child: ChildProcess): Promise<RunResult> {
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr?.on("data", (d: Buffer) => {
    stderr += d.toString();
  });
  return new Promise((done) => {
    child.on("close", (code, signal) => done({ code: code ?? (signal ? -1 : -2), stdout, stderr }));
  });
}

// One GET per URL, in order, through the lab's squid, from the agent's namespace: the HTTP status
// of each (or "error:CODE"), as a JSON array on stdout. The request line carries the absolute URL
// (a forward proxy request), so squid decides on the URL's host.
const CLIENT = `
const http = require("node:http");
const [proxyHost, proxyPort, ...urls] = process.argv.slice(1);
(async () => {
  const out = [];
  for (const u of urls) {
    out.push(await new Promise((done) => {
      const req = http.request(
        { host: proxyHost, port: Number(proxyPort), method: "GET", path: u, headers: { host: new URL(u).host }, agent: false },
        (res) => { res.resume(); res.on("end", () => done(res.statusCode)); },
      );
      req.setTimeout(10000, () => req.destroy(new Error("timeout")));
      req.on("error", (e) => done("error:" + (e.code || e.message)));
      req.end();
    }));
  }
  process.stdout.write(JSON.stringify(out));
})();
`;

describe.skipIf(!runLab)("watch lab: real squid denials become webhook alerts", () => {
  let lab: Lab;
  let logPath: string;
  const watchers: ChildProcess[] = [];
  const receivers: Receiver[] = [];

  beforeAll(async () => {
    if (why) throw new Error(`CI is set but ${why}`);
    ensureBuilt();
    cleanStale();
    lab = new Lab();
    try {
      await lab.up();
    } catch (e) {
      lab.down();
      throw e;
    }
    logPath = join(lab.dir, "squid", "access.log");
  }, 60_000);

  afterAll(async () => {
    for (const w of watchers) if (w.exitCode === null && w.signalCode === null) w.kill("SIGKILL");
    for (const r of receivers) await r.stop();
    lab?.down();
  });

  async function receiver(port = 0): Promise<Receiver> {
    const r = new Receiver();
    await r.start(port);
    receivers.push(r);
    return r;
  }

  /** The squid log's TCP_DENIED lines. */
  function deniedLines(): string[] {
    return lab
      .squidAccessLog()
      .split("\n")
      .filter((l) => / TCP_DENIED\/403 /.test(l));
  }

  /**
   * Sends the GETs from the agent's namespace (asynchronously: the receiver in this process keeps
   * answering meanwhile), checks squid refused each with 403, and waits until squid has logged them
   * all. Returns the new log lines.
   */
  async function deny(urls: string[]): Promise<string[]> {
    const before = deniedLines().length;
    const child = spawn(
      "ip",
      ["netns", "exec", lab.agent, process.execPath, "-e", CLIENT, PROXY.host, String(PROXY.port), ...urls],
      {
        stdio: ["ignore", "pipe", "pipe"],
        env: { PATH: process.env.PATH ?? "/usr/sbin:/usr/bin:/sbin:/bin" },
      },
    );
    const r = await collect(child);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual(urls.map(() => 403));
    await until(`squid to log ${urls.length} denials`, () => deniedLines().length >= before + urls.length);
    const lines = deniedLines().slice(before);
    expect(lines).toHaveLength(urls.length);
    return lines;
  }

  /** Runs the built CLI in this namespace (PATH only from the environment). */
  function watch(args: string[]): ChildProcess {
    const child = spawn(process.execPath, [BIN, "watch", "--source", `squid:${logPath}`, ...args], {
      cwd: lab.dir,
      env: { PATH: process.env.PATH ?? "/usr/sbin:/usr/bin:/sbin:/bin" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    watchers.push(child);
    return child;
  }

  function watchOnce(args: string[]): Promise<RunResult> {
    return collect(watch(["--once", ...args]));
  }

  /**
   * A state file whose position in the squid log is its current end (`--from-end` with no saved
   * position), so that the next run reads only the denials made after this call.
   */
  async function freshState(sink: string): Promise<string> {
    const state = join(mkdtempSync(join(lab.dir, "watch-")), "state.json");
    const r = await watchOnce(["--from-end", "--sink", sink, "--state", state]);
    expect(r).toEqual({
      code: 0,
      stdout: "",
      stderr: `agent-audit watch: 0 lines read, 0 denials, 0 alerts\n  ${sink}: 0 delivered\n`,
    });
    return state;
  }

  /** The time, client, method and URL of a squid native log line. */
  function logged(line: string): { ms: number; client: string; method: string; uri: string } {
    const f = line.trim().split(/ +/);
    // `%ts.%03tu`: seconds and milliseconds, read as integers (no floating-point rounding).
    const [sec, milli] = f[0]!.split(".") as [string, string];
    expect(milli).toMatch(/^[0-9]{3}$/);
    return { ms: Number(sec) * 1000 + Number(milli), client: f[2]!, method: f[5]!, uri: f[6]! };
  }

  /** The alert the watcher must send for the window of these log lines of one destination. */
  function expectedAlert(lines: string[], host: string, port: number, url: string): Payload {
    const times = lines.map((l) => logged(l).ms);
    const first = new Date(Math.min(...times)).toISOString();
    const last = new Date(Math.max(...times)).toISOString();
    // The first line logged opens the window: its event is the alert's.
    const opener = lines.find((l) => logged(l).ms === Math.min(...times))!;
    return {
      type: "agent-audit.egress-denied",
      id: createHash("sha256").update(`squid|${host}|${port}\n${first}`).digest("hex").slice(0, 32),
      time: new Date(logged(opener).ms).toISOString(),
      source: "squid",
      origin: logPath,
      client: ADDR.agent4,
      host,
      port,
      method: "GET",
      decision: "TCP_DENIED/403",
      url,
      count: lines.length,
      firstSeen: first,
      lastSeen: last,
      hostname: hostname(),
    };
  }

  it("one denied request: exactly one alert, the destination and decision squid logged, count 1, no secret in the body", async () => {
    const hook = await receiver();
    const state = await freshState(hook.sink);
    // A token-looking value (random per run, never in the source) in the path and in the query.
    const alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    const token = `ghp_${Array.from({ length: 36 }, () => alnum[randomInt(alnum.length)]).join("")}`;
    const lines = await deny([`http://canary.test/repos/${token}/pulls?token=${token}`]);
    const line = lines[0]!;
    expect(logged(line).client).toBe(ADDR.agent4);
    expect(logged(line).method).toBe("GET");
    // squid logged the token (in the path; its default strip_query_terms drops the query): the
    // watcher really had a secret to keep out of the alert.
    expect(logged(line).uri).toBe(`http://canary.test/repos/${token}/pulls?`);

    const r = await watchOnce(["--sink", hook.sink, "--state", state, "--retries", "1"]);
    expect(r).toEqual({
      code: 0,
      stdout: "",
      stderr: `agent-audit watch: 1 lines read, 1 denials, 1 alerts\n  ${hook.sink}: 1 delivered\n`,
    });
    expect(hook.got).toHaveLength(1);
    expect(hook.got[0]!.contentType).toBe("application/json");
    expect(hook.bodies).toEqual([
      expectedAlert(lines, "canary.test", 80, "http://canary.test/repos/ghp_…(40)/pulls?"),
    ]);
    // The whole raw body: neither the token nor any 20-character piece of it.
    const raw = hook.got[0]!.raw;
    expect(raw.includes(token)).toBe(false);
    expect(raw.includes(token.slice(4, 24))).toBe(false);
    expect(raw.includes(token.slice(20))).toBe(false);
    expect(r.stderr.includes(token.slice(4, 24))).toBe(false);

    // Nothing more on a second run: the position was saved.
    const again = await watchOnce(["--sink", hook.sink, "--state", state, "--retries", "1"]);
    expect(again).toEqual({
      code: 0,
      stdout: "",
      stderr: `agent-audit watch: 0 lines read, 0 denials, 0 alerts\n  ${hook.sink}: 0 delivered\n`,
    });
    expect(hook.got).toHaveLength(1);
  });

  it("a burst of 100 denials to one destination: exactly one alert with count 100", async () => {
    const hook = await receiver();
    const state = await freshState(hook.sink);
    const lines = await deny(Array.from({ length: 100 }, () => `http://${ADDR.literal4}/burst`));
    const r = await watchOnce(["--sink", hook.sink, "--state", state, "--retries", "1"]);
    expect(r).toEqual({
      code: 0,
      stdout: "",
      stderr: `agent-audit watch: 100 lines read, 100 denials, 1 alerts\n  ${hook.sink}: 1 delivered\n`,
    });
    expect(hook.bodies).toEqual([expectedAlert(lines, ADDR.literal4, 80, `http://${ADDR.literal4}/burst`)]);
  });

  it("receiver down for two runs: every alert arrives once, in order, when it is back; later runs repeat none", async () => {
    const port = await closedPort();
    const hook = new Receiver();
    hook.port = port; // not listening yet
    const sink = hook.sink;
    const state = await freshState(sink);
    // The summary of a run whose delivery failed: the sink's safe name, what stays queued and why.
    const queued = (pending: number) =>
      `agent-audit watch: 1 lines read, 1 denials, 1 alerts\n  ${sink}: 0 delivered, ${pending} queued (${sink}: ECONNREFUSED)\n`;

    const first = await deny([`http://canary.test/down-1`]);
    const r1 = await watchOnce(["--sink", sink, "--state", state, "--retries", "1"]);
    expect(r1.code).toBe(1);
    expect(r1.stdout).toBe("");
    expect(r1.stderr).toBe(queued(1));

    const second = await deny([`http://${ADDR.literal4}/down-2`]);
    const r2 = await watchOnce(["--sink", sink, "--state", state, "--retries", "1"]);
    expect(r2.code).toBe(1);
    expect(r2.stdout).toBe("");
    expect(r2.stderr).toBe(queued(2));

    const third = await deny([`http://canary.test:8080/down-3`]);
    await hook.start(port);
    receivers.push(hook);
    const r3 = await watchOnce(["--sink", sink, "--state", state, "--retries", "1"]);
    expect(r3).toEqual({
      code: 0,
      stdout: "",
      stderr: `agent-audit watch: 1 lines read, 1 denials, 1 alerts\n  ${sink}: 3 delivered\n`,
    });
    expect(hook.bodies).toEqual([
      expectedAlert(first, "canary.test", 80, "http://canary.test/down-1"),
      expectedAlert(second, ADDR.literal4, 80, `http://${ADDR.literal4}/down-2`),
      expectedAlert(third, "canary.test", 8080, "http://canary.test:8080/down-3"),
    ]);
    expect(new Set(hook.bodies.map((b) => b.id)).size).toBe(3);

    // State resume: nothing read again, nothing queued, nothing sent again.
    const r4 = await watchOnce(["--sink", sink, "--state", state, "--retries", "1"]);
    expect(r4).toEqual({
      code: 0,
      stdout: "",
      stderr: `agent-audit watch: 0 lines read, 0 denials, 0 alerts\n  ${sink}: 0 delivered\n`,
    });
    expect(hook.got).toHaveLength(3);
  });

  it("follow mode: a denial reaches the receiver while the watcher runs; SIGTERM exits 0", async () => {
    const hook = await receiver();
    const state = await freshState(hook.sink);
    const child = watch(["--sink", hook.sink, "--state", state, "--window", "1", "--poll", "200"]);
    const done = collect(child);
    const lines = await deny([`http://canary.test/follow`]);
    await until("the alert of the follow-mode watcher", () => hook.got.length >= 1, 15_000);
    expect(child.exitCode).toBe(null);
    child.kill("SIGTERM");
    let timer: NodeJS.Timeout | undefined;
    const exited = await Promise.race([
      done,
      new Promise<undefined>((r) => {
        timer = setTimeout(() => r(undefined), 15_000);
      }),
    ]);
    clearTimeout(timer);
    expect(exited).toEqual({
      code: 0,
      stdout: "",
      stderr: `agent-audit watch: 1 lines read, 1 denials, 1 alerts\n  ${hook.sink}: 1 delivered\n`,
    });
    expect(hook.bodies).toEqual([expectedAlert(lines, "canary.test", 80, "http://canary.test/follow")]);
  });
  it("scan --probe --verify-alerting: the proxy's refusal of a probe comes out of the running watcher (step 4 pass)", async () => {
    const dir = mkdtempSync(join(lab.dir, "verify-"));
    const alerts = join(dir, "alerts.jsonl");
    const conf = join(dir, "agent-audit.yaml");
    writeFileSync(conf, `alerting:\n  sources: ["squid:${logPath}"]\n  sinks: ["file:${alerts}"]\n`);
    const state = await freshState(`file:${alerts}`);
    const child = watch(["--sink", `file:${alerts}`, "--state", state, "--window", "1", "--poll", "200"]);
    const done = collect(child);
    const proxy = `http://${ADDR.proxy}:${ADDR.proxyPort}`;
    const scan = (config: string, timeout: string) =>
      lab.run(
        [
          "scan",
          "--sources",
          "env",
          "--probe",
          "--no-default-targets",
          "--canary",
          "canary.test:443",
          "--proxy",
          proxy,
          "--config",
          config,
          "--verify-alerting",
          "--verify-alerting-timeout",
          timeout,
          "--format",
          "json",
          "--exit-zero",
        ],
        `HTTPS_PROXY=${proxy}\nHTTP_PROXY=${proxy}\n`,
      );
    const step4 = (stdout: string) =>
      (JSON.parse(stdout) as { checklist: { id: string; status: string; summary: string }[] }).checklist.find(
        (c) => c.id === "egress-alerting",
      );
    const r = await scan(conf, "30");
    expect(r.stderr).toBe("");
    const ok = step4(r.stdout);
    expect(ok?.status).toBe("pass");
    // The first alert found names one of the refused probes' hosts (the canary by name or by address).
    const host = /verified: the alert for (\S+) reached/.exec(ok?.summary ?? "")?.[1];
    expect([ADDR.canary4, ADDR.canary6, "canary.test"]).toContain(host);
    expect(
      ok?.summary
        .replace(/^--config \S+ /, "--config CONF ")
        .replace(/after \d+ s$/, "after N s")
        .replace(`the alert for ${host} `, "the alert for HOST "),
    ).toBe(
      `--config CONF watches squid:${logPath} and alerts to 1 sink; verified: the alert for HOST reached file:${alerts} after N s`,
    );
    // The same watcher, but the config names a file nobody writes: nothing arrives there in time.
    const other = join(dir, "unwatched.yaml");
    const nowhere = join(dir, "nowhere.jsonl");
    writeFileSync(other, `alerting:\n  sources: ["squid:${logPath}"]\n  sinks: ["file:${nowhere}"]\n`);
    const miss = await scan(other, "3");
    expect(miss.stderr).toBe("");
    expect(step4(miss.stdout)).toEqual({
      step: 4,
      id: "egress-alerting",
      status: "fail",
      summary: `--verify-alerting: no alert for the refused probe requests (canary.test, ${ADDR.canary4}, ${ADDR.canary6}) reached file:${nowhere} within 3 s; file:${nowhere}: no such file or directory (ENOENT)`,
      evidence: [],
    });
    child.kill("SIGTERM");
    expect((await done).code).toBe(0);
  }, 90_000);
});
