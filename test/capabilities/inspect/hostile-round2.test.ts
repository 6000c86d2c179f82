import { chmodSync, mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { INSPECTORS, type InspectResult, runInspect } from "../../../src/capabilities/inspect/index.js";
import { runtimeSandbox } from "../../helpers/runtime.js";

// Hostile review, round 2 (issue 10): settings the agent wrote so that a PreToolUse hook that never
// blocks, or times out before it answers, makes its gate look covered.

type Sandbox = ReturnType<typeof runtimeSandbox>;

/** Runs one inspector over the files; `prep` may chmod, mkfifo or link inside the sandbox first. */
async function run(
  files: Record<string, string>,
  prep: (s: Sandbox) => void = () => {},
  opts: { runtime?: string; env?: Record<string, string> } = {},
): Promise<InspectResult> {
  const s = runtimeSandbox(files);
  try {
    prep(s);
    return await runInspect({
      home: s.home,
      root: s.root,
      systemRoot: s.system,
      origins: new Set(["home", "tree", "system"]),
      ...(opts.env ? { env: opts.env } : {}),
      credentialPaths: [],
      inspectors: INSPECTORS.filter((i) => i.id === (opts.runtime ?? "claude-code")),
    });
  } finally {
    s.cleanup();
  }
}

const ids = (r: InspectResult) => r.findings.map((f) => f.ruleId).sort();
const gate = (r: InspectResult) => r.agents.runtimes[0]!.gate;
const finding = (r: InspectResult, id: string) => r.findings.find((f) => f.ruleId === id)!;

const hooked = (hook: Record<string, unknown>) =>
  JSON.stringify({
    permissions: { defaultMode: "default", disableBypassPermissionsMode: "disable" },
    hooks: { PreToolUse: [{ matcher: "Bash", hooks: [{ type: "command", ...hook }] }] },
  });
const GATE = { "~/bin/gate": "#!/bin/sh\nexit 2\n" };
const exec = (s: Sandbox) => chmodSync(join(s.home, "bin/gate"), 0o755);
const BASE = ["claude-credential-read-unprotected", "claude-sandbox-disabled"];
const PARTIAL =
  "no ask or deny for credential-path writes, package installs, network fetches piped to a shell, irreversible deletes; a PreToolUse hook can fail open";

describe("claude-code: hook timeout", () => {
  it("a sound hook with a 5 s timeout covers the gate (the baseline the cases below break)", async () => {
    const r = await run(
      { "~/.claude/settings.json": hooked({ command: "~/bin/gate", timeout: 5 }), ...GATE },
      exec,
    );
    expect(gate(r)).toEqual({ status: "covered", detail: "bypass disabled; a PreToolUse hook gates Bash" });
    expect(ids(r)).toEqual(BASE);
    expect(r.issues).toEqual([]);
  });
  for (const t of [0, -1, 0.001]) {
    it(`timeout ${t} times out before the hook answers: partial, not covered`, async () => {
      const r = await run(
        { "~/.claude/settings.json": hooked({ command: "~/bin/gate", timeout: t }), ...GATE },
        exec,
      );
      expect(gate(r)).toEqual({ status: "partial", detail: PARTIAL });
      expect(ids(r)).toEqual([...BASE, "claude-hook-timeout"].sort());
      expect(finding(r, "claude-hook-timeout").title).toBe(
        `PreToolUse hook timeout is ${t} s (under 1 s; a hook that times out lets the call through)`,
      );
      expect(r.issues).toEqual([]);
    });
  }
  it('timeout 1e309 (Infinity) and "5" are type issues, read as the 600 s default', async () => {
    for (const [raw, found] of [
      ["1e309", "a number"],
      ['"5"', "a string"],
    ]) {
      const text = hooked({ command: "~/bin/gate", timeout: "T" }).replace('"T"', raw!);
      const r = await run({ "~/.claude/settings.json": text, ...GATE }, exec);
      expect(gate(r).status).toBe("partial");
      expect(ids(r)).toEqual([...BASE, "claude-hook-timeout"].sort());
      expect(r.issues.map((i) => i.message)).toEqual([
        `line 1: hooks.PreToolUse[0].hooks[0].timeout: expected a number, found ${found} (ignored, as the runtime would reject or ignore it)`,
      ]);
    }
  });
});

describe("claude-code: hook commands that never block", () => {
  const cases: [string, string, string][] = [
    [
      "true",
      "claude-hook-command-unresolved",
      "is no gate: the shell builtin true never blocks (only exit 2 does): every call goes through",
    ],
    [
      ":",
      "claude-hook-command-unresolved",
      "is no gate: the shell builtin : never blocks (only exit 2 does): every call goes through",
    ],
    [
      "exit 0",
      "claude-hook-command-unresolved",
      "is no gate: the shell builtin exit 0 never blocks (only exit 2 does): every call goes through",
    ],
    [
      "echo ok",
      "claude-hook-command-unverifiable",
      "cannot be verified: the shell builtin echo answers without reading the call",
    ],
    [
      "/bin/bash -c 'exit 0'",
      "claude-hook-command-unresolved",
      "is no gate: the shell builtin exit 0 never blocks (only exit 2 does): every call goes through",
    ],
    [
      "/bin/true",
      "claude-hook-command-unresolved",
      "is no gate: true never blocks (only exit 2 does): every call goes through",
    ],
    [
      "/usr/bin/env GATE=1 /opt/no-such-gate",
      "claude-hook-command-unresolved",
      "does not resolve: not an executable regular file (the hook exits 127 and fails open)",
    ],
    [
      "~/bin/gate || true",
      "claude-hook-command-unverifiable",
      "cannot be verified: its exit status is not its first command's (`||` follows it), so a block can be lost",
    ],
    [
      "~/bin/gate; exit 0",
      "claude-hook-command-unverifiable",
      "cannot be verified: its exit status is not its first command's (`;` follows it), so a block can be lost",
    ],
    [
      "~/bin/gate | tee /tmp/log",
      "claude-hook-command-unverifiable",
      "cannot be verified: its exit status is not its first command's (`|` follows it), so a block can be lost",
    ],
    [
      "~/bin/gate &",
      "claude-hook-command-unverifiable",
      "cannot be verified: its exit status is not its first command's (`&` follows it), so a block can be lost",
    ],
    [
      "~/bin/gate\nexit 0",
      "claude-hook-command-unverifiable",
      "cannot be verified: its exit status is not its first command's (a line break follows it), so a block can be lost",
    ],
  ];
  for (const [command, check, why] of cases) {
    it(`${JSON.stringify(command)}: ${check}, gate partial`, async () => {
      const r = await run(
        {
          "~/.claude/settings.json": hooked({ command, timeout: 5 }),
          ...GATE,
          "/bin/bash": "#!/bin/sh\n",
          "/bin/true": "#!/bin/sh\n",
          "/usr/bin/env": "#!/bin/sh\n",
        },
        (s) => {
          exec(s);
          for (const p of ["bin/bash", "bin/true", "usr/bin/env"]) chmodSync(join(s.system, p), 0o755);
        },
      );
      expect(gate(r)).toEqual({ status: "partial", detail: PARTIAL });
      expect(ids(r)).toEqual([...BASE, check].sort());
      expect(finding(r, check).title).toBe(`PreToolUse hook command ${JSON.stringify(command)} ${why}`);
      expect(r.issues).toEqual([]);
    });
  }
  for (const command of [
    "exit 2",
    "~/bin/gate && true",
    "~/bin/gate 2>&1 >/dev/null # || true",
    "/bin/bash -c '~/bin/gate --strict'",
  ]) {
    it(`${JSON.stringify(command)} keeps the block: covered`, async () => {
      const r = await run(
        { "~/.claude/settings.json": hooked({ command, timeout: 5 }), ...GATE, "/bin/bash": "#!/bin/sh\n" },
        (s) => {
          exec(s);
          chmodSync(join(s.system, "bin/bash"), 0o755);
        },
      );
      expect(gate(r)).toEqual({ status: "covered", detail: "bypass disabled; a PreToolUse hook gates Bash" });
      expect(ids(r)).toEqual(BASE);
    });
  }
});

describe("gemini-cli: a policy file Gemini CLI rejects as a whole", () => {
  const SETTINGS = '{ "security": { "disableYoloMode": true }, "tools": { "sandbox": "docker" } }\n';
  const gatePolicy = (priority: string) =>
    `[[rule]]\ntoolName = "run_shell_command"\ncommandPrefix = ["rm", "curl", "wget", "npm install", "pip install"]\ndecision = "ask_user"\n${priority}`;
  const gemini = (files: Record<string, string>) => run(files, () => {}, { runtime: "gemini-cli" });

  it("priority 999: the policy counts, covered (the baseline)", async () => {
    const r = await gemini({
      "~/.gemini/settings.json": SETTINGS,
      "~/.gemini/policies/gate.toml": gatePolicy("priority = 999\n"),
    });
    expect(r.issues).toEqual([]);
    expect(ids(r)).toEqual([]);
    expect(gate(r).status).toBe("covered");
  });
  const cases: [string, string][] = [
    [
      "priority = 1000\n",
      "line 5: rule 1: priority is not an integer from 0 to 999 (Gemini CLI requires one and rejects the file)",
    ],
    [
      "priority = -1\n",
      "line 5: rule 1: priority is not an integer from 0 to 999 (Gemini CLI requires one and rejects the file)",
    ],
    [
      "priority = 900.5\n",
      "line 5: rule 1: priority is not an integer from 0 to 999 (Gemini CLI requires one and rejects the file)",
    ],
    [
      "priority = nan\n",
      "line 5: rule 1: priority is not an integer from 0 to 999 (Gemini CLI requires one and rejects the file)",
    ],
    [
      "priority = inf\n",
      "line 5: rule 1: priority is not an integer from 0 to 999 (Gemini CLI requires one and rejects the file)",
    ],
    [
      'priority = "900"\n',
      "line 5: rule 1: priority is not an integer from 0 to 999 (Gemini CLI requires one and rejects the file)",
    ],
    ["", "line 1: rule 1: priority is missing (Gemini CLI requires one and rejects the file)"],
  ];
  for (const [priority, issue] of cases) {
    it(`${JSON.stringify(priority)}: the ask_user rule does not count (was clamped or defaulted, and covered)`, async () => {
      const r = await gemini({
        "~/.gemini/settings.json": SETTINGS,
        "~/.gemini/policies/gate.toml": gatePolicy(priority),
      });
      expect(r.issues.map((i) => i.message)).toEqual([
        issue,
        "Gemini CLI rejects this policy file (an invalid rule above): none of its 0 valid rules count",
      ]);
      expect(ids(r)).toEqual(["gemini-policy-gap"]);
      expect(gate(r).status).not.toBe("covered");
    });
  }
  it("a deny rule whose toolName has the wrong type no longer denies every tool", async () => {
    const r = await gemini({
      "~/.gemini/settings.json": SETTINGS,
      "~/.gemini/policies/gate.toml": '[[rule]]\ntoolName = 5\ndecision = "deny"\npriority = 900\n',
    });
    expect(r.issues.map((i) => i.message)).toEqual([
      "line 2: rule[0].toolName: expected a string or an array of strings, found a number (ignored, as the runtime would reject or ignore it)",
      "Gemini CLI rejects this policy file (an invalid rule above): none of its 1 valid rule count",
    ]);
    expect(ids(r)).toEqual(["gemini-policy-gap"]);
    expect(gate(r).status).not.toBe("covered");
  });
});

describe("gemini-cli: SEATBELT_PROFILE", () => {
  const SETTINGS = '{ "security": { "disableYoloMode": true }, "tools": { "sandbox": "sandbox-exec" } }\n';
  const sandbox = async (profile: string) =>
    (
      await run({ "~/.gemini/settings.json": SETTINGS }, () => {}, {
        runtime: "gemini-cli",
        env: { SEATBELT_PROFILE: profile },
      })
    ).agents.runtimes[0]!.sandbox;
  it("a custom profile (an agent-writable .sb file) is weak, not on", async () => {
    for (const p of ["../../tmp/anything", "mine"])
      expect(await sandbox(p)).toEqual({
        status: "weak",
        detail:
          "Seatbelt profile (custom) from SEATBELT_PROFILE: a sandbox-macos-<name>.sb file this scan does not judge",
      });
  });
  it("a built-in closed or proxied profile stays on", async () => {
    for (const p of ["restrictive-closed", "permissive-closed", "strict-proxied"])
      expect((await sandbox(p)).status).toBe("on");
  });
});

describe("claude-code: a hook that links to, or is, a program that never blocks", () => {
  it("~/bin/gate linked to true, or a bare shell with no script: no gate, partial", async () => {
    for (const [target, why] of [
      ["true", "true never blocks (only exit 2 does): every call goes through"],
      ["bash", "bash without a script runs the hook's JSON input as commands, fails and never blocks"],
    ] as const) {
      const r = await run(
        {
          "~/.claude/settings.json": hooked({ command: "~/bin/gate", timeout: 5 }),
          [`~/real/${target}`]: "#!/bin/sh\n",
        },
        (s) => {
          chmodSync(join(s.home, "real", target), 0o755);
          mkdirSync(join(s.home, "bin"));
          symlinkSync(join(s.home, "real", target), join(s.home, "bin/gate"));
        },
      );
      expect(gate(r)).toEqual({ status: "partial", detail: PARTIAL });
      expect(ids(r)).toEqual([...BASE, "claude-hook-command-unresolved"].sort());
      expect(finding(r, "claude-hook-command-unresolved").title).toBe(
        `PreToolUse hook command "~/bin/gate" is no gate: ${why}`,
      );
    }
  });
});

describe("codex: a project .codex layer Codex applies only in a trusted project", () => {
  const RULES =
    'prefix_rule(pattern = ["rm"], decision = "forbidden")\nprefix_rule(pattern = [["curl", "wget"]], decision = "prompt")\nprefix_rule(pattern = [["npm", "pip"], "install"], decision = "prompt")\n';
  const USER = 'approval_policy = "never"\nsandbox_mode = "danger-full-access"\n';
  const PROJECT = 'approval_policy = "untrusted"\nsandbox_mode = "read-only"\n';
  const codex = (files: Record<string, string>, trust?: string) =>
    run(
      files,
      (s) => {
        if (trust !== undefined)
          writeFileSync(
            join(s.home, ".codex/config.toml"),
            `${USER}\n[projects.${JSON.stringify(s.root)}]\ntrust_level = "${trust}"\n`,
          );
      },
      { runtime: "codex" },
    );
  const DETAIL =
    'covered only with the project\'s .codex files, which Codex applies only in a trusted project (the user config has no trust_level = "trusted" for it)';
  it("a strict project config over a full-access user config, project not trusted: partial, not covered", async () => {
    for (const trust of [undefined, "untrusted"]) {
      const r = await codex(
        { "~/.codex/config.toml": USER, "./.codex/config.toml": PROJECT, "~/.codex/rules/gate.rules": RULES },
        trust,
      );
      expect(gate(r)).toEqual({ status: "partial", detail: DETAIL });
    }
  });
  it("project rules supplying the coverage, project not trusted: partial", async () => {
    const r = await codex({
      "~/.codex/config.toml": PROJECT,
      "./.codex/rules/gate.rules": RULES,
    });
    expect(gate(r)).toEqual({ status: "partial", detail: DETAIL });
  });
  it("the same files in a trusted project: covered", async () => {
    const r = await codex(
      { "~/.codex/config.toml": USER, "./.codex/config.toml": PROJECT, "~/.codex/rules/gate.rules": RULES },
      "trusted",
    );
    expect(gate(r).status).toBe("covered");
  });
});
