#!/usr/bin/env node
// The keyword prefilter alone (src/detect/keywords.ts, issue 15): nanoseconds per byte of
// KeywordMatcher.find over a tree's text files, with the start positions the scan asks for (as
// scanBytes does) and without. Prints numbers, asserts nothing.
//
//   npm run build && node test/bench/keyword-bench.mjs [--dir DIR] [--mb 40] [--rounds 7]
//
// DIR defaults to the keyword-dense benchmark tree (`npm run bench -- --preset tokens` makes it).
// Files are read once into memory (up to --mb MB of text files: no NUL in the first 8,000 bytes);
// each round times every variant over all of them, alternating, and the median round is printed.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { ContentScanner } from "../../dist/src/detect/content.js";
import { defaultRules } from "../../dist/src/rules/catalog.js";
import { fmt, median, printMachine, REPO } from "./lib.mjs";

const argv = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = argv.indexOf(name);
  return i === -1 ? dflt : argv[i + 1];
};
const dir = opt("--dir", join(REPO, "test", "bench", ".work", "tree-20000-181mb-s42-tokens"));
const limit = Number(opt("--mb", 40)) * 1e6;
const rounds = Number(opt("--rounds", 7));

const scanner = new ContentScanner(defaultRules());
const bufs = [];
let total = 0;
(function walk(d) {
  for (const e of readdirSync(d, { withFileTypes: true })) {
    if (total >= limit) return;
    const p = join(d, e.name);
    if (e.isDirectory()) {
      if (e.name !== "node_modules" && e.name !== ".git") walk(p);
    } else if (e.isFile()) {
      const b = readFileSync(p);
      if (!b.subarray(0, 8000).includes(0)) {
        bufs.push(b);
        total += b.length;
      }
    }
  }
})(dir);
if (total === 0) {
  console.error(`no text files under ${dir} (generate it: npm run bench -- --preset tokens)`);
  process.exit(2);
}

printMachine();
console.log(`${bufs.length} text files, ${fmt(total / 1e6)} MB from ${dir}`);
const variants = {
  "find with positions (as the scan)": (b) => scanner.candidates(b, scanner.positionsRequest()).length,
  "find without positions": (b) => scanner.candidates(b).length,
};
const times = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
for (let r = 0; r < rounds; r++) {
  for (const [name, f] of Object.entries(variants)) {
    const t = performance.now();
    for (const b of bufs) f(b);
    times[name].push(performance.now() - t);
  }
}
for (const [name, ts] of Object.entries(times)) {
  const ms = median(ts);
  console.log(
    `${name}: median ${fmt(ms)} ms, ${fmt((ms * 1e6) / total, 2)} ns/byte, ${fmt(total / 1e3 / ms)} MB/s`,
  );
}
