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

describe("Claude Code merge rules", () => {
  it("strict settings in one file: covered, sandbox on, no finding", async () => {
    const r = await run({ [U]: json(STRICT) });
    expect(r.issues).toEqual([]);
    expect(ids(r)).toEqual([]);
    expect(claude(r).gate).toEqual({
      status: "covered",
      detail: "bypass disabled; ask or deny rules cover every dangerous category",
    });
    expect(claude(r).sandbox.status).toBe("on");
  });

  it("arrays merge across scopes: rules split over user, project and local cover together", async () => {
    const r = await run({
      [U]: json({
        permissions: { ...STRICT.permissions, deny: STRICT.permissions.deny.slice(0, 10) },
        sandbox: STRICT.sandbox,
      }),
      [P]: json({ permissions: { deny: ["Bash(curl *)", "Bash(wget *)"] } }),
      [L]: json({ permissions: { deny: ["Bash(rm -rf *)"] } }),
    });
    expect(ids(r)).toEqual([]);
    expect(claude(r).gate.status).toBe("covered");
  });

  it("one category missing: the finding names it and the gate is partial", async () => {
    const r = await run({
      [U]: json({ ...STRICT, permissions: { ...STRICT.permissions, ask: ["Bash(npm install *)"] } }),
    });
    expect(ids(r)).toEqual(["claude-no-bash-gate"]);
    expect(r.findings[0]!.title).toBe(
      "No PreToolUse hook on Bash, and no ask or deny rule covers: package installs",
    );
    expect(r.findings[0]!.fix?.params?.categories).toEqual(["package installs"]);
    expect(claude(r).gate).toEqual({ status: "partial", detail: "no ask or deny for package installs" });
  });

  it("managed wins for scalars: sandbox.enabled false in managed beats true in user (the finding is on the managed file)", async () => {
    const r = await run({ [U]: json(STRICT), [M]: json({ sandbox: { enabled: false } }) });
    expect(ids(r)).toEqual(["claude-sandbox-disabled"]);
    expect(r.findings[0]!.location.path).toBe(`${r.sandbox.system}${M}`);
    expect(claude(r).sandbox).toEqual({ status: "off", detail: "sandbox.enabled false in managed settings" });
  });

  it("managed-settings.d: files apply in name order after the base file, the last one that sets a scalar wins", async () => {
    const last = await run({
      [U]: json(STRICT),
      [M]: json({ permissions: { defaultMode: "default" } }),
      [`${MD}/10-a.json`]: json({ permissions: { defaultMode: "plan" } }),
      [`${MD}/20-b.json`]: json({ sandbox: { enabled: false } }),
    });
    expect(ids(last)).toEqual(["claude-sandbox-disabled"]);
    expect(last.findings[0]!.location.path).toBe(`${last.sandbox.system}${MD}/20-b.json`);
    const bypass = await run({
      [M]: json({ permissions: { defaultMode: "default" } }),
      [`${MD}/10-a.json`]: json({ permissions: { defaultMode: "bypassPermissions" } }),
    });
    expect(bypass.findings.find((f) => f.ruleId === "claude-bypass-permissions-mode")!.location.path).toBe(
      `${bypass.sandbox.system}${MD}/10-a.json`,
    );
    expect(claude(bypass).gate).toEqual({
      status: "off",
      detail: "permissions.defaultMode bypassPermissions in managed settings",
    });
  });

  it("bypass disabled in any scope switches bypassPermissions off", async () => {
    const r = await run({
      [U]: json({ permissions: { defaultMode: "bypassPermissions" } }),
      [P]: json({ permissions: { disableBypassPermissionsMode: "disable" } }),
    });
    expect(ids(r)).not.toContain("claude-bypass-permissions-mode");
    expect(ids(r)).not.toContain("claude-bypass-not-disabled");
    expect(claude(r).gate.status).toBe("partial");
  });

  it("allowManagedPermissionRulesOnly (managed): the user's deny rules and allow rules do not count", async () => {
    const r = await run({
      [U]: json({ ...STRICT, permissions: { ...STRICT.permissions, allow: ["Bash"] } }),
      [M]: json({
        allowManagedPermissionRulesOnly: true,
        permissions: { disableBypassPermissionsMode: "disable" },
      }),
    });
    expect(ids(r)).toEqual(["claude-credential-read-unprotected", "claude-no-bash-gate"]);
    expect(claude(r).gate).toEqual({
      status: "partial",
      detail:
        "no ask or deny for credential-path writes, package installs, network fetches piped to a shell, irreversible deletes",
    });
  });

  it("an allow rule for all of Bash with no PreToolUse hook: gate off", async () => {
    const r = await run({
      [U]: json({ ...STRICT, permissions: { ...STRICT.permissions, allow: ["Bash(:*)"] } }),
    });
    expect(ids(r)).toEqual(["claude-allow-all-bash"]);
    expect(claude(r).gate).toEqual({
      status: "off",
      detail:
        "permissions.allow[0] approves every Bash command in user settings, and no PreToolUse hook gates Bash",
    });
  });

  it("a key only managed settings honour, outside them: reported and not applied", async () => {
    const r = await run({
      [U]: json({
        ...STRICT,
        sandbox: {
          ...STRICT.sandbox,
          network: { allowManagedDomainsOnly: true, allowedDomains: ["github.com"] },
        },
      }),
    });
    expect(ids(r)).toEqual(["claude-ignored-scope-key", "claude-sandbox-broad-domain"]);
    const strictInUser = await run({
      [U]: json({ ...STRICT, sandbox: { ...STRICT.sandbox, network: { strictAllowlist: true } } }),
    });
    expect(ids(strictInUser)).toEqual([]);
    const strictInLocal = await run({
      [U]: json(STRICT),
      [L]: json({ sandbox: { network: { strictAllowlist: true } } }),
    });
    expect(ids(strictInLocal)).toEqual(["claude-ignored-scope-key"]);
    expect(strictInLocal.findings[0]!.location).toEqual({
      source: "agent-config",
      path: `${strictInLocal.sandbox.root}/.claude/settings.local.json`,
      line: 4,
      name: "sandbox.network.strictAllowlist",
    });
  });

  it("sandbox holes: enabled but weak", async () => {
    const r = await run({
      [U]: json({
        ...STRICT,
        sandbox: { enabled: true, excludedCommands: ["docker *"], network: { allowAllUnixSockets: true } },
      }),
    });
    expect(ids(r)).toEqual([
      "claude-sandbox-excluded-commands",
      "claude-sandbox-fail-open",
      "claude-sandbox-unix-sockets",
      "claude-sandbox-unsandboxed-commands",
    ]);
    expect(claude(r).sandbox).toEqual({
      status: "weak",
      detail:
        "sandbox enabled, but failIfUnavailable not true, allowUnsandboxedCommands not false, excludedCommands, allowAllUnixSockets",
    });
  });

  it("CLAUDE_CONFIG_DIR moves the user settings (and .claude.json); ~/.claude/settings.json is then not read", async () => {
    const s = runtimeSandbox({
      "~/.claude/settings.json": json({ permissions: { defaultMode: "bypassPermissions" } }),
      "~/alt/settings.json": json(STRICT),
      "~/alt/.claude.json": json({ numStartups: 1 }),
    });
    try {
      const r = await runInspect({
        home: s.home,
        root: s.root,
        systemRoot: s.system,
        origins: new Set(["home", "tree", "system"]),
        env: { CLAUDE_CONFIG_DIR: "~/alt" }, // from the home, as the runtime reads it
        inspectors: [claudeCode],
      });
      expect(r.issues).toEqual([]);
      expect(claude(r).files.map((f) => f.path)).toEqual([
        join(s.home, "alt/settings.json"),
        join(s.home, "alt/.claude.json"),
      ]);
      expect(ids(r)).toEqual([]);
    } finally {
      s.cleanup();
    }
  });

  it("marked by the environment with no file: present, the defaults are judged, fixes point at the user settings", async () => {
    const r = await run({}, { env: { CLAUDECODE: "1" } });
    expect(claude(r).present).toBe(true);
    expect(ids(r)).toEqual([
      "claude-bypass-not-disabled",
      "claude-credential-read-unprotected",
      "claude-no-bash-gate",
      "claude-sandbox-disabled",
    ]);
    for (const f of r.findings) {
      expect(f.location.path).toBeUndefined();
      expect(f.fix?.params?.file).toBe(join(r.sandbox.home, ".claude/settings.json"));
    }
    expect(claude(r).sandbox).toEqual({ status: "off", detail: "sandbox.enabled not set (off by default)" });
    const none = await run({});
    expect(claude(none).present).toBe(false);
    expect(ids(none)).toEqual([]);
  });

  it("credential paths the inventory found: a deny over the directory covers them, others are named", async () => {
    const r = await run(
      { [U]: json(STRICT) },
      {
        credentialPaths: [".ssh/id_ed25519", ".aws/credentials", ".config/gh/hosts.yml", ".git-credentials"],
      },
    );
    expect(ids(r)).toEqual(["claude-credential-read-unprotected"]);
    expect(r.findings[0]!.title).toBe("No Read deny rule covers ~/.config/gh/hosts.yml, ~/.git-credentials");
    expect(r.findings[0]!.fix?.params?.deny).toEqual([
      "Read(~/.config/gh/hosts.yml)",
      "Read(~/.git-credentials)",
    ]);
  });
});

describe("Claude Code hooks", () => {
  const gate = (
    command: string,
    extra: Record<string, unknown> = {},
    matcher: string | undefined = "Bash",
  ) => ({
    ...STRICT,
    permissions: { disableBypassPermissionsMode: "disable", deny: STRICT.permissions.deny.slice(0, 8) },
    hooks: {
      PreToolUse: [
        {
          ...(matcher === undefined ? {} : { matcher }),
          hooks: [{ type: "command", command, timeout: 10, ...extra }],
        },
      ],
    },
  });
  /** A sandbox with an executable hook script at ~/bin/agent-gate. */
  async function withGate(
    settings: unknown,
    opts: { env?: (home: string) => Record<string, string>; executable?: boolean } = {},
  ) {
    const s = runtimeSandbox({ [U]: json(settings), "~/bin/agent-gate": "#!/bin/sh\nexit 0\n" });
    if (opts.executable !== false) chmodSync(join(s.home, "bin/agent-gate"), 0o755);
    try {
      return await runInspect({
        home: s.home,
        root: s.root,
        systemRoot: s.system,
        origins: new Set(["home", "tree", "system"]),
        ...(opts.env ? { env: opts.env(s.home) } : {}),
        inspectors: [claudeCode],
      });
    } finally {
      s.cleanup();
    }
  }

  it("a PreToolUse hook on Bash that resolves, with a short timeout, covers every category", async () => {
    for (const command of [
      "~/bin/agent-gate",
      "$HOME/bin/agent-gate --strict",
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell command, not a template
      '"${HOME}"/bin/agent-gate',
      "FOO=1 ~/bin/agent-gate",
    ]) {
      const r = await withGate(gate(command));
      expect(r.issues, command).toEqual([]);
      expect(ids(r), command).toEqual([]);
      expect(claude(r).gate, command).toEqual({
        status: "covered",
        detail: "bypass disabled; a PreToolUse hook gates Bash",
      });
    }
  });

  it("matchers: *, empty, omitted, a list and a regex select Bash; others do not", async () => {
    for (const matcher of ["*", "", undefined, "Bash|PowerShell", "Edit, Bash", "Ba.h", "^(Bash|Write)$"]) {
      const r = await withGate(gate("~/bin/agent-gate", {}, matcher));
      expect(claude(r).gate.status, String(matcher)).toBe("covered");
    }
    for (const matcher of ["Edit|Write", "bash", "Bash2", "^Edit"]) {
      const r = await withGate(gate("~/bin/agent-gate", {}, matcher));
      expect(ids(r), matcher).toEqual(["claude-no-bash-gate"]);
      expect(claude(r).gate.status, matcher).toBe("partial");
    }
  });

  it("a matcher that is not a valid regular expression: an issue, and the hook does not count", async () => {
    const r = await withGate(gate("~/bin/agent-gate", {}, "Bash("));
    expect(r.issues).toEqual([
      {
        where: join(r.agents.runtimes[0]!.files[0]!.path),
        message:
          "line 23: hooks.PreToolUse[0].matcher: not a regular expression Claude Code can use (the hook never runs)",
      },
    ]);
    expect(ids(r)).toEqual(["claude-no-bash-gate"]);
  });

  it("a hook script that is not executable, or missing: unresolved, gate partial", async () => {
    const r = await withGate(gate("~/bin/agent-gate"), { executable: false });
    expect(ids(r)).toEqual(["claude-hook-command-unresolved"]);
    expect(claude(r).gate).toEqual({
      status: "partial",
      detail:
        "no ask or deny for credential-path writes, package installs, network fetches piped to a shell, irreversible deletes; a PreToolUse hook can fail open",
    });
  });

  it("a bare name: found on the agent's PATH, missing from it, or unverifiable with no PATH", async () => {
    const found = await withGate(gate("agent-gate"), {
      env: (home) => ({ PATH: `/nonexistent:bin:${home}/bin` }),
    });
    expect(ids(found)).toEqual([]);
    // PATH entries are paths of the audited system: a relative one is skipped.
    const missing = await withGate(gate("agent-gate"), { env: () => ({ PATH: "/usr/local/bin:bin" }) });
    expect(missing.findings.map((f) => f.title)).toEqual([
      `PreToolUse hook command "agent-gate" does not resolve: not found on the agent's PATH (the hook exits 127 and fails open)`,
    ]);
    const unverifiable = await withGate(gate("agent-gate --check"));
    expect(ids(unverifiable)).toEqual(["claude-hook-command-unverifiable"]);
    expect(unverifiable.findings[0]!.title).toBe(
      `PreToolUse hook command "agent-gate --check" cannot be verified: a bare command name, and the agent's PATH is not known (give --environ)`,
    );
    const builtin = await withGate(gate("exit 2"));
    expect(ids(builtin)).toEqual([]);
  });

  it("`gate || exit 2` fails closed: a missing or unverifiable gate then blocks every call", async () => {
    // agent-audit's own install line: a missing binary (127) or a crash (1) becomes exit 2.
    const unverifiable = await withGate(gate("agent-audit gate hook claude-code || exit 2"));
    expect(ids(unverifiable)).toEqual([]);
    expect(claude(unverifiable).gate.status).toBe("covered");
    const missing = await withGate(gate("~/bin/agent-gate || exit 2"), { executable: false });
    expect(ids(missing)).toEqual([]);
    // Anything else after the gate still loses its status.
    const swallowed = await withGate(gate("~/bin/agent-gate || exit 0"));
    expect(ids(swallowed)).toEqual(["claude-hook-command-unverifiable"]);
    const noop = await withGate(gate("true || exit 2"));
    expect(ids(noop)).toEqual(["claude-hook-command-unresolved"]);
  });

  it("a timeout over 30 s or none (600 s default), async, and an `if` filter", async () => {
    const long = await withGate(gate("~/bin/agent-gate", { timeout: 31 }));
    expect(ids(long)).toEqual(["claude-hook-timeout"]);
    expect(claude(long).gate.status).toBe("partial");
    const none = await withGate(gate("~/bin/agent-gate", { timeout: undefined }));
    expect(none.findings.map((f) => f.title)).toEqual([
      "PreToolUse hook has no timeout (the default is 600 s; a hook that times out lets the call through)",
    ]);
    const async = await withGate(gate("~/bin/agent-gate", { async: true }));
    expect(ids(async)).toEqual(["claude-hook-non-blocking", "claude-no-bash-gate"]);
    const narrowed = await withGate(gate("~/bin/agent-gate", { if: "Bash(git *)" }));
    expect(ids(narrowed)).toEqual(["claude-no-bash-gate"]);
    expect(narrowed.findings[0]!.title).toBe(
      "No PreToolUse hook on every Bash command (the one there has an `if` filter), and no ask or deny rule covers: credential-path writes, package installs, network fetches piped to a shell, irreversible deletes",
    );
    expect(async.findings.find((f) => f.ruleId === "claude-no-bash-gate")!.title).toBe(
      "No synchronous PreToolUse hook on Bash (the one there runs asynchronously), and no ask or deny rule covers: credential-path writes, package installs, network fetches piped to a shell, irreversible deletes",
    );
  });

  it("allowManagedHooksOnly and disableAllHooks: user hooks stop counting, managed hooks still count", async () => {
    const managedOnly = await withGate({ ...gate("~/bin/agent-gate") });
    expect(claude(managedOnly).gate.status).toBe("covered");
    const s = runtimeSandbox({
      [U]: json(gate("~/bin/agent-gate")),
      [M]: json({ allowManagedHooksOnly: true }),
      "~/bin/agent-gate": "#!/bin/sh\nexit 0\n",
    });
    chmodSync(join(s.home, "bin/agent-gate"), 0o755);
    try {
      const opts = {
        home: s.home,
        root: s.root,
        systemRoot: s.system,
        origins: new Set<Origin>(["home", "tree", "system"]),
        inspectors: [claudeCode],
      };
      expect(ids(await runInspect(opts))).toEqual(["claude-no-bash-gate"]);
      writeFileSync(join(s.system, M), json({}));
      writeFileSync(
        join(s.home, ".claude/settings.json"),
        json({ ...gate("~/bin/agent-gate"), disableAllHooks: true }),
      );
      expect(ids(await runInspect(opts))).toEqual(["claude-no-bash-gate"]);
      writeFileSync(join(s.system, M), json({ hooks: gate("~/bin/agent-gate").hooks }));
      const managedHook = await runInspect(opts);
      expect(ids(managedHook)).toEqual([]);
      expect(claude(managedHook).gate.status).toBe("covered");
    } finally {
      s.cleanup();
    }
  });

  it("a shell given a missing script, and $CLAUDE_PROJECT_DIR", async () => {
    const s = runtimeSandbox({
      [P]: json(gate('"$CLAUDE_PROJECT_DIR"/.claude/hooks/gate.sh')),
      "./.claude/hooks/gate.sh": "#!/bin/sh\nexit 0\n",
      "/usr/bin/bash": "",
    });
    chmodSync(join(s.root, ".claude/hooks/gate.sh"), 0o755);
    chmodSync(join(s.system, "usr/bin/bash"), 0o755);
    try {
      const opts = {
        home: s.home,
        root: s.root,
        systemRoot: s.system,
        origins: new Set<Origin>(["home", "tree", "system"]),
        env: { PATH: "/usr/bin:/bin" },
        inspectors: [claudeCode],
      };
      expect(ids(await runInspect(opts))).toEqual([]);
      writeFileSync(
        join(s.root, ".claude/settings.json"),
        json(gate("bash $CLAUDE_PROJECT_DIR/.claude/hooks/missing.sh")),
      );
      const r = await runInspect(opts);
      expect(r.findings.map((f) => f.title)).toEqual([
        'PreToolUse hook command "bash $CLAUDE_PROJECT_DIR/.claude/hooks/missing.sh" does not resolve: bash is given a script that does not exist (exit 127)',
      ]);
      writeFileSync(
        join(s.root, ".claude/settings.json"),
        json(gate("bash $CLAUDE_PROJECT_DIR/.claude/hooks/gate.sh")),
      );
      expect(ids(await runInspect(opts))).toEqual([]);
      writeFileSync(join(s.root, ".claude/settings.json"), json(gate("$(which agent-gate)")));
      expect(ids(await runInspect(opts))).toEqual(["claude-hook-command-unverifiable"]);
    } finally {
      s.cleanup();
    }
  });
});

describe("Claude Code hostile settings", () => {
  it("bad JSON: an issue with the line and column; gate and sandbox unknown, never a pass", async () => {
    const r = await run({
      [U]: '{\n  "permissions": {\n    "allow": [\n  }\n}\n',
      [P]: json({ permissions: { allow: ["Bash"] } }),
    });
    expect(r.issues).toEqual([
      {
        where: join(r.sandbox.home, ".claude/settings.json"),
        message: "not valid JSON at line 4, column 3: ValueExpected",
      },
    ]);
    expect(claude(r).files.map((f) => [f.scope, f.ok])).toEqual([
      ["user", false],
      ["project", true],
    ]);
    expect(claude(r).gate).toEqual({
      status: "unknown",
      detail: "user settings could not be read or parsed",
    });
    expect(claude(r).sandbox).toEqual({
      status: "unknown",
      detail: "user settings could not be read or parsed",
    });
    expect(r.step.status).toBe("error");
  });

  it("comments are not JSON to Claude Code", async () => {
    const r = await run({ [M]: '{\n  // managed\n  "sandbox": {"enabled": true}\n}\n' });
    expect(r.issues.map((i) => i.message)).toEqual([
      "not valid JSON at line 2, column 3: InvalidCommentToken",
    ]);
    expect(claude(r).gate.status).toBe("unknown");
  });

  it("a wrong type: an issue naming the file, line and key; read as unset, so never covered", async () => {
    const r = await run({
      [U]: json({
        ...STRICT,
        permissions: { ...STRICT.permissions, allow: "Bash", ask: ["Bash(pip install *)", 7] },
      }),
    });
    const where = join(r.sandbox.home, ".claude/settings.json");
    expect(r.issues).toEqual([
      {
        where,
        message:
          "line 23: permissions.allow: expected an array of strings, found a string (ignored, as the runtime would reject or ignore it)",
      },
      {
        where,
        message:
          "line 21: permissions.ask[1]: expected a string, found a number (ignored, as the runtime would reject or ignore it)",
      },
    ]);
    expect(ids(r)).toEqual(["claude-no-bash-gate"]);
    expect(claude(r).gate).toEqual({
      status: "partial",
      detail: "no ask or deny for package installs; settings with wrong-typed keys (see issues)",
    });
  });

  it("wrong types of whole sections and of the file: issues, no crash", async () => {
    const r = await run({
      [U]: json({
        permissions: "deny all",
        sandbox: { enabled: "yes", network: [] },
        hooks: { PreToolUse: { matcher: "Bash" } },
      }),
      [P]: "[]\n",
      [L]: json({
        hooks: { PreToolUse: [{ matcher: "Bash", hooks: "x" }, 3] },
        permissions: { defaultMode: "yolo" },
      }),
    });
    expect(r.issues.map((i) => `${i.where.slice(r.sandbox.dir.length)}: ${i.message}`)).toEqual([
      "/home/.claude/settings.json: line 2: permissions: expected an object, found a string (ignored, as the runtime would reject or ignore it)",
      "/home/.claude/settings.json: line 5: sandbox.network: expected an object, found an array (ignored, as the runtime would reject or ignore it)",
      "/home/.claude/settings.json: line 4: sandbox.enabled: expected true or false, found a string (ignored, as the runtime would reject or ignore it)",
      "/home/.claude/settings.json: line 8: hooks.PreToolUse: expected an array of matcher groups, found an object (ignored, as the runtime would reject or ignore it)",
      "/root/.claude/settings.json: line 1: (top level): expected an object, found an array (ignored, as the runtime would reject or ignore it)",
      "/root/.claude/settings.local.json: line 12: permissions.defaultMode: not a permission mode Claude Code knows (ignored)",
      "/root/.claude/settings.local.json: line 6: hooks.PreToolUse[0].hooks: expected an array of hook handlers, found a string (ignored, as the runtime would reject or ignore it)",
      "/root/.claude/settings.local.json: line 8: hooks.PreToolUse[1]: expected an object with matcher and hooks, found a number (ignored, as the runtime would reject or ignore it)",
    ]);
    expect(claude(r).gate.status).toBe("partial");
    expect(claude(r).sandbox.status).toBe("off");
  });

  it("a FIFO, a symlink out of the home, a huge file, deep nesting: skipped with an issue, gate unknown", async () => {
    const s = runtimeSandbox({
      "/etc/claude-code/managed-settings.d/10-huge.json": `{"env": {"PAD": "${"x".repeat(1024 * 1024)}"}}`,
      "./.claude/settings.local.json": `${"[".repeat(100)}${"]".repeat(100)}`,
      "./elsewhere.json": json(STRICT),
    });
    try {
      mkdirSync(join(s.home, ".claude"), { recursive: true });
      execFileSync("mkfifo", [join(s.home, ".claude/settings.json")]);
      symlinkSync(join(s.dir, "root/elsewhere.json"), join(s.home, ".claude.json"));
      const r = await runInspect({
        home: s.home,
        root: s.root,
        systemRoot: s.system,
        origins: new Set(["home", "tree", "system"]),
        inspectors: [claudeCode],
      });
      expect(r.issues.map((i) => `${i.where.slice(s.dir.length)}: ${i.message}`)).toEqual([
        "/home/.claude/settings.json: skipped: is a FIFO, not a regular file",
        "/home/.claude.json: skipped: leads outside the home directory (a symlink); the runtime follows it, so inspect its target by hand",
        "/root/.claude/settings.local.json: not parsed: nested deeper than 64 levels at line 1, column 65",
        "/system/etc/claude-code/managed-settings.d/10-huge.json: skipped: is 1048596 bytes, over the 1048576-byte limit",
      ]);
      expect(claude(r).gate).toEqual({
        status: "unknown",
        detail: "user settings, local settings, managed settings could not be read or parsed",
      });
      expect(claude(r).sandbox.status).toBe("unknown");
    } finally {
      s.cleanup();
    }
  });

  it("~/.claude.json that cannot be read leaves the verdict alone (it holds no permissions)", async () => {
    const r = await run({ [U]: json(STRICT), "~/.claude.json": "{ not json" });
    expect(r.issues.map((i) => i.message)).toEqual(["not valid JSON at line 1, column 3: InvalidSymbol"]);
    expect(claude(r).gate.status).toBe("covered");
  });

  it("control characters and ANSI escapes in a hook command and a domain stay data", async () => {
    const evil = "\u001b[31m~/bin/gate\u0007\r\nrm -rf ~";
    const r = await run({
      [U]: json({
        ...STRICT,
        hooks: { PreToolUse: [{ matcher: "Bash", hooks: [{ type: "command", command: evil, timeout: 5 }] }] },
        sandbox: {
          ...STRICT.sandbox,
          network: { allowedDomains: ["\u001b[2J\u001b]8;;x\u0007.pastebin.com"] },
        },
      }),
    });
    expect(r.issues).toEqual([]);
    expect(ids(r)).toEqual(["claude-hook-command-unresolved", "claude-sandbox-broad-domain"]);
    for (const f of r.findings) expect(f.title).not.toMatch(/[\u0000-\u001f\u007f]/);
    const hook = r.findings.find((f) => f.ruleId === "claude-hook-command-unresolved")!;
    expect(hook.title).toBe(
      'PreToolUse hook command "\\u001b[31m~/bin/gate\\u0007\\r\\nrm -rf ~" does not resolve: not an executable regular file (the hook exits 127 and fails open)',
    );
    expect(hook.fix?.params?.command).toBe(evil);
  });
});

describe("Claude Code hook limits and kinds", () => {
  it("an http PreToolUse hook on Bash is not a verifiable gate: the finding says so", async () => {
    const r = await run({
      [U]: json({
        ...STRICT,
        permissions: { ...STRICT.permissions, ask: [] },
        hooks: {
          PreToolUse: [
            { matcher: "Bash", hooks: [{ type: "http", url: "http://127.0.0.1:8700/gate", timeout: 5 }] },
          ],
        },
      }),
    });
    expect(ids(r)).toEqual(["claude-no-bash-gate"]);
    expect(r.findings[0]!.title).toBe(
      "No PreToolUse command hook on Bash (the one there is of type http, whose failures cannot be verified), and no ask or deny rule covers: package installs",
    );
  });

  it("more PreToolUse handlers than it inspects: an issue, and the gate is not covered", async () => {
    const handlers = Array.from({ length: 300 }, () => ({ type: "command", command: "exit 2", timeout: 5 }));
    const r = await run({
      [U]: json({ ...STRICT, hooks: { PreToolUse: [{ matcher: "Bash", hooks: handlers }] } }),
    });
    expect(r.issues).toEqual([
      {
        where: join(r.sandbox.home, ".claude/settings.json"),
        message: "skipped: 44 of 300 PreToolUse hook handlers not inspected (at most 256)",
      },
    ]);
    expect(ids(r)).toEqual([]);
    expect(claude(r).gate).toEqual({ status: "partial", detail: "a PreToolUse hook can fail open" });
  });
});

describe("Claude Code rule floods", () => {
  it("a settings file of thousands of complex wildcard rules: bounded time, an issue, never covered", async () => {
    const deny = [
      ...STRICT.permissions.deny,
      ...Array.from({ length: 6000 }, (_, i) => `Bash(${"*a".repeat(15)}${i})`),
      ...Array.from({ length: 300 }, (_, i) => `Read(~/${"**/".repeat(150)}${i})`),
    ];
    const text = json({ ...STRICT, permissions: { ...STRICT.permissions, deny } });
    expect(text.length).toBeLessThan(1024 * 1024);
    const r = await run({ [U]: text }, { credentialPaths: Array.from({ length: 100 }, (_, i) => `.x/${i}`) });
    expect(r.issues).toEqual([
      {
        where: join(r.sandbox.home, ".claude/settings.json"),
        message:
          "permission rules too many or too complex to evaluate in full: rules past the matching budget were not considered",
      },
    ]);
    expect(claude(r).gate.status).toBe("partial");
    expect(claude(r).gate.detail).toContain(
      "permission rules too many or too complex to evaluate (see issues)",
    );
  }, 30_000);
});
