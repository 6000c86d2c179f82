import { randomBytes } from "node:crypto";
import { lstatSync, renameSync, rmSync, type Stats, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { safeMessage, UsageError } from "./errors.js";
import { fileKind } from "./safe-read.js";

/**
 * Writes a file the way every report, and the baseline, is written (issue 8): never into a FIFO or a
 * device (an agent-planted FIFO at `--report` hung the run), never through a symlink (an
 * agent-planted link at the report path made a root-run auditor overwrite the link's target), and
 * atomically: a new file in the same directory, then rename(2), which replaces a link instead of
 * following it. `label` names the file in errors (`--output x.json`).
 */
export function writeFileReplacing(path: string, text: string, label: string, mode = 0o644): void {
  checkReplaceable(path, label);
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString("hex")}.tmp`);
  try {
    // "wx": O_CREAT|O_EXCL, which also refuses to follow a link planted at the temporary name.
    writeFileSync(tmp, text, { mode, flag: "wx" });
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw new UsageError(
      `cannot write ${label}: ${safeMessage(e)}`,
      "check that the directory exists and is writable",
    );
  }
}

/** Throws the UsageError writeFileReplacing would for a destination that is not a file to replace. */
export function checkReplaceable(path: string, label: string): void {
  let existing: Stats | undefined;
  try {
    existing = lstatSync(path);
  } catch (e) {
    if ((e as { code?: string }).code !== "ENOENT")
      throw new UsageError(`cannot write ${label}: ${safeMessage(e)}`);
  }
  if (existing && !existing.isFile() && !existing.isSymbolicLink())
    throw new UsageError(`${label} is ${fileKind(existing)}, not a regular file`, "pass a regular file");
}
