import { describe, expect, it } from "vitest";
import { PARSERS } from "../../../src/detect/parsers/index.js";
import type { Detection } from "../../../src/rules/types.js";

const RULE = {
  id: "agent-rule",
  provider: "anthropic",
  title: "t",
  severity: "high" as const,
  remediation: "r",
};
const shape = (d: Detection) => ({
  ruleId: d.ruleId,
  provider: d.provider,
  type: d.type,
  name: d.name,
  line: d.line,
});
function run(parser: string, text: string) {
  const res = PARSERS[parser]!({ text, path: "f", rule: RULE });
  return {
    shapes: res.detections.map(shape),
    secrets: res.detections.map((d) => d.secret),
    malformed: res.malformed,
  };
}

const PAT = "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"; // github-pat-classic example: passes its CRC32 check
const KEY1 = "Zq8Lm2Xw7Rt5Yp8Nc4VbTa6Ke";
const BEARER = "Hj1Sd0QzKe9Fa3UbGq7vLm2Xw7Rt5";
const ARG = "Vb6Hj1Sd0QzKe9Fa3Ub";

describe("mcp-json parser (Claude Code, Cursor, Gemini CLI, VS Code)", () => {
  it("reports env values and header credentials by key path; references and plain settings are not secrets", () => {
    const text = JSON.stringify(
      {
        mcpServers: {
          github: {
            command: "npx",
            args: ["-y", "@modelcontextprotocol/server-github"],
            env: { GITHUB_PERSONAL_ACCESS_TOKEN: PAT, LOG_LEVEL: "debug" },
          },
          search: {
            type: "http",
            url: "https://mcp.search.example.com/mcp",
            headers: {
              Authorization: `Bearer ${BEARER}`,
              "X-Api-Key": `\${SEARCH_API_KEY}`,
              Accept: "text/event-stream",
            },
          },
          db: {
            command: "db-mcp",
            args: ["--api-key", ARG, "--port", "5432"],
            env: { DB_TOKEN: `\${env:DB_TOKEN}` },
          },
        },
        projects: {
          "/home/dev/app": { mcpServers: { svc: { command: "svc", env: { SVC_API_KEY: KEY1 } } } },
        },
      },
      null,
      2,
    );
    const r = run("mcp-json", text);
    expect(r.malformed).toBeUndefined();
    expect(r.shapes).toEqual([
      {
        ruleId: "agent-rule",
        provider: "github",
        type: "personal-access-token",
        name: "mcpServers.github.env.GITHUB_PERSONAL_ACCESS_TOKEN",
        line: 10,
      },
      {
        ruleId: "agent-rule",
        provider: "anthropic",
        type: "token",
        name: "mcpServers.search.headers.Authorization",
        line: 18,
      },
      {
        ruleId: "agent-rule",
        provider: "anthropic",
        type: "api-key",
        name: "mcpServers.db.args.api-key",
        line: 27,
      },
      {
        ruleId: "agent-rule",
        provider: "anthropic",
        type: "secret",
        name: "projects./home/dev/app.mcpServers.svc.env.SVC_API_KEY",
        line: 42,
      },
    ]);
    expect(r.secrets).toEqual([PAT, BEARER, ARG, KEY1]);
  });

  it("VS Code `servers`, Claude settings `env`, and the generic walk outside MCP blocks", () => {
    const text = [
      "{",
      "  // VS Code mcp.json is JSONC",
      '  "inputs": [{ "type": "promptString", "id": "api-key", "password": true }],',
      '  "servers": { "x": { "type": "stdio", "command": "x", "env": { "X_TOKEN": "Qz8Lm2Xw7Rt5Yp8Nc4Vb6Hj" } } },',
      `  "env": { "INTERNAL_API_KEY": "${KEY1}", "DISABLE_TELEMETRY": "1" },`,
      '  "primaryApiKey": "Rt5Yp8Nc4Vb6Hj1Sd0QzKe9Fa3Ub",',
      '  "apiKeyHelper": "~/bin/get-key.sh",',
      "}",
    ].join("\n");
    const r = run("mcp-json", text);
    expect(r.shapes).toEqual([
      { ruleId: "agent-rule", provider: "anthropic", type: "secret", name: "servers.x.env.X_TOKEN", line: 4 },
      { ruleId: "agent-rule", provider: "anthropic", type: "secret", name: "env.INTERNAL_API_KEY", line: 5 },
      { ruleId: "agent-rule", provider: "anthropic", type: "api-key", name: "primaryApiKey", line: 6 },
    ]);
    expect(r.secrets).toEqual(["Qz8Lm2Xw7Rt5Yp8Nc4Vb6Hj", KEY1, "Rt5Yp8Nc4Vb6Hj1Sd0QzKe9Fa3Ub"]);
  });

  it("malformed JSON: no detections", () => {
    expect(run("mcp-json", '{"mcpServers": {')).toEqual({
      shapes: [],
      secrets: [],
      malformed: "not valid JSON",
    });
  });
});

describe("toml parser (Codex config.toml, cargo credentials)", () => {
  it("Codex mcp_servers env and http_headers; env_http_headers and bearer_token_env_var name variables", () => {
    const text = [
      'model = "gpt-5"',
      "",
      "[mcp_servers.linear]",
      'url = "https://mcp.linear.example.com/mcp"',
      'bearer_token_env_var = "LINEAR_TOKEN"',
      'http_headers = { "X-Api-Key" = "Sd0QzKe9Fa3UbGq7vLm2Xw" }',
      'env_http_headers = { "X-Other-Key" = "OTHER_KEY" }',
      "",
      "[mcp_servers.local]",
      'command = "local-mcp"',
      "[mcp_servers.local.env]",
      `SERVICE_TOKEN = "${KEY1}"`,
      'HOME_DIR = "/home/dev"',
    ].join("\n");
    const r = run("toml", text);
    expect(r.shapes).toEqual([
      {
        ruleId: "agent-rule",
        provider: "anthropic",
        type: "token",
        name: "mcp_servers.linear.http_headers.X-Api-Key",
        line: 6,
      },
      {
        ruleId: "agent-rule",
        provider: "anthropic",
        type: "secret",
        name: "mcp_servers.local.env.SERVICE_TOKEN",
        line: 12,
      },
    ]);
    expect(r.secrets).toEqual(["Sd0QzKe9Fa3UbGq7vLm2Xw", KEY1]);
  });

  it("cargo credentials.toml", () => {
    const text = `[registry]\ntoken = "cio9Lm2Xw7Rt5Yp8Nc4Vb6Hj1Sd0QzKe"\n\n[registries.corp]\ntoken = "\${CORP_TOKEN}"\n`;
    const r = run("toml", text);
    expect(r.shapes).toEqual([
      { ruleId: "agent-rule", provider: "anthropic", type: "token", name: "registry.token", line: 2 },
    ]);
    expect(r.secrets).toEqual(["cio9Lm2Xw7Rt5Yp8Nc4Vb6Hj1Sd0QzKe"]);
  });

  it("malformed TOML: no detections", () => {
    expect(run("toml", '[registry\ntoken = "cio9Lm2Xw7Rt5Yp8Nc4Vb6Hj1Sd0QzKe"')).toEqual({
      shapes: [],
      secrets: [],
      malformed: "not valid TOML",
    });
  });
});
