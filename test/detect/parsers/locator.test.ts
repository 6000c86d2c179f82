import { describe, expect, it } from "vitest";
import { stripKeyUserinfo, TextLocator } from "../../../src/detect/parsers/common.js";
import { PARSERS } from "../../../src/detect/parsers/index.js";
import { countWork, distinctValue } from "../../property/support.js";

// Issue 8: the parsers find their secrets' lines through one locator per text (linear work), print
// key paths without URL userinfo, and read keys named like Object.prototype members as any other.

describe("TextLocator", () => {
  const text = "a: one\nb: two\nc: three\nd: one\n";

  it("finds values after the cursor first, then from the start", () => {
    const loc = new TextLocator(text);
    expect(loc.line("two")).toBe(2);
    // "one" occurs on lines 1 and 4: after the cursor (line 2) comes line 4.
    expect(loc.line("one")).toBe(4);
    // Out of order: looked for from the start.
    expect(loc.line("three")).toBe(3);
    expect(loc.line("absent")).toBeUndefined();
  });

  it("finds a value by its JSON escape or by its first line", () => {
    const loc = new TextLocator('{"k": "l1\\nl2"}\nkey: |\n  first\n  second\n');
    expect(loc.line("l1\nl2")).toBe(1);
    expect(loc.line("first\nsecond\n")).toBe(3);
  });

  it("an explicit start overrides the cursor", () => {
    const loc = new TextLocator(text);
    expect(loc.line("one", text.indexOf("d:"))).toBe(4);
    expect(loc.line("one", 0)).toBe(1);
  });

  it("spends a bounded budget on values that are absent: then reports no line", () => {
    const big = `${"x".repeat(1 << 20)}\n`;
    const loc = new TextLocator(big);
    const { result, work } = countWork(() => {
      const lines: (number | undefined)[] = [];
      for (let i = 0; i < 100; i++) lines.push(loc.line(`absent${i}`));
      return lines;
    });
    expect(result).toEqual(Array(100).fill(undefined));
    // 8 passes of the text plus 1 MiB, and the one search that overran it: at most 10 passes.
    expect(work).toBeLessThanOrEqual(10 * big.length);
    expect(loc.line("x")).toBeUndefined();
  });
});

describe("stripKeyUserinfo", () => {
  it("drops everything from the scheme's // to the last @, whatever the password holds", () => {
    expect(stripKeyUserinfo('auths.https://alice:pa ss"wo@rd/x@ghcr.io.auth')).toBe(
      "auths.https://***@ghcr.io.auth",
    );
    expect(stripKeyUserinfo("http-basic.https://bob:p'w@packages.example.com.password")).toBe(
      "http-basic.https://***@packages.example.com.password",
    );
    expect(stripKeyUserinfo("//registry.example/:_authToken")).toBe("//registry.example/:_authToken");
    expect(stripKeyUserinfo("default.password")).toBe("default.password");
  });
});

describe("keys named like Object.prototype members are keys like any other", () => {
  const RULE = { id: "r", provider: "p", title: "t", severity: "high" as const, remediation: "x" };
  const run = (parser: string, text: string) =>
    PARSERS[parser]!({ text, path: "f", rule: RULE }).detections.map((d) => ({
      type: d.type,
      name: d.name,
      secret: d.secret,
    }));
  const V = "Xk3lPq9vZ2mN8rT1Wd5s";

  it("ini: `constructor` and `__proto__` name no secret", () => {
    expect(run("ini", `[default]\nconstructor = ${V}\n__proto__ = ${V}\ntoString = ${V}\n`)).toEqual([]);
  });

  it("kubeconfig: an auth-provider config key `constructor` names no secret", () => {
    const text = `users:\n- name: u\n  user:\n    auth-provider:\n      config:\n        constructor: ${V}\n        refresh-token: ${V}9\n`;
    expect(run("kubeconfig", text)).toEqual([
      { type: "refresh-token", name: "users.u.user.auth-provider.config.refresh-token", secret: `${V}9` },
    ]);
  });

  it("docker legacy .dockercfg: a registry named `__proto__` is read", () => {
    const auth = Buffer.from(`u:${V}`).toString("base64");
    expect(run("docker-config", `{"__proto__": {"auth": "${auth}"}}`)).toEqual([
      { type: "password", name: "__proto__.auth", secret: V },
    ]);
  });
});

describe("dotenv lines", () => {
  const RULE = { id: "r", provider: "p", title: "t", severity: "high" as const, remediation: "x" };
  it("a secret's line is its declaration's, not an earlier comment holding the same text", () => {
    const v = distinctValue(7, 1);
    const text = `# old: API_TOKEN=${v}\nA=1\n\n\nexport API_TOKEN = ${v}\n`;
    const r = PARSERS.dotenv!({ text, path: ".env", rule: RULE });
    expect(r.detections.map((d) => [d.name, d.line])).toEqual([["API_TOKEN", 5]]);
  });

  it("blank lines cost linear work (the dotenv package's regex backtracked over them)", () => {
    const doc = (n: number) => `${"\n".repeat(n)}API_TOKEN=${distinctValue(1, 1)}\n`;
    const small = countWork(() => PARSERS.dotenv!({ text: doc(10_000), path: ".env", rule: RULE }));
    const big = countWork(() => PARSERS.dotenv!({ text: doc(40_000), path: ".env", rule: RULE }));
    expect(small.result.detections.map((d) => d.line)).toEqual([10_001]);
    expect(big.result.detections.map((d) => d.line)).toEqual([40_001]);
    expect(big.work).toBeLessThanOrEqual(4 * small.work + 1000);
  });
});
