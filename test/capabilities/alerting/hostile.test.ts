import { execFileSync } from "node:child_process";
import {
  appendFileSync,
  existsSync,
  linkSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runWatch } from "../../../src/app/watch.js";
import { Deduper } from "../../../src/capabilities/alerting/dedupe.js";
import { cleanUrl, parseLine } from "../../../src/capabilities/alerting/parsers.js";
import { AlertQueue } from "../../../src/capabilities/alerting/queue.js";
import {
  alertJson,
  makeSink,
  parseSink,
  SYSLOG_MAX,
  slackMessage,
  syslogDatagram,
  syslogMessage,
} from "../../../src/capabilities/alerting/sinks.js";
import { JournalReader, LogFollower } from "../../../src/capabilities/alerting/tail.js";
import type { Alert } from "../../../src/capabilities/alerting/types.js";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "aa-hostile-"));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const NOW = Date.parse("2026-12-06T16:00:00.000Z");

/** Runs `watch --once` over one source; returns the alert lines the stdout sink printed, parsed. */
async function watchOnce(kind: string, file: string, more: { startAt?: "start" | "end" } = {}) {
  const out: string[] = [];
  const summary = await runWatch(
    {
      sources: [`${kind}:${file}`],
      sinks: ["stdout"],
      state: join(dir, "state", "state.json"),
      once: true,
      test: false,
      stateDefault: join(dir, "state", "state.json"),
      sinkDeps: { stdout: { write: (s: string) => out.push(s) } },
      now: () => NOW,
      sleep: async () => {},
      ...more,
    },
    { cwd: dir, hostname: "box" },
  );
  const alerts = out
    .join("")
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  return { summary, alerts };
}

const SRT = "[SandboxDebug] Connection blocked to exfil.example:443";

it("srt: the agent's own stderr text cannot split srt's line at the line cap and hide the denial", async () => {
  const log = join(dir, "srt.log");
  for (const pad of [64 * 1024 - 5, 64 * 1024 - 20, 64 * 1024 - 40, 64 * 1024 + 3]) {
    writeFileSync(log, `${"a".repeat(pad)}${SRT}\n`);
    rmSync(join(dir, "state"), { recursive: true, force: true });
    const { alerts } = await watchOnce("sandbox-runtime", log);
    expect([pad, alerts.map((a) => [a.host, a.port])]).toEqual([pad, [["exfil.example", 443]]]);
  }
});

it("squid: the tail of a 1 MB request line, which the agent chose, is not read as a line of its own", async () => {
  const log = join(dir, "access.log");
  const forged =
    "1796573494.475 0 10.0.0.9 TCP_DENIED/403 1 CONNECT forged.example:443 - HIER_NONE/- text/html";
  const url = `http://x.example/${"a".repeat(1024 * 1024)}/${forged}`;
  writeFileSync(log, `1796573494.475      1 127.0.0.1 TCP_DENIED/403 3457 GET ${url}\n`);
  const { alerts, summary } = await watchOnce("squid", log);
  expect(alerts.map((a) => [a.host, a.port, a.client])).toEqual([["x.example", 80, "127.0.0.1"]]);
  expect([summary.lines, summary.denials]).toEqual([1, 1]);
});

it("a file of empty lines (the agent's stderr into srt's log) comes out in bounded batches, not a million lines at once", async () => {
  const log = join(dir, "srt.log");
  writeFileSync(log, `${"\n".repeat(1024 * 1024)}${SRT}\n`);
  const f = new LogFollower(log);
  const sizes: number[] = [];
  let last = "";
  for (;;) {
    const lines = await f.readAvailable();
    sizes.push(lines.length);
    if (lines.length > 0) last = lines.at(-1)!.text;
    if (!f.hasMore) break;
  }
  await f.close();
  expect(Math.max(...sizes)).toBe(10_000);
  expect(sizes.reduce((a, b) => a + b, 0)).toBe(1024 * 1024 + 1);
  expect(sizes.length).toBe(105);
  expect(last).toBe(SRT);
  expect(f.state?.offset).toBe(1024 * 1024 + SRT.length + 1);
});

const DENIED =
  "1796573494.475      1 127.0.0.1 TCP_DENIED/403 3411 CONNECT denied.example:443 - HIER_NONE/- text/html\n";

describe("a damaged --state file: a warning, every log read again from its start (alerts repeated, never lost)", () => {
  const statePath = () => join(dir, "state", "state.json");
  const cases: [string, () => void, string][] = [
    [
      "not JSON",
      () => writeFileSync(statePath(), "{nope"),
      "the --state file is not JSON: every log is read again from its start",
    ],
    [
      "a link to /dev/zero (a plain read never ends)",
      () => symlinkSync("/dev/zero", statePath()),
      "the --state file is a symbolic link: every log is read again from its start",
    ],
    [
      "another version",
      () => writeFileSync(statePath(), '{"version":2,"files":{}}'),
      "the --state file is not an agent-audit watch state (version 1): every log is read again from its start",
    ],
  ];
  for (const [name, plant, warning] of cases)
    it(name, async () => {
      const log = join(dir, "access.log");
      writeFileSync(log, DENIED);
      mkdirSync(join(dir, "state"), { mode: 0o700 });
      plant();
      const { alerts, summary } = await watchOnce("squid", log, { startAt: "end" });
      expect(alerts.map((a) => a.host)).toEqual(["denied.example"]);
      expect(summary.warnings).toEqual([warning]);
      // The next run resumes from the state this one saved.
      expect(JSON.parse(readFileSync(statePath(), "utf8")).files[log].offset).toBe(DENIED.length);
    });

  it("a FIFO at the state path: refused at once, never waited on", async () => {
    mkdirSync(join(dir, "state"), { mode: 0o700 });
    execFileSync("mkfifo", [statePath()]);
    const log = join(dir, "access.log");
    writeFileSync(log, DENIED);
    await expect(watchOnce("squid", log)).rejects.toThrow("the --state file is a FIFO, not a regular file");
  });

  it("an entry with a negative offset: that log is read from its start, with a warning", async () => {
    const log = join(dir, "access.log");
    writeFileSync(log, DENIED);
    mkdirSync(join(dir, "state"), { mode: 0o700 });
    writeFileSync(
      statePath(),
      JSON.stringify({ version: 1, files: { [log]: { dev: "1", ino: "2", offset: -5 } } }),
    );
    const { alerts, summary } = await watchOnce("squid", log, { startAt: "end" });
    expect(alerts.map((a) => a.host)).toEqual(["denied.example"]);
    expect(summary.warnings).toEqual([
      `the --state file's position of ${log} is damaged: that log is read again from its start`,
    ]);
  });
});

// ---------------------------------------------------------------------------------------------
// Sinks: any string the log put in an event reaches a person inert.

const anyText = fc.string({ unit: "binary", maxLength: 300 });
const hostileBits = fc.constantFrom(
  "<!channel>",
  "<!here>",
  "<@U123>",
  "<#C1>",
  "<!subteam^S1>",
  "<http://x|click>",
  "&lt;!channel&gt;",
  "&amp;",
  "`",
  "```",
  "\n",
  "\r",
  "\u0000",
  "\u001b[2J",
  "\u2028",
  "\u2029",
  "\u0085",
  "\u200b",
  "\u202e",
  "\u2066",
  "*",
  "_",
  "~",
  ">",
  ":",
  '"',
  "\\",
  "]",
  "}",
);
const hostileText = fc.array(fc.oneof(anyText, hostileBits), { maxLength: 8 }).map((parts) => parts.join(""));

function eventAlert(f: Record<string, string>): Alert {
  return {
    type: "agent-audit.egress-denied",
    id: f.id ?? "0123456789abcdef0123456789abcdef",
    event: {
      time: "2026-12-06T16:00:00.000Z",
      source: "squid",
      origin: f.origin ?? "/var/log/squid/access.log",
      client: f.client,
      host: f.host,
      port: 443,
      method: f.method,
      decision: f.decision ?? "TCP_DENIED/403",
      url: f.url,
    } as Alert["event"],
    count: 2,
    firstSeen: "2026-12-06T16:00:00.000Z",
    lastSeen: "2026-12-06T16:00:01.000Z",
    hostname: "box",
  };
}

const hostileAlert = fc
  .record({
    client: hostileText,
    host: hostileText,
    method: hostileText,
    decision: hostileText,
    url: hostileText,
    origin: hostileText,
  })
  .map(eventAlert);

it("slack: no value opens a mention, a link, an entity, a new line or a code span of its own", () => {
  fc.assert(
    fc.property(hostileAlert, (a) => {
      const m = slackMessage(a);
      const text = m.text;
      // Our own text holds no <, > and no & but the three entities of escaped values.
      expect(/[<>]/.test(text)).toBe(false);
      expect(text.replace(/&(amp|lt|gt);/g, "").includes("&")).toBe(false);
      // One line per label: the six lines of an alert with a URL.
      expect(text.split("\n").length).toBe(6);
      expect(
        /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029\u200b-\u200f\u202a-\u202e\u2066-\u2069]/.test(
          text,
        ),
      ).toBe(false);
      // Every backtick is one of ours: an even number per line, each value in its own span.
      for (const line of text.split("\n")) expect((line.match(/`/g) ?? []).length % 2).toBe(0);
      expect([m.unfurl_links, m.unfurl_media]).toEqual([false, false]);
    }),
    { numRuns: 300 },
  );
});

it("webhook, stdout, file: one JSON object a line, the same fields back", () => {
  fc.assert(
    fc.property(hostileAlert, (a) => {
      const line = alertJson(a);
      expect(/[\n\r\u2028\u2029\u0085]/.test(line)).toBe(false);
      const back = JSON.parse(line) as Record<string, unknown>;
      expect(
        Object.keys(back).filter(
          (k) =>
            ![
              "type",
              "id",
              "time",
              "source",
              "origin",
              "client",
              "host",
              "port",
              "method",
              "decision",
              "url",
              "count",
              "firstSeen",
              "lastSeen",
              "hostname",
            ].includes(k),
        ),
      ).toEqual([]);
      expect([back.type, back.count, back.port]).toEqual(["agent-audit.egress-denied", 2, 443]);
    }),
    { numRuns: 300 },
  );
});

it("syslog: one printable-ASCII line, within the size cap, no structured data from the log", () => {
  fc.assert(
    fc.property(hostileAlert, (a) => {
      const d = syslogDatagram(a, "box\n<13>1 forged", new Date("2026-12-06T16:00:00.000Z"), 42);
      expect(/^[\x20-\x7e]*$/.test(d)).toBe(true);
      expect(
        d.startsWith(
          "<36>1 2026-12-06T16:00:00.000Z box<13>1forged agent-audit 42 egress-denied - egress denied: {",
        ),
      ).toBe(true);
      expect(syslogMessage(a).length).toBeLessThanOrEqual(SYSLOG_MAX);
    }),
    { numRuns: 300 },
  );
});

// ---------------------------------------------------------------------------------------------
// Secrets and spoofing in what the agent requested.

describe("a URL the agent chose", () => {
  it("cannot make the alert's URL name another host than the one requested (`//@` in the path)", () => {
    expect(
      [
        "http://real-exfil.example/x//@innocent.example/",
        "http://real-exfil.example//@innocent.example",
        "http://real-exfil.example/a?b=//@innocent.example/",
        "http://user:pw@real-exfil.example/x//@innocent.example/",
      ].map(cleanUrl),
    ).toEqual([
      "http://real-exfil.example/x//innocent.example/",
      "http://real-exfil.example//innocent.example",
      "http://real-exfil.example/a?b=//i…(20)",
      "http://real-exfil.example/x//innocent.example/",
    ]);
  });

  it("loses a password that holds a `/` (where the authority ends is then unclear: all of it up to the `@` goes)", () => {
    expect(
      [
        "http://u:Xk2mP9qL/4vR7tW1nB8cF3hJ6@x.example/a",
        "http://u:p/w@x.example/a?q=1",
        "http://registry.example:8080/@scope/pkg",
      ].map(cleanUrl),
    ).toEqual([
      "http://u:Xk…(27)%40x.example/a",
      "http://…(5)%40x.example/a?q=…(1)",
      "http://registry.example:8080/@scope/pkg",
    ]);
  });

  it("loses a generated token in any path segment, not only the last one", () => {
    expect(
      [
        "http://x.example/Q3vT9kLm2XpR8sWq4ZnB7yHc/upload",
        "http://x.example/a/Q3vT9kLm2XpR8sWq4ZnB7yHc/",
        "http://x.example/v1.Q3vT9kLm2XpR8sWq4ZnB7yHc.json",
      ].map(cleanUrl),
    ).toEqual([
      "http://x.example/Q3vT…(24)/upload",
      "http://x.example/a/Q3vT…(24)/",
      "http://x.example/v1.Q3vT…(24).json",
    ]);
  });

  it("loses Basic and Bearer credentials written into the path", () => {
    expect(
      [
        "http://x.example/Authorization:%20Basic%20dXNlcjpwYXNz/x",
        "http://x.example/auth/Basic:dXNlcjpwYXNz",
        "http://x.example/h/bearer%20abc.def",
      ].map(cleanUrl),
    ).toEqual([
      "http://x.example/Authorization:%20Basic%20…(12)/x",
      "http://x.example/auth/Basic:…(12)",
      "http://x.example/h/bearer%20…(7)",
    ]);
  });
});

it("a host name that carries a generated value (DNS exfiltration) keeps its domain, not the value", () => {
  const hosts = [
    "mfrggzdfmztwq2lknnwg23tpojyxg5lwo5wxq6i.evil.example",
    "AKIAZ7Q3XK4P2M5N6R7T.evil.example",
    "a.b.evil.example",
    "cdn-12.static.example",
    "[2001:db8:85a3:0:0:8a2e:370:7334]",
    "mfrggzdfmztwq2lknnwg23tpojyxg5lwo5wxq6i.example",
  ];
  const got = hosts.map(
    (h) =>
      parseLine(
        "squid",
        `1796573494.475 0 127.0.0.1 TCP_DENIED/403 3411 CONNECT ${h}:443 - HIER_NONE/- text/html`,
        "f",
        new Date(NOW),
      )?.host,
  );
  expect(got).toEqual([
    "mfrg…(39).evil.example",
    "akia…(20).evil.example",
    "a.b.evil.example",
    "cdn-12.static.example",
    "[2001:db8:85a3:0:0:8a2e:370:7334]",
    "mfrg…(39).example",
  ]);
});

// ---------------------------------------------------------------------------------------------
// The queue directory, tampered with.

describe("a tampered queue directory", () => {
  const qdir = () => join(dir, "q");
  const entry = (n: number) => join(qdir(), `${String(n).padStart(16, "0")}.json`);
  function stored(n: number): string {
    return `${JSON.stringify({ ...eventAlert({ host: `h${n}.example` }), id: `id${n}` })}\n`;
  }

  it("a directory named like a half-written entry does not stop the queue from opening", () => {
    mkdirSync(qdir(), { mode: 0o700 });
    mkdirSync(join(qdir(), ".tmp-0a1b2c3d4e5f"));
    writeFileSync(entry(1), stored(1));
    const q = new AlertQueue({ dir: qdir() });
    expect([q.pending, q.dropped]).toEqual([1, 0]);
  });

  it("a huge (sparse) entry is dropped and counted when the queue opens, and the real alerts kept", () => {
    mkdirSync(qdir(), { mode: 0o700 });
    writeFileSync(entry(1), stored(1));
    writeFileSync(entry(2), stored(2));
    execFileSync("truncate", ["-s", "10G", entry(3)]);
    writeFileSync(entry(4), stored(4));
    const q = new AlertQueue({ dir: qdir() });
    expect([q.pending, q.dropped, q.bytes]).toEqual([3, 1, stored(1).length * 3]);
    expect(existsSync(entry(3))).toBe(false);
  });
});

it("10^5 distinct destinations: the deduper keeps at most 10,000 open windows and the rate limit holds", () => {
  let t = NOW;
  const d = new Deduper({ hostname: "box", now: () => t, maxAlertsPerMinute: 20 });
  let alerts = 0;
  let most = 0;
  for (let i = 0; i < 100_000; i++) {
    alerts += d.add({
      time: new Date(t).toISOString(),
      source: "squid",
      origin: "f",
      host: `h${i}.example`,
      port: 443,
      decision: "TCP_DENIED/403",
    }).length;
    most = Math.max(most, d.openWindows);
  }
  t += 120_000;
  const last = d.flush();
  // 20 alerts, then the 89,980 windows closed early are folded into the first summary; at the end
  // that summary, 19 alerts and a summary of the other 9,981: every denial is counted once.
  expect([most, alerts, last.length, last[0]?.event.decision, last.at(-1)?.event.decision]).toEqual([
    10_000,
    20,
    21,
    "rate-limited: 89980 more alerts",
    "rate-limited: 9981 more alerts",
  ]);
  expect(20 + last.reduce((n, a) => n + a.count, 0)).toBe(100_000);
});

it("follow mode: a log replaced by a FIFO is reported at once (onWarning), once, and the watcher keeps polling", async () => {
  const log = join(dir, "access.log");
  writeFileSync(log, DENIED);
  const statePath = join(dir, "state", "state.json");
  const live: string[] = [];
  const stop = new AbortController();
  const running = runWatch(
    {
      sources: [`squid:${log}`],
      sinks: ["stdout"],
      state: statePath,
      once: false,
      test: false,
      stateDefault: statePath,
      pollMs: 5,
      sinkDeps: { stdout: { write: () => {} } },
      now: () => NOW,
      sleep: async () => {},
      onWarning: (m: string) => live.push(m),
    },
    { cwd: dir, hostname: "box" },
    stop.signal,
  );
  const until = async (ok: () => boolean) => {
    for (let i = 0; i < 400 && !ok(); i++) await new Promise((r) => setTimeout(r, 5));
  };
  await until(() => existsSync(statePath) && readFileSync(statePath, "utf8").includes('"offset":'));
  rmSync(log);
  execFileSync("mkfifo", [log]);
  await until(() => live.length > 0);
  await new Promise((r) => setTimeout(r, 100)); // many more polls
  const during = [...live];
  stop.abort();
  const summary = await running;
  expect(during).toEqual([`squid:${log}: not read this time (${log} is a FIFO, not a regular file)`]);
  expect([summary.lines, summary.denials, summary.warnings]).toEqual([1, 1, during]);
});

it("follow mode: a source flooded without end (newlines on srt's stderr) does not starve the others", async () => {
  const flood = join(dir, "srt.log");
  const squid = join(dir, "access.log");
  writeFileSync(flood, "\n".repeat(1024 * 1024));
  writeFileSync(squid, DENIED);
  const statePath = join(dir, "state", "state.json");
  const stop = new AbortController();
  const passes: [number, number][] = [];
  await runWatch(
    {
      sources: [`sandbox-runtime:${flood}`, `squid:${squid}`],
      sinks: ["stdout"],
      state: statePath,
      once: false,
      test: false,
      stateDefault: statePath,
      pollMs: 60_000,
      sinkDeps: { stdout: { write: () => {} } },
      now: () => NOW,
      sleep: async () => {},
      afterPass: (st) => {
        passes.push([st.files[flood]?.offset ?? -1, st.files[squid]?.offset ?? -1]);
        if (st.files[flood]?.offset === 1024 * 1024) stop.abort();
      },
    },
    { cwd: dir, hostname: "box" },
    stop.signal,
  );
  // The first pass read a bounded part of the flood, then the squid log; the next passes came
  // without waiting for the poll interval (60 s) while the flood had more.
  expect(passes[0]).toEqual([100_000, DENIED.length]);
  expect(passes.at(-1)).toEqual([1024 * 1024, DENIED.length]);
  expect(passes.length).toBe(11);
});

it("journal: a flood of entries since the last pass is read in bounded batches that resume at the right cursor", async () => {
  const bin = join(dir, "journalctl");
  writeFileSync(
    bin,
    `#!/bin/sh
start=1
for a in "$@"; do case "$a" in --after-cursor=c*) start=$(( \${a#--after-cursor=c} + 1 ));; esac; done
seq "$start" 25000 | awk '{printf "{\\"__CURSOR\\":\\"c%d\\",\\"_TRANSPORT\\":\\"kernel\\",\\"MESSAGE\\":\\"m%d\\"}\\n", $1, $1}'
`,
    { mode: 0o755 },
  );
  let r = new JournalReader({ journalctl: bin });
  const got: [number, string | undefined, boolean][] = [];
  for (let i = 0; i < 4; i++) {
    const lines = await r.readAvailable();
    got.push([lines.length, r.state?.cursor, r.hasMore]);
    r = new JournalReader({ journalctl: bin, state: r.state });
  }
  expect(got).toEqual([
    [10_000, "c10000", true],
    [10_000, "c20000", true],
    [5_000, "c25000", false],
    [0, "c25000", false],
  ]);
});

describe("the file sink's path, planted", () => {
  it("a hard link to another file is refused (a root watcher would append to that file)", async () => {
    const target = join(dir, "victim");
    writeFileSync(target, "precious\n");
    linkSync(target, join(dir, "alerts.jsonl"));
    const sink = makeSink(parseSink(`file:${join(dir, "alerts.jsonl")}`));
    await expect(sink.send([eventAlert({ host: "x.example" })])).rejects.toThrow(
      `file:${join(dir, "alerts.jsonl")}: has another hard link; refusing to append to it`,
    );
    expect(readFileSync(target, "utf8")).toBe("precious\n");
  });

  it("a link to /dev/zero at a log's path is refused, never read", async () => {
    const log = join(dir, "access.log");
    symlinkSync("/dev/zero", log);
    await expect(new LogFollower(log).readAvailable()).rejects.toThrow(
      `${log} is a character device, not a regular file`,
    );
  });
});

it("follow mode: a sink that keeps failing is reported at once (onWarning), once, while its alerts stay queued", async () => {
  const closed = await new Promise<number>((resolve) => {
    const srv = createServer();
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
  const log = join(dir, "access.log");
  writeFileSync(log, DENIED);
  const statePath = join(dir, "state", "state.json");
  const live: string[] = [];
  const stop = new AbortController();
  let clock = NOW;
  let passes = 0;
  const summary = await runWatch(
    {
      sources: [`squid:${log}`],
      sinks: [`webhook:http://127.0.0.1:${closed}/hook`],
      state: statePath,
      once: false,
      test: false,
      stateDefault: statePath,
      pollMs: 5,
      now: () => clock,
      sleep: (_ms, signal) =>
        new Promise((r) => {
          const t = setTimeout(r, 5);
          signal?.addEventListener("abort", () => {
            clearTimeout(t);
            r();
          });
        }),
      onWarning: (m: string) => live.push(m),
      afterPass: () => {
        passes++;
        if (passes === 1) clock += 120_000; // the window closes: its alert is queued
        if (passes === 60) stop.abort();
      },
    },
    { cwd: dir, hostname: "box" },
    stop.signal,
  );
  expect(live).toEqual([
    `webhook:http://127.0.0.1:${closed}/hook: alerts not delivered, kept in the queue: webhook:http://127.0.0.1:${closed}/hook: ECONNREFUSED`,
  ]);
  expect(summary.sinks.map((s) => [s.pending, s.delivered])).toEqual([[1, 0]]);
});

it("--once: a log flooded faster than it is read cannot keep the run from ending and delivering", async () => {
  const flood = join(dir, "srt.log");
  const squid = join(dir, "access.log");
  writeFileSync(flood, "\n".repeat(300_000));
  writeFileSync(squid, DENIED);
  const out: string[] = [];
  const statePath = join(dir, "state", "state.json");
  const summary = await runWatch(
    {
      sources: [`sandbox-runtime:${flood}`, `squid:${squid}`],
      sinks: ["stdout"],
      state: statePath,
      once: true,
      test: false,
      stateDefault: statePath,
      sinkDeps: { stdout: { write: (s: string) => out.push(s) } },
      now: () => NOW,
      sleep: async () => {},
      oncePasses: 2,
      // The agent appends as fast as the watcher reads.
      afterPass: () => appendFileSync(flood, "\n".repeat(200_000)),
    },
    { cwd: dir, hostname: "box" },
  );
  expect(out.map((l) => (JSON.parse(l) as { host: string }).host)).toEqual(["denied.example"]);
  expect([summary.lines, summary.warnings]).toEqual([
    200_001,
    [`sandbox-runtime:${flood}: more to read than one --once run reads: the next run goes on from here`],
  ]);
  expect(JSON.parse(readFileSync(statePath, "utf8")).files[flood].offset).toBe(200_000);
});

it("queue entries rewritten with odd shapes are still delivered as one clean line each, never a crash", async () => {
  const qdir = join(dir, "q");
  mkdirSync(qdir, { mode: 0o700 });
  const odd: unknown[] = [
    {
      ...eventAlert({}),
      count: "9",
      hostname: 7,
      event: { decision: "d", port: "443\n", host: ["<!channel>"], url: { a: 1 } },
    },
    {
      ...eventAlert({}),
      id: 'x\n{"forged":1}',
      event: { decision: "d", time: 5, source: null, origin: "\u202e" },
    },
    {
      ...eventAlert({}),
      dropped: 5,
      firstSeen: { toString: 1 },
      event: { decision: "d", client: "\u001b[2J" },
    },
  ];
  for (const [i, a] of odd.entries())
    writeFileSync(join(qdir, `${String(i + 1).padStart(16, "0")}.json`), JSON.stringify(a));
  const lines: string[] = [];
  const slack: string[] = [];
  const q = new AlertQueue({ dir: qdir });
  const r = await q.drain(
    {
      name: "t",
      send: async (alerts) => {
        for (const a of alerts) {
          lines.push(alertJson(a));
          slack.push(slackMessage(a).text);
          syslogMessage(a);
        }
      },
    },
    { maxRetries: 0 },
  );
  // The first (a count that is no number) is no alert: dropped, and said in the next delivered one.
  expect([r.delivered, r.pending, JSON.parse(lines[0]!).dropped]).toEqual([2, 0, 1]);
  expect(lines.every((l) => !/[\n\r\u001b\u202e]/.test(l) && typeof JSON.parse(l) === "object")).toBe(true);
  // Five lines each, and the first the line that says an alert was dropped.
  expect(slack.map((t) => t.split("\n").length)).toEqual([6, 5]);
  expect(slack.some((t) => /[<>\u001b\u202e]/.test(t))).toBe(false);
});

it("a 100 MB line without a newline: one head handed out, the rest skipped in bounded reads, the position inside it", async () => {
  const log = join(dir, "access.log");
  const mb = Buffer.alloc(1024 * 1024, 0x61);
  writeFileSync(log, "");
  for (let i = 0; i < 100; i++) appendFileSync(log, mb);
  const f = new LogFollower(log);
  const got: number[] = [];
  for (;;) {
    got.push((await f.readAvailable()).length);
    if (!f.hasMore) break;
  }
  expect(got).toEqual([1, 0, 0, 0, 0, 0, 0]);
  expect(f.state).toMatchObject({ offset: 100 * 1024 * 1024 - 64 * 1024, skipping: true });
  await f.close();
});
