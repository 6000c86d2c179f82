import { execFileSync } from "node:child_process";
import { chmodSync, mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { claudeCode } from "../../../src/capabilities/inspect/claude-code.js";
import { type InspectResult, runInspect } from "../../../src/capabilities/inspect/index.js";
import type { Origin } from "../../../src/capabilities/inspect/types.js";
import { inspectFiles, runtimeSandbox } from "../../helpers/runtime.js";

// The Claude Code inspector (issue 10): the fixtures of a safe and an unsafe setup, the runtime's
// merge rules, the gate and sandbox verdicts, and hostile settings files.

const FIXTURES = resolve("fixtures/runtimes/claude-code");
const U = "~/.claude/settings.json";
const P = "./.claude/settings.json";
const L = "./.claude/settings.local.json";
const M = "/etc/claude-code/managed-settings.json";
const MD = "/etc/claude-code/managed-settings.d";

const json = (v: unknown) => `${JSON.stringify(v, null, 2)}\n`;
const ids = (r: InspectResult) => r.findings.map((f) => f.ruleId).sort();
const claude = (r: InspectResult) => r.agents.runtimes[0]!;
const run = (
  files: Record<string, string>,
  opts: { env?: Record<string, string>; origins?: Origin[]; credentialPaths?: string[] } = {},
) => inspectFiles(files, { runtime: "claude-code", ...opts });

/** Every dangerous category denied or asked, bypass disabled, credentials denied, sandbox strict. */
const STRICT = {
  permissions: {
    disableBypassPermissionsMode: "disable",
    deny: [
      "Read(~/.ssh/**)",
      "Read(~/.aws/**)",
      "Read(~/.config/gcloud/**)",
      "Read(~/.kube/**)",
      "Read(~/.docker/config.json)",
      "Read(~/.npmrc)",
      "Read(~/.netrc)",
      "Read(./.env)",
      "Edit(~/.ssh/**)",
      "Edit(~/.aws/**)",
      "Bash(curl *)",
      "Bash(wget *)",
      "Bash(rm -rf *)",
    ],
    ask: ["Bash(npm install *)", "Bash(pip install *)"],
  },
  sandbox: { enabled: true, failIfUnavailable: true, allowUnsandboxedCommands: false },
};

async function fixture(variant: string, credentialPaths: string[] = []) {
  const dir = join(FIXTURES, variant);
  return runInspect({
    home: join(dir, "home"),
    root: join(dir, "tree"),
    systemRoot: join(dir, "system"),
    origins: new Set(["home", "tree", "system"]),
    credentialPaths,
    inspectors: [claudeCode],
  });
}

describe("Claude Code fixtures", () => {
  it("safe: managed strict settings, a user PreToolUse hook that resolves, deny rules: no finding, gate covered, sandbox on", async () => {
    const r = await fixture("safe", [".ssh/id_ed25519", ".aws/credentials", ".config/gcloud/credentials.db"]);
    expect(r.issues).toEqual([]);
    expect(ids(r)).toEqual([]);
    expect(claude(r).present).toBe(true);
    expect(claude(r).files.map((f) => [f.path.slice(join(FIXTURES, "safe").length), f.scope, f.ok])).toEqual([
      ["/home/.claude/settings.json", "user", true],
      ["/tree/.claude/settings.json", "project", true],
      ["/tree/.claude/settings.local.json", "local", true],
      ["/system/etc/claude-code/managed-settings.json", "managed", true],
      ["/system/etc/claude-code/managed-settings.d/20-credentials.json", "managed", true],
      ["/home/.claude.json", "state", true],
    ]);
    expect(claude(r).gate).toEqual({
      status: "covered",
      detail: "bypass disabled; a PreToolUse hook gates Bash",
    });
    expect(claude(r).sandbox).toEqual({
      status: "on",
      detail: "sandbox enabled, fails closed, no unsandboxed commands (managed settings)",
    });
    expect(r.step.status).toBe("pass");
  });

  it("unsafe: bypass mode, a missing hook script, a long timeout, sandbox off, broad domains, misplaced keys", async () => {
    const r = await fixture("unsafe", [".ssh/id_ed25519"]);
    expect(r.issues).toEqual([]);
    expect(ids(r)).toEqual([
      "claude-allow-all-bash",
      "claude-bypass-not-disabled",
      "claude-bypass-permissions-mode",
      "claude-credential-read-unprotected",
      "claude-hook-command-unresolved",
      "claude-hook-timeout",
      "claude-ignored-scope-key",
      "claude-ignored-scope-key",
      "claude-ignored-scope-key",
      "claude-sandbox-broad-domain",
      "claude-sandbox-broad-domain",
      "claude-sandbox-broad-domain",
      "claude-sandbox-disabled",
      "claude-sandbox-excluded-commands",
      "claude-sandbox-unix-sockets",
      "claude-sandbox-weaker-isolation",
    ]);
    expect(claude(r).gate).toEqual({
      status: "off",
      detail: "permissions.defaultMode bypassPermissions in user settings",
    });
    expect(claude(r).sandbox).toEqual({ status: "off", detail: "sandbox.enabled false in user settings" });
    expect(r.step.status).toBe("fail");
    const home = join(FIXTURES, "unsafe/home");
    const bypass = r.findings.find((f) => f.ruleId === "claude-bypass-permissions-mode")!;
    expect(bypass.location).toEqual({
      source: "agent-config",
      path: join(home, ".claude/settings.json"),
      line: 3,
      name: "permissions.defaultMode",
    });
    const hook = r.findings.find((f) => f.ruleId === "claude-hook-command-unresolved")!;
    expect(hook.title).toBe(
      'PreToolUse hook command "~/.claude/hooks/block-dangerous.sh" does not resolve: not an executable regular file (the hook exits 127 and fails open)',
    );
    expect(hook.location.name).toBe("hooks.PreToolUse[0].hooks[0].command");
    expect(
      r.findings.filter((f) => f.ruleId === "claude-sandbox-broad-domain").map((f) => f.location.name),
    ).toEqual([
      "sandbox.network.allowedDomains[1]",
      "sandbox.network.allowedDomains[2]",
      "sandbox.network.allowedDomains[3]",
    ]);
    expect(
      r.findings
        .filter((f) => f.ruleId === "claude-ignored-scope-key")
        .map((f) => f.title)
        .sort(),
    ).toEqual([
      "allowManagedHooksOnly in user settings is ignored: Claude Code honours it only in managed settings",
      "permissions in ~/.claude.json is ignored: Claude Code reads it only from settings files",
      "sandbox.network.strictAllowlist in project settings is ignored: Claude Code honours it only in user or managed settings",
    ]);
    const cred = r.findings.find((f) => f.ruleId === "claude-credential-read-unprotected")!;
    expect(cred.title).toBe(
      "No Read deny rule covers ~/.ssh, ~/.aws, ~/.config/gcloud, ~/.kube, ~/.docker/config.json, ~/.npmrc and 2 more",
    );
    expect(cred.fix?.params?.paths).toEqual([
      "~/.ssh",
      "~/.aws",
      "~/.config/gcloud",
      "~/.kube",
      "~/.docker/config.json",
      "~/.npmrc",
      "~/.netrc",
      "./.env",
    ]);
  });

  it("with --sources home only, the project and managed files are not read", async () => {
    const dir = join(FIXTURES, "safe");
    const r = await runInspect({
      home: join(dir, "home"),
      root: join(dir, "tree"),
      systemRoot: join(dir, "system"),
      origins: new Set(["home"]),
      inspectors: [claudeCode],
    });
    expect(claude(r).files.map((f) => f.scope)).toEqual(["user", "state"]);
    expect(ids(r)).toEqual([
      "claude-bypass-not-disabled",
      "claude-credential-read-unprotected",
      "claude-sandbox-disabled",
    ]);
    expect(claude(r).gate).toEqual({ status: "partial", detail: "bypass mode not disabled" });
  });
});
