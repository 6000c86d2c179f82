import { Resolver } from "node:dns";
import { connect, type Socket } from "node:net";
import { formatHostPort, type HostPort } from "./targets.js";

// The probes' only contact with the network. Every function here has a hard deadline, sends at most a
// minimal request (a TCP handshake, `GET /` or `CONNECT host:port`, or one DNS question) and returns a
// classified outcome instead of throwing.

/** Why a TCP connection did not come up. */
export type ConnectFailure =
  | "refused" // RST / ICMP port unreachable / nftables `reject with tcp reset` (ECONNREFUSED)
  | "reset" // connection reset (ECONNRESET)
  | "timeout" // no answer: a DROP rule, a black hole, or a dead host
  | "unreachable" // no route, ICMP host/net/admin-prohibited (EHOSTUNREACH, ENETUNREACH, EADDRNOTAVAIL)
  | "denied-locally" // the local kernel refused to send: an OUTPUT-chain drop (EPERM, EACCES)
  | "dns" // the name (the proxy's) does not resolve
  | "error"; // anything else: our side could not run the probe

export interface ConnectError {
  reason: ConnectFailure;
  /** The errno code, when there is one (safe to print: never foreign text). */
  code?: string;
}

export function classifyConnectError(err: unknown): ConnectError {
  const code =
    typeof (err as { code?: unknown })?.code === "string" ? (err as { code: string }).code : undefined;
  switch (code) {
    case "ECONNREFUSED":
      return { reason: "refused", code };
    case "ECONNRESET":
    case "EPIPE":
      return { reason: "reset", code };
    case "ETIMEDOUT":
      return { reason: "timeout", code };
    case "EHOSTUNREACH":
    case "ENETUNREACH":
    case "EADDRNOTAVAIL":
    case "EAFNOSUPPORT":
      return { reason: "unreachable", code };
    case "EPERM":
    case "EACCES":
      return { reason: "denied-locally", code };
    case "ENOTFOUND":
    case "EAI_AGAIN":
    case "EAI_NONAME":
    case "EAI_FAIL":
    case "ENODATA":
      return { reason: "dns", code };
    default:
      return code && /^E[A-Z0-9_]+$/.test(code) ? { reason: "error", code } : { reason: "error" };
  }
}

export type TcpResult = { ok: true } | ({ ok: false } & ConnectError);

function open(host: string, port: number, timeoutMs: number): Promise<{ socket: Socket } | ConnectError> {
  return new Promise((resolve) => {
    let settled = false;
    const socket = connect({ host, port, noDelay: true });
    const done = (v: { socket: Socket } | ConnectError) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.removeAllListeners("connect");
      if (!("socket" in v)) socket.destroy();
      resolve(v);
    };
    const timer = setTimeout(() => done({ reason: "timeout" }), timeoutMs);
    socket.once("connect", () => done({ socket }));
    socket.on("error", (e) => done(classifyConnectError(e)));
  });
}

/** A bare TCP handshake, closed at once. */
export async function tcpConnect(host: string, port: number, timeoutMs: number): Promise<TcpResult> {
  const r = await open(host, port, timeoutMs);
  if ("socket" in r) {
    r.socket.destroy();
    return { ok: true };
  }
  return { ok: false, ...r };
}

export interface HttpResponse {
  status: number;
  /** Lowercased names; repeated headers joined with ", ". */
  headers: Record<string, string>;
  /** At most the first 8 KiB of the body (latin1), for refusal fingerprints only: never printed. */
  body: string;
}

export type Exchange =
  | { stage: "connect"; failure: ConnectError }
  | { stage: "response"; response: HttpResponse }
  | { stage: "no-response"; reason: "timeout" | "closed" | "reset" | "garbled" };

const MAX_HEAD = 16 * 1024;
const MAX_BODY = 8 * 1024;

function parseHead(head: string): { status: number; headers: Record<string, string> } | undefined {
  const lines = head.split("\r\n");
  const m = /^HTTP\/\d(?:\.\d)? (\d{3})(?: |$)/.exec(lines[0] ?? "");
  if (!m) return undefined;
  const headers: Record<string, string> = {};
  for (const line of lines.slice(1)) {
    const i = line.indexOf(":");
    if (i <= 0) continue;
    const name = line.slice(0, i).trim().toLowerCase();
    const value = line.slice(i + 1).trim();
    headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
  }
  return { status: Number(m[1]), headers };
}

/**
 * Connects to `to`, sends `request` (a complete HTTP/1.1 request head) and reads the response head and
 * the start of its body. `headOnly` stops at a 2xx head (a CONNECT tunnel: nothing is sent through it).
 */
export async function httpExchange(
  to: { host: string; port: number },
  request: string,
  timeoutMs: number,
  headOnly = false,
): Promise<Exchange> {
  const started = Date.now();
  const r = await open(to.host, to.port, timeoutMs);
  if (!("socket" in r)) return { stage: "connect", failure: r };
  const socket = r.socket;
  const left = Math.max(1, timeoutMs - (Date.now() - started));
  return new Promise((resolve) => {
    let buf = Buffer.alloc(0);
    let head: { status: number; headers: Record<string, string> } | undefined;
    let bodyStart = 0;
    let settled = false;
    const finish = (v: Exchange) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(v);
    };
    const withBody = () => {
      const response: HttpResponse = {
        status: head!.status,
        headers: head!.headers,
        body: buf.subarray(bodyStart, bodyStart + MAX_BODY).toString("latin1"),
      };
      finish({ stage: "response", response });
    };
    const timer = setTimeout(() => {
      if (head) withBody();
      else finish({ stage: "no-response", reason: "timeout" });
    }, left);
    socket.on("data", (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      if (!head) {
        if (buf.length >= 5 && !buf.subarray(0, 5).toString("latin1").startsWith("HTTP/")) {
          finish({ stage: "no-response", reason: "garbled" });
          return;
        }
        const end = buf.indexOf("\r\n\r\n");
        if (end < 0) {
          if (buf.length > MAX_HEAD) finish({ stage: "no-response", reason: "garbled" });
          return;
        }
        head = parseHead(buf.subarray(0, end).toString("latin1"));
        if (!head) {
          finish({ stage: "no-response", reason: "garbled" });
          return;
        }
        bodyStart = end + 4;
        if (headOnly && head.status >= 200 && head.status < 300) {
          withBody();
          return;
        }
      }
      const length = Number(head.headers["content-length"]);
      const have = buf.length - bodyStart;
      if (have >= MAX_BODY || (Number.isFinite(length) && have >= length)) withBody();
    });
    socket.on("end", () => (head ? withBody() : finish({ stage: "no-response", reason: "closed" })));
    socket.on("close", () => (head ? withBody() : finish({ stage: "no-response", reason: "closed" })));
    socket.on("error", (e) => {
      if (head) withBody();
      else {
        const c = classifyConnectError(e);
        finish({ stage: "no-response", reason: c.reason === "reset" ? "reset" : "closed" });
      }
    });
    socket.write(request);
  });
}

export type DnsResult =
  | { answered: true; rcode: string; addresses: number }
  | { answered: false; reason: "timeout" | "refused" | "error"; code?: string };

// c-ares codes that mean a DNS response came back (https://nodejs.org/api/dns.html#error-codes).
const ANSWER_CODES: Record<string, string> = {
  ENOTFOUND: "NXDOMAIN",
  ENODATA: "NODATA",
  ESERVFAIL: "SERVFAIL",
  EREFUSED: "REFUSED",
  EFORMERR: "FORMERR",
  ENOTIMP: "NOTIMP",
  EBADRESP: "bad response",
};

/** One A query for `name` to one server over UDP (c-ares falls back to TCP on truncation only). */
export function dnsQuery(server: HostPort, name: string, timeoutMs: number): Promise<DnsResult> {
  return new Promise((resolve) => {
    let settled = false;
    const resolver = new Resolver({ timeout: Math.max(1, timeoutMs), tries: 1 });
    const done = (v: DnsResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolver.cancel();
      resolve(v);
    };
    const timer = setTimeout(() => done({ answered: false, reason: "timeout" }), timeoutMs + 50);
    try {
      resolver.setServers([formatHostPort(server.host, server.port)]);
    } catch {
      done({ answered: false, reason: "error", code: "EINVAL" });
      return;
    }
    resolver.resolve4(name, (err, addresses) => {
      if (!err) {
        done({ answered: true, rcode: "NOERROR", addresses: addresses.length });
        return;
      }
      const code = (err as NodeJS.ErrnoException).code ?? "";
      if (ANSWER_CODES[code]) done({ answered: true, rcode: ANSWER_CODES[code], addresses: 0 });
      else if (code === "ETIMEOUT" || code === "ECANCELLED")
        done({ answered: false, reason: "timeout", code });
      else if (code === "ECONNREFUSED") done({ answered: false, reason: "refused", code });
      else done({ answered: false, reason: "error", code: /^E[A-Z0-9_]+$/.test(code) ? code : undefined });
    });
  });
}
