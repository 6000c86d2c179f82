import type { Stats } from "node:fs";
import { realpath, stat } from "node:fs/promises";
import { dirname } from "node:path";

/**
 * Decides whether the agent can read a path. By default the scanning user is the agent: if we can
 * read it, so can it. With --as-user, readability is computed from ownership and mode bits, group
 * membership and search permission on every ancestor directory, so root can audit the agent's view.
 * Not modelled: POSIX ACLs, capabilities and LSMs (SELinux, AppArmor); each can grant or take
 * away access beyond the mode bits, so a report made with --as-user is the mode-bit view.
 */
export interface Access {
  /** A description for reports: the user name and uid. */
  user: string;
  /** null = decide by trying to read (the scanning user is the agent). */
  identity: UserIdentity | null;
  canRead(path: string, st: Stats): Promise<boolean>;
  /** Sockets: connecting needs write permission on the socket file. */
  canConnect(path: string, st: Stats): Promise<boolean>;
}

export interface UserIdentity {
  name: string;
  uid: number;
  gids: number[];
}

const R = { owner: 0o400, group: 0o040, other: 0o004 };
const W = { owner: 0o200, group: 0o020, other: 0o002 };
const X = { owner: 0o100, group: 0o010, other: 0o001 };

function allowed(
  id: UserIdentity,
  st: Stats,
  bits: { owner: number; group: number; other: number },
): boolean {
  if (id.uid === 0) return bits !== X || (st.mode & 0o111) !== 0 || st.isDirectory();
  if (st.uid === id.uid) return (st.mode & bits.owner) !== 0;
  if (id.gids.includes(st.gid)) return (st.mode & bits.group) !== 0;
  return (st.mode & bits.other) !== 0;
}

export function identityAccess(id: UserIdentity): Access {
  const dirCache = new Map<string, Promise<boolean>>();
  const searchable = (dir: string): Promise<boolean> => {
    let p = dirCache.get(dir);
    if (!p) {
      p = (async () => {
        const parent = dirname(dir);
        if (parent !== dir && !(await searchable(parent))) return false;
        try {
          return allowed(id, await stat(dir), X);
        } catch {
          return false;
        }
      })();
      dirCache.set(dir, p);
    }
    return p;
  };
  // Path resolution needs search permission on the directories of the path as written AND, when
  // a symlink leads elsewhere, on the directories of its target (path_resolution(7)). `st` is the
  // stat of the target (symlinks followed), so the mode bits are the target's.
  const reachable = async (path: string): Promise<boolean> => {
    if (!(await searchable(dirname(path)))) return false;
    let real: string;
    try {
      real = await realpath(path);
    } catch {
      return false;
    }
    return real === path || searchable(dirname(real));
  };
  return {
    user: `${id.name} (uid ${id.uid})`,
    identity: id,
    async canRead(path, st) {
      return allowed(id, st, R) && (await reachable(path));
    },
    async canConnect(path, st) {
      return allowed(id, st, W) && (await reachable(path));
    },
  };
}

export function selfAccess(user: string): Access {
  return {
    user,
    identity: null,
    async canRead() {
      return true;
    },
    async canConnect() {
      return true;
    },
  };
}
