import { execFileSync } from "node:child_process";
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { codex } from "../../../src/capabilities/inspect/codex.js";
import { parseRules } from "../../../src/capabilities/inspect/codex-rules.js";
import { runInspect } from "../../../src/capabilities/inspect/index.js";
import type { Origin } from "../../../src/capabilities/inspect/types.js";
import { inspectFiles, runtimeSandbox } from "../../helpers/runtime.js";

// The Codex CLI inspector (issue 10) over the fixture sets and hostile inputs.

const FIXTURES = join(import.meta.dirname, "../../../fixtures/runtimes/codex");

async function fixture(name: "safe" | "unsafe", origins: Origin[] = ["home", "tree", "system"]) {
  const dir = join(FIXTURES, name);
  return runInspect({
    home: join(dir, "home"),
    root: join(dir, "tree"),
    systemRoot: join(dir, "system"),
    origins: new Set(origins),
    inspectors: [codex],
  });
}

const ids = (r: { findings: { ruleId: string }[] }) => r.findings.map((f) => f.ruleId).sort();
const view = (r: Awaited<ReturnType<typeof fixture>>) => r.agents.runtimes[0]!;

describe("Codex CLI fixtures", () => {
  it("safe: untrusted + read-only profile, rules cover every category, requirements pin: covered, no findings", async () => {
    const r = await fixture("safe");
    expect(r.issues).toEqual([]);
    expect(ids(r)).toEqual([]);
    const v = view(r);
    expect(v.present).toBe(true);
    expect(v.files.map((f) => `${f.scope}:${f.ok}`)).toEqual([
      "project:true",
      "user:true",
      "rules:true",
      "requirements:true",
    ]);
    expect(v.gate.status).toBe("covered");
    expect(v.gate.detail).toBe(
      "approval_policy untrusted in project config with sandbox_mode read-only in user config; rules prompt for or forbid every dangerous category",
    );
    expect(v.sandbox).toEqual({ status: "on", detail: "sandbox_mode read-only in user config" });
    expect(r.step.status).toBe("pass");
  });

  it("unsafe: the selected profile runs never + danger-full-access; rules broken; proxy switch off; requirements allow all", async () => {
    const r = await fixture("unsafe");
    expect(r.issues).toEqual([]);
    expect(ids(r)).toEqual([
      "codex-full-access-no-approval",
      "codex-network-dangerous-flag",
      "codex-requirements-unpinned",
      "codex-rules-invalid",
      "codex-unused-profile-unsafe",
      "codex-unused-profile-unsafe",
    ]);
    const v = view(r);
    expect(v.gate.status).toBe("off");
    expect(v.sandbox.status).toBe("off");
    expect(r.step.status).toBe("fail");
    const critical = r.findings.find((f) => f.ruleId === "codex-full-access-no-approval")!;
    expect(critical.location).toEqual({
      source: "agent-config",
      path: join(FIXTURES, "unsafe/home/.codex/config.toml"),
      line: 13,
      name: "profiles.yolo.approval_policy",
    });
    const rules = r.findings.find((f) => f.ruleId === "codex-rules-invalid")!;
    expect(rules.title).toBe(
      'Codex rules file does not parse at line 2, column 42: decision must be "allow", "prompt" or "forbidden"; Codex does not apply its rules',
    );
    expect(rules.location.line).toBe(2);
    expect(
      r.findings
        .filter((f) => f.ruleId === "codex-unused-profile-unsafe")
        .map((f) => f.location.name)
        .sort(),
    ).toEqual(["permissions.agent", "profiles.fast"]);
    expect(r.findings.find((f) => f.ruleId === "codex-network-dangerous-flag")!.location.name).toBe(
      "permissions.agent.network.dangerously_allow_non_loopback_proxy",
    );
  });

  it("unsafe without the system source: no requirements finding; the sandbox off stays off", async () => {
    const r = await fixture("unsafe", ["home", "tree"]);
    expect(ids(r)).toEqual([
      "codex-full-access-no-approval",
      "codex-network-dangerous-flag",
      "codex-rules-invalid",
      "codex-unused-profile-unsafe",
      "codex-unused-profile-unsafe",
    ]);
  });
});

const base = 'model = "gpt-5-codex"\n';

describe("Codex CLI effective settings", () => {
  it("requirements that pin safe values reject never + danger-full-access", async () => {
    const r = await inspectFiles(
      {
        "~/.codex/config.toml": `${base}approval_policy = "never"\nsandbox_mode = "danger-full-access"\n`,
        "/etc/codex/requirements.toml":
          'allowed_approval_policies = ["on-request"]\nallowed_sandbox_modes = ["workspace-write"]\n',
      },
      { runtime: "codex" },
    );
    expect(r.issues).toEqual([]);
    expect(ids(r)).toEqual(["codex-rules-gap"]);
    expect(r.agents.runtimes[0]!.gate).toEqual({
      status: "partial",
      detail:
        "approval_policy on-request (requirements.toml rejects the configured value); no prompt/forbidden rules for irreversible deletes (rm -rf), network fetches piped to a shell (curl, wget), package installs (npm install, pip install)",
    });
    expect(r.agents.runtimes[0]!.sandbox.status).toBe("on");
  });

  it("approval_policy never with a workspace sandbox: partial, the sandbox holds", async () => {
    const r = await inspectFiles(
      { "~/.codex/config.toml": 'approval_policy = "never"\n' },
      { runtime: "codex", origins: ["home"] },
    );
    expect(ids(r)).toEqual(["codex-approval-never"]);
    expect(r.agents.runtimes[0]!.gate).toEqual({
      status: "partial",
      detail:
        "approval_policy never in user config: nothing asks; the workspace-write sandbox is the only boundary",
    });
  });

  it("network: permission profile with domains and the proxy feature off is critical and weakens the sandbox", async () => {
    const r = await inspectFiles(
      {
        "~/.codex/config.toml":
          'default_permissions = "agent"\n\n[permissions.agent.network]\nenabled = true\n\n[permissions.agent.network.domains]\n"pypi.org" = "allow"\n',
      },
      { runtime: "codex", origins: ["home"] },
    );
    expect(ids(r)).toEqual(["codex-network-proxy-off", "codex-rules-gap"]);
    expect(r.agents.runtimes[0]!.sandbox).toEqual({
      status: "weak",
      detail:
        "permission profile agent: network enabled but features.network_proxy off (domain rules not enforced)",
    });
    expect(r.findings.find((f) => f.ruleId === "codex-network-proxy-off")!.location.line).toBe(4);
  });

  it("a managed network policy in requirements.toml enforces the domain rules", async () => {
    const r = await inspectFiles(
      {
        "~/.codex/config.toml":
          'default_permissions = "agent"\n\n[permissions.agent.network]\nenabled = true\n\n[permissions.agent.network.domains]\n"pypi.org" = "allow"\n',
        "/etc/codex/requirements.toml":
          'allowed_approval_policies = ["on-request"]\nallowed_sandbox_modes = ["workspace-write"]\n\n[experimental_network]\nallowed_domains = ["pypi.org"]\nmanaged_allowed_domains_only = true\n',
      },
      { runtime: "codex" },
    );
    expect(r.issues).toEqual([]);
    expect(ids(r)).toEqual(["codex-rules-gap"]);
    expect(r.agents.runtimes[0]!.sandbox).toEqual({
      status: "on",
      detail: "permission profile agent in user config",
    });
  });

  it("network enabled with no domains and no proxy: the title says egress is unrestricted", async () => {
    const r = await inspectFiles(
      {
        "~/.codex/config.toml":
          'default_permissions = "open"\n\n[permissions.open.network]\nenabled = true\n',
      },
      { runtime: "codex", origins: ["home"] },
    );
    expect(r.issues).toEqual([]);
    expect(r.findings.find((f) => f.ruleId === "codex-network-proxy-off")!.title).toBe(
      "Codex permission profile enables the network with no proxy and no domain rules: egress is unrestricted",
    );
  });

  it("features.network_proxy as a table with enabled = true counts as on", async () => {
    const r = await inspectFiles(
      {
        "~/.codex/config.toml":
          'default_permissions = "agent"\n\n[permissions.agent.network]\nenabled = true\n\n[permissions.agent.network.domains]\n"pypi.org" = "allow"\n\n[features.network_proxy]\nenabled = true\n',
      },
      { runtime: "codex", origins: ["home"] },
    );
    expect(r.issues).toEqual([]);
    expect(ids(r)).toEqual(["codex-rules-gap"]);
    expect(r.agents.runtimes[0]!.sandbox.status).toBe("on");
  });

  it("workspace network on and a writable credential root", async () => {
    const r = await inspectFiles(
      {
        "~/.codex/config.toml":
          '[sandbox_workspace_write]\nnetwork_access = true\nwritable_roots = ["/var/cache/build", "~/.aws"]\n',
      },
      { runtime: "codex", origins: ["home"] },
    );
    expect(ids(r)).toEqual(["codex-network-unproxied", "codex-rules-gap", "codex-writable-credentials"]);
    expect(r.findings.find((f) => f.ruleId === "codex-writable-credentials")!.location.name).toBe(
      "sandbox_workspace_write.writable_roots[1]",
    );
    expect(r.findings.find((f) => f.ruleId === "codex-rules-gap")!.title).toBe(
      "Codex rules do not prompt for or forbid: irreversible deletes (rm -rf), network fetches piped to a shell (curl, wget), package installs (npm install, pip install), credential-path writes",
    );
  });

  it("managed [rules] in requirements.toml and project rules count toward coverage (most restrictive wins)", async () => {
    const r = await inspectFiles(
      {
        "~/.codex/config.toml": 'approval_policy = "on-request"\nsandbox_mode = "workspace-write"\n',
        "/etc/codex/requirements.toml":
          'allowed_approval_policies = ["untrusted", "on-request"]\nallowed_sandbox_modes = ["read-only", "workspace-write"]\n\n[rules]\nprefix_rules = [\n  { pattern = [{ token = "rm" }], decision = "forbidden", justification = "no deletes" },\n  { pattern = [{ any_of = ["curl", "wget"] }], decision = "prompt" },\n]\n',
        "./.codex/rules/project.rules":
          'prefix_rule(pattern = [["npm", "pip"], "install"], decision = "prompt")\nprefix_rule(pattern = ["rm"], decision = "allow")\n',
      },
      { runtime: "codex" },
    );
    expect(r.issues).toEqual([]);
    expect(ids(r)).toEqual(["codex-rules-allow-broad"]);
    expect(r.findings[0]!.title).toBe("Codex rule allows rm outside the sandbox without asking (line 2)");
    expect(r.findings[0]!.location.line).toBe(2);
    // The package-install rules are the project's, and the project is not trusted (Codex skips them).
    expect(r.agents.runtimes[0]!.gate.status).toBe("partial");
  });

  it("a malformed managed rule is an issue and is skipped", async () => {
    const r = await inspectFiles(
      {
        "~/.codex/config.toml": 'approval_policy = "on-request"\n',
        "/etc/codex/requirements.toml":
          'allowed_approval_policies = ["on-request"]\nallowed_sandbox_modes = ["workspace-write"]\n\n[rules]\nprefix_rules = [{ pattern = [{ token = "rm" }], decision = "allow" }]\n',
      },
      { runtime: "codex" },
    );
    expect(r.issues.map((i) => i.message)).toEqual([
      'rules.prefix_rules[0]: needs pattern = [{ token = "..." } or { any_of = [...] }, ...] and decision = "prompt", "prompt-user" or "forbidden" (skipped)',
    ]);
    expect(ids(r)).toEqual(["codex-rules-gap"]);
  });

  it("CODEX_HOME (here written ~/alt) moves the config and the rules", async () => {
    const s = runtimeSandbox({
      "~/.codex/config.toml": 'approval_policy = "never"\nsandbox_mode = "danger-full-access"\n',
      "~/alt/config.toml": 'approval_policy = "untrusted"\nsandbox_mode = "workspace-write"\n',
      "~/alt/rules/default.rules":
        'prefix_rule(pattern = ["rm"], decision = "forbidden")\nprefix_rule(pattern = [["curl", "wget"]], decision = "prompt")\nprefix_rule(pattern = [["npm", "pip"], "install"], decision = "prompt")\n',
    });
    try {
      const r = await runInspect({
        home: s.home,
        root: s.root,
        systemRoot: s.system,
        origins: new Set(["home"]),
        env: { CODEX_HOME: "~/alt" },
        inspectors: [codex],
      });
      expect(r.issues).toEqual([]);
      expect(ids(r)).toEqual([]);
      expect(r.agents.runtimes[0]!.files.map((f) => f.path)).toEqual([
        join(s.home, "alt/config.toml"),
        join(s.home, "alt/rules/default.rules"),
      ]);
      expect(r.agents.runtimes[0]!.gate.status).toBe("covered");
    } finally {
      s.cleanup();
    }
  });

  it("CODEX_HOME: an absolute path is read under the system root, a relative one from the home; a non-path is an issue", async () => {
    const files = {
      "~/rel/config.toml": 'approval_policy = "never"\n',
      "/opt/codex/config.toml": 'sandbox_mode = "danger-full-access"\n',
    };
    const rel = await inspectFiles(files, {
      runtime: "codex",
      origins: ["home"],
      env: { CODEX_HOME: "rel" },
    });
    expect(ids(rel)).toEqual(["codex-approval-never"]);
    expect(rel.agents.runtimes[0]!.files.map((f) => f.path)).toEqual([
      join(rel.sandbox.home, "rel/config.toml"),
    ]);
    const abs = await inspectFiles(files, {
      runtime: "codex",
      origins: ["home"],
      env: { CODEX_HOME: "/opt/codex" },
    });
    expect(ids(abs)).toEqual(["codex-rules-gap", "codex-sandbox-off"]);
    expect(abs.agents.runtimes[0]!.files.map((f) => f.path)).toEqual([
      join(abs.sandbox.system, "opt/codex/config.toml"),
    ]);
    const junk = await inspectFiles(files, {
      runtime: "codex",
      origins: ["home"],
      env: { CODEX_HOME: '{"k": "v"}' },
    });
    expect(junk.issues).toEqual([
      { where: "$CODEX_HOME", message: "does not name a directory (the value is not a path; not printed)" },
    ]);
  });

  it("an env marker makes Codex present without a config: its defaults are inspected", async () => {
    const r = await inspectFiles({}, { runtime: "codex", env: { CODEX_SANDBOX: "seatbelt" } });
    expect(r.issues).toEqual([]);
    expect(ids(r)).toEqual(["codex-requirements-unpinned", "codex-rules-gap"]);
    expect(r.agents.runtimes[0]!.present).toBe(true);
    expect(r.agents.runtimes[0]!.gate.status).toBe("partial");
  });

  it("no config and no marker: not present", async () => {
    const r = await inspectFiles({}, { runtime: "codex" });
    expect(r.agents.runtimes[0]!.present).toBe(false);
    expect(ids(r)).toEqual([]);
  });
});

describe("Codex CLI hostile inputs", () => {
  const home = (text: string | Buffer) =>
    inspectFiles({ "~/.codex/config.toml": text }, { runtime: "codex", origins: ["home"] });

  it("bad TOML: an issue with line and column; gate and sandbox unknown", async () => {
    const r = await home('model = "x"\napproval_policy = "never\n');
    expect(r.issues.map((i) => i.message)).toEqual([
      "not valid TOML at line 2, column 25: control characters are not allowed in strings",
    ]);
    expect(r.issues[0]!.where).toBe(join(r.sandbox.home, ".codex/config.toml"));
    expect(r.agents.runtimes[0]!.gate.status).toBe("unknown");
    expect(r.agents.runtimes[0]!.sandbox.status).toBe("unknown");
    expect(r.step.status).toBe("error");
  });

  it("wrong types and unknown values: type issues, read as unset", async () => {
    const r = await home('approval_policy = 3\nsandbox_mode = "yolo"\n');
    expect(r.issues.map((i) => i.message)).toEqual([
      "line 1: approval_policy: expected a string, found a number (ignored, as the runtime would reject or ignore it)",
      'line 2: sandbox_mode: "yolo" is not one of read-only, workspace-write, danger-full-access (ignored; Codex refuses to start with it)',
    ]);
    expect(ids(r)).toEqual(["codex-rules-gap"]);
  });

  it("a secret written where a name or value belongs is never printed", async () => {
    const secret = "sk-proj-Zq8Lm2Xw7Rt5Yp8Nc4VbQe1234";
    const r = await inspectFiles(
      {
        "~/.codex/config.toml": `sandbox_mode = "${secret}"\nprofile = "${secret}"\n`,
        "~/.codex/rules/default.rules": `prefix_rule(pattern = ["curl", "-H", "Authorization: Bearer ${secret}"], decision = "allow")\n`,
      },
      { runtime: "codex", origins: ["home"] },
    );
    expect(r.issues.map((i) => i.message)).toEqual([
      "line 2: profile (a value not printed) names no [profiles] table (Codex refuses to start)",
      "line 1: sandbox_mode: (a value not printed) is not one of read-only, workspace-write, danger-full-access (ignored; Codex refuses to start with it)",
    ]);
    expect(r.findings.find((f) => f.ruleId === "codex-rules-allow-broad")!.title).toBe(
      "Codex rule allows curl … outside the sandbox without asking (line 1)",
    );
    expect(JSON.stringify([r.issues, r.findings, r.agents])).not.toContain("Zq8Lm2Xw7");
  });

  it("a rules file just under the size cap parses in linear time", async () => {
    const line =
      'prefix_rule(pattern = ["rm", ["-rf", "-fr"]], decision = "forbidden", justification = "x")\n';
    const text = line.repeat(Math.floor((1024 * 1024 - 1) / line.length));
    const r = await inspectFiles(
      { "~/.codex/config.toml": 'approval_policy = "on-request"\n', "~/.codex/rules/big.rules": text },
      { runtime: "codex", origins: ["home"] },
    );
    expect(r.issues).toEqual([]);
    expect(r.findings.find((f) => f.ruleId === "codex-rules-gap")!.title).toBe(
      "Codex rules do not prompt for or forbid: network fetches piped to a shell (curl, wget), package installs (npm install, pip install)",
    );
  });

  it("a FIFO config is skipped, not opened for reading", async () => {
    const s = runtimeSandbox({});
    try {
      mkdirSync(join(s.home, ".codex"));
      execFileSync("mkfifo", [join(s.home, ".codex/config.toml")]);
      const r = await runInspect({
        home: s.home,
        root: s.root,
        systemRoot: s.system,
        origins: new Set(["home"]),
        inspectors: [codex],
      });
      expect(r.issues).toEqual([
        { where: join(s.home, ".codex/config.toml"), message: "skipped: is a FIFO, not a regular file" },
      ]);
      expect(r.agents.runtimes[0]!.gate.status).toBe("unknown");
    } finally {
      s.cleanup();
    }
  });

  it("a symlink out of the home is not followed", async () => {
    const s = runtimeSandbox({});
    try {
      mkdirSync(join(s.home, ".codex"));
      writeFileSync(join(s.dir, "elsewhere.toml"), 'approval_policy = "never"\n');
      symlinkSync(join(s.dir, "elsewhere.toml"), join(s.home, ".codex/config.toml"));
      const r = await runInspect({
        home: s.home,
        root: s.root,
        systemRoot: s.system,
        origins: new Set(["home"]),
        inspectors: [codex],
      });
      expect(r.issues.map((i) => i.message)).toEqual([
        "skipped: leads outside the home directory (a symlink); the runtime follows it, so inspect its target by hand",
      ]);
      expect(ids(r)).toEqual([]);
      expect(r.agents.runtimes[0]!.gate.status).toBe("unknown");
    } finally {
      s.cleanup();
    }
  });

  it("a huge file is skipped", async () => {
    const r = await home(`# ${"x".repeat(1024 * 1024 + 10)}\n`);
    expect(r.issues.map((i) => i.message)).toEqual([
      "skipped: is 1048589 bytes, over the 1048576-byte limit",
    ]);
    expect(r.agents.runtimes[0]!.gate.status).toBe("unknown");
  });

  it("deep nesting is refused with its position", async () => {
    const r = await home(`x = ${"[".repeat(200)}${"]".repeat(200)}\n`);
    expect(r.issues.map((i) => i.message)).toEqual([
      "not valid TOML at line 1, column 69: document contains excessively nested structures. aborting.",
    ]);
    expect(r.agents.runtimes[0]!.gate.status).toBe("unknown");
  });

  it("control characters in names stay data: escaped in issues, kept as data in findings", async () => {
    const r = await home(
      'profile = "\\u001b[2Jx"\n\n[permissions."a\\u001b]0;t\\u0007".network]\ndangerously_allow_all_unix_sockets = true\n',
    );
    expect(r.issues.map((i) => i.message)).toEqual([
      "line 1: profile (a value not printed) names no [profiles] table (Codex refuses to start)",
    ]);
    const f = r.findings.find((x) => x.ruleId === "codex-network-dangerous-flag")!;
    expect(f.location.name).toBe("permissions.a\u001b]0;t\u0007.network.dangerously_allow_all_unix_sockets");
  });
});

describe("Codex rules files (checked as text)", () => {
  it("accepts the real format: keyword calls, nested alternatives, comments, triple quotes, trailing commas", () => {
    const r = parseRules(
      '# c\nprefix_rule(\n    pattern = ["gh", "pr", ["view", "list"]],\n    decision = "prompt",\n    justification = """multi\nline""",\n    match = [["gh", "pr", "view", "1"]],\n)\nnetwork_rule(host = "example.com", protocol = "https", decision = "allow")\nhost_executable(name = "git", paths = ["/usr/bin/git"])\n',
    );
    expect(r).toEqual({
      ok: true,
      rules: [{ line: 2, decision: "prompt", pattern: [["gh"], ["pr"], ["view", "list"]] }],
    });
  });

  it.each([
    ['prefix_rule(pattern = ["rm"], decision = "forbidden"', 1, 53, 'expected "," or ")"'],
    ['prefix_rule(pattern = ["rm)\nprefix_rule(pattern = ["dd"])', 1, 24, "string is not closed on its line"],
    ['prefix_rule(pattern = ["rm], decision = "prompt")', 1, 48, "string is not closed"],
    [
      'prefix_rule(pattern = ["rm"], decision = "deny")',
      1,
      42,
      'decision must be "allow", "prompt" or "forbidden"',
    ],
    ['prefix_rule(decision = "prompt")', 1, 1, "prefix_rule needs pattern = [...]"],
    ['prefix_rule(pattern = [], decision = "prompt")', 1, 23, "pattern must be a non-empty list"],
    ['prefix_rule(["rm"])', 1, 13, "expected a keyword argument (name = value)"],
    ['prefix_rule(pattern = ["rm"], action = "prompt")', 1, 31, 'prefix_rule takes no argument "action"'],
    [
      'rules = ["rm"]\nprefix_rule(pattern = rules)',
      1,
      1,
      "expected a call of prefix_rule, network_rule or host_executable",
    ],
    ['prefix_rule(pattern = ["rm"]) prefix_rule(pattern = ["dd"])', 1, 31, "two statements on one line"],
    ['prefix_rule(pattern = [[[[["rm"]]]]])', 1, 27, "lists nested too deep"],
    [
      'prefix_rule(pattern = ["rm"])\n\n  load("x")',
      3,
      3,
      "expected a call of prefix_rule, network_rule or host_executable",
    ],
  ])("%j: line %i, column %i: %s", (text, line, column, reason) => {
    expect(parseRules(text as string)).toEqual({ ok: false, line, column, reason });
  });
});
