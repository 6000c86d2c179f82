import { describe, expect, it } from "vitest";
import type { AuditReport, McpServerView } from "../../src/contract/types.js";
import { buildAllowlist } from "../../src/fix/allowlist.js";

// Issue 16: the hosts MCP servers need are proposed (never added) by the egress allowlist.
function server(over: Partial<McpServerView>): McpServerView {
  return {
    client: "claude-code",
    scope: "user",
    file: "/home/agent/.claude.json",
    name: "github",
    transport: "http",
    url: "https://api.githubcopilot.com/mcp/",
    env: [],
    headers: [],
    hosts: ["api.githubcopilot.com"],
    disabled: false,
    findings: [],
    ...over,
  };
}

function report(servers: McpServerView[]): AuditReport {
  return {
    schemaVersion: 1,
    tool: { name: "agent-audit", version: "0.0.0" },
    target: { home: "/home/agent", root: "/home/agent/project", user: "agent", hostname: "h" },
    findings: [],
    probes: [],
    egress: { posture: "unknown" },
    checklist: [],
    score: { passed: 0, evaluated: 0, total: 6 },
    issues: [],
    agents: { runtimes: [], markers: [], servers },
  };
}

describe("buildAllowlist and MCP servers", () => {
  it("proposes each started server's hosts once, naming the server; allowed, disabled and overridden ones are not proposed", () => {
    const r = report([
      server({}),
      server({
        name: "npm",
        transport: "stdio",
        url: undefined,
        launcher: "npx -y pkg",
        hosts: ["registry.npmjs.org"],
      }),
      server({ name: "again", hosts: ["api.githubcopilot.com"] }),
      server({ name: "off", disabled: true, hosts: ["off.example.com"] }),
      server({ name: "shadowed", overriddenBy: "/p/.mcp.json", hosts: ["shadow.example.com"] }),
      server({ name: "allowed", hosts: ["api.example.com"] }),
      server({ name: "bad", hosts: ["not a host"] }),
    ]);
    const a = buildAllowlist(r, { flags: ["*.example.com"] });
    expect(a.hosts.map((h) => h.host)).toEqual(["example.com"]);
    expect(a.proposed).toEqual([
      { host: "api.githubcopilot.com", reason: 'MCP server "github" (claude-code user) needs it' },
      { host: "registry.npmjs.org", reason: 'MCP server "npm" (claude-code user) needs it' },
    ]);
  });
});
