import { describe, expect, it } from "vitest";
import type { McpOptions } from "../../src/capabilities/inspect/mcp/index.js";
import { defaultRules } from "../../src/rules/catalog.js";
import { mcpFiles } from "../helpers/mcp.js";

// Every check of rules/mcp/ (issue 16) with its examples in each client's real config format, run
// through runMcp with the real inventory (secrets linked by fingerprint) and the gate's real engine:
// each `match` example triggers the check, each `noMatch` example does not, and neither leaves an
// issue (a malformed example would pass a noMatch silently). A `tools` example is written to a temp
// file and read as the `scan --mcp-tools` export.
const checks = defaultRules().mcp;

/** The egress posture the egress checks' examples are judged under (the examples cannot carry one). */
const EGRESS: Record<string, McpOptions["egress"]> = {
  "mcp-egress-open": { posture: "open" },
  "mcp-egress-blocked": { posture: "kernel-enforced-with-proxy", allowlist: ["api.github.com"] },
};

describe("rules/mcp examples", () => {
  it("every check id is named after its family", () => {
    for (const c of checks) expect(c.id, c.file).toMatch(/^(mcp|skill|instructions)-/);
  });

  for (const check of checks) {
    describe(check.id, () => {
      const run = (ex: (typeof check.examples.match)[number]) =>
        mcpFiles(ex.files, {
          ...(ex.env ? { env: ex.env } : {}),
          ...(ex.tools !== undefined ? { tools: ex.tools } : {}),
          ...(EGRESS[check.id] ? { egress: EGRESS[check.id] } : {}),
        });
      check.examples.match.forEach((ex, i) => {
        it(`match ${i + 1}`, async () => {
          const r = await run(ex);
          expect(r.issues).toEqual([]);
          expect(r.findings.map((f) => f.ruleId)).toContain(check.id);
        });
      });
      check.examples.noMatch.forEach((ex, i) => {
        it(`noMatch ${i + 1}`, async () => {
          const r = await run(ex);
          expect(r.issues).toEqual([]);
          expect(r.findings.map((f) => f.ruleId)).not.toContain(check.id);
        });
      });
    });
  }
});
