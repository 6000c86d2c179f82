// `agent-audit gate verify` (issue 11): the CLI side. Maps flags to a GateVerifyRequest, renders
// the result as text or JSON, and sets the exit code. The app (and with it the inspectors) loads
// only when this subcommand runs: `gate hook` and `gate check` never pay for it.

import { type Command, InvalidArgumentError, Option } from "commander";
import type { GateVerifyResult, VerifiedGate } from "../app/gate-verify.js";
import type { SourceName } from "../contract/types.js";
import { UsageError } from "../util/errors.js";
import type { CliIo, CliResult } from "./io.js";
import { collect, parseSources } from "./options.js";

interface VerifyFlags {
  home?: string;
  root?: string;
  systemRoot: string;
  sources?: SourceName[];
  format: string;
  corpus: string[];
  /** commander's `--no-builtin-corpus`. */
  builtinCorpus: boolean;
  /** commander's `--no-codex`. */
  codex: boolean;
  hookTimeout?: number;
  config?: string;
}

const VERIFY_HELP = `
What it runs:
  Every PreToolUse command hook on Bash in the Claude Code settings and every BeforeTool command
  hook on run_shell_command in the Gemini CLI settings that the inspectors find under --home,
  --root and --system-root is run once per corpus command, with the runtime's own stdin JSON,
  through /bin/sh -c in the project directory (--root), with PATH, HOME (--home) and the locale as
  its environment. SECURITY: these hook commands come from config files the agent may be able to
  write; verify runs them exactly as the runtime would on every tool call, no more. Run it only
  where you would run the agent. The corpus commands are data on the hook's stdin: nothing runs them.
  Hooks run on this machine: with --system-root, a path in a hook command is this machine's, not
  the image's. An identical handler found in several settings files is run once, as Claude Code does.
  Codex rules files go through \`codex execpolicy check\` when the codex CLI is on PATH (with an
  empty CODEX_HOME).

How a hook's answer is judged (as the runtime judges it):
  Claude Code: exit 2 blocks; JSON on stdout (first non-blank character "{") decides with
  hookSpecificOutput.permissionDecision deny|ask (caught) or allow|defer (let through), or the
  legacy decision block|approve (continue false stops the call too). Any other exit without valid
  JSON, JSON that does not fit the schema, a timeout and a missing program (127) let the command
  through: the hook "fails open".
  Gemini CLI: exit 2 blocks; exit 0 with JSON decision deny|block is caught, allow is not; any other
  exit code only warns. Codex: forbidden and prompt are caught; allow and no matching rule are not.
  A dangerous command is caught when the gate asks or denies; a benign one not allowed is a false
  alarm. Each case may take the hook's own timeout, at most --hook-timeout; once a hook has timed
  out, its remaining cases are not run and count as timed out.

Exit codes:
  0  agent-audit's policy and every configured gate caught every dangerous command
  1  some gate (or the policy) let at least one dangerous command through, or a hook found was not
     replayed (at most 32 per run)
  2  usage or runtime error`;

function parseSeconds(v: string): number {
  if (!/^\d+(\.\d+)?$/.test(v) || Number(v) <= 0 || Number(v) > 600)
    throw new InvalidArgumentError("must be a number of seconds from 0 to 600");
  return Number(v);
}

/** Adds `verify` to the `gate` command. */
export function addVerifyCommand(gate: Command, io: CliIo, result: CliResult): void {
  const cmd = gate
    .command("verify")
    .description(
      "replay a corpus of dangerous and benign commands through agent-audit's policy and every gate configured " +
        "here (Claude Code and Gemini CLI hooks, Codex rules): catch rate per category and false alarms",
    )
    .option("--home <dir>", "home directory whose runtime configs are read (default: the user's home)")
    .option(
      "--root <dir>",
      "project whose runtime configs are read; hooks run in it (default: the current directory)",
    )
    .option(
      "--system-root <dir>",
      "prefix for system paths: managed runtime configs under /etc are read under it",
      "/",
    )
    .option(
      "--sources <list>",
      "where runtime configs are read from, comma-separated: home, tree, system (default: all)",
      parseSources,
    )
    .addOption(new Option("-f, --format <format>", "output format").choices(["text", "json"]).default("text"))
    .option(
      "--corpus <file>",
      "extra corpus: JSON lines {command, category, technique} (repeatable)",
      collect,
      [],
    )
    .option("--no-builtin-corpus", "replay only the --corpus files")
    .option("--no-codex", "do not run codex execpolicy check")
    .option(
      "--config <file>",
      "agent-audit.yaml whose gate: section (decisions, allow) adjusts agent-audit's policy, as gate hook --config does",
    )
    .option(
      "--hook-timeout <seconds>",
      "longest one hook may take per command (default 10; a hook's own shorter timeout wins)",
      parseSeconds,
    );
  cmd.addHelpText("after", VERIFY_HELP);
  cmd.action(async (flags: VerifyFlags) => {
    const { runGateVerify } = await import("../app/gate-verify.js");
    const wrong = flags.sources?.filter((s) => !["home", "tree", "system"].includes(s));
    if (wrong?.length)
      throw new UsageError(
        `--sources ${wrong.join(",")}: gate verify reads runtime configs only from home, tree, system`,
      );
    if (!flags.builtinCorpus && !flags.corpus.length)
      throw new UsageError("--no-builtin-corpus needs --corpus FILE", "give the corpus to replay");
    const verified = await runGateVerify(
      {
        ...(flags.home !== undefined ? { home: flags.home } : {}),
        ...(flags.root !== undefined ? { root: flags.root } : {}),
        systemRoot: flags.systemRoot,
        ...(flags.sources ? { sources: flags.sources } : {}),
        corpus: flags.corpus,
        builtin: flags.builtinCorpus,
        ...(flags.codex ? {} : { codexBin: false as const }),
        ...(flags.config !== undefined ? { config: flags.config } : {}),
        ...(flags.hookTimeout !== undefined ? { timeoutCapMs: Math.round(flags.hookTimeout * 1000) } : {}),
      },
      { cwd: io.cwd, env: io.env, homedir: io.homedir },
    );
    io.stdout(
      flags.format === "json" ? `${JSON.stringify(verifyJson(verified), null, 2)}\n` : verifyText(verified),
    );
    result.exitCode = verified.ok ? 0 : 1;
  });
}

/** The JSON report: the result, with rates. */
export function verifyJson(r: GateVerifyResult): unknown {
  const gate = (g: VerifiedGate) => ({
    kind: g.kind,
    runtime: g.runtime,
    name: g.name,
    ...(g.file ? { file: g.file, key: g.key } : {}),
    ...(g.files ? { files: g.files } : {}),
    ...(g.timeoutMs !== undefined ? { timeoutMs: g.timeoutMs } : {}),
    categories: g.score.categories.map((c) => ({ ...c, catchRate: rate(c.caught, c.total) })),
    dangerous: { ...g.score.dangerous, catchRate: rate(g.score.dangerous.caught, g.score.dangerous.total) },
    benign: { ...g.score.benign, falseAlarmRate: rate(g.score.benign.falseAlarms, g.score.benign.total) },
    missedCategories: g.missedCategories,
    failsOpen: g.failsOpen,
    failedOpen: g.score.failedOpen,
    medianMs: g.medianMs,
    maxMs: g.maxMs,
    misses: g.score.misses,
    falseAlarms: g.score.falseAlarms,
  });
  return {
    corpus: r.corpus,
    ok: r.ok,
    policy: gate(r.policy),
    gates: r.gates.map(gate),
    codex: r.codex,
    notVerified: r.notVerified,
  };
}

function rate(n: number, of: number): number {
  return of ? Math.round((n / of) * 10000) / 10000 : 0;
}

const pct = (n: number, of: number) => `${of ? Math.round((n / of) * 1000) / 10 : 0}%`;
/** At most this many missed commands are listed per gate in text. */
const TEXT_MISSES = 10;

function gateText(g: VerifiedGate): string[] {
  const head =
    g.kind === "policy"
      ? g.name
      : g.kind === "hook"
        ? `${g.runtime} hook ${JSON.stringify(g.name.length > 120 ? `${g.name.slice(0, 120)}…` : g.name)} (${g.file} ${g.key}, timeout ${(g.timeoutMs ?? 0) / 1000} s)`
        : `${g.name} (${(g.files ?? []).join(", ")})`;
  const d = g.score.dangerous;
  const b = g.score.benign;
  const width = Math.max(...g.score.categories.map((c) => c.category.length), 8);
  const lines = [
    head,
    `  dangerous caught ${d.caught}/${d.total} (${pct(d.caught, d.total)}); false alarms ${b.falseAlarms}/${b.total} benign (${pct(b.falseAlarms, b.total)}); median ${g.medianMs} ms, max ${g.maxMs} ms`,
    ...g.score.categories.map(
      (c) =>
        `  ${c.category.padEnd(width)}  ${`${c.caught}/${c.total}`.padStart(7)}  ${pct(c.caught, c.total).padStart(6)}${c.missed ? "  MISSED" : ""}`,
    ),
  ];
  if (g.failsOpen)
    lines.push(
      `  FAILS OPEN: ${Object.entries(g.score.failedOpen)
        .map(([o, n]) => `${o} ${n}`)
        .join(", ")} (the runtime lets these commands through)`,
    );
  for (const m of g.score.misses.slice(0, TEXT_MISSES))
    lines.push(`  missed: ${JSON.stringify(m.command)} (${m.category}, ${m.technique || "?"}, ${m.outcome})`);
  if (g.score.misses.length > TEXT_MISSES)
    lines.push(`  ... and ${g.score.misses.length - TEXT_MISSES} more (--format json lists every one)`);
  return lines;
}

/** The text report. */
export function verifyText(r: GateVerifyResult): string {
  const codex = {
    checked: "Codex rules: checked with codex execpolicy check",
    "no-rules": "Codex rules: none found",
    "not-installed": "Codex rules: found, not checked (the codex CLI is not on PATH)",
    skipped: "Codex rules: not checked (--no-codex)",
  }[r.codex];
  const failing = [r.policy, ...r.gates].filter((g) => g.score.dangerous.missed > 0).length;
  const out = [
    `agent-audit gate verify: ${r.corpus.cases} commands (${r.corpus.dangerous} dangerous, ${r.corpus.benign} benign) from ${r.corpus.files.join(", ")}`,
    "",
    ...gateText(r.policy),
    "",
    ...(r.gates.length
      ? r.gates.flatMap((g) => [...gateText(g), ""])
      : [
          "no configured gate found (Claude Code PreToolUse or Gemini CLI BeforeTool hooks on the shell tool)",
          "",
        ]),
    codex,
    ...(r.notVerified
      ? [
          `${r.notVerified} more hook${r.notVerified === 1 ? "" : "s"} found, not replayed (over the cap of hooks per run), so not known to catch anything`,
        ]
      : []),
    r.ok
      ? "Result: every gate caught every dangerous command"
      : `Result: ${failing} of ${r.gates.length + 1} gates let dangerous commands through`,
  ];
  return `${out.join("\n")}\n`;
}
