import { describe, expect, it } from "vitest";
import type { AuditReport } from "../../src/contract/types.js";
import { renderJunit } from "../../src/render/junit.js";
import { policyLines } from "../../src/render/labels.js";
import { mdText, renderMarkdown } from "../../src/render/markdown.js";
import { renderSarif } from "../../src/render/sarif.js";
import { renderTable } from "../../src/render/table.js";
import { handReport } from "./report-fixture.js";

// Issue 8 item 9: every report says which config disabled or re-rated which rules, what it may
// affect, and how many findings each mechanism kept out of the verdict.
function withPolicy(): AuditReport {
  const r = handReport();
  r.policy = {
    config: { path: "agent-audit.yaml", discovered: true, scope: "tree" },
    paths: { include: [], exclude: ["**"] },
    disabledRules: ["generic-password-assignment", "jwt"],
    severityOverrides: [{ ruleId: "github-pat-classic", severity: "low" }],
    failOn: { severity: "medium", scope: "tree" },
    baseline: { path: ".agent-audit-baseline.json", entries: 1 },
    suppressed: { baseline: 1, config: 3, inlineAllow: 2 },
  };
  return r;
}

const LINES = [
  "config agent-audit.yaml: found in the scanned tree (the agent can write it); its rules apply to the working tree's findings only",
  "working tree paths skipped by the config: **",
  "rules disabled by the config: generic-password-assignment, jwt",
  "severities changed by the config: github-pat-classic → low",
  "fail-on medium from the config, for the working tree's findings only",
  "baseline .agent-audit-baseline.json: 1 accepted finding listed",
  "kept out of the verdict: 1 accepted by the baseline, 3 by rules the config disabled, 2 by inline allow markers",
];

describe("the policy in every format (issue 8)", () => {
  it("is described line by line", () => {
    expect(policyLines(withPolicy())).toEqual(LINES);
  });
  it("a config named with --config reaches every source", () => {
    const r = withPolicy();
    r.policy = {
      config: { path: "/etc/agent-audit.yaml", discovered: false, scope: "all" },
      disabledRules: [],
      severityOverrides: [],
      suppressed: { baseline: 0, config: 0, inlineAllow: 0 },
    };
    expect(policyLines(r)).toEqual([
      "config /etc/agent-audit.yaml: named with --config; its rules apply to every source",
    ]);
  });
  it("says nothing when no config, baseline or suppression played a part", () => {
    const r = handReport();
    r.policy = {
      disabledRules: [],
      severityOverrides: [],
      suppressed: { baseline: 0, config: 0, inlineAllow: 0 },
    };
    expect(policyLines(r)).toEqual([]);
    expect(renderTable(r, { color: false })).not.toContain("Policy");
    expect(renderMarkdown(r)).not.toContain("## Policy");
  });
  it("table, markdown, junit and sarif carry it", () => {
    const r = withPolicy();
    const table = renderTable(r, { color: false });
    expect(table).toContain(`Policy\n${LINES.map((l) => `  ${l}`).join("\n")}\n`);
    const md = renderMarkdown(r);
    expect(md).toContain(`## Policy\n\n${LINES.map((l) => `- ${mdText(l)}`).join("\n")}\n`);
    expect(md).toContain("- working tree paths skipped by the config: \\*\\*\n");
    const junit = renderJunit(r);
    expect(junit).toContain(`<system-out>Policy:\n${LINES.join("\n").replaceAll("'", "&apos;")}`);
    const sarif = JSON.parse(renderSarif(r)) as { runs: { properties: { policy: unknown } }[] };
    expect(sarif.runs[0]!.properties.policy).toEqual(r.policy);
  });
});
