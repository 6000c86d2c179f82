import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { cli } from "../helpers/cli.js";
import { tempTree } from "../helpers/tmp.js";

// Issue 9: `scan --fail-on medium --format junit` on a tree whose only finding is medium exited 1
// but wrote failures="0", and Markdown said "Nothing fails: no finding at or above high". Every
// format now reads the report's verdict, the list the exit code is decided by.
const t = tempTree({ "tree/app.ini": 'password = "Kq7Wn2Xr9Zt4Lp8M"\n' });
afterAll(() => t.cleanup());
const root = join(t.dir, "tree");
const base = ["scan", "--no-env", "--home", t.dir, "--root", root, "--sources", "tree"];

describe("every format agrees with the exit code (issue 9)", () => {
  it("--fail-on medium: exit 1, and every format says one finding fails", async () => {
    const json = await cli([...base, "--fail-on", "medium", "--format", "json"]);
    expect(json.code).toBe(1);
    const report = JSON.parse(json.stdout) as {
      findings: { fingerprint: string; severity: string }[];
      verdict: unknown;
    };
    expect(report.findings.map((f) => f.severity)).toEqual(["medium"]);
    expect(report.verdict).toEqual({ failOn: "medium", failing: [report.findings[0]!.fingerprint] });

    // Steps 2-4 are skipped and step 5 warns (no runtime config in the tree): four <skipped>; step 6
    // passes (the password is judged: none found long-lived or broad).
    const junit = await cli([...base, "--fail-on", "medium", "--format", "junit"]);
    expect(junit.code).toBe(1);
    expect(junit.stdout).toContain(
      '<testsuites name="agent-audit" tests="7" failures="1" errors="0" skipped="4">',
    );
    expect(junit.stdout).toContain('<property name="fail-on" value="medium"/>');

    const md = await cli([...base, "--fail-on", "medium", "--format", "markdown"]);
    expect(md.code).toBe(1);
    expect(md.stdout).toContain(
      "Coverage: 3 of 6 steps evaluated, 2 passed. Gate: 1 finding at or above medium outside the baseline.",
    );
    expect(md.stdout).not.toContain("Nothing fails");

    const table = await cli([...base, "--fail-on", "medium"]);
    expect(table.code).toBe(1);
    expect(table.stdout).toContain("1 finding (1 medium); 1 at or above --fail-on medium; score 2/3");
  });

  it("the default (high): exit 0, and every format says nothing fails", async () => {
    const junit = await cli([...base, "--format", "junit"]);
    expect(junit.code).toBe(0);
    expect(junit.stdout).toContain('tests="6" failures="0"');
    const md = await cli([...base, "--format", "markdown"]);
    expect(md.code).toBe(0);
    expect(md.stdout).toContain(
      "Nothing fails: no finding at or above high outside the baseline, no failing step.",
    );
  });

  it("a config found in the tree sets the tree's own threshold, and the reports name both", async () => {
    writeFileSync(join(root, "agent-audit.yaml"), "failOn: medium\n");
    try {
      const json = await cli([...base, "--format", "json"]);
      expect(json.code).toBe(1);
      expect(
        (JSON.parse(json.stdout) as { verdict: { failOn: string; treeFailOn: string } }).verdict,
      ).toMatchObject({
        failOn: "high",
        treeFailOn: "medium",
      });
      const junit = await cli([...base, "--format", "junit"]);
      expect(junit.stdout).toContain('<property name="fail-on" value="high (working tree: medium)"/>');
      expect(junit.stdout).toContain('failures="1"');
    } finally {
      writeFileSync(join(root, "agent-audit.yaml"), "");
    }
  });
});
