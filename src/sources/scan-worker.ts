import { parentPort, workerData } from "node:worker_threads";
import { scannerFor } from "../detect/content.js";
import { scanClaimedAsync, scanClaimedSync } from "./files.js";
import {
  batchScan,
  CLAIM_OPEN,
  CLAIM_WORKER,
  type ScanJob,
  type ScanWorkerData,
  targetOf,
} from "./scan-pool.js";

// A scan worker: reads and scans the files the main thread has claimed (claimFile), with the same
// rules and limits, and posts back the detections, issues and byte counts of each batch.
const data = workerData as ScanWorkerData;
// The rule set of the scan that started this worker (issue 9: workers used the packaged rules even
// when the main thread had a custom set).
const rules = data.rules;
const scanner = scannerFor(rules, new Set(data.disabled));
const pathRules = new Map(rules.paths.map((r) => [r.id, r]));

scanner.warmUp();

// Loaded and compiled: from now on this worker takes batches.
parentPort!.postMessage({ ready: true });

parentPort!.on("message", async (msg: { id: number; jobs: ScanJob[]; claim?: Int32Array }) => {
  // A batch the main thread has taken back (ScanPool.takeBack) is its to scan: skipped, unanswered.
  if (msg.claim && Atomics.compareExchange(msg.claim, 0, CLAIM_OPEN, CLAIM_WORKER) !== CLAIM_OPEN) return;
  const { result, ctx } = batchScan(msg.id, { rules, scanner, limits: data.limits });
  for (const job of msg.jobs) {
    const target = targetOf(job, pathRules);
    const found = scanClaimedSync(target, ctx) ?? (await scanClaimedAsync(target, ctx));
    // A loop, not push(...found): a spread of more than ~125k detections overflows the stack (issue 8).
    for (const d of found) result.located.push(d);
  }
  parentPort!.postMessage(result);
});
