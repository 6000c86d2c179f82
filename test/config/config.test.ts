import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { didYouMean, levenshtein } from "../../src/config/did-you-mean.js";
import {
  EMPTY_CONFIG,
  loadConfig,
  parseConfigText,
  ruleIds,
  validateConfig,
} from "../../src/config/index.js";
import { defaultRules } from "../../src/rules/catalog.js";
import { UsageError } from "../../src/util/errors.js";

const IDS = ["aws-access-key-id", "generic-password-assignment", "github-pat-classic"];

function validate(yaml: string, dir = "/cfg") {
  const parsed = parseConfigText(yaml);
  expect(parsed.errors).toEqual([]);
  return validateConfig(parsed.data, { dir, ruleIds: IDS });
}

describe("levenshtein", () => {
  it.each([
    ["", "", 0],
    ["abc", "", 3],
    ["", "abc", 3],
    ["exclude", "exclude", 0],
    ["exlcude", "exclude", 2],
    ["kitten", "sitting", 3],
    ["failon", "failOn", 1],
  ])("%s → %s = %i", (a, b, d) => expect(levenshtein(a, b)).toBe(d));
});

describe("didYouMean", () => {
  const keys = ["include", "exclude", "rules", "failOn", "baseline", "egress", "gate"];
  it.each([
    ["exlude", "exclude"],
    ["includes", "include"],
    ["failon", "failOn"],
    ["fail-on", "failOn"],
    ["base", "baseline"],
    ["baselineFile", "baseline"],
    ["gates", "gate"],
  ])("%s → %s", (input, expected) => expect(didYouMean(input, keys)).toBe(expected));
  it("skips the edit table for lengths more than 2 apart, with the same answers (issue 9 review)", () => {
    // The answer of the full computation: lengths more than 2 apart are always more than 2 edits.
    const full = (input: string) => {
      const n = input.toLowerCase();
      let best: { name: string; score: number } | undefined;
      for (const name of keys) {
        const h = name.toLowerCase();
        const d = levenshtein(n, h);
        const prefix = n.length >= 2 && (h.startsWith(n) || n.startsWith(h));
        if (d > 2 && !prefix) continue;
        const score = d <= 1 ? d : prefix ? 2 + Math.abs(h.length - n.length) / 1000 : 3;
        if (!best || score < best.score || (score === best.score && name < best.name)) best = { name, score };
      }
      return best?.name;
    };
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(..."abcdefgilnorstuxFO-"), maxLength: 14 }), (input) => {
        expect(didYouMean(input, keys)).toBe(full(input));
      }),
      { numRuns: 3000 },
    );
    // A 3,000-character id that starts like a key is still a prefix match.
    expect(didYouMean(`baseline${"x".repeat(3000)}`, keys)).toBe("baseline");
  });
  it("returns undefined when nothing is close", () => {
    expect(didYouMean("verbosity", keys)).toBeUndefined();
    expect(didYouMean("x", keys)).toBeUndefined();
  });
  it("breaks ties alphabetically", () => expect(didYouMean("ab", ["ac", "aa"])).toBe("aa"));
  it("prefers one edit over a prefix, and a prefix over two edits", () => {
    expect(didYouMean("gat", ["gate", "gateway"])).toBe("gate");
    expect(didYouMean("base", ["gate", "baseline"])).toBe("baseline");
    expect(didYouMean("exclud", ["exclude", "excluded"])).toBe("exclude");
  });
});

describe("validateConfig", () => {
  it("maps an empty file to the empty config", () => {
    expect(validate("")).toEqual({ config: EMPTY_CONFIG, errors: [] });
    expect(validate("# only a comment\n")).toEqual({ config: EMPTY_CONFIG, errors: [] });
  });

  it("reads every key, resolving baseline against the config file's directory", () => {
    const { config, errors } = validate(
      [
        "include: [src, 'config/*.env']",
        "exclude: [fixtures/**]",
        "rules:",
        "  disable: [generic-password-assignment]",
        "  severity: { aws-access-key-id: critical }",
        "failOn: medium",
        "baseline: ci/accepted.json",
        "egress:",
        "  canaries: ['1.1.1.1:53', '[2606:4700::1111]:443']",
        "  allowedHosts: [registry.npmjs.org]",
        "  proxy: http://127.0.0.1:3128",
        "  timeoutMs: 1500",
        "gate: { decisions: { gate-package-add: allow }, allow: [{ command: [npm], sub: [install] }], log: gate.jsonl }",
      ].join("\n"),
      "/repo/.config",
    );
    expect(errors).toEqual([]);
    expect(config).toEqual({
      include: ["src", "config/*.env"],
      exclude: ["fixtures/**"],
      rules: { disable: ["generic-password-assignment"], severity: { "aws-access-key-id": "critical" } },
      failOn: "medium",
      baseline: "/repo/.config/ci/accepted.json",
      egress: {
        canaries: ["1.1.1.1:53", "[2606:4700::1111]:443"],
        allowedHosts: ["registry.npmjs.org"],
        proxy: "http://127.0.0.1:3128",
        timeoutMs: 1500,
      },
      gate: {
        decisions: { "gate-package-add": "allow" },
        allow: [{ command: ["npm"], sub: ["install"] }],
        log: "/repo/.config/gate.jsonl",
      },
    });
  });

  it("reports every error at once, each naming its key path, with did-you-mean hints", () => {
    const { errors } = validate(
      [
        "includ: [src]",
        "exclude: [dist, '']",
        "rules:",
        "  disable: [github-pat-clasic, not-a-rule-at-all]",
        "  severity: { aws-acces-key-id: low, github-pat-classic: urgent }",
        "  disabled: []",
        "failOn: hi",
        "egress:",
        "  canaries: ['1.1.1.1:53', example.com, 'x:99999']",
        "  proxy: not a url",
        "  timeoutMs: 1.5",
        "  alowedHosts: [a]",
        "gate: { decisions: { gate-x: block }, alow: [] }",
        "baseline: 3",
      ].join("\n"),
    );
    expect(errors).toEqual([
      "exclude.1: must not be empty",
      'rules.severity.github-pat-classic: Invalid option: expected one of "critical"|"high"|"medium"|"low"|"info"',
      'rules.disabled: unknown key "disabled" (did you mean "disable"?)',
      'failOn: Invalid option: expected one of "critical"|"high"|"medium"|"low"|"info"',
      "baseline: Invalid input: expected string, received number",
      "egress.canaries.1: must be host:port with a port from 1 to 65535 (IPv6 as [addr]:port)",
      "egress.canaries.2: must be host:port with a port from 1 to 65535 (IPv6 as [addr]:port)",
      "egress.proxy: Invalid URL",
      "egress.timeoutMs: Invalid input: expected int, received number",
      'egress.alowedHosts: unknown key "alowedHosts" (did you mean "allowedHosts"?)',
      'gate.decisions.gate-x: Invalid option: expected one of "allow"|"ask"|"deny"',
      'gate.alow: unknown key "alow" (did you mean "allow"?)',
      'includ: unknown key "includ" (did you mean "include"?)',
      'rules.disable.0: unknown rule id "github-pat-clasic" (did you mean "github-pat-classic"?)',
      'rules.disable.1: unknown rule id "not-a-rule-at-all"',
      'rules.severity.aws-acces-key-id: unknown rule id "aws-acces-key-id" (did you mean "aws-access-key-id"?)',
    ]);
  });

  it("names a gate decision key that is not a gate rule id", () => {
    expect(validate("gate: { decisions: { rm: deny, gate-ok: ask }, log: false }").errors).toEqual([
      "gate.decisions.rm: must be a gate rule id (gate-...)",
    ]);
  });

  it("reports unknown rule ids when the rest of the file is valid", () => {
    expect(validate("rules:\n  disable: [github-pat]\n").errors).toEqual([
      'rules.disable.0: unknown rule id "github-pat" (did you mean "github-pat-classic"?)',
    ]);
  });

  it("rejects a root that is not a mapping", () => {
    expect(validate("- include\n").errors).toEqual([
      "(root): Invalid input: expected object, received array",
    ]);
  });

  it("checks rule ids against the packaged rules", () => {
    expect(ruleIds(defaultRules())).toEqual(expect.arrayContaining(IDS));
  });
});

describe("parseConfigText", () => {
  it("rejects duplicate keys, naming the key and its position", () => {
    expect(parseConfigText("exclude: [a]\nexclude: [b]\n").errors).toEqual([
      'line 2, column 1: duplicate key "exclude"',
    ]);
    expect(parseConfigText("rules:\n  disable: [a]\n  disable: [b]\n").errors).toEqual([
      'line 3, column 3: duplicate key "disable"',
    ]);
  });

  it("reports syntax errors by code and position, never quoting the text", () => {
    const secret = "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";
    const { errors } = parseConfigText(`egress:\n  proxy: [${secret}\n`);
    expect(errors.length).toBe(1);
    expect(errors[0]).toMatch(/^line \d+, column \d+: [a-z ]+$/);
    expect(errors.join("\n")).not.toContain(secret.slice(4));
  });

  it("rejects several documents in one file", () => {
    expect(parseConfigText("include: [a]\n---\ninclude: [b]\n").errors).toEqual([
      "line 2, column 1: more than one YAML document",
    ]);
  });
});

describe("loadConfig", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "aa-config-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("returns the empty config when the implicit root file is absent", async () => {
    expect(await loadConfig({ root: dir, ruleIds: IDS })).toEqual({ config: EMPTY_CONFIG, discovered: true });
  });

  it("reads <root>/agent-audit.yaml", async () => {
    writeFileSync(join(dir, "agent-audit.yaml"), "exclude: [fixtures]\nbaseline: b.json\n");
    expect(await loadConfig({ root: dir, ruleIds: IDS })).toEqual({
      config: { ...EMPTY_CONFIG, exclude: ["fixtures"], baseline: join(dir, "b.json") },
      file: join(dir, "agent-audit.yaml"),
      discovered: true,
    });
  });

  it("errors when an explicit --config does not exist", async () => {
    const missing = join(dir, "nope.yaml");
    await expect(loadConfig({ path: missing, root: dir, ruleIds: IDS })).rejects.toThrow(
      `--config ${missing}: no such file`,
    );
  });

  it("errors when the config is a directory", async () => {
    mkdirSync(join(dir, "agent-audit.yaml"));
    await expect(loadConfig({ root: dir, ruleIds: IDS })).rejects.toThrow(
      `config ${join(dir, "agent-audit.yaml")} is a directory, not a regular file`,
    );
  });

  it("throws one UsageError listing every error", async () => {
    const file = join(dir, "custom.yaml");
    writeFileSync(file, "exclud: [a]\nfailOn: urgent\n");
    const err = await loadConfig({ path: file, root: dir, ruleIds: IDS }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as UsageError).message).toBe(
      `invalid config ${file}:\n` +
        '  failOn: Invalid option: expected one of "critical"|"high"|"medium"|"low"|"info"\n' +
        '  exclud: unknown key "exclud" (did you mean "exclude"?)',
    );
  });

  it("throws on duplicate keys", async () => {
    writeFileSync(join(dir, "agent-audit.yaml"), "failOn: high\nfailOn: low\n");
    await expect(loadConfig({ root: dir, ruleIds: IDS })).rejects.toThrow(
      `invalid config ${join(dir, "agent-audit.yaml")}:\n  line 2, column 1: duplicate key "failOn"`,
    );
  });

  it("validates rule ids against the packaged rules by default", async () => {
    writeFileSync(join(dir, "agent-audit.yaml"), "rules:\n  disable: [github-pat-clasic]\n");
    await expect(loadConfig({ root: dir })).rejects.toThrow(
      'rules.disable.0: unknown rule id "github-pat-clasic" (did you mean "github-pat-classic"?)',
    );
  });
});
