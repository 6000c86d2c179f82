import { describe, expect, it } from "vitest";
import { parseConfig } from "../../../src/capabilities/inspect/read.js";

// Hostile review of issue 16: Codex servers written with dotted keys or quoted names with dots in
// them get their line (a finding without a line points nowhere in a long config.toml).
describe("TOML key lines", () => {
  const text = [
    'model = "gpt-5"', // 1
    'mcp_servers.a.command = "npx"', // 2
    '[mcp_servers."my.srv"]', // 3
    'command = "y"', // 4
    "[mcp_servers.b]", // 5
    'env = { K = "v" }', // 6
    '[[profiles."x"]]', // 7
    "  name = 'p' # trailing", // 8
    '"quoted.key" = 1', // 9
    "# a comment = not a key", // 10
  ].join("\n");
  const f = parseConfig({ abs: "/c.toml", scope: "user", origin: "home", format: "toml" }, text, (m) => {
    throw new Error(m);
  });
  it.each([
    [["model"], 1],
    [["mcp_servers"], 2],
    [["mcp_servers", "a"], 2],
    [["mcp_servers", "a", "command"], 2],
    [["mcp_servers", "my.srv"], 3],
    [["mcp_servers", "my.srv", "command"], 4],
    [["mcp_servers", "b"], 5],
    [["mcp_servers", "b", "env"], 6],
    [["mcp_servers", "b", "env", "K"], undefined],
    [["profiles", "x", "name"], 8],
    [["profiles", "x", "quoted.key"], 9],
    [["mcp_servers", "my"], undefined],
  ] as [string[], number | undefined][])("%j is at line %s", (path, line) => {
    expect(f.lineOf(path)).toBe(line);
  });
});
