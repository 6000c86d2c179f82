import { statSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { MAX_LISTED } from "../../../src/capabilities/inventory/index.js";
import { ContentScanner } from "../../../src/detect/content.js";
import { defaultRules } from "../../../src/rules/catalog.js";
import type { SourceContext } from "../../../src/sources/context.js";
import { ScanPool } from "../../../src/sources/scan-pool.js";
import { passwordValue, treeScanArgs } from "../../helpers/flood.js";
import { inventory, testLimits } from "../../helpers/inventory.js";
import { tempTree } from "../../helpers/tmp.js";

// Issue 8: a hostile tree yielding more than ~125k detections made `located.push(...found)` throw
// "Maximum call stack size exceeded" (a spread passes every item as an argument), and the scan died.
// Here one 3.6 MB file holds 200,000 distinct short `pwd=` assignments (18 bytes each, the densest
// the generic rule reports), built at run time; each is one finding.
const N = 200_000;
const lines: string[] = [];
for (let i = 0; i < N; i++) lines.push(`pwd=${passwordValue(i)}`);
const t = tempTree({ "flood/creds.txt": `${lines.join("\n")}\n` });
afterAll(() => t.cleanup());

describe("a tree with 200,000 detections", () => {
  it("scans without throwing: the first 100 are listed, the rest counted in an issue, all redacted", {
    timeout: 120_000,
  }, async () => {
    const r = await inventory({ sources: ["tree"], root: t.dir });
    expect(r.issues).toEqual([
      {
        where: "flood/creds.txt",
        message: `${N} generic-password-assignment findings: the first ${MAX_LISTED} are listed, ${N - MAX_LISTED} more are counted here only`,
      },
    ]);
    expect(r.findings.map((f) => f.location.line)).toEqual(
      Array.from({ length: MAX_LISTED }, (_, i) => i + 1),
    );
    expect(new Set(r.findings.map((f) => f.ruleId))).toEqual(new Set(["generic-password-assignment"]));
    expect(r.redactor?.size).toBe(N);
  });

  it("through the scan pool's main-thread path too (no workers: every batch is scanned here)", {
    timeout: 120_000,
  }, async () => {
    const rules = defaultRules();
    const ctx = {
      rules,
      scanner: new ContentScanner(rules),
      limits: testLimits(),
      issues: [],
      stats: { files: 0, bytes: 0 },
    } as unknown as SourceContext;
    const pool = new ScanPool(0, ctx);
    const abs = join(t.dir, "flood/creds.txt");
    pool.submit({ abs, reportPath: "flood/creds.txt", source: "tree", st: statSync(abs) }, undefined);
    const { located, issues } = await pool.drain();
    expect(issues).toEqual([]);
    // MAX_LISTED detections, then one carrier with the rest as bare values (sources/files.ts).
    expect(located.length).toBe(MAX_LISTED + 1);
    expect(located.slice(0, MAX_LISTED).every((d) => d.counted === undefined)).toBe(true);
    expect(located[MAX_LISTED]!.counted).toHaveLength(N - MAX_LISTED);
    expect(
      new Set([...located.slice(0, MAX_LISTED).map((d) => d.secret), ...located[MAX_LISTED]!.counted!]).size,
    ).toBe(N);
    expect(ctx.stats.files).toBe(1);
  });
});

// Issue 9 review: the 100-per-rule cap was applied before the baseline. A baseline accepting the
// first 100 findings of a rule in a file hid the 101st and later, unaccepted, in the cap's issue:
// step 1 passed and the scan exited 0. Accepted findings now have a cap of their own. (A baseline
// holds what the scan listed: at most 100 findings of one rule per file.)
describe("the listing cap never hides an unaccepted finding behind accepted ones", () => {
  const accepted = Array.from({ length: MAX_LISTED }, (_, i) => `pwd=${passwordValue(i)}`);
  const fresh = Array.from({ length: 120 }, (_, i) => `pwd=${passwordValue(1000 + i)}`);
  const w = tempTree({ "work/creds.txt": `${accepted.join("\n")}\n`, "home/.keep": "" });
  afterAll(() => w.cleanup());
  const args = (...more: string[]) => treeScanArgs(w.dir, "--workers", "0", ...more);

  it("lists the new secrets and fails, with 100 accepted ones before them", async () => {
    const { cli } = await import("../../helpers/cli.js");
    const { appendFileSync } = await import("node:fs");
    expect((await cli(["baseline", ...args()])).code).toBe(0);
    appendFileSync(join(w.dir, "work/creds.txt"), `${fresh.join("\n")}\n`);
    const r = await cli(["scan", ...args("--format", "json", "--fail-on", "low")]);
    const report = JSON.parse(r.stdout);
    const open = report.findings.filter((f: { accepted: boolean }) => !f.accepted);
    expect(open.map((f: { location: { line: number } }) => f.location.line)).toEqual(
      Array.from({ length: MAX_LISTED }, (_, i) => MAX_LISTED + 1 + i),
    );
    expect(report.findings.filter((f: { accepted: boolean }) => f.accepted)).toHaveLength(MAX_LISTED);
    expect(report.issues).toEqual([
      {
        where: "creds.txt",
        message: `120 generic-password-assignment findings: the first ${MAX_LISTED} are listed, 20 more are counted here only`,
      },
    ]);
    expect(report.verdict.failing).toHaveLength(MAX_LISTED);
    expect(r.code).toBe(1);
  });
});
