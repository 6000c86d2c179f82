import { expect, it } from "vitest";
import { reporterNames } from "../../src/render/index.js";
import { cli } from "./cli.js";

/**
 * The names of the planted values that a CLI run's output shows: the whole value, or any 8
 * characters of it past its first 4 (the report's preview shows those 4 and the length, nothing
 * more). Shared by the end-to-end no-leak tests of the detection rules.
 */
export function leakedValues(
  r: { stdout: string; stderr: string },
  values: Record<string, string>,
): string[] {
  const shown = (s: string) => r.stdout.includes(s) || r.stderr.includes(s);
  return Object.entries(values)
    .filter(([, v]) => {
      for (let i = 4; i + 8 <= v.length; i++) if (shown(v.slice(i, i + 8))) return true;
      return shown(v);
    })
    .map(([k]) => k);
}

/** `source path:line rule severity` of each finding (those `keep` selects), sorted: the e2e tests' exact rows. */
export function findingRows(
  findings: {
    ruleId: string;
    severity: string;
    location: { source?: string; path?: string; line?: number };
  }[],
  keep: (ruleId: string) => boolean = () => true,
): string[] {
  return findings
    .filter((f) => keep(f.ruleId))
    .map((f) => `${f.location.source} ${f.location.path}:${f.location.line} ${f.ruleId} ${f.severity}`)
    .sort();
}

/**
 * One test per report format (call inside a describe): `agent-audit scan <args> --format F
 * --no-progress --exit-zero` prints a report and no planted value, nor 8 characters of one past
 * its preview (leakedValues). With `exitCode`, the scan runs without `--exit-zero` and must exit
 * with that code (the verdict of the planted findings is checked too).
 */
export function noLeakInEveryFormat(args: string[], values: Record<string, string>, exitCode?: number): void {
  for (const format of reporterNames()) {
    it(`--format ${format}: no planted value, nor 8 characters of one past its preview, in the output`, async () => {
      const verdict = exitCode === undefined ? ["--exit-zero"] : [];
      const r = await cli(["scan", ...args, "--no-progress", "--format", format, ...verdict]);
      expect(r.code).toBe(exitCode ?? 0);
      expect(r.stdout.length).toBeGreaterThan(100);
      expect(leakedValues(r, values)).toEqual([]);
    });
  }
}

/**
 * A scan's arguments for a test sandbox: `--home`, `--root`, `--system-root` and `--sources`, no
 * environment (the shared prefix of the no-leak checks' arguments).
 */
export function sandboxArgs(home: string, root: string, systemRoot: string, sources = "tree"): string[] {
  return ["--home", home, "--root", root, "--system-root", systemRoot, "--no-env", "--sources", sources];
}
