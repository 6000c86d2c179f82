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
  const home = ctx.home;
  const targets: HomeTarget[] = [];
  const seen = new Set<string>();
  // One issue per variable, however many rules it points for.
  const warnedPointers = new Set<string>();
  for (const rule of ctx.rules.paths) {
    if (rule.scope !== "home") continue;
    let matches: string[] = [];
    try {
      matches = await (await fastGlob())(rule.paths, {
        cwd: home,
        dot: true,
        onlyFiles: false,
        followSymbolicLinks: true,
        suppressErrors: true,
        absolute: true,
        deep: 6,
      });
    } catch (e) {
      ctx.issues.push({ where: rule.paths.join(","), message: `cannot search: ${safeMessage(e)}` });
    }
    for (const abs of matches.sort()) {
      if (!seen.has(abs)) {
        seen.add(abs);
        targets.push({ abs, rule });
      }
    }
    for (const ptr of rule.envPointers) {
      // "VAR" names a file; "VAR/sub/path" names a directory and the file (or glob) inside it
      // (DOCKER_CONFIG/config.json, CLAUDE_CONFIG_DIR/.credentials.json).
      const slash = ptr.indexOf("/");
      const name = slash < 0 ? ptr : ptr.slice(0, slash);
      const inside = slash < 0 ? "" : ptr.slice(slash + 1);
      const value = ctx.env?.[name];
      if (!value) continue;
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
        continue;
      }
      // KUBECONFIG is a colon-separated list; a directory pointer is one directory.
      for (const part of inside ? [value] : value.split(":").filter(Boolean)) {
        // Absolute pointers are read under the system root (the agent's "/"), so a fixture or an
        // audit of a mounted image never falls through to the scanning machine's own files.
        const base = isAbsolute(part) ? join(ctx.systemRoot, part) : resolve(home, part.replace(/^~\//, ""));
        let found: string[] = [base];
        if (inside && /[*?[{]/.test(inside)) {
          try {
            found = await (await fastGlob())(inside, {
              cwd: base,
              dot: true,
              onlyFiles: false,
              suppressErrors: true,
              absolute: true,
              deep: 4,
            });
          } catch {
            found = [];
          }
          found.sort();
        } else if (inside) found = [join(base, inside)];
        for (const abs of found) {
          if (seen.has(abs)) continue;
          seen.add(abs);
          const system = isAbsolute(part);
          const shown = !system ? undefined : inside ? join(part, relative(base, abs)) : part;
          targets.push({ abs, rule, shown, system });
        }
      }
    }
  }
  const shownPath = (t: HomeTarget) =>
    t.shown && !t.abs.startsWith(`${home}${sep}`) ? t.shown : homeReportPath(home, t.abs);
  // A home inside the audited image (--home /mnt/img/home/agent --system-root /mnt/img) can hold
  // absolute symlinks, which would resolve on the scanning machine: its reads are confined, and so
  // are absolute pointers, which are read under the system root.
  const conf = await confinementOf(ctx.systemRoot, home);
  let list = targets;
  if (conf.kind === "escapes") {
    ctx.issues.push({
      where: home,
      message: "skipped: the home directory leads outside --system-root (a symlink in the image)",
    });
    list = targets.filter((t) => t.system);
  }
  const systemReal =
    ctx.systemRoot === "/" ? undefined : await realpath(ctx.systemRoot).catch(() => undefined);
  const results = await mapPool(list, ctx.limits.concurrency, async (t) => {
    const confineTo = t.system || conf.kind === "inside" ? systemReal : undefined;
    let st: Stats;
    try {
      if (confineTo && !(await insideSystemRoot(ctx.systemRoot, t.abs))) {
        const what = t.system ? "the pointer" : "a symlink";
        ctx.issues.push({ where: shownPath(t), message: `skipped: ${what} leads outside --system-root` });
        return [];
      }
      st = await stat(t.abs);
    } catch (e) {
      const code = (e as { code?: string }).code;
      if (code !== "ENOENT") {
        ctx.issues.push({ where: homeReportPath(home, t.abs), message: `cannot stat: ${safeMessage(e)}` });
      } else if (confineTo && (await lstat(t.abs).catch(() => undefined))?.isSymbolicLink()) {
        // In an image, an absolute link means the image's "/", which is not followed: say so.
        ctx.issues.push({
          where: shownPath(t),
          message:
            "skipped: a symlink whose target is not found (links are not resolved inside --system-root)",
        });
      }
      return [];
    }
    if (st.isDirectory()) return presence(t, ctx, st);
    if (!st.isFile()) {
      // A FIFO, socket or device where a credential file belongs: never opened (a FIFO blocks a
      // read, a device never ends), never silently either (issue 8): the path is not inventoried.
      ctx.issues.push({ where: shownPath(t), message: `skipped: ${fileKind(st)} (never opened)` });
      return [];
    }
    return scanFile(
      { abs: t.abs, reportPath: shownPath(t), source: "home", pathRule: t.rule, st, confineTo },
      ctx,
    );
  });
  return results.flat();
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
