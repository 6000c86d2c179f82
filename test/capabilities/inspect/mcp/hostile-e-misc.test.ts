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

const GHP = "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";

/** Each server's findings as "rule@line". */
function perServer(r: Awaited<ReturnType<typeof mcpFiles>>): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const s of r.servers)
    out[s.name] = s.findings
      .map((fp) => r.findings.find((f) => f.fingerprint === fp)!)
      .map((f) => `${f.ruleId}@${f.location.line}`)
      .sort();
  return out;
}

describe("secrets linked to servers (helper E)", () => {
  it("a literal token given as the default of a VAR:-default reference is a secret the server receives", async () => {
    const r = await mcpFiles({
      "./.mcp.json": `{
  "mcpServers": {
    "gh": {
      "command": "node",
      "args": ["server.js"],
      "env": { "GITHUB_TOKEN": "\${UNSET_VAR:-${GHP}}" }
    }
  }
}
`,
    });
    expect(perServer(r).gh).toEqual(["mcp-server-broad-token@3", "mcp-server-receives-secret@3"]);
  });

  it("in a one-line file, the secret goes to the server whose value holds it, not to every server on the line", async () => {
    const r = await mcpFiles({
      "~/.gemini/settings.json": `{"mcpServers": {"plain": {"command": "node", "args": ["x.js"]}, "gh": {"command": "node", "env": {"GITHUB_TOKEN": "${GHP}"}}, "web": {"httpUrl": "https://mcp.example.com/mcp"}}}\n`,
    });
    expect(perServer(r)).toEqual({
      plain: [],
      gh: ["mcp-server-broad-token@1", "mcp-server-receives-secret@1"],
      web: [],
    });
  });
});
