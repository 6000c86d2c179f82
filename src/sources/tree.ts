import { type Dirent, lstatSync, readdirSync, type Stats, statSync } from "node:fs";
import { stat } from "node:fs/promises";
import { resolve } from "node:path";
import { ContentScanner } from "../detect/content.js";
import { confinementOf, insideSystemRoot } from "../util/confine.js";
import { safeMessage } from "../util/errors.js";
import { fileKind } from "../util/safe-read.js";
import type { Located, SourceContext } from "./context.js";
import { claimFile, claimFileSync, type FileTarget, scanClaimed } from "./files.js";
import { globToRegExp } from "./glob.js";
import { ScanPool } from "./scan-pool.js";

/**
 * Bytes scanned on the main thread before workers start: a worker costs ~70 ms of CPU to start
 * (modules, rules, regexes), which a small tree never pays back. Past this, the workers and the
 * main thread share the rest (scan-pool.ts).
 */
export const WORKER_THRESHOLD_BYTES = 4 * 1024 * 1024;

/** Version-control internals: skipped unless --include-vcs. */
export const VCS_DIRS = new Set([".git", ".hg", ".svn", ".jj", ".bzr"]);
/** Installed and vendored dependencies: skipped unless --include-deps. */
export const DEP_DIRS = new Set([
  "node_modules",
  "bower_components",
  "jspm_packages",
  "vendor",
  ".venv",
  "venv",
  "site-packages",
  "__pycache__",
  ".tox",
  ".pnpm-store",
  ".yarn",
  "Pods",
  ".gradle",
  ".m2",
  ".cargo",
]);

declare module "./context.js" {
  interface ScanLimits {
    /**
     * Rule ids switched off for the tree's findings only: those of an agent-audit.yaml found inside
     * the audited root, which the agent can write (issue 8, trust model). A config named with
     * --config disables rules for every source instead (ScanOptions.disabledRules).
     */
    treeDisabledRules?: readonly string[];
  }
}

/** What a directory entry that is neither a file, a directory nor a symlink is, for its issue. */
function direntKind(ent: Dirent): string {
  if (ent.isFIFO()) return "a FIFO";
  if (ent.isSocket()) return "a socket";
  if (ent.isCharacterDevice()) return "a character device";
  if (ent.isBlockDevice()) return "a block device";
  return "not a regular file";
}

/**
 * Appends without spreading: a spread of 125k+ items throws RangeError (issue 8). An index loop:
 * this runs once per file, mostly before the optimizing compiler, where it is faster than for-of.
 */
function pushAll<T>(to: T[], items: readonly T[]): void {
  for (let i = 0; i < items.length; i++) to.push(items[i]!);
}

/**
 * Walks the working tree. Files that .gitignore ignores ARE scanned (a gitignored .env is where
 * secrets hide). Symlinked files are followed; symlinked directories are followed once per real
 * directory (device:inode), so loops end. Sockets, FIFOs and devices are never opened: each is an
 * issue ("skipped: a FIFO"), as the README says (issue 8).
 */
export async function scanTree(sourceCtx: SourceContext): Promise<Located[]> {
  let ctx = sourceCtx;
  const treeOff = ctx.limits.treeDisabledRules ?? [];
  if (treeOff.length) {
    // The tree's own scanner: a discovered config's disabled rules apply here and nowhere else. The
    // scan pool hands `scanner.disabled` to its workers, and files.ts drops detections judged by a
    // disabled rule before its dedupe, so a lower-ranked rule's detection still stands.
    const disabled = new Set([...ctx.scanner.disabled, ...treeOff]);
    ctx = { ...ctx, scanner: new ContentScanner(ctx.rules, disabled) };
  }
  const root = resolve(ctx.root);
  // A tree inside the audited image (--root /mnt/img/app --system-root /mnt/img) can hold absolute
  // symlinks, which would resolve on the scanning machine: its reads are confined to the system root.
  const conf = await confinementOf(ctx.systemRoot, root);
  if (conf.kind === "escapes") {
    ctx.issues.push({
      where: ".",
      message: "skipped: --root leads outside --system-root (a symlink in the image)",
    });
    return [];
  }
  const confined = conf.kind === "inside";
  const confineTo = conf.kind === "inside" ? conf.root : undefined;
  const out: Located[] = [];
  const visitedDirs = new Set<string>();
  const excludes = ctx.limits.exclude.map(globToRegExp);
  const isExcluded = (rel: string) => excludes.some((re) => re.test(rel));
  // `include` filters files only: a directory cannot be ruled out before its contents are seen.
  const includes = (ctx.limits.include ?? []).map(globToRegExp);
  const isIncluded = (rel: string) => includes.length === 0 || includes.some((re) => re.test(rel));
  // Project-level config files (.env, .mcp.json, .npmrc, keys) get their structural parser, from the
  // path rules whose scope is "tree".
  const treeRules = ctx.rules.paths
    .filter((r) => r.scope === "tree")
    .map((rule) => ({ rule, res: rule.paths.map(globToRegExp) }));
  const treeRuleFor = (rel: string) => treeRules.find((t) => t.res.some((re) => re.test(rel)))?.rule;
  const workers = ctx.limits.workers ?? 0;
  let claimedBytes = 0;
  let pool: ScanPool | undefined;
  const pending: Promise<void>[] = [];
  let active = 0;
  const queue: ((() => Promise<void>) | undefined)[] = [];
  let queued = 0;
  const limit = ctx.limits.concurrency;
  /** Big trees: past the first bytes, claimed files go to the scan pool (workers + this thread). */
  const toPool = (target: FileTarget): boolean => {
    claimedBytes += target.st.size;
    if (workers === 0 || claimedBytes <= WORKER_THRESHOLD_BYTES) return false;
    pool ??= new ScanPool(workers, ctx);
    pool.submit(target, target.pathRule?.id);
    return true;
  };
  const schedule = (job: () => Promise<void>) => {
    const start = (): Promise<void> => {
      active++;
      return job().finally(() => {
        active--;
        // An index, not queue.shift(): shift() on a long array is O(n) per call.
        const nextJob = queue[queued];
        if (nextJob) {
          queue[queued++] = undefined;
          pending.push(nextJob());
        }
      });
    };
    if (active < limit) pending.push(start());
    else queue.push(start);
  };
  const runFile = (abs: string, rel: string, st: Stats) => {
    if (!isIncluded(rel)) return;
    const pathRule = treeRules.length ? treeRuleFor(rel) : undefined;
    const target: FileTarget = { abs, reportPath: rel, source: "tree", st, pathRule, confineTo };
    // Without --as-user the claim needs no I/O: decided here, in walk order, with no promise.
    const claimed = claimFileSync(target, ctx);
    if (claimed === false) return;
    if (claimed === true) {
      if (!toPool(target)) schedule(async () => pushAll(out, await scanClaimed(target, ctx)));
      return;
    }
    schedule(async () => {
      if (!(await claimFile(target, ctx))) return;
      if (!toPool(target)) pushAll(out, await scanClaimed(target, ctx));
    });
  };

  // Paths are built by appending names (dir is absolute and normalized, names hold no "/"): the
  // walk meets every file, and path.join/relative normalize the whole string each time.
  const walk = async (dir: string, dirStat: Stats, relDir: string) => {
    const key = `${dirStat.dev}:${dirStat.ino}`;
    if (visitedDirs.has(key)) return;
    visitedDirs.add(key);
    // Listed synchronously, like the small files are read (files.ts): one directory lists in
    // microseconds, and an async round trip per directory left the walk mostly waiting.
    let entries: Dirent[];
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch (e) {
      ctx.issues.push({ where: relDir || ".", message: `cannot list: ${safeMessage(e)}` });
      return;
    }
    const subdirs: [string, Stats, string][] = [];
    const prefix = dir.endsWith("/") ? dir : `${dir}/`;
    const gitConfig = (abs: string, r: string) => {
      let st: Stats;
      try {
        st = lstatSync(abs);
      } catch {
        return; // No config in this .git (a worktree's .git is a file anyway).
      }
      if (st.isFile() && !(excludes.length && isExcluded(r))) runFile(abs, r, st);
    };
    try {
      // Sorted, so the walk order (and which of two paths to one file is reported) is deterministic.
      entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      for (const ent of entries) {
        const abs = prefix + ent.name;
        const r = relDir ? `${relDir}/${ent.name}` : ent.name;
        if (excludes.length && isExcluded(r)) continue;
        if (ent.isDirectory()) {
          if (!ctx.limits.includeVcs && VCS_DIRS.has(ent.name)) {
            // .git/config holds the remotes' URLs, a token often among them: read even when .git is
            // skipped (red-team finding, issue 8). Only a regular file: a link is not followed.
            if (ent.name === ".git") gitConfig(`${abs}/config`, `${r}/config`);
            continue;
          }
          if (!ctx.limits.includeDeps && DEP_DIRS.has(ent.name)) continue;
          try {
            subdirs.push([abs, statSync(abs), r]);
          } catch (e) {
            ctx.issues.push({ where: r, message: `cannot stat: ${safeMessage(e)}` });
          }
        } else if (ent.isFile()) {
          try {
            // Sync: a stat from the dentry cache costs microseconds; the promise around it, more.
            runFile(abs, r, statSync(abs));
          } catch (e) {
            ctx.issues.push({ where: r, message: `cannot stat: ${safeMessage(e)}` });
          }
        } else if (ent.isSymbolicLink()) {
          let st: Stats;
          try {
            if (confined && !(await insideSystemRoot(ctx.systemRoot, abs))) {
              ctx.issues.push({ where: r, message: "skipped: a symlink leads outside --system-root" });
              continue;
            }
            st = await stat(abs);
          } catch (e) {
            ctx.issues.push({ where: r, message: `broken or looping symlink: ${safeMessage(e)}` });
            continue;
          }
          if (st.isFile()) runFile(abs, r, st);
          else if (st.isDirectory()) {
            if (!ctx.limits.includeVcs && VCS_DIRS.has(ent.name)) continue;
            if (!ctx.limits.includeDeps && DEP_DIRS.has(ent.name)) continue;
            subdirs.push([abs, st, r]);
          } else if (isIncluded(r)) {
            ctx.issues.push({ where: r, message: `skipped: a symlink to ${fileKind(st)} (never opened)` });
          }
        } else if (isIncluded(r)) {
          // Sockets, FIFOs, block and character devices: never opened (a FIFO blocks a read, a
          // device never ends), but never silently either: the file is not inventoried (issue 8).
          ctx.issues.push({ where: r, message: `skipped: ${direntKind(ent)} (never opened)` });
        }
      }
    } catch (e) {
      ctx.issues.push({ where: relDir || ".", message: `cannot list: ${safeMessage(e)}` });
    }
    // With workers, the main thread scans a batch between directories when they are full.
    if (pool) await pool.help();
    for (const [abs, st, r] of subdirs) await walk(abs, st, r);
  };
  await walk(root, await stat(root), "");
  for (let i = 0; i < pending.length; i++) await pending[i];
  if (pool) {
    const r = await pool.drain();
    pushAll(out, r.located);
    pushAll(ctx.issues, r.issues);
  }
  return out;
}
