import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

// Issue 16: `baseline --mcp-tools` pins each MCP server's tool list by its hash; a later scan of a
// changed list (a rug pull) reports it as a new finding; a run without an export keeps the pins.
const bin = join(process.cwd(), "dist/src/cli/bin.js");
const work = mkdtempSync(join(tmpdir(), "aa-pin-"));
const empty = join(work, "empty");
mkdirSync(empty);
const tools = join(work, "tools.json");
const baseline = join(work, "baseline.json");
copyFileSync("fixtures/mcp-tools/clean.json", tools);
afterAll(() => rmSync(work, { recursive: true, force: true }));

const SOURCES = ["--home", empty, "--root", empty, "--sources", "home,tree", "--no-progress"];
function run(args: string[]) {
  return spawnSync(process.execPath, [bin, ...args], { encoding: "utf8", env: { PATH: "/usr/bin:/bin" } });
}
type Row = [ruleId: string, server: string, accepted: boolean];
function scan(...extra: string[]): { rows: Row[]; hashes: string[]; status: number | null } {
  const r = run(["scan", ...SOURCES, "--baseline", baseline, "--format", "json", "--exit-zero", ...extra]);
  expect(r.status, r.stderr).toBe(0);
  const report = JSON.parse(r.stdout);
  return {
    rows: report.findings.map((f: { ruleId: string; location: { name: string }; accepted: boolean }) => [
      f.ruleId,
      f.location.name,
      f.accepted,
    ]),
    hashes: (report.agents.toolLists ?? []).map((t: { hash: string }) => t.hash),
    status: r.status,
  };
}

describe("tool-list pins", () => {
  it("baseline pins both servers' lists; the same lists scan as accepted", () => {
    const b = run(["baseline", ...SOURCES, "--mcp-tools", tools, "--output", baseline]);
    expect(b.status, b.stderr).toBe(0);
    const entries = JSON.parse(readFileSync(baseline, "utf8")).entries;
    expect(
      entries.map((e: { ruleId: string; location: { name: string } }) => [e.ruleId, e.location.name]),
    ).toEqual([
      ["mcp-tool-list-unpinned", "mail"],
      ["mcp-tool-list-unpinned", "weather"],
    ]);
    expect(scan("--mcp-tools", tools).rows).toEqual([
      ["mcp-tool-list-unpinned", "weather", true],
      ["mcp-tool-list-unpinned", "mail", true],
    ]);
    // The same lists exported to another file: still pinned (the pin is the server and the hash).
    const elsewhere = join(work, "elsewhere");
    mkdirSync(elsewhere);
    copyFileSync(tools, join(elsewhere, "export-2.json"));
    expect(scan("--mcp-tools", join(elsewhere, "export-2.json")).rows).toEqual([
      ["mcp-tool-list-unpinned", "weather", true],
      ["mcp-tool-list-unpinned", "mail", true],
    ]);
  });

  it("a changed description (a rug pull) is a new, unaccepted finding for that server only", () => {
    const before = scan("--mcp-tools", tools).hashes;
    const text = readFileSync(tools, "utf8").replace("Get the forecast for a city.", "Get the forecast.");
    writeFileSync(tools, text);
    const after = scan("--mcp-tools", tools);
    expect(after.rows).toEqual([
      ["mcp-tool-list-unpinned", "weather", false],
      ["mcp-tool-list-unpinned", "mail", true],
    ]);
    expect(after.hashes[0]).not.toBe(before[0]);
    expect(after.hashes[1]).toBe(before[1]);
  });

  it("a run without an export neither reports nor prunes the pins", () => {
    const r = run([
      "scan",
      ...SOURCES,
      "--baseline",
      baseline,
      "--update-baseline",
      "--format",
      "json",
      "--exit-zero",
    ]);
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).findings).toEqual([]);
    expect(JSON.parse(readFileSync(baseline, "utf8")).entries).toHaveLength(2);
    const b = run(["baseline", ...SOURCES, "--output", baseline]);
    expect(b.status, b.stderr).toBe(0);
    expect(JSON.parse(readFileSync(baseline, "utf8")).entries).toHaveLength(2);
  });

  it("a --mcp-tools path that is missing or not a regular file is a usage error (exit 2), before any scan", () => {
    for (const [path, why] of [
      [join(work, "no-such-export.json"), "no such file"],
      [work, "not a regular file"],
    ] as const) {
      const r = run(["scan", ...SOURCES, "--mcp-tools", path]);
      expect(r.status).toBe(2);
      expect(r.stdout).toBe("");
      expect(r.stderr).toBe(
        `agent-audit: --mcp-tools ${path}: ${why}\n  hint: pass the path of a tools/list export (JSON) to --mcp-tools\n`,
      );
    }
  });
});
