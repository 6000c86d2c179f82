import { type Dirent, lstatSync, readdirSync, type Stats, statSync } from "node:fs";
import { stat } from "node:fs/promises";
import { resolve } from "node:path";
import { ContentScanner } from "../detect/content.js";
import type { PathRule } from "../rules/types.js";
import { confinementOf, insideSystemRoot } from "../util/confine.js";
import { safeMessage } from "../util/errors.js";
import { fileKind } from "../util/safe-read.js";
import type { Located, SourceContext } from "./context.js";
import {
  claimFile,
  claimFileSync,
  type FileTarget,
  scanClaimed,
  scanClaimedAsync,
  scanClaimedSync,
} from "./files.js";
import { anyOf, globToRegExp } from "./glob.js";
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

function byName(a: Dirent, b: Dirent): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
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
  const ctx = withTreeRules(sourceCtx);
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
  const walk = new TreeWalk(ctx, conf.kind === "inside" ? conf.root : undefined);
  await walk.directory(root, await stat(root), "");
  return walk.finish();
}

/** The tree's own scanner: a discovered config's disabled rules apply here and nowhere else. */
function withTreeRules(ctx: SourceContext): SourceContext {
  const treeOff = ctx.limits.treeDisabledRules ?? [];
  if (!treeOff.length) return ctx;
  // The scan pool hands `scanner.disabled` to its workers, and files.ts drops detections judged by a
  // disabled rule before its dedupe, so a lower-ranked rule's detection still stands.
  const disabled = new Set([...ctx.scanner.disabled, ...treeOff]);
  return { ...ctx, scanner: new ContentScanner(ctx.rules, disabled) };
}

/** --exclude, --include and the tree's path rules, compiled once and matched per relative path. */
class TreePaths {
  readonly excludes: RegExp[];
  /** `include` filters files only: a directory cannot be ruled out before its contents are seen. */
  readonly includes: RegExp[];
  /**
   * Project-level config files (.env, .mcp.json, .npmrc, keys) get their structural parser, from the
   * path rules whose scope is "tree".
   */
  readonly treeRules: { rule: PathRule; res: RegExp[] }[];
  /** Every tree rule's globs as one regex: most files match none, and one test says so. */
  private readonly anyTreeRule: RegExp | undefined;

  constructor(ctx: SourceContext) {
    this.excludes = ctx.limits.exclude.map(globToRegExp);
    this.includes = (ctx.limits.include ?? []).map(globToRegExp);
    this.treeRules = ctx.rules.paths
      .filter((r) => r.scope === "tree")
      .map((rule) => ({ rule, res: rule.paths.map(globToRegExp) }));
    this.anyTreeRule = anyOf(this.treeRules.flatMap((t) => t.res));
  }

  isExcluded(rel: string): boolean {
    return this.excludes.length > 0 && this.excludes.some((re) => re.test(rel));
  }

  isIncluded(rel: string): boolean {
    return this.includes.length === 0 || this.includes.some((re) => re.test(rel));
  }

  ruleFor(rel: string): PathRule | undefined {
    if (!this.anyTreeRule?.test(rel)) return undefined;
    return this.treeRules.find((t) => t.res.some((re) => re.test(rel)))?.rule;
  }
}

/** Runs jobs with at most `limit` in flight, in the order given; `settled` waits for all of them. */
class JobQueue {
  private active = 0;
  private readonly waiting: ((() => Promise<void>) | undefined)[] = [];
  private next = 0;
  private readonly pending: Promise<void>[] = [];

  constructor(private readonly limit: number) {}

  schedule(job: () => Promise<void>): void {
    if (this.active < this.limit) this.pending.push(this.start(job));
    else this.waiting.push(job);
  }

  private start(job: () => Promise<void>): Promise<void> {
    this.active++;
    return job().finally(() => {
      this.active--;
      // An index, not shift(): shift() on a long array is O(n) per call.
      const nextJob = this.waiting[this.next];
      if (nextJob) {
        this.waiting[this.next++] = undefined;
        this.pending.push(this.start(nextJob));
      }
    });
  }

  async settled(): Promise<void> {
    for (let i = 0; i < this.pending.length; i++) await this.pending[i];
  }
}

/**
 * One walk of the tree: directories depth first in name order, each file claimed in walk order and
 * scanned here or, past the first bytes, by the scan pool.
 */
class TreeWalk {
  private readonly out: Located[] = [];
  private readonly visitedDirs = new Set<string>();
  private readonly paths: TreePaths;
  private readonly jobs: JobQueue;
  private readonly workers: number;
  private claimedBytes = 0;
  private pool: ScanPool | undefined;

  constructor(
    private readonly ctx: SourceContext,
    /** Set when the tree is inside the system root: reads and symlinks stay inside it. */
    private readonly confineTo: string | undefined,
  ) {
    this.paths = new TreePaths(ctx);
    this.jobs = new JobQueue(ctx.limits.concurrency);
    this.workers = ctx.limits.workers ?? 0;
  }

  /** Walks one directory (once per device:inode), then its subdirectories. */
  async directory(dir: string, dirStat: Stats, relDir: string): Promise<void> {
    const key = `${dirStat.dev}:${dirStat.ino}`;
    if (this.visitedDirs.has(key)) return;
    this.visitedDirs.add(key);
    const entries = this.list(dir, relDir);
    if (!entries) return;
    const subdirs: [string, Stats, string][] = [];
    try {
      // Sorted, so the walk order (and which of two paths to one file is reported) is deterministic.
      entries.sort(byName);
      await this.entries(entries, dir.endsWith("/") ? dir : `${dir}/`, relDir, subdirs);
    } catch (e) {
      this.issue(relDir || ".", `cannot list: ${safeMessage(e)}`);
    }
    // With workers, the main thread scans a batch between directories when they are full.
    if (this.pool) await this.pool.help();
    for (const [abs, st, r] of subdirs) await this.directory(abs, st, r);
  }

  /**
   * Listed synchronously, like the small files are read (files.ts): one directory lists in
   * microseconds, and an async round trip per directory left the walk mostly waiting.
   */
  private list(dir: string, relDir: string): Dirent[] | undefined {
    try {
      return readdirSync(dir, { withFileTypes: true });
    } catch (e) {
      this.issue(relDir || ".", `cannot list: ${safeMessage(e)}`);
      return undefined;
    }
  }

  /**
   * Dispatches a directory's entries by type; only a symlink costs an await. Paths are built by
   * appending names (dir is absolute and normalized, names hold no "/"): the walk meets every file,
   * and path.join/relative normalize the whole string each time.
   */
  private async entries(
    entries: Dirent[],
    prefix: string,
    relDir: string,
    subdirs: [string, Stats, string][],
  ) {
    for (const ent of entries) {
      const abs = prefix + ent.name;
      const r = relDir ? `${relDir}/${ent.name}` : ent.name;
      if (this.paths.isExcluded(r)) continue;
      if (ent.isDirectory()) this.subdirectory(ent.name, abs, r, subdirs);
      else if (ent.isFile()) this.regularFile(abs, r);
      else if (ent.isSymbolicLink()) await this.symlink(ent.name, abs, r, subdirs);
      else if (this.paths.isIncluded(r)) {
        // Sockets, FIFOs, block and character devices: never opened (a FIFO blocks a read, a
        // device never ends), but never silently either: the file is not inventoried (issue 8).
        this.issue(r, `skipped: ${direntKind(ent)} (never opened)`);
      }
    }
  }

  /** VCS internals and dependencies are skipped unless asked for (--include-vcs, --include-deps). */
  private skippedDir(name: string): boolean {
    return (
      (!this.ctx.limits.includeVcs && VCS_DIRS.has(name)) ||
      (!this.ctx.limits.includeDeps && DEP_DIRS.has(name))
    );
  }

  private subdirectory(name: string, abs: string, r: string, subdirs: [string, Stats, string][]): void {
    if (this.skippedDir(name)) {
      // .git/config holds the remotes' URLs, a token often among them: read even when .git is
      // skipped (red-team finding, issue 8). Only a regular file: a link is not followed.
      if (name === ".git") this.gitConfig(`${abs}/config`, `${r}/config`);
      return;
    }
    try {
      subdirs.push([abs, statSync(abs), r]);
    } catch (e) {
      this.issue(r, `cannot stat: ${safeMessage(e)}`);
    }
  }

  private gitConfig(abs: string, r: string): void {
    let st: Stats;
    try {
      st = lstatSync(abs);
    } catch {
      return; // No config in this .git (a worktree's .git is a file anyway).
    }
    if (st.isFile() && !this.paths.isExcluded(r)) this.file(abs, r, st);
  }

  private regularFile(abs: string, r: string): void {
    try {
      // Sync: a stat from the dentry cache costs microseconds; the promise around it, more.
      this.file(abs, r, statSync(abs));
    } catch (e) {
      this.issue(r, `cannot stat: ${safeMessage(e)}`);
    }
  }

  /** A symlink is followed to a file or a directory, never out of the system root. */
  private async symlink(name: string, abs: string, r: string, subdirs: [string, Stats, string][]) {
    let st: Stats;
    try {
      if (this.confineTo && !(await insideSystemRoot(this.ctx.systemRoot, abs))) {
        this.issue(r, "skipped: a symlink leads outside --system-root");
        return;
      }
      st = await stat(abs);
    } catch (e) {
      this.issue(r, `broken or looping symlink: ${safeMessage(e)}`);
      return;
    }
    if (st.isFile()) this.file(abs, r, st);
    else if (st.isDirectory()) {
      if (!this.skippedDir(name)) subdirs.push([abs, st, r]);
    } else if (this.paths.isIncluded(r)) {
      this.issue(r, `skipped: a symlink to ${fileKind(st)} (never opened)`);
    }
  }

  /** Claims an included file and schedules its scan, here or in the pool. */
  private file(abs: string, rel: string, st: Stats): void {
    if (!this.paths.isIncluded(rel)) return;
    const ctx = this.ctx;
    const target: FileTarget = {
      abs,
      reportPath: rel,
      source: "tree",
      st,
      pathRule: this.paths.ruleFor(rel),
      confineTo: this.confineTo,
    };
    // Without --as-user the claim needs no I/O: decided here, in walk order, with no promise.
    const claimed = claimFileSync(target, ctx);
    if (claimed === false) return;
    if (claimed === true) {
      if (this.toPool(target)) return;
      // A small file is read and scanned here and now, with no promise (files.ts scanClaimedSync).
      const found = scanClaimedSync(target, ctx);
      if (found) pushAll(this.out, found);
      else this.jobs.schedule(async () => pushAll(this.out, await scanClaimedAsync(target, ctx)));
      return;
    }
    this.jobs.schedule(async () => {
      if (!(await claimFile(target, ctx))) return;
      if (!this.toPool(target)) pushAll(this.out, await scanClaimed(target, ctx));
    });
  }

  /** Big trees: past the first bytes, claimed files go to the scan pool (workers + this thread). */
  private toPool(target: FileTarget): boolean {
    this.claimedBytes += target.st.size;
    if (this.workers === 0 || this.claimedBytes <= WORKER_THRESHOLD_BYTES) return false;
    if (!this.pool) {
      this.pool = new ScanPool(this.workers, this.ctx);
      // A big tree: this thread scans a share of it too (content.ts warmUp).
      this.ctx.scanner.warmUp();
    }
    this.pool.submit(target, target.pathRule?.id);
    return true;
  }

  private issue(where: string, message: string): void {
    this.ctx.issues.push({ where, message });
  }

  /** Waits for the scans in flight and the pool's; the findings in walk order, then the pool's. */
  async finish(): Promise<Located[]> {
    await this.jobs.settled();
    if (this.pool) {
      const r = await this.pool.drain();
      pushAll(this.out, r.located);
      pushAll(this.ctx.issues, r.issues);
    }
    return this.out;
  }
}
