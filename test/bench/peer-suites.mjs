#!/usr/bin/env node
// agent-audit over the public rule test cases of two peers (issue 15).
//
//   npm run build
//   node test/bench/peer-suites.mjs --secretlint DIR --gitleaks DIR [--json] [--misses]
//                                   [--cli PATH]   (another build's dist/src/cli/bin.js: before/after)
//                                   [--keep]       (keep the temporary tree, for a closer look)
//
// DIR is a checkout of github.com/secretlint/secretlint or github.com/gitleaks/gitleaks (either
// may be left out). Nothing of theirs is copied into this repository: the cases are written to a
// temporary folder, scanned, and the folder is removed.
//
// - secretlint: every rule package's packages/@secretlint/secretlint-rule-*/test/snapshots/<case>/
//   (presets and the non-secret policy rules excluded: SECRETLINT_EXCLUDED). The input is the file
//   output.json names (`filePath`), copied under its own name. A case `ng.*` counts per line
//   secretlint's expected output reports (a message's start line; found when agent-audit reports
//   any finding on a line of the message's span); a case `ok.*` counts per file (flagged when
//   agent-audit reports anything in it). Cases without either prefix (privatekey's `rsa`, npm's
//   `NPM_ACCESS_TOKEN` ...) are counted apart: ng when the output has a message, ok otherwise.
// - gitleaks: the string literals of each rule's `tps` and `fps` in cmd/generate/config/rules/*.go.
//   Entries built by code (utils.GenerateSampleSecrets, secrets.NewSecret, fmt.Sprintf ...) are
//   skipped and counted. Each literal is written to its own file `sample.txt` (a `map[string]string`
//   case keeps the path gitleaks gives it: nuget.config, file.php, x.p12 ...). A tp is found when
//   agent-audit reports anything in its file; an fp is flagged when it does. gitleaks lists another
//   rule's true positives among a rule's fps ("not this rule"): those are secrets, so such an fp is
//   not counted (reported as `fp=tp elsewhere`).
//
// One scan per suite: `scan --sources tree --root <tmp> --home <empty tmp> --no-env --format json`.
// Every sample printed is redacted to its first 4 characters and its length.

import { spawnSync } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { CLI } from "./lib.mjs";
import {
  gitleaksCases,
  redact,
  SECRETLINT_EXCLUDED,
  safeRelPath,
  secretlintCase,
  spanHit,
} from "./peer-suites-lib.mjs";

function parseArgv(argv) {
  const o = { json: false, misses: false, keep: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--secretlint") o.secretlint = argv[++i];
    else if (a === "--gitleaks") o.gitleaks = argv[++i];
    else if (a === "--json") o.json = true;
    else if (a === "--misses") o.misses = true;
    else if (a === "--keep") o.keep = true;
    else if (a === "--cli") o.cli = argv[++i];
    else throw new Error(`unknown argument ${a}`);
  }
  if (!o.secretlint && !o.gitleaks) {
    throw new Error(
      "usage: peer-suites.mjs --secretlint DIR --gitleaks DIR [--json] [--misses] [--keep] [--cli dist/src/cli/bin.js]",
    );
  }
  return o;
}

function write(root, rel, content) {
  const p = join(root, rel);
  mkdirSync(dirname(p), { recursive: true });
  writeFileSync(p, content);
}

/** One agent-audit scan of a tree; findings grouped by path. */
function scan(tree, work, cli) {
  const home = join(work, "home");
  mkdirSync(home, { recursive: true });
  const out = join(work, `report-${Date.now()}.json`);
  const args = [cli, "scan", "--root", tree, "--home", home, "--no-env", "--sources", "tree"];
  args.push("--format", "json", "--exit-zero", "--no-baseline", "--output", out);
  const t0 = performance.now();
  const r = spawnSync(process.execPath, args, { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  const seconds = (performance.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`agent-audit scan exited with ${r.status ?? r.signal}`);
  const report = JSON.parse(readFileSync(out, "utf8"));
  const byPath = new Map();
  for (const f of report.findings) {
    if (f.location?.source !== "tree") continue;
    const list = byPath.get(f.location.path) ?? [];
    list.push({ line: f.location.line, ruleId: f.ruleId, severity: f.severity });
    byPath.set(f.location.path, list);
  }
  return { byPath, seconds, findings: report.findings.length };
}

const ruleRow = () => ({
  cases: 0,
  found: 0,
  missed: 0,
  okCases: 0,
  flagged: 0,
  flaggedInfo: 0,
  misses: [],
  flags: [],
});
/** A file flagged only by findings of severity info (agent-audit's "fails its offline validity check"). */
const infoOnly = (hits) => hits.every((h) => h.severity === "info");
const describeHits = (hits) => [...new Set(hits.map((h) => `${h.ruleId}/${h.severity}`))].join(", ");

// --- secretlint --------------------------------------------------------------------------------

function secretlintSuite(checkout, work, cli) {
  const base = join(checkout, "packages", "@secretlint");
  if (!existsSync(base)) throw new Error(`${base}: not a secretlint checkout`);
  const tree = join(work, "secretlint");
  const cases = [];
  const excluded = [];
  for (const pkg of readdirSync(base).sort()) {
    if (!pkg.startsWith("secretlint-rule-")) continue;
    const snaps = join(base, pkg, "test", "snapshots");
    if (!existsSync(snaps)) continue;
    if (SECRETLINT_EXCLUDED.has(pkg)) {
      excluded.push({ pkg, why: SECRETLINT_EXCLUDED.get(pkg) });
      continue;
    }
    const rule = pkg.slice("secretlint-rule-".length);
    for (const dir of readdirSync(snaps).sort()) {
      const outPath = join(snaps, dir, "output.json");
      if (!existsSync(outPath)) continue;
      const rcPath = join(snaps, dir, ".secretlintrc.json");
      const rc = existsSync(rcPath) ? JSON.parse(readFileSync(rcPath, "utf8")) : undefined;
      const c = secretlintCase(dir, JSON.parse(readFileSync(outPath, "utf8")), rc);
      if (c.input === undefined || !existsSync(join(snaps, dir, c.input))) continue;
      const rel = `${rule}/${safeRelPath(dir, "case")}/${safeRelPath(c.input, "input")}`;
      const content = readFileSync(join(snaps, dir, c.input));
      write(tree, rel, content);
      const lines = content.toString("latin1").split("\n");
      cases.push({ rule, dir, rel, ...c, lines });
    }
  }
  const { byPath, seconds, findings } = scan(tree, work, cli);
  const rules = new Map();
  for (const c of cases) {
    const row = rules.get(c.rule) ?? { ...ruleRow(), extra: ruleRow(), byOption: ruleRow() };
    rules.set(c.rule, row);
    const r = c.byOption ? row.byOption : c.prefixless ? row.extra : row;
    const hits = byPath.get(c.rel) ?? [];
    if (c.kind === "ng") {
      for (const span of c.spans) {
        r.cases++;
        const at = hits.filter((h) => spanHit(span, h.line));
        if (at.length) r.found++;
        else {
          r.missed++;
          const text = c.lines[span.start - 1] ?? "";
          r.misses.push({
            case: c.dir,
            line: span.start,
            messageId: span.messageId,
            sample: redact(text.trim()),
          });
        }
      }
    } else {
      r.okCases++;
      if (hits.length) {
        r.flagged++;
        if (infoOnly(hits)) r.flaggedInfo++;
        r.flags.push({ case: c.dir, lines: [...new Set(hits.map((h) => h.line))], by: describeHits(hits) });
      }
    }
  }
  return { suite: "secretlint", seconds, findings, files: cases.length, excluded, rules };
}

// --- gitleaks ----------------------------------------------------------------------------------

function gitleaksSuite(checkout, work, cli) {
  const dir = join(checkout, "cmd", "generate", "config", "rules");
  if (!existsSync(dir)) throw new Error(`${dir}: not a gitleaks checkout`);
  const tree = join(work, "gitleaks");
  const all = [];
  for (const f of readdirSync(dir).sort()) {
    if (!f.endsWith(".go") || f.endsWith("_test.go")) continue;
    for (const r of gitleaksCases(readFileSync(join(dir, f), "utf8"))) all.push({ file: f, ...r });
  }
  const tpValues = new Set(all.flatMap((r) => r.tps.map((t) => t.value)));
  const cases = [];
  let generated = 0;
  let fpIsTp = 0;
  let generatedOnly = 0;
  const seenIds = new Map();
  for (const r of all) {
    generated += r.generated.tps + r.generated.fps;
    if (!r.tps.length && !r.fps.length) generatedOnly++;
    // Rule ids are unique in gitleaks; a repeat (two functions, one id) gets its own folder.
    const n = (seenIds.get(r.ruleId) ?? 0) + 1;
    seenIds.set(r.ruleId, n);
    const folder = `${safeRelPath(r.ruleId, "rule")}${n > 1 ? `.${n}` : ""}`;
    const add = (kind, list) =>
      list.forEach((s, i) => {
        if (kind === "fp" && tpValues.has(s.value)) {
          fpIsTp++;
          return;
        }
        const rel = `${folder}/${kind}-${String(i + 1).padStart(3, "0")}/${safeRelPath(s.path ?? "sample.txt", "sample.txt")}`;
        write(tree, rel, s.value);
        cases.push({ rule: r.ruleId, kind, rel, value: s.value });
      });
    add("tp", r.tps);
    add("fp", r.fps);
  }
  const { byPath, seconds, findings } = scan(tree, work, cli);
  const rules = new Map();
  for (const c of cases) {
    const row = rules.get(c.rule) ?? ruleRow();
    rules.set(c.rule, row);
    const hits = byPath.get(c.rel) ?? [];
    if (c.kind === "tp") {
      row.cases++;
      if (hits.length) row.found++;
      else {
        row.missed++;
        row.misses.push({ case: c.rel.split("/")[1], sample: redact(c.value.trim()) });
      }
    } else {
      row.okCases++;
      if (hits.length) {
        row.flagged++;
        if (infoOnly(hits)) row.flaggedInfo++;
        row.flags.push({ case: c.rel.split("/")[1], sample: redact(c.value.trim()), by: describeHits(hits) });
      }
    }
  }
  return {
    suite: "gitleaks",
    seconds,
    findings,
    files: cases.length,
    rulesParsed: all.length,
    generatedOnly,
    skippedGenerated: generated,
    skippedFpIsTp: fpIsTp,
    rules,
  };
}

// --- output ------------------------------------------------------------------------------------

function totals(rules, pick = (r) => r) {
  const t = ruleRow();
  for (const row of rules.values()) {
    const r = pick(row);
    for (const k of ["cases", "found", "missed", "okCases", "flagged", "flaggedInfo"]) t[k] += r[k];
  }
  delete t.misses;
  delete t.flags;
  return t;
}

function toJson(res) {
  const rules = {};
  for (const [id, row] of res.rules) rules[id] = row;
  const out = { ...res, rules, totals: totals(res.rules) };
  if (res.suite === "secretlint") {
    out.totalsPrefixless = totals(res.rules, (r) => r.extra);
    out.totalsOkByOption = totals(res.rules, (r) => r.byOption);
  }
  return out;
}

function printSuite(res, showMisses) {
  const label = res.suite === "secretlint" ? ["ng lines", "ok files"] : ["tps", "fps"];
  console.log(
    `\n## ${res.suite}: ${res.files} files scanned in ${res.seconds.toFixed(2)} s (${res.findings} findings)`,
  );
  if (res.suite === "gitleaks") {
    console.log(
      `${res.rulesParsed} rules parsed; ${res.generatedOnly} have only generated samples; ` +
        `${res.skippedGenerated} generated entries skipped; ${res.skippedFpIsTp} fps skipped (another rule's tp)`,
    );
  } else {
    console.log(
      `excluded packages: ${res.excluded.map((e) => e.pkg.replace("secretlint-rule-", "")).join(", ")}`,
    );
  }
  const w = Math.max(24, ...[...res.rules.keys()].map((k) => k.length));
  console.log(
    `${"rule".padEnd(w)}  ${label[0].padStart(9)}  found  missed  ${label[1].padStart(9)}  flagged  (info only)`,
  );
  for (const [id, row] of [...res.rules].sort((a, b) => a[0].localeCompare(b[0]))) {
    const show = (r, name) => {
      if (!r.cases && !r.okCases) return;
      console.log(
        `${name.padEnd(w)}  ${String(r.cases).padStart(9)}  ${String(r.found).padStart(5)}  ${String(r.missed).padStart(6)}  ` +
          `${String(r.okCases).padStart(9)}  ${String(r.flagged).padStart(7)}  ${r.flaggedInfo ? `(${r.flaggedInfo})` : ""}`.trimEnd(),
      );
    };
    show(row, id);
    if (row.extra) show(row.extra, `${id} (prefix-less)`);
    if (row.byOption) show(row.byOption, `${id} (ok by option)`);
  }
  const t = totals(res.rules);
  console.log(
    `TOTAL: ${label[0]} ${t.found} of ${t.cases} found (${t.missed} missed); ` +
      `${label[1]} ${t.flagged} of ${t.okCases} flagged (${t.flaggedInfo} of them by info findings only)`,
  );
  if (res.suite === "secretlint") {
    const x = totals(res.rules, (r) => r.extra);
    console.log(
      `prefix-less cases (apart): ng lines ${x.found} of ${x.cases} found; ok files ${x.flagged} of ${x.okCases} flagged`,
    );
    const o = totals(res.rules, (r) => r.byOption);
    console.log(
      `ok only by a rule option (apart: allows, a check turned off): ${o.flagged} of ${o.okCases} flagged`,
    );
  }
  if (!showMisses) return;
  for (const [id, row] of [...res.rules].sort((a, b) => a[0].localeCompare(b[0]))) {
    for (const r of row.extra ? [row, row.extra, row.byOption] : [row]) {
      for (const m of r.misses)
        console.log(
          `  missed   ${id} ${m.case}${m.line ? `:${m.line}` : ""}${m.messageId ? ` ${m.messageId}` : ""} ${m.sample}`,
        );
      for (const f of r.flags)
        console.log(
          `  flagged  ${id} ${f.case}${f.lines ? `:${f.lines.join(",")}` : ""}${f.sample ? ` ${f.sample}` : ""} by ${f.by}`,
        );
    }
  }
}

const opts = parseArgv(process.argv.slice(2));
const cli = opts.cli ?? CLI;
if (!existsSync(cli)) throw new Error(`${cli} missing: run npm run build first`);
const work = mkdtempSync(join(tmpdir(), "agent-audit-peers-"));
try {
  const results = [];
  if (opts.secretlint) results.push(secretlintSuite(opts.secretlint, work, cli));
  if (opts.gitleaks) results.push(gitleaksSuite(opts.gitleaks, work, cli));
  if (opts.json) console.log(JSON.stringify(results.map(toJson), null, 2));
  else for (const r of results) printSuite(r, opts.misses);
} finally {
  if (opts.keep) console.error(`kept ${work}`);
  else rmSync(work, { recursive: true, force: true });
}
