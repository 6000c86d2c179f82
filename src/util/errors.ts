/**
 * A known, user-facing error: printed as one line with a hint, exit code 2. Anything else is a bug
 * and is re-thrown with its stack (the knip convention, shared/STYLE.md).
 */
export class UsageError extends Error {
  readonly hint: string | undefined;
  constructor(message: string, hint?: string) {
    super(message);
    this.name = "UsageError";
    this.hint = hint;
  }
}

const FS_CODES: Record<string, string> = {
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  ENOENT: "no such file or directory",
  ELOOP: "too many levels of symbolic links",
  EISDIR: "is a directory",
  ENOTDIR: "not a directory",
  EMFILE: "too many open files",
  EIO: "I/O error",
};

/**
 * A printable description of an error from foreign code. Parser and fs messages can quote the
 * content they choke on (a line holding a secret), so only the error code or class name is kept.
 */
export function safeMessage(err: unknown): string {
  const e = err as { code?: unknown; name?: unknown };
  if (e && typeof e.code === "string" && /^E[A-Z]+$/.test(e.code)) {
    return FS_CODES[e.code] ? `${FS_CODES[e.code]} (${e.code})` : e.code;
  }
  return e && typeof e.name === "string" ? e.name : "unknown error";
}
