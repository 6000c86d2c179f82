import { readlinkSync, realpathSync } from "node:fs";
import { realpath } from "node:fs/promises";
import { isAbsolute, relative, resolve } from "node:path";

// Auditing a mounted image (--system-root /mnt/img): a path in the image that resolves out of it (an
// env pointer with "..", an absolute symlink meant for the image's own "/") would resolve on the
// scanning machine, whose files are neither the agent's nor ours to read. These helpers keep every
// read of a confined scan inside the system root.

/** Whether `path` is `root` or lies below it (both absolute, already resolved). */
export function isUnder(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === "" || (!rel.startsWith("..") && !isAbsolute(rel));
}

/** Thrown when a confined read would leave the system root; reported as a skipped file. */
export class OutsideSystemRoot extends Error {
  constructor() {
    super("leads outside --system-root");
  }
}

/**
 * Whether a path stays inside the system root once `..` and symlinks are resolved. Always true when
 * the system root is "/". Throws ENOENT when the path does not exist (callers treat that as "not
 * there").
 */
export async function insideSystemRoot(systemRoot: string, abs: string): Promise<boolean> {
  if (systemRoot === "/") return true;
  const [root, real] = await Promise.all([realpath(systemRoot), realpath(abs)]);
  return isUnder(root, real);
}

/**
 * How a scanned folder (home or tree) relates to a non-"/" system root: `inside` an audited image
 * (every read is then confined to `root`, the system root's real path), `escapes` (written inside
 * the image, but a symlink on the way leads out of it: not scanned), or `none` (not in the image,
 * as a fixture's home beside its system root, or system root "/").
 */
export type Confinement = { kind: "none" } | { kind: "inside"; root: string } | { kind: "escapes" };

export async function confinementOf(systemRoot: string, dir: string): Promise<Confinement> {
  if (systemRoot === "/") return { kind: "none" };
  let root: string;
  try {
    root = await realpath(systemRoot);
  } catch {
    return { kind: "none" };
  }
  const written = isUnder(resolve(systemRoot), resolve(dir)) || isUnder(root, resolve(dir));
  let real: string;
  try {
    real = await realpath(dir);
  } catch {
    return written ? { kind: "escapes" } : { kind: "none" };
  }
  if (isUnder(root, real)) return { kind: "inside", root };
  return written ? { kind: "escapes" } : { kind: "none" };
}

/**
 * Checks, after the open, that the file behind `fd` lies under `root`: the kernel's own record of
 * the opened file (/proc/self/fd), so a symlink or directory swapped between the check and the
 * open cannot redirect the read. Where /proc is not mounted, falls back to resolving `abs` again.
 */
export function assertOpenedUnder(fd: number, abs: string, root: string): void {
  let opened: string;
  try {
    opened = readlinkSync(`/proc/self/fd/${fd}`);
  } catch {
    opened = realpathSync(abs);
  }
  if (!isUnder(root, opened)) throw new OutsideSystemRoot();
}
