// `agent-audit fix --apply`, `--dry-run` and `--rollback` (issue 12): the only code of `fix` that
// writes outside --out. Pure of CLI concerns: the clock, the command runner and the identity
// (root or not) are passed in.
//
// planApply reads each destination safely and computes its merged content and diff (nothing is
// written). apply refuses the whole plan up front when any entry is refused, privileged without root,
// or changed since the plan; else it journals first (a manifest with `complete: false`, the before
// state of every entry and a backup of its bytes, all fsync'ed), writes each file (temp file, fsync,
// rename), runs the activations (nft, squid, iptables-restore), and on a failure rolls back what it
// did. rollback restores the state the manifest recorded, deciding per entry from the current sha256
// (the one before: untouched or already restored; the one written: restore; another: refused unless
// forced), so it works on the manifest of an apply that crashed half-way, and a second run does
// nothing.

import { constants } from "node:fs";
import { lstat, mkdir, open, readdir } from "node:fs/promises";
import { isAbsolute, join, relative, resolve } from "node:path";
import { z } from "zod";
import { redactText } from "../detect/redact.js";
import { safeMessage } from "../util/errors.js";
import { readRegularFile } from "../util/safe-read.js";
import { unifiedDiff } from "./diff.js";
import { MergeError, mergeText } from "./merge.js";
import {
  checkDirs,
  currentState,
  type DestInfo,
  type ExistingFile,
  inspectDest,
  makeDirs,
  readExisting,
  removeDirIfEmpty,
  removeFile,
  sha256,
  UnsafePathError,
  writeReplacing,
} from "./safe-fs.js";
import type { FixTarget, GeneratedFile, InstallSpec } from "./types.js";

// ------------------------------------------------------------------------------------------- shapes

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}
/** Runs one command (argv[0] looked up on PATH, no shell) and reports its exit code and output. */
export type Runner = (argv: readonly string[]) => Promise<CommandResult>;

export interface PlanOptions {
  /** The agent's home: the base of the runtime configs (directories made below it are 0700). */
  home: string;
  /** Other trusted bases (the working tree, a system root): components below them are checked. */
  roots?: readonly string[];
}

export type PlanAction = "create" | "update" | "unchanged" | "refused";

export interface PlanEntry {
  /** The file's path inside --out, its target, and where it goes. */
  path: string;
  target: FixTarget;
  dest: string;
  install: InstallSpec;
  action: PlanAction;
  /** Why the entry is refused (each a whole sentence with the path); empty unless `refused`. */
  refusals: string[];
  /** What the operator should know (comments lost, an owner other than the directory's, ...). */
  notes: string[];
  /** The unified diff from the current file (or /dev/null) to the new content; "" when unchanged. */
  diff: string;
  /** The bytes to write; null when refused. */
  content: Buffer | null;
  /** What the checks found (null when refused). */
  info: DestInfo | null;
}

export interface Plan {
  home: string;
  bases: string[];
  entries: PlanEntry[];
}

const Meta = z.object({
  sha256: z.string(),
  mode: z.number(),
  uid: z.number(),
  gid: z.number(),
  size: z.number(),
});
const Activation = z.object({
  kind: z.enum(["nftables", "squid", "iptables", "ip6tables"]),
  /** The commands that load the new file, in order. */
  run: z.array(z.array(z.string())),
  /** The commands that undo the load, run after the file is restored (or removed). */
  undo: z.array(z.array(z.string())),
  /** pending: not run; started: running (a crash here counts as loaded); done; failed (nothing loaded). */
  state: z.enum(["pending", "started", "done", "failed"]),
});
const Entry = z.object({
  n: z.number(),
  path: z.string(),
  target: z.string(),
  dest: z.string(),
  /** The destination with the real path of its base (what was checked and written). */
  realDest: z.string(),
  base: z.string(),
  merge: z.enum(["json", "toml", "yaml", "replace"]),
  existed: z.boolean(),
  before: Meta.nullable(),
  /** The backup of the bytes before, relative to the manifest's directory; null when the file did not exist. */
  backup: z.string().nullable(),
  /** What is written: known before the write, so a crash between write and journal is still recognised. */
  after: z.object({ sha256: z.string(), mode: z.number(), size: z.number() }),
  /** The directories apply creates for it (outermost first); rollback removes them when empty. */
  createdDirs: z.array(z.string()),
  state: z.enum(["pending", "written"]),
  activation: Activation.nullable(),
});
export const ManifestSchema = z.object({
  version: z.literal(1),
  id: z.string(),
  createdAt: z.string(),
  /** false until every file is written and activated: a crash leaves it false. */
  complete: z.boolean(),
  status: z.enum(["applying", "applied", "failed"]),
  home: z.string(),
  bases: z.array(z.string()),
  entries: z.array(Entry),
  /** Set by rollback: when, and whether it finished. */
  rolledBack: z.object({ at: z.string(), complete: z.boolean() }).nullable(),
});
export type Manifest = z.infer<typeof ManifestSchema>;
export type ManifestEntry = z.infer<typeof Entry>;

export interface ActivationRun {
  dest: string;
  argv: string[];
  code: number;
  /** The first line of stderr (at most 200 characters), when the command failed. */
  error?: string;
}

export interface ApplyOptions {
  /** Where manifests and backups go: `<stateDir>/<id>/manifest.json`, `<stateDir>/<id>/backup/<n>`. */
  stateDir: string;
  runner: Runner;
  now: () => Date;
  isRoot: boolean;
  /** The running user's uid: without root, an existing file owned by another user is refused (its owner could not be kept). */
  uid?: number;
  /** Tests: called after each file is written and journalled; a throw here aborts as a crash would (nothing undone). */
  afterWrite?: (entry: ManifestEntry) => void | Promise<void>;
}

export interface ApplyResult {
  /** applied; unchanged (nothing to write, no manifest); rolled-back (a write or activation failed: `failure`). */
  status: "applied" | "unchanged" | "rolled-back";
  manifestPath: string | null;
  manifest: Manifest | null;
  activations: ActivationRun[];
  failure?: string;
  rollback?: RollbackResult;
}

/** apply refused before touching anything: every reason, one sentence each. */
export class ApplyRefused extends Error {
  readonly reasons: string[];
  constructor(reasons: string[]) {
    super(`apply refused: ${reasons.join("; ")}`);
    this.name = "ApplyRefused";
    this.reasons = reasons;
  }
}

export interface RollbackOptions {
  runner: Runner;
  isRoot: boolean;
  /** The running user's uid (0 when root unless given): the journal must be owned by it when root. */
  uid?: number;
  now: () => Date;
  /** Restore (or delete) a destination that changed since the apply too. */
  force?: boolean;
}

/**
 * restored / deleted: put back now; already: in its state before the apply (untouched, or restored
 * earlier); untouched: never written by the apply (it crashed first) and changed by someone else
 * since, so left alone; refused: changed since the apply (or no longer a safe path), not restored.
 */
export type RollbackAction = "restored" | "deleted" | "already" | "untouched" | "refused";

export interface RollbackResult {
  manifestPath: string;
  /** false: refused up front (a destination changed since the apply, no force): nothing was changed. */
  done: boolean;
  /** true when every entry is back to its state before the apply. */
  ok: boolean;
  /** Per entry, newest first (the reverse of the apply's order): what was done, or would have been. */
  entries: { dest: string; action: RollbackAction; reason?: string }[];
  removedDirs: string[];
  activations: ActivationRun[];
}

// --------------------------------------------------------------------------------------------- plan

function decodeUtf8(buf: Buffer): string | undefined {
  const text = buf.toString("utf8");
  return Buffer.from(text, "utf8").equals(buf) ? text : undefined;
}

/** Reads every destination safely and computes what apply would write. Writes nothing. */
export async function planApply(files: readonly GeneratedFile[], opts: PlanOptions): Promise<Plan> {
  const bases = [opts.home, ...(opts.roots ?? [])];
  const entries: PlanEntry[] = [];
  const seen = new Map<string, string>();
  for (const f of files) {
    if (!f.install) continue;
    const install = f.install;
    const entry: PlanEntry = {
      path: f.path,
      target: f.target,
      dest: install.dest,
      install,
      action: "refused",
      refusals: [],
      notes: [],
      diff: "",
      content: null,
      info: null,
    };
    entries.push(entry);
    const other = seen.get(install.dest);
    if (other !== undefined) {
      entry.refusals.push(`${install.dest} is also the destination of ${other}`);
      continue;
    }
    seen.set(install.dest, f.path);
    let info: DestInfo;
    try {
      info = await inspectDest(install.dest, bases);
    } catch (e) {
      // An unsafe path, or one this user cannot look at (a root-only file in a dry run as a user).
      entry.refusals.push(
        e instanceof UnsafePathError ? e.message : `${install.dest} cannot be read: ${safeMessage(e)}`,
      );
      continue;
    }
    const before = info.existing?.content ?? null;
    let next: Buffer;
    if (install.merge === "replace" || before === null) {
      next = Buffer.from(f.content, "utf8");
    } else {
      const text = decodeUtf8(before);
      if (text === undefined) {
        entry.refusals.push(`${info.dest} is not UTF-8 text`);
        continue;
      }
      const bom = text.startsWith("\ufeff") ? "\ufeff" : "";
      try {
        const r = mergeText(install.merge, text.slice(bom.length), f.content);
        entry.notes.push(...r.notes);
        next = r.changed ? Buffer.from(bom + r.text, "utf8") : before;
      } catch (e) {
        if (!(e instanceof MergeError)) throw e;
        entry.refusals.push(`${info.dest} ${e.message}`);
        continue;
      }
    }
    entry.info = info;
    entry.content = next;
    const ex = info.existing;
    if (ex && (ex.uid !== info.dirOwner.uid || ex.gid !== info.dirOwner.gid))
      entry.notes.push(
        `${info.dest} is owned by ${ex.uid}:${ex.gid}, not by its directory's owner ${info.dirOwner.uid}:${info.dirOwner.gid}; its owner is kept`,
      );
    if (before?.equals(next)) {
      entry.action = "unchanged";
      continue;
    }
    entry.action = before === null ? "create" : "update";
    // The diff shows lines of the user's file around each change: a secret there is masked.
    entry.diff = redactText(
      unifiedDiff(
        before === null ? "" : before.toString("utf8"),
        next.toString("utf8"),
        before === null ? "/dev/null" : info.dest,
        info.dest,
      ),
    );
  }
  return { home: opts.home, bases, entries };
}

/** The dry-run text: every changed file's diff, then the refusals and notes. */
export function renderDryRun(plan: Plan): string {
  const out: string[] = [];
  for (const e of plan.entries) {
    if (e.action === "create" || e.action === "update") out.push(e.diff);
    for (const r of e.refusals) out.push(`refused: ${r}\n`);
    for (const n of e.notes) out.push(`note: ${n}\n`);
  }
  return out.join("");
}

// ----------------------------------------------------------------------------------------- journal

function stamp(d: Date): string {
  return d
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d+Z$/, "Z");
}

async function writeDurable(path: string, data: Buffer | string): Promise<void> {
  await writeReplacing(path, Buffer.isBuffer(data) ? data : Buffer.from(data, "utf8"), 0o600, undefined);
}

async function saveManifest(path: string, m: Manifest): Promise<void> {
  await writeDurable(path, `${JSON.stringify(m, null, 2)}\n`);
}

/** Claims a new `<stateDir>/<id>` directory (mkdir is the lock): the timestamp, then `-2`, `-3`, ... */
async function claimDir(stateDir: string, now: Date): Promise<{ id: string; dir: string }> {
  await mkdir(stateDir, { recursive: true, mode: 0o700 });
  const ts = stamp(now);
  for (let k = 1; ; k++) {
    const id = k === 1 ? ts : `${ts}-${k}`;
    const dir = join(stateDir, id);
    try {
      await mkdir(dir, { mode: 0o700 });
      await mkdir(join(dir, "backup"), { mode: 0o700 });
      return { id, dir };
    } catch (e) {
      if ((e as { code?: string }).code !== "EEXIST") throw e;
    }
  }
}

const NFT_TABLE =
  /^\s*(?:add\s+|create\s+)?table\s+(ip|ip6|inet|arp|bridge|netdev)\s+([A-Za-z_][A-Za-z0-9_.-]*)/gm;

/** The commands that load a file and (as far as known before running) undo the load. */
function activationOf(
  kind: NonNullable<InstallSpec["activate"]>,
  dest: string,
  content: Buffer,
  existed: boolean,
): Manifest["entries"][number]["activation"] {
  switch (kind) {
    case "nftables": {
      // Undo: delete every table the new file declares, then reload the restored file if there was one.
      const tables = [...content.toString("utf8").matchAll(NFT_TABLE)].map((m) => [m[1]!, m[2]!] as const);
      const uniq = [...new Map(tables.map((t) => [t.join(" "), t])).values()];
      const undo = uniq.map(([fam, name]) => ["nft", "delete", "table", fam, name]);
      if (existed) undo.push(["nft", "-f", dest]);
      return { kind, run: [["nft", "-f", dest]], undo, state: "pending" };
    }
    case "squid": {
      const load = [
        ["squid", "-k", "parse", "-f", dest],
        ["squid", "-k", "reconfigure", "-f", dest],
      ];
      return { kind, run: load, undo: existed ? load : [], state: "pending" };
    }
    case "iptables":
    case "ip6tables":
      // Undo: the tables as `*tables-save` printed them just before the load (filled in at activation).
      return { kind, run: [[`${kind}-restore`, dest]], undo: [], state: "pending" };
  }
}

/** A runner that throws (the program is missing, ...) reports exit code 127 and the error's code as stderr. */
async function runSafe(runner: Runner, argv: readonly string[]): Promise<CommandResult> {
  try {
    return await runner(argv);
  } catch (e) {
    return { code: 127, stdout: "", stderr: `could not run: ${describe(e)}` };
  }
}

function firstLine(s: string): string {
  return (s.trim().split("\n")[0] ?? "").slice(0, 200);
}

// -------------------------------------------------------------------------------------------- apply

/** Why the plan cannot be applied as it stands (checked again at apply time): one sentence each. */
async function refusalsOf(plan: Plan, opts: ApplyOptions): Promise<string[]> {
  const reasons: string[] = [];
  const stateDir = resolve(opts.stateDir);
  // The journal decides what rollback writes where: it must not be where the agent can write.
  for (const b of plan.bases) {
    const rel = relative(resolve(b), stateDir);
    if (!rel.startsWith("..") && !isAbsolute(rel))
      reasons.push(`the state directory ${opts.stateDir} is inside ${b}, where the agent can write`);
  }
  for (const e of plan.entries) {
    reasons.push(...e.refusals);
    if (e.action === "refused" || e.action === "unchanged") continue;
    if (e.install.privileged && !opts.isRoot)
      reasons.push(`${e.dest} is a system path: applying it needs root`);
    const ex = e.info?.existing;
    if (!opts.isRoot && opts.uid !== undefined && ex && ex.uid !== opts.uid)
      reasons.push(`${e.dest} is owned by uid ${ex.uid}: only root can replace it keeping its owner`);
    try {
      const now = await inspectDest(e.dest, plan.bases);
      const was = e.info?.existing?.sha256 ?? null;
      if ((now.existing?.sha256 ?? null) !== was) reasons.push(`${e.dest} changed since the plan was made`);
    } catch (err) {
      reasons.push(
        err instanceof UnsafePathError ? err.message : `${e.dest} cannot be read: ${safeMessage(err)}`,
      );
    }
  }
  return reasons;
}

/**
 * Applies a plan: refuses it whole (ApplyRefused, nothing written) when any entry cannot be applied;
 * writes nothing and no manifest when every entry is unchanged; else journals, writes, activates, and
 * on a failure rolls back everything it did (status `rolled-back`).
 */
export async function apply(plan: Plan, opts: ApplyOptions): Promise<ApplyResult> {
  const reasons = await refusalsOf(plan, opts);
  if (reasons.length > 0) throw new ApplyRefused(reasons);
  const todo = plan.entries.filter((e) => e.action === "create" || e.action === "update");
  if (todo.length === 0) return { status: "unchanged", manifestPath: null, manifest: null, activations: [] };

  const { id, dir } = await claimDir(opts.stateDir, opts.now());
  const manifestPath = join(dir, "manifest.json");
  const entries: ManifestEntry[] = [];
  for (const [n, e] of todo.entries()) {
    const info = e.info!;
    const ex: ExistingFile | null = info.existing;
    let backup: string | null = null;
    if (ex) {
      backup = `backup/${n}`;
      await writeDurable(join(dir, backup), ex.content);
    }
    const content = e.content!;
    entries.push({
      n,
      path: e.path,
      target: e.target,
      dest: info.dest,
      realDest: info.realDest,
      base: info.base,
      merge: e.install.merge,
      existed: ex !== null,
      before: ex ? { sha256: ex.sha256, mode: ex.mode, uid: ex.uid, gid: ex.gid, size: ex.size } : null,
      backup,
      after: {
        sha256: sha256(content),
        mode: ex ? ex.mode : (e.install.mode ?? 0o644),
        size: content.length,
      },
      createdDirs: info.missingDirs,
      state: "pending",
      activation: e.install.activate
        ? activationOf(e.install.activate, info.dest, content, ex !== null)
        : null,
    });
  }
  const manifest: Manifest = {
    version: 1,
    id,
    createdAt: opts.now().toISOString(),
    complete: false,
    status: "applying",
    home: plan.home,
    bases: plan.bases,
    entries,
    rolledBack: null,
  };
  await saveManifest(manifestPath, manifest);

  const activations: ActivationRun[] = [];
  let failure: string | undefined;
  try {
    for (const [n, e] of todo.entries()) {
      const m = entries[n]!;
      await writeEntry(plan, e, m, opts.isRoot);
      m.state = "written";
      await saveManifest(manifestPath, manifest);
      if (opts.afterWrite) await runHook(opts.afterWrite, m);
    }
    for (const m of entries) {
      if (!m.activation) continue;
      const act = m.activation;
      if (act.kind === "iptables" || act.kind === "ip6tables") {
        const saved = await runSafe(opts.runner, [`${act.kind}-save`]);
        activations.push({ dest: m.dest, argv: [`${act.kind}-save`], code: saved.code });
        if (saved.code !== 0) {
          failure = `${act.kind}-save exited with ${saved.code}: ${firstLine(saved.stderr)}`;
          activations[activations.length - 1]!.error = firstLine(saved.stderr);
          break;
        }
        const snap = join(dir, `activation-${m.n}.rules`);
        await writeDurable(snap, saved.stdout);
        act.undo = [[`${act.kind}-restore`, snap]];
      }
      act.state = "started";
      await saveManifest(manifestPath, manifest);
      for (const argv of act.run) {
        // `squid -k reconfigure` signals a running squid: when none runs (`squid -k check` fails),
        // the checked config simply waits for its start, which is not a failure.
        if (act.kind === "squid" && argv[2] === "reconfigure") {
          const check = await runSafe(opts.runner, ["squid", "-k", "check", "-f", argv[4]!]);
          activations.push({
            dest: m.dest,
            argv: ["squid", "-k", "check", "-f", argv[4]!],
            code: check.code,
          });
          if (check.code !== 0) continue;
        }
        const r = await runSafe(opts.runner, argv);
        const run: ActivationRun = { dest: m.dest, argv: [...argv], code: r.code };
        activations.push(run);
        if (r.code !== 0) {
          run.error = firstLine(r.stderr);
          failure = `${argv.join(" ")} exited with ${r.code}: ${run.error}`;
          break;
        }
      }
      act.state = failure ? "failed" : "done";
      await saveManifest(manifestPath, manifest);
      if (failure) break;
    }
  } catch (e) {
    if (e instanceof SimulatedCrash) throw e.cause;
    failure = e instanceof UnsafePathError ? e.message : `writing failed: ${describe(e)}`;
  }
  if (failure !== undefined) {
    manifest.status = "failed";
    await saveManifest(manifestPath, manifest);
    const rb = await rollback(manifestPath, {
      runner: opts.runner,
      isRoot: opts.isRoot,
      ...(opts.uid !== undefined ? { uid: opts.uid } : {}),
      now: opts.now,
    });
    return {
      status: "rolled-back",
      manifestPath,
      manifest: await loadManifest(manifestPath),
      activations,
      failure,
      rollback: rb,
    };
  }
  manifest.complete = true;
  manifest.status = "applied";
  await saveManifest(manifestPath, manifest);
  return { status: "applied", manifestPath, manifest, activations };
}

class SimulatedCrash {
  constructor(readonly cause: unknown) {}
}

async function runHook(hook: NonNullable<ApplyOptions["afterWrite"]>, m: ManifestEntry): Promise<void> {
  try {
    await hook(structuredClone(m));
  } catch (e) {
    throw new SimulatedCrash(e);
  }
}

function describe(e: unknown): string {
  const c = (e as { code?: unknown }).code;
  return typeof c === "string" ? c : e instanceof Error ? e.name : "unknown error";
}

async function writeEntry(plan: Plan, e: PlanEntry, m: ManifestEntry, isRoot: boolean): Promise<void> {
  // Checked again just before the write: the plan may be minutes old.
  const info = await inspectDest(e.dest, plan.bases);
  if ((info.existing?.sha256 ?? null) !== (m.before?.sha256 ?? null))
    throw new UnsafePathError(`${e.dest} changed since the plan was made`);
  const underHome = info.base === plan.bases[0];
  await makeDirs(info.missingDirs, underHome ? 0o700 : 0o755, isRoot ? info.dirOwner : undefined);
  const owner = m.before ? { uid: m.before.uid, gid: m.before.gid } : info.dirOwner;
  await writeReplacing(info.realDest, e.content!, m.after.mode, isRoot ? owner : undefined);
}

// ----------------------------------------------------------------------------------------- rollback

const MANIFEST_MAX = 16 * 1024 * 1024;
/** The commands apply writes into a manifest's undo lists (activationFor, the iptables snapshot). */
const UNDO_COMMANDS = new Set(["nft", "squid", "iptables-restore", "ip6tables-restore"]);

/** A manifest another user could have written is not trusted by root (it names what rollback writes where). */
export class UntrustedManifest extends Error {
  constructor(path: string) {
    super(`${path} is not owned by the running user or is writable by others: refusing to trust it`);
    this.name = "UntrustedManifest";
  }
}

async function assertOwnedBy(path: string, uid: number): Promise<void> {
  const st = await lstat(path);
  if (st.isSymbolicLink() || st.uid !== uid || (st.mode & 0o022) !== 0) throw new UntrustedManifest(path);
}

/**
 * Reads and validates a manifest. `owner` (given when root runs it): the manifest, its directory and
 * the state directory must belong to that uid and be writable by no one else.
 */
export async function loadManifest(path: string, owner?: number): Promise<Manifest> {
  if (owner !== undefined)
    for (const p of [path, join(path, ".."), join(path, "../..")]) await assertOwnedBy(p, owner);
  const buf = await readRegularFile(path, { maxBytes: MANIFEST_MAX });
  return ManifestSchema.parse(JSON.parse(buf.toString("utf8")));
}

/** The newest manifest under a state directory (by its id, a timestamp), or undefined. */
export async function latestManifest(stateDir: string): Promise<string | undefined> {
  let names: string[];
  try {
    names = await readdir(stateDir);
  } catch {
    return undefined;
  }
  const ids = names
    .filter((n) => /^\d{8}T\d{6}Z(-\d+)?$/.test(n))
    .sort((a, b) => a.localeCompare(b, "en", { numeric: true }));
  for (let i = ids.length - 1; i >= 0; i--) {
    const p = join(stateDir, ids[i]!, "manifest.json");
    try {
      const fh = await open(p, constants.O_RDONLY | constants.O_NOFOLLOW);
      await fh.close();
      return p;
    } catch {
      // a claimed directory without a manifest: an apply that died before journalling (nothing written)
    }
  }
  return undefined;
}

/**
 * Restores the state before an apply. `target` is a manifest path or, with `{ stateDir }`, the newest
 * manifest there. Refuses (ok false, nothing changed) when a destination changed since the apply,
 * unless `force`; a destination that is no longer a regular file or sits below a link is never touched.
 */
export async function rollback(
  target: string | { stateDir: string },
  opts: RollbackOptions,
): Promise<RollbackResult> {
  const manifestPath = typeof target === "string" ? target : await latestManifest(target.stateDir);
  if (manifestPath === undefined) throw new Error("no manifest to roll back");
  const trusted = opts.isRoot ? (opts.uid ?? 0) : undefined;
  const manifest = await loadManifest(manifestPath, trusted);
  const dir = join(manifestPath, "..");
  const result: RollbackResult = {
    manifestPath,
    done: true,
    ok: true,
    entries: [],
    removedDirs: [],
    activations: [],
  };

  type Decision = { m: ManifestEntry; action: RollbackAction; reason?: string; realDest?: string };
  const decisions: Decision[] = [];
  for (const m of [...manifest.entries].reverse()) {
    // An entry the apply never wrote (it crashed first) is not ours to judge: left alone unless it
    // holds what the apply would have written (a crash between the rename and the journal).
    const pending = m.state === "pending";
    let realDest: string;
    try {
      realDest = (await checkDirs(m.dest, manifest.bases)).realDest;
    } catch (e) {
      if (!(e instanceof UnsafePathError)) throw e;
      decisions.push({ m, action: pending ? "untouched" : "refused", reason: e.message });
      continue;
    }
    const cur = await currentState(realDest, m.dest);
    if (cur.kind === "other") {
      decisions.push({ m, action: pending ? "untouched" : "refused", reason: cur.reason });
      continue;
    }
    const sha = cur.kind === "file" ? cur.file.sha256 : null;
    const beforeSha = m.before?.sha256 ?? null;
    if (sha === beforeSha) {
      decisions.push({ m, action: "already", realDest });
    } else if (sha === m.after.sha256) {
      decisions.push({ m, action: m.existed ? "restored" : "deleted", realDest });
    } else if (pending) {
      decisions.push({
        m,
        action: "untouched",
        reason: `${m.dest} was not written by the apply and changed since`,
      });
    } else if (opts.force) {
      decisions.push({ m, action: m.existed ? "restored" : "deleted", realDest });
    } else {
      decisions.push({
        m,
        action: "refused",
        reason: `${m.dest} changed since the apply (its sha256 is neither the one before nor the one written); force restores it anyway`,
      });
    }
  }
  result.entries = decisions.map((d) => ({
    dest: d.m.dest,
    action: d.action,
    ...(d.reason ? { reason: d.reason } : {}),
  }));
  if (decisions.some((d) => d.action === "refused")) {
    result.ok = false;
    // A changed destination blocks the whole rollback unless forced (then the refused ones are skipped).
    if (!opts.force) {
      result.done = false;
      return result;
    }
  }

  const priorComplete = manifest.rolledBack?.complete === true;
  manifest.rolledBack = { at: opts.now().toISOString(), complete: false };
  await saveManifest(manifestPath, manifest);
  const undoFor: ManifestEntry[] = [];
  for (const [k, d] of decisions.entries()) {
    const m = d.m;
    if (d.action === "refused" || d.action === "untouched") continue;
    if (d.action === "restored") {
      const backup = await readExisting(join(dir, m.backup!), `the backup of ${m.dest}`).catch(() => null);
      if (
        !backup ||
        backup.sha256 !== m.before!.sha256 ||
        (trusted !== undefined && backup.uid !== trusted)
      ) {
        result.entries[k] = { dest: m.dest, action: "refused", reason: `the backup of ${m.dest} is damaged` };
        result.ok = false;
        continue;
      }
      const owner = opts.isRoot ? { uid: m.before!.uid, gid: m.before!.gid } : undefined;
      await writeReplacing(d.realDest!, backup.content, m.before!.mode, owner);
    } else if (d.action === "deleted") {
      await removeFile(d.realDest!);
    }
    if (!m.existed)
      for (const cd of [...m.createdDirs].reverse())
        if (await removeDirIfEmpty(cd)) result.removedDirs.push(cd);
    // Undo a load when the file is put back now, or when an earlier rollback stopped before its undo.
    const loaded = m.activation?.state === "started" || m.activation?.state === "done";
    if (loaded && (d.action !== "already" || !priorComplete)) undoFor.push(m);
  }
  for (const m of undoFor) {
    for (const argv of m.activation!.undo) {
      // The manifest names these commands, and a non-root user's manifest is in a directory the
      // agent can write: only the commands apply itself writes there are run.
      if (!UNDO_COMMANDS.has(argv[0] ?? "")) {
        result.activations.push({
          dest: m.dest,
          argv: argv.slice(0, 1),
          code: 127,
          error: `not a command apply runs (${[...UNDO_COMMANDS].join(", ")}): not run`,
        });
        result.ok = false;
        continue;
      }
      if (m.activation!.kind === "squid" && argv[2] === "reconfigure") {
        const check = await runSafe(opts.runner, ["squid", "-k", "check", "-f", argv[4]!]);
        result.activations.push({
          dest: m.dest,
          argv: ["squid", "-k", "check", "-f", argv[4]!],
          code: check.code,
        });
        if (check.code !== 0) continue;
      }
      const r = await runSafe(opts.runner, argv);
      const run: ActivationRun = { dest: m.dest, argv: [...argv], code: r.code };
      if (r.code !== 0) {
        run.error = firstLine(r.stderr);
        result.ok = false;
      }
      result.activations.push(run);
    }
  }
  manifest.rolledBack = { at: opts.now().toISOString(), complete: true };
  await saveManifest(manifestPath, manifest);
  return result;
}
