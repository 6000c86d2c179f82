import type { Stats } from "node:fs";
import { lstat, realpath, stat } from "node:fs/promises";
import { isAbsolute, join, relative, resolve, sep } from "node:path";
import type { PathRule } from "../rules/types.js";
import { confinementOf, insideSystemRoot } from "../util/confine.js";
import { safeMessage } from "../util/errors.js";
import { fileKind } from "../util/safe-read.js";
import type { Located, SourceContext } from "./context.js";
import { scanFile } from "./files.js";
import { mapPool } from "./pool.js";

interface HomeTarget {
  abs: string;
  rule: PathRule;
  /** The path as the agent sees it, when it differs from `abs` (pointers under a system root). */
  shown?: string;
  /** An absolute pointer read under --system-root: it must not lead outside it (`..`, symlinks). */
  system?: boolean;
}

// Loaded on first use: ~40 ms of start-up that `--sources tree` (the CI gate) and `probe` never need.
let fastGlobModule: Promise<{ default: typeof import("fast-glob") }> | undefined;
async function fastGlob() {
  fastGlobModule ??= import("fast-glob");
  return (await fastGlobModule).default;
}

/** A path, not data: one line, no JSON or PEM, not longer than PATH_MAX. */
export function isPlausiblePath(value: string): boolean {
  return value.length <= 4096 && !/[\n\r\0{}"]/.test(value) && !value.includes("-----BEGIN");
}

/** Report path: relative to home when inside it, absolute otherwise. */
export function homeReportPath(home: string, abs: string): string {
  const rel = relative(home, abs);
  return rel && !rel.startsWith("..") && !isAbsolute(rel) ? rel.split(sep).join("/") : abs;
}

/**
 * The home directory's credential files, from the catalog in rules/paths/. Environment pointers
 * (KUBECONFIG, GOOGLE_APPLICATION_CREDENTIALS, AWS_SHARED_CREDENTIALS_FILE, ...) are honoured: the
 * file they name is scanned with the same rule, wherever it lives.
 */
export async function scanHome(ctx: SourceContext): Promise<Located[]> {
  const targets = await homeTargets(ctx);
  // A home inside the audited image (--home /mnt/img/home/agent --system-root /mnt/img) can hold
  // absolute symlinks, which would resolve on the scanning machine: its reads are confined, and so
  // are absolute pointers, which are read under the system root.
  const conf = await confinementOf(ctx.systemRoot, ctx.home);
  let list = targets;
  if (conf.kind === "escapes") {
    ctx.issues.push({
      where: ctx.home,
      message: "skipped: the home directory leads outside --system-root (a symlink in the image)",
    });
    list = targets.filter((t) => t.system);
  }
  const systemReal =
    ctx.systemRoot === "/" ? undefined : await realpath(ctx.systemRoot).catch(() => undefined);
  const results = await mapPool(list, ctx.limits.concurrency, (t) =>
    scanTarget(t, ctx, t.system || conf.kind === "inside" ? systemReal : undefined),
  );
  return results.flat();
}

/** Every home rule's files: its globs under home, then the files its environment pointers name. */
async function homeTargets(ctx: SourceContext): Promise<HomeTarget[]> {
  const targets: HomeTarget[] = [];
  const seen = new Set<string>();
  const add = (t: HomeTarget) => {
    if (seen.has(t.abs)) return;
    seen.add(t.abs);
    targets.push(t);
  };
  // One issue per variable, however many rules it points for.
  const warnedPointers = new Set<string>();
  for (const rule of ctx.rules.paths) {
    if (rule.scope !== "home") continue;
    for (const abs of await globHome(rule, ctx)) add({ abs, rule });
    for (const ptr of rule.envPointers) {
      for (const t of await pointerTargets(rule, ptr, ctx, warnedPointers)) add(t);
    }
  }
  return targets;
}

/** The rule's globs under home, sorted; a failed search is an issue. */
async function globHome(rule: PathRule, ctx: SourceContext): Promise<string[]> {
  try {
    const matches = await (await fastGlob())(rule.paths, {
      cwd: ctx.home,
      dot: true,
      onlyFiles: false,
      followSymbolicLinks: true,
      suppressErrors: true,
      absolute: true,
      deep: 6,
    });
    return matches.sort();
  } catch (e) {
    ctx.issues.push({ where: rule.paths.join(","), message: `cannot search: ${safeMessage(e)}` });
    return [];
  }
}

/**
 * The files one pointer names. "VAR" names a file; "VAR/sub/path" names a directory and the file (or
 * glob) inside it (DOCKER_CONFIG/config.json, CLAUDE_CONFIG_DIR/.credentials.json).
 */
async function pointerTargets(
  rule: PathRule,
  ptr: string,
  ctx: SourceContext,
  warnedPointers: Set<string>,
): Promise<HomeTarget[]> {
  const slash = ptr.indexOf("/");
  const name = slash < 0 ? ptr : ptr.slice(0, slash);
  const inside = slash < 0 ? "" : ptr.slice(slash + 1);
  const value = ctx.env?.[name];
  if (!value) return [];
  // A value that cannot be a path (a JSON key pasted into GOOGLE_APPLICATION_CREDENTIALS) is
  // never used as one: it would end up in an issue's `where`. Its content is the env source's job.
  if (!isPlausiblePath(value)) {
    if (!warnedPointers.has(name)) {
      warnedPointers.add(name);
      ctx.issues.push({
        where: `$${name}`,
        message: `does not name a ${inside ? "directory" : "file"} (the value is not a path; not printed)`,
      });
    }
    return [];
  }
  const out: HomeTarget[] = [];
  // KUBECONFIG is a colon-separated list; a directory pointer is one directory.
  for (const part of inside ? [value] : value.split(":").filter(Boolean)) {
    // Absolute pointers are read under the system root (the agent's "/"), so a fixture or an
    // audit of a mounted image never falls through to the scanning machine's own files.
    const system = isAbsolute(part);
    const base = system ? join(ctx.systemRoot, part) : resolve(ctx.home, part.replace(/^~\//, ""));
    for (const abs of await pointedFiles(base, inside)) {
      const shown = !system ? undefined : inside ? join(part, relative(base, abs)) : part;
      out.push({ abs, rule, shown, system });
    }
  }
  return out;
}

/** `base` itself, or the file or sorted glob matches `inside` it. */
async function pointedFiles(base: string, inside: string): Promise<string[]> {
  if (!inside) return [base];
  if (!/[*?[{]/.test(inside)) return [join(base, inside)];
  try {
    const found = await (await fastGlob())(inside, {
      cwd: base,
      dot: true,
      onlyFiles: false,
      suppressErrors: true,
      absolute: true,
      deep: 4,
    });
    return found.sort();
  } catch {
    return [];
  }
}

/** Where a target is reported: as the pointer names it when it is outside home. */
function shownPath(t: HomeTarget, home: string): string {
  return t.shown && !t.abs.startsWith(`${home}${sep}`) ? t.shown : homeReportPath(home, t.abs);
}

/** Scans one target: a file by its rule, a directory for presence, anything else an issue. */
async function scanTarget(
  t: HomeTarget,
  ctx: SourceContext,
  confineTo: string | undefined,
): Promise<Located[]> {
  const st = await statTarget(t, ctx, confineTo);
  if (!st) return [];
  if (st.isDirectory()) return presence(t, ctx, st);
  if (!st.isFile()) {
    // A FIFO, socket or device where a credential file belongs: never opened (a FIFO blocks a
    // read, a device never ends), never silently either (issue 8): the path is not inventoried.
    ctx.issues.push({ where: shownPath(t, ctx.home), message: `skipped: ${fileKind(st)} (never opened)` });
    return [];
  }
  return scanFile(
    { abs: t.abs, reportPath: shownPath(t, ctx.home), source: "home", pathRule: t.rule, st, confineTo },
    ctx,
  );
}

/** The target's stat, when it exists and (confined) stays inside the system root; else undefined. */
async function statTarget(
  t: HomeTarget,
  ctx: SourceContext,
  confineTo: string | undefined,
): Promise<Stats | undefined> {
  try {
    if (confineTo && !(await insideSystemRoot(ctx.systemRoot, t.abs))) {
      const what = t.system ? "the pointer" : "a symlink";
      ctx.issues.push({
        where: shownPath(t, ctx.home),
        message: `skipped: ${what} leads outside --system-root`,
      });
      return undefined;
    }
    return await stat(t.abs);
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code !== "ENOENT") {
      ctx.issues.push({ where: homeReportPath(ctx.home, t.abs), message: `cannot stat: ${safeMessage(e)}` });
    } else if (confineTo && (await lstat(t.abs).catch(() => undefined))?.isSymbolicLink()) {
      // In an image, an absolute link means the image's "/", which is not followed: say so.
      ctx.issues.push({
        where: shownPath(t, ctx.home),
        message: "skipped: a symlink whose target is not found (links are not resolved inside --system-root)",
      });
    }
    return undefined;
  }
}

/** "presence" rules name a directory whose existence is the finding (~/.password-store, keyrings). */
async function presence(t: HomeTarget, ctx: SourceContext, st: Stats): Promise<Located[]> {
  if (t.rule.parser !== "presence") return [];
  if (!(await ctx.access.canRead(t.abs, st))) return [];
  const path = t.shown ?? homeReportPath(ctx.home, t.abs);
  return [
    {
      ruleId: t.rule.id,
      provider: t.rule.provider,
      type: "credential-store",
      severity: t.rule.severity,
      title: t.rule.title,
      remediation: t.rule.remediation,
      kind: "exposure",
      secret: `presence:${path}`,
      priority: 2,
      location: { source: "home", path },
    },
  ];
}
