import { Command } from "commander";
import { defaultScanRequest, runScan } from "../app/scan.js";
import { verdictExitCode } from "../report/policy.js";
import {
  appContext,
  type EgressFlags,
  type EnvironmentFlags,
  egressRequest,
  environmentSpec,
  type OutputFlags,
} from "./flags.js";
import type { CliIo, CliResult } from "./io.js";
import { addEgressOptions, addEnvironmentOptions, addOutputOptions } from "./options.js";
import { validateOutputFlags, writeReports } from "./output.js";

const HELP = `
Runs only the egress probes, from this network context: run it inside the agent's sandbox (for
example \`srt -- agent-audit probe\`). Probes trip the very alarms step 4 asks for, so they only run
when asked. Each sends at most a TCP handshake, a bare \`GET /\`, a \`CONNECT host:port\` or one DNS
question; never a secret. Proxy credentials in a URL go to that proxy only and are never printed.

Targets: rules/egress/*.yaml (documented canaries, cloud metadata endpoints, public resolvers). A
given --canary, --dns-resolver or --metadata list replaces that kind's defaults (the word "defaults"
adds them back); --no-default-targets drops every default that was not given. An --allowed-host is
NAME (CONNECT to 443, plain HTTP to 80), NAME:PORT (both to PORT) or *.NAME (probed as
agent-audit-probe.NAME; the apex NAME is probed too and reported when the proxy lets it through).

Posture (egress.posture in --format json):
  open                        direct egress works and no proxy is configured
  proxy-bypassable            a proxy is configured but direct egress still works
  kernel-enforced-no-proxy    direct egress is refused; no working allowlist proxy
  kernel-enforced-with-proxy  direct refused; the proxy refuses canaries and allows the allowed hosts
  unknown                     a probe could not run, or nothing shows the proxy forwards anything

Exit codes:
  0  no finding at or above --fail-on (default: high), or --exit-zero
  1  at least one finding at or above --fail-on
  2  usage, config or runtime error`;

interface ProbeFlags extends EnvironmentFlags, OutputFlags, EgressFlags {
  baseline?: string;
}

/** `agent-audit probe`: the egress probes alone, reported like `scan` (steps other than 2 and 3 skip). */
export function command(io: CliIo, result: CliResult): Command {
  const cmd = new Command("probe").description(
    "Probe egress from inside the sandbox: can a stolen secret leave directly (step 2), and does the proxy " +
      "refuse what is not allowlisted while letting the allowed hosts through (step 3)?",
  );
  addEnvironmentOptions(cmd).option(
    "--baseline <file>",
    "accepted findings: egress entries written by `agent-audit baseline --probe` do not fail the run",
  );
  addOutputOptions(cmd);
  addEgressOptions(cmd);
  cmd.addHelpText("after", HELP);
  cmd.action(async (flags: ProbeFlags) => {
    validateOutputFlags(flags);
    const { report, config } = await runScan(
      defaultScanRequest({
        systemRoot: flags.systemRoot,
        environment: environmentSpec(flags),
        inventory: false,
        egress: egressRequest(flags),
        ...(flags.failOn ? { failOn: flags.failOn } : {}),
        ...(flags.config !== undefined ? { config: flags.config } : {}),
        // Read only when named: probe has no working tree in which to look for one.
        baseline: flags.baseline ?? false,
      }),
      appContext(io),
    );
    writeReports(report, flags, io, config);
    result.exitCode = verdictExitCode(report.verdict!, flags.exitZero);
  });
  return cmd;
}
