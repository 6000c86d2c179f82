import { realpath } from "node:fs/promises";
import { join } from "node:path";
import { quoteName } from "../detect/echo.js";
import { safeMessage, UsageError } from "../util/errors.js";
import { READ_LIMITS, readRegularText, UnsafeFileError } from "../util/safe-read.js";
import type { UserIdentity } from "./access.js";

/** A uid or gid as passwd(5) and group(5) write it: decimal digits, at most 2^32 - 1. */
function id(field: string | undefined): number | undefined {
  if (field === undefined || !/^\d{1,10}$/.test(field)) return undefined;
  const n = Number(field);
  return n <= 0xffffffff ? n : undefined;
}

/**
 * The lines of passwd(5) or group(5) under the system root, split on ":". A missing file is no
 * lines. The file is the audited image's (issue 8): read as a regular file of bounded size without
 * blocking (a FIFO at etc/passwd hung the run), and inside an image (system root other than "/")
 * confined to it, so an absolute symlink cannot make the scanning machine's /etc/passwd decide
 * --as-user.
 */
async function readLines(systemRoot: string, rel: string): Promise<string[][]> {
  const path = join(systemRoot, rel);
  let text: string;
  try {
    const confineTo = systemRoot === "/" ? undefined : await realpath(systemRoot);
    text = await readRegularText(path, { maxBytes: READ_LIMITS.passwd, confineTo });
  } catch (e) {
    if ((e as { code?: string }).code === "ENOENT") return [];
    const what =
      e instanceof UnsafeFileError
        ? e.code === "outside-root"
          ? "leads outside --system-root"
          : e.message
        : `cannot be read: ${safeMessage(e)}`;
    throw new UsageError(`--as-user: ${path} ${what}`, "pass --as-user a numeric uid, or fix the file");
  }
  return text
    .split("\n")
    .filter((l) => l && !l.startsWith("#"))
    .map((l) => l.split(":"));
}

/**
 * Resolves `--as-user NAME|UID` from passwd(5) and group(5) under the system root: the primary
 * group plus every group that lists the user as a member. A line whose uid or gid is empty or not a
 * number is not a user (issue 8: `agent:x::::` gave uid 0, `agent:x:abc:...` uid NaN): naming it
 * is an error, and a numeric uid never matches it.
 */
export async function resolveUser(spec: string, systemRoot = "/"): Promise<UserIdentity> {
  const passwdPath = join(systemRoot, "etc/passwd");
  const passwd = await readLines(systemRoot, "etc/passwd");
  const groups = await readLines(systemRoot, "etc/group");
  const numeric = id(spec) !== undefined;
  const entry = passwd.find((p) =>
    numeric ? id(p[2]) === id(spec) && id(p[3]) !== undefined : p[0] === spec,
  );
  if (entry && (id(entry[2]) === undefined || id(entry[3]) === undefined)) {
    throw new UsageError(
      `--as-user ${quoteName(spec)}: its line in ${passwdPath} is malformed (the uid or gid is not a number)`,
      "fix the passwd entry, or pass a numeric uid",
    );
  }
  if (!entry && !numeric) {
    throw new UsageError(
      `unknown user ${quoteName(spec)} (not in ${passwdPath})`,
      "pass a user name or a numeric uid",
    );
  }
  const name = entry?.[0] ?? `uid${id(spec)}`;
  const uid = entry ? id(entry[2])! : id(spec)!;
  const gids = new Set<number>();
  const primary = id(entry?.[3]);
  if (primary !== undefined) gids.add(primary);
  for (const g of groups) {
    const gid = id(g[2]);
    if (gid === undefined) continue;
    const members = (g[3] ?? "").split(",").map((m) => m.trim());
    if (members.includes(name)) gids.add(gid);
  }
  return { name, uid, gids: [...gids].sort((a, b) => a - b) };
}
