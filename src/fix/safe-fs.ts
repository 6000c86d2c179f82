// The file operations of `agent-audit fix --apply` and `--rollback` (issue 12). The agent owns the
// home they write to, and apply often runs as root: a `~/.claude/settings.json` planted as a link to
// /etc/shadow, a `~/.claude` that is a link to /etc, a hard link to a root-owned file, a FIFO that
// blocks the read, must each be refused, with the reason, never followed. So:
//
// - every directory component below the base the destination is under (the home, the working tree,
//   or `/` for a system path) is lstat'ed: a symbolic link or a non-directory is refused;
// - the destination must be absent or a regular file with one link, of at most 1 MiB;
// - it is opened with O_NOFOLLOW|O_NONBLOCK, checked on the descriptor (same inode as the lstat, a
//   regular file) and, where /proc is mounted, the kernel's own record of the opened path must be the
//   path checked (a directory swapped between the checks and the open is caught);
// - it is written through a new file in the same directory (O_CREAT|O_EXCL|O_NOFOLLOW), given its
//   owner and mode on the descriptor (fchown/fchmod), fsync'ed, then renamed over the destination
//   (rename(2) replaces a link planted meanwhile instead of following it), and the directory fsync'ed.
//
// A rename is by path: a directory component swapped between the check and the rename makes the
// rename look for the temporary file in the swapped-in directory, where it is not (ENOENT), so the
// write fails instead of landing elsewhere.

import { createHash, randomBytes } from "node:crypto";
import { constants, type Stats } from "node:fs";
import { lstat, mkdir, open, readlink, realpath, rename, rmdir, stat, unlink } from "node:fs/promises";
import { basename, dirname, isAbsolute, join, normalize, relative, sep } from "node:path";
import { fileKind } from "../util/safe-read.js";

/** The largest destination file apply reads, merges or backs up. */
export const MAX_FILE_BYTES = 1024 * 1024;

/** A destination refused: `message` is the whole reason, with the path; never any content. */
export class UnsafePathError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UnsafePathError";
  }
}

export interface FileMeta {
  sha256: string;
  mode: number;
  uid: number;
  gid: number;
  size: number;
}

export interface ExistingFile extends FileMeta {
  content: Buffer;
  dev: number;
  ino: number;
}

/** What a destination is, once checked. */
export interface DestInfo {
  /** The destination, normalised. */
  dest: string;
  /** The base it lies under (as given, normalised) and that base's real path. */
  base: string;
  realBase: string;
  /** The destination's path with the real base in front (what the kernel must see opened). */
  realDest: string;
  /** The directories to create, outermost first (real-base paths). */
  missingDirs: string[];
  /** The owner of the deepest directory that exists on the way (new directories and files take it when root). */
  dirOwner: { uid: number; gid: number };
  /** The file there now; null when there is none. */
  existing: ExistingFile | null;
}

export function sha256(data: Buffer | string): string {
  return createHash("sha256").update(data).digest("hex");
}

function code(e: unknown): string | undefined {
  return (e as { code?: string }).code;
}

async function lstatOrNull(p: string): Promise<Stats | null> {
  try {
    return await lstat(p);
  } catch (e) {
    if (code(e) === "ENOENT") return null;
    throw e;
  }
}

/**
 * The base `dest` lies under: the outermost of `bases` that contains it (a working tree inside the
 * home is checked from the home down: the agent could have made it a link), else `/`.
 */
export function baseOf(dest: string, bases: readonly string[]): string {
  let best: string | undefined;
  for (const b of bases) {
    const nb = normalize(b).replace(/(.)\/+$/, "$1");
    const rel = relative(nb, dest);
    if (
      rel !== "" &&
      !rel.startsWith("..") &&
      !isAbsolute(rel) &&
      (best === undefined || nb.length < best.length)
    )
      best = nb;
  }
  return best ?? "/";
}

/** The kernel's record of the path behind a descriptor; undefined without /proc. */
async function openedPath(fd: number): Promise<string | undefined> {
  try {
    return await readlink(`/proc/self/fd/${fd}`);
  } catch {
    return undefined;
  }
}

/**
 * Checks every component of `dest` below its base and the destination itself; reads the file there
 * (bounded, without following a link). Throws UnsafePathError with the reason.
 */
export async function inspectDest(destIn: string, bases: readonly string[]): Promise<DestInfo> {
  const info = await checkDirs(destIn, bases);
  const existing = info.missingDirs.length > 0 ? null : await readExisting(info.realDest, info.dest);
  return { ...info, existing };
}

/**
 * The base is resolved with realpath, so a link on its way is followed: the report read with
 * --from-report names the home, and a home of `/home/agent/fake` with `fake` a link the agent made
 * sent root's writes into the link's target. A link is followed only when root owns it and no one
 * else could have put it there (its directory is root's and writable by root alone, or sticky):
 * `/tmp -> /private/tmp` or `/home -> /data/home` pass, a link inside the agent's home does not.
 */
async function checkBaseLinks(base: string): Promise<void> {
  let cur = "/";
  for (const part of base.split("/").filter(Boolean)) {
    const parent = cur;
    cur = join(cur, part);
    const st = await lstatOrNull(cur);
    if (st === null) return; // realpath reports it
    if (!st.isSymbolicLink()) continue;
    const dir = await stat(parent);
    const rootOnly = dir.uid === 0 && ((dir.mode & 0o022) === 0 || (dir.mode & 0o1000) !== 0);
    if (st.uid !== 0 || !rootOnly)
      throw new UnsafePathError(`${cur} is a symbolic link that someone other than root could have planted`);
  }
}

/** The directory checks of inspectDest alone (the destination itself is not looked at). */
export async function checkDirs(
  destIn: string,
  bases: readonly string[],
): Promise<Omit<DestInfo, "existing">> {
  if (!isAbsolute(destIn)) throw new UnsafePathError(`${destIn} is not an absolute path`);
  if (destIn.split("/").includes("..")) throw new UnsafePathError(`${destIn} has a ".." component`);
  const dest = normalize(destIn);
  const base = baseOf(dest, bases);
  await checkBaseLinks(base);
  let realBase: string;
  try {
    realBase = await realpath(base);
  } catch {
    throw new UnsafePathError(`${base} does not exist`);
  }
  const parts = relative(base, dest).split(sep);
  const name = parts.pop()!;
  let dir = realBase;
  let shown = base;
  const missingDirs: string[] = [];
  const baseStat = await lstat(realBase);
  let dirOwner = { uid: baseStat.uid, gid: baseStat.gid };
  for (const part of parts) {
    dir = join(dir, part);
    shown = join(shown, part);
    if (missingDirs.length > 0) {
      missingDirs.push(dir);
      continue;
    }
    const st = await lstatOrNull(dir);
    if (st === null) {
      missingDirs.push(dir);
      continue;
    }
    if (st.isSymbolicLink()) throw new UnsafePathError(`${shown} is a symbolic link`);
    if (!st.isDirectory()) throw new UnsafePathError(`${shown} is not a directory`);
    dirOwner = { uid: st.uid, gid: st.gid };
  }
  return { dest, base, realBase, realDest: join(dir, name), missingDirs, dirOwner };
}

/** The checks on the destination itself, and its bounded read through O_NOFOLLOW. */
export async function readExisting(realDest: string, shown: string): Promise<ExistingFile | null> {
  const st = await lstatOrNull(realDest);
  if (st === null) return null;
  checkDestStat(st, shown);
  let fh: Awaited<ReturnType<typeof open>>;
  try {
    fh = await open(
      realDest,
      constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK | constants.O_NOCTTY,
    );
  } catch (e) {
    if (code(e) === "ELOOP") throw new UnsafePathError(`${shown} is a symbolic link`);
    throw e;
  }
  try {
    const fst = await fh.stat();
    checkDestStat(fst, shown);
    if (fst.dev !== st.dev || fst.ino !== st.ino)
      throw new UnsafePathError(`${shown} changed while it was checked`);
    const opened = await openedPath(fh.fd);
    if (opened !== undefined && opened !== realDest)
      throw new UnsafePathError(`${shown} is not where its path says (opened ${opened})`);
    const buf = Buffer.alloc(fst.size + 1);
    let n = 0;
    for (;;) {
      const { bytesRead } = await fh.read(buf, n, buf.length - n, n);
      if (bytesRead === 0) break;
      n += bytesRead;
      if (n === buf.length) throw new UnsafePathError(`${shown} grew while it was read`);
    }
    const content = buf.subarray(0, n);
    return {
      content,
      sha256: sha256(content),
      mode: fst.mode & 0o7777,
      uid: fst.uid,
      gid: fst.gid,
      size: n,
      dev: fst.dev,
      ino: fst.ino,
    };
  } finally {
    await fh.close();
  }
}

function checkDestStat(st: Stats, shown: string): void {
  if (st.isSymbolicLink()) throw new UnsafePathError(`${shown} is a symbolic link`);
  if (!st.isFile()) throw new UnsafePathError(`${shown} is ${fileKind(st)}, not a regular file`);
  if (st.nlink > 1) throw new UnsafePathError(`${shown} has ${st.nlink} hard links`);
  if (st.size > MAX_FILE_BYTES)
    throw new UnsafePathError(`${shown} is ${st.size} bytes, over the ${MAX_FILE_BYTES}-byte limit`);
}

/**
 * Creates the missing directories (outermost first) with `mode`, never through a link: each is made
 * with mkdir(2) alone and lstat'ed after; `owner` (root only) is given to each. Returns those made.
 */
export async function makeDirs(
  dirs: readonly string[],
  mode: number,
  owner: { uid: number; gid: number } | undefined,
): Promise<string[]> {
  const made: string[] = [];
  for (const d of dirs) {
    try {
      await mkdir(d, { mode });
      made.push(d);
    } catch (e) {
      if (code(e) !== "EEXIST") throw e;
    }
    // Owner and mode through a descriptor opened without following a link, checked to be `d`
    // itself: a directory swapped for a link after the mkdir must not pass chown to its target.
    let fh: Awaited<ReturnType<typeof open>>;
    try {
      fh = await open(d, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW);
    } catch (e) {
      if (code(e) === "ELOOP") throw new UnsafePathError(`${d} is a symbolic link`);
      if (code(e) === "ENOTDIR") throw new UnsafePathError(`${d} is not a directory`);
      throw e;
    }
    try {
      const opened = await openedPath(fh.fd);
      if (opened !== undefined && opened !== d)
        throw new UnsafePathError(`${d} is not where its path says (opened ${opened})`);
      if (made.includes(d)) {
        if (owner) await fh.chown(owner.uid, owner.gid);
        await fh.chmod(mode); // the umask narrowed it
      }
    } finally {
      await fh.close();
    }
  }
  return made;
}

/**
 * Puts `content` at `realDest` through a new file in the same directory, renamed over it, with the
 * given mode and (when `owner` is set) owner, fsync'ed file and directory.
 */
export async function writeReplacing(
  realDest: string,
  content: Buffer,
  mode: number,
  owner: { uid: number; gid: number } | undefined,
): Promise<void> {
  const dir = dirname(realDest);
  const tmp = join(dir, `.${basename(realDest)}.agent-audit-${randomBytes(6).toString("hex")}.tmp`);
  const fh = await open(
    tmp,
    constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
    0o600,
  );
  let renamed = false;
  try {
    try {
      const opened = await openedPath(fh.fd);
      if (opened !== undefined && opened !== tmp)
        throw new UnsafePathError(`${dir} is not where its path says (opened ${dirname(opened)})`);
      await fh.writeFile(content);
      if (owner) await fh.chown(owner.uid, owner.gid);
      await fh.chmod(mode);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, realDest);
    renamed = true;
    await syncDir(dir);
  } finally {
    if (!renamed) await unlink(tmp).catch(() => undefined);
  }
}

/** Removes a file (unlink(2) never follows a link) and syncs its directory. */
export async function removeFile(path: string): Promise<void> {
  await unlink(path);
  await syncDir(dirname(path));
}

/** Removes a directory if it is empty; true when it was removed. */
export async function removeDirIfEmpty(path: string): Promise<boolean> {
  try {
    const st = await lstat(path);
    if (!st.isDirectory()) return false;
    await rmdir(path);
    return true;
  } catch {
    return false;
  }
}

export async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, constants.O_RDONLY | constants.O_DIRECTORY);
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** The current state of a path for rollback: absent, a regular file (read bounded), or something else (the reason). */
export async function currentState(
  realDest: string,
  shown: string,
): Promise<{ kind: "absent" } | { kind: "file"; file: ExistingFile } | { kind: "other"; reason: string }> {
  try {
    const file = await readExisting(realDest, shown);
    return file ? { kind: "file", file } : { kind: "absent" };
  } catch (e) {
    if (e instanceof UnsafePathError) return { kind: "other", reason: e.message };
    if (code(e) === "ENOENT" || code(e) === "ENOTDIR") return { kind: "absent" };
    throw e;
  }
}
