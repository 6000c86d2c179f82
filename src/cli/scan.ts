import { Command } from "commander";
import { runScan } from "../app/scan.js";
import { DEFAULT_BASELINE_FILE } from "../config/baseline.js";
import { verdictExitCode } from "../report/policy.js";
import { UsageError } from "../util/errors.js";
import { appContext, type EgressFlags, type OutputFlags, type SourceFlags, sourceRequest } from "./flags.js";
import type { CliIo, CliResult } from "./io.js";
import {
  addEgressOptions,
  addOutputOptions,
  addSourceOptions,
  EXIT_CODES,
  parsePositiveInt,
} from "./options.js";
import { validateOutputFlags, writeReports } from "./output.js";
import { Progress } from "./progress.js";

interface ScanFlags extends SourceFlags, OutputFlags, EgressFlags {
  baseline?: string | false;
  updateBaseline: boolean;
  probe: boolean;
  verifyGates: boolean;
  mcpTools?: string;
  verifyAlerting: boolean;
  verifyAlertingTimeout: number;
  aws: boolean;
  awsProfile?: string;
  awsEndpointUrl?: string;
  awsRegion: string;
  awsWindow: number;
}

/** `agent-audit scan`. */
export function command(io: CliIo, result: CliResult): Command {
  const cmd = new Command("scan").description(
    "Inventory every secret the agent can read (environment, home dotfiles, working tree, mounted secrets, " +
      "sockets, other processes) and score the sandbox against the six-step checklist. No secret value is " +
      "ever printed: previews show at most 4 characters of secrets of 16+ characters.",
  );
  addSourceOptions(cmd)
    .option("--baseline <file>", `accepted inventory (default: <root>/${DEFAULT_BASELINE_FILE} when present)`)
    .option("--no-baseline", "ignore any baseline file")
    .option(
      "--update-baseline",
      "prune baseline entries that no longer match a finding and write the file back (adds nothing)",
      false,
    )
    .option(
      "--probe",
      "also probe egress from this network context (opt-in: probes trip egress alarms)",
      false,
    )
    .option(
      "--verify-gates",
      "step 5: replay the built-in dangerous/benign command corpus through every configured gate (Claude Code and " +
        "Gemini CLI hooks, Codex rules; see `gate verify --help`); a gate that lets a dangerous category through " +
        "or fails open fails step 5. This RUNS the hook commands of the audited configs, as the runtime would",
      false,
    )
    .option(
      "--mcp-tools <file>",
      'also judge MCP servers\' tool lists, offline, from a `tools/list` export (JSON: {"tools": [...]}, ' +
        '{"<server>": {"tools": [...]}} or [{"server": ..., "tools": [...]}]): hidden characters, ' +
        "instructions aimed at the model, references to other tools or credential paths; each server's list is " +
        "hashed so a baseline pins it and a changed list is a new finding. No server is started",
    )
    .option(
      "--verify-alerting",
      "step 4, with --probe: wait for the proxy's refusal of a probe request to come out of the watcher " +
        "(agent-audit watch) as an alert in one of its file: sinks; nothing within the time limit fails step 4",
      false,
    )
    .option(
      "--verify-alerting-timeout <seconds>",
      "with --verify-alerting: how long to wait (default 90: the watcher sends an alert when its 60 s window closes)",
      parsePositiveInt,
      90,
    )
    .option(
      "--aws",
      "step 6, live: ask AWS IAM what the agent's AWS keys may do and have used (read-only calls; see `creds aws --help`); " +
        "the findings land at the key the inventory found",
      false,
    )
    .option(
      "--aws-profile <name>",
      "with --aws: the profile of <home>/.aws/credentials (default: the environment's keys)",
    )
    .option("--aws-endpoint-url <url>", "with --aws: send IAM and STS calls here")
    .option("--aws-region <region>", "with --aws: the signing region", "us-east-1")
    .option("--aws-window <days>", "with --aws: tracking window in days", parsePositiveInt, 90);
  addOutputOptions(cmd);
  addEgressOptions(cmd);
  cmd.addHelpText("after", EXIT_CODES);
  cmd.action(async (flags: ScanFlags) => {
    validateOutputFlags(flags);
    if (!flags.aws && (flags.awsProfile !== undefined || flags.awsEndpointUrl !== undefined))
      throw new UsageError("--aws-profile and --aws-endpoint-url go with --aws");
    if (flags.verifyAlerting && !flags.probe)
      throw new UsageError("--verify-alerting needs --probe: it looks for the probes' refused requests");
    if (flags.awsWindow > 400) throw new UsageError("--aws-window: IAM tracks at most 400 days");
    const progress = new Progress(io, flags.progress !== false);
    const { report, config } = await runScan(
      {
        ...sourceRequest(flags),
        ...(flags.failOn ? { failOn: flags.failOn } : {}),
        ...(flags.baseline !== undefined ? { baseline: flags.baseline } : {}),
        updateBaseline: flags.updateBaseline,
        ...(flags.verifyGates ? { verifyGates: true } : {}),
        ...(flags.mcpTools !== undefined ? { mcpTools: flags.mcpTools } : {}),
        ...(flags.verifyAlerting
          ? { verifyAlerting: { timeoutMs: flags.verifyAlertingTimeout * 1000 } }
          : {}),
        ...(flags.aws
          ? {
              aws: {
                ...(flags.awsProfile !== undefined ? { profile: flags.awsProfile } : {}),
                ...(flags.awsEndpointUrl !== undefined ? { endpoint: flags.awsEndpointUrl } : {}),
                region: flags.awsRegion,
                windowDays: flags.awsWindow,
              },
            }
          : {}),
      },
      appContext(io, { onFile: (bytes) => progress.tick(bytes), onInventoryDone: () => progress.done() }),
    );
    writeReports(report, flags, io, config);
    // The report's verdict decides: every format shows the same failing findings (issue 9).
    result.exitCode = verdictExitCode(report.verdict!, flags.exitZero);
  });
  return cmd;
}
