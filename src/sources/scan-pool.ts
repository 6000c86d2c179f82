import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import type { ScanIssue, SourceKind } from "../core/types.js";
import type { Located, SourceContext } from "./context.js";
import { type FileTarget, scanClaimed } from "./files.js";

/** A claimed file, as sent to a worker. */
export interface ScanJob {
  abs: string;
  reportPath: string;
  source: SourceKind;
  pathRuleId?: string;
  size: number;
}

export interface ScanBatchResult {
  id: number;
  located: Located[];
  issues: ScanIssue[];
  stats: { files: number; bytes: number };
  fileBytes: number[];
}

const BATCH_FILES = 64;
const BATCH_BYTES = 4 * 1024 * 1024;

/**
 * Worker threads for the CPU-bound part of a big tree scan (regexes over file contents). The main
 * thread keeps walking and claiming; files go out in batches; results come back in batch order, so
 * the report is the same as an in-process scan (test/sources/scan-pool.test.ts).
 */
export class ScanPool {
  private readonly workers: Worker[] = [];
  private readonly idle: Worker[] = [];
  private readonly waiting: { id: number; jobs: ScanJob[]; targets: FileTarget[] }[] = [];
  private readonly results: ScanBatchResult[] = [];
  private readonly inFlight = new Map<Worker, { id: number; jobs: ScanJob[]; targets: FileTarget[] }>();
  private batch: ScanJob[] = [];
  private batchTargets: FileTarget[] = [];
  private batchBytes = 0;
  private nextId = 0;
  private done = 0;
  private onIdle: (() => void) | undefined;

  constructor(
    size: number,
    private readonly ctx: SourceContext,
  ) {
    // For the test that proves the workers ran (test/sources/scan-pool.test.ts).
    if (process.env.AGENT_AUDIT_TRACE_WORKERS) process.stderr.write(`agent-audit: ${size} scan workers\n`);
    const url = new URL("./scan-worker.js", import.meta.url);
    const workerData = { disabled: [...ctx.scanner.disabled], limits: ctx.limits };
    for (let i = 0; i < size; i++) {
      const w = new Worker(url, { workerData });
      w.on("message", (r: ScanBatchResult | { ready: true }) => {
        if ("ready" in r) {
          this.idle.push(w);
          this.dispatch();
        } else this.finished(w, r);
      });
      w.on("error", () => this.failed(w));
      this.workers.push(w);
    }
  }

  /** Queues a claimed file; full batches go to the next ready worker. */
  submit(t: FileTarget, pathRuleId: string | undefined): void {
    this.batch.push({ abs: t.abs, reportPath: t.reportPath, source: t.source, pathRuleId, size: t.st.size });
    this.batchTargets.push(t);
    this.batchBytes += t.st.size;
    if (this.batch.length >= BATCH_FILES || this.batchBytes >= BATCH_BYTES) this.flush();
  }

  private flush(): void {
    if (this.batch.length === 0) return;
    this.waiting.push({ id: this.nextId++, jobs: this.batch, targets: this.batchTargets });
    this.batch = [];
    this.batchTargets = [];
    this.batchBytes = 0;
    this.dispatch();
  }

  private dispatch(): void {
    if (this.workers.length === 0) {
      for (const b of this.waiting.splice(0)) void this.scanHere(b);
      return;
    }
    while (this.idle.length && this.waiting.length) {
      const w = this.idle.pop()!;
      const b = this.waiting.shift()!;
      this.inFlight.set(w, b);
      w.postMessage({ id: b.id, jobs: b.jobs });
    }
  }

  private finished(w: Worker, r: ScanBatchResult): void {
    this.inFlight.delete(w);
    this.idle.push(w);
    this.accept(r);
    this.dispatch();
  }

  private accept(r: ScanBatchResult): void {
    this.results[r.id] = r;
    this.ctx.stats.files += r.stats.files;
    this.ctx.stats.bytes += r.stats.bytes;
    for (const b of r.fileBytes) this.ctx.onFile?.(b);
    this.done++;
    if (this.done === this.nextId && this.waiting.length === 0) this.onIdle?.();
  }

  /** A worker that dies does not lose its batch: the main thread scans it (fail closed). */
  private failed(w: Worker): void {
    const b = this.inFlight.get(w);
    this.inFlight.delete(w);
    this.workers.splice(this.workers.indexOf(w), 1);
    const idle = this.idle.indexOf(w);
    if (idle >= 0) this.idle.splice(idle, 1);
    if (b) void this.scanHere(b);
    if (this.workers.length === 0) for (const rest of this.waiting.splice(0)) void this.scanHere(rest);
  }

  private async scanHere(b: { id: number; targets: FileTarget[] }): Promise<void> {
    const r: ScanBatchResult = {
      id: b.id,
      located: [],
      issues: [],
      stats: { files: 0, bytes: 0 },
      fileBytes: [],
    };
    const ctx = { ...this.ctx, issues: r.issues, stats: r.stats, onFile: (n: number) => r.fileBytes.push(n) };
    for (const t of b.targets) r.located.push(...(await scanClaimed(t, ctx)));
    this.accept(r);
  }

  /** Waits for every batch; returns detections and issues in batch order. */
  async drain(): Promise<{ located: Located[]; issues: ScanIssue[] }> {
    this.flush();
    if (this.done < this.nextId) await new Promise<void>((resolve) => (this.onIdle = resolve));
    await Promise.all(this.workers.map((w) => w.terminate()));
    const located: Located[] = [];
    const issues: ScanIssue[] = [];
    for (const r of this.results) {
      located.push(...r.located);
      issues.push(...r.issues);
    }
    return { located, issues };
  }
}

/** Worker count for `--workers auto`: the cores, at most 4, and only from the compiled package. */
export function autoWorkers(): number {
  if (!import.meta.url.endsWith(".js")) return 0;
  return Math.min(availableParallelism(), 4);
}
