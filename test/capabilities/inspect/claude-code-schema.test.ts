import { readdirSync, readFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { Ajv } from "ajv";
import formats from "ajv-formats";
import { describe, expect, it } from "vitest";
import { defaultRules } from "../../../src/rules/catalog.js";

// Claude Code settings files that agent-audit's tests read or its rules show (issue 10: "generated
// or read Claude Code settings fixtures validate against the schema"): every settings file of
// fixtures/runtimes/claude-code/ and every settings file in the examples of rules/runtime/claude-*,
// against SchemaStore's schema (test/schemas/claude-code-settings.schema.json, see its README).
// ~/.claude.json is state, not settings, and is not validated. Deliberately malformed inputs live
// in the tests that build them, never here.

const SCHEMA = resolve("test/schemas/claude-code-settings.schema.json");
const FIXTURES = resolve("fixtures/runtimes/claude-code");

function validator() {
  const ajv = new Ajv({ strict: false, allErrors: true });
  // ajv-formats is CommonJS: its plugin is the module itself (and its `default`).
  const addFormats = (formats as unknown as { default?: typeof formats }).default ?? formats;
  (addFormats as unknown as (a: Ajv) => void)(ajv);
  return ajv.compile(JSON.parse(readFileSync(SCHEMA, "utf8")));
}
const validate = validator();

/** A settings file by its name: settings.json, settings.local.json, managed-settings.json, managed-settings.d/*.json. */
function isSettings(path: string): boolean {
  return /(^|\/)\.claude\/settings(\.local)?\.json$|(^|\/)managed-settings\.json$|(^|\/)managed-settings\.d\/[^/]+\.json$/.test(
    path,
  );
}

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)],
  );
}

function errors(value: unknown): string[] {
  return validate(value) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
}

const fixtureFiles = walk(FIXTURES)
  .filter(isSettings)
  .map((p) => relative(FIXTURES, p))
  .sort();
const examples = defaultRules()
  .runtime.filter((c) => c.runtime === "claude-code")
  .flatMap((c) =>
    [
      ...c.examples.match.map((e, i) => ["match", e, i] as const),
      ...c.examples.noMatch.map((e, i) => ["noMatch", e, i] as const),
    ].flatMap(([kind, e, i]) =>
      Object.entries(e.files)
        .filter(([path]) => isSettings(path))
        .map(([path, text]) => ({ name: `${c.id} ${kind} ${i + 1} ${path}`, text })),
    ),
  );

describe("Claude Code settings validate against the settings schema", () => {
  it("finds the files it validates", () => {
    expect(fixtureFiles).toEqual([
      "safe/home/.claude/settings.json",
      "safe/system/etc/claude-code/managed-settings.d/20-credentials.json",
      "safe/system/etc/claude-code/managed-settings.json",
      "safe/tree/.claude/settings.json",
      "safe/tree/.claude/settings.local.json",
      "unsafe/home/.claude/settings.json",
      "unsafe/system/etc/claude-code/managed-settings.d/50-dev.json",
      "unsafe/tree/.claude/settings.json",
      "unsafe/tree/.claude/settings.local.json",
    ]);
    expect(examples.length).toBeGreaterThanOrEqual(40);
  });

  it("the schema rejects what it should (the check is not vacuous)", () => {
    expect(errors({ permissions: { allow: "Bash" } })).toEqual(["/permissions/allow must be array"]);
    expect(errors({ sandbox: { enabled: "yes" } })).toEqual(["/sandbox/enabled must be boolean"]);
    expect(errors({ permissions: { defaultMode: "bypassPermissions" } })).toEqual([]);
    // ajv-formats is on: a "uri" field is checked.
    expect(errors({ blockedMarketplaces: [{ source: "url", url: "not a uri" }] })).toContain(
      '/blockedMarketplaces/0/url must match format "uri"',
    );
    expect(errors({ blockedMarketplaces: [{ source: "url", url: "https://example.com/m.json" }] })).toEqual(
      [],
    );
  });

  for (const f of fixtureFiles) {
    it(`fixture ${f}`, () => {
      expect(errors(JSON.parse(readFileSync(join(FIXTURES, f), "utf8")))).toEqual([]);
    });
  }

  for (const e of examples) {
    it(`example ${e.name}`, () => {
      expect(errors(JSON.parse(e.text))).toEqual([]);
    });
  }
});
