import { statSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { ContentScanner } from "../../src/detect/content.js";
import { defaultRules } from "../../src/rules/catalog.js";
import { selfAccess } from "../../src/sources/access.js";
import type { SourceContext } from "../../src/sources/context.js";
import { ScanPool } from "../../src/sources/scan-pool.js";
import { testLimits } from "../helpers/inventory.js";
import { tempTree } from "../helpers/tmp.js";

// The pool's promise: every batch is scanned and counted exactly once, whatever its workers do. The
// real worker cannot run under vitest (it imports .ts), so these workers are small scripts that
// misbehave on purpose; the batches they drop are scanned by the main thread from the real files.

const TOKEN = "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";
const FILES = 300; // 5 batches of 64 files (the last one short)
const files: Record<string, string> = {};
for (let i = 0; i < FILES; i++) files[`f${i}.txt`] = i % 10 === 0 ? `k=${TOKEN}\n` : `plain ${i}\n`;

// Replies like a real worker, from the job list alone: no file read, no finding.
const reply = `
  const result = (m) => ({ id: m.id, located: [], issues: [],
    stats: { files: m.jobs.length, bytes: 0 }, fileBytes: m.jobs.map(() => 0) });`;
const WORKERS = {
  // Posts every result twice.
  "twice.mjs": `import { parentPort } from "node:worker_threads";${reply}
    parentPort.postMessage({ ready: true });
    parentPort.on("message", (m) => { parentPort.postMessage(result(m)); parentPort.postMessage(result(m)); });`,
  // Answers its first batch, then throws on the next: its error can overtake that first result.
  "dies.mjs": `import { parentPort } from "node:worker_threads";${reply}
    let n = 0;
    parentPort.postMessage({ ready: true });
    parentPort.on("message", (m) => { if (n++ === 0) parentPort.postMessage(result(m)); else throw new Error("boom"); });`,
  // Dies before it is ready: everything is scanned here.
  "dead.mjs": `throw new Error("cannot start");`,
  // Honours the batch claims as the real worker does, and takes 300 ms per batch: the main thread,
  // out of work at the end, takes back the batches queued behind the first.
  "slow.mjs": `import { parentPort } from "node:worker_threads";${reply}
    parentPort.postMessage({ ready: true });
    parentPort.on("message", (m) => {
      if (Atomics.compareExchange(m.claim, 0, 0, 1) !== 0) return;
      const until = Date.now() + 300;
      while (Date.now() < until);
      parentPort.postMessage(result(m));
    });`,
};
const t = tempTree({
  ...files,
  ...Object.fromEntries(Object.entries(WORKERS).map(([k, v]) => [`w/${k}`, v])),
});
afterAll(() => t.cleanup());

function context(): SourceContext {
  const rules = defaultRules();
  return {
    rules,
    scanner: new ContentScanner(rules),
    home: t.dir,
    root: t.dir,
    systemRoot: t.dir,
    env: undefined,
    access: selfAccess("tester"),
    limits: testLimits(),
    issues: [],
    stats: { files: 0, bytes: 0 },
    scanned: new Set(),
    sources: new Set(["tree"]),
  };
}

async function run(worker: string, size: number) {
  const ctx = context();
  let progress = 0;
  ctx.onFile = () => progress++;
  const pool = new ScanPool(size, ctx, pathToFileURL(join(t.dir, "w", worker)));
  // Once a worker is ready, batches go to the workers first (PREFETCH 4 each), not to this thread.
  await pool.whenReady();
  for (let i = 0; i < FILES; i++) {
    const abs = join(t.dir, `f${i}.txt`);
    pool.submit({ abs, reportPath: `f${i}.txt`, source: "tree", st: statSync(abs) }, undefined);
  }
  const { located, issues } = await pool.drain();
  return { ctx, located, issues, progress };
}

describe("scan pool recovery", () => {
  it("counts a batch whose result arrives twice once", async () => {
    const r = await run("twice.mjs", 2);
    expect(r.ctx.stats.files).toBe(FILES);
    expect(r.progress).toBe(FILES);
    expect(r.issues).toEqual([]);
  });

  it("scans the batches of a worker that dies mid-scan here, each exactly once", async () => {
    for (let round = 0; round < 5; round++) {
      const r = await run("dies.mjs", 2);
      // Both workers answer one batch (no findings: fake) and die; the rest is scanned here.
      expect(r.ctx.stats.files).toBe(FILES);
      expect(r.progress).toBe(FILES);
      const found = r.located.map((d) => d.location.path);
      expect(new Set(found).size).toBe(found.length);
      for (const p of found) expect(Number(p?.slice(1, -4)) % 10).toBe(0);
    }
  });

  it("takes back the batches a busy worker has not started, each scanned exactly once", async () => {
    const r = await run("slow.mjs", 1);
    expect(r.ctx.stats.files).toBe(FILES);
    expect(r.progress).toBe(FILES);
    const found = r.located.map((d) => d.location.path!);
    expect(new Set(found).size).toBe(found.length);
    // The worker reports no finding (fake): every one found was scanned here. Batch 4 (files
    // 256-299) never went to the worker; batch 3 (192-255), the last one queued there, came back.
    const here = new Set(found.map((p) => Number(p.slice(1, -4))));
    for (const i of [200, 210, 220, 230, 240, 250, 260, 270, 280, 290]) expect(here.has(i)).toBe(true);
    // The worker's first batch (0-63) was its own.
    for (const i of [0, 10, 20, 30, 40, 50, 60]) expect(here.has(i)).toBe(false);
  });

  it("scans everything here when no worker starts", async () => {
    const r = await run("dead.mjs", 2);
    expect(r.ctx.stats.files).toBe(FILES);
    expect(r.located.map((d) => d.location.path).sort()).toEqual(
      Array.from({ length: FILES / 10 }, (_, i) => `f${i * 10}.txt`).sort(),
    );
  });
});
