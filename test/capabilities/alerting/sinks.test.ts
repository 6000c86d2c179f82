import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { createSocket } from "node:dgram";
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { AlertQueue } from "../../../src/capabilities/alerting/queue.js";
import {
  alertJson,
  type DeliveredAlert,
  makeSink,
  PartialDeliveryError,
  parseSink,
  SYSLOG_MAX,
  slackMessage,
  slackValue,
  syslogDatagram,
  syslogMessage,
} from "../../../src/capabilities/alerting/sinks.js";
import type { Alert } from "../../../src/capabilities/alerting/types.js";
import { toolVersion } from "../../../src/util/version.js";

// Issue 14: the sinks of `agent-audit watch`. Real loopback HTTP servers for webhook and Slack, a real
// UDP socket for syslog:udp, a fake logger(1) script that records its argv (never the real syslog),
// temp files for the file sink. Hostile values from the log (mentions, markup, backticks, bidi
// controls, a 1 MB URL, a token in a URL) are asserted escaped exactly, and the token absent.

const TOKEN = "ghp_abcdefghijklmnopqrstuvwxyz0123456789";
const SLACK_URL_PATH = "/services/T0000AAAA/B0000BBBB/XXXXXXXXXXXXXXXXXXXXXXXX";

function alert(n = 1, over: Partial<Alert["event"]> = {}): Alert {
  return {
    type: "agent-audit.egress-denied",
    id: `id${n}`,
    event: {
      time: "2026-12-06T10:00:00.000Z",
      source: "squid",
      origin: "/var/log/squid/access.log",
      client: "10.0.0.2",
      host: `evil${n}.example`,
      port: 443,
      method: "CONNECT",
      decision: "TCP_DENIED/403",
      ...over,
    },
    count: n,
    firstSeen: "2026-12-06T10:00:00.000Z",
    lastSeen: "2026-12-06T10:00:05.000Z",
    hostname: "box1",
  };
}

/** What the hostile URL keeps before its run of A's: the token redacted, controls escaped. */
const URL_HEAD = "http://x.example/ghp_…(40)/a\\u202eb\\nFORGED <https://evil|click>";

const hostile: Alert = {
  ...alert(1),
  event: {
    ...alert(1).event,
    client: "<@U1>",
    host: "<!channel>",
    method: "*x*",
    decision: "a`b`c ~s~ _i_ & >q",
    url: `http://x.example/${TOKEN}/a\u202eb\nFORGED <https://evil|click>${"A".repeat(1024 * 1024)}`,
  },
};

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "aa-sinks-"));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

interface Received {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

interface Receiver {
  port: number;
  received: Received[];
  /** Statuses to answer, in order (then 200); "hang" never answers; "redirect" answers 302. */
  answers: (number | "hang" | "redirect")[];
  close: () => Promise<void>;
}

function receiver(port = 0): Promise<Receiver> {
  const received: Received[] = [];
  const sockets = new Set<Socket>();
  const r: Partial<Receiver> = { received, answers: [] };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      received.push({
        method: req.method ?? "",
        url: req.url ?? "",
        headers: req.headers,
        body: Buffer.concat(chunks).toString("utf8"),
      });
      const answer = r.answers!.shift() ?? 200;
      if (answer === "hang") return;
      if (answer === "redirect") {
        res.writeHead(302, { location: `http://127.0.0.1:${r.port}/elsewhere` }).end();
        return;
      }
      res.writeHead(answer, { "content-type": "text/plain" }).end(answer === 200 ? "ok" : `no ${TOKEN}`);
    });
  });
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  return new Promise((resolve) => {
    server.listen({ host: "127.0.0.1", port }, () => {
      r.port = (server.address() as AddressInfo).port;
      r.close = () =>
        new Promise((done) => {
          for (const s of sockets) s.destroy();
          server.close(() => done());
        });
      resolve(r as Receiver);
    });
  });
}

/** A loopback port nothing listens on (bound, then released). */
async function freePort(): Promise<number> {
  const r = await receiver();
  await r.close();
  return r.port;
}

const key = (spec: string) => createHash("sha256").update(spec).digest("hex").slice(0, 24);

describe("parseSink", () => {
  it("parses every form", () => {
    expect(parseSink("stdout")).toEqual({ kind: "stdout", name: "stdout", key: key("stdout") });
    expect(parseSink("file:/var/log/aa.jsonl")).toEqual({
      kind: "file",
      path: "/var/log/aa.jsonl",
      name: "file:/var/log/aa.jsonl",
      key: key("file:/var/log/aa.jsonl"),
    });
    expect(parseSink("file:rel/x.jsonl")).toEqual({
      kind: "file",
      path: join(process.cwd(), "rel/x.jsonl"),
      name: `file:${join(process.cwd(), "rel/x.jsonl")}`,
      key: key("file:rel/x.jsonl"),
    });
    expect(parseSink("syslog")).toEqual({ kind: "syslog", name: "syslog", key: key("syslog") });
    expect(parseSink("syslog:udp://127.0.0.1:514")).toEqual({
      kind: "syslog",
      target: { host: "127.0.0.1", port: 514 },
      name: "syslog:udp://127.0.0.1:514",
      key: key("syslog:udp://127.0.0.1:514"),
    });
    expect(parseSink("syslog:udp://[::1]:5514")).toEqual({
      kind: "syslog",
      target: { host: "::1", port: 5514 },
      name: "syslog:udp://[::1]:5514",
      key: key("syslog:udp://[::1]:5514"),
    });
    expect(parseSink("webhook:https://alerts.example/in")).toEqual({
      kind: "webhook",
      url: "https://alerts.example/in",
      name: "webhook:https://alerts.example/in",
      key: key("webhook:https://alerts.example/in"),
    });
  });

  it("never shows a URL's credentials, query or a Slack token in the name", () => {
    const slack = `slack:https://hooks.slack.com${SLACK_URL_PATH}`;
    expect(parseSink(slack)).toEqual({
      kind: "slack",
      url: `https://hooks.slack.com${SLACK_URL_PATH}`,
      name: "slack:https://hooks.slack.com/services/T…/…/…",
      key: key(slack),
    });
    const hook = `webhook:https://user:s3cretpass@alerts.example/in/${TOKEN}?key=abc123secret`;
    const spec = parseSink(hook);
    expect(spec.name).toBe("webhook:https://alerts.example/in/ghp_…(40)?…");
    expect(spec.name).not.toContain("s3cretpass");
    expect(spec.name).not.toContain("abc123secret");
    // The key is a hash: the queue directory's name holds no secret either.
    expect(spec.key).toMatch(/^[0-9a-f]{24}$/);
  });

  it("refuses bad specs with a clear message that never echoes a URL", () => {
    const cases: [string, string][] = [
      [
        "",
        "--sink : unknown sink (expected stdout, file:PATH, syslog, syslog:udp://HOST:PORT, webhook:URL or slack:URL)",
      ],
      [
        "pager:x",
        "--sink pager: unknown sink (expected stdout, file:PATH, syslog, syslog:udp://HOST:PORT, webhook:URL or slack:URL)",
      ],
      ["file:", "--sink file: needs a path (file:PATH)"],
      ["file:/tmp/a\nb", "--sink file: the path holds a control character"],
      [
        "syslog:tcp://h:514",
        "--sink syslog: expected syslog or syslog:udp://HOST:PORT, got syslog:tcp://h:514",
      ],
      ["syslog:udp://h:70000", "--sink syslog: port 70000 is out of range (1-65535)"],
      ["syslog:udp://h", "--sink syslog: expected syslog or syslog:udp://HOST:PORT, got syslog:udp://h"],
      ["webhook:", "--sink webhook: needs a URL (webhook:https://HOST/PATH)"],
      ["webhook:ftp://h/x", "--sink webhook: the URL must be http or https, not ftp:"],
      [
        `slack:hooks.slack.com${SLACK_URL_PATH}`,
        "--sink slack: not a valid URL (expected slack:https://HOST/PATH)",
      ],
      [`webhook:https//${TOKEN}`, "--sink webhook: not a valid URL (expected webhook:https://HOST/PATH)"],
      [`slack:file:///services/${TOKEN}`, "--sink slack: the URL must be http or https, not file:"],
    ];
    for (const [spec, message] of cases) {
      expect(() => parseSink(spec), spec).toThrow(new Error(message));
    }
  });
});

describe("formatting hostile values", () => {
  it("the JSON line: one line, controls escaped, URL capped, the token redacted", () => {
    const line = alertJson(hostile);
    expect(line).not.toContain("\n");
    expect(line).not.toContain(TOKEN);
    const parsed = JSON.parse(line) as Record<string, unknown>;
    expect(parsed).toEqual({
      type: "agent-audit.egress-denied",
      id: "id1",
      time: "2026-12-06T10:00:00.000Z",
      source: "squid",
      origin: "/var/log/squid/access.log",
      client: "<@U1>",
      host: "<!channel>",
      port: 443,
      method: "*x*",
      decision: "a`b`c ~s~ _i_ & >q",
      url: `${URL_HEAD}${"A".repeat(1023 - URL_HEAD.length)}…`,
      count: 1,
      firstSeen: "2026-12-06T10:00:00.000Z",
      lastSeen: "2026-12-06T10:00:05.000Z",
      hostname: "box1",
    });
    expect((parsed.url as string).length).toBe(1024);
  });

  it("a Slack value is a code span with &, <, > escaped and backticks replaced", () => {
    expect(slackValue("<!channel>")).toBe("`&lt;!channel&gt;`");
    expect(slackValue("<@U1>")).toBe("`&lt;@U1&gt;`");
    expect(slackValue("<https://evil|click>")).toBe("`&lt;https://evil|click&gt;`");
    expect(slackValue("*x* _y_ ~z~")).toBe("`*x* _y_ ~z~`");
    expect(slackValue("a`b``c")).toBe("`aˋbˋˋc`");
    expect(slackValue("&amp;")).toBe("`&amp;amp;`");
    expect(slackValue("l1\nl2\u202e")).toBe("`l1\\nl2\\u202e`");
    expect(slackValue("")).toBe("-");
    expect(slackValue(undefined)).toBe("-");
    expect(slackValue("<".repeat(500), 10)).toBe(`\`${"&lt;".repeat(9)}…\``);
  });

  it("the Slack message of a hostile alert, exactly", () => {
    const msg = slackMessage(hostile);
    expect(msg).toEqual({
      text: [
        "*agent-audit: egress denied* on `box1`",
        "*Destination:* `&lt;!channel&gt;:443`  *Method:* `*x*`  *Decision:* `aˋbˋc ~s~ _i_ &amp; &gt;q`",
        "*Client:* `&lt;@U1&gt;`  *Source:* `squid` `/var/log/squid/access.log`",
        "*Count:* 1  *First:* `2026-12-06T10:00:00.000Z`  *Last:* `2026-12-06T10:00:05.000Z`",
        `*URL:* \`${URL_HEAD.replace("<", "&lt;").replace(">", "&gt;")}${"A".repeat(499 - URL_HEAD.length)}…\``,
        "*Id:* `id1`",
      ].join("\n"),
      unfurl_links: false,
      unfurl_media: false,
    });
    expect(msg.text).not.toContain(TOKEN);
    expect(msg.text).not.toContain("<");
    expect(msg.text.split("\n")).toHaveLength(6);
  });

  it("the Slack message reports dropped alerts", () => {
    const a: DeliveredAlert = { ...alert(2), dropped: 7 };
    expect(slackMessage(a).text.split("\n").slice(-2)).toEqual([
      "*Warning:* 7 earlier alert(s) were dropped (the alert queue was full)",
      "*Id:* `id2`",
    ]);
  });

  it("the syslog message: one ASCII line, at most 2 KiB, the token redacted", () => {
    const msg = syslogMessage(hostile);
    expect(msg.length).toBeLessThanOrEqual(SYSLOG_MAX);
    expect(msg).toMatch(/^egress denied: \{[\x20-\x7e]*\}$/);
    expect(msg).not.toContain(TOKEN);
    const parsed = JSON.parse(msg.slice("egress denied: ".length)) as { url: string; host: string };
    expect(parsed.host).toBe("<!channel>");
    expect(parsed.url).toBe(`${URL_HEAD}${"A".repeat(1023 - URL_HEAD.length)}…`);
    expect(syslogMessage(alert(3))).toBe(
      'egress denied: {"type":"agent-audit.egress-denied","id":"id3","time":"2026-12-06T10:00:00.000Z","source":"squid","origin":"/var/log/squid/access.log","client":"10.0.0.2","host":"evil3.example","port":443,"method":"CONNECT","decision":"TCP_DENIED/403","count":3,"firstSeen":"2026-12-06T10:00:00.000Z","lastSeen":"2026-12-06T10:00:05.000Z","hostname":"box1"}',
    );
  });

  it("the syslog message shortens the URL until the line fits", () => {
    const long: Alert = { ...alert(1), event: { ...alert(1).event, url: `http://h/${"é".repeat(5000)}` } };
    const msg = syslogMessage(long);
    expect(msg.length).toBeLessThanOrEqual(SYSLOG_MAX);
    const url = (JSON.parse(msg.slice("egress denied: ".length)) as { url: string }).url;
    expect(url).toBe(`http://h/${"é".repeat(246)}…`);
  });

  it("the synthetic alert of watch --test", () => {
    const t: Alert = { ...alert(1), type: "agent-audit.test" };
    expect(JSON.parse(alertJson(t)).type).toBe("agent-audit.test");
    expect(slackMessage(t).text.split("\n")[0]).toBe("*agent-audit test alert* on `box1`");
    expect(syslogDatagram(t, "box1", new Date("2026-12-06T11:00:00.000Z"), 7)).toBe(
      `<36>1 2026-12-06T11:00:00.000Z box1 agent-audit 7 test - ${syslogMessage(t)}`,
    );
    // an unknown type from a damaged queue file never reaches a receiver as such
    const odd = { ...alert(1), type: "<!channel>" } as unknown as Alert;
    expect(JSON.parse(alertJson(odd)).type).toBe("agent-audit.egress-denied");
  });

  it("an RFC 5424 datagram", () => {
    expect(syslogDatagram(alert(3), "box 1\n", new Date("2026-12-06T11:00:00.000Z"), 4242)).toBe(
      `<36>1 2026-12-06T11:00:00.000Z box1 agent-audit 4242 egress-denied - ${syslogMessage(alert(3))}`,
    );
  });
});

describe("stdout and file sinks", () => {
  it("stdout: one JSON object a line", async () => {
    const out: string[] = [];
    const sink = makeSink(parseSink("stdout"), { stdout: { write: (c: string) => out.push(c) } });
    expect(sink.name).toBe("stdout");
    await sink.send([alert(1), hostile]);
    expect(out).toEqual([`${alertJson(alert(1))}\n${alertJson(hostile)}\n`]);
    expect(out.join("")).not.toContain(TOKEN);
    expect(out.join("").split("\n")).toHaveLength(3);
  });

  it("file: appends JSON lines to a new 0600 file", async () => {
    const path = join(dir, "alerts.jsonl");
    const sink = makeSink(parseSink(`file:${path}`));
    await sink.send([alert(1)]);
    await sink.send([alert(2), hostile]);
    expect(readFileSync(path, "utf8")).toBe(
      `${alertJson(alert(1))}\n${alertJson(alert(2))}\n${alertJson(hostile)}\n`,
    );
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readFileSync(path, "utf8")).not.toContain(TOKEN);
  });

  it("file: appends to an existing file and keeps its mode", async () => {
    const path = join(dir, "alerts.jsonl");
    writeFileSync(path, "earlier\n", { mode: 0o640 });
    chmodSync(path, 0o640);
    await makeSink(parseSink(`file:${path}`)).send([alert(1)]);
    expect(readFileSync(path, "utf8")).toBe(`earlier\n${alertJson(alert(1))}\n`);
    expect(statSync(path).mode & 0o777).toBe(0o640);
  });

  it("file: refuses a symlink, a FIFO, a device and a directory", async () => {
    const target = join(dir, "target");
    writeFileSync(target, "");
    const link = join(dir, "link");
    symlinkSync(target, link);
    await expect(makeSink(parseSink(`file:${link}`)).send([alert(1)])).rejects.toThrow(
      new Error(`file:${link}: is a symbolic link; refusing to write through it`),
    );
    expect(readFileSync(target, "utf8")).toBe("");
    const fifo = join(dir, "fifo");
    execFileSync("mkfifo", [fifo]);
    await expect(makeSink(parseSink(`file:${fifo}`)).send([alert(1)])).rejects.toThrow(
      new Error(`file:${fifo}: is a FIFO or socket, not a regular file`),
    );
    await expect(makeSink(parseSink("file:/dev/null")).send([alert(1)])).rejects.toThrow(
      new Error("file:/dev/null: is a character device, not a regular file"),
    );
    const sub = join(dir, "sub");
    mkdirSync(sub);
    await expect(makeSink(parseSink(`file:${sub}`)).send([alert(1)])).rejects.toThrow(
      new Error(`file:${sub}: cannot open: is a directory (EISDIR)`),
    );
  });
});

describe("syslog sinks", () => {
  function fakeLogger(exitOn?: string): { bin: string; calls: () => string[][] } {
    const log = join(dir, "argv.log");
    const bin = join(dir, "logger");
    // Records each run's argv, NUL-separated, one run a line; exits 1 when an argument holds `exitOn`.
    writeFileSync(
      bin,
      [
        "#!/bin/sh",
        `for a in "$@"; do printf '%s\\0' "$a" >> '${log}'; done`,
        `printf '\\n' >> '${log}'`,
        exitOn ? `case "$*" in *'${exitOn}'*) exit 1;; esac` : "",
        "exit 0",
        "",
      ].join("\n"),
      { mode: 0o755 },
    );
    return {
      bin,
      calls: () => {
        let text = "";
        try {
          text = readFileSync(log, "utf8");
        } catch {}
        return text
          .split("\0\n")
          .filter((l) => l !== "")
          .map((l) => l.split("\0"));
      },
    };
  }

  it("local syslog: one logger run per alert, argv only", async () => {
    const fake = fakeLogger();
    const sink = makeSink(parseSink("syslog"), { logger: fake.bin });
    expect(sink.name).toBe("syslog");
    await sink.send([alert(1), hostile]);
    const args = [
      "--rfc5424",
      "--socket-errors=on",
      "--size",
      "2560",
      "--msgid",
      "egress-denied",
      "-t",
      "agent-audit",
      "-p",
      "auth.warning",
      "--",
    ];
    expect(fake.calls()).toEqual([
      [...args, syslogMessage(alert(1))],
      [...args, syslogMessage(hostile)],
    ]);
    expect(readFileSync(join(dir, "argv.log"), "utf8")).not.toContain(TOKEN);
  });

  it("local syslog: a failing logger is a partial delivery at that alert", async () => {
    const fake = fakeLogger("evil2.example");
    const sink = makeSink(parseSink("syslog"), { logger: fake.bin });
    const err = await sink.send([alert(1), alert(2), alert(3)]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PartialDeliveryError);
    expect((err as PartialDeliveryError).message).toBe("syslog: logger exited with status 1");
    expect((err as PartialDeliveryError).delivered).toBe(1);
    expect(fake.calls()).toHaveLength(2);
  });

  it("local syslog: a missing logger", async () => {
    const sink = makeSink(parseSink("syslog"), { logger: join(dir, "nope") });
    await expect(sink.send([alert(1)])).rejects.toThrow(
      new PartialDeliveryError("syslog: cannot run logger: no such file or directory (ENOENT)", 0),
    );
  });

  it("syslog:udp sends one RFC 5424 datagram per alert", async () => {
    const server = createSocket("udp4");
    const got: string[] = [];
    await new Promise<void>((r) => server.bind(0, "127.0.0.1", () => r()));
    const port = (server.address() as AddressInfo).port;
    const arrived = new Promise<void>((r) =>
      server.on("message", (m) => {
        got.push(m.toString("utf8"));
        if (got.length === 2) r();
      }),
    );
    try {
      const now = new Date("2026-12-06T12:00:00.000Z");
      const sink = makeSink(parseSink(`syslog:udp://127.0.0.1:${port}`), {
        hostname: "box1",
        now: () => now,
      });
      expect(sink.name).toBe(`syslog:udp://127.0.0.1:${port}`);
      await sink.send([alert(1), hostile]);
      await arrived;
      expect(got).toEqual([syslogDatagram(alert(1), "box1", now), syslogDatagram(hostile, "box1", now)]);
      expect(
        got[1]!.startsWith(`<36>1 2026-12-06T12:00:00.000Z box1 agent-audit ${process.pid} egress-denied - `),
      ).toBe(true);
      expect(got.join("")).not.toContain(TOKEN);
    } finally {
      server.close();
    }
  });
});

describe("webhook and slack sinks", () => {
  let rx: Receiver;
  beforeEach(async () => {
    rx = await receiver();
  });
  afterEach(async () => {
    await rx.close();
  });

  it("webhook: POSTs the JSON of each alert", async () => {
    const sink = makeSink(parseSink(`webhook:http://u:pw@127.0.0.1:${rx.port}/hook?k=v`));
    expect(sink.name).toBe(`webhook:http://127.0.0.1:${rx.port}/hook?…`);
    await sink.send([alert(1), hostile]);
    expect(rx.received.map((r) => [r.method, r.url, r.body])).toEqual([
      ["POST", "/hook?k=v", alertJson(alert(1))],
      ["POST", "/hook?k=v", alertJson(hostile)],
    ]);
    const h = rx.received[0]!.headers;
    expect([h["content-type"], h["content-length"], h["user-agent"], h.authorization]).toEqual([
      "application/json",
      String(Buffer.byteLength(alertJson(alert(1)))),
      `agent-audit/${toolVersion()}`,
      `Basic ${Buffer.from("u:pw").toString("base64")}`,
    ]);
    expect(JSON.parse(rx.received[0]!.body)).toEqual({
      type: "agent-audit.egress-denied",
      id: "id1",
      time: "2026-12-06T10:00:00.000Z",
      source: "squid",
      origin: "/var/log/squid/access.log",
      client: "10.0.0.2",
      host: "evil1.example",
      port: 443,
      method: "CONNECT",
      decision: "TCP_DENIED/403",
      count: 1,
      firstSeen: "2026-12-06T10:00:00.000Z",
      lastSeen: "2026-12-06T10:00:05.000Z",
      hostname: "box1",
    });
    expect(rx.received[1]!.body).not.toContain(TOKEN);
  });

  it("slack: POSTs the escaped message; the hook's token is never in an error", async () => {
    const sink = makeSink(parseSink(`slack:http://127.0.0.1:${rx.port}${SLACK_URL_PATH}`));
    expect(sink.name).toBe(`slack:http://127.0.0.1:${rx.port}/services/T…/…/…`);
    await sink.send([hostile]);
    expect(rx.received).toHaveLength(1);
    expect(rx.received[0]!.url).toBe(SLACK_URL_PATH);
    expect(rx.received[0]!.headers["content-type"]).toBe("application/json");
    expect(JSON.parse(rx.received[0]!.body)).toEqual(slackMessage(hostile));
    expect(rx.received[0]!.body).not.toContain(TOKEN);
    expect(rx.received[0]!.body).not.toContain("<");
    rx.answers.push(500);
    const err = (await sink.send([alert(1)]).catch((e: unknown) => e)) as Error;
    expect(err.message).toBe(`slack:http://127.0.0.1:${rx.port}/services/T…/…/…: answered HTTP 500`);
    expect(err.message).not.toContain("XXXXXXXX");
    expect(err.message).not.toContain(TOKEN); // the response body is never quoted
  });

  it("non-2xx is a failure; a batch failing halfway says how many were delivered", async () => {
    const sink = makeSink(parseSink(`webhook:http://127.0.0.1:${rx.port}/hook`));
    rx.answers.push(200, 503);
    const err = await sink.send([alert(1), alert(2), alert(3)]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PartialDeliveryError);
    expect([(err as PartialDeliveryError).message, (err as PartialDeliveryError).delivered]).toEqual([
      `webhook:http://127.0.0.1:${rx.port}/hook: answered HTTP 503`,
      1,
    ]);
    expect(rx.received).toHaveLength(2);
  });

  it("a redirect is not followed", async () => {
    const sink = makeSink(parseSink(`webhook:http://127.0.0.1:${rx.port}/hook`));
    rx.answers.push("redirect");
    await expect(sink.send([alert(1)])).rejects.toThrow(
      new PartialDeliveryError(
        `webhook:http://127.0.0.1:${rx.port}/hook: answered HTTP 302 (redirects are not followed)`,
        0,
      ),
    );
    expect(rx.received.map((r) => r.url)).toEqual(["/hook"]);
  });

  it("a hanging receiver times out", async () => {
    const sink = makeSink(parseSink(`webhook:http://127.0.0.1:${rx.port}/hook`), { timeoutMs: 200 });
    rx.answers.push("hang");
    await expect(sink.send([alert(1)])).rejects.toThrow(
      new PartialDeliveryError(`webhook:http://127.0.0.1:${rx.port}/hook: no answer within 0.2 s`, 0),
    );
  });

  it("a refused connection is a failure", async () => {
    const port = await freePort();
    const sink = makeSink(parseSink(`webhook:http://127.0.0.1:${port}/hook`));
    await expect(sink.send([alert(1)])).rejects.toThrow(
      new PartialDeliveryError(`webhook:http://127.0.0.1:${port}/hook: ECONNREFUSED`, 0),
    );
  });
});

describe("webhook behind the queue", () => {
  it("500 then 200: delivered once, no duplicate", async () => {
    const rx = await receiver();
    try {
      rx.answers.push(500);
      const waits: number[] = [];
      const q = new AlertQueue({ dir: join(dir, "q"), sleep: async (ms) => void waits.push(ms) });
      q.enqueue([alert(1), alert(2)]);
      const result = await q.drain(makeSink(parseSink(`webhook:http://127.0.0.1:${rx.port}/hook`)));
      expect(result).toEqual({ delivered: 2, pending: 0, failures: 1 });
      expect(waits).toEqual([1000]);
      expect(rx.received.map((r) => JSON.parse(r.body).id)).toEqual(["id1", "id1", "id2"]);
    } finally {
      await rx.close();
    }
  });

  it("receiver down, then up: nothing lost, order kept", async () => {
    const port = await freePort();
    let rx: Receiver | undefined;
    const waits: number[] = [];
    const q = new AlertQueue({
      dir: join(dir, "q"),
      batchSize: 2,
      sleep: async (ms) => {
        waits.push(ms);
        if (waits.length === 3) rx = await receiver(port); // up after the third failure
      },
    });
    try {
      q.enqueue([alert(1), alert(2), alert(3)]);
      const sink = makeSink(parseSink(`webhook:http://127.0.0.1:${port}/hook`));
      expect(await q.drain(sink)).toEqual({ delivered: 3, pending: 0, failures: 3 });
      expect(waits).toEqual([1000, 2000, 4000]);
      expect(rx!.received.map((r) => JSON.parse(r.body).id)).toEqual(["id1", "id2", "id3"]);
    } finally {
      await rx?.close();
    }
  });

  it("gives up after maxRetries and keeps the alerts for the next drain", async () => {
    const port = await freePort();
    const qdir = join(dir, "q");
    const q = new AlertQueue({ dir: qdir, sleep: async () => {} });
    q.enqueue([alert(1)]);
    const sink = makeSink(parseSink(`webhook:http://127.0.0.1:${port}/hook`));
    expect(await q.drain(sink, { maxRetries: 2 })).toEqual({
      delivered: 0,
      pending: 1,
      failures: 3,
      lastError: `webhook:http://127.0.0.1:${port}/hook: ECONNREFUSED`,
    });
    const rx = await receiver(port);
    try {
      expect(await new AlertQueue({ dir: qdir }).drain(sink)).toEqual({
        delivered: 1,
        pending: 0,
        failures: 0,
      });
      expect(rx.received.map((r) => JSON.parse(r.body).id)).toEqual(["id1"]);
    } finally {
      await rx.close();
    }
  });
});
