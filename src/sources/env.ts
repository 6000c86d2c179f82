import { realpath } from "node:fs/promises";
import { detectEnvVar } from "../detect/env.js";
import { parseEnvDump } from "../detect/env-text.js";
import { safeMessage, UsageError } from "../util/errors.js";
import { READ_LIMITS, readRegularFile, UnsafeFileError } from "../util/safe-read.js";
import type { Located, SourceContext } from "./context.js";

/**
 * Why an environment file could not be read, as one line: fs codes and our own refusals (a FIFO,
 * a device, a file over the cap), never the file's content.
 */
function reason(e: unknown): string {
  if (e instanceof UnsafeFileError) return e.message;
  const code = (e as { code?: string }).code;
  if (code === "ENOENT") return "no such file";
  return safeMessage(e);
}

/**
 * Reads `--environ FILE` as data only (issue 8): the file is the agent's, so it is opened without
 * blocking, must be a regular file under READ_LIMITS.envFile bytes, and is never handed to Node
 * (whose own --env-file would obey NODE_OPTIONS inside it).
 */
export async function readEnvFile(path: string): Promise<Record<string, string>> {
  let buf: Buffer;
  try {
    buf = await readRegularFile(path, { maxBytes: READ_LIMITS.envFile });
  } catch (e) {
    throw new UsageError(
      `cannot read --environ ${path}: ${reason(e)}`,
      "pass a regular file: a copy of /proc/PID/environ, or KEY=VALUE lines",
    );
  }
  return parseEnvDump(buf);
}

export async function readProcEnv(pid: number, systemRoot = "/"): Promise<Record<string, string>> {
  const path = `${systemRoot.replace(/\/$/, "")}/proc/${pid}/environ`;
  let buf: Buffer;
  try {
    // An image's /proc is the image's: a link out of it is not followed (issue 8, confinement).
    const confineTo = systemRoot === "/" ? undefined : await realpath(systemRoot);
    buf = await readRegularFile(path, { maxBytes: READ_LIMITS.envFile, sizeUnknown: true, confineTo });
  } catch (e) {
    const code = (e as { code?: string }).code;
    throw new UsageError(
      `cannot read the environment of pid ${pid}: ${code === "ENOENT" ? "no such process" : reason(e)}`,
      code === "EACCES" ? "run as the process's user or as root" : "check the pid",
    );
  }
  return parseEnvDump(buf);
}

export async function scanEnv(ctx: SourceContext): Promise<Located[]> {
  if (!ctx.env) return [];
  const out: Located[] = [];
  for (const name of Object.keys(ctx.env).sort()) {
    for (const d of detectEnvVar(name, ctx.env[name] ?? "", ctx.rules, ctx.scanner)) {
      out.push({ ...d, location: { source: "env", name } });
    }
  }
  return out;
}
