import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { UsageError } from "../core/errors.js";
import type { UserIdentity } from "./access.js";

async function readLines(path: string): Promise<string[][]> {
  try {
    return (await readFile(path, "utf8"))
      .split("\n")
      .filter((l) => l && !l.startsWith("#"))
      .map((l) => l.split(":"));
  } catch {
    return [];
  }
}

/**
 * Resolves `--as-user NAME|UID` from passwd(5) and group(5) under the system root: the primary
 * group plus every group that lists the user as a member.
 */
export async function resolveUser(spec: string, systemRoot = "/"): Promise<UserIdentity> {
  const passwd = await readLines(join(systemRoot, "etc/passwd"));
  const groups = await readLines(join(systemRoot, "etc/group"));
  const numeric = /^\d+$/.test(spec);
  const entry = passwd.find((p) => (numeric ? p[2] === spec : p[0] === spec));
  if (!entry && !numeric) {
    throw new UsageError(
      `unknown user "${spec}" (not in ${join(systemRoot, "etc/passwd")})`,
      "pass a user name or a numeric uid",
    );
  }
  const name = entry?.[0] ?? `uid${spec}`;
  const uid = Number(entry?.[2] ?? spec);
  const gids = new Set<number>();
  if (entry?.[3] && /^\d+$/.test(entry[3])) gids.add(Number(entry[3]));
  for (const g of groups) {
    const members = (g[3] ?? "").split(",").map((m) => m.trim());
    if (members.includes(name) && g[2] && /^\d+$/.test(g[2])) gids.add(Number(g[2]));
  }
  return { name, uid, gids: [...gids].sort((a, b) => a - b) };
}
