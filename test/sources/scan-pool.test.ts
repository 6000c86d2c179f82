import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { tempTree } from "../helpers/tmp.js";

// Worker threads run only from the compiled package (a worker cannot load .ts under vitest), so
// this runs the built CLI on one tree with and without workers and asserts identical reports.
const bin = join(process.cwd(), "dist/src/cli/bin.js");
const TOKENS = ["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", "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"];
const t = tempTree({});
afterAll(() => t.cleanup());

function build(root: string): void {
  // Enough files that most of them go to the workers, with secrets, decoys, binaries, a .env
  // (structural parser), a file over the cap and a malformed MCP config spread through them.
  for (let i = 0; i < 1024; i++) {
    const dir = join(root, `pkg${i % 17}`, `mod${i % 5}`);
    mkdirSync(dir, { recursive: true });
    // ~40 KB per file: 40 MB in all, past the bytes after which workers start.
    const filler = `export const table${i} = [${"1, 2, 3, 4, 5, 6, 7, 8, 9, 10, ".repeat(1300)}];`;
    const lines = [
      `// file ${i}`,
      "const timeoutMs = 3000;",
      `export const name${i} = "module-${i}";`,
      filler,
    ];
    if (i % 97 === 0) lines.push(`const token = "${TOKENS[i % 2]}";`);
    if (i % 131 === 0) lines.push("password: 'q8Zr!v2Lp#x9Wm4T'");
    writeFileSync(join(dir, `f${i}.ts`), `${lines.join("\n")}\n`);
    if (i % 211 === 0)
      writeFileSync(join(dir, `b${i}.bin`), Buffer.from([0, 1, 2, 0, ...Buffer.from(TOKENS[0]!)]));
  }
  writeFileSync(join(root, "pkg3", ".env"), `SESSION_SECRET=Tz7Kq2Wn9Xr4Vb8Lm3PdQ\nAPI_KEY=your-key-here\n`);
  writeFileSync(join(root, "pkg4", ".mcp.json"), `{"mcpServers": {`);
  writeFileSync(join(root, "pkg5", "huge.log"), `${"x".repeat(70000)}\n${TOKENS[1]}\n`);
}

function scan(workers: string) {
  const r = spawnSync(
    process.execPath,
    [
      bin,
      "scan",
      "--no-env",
      "--home",
      t.dir,
      "--root",
      t.dir,
      "--sources",
      "tree",
      "--format",
      "json",
      "--max-file-size",
      "64k",
      "--workers",
      workers,
    ],
    { encoding: "utf8", env: { PATH: process.env.PATH ?? "/usr/bin:/bin", AGENT_AUDIT_TRACE_WORKERS: "1" } },
  );
  return { code: r.status, stderr: r.stderr, report: JSON.parse(r.stdout || "{}") };
}

describe("scan worker threads", () => {
  it("give exactly the report of a single-threaded scan", () => {
    expect(existsSync(bin), "run `npm run build` first").toBe(true);
    build(t.dir);
    const one = scan("0");
    const two = scan("2");
    expect(one.stderr).toBe("");
    // Both sides scanned: the workers, and the main thread between directories and at the end.
    const split =
      /^agent-audit: 2 scan workers\nagent-audit: batches scanned: (\d+) here, (\d+) by workers\n$/.exec(
        two.stderr,
      );
    expect(split, two.stderr).not.toBeNull();
    expect(Number(split![1])).toBeGreaterThan(0);
    expect(Number(split![2])).toBeGreaterThan(0);
    expect(two.code).toBe(one.code);
    // 11 tokens, 8 passwords, 1 .env secret; and (step 6) a scope finding per classic token (broad).
    const count = (control: string) =>
      one.report.findings.filter((f: { control: string }) => f.control === control).length;
    expect(count("secret-inventory")).toBe(20);
    expect(count("credential-scope")).toBe(11);
    expect(one.report.findings.length).toBe(31);
    expect(two.report.findings).toEqual(one.report.findings);
    const sorted = (xs: { where: string; message: string }[]) =>
      [...xs].sort((a, b) => (a.where < b.where ? -1 : 1));
    expect(sorted(two.report.issues)).toEqual(sorted(one.report.issues));
    // Skipped files are issues (issue 8): the five binaries (i % 211 === 0), besides the malformed
    // MCP config and the file over the cap.
    const binary = "skipped: binary file (--include-binary scans it)";
    expect(sorted(one.report.issues)).toEqual([
      { where: "pkg0/mod0/b0.bin", message: binary },
      { where: "pkg11/mod4/b844.bin", message: binary },
      { where: "pkg14/mod2/b422.bin", message: binary },
      { where: "pkg4/.mcp.json", message: "not valid JSON; scanned as text" },
      { where: "pkg4/mod3/b633.bin", message: binary },
      {
        where: "pkg5/huge.log",
        message: "skipped: 70042 bytes is over the 65536-byte cap (--max-file-size)",
      },
      { where: "pkg7/mod1/b211.bin", message: binary },
    ]);
    expect(two.report.checklist).toEqual(one.report.checklist);
  });
});
