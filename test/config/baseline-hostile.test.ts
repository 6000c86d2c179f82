import { execFileSync } from "node:child_process";
import { lstatSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { crc32 } from "node:zlib";
import { afterEach, describe, expect, it } from "vitest";
import type { AuditReport } from "../../src/contract/types.js";
import { base62 } from "../../src/detect/validators.js";
import { cli } from "../helpers/cli.js";
import { tempTree } from "../helpers/tmp.js";

// Issue 8, items 7, 8, 10, 11 for the baseline: .agent-audit-baseline.json lies in the audited
// root, which the agent can write. A FIFO or a device must be one line and exit 2 (reading or
// writing), a link must not lead out of an audited image, a big baseline must work in linear
// time, a byte order mark is fine, and an unknown key is never echoed when it may be a token.

function fakeToken(seed: number): string {
  const A = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  let x = seed;
  let body = "";
  for (let i = 0; i < 30; i++) {
    x = (x * 1103515245 + 12345) % 2147483648;
    body += A[x % 62];
  }
  return `ghp_${body}${base62(crc32(Buffer.from(body, "ascii")), 6)}`;
}
const TREE_TOKEN = fakeToken(404);
const KEY_TOKEN = fakeToken(505);

let cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups) c();
  cleanups = [];
});

function sandbox() {
  const t = tempTree({ "tree/.env": `GH=${TREE_TOKEN}\n`, "home/.keep": "" }, "aa-baseline-hostile-");
  cleanups.push(t.cleanup);
  const root = join(t.dir, "tree");
  const src = [
    "--root",
    root,
    "--home",
    join(t.dir, "home"),
    "--no-env",
    "--sources",
    "tree",
    "--no-progress",
  ];
  return {
    dir: t.dir,
    root,
    baseline: join(root, ".agent-audit-baseline.json"),
    scan: (...extra: string[]) => cli(["scan", ...src, "--format", "json", ...extra], { cwd: root }),
    accept: (...extra: string[]) => cli(["baseline", ...src, ...extra], { cwd: root }),
  };
}

const emptyBaseline = (entries: unknown[] = []) => JSON.stringify({ schemaVersion: 1, entries });

describe("item 7: a baseline that is not a regular file is one line and exit 2, never a hang", () => {
  it("a FIFO named .agent-audit-baseline.json in the root", async () => {
    const s = sandbox();
    execFileSync("mkfifo", [s.baseline]);
    const r = await s.scan();
    expect([r.code, r.stdout]).toEqual([2, ""]);
    expect(r.stderr).toBe(
      `agent-audit: baseline ${s.baseline} is a FIFO, not a regular file\n  hint: pass a regular file\n`,
    );
  });

  it("a FIFO given to --baseline", async () => {
    const s = sandbox();
    const fifo = join(s.dir, "b.json");
    execFileSync("mkfifo", [fifo]);
    const r = await s.scan("--baseline", fifo);
    expect(r.code).toBe(2);
    expect(r.stderr.split("\n")[0]).toBe(`agent-audit: --baseline ${fifo} is a FIFO, not a regular file`);
  });

  it("`baseline --output FIFO` neither blocks nor replaces the FIFO", async () => {
    const s = sandbox();
    const fifo = join(s.dir, "out.json");
    execFileSync("mkfifo", [fifo]);
    const r = await s.accept("--output", fifo);
    expect(r.code).toBe(2);
    expect(r.stderr.split("\n")[0]).toBe(`agent-audit: --output ${fifo} is a FIFO, not a regular file`);
    expect(lstatSync(fifo).isFIFO()).toBe(true);
  });

  it("`baseline` refuses a FIFO at the default path in the root", async () => {
    const s = sandbox();
    execFileSync("mkfifo", [s.baseline]);
    const r = await s.accept();
    expect(r.code).toBe(2);
    expect(r.stderr.split("\n")[0]).toBe(`agent-audit: baseline ${s.baseline} is a FIFO, not a regular file`);
    expect(lstatSync(s.baseline).isFIFO()).toBe(true);
  });

  it("`baseline --output` linked to a device is refused", async () => {
    const s = sandbox();
    const link = join(s.dir, "null.json");
    symlinkSync("/dev/null", link);
    const r = await s.accept("--output", link);
    expect(r.code).toBe(2);
    expect(r.stderr.split("\n")[0]).toBe(
      `agent-audit: --output ${link} is a character device, not a regular file`,
    );
  });

  it("`baseline --output` at a directory is refused", async () => {
    const s = sandbox();
    const d = join(s.dir, "out.d");
    mkdirSync(d);
    const r = await s.accept("--output", d);
    expect(r.code).toBe(2);
    expect(r.stderr.split("\n")[0]).toBe(`agent-audit: --output ${d} is a directory, not a regular file`);
  });
});

describe("item 8: under --system-root, a baseline found in the image is confined to it", () => {
  it("an absolute symlink out of the image is refused", async () => {
    const s = sandbox();
    const host = join(s.dir, "host-baseline.json");
    writeFileSync(host, emptyBaseline());
    symlinkSync(host, s.baseline);
    const r = await s.scan("--system-root", s.root);
    expect(r.code).toBe(2);
    expect(r.stderr.split("\n")[0]).toBe(`agent-audit: baseline ${s.baseline} leads outside --system-root`);
  });

  it("a baseline a discovered config names cannot be written through a link out of the root", async () => {
    const s = sandbox();
    const outside = join(s.dir, "elsewhere");
    mkdirSync(outside);
    symlinkSync(outside, join(s.root, "ci"));
    writeFileSync(join(s.root, "agent-audit.yaml"), "baseline: ci/accepted.json\n");
    const r = await s.accept();
    expect(r.code).toBe(2);
    expect(r.stderr.split("\n")[0]).toBe(
      `agent-audit: baseline ${join(s.root, "ci/accepted.json")} leads outside the audited root`,
    );
  });
});

describe("items 10 and 11: big, BOM and hostile baselines", () => {
  it("130,000 stale entries work: one issue each, no stack overflow", async () => {
    const s = sandbox();
    const entries = Array.from({ length: 130_000 }, (_, i) => ({
      fingerprint: i.toString(16).padStart(24, "0"),
      ruleId: "github-pat-classic",
      location: { source: "tree", path: `gone/${i}.env` },
      reason: "",
    }));
    writeFileSync(s.baseline, emptyBaseline(entries));
    const r = await s.scan();
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout) as AuditReport;
    expect(report.issues.filter((i) => i.message.startsWith("stale baseline entry")).length).toBe(130_000);
    expect(report.policy?.baseline).toEqual({ path: ".agent-audit-baseline.json", entries: 130_000 });
  });

  it("a UTF-8 byte order mark is accepted, and accepted findings are counted", async () => {
    const s = sandbox();
    expect((await s.accept()).code).toBe(0);
    const text = readFileSync(s.baseline, "utf8");
    writeFileSync(s.baseline, `\ufeff${text}`);
    const r = await s.scan();
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as AuditReport;
    expect(report.policy?.suppressed).toEqual({
      baseline: report.findings.length,
      config: 0,
      inlineAllow: 0,
    });
    expect(report.findings.length > 0).toBe(true);
  });

  it("an unknown key is not echoed when it may be a token", async () => {
    const s = sandbox();
    writeFileSync(s.baseline, JSON.stringify({ schemaVersion: 1, entries: [], [KEY_TOKEN]: 1 }));
    const r = await s.scan();
    expect(r.code).toBe(2);
    expect(r.stderr.split("\n")[0]).toBe(
      `agent-audit: invalid baseline ${s.baseline}: (root): unknown key <40 characters, not shown>`,
    );
    for (let i = 4; i + 8 <= KEY_TOKEN.length; i++)
      expect(r.stderr.includes(KEY_TOKEN.slice(i, i + 8))).toBe(false);
  });
});
