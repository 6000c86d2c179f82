import { describe, expect, it } from "vitest";
import { mcpFiles } from "../../../helpers/mcp.js";

// Helper E (hostile review of issue 16): settings written to dodge the approval checks.

const MCP = `{
  "mcpServers": {
    "commander": { "command": "npx", "args": ["-y", "@wonderwhy-er/desktop-commander@0.2.3"] }
  }
}
`;

function rules(r: Awaited<ReturnType<typeof mcpFiles>>): string[] {
  return r.findings.map((f) => `${f.ruleId}:${f.severity}`).sort();
}

describe("pre-approved servers (helper E)", () => {
  it("a deny or ask rule for one tool does not take back an approval of the whole server", async () => {
    const r = await mcpFiles({
      "./.mcp.json": MCP,
      "./.claude/settings.local.json": `{
  "permissions": { "allow": ["mcp__commander"], "deny": ["mcp__commander__no_such_tool"], "ask": ["mcp__commander__other"] }
}
`,
    });
    expect(rules(r)).toContain("mcp-exec-server-unapproved:critical");
  });

  it("an ask or deny rule for the whole server takes it back", async () => {
    for (const back of ['"ask": ["mcp__commander"]', '"deny": ["mcp__commander__*"]']) {
      const r = await mcpFiles({
        "./.mcp.json": MCP,
        "./.claude/settings.local.json": `{ "permissions": { "allow": ["mcp__commander"], ${back} } }\n`,
      });
      expect(rules(r)).not.toContain("mcp-exec-server-unapproved:critical");
    }
  });
});
