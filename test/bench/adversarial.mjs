#!/usr/bin/env node
// Adversarial-input throughput of the content scan (GitHub issue 8: "linear in input size").
//
//   npm run bench:adversarial
//   node test/bench/adversarial.mjs [--only REGEX] [--mb 1] [--runs 3] [--limit-s 60] [--min-mbs 10]
//
// Each case is one file of about --mb MB, built to hurt the scanner: single long lines, keyword
// floods, 24,000 `"token":"..."` entries on one line, a single-line shell history, and near-misses
// for EVERY content rule of the loaded rule set (its first must-match example with its last third
// cut, repeated; and its keywords, repeated), plus the patterns named in issue 8. A file lists at
// most MAX_LISTED (100) findings per rule and counts the rest in one issue (issue 8), so a flood
// case expects min(n, 100) findings, that one issue, and n detections in all (listed + counted,
// read from the issue's message). Each file is
// scanned by the real CLI (`agent-audit scan --sources tree --no-env` on a temp tree, an empty home,
// `--workers 0`), in process, in a child process that has already run one warm-up scan: the time is
// the scan alone, without Node's start-up. It prints MB/s per case next to a normal generated tree
// (2,000 files, 20 MB). A case that runs longer than --limit-s seconds is killed and reported as
// failed. The run exits 1 when any case is under --min-mbs MB/s, times out, or finds a different
// number of findings, issues or detections than the case expects. Numbers only: no test asserts a
// time.

import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { generateTree, parseArgs as treeArgs, WORK_DIR } from "./gen-tree.mjs";
import { emptyHome, fmt, median, printMachine, REPO } from "./lib.mjs";

const SELF = fileURLToPath(import.meta.url);
const dist = (p) => pathToFileURL(join(REPO, "dist", "src", p)).href;

function options(argv) {
  const o = { only: undefined, mb: 1, runs: 3, limitS: 60, minMbs: 10, child: false, from: 0 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => argv[++i];
    if (a === "--only") o.only = new RegExp(next());
    else if (a === "--mb") o.mb = Number(next());
    else if (a === "--runs") o.runs = Number(next());
    else if (a === "--limit-s") o.limitS = Number(next());
    else if (a === "--min-mbs") o.minMbs = Number(next());
    else if (a === "--child") o.child = true;
    else if (a === "--from") o.from = Number(next());
    else throw new Error(`unknown argument ${a}`);
  }
  return o;
}

// Deterministic pseudo-random text (xorshift32): the same inputs on every run.
function rng(seed) {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s;
  };
}
const ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const B64 = `${ALNUM}+/`;
function chars(next, alphabet, n) {
  let out = "";
  for (let i = 0; i < n; i++) out += alphabet[next() % alphabet.length];
  return out;
}
/** A value the generic rule reports (letters alone read as a word). */
const value = (next) => `${chars(next, ALNUM, 21)}7Qz`;
/** A GitHub classic token shape, built at run time (its checksum is not valid). */
const ghToken = (next) => ["gh", "p_"].join("") + chars(next, ALNUM, 36);

/** `unit` repeated to about `bytes` bytes (whole units), then `tail`. */
function repeat(unit, bytes, tail = "") {
  return unit.repeat(Math.max(1, Math.floor(bytes / unit.length))) + tail;
}

/** Findings a file lists per rule (100); the rest are counted in one issue. */
const { MAX_LISTED } = await import(dist("capabilities/inventory/index.js"));

/**
 * What a file of `n` detections of one rule reports: min(n, MAX_LISTED) findings, and one issue
 * when more were found than listed; `detected` is n (listed + counted in the issue).
 */
const flood = (n) => ({ findings: Math.min(n, MAX_LISTED), issues: n > MAX_LISTED ? 1 : 0, detected: n });

/**
 * The cases: { name, file, make(): string | Buffer, expect?: number of findings, or { findings,
 * issues, detected } (see flood) }. Built the same way in the parent and in the child (which
 * regenerates each file just before scanning it).
 */
function cases(rules, mb) {
  const size = Math.round(mb * 1_000_000);
  const out = [];
  const add = (name, file, make, expect) =>
    out.push({ name, file, make, expect: typeof expect === "number" ? { findings: expect } : expect });
  const next = rng(8);
  const tok = ghToken(next);

  add("long line: base64 noise, token at the end", "blob.txt", () => chars(rng(1), B64, size) + ` ${tok}`, 1);
  add(
    "long line: 9 MB (read in chunks), token across the 4 MiB boundary",
    "big.min.js",
    () => {
      const b = Buffer.alloc(9_000_000, " ");
      b.write(tok, 4 * 1024 * 1024 - 20, "latin1");
      return b;
    },
    1,
  );
  add("keyword flood: `token ` x N, then a token", "flood.txt", () => repeat("token ", size, tok), 1);
  add(
    "keyword flood: `password=` x N, then a value",
    "flood2.txt",
    () => repeat("password=", size, `${value(rng(2))}\n`),
    1,
  );
  add(
    'json: 24k `"token":"x"` on one line',
    "short.json",
    () => `{${Array.from({ length: 24_000 }, (_, i) => `"token${i}":"x"`).join(",")}}`,
    0,
  );
  add(
    'json: 24k `"token":"<random>"` on one line (24k detections)',
    "many.json",
    () => {
      const r = rng(3);
      return `{${Array.from({ length: 24_000 }, (_, i) => `"token${i}":"${value(r)}"`).join(",")}}`;
    },
    flood(24_000),
  );
  add(
    "json: 24k random tokens on one line, marker at its end",
    "allowed.json",
    () => {
      const r = rng(3);
      return `{${Array.from({ length: 24_000 }, (_, i) => `"token${i}":"${value(r)}"`).join(",")}} // gitleaks:allow\n`;
    },
    0,
  );
  add(
    "json: 24k random tokens on one line, UTF-16LE with BOM",
    "utf16.json",
    () => {
      const r = rng(3);
      const text = `{${Array.from({ length: 24_000 }, (_, i) => `"token${i}":"${value(r)}"`).join(",")}}`;
      return Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, "utf16le")]);
    },
    flood(24_000),
  );
  add(
    "shell history: 1 line of `export API_TOKEN=<random>; `",
    ".bash_history",
    () => {
      const r = rng(4);
      const parts = [];
      let n = 0;
      while (n < size) {
        const p = `export API_TOKEN=${value(r)}; `;
        parts.push(p);
        n += p.length;
      }
      return parts.join("");
    },
    flood(Math.ceil(size / `export API_TOKEN=${value(rng(4))}; `.length)),
  );
  add(
    "NULs: every other byte (the NUL-stripped view), token at the end",
    "nuls.txt",
    () => Buffer.concat([Buffer.from(repeat("a\0b\0c\0 \0", size)), Buffer.from(` ${tok}\n`)]),
    1,
  );
  // The patterns named in issue 8 (34 s, 30 s, 2.8 s and 2.1 s per MB before).
  add("issue 8: `-ghs_1_eyJaaaaaaaa.bbbbbbbb.` x N", "ghs.txt", () =>
    repeat("-ghs_1_eyJaaaaaaaa.bbbbbbbb.", size),
  );
  add("issue 8: `asana_token: 1/` x N", "asana.txt", () => repeat("asana_token: 1/", size));
  add("issue 8: `-eyJ` x N", "eyj.txt", () => repeat("-eyJ", size));
  add("issue 8: `-ops_eyJ` x N", "ops.txt", () => repeat("-ops_eyJ", size));

  for (const rule of rules.content) {
    const ex = rule.examples.match[0];
    if (ex) {
      const cut = ex.slice(0, ex.length - Math.max(1, Math.floor(ex.length / 3)));
      add(`near-miss ${rule.id}: example cut by a third, x N`, "near.txt", () => repeat(`-${cut}`, size));
      add(`near-miss ${rule.id}: example cut, x N, no separator`, "near2.txt", () => repeat(cut, size));
    }
    add(`near-miss ${rule.id}: its keywords x N`, "kw.txt", () =>
      repeat(`${rule.keywords.join(" ")} `, size),
    );
  }
  return out;
}

/** Arguments of one in-process CLI scan of a tree, report to a JSON file. */
function scanArgs(root, output) {
  return [
    "scan",
    "--root",
    root,
    "--home",
    emptyHome(),
    "--no-env",
    "--sources",
    "tree",
    "--workers",
    "0",
    "--no-baseline",
    "--no-progress",
    "--format",
    "json",
    "--exit-zero",
    "--output",
    output,
  ];
}

// ---- child: scans cases from --from on, printing one JSON line per event ----

async function child(o) {
  const { runCli } = await import(dist("cli/program.js"));
  const { defaultRules } = await import(dist("rules/catalog.js"));
  const { runInventory } = await import(dist("capabilities/inventory/index.js"));
  const { selfAccess } = await import(dist("sources/access.js"));
  const work = mkdtempSync(join(tmpdir(), "aa-adversarial-"));
  const output = join(work, "report.json");
  const io = {
    stdout: () => {},
    stderr: () => {},
    env: {},
    cwd: work,
    homedir: emptyHome(),
    user: "bench",
    uid: 1000,
    hostname: "bench-host",
    stdoutIsTTY: false,
    stderrIsTTY: false,
  };
  const say = (x) => process.stdout.write(`${JSON.stringify(x)}\n`);
  // The whole CLI (walk, scan, findings, report, redaction of the output)...
  const run = async (root) => {
    const t0 = performance.now();
    const code = await runCli(scanArgs(root, output), io);
    const seconds = (performance.now() - t0) / 1000;
    const report = JSON.parse(readFileSync(output, "utf8"));
    // Detections in all: the listed findings plus those a flood issue counts (issue 8).
    let detected = report.findings.length;
    for (const issue of report.issues) {
      const m =
        /^\d+ \S+ findings(?: \([^)]*\))?: the first \d+ are listed, (\d+) more are counted here only$/.exec(
          issue.message,
        );
      if (m) detected += Number(m[1]);
    }
    return { code, seconds, findings: report.findings.length, issues: report.issues.length, detected };
  };
  // ...and the inventory alone (walk, read, detect), to tell the scan's time from the output's.
  const inventory = async (root) => {
    const home = emptyHome();
    const t0 = performance.now();
    await runInventory({
      sources: new Set(["tree"]),
      env: undefined,
      home,
      root,
      systemRoot: "/nonexistent-system-root",
      access: selfAccess("bench"),
      target: { home, root, user: "bench", hostname: "bench-host" },
      limits: {
        maxFileBytes: 10 * 1024 * 1024,
        includeBinary: false,
        includeVcs: false,
        includeDeps: false,
        exclude: [],
        concurrency: 32,
      },
    });
    return (performance.now() - t0) / 1000;
  };
  try {
    const empty = join(work, "empty");
    mkdirSync(empty);
    await run(empty); // warm-up: modules loaded, rules compiled
    if (o.from === -1) {
      // The normal tree (the generated one of test/bench/scan-bench.mjs, smaller).
      const m = generateTree(treeArgs(["--files", "2000", "--mb", "20"]));
      const times = [];
      const scans = [];
      let last;
      for (let i = 0; i < o.runs; i++) {
        last = await run(m.dir);
        times.push(last.seconds);
        scans.push(await inventory(m.dir));
      }
      say({
        normal: true,
        scanSeconds: median(scans),
        bytes: m.bytes,
        seconds: median(times),
        findings: last.findings,
        issues: last.issues,
      });
      return;
    }
    const list = cases(defaultRules(), o.mb);
    for (let i = o.from; i < list.length; i++) {
      const c = list[i];
      if (o.only && !o.only.test(c.name)) continue;
      const dir = join(work, `case-${i}`);
      mkdirSync(dir);
      const data = c.make();
      writeFileSync(join(dir, c.file), data);
      say({ start: i });
      const times = [];
      const scans = [];
      let last;
      for (let r = 0; r < o.runs; r++) {
        last = await run(dir);
        times.push(last.seconds);
        scans.push(await inventory(dir));
      }
      say({
        i,
        scanSeconds: median(scans),
        bytes: data.length,
        seconds: median(times),
        findings: last.findings,
        issues: last.issues,
        detected: last.detected,
        code: last.code,
      });
      rmSync(dir, { recursive: true, force: true });
    }
    say({ done: true });
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

// ---- parent: runs the child with a watchdog, prints the table ----

function runChild(o, from, onLine) {
  const args = [SELF, "--child", "--from", String(from), "--mb", String(o.mb), "--runs", String(o.runs)];
  if (o.only) args.push("--only", o.only.source);
  return new Promise((resolve) => {
    const p = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"] });
    let buf = "";
    let timer;
    let timedOut = false;
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(
        () => {
          timedOut = true;
          p.kill("SIGKILL");
        },
        o.limitS * 1000 * Math.max(1, o.runs),
      );
    };
    arm();
    p.stdout.on("data", (d) => {
      buf += d;
      let nl = buf.indexOf("\n");
      while (nl !== -1) {
        onLine(JSON.parse(buf.slice(0, nl)));
        buf = buf.slice(nl + 1);
        nl = buf.indexOf("\n");
      }
      arm();
    });
    // The scanner's stderr could quote hostile input: it is not echoed.
    p.stderr.resume();
    p.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, timedOut });
    });
  });
}

async function parent(o) {
  const { defaultRules } = await import(dist("rules/catalog.js"));
  const list = cases(defaultRules(), o.mb);
  printMachine();
  console.log(
    `adversarial cases: ${list.length} (${defaultRules().content.length} content rules); each scanned ` +
      `${o.runs}x in process (median), limit ${o.limitS} s per run, threshold ${o.minMbs} MB/s; 1 MB = 10^6 bytes`,
  );
  mkdirSync(WORK_DIR, { recursive: true });

  let normal;
  await runChild({ ...o, only: undefined }, -1, (x) => {
    if (x.normal) normal = x;
  });
  const normalMbs = normal ? normal.bytes / 1e6 / normal.seconds : Number.NaN;
  if (normal) {
    console.log(
      `normal tree (2,000 files, ${fmt(normal.bytes / 1e6)} MB, main thread only): ${fmt(normal.seconds, 3)} s, ` +
        `${fmt(normalMbs)} MB/s (inventory alone ${fmt(normal.bytes / 1e6 / normal.scanSeconds)} MB/s), ` +
        `${normal.findings} findings`,
    );
  }

  const results = new Map();
  let from = 0;
  let current = -1;
  while (from < list.length) {
    current = -1;
    let done = false;
    const { timedOut } = await runChild(o, from, (x) => {
      if (x.start !== undefined) current = x.start;
      else if (x.done) done = true;
      else if (x.i !== undefined) {
        results.set(x.i, x);
        current = -1;
      }
    });
    if (done) break;
    if (current === -1) {
      console.log(`child ended unexpectedly${timedOut ? " (timed out)" : ""}`);
      break;
    }
    results.set(current, { i: current, timedOut, failed: !timedOut });
    from = current + 1;
  }

  const failed = [];
  const rows = [];
  for (let i = 0; i < list.length; i++) {
    const c = list[i];
    if (o.only && !o.only.test(c.name)) continue;
    const r = results.get(i);
    if (!r) continue;
    if (r.timedOut || r.failed) {
      const why = r.timedOut ? `killed after ${o.limitS} s` : "the scan crashed";
      rows.push({ mbs: -1, line: `  FAIL  ${why.padStart(22)}  ${c.name}` });
      failed.push(`${c.name}: ${why}`);
      continue;
    }
    const mbs = r.bytes / 1e6 / r.seconds;
    const scanMbs = r.bytes / 1e6 / r.scanSeconds;
    const e = c.expect;
    const wrongs = [];
    if (e?.findings !== undefined && r.findings !== e.findings)
      wrongs.push(`${r.findings} findings, expected ${e.findings}`);
    if (e?.issues !== undefined && r.issues !== e.issues)
      wrongs.push(`${r.issues} issues, expected ${e.issues}`);
    if (e?.detected !== undefined && r.detected !== e.detected)
      wrongs.push(`${r.detected} detections, expected ${e.detected}`);
    const slow = mbs < o.minMbs;
    const mark = slow || wrongs.length ? "FAIL" : "ok  ";
    const expected = [];
    if (e?.findings !== undefined) expected.push(`${e.findings}`);
    if (e?.issues !== undefined) expected.push(`${e.issues} issue${e.issues === 1 ? "" : "s"}`);
    if (e?.detected !== undefined) expected.push(`${e.detected} detected`);
    const counted = e?.detected === undefined ? "" : `, issues ${r.issues}, detected ${r.detected}`;
    rows.push({
      mbs,
      line:
        `  ${mark}  ${fmt(mbs).padStart(7)} MB/s (inventory ${fmt(scanMbs).padStart(6)})  ${fmt(r.bytes / 1e6, 2).padStart(5)} MB  ${fmt(r.seconds, 3).padStart(7)} s  ` +
        `findings ${String(r.findings).padStart(5)}${counted}${expected.length ? ` (expected ${expected.join(", ")})` : ""}  ${c.name}`,
    });
    if (slow) failed.push(`${c.name}: ${fmt(mbs)} MB/s`);
    for (const w of wrongs) failed.push(`${c.name}: ${w}`);
  }
  console.log("slowest first (MB/s of the whole CLI run; in brackets, of the inventory alone):");
  rows.sort((a, b) => a.mbs - b.mbs);
  for (const r of rows) console.log(r.line);
  const scanned = rows.filter((r) => r.mbs >= 0);
  if (scanned.length) {
    console.log(
      `${rows.length} cases; slowest ${fmt(scanned[0].mbs)} MB/s, median ${fmt(median(scanned.map((r) => r.mbs)))} MB/s; ` +
        `normal tree ${fmt(normalMbs)} MB/s`,
    );
  }
  if (failed.length) {
    console.log(`FAILED (${failed.length}): under ${o.minMbs} MB/s, timed out or wrong counts:`);
    for (const f of failed) console.log(`  ${f}`);
    process.exitCode = 1;
  }
}

const o = options(process.argv.slice(2));
if (o.child) await child(o);
else await parent(o);
