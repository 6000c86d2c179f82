import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { FIXTURES, fixtureFiles, mcpFiles } from "../../../helpers/mcp.js";

// The fixture homes and projects of fixtures/mcp/<client>/{risky,safe} (issue 16), through the real
// inventory, the gate's real engine and runMcp: the exact findings (file, server, rule, severity)
// and the inventory secrets each links to.

async function run(client: string, variant: string) {
  const { files, env } = fixtureFiles(client, variant);
  const r = await mcpFiles(files, env ? { env } : {});
  const rel = (p: string) =>
    p.startsWith(`${r.root}/`)
      ? `./${p.slice(r.root.length + 1)}`
      : p.startsWith(`${r.home}/`)
        ? `~/${p.slice(r.home.length + 1)}`
        : p;
  const secretOf = new Map(
    r.inventory.map((f) => [
      f.fingerprint,
      `${f.ruleId}@${f.location.source}:${f.location.path ?? f.location.name}${f.location.line ? `:${f.location.line}` : ""}`,
    ]),
  );
  return {
    r,
    rows: r.findings
      .filter((f) => f.ruleId.startsWith("mcp-"))
      .map((f) =>
        [
          rel(f.location.path!),
          f.location.name,
          f.ruleId,
          f.severity,
          ...((f.fix?.params?.secrets as string[]) ?? []).map((s) => secretOf.get(s) ?? s),
        ].join(" | "),
      )
      .sort(),
  };
}

/** Per client: the risky variant's exact rows (file | server | rule | severity | linked secrets). */
const RISKY: Record<string, string[]> = {
  "claude-code": [
    "./.mcp.json | installer | mcp-launcher-gate | high",
    "./.mcp.json | shell | mcp-exec-server-unapproved | critical",
    "~/.claude.json | filesystem | mcp-filesystem-broad | high",
    "~/.claude.json | filesystem | mcp-launcher-unpinned | high",
    "~/.claude.json | github | mcp-docker-image-unpinned | medium",
    "~/.claude.json | github | mcp-server-broad-token | high | github-pat-classic@home:.claude.json:14",
    "~/.claude.json | github | mcp-server-receives-secret | high | github-pat-classic@home:.claude.json:14",
    "~/.claude.json | notes | mcp-remote-plain-http | high",
  ],
  "claude-desktop": [
    "~/.config/Claude/claude_desktop_config.json | browser | mcp-docker-host-network | medium",
    "~/.config/Claude/claude_desktop_config.json | browser | mcp-docker-privileged | critical",
    "~/.config/Claude/claude_desktop_config.json | filesystem | mcp-filesystem-broad | high",
  ],
  codex: [
    "~/.codex/config.toml | github | mcp-docker-image-unpinned | medium",
    "~/.codex/config.toml | github | mcp-server-broad-token | high | github-pat-classic@env:GITHUB_TOKEN",
    "~/.codex/config.toml | github | mcp-server-receives-secret | high | github-pat-classic@env:GITHUB_TOKEN",
    "~/.codex/config.toml | keys | mcp-filesystem-broad | high",
    "~/.codex/config.toml | old | mcp-launcher-unpinned | low",
    "~/.codex/config.toml | remote | mcp-remote-plain-http | high",
  ],
  cursor: [
    "./.cursor/mcp.json | db | mcp-launcher-unpinned | high",
    "./.cursor/mcp.json | db | mcp-server-receives-secret | high | postgres-connection-string@tree:.cursor/mcp.json:7",
    "~/.cursor/mcp.json | remote | mcp-launcher-unpinned | high",
    "~/.cursor/mcp.json | remote | mcp-remote-plain-http | high",
    "~/.cursor/mcp.json | search | mcp-server-receives-secret | high | generic-password-assignment@home:.cursor/mcp.json:4",
    "~/.cursor/mcp.json | search | mcp-url-token | high",
  ],
  "gemini-cli": [
    "./.gemini/settings.json | github | mcp-server-auto-approved | medium",
    "./.gemini/settings.json | shell | mcp-exec-server-unapproved | critical",
    "./.gemini/settings.json | shell | mcp-launcher-unpinned | high",
    "./.gemini/settings.json | zap | mcp-url-token | high",
    "~/.gemini/settings.json | shell | mcp-exec-server-unapproved | low",
  ],
  vscode: [
    "./.vscode/mcp.json | fs | mcp-docker-host-mount | high",
    "./.vscode/mcp.json | fs | mcp-docker-image-unpinned | medium",
    "./.vscode/mcp.json | openai | mcp-server-receives-secret | high | openai-api-key@env:OPENAI_API_KEY",
    "~/.config/Code/User/mcp.json | time | mcp-launcher-unpinned | high",
  ],
  windsurf: [
    "~/.codeium/windsurf/mcp_config.json | old | mcp-launcher-unpinned | low",
    "~/.codeium/windsurf/mcp_config.json | setup | mcp-launcher-gate | high",
    "~/.codeium/windsurf/mcp_config.json | wiki | mcp-remote-plain-http | high",
  ],
};

/** Per client: the servers found (name [scope, state]) in each variant, in discovery order. */
const SERVERS: Record<string, Record<string, string[]>> = {
  "claude-code": {
    risky: [
      "filesystem[user]",
      "github[user]",
      "notes[local]",
      "shell[project]",
      "notes[project,overridden]",
      "installer[project]",
    ],
    safe: [
      "filesystem[user]",
      "github[user,overridden]",
      "notes[local]",
      "memory[project]",
      "github[project]",
    ],
  },
  "claude-desktop": {
    risky: ["filesystem[user]", "browser[user]"],
    safe: ["filesystem[user]", "browser[user]"],
  },
  codex: {
    risky: ["github[user]", "keys[user]", "remote[user]", "old[user,disabled]"],
    safe: ["github[user]", "remote[user]", "docs[user]"],
  },
  cursor: {
    risky: ["search[user]", "remote[user]", "db[project]"],
    safe: ["search[user]", "remote[user]", "db[project]"],
  },
  "gemini-cli": {
    risky: ["shell[user,overridden]", "github[project]", "zap[project]", "shell[project]"],
    safe: ["shell[user,disabled]", "github[project]"],
  },
  vscode: {
    risky: ["time[user]", "fs[workspace]", "openai[workspace]"],
    safe: ["time[user]", "fs[workspace]", "openai[workspace]"],
  },
  windsurf: {
    risky: ["wiki[user]", "setup[user]", "old[user,disabled]"],
    safe: ["wiki[user]", "dev[user]", "notes[user]"],
  },
};

describe("fixtures/mcp", () => {
  const clients = readdirSync(FIXTURES).filter((n) => statSync(join(FIXTURES, n)).isDirectory());
  it("has a risky and a safe variant for every client", () => {
    expect(clients.sort()).toEqual(Object.keys(RISKY).sort());
  });
  for (const client of clients) {
    it(`${client} risky: the exact findings and linked secrets`, async () => {
      const { r, rows } = await run(client, "risky");
      expect(r.issues).toEqual([]);
      expect(rows).toEqual(RISKY[client]);
      expect(r.servers.map(state)).toEqual(SERVERS[client]!.risky);
      // Every finding is listed on its server's view, most severe first.
      for (const f of r.findings.filter((x) => x.ruleId.startsWith("mcp-")))
        expect(r.servers.some((s) => s.findings.includes(f.fingerprint))).toBe(true);
    });
    it(`${client} safe: nothing above low`, async () => {
      const { r, rows } = await run(client, "safe");
      expect(r.issues).toEqual([]);
      expect(rows).toEqual([]);
      expect(r.findings.filter((f) => f.severity !== "low" && f.severity !== "info")).toEqual([]);
      expect(r.servers.map(state)).toEqual(SERVERS[client]!.safe);
    });
  }
});

function state(s: { name: string; scope: string; disabled: boolean; overriddenBy?: string }): string {
  const flags = [s.scope, ...(s.disabled ? ["disabled"] : []), ...(s.overriddenBy ? ["overridden"] : [])];
  return `${s.name}[${flags.join(",")}]`;
}
