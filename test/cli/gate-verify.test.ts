import { spawnSync } from "node:child_process";
import { join, resolve } from "node:path";
import { Command } from "commander";
import { afterAll, describe, expect, it, vi } from "vitest";
import { addVerifyCommand } from "../../src/cli/gate-verify.js";
import type { CliIo } from "../../src/cli/io.js";
import { cli } from "../helpers/cli.js";
import { tempTree } from "../helpers/tmp.js";

// Hooks are spawned processes: on a loaded machine (CI runs every file at once) allow 60 s a test.
vi.setConfig({ testTimeout: 60_000 });

// `agent-audit gate verify` (issue 11): the subcommand in process (flags, text and JSON, exit codes)
// and the built binary end to end, over a temp home whose settings point at the real hook scripts
// of fixtures/gate/hooks. Never this machine's real home: every run passes --home.

const HOOKS = resolve("fixtures/gate/hooks");
const binPath = join(process.cwd(), "dist/src/cli/bin.js");
const CORPUS = resolve("fixtures/gate/verify-corpus.jsonl");
const t = tempTree({
  "home/.claude/settings.json": JSON.stringify({
    hooks: {
      PreToolUse: [
        {
          matcher: "Bash",
          hooks: [
            { type: "command", command: `${HOOKS}/block-rm.sh`, timeout: 5 },
            { type: "command", command: `${HOOKS}/sleep.sh`, timeout: 1 },
          ],
        },
      ],
    },
  }),
  // For scan --verify-gates, which replays the whole built-in corpus: a hook that costs 8 runs (it
  // times out, and the rest of the corpus is not run).
  "scanhome/.claude/settings.json": JSON.stringify({
    hooks: {
      PreToolUse: [
        {
          matcher: "Bash",
          hooks: [{ type: "command", command: `${HOOKS}/sleep.sh`, timeout: 1 }],
        },
      ],
    },
  }),
  // agent-audit's own hooks, configured as a user would: they must catch what the policy catches.
  "ownhome/.claude/settings.json": JSON.stringify({
    hooks: {
      PreToolUse: [
        {
          matcher: "Bash",
          hooks: [
            { type: "command", command: `node ${binPath} gate hook claude-code --no-log`, timeout: 10 },
          ],
        },
      ],
    },
  }),
  "ownhome/.gemini/settings.json": JSON.stringify({
    hooks: {
      BeforeTool: [
        {
          matcher: "run_shell_command",
          hooks: [{ type: "command", command: `node ${binPath} gate hook gemini --no-log`, timeout: 10000 }],
        },
      ],
    },
  }),
  "root/.keep": "",
  "system/.keep": "",
  "empty/.keep": "",
  "all-caught.jsonl": `${JSON.stringify({ command: "rm -rf /", category: "destructive", technique: "plain" })}\n`,
});
afterAll(() => t.cleanup());
const home = join(t.dir, "home");
const base = ["--root", join(t.dir, "root"), "--system-root", join(t.dir, "system")];

async function inProcess(argv: string[]) {
  let stdout = "";
  let stderr = "";
  const io: CliIo = {
    stdout: (s) => {
      stdout += s;
    },
    stderr: (s) => {
      stderr += s;
    },
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin" },
    cwd: t.dir,
    homedir: "/nonexistent-home",
    user: "tester",
    uid: 1000,
    hostname: "test-host",
    stdoutIsTTY: false,
    stderrIsTTY: false,
  };
  const result = { exitCode: 0 };
  const gate = new Command("gate").exitOverride().configureOutput({
    writeOut: (s) => {
      stdout += s;
    },
    writeErr: (s) => {
      stderr += s;
    },
  });
  addVerifyCommand(gate, io, result);
  for (const c of gate.commands) c.exitOverride();
  let error: unknown;
  try {
    await gate.parseAsync(["verify", ...argv], { from: "user" });
  } catch (e) {
    error = e;
  }
  return { code: result.exitCode, stdout, stderr, error };
}

describe("gate verify in process", () => {
  it("--help says the hooks are run as the runtime runs them, how answers are judged, and the exit codes", async () => {
    const r = await inProcess(["--help"]);
    expect(r.stdout).toContain(
      "SECURITY: these hook commands come from config files the agent may be able to\n  write; verify runs them exactly as the runtime would on every tool call, no more.",
    );
    expect(r.stdout).toContain(
      "Exit codes:\n  0  agent-audit's policy and every configured gate caught every dangerous command",
    );
    expect(r.stdout).toContain("  1  some gate (or the policy) let at least one dangerous command through");
    for (const flag of [
      "--home",
      "--root",
      "--system-root",
      "--sources",
      "--format",
      "--corpus",
      "--no-builtin-corpus",
      "--no-codex",
      "--hook-timeout",
      "--config",
    ])
      expect(r.stdout).toContain(flag);
  });

  it("text: each gate with its catch rate per category, fail-open and misses; exit 1", async () => {
    const r = await inProcess([
      "--home",
      home,
      ...base,
      "--corpus",
      CORPUS,
      "--no-builtin-corpus",
      "--no-codex",
    ]);
    expect(r.error).toBeUndefined();
    expect(r.code).toBe(1);
    const text = r.stdout;
    expect(text.split("\n")[0]).toBe(
      `agent-audit gate verify: 20 commands (12 dangerous, 8 benign) from ${CORPUS}`,
    );
    expect(text).toContain(
      `\n\nclaude-code hook ${JSON.stringify(`${HOOKS}/block-rm.sh`)} (${home}/.claude/settings.json hooks.PreToolUse[0].hooks[0], timeout 5 s)\n`,
    );
    const block = text.slice(text.indexOf(`claude-code hook ${JSON.stringify(`${HOOKS}/block-rm.sh`)}`));
    expect(block.split("\n").slice(1, 8)).toEqual([
      expect.stringMatching(
        /^ {2}dangerous caught 4\/12 \(33\.3%\); false alarms 2\/8 benign \(25%\); median \d+ ms, max \d+ ms$/,
      ),
      "  destructive            3/4     75%  MISSED",
      "  remote-code            0/2      0%  MISSED",
      "  privilege              1/2     50%  MISSED",
      "  package-install        0/2      0%  MISSED",
      "  credential-access      0/1      0%  MISSED",
      "  exfiltration           0/1      0%  MISSED",
    ]);
    expect(block).toContain('  missed: "git push --force origin main" (destructive, plain, no-decision)\n');
    expect(text).toContain("  FAILS OPEN: timeout 8, not-run 12 (the runtime lets these commands through)\n");
    expect(text).toContain("Codex rules: none found\n");
    // The built-in policy (the real engine): every dangerous line of the corpus caught, no false alarm.
    expect(text.split("\n")[2]).toBe("agent-audit built-in policy");
    expect(text.split("\n")[3]).toMatch(
      /^ {2}dangerous caught 12\/12 \(100%\); false alarms 0\/8 benign \(0%\); median \d+ ms, max \d+ ms$/,
    );
    expect(text.endsWith("Result: 2 of 3 gates let dangerous commands through\n")).toBe(true);
  });

  it("json: exact numbers per gate; --sources tree leaves the home's hooks out", async () => {
    const r = await inProcess([
      "--home",
      home,
      ...base,
      "--corpus",
      CORPUS,
      "--no-builtin-corpus",
      "--format",
      "json",
    ]);
    const j = JSON.parse(r.stdout);
    expect(r.code).toBe(1);
    expect(j.corpus).toEqual({ cases: 20, dangerous: 12, benign: 8, files: [CORPUS] });
    expect(
      j.gates.map((g: { name: string; dangerous: unknown; benign: unknown; failedOpen: unknown }) => [
        g.name,
        g.dangerous,
        g.benign,
        g.failedOpen,
      ]),
    ).toEqual([
      [
        `${HOOKS}/block-rm.sh`,
        { total: 12, caught: 4, missed: 8, catchRate: 0.3333 },
        { total: 8, allowed: 6, falseAlarms: 2, falseAlarmRate: 0.25 },
        {},
      ],
      [
        `${HOOKS}/sleep.sh`,
        { total: 12, caught: 0, missed: 12, catchRate: 0 },
        { total: 8, allowed: 8, falseAlarms: 0, falseAlarmRate: 0 },
        { timeout: 8, "not-run": 12 },
      ],
    ]);
    expect(j.gates[0].categories[0]).toEqual({
      category: "destructive",
      total: 4,
      caught: 3,
      missed: 1,
      catchRate: 0.75,
    });
    expect(j.gates[0].falseAlarms.map((c: { command: string }) => c.command)).toEqual([
      'grep -rn "rm -rf" .',
      "rm -rf build",
    ]);
    const tree = JSON.parse(
      (
        await inProcess([
          "--home",
          home,
          ...base,
          "--corpus",
          CORPUS,
          "--no-builtin-corpus",
          "--format",
          "json",
          "--sources",
          "tree",
        ])
      ).stdout,
    );
    expect(tree.gates).toEqual([]);
  });

  it("usage errors: --no-builtin-corpus without --corpus, a bad --sources, a bad --format", async () => {
    const a = await inProcess(["--home", home, ...base, "--no-builtin-corpus"]);
    expect((a.error as Error).message).toBe("--no-builtin-corpus needs --corpus FILE");
    const b = await inProcess(["--home", home, ...base, "--sources", "env", "--corpus", CORPUS]);
    expect((b.error as Error).message).toBe(
      "--sources env: gate verify reads runtime configs only from home, tree, system",
    );
    const c = await inProcess(["--home", home, ...base, "--format", "sarif"]);
    expect(c.stderr).toContain("Allowed choices are text, json.");
  });
});

// The built binary: `node dist/src/cli/bin.js gate verify` (npm test builds first).
const bin = join(process.cwd(), "dist/src/cli/bin.js");
const runBin = (args: string[]) =>
  spawnSync(process.execPath, [bin, "gate", "verify", ...args], {
    cwd: t.dir,
    encoding: "utf8",
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin" },
  });

describe("gate verify, the built binary", () => {
  it("json over the fixed corpus: exit 1, the hooks' exact numbers", () => {
    const r = runBin([
      "--home",
      home,
      ...base,
      "--corpus",
      CORPUS,
      "--no-builtin-corpus",
      "--no-codex",
      "--format",
      "json",
    ]);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(1);
    const j = JSON.parse(r.stdout);
    expect(
      j.gates.map((g: { key: string; missedCategories: string[]; failsOpen: boolean }) => [
        g.key,
        g.missedCategories,
        g.failsOpen,
      ]),
    ).toEqual([
      [
        "hooks.PreToolUse[0].hooks[0]",
        ["destructive", "remote-code", "privilege", "package-install", "credential-access", "exfiltration"],
        false,
      ],
      [
        "hooks.PreToolUse[0].hooks[1]",
        ["destructive", "remote-code", "privilege", "package-install", "credential-access", "exfiltration"],
        true,
      ],
    ]);
    expect(j.codex).toBe("no-rules");
  });

  it("agent-audit's own hooks (gate hook claude-code / gemini) configured in the settings: exit 0, all caught", () => {
    const r = runBin([
      "--home",
      join(t.dir, "ownhome"),
      ...base,
      "--corpus",
      CORPUS,
      "--no-builtin-corpus",
      "--format",
      "json",
    ]);
    expect(r.stderr).toBe("");
    const j = JSON.parse(r.stdout);
    expect(
      j.gates.map((g: { runtime: string; dangerous: unknown; benign: unknown; failsOpen: boolean }) => [
        g.runtime,
        g.dangerous,
        g.benign,
        g.failsOpen,
      ]),
    ).toEqual(
      ["claude-code", "gemini-cli"].map((rt) => [
        rt,
        { total: 12, caught: 12, missed: 0, catchRate: 1 },
        { total: 8, allowed: 8, falseAlarms: 0, falseAlarmRate: 0 },
        false,
      ]),
    );
    expect(j.ok).toBe(true);
    expect(r.status).toBe(0);
  }, 60_000);

  it("exit 0 when the built-in policy and every gate catch everything; exit 2 on a usage error", () => {
    const ok = runBin([
      "--home",
      join(t.dir, "empty"),
      ...base,
      "--corpus",
      join(t.dir, "all-caught.jsonl"),
      "--no-builtin-corpus",
      "--format",
      "json",
    ]);
    expect(ok.stderr).toBe("");
    expect(JSON.parse(ok.stdout)).toMatchObject({
      ok: true,
      gates: [],
      policy: { dangerous: { total: 1, caught: 1 } },
    });
    expect(ok.status).toBe(0);
    const bad = runBin(["--home", join(t.dir, "nope"), ...base]);
    expect(bad.stderr).toBe(
      `agent-audit: --home ${join(t.dir, "nope")}: no such directory\n  hint: pass an existing directory to --home\n`,
    );
    expect(bad.status).toBe(2);
  });
});

describe("scan --verify-gates", () => {
  const scanArgs = [
    "scan",
    "--home",
    join(t.dir, "scanhome"),
    ...base,
    "--no-env",
    "--sources",
    "home,tree",
    "--no-baseline",
    "--format",
    "json",
  ];
  const opts = { cwd: t.dir, env: { PATH: process.env.PATH ?? "/usr/bin:/bin" } };
  it("fails step 5 with the verify findings; without the flag step 5 has none", async () => {
    const r = await cli([...scanArgs, "--verify-gates"], opts);
    const report = JSON.parse(r.stdout);
    const step5 = report.checklist.find((c: { id: string }) => c.id === "approval-gate");
    expect(step5.status).toBe("fail");
    expect(step5.summary).toMatch(
      /^gate verify: claude-code hook ~\/\.claude\/settings\.json hooks\.PreToolUse\[0\]\.hooks\[0\] missed [a-z-]+(, [a-z-]+)+ and fails open; /,
    );
    expect(
      report.findings
        .filter((f: { ruleId: string }) => f.ruleId.startsWith("gate-verify-"))
        .map((f: { ruleId: string; location: { name: string } }) => `${f.ruleId} ${f.location.name}`),
    ).toEqual([
      "gate-verify-fails-open hooks.PreToolUse[0].hooks[0]",
      "gate-verify-miss hooks.PreToolUse[0].hooks[0]",
    ]);
    expect(r.code).toBe(1);
    const plain = JSON.parse((await cli(scanArgs, opts)).stdout);
    expect(plain.findings.filter((f: { ruleId: string }) => f.ruleId.startsWith("gate-verify-"))).toEqual([]);
    expect(
      plain.checklist
        .find((c: { id: string }) => c.id === "approval-gate")
        .summary.startsWith("gate verify:"),
    ).toBe(false);
  });

  it("scan --help says it runs the audited hooks", async () => {
    const r = await cli(["scan", "--help"], opts);
    expect(r.stdout.replace(/\s+/g, " ")).toContain(
      "This RUNS the hook commands of the audited configs, as the runtime would",
    );
  });
});
