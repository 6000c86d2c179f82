import { closeSync, constants, openSync, readSync, type Stats } from "node:fs";
import { type FileHandle, open } from "node:fs/promises";
import type { SourceKind } from "../contract/types.js";
import { type SuppressedSink, TextIndex, WHOLE_TEXT } from "../detect/content.js";
import { runParser } from "../detect/parsers/common.js";
import { PARSERS } from "../detect/parsers/index.js";
import type { RuleSet } from "../rules/catalog.js";
import type { Detection, PathRule } from "../rules/types.js";
import { assertOpenedUnder, OutsideSystemRoot } from "../util/confine.js";
import { safeMessage } from "../util/errors.js";
import { type Located, MAX_LISTED, type SourceContext } from "./context.js";

const SNIFF_BYTES = 8000;
/** Files up to this size are read whole; larger ones stream in chunks with an overlap. */
const WHOLE_READ_BYTES = 8 * 1024 * 1024;
const CHUNK_BYTES = 4 * 1024 * 1024;
/** Files up to this size are read with blocking calls (see readSmallSync). */
const SYNC_READ_BYTES = 1024 * 1024;
/**
 * Bytes of each chunk carried into the next one, whatever they hold: a secret up to this long that
 * crosses a chunk boundary is seen whole in the next chunk. Cutting the carry at a newline lost a
 * token across the boundary of a long single-line file (issue 8). PEM keys are handled in one chunk.
 */
const CHUNK_OVERLAP = 64 * 1024;
/**
 * Of the overlap, the bytes before the hand-over point that the next chunk sees only as context (a
 * rule's look-behind): a match is reported by the chunk in which it starts before the hand-over
 * point, so one in the overlap is reported once, not twice.
 */
const CHUNK_CONTEXT = 8 * 1024;

/**
 * How a file's first bytes read (issue 8): UTF-16 text (by its byte-order mark, or by the
 * alternating NULs of mostly-ASCII UTF-16 without one), binary (a known magic number, or many
 * control bytes), or text. One NUL does not make a file binary: a script with a NUL planted in a
 * comment was skipped, secrets and all.
 */
export type Sniffed =
  | { kind: "text" }
  | { kind: "utf16"; bigEndian: boolean; bomBytes: 0 | 2 }
  | { kind: "binary" };

/** Magic numbers of binary formats (images, archives, executables, databases), at offset 0. */
const MAGIC: readonly (readonly number[])[] = [
  [0x7f, 0x45, 0x4c, 0x46], // ELF
  [0x89, 0x50, 0x4e, 0x47], // PNG
  [0x47, 0x49, 0x46, 0x38], // GIF8
  [0xff, 0xd8, 0xff], // JPEG
  [0x50, 0x4b, 0x03, 0x04], // ZIP (jar, docx, ...)
  [0x50, 0x4b, 0x05, 0x06], // empty ZIP
  [0x1f, 0x8b, 0x08], // gzip
  [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00], // xz
  [0x28, 0xb5, 0x2f, 0xfd], // zstd
  [0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c], // 7z
  [0xcf, 0xfa, 0xed, 0xfe], // Mach-O 64
  [0xce, 0xfa, 0xed, 0xfe], // Mach-O 32
  [0xca, 0xfe, 0xba, 0xbe], // Java class, Mach-O fat
  [0x00, 0x61, 0x73, 0x6d], // WebAssembly
  [0x53, 0x51, 0x4c, 0x69, 0x74, 0x65, 0x20, 0x66, 0x6f, 0x72, 0x6d, 0x61, 0x74, 0x20, 0x33, 0x00], // SQLite 3
];

/** Control bytes that text does not hold (NUL and the C0 controls but TAB, LF, VT, FF, CR, ESC; DEL). */
const NOT_TEXT = new Uint8Array(256);
for (let b = 0; b < 0x20; b++) NOT_TEXT[b] = 1;
for (const b of [0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x1b]) NOT_TEXT[b] = 0;
NOT_TEXT[0x7f] = 1;

export function sniff(buf: Uint8Array, length = buf.length): Sniffed {
  const n = Math.min(length, buf.length, SNIFF_BYTES);
  if (n >= 2 && buf[0] === 0xff && buf[1] === 0xfe) return { kind: "utf16", bigEndian: false, bomBytes: 2 };
  if (n >= 2 && buf[0] === 0xfe && buf[1] === 0xff) return { kind: "utf16", bigEndian: true, bomBytes: 2 };
  // Only a head that starts with a magic number's first byte is compared with the magic numbers.
  if (n > 0 && MAGIC_FIRST[buf[0]!] === 1 && hasMagic(buf, n)) return BINARY;
  // Without a NUL in the head, neither UTF-16 of ASCII nor binary data (8,000 random bytes hold a
  // NUL but for odds of 1 in 10^13): a text file costs one native search here.
  if (!buf.subarray(0, n).includes(0)) return TEXT;
  // The rest runs for a few files of a tree only, in functions of its own: met late in a run, code
  // inside sniff's optimized body threw that body away to be compiled again (issue 15).
  return sniffWithNul(buf, n);
}

const TEXT: Sniffed = Object.freeze({ kind: "text" });
const BINARY: Sniffed = Object.freeze({ kind: "binary" });
/** 1 for the bytes a magic number starts with. */
const MAGIC_FIRST = new Uint8Array(256);
for (const magic of MAGIC) MAGIC_FIRST[magic[0]!] = 1;

function hasMagic(buf: Uint8Array, n: number): boolean {
  for (const magic of MAGIC) {
    if (n < magic.length) continue;
    let ok = true;
    for (let i = 0; i < magic.length && ok; i++) ok = buf[i] === magic[i];
    if (ok) return true;
  }
  return false;
}

/** sniff() for a head that holds a NUL: UTF-16 without a BOM, binary, or text with a few NULs. */
function sniffWithNul(buf: Uint8Array, n: number): Sniffed {
  // Mostly-ASCII UTF-16 without a BOM: in most code units one byte is NUL and the other is not.
  const units = n >> 1;
  let le = 0;
  let be = 0;
  // Each count needs 3 units in 4: the loop ends once neither can get there with the units left
  // (random bytes: after about a quarter of them).
  const need = Math.ceil((units * 3) / 4);
  for (let i = 0, left = units; i + 1 < n; i += 2, left--) {
    if (le + left < need && be + left < need) break;
    const a = buf[i]!;
    const b = buf[i + 1]!;
    if (b === 0 && a !== 0) le++;
    else if (a === 0 && b !== 0) be++;
  }
  if (units > 0 && le * 4 >= units * 3) return { kind: "utf16", bigEndian: false, bomBytes: 0 };
  if (units > 0 && be * 4 >= units * 3) return { kind: "utf16", bigEndian: true, bomBytes: 0 };
  // Binary data holds control bytes throughout (uniformly random bytes: about 1 in 10); text holds
  // none or a few. More than 1 in 32 (and at least 4) reads as binary: decided as soon as counted.
  let controls = 0;
  const enough = Math.max(4, (n >> 5) + 1);
  for (let i = 0; i < n && controls < enough; i++) controls += NOT_TEXT[buf[i]!]!;
  return controls >= 4 && controls * 32 > n ? BINARY : TEXT;
}

export function isBinary(buf: Buffer, length = buf.length): boolean {
  return sniff(buf, length).kind === "binary";
}

const BINARY_SKIPPED = "skipped: binary file (--include-binary scans it)";

/** Decodes UTF-16 bytes (an even count; a last odd byte is dropped) to a string. */
function decodeUtf16(bytes: Uint8Array, bigEndian: boolean): string {
  const even = bytes.subarray(0, bytes.length & ~1);
  if (!bigEndian) return Buffer.from(even.buffer, even.byteOffset, even.length).toString("utf16le");
  return Buffer.from(even).swap16().toString("utf16le");
}

/**
 * Keeps the highest-ranked detection per secret (dedupeRank: provider-specific content rule >
 * structural parser > shape-only content rule > generic rule).
 */
export function dedupe(dets: Detection[], rules?: RuleSet): Detection[] {
  return [...bestPerSecret(dets, rules).values()];
}

/** The ids of a rule set's shape-only content rules (ContentRule.shapeOnly), once per rule set. */
const shapeOnlyIds = new WeakMap<RuleSet, ReadonlySet<string>>();
function shapeOnlyOf(rules: RuleSet): ReadonlySet<string> {
  let ids = shapeOnlyIds.get(rules);
  if (!ids) {
    ids = new Set(rules.content.filter((r) => r.shapeOnly).map((r) => r.id));
    shapeOnlyIds.set(rules, ids);
  }
  return ids;
}

/**
 * A detection's rank in the dedupe: its priority (types.ts Detection.priority), except that a
 * shape-only content rule's match (`jwt`: it says what the value looks like, not what it is) ranks
 * below a structural parser's detection of the same value (priority 2), above a generic rule's (1).
 * Structural detections carry the path rule's id, never a content rule's, so the id tells them apart.
 */
export function dedupeRank(d: Detection, shapeOnly: ReadonlySet<string>): number {
  return d.priority > 2 && shapeOnly.has(d.ruleId) ? 1.5 : d.priority;
}

/** dedupe's map: secret -> its detection, in the order the secrets first occur. */
function bestPerSecret(dets: Detection[], rules?: RuleSet): Map<string, Detection> {
  const best = new Map<string, Detection>();
  const shapeOnly = rules ? shapeOnlyOf(rules) : NONE;
  let encoded: Map<string, number> | undefined;
  // Index loops in the per-detection paths (issue 8: a flood runs them 24,000 times per MB, often
  // before the optimizing compiler, where for-of costs more).
  for (let i = 0; i < dets.length; i++) {
    const d = dets[i]!;
    const prev = best.get(d.secret);
    if (prev === undefined || dedupeRank(d, shapeOnly) > dedupeRank(prev, shapeOnly)) best.set(d.secret, d);
    if (d.encoded !== undefined) {
      encoded ??= new Map();
      encoded.set(d.encoded, d.priority);
    }
  }
  // A structural parser's decoded secret (Detection.encoded): a lower-ranked content match of the
  // value as written in the file is the same credential, reported once, as the parser's.
  if (encoded !== undefined)
    for (const [written, rank] of encoded) {
      const other = best.get(written);
      if (other !== undefined && dedupeRank(other, shapeOnly) < rank) best.delete(written);
    }
  return best;
}
const NONE: ReadonlySet<string> = new Set();

/** What reading and detecting needs: no filesystem identity or access decisions (claimFile's job). */
export type ReadContext = Pick<
  SourceContext,
  "rules" | "scanner" | "limits" | "issues" | "stats" | "onFile" | "suppressed"
> & {
  /** The suppressed matches of the file being read (set by scanClaimed, counted into `suppressed`). */
  sink?: SuppressedSink;
};

export interface FileTarget {
  abs: string;
  /** Path as reported: relative to home or root, absolute otherwise. */
  reportPath: string;
  source: SourceKind;
  pathRule?: PathRule;
  st: Stats;
  /** Confined scan of an image: the system root's real path, which the opened file must lie under. */
  confineTo?: string;
}

/**
 * Reads one regular file the agent can read and returns its detections. Never throws: a failure
 * becomes an `issues` entry. Never opens anything but a regular file (FIFOs would block, sockets
 * and devices are not content).
 */
export async function scanFile(t: FileTarget, ctx: SourceContext): Promise<Located[]> {
  return (await claimFile(t, ctx)) ? scanClaimed(t, ctx) : [];
}

/**
 * Decides whether this path of a file is the one to scan: a regular file the agent can read, not
 * yet scanned through another path. Runs on the main thread even when workers read the files.
 */
export async function claimFile(t: FileTarget, ctx: SourceContext): Promise<boolean> {
  const { st } = t;
  if (!st.isFile()) return false;
  // Identity by device and inode: a file reached through two paths (a symlink, home inside the
  // tree) is scanned once, by whichever path the walk met first.
  const id = `${st.dev}:${st.ino}`;
  if (ctx.scanned.has(id)) return false;
  // Claimed only once readable (checked again after the await): with --as-user, a file can be
  // unreadable through one path (inside a locked directory) and readable through another.
  if (!(await ctx.access.canRead(t.abs, st))) return false;
  if (ctx.scanned.has(id)) return false;
  ctx.scanned.add(id);
  return true;
}

/**
 * claimFile without I/O when the access check needs none (the scanning user is the agent: trying
 * to read decides). Returns undefined when the check must run (--as-user): call claimFile then.
 */
export function claimFileSync(t: FileTarget, ctx: SourceContext): boolean | undefined {
  if (ctx.access.identity !== null) return undefined;
  const { st } = t;
  if (!st.isFile()) return false;
  const id = `${st.dev}:${st.ino}`;
  if (ctx.scanned.has(id)) return false;
  ctx.scanned.add(id);
  return true;
}

/** Reads and scans a claimed file (see claimFile): on the main thread or in a scan worker. */
export async function scanClaimed(t: FileTarget, ctx: ReadContext): Promise<Located[]> {
  return scanClaimedSync(t, ctx) ?? scanClaimedAsync(t, ctx);
}

/**
 * scanClaimed for a file read whole with blocking calls (SYNC_READ_BYTES or smaller, or skipped
 * by the size cap): its result, with no promise made; undefined for a bigger file, which
 * scanClaimed reads asynchronously. Most files of a tree take this path, and every promise costs
 * more while the CLI's redactor context (AsyncLocalStorage) is active (issue 15).
 */
export function scanClaimedSync(t: FileTarget, ctx: ReadContext): Located[] | undefined {
  if (overCap(t, ctx)) return [];
  if (t.st.size > SYNC_READ_BYTES) return undefined;
  const sink = newSink();
  let detections: Detection[];
  try {
    detections = readSmallAndDetect(t, ctx.suppressed ? { ...ctx, sink } : ctx);
  } catch (e) {
    readFailed(t, ctx, e);
    return [];
  }
  return locate(t, ctx, detections, sink);
}

/** scanClaimed for a file scanClaimedSync left (over SYNC_READ_BYTES): read with the promise API. */
export async function scanClaimedAsync(t: FileTarget, ctx: ReadContext): Promise<Located[]> {
  const sink = newSink();
  let detections: Detection[];
  try {
    detections = await readAndDetect(t, ctx.suppressed ? { ...ctx, sink } : ctx);
  } catch (e) {
    readFailed(t, ctx, e);
    return [];
  }
  return locate(t, ctx, detections, sink);
}

const newSink = (): SuppressedSink => ({ config: new Set(), inlineAllow: new Set() });

/** A file over --max-file-size (and no path rule's) is skipped unread, as an issue. */
function overCap(t: FileTarget, ctx: ReadContext): boolean {
  const cap = ctx.limits.maxFileBytes;
  if (cap > 0 && t.st.size > cap && !t.pathRule) {
    ctx.issues.push({
      where: t.reportPath,
      message: `skipped: ${t.st.size} bytes is over the ${cap}-byte cap (--max-file-size)`,
    });
    return true;
  }
  return false;
}

function readFailed(t: FileTarget, ctx: ReadContext, e: unknown): void {
  const message =
    e instanceof OutsideSystemRoot
      ? "skipped: leads outside --system-root"
      : `cannot read: ${safeMessage(e)}`;
  ctx.issues.push({ where: t.reportPath, message });
}

/** A file's detections as located findings (disabled rules out, one per secret, listing caps). */
function locate(t: FileTarget, ctx: ReadContext, detections: Detection[], sink: SuppressedSink): Located[] {
  const located: Located[] = [];
  // Disabled rules go before the dedupe, so a lower-priority detection of the same secret survives.
  const off = ctx.scanner.disabled;
  let enabled = detections;
  if (off.size) {
    enabled = [];
    for (const d of detections) {
      if (!off.has(d.ruleId) && !(d.viaRuleId && off.has(d.viaRuleId))) enabled.push(d);
      else sink.config.add(d.secret);
    }
  }
  if (ctx.suppressed) {
    ctx.suppressed.config += sink.config.size;
    ctx.suppressed.inlineAllow += sink.inlineAllow.size;
  }
  // Each detection becomes its Located in place: a copy of every field per detection was a large
  // part of a flood's cost (issue 8: 24,000 findings in a 1 MB file). The detections are this
  // file's own, fresh from the scan.
  //
  // A file lists at most MAX_LISTED detections of a rule (and validity); the rest of them ride on
  // one carrier per rule, as bare secret values (issue 8: a flood of 24,000 values per MB built a
  // Located, a location and an array slot per value, and copied them out of the workers). Counted
  // in file order, after the dedupe, as the inventory counts.
  const listAll = ctx.limits.listAll === true;
  let perRule: Map<string, Located> | undefined;
  let counts: Map<string, number> | undefined;
  for (const d of bestPerSecret(enabled, ctx.rules).values()) {
    const l = d as Located;
    if (!listAll) {
      const key = d.valid === false ? `${d.ruleId}\0i` : d.ruleId;
      counts ??= new Map();
      const n = (counts.get(key) ?? 0) + 1;
      counts.set(key, n);
      if (n > MAX_LISTED) {
        perRule ??= new Map();
        const carrier = perRule.get(key);
        if (carrier) {
          carrier.counted!.push(d.secret);
          continue;
        }
        l.counted = [d.secret];
        perRule.set(key, l);
      }
    }
    l.location = { source: t.source, path: t.reportPath, line: d.line, name: d.name };
    located.push(l);
  }
  return located;
}

/**
 * Reads a small regular file whole, synchronously. Opened with O_NONBLOCK so that a path swapped
 * for a FIFO after the walk's stat cannot block the thread (for a regular file the flag does
 * nothing). Sync on purpose: for the many small files of a working tree, the promise API costs
 * more than the read itself (about 75 us vs 15 us per file from the page cache, measured with
 * test/bench/scan-bench.mjs), and one small read blocks the event loop for only microseconds.
 */
export function readSmallSync(abs: string, size: number, into?: Buffer, confineTo?: string): Buffer {
  return readWholeSync(abs, size, into, confineTo).buf;
}

/** What a bounded read got: the bytes, whether more were there than stat said, and a read error after some bytes. */
interface ReadResult {
  buf: Buffer;
  /** The file held more than `size` bytes when read (it grew since the stat): the rest is not read. */
  grew: boolean;
  /** A read that failed after `buf.length` bytes: those are scanned, the rest is not. */
  error?: unknown;
}

/**
 * Reads up to `size` bytes, asking for one more in the same call: a file that grew since its stat
 * is then told apart from one read whole without an extra system call (issue 8: a file only partly
 * read is an issue, never silent). A read of a regular file that returns fewer bytes than asked for
 * has reached the file's end (POSIX read()): once it holds the stat's size, the reading stops there,
 * with no second call to see the end again (issue 15: that call was one more system call per file
 * of a tree). Short of that size (a file that shrank, or a file system that reads short before the
 * end), it reads on to a read of 0 bytes.
 */
function readWholeSync(abs: string, size: number, into?: Buffer, confineTo?: string): ReadResult {
  const fd = openSync(abs, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    if (confineTo) assertOpenedUnder(fd, abs, confineTo);
    const buf = into && into.length > size ? into : Buffer.allocUnsafe(size + 1);
    let n = 0;
    try {
      while (n <= size) {
        const want = size + 1 - n;
        const bytesRead = readSync(fd, buf, n, want, n);
        n += bytesRead;
        if (bytesRead === 0 || (bytesRead < want && n >= size)) break;
      }
    } catch (error) {
      if (n === 0) throw error;
      return { buf: buf.subarray(0, n), grew: false, error };
    }
    return { buf: buf.subarray(0, Math.min(n, size)), grew: n > size };
  } finally {
    closeSync(fd);
  }
}

/** The async twin of readWholeSync, on an open handle. */
async function readWhole(fh: FileHandle, size: number): Promise<ReadResult> {
  const buf = Buffer.allocUnsafe(size + 1);
  let n = 0;
  try {
    while (n <= size) {
      const want = size + 1 - n;
      const { bytesRead } = await fh.read(buf, n, want, n);
      n += bytesRead;
      if (bytesRead === 0 || (bytesRead < want && n >= size)) break;
    }
  } catch (error) {
    if (n === 0) throw error;
    return { buf: buf.subarray(0, n), grew: false, error };
  }
  return { buf: buf.subarray(0, Math.min(n, size)), grew: n > size };
}

/** Issues for a file read only in part (issue 8): the start of each message marks a coverage gap. */
function notePartial(
  r: { grew: boolean; error?: unknown },
  bytes: number,
  t: FileTarget,
  ctx: ReadContext,
): void {
  if (r.error !== undefined) {
    ctx.issues.push({
      where: t.reportPath,
      message: `cannot read past byte ${bytes}: ${safeMessage(r.error)}; the first ${bytes} bytes were scanned`,
    });
  } else if (r.grew) {
    ctx.issues.push({
      where: t.reportPath,
      message: `skipped: the bytes past ${bytes} (the file grew while it was read); the first ${bytes} bytes were scanned`,
    });
  }
}

/**
 * One read buffer per thread for the small files: their detection runs synchronously right after
 * the read and keeps no reference to the bytes (only strings made from them), so the buffer is
 * free again before any other file is read. A fresh buffer per file costs page faults (the read
 * itself is a copy from the page cache), and threads faulting at once contend for the process's
 * memory map. One byte over the size limit: the read asks for one more byte than stat said.
 */
let scratch: Buffer | undefined;

/** True when the file is to be skipped as binary (and the skip is recorded as an issue). */
function skipBinary(sniffed: Sniffed, t: FileTarget, ctx: ReadContext): boolean {
  if (sniffed.kind !== "binary" || ctx.limits.includeBinary || t.pathRule) return false;
  ctx.issues.push({ where: t.reportPath, message: BINARY_SKIPPED });
  return true;
}

/** A small file (SYNC_READ_BYTES or smaller), read whole into this thread's scratch buffer. */
function readSmallAndDetect(t: FileTarget, ctx: ReadContext): Detection[] {
  scratch ??= Buffer.allocUnsafeSlow(SYNC_READ_BYTES + 1);
  const r = readWholeSync(t.abs, t.st.size, scratch, t.confineTo);
  const buf = r.buf;
  ctx.stats.files++;
  ctx.stats.bytes += buf.length;
  ctx.onFile?.(buf.length);
  const sniffed = sniff(buf);
  if (skipBinary(sniffed, t, ctx)) return [];
  notePartial(r, buf.length, t, ctx);
  return detectInBuffer(buf, sniffed, t, ctx);
}

async function readAndDetect(t: FileTarget, ctx: ReadContext): Promise<Detection[]> {
  const size = t.st.size;
  if (size <= SYNC_READ_BYTES) return readSmallAndDetect(t, ctx);
  // O_NONBLOCK and a check of the opened descriptor: a path swapped for a FIFO or a device after the
  // walk's stat neither blocks nor streams forever (issue 8).
  const fh = await open(t.abs, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    if (t.confineTo) assertOpenedUnder(fh.fd, t.abs, t.confineTo);
    if (!(await fh.stat()).isFile()) throw new Error("not a regular file when opened");
    // A big file is sniffed before it is read: an image, archive or model file is skipped after
    // 8,000 bytes instead of megabytes.
    const head = Buffer.allocUnsafe(SNIFF_BYTES);
    const { bytesRead } = await fh.read(head, 0, SNIFF_BYTES, 0);
    const sniffed = sniff(head, bytesRead);
    if (skipBinary(sniffed, t, ctx)) {
      ctx.stats.files++;
      ctx.stats.bytes += bytesRead;
      ctx.onFile?.(bytesRead);
      return [];
    }
    if (size <= WHOLE_READ_BYTES) {
      const r = await readWhole(fh, size);
      const n = r.buf.length;
      ctx.stats.files++;
      ctx.stats.bytes += n;
      ctx.onFile?.(n);
      notePartial(r, n, t, ctx);
      return detectInBuffer(r.buf, sniffed, t, ctx);
    }
    return await detectStreaming(fh, sniffed, t, ctx);
  } finally {
    await fh.close();
  }
}

function detectInBuffer(buf: Buffer, sniffed: Sniffed, t: FileTarget, ctx: ReadContext): Detection[] {
  const out: Detection[] = [];
  // UTF-16 is decoded for the parsers and the content rules alike (issue 8: a UTF-16 .env was
  // scanned as bytes with a NUL between every letter, and no rule matched).
  const utf16 =
    sniffed.kind === "utf16" ? decodeUtf16(buf.subarray(sniffed.bomBytes), sniffed.bigEndian) : undefined;
  const parserName = t.pathRule?.parser;
  let textScan = t.pathRule ? t.pathRule.textScan : true;
  if (parserName && parserName !== "text") {
    const parser = PARSERS[parserName];
    if (!parser) {
      ctx.issues.push({ where: t.reportPath, message: `no parser "${parserName}"; scanned as text` });
      textScan = true;
    } else {
      let res: ReturnType<typeof parser> | undefined;
      const text = utf16 ?? buf.toString("utf8");
      try {
        res = runParser(parser, { text, bytes: buf, path: t.reportPath, rule: t.pathRule }, ctx.rules);
      } catch (e) {
        // Fail closed: a file built to crash a parser (deep nesting) must not hide its secrets.
        ctx.issues.push({
          where: t.reportPath,
          message: `parser failed (${safeMessage(e)}); scanned as text`,
        });
        textScan = true;
      }
      if (res) {
        // One push per element: spreading an unbounded array into push() overflows the stack.
        // An inline allow marker drops a parser's finding on its line too, as it does a content
        // rule's (the README's contract; issue 8 found a marked .env line still reported).
        const index = new TextIndex(text);
        for (const d of res.detections) {
          if (d.line !== undefined && index.allowedLine(d.line - 1)) ctx.sink?.inlineAllow.add(d.secret);
          else out.push(d);
        }
        for (const message of res.issues ?? []) ctx.issues.push({ where: t.reportPath, message });
        if (res.malformed) {
          ctx.issues.push({ where: t.reportPath, message: `${res.malformed}; scanned as text` });
          textScan = true;
        }
      }
    }
  }
  if (!textScan) return out;
  if (utf16 !== undefined) {
    const positions = ctx.scanner.positionsRequest();
    const rules = ctx.scanner.candidates(utf16, positions);
    if (rules.length)
      for (const d of ctx.scanner.scan(utf16, { rules, positions, suppressed: ctx.sink })) out.push(d);
  }
  if (utf16 !== undefined && sniffed.kind === "utf16" && strippedIsDecoded(buf, sniffed, utf16)) {
    // The bytes without their NULs are the BOM's bytes, then the decoded text itself: only a match
    // near the start can differ (its look-behind sees the BOM's bytes instead of the start), within
    // the context a chunked read also relies on (CHUNK_CONTEXT; issue 8: the second full scan
    // doubled the cost of a UTF-16 flood).
    if (sniffed.bomBytes > 0) {
      const headBytes = Math.min(buf.length, sniffed.bomBytes + 2 * CHUNK_OVERLAP);
      const head = stripNuls(buf.subarray(0, headBytes)).toString("latin1");
      const found = ctx.scanner.scan(head, {
        window: { start: 0, end: sniffed.bomBytes + CHUNK_CONTEXT },
        // A match that runs to the head's end is the decoded view's to report, whole.
        cut: headBytes < buf.length ? head.length : undefined,
        suppressed: ctx.sink,
      });
      for (const d of found) out.push(d);
    }
  } else if (utf16 !== undefined || buf.includes(0)) {
    // The bytes without their NULs as well: ASCII inside UTF-16 at any alignment (no BOM, a stray
    // byte that shifts the code units, UTF-16 after an ASCII head) and ASCII after a BOM read the
    // same there as plain text, with the same line numbers (only 0x00 bytes go).
    for (const d of scanBytes(stripNuls(buf), ctx, true)) out.push(d);
  } else {
    for (const d of scanBytes(buf, ctx, true)) out.push(d);
  }
  return out;
}

/**
 * Content rules over a latin1 view of bytes; keywords first, on the bytes: a file without any is
 * never decoded. `spare`: the bytes are this scan's alone (a file's read, a stripped copy), and the
 * byte view's shadow may change them in place; a streamed chunk's are carried into the next one.
 */
function scanBytes(
  buf: Buffer,
  ctx: ReadContext,
  spare: boolean,
  window?: { start: number; end: number },
): Detection[] {
  const positions = ctx.scanner.positionsRequest();
  const rules = ctx.scanner.candidatesInBytes(buf, positions);
  if (!rules.length) return [];
  // Options of one shape on every call (no spread of optional parts): the scan's optimized code is
  // kept only while the objects it reads keep the shape it has seen (issue 15).
  const found = ctx.scanner.scan(buf.toString("latin1"), {
    rules,
    positions,
    suppressed: ctx.sink,
    spareBytes: spare ? buf : undefined,
    window: window ?? WHOLE_TEXT,
  });
  return fromLatin1View(found);
}

/**
 * True when the bytes without their NULs are exactly the BOM's bytes followed by the decoded text:
 * an even number of bytes after the BOM, and a text of ASCII characters other than NUL (each code
 * unit is then its byte and one 0x00).
 */
function strippedIsDecoded(buf: Buffer, sniffed: Sniffed & { kind: "utf16" }, text: string): boolean {
  return (buf.length - sniffed.bomBytes) % 2 === 0 && !NOT_ASCII_OR_NUL.test(text);
}
const NOT_ASCII_OR_NUL = /[^\x01-\x7f]/;

/** The bytes without their 0x00 bytes (a copy; the input is left as it is). */
function stripNuls(buf: Buffer): Buffer {
  const out = Buffer.allocUnsafe(buf.length);
  let n = 0;
  for (let i = 0; i < buf.length; i++) {
    const b = buf[i]!;
    if (b !== 0) out[n++] = b;
  }
  return out.subarray(0, n);
}

/** Number of 0x00 bytes in buf[0, end). */
function nulsBefore(buf: Buffer, end: number): number {
  let n = 0;
  for (let i = buf.indexOf(0); i !== -1 && i < end; i = buf.indexOf(0, i + 1)) n++;
  return n;
}

/**
 * Content rules run over a latin1 view of the bytes (offsets and lines stay exact whatever the
 * encoding). A secret with bytes past ASCII is decoded back as UTF-8, as the structural parsers read
 * it: otherwise `pässwort` would be reported (and hashed) as `pÃ¤sswort`, and one secret found by
 * both a parser and a content rule would become two findings.
 */
function fromLatin1View(dets: Detection[]): Detection[] {
  for (const d of dets) {
    if (!/[\x80-\xff]/.test(d.secret)) continue;
    const bytes = Buffer.from(d.secret, "latin1");
    const utf8 = bytes.toString("utf8");
    // Bytes that are not UTF-8 (a latin1 file, a match cut inside a character) stay as they are:
    // decoding them to U+FFFD would make two different secrets one. The round trip tells.
    if (Buffer.from(utf8, "utf8").equals(bytes)) d.secret = utf8;
  }
  return dets;
}

/**
 * Scans a file too big to read whole, in chunks of CHUNK_BYTES that each start with the last
 * CHUNK_OVERLAP bytes of the one before (issue 8: the carry was cut at a newline, so a long single
 * line carried nothing and a token across the boundary was missed). Each match is reported by one
 * chunk only: the one in which it starts before the hand-over point (CHUNK_CONTEXT bytes into the
 * carried overlap). The views are those of detectInBuffer (decoded UTF-16, bytes, bytes without
 * NULs). Reads at most the size stat gave; a file that grew, or failed to read part-way, is an
 * issue, with what was read still scanned.
 */
async function detectStreaming(
  fh: FileHandle,
  sniffed: Sniffed,
  t: FileTarget,
  ctx: ReadContext,
): Promise<Detection[]> {
  const out: Detection[] = [];
  const size = t.st.size;
  const buf = Buffer.allocUnsafe(CHUNK_BYTES + CHUNK_OVERLAP);
  // With a BOM, reading starts after it: chunks and overlaps are even, so code units stay aligned.
  let pos = sniffed.kind === "utf16" ? sniffed.bomBytes : 0;
  let carry = 0; // bytes at the start of buf carried over from the previous chunk
  let byteLines = 0; // lines before buf[0], counted in bytes (the latin1 views)
  let utf16Lines = 0; // the same, counted in the decoded UTF-16 text
  let reportFrom = 0; // byte offset in this chunk from which matches are its to report
  ctx.stats.files++;
  for (;;) {
    // Fill the chunk (short reads are retried), never past the stat size.
    const want = Math.min(CHUNK_BYTES, size - pos);
    let got = 0;
    let error: unknown;
    try {
      while (got < want) {
        const { bytesRead } = await fh.read(buf, carry + got, want - got, pos + got);
        if (bytesRead === 0) break;
        got += bytesRead;
      }
    } catch (e) {
      error = e;
    }
    pos += got;
    ctx.stats.bytes += got;
    ctx.onFile?.(got);
    const last = error !== undefined || got < want || pos >= size;
    const len = carry + got;
    if (len === 0) break;
    const chunk = buf.subarray(0, len);
    const keepFrom = last ? len : len - CHUNK_OVERLAP;
    const reportUntil = last ? Number.POSITIVE_INFINITY : keepFrom + CHUNK_CONTEXT;
    const shift = (d: Detection, base: number): Detection => ({
      ...d,
      line: d.line === undefined ? undefined : d.line + base,
    });
    if (sniffed.kind === "utf16") {
      const text = decodeUtf16(chunk, sniffed.bigEndian);
      const window = { start: reportFrom / 2, end: reportUntil / 2 };
      for (const d of ctx.scanner.scan(text, { window, suppressed: ctx.sink }))
        out.push(shift(d, utf16Lines));
      for (let i = text.indexOf("\n"); i !== -1 && i < keepFrom / 2; i = text.indexOf("\n", i + 1))
        utf16Lines++;
    }
    if (sniffed.kind === "utf16" || chunk.includes(0)) {
      const stripped = stripNuls(chunk);
      const start = reportFrom - nulsBefore(chunk, reportFrom);
      const end = last ? reportUntil : reportUntil - nulsBefore(chunk, reportUntil);
      // Keywords on the bytes first, as for a file read whole (a string's pass is slower).
      for (const d of scanBytes(stripped, ctx, true, { start, end })) out.push(shift(d, byteLines));
    } else {
      for (const d of scanBytes(chunk, ctx, false, { start: reportFrom, end: reportUntil }))
        out.push(shift(d, byteLines));
    }
    if (error !== undefined) {
      notePartial({ grew: false, error }, pos, t, ctx);
      return out;
    }
    if (last) break;
    for (let i = chunk.indexOf(10); i !== -1 && i < keepFrom; i = chunk.indexOf(10, i + 1)) byteLines++;
    reportFrom = reportUntil - keepFrom;
    buf.copy(buf, 0, keepFrom, len);
    carry = len - keepFrom;
  }
  // More bytes than stat said: the file grew while it was read.
  if (pos >= size) {
    const { bytesRead } = await fh.read(Buffer.allocUnsafe(1), 0, 1, size);
    if (bytesRead > 0) notePartial({ grew: true }, size, t, ctx);
  }
  return out;
}
