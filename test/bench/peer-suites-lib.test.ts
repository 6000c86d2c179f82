// The pure parts of the peer suites benchmark (issue 15): what a secretlint snapshot expects, the
// tps / fps string literals of gitleaks' Go rule files, and what is printed of a sample. No
// checkout of either peer is needed: the inputs below are written the way theirs are.
import { describe, expect, it } from "vitest";
import {
  decodeGoEscapes,
  gitleaksCases,
  redact,
  SECRETLINT_EXCLUDED,
  type Span,
  safeRelPath,
  secretlintCase,
  spanHit,
  tokenizeGo,
} from "./peer-suites-lib.mjs";

const msg = (start: number, end = start, messageId = "M") => ({
  messageId,
  loc: { start: { line: start, column: 0 }, end: { line: end, column: 3 } },
});

describe("secretlintCase", () => {
  it("reads the input name from filePath and one span per reported start line", () => {
    const c = secretlintCase("ng.secret", {
      filePath: "[SNAPSHOT]/ng.secret/input.txt",
      messages: [msg(4, 4, "B"), msg(1, 1, "A"), msg(4, 4, "C"), msg(7, 12, "PEM")],
    });
    expect(c).toEqual({
      input: "input.txt",
      kind: "ng",
      prefixless: false,
      byOption: false,
      spans: [
        { start: 1, end: 1, messageId: "A" },
        { start: 4, end: 4, messageId: "B" },
        { start: 7, end: 12, messageId: "PEM" },
      ],
    });
    expect([6, 7, 12, 13].map((l) => spanHit(c.spans[2] as Span, l))).toEqual([false, true, true, false]);
  });

  it("a finding without a line (a whole binary file) reports every span of its file", () => {
    const c = secretlintCase("ng.privatekey-p12", {
      filePath: "[SNAPSHOT]/ng.privatekey-p12/input.p12",
      messages: [msg(1, 24, "PrivateKeyP12"), msg(30, 31)],
    });
    expect(c.spans.map((s) => spanHit(s as Span, undefined))).toEqual([true, true]);
    expect(c.spans.map((s) => spanHit(s as Span, 25))).toEqual([false, false]);
  });

  it("an ok case, a prefix-less case classed by its output, and a dot-file input", () => {
    expect(secretlintCase("ok.valid", { filePath: "[SNAPSHOT]/ok.valid/input", messages: [] })).toMatchObject(
      {
        input: "input",
        kind: "ok",
        prefixless: false,
      },
    );
    expect(
      secretlintCase("npmrc-_authToken", {
        filePath: "[SNAPSHOT]/npmrc-_authToken/.npmrc",
        messages: [msg(2)],
      }),
    ).toMatchObject({ input: ".npmrc", kind: "ng", prefixless: true });
    expect(
      secretlintCase("placeholder-xxx", { filePath: "[SNAPSHOT]/placeholder-xxx/input", messages: [] }),
    ).toMatchObject({ kind: "ok", prefixless: true });
    // A filePath outside the case's folder names no input.
    expect(secretlintCase("ng.a", { filePath: "[SNAPSHOT]/ng.b/input", messages: [] }).input).toBeUndefined();
  });

  it("an ok case made ok by a rule option (allows, a check turned off) is marked byOption; an ng one is not", () => {
    const out = { filePath: "[SNAPSHOT]/ok.allows/input.txt", messages: [] };
    const allows = { rules: [{ id: "@secretlint/secretlint-rule-x", options: { allows: ["/abc/"] } }] };
    const off = { rules: [{ id: "@secretlint/secretlint-rule-aws", options: { enableIDScanRule: false } }] };
    const on = { rules: [{ id: "@secretlint/secretlint-rule-aws", options: { enableIDScanRule: true } }] };
    expect(secretlintCase("ok.allows", out, allows).byOption).toBe(true);
    expect(secretlintCase("ok.allows", out, off).byOption).toBe(true);
    expect(secretlintCase("ok.allows", out, on).byOption).toBe(false);
    expect(secretlintCase("ok.allows", out, undefined).byOption).toBe(false);
    const ng = { filePath: "[SNAPSHOT]/ng.x/input", messages: [msg(1)] };
    expect(secretlintCase("ng.x", ng, allows).byOption).toBe(false);
  });

  it("excludes the presets and the policy rules, with a reason each", () => {
    expect([...SECRETLINT_EXCLUDED.keys()].sort()).toEqual([
      "secretlint-rule-example",
      "secretlint-rule-filter-comments",
      "secretlint-rule-no-dotenv",
      "secretlint-rule-no-homedir",
      "secretlint-rule-no-k8s-kind-secret",
      "secretlint-rule-pattern",
      "secretlint-rule-preset-canary",
      "secretlint-rule-preset-recommend",
    ]);
  });
});

describe("Go string literals", () => {
  it("decodes interpreted escapes and keeps raw strings as written", () => {
    expect(decodeGoEscapes(String.raw`a\tb\n\"q\"\\\x41\u00e9\101`)).toBe('a\tb\n"q"\\Aé\x41');
    const tk = tokenizeGo('x := `raw\\n "x"` + "i\\n" // "comment"\n/* `c` */ y...');
    expect(tk).toEqual([
      { t: "id", v: "x" },
      { t: "p", v: ":=" },
      { t: "str", v: 'raw\\n "x"' },
      { t: "p", v: "+" },
      { t: "str", v: "i\n" },
      { t: "id", v: "y" },
      { t: "p", v: "..." },
    ]);
  });
});

const GO = `package rules

import (
	"fmt"
	"github.com/zricethezav/gitleaks/v8/config"
)

var shared_keys = []string{
	\`shared_key = "sample-shared-one"\`, // gitleaks:allow
	"shared: " + "sample-two",
}

func First() *config.Rule {
	r := config.Rule{
		RuleID:   "first-rule",
		Keywords: []string{"first"},
	}
	// tps := []string{"not this, a comment"}
	tps := utils.GenerateSampleSecrets("first", secrets.NewSecret(utils.Hex("32")))
	tps = append(tps, shared_keys...)
	tps = append(tps,
		"first_token = \\"sample\\tvalue\\"",
		fmt.Sprintf("first=%s", secrets.NewSecret("[a-z]{8}")),
		\`multi
line\`,
	)
	fps := []string{
		"first = placeholder",
		"prefix" + secrets.NewSecret("[0-9]{4}"),
	}
	return utils.Validate(r, tps, fps)
}

func Second() *config.Rule {
	r := config.Rule{
		Description: "no tests of its own but another's list",
		RuleID:      "second-rule",
	}
	tps := utils.GenerateSampleSecrets("second", "literal-given-to-a-generator")
	fps := append(shared_keys, "second = nope")
	return utils.Validate(r, tps, fps)
}

func Paths() *config.Rule {
	r := config.Rule{RuleID: "path-rule"}
	tps := map[string]string{
		"nuget.config": \`<add key="Password" value="x" />\`,
		"dir/file.p12": "",
	}
	fps := map[string]string{}
	return utils.ValidateWithPaths(r, tps, fps)
}

func helper() []string { return []string{"not a rule"} }
`;

describe("gitleaksCases", () => {
  it("keeps the literals of tps and fps, follows package lists and append, skips generated entries", () => {
    expect(gitleaksCases(GO)).toEqual([
      {
        ruleId: "first-rule",
        fn: "First",
        tps: [
          { value: 'shared_key = "sample-shared-one"' },
          { value: "shared: sample-two" },
          { value: 'first_token = "sample\tvalue"' },
          { value: "multi\nline" },
        ],
        fps: [{ value: "first = placeholder" }],
        generated: { tps: 2, fps: 1 },
      },
      {
        ruleId: "second-rule",
        fn: "Second",
        tps: [],
        fps: [
          { value: 'shared_key = "sample-shared-one"' },
          { value: "shared: sample-two" },
          { value: "second = nope" },
        ],
        generated: { tps: 1, fps: 0 },
      },
      {
        ruleId: "path-rule",
        fn: "Paths",
        tps: [
          { value: '<add key="Password" value="x" />', path: "nuget.config" },
          { value: "", path: "dir/file.p12" },
        ],
        fps: [],
        generated: { tps: 0, fps: 0 },
      },
    ]);
  });
});

describe("printing", () => {
  it("redacts to the first 4 characters and the length, control characters escaped", () => {
    expect(redact("abcdefghijklmnop")).toBe("abcd…(16)");
    expect(redact("0\t\u007fxyz")).toBe("0\\x09\\x7fx…(6)");
    expect(redact("")).toBe("…(0)");
  });

  it("keeps a written path inside its folder", () => {
    expect(safeRelPath("../../etc/x", "f")).toBe("etc/x");
    expect(safeRelPath("/abs//a/./b", "f")).toBe("abs/a/b");
    expect(safeRelPath("..", "fallback")).toBe("fallback");
    expect(safeRelPath("ng.AWS Secret Access Key", "f")).toBe("ng.AWS Secret Access Key");
  });
});
