import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { cli } from "../helpers/cli.js";
import { sandboxes } from "../helpers/sandbox.js";

const TOKEN = "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";
const { sysroot: tree } = sandboxes("aa-test-");

describe("scan: arguments and exit codes", () => {
  it("--help documents flags and exit codes", async () => {
    const r = await cli(["scan", "--help"]);
    expect(r.code).toBe(0);
    for (const s of [
      "--home <dir>",
      "--root <dir>",
      "--environ <file>",
      "--sources <list>",
      "--fail-on",
      "--exit-zero",
      "Exit codes:",
      "2  usage, config or runtime error",
    ]) {
      expect(r.stdout).toContain(s);
    }
  });

  it("a missing --root is a one-line error with exit 2", async () => {
    const home = tree({});
    const r = await cli(["scan", "--no-env", "--home", home, "--root", "/definitely/not/here"]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe(
      "agent-audit: --root /definitely/not/here: no such directory\n  hint: pass an existing directory to --root\n",
    );
  });

  it("a --home that is a file is an error", async () => {
    const d = tree({ f: "x" });
    const r = await cli(["scan", "--no-env", "--home", join(d, "f"), "--root", d]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      `agent-audit: --home ${join(d, "f")}: not a directory\n  hint: pass a directory to --home\n`,
    );
  });

  it("rejects unknown sources, severities and formats with exit 2", async () => {
    const d = tree({});
    const bad = [
      ["--sources", "env,disk"],
      ["--fail-on", "urgent"],
      ["--format", "xml"],
      ["--max-file-size", "ten"],
    ];
    for (const args of bad) {
      const r = await cli(["scan", "--no-env", "--home", d, "--root", d, ...args]);
      expect(r.code, args.join(" ")).toBe(2);
      expect(r.stdout).toBe("");
    }
  });

  it("a missing --environ is an error that names it", async () => {
    const d = tree({});
    const r = await cli(["scan", "--environ", join(d, "nope.env"), "--home", d, "--root", d]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`cannot read --environ ${join(d, "nope.env")}: no such file`);
  });

  it("exit 1 on a finding at or above --fail-on, 0 below it, 0 with --exit-zero", async () => {
    const d = tree({ "a.env": `T=${TOKEN}\n`, "b.yml": "password: 'q8Zr!v2Lp#x9Wm4T'\n" });
    const base = ["scan", "--no-env", "--home", d, "--root", d, "--sources", "tree", "--format", "json"];
    expect((await cli(base)).code).toBe(1);
    expect((await cli([...base, "--fail-on", "critical"])).code).toBe(1);
    expect((await cli([...base, "--exit-zero"])).code).toBe(0);
    const onlyMedium = tree({ "b.yml": "password: 'q8Zr!v2Lp#x9Wm4T'\n" });
    const m = [
      "scan",
      "--no-env",
      "--home",
      onlyMedium,
      "--root",
      onlyMedium,
      "--sources",
      "tree",
      "--format",
      "json",
    ];
    expect((await cli(m)).code).toBe(0);
    expect((await cli([...m, "--fail-on", "medium"])).code).toBe(1);
  });

  it("--output writes the report to a file and nothing to stdout", async () => {
    const d = tree({ "a.env": `T=${TOKEN}\n` });
    const out = join(d, "report.json");
    const r = await cli([
      "scan",
      "--no-env",
      "--home",
      d,
      "--root",
      d,
      "--sources",
      "tree",
      "--format",
      "json",
      "--output",
      out,
    ]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    const report = JSON.parse(readFileSync(out, "utf8"));
    expect(report.findings.map((f: { ruleId: string }) => f.ruleId)).toEqual([
      "github-pat-classic",
      // Step 6: a classic token is broad.
      "github-classic-pat-broad",
    ]);
    expect(readFileSync(out, "utf8")).not.toContain(TOKEN);
  });

  it("--output into a missing directory is an error, not a crash", async () => {
    const d = tree({});
    const r = await cli([
      "scan",
      "--no-env",
      "--home",
      d,
      "--root",
      d,
      "--sources",
      "tree",
      "--output",
      join(d, "no/such/dir/r.json"),
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("cannot write");
  });

  it("lists all six checklist steps: 2-4 skipped with a reason, 5 warns (no runtime config), 6 passes", async () => {
    const d = tree({});
    const r = await cli([
      "scan",
      "--no-env",
      "--home",
      d,
      "--root",
      d,
      "--format",
      "json",
      "--system-root",
      d,
    ]);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.checklist.map((c: { id: string; status: string }) => `${c.id}:${c.status}`)).toEqual([
      "secret-inventory:pass",
      "default-deny-egress:skip",
      "egress-proxy:skip",
      "egress-alerting:skip",
      "approval-gate:warn",
      "credential-scope:pass",
    ]);
    expect(report.checklist[1].summary).toBe("egress not probed: run with --probe");
    expect(report.checklist[4].summary).toBe(
      "no agent runtime config found; looked for " +
        "Claude Code (~/.claude/settings.json, ~/.claude.json, .claude/settings.json, .claude/settings.local.json, /etc/claude-code/managed-settings.json, /etc/claude-code/managed-settings.d/*.json); " +
        "Codex CLI (~/.codex/config.toml (or $CODEX_HOME), ~/.codex/rules/*.rules, .codex/config.toml, /etc/codex/requirements.toml); " +
        "Gemini CLI (~/.gemini/settings.json, ~/.gemini/policies/*.toml, .gemini/settings.json, /etc/gemini-cli/settings.json, /etc/gemini-cli/system-defaults.json, /etc/gemini-cli/policies/*.toml); " +
        "Hermes Agent (~/.hermes/config.yaml, ~/.hermes/.env (HERMES_YOLO_MODE)); " +
        "sandbox-runtime (srt) (~/.srt-settings.json)",
    );
    expect(report.checklist[5].summary).toBe("no credential found to judge");
    expect(report.score).toEqual({ passed: 2, evaluated: 3, total: 6 });
  });
});
