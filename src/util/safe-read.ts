import { constants, readSync, type Stats } from "node:fs";
import { open } from "node:fs/promises";
import { assertOpenedUnder } from "./confine.js";

// Every file agent-audit opens for its own use (config, baseline, environment dump, passwd, /proc
// environ) may have been planted by the agent it audits (issue 8): a FIFO blocks a plain open(), a
// link to /dev/urandom never ends, a 2 GB file exhausts memory. This is the one way to read such a
// file: opened without blocking (O_NONBLOCK: a FIFO opens at once instead of waiting for a writer),
// checked to be a regular file on the descriptor actually opened (no race with a swap after a stat),
// optionally confined to a system root, and read up to a byte cap.

/** Why a file was not read. `code` is stable (tests and callers switch on it); no path or content in the message. */
export class UnsafeFileError extends Error {
  readonly code: "not-regular" | "too-large" | "outside-root";
  constructor(code: UnsafeFileError["code"], detail: string) {
    super(detail);
    this.name = "UnsafeFileError";
    this.code = code;
  }
}

export interface SafeReadOptions {
  /** Largest file read, in bytes; a bigger one is refused (never read partly). */
  maxBytes: number;
  /** Confined read of an image: the real path of the system root the opened file must lie under. */
  confineTo?: string;
  /**
   * procfs: files such as /proc/PID/environ stat as size 0 and are read to EOF (at most maxBytes;
   * a longer one is refused).
   */
  sizeUnknown?: boolean;
}

/** Describes a non-regular file for an error message: "a FIFO", "a character device", ... */
export function fileKind(st: Stats): string {
  if (st.isFIFO()) return "a FIFO";
  if (st.isCharacterDevice()) return "a character device";
  if (st.isBlockDevice()) return "a block device";
  if (st.isSocket()) return "a socket";
  if (st.isDirectory()) return "a directory";
  return "not a regular file";
}

/**
 * Reads a regular file of at most `maxBytes` bytes, without ever blocking on it. Throws
 * UnsafeFileError for a FIFO, device, socket or directory, a file over the cap, or one outside the
 * confinement root; fs errors (ENOENT, EACCES, ...) pass through with their code.
 */
export async function readRegularFile(path: string, opts: SafeReadOptions): Promise<Buffer> {
  const fh = await open(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw new UnsafeFileError("not-regular", `is ${fileKind(st)}, not a regular file`);
    if (opts.confineTo) {
      try {
        assertOpenedUnder(fh.fd, path, opts.confineTo);
      } catch {
        throw new UnsafeFileError("outside-root", "leads outside --system-root");
      }
    }
    if (st.size > opts.maxBytes)
      throw new UnsafeFileError("too-large", `is ${st.size} bytes, over the ${opts.maxBytes}-byte limit`);
    // One byte more than the stat said: a file that grows while it is read is refused, never cut.
    const expected = opts.sizeUnknown ? opts.maxBytes : st.size;
    const buf = Buffer.allocUnsafe(opts.sizeUnknown ? Math.min(opts.maxBytes + 1, 1024 * 1024) : st.size + 1);
    let n = 0;
    let into = buf;
    for (;;) {
      if (n === into.length) {
        if (n > expected) break;
        const bigger = Buffer.allocUnsafe(Math.min(expected + 1, into.length * 2));
        into.copy(bigger, 0, 0, n);
        into = bigger;
      }
      // procfs files are read sequentially (position null); regular files at explicit offsets.
      const { bytesRead } = await fh.read(into, n, into.length - n, opts.sizeUnknown ? null : n);
      if (bytesRead === 0) break;
      n += bytesRead;
    }
    if (n > expected)
      throw new UnsafeFileError(
        "too-large",
        opts.sizeUnknown ? `is over the ${opts.maxBytes}-byte limit` : "grew while it was read",
      );
    return into.subarray(0, n);
  } finally {
    await fh.close();
  }
}

/** readRegularFile, decoded as UTF-8 with a leading byte order mark removed. */
export async function readRegularText(path: string, opts: SafeReadOptions): Promise<string> {
  const text = (await readRegularFile(path, opts)).toString("utf8");
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** Caps for the files agent-audit reads for itself. */
export const READ_LIMITS = {
  // A config is written by hand (a few KB); 256 KiB bounds the YAML parser, whose time per byte
  // is far above a scan's (issue 8).
  config: 256 * 1024,
  baseline: 64 * 1024 * 1024,
  envFile: 16 * 1024 * 1024,
  passwd: 16 * 1024 * 1024,
} as const;

/**
 * The first `size` bytes of a file opened (and checked) by the caller, as UTF-8: fewer when the
 * file ends sooner. For the synchronous readers that open with O_NOFOLLOW and judge the descriptor
 * themselves (the watcher's state and queue files, a rollback manifest).
 */
export function readFdText(fd: number, size: number): string {
  const buf = Buffer.alloc(size);
  let off = 0;
  while (off < size) {
    const n = readSync(fd, buf, off, size - off, off);
    if (n === 0) break;
    off += n;
  }
  return buf.subarray(0, off).toString("utf8");
}
