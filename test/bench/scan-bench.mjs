#!/usr/bin/env node
// Tree-scan throughput of the built CLI (GitHub issue 2, "Speed").
//
//   npm run bench                      # 10,000 files / 100 MB (issue 2)
//   npm run bench -- --preset issue3   # 20,000 files / 200 MB (issue 3)
//   npm run bench -- --preset tokens   # 20,000 files / 181 MB of keyword-dense code (issue 15)
//   node test/bench/scan-bench.mjs [--preset issue2|issue3|tokens] [--files N] [--mb M] [--seed S] [--runs 3]
//                                  [--workers auto|N]   (passed to the scan; 0 = main thread only)
//                                  [--no-rg]            (skip the ripgrep runs)
//
// Generates (or reuses) a deterministic tree (gen-tree.mjs), runs `agent-audit scan` once to warm
// the page cache, then times `--runs` runs of the whole CLI process (startup and rule loading
// included) and prints the median. When ripgrep is installed, each run of agent-audit is followed by
// one run of `rg` per pattern set over the same tree (lib.mjs RG_SETS: four token shapes; the same
// with a case-insensitive assignment pattern instead of one shape), and the medians and the ratios
// are printed side by side. It prints numbers only: no timed assertion anywhere,
// because wall time depends on the machine and on whatever else runs on it.

import { generateTree, parseArgs } from "./gen-tree.mjs";
import { benchSideBySide, fmt, hasRipgrep, mb, median, printMachine, RG_SETS, summarise } from "./lib.mjs";

const argv = process.argv.slice(2);
let runs = 3;
const i = argv.indexOf("--runs");
if (i !== -1) {
  runs = Number(argv[i + 1]);
  argv.splice(i, 2);
}
let workers = "auto";
const w = argv.indexOf("--workers");
if (w !== -1) {
  workers = argv[w + 1];
  argv.splice(w, 2);
}
let ripgrep = true;
const n = argv.indexOf("--no-rg");
if (n !== -1) {
  ripgrep = false;
  argv.splice(n, 1);
}
const rgVersion = ripgrep ? hasRipgrep() : undefined;
const opts = parseArgs(argv.includes("--preset") ? argv : ["--preset", "issue2", ...argv]);
const manifest = generateTree(opts, (s) => console.error(s));

printMachine();
console.log(
  `tree: ${manifest.files} files (${manifest.textFiles} text, ${manifest.binaryFiles} binary), ` +
    `${fmt(mb(manifest.bytes))} MB; node_modules/ and .git/ (${manifest.skipped.files} files) are skipped`,
);
console.log(`scan threads: --workers ${workers} (auto: one worker per core beside the main thread)`);
if (ripgrep && !rgVersion) console.log("ripgrep: not installed (apt-get install ripgrep), its runs skipped");
const { times, rg, report } = benchSideBySide(manifest.dir, runs, {
  extra: ["--workers", workers],
  ripgrep: rgVersion !== undefined,
});
const s = summarise(report, manifest);
const med = median(times);
console.log(`runs (s): ${times.map((t) => fmt(t, 2)).join(", ")}  (after one warm-up run)`);
console.log(
  `median: ${fmt(med, 2)} s  ${Math.round(manifest.files / med)} files/s  ${fmt(mb(manifest.bytes) / med)} MB/s`,
);
if (rg) {
  console.log(`${rgVersion}, runs alternating with agent-audit's (s):`);
  for (const [name, ts] of Object.entries(rg)) {
    const rgMed = median(ts);
    console.log(
      `  ${name.padEnd(11)} (${RG_SETS[name].join("  ")}): ${ts.map((t) => fmt(t, 2)).join(", ")}; ` +
        `median ${fmt(rgMed, 2)} s, ${fmt(mb(manifest.bytes) / rgMed)} MB/s`,
    );
  }
  console.log(
    `side by side: agent-audit ${fmt(mb(manifest.bytes) / med)} MB/s (${fmt(med, 2)} s) | ` +
      Object.entries(rg)
        .map(
          ([name, ts]) =>
            `ripgrep ${name} ${fmt(mb(manifest.bytes) / median(ts))} MB/s: agent-audit takes ${fmt(med / median(ts), 2)}x its time`,
        )
        .join(" | "),
  );
}
console.log(
  `findings: ${s.findings} (${Object.entries(s.byRule)
    .map(([k, v]) => `${k} ${v}`)
    .join(", ")}); planted secrets found: ${s.planted} of ${manifest.planted.length} ` +
    `(only shapes with a rule can be found); findings in skipped dirs: ${s.inSkipped}`,
);
