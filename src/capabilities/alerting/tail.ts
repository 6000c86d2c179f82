// `agent-audit watch` (issue 14): following logs. LogFollower reads a growing log file line by line
// and survives rotation (rename and a new file), truncation (copytruncate), restarts (a saved
// offset), partial lines (kept until their newline arrives) and hostile lines (a line longer than
// the cap is cut, never buffered without bound, never stalls). JournalReader does the same for
// `journalctl -o json`, with the journal's cursor as its position. The watcher saves the positions
// (WatchState) after each batch it has handed to the sinks' queue: a restart resumes right after
// the last line processed.

import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { closeSync, constants, fstatSync, openSync } from "node:fs";
import { type FileHandle, open, stat } from "node:fs/promises";
import { UsageError } from "../../util/errors.js";
import { fileKind, readFdText, UnsafeFileError } from "../../util/safe-read.js";
import { writeFileReplacing } from "../../util/safe-write.js";
import { scanJsonObject } from "./parsers.js";

// ---------------------------------------------------------------------------------------------
// State

/** The position in one followed file. */
export interface FileState {
  /** Device and inode of the file the offset belongs to (decimal strings: inodes can pass 2^53). */
  dev: string;
  ino: string;
  /**
   * Byte offset of the first byte not yet processed: just after the last complete line handed out.
   * A partial last line is read again after a restart. Inside an over-long line (`skipping`), the
   * start of the retained tail of that line.
   */
  offset: number;
  /** An over-long line's head was handed out; the rest of it up to its newline is being skipped. */
  skipping?: boolean;
  /**
   * SHA-256 (hex, first 32 digits) of the up to TAIL_CHECK bytes before `offset`: when they no
   * longer match, the file was truncated and written again past the offset (copytruncate, then
   * growth before the next poll), and is read again from 0.
   */
  partialHash?: string;
}

export interface JournalState {
  /** The `__CURSOR` of the last entry processed. */
  cursor: string;
}

/** The --state file: `{ version: 1, files: { [path]: FileState }, journals: { [key]: JournalState } }`. */
export interface WatchState {
  version: 1;
  files: Record<string, FileState>;
  journals?: Record<string, JournalState>;
}

export function emptyState(): WatchState {
  return { version: 1, files: {}, journals: {} };
}

function isFileState(v: unknown): v is FileState {
  if (typeof v !== "object" || v === null) return false;
  const o = v as Record<string, unknown>;
  return (
    typeof o.dev === "string" &&
    typeof o.ino === "string" &&
    typeof o.offset === "number" &&
    Number.isSafeInteger(o.offset) &&
    o.offset >= 0 &&
    (o.skipping === undefined || typeof o.skipping === "boolean") &&
    (o.partialHash === undefined || typeof o.partialHash === "string")
  );
}

/** The most a state file may hold (a position per followed file: a few hundred bytes each). */
const STATE_MAX_BYTES = 16 * 1024 * 1024;

/** The --state file's text; a link, a FIFO, a device, an oversized file: a UsageError, never a wait or an endless read. */
function readStateText(path: string): string | undefined {
  let fd: number;
  try {
    fd = openSync(
      path,
      constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY | constants.O_NOFOLLOW,
    );
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === "ENOENT") return undefined;
    if (code === "ELOOP") throw new UsageError("the --state file is a symbolic link");
    throw new UsageError(`cannot read the --state file: ${code ?? "error"}`);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new UsageError(`the --state file is ${fileKind(st)}, not a regular file`);
    if (st.size > STATE_MAX_BYTES) throw new UsageError("the --state file is over 16 MiB");
    return readFdText(fd, st.size);
  } finally {
    closeSync(fd);
  }
}

/** A loaded state, with what was wrong with it (loadStateChecked). */
export interface LoadedState {
  state: WatchState;
  /** The file was there but unusable (not JSON, a link, another version): nothing in it was kept. */
  damaged?: string;
  /** Paths (files) and keys (journals) whose saved position was unusable and was left out. */
  damagedEntries: string[];
}

/**
 * The state saved at `path` (an empty one when there is no file yet), and what in it could not be
 * used. A FIFO, device or directory at the path is a UsageError (it could not be saved either);
 * anything else wrong is reported in `damaged`/`damagedEntries`, for the caller to warn and read
 * the logs concerned again from their start (a repeated alert, never a lost one).
 */
export function loadStateChecked(path: string): LoadedState {
  let text: string | undefined;
  try {
    text = readStateText(path);
  } catch (e) {
    if (e instanceof UsageError && e.message === "the --state file is a symbolic link")
      return { state: emptyState(), damaged: e.message, damagedEntries: [] };
    throw e;
  }
  if (text === undefined) return { state: emptyState(), damagedEntries: [] };
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return { state: emptyState(), damaged: "the --state file is not JSON", damagedEntries: [] };
  }
  const o = data as Partial<WatchState> | null;
  if (
    o === null ||
    typeof o !== "object" ||
    o.version !== 1 ||
    typeof o.files !== "object" ||
    o.files === null
  )
    return {
      state: emptyState(),
      damaged: "the --state file is not an agent-audit watch state (version 1)",
      damagedEntries: [],
    };
  const state = emptyState();
  const damagedEntries: string[] = [];
  for (const [k, v] of Object.entries(o.files)) {
    if (isFileState(v)) state.files[k] = v;
    else damagedEntries.push(k);
  }
  if (o.journals && typeof o.journals === "object")
    for (const [k, v] of Object.entries(o.journals)) {
      if (v && typeof (v as JournalState).cursor === "string")
        state.journals![k] = { cursor: (v as JournalState).cursor };
      else damagedEntries.push(k);
    }
  return { state, damagedEntries };
}

/**
 * The state saved at `path`, or an empty one when there is no file yet. A file that is not a
 * state file is an error (UsageError): starting over silently would repeat every alert. (The
 * watcher uses loadStateChecked, which warns and reads the logs again instead.)
 */
export function loadState(path: string): WatchState {
  const loaded = loadStateChecked(path);
  if (loaded.damaged !== undefined)
    throw new UsageError(loaded.damaged, "remove it to start over (every log is then read again)");
  return loaded.state;
}

/** Saves the state atomically (a temporary file, then rename: a crash leaves the old or the new one). */
export function saveState(path: string, state: WatchState): void {
  writeFileReplacing(path, `${JSON.stringify(state)}\n`, "the --state file", 0o600);
}

// ---------------------------------------------------------------------------------------------
// Lines

/**
 * One line handed out. `truncated`: a piece of a line longer than the cap, and `part` says which:
 * its first `cap` bytes (`head`) or its last `cap` bytes (`tail`; they may overlap the head). The
 * head is where a proxy's own fields are (squid, smokescreen, the kernel); the tail is where srt's
 * own text is (the sandboxed command writes to the same stderr, so it can pad a line up to srt's):
 * readers of the first kind parse heads only, srt's reader tails only, so that text the agent chose
 * is never read as the start (or the end) of a line.
 */
export interface LogLine {
  text: string;
  truncated: boolean;
  part?: "head" | "tail";
}

/** Bytes to lines, with a cap: the shared line splitter of files and the journal. */
class LineSplitter {
  /** Bytes of the current partial line (in skipping mode: at most `cap` bytes of its tail). */
  #parts: Buffer[] = [];
  #length = 0;
  skipping = false;
  constructor(readonly cap: number) {}

  get pendingLength(): number {
    return this.#length;
  }

  reset(skipping = false): void {
    this.#parts = [];
    this.#length = 0;
    this.skipping = skipping;
  }

  #take(): Buffer {
    const b = this.#parts.length === 1 ? this.#parts[0]! : Buffer.concat(this.#parts, this.#length);
    this.#parts = [];
    this.#length = 0;
    return b;
  }

  /** Keeps the last `cap` bytes of the pending part (skipping mode). */
  #trimToTail(): void {
    if (this.#length <= this.cap) return;
    const all = this.#take();
    const tail = Buffer.from(all.subarray(all.length - this.cap));
    this.#parts = [tail];
    this.#length = tail.length;
  }

  /**
   * Feeds a chunk; complete lines (and an over-long line's head) go to `out`. Stops after the line
   * that brings `out` to `maxOut` lines; returns the bytes of the chunk consumed (the rest is fed
   * again later): 16 MiB of newlines are not 16 million lines at once.
   */
  push(chunk: Buffer, out: LogLine[], maxOut = Number.POSITIVE_INFINITY): number {
    let start = 0;
    for (;;) {
      if (out.length >= maxOut) return start;
      const nl = chunk.indexOf(0x0a, start);
      const end = nl === -1 ? chunk.length : nl;
      if (end > start) {
        this.#parts.push(chunk.subarray(start, end));
        this.#length += end - start;
      }
      if (!this.skipping && this.#length > this.cap) {
        // The head of an over-long line goes out now; the rest is skipped up to its newline, keeping
        // only the line's last `cap` bytes (the tail: where a proxy's own text ends a line an agent
        // padded). The tail counts from the line's end, over the head's bytes too: a line cut just
        // inside srt's message still has that whole message in its tail.
        const all = this.#take();
        out.push({ text: all.subarray(0, this.cap).toString("utf8"), truncated: true, part: "head" });
        this.skipping = true;
        this.#parts = [all];
        this.#length = all.length;
      }
      if (this.skipping) this.#trimToTail();
      if (nl === -1) {
        // Copies: the chunk buffer is reused by the caller.
        this.#parts = this.#parts.map((p) => Buffer.from(p));
        return chunk.length;
      }
      const line = this.#take();
      out.push(
        this.skipping
          ? { text: line.toString("utf8"), truncated: true, part: "tail" }
          : { text: line.toString("utf8"), truncated: false },
      );
      this.skipping = false;
      start = nl + 1;
    }
  }

  /** The pending partial line as a final line (a file that will not grow any more), if any. */
  flush(out: LogLine[]): void {
    if (this.#length > 0 || this.skipping) {
      const text = this.#take().toString("utf8");
      out.push(this.skipping ? { text, truncated: true, part: "tail" } : { text, truncated: false });
    }
    this.skipping = false;
  }
}

// ---------------------------------------------------------------------------------------------
// Files

export interface FollowerOptions {
  /** The saved position of this path (from WatchState.files). */
  state?: FileState | undefined;
  /** Where a file with no saved position starts: its beginning (default) or its current end. */
  startAt?: "start" | "end";
  /** Longest line handed out whole, in bytes (default 64 KiB); a longer one is cut (LogLine.truncated). */
  lineCap?: number;
  /** Bytes read per read(2) (default 1 MiB). */
  chunkSize?: number;
  /** Bytes read per readAvailable() call at most (default 16 MiB); `hasMore` tells that more is there. */
  batchBytes?: number;
  /** Lines handed out per readAvailable() call at most (default 10,000); the same. */
  batchLines?: number;
  /** Warnings (rotated file not found after a restart, truncation): text without file contents. */
  onWarning?: (message: string) => void;
}

/** How many bytes before the offset partialHash covers. */
const TAIL_CHECK = 64;

interface Open {
  fh: FileHandle;
  dev: bigint;
  ino: bigint;
  /** Next byte to read. */
  pos: number;
}

function hashOf(b: Buffer): string {
  return createHash("sha256").update(b).digest("hex").slice(0, 32);
}

async function openRegular(path: string): Promise<Open | undefined> {
  let fh: FileHandle;
  try {
    // O_NONBLOCK: a FIFO planted at the path opens at once (and is then refused) instead of blocking.
    fh = await open(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (e) {
    if ((e as { code?: string }).code === "ENOENT") return undefined;
    throw e;
  }
  try {
    const st = await fh.stat({ bigint: true });
    if (!st.isFile())
      throw new UnsafeFileError("not-regular", `${path} is ${fileKind(st as never)}, not a regular file`);
    return { fh, dev: st.dev, ino: st.ino, pos: 0 };
  } catch (e) {
    await fh.close();
    throw e;
  }
}

/**
 * Follows one log file. Call readAvailable() to get the complete lines written since the last call
 * (the first call: from the saved offset, or from the start); after processing them, save `state`.
 * Rotation: when the path names another file (dev/ino changed) or is gone, the old file (still
 * open) is read to its end, then read once more on the next call (a writer may still append before
 * it reopens its log); only when it stopped growing is its unterminated last line handed out and
 * the new file started at 0. Truncation: a file shorter than the offset, or whose bytes before the
 * offset changed (partialHash), is read again from 0. After a restart whose saved file is no longer
 * at the path, the rotated file is looked for at `PATH.1` (logrotate's default name) by dev/ino and
 * finished first; if it is not there, a warning says lines may have been missed.
 */
export class LogFollower {
  readonly path: string;
  readonly #opts: Required<Omit<FollowerOptions, "state" | "onWarning">> & Pick<FollowerOptions, "onWarning">;
  #saved: FileState | undefined;
  #file: Open | undefined;
  /** A rotated file being finished, before the new one at the path is read. */
  #draining = false;
  /** The next file opened at the path replaced a rotated one: it is read from 0. */
  #fresh = false;
  #splitter: LineSplitter;
  /** Offset just after the last complete line handed out (or the retained tail's start). */
  #committed = 0;
  #hasMore = false;
  #closed = false;

  constructor(path: string, opts: FollowerOptions = {}) {
    this.path = path;
    this.#saved = opts.state;
    this.#opts = {
      startAt: opts.startAt ?? "start",
      lineCap: opts.lineCap ?? 64 * 1024,
      chunkSize: opts.chunkSize ?? 1024 * 1024,
      batchBytes: opts.batchBytes ?? 16 * 1024 * 1024,
      batchLines: opts.batchLines ?? 10_000,
      onWarning: opts.onWarning,
    };
    this.#splitter = new LineSplitter(this.#opts.lineCap);
  }

  /** True when the last readAvailable() stopped at batchBytes with more to read. */
  get hasMore(): boolean {
    return this.#hasMore;
  }

  /** The position to save, after the lines handed out so far were processed (undefined: no file seen yet). */
  get state(): FileState | undefined {
    if (!this.#file) return this.#saved;
    const s: FileState = {
      dev: String(this.#file.dev),
      ino: String(this.#file.ino),
      offset: this.#committed,
    };
    if (this.#splitter.skipping) s.skipping = true;
    if (this.#tailHash !== undefined) s.partialHash = this.#tailHash;
    return s;
  }

  #tailHash: string | undefined;

  async #hashBefore(f: Open, offset: number): Promise<string | undefined> {
    if (offset === 0) return undefined;
    const n = Math.min(TAIL_CHECK, offset);
    const b = Buffer.alloc(n);
    const { bytesRead } = await f.fh.read(b, 0, n, offset - n);
    return bytesRead === n ? hashOf(b) : "";
  }

  #warn(message: string): void {
    this.#opts.onWarning?.(message);
  }

  /** Starts reading `f` at `offset` (skipping: inside an over-long line). */
  async #start(f: Open, offset: number, skipping: boolean, hash?: string): Promise<void> {
    this.#file = f;
    f.pos = offset;
    this.#committed = offset;
    this.#splitter.reset(skipping);
    this.#tailHash = hash ?? (await this.#hashBefore(f, offset));
  }

  /** Opens the path the first time: the saved position, a rotated file after a restart, or the start/end. */
  async #openFirst(): Promise<boolean> {
    const f = await openRegular(this.path);
    if (!f) return false;
    const saved = this.#saved;
    if (saved && saved.dev === String(f.dev) && saved.ino === String(f.ino)) {
      const size = Number((await f.fh.stat({ bigint: true })).size);
      const hash = await this.#hashBefore(f, Math.min(saved.offset, size));
      if (size < saved.offset || (saved.partialHash !== undefined && hash !== saved.partialHash)) {
        this.#warn(`${this.path} was truncated while the watcher was stopped: read again from its start`);
        await this.#start(f, 0, false);
      } else await this.#start(f, saved.offset, saved.skipping === true, hash);
      return true;
    }
    if (saved) {
      // The file was rotated while the watcher was stopped: finish the old one first, if it can be found.
      const old = await openRegular(`${this.path}.1`).catch(() => undefined);
      if (old && String(old.dev) === saved.dev && String(old.ino) === saved.ino) {
        await this.#start(old, saved.offset, saved.skipping === true);
        this.#draining = true;
        await f.fh.close();
        return true;
      }
      await old?.fh.close();
      this.#warn(
        `${this.path} was rotated while the watcher was stopped and the old file is not at ${this.path}.1: lines written to it after the saved position were not read`,
      );
      await this.#start(f, 0, false);
      return true;
    }
    const end =
      this.#opts.startAt === "end" && !this.#fresh ? Number((await f.fh.stat({ bigint: true })).size) : 0;
    this.#fresh = false;
    await this.#start(f, end, false);
    return true;
  }

  /** Reads from the open file to its end (or the batch budget); returns the bytes read. */
  async #readOpen(out: LogLine[], budget: number): Promise<number> {
    const f = this.#file!;
    const buf = Buffer.allocUnsafe(this.#opts.chunkSize);
    let total = 0;
    let full = false;
    while (total < budget) {
      const { bytesRead } = await f.fh.read(buf, 0, Math.min(buf.length, budget - total), f.pos);
      if (bytesRead === 0) break;
      const before = out.length;
      const used = this.#splitter.push(buf.subarray(0, bytesRead), out, this.#opts.batchLines);
      f.pos += used;
      total += used;
      if (out.length > before || this.#splitter.skipping) {
        // Committed: after the last newline, or (skipping) the start of the retained tail.
        this.#committed = f.pos - this.#splitter.pendingLength;
      }
      if (out.length >= this.#opts.batchLines) {
        full = true;
        break;
      }
    }
    this.#hasMore = full || total >= budget;
    if (total > 0) this.#tailHash = await this.#hashBefore(f, this.#committed);
    return total;
  }

  /** The complete lines available now (see the class comment). Throws UnsafeFileError for a non-regular file. */
  async readAvailable(): Promise<LogLine[]> {
    if (this.#closed) return [];
    const out: LogLine[] = [];
    this.#hasMore = false;
    if (!this.#file && !(await this.#openFirst())) return out;
    const f = this.#file!;
    if (this.#draining) {
      const n = await this.#readOpen(out, this.#opts.batchBytes);
      // Still growing: read it again on the next call, before the new file.
      if (n > 0 || this.#hasMore) return out;
      this.#splitter.flush(out);
      await f.fh.close();
      this.#file = undefined;
      this.#draining = false;
      // The file now at the path is a new one: read from its start, whatever startAt says.
      this.#saved = undefined;
      this.#fresh = true;
      out.push(...(await this.readAvailable()));
      return out;
    }
    // Rotation: the path now names another file, or none.
    let rotated = false;
    try {
      const st = await stat(this.path, { bigint: true });
      rotated = st.dev !== f.dev || st.ino !== f.ino;
    } catch (e) {
      if ((e as { code?: string }).code !== "ENOENT") throw e;
      rotated = true;
    }
    if (rotated) {
      this.#draining = true;
      await this.#readOpen(out, this.#opts.batchBytes);
      return out;
    }
    // Truncation: shorter than what was read, or other bytes before the committed offset.
    const size = Number((await f.fh.stat({ bigint: true })).size);
    if (
      size < f.pos ||
      (this.#committed > 0 && (await this.#hashBefore(f, this.#committed)) !== this.#tailHash)
    ) {
      this.#warn(`${this.path} was truncated: read again from its start`);
      await this.#start(f, 0, false);
    }
    await this.#readOpen(out, this.#opts.batchBytes);
    return out;
  }

  /**
   * Follows the file: yields each non-empty batch, polling every `intervalMs` (default 500 ms;
   * fs.watch misses rotations) until `signal` aborts. Save `state` after processing each batch.
   */
  async *follow(opts: { intervalMs?: number; signal?: AbortSignal } = {}): AsyncGenerator<LogLine[]> {
    const interval = opts.intervalMs ?? 500;
    while (!opts.signal?.aborted && !this.#closed) {
      const lines = await this.readAvailable();
      if (lines.length > 0) yield lines;
      if (!this.#hasMore && !this.#draining) await sleep(interval, opts.signal);
    }
  }

  /** Stops reading; `state` keeps the last position. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#saved = this.state;
    this.#closed = true;
    await this.#file?.fh.close();
    this.#file = undefined;
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}

// ---------------------------------------------------------------------------------------------
// The journal

export interface JournalOptions {
  /** The journalctl binary (default `journalctl`; tests pass a fake). */
  journalctl?: string;
  /** The saved position. */
  state?: JournalState | undefined;
  /**
   * journalctl match arguments (`_TRANSPORT=kernel`, `+`, `_SYSTEMD_UNIT=squid.service`; journalctl(1)
   * MATCHES): which entries are read. Default: none (every entry; the parser keeps the kernel's
   * firewall lines and the squid and smokescreen units).
   */
  matches?: string[];
  /** Without a saved cursor, where to start: the journal's beginning (default) or its end. */
  startAt?: "start" | "end";
  /** Longest line handed out whole, in bytes (default 64 KiB). */
  lineCap?: number;
  /** readAvailable(): lines (default 10,000) and bytes (default 16 MiB) handed out per call at most. */
  batchLines?: number;
  batchBytes?: number;
}

/**
 * Reads the journal with `journalctl -o json --all --no-pager` (--all: fields over 4096 bytes are
 * printed, not nulled), after the saved `__CURSOR` (`--after-cursor`). readAvailable() runs it once
 * (--once); follow() runs it with `--follow`. `state` is the cursor of the last line handed out.
 */
export class JournalReader {
  readonly #opts: JournalOptions;
  #cursor: string | undefined;

  constructor(opts: JournalOptions = {}) {
    this.#opts = opts;
    this.#cursor = opts.state?.cursor;
  }

  get state(): JournalState | undefined {
    return this.#cursor === undefined ? undefined : { cursor: this.#cursor };
  }

  /** The arguments journalctl is run with. */
  args(follow: boolean): string[] {
    const a = ["-o", "json", "--all", "--no-pager"];
    if (this.#cursor !== undefined) a.push(`--after-cursor=${this.#cursor}`);
    else if (this.#opts.startAt === "end") a.push("--lines=0");
    if (follow) a.push("--follow");
    return [...a, ...(this.#opts.matches ?? [])];
  }

  #take(lines: LogLine[]): LogLine[] {
    for (const l of lines) {
      // journalctl writes __CURSOR first: an over-long entry's tail starts inside its MESSAGE.
      if (l.part === "tail") continue;
      const c = scanJsonObject(l.text).get("__CURSOR");
      if (typeof c === "string" && c.length > 0 && c.length <= 1024) this.#cursor = c;
    }
    return lines;
  }

  /** True when the last readAvailable() stopped at its batch bound with more entries to read. */
  get hasMore(): boolean {
    return this.#hasMore;
  }

  #hasMore = false;

  /**
   * Runs journalctl once and returns its lines: at most batchLines (default 10,000) or batchBytes
   * (default 16 MiB) of them, then journalctl is stopped and `hasMore` is set (the next call resumes
   * after the last cursor handed out): anyone on the host can log, and a flood since the last pass
   * must not be held in memory whole. Throws when it cannot run or exits with an error.
   */
  async readAvailable(): Promise<LogLine[]> {
    const out: LogLine[] = [];
    const maxLines = this.#opts.batchLines ?? 10_000;
    const maxBytes = this.#opts.batchBytes ?? 16 * 1024 * 1024;
    this.#hasMore = false;
    const splitter = new LineSplitter(this.#opts.lineCap ?? 64 * 1024);
    const child = spawn(this.#opts.journalctl ?? "journalctl", this.args(false), {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => {
      if (stderr.length < 4096) stderr += d.toString("utf8");
    });
    let bytes = 0;
    let stopped = false;
    child.stdout.on("data", (d: Buffer) => {
      if (stopped) return;
      const used = splitter.push(d, out, maxLines);
      bytes += used;
      if (out.length >= maxLines || bytes >= maxBytes) {
        // What is past the last complete line is read again next time, after its cursor.
        stopped = true;
        this.#hasMore = true;
        child.stdout.destroy();
        child.kill("SIGTERM");
      }
    });
    const code = await new Promise<number | null>((resolve, reject) => {
      child.on("error", reject);
      child.on("close", resolve);
    });
    if (code !== 0 && !stopped)
      throw new Error(`journalctl exited with ${code}: ${stderr.trim().split("\n")[0]?.slice(0, 200) ?? ""}`);
    return this.#take(out);
  }

  /** Runs `journalctl --follow` and yields its lines as they come, until `signal` aborts (the child is then killed). */
  async *follow(opts: { signal?: AbortSignal } = {}): AsyncGenerator<LogLine[]> {
    const splitter = new LineSplitter(this.#opts.lineCap ?? 64 * 1024);
    const child = spawn(this.#opts.journalctl ?? "journalctl", this.args(true), {
      stdio: ["ignore", "pipe", "ignore"],
    });
    let pending: LogLine[] = [];
    let wake: (() => void) | undefined;
    let ended = false;
    let failure: Error | undefined;
    const notify = () => {
      wake?.();
      wake = undefined;
    };
    child.stdout.on("data", (d: Buffer) => {
      splitter.push(d, pending);
      if (pending.length > 0) notify();
    });
    child.on("error", (e) => {
      failure = e;
      ended = true;
      notify();
    });
    child.on("close", () => {
      ended = true;
      notify();
    });
    const abort = () => child.kill("SIGTERM");
    opts.signal?.addEventListener("abort", abort, { once: true });
    try {
      while (!opts.signal?.aborted) {
        if (pending.length === 0 && !ended) await new Promise<void>((r) => (wake = r));
        if (pending.length > 0) {
          const batch = pending;
          pending = [];
          yield this.#take(batch);
        } else if (ended) break;
        if (opts.signal?.aborted) break;
      }
      if (failure) throw failure;
    } finally {
      opts.signal?.removeEventListener("abort", abort);
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
    }
  }
}
