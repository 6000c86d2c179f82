import { describe, expect, it } from "vitest";
import { mdCode, mdText, renderMarkdown } from "../../src/render/markdown.js";
import { handReport } from "./report-fixture.js";

const md = renderMarkdown(handReport(), { color: false });

describe("markdown reporter", () => {
  it("matches the golden file", async () => {
    await expect(md).toMatchFileSnapshot("./__snapshots__/hand-report.md.golden");
  });

  it("escapes table cells", () => {
    expect(mdText("a | b\nc *d* & ~e~")).toBe("a \\| b c \\*d\\* \\& \\~e\\~");
    expect(mdCode("x|y")).toBe("`x\\|y`");
    expect(mdCode("a`b")).toBe("`` a`b ``");
    expect(mdCode("a``b")).toBe("``` a``b ```");
    expect(mdCode("x|y", false)).toBe("`x|y`");
    // Every table row of the report has exactly as many unescaped pipes as its header.
    for (const table of md.split("\n\n").filter((b) => b.startsWith("|"))) {
      const rows = table.split("\n");
      const cells = (row: string) => row.replace(/\\\|/g, "").split("|").length;
      for (const row of rows) expect(cells(row), row).toBe(cells(rows[0]!));
    }
  });

  it("says when nothing fails", () => {
    const r = handReport();
    r.findings = [];
    r.probes = [];
    r.issues = [];
    for (const c of r.checklist) c.status = c.status === "fail" ? "pass" : c.status;
    const out = renderMarkdown(r, { color: false });
    expect(out).toContain("## Findings (0)\n\nNo findings.\n");
    expect(out).toContain(
      "## What to do next\n\nNothing fails: no finding at or above high outside the baseline, no failing step.\n",
    );
  });
});

describe("mdCode on hostile names (issue 8)", () => {
  it("a name of 200,000 backtick runs gets a fence longer than its longest run, without a stack overflow", () => {
    const name = `${"a`".repeat(200_000)}b\`\`\``;
    const out = mdCode(name, false);
    expect(out.startsWith("```` a`")).toBe(true);
    expect(out.endsWith("``` ````")).toBe(true);
  });
});
