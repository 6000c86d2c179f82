import { describe, expect, it } from "vitest";
import { parseConfig } from "../../../../src/capabilities/inspect/read.js";
import { mcpFiles } from "../../../helpers/mcp.js";

// Hostile review of issue 16: VS Code's JSON reader takes a trailing comma in mcp.json, so one
// comma must not hide every server of the file from agent-audit while VS Code starts them. Cursor
// rejects it, so there the file stays not valid (an issue), as the client sees it.
const WITH_COMMAS = `{
  // a comment, as VS Code allows
  "servers": {
    "fs": { "command": "npx", "args": ["-y", "@modelcontextprotocol/server-filesystem", "/",], },
  },
}
`;

describe("trailing commas", () => {
  it("VS Code's mcp.json with trailing commas is read, at the right lines", async () => {
    const r = await mcpFiles({ "./.vscode/mcp.json": WITH_COMMAS });
    expect(r.issues).toEqual([]);
    expect(r.servers.map((s) => [s.client, s.name, s.launcher])).toEqual([
      ["vscode", "fs", "npx -y @modelcontextprotocol/server-filesystem /"],
    ]);
    expect(r.findings.map((f) => [f.ruleId, f.severity, f.location.line])).toEqual([
      ["mcp-filesystem-broad", "high", 4],
      ["mcp-launcher-unpinned", "high", 4],
    ]);
  });

  it("Cursor's file with the same commas is not valid JSON (an issue), as Cursor sees it", async () => {
    const r = await mcpFiles({ "./.cursor/mcp.json": WITH_COMMAS.replace('"servers"', '"mcpServers"') });
    expect(r.servers).toEqual([]);
    expect(r.issues.map((i) => i.message)).toEqual([
      "not valid JSON (with comments) at line 4, column 93: ValueExpected",
    ]);
  });

  it("a comma inside a string, or one before a value, is left alone", () => {
    const spec = {
      abs: "/x.json",
      scope: "user",
      origin: "home" as const,
      format: "jsonc" as const,
      trailingCommas: true,
    };
    const issues: string[] = [];
    const f = parseConfig(spec, '{"a": ",}", "b": [1, 2,], "c": {"d": ",]",},}', (m) => issues.push(m));
    expect(issues).toEqual([]);
    expect(f.value).toEqual({ a: ",}", b: [1, 2], c: { d: ",]" } });
    const g = parseConfig(spec, '{"a": [,1]}', (m) => issues.push(m));
    expect(g.ok).toBe(false);
    expect(issues).toEqual(["not valid JSON (with comments) at line 1, column 8: ValueExpected"]);
  });
});
