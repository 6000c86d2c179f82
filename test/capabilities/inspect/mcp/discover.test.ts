// biome-ignore-all lint/suspicious/noTemplateCurlyInString: MCP configs write variable references as ${VAR}, which these strings hold as data
import { describe, expect, it } from "vitest";
import { discoverServers, mcpValue } from "../../../../src/capabilities/inspect/mcp/discover.js";
import { ConfigReader } from "../../../../src/capabilities/inspect/read.js";
import type { InspectContext, Origin } from "../../../../src/capabilities/inspect/types.js";
import { mcpFiles } from "../../../helpers/mcp.js";
import { runtimeSandbox } from "../../../helpers/runtime.js";

// Discovery of MCP servers per client and scope (issue 16): where each client's files are, which
// scope wins a name defined twice, what is disabled, references told from literals, and bad input
// recorded as issues, never thrown.

async function discover(
  files: Record<string, string>,
  opts: { env?: Record<string, string>; origins?: Origin[] } = {},
) {
  const sandbox = runtimeSandbox({});
  try {
    const { writeFileSync, mkdirSync } = await import("node:fs");
    const { dirname, join } = await import("node:path");
    for (const [k, v] of Object.entries(files)) {
      const abs = k.startsWith("~/")
        ? join(sandbox.home, k.slice(2))
        : k.startsWith("./")
          ? join(sandbox.root, k.slice(2))
          : join(sandbox.system, k.slice(1));
      mkdirSync(dirname(abs), { recursive: true });
      writeFileSync(abs, v.replaceAll("__ROOT__", sandbox.root));
    }
    const read = new ConfigReader({ home: sandbox.home, tree: sandbox.root, system: sandbox.system });
    const ctx: InspectContext = {
      home: sandbox.home,
      root: sandbox.root,
      systemRoot: sandbox.system,
      origins: new Set(opts.origins ?? ["home", "tree", "system"]),
      env: opts.env,
      read,
      credentialPaths: [],
    };
    const d = await discoverServers(ctx);
    const rel = (p: string | undefined) =>
      p === undefined
        ? undefined
        : p
            .replace(`${sandbox.root}/`, "./")
            .replace(`${sandbox.home}/`, "~/")
            .replace(`${sandbox.system}/`, "/");
    return {
      issues: read.issues.map((i) => ({ where: rel(i.where), message: i.message })),
      servers: d.servers.map((s) => ({
        client: s.client,
        scope: s.scope,
        file: rel(s.file.abs),
        name: s.name,
        transport: s.transport,
        ...(s.command !== undefined ? { command: s.command } : {}),
        ...(s.url !== undefined ? { url: s.url } : {}),
        disabled: s.disabled,
        ...(s.overriddenBy ? { overriddenBy: rel(s.overriddenBy) } : {}),
        line: s.line,
      })),
      raw: d.servers,
    };
  } finally {
    sandbox.cleanup();
  }
}

describe("Claude Code", () => {
  const files = {
    "~/.claude.json": `{
  "mcpServers": {
    "a": { "command": "/bin/a" },
    "b": { "command": "/bin/b" }
  },
  "projects": {
    "__ROOT__/": { "mcpServers": { "b": { "type": "sse", "url": "https://b.example.com/sse" } } },
    "/elsewhere": { "mcpServers": { "c": { "command": "/bin/c" } } }
  }
}
`,
    "./.mcp.json": `{ "mcpServers": { "a": { "type": "http", "url": "https://a.example.com/mcp" }, "b": { "command": "/bin/b2" } } }\n`,
  };

  it("reads user, local (the project whose path is the root) and project scopes: local > project > user", async () => {
    const r = await discover(files);
    expect(r.issues).toEqual([]);
    expect(r.servers).toEqual([
      {
        client: "claude-code",
        scope: "user",
        file: "~/.claude.json",
        name: "a",
        transport: "stdio",
        command: "/bin/a",
        disabled: false,
        overriddenBy: "./.mcp.json",
        line: 3,
      },
      {
        client: "claude-code",
        scope: "user",
        file: "~/.claude.json",
        name: "b",
        transport: "stdio",
        command: "/bin/b",
        disabled: false,
        overriddenBy: "~/.claude.json",
        line: 4,
      },
      {
        client: "claude-code",
        scope: "local",
        file: "~/.claude.json",
        name: "b",
        transport: "sse",
        url: "https://b.example.com/sse",
        disabled: false,
        line: 7,
      },
      {
        client: "claude-code",
        scope: "project",
        file: "./.mcp.json",
        name: "a",
        transport: "http",
        url: "https://a.example.com/mcp",
        disabled: false,
        line: 1,
      },
      {
        client: "claude-code",
        scope: "project",
        file: "./.mcp.json",
        name: "b",
        transport: "stdio",
        command: "/bin/b2",
        disabled: false,
        overriddenBy: "~/.claude.json",
        line: 1,
      },
    ]);
  });

  it("a managed-mcp.json takes exclusive control: every other Claude Code server is not started", async () => {
    const r = await discover({
      ...files,
      "/etc/claude-code/managed-mcp.json": `{ "mcpServers": { "approved": { "command": "/opt/approved" } } }\n`,
    });
    expect(r.servers.filter((s) => s.client === "claude-code" && !s.overriddenBy).map((s) => s.name)).toEqual(
      ["approved"],
    );
    expect(new Set(r.servers.filter((s) => s.overriddenBy).map((s) => s.overriddenBy))).toEqual(
      new Set(["/etc/claude-code/managed-mcp.json"]),
    );
  });

  it("and its servers' findings are capped at low, with the reason in the title", async () => {
    const r = await mcpFiles({
      "./.mcp.json": `{ "mcpServers": { "fs": { "command": "npx", "args": ["-y", "@modelcontextprotocol/server-filesystem", "/"] } } }\n`,
      "/etc/claude-code/managed-mcp.json": `{ "mcpServers": { "approved": { "command": "/opt/approved" } } }\n`,
    });
    expect(r.findings.map((f) => [f.ruleId, f.severity])).toEqual([
      ["mcp-filesystem-broad", "low"],
      ["mcp-launcher-unpinned", "low"],
    ]);
    for (const f of r.findings)
      expect(f.title).toContain("(not started: /etc/claude-code/managed-mcp.json defines it and wins)");
  });

  it("CLAUDE_CONFIG_DIR moves ~/.claude.json", async () => {
    const r = await discover(
      {
        "~/.claude.json": `{ "mcpServers": { "old": { "command": "/bin/old" } } }\n`,
        "~/alt/.claude.json": `{ "mcpServers": { "moved": { "command": "/bin/moved" } } }\n`,
      },
      { env: { CLAUDE_CONFIG_DIR: "alt" } },
    );
    expect(r.servers.map((s) => [s.name, s.file])).toEqual([["moved", "~/alt/.claude.json"]]);
  });
});

describe("other clients", () => {
  it("reads each client's files and keys, with its transports", async () => {
    const r = await discover({
      "~/.config/Claude/claude_desktop_config.json": `{ "mcpServers": { "d": { "command": "/bin/d" } } }\n`,
      "~/.cursor/mcp.json": `{ "mcpServers": { "c": { "url": "https://c.example.com/mcp" } } }\n`,
      "./.cursor/mcp.json": `{ "mcpServers": { "c": { "type": "sse", "url": "https://c.example.com/sse" } } }\n`,
      "./.vscode/mcp.json": `{\n  // comment\n  "servers": { "v": { "type": "http", "url": "https://v.example.com/mcp" } }\n}\n`,
      "~/.config/Code/User/mcp.json": `{ "servers": { "u": { "type": "stdio", "command": "/bin/u" } } }\n`,
      "~/.codeium/windsurf/mcp_config.json": `{ "mcpServers": { "w": { "serverUrl": "https://w.example.com/mcp", "disabled": true } } }\n`,
      "~/.codex/config.toml": `[mcp_servers.x]\nurl = "https://x.example.com/mcp"\nenabled = false\n\n[mcp_servers.y]\ncommand = "/bin/y"\n`,
      "./.codex/config.toml": `[mcp_servers.y]\ncommand = "/bin/y2"\n`,
      "~/.gemini/settings.json": `{ "mcpServers": { "g": { "url": "https://g.example.com/sse" }, "h": { "httpUrl": "https://h.example.com/mcp" } } }\n`,
      "./.gemini/settings.json": `{ "mcpServers": { "g": { "command": "/bin/g" } }, "mcp": { "excluded": ["h"] } }\n`,
      "/etc/gemini-cli/settings.json": `{ "mcpServers": { "g": { "command": "/bin/g-admin" } } }\n`,
    });
    expect(r.issues).toEqual([]);
    expect(
      r.servers.map(
        (s) =>
          `${s.client} ${s.scope} ${s.file} ${s.name} ${s.transport}${s.disabled ? " disabled" : ""}${s.overriddenBy ? ` <${s.overriddenBy}` : ""}`,
      ),
    ).toEqual([
      "claude-desktop user ~/.config/Claude/claude_desktop_config.json d stdio",
      "cursor user ~/.cursor/mcp.json c http",
      "cursor project ./.cursor/mcp.json c sse",
      "vscode user ~/.config/Code/User/mcp.json u stdio",
      "vscode workspace ./.vscode/mcp.json v http",
      "windsurf user ~/.codeium/windsurf/mcp_config.json w http disabled",
      "codex user ~/.codex/config.toml x http disabled",
      "codex user ~/.codex/config.toml y stdio <./.codex/config.toml",
      "codex project ./.codex/config.toml y stdio",
      "gemini-cli user ~/.gemini/settings.json g sse </etc/gemini-cli/settings.json",
      "gemini-cli user ~/.gemini/settings.json h http disabled",
      "gemini-cli project ./.gemini/settings.json g stdio </etc/gemini-cli/settings.json",
      "gemini-cli system /etc/gemini-cli/settings.json g stdio",
    ]);
  });

  it("CODEX_HOME moves the Codex config; env_vars, bearer_token_env_var and env_http_headers are references", async () => {
    const r = await discover(
      {
        "~/codex-home/config.toml": `[mcp_servers.x]\nurl = "https://x.example.com/mcp"\nbearer_token_env_var = "X_TOKEN"\nenv_http_headers = { "X-Api-Key" = "X_KEY" }\n\n[mcp_servers.y]\ncommand = "/bin/y"\nenv_vars = ["A", "B"]\n\n[mcp_servers.y.env]\nLITERAL = "value"\n`,
      },
      { env: { CODEX_HOME: "~/codex-home" } },
    );
    expect(r.issues).toEqual([]);
    const [x, y] = r.raw;
    expect(x!.headers.map((h) => [h.key, h.literal, h.vars, h.line])).toEqual([
      ["Authorization", false, ["X_TOKEN"], 3],
      ["X-Api-Key", false, ["X_KEY"], 4],
    ]);
    expect(y!.env.map((h) => [h.key, h.literal, h.vars, h.line])).toEqual([
      ["LITERAL", true, [], 11],
      ["A", false, ["A"], 8],
      ["B", false, ["B"], 8],
    ]);
  });

  it("reads only the origins asked for", async () => {
    const r = await discover(
      {
        "~/.cursor/mcp.json": `{ "mcpServers": { "home": { "command": "/bin/h" } } }\n`,
        "./.cursor/mcp.json": `{ "mcpServers": { "tree": { "command": "/bin/t" } } }\n`,
        "/etc/claude-code/managed-mcp.json": `{ "mcpServers": { "sys": { "command": "/bin/s" } } }\n`,
      },
      { origins: ["tree"] },
    );
    expect(r.servers.map((s) => s.name)).toEqual(["tree"]);
  });
});

describe("values", () => {
  it("tells references from literals", () => {
    const v = (raw: string) => {
      const x = mcpValue("K", raw);
      return [x.literal, x.vars];
    };
    expect(v("${TOKEN}")).toEqual([false, ["TOKEN"]]);
    // The default is text written in the config, passed whenever TOKEN is unset (helper E).
    expect(v("${TOKEN:-fallback}")).toEqual([true, ["TOKEN"]]);
    expect(v("${TOKEN:-}")).toEqual([false, ["TOKEN"]]);
    expect(v("${env:TOKEN}")).toEqual([false, ["TOKEN"]]);
    expect(v("$TOKEN")).toEqual([false, ["TOKEN"]]);
    expect(v("Bearer ${env:TOKEN}")).toEqual([true, ["TOKEN"]]);
    expect(v("${input:token}")).toEqual([false, []]);
    expect(v("${workspaceFolder}/x")).toEqual([true, []]);
    expect(v("ghp_literal")).toEqual([true, []]);
    expect(v("$")).toEqual([true, []]);
    expect(v("${unclosed")).toEqual([true, []]);
  });
});

describe("bad input", () => {
  it("records wrong types and servers without a command or URL as issues, and goes on", async () => {
    const r = await discover({
      "./.mcp.json": `{
  "mcpServers": {
    "list": [],
    "empty": {},
    "badargs": { "command": "/bin/x", "args": "not-a-list", "env": ["x"] },
    "ok": { "command": "/bin/ok", "args": ["a", 1, true, {}] }
  }
}
`,
      "~/.cursor/mcp.json": "{ not json",
    });
    expect(r.servers.map((s) => s.name)).toEqual(["badargs", "ok"]);
    expect(r.raw[1]!.args).toEqual(["a", "1", "true"]);
    expect(r.issues).toEqual([
      {
        where: "./.mcp.json",
        message:
          "line 3: mcpServers.list: expected an MCP server object, found an array (ignored, as the runtime would reject or ignore it)",
      },
      {
        where: "./.mcp.json",
        message:
          'line 4: MCP server "empty" has neither a command nor a URL (the client cannot start it; not inspected)',
      },
      {
        where: "./.mcp.json",
        message:
          "line 5: mcpServers.badargs.args: expected an array of strings, found a string (ignored, as the runtime would reject or ignore it)",
      },
      {
        where: "./.mcp.json",
        message:
          "line 5: mcpServers.badargs.env: expected an object of strings, found an array (ignored, as the runtime would reject or ignore it)",
      },
      {
        where: "./.mcp.json",
        message:
          "line 6: mcpServers.ok.args[3]: expected a string, found an object (ignored, as the runtime would reject or ignore it)",
      },
      {
        where: "~/.cursor/mcp.json",
        message: "not valid JSON (with comments) at line 1, column 3: InvalidSymbol",
      },
    ]);
  });
});
