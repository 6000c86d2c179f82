import { afterAll, describe, expect, it } from "vitest";
import { MAX_LISTED } from "../../src/capabilities/inventory/index.js";
import { cli } from "../helpers/cli.js";
import { passwordValue, treeScanArgs } from "../helpers/flood.js";
import { tempTree } from "../helpers/tmp.js";

// Review of issue 9 (commit 7d2c414): the listing cap is kept per acceptance, so `scan` with a
// baseline lists every unaccepted finding of a rule in a file; but `baseline` (which scans without
// a baseline) records only the first 100. A file with more than 100 findings of one rule can then
// never be accepted: `baseline` then `scan` exits 1, again and again (README, "Baseline workflow":
// baseline, then scan exits 0). And once every finding is in the baseline, the accepted ones past
// the cap are counted only: their entries are reported as stale, and `scan --update-baseline`
// prunes them, after which the scan fails on them again.
const N = MAX_LISTED + 50;
const lines = Array.from({ length: N }, (_, i) => `pwd=${passwordValue(i)}`);
const w = tempTree({ "work/creds.txt": `${lines.join("\n")}\n`, "home/.keep": "" });
afterAll(() => w.cleanup());
const args = (...more: string[]) => treeScanArgs(w.dir, "--workers", "0", ...more);

describe("baseline of a file with more findings of one rule than the listing cap", () => {
  it("accepts them all: baseline, then scan exits 0, reports no stale entry, and --update-baseline prunes none", async () => {
    expect((await cli(["baseline", ...args()])).code).toBe(0);
    const first = await cli(["scan", ...args("--format", "json", "--fail-on", "low")]);
    const report = JSON.parse(first.stdout);
    expect(report.verdict.failing).toEqual([]);
    expect(
      report.issues.filter((i: { message: string }) => i.message.includes("stale baseline entry")),
    ).toEqual([]);
    expect(first.code).toBe(0);
    const update = await cli(["scan", ...args("--update-baseline", "--fail-on", "low")]);
    expect(update.stderr).not.toContain("pruned");
    expect(update.code).toBe(0);
    expect((await cli(["scan", ...args("--fail-on", "low")])).code).toBe(0);
  });
});
