#!/usr/bin/env node
// The catch rate of the Codex execpolicy rules `agent-audit fix` generates (issue 12), judged by
// the real `codex execpolicy check` over the gate corpus (fixtures/gate/corpus/*.jsonl), on the
// built dist modules:
//
//   npm run build && node test/bench/codex-rules.mjs
//
// A shell string made of plain words is split into its commands and each is checked; any other
// string is checked as Codex runs it, `bash -lc <script>` (src/capabilities/gate/verify.ts
// codexCommands). A case is caught when any of its commands is prompted or forbidden. It prints the
// numbers per category, the benign false alarms, and the time; test/fix/codex-execpolicy.test.ts
// asserts the same numbers. The codex binary is the @openai/codex devDependency (its native binary
// when found: the node wrapper costs about 100 ms a call).

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { REPO } from "./lib.mjs";

const dist = (p) => pathToFileURL(join(REPO, "dist", "src", p)).href;
const { codexRules } = await import(dist("fix/runtimes/codex.js"));
const { reportPrefixes } = await import(dist("fix/runtimes/report-prefixes.js"));
const { codexCommands, parseCorpus, scoreGate } = await import(dist("capabilities/gate/verify.js"));
const { codexBinary, judgeCorpus } = await import("./codex-check.mjs");

const bin = codexBinary(REPO);
if (!bin) {
  console.error("codex is not installed: npm install (the @openai/codex devDependency)");
  process.exit(2);
}
const dir = join(REPO, "fixtures", "gate", "corpus");
const cases = ["dangerous.jsonl", "benign.jsonl"].flatMap((f) =>
  parseCorpus(readFileSync(join(dir, f), "utf8"), `fixtures/gate/corpus/${f}`),
);
const tmp = mkdtempSync(join(tmpdir(), "agent-audit-codex-bench-"));
try {
  const rules = join(tmp, "agent-audit.rules");
  // As generated for the corpus's home (/home/agent) from a report with no finding.
  writeFileSync(rules, codexRules(reportPrefixes({ findings: [] }, "/home/agent")));
  const t0 = performance.now();
  const { judged, calls } = await judgeCorpus(cases, { bin, rules: [rules], home: tmp, codexCommands });
  const seconds = (performance.now() - t0) / 1000;
  const s = scoreGate(cases, judged);
  const pct = (a, b) => `${((100 * a) / b).toFixed(1)}%`;
  console.log(
    `codex execpolicy check (${bin.replace(REPO, ".")}), ${cases.length} cases, ${calls} calls, ${seconds.toFixed(1)} s`,
  );
  console.log(
    `dangerous caught (prompt or forbidden): ${s.dangerous.caught}/${s.dangerous.total} (${pct(s.dangerous.caught, s.dangerous.total)})`,
  );
  for (const c of s.categories) console.log(`  ${c.category.padEnd(22)} ${c.caught}/${c.total}`);
  console.log(
    `benign allowed: ${s.benign.allowed}/${s.benign.total} (${s.benign.falseAlarms} false alarms, ${pct(s.benign.falseAlarms, s.benign.total)})`,
  );
  for (const c of s.falseAlarms.slice(0, 20)) console.log(`  false alarm (${c.decision}): ${c.command}`);
  if (Object.keys(s.failedOpen).length) console.log(`failed open: ${JSON.stringify(s.failedOpen)}`);
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
