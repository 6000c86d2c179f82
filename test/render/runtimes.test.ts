import { describe, expect, it } from "vitest";
import type { AuditReport, Finding } from "../../src/contract/types.js";
import { renderMarkdown } from "../../src/render/markdown.js";
import { renderTable } from "../../src/render/table.js";
import { handReport } from "./report-fixture.js";

// The per-runtime view (issue 10) in the table and markdown reports: runtime, config files read,
// gate status, sandbox status, top problems; runtimes not found; environment markers.

function finding(fp: string, ruleId: string, severity: Finding["severity"], title: string): Finding {
  return {
    fingerprint: fp,
    ruleId,
    control: "approval-gate",
    kind: "config",
    severity,
    title,
    remediation: "Fix it.",
    location: {
      source: "agent-config",
      path: "/home/agent/.claude/settings.json",
      line: 3,
      name: "permissions.defaultMode",
    },
    accepted: false,
  };
}

function report(): AuditReport {
  const r = handReport();
  r.findings = [
    finding("f1", "claude-bypass-permissions", "critical", "Claude Code runs in bypassPermissions mode"),
    finding("f2", "claude-sandbox-off", "high", "Claude Code sandbox is off"),
    finding("f3", "claude-hook-timeout", "medium", "Hook timeout is 600 s"),
    finding("f4", "claude-x", "low", "A fourth problem\u001b[2J"),
  ];
  r.agents = {
    runtimes: [
      {
        runtime: "claude-code",
        name: "Claude Code",
        present: true,
        files: [
          { path: "/home/agent/.claude/settings.json", scope: "user", origin: "home", ok: true },
          { path: "/work/repo/.claude/settings.local.json", scope: "local", origin: "tree", ok: false },
          { path: "/etc/claude-code/managed-settings.json", scope: "managed", origin: "system", ok: true },
        ],
        gate: { status: "off", detail: "bypassPermissions in user settings" },
        sandbox: { status: "off", detail: "sandbox.enabled is not true" },
        findings: ["f1", "f2", "f3", "f4"],
      },
      {
        runtime: "codex",
        name: "Codex CLI",
        present: false,
        files: [],
        gate: { status: "unknown", detail: "" },
        sandbox: { status: "unknown", detail: "" },
        findings: [],
      },
    ],
    markers: [
      {
        name: "CLAUDECODE",
        runtime: "claude-code",
        meaning: "CLAUDECODE=1: runs inside a Claude Code session",
      },
    ],
  };
  return r;
}

describe("per-runtime view", () => {
  it("table: runtime, files as the user knows them, gate, sandbox, the three worst problems", () => {
    const text = renderTable(report(), { color: false });
    const block = text.slice(text.indexOf("Agent runtimes"), text.indexOf("Checklist"));
    expect(block).toBe(
      [
        "Agent runtimes (1 of 2 found)",
        "  Claude Code",
        "    gate     off: bypassPermissions in user settings",
        "    sandbox  off: sandbox.enabled is not true",
        "    files    ~/.claude/settings.json (user), ./.claude/settings.local.json (local, not read), /etc/claude-code/managed-settings.json (managed)",
        "    critical Claude Code runs in bypassPermissions mode [claude-bypass-permissions]",
        "    high     Claude Code sandbox is off [claude-sandbox-off]",
        "    medium   Hook timeout is 600 s [claude-hook-timeout]",
        "    … and 1 more (listed above)",
        "  not found: Codex CLI",
        "  environment: CLAUDECODE=1: runs inside a Claude Code session",
        "",
        "",
      ].join("\n"),
    );
  });

  it("markdown: one table row per runtime found", () => {
    const md = renderMarkdown(report());
    const block = md.slice(md.indexOf("## Agent runtimes"), md.indexOf("## Egress probes"));
    expect(block).toBe(
      [
        "## Agent runtimes (1 of 2 found)",
        "",
        "| runtime | config files | gate | sandbox | top problems |",
        "|---|---|---|---|---|",
        "| Claude Code | `~/.claude/settings.json (user)`<br>`./.claude/settings.local.json (local, not read)`<br>`/etc/claude-code/managed-settings.json (managed)` | **off**: bypassPermissions in user settings | **off**: sandbox.enabled is not true | critical: Claude Code runs in bypassPermissions mode (`claude-bypass-permissions`)<br>high: Claude Code sandbox is off (`claude-sandbox-off`)<br>medium: Hook timeout is 600 s (`claude-hook-timeout`)<br>… and 1 more |",
        "",
        "Not found: Codex CLI.",
        "",
        "- Environment: CLAUDECODE=1: runs inside a Claude Code session",
        "",
        "",
      ].join("\n"),
    );
  });

  it("escapes control characters in every runtime field", () => {
    const r = report();
    r.agents!.runtimes[0]!.gate.detail = "hook \u001b[31mred\u001b[0m";
    r.agents!.runtimes[0]!.files[0]!.path = "/home/agent/.claude/\u0007settings.json";
    const text = renderTable(r, { color: false });
    expect(text).not.toMatch(/[\u0007\u001b]/);
    expect(text).toContain("hook \\x1b[31mred\\x1b[0m");
    expect(text).toContain("~/.claude/\\x07settings.json (user)");
    expect(renderMarkdown(r)).not.toMatch(/[\u0007\u001b]/);
  });

  it("a report without the agents section shows no runtime view", () => {
    const r = handReport();
    expect(renderTable(r, { color: false })).not.toContain("Agent runtimes");
    expect(renderMarkdown(r)).not.toContain("## Agent runtimes");
  });
});

describe("per-runtime view of many config files", () => {
  it("names eight files and counts the rest", () => {
    const r = report();
    r.agents!.runtimes[0]!.files = Array.from({ length: 11 }, (_, i) => ({
      path: `/etc/claude-code/managed-settings.d/${String(i).padStart(2, "0")}.json`,
      scope: "managed",
      origin: "system" as const,
      ok: true,
    }));
    const line = renderTable(r, { color: false })
      .split("\n")
      .find((l) => l.startsWith("    files"));
    expect(line).toBe(
      `    files    ${Array.from({ length: 8 }, (_, i) => `/etc/claude-code/managed-settings.d/0${i}.json (managed)`).join(", ")}, … and 3 more`,
    );
  });
});
