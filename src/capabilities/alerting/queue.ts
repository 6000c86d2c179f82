// The bounded on-disk queue of one sink (issue 14): an outage of a webhook, Slack or syslog loses
// no alert. Layout of the queue directory (`<stateDir>/queue/<sink key>/`, 0700, ours):
//
//   0000000000000001.json   one pending alert a file (its JSON), named by a sequence number that
//   0000000000000002.json   only grows: the order of delivery
//   dropped.json            {"dropped": N}: alerts dropped (queue full, unreadable file) and not yet
//                           reported in a delivered alert
//
// Crash safety: an alert file is written under a `.tmp-` name (O_EXCL, 0600), fsync'd, then renamed
// to its final name and the directory fsync'd: a crash leaves either no alert or a whole one; a
// half-written `.tmp-` file is removed when the queue is next opened. An alert file is removed only
// after the sink accepted it (a crash between the two sends it again: at-least-once delivery).
// dropped.json is replaced the same way (temp, fsync, rename) and before the files it counts are
// removed (a crash in between over-counts, never under-counts).
//
// One process a queue: the watcher that owns the sink (no lock file; see the report of issue 14).

import { randomBytes } from "node:crypto";
import {
  closeSync,
  constants,
  fstatSync,
  fsyncSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  renameSync,
  type Stats,
  unlinkSync,
  writeSync,
} from "node:fs";
import { join } from "node:path";
import { safeMessage } from "../../util/errors.js";
import { readFdText } from "../../util/safe-read.js";
import { type DeliveredAlert, PartialDeliveryError } from "./sinks.js";
import type { Alert, Sink } from "./types.js";

export interface AlertQueueOptions {
  /** The queue directory (created 0700 when missing). */
  dir: string;
  /** Most alerts kept (default 10,000); past it the oldest are dropped and counted. */
  maxAlerts?: number;
  /** Most bytes of alert files kept (default 50 MiB); same. */
  maxBytes?: number;
  /** Alerts handed to the sink in one send() (default 50). */
  batchSize?: number;
  /** First retry delay (default 1 s), doubled after each failure in a row up to maxDelayMs (default 5 min). */
  initialDelayMs?: number;
  maxDelayMs?: number;
  /** Waits between retries (injectable: tests record the delays and never wait). */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

export interface DrainOptions {
  /** Retries after failures in a row before drain() gives up (default: unlimited). */
  maxRetries?: number;
  /** Stops the drain (at the next send or during a wait). */
  signal?: AbortSignal;
  /** Called with each failed send's message (the sink's safe name and the cause), before the wait. */
  onError?: (message: string) => void;
}

export interface DrainResult {
  /** Alerts the sink accepted during this drain. */
  delivered: number;
  /** Alerts still queued. */
  pending: number;
  /** Failed sends during this drain. */
  failures: number;
  /** The last failure's message (the sink's safe name and the cause), when the queue is not empty. */
  lastError?: string;
}

export const QUEUE_DEFAULTS = {
  maxAlerts: 10_000,
  maxBytes: 50 * 1024 * 1024,
  batchSize: 50,
  initialDelayMs: 1_000,
  maxDelayMs: 5 * 60_000,
} as const;

/** Longest alert file read back (a stored alert is capped far below this). */
const MAX_ALERT_FILE = 1024 * 1024;
/** Caps of the strings of a stored alert: the sinks cap lower, this bounds the disk. */
const STORED_URL_MAX = 4096;
const STORED_FIELD_MAX = 1024;

const ENTRY = /^(\d{16})\.json$/;
const DROPPED_FILE = "dropped.json";

/** The queue directory of a sink (SinkSpec.key) under the watcher's state directory. */
export function queueDirFor(stateDir: string, sinkKey: string): string {
  if (!/^[0-9a-f]{8,64}$/.test(sinkKey)) throw new Error("queue: a sink key is lower-case hex");
  return join(stateDir, "queue", sinkKey);
}

function defaultSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new Error("aborted"));
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(new Error("aborted"));
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

function cap(s: unknown, max: number): unknown {
  return typeof s === "string" && s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

/** The alert as stored: its strings capped (a 1 MB URL from the log is not kept whole). */
function storedAlert(alert: Alert): Alert {
  const e = alert.event;
  const event = Object.fromEntries(
    Object.entries(e).map(([k, v]) => [k, cap(v, k === "url" ? STORED_URL_MAX : STORED_FIELD_MAX)]),
  ) as unknown as Alert["event"];
  return {
    type: alert.type,
    id: cap(alert.id, STORED_FIELD_MAX) as string,
    event,
    count: alert.count,
    firstSeen: cap(alert.firstSeen, STORED_FIELD_MAX) as string,
    lastSeen: cap(alert.lastSeen, STORED_FIELD_MAX) as string,
    hostname: cap(alert.hostname, STORED_FIELD_MAX) as string,
  };
}

function isAlert(v: unknown): v is Alert {
  const a = v as Alert;
  return (
    typeof a === "object" &&
    a !== null &&
    (a.type === "agent-audit.egress-denied" || a.type === "agent-audit.test") &&
    typeof a.id === "string" &&
    typeof a.event === "object" &&
    a.event !== null &&
    typeof a.event.decision === "string" &&
    typeof a.count === "number"
  );
}

/**
 * A stored alert read back, with every field of the type its sinks expect (a string, a number) or
 * left out: a queue file rewritten with odd shapes (`{"toString":1}` where a string goes) would
 * otherwise throw in every sink's formatting, and be retried for ever ahead of every later alert.
 */
function normalized(a: Alert): Alert {
  const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);
  const e = a.event as unknown as Record<string, unknown>;
  const event: Record<string, unknown> = {
    time: str(e.time) ?? "",
    source: str(e.source) ?? "",
    origin: str(e.origin) ?? "",
    decision: str(e.decision) ?? "",
  };
  for (const k of ["client", "host", "method", "url"]) if (typeof e[k] === "string") event[k] = e[k];
  if (typeof e.port === "number") event.port = e.port;
  return {
    type: a.type,
    id: a.id,
    event: event as unknown as Alert["event"],
    count: Number.isSafeInteger(a.count) ? a.count : 1,
    firstSeen: str(a.firstSeen) ?? "",
    lastSeen: str(a.lastSeen) ?? "",
    hostname: str(a.hostname) ?? "",
  };
}

interface Entry {
  seq: number;
  size: number;
}

function fileName(seq: number): string {
  return `${String(seq).padStart(16, "0")}.json`;
}

export class AlertQueue {
  readonly dir: string;
  readonly #maxAlerts: number;
  readonly #maxBytes: number;
  readonly #batchSize: number;
  readonly #initialDelayMs: number;
  readonly #maxDelayMs: number;
  readonly #sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Pending alerts, oldest first. */
  #entries: Entry[] = [];
  #bytes = 0;
  #nextSeq = 1;
  #dropped = 0;
  /** Sequence numbers handed to a sink and not yet settled: never dropped under them. */
  readonly #inFlight = new Set<number>();
  #draining: Promise<DrainResult> | undefined;

  /**
   * Opens (or creates) the queue directory and resumes what it holds. Throws for a directory that
   * is a symbolic link, not a directory, writable by group or others, or owned by another user.
   */
  constructor(opts: AlertQueueOptions) {
    this.dir = opts.dir;
    this.#maxAlerts = Math.max(1, opts.maxAlerts ?? QUEUE_DEFAULTS.maxAlerts);
    this.#maxBytes = Math.max(1, opts.maxBytes ?? QUEUE_DEFAULTS.maxBytes);
    this.#batchSize = Math.max(1, opts.batchSize ?? QUEUE_DEFAULTS.batchSize);
    this.#initialDelayMs = opts.initialDelayMs ?? QUEUE_DEFAULTS.initialDelayMs;
    this.#maxDelayMs = opts.maxDelayMs ?? QUEUE_DEFAULTS.maxDelayMs;
    this.#sleep = opts.sleep ?? defaultSleep;
    this.#openDir();
    this.#load();
  }

  /** Alerts waiting. */
  get pending(): number {
    return this.#entries.length;
  }

  /** Bytes of the alerts waiting. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Alerts dropped and not yet reported in a delivered alert. */
  get dropped(): number {
    return this.#dropped;
  }

  #openDir(): void {
    let st: Stats;
    try {
      st = lstatSync(this.dir);
    } catch (e) {
      if ((e as { code?: string }).code !== "ENOENT") throw this.#error(`cannot open: ${safeMessage(e)}`);
      mkdirSync(this.dir, { recursive: true, mode: 0o700 });
      st = lstatSync(this.dir);
    }
    if (st.isSymbolicLink()) throw this.#error("is a symbolic link; refusing to use it");
    if (!st.isDirectory()) throw this.#error("is not a directory");
    if ((st.mode & 0o022) !== 0)
      throw this.#error(
        `is writable by group or others (mode ${(st.mode & 0o777).toString(8)}); chmod 700 it`,
      );
    const uid = process.getuid?.();
    if (uid !== undefined && st.uid !== uid)
      throw this.#error(`is owned by uid ${st.uid}, not by this user (${uid})`);
  }

  #error(what: string): Error {
    return new Error(`alert queue ${this.dir} ${what}`);
  }

  #load(): void {
    const seqs: Entry[] = [];
    const oversized: number[] = [];
    for (const name of readdirSync(this.dir)) {
      if (name.startsWith(".tmp-")) {
        // A write that never reached its rename: not queued. (Anything else by that name, such as a
        // directory, is left alone: it must not stop the queue from opening.)
        try {
          if (lstatSync(join(this.dir, name)).isFile()) unlinkSync(join(this.dir, name));
        } catch {
          // gone already, or not ours to remove
        }
        continue;
      }
      const m = ENTRY.exec(name);
      if (!m) continue;
      const st = lstatSync(join(this.dir, name));
      const seq = Number(m[1]);
      if (!st.isFile() || !Number.isSafeInteger(seq)) continue;
      if (st.size > MAX_ALERT_FILE) {
        // No alert we wrote is that big: counting it would make the bounds drop real alerts. It is
        // removed and counted as dropped (below), like an unreadable entry at send time.
        oversized.push(seq);
        continue;
      }
      seqs.push({ seq, size: st.size });
    }
    seqs.sort((a, b) => a.seq - b.seq);
    this.#entries = seqs;
    this.#bytes = seqs.reduce((n, e) => n + e.size, 0);
    this.#nextSeq = (seqs.at(-1)?.seq ?? 0) + 1;
    const text = this.#readFile(DROPPED_FILE, 4096);
    if (text !== undefined) {
      try {
        const d = (JSON.parse(text) as { dropped?: unknown }).dropped;
        if (typeof d === "number" && Number.isSafeInteger(d) && d >= 0) this.#dropped = d;
      } catch {
        // A damaged counter: nothing to recover it from; it restarts at 0.
      }
    }
    if (oversized.length > 0) {
      this.#nextSeq = Math.max(this.#nextSeq, Math.max(...oversized) + 1);
      this.#dropped += oversized.length;
      this.#saveDropped();
      for (const s of oversized) this.#unlink(s);
      this.#syncDir();
    }
  }

  /** A regular file of the queue, not through a link, at most `max` bytes; undefined when missing. */
  #readFile(name: string, max: number): string | undefined {
    let fd: number;
    try {
      fd = openSync(join(this.dir, name), constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    } catch (e) {
      if ((e as { code?: string }).code === "ENOENT") return undefined;
      throw e;
    }
    try {
      const st = fstatSync(fd);
      if (!st.isFile() || st.size > max) return undefined;
      return readFdText(fd, st.size);
    } finally {
      closeSync(fd);
    }
  }

  /** Writes a file of the queue crash-safely: temp (O_EXCL, 0600), fsync, rename. Returns its size. */
  #writeFile(name: string, text: string): number {
    const tmp = join(this.dir, `.tmp-${randomBytes(6).toString("hex")}`);
    const buf = Buffer.from(text, "utf8");
    const fd = openSync(
      tmp,
      constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
      0o600,
    );
    try {
      let off = 0;
      while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
      fsyncSync(fd);
    } catch (e) {
      closeSync(fd);
      unlinkSync(tmp);
      throw e;
    }
    closeSync(fd);
    renameSync(tmp, join(this.dir, name));
    return buf.length;
  }

  #syncDir(): void {
    const fd = openSync(this.dir, constants.O_RDONLY | constants.O_DIRECTORY);
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }

  #saveDropped(): void {
    this.#writeFile(DROPPED_FILE, `${JSON.stringify({ dropped: this.#dropped })}\n`);
  }

  #unlink(seq: number): void {
    try {
      unlinkSync(join(this.dir, fileName(seq)));
    } catch (e) {
      if ((e as { code?: string }).code !== "ENOENT") throw e;
    }
  }

  /**
   * Queues alerts (durably: on return they survive a crash). When the queue is then past its
   * bounds, the oldest alerts not being sent right now are dropped and counted.
   */
  enqueue(alerts: readonly Alert[]): void {
    if (alerts.length === 0) return;
    for (const alert of alerts) {
      const seq = this.#nextSeq++;
      const size = this.#writeFile(fileName(seq), `${JSON.stringify(storedAlert(alert))}\n`);
      this.#entries.push({ seq, size });
      this.#bytes += size;
    }
    this.#syncDir();
    this.#enforceBounds();
  }

  /**
   * The bounds apply to the alerts not being sent right now (those are about to leave; dropping
   * them would lose what the sink may already have accepted): the disk holds at most the bounds
   * plus one batch.
   */
  #enforceBounds(): void {
    let count = 0;
    let bytes = 0;
    for (const e of this.#entries) {
      if (this.#inFlight.has(e.seq)) continue;
      count++;
      bytes += e.size;
    }
    const victims: number[] = [];
    for (const e of this.#entries) {
      if (count <= this.#maxAlerts && bytes <= this.#maxBytes) break;
      if (this.#inFlight.has(e.seq)) continue;
      victims.push(e.seq);
      count--;
      bytes -= e.size;
    }
    if (victims.length === 0) return;
    this.#dropped += victims.length;
    this.#saveDropped(); // first: a crash after it over-counts, never hides a loss
    this.#remove(victims);
  }

  /** Removes the given entries (delivered or unreadable) from disk and the index. */
  #remove(seqs: readonly number[]): void {
    if (seqs.length === 0) return;
    const gone = new Set(seqs);
    for (const s of seqs) this.#unlink(s);
    this.#syncDir();
    const kept: Entry[] = [];
    for (const e of this.#entries) {
      if (gone.has(e.seq)) this.#bytes -= e.size;
      else kept.push(e);
    }
    this.#entries = kept;
  }

  /** The next batch, read back; unreadable files are dropped (and counted) on the way. */
  #nextBatch(): { seqs: number[]; alerts: DeliveredAlert[] } {
    for (;;) {
      const batch = this.#entries.slice(0, this.#batchSize);
      const seqs: number[] = [];
      const alerts: DeliveredAlert[] = [];
      const bad: number[] = [];
      for (const e of batch) {
        let alert: unknown;
        try {
          const text = this.#readFile(fileName(e.seq), MAX_ALERT_FILE);
          alert = text === undefined ? undefined : JSON.parse(text);
        } catch {
          alert = undefined;
        }
        if (isAlert(alert)) {
          seqs.push(e.seq);
          alerts.push(normalized(alert));
        } else {
          bad.push(e.seq);
        }
      }
      if (bad.length > 0) {
        this.#dropped += bad.length;
        this.#saveDropped();
        this.#remove(bad);
      }
      if (alerts.length > 0 || this.#entries.length === 0) return { seqs, alerts };
    }
  }

  /** The wait before retry number `failures` (1: initialDelayMs), doubling, at most maxDelayMs. */
  delay(failures: number): number {
    const d = this.#initialDelayMs * 2 ** Math.min(Math.max(0, failures - 1), 40);
    return Math.min(d, this.#maxDelayMs);
  }

  /**
   * Sends the queued alerts to the sink, oldest first, in batches; an alert leaves the queue only
   * once the sink accepted it (a PartialDeliveryError says how many of a batch were). After a
   * failure it waits (1 s, 2 s, 4 s … 5 min) and retries the same alerts; it returns when the queue
   * is empty, after maxRetries failed retries in a row, or when the signal aborts. The first alert
   * of a batch carries `dropped` (alerts lost since the last report); the counter is lowered once
   * that alert was accepted. Concurrent calls share one drain.
   */
  drain(sink: Sink, opts: DrainOptions = {}): Promise<DrainResult> {
    this.#draining ??= this.#drain(sink, opts).finally(() => {
      this.#draining = undefined;
    });
    return this.#draining;
  }

  async #drain(sink: Sink, opts: DrainOptions): Promise<DrainResult> {
    const maxRetries = opts.maxRetries ?? Number.POSITIVE_INFINITY;
    let delivered = 0;
    let failures = 0;
    let inARow = 0;
    let lastError: string | undefined;
    while (this.#entries.length > 0 && !opts.signal?.aborted) {
      const { seqs, alerts } = this.#nextBatch();
      if (alerts.length === 0) break;
      const reported = this.#dropped;
      if (reported > 0) alerts[0] = { ...alerts[0]!, dropped: reported };
      for (const s of seqs) this.#inFlight.add(s);
      let accepted = alerts.length;
      let error: unknown;
      try {
        await sink.send(alerts);
      } catch (e) {
        error = e;
        accepted =
          e instanceof PartialDeliveryError && Number.isSafeInteger(e.delivered)
            ? Math.max(0, Math.min(e.delivered, alerts.length))
            : 0;
      } finally {
        this.#inFlight.clear();
      }
      if (accepted > 0) {
        if (reported > 0) {
          this.#dropped = Math.max(0, this.#dropped - reported);
          this.#saveDropped();
        }
        this.#remove(seqs.slice(0, accepted));
        delivered += accepted;
        inARow = 0;
      }
      if (error === undefined) continue;
      failures++;
      inARow++;
      lastError = error instanceof Error ? error.message : `${sink.name}: send failed`;
      opts.onError?.(lastError);
      if (inARow > maxRetries) break;
      try {
        await this.#sleep(this.delay(inARow), opts.signal);
      } catch {
        break; // aborted
      }
    }
    const result: DrainResult = { delivered, pending: this.#entries.length, failures };
    if (this.#entries.length > 0 && lastError !== undefined) result.lastError = lastError;
    return result;
  }
}
