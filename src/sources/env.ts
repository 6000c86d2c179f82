import { realpath } from "node:fs/promises";
import { parse as parseDotenv } from "dotenv";
import { safeMessage, UsageError } from "../core/errors.js";
import { READ_LIMITS, readRegularFile, UnsafeFileError } from "../core/safe-read.js";
import { detectEnvVar } from "../detectors/env.js";
import type { Located, SourceContext } from "./context.js";

/**
 * Parses an environment dump: the NUL-separated format of /proc/PID/environ, or KEY=VALUE lines
 * (dotenv syntax: quotes, `export ` prefixes and comments are understood).
 */
export function parseEnvDump(buf: Buffer): Record<string, string> {
  if (buf.includes(0)) {
    const env: Record<string, string> = {};
    for (const entry of buf.toString("utf8").split("\0")) {
      const eq = entry.indexOf("=");
      if (eq > 0) env[entry.slice(0, eq)] = entry.slice(eq + 1);
    }
    return env;
  }
  return parseDotenv(buf);
}

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
