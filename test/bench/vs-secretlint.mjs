#!/usr/bin/env node
// agent-audit vs secretlint on the same tree (GitHub issue 3): 20,000 files / 200 MB by default.
//
//   npm run bench:secretlint
//   node test/bench/vs-secretlint.mjs [--preset issue2|issue3] [--runs 3] [--secretlint-runs 1]
//                                     [--secretlint-limit 480]   (seconds)
//
// What each tool scans, on the same tree:
// - agent-audit: `scan --sources tree` walks every file under the root except node_modules/ and .git/
//   (and other dependency/VCS folders, none in this tree); a file whose first 8,000 bytes contain a
//   NUL is treated as binary and not scanned; files over 10 MiB are skipped (none here). Every text
//   file runs through a keyword prefilter and the content rules in rules/secrets/.
// - secretlint (devDependency, with @secretlint/secretlint-rule-preset-recommend): `secretlint "**/*"`
//   with cwd = the tree; its defaults ignore **/.git/** and **/node_modules/**; it skips binary
//   files (istextorbinary: by extension, then by content) and runs every rule of the preset on each
//   text file.
// Both see the same 20,000 files and skip the same folders. Page cache: agent-audit's warm-up run
// reads the whole tree first, so both tools run warm. secretlint is slow on 200 MB, so it runs once
// by default (--secretlint-runs to change). Numbers only: no timed assertion.

import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { generateTree, parseArgs, WORK_DIR } from "./gen-tree.mjs";
import { benchAgentAudit, fmt, mb, median, printMachine, REPO, summarise, timed } from "./lib.mjs";

const argv = process.argv.slice(2);
const take = (flag, dflt) => {
  const i = argv.indexOf(flag);
  if (i === -1) return dflt;
  const v = Number(argv[i + 1]);
  argv.splice(i, 2);
  return v;
};
const runs = take("--runs", 3);
const slRuns = take("--secretlint-runs", 1);
// Keeps the whole bench under ~10 minutes: a secretlint run still going after this is stopped, and
// its throughput reported as an upper bound (so the ratio is a lower bound).
const slLimitS = take("--secretlint-limit", 480);
const opts = parseArgs(argv.includes("--preset") ? argv : ["--preset", "issue3", ...argv]);
const manifest = generateTree(opts, (s) => console.error(s));
const tree = manifest.dir;

printMachine();
console.log(
  `tree: ${manifest.files} files (${manifest.textFiles} text, ${manifest.binaryFiles} binary), ` +
    `${fmt(mb(manifest.bytes))} MB; node_modules/ and .git/ (${manifest.skipped.files} files) skipped by both`,
);

// agent-audit
const aa = benchAgentAudit(tree, runs);
const aaMed = median(aa.times);
const s = summarise(aa.report, manifest);

// secretlint, once (or --secretlint-runs), with the recommended preset; config kept outside the tree.
const rc = join(WORK_DIR, "secretlintrc.json");
writeFileSync(rc, `${JSON.stringify({ rules: [{ id: "@secretlint/secretlint-rule-preset-recommend" }] })}\n`);
const slOut = join(WORK_DIR, "secretlint-report.json");
const slBin = join(REPO, "node_modules", "secretlint", "bin", "secretlint.js");
const slTimes = [];
let slTimedOut = false;
rmSync(slOut, { force: true });
for (let i = 0; i < slRuns && !slTimedOut; i++) {
  // Exit status 0: with --output, secretlint exits 0 even when it finds something.
  const args = [slBin, "**/*", "--secretlintrc", rc, "--format", "json", "--output", slOut];
  const r = timed(process.execPath, args, { cwd: tree, timeoutMs: slLimitS * 1000 });
  slTimes.push(r.seconds);
  slTimedOut = r.timedOut === true;
}
const sl = slTimedOut ? undefined : JSON.parse(readFileSync(slOut, "utf8"));
const slMed = median(slTimes);

const row = (name, t) =>
  `${name.padEnd(12)} ${fmt(t, 2).padStart(8)} s ${String(Math.round(manifest.files / t)).padStart(8)} files/s ${fmt(mb(manifest.bytes) / t).padStart(8)} MB/s`;
console.log(`agent-audit runs (s): ${aa.times.map((t) => fmt(t, 2)).join(", ")} (after one warm-up run)`);
console.log(
  `secretlint runs (s): ${slTimes.map((t) => fmt(t, 2)).join(", ")}` +
    (slTimedOut ? ` (stopped at the ${slLimitS} s limit: its numbers below are upper bounds)` : ""),
);
console.log(row("agent-audit", aaMed));
console.log(row(slTimedOut ? "secretlint <" : "secretlint", slMed));
console.log(`throughput ratio (agent-audit / secretlint): ${slTimedOut ? ">" : ""}${fmt(slMed / aaMed)}x`);
const slFound = sl
  ? `secretlint ${sl.reduce((n, r) => n + r.messages.length, 0)} messages in ` +
    `${sl.filter((r) => r.messages.length).length} files (${sl.length} files listed)`
  : "secretlint did not finish";
console.log(
  `findings: agent-audit ${s.findings} (planted found: ${s.planted} of ${manifest.planted.length}); ${slFound}`,
);
