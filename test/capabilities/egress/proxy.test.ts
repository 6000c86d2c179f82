import { describe, expect, it } from "vitest";
import {
  matchesNoProxy,
  parseProxyFlag,
  parseProxyUrl,
  resolveProxies,
} from "../../../src/capabilities/egress/proxy.js";
import { UsageError } from "../../../src/util/errors.js";

describe("parseProxyUrl", () => {
  it("keeps credentials out of the label and turns them into Basic auth for the proxy only", () => {
    const p = parseProxyUrl("http://user:p%40ss@proxy.internal:3128", "HTTPS_PROXY");
    expect(p).toEqual({
      scheme: "http",
      host: "proxy.internal",
      port: 3128,
      label: "http://proxy.internal:3128",
      source: "HTTPS_PROXY",
      authorization: `Basic ${Buffer.from("user:p@ss").toString("base64")}`,
    });
  });

  it.each([
    ["proxy:3128", "http://proxy:3128"],
    ["http://proxy", "http://proxy:80"],
    ["https://proxy", "https://proxy:443"],
    ["socks5h://localhost", "socks5h://localhost:1080"],
    ["http://[::1]:3128/", "http://[::1]:3128"],
    ["HTTP://Proxy.Example:8080", "http://proxy.example:8080"],
  ])("%s → %s", (raw, label) => {
    const p = parseProxyUrl(raw, "x");
    expect("label" in p && p.label).toBe(label);
  });

  it.each([
    ["", "empty"],
    ["ftp://proxy:21", 'unsupported scheme "ftp"'],
    ["http://", "not a URL"],
  ])("%j is refused (%s)", (raw, error) => {
    expect(parseProxyUrl(raw, "x")).toEqual({ error });
  });

  it("--proxy errors never show the userinfo", () => {
    let err: unknown;
    try {
      parseProxyFlag("ftp://admin:hunter2hunter2@proxy:21");
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toBe('--proxy ftp://proxy:21: unsupported scheme "ftp"');
  });
});

describe("resolveProxies", () => {
  it("--proxy wins for both kinds and ignores NO_PROXY", () => {
    const explicit = parseProxyFlag("http://p:3128");
    const r = resolveProxies({ HTTPS_PROXY: "http://other:1", NO_PROXY: "*" }, explicit);
    expect([r.connect?.label, r.http?.label, r.noProxy]).toEqual(["http://p:3128", "http://p:3128", null]);
  });

  it("https for CONNECT, http for plain HTTP, ALL_PROXY as the fallback, lowercase first", () => {
    const r = resolveProxies({
      HTTPS_PROXY: "http://upper:1",
      https_proxy: "http://lower:2",
      ALL_PROXY: "http://all:3",
      no_proxy: "localhost",
    });
    expect([r.connect?.label, r.connect?.source, r.http?.label, r.http?.source, r.noProxy]).toEqual([
      "http://lower:2",
      "https_proxy",
      "http://all:3",
      "ALL_PROXY",
      "localhost",
    ]);
  });

  it("an unusable variable is a problem, reported without its value", () => {
    const r = resolveProxies({ HTTP_PROXY: "gopher://u:secretsecret@x:1" });
    expect(r.http).toBeUndefined();
    expect(r.problems).toEqual(['HTTP_PROXY is set but unusable (unsupported scheme "gopher")']);
  });

  it("nothing set: no proxy", () => {
    expect(resolveProxies({})).toEqual({ connect: undefined, http: undefined, noProxy: null, problems: [] });
  });
});

describe("matchesNoProxy", () => {
  it.each([
    ["*", "anything.example", 443, true],
    ["example.com", "example.com", 443, true],
    ["example.com", "api.example.com", 443, true],
    [".example.com", "api.example.com", 443, true],
    [".example.com", "example.com", 443, true],
    ["*.example.com", "api.example.com", 443, true],
    ["example.com", "notexample.com", 443, false],
    ["example.com:8080", "example.com", 443, false],
    ["example.com:443", "example.com", 443, true],
    ["10.0.0.0/8", "10.1.2.3", 443, true],
    ["10.0.0.0/8", "11.1.2.3", 443, false],
    ["169.254.0.0/16", "169.254.169.254", 80, true],
    ["fd00::/8", "fd00:aa::1", 443, true],
    ["::1", "::1", 443, true],
    ["[::1]:443", "::1", 443, true],
    ["127.0.0.1", "127.0.0.2", 443, false],
    ["localhost,127.0.0.1", "canary.test", 443, false],
    ["", "example.com", 443, false],
  ])("NO_PROXY=%j, %s:%d → %s", (noProxy, host, port, want) => {
    expect(matchesNoProxy(noProxy, host, port)).toBe(want);
  });
});
