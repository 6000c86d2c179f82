import { describe, expect, it } from "vitest";
import { portablePath, runInspect, scoreGate } from "../../../src/capabilities/inspect/index.js";
import type { RuntimeInspector, RuntimeResult } from "../../../src/capabilities/inspect/types.js";
import type { RuntimeView } from "../../../src/contract/types.js";
import { defaultRules, type RuleSet, type RuntimeCheck } from "../../../src/rules/catalog.js";
import { runtimeSandbox } from "../../helpers/runtime.js";

// runInspect and step 5's scoring (issue 10), with inspectors of our own: what every runtime
// module relies on.

const check: RuntimeCheck = {
  id: "test-approvals-off",
  runtime: "hermes",
  title: "Approvals are off",
  severity: "critical",
  control: "approval-gate",
  kind: "config",
  remediation: "Set approvals.mode: manual.",
  fix: { target: "gate-rules", params: { set: "approvals.mode=manual" } },
  examples: { match: [{ files: {} }], noMatch: [{ files: {} }] },
  file: "rules/runtime/test-approvals-off.yaml",
};
const rules: RuleSet = { ...defaultRules(), runtime: [check] };

function fake(result: Partial<RuntimeResult>, id: RuntimeInspector["id"] = "hermes"): RuntimeInspector {
  return {
    id,
    name: `Fake ${id}`,
    lookedFor: ["~/.fake"],
    async inspect(ctx) {
      const file = await ctx.read.load({
        abs: `${ctx.home}/.hermes/config.yaml`,
        scope: "user",
        origin: "home",
        format: "yaml",
      });
      return {
        present: file !== undefined,
        files: [],
        problems: file ? [{ check: "test-approvals-off", file, key: "approvals.mode" }] : [],
        gate: { status: "off", detail: "approvals.mode off" },
        sandbox: { status: "off", detail: "local backend" },
        ...result,
      };
    },
  };
}

describe("runInspect", () => {
  it("turns a problem into a finding: location, line, fix, a fingerprint independent of the machine", async () => {
    const run = async () => {
      const s = runtimeSandbox({ "~/.hermes/config.yaml": "model: x\napprovals:\n  mode: off\n" });
      try {
        const r = await runInspect({
          home: s.home,
          root: s.root,
          systemRoot: s.system,
          origins: new Set(["home"]),
          rules,
          inspectors: [fake({})],
        });
        return { r, home: s.home };
      } finally {
        s.cleanup();
      }
    };
    const a = await run();
    const b = await run();
    expect(a.home).not.toBe(b.home);
    expect(a.r.findings).toHaveLength(1);
    const f = a.r.findings[0]!;
    expect(f).toMatchObject({
      ruleId: "test-approvals-off",
      control: "approval-gate",
      kind: "config",
      severity: "critical",
      title: "Approvals are off",
      location: {
        source: "agent-config",
        path: `${a.home}/.hermes/config.yaml`,
        line: 3,
        name: "approvals.mode",
      },
      fix: {
        target: "gate-rules",
        params: {
          runtime: "hermes",
          file: `${a.home}/.hermes/config.yaml`,
          key: "approvals.mode",
          set: "approvals.mode=manual",
        },
      },
      accepted: false,
    });
    expect(b.r.findings[0]!.fingerprint).toBe(f.fingerprint);
    expect(a.r.agents.runtimes).toEqual([
      {
        runtime: "hermes",
        name: "Fake hermes",
        present: true,
        files: [],
        gate: { status: "off", detail: "approvals.mode off" },
        sandbox: { status: "off", detail: "local backend" },
        findings: [f.fingerprint],
      },
    ]);
    expect(a.r.step.status).toBe("fail");
    expect(a.r.step.evidence).toEqual([f.fingerprint]);
  });

  it("applies rules.disable and severity overrides, and counts what it kept out", async () => {
    const s = runtimeSandbox({ "~/.hermes/config.yaml": "approvals:\n  mode: off\n" });
    try {
      const base = {
        home: s.home,
        root: s.root,
        systemRoot: s.system,
        origins: new Set(["home"] as const),
        rules,
        inspectors: [fake({})],
      };
      const off = await runInspect({ ...base, disabledRules: new Set(["test-approvals-off"]) });
      expect(off.findings).toEqual([]);
      expect(off.suppressed).toBe(1);
      const low = await runInspect({ ...base, severityOverrides: { "test-approvals-off": "low" } });
      expect(low.findings.map((f) => f.severity)).toEqual(["low"]);
    } finally {
      s.cleanup();
    }
  });

  it("refuses a problem whose check is not in rules/runtime for that runtime", async () => {
    const s = runtimeSandbox({ "~/.hermes/config.yaml": "approvals:\n  mode: off\n" });
    try {
      await expect(
        runInspect({
          home: s.home,
          root: s.root,
          systemRoot: s.system,
          origins: new Set(["home"]),
          rules,
          inspectors: [fake({}, "codex")],
        }),
      ).rejects.toThrow(
        'inspector codex reported "test-approvals-off", not a check of rules/runtime/ for it',
      );
    } finally {
      s.cleanup();
    }
  });
});

const view = (name: string, present: boolean, gate: RuntimeView["gate"]["status"]): RuntimeView => ({
  runtime: "codex",
  name,
  present,
  files: [],
  gate: { status: gate, detail: `${gate} detail` },
  sandbox: { status: "on", detail: "" },
  findings: [],
});

describe("scoreGate (step 5)", () => {
  const inspectors = [
    fake({}),
    { ...fake({}, "codex"), name: "Codex CLI", lookedFor: ["~/.codex/config.toml", ".codex/config.toml"] },
  ];
  const all = new Set(["home", "tree", "system"] as const);
  it("warns when no runtime config is found, naming what was looked for", () => {
    expect(scoreGate([view("A", false, "unknown")], inspectors, all, [])).toEqual({
      status: "warn",
      summary:
        "no agent runtime config found; looked for Fake hermes (~/.fake); Codex CLI (~/.codex/config.toml, .codex/config.toml)",
      evidence: [],
    });
  });
  it("skips when no config origin was read", () => {
    expect(scoreGate([], inspectors, new Set(), []).status).toBe("skip");
  });
  it("fails on a gate that is off, whatever the others", () => {
    const r = scoreGate(
      [view("A", true, "covered"), view("B", true, "off"), view("C", true, "unknown")],
      inspectors,
      all,
      [],
    );
    expect(r).toEqual({ status: "fail", summary: "B: gate off (off detail)", evidence: [] });
  });
  it("is an error when every present runtime's config is unreadable, a warning when some is", () => {
    expect(scoreGate([view("A", true, "unknown"), view("B", false, "off")], inspectors, all, []).status).toBe(
      "error",
    );
    expect(
      scoreGate([view("A", true, "unknown"), view("B", true, "covered")], inspectors, all, []).status,
    ).toBe("warn");
  });
  it("warns on a partial gate and passes only when every present gate covers", () => {
    expect(
      scoreGate([view("A", true, "partial"), view("B", true, "covered")], inspectors, all, []).status,
    ).toBe("warn");
    expect(scoreGate([view("A", true, "covered"), view("B", false, "off")], inspectors, all, [])).toEqual({
      status: "pass",
      summary: "A: gate covered (covered detail)",
      evidence: [],
    });
  });
});

describe("portablePath", () => {
  it("names a config by home, root or system root", () => {
    const ctx = { home: "/h/u", root: "/h/u/work", systemRoot: "/img" };
    expect(portablePath("/h/u/.claude/settings.json", ctx)).toBe("~/.claude/settings.json");
    expect(portablePath("/h/u/work/.claude/settings.json", ctx)).toBe("./.claude/settings.json");
    expect(portablePath("/img/etc/codex/requirements.toml", ctx)).toBe("/etc/codex/requirements.toml");
    expect(portablePath("/h/user2/x", ctx)).toBe("/h/user2/x");
    expect(portablePath("/etc/x", { ...ctx, systemRoot: "/" })).toBe("/etc/x");
  });
});

describe("scoreGate with a sandbox that has no gate of its own", () => {
  const inspectors = [
    { ...fake({}, "codex"), name: "Codex CLI", lookedFor: ["~/.codex/config.toml"] },
    { ...fake({}, "sandbox-runtime"), name: "srt", lookedFor: ["~/.srt-settings.json"] },
  ];
  const all = new Set(["home", "tree", "system"] as const);
  const srt: RuntimeView = { ...view("srt", true, "none"), runtime: "sandbox-runtime" };
  it("alone it warns: nothing asks before a command", () => {
    expect(scoreGate([view("Codex CLI", false, "unknown"), srt], inspectors, all, [])).toEqual({
      status: "warn",
      summary:
        "no agent runtime with a command gate found (srt: gate none (none detail)); looked for Codex CLI (~/.codex/config.toml)",
      evidence: [],
    });
  });
  it("beside a covered gate it neither passes nor fails the step", () => {
    expect(scoreGate([view("Codex CLI", true, "covered"), srt], inspectors, all, [])).toEqual({
      status: "pass",
      summary: "Codex CLI: gate covered (covered detail)",
      evidence: [],
    });
  });
});
