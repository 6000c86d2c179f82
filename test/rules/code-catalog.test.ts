import { cpSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { defaultRules, loadRules, ruleCatalog } from "../../src/rules/catalog.js";
import { CODE_RULE_LIST, CODE_RULES } from "../../src/rules/code.js";
import { UsageError } from "../../src/util/errors.js";
import { rulesDir } from "../../src/util/paths.js";
import { tempTree } from "../helpers/tmp.js";

// Issue 9: one rule catalog. The ids emitted in code are declared in rules/code.ts, and the egress
// defaults are a rule kind read by the same loader and cache as the others.

const t = tempTree({});
afterAll(() => t.cleanup());

describe("rules/code.ts", () => {
  it("CODE_RULES holds every declared rule under its own id", () => {
    expect(Object.keys(CODE_RULES)).toEqual(CODE_RULE_LIST.map((r) => r.id));
    for (const r of CODE_RULE_LIST) expect(CODE_RULES[r.id as keyof typeof CODE_RULES]).toBe(r);
  });

  it("the catalog describes a code rule by its declaration", () => {
    expect(ruleCatalog(defaultRules()).find((r) => r.id === "mounted-secret-file")).toEqual({
      id: "mounted-secret-file",
      title: "Secret file mounted into the sandbox",
      severity: "high",
      control: "secret-inventory",
      kind: "secret",
      remediation:
        "Mount only the secrets this agent needs; keep the rest out of its container or service, or behind a proxy that injects them at the point of use.",
    });
    expect(ruleCatalog(defaultRules()).find((r) => r.id === "egress-proxy-missing")).toMatchObject({
      severity: "medium",
      control: "egress-proxy",
      kind: "egress",
    });
  });

  it("a rule file may not take an id declared in code", () => {
    const dir = join(t.dir, "clash");
    mkdirSync(join(dir, "paths"), { recursive: true });
    writeFileSync(
      join(dir, "paths", "mounted-secret-file.yaml"),
      "id: mounted-secret-file\nprovider: x\ntitle: x\nseverity: high\npaths: [x]\nparser: text\nremediation: x\n",
    );
    let err: unknown;
    try {
      loadRules(dir);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toBe(
      `invalid rules:\n  ${join(dir, "paths", "mounted-secret-file.yaml")}: rule id "mounted-secret-file" is declared in code (rules/code.ts)`,
    );
  });
});

describe("rules/egress as a rule kind", () => {
  it("loads with the rule set, each file validated, in name order", () => {
    expect(
      defaultRules().egress.map((e) => [e.id, e.kind, e.label, e.targets.length, e.ports, e.queryName]),
    ).toEqual([
      ["egress-canaries", "canaries", "rules/egress/egress-canaries.yaml", 4, [22, 25, 53], undefined],
      ["egress-metadata", "metadata", "rules/egress/egress-metadata.yaml", 7, undefined, undefined],
      ["egress-resolvers", "resolvers", "rules/egress/egress-resolvers.yaml", 4, undefined, "example.com"],
    ]);
  });

  it("an invalid egress file fails the rule set like any rule file", () => {
    const dir = join(t.dir, "bad-egress");
    cpSync(rulesDir(), dir, { recursive: true });
    writeFileSync(join(dir, "egress", "egress-canaries.yaml"), "id: egress-canaries\nkind: canaries\n");
    expect(() => loadRules(dir)).toThrow(
      [
        "invalid rules:",
        "  rules/egress/egress-canaries.yaml: description: Invalid input: expected string, received undefined",
        "  rules/egress/egress-canaries.yaml: targets: Invalid input: expected array, received undefined",
      ].join("\n"),
    );
  });
});

describe("content rule keywords", () => {
  // The keyword matcher reads a file's bytes as latin1, and a character past latin1 in a string as
  // NUL (detect/keywords.ts): a keyword holding either could never match, and is refused.
  it.each([
    ["past latin1", "wide", '["efgh", "\u043a\u043b\u044e\u0447"]', 1],
    ["with a NUL", "nul", '["ab\\0cd", "efgh"]', 0],
  ])("a keyword %s is refused", (_what, name, keywords, at) => {
    const dir = join(t.dir, `${name}-keyword`);
    mkdirSync(join(dir, "secrets"), { recursive: true });
    writeFileSync(
      join(dir, "secrets", `${name}.yaml`),
      [
        `id: ${name}-keyword`,
        "provider: x",
        "type: api-key",
        "title: x",
        "severity: high",
        `keywords: ${keywords}`,
        'regex: "efgh[0-9]{8}"',
        "secretGroup: 0",
        "remediation: x",
        "examples:",
        "  match: [efgh12345678, efgh87654321]",
        "  noMatch: [efgh]",
        "",
      ].join("\n"),
    );
    expect(() => loadRules(dir)).toThrow(
      `invalid rules:\n  ${join(dir, "secrets", `${name}.yaml`)}: keywords.${at}: a keyword is latin1 characters only, with no NUL (the text is matched byte by byte)`,
    );
  });
});
