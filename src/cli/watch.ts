import { Command, Option } from "commander";
import { defaultStatePath, runWatch, type WatchSummary, watchSummaryText, watchTest } from "../app/watch.js";
import { escapeControls } from "../util/controls.js";
import { appContext } from "./flags.js";
import type { CliIo, CliResult } from "./io.js";
import { collect, parsePositiveInt } from "./options.js";

interface WatchFlags {
  source: string[];
  sink: string[];
  state?: string;
  config?: string;
  once: boolean;
  sendTest: boolean;
  fromEnd: boolean;
  window?: number;
  maxAlerts?: number;
  poll: number;
  retries: number;
}

const HELP = `
Sources (--source, repeatable):
  squid:PATH            squid's access log (native format): TCP_DENIED and other *_DENIED lines
  smokescreen:PATH      smokescreen's JSON log: CANONICAL-PROXY-DECISION lines with allow false
  sandbox-runtime:PATH  sandbox-runtime's debug log (SRT_DEBUG=1 srt ... 2>>PATH): blocked requests
  nftables:PATH         kernel log lines (kern.log, dmesg) with the prefix agent-audit fix gives the
                        firewall's drops ("agent-audit-egress: ")
  journal[:UNIT]        the systemd journal (journalctl -o json): the kernel's firewall lines, and
                        squid's and smokescreen's when UNIT names their service

Sinks (--sink, repeatable; default stdout):
  stdout                one JSON object per line
  file:PATH             the same, appended to PATH (created 0600; a link is refused)
  syslog                RFC 5424 through logger(1), facility auth, severity warning
  syslog:udp://HOST:PORT  RFC 5424 datagrams
  webhook:URL           a JSON POST per alert (no redirects followed; 10 s timeout)
  slack:URL             a Slack incoming-webhook message (values escaped: no mention, link or markup
                        from a logged URL reaches the channel)

One alert per destination (source, host, port) per window (--window, default 60 s), with the count
of denials it stands for; at most --max-alerts a minute, the rest folded into one summary alert.
Every sink has a queue on disk beside the state file: a sink that is down keeps its alerts (bounded:
10,000 or 50 MiB, the oldest dropped and counted) and gets them, in order, when it is back. The
position in every log is saved after each batch (rotation and truncation are followed), so a
restart resumes after the last line processed. URLs and names from the logs are redacted and their
control characters escaped before any sink sees them.

Without --source/--sink, the alerting: section of --config is used (agent-audit fix writes one to
/etc/agent-audit/agent-audit.yaml, with a systemd unit that runs this command).

Exit codes:
  0  done (--once: every alert delivered; --send-test: every sink took the test alert)
  1  --once: some alerts stay queued for the next run; --send-test: a sink failed
  2  usage or config error`;

/** `agent-audit watch`. */
export function command(io: CliIo, result: CliResult): Command {
  const cmd = new Command("watch").description(
    "Turn every egress request the proxy or the firewall denies into an alert someone sees (step 4): " +
      "follows squid, smokescreen, sandbox-runtime and firewall logs; alerts to stdout, a file, syslog, a webhook or Slack",
  );
  cmd
    .option("--source <kind:path>", "a log to follow (repeatable; see below)", collect, [])
    .option("--sink <sink>", "where alerts go (repeatable; see below)", collect, [])
    .option(
      "--state <file>",
      "positions and queues (default: /var/lib/agent-audit/watch/state.json as root, else ~/.local/state/agent-audit/watch/state.json)",
    )
    .option("--config <file>", "agent-audit.yaml whose alerting: section gives the sources, sinks and state")
    .option("--once", "process what is in the logs now, deliver, and exit (for cron and tests)", false)
    .option(
      "--send-test",
      "send one synthetic alert through every sink and exit (not `--test`: that name is Node's)",
      false,
    )
    .option("--from-end", "a log with no saved position starts at its end (default: its start)", false)
    .option(
      "--window <seconds>",
      "one alert per destination per this many seconds (default 60)",
      parsePositiveInt,
    )
    .option("--max-alerts <n>", "alerts per minute at most (default 30)", parsePositiveInt)
    .addOption(
      new Option("--poll <ms>", "how often the logs are read").argParser(parsePositiveInt).default(1000),
    )
    .addOption(
      new Option("--retries <n>", "--once: delivery retries per sink before alerts stay queued")
        .argParser((v) => parsePositiveInt(v))
        .default(2),
    );
  cmd.addHelpText("after", HELP);
  cmd.action(async (flags: WatchFlags) => {
    const ctx = appContext(io);
    const req = {
      sources: flags.source,
      sinks: flags.sink,
      ...(flags.state !== undefined ? { state: flags.state } : {}),
      ...(flags.config !== undefined ? { config: flags.config } : {}),
      once: flags.once,
      test: flags.sendTest,
      ...(flags.fromEnd ? { startAt: "end" as const } : {}),
      ...(flags.window !== undefined ? { windowSeconds: flags.window } : {}),
      ...(flags.maxAlerts !== undefined ? { maxAlertsPerMinute: flags.maxAlerts } : {}),
      pollMs: flags.poll,
      retries: flags.retries,
      stateDefault: defaultStatePath(process.getuid?.() === 0, io.homedir),
      sinkDeps: { stdout: { write: (s: string) => io.stdout(s) }, hostname: io.hostname },
      // Follow mode runs for days: a warning (a log that became unreadable) is printed when it happens.
      ...(flags.once
        ? {}
        : { onWarning: (m: string) => io.stderr(`agent-audit watch: warning: ${escapeControls(m)}\n`) }),
    };
    if (flags.sendTest) {
      const results = await watchTest(req, ctx);
      for (const r of results)
        io.stderr(
          `agent-audit watch --send-test: ${escapeControls(r.name)}: ${r.ok ? "sent" : `FAILED: ${escapeControls(r.error ?? "")}`}\n`,
        );
      result.exitCode = results.every((r) => r.ok) ? 0 : 1;
      return;
    }
    const stop = new AbortController();
    const onSignal = () => stop.abort();
    if (!flags.once) {
      process.once("SIGINT", onSignal);
      process.once("SIGTERM", onSignal);
    }
    let summary: WatchSummary;
    try {
      summary = await runWatch(req, ctx, stop.signal);
    } finally {
      process.removeListener("SIGINT", onSignal);
      process.removeListener("SIGTERM", onSignal);
    }
    io.stderr(watchSummaryText(summary));
    result.exitCode = summary.sinks.some((s) => s.pending > 0) ? 1 : 0;
  });
  return cmd;
}
