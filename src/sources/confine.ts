import { realpath } from "node:fs/promises";
import { isAbsolute, relative } from "node:path";

/** Whether `path` is `root` or lies below it (both absolute, already resolved). */
export function isUnder(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === "" || (!rel.startsWith("..") && !isAbsolute(rel));
}

/**
 * Whether a path stays inside the system root once `..` and symlinks are resolved. When the scan
 * audits a mounted image (--system-root /mnt/img), an environment pointer such as
 * DOCKER_CONFIG=/../../root/.docker, or a symlink in the image to /root/.aws/credentials, must never
 * make it read the scanning machine's own files. Always true when the system root is "/". Throws
 * ENOENT when the path does not exist (callers treat that as "not there").
 */
export async function insideSystemRoot(systemRoot: string, abs: string): Promise<boolean> {
  if (systemRoot === "/") return true;
  const [root, real] = await Promise.all([realpath(systemRoot), realpath(abs)]);
  return isUnder(root, real);
}

/**
 * Whether a scanned folder (home or tree) lies inside a non-"/" system root: an audited image,
 * whose absolute symlinks would resolve on the scanning machine, so each must be confined.
 */
export async function insideImage(systemRoot: string, dir: string): Promise<boolean> {
  if (systemRoot === "/") return false;
  try {
    return isUnder(await realpath(systemRoot), await realpath(dir));
  } catch {
    return false;
  }
}
