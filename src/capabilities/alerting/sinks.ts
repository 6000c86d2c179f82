// The sinks of `agent-audit watch` (issue 14): where alerts go. `--sink stdout`, `file:PATH`,
// `syslog` (or `syslog:udp://HOST:PORT`), `webhook:URL` and `slack:URL`.
//
// Every string in an alert comes from a log line the agent's traffic wrote (a host name, a URL):
// hostile input. Whatever the parsers did, each sink formats it again here: redacted (redactText:
// content-rule secrets, URL userinfo), control characters escaped (a value is one line and cannot
// forge a second event), length capped; the Slack sink also escapes Slack's control characters and
// puts every value in a code span. A sink's `name` (shown in logs and errors) never holds the
// credentials of its URL: Slack incoming-webhook URLs are secrets (the path is the token).

import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { createSocket } from "node:dgram";
import { closeSync, constants, fstatSync, fsyncSync, openSync, writeSync } from "node:fs";
import { request as httpRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";
import { isIP } from "node:net";
import { hostname as osHostname } from "node:os";
import { isAbsolute, resolve } from "node:path";
import { redactText } from "../../detect/redact.js";
import { escapeControls, escapeJsonControls } from "../../util/controls.js";
import { safeMessage } from "../../util/errors.js";
import { fileKind } from "../../util/safe-read.js";
import { toolVersion } from "../../util/version.js";
import type { Alert, Sink } from "./types.js";

/** A parsed `--sink`. `name` is safe to print; `key` identifies the sink (its queue directory). */
export type SinkSpec = { name: string; key: string } & (
  | { kind: "stdout" }
  | { kind: "file"; path: string }
  /** `target` absent: the local syslog through logger(1). */
  | { kind: "syslog"; target?: { host: string; port: number } }
  | { kind: "webhook"; url: string }
  | { kind: "slack"; url: string }
);

export type SinkKind = SinkSpec["kind"];

/**
 * An alert as the queue hands it to a sink: `dropped` counts the alerts the bounded queue had to
 * drop (oldest first) before this one, so that a loss is reported in the next delivered alert.
 * (A field of Alert itself would be better: see the report of issue 14.)
 */
export type DeliveredAlert = Alert & { dropped?: number };

/**
 * Thrown by a sink that delivered the first `delivered` alerts of a batch and then failed: the
 * queue removes those and retries the rest, so nothing is delivered twice.
 */
export class PartialDeliveryError extends Error {
  readonly delivered: number;
  constructor(message: string, delivered: number) {
    super(message);
    this.name = "PartialDeliveryError";
    this.delivered = delivered;
  }
}

/** Test seams and limits. */
export interface SinkDeps {
  /** Where the stdout sink writes (default process.stdout). */
  stdout?: { write(chunk: string): unknown };
  /** The logger(1) binary of the local syslog sink (default `logger`, from PATH). */
  logger?: string;
  /** Timeout of one HTTP request, one logger run, one datagram (default 10 s). */
  timeoutMs?: number;
  /** The HOSTNAME of syslog datagrams (default os.hostname()). */
  hostname?: string;
  /** The TIMESTAMP of syslog datagrams (default the current time). */
  now?: () => Date;
}

const DEFAULT_TIMEOUT_MS = 10_000;
/** The longest syslog message (one line, ASCII). */
export const SYSLOG_MAX = 2048;
/** Caps of one value: the URL, and every other string. */
const URL_MAX = 1024;
const FIELD_MAX = 256;
/** Caps of one value in a Slack message (Slack truncates a text past 40,000 characters). */
const SLACK_URL_MAX = 500;
const SLACK_FIELD_MAX = 120;

// ---------------------------------------------------------------------------------------------
// Parsing `--sink`.

function bad(message: string): Error {
  return new Error(`--sink ${message}`);
}

/** A string from the command line, printable in an error. */
function shown(text: string): string {
  const t = escapeControls(redactText(text));
  return t.length > 60 ? `${t.slice(0, 60)}…` : t;
}

function keyOf(spec: string): string {
  return createHash("sha256").update(spec).digest("hex").slice(0, 24);
}

/**
 * A URL as it may be shown: no userinfo (credentials are allowed in the URL, never shown), no query or fragment (`?…`), the path through redactText;
 * `maskPath` (Slack) keeps the first path segment and the first character of the second only
 * (`https://hooks.slack.com/services/T…/…`).
 */
export function displayUrl(url: URL, maskPath: boolean): string {
  let path = url.pathname;
  if (maskPath) {
    const segments = path.split("/").filter((s) => s !== "");
    path =
      segments.length === 0
        ? "/"
        : `/${segments.map((s, i) => (i === 0 ? s : i === 1 ? `${s.slice(0, 1)}…` : "…")).join("/")}`;
  }
  const tail = url.search || url.hash ? "?…" : "";
  return escapeControls(redactText(`${url.protocol}//${url.host}${path}${tail}`));
}

function parseHttpUrl(kind: string, text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    // The text is not echoed: it may be a secret URL with a typo.
    throw bad(`${kind}: not a valid URL (expected ${kind}:https://HOST/PATH)`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:")
    throw bad(`${kind}: the URL must be http or https, not ${shown(url.protocol)}`);
  if (url.hostname === "") throw bad(`${kind}: the URL has no host`);
  return url;
}

/** Parses one `--sink` value; throws an Error naming what is wrong (never echoing a URL's secrets). */
export function parseSink(spec: string): SinkSpec {
  const key = keyOf(spec);
  if (spec === "stdout") return { kind: "stdout", name: "stdout", key };
  if (spec === "syslog") return { kind: "syslog", name: "syslog", key };
  const colon = spec.indexOf(":");
  const kind = colon === -1 ? spec : spec.slice(0, colon);
  const rest = colon === -1 ? "" : spec.slice(colon + 1);
  switch (kind) {
    case "file": {
      if (rest === "") throw bad("file: needs a path (file:PATH)");
      if (/[\u0000-\u001f\u007f]/.test(rest)) throw bad("file: the path holds a control character");
      const path = isAbsolute(rest) ? rest : resolve(rest);
      return { kind: "file", path, name: `file:${escapeControls(redactText(path))}`, key };
    }
    case "syslog": {
      const m = /^udp:\/\/(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):([0-9]{1,5})$/.exec(rest);
      if (!m) throw bad(`syslog: expected syslog or syslog:udp://HOST:PORT, got syslog:${shown(rest)}`);
      const host = m[1]!.startsWith("[") ? m[1]!.slice(1, -1) : m[1]!;
      const port = Number(m[2]);
      if (port < 1 || port > 65535) throw bad(`syslog: port ${port} is out of range (1-65535)`);
      if (m[1]!.startsWith("[") && isIP(host) !== 6) throw bad("syslog: not an IPv6 address in brackets");
      return { kind: "syslog", target: { host, port }, name: `syslog:udp://${m[1]}:${port}`, key };
    }
    case "webhook":
    case "slack": {
      if (rest === "") throw bad(`${kind}: needs a URL (${kind}:https://HOST/PATH)`);
      const url = parseHttpUrl(kind, rest);
      return { kind, url: url.href, name: `${kind}:${displayUrl(url, kind === "slack")}`, key };
    }
    default:
      throw bad(
        `${shown(kind)}: unknown sink (expected stdout, file:PATH, syslog, syslog:udp://HOST:PORT, webhook:URL or slack:URL)`,
      );
  }
}

// ---------------------------------------------------------------------------------------------
// The alert as data: the one JSON shape of stdout, file, webhook and syslog.

/**
 * A value from the logs, made safe for any sink: redacted, control characters escaped (`\n`,
 * `\x1b`, `\u202e`: one line, nothing a terminal or a parser acts on), at most `max` characters
 * (`…` marks a cut).
 */
export function cleanValue(value: string, max: number): string {
  const capped = value.length > max * 4 ? value.slice(0, max * 4) : value; // bound the redactor's work
  const clean = escapeControls(redactText(capped));
  return clean.length > max ? `${clean.slice(0, max - 1)}…` : clean;
}

/**
 * The JSON of one alert (stdout and file lines, the webhook body, the syslog message). Flat, one
 * object; absent values are omitted; every string is a cleanValue:
 *
 *   type       "agent-audit.egress-denied" | "agent-audit.test"
 *   id         stable id of the alert (destination and window)
 *   time       ISO time of the first denied request
 *   source     squid | sandbox-runtime | smokescreen | nftables | journal
 *   origin     the log read (a path, `journal`, `journal:<unit>`)
 *   client?    client address
 *   host?      destination host
 *   port?      destination port (number)
 *   method?    HTTP method
 *   decision   the proxy's or firewall's decision as logged
 *   url?       the request URL (redacted, at most 1024 characters)
 *   count      denials folded into this alert (number)
 *   firstSeen, lastSeen   ISO times of the window's first and last denial
 *   hostname   the host the watcher runs on
 *   dropped?   alerts the queue dropped before this one (number, only when > 0)
 */
export interface AlertPayload {
  type: Alert["type"];
  id: string;
  time: string;
  source: string;
  origin: string;
  client?: string;
  host?: string;
  port?: number;
  method?: string;
  decision: string;
  url?: string;
  count: number;
  firstSeen: string;
  lastSeen: string;
  hostname: string;
  dropped?: number;
}

function safeInt(n: unknown): number | undefined {
  return typeof n === "number" && Number.isSafeInteger(n) && n >= 0 ? n : undefined;
}

export function alertPayload(alert: DeliveredAlert, urlMax = URL_MAX, fieldMax = FIELD_MAX): AlertPayload {
  const e = alert.event;
  const f = (v: string | undefined) => (v === undefined ? undefined : cleanValue(String(v), fieldMax));
  const type = alert.type === "agent-audit.test" ? "agent-audit.test" : "agent-audit.egress-denied";
  const payload: AlertPayload = {
    type,
    id: f(alert.id)!,
    time: f(e.time)!,
    source: f(e.source)!,
    origin: f(e.origin)!,
    client: f(e.client),
    host: f(e.host),
    port: safeInt(e.port),
    method: f(e.method),
    decision: f(e.decision)!,
    url: e.url === undefined ? undefined : cleanValue(String(e.url), urlMax),
    count: safeInt(alert.count) ?? 1,
    firstSeen: f(alert.firstSeen)!,
    lastSeen: f(alert.lastSeen)!,
    hostname: f(alert.hostname)!,
    dropped: alert.dropped ? safeInt(alert.dropped) : undefined,
  };
  for (const k of Object.keys(payload) as (keyof AlertPayload)[])
    if (payload[k] === undefined) delete payload[k];
  return payload;
}

/** One line of JSON: C0 controls escaped by JSON.stringify, DEL, C1, bidi and separators by escapeJsonControls. */
export function alertJson(alert: DeliveredAlert): string {
  return escapeJsonControls(JSON.stringify(alertPayload(alert)));
}

// ---------------------------------------------------------------------------------------------
// Slack.

/**
 * One value in a Slack mrkdwn text, inert. Slack's escaping rules
 * (https://api.slack.com/docs/message-formatting, "How to escape characters"): `&`, `<` and `>` are
 * Slack's control characters and must be sent as `&amp;`, `&lt;`, `&gt;`; so `<!channel>`,
 * `<@U123>`, `<!subteam^…>` and `<https://evil|click>` arrive as text, never as a mention or a link.
 * The value sits in a code span (mrkdwn formats nothing inside it: `*bold*`, `_x_`, `~x~`, `>`
 * quotes and `:emoji:` stay literal); a backtick in the value would close the span, so it becomes
 * `ˋ` (U+02CB). Control characters (newlines too) are escaped first, so a value is one line; the
 * cap is applied before the entity escaping, so an entity is never cut in half.
 */
export function slackValue(value: string | number | undefined, max = SLACK_FIELD_MAX): string {
  if (value === undefined || value === "") return "-";
  const text = cleanValue(String(value), max).replace(/`/g, "ˋ");
  return `\`${text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")}\``;
}

/**
 * The Slack incoming-webhook message of one alert: `text` only (mrkdwn), our own newlines and bold
 * labels around code-span values. unfurl_links/unfurl_media false: Slack must not fetch the denied
 * URL to preview it (that would be the egress the proxy just blocked, done by Slack).
 */
export function slackMessage(alert: DeliveredAlert): {
  text: string;
  unfurl_links: false;
  unfurl_media: false;
} {
  const e = alert.event;
  const title = alert.type === "agent-audit.test" ? "agent-audit test alert" : "agent-audit: egress denied";
  const dest =
    e.host === undefined ? undefined : e.port === undefined ? e.host : `${e.host}:${safeInt(e.port)}`;
  const lines = [
    `*${title}* on ${slackValue(alert.hostname)}`,
    `*Destination:* ${slackValue(dest)}  *Method:* ${slackValue(e.method)}  *Decision:* ${slackValue(e.decision)}`,
    `*Client:* ${slackValue(e.client)}  *Source:* ${slackValue(e.source)} ${slackValue(e.origin)}`,
    `*Count:* ${safeInt(alert.count) ?? 1}  *First:* ${slackValue(alert.firstSeen)}  *Last:* ${slackValue(alert.lastSeen)}`,
  ];
  if (e.url !== undefined) lines.push(`*URL:* ${slackValue(e.url, SLACK_URL_MAX)}`);
  const dropped = alert.dropped ? safeInt(alert.dropped) : undefined;
  if (dropped) lines.push(`*Warning:* ${dropped} earlier alert(s) were dropped (the alert queue was full)`);
  lines.push(`*Id:* ${slackValue(alert.id)}`);
  return { text: lines.join("\n"), unfurl_links: false, unfurl_media: false };
}

// ---------------------------------------------------------------------------------------------
// Syslog.

/** The syslog MSG of one alert: ASCII only (non-ASCII as \uXXXX), one line, at most SYSLOG_MAX. */
export function syslogMessage(alert: DeliveredAlert): string {
  const prefix = "egress denied: ";
  let urlMax = URL_MAX;
  for (;;) {
    const payload = alertPayload(alert, urlMax, 128);
    const json = JSON.stringify(payload).replace(
      /[\u007f-\uffff]/g,
      (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
    );
    const msg = prefix + json;
    if (msg.length <= SYSLOG_MAX) return msg;
    if (urlMax <= 16 || payload.url === undefined) return `${msg.slice(0, SYSLOG_MAX - 1)}…`;
    urlMax = Math.floor(urlMax / 2);
  }
}

/** A syslog HOSTNAME (RFC 5424: PRINTUSASCII, at most 255), `-` when there is none. */
function syslogHostname(name: string): string {
  const h = name.replace(/[^\x21-\x7e]/g, "").slice(0, 255);
  return h === "" ? "-" : h;
}

/** The RFC 5424 MSGID. */
function msgidOf(alert: DeliveredAlert): string {
  return alert.type === "agent-audit.test" ? "test" : "egress-denied";
}

/** auth (4) * 8 + warning (4). */
const SYSLOG_PRI = 36;

/** An RFC 5424 datagram: `<36>1 TIMESTAMP HOSTNAME agent-audit PROCID egress-denied - MSG`. */
export function syslogDatagram(alert: DeliveredAlert, host: string, now: Date, pid = process.pid): string {
  return `<${SYSLOG_PRI}>1 ${now.toISOString()} ${syslogHostname(host)} agent-audit ${pid} ${msgidOf(alert)} - ${syslogMessage(alert)}`;
}

// ---------------------------------------------------------------------------------------------
// The sinks.

function ownsError(name: string, what: string): Error {
  return new Error(`${name}: ${what}`);
}

class StdoutSink implements Sink {
  readonly name = "stdout";
  readonly #out: { write(chunk: string): unknown };
  constructor(out: { write(chunk: string): unknown }) {
    this.#out = out;
  }
  async send(alerts: readonly DeliveredAlert[]): Promise<void> {
    if (alerts.length === 0) return;
    this.#out.write(alerts.map((a) => `${alertJson(a)}\n`).join(""));
  }
}

class FileSink implements Sink {
  readonly name: string;
  readonly #path: string;
  constructor(name: string, path: string) {
    this.name = name;
    this.#path = path;
  }
  /**
   * Appends JSON lines. Opened per batch (a rotated file is followed to its new self): O_APPEND,
   * created 0600, O_NOFOLLOW (a symlink is refused), O_NONBLOCK (a FIFO with no reader fails instead
   * of hanging), then anything but a regular file, or one with another hard link, is refused.
   * fsync'd before the queue lets go.
   */
  async send(alerts: readonly DeliveredAlert[]): Promise<void> {
    if (alerts.length === 0) return;
    let fd: number;
    try {
      fd = openSync(
        this.#path,
        constants.O_WRONLY |
          constants.O_APPEND |
          constants.O_CREAT |
          constants.O_NOFOLLOW |
          constants.O_NONBLOCK,
        0o600,
      );
    } catch (e) {
      const code = (e as { code?: string }).code;
      if (code === "ELOOP") throw ownsError(this.name, "is a symbolic link; refusing to write through it");
      if (code === "ENXIO") throw ownsError(this.name, "is a FIFO or socket, not a regular file");
      throw ownsError(this.name, `cannot open: ${safeMessage(e)}`);
    }
    try {
      const st = fstatSync(fd);
      if (!st.isFile()) throw ownsError(this.name, `is ${fileKind(st)}, not a regular file`);
      // A hard link planted at the path would make the watcher (root, often) append to its target.
      if (st.nlink > 1) throw ownsError(this.name, "has another hard link; refusing to append to it");
      const buf = Buffer.from(alerts.map((a) => `${alertJson(a)}\n`).join(""), "utf8");
      let off = 0;
      while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }
}

/**
 * logger(1) (util-linux) with argv only, never a shell: RFC 5424, facility auth, severity warning,
 * tag agent-audit; --socket-errors=on makes a missing or refusing /dev/log a failure (the queue keeps
 * the alert) instead of a silent success; --size lifts logger's 1 KiB default above our cap.
 */
function runLogger(bin: string, msgid: string, message: string, timeoutMs: number): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    execFile(
      bin,
      [
        "--rfc5424",
        "--socket-errors=on",
        "--size",
        String(SYSLOG_MAX + 512),
        "--msgid",
        msgid,
        "-t",
        "agent-audit",
        "-p",
        "auth.warning",
        "--",
        message,
      ],
      { timeout: timeoutMs, shell: false, windowsHide: true, maxBuffer: 64 * 1024 },
      (err) => (err ? reject(err) : resolvePromise()),
    );
  });
}

class LoggerSyslogSink implements Sink {
  readonly name = "syslog";
  readonly #bin: string;
  readonly #timeoutMs: number;
  constructor(bin: string, timeoutMs: number) {
    this.#bin = bin;
    this.#timeoutMs = timeoutMs;
  }
  /** One logger(1) run per alert, argv only (no shell); the message is one ASCII line. */
  async send(alerts: readonly DeliveredAlert[]): Promise<void> {
    for (let i = 0; i < alerts.length; i++) {
      try {
        await runLogger(this.#bin, msgidOf(alerts[i]!), syslogMessage(alerts[i]!), this.#timeoutMs);
      } catch (e) {
        const what = (e as { killed?: boolean }).killed
          ? "logger timed out"
          : typeof (e as { code?: unknown }).code === "number"
            ? `logger exited with status ${(e as { code: number }).code}`
            : `cannot run logger: ${safeMessage(e)}`;
        throw new PartialDeliveryError(`syslog: ${what}`, i);
      }
    }
  }
}

class UdpSyslogSink implements Sink {
  readonly name: string;
  readonly #target: { host: string; port: number };
  readonly #deps: Required<Pick<SinkDeps, "hostname" | "now" | "timeoutMs">>;
  constructor(name: string, target: { host: string; port: number }, deps: SinkDeps) {
    this.name = name;
    this.#target = target;
    this.#deps = {
      hostname: deps.hostname ?? osHostname(),
      now: deps.now ?? (() => new Date()),
      timeoutMs: deps.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    };
  }
  /** One RFC 5424 datagram per alert (RFC 5426: syslog over UDP, one message a datagram). */
  async send(alerts: readonly DeliveredAlert[]): Promise<void> {
    if (alerts.length === 0) return;
    const socket = createSocket(isIP(this.#target.host) === 6 ? "udp6" : "udp4");
    socket.on("error", () => {}); // reported through the send callbacks
    try {
      for (let i = 0; i < alerts.length; i++) {
        const datagram = Buffer.from(
          syslogDatagram(alerts[i]!, this.#deps.hostname, this.#deps.now()),
          "utf8",
        );
        try {
          await new Promise<void>((res, rej) => {
            const timer = setTimeout(() => rej(new Error("timed out")), this.#deps.timeoutMs);
            socket.send(datagram, this.#target.port, this.#target.host, (err) => {
              clearTimeout(timer);
              if (err) rej(err);
              else res();
            });
          });
        } catch (e) {
          throw new PartialDeliveryError(`${this.name}: cannot send: ${safeMessage(e)}`, i);
        }
      }
    } finally {
      socket.close();
    }
  }
}

/**
 * One POST of a JSON body. Resolves on 2xx; rejects on any other status (a redirect is not
 * followed: 3xx is a failure), a network error or the timeout (the whole exchange, not only idle
 * time). Neither the URL nor the response body is quoted in an error: `name` is the safe name.
 */
export function postJson(url: string, body: string, name: string, timeoutMs: number): Promise<void> {
  const u = new URL(url);
  const request = u.protocol === "https:" ? httpsRequest : httpRequest;
  const payload = Buffer.from(body, "utf8");
  return new Promise((resolvePromise, reject) => {
    let settled = false;
    const finish = (err?: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (err) reject(err);
      else resolvePromise();
    };
    const req = request(
      u,
      {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "content-length": String(payload.length),
          "user-agent": `agent-audit/${toolVersion()}`,
        },
        agent: false,
      },
      (res: IncomingMessage) => {
        const status = res.statusCode ?? 0;
        res.on("error", () => {});
        res.resume(); // the body is never read into memory nor shown
        if (status >= 200 && status < 300) {
          res.on("end", () => finish());
          res.on("close", () => finish());
        } else {
          finish(
            new Error(
              `${name}: answered HTTP ${status}${status >= 300 && status < 400 ? " (redirects are not followed)" : ""}`,
            ),
          );
          req.destroy();
        }
      },
    );
    const timer = setTimeout(() => {
      finish(new Error(`${name}: no answer within ${Math.round(timeoutMs / 100) / 10} s`));
      req.destroy();
    }, timeoutMs);
    req.on("error", (e) => finish(new Error(`${name}: ${safeMessage(e)}`)));
    req.end(payload);
  });
}

class HttpSink implements Sink {
  readonly name: string;
  readonly #url: string;
  readonly #timeoutMs: number;
  readonly #body: (alert: DeliveredAlert) => string;
  constructor(name: string, url: string, timeoutMs: number, body: (alert: DeliveredAlert) => string) {
    this.name = name;
    this.#url = url;
    this.#timeoutMs = timeoutMs;
    this.#body = body;
  }
  /** One POST per alert, in order; a failure after some were accepted says how many. */
  async send(alerts: readonly DeliveredAlert[]): Promise<void> {
    for (let i = 0; i < alerts.length; i++) {
      try {
        await postJson(this.#url, this.#body(alerts[i]!), this.name, this.#timeoutMs);
      } catch (e) {
        throw new PartialDeliveryError((e as Error).message, i);
      }
    }
  }
}

/** The sink of a parsed spec. */
export function makeSink(spec: SinkSpec, deps: SinkDeps = {}): Sink {
  const timeoutMs = deps.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  switch (spec.kind) {
    case "stdout":
      return new StdoutSink(deps.stdout ?? process.stdout);
    case "file":
      return new FileSink(spec.name, spec.path);
    case "syslog":
      return spec.target
        ? new UdpSyslogSink(spec.name, spec.target, deps)
        : new LoggerSyslogSink(deps.logger ?? "logger", timeoutMs);
    case "webhook":
      return new HttpSink(spec.name, spec.url, timeoutMs, alertJson);
    case "slack":
      return new HttpSink(spec.name, spec.url, timeoutMs, (a) =>
        escapeJsonControls(JSON.stringify(slackMessage(a))),
      );
  }
}
