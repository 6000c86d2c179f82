import { Command } from "commander";
import { verdictExitCode } from "../config/policy.js";
import { parsePorts } from "../probes/options.js";
import type { CliIo, CliResult } from "./io.js";
import { collect, parsePositiveInt } from "./options.js";
import { validateOutputFlags, writeReports } from "./output.js";
import { addEgressOptions, addOutputOptions, runScan, type ScanFlags } from "./scan.js";

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

/** Options beyond the shared egress ones; `scan --probe` gets them through addEgressOptions. */
export function addProbeTargetOptions(cmd: Command): Command {
  return cmd
    .option(
      "--dns-resolver <ip[:port]>",
      "outside DNS resolver that must be unreachable (repeatable; IPv6 as [addr]:port)",
      collect,
      [],
    )
    .option(
      "--metadata <host:port>",
      "cloud metadata endpoint that must be unreachable (repeatable)",
      collect,
      [],
    )
    .option(
      "--ports <list>",
      "extra ports probed on every canary address, comma-separated, or none (default: 22,25,53)",
      parsePorts,
    )
    .option("--no-default-targets", "use no default target from rules/egress/, only the ones given")
    .option("--no-firewall-evidence", "do not read nft / iptables-save / ip6tables-save");
}

interface ProbeFlags {
  format?: string;
  output?: string;
  report: string[];
  failOn?: ScanFlags["failOn"];
  exitZero: boolean;
  config?: string;
  progress: boolean;
  environ?: string;
  envPid?: number;
  env: boolean;
  systemRoot: string;
  canary: string[];
  allowedHost: string[];
  proxy?: string;
  timeoutMs?: number;
  baseline?: string;
}

/** `agent-audit probe`: the egress probes alone, reported like `scan` (steps other than 2 and 3 skip). */
export function probeCommand(io: CliIo, result: CliResult): Command {
  const cmd = new Command("probe")
    .summary("probe egress from this network context: can a stolen secret leave? (steps 2 and 3)")
    .description(
      "Probe egress from inside the sandbox: can a stolen secret leave directly (step 2), and does the proxy " +
        "refuse what is not allowlisted while letting the allowed hosts through (step 3)?",
    )
    .option(
      "--environ <file>",
      "read the agent's environment (its proxy variables) from a file, as data only (/proc/PID/environ or KEY=VALUE)",
    )
    .option("--env-pid <pid>", "read the agent's environment from /proc/<pid>/environ", parsePositiveInt)
    .option("--no-env", "ignore the environment (no proxy from HTTPS_PROXY / HTTP_PROXY / ALL_PROXY)")
    .option(
      "--system-root <dir>",
      "prefix for system paths; firewall evidence is read only when it is /",
      "/",
    )
    .option(
      "--baseline <file>",
      "accepted findings: egress entries written by `agent-audit baseline --probe` do not fail the run",
    );
  addOutputOptions(cmd);
  addEgressOptions(cmd);
  cmd.addHelpText("after", HELP);
  cmd.action(async (flags: ProbeFlags) => {
    const scanFlags: ScanFlags = {
      ...flags,
      includeVcs: false,
      includeDeps: false,
      includeBinary: false,
      maxFileSize: 0,
      concurrency: 1,
      // Read only when named: probe has no working tree in which to look for one.
      baseline: flags.baseline ?? false,
      demo: false,
      probe: true,
      progress: false,
    };
    validateOutputFlags(flags);
    const { report, config } = await runScan(scanFlags, io, { inventory: false, probe: true });
    writeReports(report, flags, io, config);
    result.exitCode = verdictExitCode(report.verdict!, flags.exitZero);
  });
  return cmd;
}
