import { describe, expect, it } from "vitest";
import { inspectFiles } from "../../helpers/runtime.js";

// Hostile review of the runtime inspectors (issue 10): config the agent under audit wrote to make its
// gate look covered, or the scan read the wrong file.

const SAFE = JSON.stringify({
  permissions: { defaultMode: "default", disableBypassPermissionsMode: "disable" },
});
const BYPASS = JSON.stringify({ permissions: { defaultMode: "bypassPermissions" } });

describe("claude-code: CLAUDE_CONFIG_DIR", () => {
  it("a relative CLAUDE_CONFIG_DIR is read from the home, not ignored for a safe ~/.claude", async () => {
    const r = await inspectFiles(
      { "~/.claude/settings.json": SAFE, "~/alt/settings.json": BYPASS },
      { runtime: "claude-code", env: { CLAUDE_CONFIG_DIR: "alt" }, origins: ["home"] },
    );
    expect(r.agents.runtimes[0]!.gate.status).toBe("off");
    expect(r.findings.map((f) => f.ruleId)).toContain("claude-bypass-permissions-mode");
    expect(r.issues).toEqual([]);
  });
  it("an absolute CLAUDE_CONFIG_DIR is read under the system root", async () => {
    const r = await inspectFiles(
      { "~/.claude/settings.json": SAFE, "/opt/claude/settings.json": BYPASS },
      { runtime: "claude-code", env: { CLAUDE_CONFIG_DIR: "/opt/claude" }, origins: ["home"] },
    );
    expect(r.agents.runtimes[0]!.gate.status).toBe("off");
  });
});

describe("claude-code: secrets in the values a title quotes", () => {
  const SECRET = `sk-ant-api03-${"FAKEfake0123".repeat(8)}-FAKEAA`;
  it("a hook command or allowed domain holding a token is shown masked, never as written", async () => {
    const r = await inspectFiles(
      {
        "~/.claude/settings.json": JSON.stringify({
          hooks: {
            PreToolUse: [{ matcher: "Bash", hooks: [{ type: "command", command: `/nope/${SECRET} --x` }] }],
          },
          sandbox: { enabled: true, network: { allowedDomains: [`*.${SECRET}.com`] } },
        }),
      },
      { runtime: "claude-code", origins: ["home"] },
    );
    const text = JSON.stringify(r.findings);
    expect(text).not.toContain("FAKEfake0123");
    expect(r.findings.find((f) => f.ruleId === "claude-hook-command-unresolved")?.title).toBe(
      'PreToolUse hook command "/nope/<116 characters, not shown> --x" does not resolve: not an executable regular file (the hook exits 127 and fails open)',
    );
  });
});
