import { type Command, InvalidArgumentError, Option } from "commander";
import { SEVERITIES, type Severity, SOURCE_NAMES, type SourceName } from "../contract/types.js";

export function parseSeverity(v: string): Severity {
  if ((SEVERITIES as readonly string[]).includes(v)) return v as Severity;
  throw new InvalidArgumentError(`must be one of ${SEVERITIES.join(", ")}`);
}

export function parseSources(v: string): SourceName[] {
  const parts = v
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  if (parts.length === 0)
    throw new InvalidArgumentError(`must list at least one of ${SOURCE_NAMES.join(", ")}`);
  for (const p of parts) {
    if (!(SOURCE_NAMES as readonly string[]).includes(p)) {
      // The value is not echoed: it may be anything, a pasted secret too (issue 8).
      throw new InvalidArgumentError(`unknown source; choose from ${SOURCE_NAMES.join(", ")}`);
    }
  }
  return [...new Set(parts)] as SourceName[];
}

/** Sizes as bytes, or with a k/M/G suffix (powers of 1024). */
export function parseSize(v: string): number {
  const m = /^(\d+)\s*([kKmMgG]i?[bB]?)?$/.exec(v.trim());
  if (!m) throw new InvalidArgumentError("must be a size such as 1048576, 512k or 10M");
  const unit = (m[2] ?? "").toLowerCase()[0];
  const mult = unit === "k" ? 1024 : unit === "m" ? 1024 ** 2 : unit === "g" ? 1024 ** 3 : 1;
  return Number(m[1]) * mult;
}

export function parsePositiveInt(v: string): number {
  if (!/^\d+$/.test(v) || Number(v) <= 0) throw new InvalidArgumentError("must be a positive integer");
  return Number(v);
}

export function collect(v: string, prev: string[] = []): string[] {
  return [...prev, v];
}

/** `--workers`: a count (0 = none) or "auto". */
export function parseWorkers(v: string): number | "auto" {
  if (v === "auto") return "auto";
  if (!/^\d+$/.test(v) || Number(v) > 64)
    throw new InvalidArgumentError('must be "auto" or a number from 0 to 64');
  return Number(v);
}

/** `--ports 22,25,53` (or `none`): extra ports probed on every canary address. */
export function parsePorts(v: string): number[] {
  const text = v.trim();
  if (text === "" || text === "none") return [];
  const out: number[] = [];
  for (const part of text.split(",")) {
    const n = Number(part.trim());
    if (!/^\d{1,5}$/.test(part.trim()) || n < 1 || n > 65535) {
      throw new InvalidArgumentError(
        `"${part.trim()}" is not a port (1-65535); give a list such as 22,25,53 or none`,
      );
    }
    out.push(n);
  }
  return [...new Set(out)];
}

// Option groups (issue 9: an option shared by several commands is defined once, with one help
// text). Each command adds the groups it takes; the flags map to an app request in flags.ts.

/** Where the agent's environment comes from: scan, probe and baseline. */
export function addEnvironmentOptions(cmd: Command): Command {
  return cmd
    .option(
      "--environ <file>",
      "read the agent's environment from a file, as data only (a copy of /proc/PID/environ, or KEY=VALUE lines)",
    )
    .option("--env-pid <pid>", "read the agent's environment from /proc/<pid>/environ", parsePositiveInt)
    .option(
      "--no-env",
      "do not read any environment (no inventory of it, no proxy from HTTPS_PROXY / HTTP_PROXY / ALL_PROXY)",
    )
    .option(
      "--system-root <dir>",
      "prefix for system paths: /run/secrets, /proc, sockets, /etc/passwd; firewall evidence is read only when it is /",
      "/",
    );
}

/** What to inventory and where: shared by `scan` and `baseline`, so both see the same findings. */
export function addSourceOptions(cmd: Command): Command {
  cmd
    .option(
      "--demo",
      "scan the demo sandbox bundled in fixtures/ (fake home, tree, environment and system)",
      false,
    )
    .option("--home <dir>", "home directory to inventory (default: the user's home)")
    .option("--root <dir>", "working tree to scan (default: the current directory)");
  return addEnvironmentOptions(cmd)
    .option(
      "--sources <list>",
      `sources to run, comma-separated: ${SOURCE_NAMES.join(",")} (default: all). Agent runtime configs ` +
        "(step 5) are read from home (user), tree (project) and system (managed, under /etc)",
      parseSources,
    )
    .option(
      "--as-user <name|uid>",
      "evaluate readability as this user (from mode bits, groups, directory search permission)",
    )
    .option("--include-vcs", "scan .git and other version-control internals", false)
    .option("--include-deps", "scan node_modules and vendored dependency folders", false)
    .option("--include-binary", "scan files that look binary", false)
    .option(
      "--max-file-size <size>",
      "skip tree files larger than this (0 = no cap)",
      parseSize,
      10 * 1024 * 1024,
    )
    .option("--concurrency <n>", "files read at once", parsePositiveInt, 32)
    .option(
      "--workers <n|auto>",
      "worker threads for big working trees, beside the main thread (0 = none; auto = one per core but one, at most 3)",
      parseWorkers,
      "auto",
    );
}

/** The config file and progress: every command that scans. */
export function addRunOptions(cmd: Command): Command {
  return cmd
    .option("--config <file>", "agent-audit.yaml to use (default: <root>/agent-audit.yaml when present)")
    .option("--no-progress", "never show progress on stderr");
}

/** Report formats, files and the exit threshold: scan and probe. */
export function addOutputOptions(cmd: Command): Command {
  return addRunOptions(
    cmd
      .addOption(
        new Option("-f, --format <format>", "output format: table, json, sarif, junit, markdown").default(
          undefined,
          "table",
        ),
      )
      .option("-o, --output <file>", "write the report to a file instead of stdout")
      .option(
        "--report <format:path>",
        "also write a report in another format (repeatable), e.g. sarif:out.sarif",
        collect,
        [],
      )
      .option(
        "--fail-on <severity>",
        "lowest severity that fails the run: critical, high, medium, low, info (default: high)",
        parseSeverity,
      )
      .option("--exit-zero", "exit 0 even when findings are at or above --fail-on", false),
  );
}

/** The egress probes' targets and proxy: scan --probe, baseline --probe and probe. */
export function addEgressOptions(cmd: Command): Command {
  return cmd
    .option(
      "--canary <host:port>",
      "destination that must be unreachable (repeatable; IPv6 as [addr]:port)",
      collect,
      [],
    )
    .option(
      "--allowed-host <name>",
      "destination the agent legitimately needs, expected to work through the proxy (repeatable)",
      collect,
      [],
    )
    .option("--proxy <url>", "proxy to test (default: the agent's HTTPS_PROXY / HTTP_PROXY / ALL_PROXY)")
    .option("--timeout-ms <ms>", "timeout per probe in milliseconds (default: 2000)", parsePositiveInt)
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

export const EXIT_CODES = `
Exit codes:
  0  no finding at or above --fail-on (default: high), or --exit-zero
  1  at least one finding at or above --fail-on that is not in the baseline
  2  usage, config or runtime error`;
