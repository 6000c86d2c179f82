import type { Stats } from "node:fs";
import { readdir, realpath, stat } from "node:fs/promises";
import { join } from "node:path";
import { detectEnvVar } from "../detect/env.js";
import { parseEnvDump } from "../detect/env-text.js";
import { safeMessage } from "../util/errors.js";
import { READ_LIMITS, readRegularFile, UnsafeFileError } from "../util/safe-read.js";
import type { Located, SourceContext } from "./context.js";
import { mapPool } from "./pool.js";

/** Reading an environment: the process may exit, or be another user's (the usual case). */
type EnvRead = { env: Record<string, string> } | "unreadable" | "gone" | { error: string };

/**
 * /proc/<pid>/environ is mode 0400, owned by the process's effective uid, or by root when the
 * process is not dumpable (setuid programs, prctl(PR_SET_DUMPABLE, 0)); reading it also needs
 * ptrace read access (proc(5), "/proc/pid/environ"). So with --as-user the mode-bit check is a
 * faithful model; without it, the kernel answers the read.
 */
async function readEnviron(
  ctx: SourceContext,
  path: string,
  confineTo: string | undefined,
): Promise<EnvRead> {
  try {
    if (ctx.access.identity) {
      const st: Stats = await stat(path);
      if (!(await ctx.access.canRead(path, st))) return "unreadable";
    }
    // Issue 8: under an audited image, <system-root>/proc/PID/environ is a file like any other
    // there: a FIFO hung the run, a link to /dev/urandom never ended. Read without blocking, as a
    // regular file (procfs ones stat as size 0: read to EOF, at most the env-file cap), confined.
    const buf = await readRegularFile(path, { maxBytes: READ_LIMITS.envFile, sizeUnknown: true, confineTo });
    ctx.stats.files++;
    ctx.stats.bytes += buf.length;
    ctx.onFile?.(buf.length);
    return { env: parseEnvDump(buf) };
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === "EACCES" || code === "EPERM") return "unreadable";
    // ESRCH: the process exited between the listing and the read.
    if (code === "ENOENT" || code === "ESRCH") return "gone";
    if (e instanceof UnsafeFileError)
      return {
        error: e.code === "outside-root" ? "skipped: leads outside --system-root" : `skipped: ${e.message}`,
      };
    return { error: `cannot read: ${safeMessage(e)}` };
  }
}

/**
 * Other processes' environments: a secret handed to a sibling process (a language server, a
 * build, the agent's own parent) is readable by the agent when it runs as the same user.
 */
export async function scanProcesses(ctx: SourceContext): Promise<Located[]> {
  const proc = join(ctx.systemRoot, "proc");
  let entries: string[];
  try {
    entries = await readdir(proc);
  } catch (e) {
    // No /proc (not mounted in this sandbox, or a system root without one): the agent cannot read
    // other processes either, so this is a note, not a gap in the inventory.
    const missing = (e as { code?: string }).code === "ENOENT";
    ctx.issues.push({
      where: "/proc",
      message: missing ? "not mounted: no other processes to read" : `cannot list: ${safeMessage(e)}`,
    });
    return [];
  }
  // The scanner's own environment is the `env` source's business; skip it only when /proc is
  // this machine's, since a fixture's pids mean nothing here.
  const self = ctx.systemRoot === "/" ? process.pid : undefined;
  const pids = entries
    .filter((n) => /^\d+$/.test(n))
    .map(Number)
    .filter((pid) => pid !== self)
    .sort((a, b) => a - b);
  let unreadable = 0;
  let confineTo: string | undefined;
  try {
    confineTo = ctx.systemRoot === "/" ? undefined : await realpath(ctx.systemRoot);
  } catch {
    confineTo = undefined;
  }
  const results = await mapPool(pids, ctx.limits.concurrency, async (pid) => {
    const agentPath = `/proc/${pid}/environ`;
    const r = await readEnviron(ctx, join(proc, String(pid), "environ"), confineTo);
    if (r === "unreadable") {
      unreadable++;
      return [];
    }
    if (r === "gone") return [];
    if ("error" in r) {
      ctx.issues.push({ where: agentPath, message: r.error });
      return [];
    }
    const out: Located[] = [];
    for (const name of Object.keys(r.env).sort()) {
      for (const d of detectEnvVar(name, r.env[name] ?? "", ctx.rules, ctx.scanner)) {
        out.push({ ...d, location: { source: "process", path: agentPath, name } });
      }
    }
    return out;
  });
  if (unreadable > 0) {
    ctx.issues.push({
      where: "/proc",
      message: `${unreadable} process${unreadable === 1 ? "'s environment" : "es' environments"} not readable (other users' processes)`,
    });
  }
  // Identity without the pid, which changes every run: the k-th process (by pid) holding a secret
  // in a variable is "/proc/*/environ#k". Restarted processes keep their fingerprints, and two
  // processes holding the same secret are still two findings.
  const holders = new Map<string, number>();
  const out = results.flat();
  for (const d of out) {
    const key = `${d.ruleId}\0${d.location.name}\0${d.secret}`;
    const k = (holders.get(key) ?? 0) + 1;
    holders.set(key, k);
    d.identityPath = k === 1 ? "/proc/*/environ" : `/proc/*/environ#${k}`;
  }
  return out;
}
