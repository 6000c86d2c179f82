import { describe, expect, it } from "vitest";
import { feedStep } from "../../src/app/scan.js";
import type { Finding, Severity, StepId } from "../../src/contract/types.js";

// Issue 16: what MCP servers and skills add to a step another capability scored.
function f(fingerprint: string, severity: Severity, control: StepId, accepted = false): Finding {
  return {
    fingerprint,
    ruleId: "mcp-x",
    control,
    kind: "config",
    severity,
    title: "t",
    remediation: "r",
    location: { source: "agent-config", path: "/x", name: "s" },
    accepted,
  };
}
const pass = { status: "pass" as const, summary: "gate covered", evidence: ["e0"] };

describe("feedStep", () => {
  it("an open high finding of the step's control fails a passing step, as evidence", () => {
    expect(
      feedStep(
        pass,
        [f("a", "high", "approval-gate"), f("b", "medium", "approval-gate")],
        "approval-gate",
        "MCP",
      ),
    ).toEqual({
      status: "fail",
      summary: "MCP: 1 high/critical finding; gate covered",
      evidence: ["e0", "a"],
    });
  });
  it("an open medium finding turns a pass into a warn and leaves a fail a fail", () => {
    expect(feedStep(pass, [f("m", "medium", "approval-gate")], "approval-gate", "MCP")).toEqual({
      status: "warn",
      summary: "MCP: 1 medium finding; gate covered",
      evidence: ["e0", "m"],
    });
    const failing = { status: "fail" as const, summary: "off", evidence: [] };
    expect(feedStep(failing, [f("m", "medium", "approval-gate")], "approval-gate", "MCP").status).toBe(
      "fail",
    );
  });
  it("accepted findings, low ones, other controls, and skipped steps change nothing", () => {
    const quiet = [
      f("a", "critical", "approval-gate", true),
      f("l", "low", "approval-gate"),
      f("o", "high", "egress-proxy"),
    ];
    expect(feedStep(pass, quiet, "approval-gate", "MCP")).toBe(pass);
    const skip = { status: "skip" as const, summary: "not probed", evidence: [] };
    expect(feedStep(skip, [f("o", "high", "egress-proxy")], "egress-proxy", "MCP")).toBe(skip);
  });
});
