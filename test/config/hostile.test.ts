import { execFileSync } from "node:child_process";
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { crc32 } from "node:zlib";
import { afterEach, describe, expect, it } from "vitest";
import type { AuditReport } from "../../src/contract/types.js";
import { base62 } from "../../src/detect/validators.js";
import { cli } from "../helpers/cli.js";
import { tempTree } from "../helpers/tmp.js";

// Issue 8, items 7-11: agent-audit.yaml is read from the audited root, which the agent can write.
// A FIFO or a device there must not hang or exhaust the auditor, a YAML bomb must be one line and
// exit 2, a key must not be echoed when it may be a token, a link must not lead out of an audited
// image, and the config must not silence what it does not own (trust model: src/report/policy.ts).

/** A GitHub classic token with a valid checksum, built here so no token-shaped literal is committed. */
function fakeToken(seed: number): string {
  const A = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  let x = seed;
  let body = "";
  for (let i = 0; i < 30; i++) {
    x = (x * 1103515245 + 12345) % 2147483648;
    body += A[x % 62];
  }
  return `ghp_${body}${base62(crc32(Buffer.from(body, "ascii")), 6)}`;
}
const TREE_TOKEN = fakeToken(101);
const ENV_TOKEN = fakeToken(202);
const KEY_TOKEN = fakeToken(303);

let cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups) c();
  cleanups = [];
});

/** A sandbox: a tree holding one token, an empty home, an environ file holding another. */
function sandbox() {
  const t = tempTree(
    {
      "tree/.env": `GH=${TREE_TOKEN}\n`,
      "home/.keep": "",
      environ: `GITHUB_TOKEN=${ENV_TOKEN}\0`,
    },
    "aa-config-hostile-",
  );
  cleanups.push(t.cleanup);
  const root = join(t.dir, "tree");
  const args = (...extra: string[]) => [
    "scan",
    "--root",
    root,
    "--home",
    join(t.dir, "home"),
    "--environ",
    join(t.dir, "environ"),
    "--sources",
    "env,tree",
    "--no-progress",
    "--format",
    "json",
    ...extra,
  ];
  return { dir: t.dir, root, config: join(root, "agent-audit.yaml"), args };
}

async function scan(argv: string[]) {
  const r = await cli(argv, { cwd: "/" });
  return { ...r, report: r.code === 2 ? undefined : (JSON.parse(r.stdout) as AuditReport) };
}

const rows = (report: AuditReport | undefined) =>
  (report?.findings ?? []).map((f) => `${f.severity} ${f.ruleId} ${f.location.source}`);

/** Every 8-character window of a token past the 4 characters a preview may show. */
function leaks(text: string, token: string): boolean {
  for (let i = 4; i + 8 <= token.length; i++) if (text.includes(token.slice(i, i + 8))) return true;
  return false;
}

describe("item 7: a config that is not a regular file is one line and exit 2, never a hang", () => {
  it("a FIFO named agent-audit.yaml in the root", async () => {
    const s = sandbox();
    execFileSync("mkfifo", [s.config]);
    const r = await scan(s.args());
    expect([r.code, r.stdout]).toEqual([2, ""]);
    expect(r.stderr).toBe(
      `agent-audit: config ${s.config} is a FIFO, not a regular file\n  hint: pass a regular file\n`,
    );
  });

  it("a FIFO given to --config", async () => {
    const s = sandbox();
    const fifo = join(s.dir, "cfg.yaml");
    execFileSync("mkfifo", [fifo]);
    const r = await scan(s.args("--config", fifo));
    expect(r.code).toBe(2);
    expect(r.stderr.split("\n")[0]).toBe(`agent-audit: --config ${fifo} is a FIFO, not a regular file`);
  });

  it("agent-audit.yaml linked to a device that never ends", async () => {
    const s = sandbox();
    symlinkSync("/dev/zero", s.config);
    const r = await scan(s.args());
    expect(r.code).toBe(2);
    expect(r.stderr.split("\n")[0]).toBe(
      `agent-audit: config ${s.config} is a character device, not a regular file`,
    );
  });

  it("a config over 256 KiB is refused unread", async () => {
    const s = sandbox();
    writeFileSync(s.config, `# ${"x".repeat(256 * 1024)}\n`);
    const r = await scan(s.args());
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      `agent-audit: config ${s.config} is ${256 * 1024 + 3} bytes, over the ${256 * 1024}-byte limit\n`,
    );
  });
});

describe("item 8: under --system-root, a config found in the image is confined to it", () => {
  it("an absolute symlink out of the image is refused, not followed", async () => {
    const s = sandbox();
    // The image holds the tree; the link points at a file on the scanning machine.
    const host = join(s.dir, "host-config.yaml");
    writeFileSync(host, "rules:\n  disable: [github-pat-classic]\n");
    symlinkSync(host, s.config);
    const r = await scan(s.args("--system-root", s.dir.replace(/\/?$/, "/tree")));
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      `agent-audit: config ${s.config} leads outside --system-root\n  hint: a link in the audited image is not followed\n`,
    );
  });

  it("a link that stays in the image is followed", async () => {
    const s = sandbox();
    mkdirSync(join(s.root, "ci"));
    writeFileSync(join(s.root, "ci/audit.yaml"), "exclude: [ci]\n");
    symlinkSync(join(s.root, "ci/audit.yaml"), s.config);
    const r = await scan(s.args("--system-root", s.root));
    expect(r.code).toBe(1);
    expect(r.report?.policy?.config).toEqual({ path: "agent-audit.yaml", discovered: true, scope: "tree" });
  });
});

describe("item 9: a config found in the audited root governs the tree's findings only", () => {
  const DISABLE = "rules:\n  disable: [github-pat-classic]\n";

  it("without a config, both tokens are findings and the policy says so", async () => {
    const s = sandbox();
    const r = await scan(s.args());
    expect(r.code).toBe(1);
    // Each token is also broad (step 6: a scope finding of its own at the same place).
    expect(rows(r.report)).toEqual([
      "critical github-pat-classic env",
      "critical github-pat-classic tree",
      "high github-classic-pat-broad env",
      "high github-classic-pat-broad tree",
    ]);
    expect(r.report?.policy).toEqual({
      disabledRules: [],
      severityOverrides: [],
      suppressed: { baseline: 0, config: 0, inlineAllow: 0 },
    });
  });

  it("a discovered config disables a rule for the tree, not for the environment", async () => {
    const s = sandbox();
    writeFileSync(s.config, DISABLE);
    const r = await scan(s.args());
    expect(r.code).toBe(1);
    // The tree's .env is still seen by the dotenv parser's generic judgement; the rule is off there.
    expect(rows(r.report).filter((x) => x.includes("github-pat-classic"))).toEqual([
      "critical github-pat-classic env",
    ]);
    expect(r.report?.policy).toEqual({
      config: { path: "agent-audit.yaml", discovered: true, scope: "tree" },
      disabledRules: ["github-pat-classic"],
      severityOverrides: [],
      // The tree's token, counted once (the content rule and the .env parser both matched it).
      suppressed: { baseline: 0, config: 1, inlineAllow: 0 },
    });
  });

  it("the same config named with --config disables the rule everywhere", async () => {
    const s = sandbox();
    const cfg = join(s.dir, "operator.yaml");
    writeFileSync(cfg, DISABLE);
    const r = await scan(s.args("--config", cfg));
    expect(rows(r.report).filter((x) => x.includes("github-pat-classic"))).toEqual([]);
    expect(r.report?.policy?.config).toEqual({ path: cfg, discovered: false, scope: "all" });
    // The environment's token is still reported, by the GITHUB_TOKEN name rule, and judged broad
    // (step 6): only the tree's is suppressed, and with it the tree's scope finding.
    expect(rows(r.report)).toEqual(["critical github-token env", "high github-classic-pat-broad env"]);
    expect(r.report?.policy?.suppressed).toEqual({ baseline: 0, config: 1, inlineAllow: 0 });
  });

  it("a discovered config's severities and failOn reach the tree only", async () => {
    const s = sandbox();
    writeFileSync(s.config, "failOn: critical\nrules:\n  severity: { github-pat-classic: low }\n");
    const r = await scan(s.args());
    // The environment's token stays critical and fails the run; the tree's is re-rated.
    expect(r.code).toBe(1);
    expect(rows(r.report).filter((x) => x.includes("github-pat-classic"))).toEqual([
      "critical github-pat-classic env",
      "low github-pat-classic tree",
    ]);
    expect(r.report?.policy).toEqual({
      config: { path: "agent-audit.yaml", discovered: true, scope: "tree" },
      disabledRules: [],
      severityOverrides: [{ ruleId: "github-pat-classic", severity: "low" }],
      failOn: { severity: "critical", scope: "tree" },
      suppressed: { baseline: 0, config: 0, inlineAllow: 0 },
    });
  });

  it("a discovered failOn does not lower the bar for other sources", async () => {
    const s = sandbox();
    writeFileSync(s.config, "failOn: critical\nrules:\n  severity: { github-pat-classic: high }\n");
    // Tree: high < critical passes; env: critical >= high (the default) fails.
    expect((await scan(s.args())).code).toBe(1);
    expect((await scan(s.args("--sources", "tree"))).code).toBe(0);
  });
});

describe("item 10: YAML bombs are one line and exit 2", () => {
  it("an alias bomb (billion laughs)", async () => {
    const s = sandbox();
    const lines = ['a0: &a0 ["x","x","x","x","x","x","x","x","x","x"]'];
    for (let i = 1; i < 10; i++)
      lines.push(
        `a${i}: &a${i} [${Array(10)
          .fill(`*a${i - 1}`)
          .join(",")}]`,
      );
    writeFileSync(s.config, `${lines.join("\n")}\n`);
    const r = await scan(s.args());
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      `agent-audit: invalid config ${s.config}:\n` +
        "  (root): too many YAML alias expansions (more than 100)\n" +
        "  hint: fix the keys listed above (see the README's config file reference)\n",
    );
  });

  it.each([
    ["100,000 nested sequences", "- ".repeat(100_000), "line 1: nested more than 64 levels deep"],
    ["100,000 open brackets", "[".repeat(100_000), "line 1: nested more than 64 levels deep"],
    ["a chain of keys", "a: ".repeat(50_000), "line 1: nested more than 64 levels deep"],
    ["deep indentation", `${" ".repeat(300)}a: 1\n`, "line 1: indented more than 256 columns"],
    [
      "quoted scalars piled on one value",
      '"'.repeat(100_000),
      "line 1, column 19: not valid YAML (too many tokens on one value)",
    ],
    [
      "aliases piled on one value",
      "*a ".repeat(30_000),
      "line 1, column 28: not valid YAML (too many tokens on one value)",
    ],
    [
      "anchors piled on one value",
      `${"&a ".repeat(30_000)}x`,
      "line 1, column 25: not valid YAML (too many tokens on one value)",
    ],
    ["directives", "%x\n".repeat(30_000), "line 9, column 1: more than 8 YAML directives"],
    ["many documents", "---\n".repeat(30_000), "line 2, column 1: more than one YAML document"],
  ])("%s", async (_, text, error) => {
    const s = sandbox();
    writeFileSync(s.config, text);
    const r = await scan(s.args());
    expect(r.code).toBe(2);
    expect(r.stderr.split("\n").slice(0, 2)).toEqual([
      `agent-audit: invalid config ${s.config}:`,
      `  ${error}`,
    ]);
  });

  it("lists at most 10 errors", async () => {
    const s = sandbox();
    writeFileSync(s.config, Array.from({ length: 50 }, () => "a: 1").join("\n"));
    const r = await scan(s.args());
    expect(r.code).toBe(2);
    const lines = r.stderr.split("\n");
    expect(lines.slice(1, 3)).toEqual([
      '  line 2, column 1: duplicate key "a"',
      '  line 3, column 1: duplicate key "a"',
    ]);
    expect(lines[11]).toBe("  (and 39 more)");
  });
});

describe("item 11: config errors never echo a key that may be a token", () => {
  it.each([
    [
      "an unknown key",
      `${KEY_TOKEN}: 1\n`,
      `  <40 characters, not shown>: unknown key <40 characters, not shown>`,
    ],
    [
      "a duplicate key",
      `${KEY_TOKEN}: 1\n${KEY_TOKEN}: 2\n`,
      "  line 2, column 1: duplicate key <40 characters, not shown>",
    ],
    [
      "an unknown rule id",
      `rules:\n  disable: [${KEY_TOKEN}]\n`,
      "  rules.disable.0: unknown rule id <40 characters, not shown>",
    ],
    [
      "a severity for an unknown rule",
      `rules:\n  severity: { ${KEY_TOKEN}: low }\n`,
      "  rules.severity.<40 characters, not shown>: unknown rule id <40 characters, not shown>",
    ],
  ])("%s", async (_, text, line) => {
    const s = sandbox();
    writeFileSync(s.config, text);
    const r = await scan(s.args());
    expect(r.code).toBe(2);
    expect(r.stderr.split("\n")[1]).toBe(line);
    expect(leaks(r.stderr + r.stdout, KEY_TOKEN)).toBe(false);
  });

  it("a plain misspelt key is still echoed with its hint", async () => {
    const s = sandbox();
    writeFileSync(s.config, "exlude: [a]\n");
    const r = await scan(s.args());
    expect(r.stderr.split("\n")[1]).toBe('  exlude: unknown key "exlude" (did you mean "exclude"?)');
  });
});

describe("item 11: a config's `baseline:`", () => {
  it("naming a missing file is an error, as --baseline is", async () => {
    const s = sandbox();
    writeFileSync(s.config, "baseline: accepted.json\n");
    const r = await scan(s.args());
    expect(r.code).toBe(2);
    expect(r.stderr.split("\n")[0]).toBe(
      `agent-audit: baseline ${join(s.root, "accepted.json")} (named in ${s.config}): no such file`,
    );
  });

  it("of a discovered config must lie inside the audited root", async () => {
    const s = sandbox();
    writeFileSync(s.config, "baseline: ../../etc/accepted.json\n");
    const r = await scan(s.args());
    expect(r.code).toBe(2);
    expect(r.stderr.split("\n").slice(0, 2)).toEqual([
      `agent-audit: invalid config ${s.config}:`,
      "  baseline: must lie inside the audited root (this config was found there)",
    ]);
  });
});
