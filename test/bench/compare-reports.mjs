#!/usr/bin/env node
// Checks that two JSON reports hold identical findings and issues (same order, same fields), e.g.
// before and after a performance change:
//
//   node test/bench/compare-reports.mjs before.json after.json
//
// Exits 1 and names the first difference (rule, path, line; never a secret: reports hold none).

import { readFileSync } from "node:fs";

const [a, b] = process.argv.slice(2).map((f) => JSON.parse(readFileSync(f, "utf8")));
if (!a || !b) {
  console.error("usage: compare-reports.mjs <before.json> <after.json>");
  process.exit(2);
}
let same = true;
for (const key of ["findings", "issues"]) {
  const x = a[key] ?? [];
  const y = b[key] ?? [];
  const n = Math.max(x.length, y.length);
  for (let i = 0; i < n; i++) {
    if (JSON.stringify(x[i]) !== JSON.stringify(y[i])) {
      const w = x[i] ?? y[i];
      console.log(
        `${key}[${i}] differs: ${w.ruleId ?? ""} ${w.location?.path ?? w.where ?? ""}:${w.location?.line ?? ""}`,
      );
      same = false;
      break;
    }
  }
  console.log(`${key}: ${x.length} vs ${y.length}`);
}
console.log(same ? "identical" : "DIFFERENT");
process.exit(same ? 0 : 1);
