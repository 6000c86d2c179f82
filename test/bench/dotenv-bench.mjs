#!/usr/bin/env node
// Speed of the structural dotenv parser (issue 15), on the built dist modules:
//
//   npm run build && node test/bench/dotenv-bench.mjs [--dir DIR] [--passes 15] [--dump FILE] [--dist DIR]
//
// --dist DIR runs another build's dist/ (a checkout of an older commit, built), for before/after.
//
// (a1) the *.env files of a benchmark tree (--dir; default: the keyword-dense tree that
//      `node test/bench/scan-bench.mjs --preset tokens` generates, skipped when it is missing) and
//      (a2) a generated set like them with some secrets in (200 files of 2-16 KB of KEY=VALUE
//      lines), each through parseDotenvFile as the tree scan calls it: MB/s over --passes passes
//      after a warm-up (the median pass and the fastest), and the parser alone (parseDotenvText,
//      and parseDotenvVars where the build has it);
// (b) hostile inputs (one 1 MB variable, 100,000 tiny variables, long names, one name repeated,
//     10,000 secrets): the time of each, to show the parser stays linear;
// (c) a SHA-256 of every detection (rule, secret, line, name, in order) per set, so that two builds
//     can be checked for identical results; --dump FILE writes those detections (with their
//     secrets: all of them generated fakes) as JSON for a diff.
//
// It prints numbers only: nothing here asserts a time.

import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { fmt, median, printMachine, REPO } from "./lib.mjs";

function options(argv) {
  const o = {
    dir: join(REPO, "test", "bench", ".work", "tree-20000-181mb-s42-tokens"),
    passes: 15,
    dump: undefined,
    dist: join(REPO, "dist"),
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--dir") o.dir = argv[++i];
    else if (a === "--passes") o.passes = Number(argv[++i]);
    else if (a === "--dump") o.dump = argv[++i];
    else if (a === "--dist") o.dist = argv[++i];
    else throw new Error(`unknown option ${a}`);
  }
  if (!Number.isInteger(o.passes) || o.passes < 1) throw new Error("--passes takes a positive integer");
  return o;
}

const opts = options(process.argv.slice(2));
const dist = (p) => pathToFileURL(join(opts.dist, "src", p)).href;
const { parseDotenvFile } = await import(dist("detect/parsers/dotenv.js"));
const envText = await import(dist("detect/env-text.js"));
const { parseDotenvText } = envText;

/** Every *.env file under a directory, sorted by path. */
function envFiles(dir) {
  const out = [];
  const walk = (d) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile() && e.name.endsWith(".env")) out.push(p);
    }
  };
  walk(dir);
  return out.sort();
}

/** A deterministic set like the tree's .env files (mulberry32). */
function generated() {
  let s = 42;
  const rnd = () => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n) => Math.floor(rnd() * n);
  const WORDS = "config,buffer,token,secret,client,server,session,request,payload,logger,cache,model,index"
    .concat(",name,value,state,queue,metrics,handler,reader,writer,stream,event,parent,child,page,port")
    .split(",");
  const pick = (a) => a[int(a.length)];
  const alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  const rand = (n) => Array.from({ length: n }, () => alnum[int(alnum.length)]).join("");
  const files = [];
  for (let f = 0; f < 200; f++) {
    const lines = [];
    let n = 0;
    const size = 2000 + int(14000);
    while (n < size) {
      const k = `${pick(WORDS)}${int(2) ? pick(WORDS) : ""}`.toUpperCase();
      const v = [
        String(int(10000)),
        pick(WORDS),
        `${pick(WORDS)}-${pick(WORDS)}.internal`,
        `/var/lib/${pick(WORDS)}/${pick(WORDS)}`,
        int(2) ? "true" : "false",
        `\${${pick(WORDS).toUpperCase()}_${pick(WORDS).toUpperCase()}}`,
      ][int(6)];
      let line = `${k}=${v}`;
      // About one line in 130 a secret (fakes made here; the prefix assembled at run time).
      const x = int(400);
      if (x === 0) line = `API_TOKEN=${rand(40)}`;
      else if (x === 1) line = `GITHUB_TOKEN=${["gh", "p_"].join("")}${rand(36)}`;
      else if (x === 2) line = `DATABASE_URL=postgres://app:${rand(16)}@db.internal:5432/app`;
      lines.push(line);
      n += line.length + 1;
    }
    files.push({ path: `gen/${f}.env`, text: `${lines.join("\n")}\n` });
  }
  return files;
}

printMachine();
const sets = [];
if (existsSync(opts.dir)) {
  const files = envFiles(opts.dir).map((p) => ({
    path: p.slice(opts.dir.length + 1),
    text: readFileSync(p, "utf8"),
  }));
  sets.push({ label: `${files.length} .env files of ${opts.dir}`, files });
} else
  console.log(
    `\n(${opts.dir} is missing: generate it with \`node test/bench/scan-bench.mjs --preset tokens\`)`,
  );
sets.push({ label: "200 generated .env files (some secrets)", files: generated() });

const all = [];
for (const [i, set] of sets.entries()) {
  const inputs = set.files;
  console.log(`\n(a${i + 1}) ${set.label}`);
  const bytes = inputs.reduce((n, f) => n + Buffer.byteLength(f.text), 0);
  const vars = inputs.reduce((n, f) => n + Object.keys(parseDotenvText(f.text)).length, 0);
  console.log(`    ${fmt(bytes / 1e6, 2)} MB, ${vars} variables`);
  const pass = (fn) => {
    const t0 = process.hrtime.bigint();
    for (const f of inputs) fn(f);
    return Number(process.hrtime.bigint() - t0) / 1e6;
  };
  const report = (label, fn) => {
    for (let w = 0; w < 5; w++) pass(fn); // warm-up
    const ms = Array.from({ length: opts.passes }, () => pass(fn));
    const med = median(ms);
    const best = Math.min(...ms);
    console.log(
      `    ${label.padEnd(22)} median ${fmt(med, 1).padStart(6)} ms (${fmt(bytes / 1e3 / med, 1).padStart(6)} MB/s), fastest ${fmt(best, 1).padStart(6)} ms (${fmt(bytes / 1e3 / best, 1).padStart(6)} MB/s)`,
    );
  };
  report("parseDotenvFile", (f) => parseDotenvFile({ text: f.text, path: f.path }));
  report("parseDotenvText only", (f) => parseDotenvText(f.text));
  // The Map the parser reads since issue 15 (absent from older builds).
  if (envText.parseDotenvVars) report("parseDotenvVars only", (f) => envText.parseDotenvVars(f.text));
  // ---- (c) the detections, for comparing builds
  const found = [];
  for (const f of inputs) {
    for (const d of parseDotenvFile({ text: f.text, path: f.path }).detections) {
      found.push({
        path: f.path,
        ruleId: d.ruleId,
        viaRuleId: d.viaRuleId,
        provider: d.provider,
        type: d.type,
        severity: d.severity,
        name: d.name,
        line: d.line,
        secret: d.secret,
      });
    }
  }
  const hash = createHash("sha256").update(JSON.stringify(found)).digest("hex");
  console.log(`    ${found.length} detections, sha256 ${hash.slice(0, 16)}`);
  all.push(...found);
}

// ---- (b) hostile inputs
console.log("\n(b) hostile inputs (one parse each, fastest of 3)");
const hostile = [
  ["one 1 MB variable", `API_TOKEN=${"aB3".repeat(350_000)}\n`],
  ["one 1 MB unquoted URL", `X=https://u:${"p".repeat(1_000_000)}@h\n`],
  ["one 1 MB open quote", `API_TOKEN="${'a\\"'.repeat(330_000)}\n`],
  ["100,000 tiny variables", Array.from({ length: 100_000 }, (_, i) => `V${i}=${i}`).join("\n")],
  ["100,000 tiny secrets-named", Array.from({ length: 100_000 }, (_, i) => `SECRET_${i}=x${i}`).join("\n")],
  ["one name 100,000 times", "PASSWORD=abc\n".repeat(100_000)],
  [
    "1,000 names of 1,000 chars",
    Array.from({ length: 1000 }, (_, i) => `${"A_".repeat(500)}${i}_TOKEN=v`).join("\n"),
  ],
  [
    "10,000 random API keys",
    Array.from(
      { length: 10_000 },
      (_, i) => `SVC_${i}_API_KEY=${createHash("sha256").update(String(i)).digest("base64url").slice(0, 40)}`,
    ).join("\n"),
  ],
  [
    "10,000 URLs with passwords",
    Array.from(
      { length: 10_000 },
      (_, i) =>
        `SVC${i}=https://u:${createHash("sha256").update(String(i)).digest("hex").slice(0, 20)}@h${i}.internal/x`,
    ).join("\n"),
  ],
  ["1 MB of blank lines", `${"\n".repeat(1_000_000)}A=b`],
];
const hostileFound = [];
for (const [label, text] of hostile) {
  const ms = [];
  let n = 0;
  for (let i = 0; i < 3; i++) {
    const t0 = process.hrtime.bigint();
    const found = parseDotenvFile({ text, path: ".env" }).detections;
    n = found.length;
    if (i === 0)
      for (const d of found)
        hostileFound.push({
          label,
          ruleId: d.ruleId,
          viaRuleId: d.viaRuleId,
          name: d.name,
          line: d.line,
          secret: d.secret,
        });
    ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  const best = Math.min(...ms);
  console.log(
    `    ${label.padEnd(28)} ${fmt(text.length / 1e6, 2)} MB ${fmt(best, 1).padStart(7)} ms (${fmt(text.length / 1e3 / best, 1).padStart(6)} MB/s), ${n} detections`,
  );
}
const hostileHash = createHash("sha256").update(JSON.stringify(hostileFound)).digest("hex");
console.log(`    ${hostileFound.length} detections in all, sha256 ${hostileHash.slice(0, 16)}`);
if (opts.dump) writeFileSync(opts.dump, `${JSON.stringify({ sets: all, hostile: hostileFound }, null, 1)}\n`);
