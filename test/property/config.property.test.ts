import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { loadConfig, parseConfigText, ruleIds, validateConfig } from "../../src/config/index.js";
import { looksRandom } from "../../src/detect/randomness.js";
import { defaultRules } from "../../src/rules/catalog.js";
import { UsageError } from "../../src/util/errors.js";
import {
  arbitraryText,
  countWork,
  distinctValue,
  leaks,
  linearBound,
  nearValid,
  plant,
  separator,
  token,
  yamlText,
} from "./support.js";

// Issue 8, "Then, by construction": agent-audit.yaml may be the agent's (found in the audited
// root). Whatever it holds, loading it either succeeds or throws one UsageError whose lines each
// name one problem; no line shows a token planted anywhere in the file; the work is linear.

const IDS = ruleIds(defaultRules());
const generatedToken = token.filter((t) => looksRandom(t, 16));
const dir = mkdtempSync(join(tmpdir(), "agent-audit-configprop-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const scalar = fc.oneof(
  fc.constantFrom(
    "high",
    "critical",
    "low",
    "x",
    "1",
    "true",
    "[]",
    "{}",
    "~",
    "defaults",
    "host:80",
    "[::1]:53",
    "http://p:3128",
  ),
  fc.string({ maxLength: 12 }).map((s) => JSON.stringify(s)),
  fc.constantFrom(...IDS.slice(0, 5)),
);
const configKey = fc.oneof(
  fc.constantFrom(
    "include",
    "exclude",
    "rules",
    "disable",
    "severity",
    "failOn",
    "baseline",
    "egress",
    "canaries",
    "proxy",
    "timeoutMs",
    "ports",
    "gate",
    "mode",
    "allow",
    "excludes",
    "failon",
  ),
  fc.constantFrom(...IDS.slice(0, 5)),
  fc.string({ unit: fc.constantFrom(..."abcxyz_-.".split("")), minLength: 1, maxLength: 8 }),
);
/** Config-shaped YAML: nested mappings and lists of the schema's keys, near-misses, and junk. */
const configYaml: fc.Arbitrary<string> = fc
  .array(
    fc.oneof(
      fc.tuple(configKey, scalar).map(([k, v]) => `${k}: ${v}`),
      fc.tuple(configKey, configKey, scalar).map(([k, k2, v]) => `${k}:\n  ${k2}: ${v}`),
      fc
        .tuple(configKey, fc.array(scalar, { maxLength: 3 }))
        .map(([k, vs]) => `${k}:\n${vs.map((v) => `  - ${v}`).join("\n")}`),
      fc
        .tuple(configKey, configKey, configKey, scalar)
        .map(([a, b, c, v]) => `${a}:\n  ${b}:\n    ${c}: ${v}`),
      fc.constantFrom(
        "rules:\n  disable: &a [x, y]\n  severity: *a",
        "a: &x [*x]",
        "# comment",
        "---",
        "include: *nope",
      ),
    ),
    { maxLength: 6 },
  )
  .map((lines) => lines.join("\n"));

const hostileConfig = fc.oneof(arbitraryText, nearValid(configYaml), nearValid(yamlText));

/** parseConfigText then validateConfig, as loadConfig runs them: the errors it would report. */
function errorsOf(text: string): string[] {
  const parsed = parseConfigText(text);
  if (parsed.errors.length) return parsed.errors;
  return validateConfig(parsed.data, { dir: "/cfg", ruleIds: IDS }).errors;
}

describe("config loader: arbitrary text (issue 8)", () => {
  it("parseConfigText and validateConfig never throw; every error is one line", () => {
    fc.assert(
      fc.property(hostileConfig, (text) => {
        for (const e of errorsOf(text)) {
          expect(typeof e).toBe("string");
          expect(e).not.toMatch(/[\r\n]/);
        }
      }),
      { numRuns: 300 },
    );
  });

  it("loadConfig throws nothing but a UsageError: a header line and one line per error", async () => {
    const file = join(dir, "agent-audit.yaml");
    await fc.assert(
      fc.asyncProperty(hostileConfig, async (text) => {
        writeFileSync(file, text);
        // The file reader drops a leading UTF-8 byte-order mark (util/safe-read.ts), so columns count
        // from the text after it, as an editor shows them (a seed found "\uFEFF\"": column 2, not 3).
        const errors = errorsOf(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
        const got = await loadConfig({ path: file, root: dir, ruleIds: IDS }).then(
          () => undefined,
          (e: unknown) => e,
        );
        if (got === undefined) return;
        expect(got).toBeInstanceOf(UsageError);
        const lines = (got as UsageError).message.split("\n");
        expect(lines[0]).toBe(`invalid config ${file}:`);
        // The header plus each error: nothing the parser says spills onto another line.
        if (errors.length) expect(lines.slice(1)).toEqual(errors.map((e) => `  ${e}`));
      }),
      { numRuns: 100 },
    );
  });

  it("a config file with a byte-order mark: the error's column counts from after it", async () => {
    const file = join(dir, "agent-audit.yaml");
    writeFileSync(file, '\uFEFF"');
    const got = await loadConfig({ path: file, root: dir, ruleIds: IDS }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((got as UsageError).message.split("\n")).toEqual([
      `invalid config ${file}:`,
      ...errorsOf('"').map((e) => `  ${e}`),
    ]);
    expect(errorsOf('"')).toEqual(["line 1, column 2: missing char"]);
  });
});

describe("config loader: a planted token is never printed (issue 8)", () => {
  it("in keys, values, rule ids, anchors and comments", () => {
    fc.assert(
      fc.property(
        nearValid(configYaml),
        // Tokens that look generated; the low-entropy ones are the per-shape tests' (below).
        generatedToken,
        fc.nat(),
        separator,
        separator,
        (text, t, at, before, after) => {
          for (const e of errorsOf(plant(text, t, at, before, after))) expect(leaks(e, t), e).toBe(false);
        },
      ),
      { numRuns: 300 },
    );
  });
});

// Each place the loader echoes a name from the file, with a token as (part of) that name.
const SHAPES: Record<string, (t: string) => string> = {
  "unknown top-level key": (t) => `${t}: 1`,
  "unknown nested key": (t) => `rules:\n  ${t}: 1`,
  "unknown rule id in rules.disable": (t) => `rules:\n  disable: [${t}]`,
  "unknown rule id in rules.severity": (t) => `rules:\n  severity:\n    ${t}: high`,
  "bad severity value under a token id": (t) => `rules:\n  severity:\n    ${t}: ${t}`,
  "unknown egress key": (t) => `egress:\n  ${t}: [x]`,
  "bad failOn value": (t) => `failOn: ${t}`,
  "bad canary": (t) => `egress:\n  canaries: [${t}]`,
  "bad proxy": (t) => `egress:\n  proxy: ${t}`,
  "proxy with userinfo": (t) => `egress:\n  proxy: http://u:${t}@h:1`,
  "duplicate key": (t) => `${t}: 1\n${t}: 2`,
  "duplicate known key": (t) => `exclude: []\nexclude: [${t}]`,
  "bad gate mode": (t) => `gate:\n  mode: ${t}`,
  "unknown alias": (t) => `include: *${t}`,
};

/** Tokens the content rules know although they do not look generated, bare and glued to a letter. */
const LOW_ENTROPY: [string, string][] = [
  [["AK", "IA"].join("") + "A".repeat(16), ""],
  [["gh", "p_"].join("") + "A".repeat(36), ""],
  [["AK", "IA"].join("") + "A".repeat(16), "x"],
  [["AK", "IA"].join("") + "A".repeat(16), "my-"],
  [["gh", "p_"].join("") + "A".repeat(36), "a."],
  [["gh", "p_"].join("") + "0".repeat(36), "_"],
];

describe("config loader: a planted token in each echoed name is never printed (issue 8)", () => {
  for (const [what, shape] of Object.entries(SHAPES)) {
    it(what, () => {
      fc.assert(
        fc.property(token, fc.constantFrom("", "x", "_", "my-", "a."), (t, pre) => {
          for (const e of errorsOf(shape(pre + t))) expect(leaks(e, t), e).toBe(false);
        }),
        // Low-entropy tokens first, every run: a name that does not look generated is echoed.
        { numRuns: 100, examples: LOW_ENTROPY },
      );
    });
  }
});

describe("config loader: linear work (issue 8)", () => {
  const units: ((v: string, i: string) => string)[] = [
    (v, i) => `k${i}_${v}: 1\n`,
    (_v, i) => `  - "glob/${i}/**"\n`,
    (v) => `# ${v}\n`,
    (v, i) => `    rule-${i}-${v.toLowerCase()}: high\n`,
    (v, i) => `  - id-${i}-${v.toLowerCase()}\n`,
  ];
  const heads = ["", "exclude:\n", "", "rules:\n  severity:\n", "rules:\n  disable:\n"];
  it("n and 4n entries of one kind: at most 4 times the work", () => {
    fc.assert(
      fc.property(
        fc.integer(),
        fc.constantFrom(...units.keys()),
        fc.integer({ min: 100, max: 200 }),
        (seed, u, n) => {
          const doc = (k: number) =>
            heads[u] +
            Array.from({ length: k }, (_, i) =>
              units[u]!(distinctValue(seed, i, 8), String(i).padStart(6, "0")),
            ).join("");
          const small = countWork(() => errorsOf(doc(n)));
          const big = countWork(() => errorsOf(doc(4 * n)));
          expect(big.result.length).toBeLessThanOrEqual(4 * n);
          expect(big.work, `work ${small.work} -> ${big.work}`).toBeLessThanOrEqual(
            linearBound(small.work, n),
          );
        },
      ),
      { numRuns: 15 },
    );
  });
});
