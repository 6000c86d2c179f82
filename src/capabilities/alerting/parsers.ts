// `agent-audit watch` (issue 14): one parser per log kind, each turning one log line into a
// DenialEvent, or undefined for a line that is not a denial. The agent's traffic writes parts of
// these lines (URLs, host names, headers), so every parser:
// - caps the line first (LINE_CAP) and runs in linear time: lines are split on spaces or at fixed
//   markers, JSON is read by a small flat scanner (scanJsonObject), never a backtracking regex;
// - trusts only the fields the logging program writes itself, at the positions it writes them
//   (squid's fields before the URI, smokescreen's JSON keys, the kernel's prefix right before `IN=`),
//   so text the agent put in a URL cannot forge a second event or pass as another kind;
// - sanitises every string: control characters escaped, lengths capped, host names lower-cased,
//   addresses and host names checked (a field that does not look like one is dropped, the event
//   kept), URLs redacted (userinfo, tokens the content rules find, random runs, query values) and
//   their markup characters percent-encoded.

import { preview } from "../../contract/finding.js";
import { looksRandom } from "../../detect/randomness.js";
import { maskRandomRuns, redactText } from "../../detect/redact.js";
import { escapeControls } from "../../util/controls.js";
import type { AlertSourceKind, DenialEvent } from "./types.js";

/** The prefix of the firewall's log lines (FIREWALL_LOG_PREFIX of src/app/fix.ts, which this layer may not import). */
export const DEFAULT_FIREWALL_PREFIX = "agent-audit-egress: ";

/** Caps, in UTF-16 code units. A longer line is cut to LINE_CAP before any parsing. */
export const LIMITS = {
  line: 64 * 1024,
  host: 255,
  url: 2048,
  decision: 64,
  method: 16,
  client: 64,
} as const;

export interface ParseOptions {
  /** The firewall's log prefix (default DEFAULT_FIREWALL_PREFIX). */
  firewallPrefix?: string;
}

/**
 * One log line of the given kind as a denial event, or undefined when the line is not a denial (or
 * not a line of that kind). Never throws. `origin` is the file read (or `journal`); `now` the read
 * time, used when the line carries no time of its own.
 */
export function parseLine(
  kind: AlertSourceKind,
  line: string,
  origin: string,
  now: Date,
  opts: ParseOptions = {},
): DenialEvent | undefined {
  try {
    if (typeof line !== "string") return undefined;
    // sandbox-runtime's line ends with srt's own text (see parseSandboxRuntime): its last LINE_CAP
    // characters are kept; every other kind starts with the logging program's fields.
    const text =
      line.length <= LIMITS.line
        ? line
        : kind === "sandbox-runtime"
          ? line.slice(-LIMITS.line)
          : line.slice(0, LIMITS.line);
    switch (kind) {
      case "squid":
        return parseSquid(text, origin, now);
      case "smokescreen":
        return parseSmokescreen(text, origin, now);
      case "sandbox-runtime":
        return parseSandboxRuntime(text, origin, now);
      case "nftables":
        return parseKernel(text, origin, now, opts.firewallPrefix ?? DEFAULT_FIREWALL_PREFIX);
      case "journal":
        return parseJournal(text, now, opts);
      default:
        return undefined;
    }
  } catch {
    // A parser bug must not stop the watcher: the line is skipped.
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// Sanitising

const HOST_CHARS = /^[a-z0-9._:%[\]-]+$/;
const CLIENT_CHARS = /^[A-Za-z0-9._:%[\]-]+$/;
const METHOD = /^[A-Z][A-Z0-9_-]*$/;

/** A host name or address, lower-case, or undefined when it does not look like one. */
export function cleanHost(raw: string | undefined): string | undefined {
  if (raw === undefined || raw.length === 0 || raw.length > LIMITS.host) return undefined;
  const host = raw.toLowerCase();
  if (!HOST_CHARS.test(host)) return undefined;
  // Brackets only around an IPv6 address: `[fd00::1]`.
  if ((host.includes("[") || host.includes("]")) && !(host.startsWith("[") && host.endsWith("]")))
    return undefined;
  return host;
}

/** A client address (`10.0.0.2`, `[fd00::2]:51234`, a host name when the proxy logs names). */
export function cleanClient(raw: string | undefined): string | undefined {
  if (raw === undefined || raw.length === 0 || raw.length > LIMITS.client) return undefined;
  return CLIENT_CHARS.test(raw) ? raw : undefined;
}

function cleanMethod(raw: string | undefined): string | undefined {
  if (raw === undefined || raw.length === 0 || raw.length > LIMITS.method) return undefined;
  return METHOD.test(raw) ? raw : undefined;
}

function cleanPort(raw: string | number | undefined): number | undefined {
  if (raw === undefined) return undefined;
  if (typeof raw === "string" && !/^[0-9]{1,5}$/.test(raw)) return undefined;
  const n = Number(raw);
  return Number.isInteger(n) && n >= 1 && n <= 65535 ? n : undefined;
}

/**
 * What a URL in an alert keeps percent-encoded (the same URL, nothing a reader's screen or chat
 * interprets): control, bidi and invisible characters (escapeControls' set), white space, and
 * characters that are markup somewhere (HTML, Slack's `<!channel>`, Markdown code spans).
 */
const URL_UNSAFE =
  /[\u0000-\u0020\u007f-\u00a0\u061c\u200b-\u200f\u2060\ufeff\u2028\u2029\u202a-\u202e\u2066-\u2069<>"'`\\{}|^]/g;

function percent(c: string): string {
  return `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, "0")}`;
}

/**
 * Free text (a decision): redacted, the characters that open markup percent-encoded (`<` and `>`:
 * HTML and Slack's `<!channel>`; the backtick: Markdown code), controls escaped, capped. Sinks
 * escape for their own format too.
 */
export function cleanText(raw: string, cap: number): string {
  const out = escapeControls(redactText(raw.slice(0, cap * 4)).replace(/[<>`]/g, percent));
  return out.length > cap ? `${out.slice(0, cap - 1)}…` : out;
}

/**
 * A URL for an alert: cut (a longer one ends in `…`), userinfo removed, the value of every query
 * parameter and the fragment masked (preview: `…(12)`), secrets the content rules find and random
 * runs masked, markup and control characters percent-encoded.
 */
export function cleanUrl(raw: string): string {
  const cut = raw.length > LIMITS.url;
  let url = raw.slice(0, LIMITS.url);
  // Userinfo: everything between `//` and the authority's last `@`.
  const s = url.indexOf("//");
  if (s !== -1) {
    let end = url.length;
    for (const c of ["/", "?", "#"]) {
      const i = url.indexOf(c, s + 2);
      if (i !== -1 && i < end) end = i;
    }
    const at = url.lastIndexOf("@", end - 1);
    if (at > s) url = url.slice(0, s + 2) + url.slice(at + 1);
    else if (looksLikeCutUserinfo(url.slice(s + 2, end))) {
      // `user:pa` before a `/`, and an `@` further on before the query: a password holding a `/`.
      // Everything from `//` to that `@` is masked and the `@` kept encoded: neither the secret nor
      // a clean other host shows. (An `@` in the path of `host` or `host:port` is left to the path.)
      let pathEnd = url.length;
      for (const c of ["?", "#"]) {
        const i = url.indexOf(c, s + 2);
        if (i !== -1 && i < pathEnd) pathEnd = i;
      }
      const at2 = url.lastIndexOf("@", pathEnd - 1);
      if (at2 > s + 2)
        url = `${url.slice(0, s + 2)}${preview(url.slice(s + 2, at2))}%40${url.slice(at2 + 1)}`;
    }
  }
  // The authority (`scheme://host:port`) is kept apart: nothing in the path can rewrite it (the
  // redactor's userinfo rule read `http://real.example/x//@innocent.example/` as
  // `http://innocent.example/`).
  let authority = "";
  const slashes = url.indexOf("//");
  if (slashes !== -1 && /^[A-Za-z][A-Za-z0-9+.-]*:$/.test(url.slice(0, slashes))) {
    let end = url.length;
    for (const c of ["/", "?", "#"]) {
      const i = url.indexOf(c, slashes + 2);
      if (i !== -1 && i < end) end = i;
    }
    authority = url.slice(0, end);
    url = url.slice(end);
    const hostPart = authority.slice(slashes + 2);
    if (!hostPart.includes("%40"))
      authority = `${authority.slice(0, slashes + 2)}${maskHostLabels(hostPart)}`;
  }
  const hash = url.indexOf("#");
  const fragment = hash === -1 ? "" : `#${preview(url.slice(hash + 1))}`;
  if (hash !== -1) url = url.slice(0, hash);
  const q = url.indexOf("?");
  if (q !== -1) {
    const params = url
      .slice(q + 1)
      .split("&")
      .map((p) => {
        const eq = p.indexOf("=");
        return eq === -1
          ? p.length > 32
            ? preview(p)
            : p
          : `${p.slice(0, Math.min(eq, 64))}=${preview(p.slice(eq + 1))}`;
      });
    url = `${url.slice(0, q)}?${params.join("&")}`;
  }
  url += fragment;
  // A cut URL may end in half a token the detectors no longer know: its last run goes.
  if (cut) {
    let i = url.length;
    while (i > 0 && TOKEN_CHAR.test(url[i - 1]!)) i--;
    if (url.length - i >= 8) url = url.slice(0, i) + preview(url.slice(i));
  }
  // Credentials written after an auth scheme's name (`Basic%20dXNlcjpwYXNz`, `bearer:…`).
  url = url.replace(
    AUTH_VALUE,
    (_m, scheme: string, sep: string, value: string) => `${scheme}${sep}${preview(value)}`,
  );
  // Generated runs: across `/` (a base64 value), then within each segment (a token followed by
  // `/` looks like a path as a whole, and was kept).
  url = maskRandomRuns(redactText(url)).replace(TOKEN_RUN, (run) =>
    looksRandom(run, 16) ? preview(run) : run,
  );
  url = redactText(authority) + url;
  url = url.replace(URL_UNSAFE, (c) => encodeURIComponent(c));
  if (url.length > LIMITS.url) url = url.slice(0, LIMITS.url);
  return cut ? `${url}…` : url;
}

/** `user:pass…` as the part before the first `/` (not `host:port`, not `[v6]:port`). */
function looksLikeCutUserinfo(authority: string): boolean {
  const colon = authority.indexOf(":");
  return !authority.startsWith("[") && colon !== -1 && !/^[0-9]*$/.test(authority.slice(colon + 1));
}

/** Characters of a token (base64url and friends; not `/`, which separates path segments). */
const TOKEN_CHAR = /[A-Za-z0-9+=_-]/;
const TOKEN_RUN = /[A-Za-z0-9+=_-]{16,}/g;
/** An HTTP auth scheme's name, a separator (encoded space, `+`, `:`, `=`), and its credentials. */
const AUTH_VALUE = /(?<![A-Za-z])(basic|bearer)((?:%20|\+|:|=|%3a)+)([^/?#&;,\s]+)/gi;

/**
 * A host name with every label but the last that looks generated (looksRandom, 16 characters or
 * more) masked: `mfrggzdfmztwq2lk….evil.example` becomes `mfrg…(39).evil.example`. A name that
 * carries a value (DNS exfiltration: a token or a key as a label) keeps its domain, not the value.
 * Addresses are kept.
 */
export function maskHostLabels(host: string): string {
  if (host.startsWith("[") || host.includes(":") || /^[0-9.]+$/.test(host)) return host;
  const labels = host.split(".");
  return labels.map((l, i) => (i < labels.length - 1 && looksRandom(l, 16) ? preview(l) : l)).join(".");
}

function isoTime(ms: number, now: Date): string {
  // 2000-01-01 .. 2200-01-01: anything else is not a log time.
  if (!Number.isFinite(ms) || ms < 946684800000 || ms > 7258118400000) return now.toISOString();
  return new Date(ms).toISOString();
}

/** The event with only the fields that are set (no `undefined` keys in the JSON). */
function event(fields: {
  time: string;
  source: AlertSourceKind;
  origin: string;
  decision: string;
  client?: string | undefined;
  host?: string | undefined;
  port?: number | undefined;
  method?: string | undefined;
  url?: string | undefined;
}): DenialEvent {
  const e: DenialEvent = {
    time: fields.time,
    source: fields.source,
    origin: escapeControls(fields.origin).slice(0, 4096),
    decision: fields.decision,
  };
  if (fields.client !== undefined) e.client = fields.client;
  if (fields.host !== undefined) e.host = maskHostLabels(fields.host);
  if (fields.port !== undefined) e.port = fields.port;
  if (fields.method !== undefined) e.method = fields.method;
  if (fields.url !== undefined) e.url = fields.url;
  return e;
}

/** `host:port`, `[v6]:port` or a bare host, split (no port: undefined). */
export function splitHostPort(hp: string): { host: string; port?: string } {
  if (hp.startsWith("[")) {
    const close = hp.indexOf("]");
    if (close === -1) return { host: hp };
    const rest = hp.slice(close + 1);
    return rest.startsWith(":")
      ? { host: hp.slice(0, close + 1), port: rest.slice(1) }
      : { host: hp.slice(0, close + 1) };
  }
  const colon = hp.lastIndexOf(":");
  // More than one colon and no brackets: a bare IPv6 address, no port.
  if (colon === -1 || hp.indexOf(":") !== colon) return { host: hp };
  return { host: hp.slice(0, colon), port: hp.slice(colon + 1) };
}

const DEFAULT_PORTS: Record<string, number> = { http: 80, https: 443, ftp: 21, ws: 80, wss: 443 };

/** Host and port of an absolute URL (`http://user@host:8080/x`), without a URL parser's rewriting. */
function urlHostPort(uri: string): { host?: string; port?: number } {
  const s = uri.indexOf("://");
  if (s === -1) return {};
  const scheme = uri.slice(0, s).toLowerCase();
  let end = uri.length;
  for (const c of ["/", "?", "#"]) {
    const i = uri.indexOf(c, s + 3);
    if (i !== -1 && i < end) end = i;
  }
  let authority = uri.slice(s + 3, end);
  const at = authority.lastIndexOf("@");
  if (at !== -1) authority = authority.slice(at + 1);
  const { host, port } = splitHostPort(authority);
  const out: { host?: string; port?: number } = {};
  const h = cleanHost(host);
  if (h !== undefined) out.host = h;
  const p = port !== undefined ? cleanPort(port) : DEFAULT_PORTS[scheme];
  if (p !== undefined) out.port = p;
  return out;
}

// ---------------------------------------------------------------------------------------------
// squid

/** Space-separated fields, runs of spaces counting as one (squid pads the elapsed time). */
function fields(text: string, max: number): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < text.length && out.length < max) {
    while (text.charCodeAt(i) === 32) i++;
    if (i >= text.length) break;
    let j = text.indexOf(" ", i);
    if (j === -1) j = text.length;
    out.push(text.slice(i, j));
    i = j;
  }
  return out;
}

/**
 * squid's native `squid` logformat, the one `agent-audit fix` configures (src/fix/squid.ts:
 * `access_log daemon:/var/log/squid/access.log squid`). squid's cfgman (logformat) defines it as
 * `%ts.%03tu %6tr %>a %Ss/%03>Hs %<st %rm %ru %[un %Sh/%<a %mt`, e.g.
 * `1733490000.123      0 10.0.0.2 TCP_DENIED/403 3901 CONNECT example.org:443 - HIER_NONE/- text/html`.
 * A denial is a result code whose `_`-separated tags include DENIED (TCP_DENIED, UDP_DENIED,
 * TCP_DENIED_REPLY: refused by http_access, icp_access or http_reply_access). NONE_NONE/400 and
 * other NONE codes are malformed requests squid could not parse, not a policy decision: not counted.
 * The URI is squid's %ru (squid refuses a request line with a space in its URI, so the fields before
 * it are squid's own); CONNECT names `host:port`, other methods an absolute URL. A line cut inside its
 * URI (a 1 MB URL) still counts: the fields up to the URI are all there.
 */
export function parseSquid(text: string, origin: string, now: Date): DenialEvent | undefined {
  const f = fields(text, 10);
  if (f.length < 7) return undefined;
  const [ts, elapsed, client, result, bytes, method, uri] = f as [
    string,
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  if (
    !/^[0-9]{1,12}(\.[0-9]{1,6})?$/.test(ts) ||
    !/^[0-9]{1,12}$/.test(elapsed) ||
    !/^[0-9]{1,20}$/.test(bytes)
  )
    return undefined;
  const slash = result.indexOf("/");
  if (slash === -1 || slash > 64) return undefined;
  const action = result.slice(0, slash);
  const code = result.slice(slash + 1);
  if (!/^[A-Z_]+$/.test(action) || !/^[0-9]{3}$/.test(code)) return undefined;
  if (!action.split("_").includes("DENIED")) return undefined;
  const m = cleanMethod(method);
  let host: string | undefined;
  let port: number | undefined;
  let url: string | undefined;
  if (method === "CONNECT") {
    const hp = splitHostPort(uri);
    host = cleanHost(hp.host);
    port = cleanPort(hp.port);
  } else if (uri.includes("://")) {
    ({ host, port } = urlHostPort(uri));
    url = cleanUrl(uri);
  } else if (uri !== "-" && uri !== "error:invalid-request") {
    // An origin-form or otherwise odd target: kept only as redacted text.
    url = cleanUrl(uri);
  }
  return event({
    time: isoTime(Number(ts) * 1000, now),
    source: "squid",
    origin,
    client: cleanClient(client),
    host,
    port,
    method: m,
    decision: `${action}/${code}`,
    url,
  });
}

// ---------------------------------------------------------------------------------------------
// A flat JSON object scanner: the top-level keys of an object, in order, up to where the text ends
// or stops being JSON (a line cut at LINE_CAP keeps the keys before the cut; a string value cut by
// the end of the text is returned as far as it goes). Nested objects and arrays are kept as arrays
// of their scalar items (journalctl writes a binary MESSAGE as an array of byte values); deeper
// nesting is skipped. One pass, no backtracking.

type JsonScalar = string | number | boolean | null;
export type JsonValue = JsonScalar | JsonScalar[];

const ESCAPES: Record<string, string> = {
  '"': '"',
  "\\": "\\",
  "/": "/",
  b: "\b",
  f: "\f",
  n: "\n",
  r: "\r",
  t: "\t",
};

class Scanner {
  i = 0;
  constructor(readonly s: string) {}

  ws(): void {
    const s = this.s;
    while (this.i < s.length) {
      const c = s.charCodeAt(this.i);
      if (c !== 32 && c !== 9 && c !== 10 && c !== 13) return;
      this.i++;
    }
  }

  /** A string at i (the opening quote); `cut` when the text ended inside it. */
  string(): { value: string; cut: boolean } | undefined {
    const s = this.s;
    if (s[this.i] !== '"') return undefined;
    this.i++;
    let out = "";
    let start = this.i;
    while (this.i < s.length) {
      const c = s[this.i]!;
      if (c === '"') {
        out += s.slice(start, this.i);
        this.i++;
        return { value: out, cut: false };
      }
      if (c === "\\") {
        out += s.slice(start, this.i);
        const e = s[this.i + 1];
        if (e === undefined) return { value: out, cut: true };
        if (e === "u") {
          const hex = s.slice(this.i + 2, this.i + 6);
          if (hex.length < 4) return { value: out, cut: true };
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) return undefined;
          out += String.fromCharCode(Number.parseInt(hex, 16));
          this.i += 6;
        } else {
          const r = ESCAPES[e];
          if (r === undefined) return undefined;
          out += r;
          this.i += 2;
        }
        start = this.i;
        continue;
      }
      this.i++;
    }
    return { value: out + s.slice(start), cut: true };
  }

  scalar(): JsonScalar | undefined {
    const s = this.s;
    const c = s[this.i];
    if (c === '"') {
      const str = this.string();
      return str?.value;
    }
    for (const [word, value] of [
      ["true", true],
      ["false", false],
      ["null", null],
    ] as const) {
      if (s.startsWith(word, this.i)) {
        this.i += word.length;
        return value;
      }
    }
    let j = this.i;
    while (j < s.length && "+-0123456789.eE".includes(s[j]!)) j++;
    if (j === this.i || j - this.i > 32) return undefined;
    const n = Number(s.slice(this.i, j));
    if (!Number.isFinite(n)) return undefined;
    this.i = j;
    return n;
  }

  /** Skips a nested value (object or array) at i, collecting its scalars; undefined when malformed or cut. */
  nested(): JsonScalar[] | undefined {
    const s = this.s;
    const items: JsonScalar[] = [];
    let depth = 0;
    while (this.i < s.length) {
      const c = s[this.i]!;
      if (c === "[" || c === "{") {
        depth++;
        this.i++;
      } else if (c === "]" || c === "}") {
        depth--;
        this.i++;
        if (depth === 0) return items;
      } else if (c === "," || c === ":" || c === " " || c === "\n" || c === "\t" || c === "\r") {
        this.i++;
      } else {
        const v = this.scalar();
        if (v === undefined) return undefined;
        // A key of a nested object is no item.
        let j = this.i;
        while (s[j] === " " || s[j] === "\n" || s[j] === "\t" || s[j] === "\r") j++;
        if (s[j] !== ":" && items.length < 1 << 20) items.push(v);
      }
    }
    return undefined;
  }
}

/** The top-level keys of a JSON object text, in order (see above); a repeated key: the first one. */
export function scanJsonObject(text: string): Map<string, JsonValue> {
  const out = new Map<string, JsonValue>();
  const sc = new Scanner(text);
  sc.ws();
  if (text[sc.i] !== "{") return out;
  sc.i++;
  for (;;) {
    sc.ws();
    if (text[sc.i] === "}") return out;
    const key = sc.string();
    if (!key || key.cut) return out;
    sc.ws();
    if (text[sc.i] !== ":") return out;
    sc.i++;
    sc.ws();
    const c = text[sc.i];
    let value: JsonValue | undefined;
    if (c === "[" || c === "{") value = sc.nested();
    else if (c === '"') {
      const str = sc.string();
      if (!str) return out;
      if (!out.has(key.value)) out.set(key.value, str.value);
      if (str.cut) return out;
      value = undefined;
      sc.ws();
      if (text[sc.i] === ",") {
        sc.i++;
        continue;
      }
      return out;
    } else value = sc.scalar();
    if (value === undefined) return out;
    if (!out.has(key.value)) out.set(key.value, value);
    sc.ws();
    if (text[sc.i] !== ",") return out;
    sc.i++;
  }
}

function str(v: JsonValue | undefined): string | undefined {
  return typeof v === "string" ? v : undefined;
}

// ---------------------------------------------------------------------------------------------
// smokescreen

/**
 * smokescreen's canonical decision line: logrus with its JSONFormatter (stripe/smokescreen
 * pkg/smokescreen/config.go: `log.SetFormatter(&log.JSONFormatter{TimestampFormat: time.RFC3339Nano})`),
 * one object per request, written by logProxy() in pkg/smokescreen/smokescreen.go (commit a3294a6):
 * `msg` "CANONICAL-PROXY-DECISION", `allow` (the decision), `decision_reason`, `enforce_would_deny`,
 * and the request's fields from newContext(): `inbound_remote_addr` (req.RemoteAddr),
 * `proxy_type` ("connect" or "http"), `requested_host` (req.Host: `host:port` for CONNECT, the Host
 * header for plain HTTP), plus logrus's `time` and `level` ("warning" for a denial). A denial is
 * `allow: false` only: `enforce_would_deny` alone (a report-only rule) let the request through.
 * Logrus sorts the keys, so `allow`, `decision_reason`, `inbound_remote_addr`, `msg` and
 * `proxy_type` come before `requested_host` and the agent-chosen `trace_id`: a line cut inside a
 * huge host name still counts (scanJsonObject).
 */
export function parseSmokescreen(text: string, origin: string, now: Date): DenialEvent | undefined {
  const o = scanJsonObject(text);
  if (o.get("msg") !== "CANONICAL-PROXY-DECISION" || o.get("allow") !== false) return undefined;
  const proxyType = str(o.get("proxy_type"));
  const requested = str(o.get("requested_host"));
  let host: string | undefined;
  let port: number | undefined;
  if (requested !== undefined) {
    const hp = splitHostPort(requested);
    host = cleanHost(hp.host);
    port = cleanPort(hp.port);
    if (hp.port === undefined && proxyType === "http") port = 80;
  }
  const time = str(o.get("time"));
  const reason = str(o.get("decision_reason"));
  return event({
    time: isoTime(time !== undefined && time.length <= 64 ? Date.parse(time) : Number.NaN, now),
    source: "smokescreen",
    origin,
    client: cleanClient(str(o.get("inbound_remote_addr"))),
    host,
    port,
    method: proxyType === "connect" ? "CONNECT" : undefined,
    decision: reason ? cleanText(`deny: ${reason}`, LIMITS.decision) : "deny",
  });
}

// ---------------------------------------------------------------------------------------------
// sandbox-runtime

const SRT_MARK = "[SandboxDebug] ";
/**
 * The messages of a request refused by srt's allowlist (anthropic-experimental/sandbox-runtime at
 * commit d35b813, and the npm package @anthropic-ai/sandbox-runtime 0.0.83: dist/sandbox/http-proxy.js
 * and dist/sandbox/socks-proxy.js): `Connection blocked to ${hostname}:${port}` (CONNECT and
 * SOCKS) and `HTTP request blocked to ${hostname}:${port}` (plain HTTP, where 0.0.83 strips an IPv6
 * address's brackets: `2001:db8::1:80`).
 */
const SRT_BLOCKED = ["Connection blocked to ", "HTTP request blocked to "] as const;

/**
 * sandbox-runtime (`srt`) writes no denial log by default: its only record of a refused request is
 * a debug line on stderr, written when SRT_DEBUG is set (src/utils/debug.ts, the same in 0.0.83:
 * logForDebugging() prints `[SandboxDebug] <message>` with console.error). Capture it with
 * `SRT_DEBUG=1 srt <command> 2>>/var/log/srt.log` and watch `sandbox-runtime:/var/log/srt.log`.
 * Each request the allowlist refuses logs one SRT_BLOCKED line; the filter's own lines for the same
 * request (`Denied by config rule: ...`, `No matching config rule, denying: ...`, and in 0.0.83
 * `[proxy] deny: Connection blocked by network allowlist` after a plain-HTTP refusal) are not
 * counted, so one refusal is one event. Not read: 0.0.83's per-request filter refusals
 * (`[proxy] deny: <reason>`, `[proxy] CONNECT host:port refused: <reason>`), whose lines name no
 * destination in a fixed place or repeat one already counted. The decision is `blocked-by-allowlist`,
 * the X-Proxy-Error value srt answers with; the lines carry no time and no client. Caveat: the
 * sandboxed command shares that stderr, so it can write look-alike lines (an extra alert, never a
 * hidden one). The marker is looked for at its last occurrence in the line (and parseLine keeps a
 * long line's end): text the command wrote without a newline just before srt's line cannot hide it.
 */
export function parseSandboxRuntime(text: string, origin: string, now: Date): DenialEvent | undefined {
  const at = text.lastIndexOf(SRT_MARK);
  if (at === -1) return undefined;
  const msg = text.slice(at + SRT_MARK.length);
  const kind = SRT_BLOCKED.find((b) => msg.startsWith(b));
  if (kind === undefined) return undefined;
  const target = msg.slice(kind.length).trimEnd();
  // srt always writes `host:port`: the port is after the last colon; a host with colons left is an
  // IPv6 address without its brackets.
  const colon = target.lastIndexOf(":");
  let host = colon === -1 ? target : target.slice(0, colon);
  if (host.includes(":") && !host.startsWith("[")) host = `[${host}]`;
  return event({
    time: now.toISOString(),
    source: "sandbox-runtime",
    origin,
    host: cleanHost(host),
    port: colon === -1 ? undefined : cleanPort(target.slice(colon + 1)),
    decision: "blocked-by-allowlist",
  });
}

// ---------------------------------------------------------------------------------------------
// nftables / iptables (kernel log)

/** `[  123.456789] `: the kernel's own time stamp, as dmesg and some syslog setups show it. */
function stripKernelStamp(pre: string): string {
  if (!pre.endsWith("] ")) return pre;
  const open = pre.lastIndexOf("[");
  if (open === -1) return pre;
  const inner = pre.slice(open + 1, -2);
  return /^ *[0-9]+\.[0-9]+$/.test(inner) ? pre.slice(0, open) : pre;
}

/**
 * A kernel log line of the firewall's refusal rule: the kernel's packet logger (nf_log_syslog, used
 * by nftables `log prefix` and iptables `-j LOG --log-prefix`) writes the prefix immediately
 * followed by `IN=` (linux net/netfilter/nf_log_syslog.c, nf_log_dump_packet_common:
 * `"%sIN=%s OUT=%s ", prefix, ...`; the same format string since ipt_LOG): `agent-audit-egress: IN= OUT=eth0 SRC=10.0.0.2 DST=93.184.216.34 LEN=60 ...
 * PROTO=TCP SPT=51234 DPT=443 ...`. The prefix counts only where the kernel puts it: at the start
 * of the message, after the kernel's `[ 123.456] ` time stamp, or after the `kernel: ` tag of a
 * syslog or `journalctl` short line (`Dec  6 16:00:31 host kernel: [ 123.4] agent-audit-egress: IN=`).
 * host = DST, port = DPT, client = SRC, decision `reject` (the rules agent-audit fix generates log,
 * then reject with admin-prohibited: src/fix/firewall.ts). The time: an RFC 3339 stamp at the start of
 * the line (rsyslog's high-precision format), else the read time (the classic syslog stamp has no
 * year). Trust: a file source trusts its file; point it at a log only the kernel writes to (kern.log),
 * or use the journal source, which checks that journald received the line from the kernel.
 */
export function parseKernel(
  text: string,
  origin: string,
  now: Date,
  prefix: string,
): DenialEvent | undefined {
  if (prefix.length === 0) return undefined;
  const at = text.indexOf(`${prefix}IN=`);
  if (at === -1) return undefined;
  const pre = stripKernelStamp(text.slice(0, at));
  if (pre !== "" && !pre.endsWith("kernel: ")) return undefined;
  const kv = new Map<string, string>();
  for (const tok of fields(text.slice(at + prefix.length), 64)) {
    const eq = tok.indexOf("=");
    if (eq > 0 && !kv.has(tok.slice(0, eq))) kv.set(tok.slice(0, eq), tok.slice(eq + 1));
  }
  if (!kv.has("DST")) return undefined;
  const proto = kv.get("PROTO");
  const first = text.slice(0, text.indexOf(" ") === -1 ? 0 : text.indexOf(" "));
  const stamped = /^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+(Z|[+-][0-9]{2}:[0-9]{2})$/.test(first)
    ? Date.parse(first)
    : Number.NaN;
  return event({
    time: isoTime(stamped, now),
    source: "nftables",
    origin,
    client: cleanClient(kv.get("SRC")),
    host: cleanHost(kv.get("DST")),
    port: proto === "TCP" || proto === "UDP" || proto === "SCTP" ? cleanPort(kv.get("DPT")) : undefined,
    decision: "reject",
  });
}

// ---------------------------------------------------------------------------------------------
// journal

/** `_SYSTEMD_UNIT` names whose messages are read as proxy log lines: unit name prefix to kind. */
const UNIT_KINDS: readonly [string, AlertSourceKind][] = [
  ["squid", "squid"],
  ["smokescreen", "smokescreen"],
];

/**
 * One line of `journalctl -o json` (one JSON object per entry, systemd.journal-fields(7)): MESSAGE
 * (a string, or an array of byte values when it is not valid UTF-8), __REALTIME_TIMESTAMP (µs since
 * the epoch, a decimal string). Which parser reads MESSAGE is decided by journald's trusted fields
 * (the `_` ones, which a logging process cannot set): `_TRANSPORT=kernel` is read as a kernel
 * firewall line (a process can log with SYSLOG_IDENTIFIER=kernel, never with _TRANSPORT=kernel);
 * `_SYSTEMD_UNIT` squid*.service or smokescreen*.service is read with the squid or smokescreen
 * parser (their stdout/stderr or syslog). Anything else is ignored. The origin is `journal` for the
 * kernel and `journal:<unit>` for a unit.
 */
export function parseJournal(text: string, now: Date, opts: ParseOptions = {}): DenialEvent | undefined {
  const o = scanJsonObject(text);
  const raw = o.get("MESSAGE");
  let message: string | undefined;
  if (typeof raw === "string") message = raw;
  else if (Array.isArray(raw)) {
    const bytes = raw
      .slice(0, LIMITS.line)
      .filter((b): b is number => typeof b === "number" && b >= 0 && b <= 255);
    message = Buffer.from(bytes).toString("utf8");
  }
  if (message === undefined) return undefined;
  const us = str(o.get("__REALTIME_TIMESTAMP"));
  const when =
    us !== undefined && /^[0-9]{1,20}$/.test(us) ? new Date(Math.floor(Number(us) / 1000)) : undefined;
  const at = when && !Number.isNaN(when.getTime()) ? when : now;
  let e: DenialEvent | undefined;
  if (o.get("_TRANSPORT") === "kernel") {
    e = parseKernel(message, "journal", at, opts.firewallPrefix ?? DEFAULT_FIREWALL_PREFIX);
  } else {
    const unit = str(o.get("_SYSTEMD_UNIT"));
    const kind = unit === undefined ? undefined : UNIT_KINDS.find(([p]) => unit.startsWith(p))?.[1];
    if (unit === undefined || kind === undefined) return undefined;
    const origin = `journal:${unit.slice(0, 256)}`;
    e = kind === "squid" ? parseSquid(message, origin, at) : parseSmokescreen(message, origin, at);
  }
  // The journal's entry time stands in for the read time, never for a time the line states itself
  // (squid's, smokescreen's). The event's source is the --source kind: journal.
  return e && { ...e, source: "journal" };
}
