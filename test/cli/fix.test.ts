import { lstatSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { packageRoot } from "../../src/util/paths.js";
import { cli } from "../helpers/cli.js";
import { tempTree } from "../helpers/tmp.js";

// `agent-audit fix` end to end in process (issue 12): what it writes for the demo sandbox, the
// same files from --from-report, usage errors, no secret anywhere, and apply / rollback on a
// fixture home (runtime files only: no system path is touched).

const planted = JSON.parse(readFileSync(join(packageRoot(), "fixtures/demo/planted.json"), "utf8")) as {
  values: Record<string, string>;
};
const windows: [string, string][] = [];
for (const [name, value] of Object.entries(planted.values))
  for (let i = 4; i + 8 <= value.length; i++) windows.push([name, value.slice(i, i + 8)]);
const leaks = (text: string) =>
  [...new Set(windows.filter(([, w]) => text.includes(w)).map(([n]) => n))].sort();

const work = tempTree({});
afterAll(() => work.cleanup());

function filesUnder(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out[relative(dir, p)] = readFileSync(p, "utf8");
    }
  };
  walk(dir);
  return out;
}

const DEMO_FILES = [
  "README.md",
  "agent-env.sh",
  "alerting/agent-audit-watch.service",
  "alerting/agent-audit.yaml",
  "alerting/kubernetes-sidecar.yaml",
  "allowed-domains.txt",
  "claude-code/settings.json",
  "codex/agent-audit.rules",
  "codex/config.toml",
  "ip6tables.rules",
  "iptables.rules",
  "kubernetes/cilium-networkpolicy.yaml",
  "kubernetes/networkpolicy.yaml",
  "nftables.nft",
  "squid.conf",
];

describe("agent-audit fix on the demo sandbox", () => {
  it("writes the files the report calls for, says why, and leaks no secret", async () => {
    const out = join(work.dir, "demo-out");
    const r = await cli(["fix", "--demo", "--out", out, "--no-progress"]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe("");
    expect(r.stdout.split("\n")).toEqual([
      `Wrote 15 files to ${out}/ (see ${out}/README.md):`,
      "  squid            squid.conf, allowed-domains.txt  (steps 2 (default-deny-egress) and 3 (egress-proxy) do not pass)",
      "  nftables         nftables.nft  (steps 2 (default-deny-egress) and 3 (egress-proxy) do not pass)",
      "  iptables         iptables.rules, ip6tables.rules  (steps 2 (default-deny-egress) and 3 (egress-proxy) do not pass)",
      "  kubernetes       kubernetes/networkpolicy.yaml, kubernetes/cilium-networkpolicy.yaml  (steps 2 (default-deny-egress) and 3 (egress-proxy) do not pass; the agent runs in a Kubernetes pod)",
      "  claude-code      claude-code/settings.json  (Claude Code is present (gate unknown, sandbox unknown))",
      "  codex            codex/config.toml, codex/agent-audit.rules  (Codex CLI is present (gate off, sandbox off))",
      "  env              agent-env.sh  (the environment holds 8 secrets)",
      "  alerting         alerting/agent-audit.yaml, alerting/agent-audit-watch.service, alerting/kubernetes-sidecar.yaml  (step 4 (egress-alerting) does not pass: nothing turns the proxy's denials into alerts)",
      "Not generated:",
      "  gemini           the runtime was not found (select it with --only)",
      "  hermes           the runtime was not found (select it with --only)",
      "  sandbox-runtime  the runtime was not found (select it with --only)",
      "Allowlist (7): api.anthropic.com, api.github.com, api.openai.com, registry.npmjs.org, api.groq.com, huggingface.co, openrouter.ai",
      // Issue 16: the demo's Cursor and VS Code GitHub MCP servers need this host.
      "Proposed, not added: api.githubcopilot.com (see README.md)",
      "Nothing outside the output directory was changed.",
      "",
    ]);
    const files = filesUnder(out);
    expect(Object.keys(files).sort()).toEqual(DEMO_FILES);
    expect(statSync(join(out, "agent-env.sh")).mode & 0o777).toBe(0o755);
    expect(statSync(join(out, "squid.conf")).mode & 0o777).toBe(0o644);
    for (const [name, text] of Object.entries(files)) expect(leaks(text), name).toEqual([]);
    expect(leaks(r.stdout)).toEqual([]);
    // The network files are the demo's golden ones (reports/fix/): the same report, the same files.
    for (const name of ["squid.conf", "allowed-domains.txt", "nftables.nft", "kubernetes/networkpolicy.yaml"])
      expect(files[name], name).toBe(readFileSync(join(packageRoot(), "reports", "fix", name), "utf8"));
  }, 60_000);

  it("--from-report gives the same network files as the scan; --only selects exactly", async () => {
    const report = join(work.dir, "demo.json");
    const scan = await cli([
      "scan",
      "--demo",
      "--format",
      "json",
      "-o",
      report,
      "--exit-zero",
      "--no-progress",
    ]);
    expect(scan.code).toBe(0);
    const out = join(work.dir, "from-report");
    const r = await cli(["fix", "--from-report", report, "--out", out, "--only", "squid,nftables"]);
    expect(r.code).toBe(0);
    expect(Object.keys(filesUnder(out)).sort()).toEqual([
      "README.md",
      "allowed-domains.txt",
      "nftables.nft",
      "squid.conf",
    ]);
    expect(readFileSync(join(out, "squid.conf"), "utf8")).toBe(
      readFileSync(join(packageRoot(), "reports", "fix", "squid.conf"), "utf8"),
    );
    expect(r.stdout).toContain("  hermes           not in --only\n");
  }, 60_000);

  it("usage errors exit 2 with one line and a hint, and write nothing", async () => {
    const out = join(work.dir, "bad");
    const cases: [string[], string][] = [
      [["--only", "squid,firewall"], 'agent-audit: --only: unknown target "firewall"'],
      [["--dry-run"], "agent-audit: --dry-run goes with --apply"],
      [["--force"], "agent-audit: --force goes with --rollback"],
      [
        ["--allowed-host", "10.0.0.1"],
        'agent-audit: allowed host "10.0.0.1": an IP literal or a port; the proxy allows names only',
      ],
      [["--proxy", "http://user:pw@10.0.0.1:3128"], "agent-audit: --proxy: no user or password in the URL"],
      [["--proxy", "socks5://10.0.0.1:1080"], "agent-audit: --proxy: only an http:// proxy is supported"],
      [
        ["--k8s-pod-label", "a b"],
        "agent-audit: --k8s-pod-label: KEY=VALUE with a Kubernetes label key and value",
      ],
    ];
    for (const [args, message] of cases) {
      const r = await cli(["fix", "--demo", "--no-progress", "--out", out, ...args]);
      expect(r.code, args.join(" ")).toBe(2);
      expect(r.stderr.split("\n")[0], args.join(" ")).toBe(message);
      expect(r.stderr).not.toContain("pw@");
    }
    expect(() => lstatSync(out)).toThrow();
  }, 60_000);

  it("refuses an --out that is a symbolic link", async () => {
    const { symlinkSync, mkdirSync } = await import("node:fs");
    const real = join(work.dir, "elsewhere");
    mkdirSync(real);
    symlinkSync(real, join(work.dir, "linked-out"));
    const r = await cli([
      "fix",
      "--demo",
      "--no-progress",
      "--out",
      join(work.dir, "linked-out"),
      "--only",
      "squid",
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr.split("\n")[0]).toBe(
      `agent-audit: --out ${join(work.dir, "linked-out")} is a symbolic link; refusing to write through it`,
    );
    expect(readdirSync(real)).toEqual([]);
  });
});

describe("agent-audit fix --apply and --rollback on a fixture home", () => {
  it("merges into the user's Claude Code and Codex configs, is idempotent, and rolls back byte for byte", async () => {
    const t = tempTree({
      "home/.claude/settings.json":
        '{\n  // mine\n  "model": "opus",\n  "permissions": { "allow": ["Bash(ls *)"] }\n}\n',
      "home/.codex/config.toml": '# my codex\nmodel = "gpt-5"\napproval_policy = "never"\n',
      "tree/README.md": "hello\n",
    });
    const home = join(t.dir, "home");
    const before = {
      claude: readFileSync(join(home, ".claude/settings.json"), "utf8"),
      codex: readFileSync(join(home, ".codex/config.toml"), "utf8"),
    };
    const state = join(work.dir, "state");
    const base = [
      "fix",
      "--home",
      home,
      "--root",
      join(t.dir, "tree"),
      "--sources",
      "home,tree",
      "--no-env",
      "--no-progress",
      "--only",
      "claude-code,codex",
      "--out",
      join(t.dir, "out"),
      "--state-dir",
      state,
    ];
    const dry = await cli([...base, "--apply", "--dry-run"]);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain("--dry-run: nothing was changed. What --apply would do:");
    expect(dry.stdout).toContain(`+++ ${join(home, ".codex/config.toml")}`);
    expect(readFileSync(join(home, ".claude/settings.json"), "utf8")).toBe(before.claude);

    const first = await cli([...base, "--apply"]);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain(`  update    ${join(home, ".claude/settings.json")}\n`);
    expect(first.stdout).toContain(`  create    ${join(home, ".codex/rules/agent-audit.rules")}\n`);
    expect(first.stdout).toMatch(
      /Applied\. Manifest: .*manifest\.json \(undo with agent-audit fix --rollback\)/,
    );
    expect(first.stdout).toContain("Not verified: run with --probe");
    const claude = readFileSync(join(home, ".claude/settings.json"), "utf8");
    expect(claude).toContain("// mine");
    expect(claude).toContain('"model": "opus"');
    expect(claude).toContain('"Bash(ls *)"');
    expect(claude).toContain("agent-audit gate hook claude-code || exit 2");
    const codex = readFileSync(join(home, ".codex/config.toml"), "utf8");
    expect(codex).toContain('model = "gpt-5"');
    expect(codex).toContain('approval_policy = "on-request"');

    const again = await cli([...base, "--apply"]);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain("Applied: nothing to change");
    expect(readdirSync(state)).toHaveLength(1);

    const rb = await cli(["fix", "--rollback", "--state-dir", state]);
    expect(rb.code, rb.stderr).toBe(0);
    expect(rb.stdout).toContain("Restored: every file is as it was before the apply.");
    expect(readFileSync(join(home, ".claude/settings.json"), "utf8")).toBe(before.claude);
    expect(readFileSync(join(home, ".codex/config.toml"), "utf8")).toBe(before.codex);
    expect(() => lstatSync(join(home, ".codex/rules"))).toThrow();
    const twice = await cli(["fix", "--rollback", "--state-dir", state]);
    expect(twice.code).toBe(0);
    expect(twice.stdout).not.toContain("restored ");
    t.cleanup();
  }, 60_000);

  it("refuses the whole apply when a destination is a planted link, and changes nothing", async () => {
    const t = tempTree({ "victim.txt": "keep\n", "home/.codex/config.toml": 'model = "x"\n' });
    const home = join(t.dir, "home");
    const { mkdirSync, symlinkSync } = await import("node:fs");
    mkdirSync(join(home, ".claude"));
    symlinkSync(join(t.dir, "victim.txt"), join(home, ".claude/settings.json"));
    const r = await cli([
      "fix",
      "--home",
      home,
      "--root",
      home,
      "--sources",
      "home",
      "--no-env",
      "--no-progress",
      "--only",
      "claude-code,codex",
      "--out",
      join(t.dir, "out"),
      "--state-dir",
      join(t.dir, "state"),
      "--apply",
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("agent-audit: --apply refused, nothing was changed:");
    expect(r.stderr).toContain(join(home, ".claude/settings.json"));
    expect(readFileSync(join(t.dir, "victim.txt"), "utf8")).toBe("keep\n");
    expect(readFileSync(join(home, ".codex/config.toml"), "utf8")).toBe('model = "x"\n');
    writeFileSync(join(t.dir, "done"), "");
    t.cleanup();
  });
});
