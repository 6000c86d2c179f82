import { Command } from "commander";
import { runBaseline } from "../app/baseline.js";
import { DEFAULT_BASELINE_FILE } from "../config/baseline.js";
import { appContext, type EgressFlags, type RunFlags, type SourceFlags, sourceRequest } from "./flags.js";
import type { CliIo, CliResult } from "./io.js";
import { addEgressOptions, addRunOptions, addSourceOptions } from "./options.js";
import { Progress } from "./progress.js";

interface BaselineFlags extends SourceFlags, RunFlags, EgressFlags {
  output?: string;
  probe: boolean;
  mcpTools?: string;
}

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
export function command(io: CliIo, result: CliResult): Command {
  const cmd = new Command("baseline").description(
    "Write the current findings' fingerprints to the baseline (the accepted inventory), so that `scan` fails only on what is new.",
  );
  addSourceOptions(cmd)
    .option(
      "-o, --output <file>",
      `baseline file to write (default: agent-audit.yaml's \`baseline\`, else <root>/${DEFAULT_BASELINE_FILE})`,
    )
    .option("--probe", "also probe egress and accept its findings (opt-in: probes trip egress alarms)", false)
    .option(
      "--mcp-tools <file>",
      "also pin MCP servers' tool lists from a tools/list export (see `scan --help`): a later scan with a changed " +
        "list reports it as new. Without it, pinned tool lists already in the baseline are kept",
    );
  addRunOptions(cmd);
  addEgressOptions(cmd);
  cmd.addHelpText("after", HELP);
  cmd.action(async (flags: BaselineFlags) => {
    const progress = new Progress(io, flags.progress !== false);
    const r = await runBaseline(
      {
        scan: {
          ...sourceRequest(flags),
          ...(flags.mcpTools !== undefined ? { mcpTools: flags.mcpTools } : {}),
        },
        ...(flags.output !== undefined ? { output: flags.output } : {}),
      },
      appContext(io, { onFile: (bytes) => progress.tick(bytes), onInventoryDone: () => progress.done() }),
    );
    io.stdout(
      `agent-audit: wrote ${r.entries} entr${r.entries === 1 ? "y" : "ies"} to ${r.path} ` +
        `(${r.added} new, ${r.kept} kept, ${r.dropped} dropped)\n`,
    );
    if (r.issues) {
      io.stderr(
        `agent-audit: the scan reported ${r.issues} issue${r.issues === 1 ? "" : "s"} (paths skipped or not read); run scan to see them\n`,
      );
    }
    result.exitCode = 0;
  });
  return cmd;
}
