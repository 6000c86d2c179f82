import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { inventory, testLimits } from "../helpers/inventory.js";
import { tempTree } from "../helpers/tmp.js";

// A valid-checksum fake GitHub token and a second one; both are fixtures, not real tokens.
const TOKEN = "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";
const TOKEN2 = "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";

let cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups) c();
  cleanups = [];
});
function tree(files: Record<string, string | Buffer>) {
  const t = tempTree(files);
  cleanups.push(t.cleanup);
  return t.dir;
}
const where = (fs: { location: { path?: string; line?: number } }[]) =>
  fs.map((f) => `${f.location.path}:${f.location.line}`);

describe("working tree source", () => {
  it("scans gitignored files and .git/config, skips the rest of .git, node_modules and binaries by default", async () => {
    const root = tree({
      ".gitignore": ".env\n",
      ".env": `GH=${TOKEN}\n`,
      ".git/config": `[remote]\n url = https://x:${TOKEN2}@github.com/a/b\n`,
      "node_modules/p/index.js": `"${TOKEN2}"\n`,
      "vendor/lib.rb": `"${TOKEN2}"\n`,
      "img.bin": Buffer.concat([Buffer.from([0, 1, 2, 0]), Buffer.from(TOKEN2)]),
    });
    writeFileSync(join(root, ".git/packed-refs"), `${TOKEN2}\n`);
    const res = await inventory({ sources: ["tree"], root });
    // .git/config is read even with .git skipped: a remote URL often carries a token (issue 8).
    expect(where(res.findings)).toEqual([".env:1", ".git/config:2"]);
    expect(res.issues).toEqual([
      { where: "img.bin", message: "skipped: binary file (--include-binary scans it)" },
    ]);
  });

  it("includes VCS internals, dependencies and binaries when asked", async () => {
    const root = tree({
      ".git/config": `url = https://x:${TOKEN2}@github.com/a/b\n`,
      "node_modules/p/index.js": `"${TOKEN}"\n`,
      "img.bin": Buffer.concat([Buffer.from([0, 1, 2, 0, 10]), Buffer.from(`${TOKEN2}\n`)]),
    });
    const res = await inventory({
      sources: ["tree"],
      root,
      limits: { includeBinary: true, includeVcs: true, includeDeps: true } as never,
    });
    expect(where(res.findings)).toEqual([".git/config:1", "img.bin:2", "node_modules/p/index.js:1"]);
  });

  it("sniffs a big file before reading it: a binary is skipped after its first 8,000 bytes", async () => {
    const filler = Buffer.alloc(2 * 1024 * 1024, 0x61);
    const binary = Buffer.concat([
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0]),
      filler,
      Buffer.from(`\n${TOKEN}\n`),
    ]);
    // A NUL past the sniffed head does not make a file binary.
    const text = Buffer.concat([Buffer.from(`k=${TOKEN2}\n`), filler, Buffer.from([0])]);
    const root = tree({ "model.bin": binary, "notes.txt": text });
    const res = await inventory({ sources: ["tree"], root });
    expect(where(res.findings)).toEqual(["notes.txt:1"]);
    expect(res.stats).toEqual({ files: 2, bytes: 8000 + text.length });
    const all = await inventory({ sources: ["tree"], root, limits: { includeBinary: true } as never });
    expect(where(all.findings)).toEqual(["model.bin:2", "notes.txt:1"]);
  });

  it("follows symlinked files once and ends symlink loops", async () => {
    const root = tree({ "real/.env": `A=${TOKEN}\n` });
    symlinkSync(join(root, "real/.env"), join(root, "link.env"));
    symlinkSync(root, join(root, "real/loop"));
    symlinkSync(join(root, "missing"), join(root, "dangling"));
    const res = await inventory({ sources: ["tree"], root });
    expect(res.findings.length).toBe(1);
    expect(res.issues.map((i) => i.where)).toEqual(["dangling"]);
    expect(res.issues[0]!.message).toBe("broken or looping symlink: no such file or directory (ENOENT)");
  });

  it("never opens FIFOs (the scan would hang), and says so in issues", async () => {
    const root = tree({ "a.txt": `${TOKEN}\n` });
    execFileSync("mkfifo", [join(root, "pipe")]);
    const res = await inventory({ sources: ["tree"], root });
    expect(where(res.findings)).toEqual(["a.txt:1"]);
    expect(res.issues).toEqual([{ where: "pipe", message: "skipped: a FIFO (never opened)" }]);
  });

  it("records sockets, links to devices and FIFOs as issues (issue 8; the README promised it)", async () => {
    const root = tree({ "a.txt": `${TOKEN}\n`, "sub/.keep": "" });
    execFileSync("mkfifo", [join(root, "sub/fifo.env")]);
    symlinkSync("/dev/zero", join(root, "zero.env"));
    symlinkSync(join(root, "sub/fifo.env"), join(root, "fifo-link"));
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(join(root, "agent.sock"), resolve));
    try {
      const res = await inventory({ sources: ["tree"], root });
      expect(where(res.findings)).toEqual(["a.txt:1"]);
      expect(res.issues).toEqual([
        { where: "agent.sock", message: "skipped: a socket (never opened)" },
        { where: "fifo-link", message: "skipped: a symlink to a FIFO (never opened)" },
        { where: "sub/fifo.env", message: "skipped: a FIFO (never opened)" },
        { where: "zero.env", message: "skipped: a symlink to a character device (never opened)" },
      ]);
      // Excluded or not included: out of scope, so no issue.
      const scoped = await inventory({
        sources: ["tree"],
        root,
        limits: { ...testLimits(), exclude: ["sub/**", "*.sock"], include: ["*.txt", "sub/**"] },
      });
      expect(scoped.issues).toEqual([]);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it("treeDisabledRules (a config found in the root) switch rules off for the tree only", async () => {
    const root = tree({ "a.txt": `x = "${TOKEN}"\n` });
    const env = { GITHUB_TOKEN: TOKEN2 };
    const off = await inventory({
      sources: ["env", "tree"],
      env,
      root,
      limits: { ...testLimits(), treeDisabledRules: ["github-pat-classic"] },
    });
    expect(off.findings.map((f) => `${f.ruleId} ${f.location.source}`)).toEqual(["github-pat-classic env"]);
    const on = await inventory({ sources: ["env", "tree"], env, root });
    expect(on.findings.map((f) => `${f.ruleId} ${f.location.source}`)).toEqual([
      "github-pat-classic env",
      "github-pat-classic tree",
    ]);
  });

  it("treeDisabledRules reach the scan workers (built CLI, a discovered config)", () => {
    const t = tempTree({}, "aa-tree-workers-");
    cleanups.push(t.cleanup);
    const root = join(t.dir, "tree");
    // 96 files of 64 KB: past the 4 MiB after which workers take files.
    for (let i = 0; i < 96; i++) {
      const dir = join(root, `d${i % 8}`);
      mkdirSync(dir, { recursive: true });
      writeFileSync(
        join(dir, `f${i}.ts`),
        `${"// filler line of code\n".repeat(2800)}const t = "${TOKEN}";\n`,
      );
    }
    writeFileSync(join(root, "agent-audit.yaml"), "rules:\n  disable: [github-pat-classic]\n");
    writeFileSync(join(t.dir, "environ"), `GITHUB_TOKEN=${TOKEN2}\0`);
    const run = (workers: string) => {
      const r = spawnSync(
        process.execPath,
        [
          join(process.cwd(), "dist/src/cli/bin.js"),
          "scan",
          ...["--root", root, "--home", t.dir, "--environ", join(t.dir, "environ")],
          ...["--sources", "env,tree", "--format", "json", "--workers", workers],
        ],
        {
          encoding: "utf8",
          env: { PATH: process.env.PATH ?? "/usr/bin:/bin", AGENT_AUDIT_TRACE_WORKERS: "1" },
        },
      );
      const report = JSON.parse(r.stdout) as { findings: { ruleId: string; location: { source: string } }[] };
      return { stderr: r.stderr, rows: report.findings.map((f) => `${f.ruleId} ${f.location.source}`) };
    };
    const pooled = run("2");
    expect(pooled.stderr).toContain("agent-audit: 2 scan workers");
    // The environment's token and (step 6) its scope finding; none of the tree's 96 (nor their scope).
    expect(pooled.rows).toEqual(["github-pat-classic env", "github-classic-pat-broad env"]);
    expect(run("0").rows).toEqual(["github-pat-classic env", "github-classic-pat-broad env"]);
  });

  it("records files over the size cap as issues and scans them with no cap", async () => {
    const root = tree({ "big.log": `${"x".repeat(2000)}\n${TOKEN}\n` });
    const capped = await inventory({ sources: ["tree"], root, limits: { maxFileBytes: 1000 } as never });
    expect(capped.findings).toEqual([]);
    expect(capped.issues).toEqual([
      { where: "big.log", message: "skipped: 2042 bytes is over the 1000-byte cap (--max-file-size)" },
    ]);
    const uncapped = await inventory({ sources: ["tree"], root, limits: { maxFileBytes: 0 } as never });
    expect(where(uncapped.findings)).toEqual(["big.log:2"]);
  });

  it("finds secrets in invalid UTF-8 with the right line", async () => {
    const root = tree({
      "mixed.txt": Buffer.concat([
        Buffer.from([0xff, 0xfe, 0xc3, 0x28, 10, 0xe2, 0x82, 10]),
        Buffer.from(`k=${TOKEN}\n`),
      ]),
    });
    const res = await inventory({ sources: ["tree"], root });
    expect(where(res.findings)).toEqual(["mixed.txt:3"]);
  });

  it("reads a non-ASCII secret as UTF-8: one finding when a parser and a content rule both see it", async () => {
    const PW = "pässwort-Lm2Xw7Rt5Q";
    const root = tree({ ".env": `DB_PASSWORD=${PW}\n`, "app.py": `password = "${PW}"\n` });
    const res = await inventory({ sources: ["tree"], root });
    expect(
      res.findings.map((f) => `${f.ruleId} ${f.location.path}:${f.location.line} ${f.secret?.preview}`),
    ).toEqual(["tree-dotenv .env:1 päss…(19)", "generic-password-assignment app.py:1 päss…(19)"]);
    const json = JSON.stringify(res);
    expect(json).not.toContain(PW);
    expect(json).not.toContain(Buffer.from(PW).toString("latin1"));
  });

  it("keeps secrets in a latin1 (not UTF-8) file apart", async () => {
    // Two passwords that differ in one latin1 byte: decoding them as UTF-8 would make both U+FFFD.
    const root = tree({
      "legacy.ini": Buffer.concat([
        Buffer.from('password = "Kq8Lm'),
        Buffer.from([0xe4]),
        Buffer.from('2Xw7Rt5Qz"\npassword = "Kq8Lm'),
        Buffer.from([0xf6]),
        Buffer.from('2Xw7Rt5Qz"\n'),
      ]),
    });
    const res = await inventory({ sources: ["tree"], root });
    expect(where(res.findings)).toEqual(["legacy.ini:1", "legacy.ini:2"]);
    expect(new Set(res.findings.map((f) => f.fingerprint)).size).toBe(2);
  });

  it("streams files larger than the whole-read limit, across chunk boundaries", async () => {
    // 4 MiB chunks: put one token across the first chunk boundary and one near the end.
    const chunk = 4 * 1024 * 1024;
    const line = `${"a".repeat(99)}\n`; // 100 bytes per line
    const lines = Math.ceil((chunk * 2 + chunk / 2) / 100);
    let body = line.repeat(lines);
    const lineStart = chunk - (chunk % 100); // the line that holds the boundary (at column chunk % 100 = 4)
    body = `${body.slice(0, lineStart)} ${TOKEN} ${body.slice(lineStart + TOKEN.length + 2)}`;
    const at = lineStart;
    const tail = `\nend=${TOKEN2}\n`;
    const root = tree({ "huge.txt": body + tail });
    const res = await inventory({ sources: ["tree"], root, limits: { maxFileBytes: 0 } as never });
    expect(where(res.findings)).toEqual([`huge.txt:${Math.floor(at / 100) + 1}`, `huge.txt:${lines + 2}`]);
  });

  it("does not report one file twice when reached through two paths", async () => {
    const root = tree({ "a/.env": `A=${TOKEN}\n` });
    mkdirSync(join(root, "b"));
    symlinkSync(join(root, "a"), join(root, "b/a-link"));
    writeFileSync(join(root, "c.txt"), "nothing here\n");
    const res = await inventory({ sources: ["tree"], root });
    expect(where(res.findings)).toEqual(["a/.env:1"]);
  });
});
