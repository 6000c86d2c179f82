import { closeSync, constants, openSync, readSync, type Stats } from "node:fs";
import { open } from "node:fs/promises";
import { safeMessage } from "../core/errors.js";
import type { SourceKind } from "../core/types.js";
import { PARSERS } from "../detectors/parsers/index.js";
import type { Detection, PathRule } from "../detectors/types.js";
import { assertOpenedUnder, OutsideSystemRoot } from "./confine.js";
import type { Located, SourceContext } from "./context.js";

const SNIFF_BYTES = 8000;
/** Files up to this size are read whole; larger ones stream in chunks with an overlap. */
const WHOLE_READ_BYTES = 8 * 1024 * 1024;
const CHUNK_BYTES = 4 * 1024 * 1024;
/** Files up to this size are read with blocking calls (see readSmallSync). */
const SYNC_READ_BYTES = 1024 * 1024;
/** Longest secret we expect to match across a chunk boundary (PEM keys are handled in one chunk). */
const CHUNK_OVERLAP = 64 * 1024;

export function isBinary(buf: Buffer, length = buf.length): boolean {
  const n = Math.min(length, SNIFF_BYTES);
  return buf.subarray(0, n).includes(0);
}

/** Keeps the highest-priority detection per secret (content rule > structural parser > generic rule). */
export function dedupe(dets: Detection[]): Detection[] {
  const best = new Map<string, Detection>();
  for (const d of dets) {
    const prev = best.get(d.secret);
    if (!prev || d.priority > prev.priority) best.set(d.secret, d);
  }
  return [...best.values()];
}

/** What reading and detecting needs: no filesystem identity or access decisions (claimFile's job). */
export type ReadContext = Pick<SourceContext, "scanner" | "limits" | "issues" | "stats" | "onFile">;

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
  const { st } = t;
  const cap = ctx.limits.maxFileBytes;
  if (cap > 0 && st.size > cap && !t.pathRule) {
    ctx.issues.push({
      where: t.reportPath,
      message: `skipped: ${st.size} bytes is over the ${cap}-byte cap (--max-file-size)`,
    });
    return [];
  }
  let detections: Detection[];
  try {
    detections = await readAndDetect(t, ctx);
  } catch (e) {
    const message =
      e instanceof OutsideSystemRoot
        ? "skipped: leads outside --system-root"
        : `cannot read: ${safeMessage(e)}`;
    ctx.issues.push({ where: t.reportPath, message });
    return [];
  }
  const located: Located[] = [];
  // Disabled rules go before the dedupe, so a lower-priority detection of the same secret survives.
  const off = ctx.scanner.disabled;
  const enabled = off.size
    ? detections.filter((d) => !off.has(d.ruleId) && !(d.viaRuleId && off.has(d.viaRuleId)))
    : detections;
  for (const d of dedupe(enabled)) {
    located.push({ ...d, location: { source: t.source, path: t.reportPath, line: d.line, name: d.name } });
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
  const fd = openSync(abs, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    if (confineTo) assertOpenedUnder(fd, abs, confineTo);
    const buf = into && into.length >= size ? into : Buffer.allocUnsafe(Math.max(size, 1));
    let n = 0;
    while (n < size) {
      const bytesRead = readSync(fd, buf, n, size - n, n);
      if (bytesRead === 0) break;
      n += bytesRead;
    }
    return buf.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}

/**
 * One read buffer per thread for the small files: their detection runs synchronously right after
 * the read and keeps no reference to the bytes (only strings made from them), so the buffer is
 * free again before any other file is read. A fresh buffer per file costs page faults (the read
 * itself is a copy from the page cache), and threads faulting at once contend for the process's
 * memory map.
 */
let scratch: Buffer | undefined;

async function readAndDetect(t: FileTarget, ctx: ReadContext): Promise<Detection[]> {
  const size = t.st.size;
  if (size <= SYNC_READ_BYTES) {
    scratch ??= Buffer.allocUnsafeSlow(SYNC_READ_BYTES);
    const buf = readSmallSync(t.abs, size, scratch, t.confineTo);
    ctx.stats.files++;
    ctx.stats.bytes += buf.length;
    ctx.onFile?.(buf.length);
    if (!ctx.limits.includeBinary && !t.pathRule && isBinary(buf)) return [];
    return detectInBuffer(buf, t, ctx);
  }
  const fh = await open(t.abs, "r");
  try {
    if (t.confineTo) assertOpenedUnder(fh.fd, t.abs, t.confineTo);
    // A big file is sniffed before it is read: an image, archive or model file is skipped after
    // 8,000 bytes instead of megabytes.
    if (!ctx.limits.includeBinary && !t.pathRule) {
      const head = Buffer.allocUnsafe(SNIFF_BYTES);
      const { bytesRead } = await fh.read(head, 0, SNIFF_BYTES, 0);
      if (isBinary(head, bytesRead)) {
        ctx.stats.files++;
        ctx.stats.bytes += bytesRead;
        ctx.onFile?.(bytesRead);
        return [];
      }
    }
    if (size <= WHOLE_READ_BYTES) {
      const buf = Buffer.allocUnsafe(Math.max(size, 1));
      let n = 0;
      while (n < size) {
        const { bytesRead } = await fh.read(buf, n, size - n, n);
        if (bytesRead === 0) break;
        n += bytesRead;
      }
      ctx.stats.files++;
      ctx.stats.bytes += n;
      ctx.onFile?.(n);
      if (!ctx.limits.includeBinary && !t.pathRule && isBinary(buf, n)) return [];
      return detectInBuffer(buf.subarray(0, n), t, ctx);
    }
    return await detectStreaming(fh, t, ctx);
  } finally {
    await fh.close();
  }
}

function detectInBuffer(buf: Buffer, t: FileTarget, ctx: ReadContext): Detection[] {
  const out: Detection[] = [];
  const parserName = t.pathRule?.parser;
  let textScan = t.pathRule ? t.pathRule.textScan : true;
  if (parserName && parserName !== "text") {
    const parser = PARSERS[parserName];
    if (!parser) {
      ctx.issues.push({ where: t.reportPath, message: `no parser "${parserName}"; scanned as text` });
      textScan = true;
    } else {
      let res: ReturnType<typeof parser> | undefined;
      try {
        res = parser({ text: buf.toString("utf8"), path: t.reportPath, rule: t.pathRule });
      } catch (e) {
        // Fail closed: a file built to crash a parser (deep nesting) must not hide its secrets.
        ctx.issues.push({
          where: t.reportPath,
          message: `parser failed (${safeMessage(e)}); scanned as text`,
        });
        textScan = true;
      }
      if (res) {
        out.push(...res.detections);
        if (res.malformed) {
          ctx.issues.push({ where: t.reportPath, message: `${res.malformed}; scanned as text` });
          textScan = true;
        }
      }
    }
  }
  if (textScan) {
    // Keywords first, on the bytes: a file without any is never decoded.
    const positions = ctx.scanner.positionsRequest();
    const rules = ctx.scanner.candidates(buf, positions);
    if (rules.length)
      out.push(...fromLatin1View(ctx.scanner.scan(buf.toString("latin1"), { rules, positions })));
  }
  return out;
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

async function detectStreaming(
  fh: import("node:fs/promises").FileHandle,
  t: FileTarget,
  ctx: ReadContext,
): Promise<Detection[]> {
  const out: Detection[] = [];
  const buf = Buffer.allocUnsafe(CHUNK_BYTES + CHUNK_OVERLAP);
  let pos = 0;
  let carry = 0; // bytes at the start of buf carried over from the previous chunk
  let lineBase = 0; // lines before buf[0]
  let first = true;
  for (;;) {
    const { bytesRead } = await fh.read(buf, carry, CHUNK_BYTES, pos);
    if (bytesRead === 0) break;
    pos += bytesRead;
    ctx.stats.bytes += bytesRead;
    ctx.onFile?.(bytesRead);
    const len = carry + bytesRead;
    if (first) {
      ctx.stats.files++;
      if (!ctx.limits.includeBinary && !t.pathRule && isBinary(buf, len)) return [];
      first = false;
    }
    const text = buf.toString("latin1", 0, len);
    for (const d of fromLatin1View(ctx.scanner.scan(text))) {
      out.push({ ...d, line: d.line === undefined ? undefined : d.line + lineBase });
    }
    // Keep the tail (cut at a newline) so a secret spanning the boundary is seen whole next time.
    let cut = Math.max(0, len - CHUNK_OVERLAP);
    const nl = text.indexOf("\n", cut);
    cut = nl === -1 ? len : nl + 1;
    let lines = 0;
    for (let i = text.indexOf("\n"); i !== -1 && i < cut; i = text.indexOf("\n", i + 1)) lines++;
    lineBase += lines;
    buf.copy(buf, 0, cut, len);
    carry = len - cut;
  }
  return out;
}
