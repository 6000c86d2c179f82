#!/usr/bin/env node
// Start-up cost of the built CLI (GitHub issue 9): the whole process for `--version`, `--help`
// and `scan --sources tree` of an empty tree (empty home, no environment), which is rule loading
// and module loading with nothing to scan. One warm-up run each, then the median of --runs runs.
//
//   npm run bench:startup
//   node test/bench/startup.mjs [--runs 15]
//
// It prints numbers only: no test asserts a time.

import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { WORK_DIR } from "./gen-tree.mjs";
import { agentAuditArgs, CLI, fmt, median, printMachine, timed } from "./lib.mjs";

const i = process.argv.indexOf("--runs");
const runs = i === -1 ? 15 : Number(process.argv[i + 1]);
if (!Number.isInteger(runs) || runs < 1) throw new Error("--runs takes a positive integer");

const tree = join(WORK_DIR, "tree-empty");
mkdirSync(tree, { recursive: true });
const cases = [
  ["node -e 0 (Node itself)", ["-e", "0"]],
  ["agent-audit --version", [CLI, "--version"]],
  ["agent-audit --help", [CLI, "--help"]],
  ["agent-audit scan --sources tree (empty tree)", agentAuditArgs(tree, join(WORK_DIR, "startup.json"))],
];

printMachine();
for (const [name, args] of cases) {
  timed(process.execPath, args);
  const times = [];
  for (let r = 0; r < runs; r++) times.push(timed(process.execPath, args).seconds);
  console.log(`${name}: median ${fmt(median(times) * 1000, 0)} ms over ${runs} runs`);
}
