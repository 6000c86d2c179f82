import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it, onTestFinished } from "vitest";
import {
  loadEgressDefaults,
  parseAllowedHost,
  parseHostPort,
  parseMetadata,
  parseResolver,
} from "../../../src/capabilities/egress/targets.js";
import { UsageError } from "../../../src/util/errors.js";

function usage(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    return (e as UsageError).message;
  }
  throw new Error("expected a UsageError");
}

describe("parseHostPort (--canary)", () => {
  it.each([
    ["example.com:443", { host: "example.com", port: 443, family: 0 }],
    ["EXAMPLE.com.:80", { host: "example.com.", port: 80, family: 0 }],
    ["192.0.2.1:22", { host: "192.0.2.1", port: 22, family: 4 }],
    ["[::1]:443", { host: "::1", port: 443, family: 6 }],
    ["[2001:db8::1]:8443", { host: "2001:db8::1", port: 8443, family: 6 }],
    ["[::ffff:169.254.169.254]:80", { host: "::ffff:169.254.169.254", port: 80, family: 6 }],
    ["2852039166:80", { host: "2852039166", port: 80, family: 0 }],
    [" canary.test:65535 ", { host: "canary.test", port: 65535, family: 0 }],
  ])("%s", (input, want) => {
    expect(parseHostPort(input, "--canary")).toEqual(want);
  });

  it.each([
    ["", "--canary : empty value"],
    ["example.com", "--canary example.com: missing :PORT"],
    ["example.com:0", '--canary example.com:0: "0" is not a port (1-65535)'],
    ["example.com:65536", '--canary example.com:65536: "65536" is not a port (1-65535)'],
    ["example.com:http", '--canary example.com:http: "http" is not a port (1-65535)'],
    ["::1:443", "--canary ::1:443: an IPv6 address needs brackets"],
    ["[::1", "--canary [::1: missing ']' after an IPv6 address"],
    ["[::1]443", "--canary [::1]443: expected ':PORT' after ']'"],
    ["[example.com]:443", '--canary [example.com]:443: "example.com" is not an IPv6 address'],
    [":443", "--canary :443: missing host"],
    ["exa mple.com:443", '--canary exa mple.com:443: "exa mple.com" is not a host name or IP address'],
    ["-bad.com:443", '--canary -bad.com:443: "-bad.com" is not a host name or IP address'],
    ["http://user:pw@example.com:443", "--canary http://example.com:443: a URL is not a destination"],
  ])("rejects %j", (input, message) => {
    expect(usage(() => parseHostPort(input, "--canary"))).toBe(message);
  });

  it("never echoes URL userinfo", () => {
    expect(usage(() => parseHostPort("http://user:hunter2hunter2@x:1", "--canary"))).not.toContain("hunter2");
  });
});

describe("parseAllowedHost, parseResolver, parseMetadata", () => {
  it("allowed hosts: name, name:port, *.name", () => {
    expect(parseAllowedHost("allowed.test")).toEqual({
      host: "allowed.test",
      port: 443,
      family: 0,
      wildcard: false,
      explicitPort: false,
    });
    expect(parseAllowedHost("allowed.test:8443")).toMatchObject({ port: 8443, explicitPort: true });
    expect(parseAllowedHost("*.wild.test")).toMatchObject({ host: "wild.test", wildcard: true, port: 443 });
    expect(usage(() => parseAllowedHost("*.10.0.0.1"))).toBe(
      "--allowed-host *.10.0.0.1: a wildcard needs a domain name",
    );
  });

  it("resolvers: IP literals only, port 53 by default", () => {
    expect(parseResolver("8.8.8.8")).toEqual({ host: "8.8.8.8", port: 53, family: 4 });
    expect(parseResolver("2001:4860:4860::8888")).toEqual({
      host: "2001:4860:4860::8888",
      port: 53,
      family: 6,
    });
    expect(parseResolver("[fd00::53]:5353")).toEqual({ host: "fd00::53", port: 5353, family: 6 });
    expect(usage(() => parseResolver("dns.google"))).toBe(
      "--dns-resolver dns.google: a resolver must be an IP address",
    );
  });

  it("metadata: port 80 by default, both paths unless restricted", () => {
    expect(parseMetadata("169.254.169.254")).toEqual({
      host: "169.254.169.254",
      port: 80,
      family: 4,
      direct: true,
      proxy: true,
    });
    expect(parseMetadata("0xa9fea9fe:80", "x", ["proxy"])).toMatchObject({ direct: false, proxy: true });
  });
});

describe("rules/egress defaults", () => {
  it("load, every entry parses, and the lists are exactly these", () => {
    const d = loadEgressDefaults();
    const hp = (l: { host: string; port: number }[]) => l.map((t) => `${t.host} ${t.port}`);
    expect(hp(d.canaries)).toEqual([
      "example.com 443",
      "1.1.1.1 443",
      "2606:4700:4700::1111 443",
      "portquiz.net 443",
    ]);
    expect(d.ports).toEqual([22, 25, 53]);
    expect(
      d.metadata.map((m) => `${m.host} ${m.port} ${m.direct ? "direct" : ""}${m.proxy ? "+proxy" : ""}`),
    ).toEqual([
      "169.254.169.254 80 direct+proxy",
      "fd00:ec2::254 80 direct+proxy",
      "::ffff:169.254.169.254 80 direct+proxy",
      "100.100.100.200 80 direct+proxy",
      "2852039166 80 +proxy",
      "0xa9fea9fe 80 +proxy",
      "metadata.google.internal 80 +proxy",
    ]);
    expect(hp(d.resolvers)).toEqual(["8.8.8.8 53", "2001:4860:4860::8888 53", "1.1.1.1 53", "9.9.9.9 53"]);
    expect(d.queryName).toBe("example.com");
  });

  it("reports every error of a bad folder together, naming file and field", () => {
    const dir = mkdtempSync(join(tmpdir(), "aa-egress-rules-"));
    writeFileSync(
      join(dir, "bad-canaries.yaml"),
      "id: other-name\nkind: canaries\ndescription: x\ntargets:\n  - { target: 'nope', note: n, source: s }\n",
    );
    writeFileSync(
      join(dir, "bad-resolvers.yaml"),
      "id: bad-resolvers\nkind: resolvers\ndescription: x\ntargets: []\n",
    );
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    expect(() => loadEgressDefaults(dir)).toThrow(
      [
        "agent-audit: invalid default egress targets:",
        '  rules/egress/bad-canaries.yaml: id "other-name" does not match the file name',
        "  rules/egress/bad-canaries.yaml: targets.0 nope: missing :PORT",
        "  rules/egress/bad-resolvers.yaml: targets: Too small: expected array to have >=1 items",
      ].join("\n"),
    );
  });
});
