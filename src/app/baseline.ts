// The baseline use case (issue 9, app layer): run the same scan as `scan` and write its
// fingerprints as the accepted inventory, keeping the reasons of entries that still match.

import { join, resolve } from "node:path";
import {
  buildBaseline,
  DEFAULT_BASELINE_FILE,
  displayPath,
  readBaseline,
  writeBaseline,
} from "../config/baseline.js";
import { confinementOf } from "../util/confine.js";
import { UsageError } from "../util/errors.js";
import { type AppContext, runScan, type ScanRequest } from "./scan.js";

export interface BaselineRequest {
  /** The scan whose findings become the baseline (its own `baseline` setting is ignored). */
  scan: ScanRequest;
  /** The file to write; default: agent-audit.yaml's `baseline`, else <root>/.agent-audit-baseline.json. */
  output?: string;
}

export interface BaselineResult {
  /** As the report shows it: relative to the root when inside it. */
  path: string;
  entries: number;
  added: number;
  kept: number;
  dropped: number;
  /** Issues of the scan (paths skipped or not read). */
  issues: number;
}

export async function runBaseline(request: BaselineRequest, ctx: AppContext): Promise<BaselineResult> {
  if (request.scan.demo && !request.output) {
    // The demo's root is the packaged fixture tree: never write into it.
    throw new UsageError("baseline --demo needs --output FILE", "the demo sandbox is read-only package data");
  }
  // The existing baseline is read below for its reasons, not to mark findings as accepted.
  // Every finding is listed (no cap of 100 per rule and file): a file's 101st finding of a rule is
  // accepted like its first, or `scan` would fail on it right after `baseline` (issue 9 review).
  const scan: ScanRequest = { ...request.scan, baseline: false, updateBaseline: false, listAll: true };
  const { report, config, loaded } = await runScan(scan, ctx);
  const root = report.target.root;
  const path = request.output
    ? resolve(ctx.cwd, request.output)
    : (config.baseline ?? join(root, DEFAULT_BASELINE_FILE));
  // Issue 8: the destination is read (for its reasons) and written without blocking or following
  // into a device; one found in the root (not --output, not a --config's) must stay inside it.
  const found = !request.output && (!config.baseline || loaded.discovered);
  const label = request.output ? `--output ${path}` : `baseline ${path}`;
  const conf = found
    ? await confinementOf(resolve(ctx.cwd, scan.systemRoot), root)
    : { kind: "none" as const };
  const previous = await readBaseline(path, {
    label,
    ...(conf.kind === "inside" ? { confineTo: conf.root } : {}),
  });
  const next = buildBaseline(report.findings, previous, {
    ran: new Set(report.stats?.sources ?? []),
    probed: scan.egress !== undefined,
    toolLists: scan.mcpTools !== undefined,
  });
  await writeBaseline(path, next, { label, ...(found ? { within: root } : {}) });
  const before = new Set((previous?.entries ?? []).map((e) => e.fingerprint));
  const now = new Set(next.entries.map((e) => e.fingerprint));
  const added = [...now].filter((fp) => !before.has(fp)).length;
  return {
    path: displayPath(path, root),
    entries: next.entries.length,
    added,
    kept: next.entries.length - added,
    dropped: [...before].filter((fp) => !now.has(fp)).length,
    issues: report.issues.length,
  };
}
