import { execFileSync } from "node:child_process";
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  bool,
  ConfigReader,
  type ConfigSpec,
  MAX_DEPTH,
  parseConfig,
  showPath,
  str,
  strs,
  tooDeep,
} from "../../../src/capabilities/inspect/read.js";
import { tempTree } from "../../helpers/tmp.js";

// The runtime config reader (issue 10): the agent writes these files, so every way one can be
// wrong is an issue naming the file and the position, never a crash, never a silent pass.

const spec = (format: ConfigSpec["format"]): ConfigSpec => ({
  abs: "/x",
  scope: "user",
  origin: "home",
  format,
});
function parse(format: ConfigSpec["format"], text: string) {
  const issues: string[] = [];
  const file = parseConfig(spec(format), text, (m) => issues.push(m));
  return { file, issues };
}

describe("parseConfig", () => {
  it("reports a JSON error by line and column, without quoting the text", () => {
    const { file, issues } = parse(
      "json",
      '{\n  "env": {\n    "TOKEN": "ghp_secretvalue000000000000000000000000",\n  },\n}',
    );
    expect(file.ok).toBe(false);
    expect(issues).toEqual(["not valid JSON at line 4, column 3: PropertyNameExpected"]);
  });

  it("strict JSON refuses comments; JSONC takes them", () => {
    expect(parse("json", '{ // c\n "a": 1 }').issues).toEqual([
      "not valid JSON at line 1, column 3: InvalidCommentToken",
    ]);
    const j = parse("jsonc", '{ // c\n "a": 1 /* d */ }');
    expect(j.issues).toEqual([]);
    expect(j.file.value).toEqual({ a: 1 });
  });

  it("gives the line of a key", () => {
    const { file } = parse("json", '{\n  "permissions": {\n    "defaultMode": "bypassPermissions"\n  }\n}');
    expect(file.lineOf(["permissions", "defaultMode"])).toBe(3);
    expect(file.lineOf(["nope"])).toBeUndefined();
  });

  it("treats a __proto__ key as data", () => {
    const { file } = parse("json", '{"__proto__": {"polluted": true}, "a": 1}');
    expect(Object.hasOwn(file.value as object, "__proto__")).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it("refuses nesting deeper than MAX_DEPTH, at the position where it happens", () => {
    const deep = `${"[".repeat(MAX_DEPTH + 1)}${"]".repeat(MAX_DEPTH + 1)}`;
    expect(parse("json", deep).issues).toEqual([
      `not parsed: nested deeper than ${MAX_DEPTH} levels at line 1, column ${MAX_DEPTH + 1}`,
    ]);
    expect(tooDeep('{"a": "[[[[[[[[[["}', false)).toBeUndefined();
    // 100k levels: no stack overflow, an issue.
    expect(parse("json", "[".repeat(100_000)).issues[0]).toMatch(/^not parsed: nested deeper/);
    expect(parse("toml", `a = ${"[".repeat(1000)}${"]".repeat(1000)}`).issues[0]).toMatch(/^not valid TOML/);
  });

  it("reports TOML errors by line and column without smol-toml's code excerpt", () => {
    const { file, issues } = parse("toml", 'model = "o3"\napproval_policy = "never\nsandbox_mode = 1');
    expect(file.ok).toBe(false);
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatch(/^not valid TOML at line 2, column \d+/);
    expect(issues[0]).not.toContain("never");
  });

  it("gives the line of a TOML key, top level and in a table", () => {
    const { file } = parse(
      "toml",
      'approval_policy = "never"\n\n[sandbox_workspace_write]\nnetwork_access = true\n',
    );
    expect(file.lineOf(["approval_policy"])).toBe(1);
    expect(file.lineOf(["sandbox_workspace_write", "network_access"])).toBe(4);
  });

  it("reports YAML errors by code and position, and bounds aliases", () => {
    expect(parse("yaml", "approvals:\n  mode: off\n    bad: [").issues[0]).toMatch(
      /^not valid YAML at line \d+, column \d+: [A-Z_]+$/,
    );
    const bomb = ['a: &a ["x","x","x","x","x","x","x","x","x","x"]'];
    for (let i = 1; i < 12; i++)
      bomb.push(
        `${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(10)
          .fill(`*${String.fromCharCode(96 + i)}`)
          .join(",")}]`,
      );
    const r = parse("yaml", bomb.join("\n"));
    expect(r.file.ok).toBe(false);
    expect(r.issues[0]).toMatch(/^not valid YAML/);
  });

  it("gives the line of a YAML key", () => {
    const { file } = parse("yaml", "approvals:\n  mode: off\n  cron_mode: approve\n");
    expect(file.lineOf(["approvals", "cron_mode"])).toBe(3);
  });
});

describe("typed accessors", () => {
  it("record a wrong type as an issue with the line and key, and read it as unset", () => {
    const reader = new ConfigReader({ home: "/", tree: "/", system: "/" });
    const issues: string[] = [];
    const file = parseConfig(
      spec("json"),
      '{\n  "permissions": {\n    "allow": "Bash",\n    "deny": ["Read(~/.ssh/**)", 3]\n  },\n  "sandbox": {"enabled": "yes"}\n}',
      (m) => issues.push(m),
    );
    expect(strs(reader, file, ["permissions", "allow"])).toEqual([]);
    expect(strs(reader, file, ["permissions", "deny"])).toEqual(["Read(~/.ssh/**)"]);
    expect(bool(reader, file, ["sandbox", "enabled"])).toBeUndefined();
    expect(str(reader, file, ["permissions", "defaultMode"])).toBeUndefined();
    expect(reader.issues).toEqual([
      {
        where: "/x",
        message:
          "line 3: permissions.allow: expected an array of strings, found a string (ignored, as the runtime would reject or ignore it)",
      },
      {
        where: "/x",
        message:
          "line 4: permissions.deny[1]: expected a string, found a number (ignored, as the runtime would reject or ignore it)",
      },
      {
        where: "/x",
        message:
          "line 6: sandbox.enabled: expected true or false, found a string (ignored, as the runtime would reject or ignore it)",
      },
    ]);
  });

  it("shows long keys cut", () => {
    expect(showPath(["a".repeat(100), 2])).toBe(`${"a".repeat(64)}…[2]`);
  });
});

describe("ConfigReader.load", () => {
  it("absent is undefined and silent; hostile files are issues", async () => {
    const t = tempTree({
      "home/.keep": "",
      "outside/settings.json": "{}",
      "home/big.json": `{"a":"${"x".repeat(1024 * 1024)}"}`,
    });
    try {
      const home = join(t.dir, "home");
      mkdirSync(join(home, ".claude"));
      symlinkSync(join(t.dir, "outside/settings.json"), join(home, ".claude/settings.json"));
      execFileSync("mkfifo", [join(home, "fifo.json")]);
      const reader = new ConfigReader({ home, tree: home, system: "/" });
      const load = (rel: string) =>
        reader.load({ abs: join(home, rel), scope: "user", origin: "home", format: "json" });
      expect(await load("nope.json")).toBeUndefined();
      expect((await load(".claude/settings.json"))?.ok).toBe(false);
      expect((await load("fifo.json"))?.ok).toBe(false);
      expect((await load("big.json"))?.ok).toBe(false);
      expect(reader.issues.map((i) => [i.where.slice(home.length), i.message])).toEqual([
        [
          "/.claude/settings.json",
          "skipped: leads outside the home directory (a symlink); the runtime follows it, so inspect its target by hand",
        ],
        ["/fifo.json", "skipped: is a FIFO, not a regular file"],
        ["/big.json", `skipped: is ${1024 * 1024 + 8} bytes, over the ${1024 * 1024}-byte limit`],
      ]);
    } finally {
      t.cleanup();
    }
  });

  it("lists a config directory sorted, capped, dotfiles left out", async () => {
    const files: Record<string, string> = {
      "d/.hidden.json": "{}",
      "d/b.json": "{}",
      "d/a.json": "{}",
      "d/c.txt": "",
    };
    const t = tempTree(files);
    try {
      const reader = new ConfigReader({ home: t.dir, tree: t.dir, system: "/" });
      expect((await reader.list(join(t.dir, "d"), ".json")).map((p) => p.slice(t.dir.length))).toEqual([
        "/d/a.json",
        "/d/b.json",
      ]);
      expect(await reader.list(join(t.dir, "none"), ".json")).toEqual([]);
      writeFileSync(join(t.dir, "f"), "");
      expect(await reader.list(join(t.dir, "f"), ".json")).toEqual([]);
      expect(reader.issues).toEqual([]);
    } finally {
      t.cleanup();
    }
  });
});
