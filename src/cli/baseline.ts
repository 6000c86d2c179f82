import { join, resolve } from "node:path";
import { Command } from "commander";
import {
  buildBaseline,
  DEFAULT_BASELINE_FILE,
  displayPath,
  readBaseline,
  writeBaseline,
} from "../baseline/index.js";
import { UsageError } from "../core/errors.js";
import { confinementOf } from "../sources/confine.js";
import type { CliIo, CliResult } from "./io.js";
import { addEgressOptions, addSourceOptions, runScan, type ScanFlags } from "./scan.js";

type BaselineFlags = Omit<ScanFlags, "format" | "report" | "exitZero" | "baseline" | "updateBaseline">;

const HELP = `
The baseline is the accepted inventory: one entry per current finding, holding its fingerprint,
rule id and location (no line, no secret value, no preview) and a "reason" for a person to fill in.
\`scan\` marks findings listed there as accepted; accepted findings never fail the run. Re-running
\`baseline\` keeps the reasons of entries that still match, and keeps as they are the entries this
run could not see (an environment entry under --no-env, an egress entry without --probe).
With --probe (and the same probe options as \`scan --probe\`), egress findings are accepted too.

Exit codes:
  0  baseline written
  2  usage, config or runtime error`;

/** `agent-audit baseline`: runs the same inventory as `scan` and writes its fingerprints. */
export function baselineCommand(io: CliIo, result: CliResult): Command {
  const cmd = new Command("baseline")
    .summary("accept the current findings: write their fingerprints to .agent-audit-baseline.json")
    .description(
      "Write the current findings' fingerprints to the baseline (the accepted inventory), so that `scan` fails only on what is new.",
    );
  addSourceOptions(cmd)
    .option(
      "-o, --output <file>",
      `baseline file to write (default: agent-audit.yaml's \`baseline\`, else <root>/${DEFAULT_BASELINE_FILE})`,
    )
    .option("--config <file>", "agent-audit.yaml to use (default: <root>/agent-audit.yaml when present)")
    .option("--no-progress", "never show progress on stderr")
    .option(
      "--probe",
      "also probe egress and accept its findings (opt-in: probes trip egress alarms)",
      false,
    );
  addEgressOptions(cmd);
  cmd.addHelpText("after", HELP);
  cmd.action(async (flags: BaselineFlags) => {
    if (flags.demo && !flags.output) {
      // The demo's root is the packaged fixture tree: never write into it.
      throw new UsageError(
        "baseline --demo needs --output FILE",
        "the demo sandbox is read-only package data",
      );
    }
    const scanFlags: ScanFlags = {
      ...flags,
      output: undefined,
      report: [],
      exitZero: false,
      // The existing baseline is read below for its reasons, not to mark findings as accepted.
      baseline: false,
    };
    const { report, config, loaded } = await runScan(scanFlags, io, { inventory: true, probe: flags.probe });
    const root = report.target.root;
    const path = flags.output
      ? resolve(io.cwd, flags.output)
      : (config.baseline ?? join(root, DEFAULT_BASELINE_FILE));
    // Issue 8: the destination is read (for its reasons) and written without blocking or following
    // into a device; one found in the root (not --output, not a --config's) must stay inside it.
    const found = !flags.output && (!config.baseline || loaded.discovered);
    const label = flags.output ? `--output ${path}` : `baseline ${path}`;
    const conf = found
      ? await confinementOf(resolve(io.cwd, scanFlags.systemRoot), root)
      : { kind: "none" as const };
    const previous = await readBaseline(path, {
      label,
      ...(conf.kind === "inside" ? { confineTo: conf.root } : {}),
    });
    const next = buildBaseline(report.findings, previous, {
      ran: new Set(report.stats?.sources ?? []),
      probed: flags.probe,
    });
    await writeBaseline(path, next, { label, ...(found ? { within: root } : {}) });
    const before = new Set((previous?.entries ?? []).map((e) => e.fingerprint));
    const now = new Set(next.entries.map((e) => e.fingerprint));
    const added = [...now].filter((fp) => !before.has(fp)).length;
    const dropped = [...before].filter((fp) => !now.has(fp)).length;
    const n = next.entries.length;
    io.stdout(
      `agent-audit: wrote ${n} entr${n === 1 ? "y" : "ies"} to ${displayPath(path, root)} ` +
        `(${added} new, ${n - added} kept, ${dropped} dropped)\n`,
    );
    if (report.issues.length) {
      io.stderr(
        `agent-audit: the scan reported ${report.issues.length} issue${report.issues.length === 1 ? "" : "s"} (paths skipped or not read); run scan to see them\n`,
      );
    }
    result.exitCode = 0;
  });
  return cmd;
}
