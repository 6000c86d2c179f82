import type { Stats } from "node:fs";
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import type { ScanIssue, SourceKind } from "../contract/types.js";
import type { SuppressedCounts } from "../detect/content.js";
import type { RuleSet } from "../rules/catalog.js";
import type { PathRule } from "../rules/types.js";
import type { Located, ScanLimits, SourceContext } from "./context.js";
import { type FileTarget, type ReadContext, scanClaimedAsync, scanClaimedSync } from "./files.js";

/** What a scan worker starts with (scan-worker.ts). */
export interface ScanWorkerData {
  rules: RuleSet;
  disabled: string[];
  limits: ScanLimits;
}

/**
 * The file target of a job, as the thread that scans it sees the file: its size as claimed, its
 * path rule by id. A batch keeps its jobs only, not the walk's targets and their Stats objects,
 * which would live on (and be copied by the garbage collector) until the batch is done (issue 15).
 */
export function targetOf(job: ScanJob, pathRules: ReadonlyMap<string, PathRule>): FileTarget {
  return {
    abs: job.abs,
    reportPath: job.reportPath,
    source: job.source,
    st: { size: job.size, isFile: () => true } as Stats,
    pathRule: job.pathRuleId ? pathRules.get(job.pathRuleId) : undefined,
    confineTo: job.confineTo,
  };
}

/** A claimed file, as sent to a worker. */
export interface ScanJob {
  abs: string;
  reportPath: string;
  source: SourceKind;
  pathRuleId?: string;
  size: number;
  confineTo?: string;
}

export interface ScanBatchResult {
  id: number;
  located: Located[];
  issues: ScanIssue[];
  stats: { files: number; bytes: number };
  suppressed: SuppressedCounts;
  fileBytes: number[];
}

/**
 * An empty result for batch `id`, and the read context that fills it: the scanner and limits of
 * `base`, with this batch's own issues, stats and per-file byte counts. Used by the workers and by
 * the main thread alike.
 */
export function batchScan(
  id: number,
  base: Pick<ReadContext, "rules" | "scanner" | "limits">,
): { result: ScanBatchResult; ctx: ReadContext } {
  const result: ScanBatchResult = {
    id,
    located: [],
    issues: [],
    stats: { files: 0, bytes: 0 },
    suppressed: { config: 0, inlineAllow: 0 },
    fileBytes: [],
  };
  const ctx: ReadContext = {
    rules: base.rules,
    scanner: base.scanner,
    limits: base.limits,
    issues: result.issues,
    stats: result.stats,
    suppressed: result.suppressed,
    onFile: (bytes) => result.fileBytes.push(bytes),
  };
  return { result, ctx };
}

interface Batch {
  id: number;
  jobs: ScanJob[];
  /**
   * Who scans a batch sent to a worker, decided once with a compare-and-swap on memory both
   * threads see: CLAIM_OPEN until the worker starts it (CLAIM_WORKER) or the main thread takes it
   * back at the end (CLAIM_MAIN, see drain).
   */
  claim?: Int32Array;
}

/** Batch.claim's states. */
export const CLAIM_OPEN = 0;
export const CLAIM_WORKER = 1;
export const CLAIM_MAIN = 2;

interface PoolWorker {
  worker: Worker;
  ready: boolean;
  inFlight: Map<number, Batch>;
}

const BATCH_FILES = 64;
const BATCH_BYTES = 1024 * 1024;
/**
 * Batches queued per worker: while it scans one, the next ones wait in its port, so it does not
 * idle while the main thread is busy walking or scanning a batch of its own and cannot answer
 * (with 2, a worker idled ~15% of a 200 MB scan; with 4, ~3%: --cpu-prof of test/bench trees).
 */
const PREFETCH = 4;

/**
 * Worker threads for the CPU-bound part of a big tree scan (reading and matching file contents).
 * The main thread keeps walking and claiming (claimFile), and scans too: batches go to workers
 * while they have room, and the main thread takes the rest between directories (help) and at the
 * end (drain). Results are kept in batch order, so the report is the same as an in-process scan
 * (test/sources/scan-pool.test.ts). A worker that dies loses nothing: its batches are scanned here.
 */
export class ScanPool {
  private readonly workers: PoolWorker[] = [];
  private readonly waiting: Batch[] = [];
  private readonly results: ScanBatchResult[] = [];
  private batch: ScanJob[] = [];
  /** The rule set's path rules by id: a job names its path rule by id (targetOf). */
  private readonly pathRules: ReadonlyMap<string, PathRule>;
  private batchBytes = 0;
  private nextId = 0;
  private done = 0;
  private onDone: (() => void) | undefined;
  /** Batches scanned by the main thread and by workers (for the trace below). */
  private byMain = 0;
  private byWorkers = 0;
  /**
   * AGENT_AUDIT_TRACE_WORKERS (test/sources/scan-pool.test.ts): print the split at the end, and let
   * the main thread help only once a worker is ready, so a test always sees both sides scan.
   */
  private readonly trace = Boolean(process.env.AGENT_AUDIT_TRACE_WORKERS);

  constructor(
    size: number,
    private readonly ctx: SourceContext,
    /** The worker script; tests pass a misbehaving one (test/sources/scan-pool-recovery.test.ts). */
    url: URL = new URL("./scan-worker.js", import.meta.url),
  ) {
    this.pathRules = new Map(ctx.rules.paths.map((r) => [r.id, r]));
    // For the test that proves the workers ran (test/sources/scan-pool.test.ts).
    if (this.trace) process.stderr.write(`agent-audit: ${size} scan workers\n`);
    // The scan's own rule set, by value (structured clone keeps the compiled RegExps): a worker scans
    // with the rules it is given, a custom set too, never the packaged ones behind it (issue 9).
    const workerData: ScanWorkerData = {
      rules: ctx.rules,
      disabled: [...ctx.scanner.disabled],
      limits: ctx.limits,
    };
    for (let i = 0; i < size; i++) {
      const pw: PoolWorker = { worker: new Worker(url, { workerData }), ready: false, inFlight: new Map() };
      pw.worker.on("message", (r: ScanBatchResult | { ready: true }) => {
        if ("ready" in r) {
          pw.ready = true;
          this.readyChanged();
        } else {
          pw.inFlight.delete(r.id);
          if (this.accept(r)) this.byWorkers++;
        }
        this.dispatch();
      });
      pw.worker.on("error", () => this.failed(pw));
      this.workers.push(pw);
    }
  }

  /** Queues a claimed file; a full batch goes to a worker with room, or waits for the main thread. */
  submit(t: FileTarget, pathRuleId: string | undefined): void {
    this.batch.push({
      abs: t.abs,
      reportPath: t.reportPath,
      source: t.source,
      pathRuleId,
      size: t.st.size,
      confineTo: t.confineTo,
    });
    this.batchBytes += t.st.size;
    if (this.batch.length >= BATCH_FILES || this.batchBytes >= BATCH_BYTES) this.flush();
  }

  private flush(): void {
    if (this.batch.length === 0) return;
    this.waiting.push({ id: this.nextId++, jobs: this.batch });
    this.batch = [];
    this.batchBytes = 0;
    this.dispatch();
  }

  /** Tops up every ready worker to PREFETCH batches. */
  private dispatch(): void {
    for (const pw of this.workers) {
      while (pw.ready && pw.inFlight.size < PREFETCH && this.waiting.length) {
        const b = this.waiting.shift()!;
        b.claim = new Int32Array(new SharedArrayBuffer(4));
        pw.inFlight.set(b.id, b);
        pw.worker.postMessage({ id: b.id, jobs: b.jobs, claim: b.claim });
      }
    }
  }

  /**
   * Called by the walk between directories: scans one waiting batch on the main thread when the
   * workers are full (or still starting), then yields to the event loop so their results and
   * requests for more are handled.
   */
  async help(): Promise<void> {
    if (this.trace) await this.whenReady();
    this.dispatch();
    const b = this.waiting.shift();
    if (b) await this.scanHere(b);
    await yieldToEventLoop();
  }

  /**
   * Takes a batch's result once. A worker that throws can deliver its `error` before results it
   * had already posted, and failed() rescans its batches here: whichever result comes second is
   * dropped, so no batch is counted twice and drain() never ends early.
   */
  private accept(r: ScanBatchResult): boolean {
    if (this.results[r.id]) return false;
    this.results[r.id] = r;
    this.ctx.stats.files += r.stats.files;
    this.ctx.stats.bytes += r.stats.bytes;
    if (this.ctx.suppressed) {
      this.ctx.suppressed.config += r.suppressed.config;
      this.ctx.suppressed.inlineAllow += r.suppressed.inlineAllow;
    }
    for (const b of r.fileBytes) this.ctx.onFile?.(b);
    this.done++;
    if (this.done === this.nextId) this.onDone?.();
    return true;
  }

  private readyWaiters: (() => void)[] = [];

  /** Resolves once a worker is ready to take batches, or none is left to become ready. */
  whenReady(): Promise<void> {
    if (this.workers.length === 0 || this.workers.some((pw) => pw.ready)) return Promise.resolve();
    return new Promise((resolve) => this.readyWaiters.push(resolve));
  }

  private readyChanged(): void {
    if (this.workers.length && !this.workers.some((pw) => pw.ready)) return;
    for (const resolve of this.readyWaiters.splice(0)) resolve();
  }

  /** A worker that dies does not lose its batches: the main thread scans them (fail closed). */
  private failed(pw: PoolWorker): void {
    const i = this.workers.indexOf(pw);
    if (i >= 0) this.workers.splice(i, 1);
    this.readyChanged();
    const lost = [...pw.inFlight.values()];
    pw.inFlight.clear();
    for (const b of lost) void this.scanHere(b);
  }

  private async scanHere(b: Batch): Promise<void> {
    const { result, ctx } = batchScan(b.id, this.ctx);
    // Loops, not push(...found): a spread of more than ~125k items overflows the stack (issue 8).
    for (const job of b.jobs) {
      const t = targetOf(job, this.pathRules);
      for (const d of scanClaimedSync(t, ctx) ?? (await scanClaimedAsync(t, ctx))) result.located.push(d);
    }
    if (this.accept(result)) this.byMain++;
  }

  /**
   * Takes back the last batch queued at a worker that the worker has not started, if any (its
   * claim still open): at the end of a walk a worker holds up to PREFETCH batches, and this thread,
   * out of work, would otherwise wait for all of them (issue 15). The worker skips a batch it finds
   * taken (scan-worker.ts).
   */
  private takeBack(): Batch | undefined {
    let last: { pw: PoolWorker; b: Batch } | undefined;
    for (const pw of this.workers)
      for (const b of pw.inFlight.values())
        if (b.claim && Atomics.load(b.claim, 0) === CLAIM_OPEN && (!last || b.id > last.b.id))
          last = { pw, b };
    if (!last || Atomics.compareExchange(last.b.claim!, 0, CLAIM_OPEN, CLAIM_MAIN) !== CLAIM_OPEN)
      return undefined;
    last.pw.inFlight.delete(last.b.id);
    return last.b;
  }

  /** Scans what is left (shared with the workers), waits for every batch; results in batch order. */
  async drain(): Promise<{ located: Located[]; issues: ScanIssue[] }> {
    this.flush();
    while (this.waiting.length) await this.help();
    for (let b = this.takeBack(); b; b = this.takeBack()) {
      await this.scanHere(b);
      await yieldToEventLoop();
    }
    if (this.done < this.nextId) await new Promise<void>((resolve) => (this.onDone = resolve));
    await Promise.all(this.workers.map((pw) => pw.worker.terminate()));
    if (this.trace) {
      process.stderr.write(
        `agent-audit: batches scanned: ${this.byMain} here, ${this.byWorkers} by workers\n`,
      );
    }
    const located: Located[] = [];
    const issues: ScanIssue[] = [];
    for (const r of this.results) {
      for (const d of r.located) located.push(d);
      for (const i of r.issues) issues.push(i);
    }
    return { located, issues };
  }
}

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * Worker count for `--workers auto`: one per core beside the main thread (which scans too), at
 * most 3, and only from the compiled package (a worker cannot load the .ts sources).
 */
export function autoWorkers(): number {
  if (!import.meta.url.endsWith(".js")) return 0;
  return Math.min(availableParallelism() - 1, 3);
}
