import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { FIREWALL_LOG_PREFIX } from "../../../src/app/fix.js";
import {
  cleanUrl,
  DEFAULT_FIREWALL_PREFIX,
  LIMITS,
  parseJournal,
  parseKernel,
  parseLine,
  parseSandboxRuntime,
  parseSmokescreen,
  parseSquid,
  scanJsonObject,
} from "../../../src/capabilities/alerting/parsers.js";
import { type DenialEvent, SOURCE_KINDS } from "../../../src/capabilities/alerting/types.js";

const NOW = new Date("2026-12-06T16:00:00.000Z");

describe("squid native access.log", () => {
  // The shape a real squid 5.7 wrote in the network-namespace lab (test/integration/fix-network.test.ts:
  // /^\d+\.\d{3} +\d+ 10\.200\.1\.1 TCP_DENIED\/403 \d+ CONNECT canary\.test:443 - HIER_NONE\/- text\/html$/),
  // i.e. squid's `squid` logformat: %ts.%03tu %6tr %>a %Ss/%03>Hs %<st %rm %ru %[un %Sh/%<a %mt.
  it("a refused CONNECT", () => {
    const line =
      "1765036800.123      0 10.200.1.1 TCP_DENIED/403 3901 CONNECT canary.test:443 - HIER_NONE/- text/html";
    expect(parseLine("squid", line, "/var/log/squid/access.log", NOW)).toEqual({
      time: "2025-12-06T16:00:00.123Z",
      source: "squid",
      origin: "/var/log/squid/access.log",
      client: "10.200.1.1",
      host: "canary.test",
      port: 443,
      method: "CONNECT",
      decision: "TCP_DENIED/403",
    });
  });

  it("lines a real squid 5.7 wrote (deny config on 127.0.0.1, `access_log ... squid`, strip_query_terms off)", () => {
    // squid lower-cases the host and drops userinfo itself (the request was
    // http://bob:hunter2@Evil.Example:8080/x?token=abc&p=2), strips spaces from a URI
    // (uri_whitespace strip), answers a request line with an ESC or an 8 KB URI with NONE_NONE/400,
    // and logs a CONNECT target as sent: `<!channel>:443`.
    const lines = [
      "1796573494.475      1 127.0.0.1 TCP_DENIED/403 3457 GET http://evil.example:8080/x?token=abc&p=2 - HIER_NONE/- text/html",
      "1796573494.498      0 127.0.0.1 TCP_DENIED/403 3411 CONNECT denied.test:443 - HIER_NONE/- text/html",
      "1796573494.521      1 127.0.0.1 TCP_DENIED/403 3443 GET http://x.test/%3C!channel%3E<b> - HIER_NONE/- text/html",
      "1796573494.547      0 127.0.0.1 TCP_DENIED/403 3411 GET http://[2001:db8::1]/ - HIER_NONE/- text/html",
      "1796573500.332      0 127.0.0.1 NONE_NONE/400 4076 GET error:invalid-request - HIER_NONE/- text/html",
      "1796573500.344      0 127.0.0.1 TCP_DENIED/403 3421 CONNECT <!channel>:443 - HIER_NONE/- text/html",
      "1796573500.349      0 127.0.0.1 NONE_NONE/400 3376 garbage error:invalid-request - HIER_NONE/- text/html",
    ];
    const got = lines.map((l) => parseLine("squid", l, "access.log", NOW));
    expect(got.map((e) => e && [e.time, e.client, e.host, e.port, e.method, e.decision, e.url])).toEqual([
      [
        "2026-12-06T16:11:34.475Z",
        "127.0.0.1",
        "evil.example",
        8080,
        "GET",
        "TCP_DENIED/403",
        "http://evil.example:8080/x?token=…(3)&p=…(1)",
      ],
      ["2026-12-06T16:11:34.498Z", "127.0.0.1", "denied.test", 443, "CONNECT", "TCP_DENIED/403", undefined],
      [
        "2026-12-06T16:11:34.521Z",
        "127.0.0.1",
        "x.test",
        80,
        "GET",
        "TCP_DENIED/403",
        "http://x.test/%3C!channel%3E%3Cb%3E",
      ],
      [
        "2026-12-06T16:11:34.547Z",
        "127.0.0.1",
        "[2001:db8::1]",
        80,
        "GET",
        "TCP_DENIED/403",
        "http://[2001:db8::1]/",
      ],
      undefined,
      ["2026-12-06T16:11:40.344Z", "127.0.0.1", undefined, 443, "CONNECT", "TCP_DENIED/403", undefined],
      undefined,
    ]);
  });

  it("a refused plain-HTTP GET: host and port from the URL, the URL redacted", () => {
    const line =
      "1765036800.5 12 10.0.0.2 TCP_DENIED/403 3901 GET http://bob:hunter2hunter2@Evil.Example:8080/x?token=abcdefghijklmnop&page=2 - HIER_NONE/- text/html";
    expect(parseLine("squid", line, "a.log", NOW)).toEqual({
      time: "2025-12-06T16:00:00.500Z",
      source: "squid",
      origin: "a.log",
      client: "10.0.0.2",
      host: "evil.example",
      port: 8080,
      method: "GET",
      decision: "TCP_DENIED/403",
      url: "http://Evil.Example:8080/x?token=abcd…(16)&page=…(1)",
    });
  });

  it("default ports by scheme, IPv6 CONNECT, other DENIED tags", () => {
    const base = "1765036800.000 0 [fd00::2] ";
    expect(
      parseLine("squid", `${base}TCP_DENIED/403 0 GET http://a.test/ - HIER_NONE/- -`, "f", NOW)?.port,
    ).toBe(80);
    expect(
      parseLine("squid", `${base}TCP_DENIED/403 0 GET https://a.test/ - HIER_NONE/- -`, "f", NOW)?.port,
    ).toBe(443);
    const v6 = parseLine(
      "squid",
      `${base}TCP_DENIED/403 0 CONNECT [2001:db8::1]:443 - HIER_NONE/- -`,
      "f",
      NOW,
    );
    expect([v6?.client, v6?.host, v6?.port]).toEqual(["[fd00::2]", "[2001:db8::1]", 443]);
    expect(
      parseLine("squid", `${base}TCP_DENIED_REPLY/403 0 GET http://a.test/ - HIER_NONE/- -`, "f", NOW)
        ?.decision,
    ).toBe("TCP_DENIED_REPLY/403");
    expect(
      parseLine("squid", `${base}UDP_DENIED/000 0 ICP_QUERY http://a.test/ - HIER_NONE/- -`, "f", NOW)
        ?.decision,
    ).toBe("UDP_DENIED/000");
  });

  it("not denials: allowed requests, NONE_NONE parse errors, other text", () => {
    for (const line of [
      "1765036800.123 40 10.0.0.2 TCP_TUNNEL/200 5000 CONNECT api.test:443 - HIER_DIRECT/1.2.3.4 -",
      "1765036800.123 0 10.0.0.2 NONE_NONE/400 0 NONE error:invalid-request - HIER_NONE/- text/html",
      "1765036800.123 0 10.0.0.2 TCP_MISS/200 5000 GET http://x.test/TCP_DENIED/403 - HIER_DIRECT/1.2.3.4 -",
      "TCP_DENIED/403 CONNECT x:443",
      "",
      "x 0 10.0.0.2 TCP_DENIED/403 0 CONNECT a.test:443 - HIER_NONE/- -",
    ])
      expect(parseLine("squid", line, "f", NOW)).toBeUndefined();
  });

  it("hostile fields: markup host dropped, controls and Slack mentions in the URL neutralised", () => {
    const e = parseLine(
      "squid",
      "1765036800.123 0 10.0.0.2 TCP_DENIED/403 0 GET http://x.test/<!channel>\r\x1b[2J<b>hi</b> - HIER_NONE/- -",
      "f",
      NOW,
    );
    expect(e?.url).toBe("http://x.test/%3C!channel%3E%0D%1B[2J%3Cb%3Ehi%3C/b%3E");
    const bad = parseLine(
      "squid",
      "1765036800.123 0 <!here> TCP_DENIED/403 0 CONNECT <!channel>:443 - HIER_NONE/- -",
      "f",
      NOW,
    );
    expect(bad).toEqual({
      time: "2025-12-06T16:00:00.123Z",
      source: "squid",
      origin: "f",
      port: 443,
      method: "CONNECT",
      decision: "TCP_DENIED/403",
    });
  });

  it("a 1 MB URL: the event still counts, the URL is capped, quickly", () => {
    const line = `1765036800.123 0 10.0.0.2 TCP_DENIED/403 0 GET http://big.test/${"a".repeat(1024 * 1024)} - HIER_NONE/- -`;
    const e = parseLine("squid", line, "f", NOW);
    expect(e?.host).toBe("big.test");
    // Cut at LIMITS.url; the cut run of token characters masked (it may be half a token).
    expect(e?.url).toBe(`http://big.test/aaaa…(${LIMITS.url - 16})…`);
  });

  it("kinds are never confused: a squid line carrying the firewall prefix is no firewall event", () => {
    const line = `1765036800.123 0 10.0.0.2 TCP_DENIED/403 0 GET http://x.test/agent-audit-egress:%20IN=%20SRC=1.1.1.1%20DST=6.6.6.6 - HIER_NONE/- -`;
    expect(parseLine("nftables", line, "f", NOW)).toBeUndefined();
    expect(parseLine("squid", line, "f", NOW)?.host).toBe("x.test");
  });
});

describe("smokescreen", () => {
  // Key names from stripe/smokescreen pkg/smokescreen/smokescreen.go (LogField* constants, logProxy,
  // newContext), logrus JSONFormatter with sorted keys and RFC3339Nano time (pkg/smokescreen/config.go).
  const denied = JSON.stringify({
    allow: false,
    decision_reason: "host matched rule in global deny list",
    dns_lookup_time_ms: 0,
    enforce_would_deny: true,
    id: "c5q1v7k0000000000000",
    inbound_remote_addr: "10.0.0.2:51234",
    level: "warning",
    msg: "CANONICAL-PROXY-DECISION",
    proxy_type: "connect",
    requested_host: "Evil.Example:443",
    role: "agent",
    start_time: "2026-12-06T15:59:59.9Z",
    time: "2026-12-06T15:59:59.987654321Z",
    trace_id: "",
  });

  it("a denial", () => {
    expect(parseLine("smokescreen", denied, "/var/log/smokescreen.log", NOW)).toEqual({
      time: "2026-12-06T15:59:59.987Z",
      source: "smokescreen",
      origin: "/var/log/smokescreen.log",
      client: "10.0.0.2:51234",
      host: "evil.example",
      port: 443,
      method: "CONNECT",
      decision: "deny: host matched rule in global deny list",
    });
  });

  it("allowed requests and report-only rules (allow true, enforce_would_deny true) are no denials", () => {
    const allowed = denied.replace('"allow":false', '"allow":true');
    expect(parseLine("smokescreen", allowed, "f", NOW)).toBeUndefined();
    const other = denied.replace("CANONICAL-PROXY-DECISION", "something else");
    expect(parseLine("smokescreen", other, "f", NOW)).toBeUndefined();
    expect(parseLine("smokescreen", "not json", "f", NOW)).toBeUndefined();
  });

  it("plain HTTP without a port: port 80, no method", () => {
    const http = denied
      .replace('"proxy_type":"connect"', '"proxy_type":"http"')
      .replace("Evil.Example:443", "x.test");
    const e = parseLine("smokescreen", http, "f", NOW);
    expect([e?.host, e?.port, e?.method]).toEqual(["x.test", 80, undefined]);
  });

  it("a line cut inside a huge host name still counts (keys before it are there)", () => {
    const huge = denied.replace("Evil.Example:443", `${"a".repeat(1024 * 1024)}.test:443`);
    const e = parseLine("smokescreen", huge, "f", NOW);
    expect(e?.decision).toBe("deny: host matched rule in global deny list");
    expect(e?.client).toBe("10.0.0.2:51234");
    expect(e?.host).toBeUndefined();
  });

  it("escaped JSON cannot inject keys; markup in the reason is encoded", () => {
    const forged = JSON.stringify({
      allow: true,
      msg: "CANONICAL-PROXY-DECISION",
      requested_host: 'x","allow":false,"y":"',
    });
    expect(parseLine("smokescreen", forged, "f", NOW)).toBeUndefined();
    const markup = denied.replace("host matched rule in global deny list", "<!channel> *bold*");
    expect(parseLine("smokescreen", markup, "f", NOW)?.decision).toBe("deny: %3C!channel%3E *bold*");
  });
});

describe("sandbox-runtime", () => {
  // anthropic-experimental/sandbox-runtime (commit d35b813): src/utils/debug.ts prints
  // `[SandboxDebug] <message>` on stderr when SRT_DEBUG is set; src/sandbox/http-proxy.ts logs
  // `Connection blocked to ${hostname}:${port}` and `HTTP request blocked to ${hostname}:${port}`.
  it("CONNECT and plain-HTTP refusals", () => {
    expect(
      parseLine("sandbox-runtime", "[SandboxDebug] Connection blocked to Evil.example:443", "srt.log", NOW),
    ).toEqual({
      time: "2026-12-06T16:00:00.000Z",
      source: "sandbox-runtime",
      origin: "srt.log",
      host: "evil.example",
      port: 443,
      decision: "blocked-by-allowlist",
    });
    expect(
      parseLine("sandbox-runtime", "[SandboxDebug] HTTP request blocked to x.test:80", "f", NOW)?.port,
    ).toBe(80);
    // @anthropic-ai/sandbox-runtime 0.0.83 logs a plain-HTTP IPv6 destination without brackets.
    const v6 = parseLine(
      "sandbox-runtime",
      "[SandboxDebug] HTTP request blocked to 2001:db8::1:80",
      "f",
      NOW,
    );
    expect([v6?.host, v6?.port]).toEqual(["[2001:db8::1]", 80]);
    const v6b = parseLine(
      "sandbox-runtime",
      "[SandboxDebug] Connection blocked to [2001:db8::1]:443",
      "f",
      NOW,
    );
    expect([v6b?.host, v6b?.port]).toEqual(["[2001:db8::1]", 443]);
  });

  it("the stderr of a real srt run: one event per refused request", () => {
    // `SRT_DEBUG=1 srt -s settings.json -c 'curl http://blocked.test/x?token=abc; curl https://blocked.test/;
    // curl "http://[2001:db8::1]/"' 2>srt.log` with @anthropic-ai/sandbox-runtime 0.0.83 (bubblewrap,
    // allowedDomains ["allowed.test"]): the end of srt.log, as written.
    const log = [
      "[SandboxDebug] [Sandbox Linux] Wrapped command with bwrap (network, filesystem, seccomp(unix-block) restrictions)",
      "[SandboxDebug] No matching rule, denying: blocked.test:80",
      "[SandboxDebug] HTTP request blocked to blocked.test:80",
      "[SandboxDebug] [proxy] deny: Connection blocked by network allowlist",
      "[SandboxDebug] No matching rule, denying: blocked.test:443",
      "[SandboxDebug] Connection blocked to blocked.test:443",
      "[SandboxDebug] No matching rule, denying: 2001:db8::1:80",
      "[SandboxDebug] HTTP request blocked to 2001:db8::1:80",
      "[SandboxDebug] [proxy] deny: Connection blocked by network allowlist",
      "[SandboxDebug] Sent SIGTERM to HTTP bridge process",
      "[SandboxDebug] Sent SIGTERM to SOCKS bridge process",
    ];
    const events = log
      .map((l) => parseLine("sandbox-runtime", l, "srt.log", NOW))
      .filter((e) => e !== undefined);
    expect(events.map((e) => [e.host, e.port, e.decision])).toEqual([
      ["blocked.test", 80, "blocked-by-allowlist"],
      ["blocked.test", 443, "blocked-by-allowlist"],
      ["[2001:db8::1]", 80, "blocked-by-allowlist"],
    ]);
  });

  it("a 1 MB line ending in srt's own line still counts", () => {
    const line = `${"x".repeat(1024 * 1024)}[SandboxDebug] Connection blocked to b.test:443`;
    expect(parseLine("sandbox-runtime", line, "f", NOW)?.host).toBe("b.test");
  });

  it("the filter's own lines and other debug lines are not counted (one refusal, one event)", () => {
    for (const line of [
      "[SandboxDebug] No matching config rule, denying: x.test:443",
      "[SandboxDebug] Denied by config rule: x.test:443",
      "[SandboxDebug] Connection allowed to x.test:443",
      "[SandboxDebug] [proxy] deny: Connection blocked by network allowlist",
      "Connection blocked to x.test:443",
    ])
      expect(parseLine("sandbox-runtime", line, "f", NOW)).toBeUndefined();
  });

  it("text the command wrote without a newline before srt's line cannot hide it", () => {
    const e = parseLine(
      "sandbox-runtime",
      "junk [SandboxDebug] Connection allowed to a:1[SandboxDebug] Connection blocked to b.test:443",
      "f",
      NOW,
    );
    expect(e?.host).toBe("b.test");
  });
});

describe("nftables / iptables kernel lines", () => {
  // The kernel's nf_log_syslog format (nftables `log prefix`, iptables `-j LOG --log-prefix`): the
  // prefix immediately followed by IN=, as kern.log (rsyslog), dmesg and `journalctl -k` show it.
  const msg =
    "agent-audit-egress: IN= OUT=eth0 SRC=10.0.0.2 DST=93.184.216.34 LEN=60 TOS=0x00 PREC=0x00 TTL=64 ID=54321 DF PROTO=TCP SPT=51234 DPT=443 WINDOW=64240 RES=0x00 SYN URGP=0";
  const expected = {
    time: "2026-12-06T16:00:00.000Z",
    source: "nftables",
    origin: "/var/log/kern.log",
    client: "10.0.0.2",
    host: "93.184.216.34",
    port: 443,
    decision: "reject",
  };

  it("the prefix agrees with agent-audit fix's", () => {
    expect(DEFAULT_FIREWALL_PREFIX).toBe(FIREWALL_LOG_PREFIX);
  });

  it("kern.log, dmesg and bare-message shapes", () => {
    for (const line of [
      `Dec  6 16:00:31 host kernel: ${msg}`,
      `Dec  6 16:00:31 host kernel: [ 1234.567890] ${msg}`,
      `[ 1234.567890] ${msg}`,
      msg,
    ])
      expect(parseLine("nftables", line, "/var/log/kern.log", NOW)).toEqual(expected);
    expect(
      parseLine("nftables", `2026-12-06T15:00:31.123456+00:00 host kernel: ${msg}`, "/var/log/kern.log", NOW),
    ).toEqual({
      ...expected,
      time: "2026-12-06T15:00:31.123Z",
    });
  });

  it("IPv6 and ICMP (no port)", () => {
    const v6 =
      "agent-audit-egress: IN= OUT=eth0 SRC=fd00::2 DST=2606:2800:220:1:248:1893:25C8:1946 LEN=80 TC=0 HOPLIMIT=64 FLOWLBL=0 PROTO=TCP SPT=40000 DPT=443 WINDOW=64800 RES=0x00 SYN URGP=0";
    const e = parseLine("nftables", v6, "f", NOW);
    expect([e?.client, e?.host, e?.port]).toEqual(["fd00::2", "2606:2800:220:1:248:1893:25c8:1946", 443]);
    const icmp =
      "agent-audit-egress: IN= OUT=eth0 SRC=10.0.0.2 DST=1.1.1.1 LEN=84 PROTO=ICMP TYPE=8 CODE=0 ID=1 SEQ=1";
    expect(parseLine("nftables", icmp, "f", NOW)?.port).toBeUndefined();
  });

  it("the prefix anywhere else does not count", () => {
    for (const line of [
      `Dec  6 16:00:31 host squid[12]: GET http://x/${msg}`,
      `Dec  6 16:00:31 host kernel: something ${msg}`,
      `user text ${msg}`,
      "agent-audit-egress: hello",
      msg.replace("agent-audit-egress: ", "other: "),
    ])
      expect(parseLine("nftables", line, "f", NOW)).toBeUndefined();
  });

  it("a custom prefix", () => {
    expect(
      parseLine("nftables", msg.replace("agent-audit-egress: ", "X: "), "f", NOW, { firewallPrefix: "X: " })
        ?.host,
    ).toBe("93.184.216.34");
  });
});

describe("journal (journalctl -o json)", () => {
  const kernelMsg =
    "agent-audit-egress: IN= OUT=eth0 SRC=10.0.0.2 DST=1.2.3.4 LEN=60 PROTO=TCP SPT=1 DPT=8443";
  // Field names from systemd.journal-fields(7); journalctl -o json writes one object per line.
  const entry = (fields: Record<string, unknown>) =>
    JSON.stringify({
      __CURSOR: "s=abc;i=1",
      __REALTIME_TIMESTAMP: "1765036800123456",
      __MONOTONIC_TIMESTAMP: "1",
      ...fields,
    });

  it("a kernel message (trusted _TRANSPORT=kernel)", () => {
    const line = entry({ _TRANSPORT: "kernel", SYSLOG_IDENTIFIER: "kernel", MESSAGE: kernelMsg });
    expect(parseLine("journal", line, "journal", NOW)).toEqual({
      time: "2025-12-06T16:00:00.123Z",
      source: "journal",
      origin: "journal",
      client: "10.0.0.2",
      host: "1.2.3.4",
      port: 8443,
      decision: "reject",
    });
  });

  it("a MESSAGE as an array of bytes", () => {
    const line = entry({ _TRANSPORT: "kernel", MESSAGE: [...Buffer.from(kernelMsg)] });
    expect(parseLine("journal", line, "journal", NOW)?.host).toBe("1.2.3.4");
  });

  it("a 1 MB journal line: the entry is read up to the cap", () => {
    const line = entry({ _TRANSPORT: "kernel", MESSAGE: `${kernelMsg} ${"p".repeat(1024 * 1024)}` });
    expect(parseLine("journal", line, "journal", NOW)?.host).toBe("1.2.3.4");
    const junk = entry({ _TRANSPORT: "kernel", MESSAGE: "q".repeat(1024 * 1024) });
    expect(parseLine("journal", junk, "journal", NOW)).toBeUndefined();
  });

  it("a process claiming SYSLOG_IDENTIFIER=kernel is not the kernel", () => {
    const line = entry({ _TRANSPORT: "syslog", SYSLOG_IDENTIFIER: "kernel", MESSAGE: kernelMsg });
    expect(parseLine("journal", line, "journal", NOW)).toBeUndefined();
  });

  it("squid and smokescreen units are read with their parsers; other units ignored", () => {
    const squid = "1765036800.123 0 10.0.0.2 TCP_DENIED/403 0 CONNECT x.test:443 - HIER_NONE/- text/html";
    const e = parseLine(
      "journal",
      entry({ _TRANSPORT: "stdout", _SYSTEMD_UNIT: "squid.service", MESSAGE: squid }),
      "journal",
      NOW,
    );
    expect(e).toEqual({
      time: "2025-12-06T16:00:00.123Z",
      source: "journal",
      origin: "journal:squid.service",
      client: "10.0.0.2",
      host: "x.test",
      port: 443,
      method: "CONNECT",
      decision: "TCP_DENIED/403",
    });
    const smoke = JSON.stringify({
      allow: false,
      msg: "CANONICAL-PROXY-DECISION",
      requested_host: "y.test:443",
    });
    expect(
      parseLine("journal", entry({ _SYSTEMD_UNIT: "smokescreen.service", MESSAGE: smoke }), "journal", NOW)
        ?.host,
    ).toBe("y.test");
    expect(
      parseLine("journal", entry({ _SYSTEMD_UNIT: "agent.service", MESSAGE: squid }), "journal", NOW),
    ).toBeUndefined();
  });
});

describe("sanitising", () => {
  it("URL userinfo, query values, fragments and known tokens are redacted", () => {
    const token = `ghp_${"A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"}`;
    expect(cleanUrl(`https://user:tok@host.test/${token}/x?access_token=${token}&q#frag`)).toBe(
      "https://host.test/ghp_…(40)/x?access_token=ghp_…(40)&q#…(4)",
    );
    expect(cleanUrl("http://a:b@c@d.test/p")).toBe("http://d.test/p");
    expect(cleanUrl("http://x.test/\u202eevil")).toBe("http://x.test/%E2%80%AEevil");
  });

  it("a decision: redacted, controls escaped, markup encoded, capped", () => {
    const line = JSON.stringify({
      allow: false,
      msg: "CANONICAL-PROXY-DECISION",
      decision_reason: "x\u001b[31m ghp_A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8 <!channel> `code`",
    });
    expect(parseLine("smokescreen", line, "f", NOW)?.decision).toBe(
      "deny: x\\x1b[31m ghp_…(40) %3C!channel%3E %60code%60",
    );
    const long = JSON.stringify({
      allow: false,
      msg: "CANONICAL-PROXY-DECISION",
      decision_reason: "r".repeat(500),
    });
    expect(parseLine("smokescreen", long, "f", NOW)?.decision).toBe(`deny: ${"r".repeat(57)}…`);
  });

  it("scanJsonObject reads top-level keys in order, cut strings as far as they go", () => {
    const m = scanJsonObject('{"a":1,"b":"x\\n\\u0041","c":[1,2,{"d":3}],"e":null,"f":"cut');
    expect([...m.entries()]).toEqual([
      ["a", 1],
      ["b", "x\nA"],
      ["c", [1, 2, 3]],
      ["e", null],
      ["f", "cut"],
    ]);
  });

  it("parseLine never throws, and every string it returns is single-line and capped", () => {
    const hostile = fc.oneof(
      fc.string({ maxLength: 400 }),
      fc.string({ unit: "binary", maxLength: 400 }),
      fc
        .tuple(fc.constantFrom(...SOURCE_KINDS), fc.string({ maxLength: 200 }))
        .map(([, s]) => `1765036800.123 0 10.0.0.2 TCP_DENIED/403 0 GET http://${s} - HIER_NONE/- -`),
      fc
        .string({ maxLength: 200 })
        .map((s) => `agent-audit-egress: IN= OUT=x SRC=${s} DST=${s} PROTO=TCP DPT=${s}`),
      fc
        .string({ maxLength: 200 })
        .map((s) => JSON.stringify({ allow: false, msg: "CANONICAL-PROXY-DECISION", requested_host: s })),
      fc.string({ maxLength: 200 }).map((s) => `[SandboxDebug] Connection blocked to ${s}`),
      fc
        .tuple(fc.constantFrom("kernel", "stdout"), fc.string({ maxLength: 200 }), fc.jsonValue())
        .map(([t, m, v]) =>
          JSON.stringify({
            __REALTIME_TIMESTAMP: "1",
            _TRANSPORT: t,
            _SYSTEMD_UNIT: "squid.service",
            MESSAGE: m,
            X: v,
          }),
        ),
      fc.string({ maxLength: 300 }).map((s) => `{"MESSAGE":${s}`),
    );
    fc.assert(
      fc.property(fc.constantFrom(...SOURCE_KINDS), hostile, (kind, line) => {
        // The parsers themselves, not parseLine (whose catch would hide a throw).
        const direct: Record<typeof kind, () => DenialEvent | undefined> = {
          squid: () => parseSquid(line, "f", NOW),
          smokescreen: () => parseSmokescreen(line, "f", NOW),
          "sandbox-runtime": () => parseSandboxRuntime(line, "f", NOW),
          nftables: () => parseKernel(line, "f", NOW, DEFAULT_FIREWALL_PREFIX),
          journal: () => parseJournal(line, NOW),
        };
        const e = direct[kind]();
        expect(parseLine(kind, line, "f", NOW)).toEqual(e);
        if (e === undefined) return;
        for (const v of Object.values(e))
          if (typeof v === "string") expect(v).not.toMatch(/[\u0000-\u001f\u007f<>]/);
        if (e.host !== undefined) expect(e.host.length).toBeLessThanOrEqual(LIMITS.host);
        expect(e.decision.length).toBeLessThanOrEqual(LIMITS.decision);
      }),
      { numRuns: 500 },
    );
  });
});
