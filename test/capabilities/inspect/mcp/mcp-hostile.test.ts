import { mkdirSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runMcp } from "../../../../src/capabilities/inspect/mcp/index.js";
import type { CommandJudge } from "../../../../src/capabilities/inspect/mcp/types.js";
import { ConfigReader } from "../../../../src/capabilities/inspect/read.js";
import { defaultRules } from "../../../../src/rules/catalog.js";
import { mcpFiles } from "../../../helpers/mcp.js";
import { tempTree } from "../../../helpers/tmp.js";

// Everything an MCP config holds is the agent's to write (issue 16): floods, deep nesting, broken
// files, control characters and secrets in server names, arguments, URLs and keys, symlinks out of
// the home, a judge that throws. Nothing throws, nothing unbounded, no secret value and no control
// character reaches a title, a location or a view.

const GHP = "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";
const AKIA = "AKIAZ7QWERTY4UIOP3XC";
const RANDOM = "k7Q2mZ9xR4vT8nB3wL6yP1cF5hJ0sD2g";
const PASSWORD = "Vq8sT2mN5xK9wL3r";
const SECRETS = [GHP, AKIA, RANDOM, PASSWORD];

/** Every string of the findings and views (what a report would print). */
function printed(r: { findings: unknown; servers: unknown; skills: unknown; toolLists: unknown }): string[] {
  const out: string[] = [];
  const walk = (v: unknown) => {
    if (typeof v === "string") out.push(v);
    else if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === "object") Object.values(v).forEach(walk);
  };
  walk([r.findings, r.servers, r.skills, r.toolLists]);
  return out;
}

describe("hostile MCP configs", () => {
  it("secrets and control characters in names, arguments, URLs and keys never reach titles, locations or views", async () => {
    const name = `gh\u001b[31m-${GHP}`;
    const config = {
      mcpServers: {
        [name]: {
          command: "npx",
          args: ["-y", `evil\u0007pkg-${RANDOM}`, "--token", GHP, `--aws-key=${AKIA}`, "/"],
          env: { [`KEY_${GHP}`]: GHP, "\u001b]0;title\u0007": "$SECRET" },
        },
        remote: {
          type: "http",
          url: `http://admin:${PASSWORD}@mcp.example.com/mcp/${RANDOM}/sse?api_key=${RANDOM}`,
          headers: { Authorization: `Bearer ${GHP}`, [`X-${AKIA}`]: "v" },
        },
        [`docker\u202e${RANDOM}`]: {
          command: "docker",
          args: ["run", "--privileged", "-v", `/:/${RANDOM}`, `registry.example.com/${RANDOM}`],
        },
      },
    };
    const r = await mcpFiles({ "~/.claude.json": `${JSON.stringify(config, null, 2)}\n` });
    expect(r.findings.length).toBeGreaterThan(5);
    for (const s of printed(r)) {
      for (const secret of SECRETS) expect(s).not.toContain(secret);
      expect(s).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e]/);
    }
    // The linked inventory secrets are the inventory's findings (which show previews only).
    expect(r.findings.some((f) => f.ruleId === "mcp-server-receives-secret")).toBe(true);
  });

  it("a flood of servers is cut with an issue, quickly", async () => {
    const servers: Record<string, unknown> = {};
    for (let i = 0; i < 5000; i++) servers[`s${i}`] = { command: "npx", args: ["-y", `pkg${i}`] };
    const started = performance.now();
    const r = await mcpFiles({ "./.mcp.json": JSON.stringify({ mcpServers: servers }) });
    expect(performance.now() - started).toBeLessThan(20_000);
    expect(r.servers.length).toBe(256);
    expect(r.issues.map((i) => i.message)).toContain(
      "skipped: 4744 of 5000 MCP servers not read (at most 256 per file)",
    );
  });

  it("huge arguments and values are cut; deep nesting and broken files are issues", async () => {
    const big = "A".repeat(400_000);
    const deep = `${'{"mcpServers":'.repeat(1)}${"[".repeat(100_000)}${"]".repeat(100_000)}}`;
    const r = await mcpFiles({
      "./.mcp.json": JSON.stringify({
        mcpServers: { big: { command: "node", args: [big], env: { X: big } } },
      }),
      "~/.cursor/mcp.json": deep,
      "~/.codex/config.toml": '[mcp_servers.x\ncommand = "npx"\n',
      "~/.gemini/settings.json": "\u0000\u0001binary",
      "~/.codeium/windsurf/mcp_config.json": "null",
      "~/.config/Claude/claude_desktop_config.json": '{ "mcpServers": "nope" }',
    });
    expect(r.servers.map((s) => s.name)).toEqual(["big"]);
    expect(r.servers[0]!.launcher!.length).toBeLessThan(3000);
    expect(r.issues.map((i) => i.where.replace(r.home, "~").replace(r.root, "."))).toEqual(
      expect.arrayContaining(["~/.cursor/mcp.json", "~/.codex/config.toml", "~/.gemini/settings.json"]),
    );
  });

  it("does not follow a symlink out of the home", async () => {
    const outside = tempTree({
      "secret-mcp.json": JSON.stringify({ mcpServers: { planted: { command: "/bin/x" } } }),
    });
    const home = tempTree({});
    try {
      mkdirSync(join(home.dir, "home/.cursor"), { recursive: true });
      mkdirSync(join(home.dir, "root"), { recursive: true });
      mkdirSync(join(home.dir, "system"), { recursive: true });
      symlinkSync(join(outside.dir, "secret-mcp.json"), join(home.dir, "home/.cursor/mcp.json"));
      const h = join(home.dir, "home");
      const read = new ConfigReader({
        home: h,
        tree: join(home.dir, "root"),
        system: join(home.dir, "system"),
      });
      const r = await runMcp({
        ctx: {
          home: h,
          root: join(home.dir, "root"),
          systemRoot: join(home.dir, "system"),
          origins: new Set(["home", "tree", "system"]),
          env: undefined,
          read,
          credentialPaths: [],
        },
        judge: () => ({ decision: "allow", rules: [], reason: "", categories: [] }),
        secrets: [],
        rules: defaultRules(),
      });
      expect(r.servers).toEqual([]);
      expect(read.issues.map((i) => i.message)).toEqual([
        "skipped: leads outside the home directory (a symlink); the runtime follows it, so inspect its target by hand",
      ]);
    } finally {
      outside.cleanup();
      home.cleanup();
    }
  });

  it("a judge that throws is an unjudgeable launcher, not a crash", async () => {
    const judge: CommandJudge = () => {
      throw new Error("boom");
    };
    const r = await mcpFiles(
      { "./.mcp.json": JSON.stringify({ mcpServers: { a: { command: "node", args: ["s.js"] } } }) },
      { judge },
    );
    expect(r.findings.map((f) => [f.ruleId, f.title])).toEqual([
      [
        "mcp-launcher-gate",
        'MCP server "a" launcher is one the approval gate would stop to ask about (unjudgeable): the gate could not judge it',
      ],
    ]);
  });

  it("a tools export that is not JSON is no crash", async () => {
    const r = await mcpFiles({}, { tools: "not json at all" });
    expect(r.toolLists).toEqual([]);
  });
});
