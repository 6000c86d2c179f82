import { describe, expect, it } from "vitest";
import { ruleIds } from "../../src/config/index.js";
import { quoteName, showable, shownPath } from "../../src/detect/echo.js";
import { defaultRules } from "../../src/rules/catalog.js";

// Issue 8 item 5: the one echo rule of the config, baseline and passwd loaders. A name is printed
// only when it is plainly an identifier that could be a real key; a token, bare or glued to a
// prefix, generated-looking or not, is shown by its length. Tokens are assembled at run time.

const AKIA_LOW = ["AK", "IA"].join("") + "A".repeat(16);
const GHP_LOW = ["gh", "p_"].join("") + "A".repeat(36);
const GHP_ZERO = ["gh", "p_"].join("") + "0".repeat(36);
const GHP_RANDOM = ["gh", "p_"].join("") + "aB3dE5gH7jK9mN1pQ3sT5vW7yZ9bC1dF3gH5";

const CONFIG_KEYS = [
  "include",
  "exclude",
  "rules",
  "disable",
  "severity",
  "failOn",
  "baseline",
  "egress",
  "canaries",
  "allowedHosts",
  "proxy",
  "timeoutMs",
  "dnsResolvers",
  "metadata",
  "ports",
  "defaultTargets",
  "firewallEvidence",
  "gate",
  "mode",
  "allow",
  "deny",
  "ask",
];

describe("showable (issue 8)", () => {
  it("every config key and every packaged rule id is showable, so typos next to them are too", () => {
    const ids = ruleIds(defaultRules());
    expect(ids.filter((n) => !showable(n))).toEqual([]);
    expect(CONFIG_KEYS.filter((n) => !showable(n))).toEqual([]);
  });

  it.each([
    "excludes",
    "failon",
    "alowedHosts",
    "deny-list",
    "github-pat-clasic",
    "aws-acces-key-id",
    "not-a-rule-at-all",
    "token",
    "my_secret_name",
    "_apt",
    "1000",
    "0",
  ])("shows %s", (name) => {
    expect(showable(name)).toBe(true);
    expect(quoteName(name)).toBe(JSON.stringify(name));
  });

  const tokens = [AKIA_LOW, GHP_LOW, GHP_ZERO, GHP_RANDOM];
  const prefixes = ["", "x", "_", "my-", "a.", "X"];
  it.each(tokens.flatMap((t) => prefixes.map((p) => [p, t] as const)))(
    "hides %j glued to a token",
    (pre, t) => {
      const name = pre + t;
      expect(showable(name)).toBe(false);
      expect(quoteName(name)).toBe(`<${name.length} characters, not shown>`);
      expect(shownPath(["rules", "severity", name])).toBe(
        `rules.severity.<${name.length} characters, not shown>`,
      );
    },
  );

  it.each([
    ["a key with a space", "not a key"],
    ["a quote", 'a"b'],
    ["a control character", "a\u001bb"],
    ["too long", "a".repeat(42)],
    ["empty", ""],
    ["a generated-looking run", "Zq8vLm3Rt7Kx"],
    ["a URL with userinfo", "https://u:p@h"],
    ["a number too long to be a uid", "12345678901"],
  ])("hides %s", (_what, name) => {
    expect(showable(name)).toBe(false);
  });

  it("shownPath: indices as they are, (root) for the empty path, symbols hidden", () => {
    expect(shownPath(["entries", 3, "location"])).toBe("entries.3.location");
    expect(shownPath([])).toBe("(root)");
    expect(shownPath([Symbol("x")])).toBe("<9 characters, not shown>");
  });
});
