import type { createSocket } from "node:dgram";
import { afterEach, describe, expect, it } from "vitest";
import { classifyProxyExchange } from "../../../src/capabilities/egress/plan.js";
import { proxyAnswer } from "../../../src/capabilities/egress/refusal.js";
import {
  classifyConnectError,
  dnsQuery,
  httpExchange,
  tcpConnect,
} from "../../../src/capabilities/egress/wire.js";
import { startDns } from "../../integration/servers/lab-server.mjs";
import { ANSWERS, closedPort, rawServer, resetServer, type Started } from "./fake-servers.js";

const open: Started[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
});
async function server(s: Promise<Started>): Promise<Started> {
  const started = await s;
  open.push(started);
  return started;
}

const LOOP = "127.0.0.1";

describe("TCP outcomes", () => {
  it("connected, refused", async () => {
    const s = await server(rawServer(() => "hang"));
    expect(await tcpConnect(LOOP, s.port, 1000)).toEqual({ ok: true });
    expect(await tcpConnect(LOOP, await closedPort(), 1000)).toEqual({
      ok: false,
      reason: "refused",
      code: "ECONNREFUSED",
    });
  });

  it.each([
    ["ECONNREFUSED", "refused"],
    ["ECONNRESET", "reset"],
    ["ETIMEDOUT", "timeout"],
    ["EHOSTUNREACH", "unreachable"],
    ["ENETUNREACH", "unreachable"],
    ["EPERM", "denied-locally"],
    ["EACCES", "denied-locally"],
    ["ENOTFOUND", "dns"],
    ["EAI_AGAIN", "dns"],
    ["EMFILE", "error"],
  ])("errno %s is %s", (code, reason) => {
    expect(classifyConnectError({ code })).toEqual({ reason, code });
  });

  it("foreign error text is never kept", () => {
    expect(classifyConnectError(new Error("secret-looking text"))).toEqual({ reason: "error" });
  });
});

describe("HTTP exchanges", () => {
  it("reads status, headers and the start of the body", async () => {
    const s = await server(rawServer(() => ANSWERS.squidDenied));
    const x = await httpExchange({ host: LOOP, port: s.port }, "GET / HTTP/1.1\r\nHost: x\r\n\r\n", 1000);
    expect(x.stage).toBe("response");
    if (x.stage !== "response") return;
    expect(x.response.status).toBe(403);
    expect(x.response.headers["x-squid-error"]).toBe("ERR_ACCESS_DENIED 0");
    expect(x.response.body).toContain("ERR_ACCESS_DENIED");
  });

  it.each([
    ["reset", "reset"],
    ["close", "closed"],
    ["hang", "timeout"],
  ] as const)("a server that does %s gives no-response %s", async (behaviour, reason) => {
    const s = await server(rawServer(() => behaviour));
    const x = await httpExchange({ host: LOOP, port: s.port }, "GET / HTTP/1.1\r\nHost: x\r\n\r\n", 300);
    expect(x).toEqual({ stage: "no-response", reason });
  });

  it("a reset before the handshake is seen is a connect-stage reset", async () => {
    const s = await server(resetServer());
    const x = await httpExchange({ host: LOOP, port: s.port }, "GET / HTTP/1.1\r\nHost: x\r\n\r\n", 1000);
    expect(x).toEqual({ stage: "connect", failure: { reason: "reset", code: "ECONNRESET" } });
  });

  it("garbage instead of HTTP", async () => {
    const s = await server(rawServer(() => "SSH-2.0-OpenSSH_9.2\r\n"));
    const x = await httpExchange({ host: LOOP, port: s.port }, "GET / HTTP/1.1\r\nHost: x\r\n\r\n", 1000);
    expect(x).toEqual({ stage: "no-response", reason: "garbled" });
  });
});

describe("proxy refusal fingerprints", () => {
  const cases: [string, string, "connect" | "http", string, string][] = [
    [
      "squid 403 + X-Squid-Error",
      ANSWERS.squidDenied,
      "connect",
      "blocked",
      "proxy-denied:squid (403 ERR_ACCESS_DENIED)",
    ],
    [
      "squid error page only",
      ANSWERS.squidPageOnly,
      "http",
      "blocked",
      "proxy-denied:squid (403 ERR_ACCESS_DENIED)",
    ],
    [
      "squid invalid URL",
      ANSWERS.squidInvalidUrl,
      "http",
      "blocked",
      "proxy-rejected:squid (400 ERR_INVALID_URL)",
    ],
    [
      "squid connect failure",
      ANSWERS.squidConnectFail,
      "connect",
      "error",
      "proxy-upstream-failure:squid (503 ERR_CONNECT_FAIL): the proxy let the request through but could not reach the destination",
    ],
    [
      "srt X-Proxy-Error",
      ANSWERS.srtDenied,
      "connect",
      "blocked",
      "proxy-denied:srt (403 blocked-by-allowlist)",
    ],
    [
      "smokescreen X-Smokescreen-Error",
      ANSWERS.smokescreenDenied,
      "connect",
      "blocked",
      "proxy-denied:smokescreen (407)",
    ],
    ["generic 403 on CONNECT", ANSWERS.generic403, "connect", "blocked", "proxy-denied:generic-403 (403)"],
    ["generic 403 on GET", ANSWERS.generic403, "http", "blocked", "proxy-denied:generic-403 (403)"],
    [
      "407 without a fingerprint",
      ANSWERS.authRequired,
      "connect",
      "error",
      "proxy-auth-required:unknown-proxy (407): give the proxy credentials in the URL",
    ],
    ["200 tunnel", ANSWERS.tunnel, "connect", "open", "tunnel (200)"],
    ["200 through GET", ANSWERS.ok, "http", "open", "http 200"],
    [
      "405 to CONNECT",
      ANSWERS.notAllowed,
      "connect",
      "error",
      "proxy-answered:unknown-proxy (405): not a forward proxy?",
    ],
  ];
  it.each(cases)("%s", async (_name, answer, kind, outcome, detail) => {
    const s = await server(rawServer(() => answer));
    const req =
      kind === "connect"
        ? "CONNECT canary.test:443 HTTP/1.1\r\nHost: canary.test:443\r\n\r\n"
        : "GET http://canary.test/ HTTP/1.1\r\nHost: canary.test\r\n\r\n";
    const x = await httpExchange({ host: LOOP, port: s.port }, req, 1000, kind === "connect");
    expect(classifyProxyExchange(kind, x)).toMatchObject({ outcome, detail });
  });

  it("a non-proxy that closes on CONNECT, an unreachable proxy", async () => {
    const s = await server(rawServer(() => "close"));
    const x = await httpExchange({ host: LOOP, port: s.port }, "CONNECT a:443 HTTP/1.1\r\n\r\n", 1000, true);
    expect(classifyProxyExchange("connect", x)).toEqual({
      outcome: "error",
      detail: "proxy-no-response (closed): not an HTTP proxy?",
      notAProxy: true,
    });
    const y = await httpExchange(
      { host: LOOP, port: await closedPort() },
      "CONNECT a:443 HTTP/1.1\r\n\r\n",
      1000,
    );
    expect(classifyProxyExchange("connect", y)).toEqual({
      outcome: "error",
      detail: "proxy-unreachable (refused (ECONNREFUSED))",
      proxyUnreachable: true,
    });
  });

  it("the Smokescreen header wins over its 407 status", () => {
    expect(proxyAnswer({ status: 407, headers: { "x-smokescreen-error": "x" }, body: "" })).toEqual({
      proxy: "smokescreen",
      kind: "denied",
    });
  });
});

describe("DNS", () => {
  it("an answer, NXDOMAIN, and a closed port", async () => {
    const [sock] = (await startDns([{ host: LOOP, port: 0 }], { "canary.test": { a: ["10.9.9.9"] } })) as [
      ReturnType<typeof createSocket>,
    ];
    try {
      const server = { host: LOOP, port: sock.address().port, family: 4 as const };
      expect(await dnsQuery(server, "canary.test", 1000)).toEqual({
        answered: true,
        rcode: "NOERROR",
        addresses: 1,
      });
      expect(await dnsQuery(server, "nope.test", 1000)).toEqual({
        answered: true,
        rcode: "NXDOMAIN",
        addresses: 0,
      });
    } finally {
      sock.close();
    }
    const closed = { host: LOOP, port: await closedPort(), family: 4 as const };
    expect(await dnsQuery(closed, "canary.test", 1000)).toEqual({
      answered: false,
      reason: "refused",
      code: "ECONNREFUSED",
    });
  });
});
