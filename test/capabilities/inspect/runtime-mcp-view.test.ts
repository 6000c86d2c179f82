import { describe, expect, it } from "vitest";
import { runInspect } from "../../../src/capabilities/inspect/index.js";
import { gateJudge } from "../../helpers/judge.js";
import { runtimeSandbox } from "../../helpers/runtime.js";

/** `${D}{VAR}` is the config's `${VAR}` reference (a plain string would read as a template slip). */
const D = "$";

// Issue 16: the per-runtime view lists each runtime's MCP servers and skills with their status.
describe("per-runtime MCP view", () => {
  it("lists servers and skills under the runtime that loads them, with their status", async () => {
    const sandbox = runtimeSandbox({
      "~/.claude/settings.json": "{}\n",
      "~/.claude.json": JSON.stringify(
        {
          mcpServers: {
            pinned: { command: "/opt/mcp/notes-server", args: ["--dir", "./notes"] },
            unpinned: { command: "npx", args: ["-y", "some-mcp-server"] },
          },
        },
        null,
        2,
      ),
      "./.mcp.json": JSON.stringify({ mcpServers: { unpinned: { command: "/opt/mcp/local" } } }, null, 2),
      "~/.codex/config.toml": '[mcp_servers.off]\ncommand = "npx"\nargs = ["-y", "x-mcp"]\nenabled = false\n',
      "./CLAUDE.md": "# Project\n\nRun the tests with `npm test`.\n",
      "./AGENTS.md": "# Agents\n\nNever print secrets.\u200b\n",
      "./.cursorrules": "Be brief.\n",
    });
    try {
      const r = await runInspect({
        home: sandbox.home,
        root: sandbox.root,
        systemRoot: sandbox.system,
        origins: new Set(["home", "tree", "system"]),
        mcp: { judge: gateJudge(sandbox.home, sandbox.root), secrets: [] },
      });
      const view = Object.fromEntries(r.agents.runtimes.map((v) => [v.runtime, v.mcp]));
      expect(view["claude-code"]).toEqual({
        servers: ["pinned (user): ok", "unpinned (user): overridden", "unpinned (project): ok"],
        skills: ["./CLAUDE.md: ok"],
      });
      expect(view.codex).toEqual({ servers: ["off (user): disabled"], skills: ["./AGENTS.md: risky"] });
      expect(view["gemini-cli"]).toEqual({ servers: [], skills: [] });
      // The Cursor rules file belongs to no inspected runtime: in the skills list only.
      expect(r.agents.skills?.map((k) => [k.name, k.status])).toEqual([
        ["CLAUDE.md", "ok"],
        ["AGENTS.md", "risky"],
        [".cursorrules", "ok"],
      ]);
    } finally {
      sandbox.cleanup();
    }
  });

  it("says of each env variable and header whether it is written out or referenced, never its value", async () => {
    const sandbox = runtimeSandbox({
      "./.mcp.json": JSON.stringify(
        {
          mcpServers: {
            api: {
              type: "http",
              url: "https://mcp.example.com/mcp",
              headers: { Authorization: `Bearer ${D}{API_TOKEN}`, "X-Team": "platform" },
            },
            local: {
              command: "/opt/mcp/server",
              env: { TOKEN: `${D}{TOKEN}`, MIXED: `${D}{USER_NAME}:s3cr3t-value-1234`, PLAIN: "on" },
            },
          },
        },
        null,
        2,
      ),
    });
    try {
      const r = await runInspect({
        home: sandbox.home,
        root: sandbox.root,
        systemRoot: sandbox.system,
        origins: new Set(["tree"]),
        mcp: { judge: gateJudge(sandbox.home, sandbox.root), secrets: [] },
      });
      expect(r.agents.servers?.map((s) => [s.name, s.env, s.headers])).toEqual([
        [
          "api",
          [],
          [
            { name: "Authorization", from: "mixed", vars: ["API_TOKEN"] },
            { name: "X-Team", from: "literal", vars: [] },
          ],
        ],
        [
          "local",
          [
            { name: "TOKEN", from: "reference", vars: ["TOKEN"] },
            { name: "MIXED", from: "mixed", vars: ["USER_NAME"] },
            { name: "PLAIN", from: "literal", vars: [] },
          ],
          [],
        ],
      ]);
      expect(JSON.stringify(r.agents)).not.toContain("s3cr3t");
    } finally {
      sandbox.cleanup();
    }
  });
});
