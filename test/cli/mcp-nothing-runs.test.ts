import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

// Issue 16, "no server is ever started and nothing is fetched": the built CLI scans every risky MCP
// and skills fixture (and a tools/list export) with a PATH that holds only recording shims of the
// programs a launcher or a skill names. None may be called. The scan must still have seen the
// servers and skills, so the test cannot pass by reading nothing.
const bin = join(process.cwd(), "dist/src/cli/bin.js");
const work = mkdtempSync(join(tmpdir(), "aa-shims-"));
const shims = join(work, "bin");
const log = join(work, "calls.log");
const empty = join(work, "empty");
spawnSync("mkdir", ["-p", shims, empty, join(work, "home")]);
const SHIMMED = [
  "npx",
  "uvx",
  "uv",
  "pipx",
  "pip",
  "npm",
  "bunx",
  "docker",
  "podman",
  "sh",
  "bash",
  "curl",
  "wget",
  "python3",
  "node",
];
for (const name of SHIMMED) {
  const p = join(shims, name);
  writeFileSync(p, `#!/bin/sh\necho "${name} $*" >> '${log}'\nexit 0\n`);
  chmodSync(p, 0o755);
}
afterAll(() => rmSync(work, { recursive: true, force: true }));

const FIXTURES: [dir: string, servers: string[], skills: number][] = [
  ["fixtures/mcp/claude-code/risky", ["filesystem", "github", "shell", "notes", "installer"], 0],
  ["fixtures/mcp/claude-desktop/risky", ["filesystem", "browser"], 0],
  ["fixtures/mcp/codex/risky", ["github", "keys", "remote", "old"], 0],
  ["fixtures/mcp/cursor/risky", ["search", "remote", "db"], 0],
  ["fixtures/mcp/gemini-cli/risky", ["shell", "github", "zap", "shell"], 0],
  ["fixtures/mcp/vscode/risky", ["time", "fs", "openai"], 0],
  ["fixtures/mcp/windsurf/risky", ["wiki", "setup", "old"], 0],
  ["fixtures/skills/risky", [], 12],
];

describe("scan starts no MCP server and runs nothing a skill names", () => {
  it("the shims record a call (so silence means none was made)", () => {
    spawnSync(join(shims, "npx"), ["-y", "probe"], { env: { PATH: shims } });
    expect(readFileSync(log, "utf8")).toBe("npx -y probe\n");
    rmSync(log);
  });

  for (const [dir, servers, skills] of FIXTURES) {
    it(dir, () => {
      const home = existsSync(join(dir, "home")) ? join(dir, "home") : empty;
      const root = existsSync(join(dir, "project")) ? join(dir, "project") : empty;
      const r = spawnSync(
        process.execPath,
        [
          bin,
          "scan",
          "--home",
          home,
          "--root",
          root,
          "--sources",
          "home,tree",
          "--mcp-tools",
          "fixtures/mcp-tools/poisoned.json",
          "--format",
          "json",
          "--exit-zero",
          "--no-progress",
        ],
        { encoding: "utf8", env: { PATH: shims, HOME: join(work, "home"), LANG: "C" }, timeout: 60_000 },
      );
      expect(r.status, r.stderr).toBe(0);
      const report = JSON.parse(r.stdout);
      expect(report.agents.servers.map((s: { name: string }) => s.name)).toEqual(servers);
      expect(report.agents.skills).toHaveLength(skills);
      expect(report.agents.toolLists.length).toBeGreaterThan(0);
      expect(existsSync(log) ? readFileSync(log, "utf8") : "").toBe("");
    });
  }
});
