import { readFile } from "node:fs/promises";
import { parse as parseDotenv } from "dotenv";
import { UsageError } from "../core/errors.js";
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

export async function readEnvFile(path: string): Promise<Record<string, string>> {
  try {
    return parseEnvDump(await readFile(path));
  } catch (e) {
    const code = (e as { code?: string }).code;
    throw new UsageError(
      `cannot read --env-file ${path}: ${code === "ENOENT" ? "no such file" : (code ?? "unreadable")}`,
      "pass a KEY=VALUE file or a copy of /proc/PID/environ",
    );
  }
}

export async function readProcEnv(pid: number, systemRoot = "/"): Promise<Record<string, string>> {
  const path = `${systemRoot.replace(/\/$/, "")}/proc/${pid}/environ`;
  try {
    return parseEnvDump(await readFile(path));
  } catch (e) {
    const code = (e as { code?: string }).code;
    throw new UsageError(
      `cannot read the environment of pid ${pid}: ${code === "ENOENT" ? "no such process" : (code ?? "unreadable")}`,
      code === "EACCES" ? "run as the process's user or as root" : "check the pid",
    );
  }
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
