import { describe, expect, it } from "vitest";
import { makeFinding } from "../../src/contract/finding.js";
import type { Finding, Severity, SourceKind } from "../../src/contract/types.js";
import {
  applyTreeSeverity,
  type ConfigPolicy,
  configScope,
  failPolicy,
  reportPolicy,
  reportVerdict,
  verdictExitCode,
} from "../../src/report/policy.js";

// src/report/policy.ts as units: the exit policy (issue 9: every format and the exit code read one
// verdict) and the trust model of agent-audit.yaml (issue 8: a config found in the audited root
// governs the tree's findings only). test/render/verdict.test.ts checks the same through the CLI.

let seq = 0;
function finding(
  severity: Severity,
  source: SourceKind,
  over: { accepted?: boolean; ruleId?: string; valid?: boolean } = {},
): Finding {
  const subject = `subject-${seq++}`;
  const f = makeFinding({
    ruleId: over.ruleId ?? "test-rule",
    control: "secret-inventory",
    kind: "secret",
    severity,
    title: "t",
    remediation: "r",
    location: { source, path: `p${seq}` },
    subject,
    secret: {
      provider: "p",
      type: "t",
      value: subject,
      ...(over.valid !== undefined ? { valid: over.valid } : {}),
    },
  });
  f.accepted = over.accepted ?? false;
  return f;
}

describe("configScope", () => {
  it("a config found in the root governs the tree; one named with --config, every source", () => {
    expect(configScope(true)).toBe("tree");
    expect(configScope(false)).toBe("all");
  });
});

describe("failPolicy", () => {
  it("defaults to high everywhere", () => {
    expect(failPolicy(undefined, undefined, "all")).toStrictEqual({ failOn: "high", treeFailOn: "high" });
    expect(failPolicy(undefined, undefined, "tree")).toStrictEqual({ failOn: "high", treeFailOn: "high" });
  });

  it("the --fail-on flag beats the config, named or discovered, for every source", () => {
    expect(failPolicy("low", "critical", "all")).toStrictEqual({ failOn: "low", treeFailOn: "low" });
    expect(failPolicy("low", "critical", "tree")).toStrictEqual({ failOn: "low", treeFailOn: "low" });
    expect(failPolicy("critical", undefined, "tree")).toStrictEqual({
      failOn: "critical",
      treeFailOn: "critical",
    });
  });

  it("a named config's failOn applies to every source", () => {
    expect(failPolicy(undefined, "medium", "all")).toStrictEqual({ failOn: "medium", treeFailOn: "medium" });
  });

  it("a discovered config's failOn reaches the tree's findings only", () => {
    expect(failPolicy(undefined, "medium", "tree")).toStrictEqual({ failOn: "high", treeFailOn: "medium" });
    expect(failPolicy(undefined, "critical", "tree")).toStrictEqual({
      failOn: "high",
      treeFailOn: "critical",
    });
  });
});

describe("reportVerdict", () => {
  it("lists the unaccepted findings at or above the threshold, in the given order", () => {
    const fs = [
      finding("critical", "env"),
      finding("high", "home"),
      finding("high", "home", { accepted: true }),
      finding("medium", "tree"),
      finding("critical", "tree", { accepted: true }),
      finding("high", "process"),
    ];
    expect(reportVerdict(fs, { failOn: "high", treeFailOn: "high" })).toStrictEqual({
      failOn: "high",
      failing: [fs[0]!.fingerprint, fs[1]!.fingerprint, fs[5]!.fingerprint],
    });
    expect(reportVerdict(fs, { failOn: "medium", treeFailOn: "medium" }).failing).toEqual([
      fs[0]!.fingerprint,
      fs[1]!.fingerprint,
      fs[3]!.fingerprint,
      fs[5]!.fingerprint,
    ]);
    expect(reportVerdict(fs, { failOn: "critical", treeFailOn: "critical" }).failing).toEqual([
      fs[0]!.fingerprint,
    ]);
  });

  it("judges the tree's findings by the tree's threshold and the rest by failOn", () => {
    const treeMedium = finding("medium", "tree");
    const homeMedium = finding("medium", "home");
    const treeHigh = finding("high", "tree");
    const envHigh = finding("high", "env");
    const fs = [treeMedium, homeMedium, treeHigh, envHigh];
    // A discovered config lowered the tree's threshold: the home's medium does not fail.
    expect(reportVerdict(fs, { failOn: "high", treeFailOn: "medium" })).toStrictEqual({
      failOn: "high",
      treeFailOn: "medium",
      failing: [treeMedium.fingerprint, treeHigh.fingerprint, envHigh.fingerprint],
    });
    // It raised it: the tree's high does not fail, the environment's does.
    expect(reportVerdict(fs, { failOn: "high", treeFailOn: "critical" })).toStrictEqual({
      failOn: "high",
      treeFailOn: "critical",
      failing: [envHigh.fingerprint],
    });
  });

  it("names treeFailOn only when it differs, and its keys come in the contract's order", () => {
    const v = reportVerdict([], { failOn: "low", treeFailOn: "medium" });
    expect(Object.keys(v)).toEqual(["failOn", "treeFailOn", "failing"]);
    expect(Object.keys(reportVerdict([], { failOn: "low", treeFailOn: "low" }))).toEqual([
      "failOn",
      "failing",
    ]);
  });

  it("info findings fail only at --fail-on info", () => {
    const info = finding("info", "env");
    expect(reportVerdict([info], { failOn: "low", treeFailOn: "low" }).failing).toEqual([]);
    expect(reportVerdict([info], { failOn: "info", treeFailOn: "info" }).failing).toEqual([info.fingerprint]);
  });
});

describe("verdictExitCode", () => {
  const failing = { failOn: "high" as const, failing: ["abc"] };
  const passing = { failOn: "high" as const, failing: [] };
  it("is 1 with a failing finding, 0 without; --exit-zero forces 0", () => {
    expect(verdictExitCode(failing, false)).toBe(1);
    expect(verdictExitCode(passing, false)).toBe(0);
    expect(verdictExitCode(failing, true)).toBe(0);
    expect(verdictExitCode(passing, true)).toBe(0);
  });
});

describe("reportPolicy", () => {
  const empty: ConfigPolicy = { rules: { disable: [], severity: {} }, include: [], exclude: [] };

  it("with no config and no baseline: empty lists and zero counts, nothing else", () => {
    const p = reportPolicy({ config: empty, discovered: false, findings: [] });
    expect(p).toStrictEqual({
      disabledRules: [],
      severityOverrides: [],
      suppressed: { config: 0, inlineAllow: 0, baseline: 0 },
    });
  });

  it("sorts and de-duplicates the disabled rules, sorts the overrides by rule id", () => {
    const config: ConfigPolicy = {
      rules: {
        disable: ["jwt", "aws-access-key-id", "jwt", "Zeta"],
        severity: { zz: "low", aa: "critical", mm: "info" },
      },
      include: [],
      exclude: [],
    };
    const p = reportPolicy({ config, configPath: "/etc/agent-audit.yaml", discovered: false, findings: [] });
    expect(p.disabledRules).toEqual(["Zeta", "aws-access-key-id", "jwt"]);
    expect(p.severityOverrides).toEqual([
      { ruleId: "aa", severity: "critical" },
      { ruleId: "mm", severity: "info" },
      { ruleId: "zz", severity: "low" },
    ]);
    expect(p.config).toStrictEqual({ path: "/etc/agent-audit.yaml", discovered: false, scope: "all" });
    // The config's lists are not the report's.
    expect(config.rules.disable).toEqual(["jwt", "aws-access-key-id", "jwt", "Zeta"]);
  });

  it("a discovered config: scope tree, and its failOn with the same scope", () => {
    const config: ConfigPolicy = { ...empty, failOn: "medium" };
    const p = reportPolicy({ config, configPath: "agent-audit.yaml", discovered: true, findings: [] });
    expect(p.config).toStrictEqual({ path: "agent-audit.yaml", discovered: true, scope: "tree" });
    expect(p.failOn).toStrictEqual({ severity: "medium", scope: "tree" });
  });

  it("the config's failOn is reported only when the --fail-on flag did not beat it", () => {
    const config: ConfigPolicy = { ...empty, failOn: "low" };
    expect(reportPolicy({ config, discovered: false, findings: [] }).failOn).toStrictEqual({
      severity: "low",
      scope: "all",
    });
    expect("failOn" in reportPolicy({ config, discovered: false, failFlag: "high", findings: [] })).toBe(
      false,
    );
    expect("failOn" in reportPolicy({ config: empty, discovered: false, findings: [] })).toBe(false);
  });

  it("names the tree globs only when the config set some", () => {
    expect("paths" in reportPolicy({ config: empty, discovered: true, findings: [] })).toBe(false);
    const onlyExclude = reportPolicy({
      config: { ...empty, exclude: ["**"] },
      discovered: true,
      findings: [],
    });
    expect(onlyExclude.paths).toStrictEqual({ include: [], exclude: ["**"] });
    const onlyInclude = reportPolicy({
      config: { ...empty, include: ["src/**"] },
      discovered: true,
      findings: [],
    });
    expect(onlyInclude.paths).toStrictEqual({ include: ["src/**"], exclude: [] });
  });

  it("no config block without a config path", () => {
    expect("config" in reportPolicy({ config: empty, discovered: true, findings: [] })).toBe(false);
  });

  it("counts the accepted findings as suppressed by the baseline, and passes the other counts on", () => {
    const fs = [
      finding("high", "tree", { accepted: true }),
      finding("low", "env", { accepted: true }),
      finding("critical", "home"),
    ];
    const p = reportPolicy({
      config: empty,
      discovered: false,
      baseline: { path: ".agent-audit-baseline.json", entries: 5 },
      findings: fs,
      suppressed: { config: 3, inlineAllow: 7 },
    });
    expect(p.suppressed).toStrictEqual({ config: 3, inlineAllow: 7, baseline: 2 });
    expect(p.baseline).toStrictEqual({ path: ".agent-audit-baseline.json", entries: 5 });
  });

  it("writes every field, in the order the golden reports hold", () => {
    const p = reportPolicy({
      config: {
        rules: { disable: ["jwt"], severity: { jwt: "low" } },
        include: ["a"],
        exclude: [],
        failOn: "low",
      },
      configPath: "agent-audit.yaml",
      discovered: true,
      baseline: { path: "b.json", entries: 1 },
      findings: [],
    });
    expect(Object.keys(p)).toEqual([
      "disabledRules",
      "severityOverrides",
      "suppressed",
      "config",
      "paths",
      "failOn",
      "baseline",
    ]);
    expect(Object.keys(p.suppressed)).toEqual(["config", "inlineAllow", "baseline"]);
  });
});

describe("applyTreeSeverity", () => {
  it("re-rates the tree's findings of the listed rules only, in place", () => {
    const tree = finding("high", "tree", { ruleId: "jwt" });
    const treeOther = finding("high", "tree", { ruleId: "other" });
    const home = finding("high", "home", { ruleId: "jwt" });
    const env = finding("critical", "env", { ruleId: "jwt" });
    applyTreeSeverity([tree, treeOther, home, env], { jwt: "low" });
    expect([tree, treeOther, home, env].map((f) => f.severity)).toEqual(["low", "high", "high", "critical"]);
  });

  it("can raise a severity too", () => {
    const tree = finding("low", "tree", { ruleId: "jwt" });
    applyTreeSeverity([tree], { jwt: "critical" });
    expect(tree.severity).toBe("critical");
  });

  it("a finding that fails its offline validity check stays info", () => {
    const invalid = finding("critical", "tree", { ruleId: "jwt", valid: false });
    const valid = finding("medium", "tree", { ruleId: "jwt", valid: true });
    expect(invalid.severity).toBe("info");
    applyTreeSeverity([invalid, valid], { jwt: "high" });
    expect(invalid.severity).toBe("info");
    expect(valid.severity).toBe("high");
  });

  it("with no override, nothing changes", () => {
    const tree = finding("medium", "tree");
    applyTreeSeverity([tree], {});
    expect(tree.severity).toBe("medium");
  });
});
