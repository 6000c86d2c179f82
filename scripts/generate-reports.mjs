#!/usr/bin/env node
// Regenerates reports/: the demo sandbox's report in every format. The files double as
// documentation ("what you get") and as golden files (test/reports-golden.test.ts).
// Usage: npm run reports            (writes reports/)
//        node scripts/generate-reports.mjs --check   (exit 1 if reports/ is out of date)
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { demoReports } from "../dist/src/app/demo-reports.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const outDir = join(root, "reports");
const check = process.argv.includes("--check");
const files = await demoReports();
let stale = 0;
mkdirSync(outDir, { recursive: true });
for (const [name, text] of Object.entries(files)) {
  const path = join(outDir, name);
  if (check) {
    let current = "";
    try {
      current = readFileSync(path, "utf8");
    } catch {}
    if (current !== text) {
      console.error(`reports/${name} is out of date: run npm run reports`);
      stale++;
    }
  } else {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, text);
    console.log(`wrote reports/${name}`);
  }
}
process.exitCode = stale ? 1 : 0;
