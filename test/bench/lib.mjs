// Shared helpers for the benchmark scripts: run a command, time it, describe the machine.
// Benchmarks print numbers; nothing here asserts a time.

import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync } from "node:fs";
import { cpus, loadavg, platform, release, totalmem } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { WORK_DIR } from "./gen-tree.mjs";

export const REPO = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const CLI = join(REPO, "dist", "src", "cli", "bin.js");
/** The installed command, as package.json's bin names it (the CommonJS launcher with the hook's fast path). */
export const INSTALLED = join(
  REPO,
  JSON.parse(readFileSync(join(REPO, "package.json"), "utf8")).bin["agent-audit"],
);

/** An empty home directory, so the benchmark never reads this machine's real home. */
export function emptyHome() {
  const dir = join(WORK_DIR, "home-empty");
  mkdirSync(dir, { recursive: true });
  return dir;
}

/**
 * Runs a command to completion and returns its wall time in seconds. Throws on a bad exit. With
 * `timeoutMs`, a run that takes longer is killed and reported as `{ timedOut: true }`.
 */
export function timed(cmd, args, { cwd = REPO, okStatus = [0], timeoutMs } = {}) {
  const t0 = performance.now();
  const r = spawnSync(cmd, args, {
    cwd,
    encoding: "utf8",
    maxBuffer: 256 * 1024 * 1024,
    timeout: timeoutMs,
    killSignal: "SIGKILL",
  });
  const seconds = (performance.now() - t0) / 1000;
  if (timeoutMs !== undefined && r.signal === "SIGKILL") return { seconds, status: null, timedOut: true };
  if (r.error) throw r.error;
  if (!okStatus.includes(r.status)) {
    // The tools' own stderr may quote file content: print only the status and the command.
    throw new Error(`${cmd} ${args.slice(0, 2).join(" ")} … exited with ${r.status ?? r.signal}`);
  }
  return { seconds, status: r.status };
}

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** The agent-audit command line for a tree scan (tree source only, empty home, no environment). */
export function agentAuditArgs(tree, output, extra = []) {
  return [
    CLI,
    "scan",
    "--root",
    tree,
    "--home",
    emptyHome(),
    "--no-env",
    "--sources",
    "tree",
    "--format",
    "json",
    "--exit-zero",
    "--no-baseline",
    "--output",
    output,
    ...extra,
  ];
}

/** One warm-up run (fills the page cache), then `runs` timed runs. */
export function benchAgentAudit(
  tree,
  runs,
  { output = join(WORK_DIR, "agent-audit-report.json"), extra = [] } = {},
) {
  const args = agentAuditArgs(tree, output, extra);
  timed(process.execPath, args);
  const times = [];
  for (let i = 0; i < runs; i++) times.push(timed(process.execPath, args).seconds);
  const report = JSON.parse(readFileSync(output, "utf8"));
  return { times, report };
}

/**
 * ripgrep over the same tree with four patterns, skipping node_modules/ and .git/ as agent-audit
 * does (binary files skipped by ripgrep's own NUL check), on as many threads as it likes: a
 * yardstick for "how fast can a tree be grepped here". Two sets, because the ratio depends on them
 * more than on anything else: `shapes`, four token shapes with literal prefixes (an AWS key id, a
 * GitHub token, a PEM private key header, a Slack token), which ripgrep finds with its literal
 * prefilter at memory speed; and `assignments`, the same with the Slack shape replaced by a
 * case-insensitive `password|secret|token … = value` assignment, which makes ripgrep run its regex
 * at every keyword, as agent-audit's generic rule does.
 */
export const RG_SETS = {
  shapes: [
    "AKIA[0-9A-Z]{16}",
    "gh[pousr]_[A-Za-z0-9]{36}",
    "-----BEGIN [A-Z ]*PRIVATE KEY-----",
    "xox[bpas]-[0-9A-Za-z-]{10,}",
  ],
  assignments: [
    "AKIA[0-9A-Z]{16}",
    "gh[pousr]_[A-Za-z0-9]{36}",
    "-----BEGIN [A-Z ]*PRIVATE KEY-----",
    "(?i)(password|secret|token)[\\w.-]{0,20}[\"']?\\s*[:=]\\s*[\"']?[^\\s\"']{8,}",
  ],
};
export function ripgrepArgs(tree, patterns) {
  return [
    "--no-ignore",
    "--glob",
    "!node_modules/",
    "--count-matches",
    ...patterns.flatMap((p) => ["-e", p]),
    tree,
  ];
}
/** ripgrep's version line, or undefined when `rg` is not installed. */
export function hasRipgrep() {
  const r = spawnSync("rg", ["--version"], { encoding: "utf8" });
  return r.status === 0 ? r.stdout.split("\n")[0] : undefined;
}

/**
 * agent-audit and ripgrep (each pattern set) over one tree, alternately: one warm-up run each, then
 * `runs` rounds of one timed run of each, so all see the same load. `rg` maps each set to its
 * times; it is undefined without ripgrep.
 */
export function benchSideBySide(
  tree,
  runs,
  { output = join(WORK_DIR, "agent-audit-report.json"), extra = [], ripgrep = true } = {},
) {
  const args = agentAuditArgs(tree, output, extra);
  const sets = ripgrep ? Object.entries(RG_SETS).map(([name, p]) => [name, ripgrepArgs(tree, p)]) : [];
  timed(process.execPath, args);
  for (const [, a] of sets) timed("rg", a, { okStatus: [0, 1] });
  const times = [];
  const rg = ripgrep ? Object.fromEntries(sets.map(([name]) => [name, []])) : undefined;
  for (let i = 0; i < runs; i++) {
    times.push(timed(process.execPath, args).seconds);
    for (const [name, a] of sets) rg[name].push(timed("rg", a, { okStatus: [0, 1] }).seconds);
  }
  const report = JSON.parse(readFileSync(output, "utf8"));
  return { times, rg, report };
}

export function machine() {
  const c = cpus();
  return {
    cpus: c.length,
    cpuModel: c[0]?.model ?? "unknown",
    memGB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    os: `${platform()} ${release()}`,
    loadavg: loadavg().map((x) => x.toFixed(2)),
  };
}

export function printMachine() {
  const m = machine();
  console.log(`machine: ${m.cpus} CPUs (${m.cpuModel}), ${m.memGB} GB RAM, node ${m.node}, ${m.os}`);
  console.log(`load average before the runs: ${m.loadavg.join(" ")} (other processes skew wall times)`);
}

/** Counts by rule id, and how many of the planted secrets (by path and line) were found. */
export function summarise(report, manifest) {
  const byRule = {};
  for (const f of report.findings) byRule[f.ruleId] = (byRule[f.ruleId] ?? 0) + 1;
  const at = new Set(report.findings.map((f) => `${f.location.path}:${f.location.line}`));
  const planted = manifest.planted.filter((p) => at.has(`${p.path}:${p.line}`)).length;
  const inSkipped = report.findings.filter((f) =>
    /(^|\/)(node_modules|\.git)\//.test(f.location.path),
  ).length;
  return { findings: report.findings.length, byRule, planted, inSkipped };
}

export const mb = (bytes) => bytes / 1e6;
export const fmt = (x, d = 1) => x.toFixed(d);
