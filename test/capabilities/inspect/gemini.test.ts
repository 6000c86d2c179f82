import { execFileSync } from "node:child_process";
import { chmodSync, chownSync, mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { gemini } from "../../../src/capabilities/inspect/gemini.js";
import { broadPrefix, toolEntry } from "../../../src/capabilities/inspect/gemini-policy.js";
import { runInspect } from "../../../src/capabilities/inspect/index.js";
import type { Origin } from "../../../src/capabilities/inspect/types.js";
import type { RuntimeView } from "../../../src/contract/types.js";
import { inspectFiles, runtimeSandbox } from "../../helpers/runtime.js";

// The Gemini CLI inspector (issue 10) over the fixture sets and hostile inputs.

const FIXTURES = join(import.meta.dirname, "../../../fixtures/runtimes/gemini-cli");

async function fixture(name: "safe" | "unsafe", origins: Origin[] = ["home", "tree", "system"]) {
  const dir = join(FIXTURES, name);
  return runInspect({
    home: join(dir, "home"),
    root: join(dir, "tree"),
    systemRoot: join(dir, "system"),
    origins: new Set(origins),
    inspectors: [gemini],
  });
}

const ids = (r: { findings: { ruleId: string }[] }) => r.findings.map((f) => f.ruleId).sort();
const rt = (r: { agents: { runtimes: RuntimeView[] } }) => r.agents.runtimes[0]!;

const SAFE_SETTINGS = '{ "security": { "disableYoloMode": true }, "tools": { "sandbox": "docker" } }\n';
const GATE_POLICY =
  '[[rule]]\ntoolName = "run_shell_command"\ncommandPrefix = ["rm", "curl", "wget", "npm install", "pip install"]\ndecision = "ask_user"\npriority = 900\n';

describe("Gemini CLI fixtures", () => {
  it("safe: YOLO disabled, docker sandbox, user policies ask for every category: covered, no findings", async () => {
    const r = await fixture("safe");
    expect(r.issues).toEqual([]);
    expect(ids(r)).toEqual([]);
    const v = r.agents.runtimes[0]!;
    expect(v.files.map((f) => `${f.scope}:${f.ok}`)).toEqual([
      "system:true",
      "project:true",
      "user:true",
      "system-defaults:true",
      "policy:true",
    ]);
    expect(v.gate).toEqual({
      status: "covered",
      detail: "YOLO disabled; deny/ask_user policies win for every dangerous category",
    });
    expect(v.sandbox).toEqual({ status: "on", detail: "tools.sandbox in user settings: docker" });
    expect(r.step.status).toBe("pass");
  });

  it("unsafe: shell auto-allowed wholesale, YOLO re-enabled by the project, network-open sandbox, workspace policy", async () => {
    const r = await fixture("unsafe");
    expect(r.issues).toEqual([]);
    expect(ids(r)).toEqual([
      "gemini-auto-edit",
      "gemini-policy-ignored",
      "gemini-sandbox-network",
      "gemini-seatbelt-open",
      "gemini-shell-allowed-broad",
      "gemini-shell-auto-allowed",
      "gemini-tools-exclude",
      "gemini-yolo-available",
    ]);
    expect(rt(r).gate).toEqual({
      status: "off",
      detail:
        "run_shell_command auto-allowed without arguments (tools.allowed[0] in user settings): every shell command runs unasked",
    });
    expect(rt(r).sandbox).toEqual({
      status: "weak",
      detail: "tools.sandboxNetworkAccess in user settings: the sandbox has network access",
    });
    expect(r.step.status).toBe("fail");
    const yolo = r.findings.find((f) => f.ruleId === "gemini-yolo-available")!;
    expect(yolo.location).toEqual({
      source: "agent-config",
      path: join(FIXTURES, "unsafe/tree/.gemini/settings.json"),
      line: 2,
      name: "security.disableYoloMode",
    });
    expect(r.findings.find((f) => f.ruleId === "gemini-shell-allowed-broad")!.location.name).toBe("rule[0]");
    expect(r.findings.find((f) => f.ruleId === "gemini-policy-ignored")!.title).toBe(
      "Gemini CLI ignores this policy: the workspace tier (.gemini/policies) is disabled",
    );
  });

  it("unsafe, home only: the project's YOLO override and workspace policy are not read", async () => {
    const r = await fixture("unsafe", ["home"]);
    expect(ids(r)).toEqual([
      "gemini-auto-edit",
      "gemini-sandbox-network",
      "gemini-seatbelt-open",
      "gemini-shell-allowed-broad",
      "gemini-shell-auto-allowed",
      "gemini-tools-exclude",
      "gemini-yolo-available",
    ]);
    expect(r.findings.find((f) => f.ruleId === "gemini-yolo-available")!.location.path).toBe(
      join(FIXTURES, "unsafe/home/.gemini/settings.json"),
    );
  });
});

describe("Gemini CLI effective policy", () => {
  it("a higher-priority allow beats an ask_user rule: the category is a gap", async () => {
    const r = await inspectFiles(
      {
        "~/.gemini/settings.json": SAFE_SETTINGS,
        "~/.gemini/policies/gate.toml": `${GATE_POLICY}\n[[rule]]\ntoolName = "run_shell_command"\ncommandPrefix = "npm install"\ndecision = "allow"\npriority = 950\n`,
      },
      { runtime: "gemini-cli", origins: ["home"] },
    );
    expect(r.issues).toEqual([]);
    expect(ids(r)).toEqual(["gemini-policy-gap"]);
    expect(rt(r).gate).toEqual({
      status: "partial",
      detail: "no winning deny/ask_user policy for package installs (npm install, pip install)",
    });
  });

  it("an allow rule scoped by mcpName without toolName is not a shell allow", async () => {
    const r = await inspectFiles(
      {
        "~/.gemini/settings.json": SAFE_SETTINGS,
        "~/.gemini/policies/gate.toml": `${GATE_POLICY}\n[[rule]]\nmcpName = "docs"\ndecision = "allow"\npriority = 999\n`,
      },
      { runtime: "gemini-cli", origins: ["home"] },
    );
    expect(r.issues).toEqual([]);
    expect(ids(r)).toEqual([]);
    expect(rt(r).gate.status).toBe("covered");
  });

  it("an allow rule without toolName or mcpName allows every tool: the gate is off", async () => {
    const r = await inspectFiles(
      {
        "~/.gemini/settings.json": SAFE_SETTINGS,
        "~/.gemini/policies/gate.toml": `${GATE_POLICY}\n[[rule]]\ndecision = "allow"\npriority = 999\n`,
      },
      { runtime: "gemini-cli", origins: ["home"] },
    );
    expect(ids(r)).toEqual(["gemini-shell-auto-allowed"]);
    expect(rt(r).gate.status).toBe("off");
  });

  it("tools.allowed entries rank above user policies below priority 300", async () => {
    const r = await inspectFiles(
      {
        "~/.gemini/settings.json":
          '{ "security": { "disableYoloMode": true }, "tools": { "sandbox": "docker", "allowed": ["run_shell_command(rm -rf build)"] } }\n',
        "~/.gemini/policies/gate.toml": GATE_POLICY.replace("priority = 900", "priority = 200"),
      },
      { runtime: "gemini-cli", origins: ["home"] },
    );
    expect(ids(r)).toEqual(["gemini-policy-gap", "gemini-shell-allowed-broad"]);
    expect(r.findings.find((f) => f.ruleId === "gemini-policy-gap")!.title).toBe(
      "Gemini CLI policies do not deny or ask for: irreversible deletes (rm -rf)",
    );
  });

  it("a wholesale tools.exclude of the shell covers every shell category (and is still reported)", async () => {
    const r = await inspectFiles(
      {
        "~/.gemini/settings.json":
          '{ "security": { "disableYoloMode": true }, "tools": { "sandbox": "docker", "exclude": ["run_shell_command"] } }\n',
      },
      { runtime: "gemini-cli", origins: ["home"] },
    );
    expect(ids(r)).toEqual(["gemini-tools-exclude"]);
    expect(rt(r).gate.status).toBe("covered");
  });

  it("auto_edit without a sandbox leaves credential-path writes unasked; with one, the sandbox confines them", async () => {
    const settings = (sandbox: string) =>
      `{ "security": { "disableYoloMode": true }, "general": { "defaultApprovalMode": "auto_edit" }, "tools": { "sandbox": ${sandbox} } }\n`;
    const bare = await inspectFiles(
      { "~/.gemini/settings.json": settings("false"), "~/.gemini/policies/gate.toml": GATE_POLICY },
      { runtime: "gemini-cli", origins: ["home"] },
    );
    expect(ids(bare)).toEqual(["gemini-auto-edit", "gemini-policy-gap", "gemini-sandbox-off"]);
    expect(rt(bare).gate.detail).toBe(
      "no winning deny/ask_user policy for credential-path writes (file edits auto-approved)",
    );
    const boxed = await inspectFiles(
      { "~/.gemini/settings.json": settings('"podman"'), "~/.gemini/policies/gate.toml": GATE_POLICY },
      { runtime: "gemini-cli", origins: ["home"] },
    );
    expect(ids(boxed)).toEqual(["gemini-auto-edit"]);
    expect(rt(boxed).gate.status).toBe("covered");
  });

  it("GEMINI_SANDBOX in the environment beats the settings", async () => {
    const r = await inspectFiles(
      { "~/.gemini/settings.json": SAFE_SETTINGS, "~/.gemini/policies/gate.toml": GATE_POLICY },
      { runtime: "gemini-cli", origins: ["home"], env: { GEMINI_SANDBOX: "false" } },
    );
    expect(ids(r)).toEqual(["gemini-sandbox-off"]);
    expect(rt(r).sandbox).toEqual({ status: "off", detail: "GEMINI_SANDBOX turns the sandbox off" });
    expect(rt(r).gate.status).toBe("covered");
  });

  it(".gemini/.env sets the sandbox and the Seatbelt profile; the real environment beats it", async () => {
    const files = {
      "~/.gemini/settings.json": SAFE_SETTINGS,
      "~/.gemini/policies/gate.toml": GATE_POLICY,
      "./.gemini/.env":
        "# project env\nGEMINI_SANDBOX=sandbox-exec\nexport SEATBELT_PROFILE='strict-open' # no proxy\n",
    };
    const r = await inspectFiles(files, { runtime: "gemini-cli" });
    expect(r.issues).toEqual([]);
    expect(ids(r)).toEqual(["gemini-seatbelt-open"]);
    const f = r.findings[0]!;
    expect(f.location).toEqual({
      source: "agent-config",
      path: join(r.sandbox.root, ".gemini/.env"),
      line: 3,
      name: "SEATBELT_PROFILE",
    });
    expect(f.title).toBe("Gemini CLI macOS sandbox profile strict-open lets commands reach any network host");
    expect(rt(r).sandbox).toEqual({ status: "weak", detail: "Seatbelt profile strict-open: network open" });
    const env = await inspectFiles(files, {
      runtime: "gemini-cli",
      env: { SEATBELT_PROFILE: "strict-proxied" },
    });
    expect(ids(env)).toEqual([]);
    expect(rt(env).sandbox).toEqual({
      status: "on",
      detail: "GEMINI_SANDBOX in ./.gemini/.env selects the sandbox",
    });
  });

  it("an env marker makes Gemini CLI present without a config: the defaults are inspected", async () => {
    const r = await inspectFiles({}, { runtime: "gemini-cli", env: { GEMINI_CLI: "1" } });
    expect(r.issues).toEqual([]);
    expect(ids(r)).toEqual(["gemini-policy-gap", "gemini-sandbox-off", "gemini-yolo-available"]);
    expect(rt(r).gate.status).toBe("partial");
  });

  it("admin policies count only from a root-owned directory that group and others cannot write", async () => {
    const s = runtimeSandbox({
      "~/.gemini/settings.json": SAFE_SETTINGS,
      "/etc/gemini-cli/policies/admin.toml": GATE_POLICY,
    });
    const run = () =>
      runInspect({
        home: s.home,
        root: s.root,
        systemRoot: s.system,
        origins: new Set(["home", "system"]),
        inspectors: [gemini],
      });
    const dir = join(s.system, "etc/gemini-cli/policies");
    const root = process.getuid?.() === 0;
    try {
      if (root) {
        chmodSync(dir, 0o755);
        const secure = await run();
        expect(secure.issues).toEqual([]);
        expect(ids(secure)).toEqual([]);
        expect(rt(secure).gate.status).toBe("covered");

        chmodSync(dir, 0o775);
        const writable = await run();
        expect(ids(writable)).toEqual(["gemini-policy-gap", "gemini-policy-ignored"]);
        expect(writable.findings.find((f) => f.ruleId === "gemini-policy-ignored")!.title).toBe(
          "Gemini CLI ignores this admin policy: /etc/gemini-cli/policies is writable by group or others",
        );
        chmodSync(dir, 0o755);
        chownSync(dir, 65534, 65534);
      }
      const notRoot = await run();
      expect(ids(notRoot)).toEqual(["gemini-policy-gap", "gemini-policy-ignored"]);
      expect(notRoot.findings.find((f) => f.ruleId === "gemini-policy-ignored")!.title).toBe(
        "Gemini CLI ignores this admin policy: /etc/gemini-cli/policies is not owned by root",
      );
      expect(rt(notRoot).gate.status).toBe("partial");
    } finally {
      s.cleanup();
    }
  });

  it("a project at the home directory has no workspace tier: the user's policies are not reported as ignored", async () => {
    const s = runtimeSandbox({
      "~/.gemini/settings.json": SAFE_SETTINGS,
      "~/.gemini/policies/gate.toml": GATE_POLICY,
    });
    try {
      const r = await runInspect({
        home: s.home,
        root: `${s.home}/`,
        systemRoot: s.system,
        origins: new Set(["home", "tree"]),
        inspectors: [gemini],
      });
      expect(r.issues).toEqual([]);
      expect(ids(r)).toEqual([]);
      expect(r.agents.runtimes[0]!.files.map((f) => f.scope)).toEqual(["user", "policy"]);
      expect(rt(r).gate.status).toBe("covered");
    } finally {
      s.cleanup();
    }
  });

  it("tool entries and broad prefixes", () => {
    expect(toolEntry("run_shell_command(git status)")).toEqual({
      tool: "run_shell_command",
      args: "git status",
    });
    expect(toolEntry("ShellTool")).toEqual({ tool: "ShellTool" });
    expect(["bash -c x", "/usr/bin/curl", "git", "npm", "rm", ""].map(broadPrefix)).toEqual([
      true,
      true,
      true,
      true,
      true,
      true,
    ]);
    expect(["git status", "npm test", "ls", "make test"].map(broadPrefix)).toEqual([
      false,
      false,
      false,
      false,
    ]);
  });
});

describe("Gemini CLI hostile inputs", () => {
  const home = (text: string | Buffer) =>
    inspectFiles({ "~/.gemini/settings.json": text }, { runtime: "gemini-cli", origins: ["home"] });

  it("bad JSON: an issue with line and column; gate and sandbox unknown", async () => {
    const r = await home('{\n  // c\n  "tools": { "sandbox": "docker", }\n}\n');
    expect(r.issues.map((i) => i.message)).toEqual([
      "not valid JSON (with comments) at line 3, column 35: PropertyNameExpected",
    ]);
    expect(rt(r).gate.status).toBe("unknown");
    expect(rt(r).sandbox.status).toBe("unknown");
    expect(r.step.status).toBe("error");
  });

  it("wrong types: type issues, read as unset (the unsafe default)", async () => {
    const r = await home(
      '{ "security": { "disableYoloMode": "yes" }, "tools": { "sandbox": 1, "allowed": "run_shell_command" } }\n',
    );
    expect(r.issues.map((i) => i.message)).toEqual([
      "line 1: security.disableYoloMode: expected true or false, found a string (ignored, as the runtime would reject or ignore it)",
      "line 1: tools.allowed: expected an array of strings, found a string (ignored, as the runtime would reject or ignore it)",
      "line 1: tools.sandbox: expected true, false, a sandbox command or an object, found a number (ignored, as the runtime would reject or ignore it)",
    ]);
    expect(ids(r)).toEqual(["gemini-policy-gap", "gemini-sandbox-off", "gemini-yolo-available"]);
  });

  it("a policy file that does not parse: an issue with line and column; the gate is unknown", async () => {
    const r = await inspectFiles(
      {
        "~/.gemini/settings.json": SAFE_SETTINGS,
        "~/.gemini/policies/bad.toml": '[[rule]]\ntoolName = "run_shell_command\n',
      },
      { runtime: "gemini-cli", origins: ["home"] },
    );
    expect(r.issues.map((i) => i.message)).toEqual([
      "not valid TOML at line 2, column 30: control characters are not allowed in strings",
    ]);
    expect(rt(r).gate).toEqual({
      status: "unknown",
      detail: "policy file could not be read or parsed (see issues)",
    });
    expect(rt(r).sandbox.status).toBe("on");
  });

  it("a policy rule with an unknown decision is an issue, and Gemini CLI rejects its whole file", async () => {
    const r = await inspectFiles(
      {
        "~/.gemini/settings.json": SAFE_SETTINGS,
        "~/.gemini/policies/gate.toml": `${GATE_POLICY}\n[[rule]]\ntoolName = "run_shell_command"\ndecision = "yes"\n`,
      },
      { runtime: "gemini-cli", origins: ["home"] },
    );
    expect(r.issues.map((i) => i.message)).toEqual([
      'rule 2: decision must be "allow", "deny" or "ask_user" (Gemini CLI rejects the file)',
      "Gemini CLI rejects this policy file (an invalid rule above): none of its 1 valid rule count",
    ]);
    expect(ids(r)).toEqual(["gemini-policy-gap"]);
  });

  it("a flood of malformed rules: 20 issues and one that counts the rest", async () => {
    const bad = '[[rule]]\ntoolName = "run_shell_command"\ndecision = "maybe"\n\n'.repeat(1000);
    const r = await inspectFiles(
      { "~/.gemini/settings.json": SAFE_SETTINGS, "~/.gemini/policies/flood.toml": bad },
      { runtime: "gemini-cli", origins: ["home"] },
    );
    expect(r.issues).toHaveLength(22);
    expect(r.issues[0]!.message).toBe(
      'rule 1: decision must be "allow", "deny" or "ask_user" (Gemini CLI rejects the file)',
    );
    expect(r.issues[20]!.message).toBe("980 more malformed entries not listed");
    expect(r.issues[21]!.message).toBe(
      "Gemini CLI rejects this policy file (an invalid rule above): none of its 0 valid rules count",
    );
  });

  it("an undocumented approval mode (yolo) is an issue and never leaves the gate covered", async () => {
    const r = await inspectFiles(
      {
        "~/.gemini/settings.json":
          '{ "security": { "disableYoloMode": true }, "general": { "defaultApprovalMode": "yolo" }, "tools": { "sandbox": "docker" } }\n',
        "~/.gemini/policies/gate.toml": GATE_POLICY,
      },
      { runtime: "gemini-cli", origins: ["home"] },
    );
    expect(r.issues.map((i) => i.message)).toEqual([
      'line 1: general.defaultApprovalMode: "yolo" is not one of default, auto_edit, plan (ignored)',
    ]);
    expect(ids(r)).toEqual([]);
    expect(rt(r).gate).toEqual({
      status: "partial",
      detail: "general.defaultApprovalMode in user settings has an undocumented value",
    });
  });

  it("a FIFO settings file is skipped", async () => {
    const s = runtimeSandbox({});
    try {
      mkdirSync(join(s.home, ".gemini"));
      execFileSync("mkfifo", [join(s.home, ".gemini/settings.json")]);
      const r = await runInspect({
        home: s.home,
        root: s.root,
        systemRoot: s.system,
        origins: new Set(["home"]),
        inspectors: [gemini],
      });
      expect(r.issues).toEqual([
        { where: join(s.home, ".gemini/settings.json"), message: "skipped: is a FIFO, not a regular file" },
      ]);
      expect(rt(r).gate.status).toBe("unknown");
    } finally {
      s.cleanup();
    }
  });

  it("a symlink out of the home is not followed", async () => {
    const s = runtimeSandbox({});
    try {
      mkdirSync(join(s.home, ".gemini"));
      writeFileSync(join(s.dir, "elsewhere.json"), SAFE_SETTINGS);
      symlinkSync(join(s.dir, "elsewhere.json"), join(s.home, ".gemini/settings.json"));
      const r = await runInspect({
        home: s.home,
        root: s.root,
        systemRoot: s.system,
        origins: new Set(["home"]),
        inspectors: [gemini],
      });
      expect(r.issues.map((i) => i.message)).toEqual([
        "skipped: leads outside the home directory (a symlink); the runtime follows it, so inspect its target by hand",
      ]);
      expect(rt(r).gate.status).toBe("unknown");
    } finally {
      s.cleanup();
    }
  });

  it("a huge file is skipped", async () => {
    const r = await home(`{ "x": "${"a".repeat(1024 * 1024)}" }`);
    expect(r.issues.map((i) => i.message)).toEqual([
      "skipped: is 1048587 bytes, over the 1048576-byte limit",
    ]);
    expect(rt(r).gate.status).toBe("unknown");
  });

  it("deep nesting is refused with its position", async () => {
    const r = await home(`{ "a": ${"[".repeat(100)}${"]".repeat(100)} }`);
    expect(r.issues.map((i) => i.message)).toEqual([
      "not parsed: nested deeper than 64 levels at line 1, column 71",
    ]);
    expect(rt(r).gate.status).toBe("unknown");
  });

  it("free-form values are not printed: a custom Seatbelt profile, a custom sandbox, an unknown approval mode", async () => {
    const secret = "AIzaSyD8Lm2Xw7Rt5Yp8Nc4VbQe1234567890ab";
    const r = await inspectFiles(
      {
        "~/.gemini/settings.json": `{ "general": { "defaultApprovalMode": "${secret}" }, "tools": { "sandbox": "${secret}" } }\n`,
      },
      { runtime: "gemini-cli", origins: ["home"], env: { SEATBELT_PROFILE: `${secret}-open` } },
    );
    expect(r.issues.map((i) => i.message)).toEqual([
      "line 1: general.defaultApprovalMode: (a value not printed) is not one of default, auto_edit, plan (ignored)",
    ]);
    expect(r.findings.find((f) => f.ruleId === "gemini-seatbelt-open")!.title).toBe(
      "Gemini CLI macOS sandbox profile (custom) lets commands reach any network host",
    );
    expect(rt(r).sandbox.detail).toBe("Seatbelt profile (custom): network open");
    expect(JSON.stringify([r.issues, r.findings, r.agents])).not.toContain("Lm2Xw7");
  });

  it("control characters in a tool entry stay data", async () => {
    const r = await home(
      '{ "security": { "disableYoloMode": true }, "tools": { "sandbox": "docker", "allowed": ["run_shell_command(bash -c \\u001b]0;x\\u0007)"] } }\n',
    );
    expect(r.issues).toEqual([]);
    const f = r.findings.find((x) => x.ruleId === "gemini-shell-allowed-broad")!;
    expect(f.location.name).toBe("tools.allowed[0]");
    expect(f.title).toBe(
      "Gemini CLI auto-allows a shell command prefix that runs arbitrary code, reaches the network or deletes",
    );
  });
});
