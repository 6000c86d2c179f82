import { existsSync, lstatSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CliRun, cli } from "./helpers/cli.js";
import { type HostileSandbox, hostileSandbox, leaksIn } from "./helpers/hostile.js";

// Issue 8, "then, by construction": one sandbox as an attacker who owns the agent leaves it (see
// test/helpers/hostile.ts), scanned in every output format, to stdout and to --report files, and
// through the baseline command. Exact findings, issues and exit codes; no planted secret (nor any
// 8-character window of one) and no raw control character in any byte written.

/** C0 controls but newline, DEL, C1 controls, and the bidi overrides and isolates. */
const RAW_CONTROL = /[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/u;

let s: HostileSandbox;
let base: string[];
beforeAll(async () => {
  s = await hostileSandbox();
  base = ["--environ", s.environ, "--home", s.home, "--root", s.root, "--sources", "env,home,tree"];
}, 60_000);
afterAll(async () => {
  await s?.cleanup();
});

function clean(what: string, text: string): void {
  expect(leaksIn(text), what).toEqual([]);
  const raw = RAW_CONTROL.exec(text);
  expect(raw && `${JSON.stringify(raw[0])} at ${raw.index}`, what).toBeNull();
}

const CONTROL_FILE = "\x1b[2A\x1b[2Kpass\r\x07\u202e.txt";
// Ten secrets, and (step 6) a scope finding at the place of each GitHub token: classic ones are
// broad (high), the OAuth one broad (medium). Ordered by severity, then place.
const FINDINGS = [
  ["github-pat-classic", "env", "GITHUB_TOKEN"],
  ["github-pat-classic", "home", ".aws/credentials:2"],
  ["github-pat-classic", "tree", `${CONTROL_FILE}:1`],
  ["github-pat-classic", "tree", ".env:2"],
  ["github-oauth-token", "tree", "data.json:1"],
  ["github-pat-classic", "tree", "deploy.sh:3"],
  ["github-pat-classic", "tree", "flood.txt:1"],
  ["github-pat-classic", "tree", "long-line.txt:1"],
  ["github-classic-pat-broad", "env", "GITHUB_TOKEN"],
  ["github-classic-pat-broad", "home", ".aws/credentials:2"],
  ["maven-settings", "home", ".m2/settings.xml password"],
  ["github-classic-pat-broad", "tree", `${CONTROL_FILE}:1`],
  ["github-classic-pat-broad", "tree", ".env:2"],
  ["github-classic-pat-broad", "tree", "deploy.sh:3"],
  ["github-classic-pat-broad", "tree", "flood.txt:1"],
  ["github-classic-pat-broad", "tree", "long-line.txt:1"],
  ["generic-password-assignment", "tree", "config.ini:2"],
  ["github-oauth-token-broad", "tree", "data.json:1"],
];
const ISSUES = [
  { where: ".docker/config.json", message: "skipped: a character device (never opened)" },
  { where: ".git-credentials", message: "skipped: a FIFO (never opened)" },
  { where: "agent.sock", message: "skipped: a socket (never opened)" },
  { where: "pipe", message: "skipped: a FIFO (never opened)" },
  { where: "random.txt", message: "skipped: a symlink to a character device (never opened)" },
];

interface JsonReport {
  findings: {
    ruleId: string;
    location: { source: string; path?: string; name?: string; line?: number };
    secret?: { preview: string };
  }[];
  issues: { where: string; message: string }[];
  checklist: { id: string; status: string; summary: string }[];
  policy: unknown;
}
const rows = (r: JsonReport) =>
  r.findings.map((f) => {
    const l = f.location;
    const where = l.name ? (l.path ? `${l.path} ${l.name}` : l.name) : `${l.path}:${l.line}`;
    return [f.ruleId, l.source, where];
  });

describe("the hostile sandbox (issue 8)", () => {
  let json: CliRun;
  beforeAll(async () => {
    json = await cli(["scan", ...base, "--format", "json"]);
  }, 60_000);

  it("finds every planted secret, with each skipped path an issue, and fails", () => {
    expect(json.code).toBe(1);
    expect(json.stderr).toBe("");
    const r = JSON.parse(json.stdout) as JsonReport;
    expect(rows(r)).toEqual(FINDINGS);
    expect(r.issues).toEqual(ISSUES);
    expect(r.checklist[0]).toMatchObject({ id: "secret-inventory", status: "fail" });
    // The INI inline comment is not part of the password; the CDATA password is the whole value.
    // A scope finding carries no secret of its own.
    expect(r.findings.map((f) => f.secret?.preview)).toEqual([
      "ghp_…(40)",
      "ghp_…(40)",
      "ghp_…(40)",
      "ghp_…(40)",
      "gho_…(40)",
      "ghp_…(40)",
      "ghp_…(40)",
      "ghp_…(40)",
      undefined,
      undefined,
      "Zq8v…(20)",
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
      "Hk29…(20)",
      undefined,
    ]);
    // No agent runtime config in the sandbox (step 5 warns); seven broad classic tokens and a broad
    // OAuth token fail step 6.
    expect(r.checklist.slice(4).map((c) => `${c.id}:${c.status}`)).toEqual([
      "approval-gate:warn",
      "credential-scope:fail",
    ]);
    expect(r.checklist[5]!.summary).toBe(
      "7 high-risk credential scope findings (long-lived or broad) not in the accepted inventory; 1 medium-risk; 10 credentials judged",
    );
  });

  for (const format of ["table", "json", "sarif", "junit", "markdown"]) {
    it(`--format ${format}: exit 1, nothing planted or raw in stdout or stderr`, async () => {
      const r = format === "json" ? json : await cli(["scan", ...base, "--format", format]);
      expect(r.code).toBe(1);
      expect(r.stderr).toBe("");
      clean(`${format} stdout`, r.stdout);
    });
  }

  it("--report files of every format, at once", async () => {
    const out = join(s.dir, "reports");
    mkdirSync(out, { recursive: true });
    const formats = ["table", "json", "sarif", "junit", "markdown"];
    const r = await cli([
      "scan",
      ...base,
      "--format",
      "table",
      ...formats.flatMap((f) => ["--report", `${f}:${join(out, `report.${f}`)}`]),
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe("");
    clean("stdout", r.stdout);
    for (const f of formats) clean(`report.${f}`, readFileSync(join(out, `report.${f}`), "utf8"));
    rmSync(out, { recursive: true });
  });

  it("the baseline file and a scan against it: everything accepted, step 1 warns for the skipped paths", async () => {
    const file = join(s.dir, "accepted.json");
    const b = await cli(["baseline", ...base, "--output", file]);
    expect(b.code).toBe(0);
    expect(b.stdout).toBe(`agent-audit: wrote 18 entries to ${file} (18 new, 0 kept, 0 dropped)\n`);
    expect(b.stderr).toBe(
      "agent-audit: the scan reported 5 issues (paths skipped or not read); run scan to see them\n",
    );
    clean("baseline file", readFileSync(file, "utf8"));
    const r = await cli(["scan", ...base, "--baseline", file, "--format", "json"]);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as JsonReport;
    expect(report.checklist[0]).toEqual({
      step: 1,
      id: "secret-inventory",
      status: "warn",
      summary:
        "10 findings: 9 high/critical, all accepted in the baseline; 1 below high severity (1 of them accepted); but 5 paths could not be scanned (see issues), so the inventory may be incomplete",
      evidence: [],
    });
    expect(report.policy).toEqual({
      disabledRules: [],
      severityOverrides: [],
      baseline: { path: file, entries: 18 },
      suppressed: { baseline: 18, config: 0, inlineAllow: 1 },
    });
    clean("scan with baseline", r.stdout);
  });

  it("a config the agent planted in the tree cannot hide the environment's or the home's secrets", async () => {
    const config = join(s.root, "agent-audit.yaml");
    writeFileSync(config, "rules:\n  disable: [github-pat-classic, maven-settings]\nfailOn: critical\n");
    try {
      const r = await cli(["scan", ...base, "--format", "json"]);
      expect(r.code).toBe(1);
      const report = JSON.parse(r.stdout) as JsonReport;
      // The scope findings of the tree's classic tokens go with them; the OAuth token's stays.
      expect(rows(report)).toEqual([
        ["github-pat-classic", "env", "GITHUB_TOKEN"],
        ["github-pat-classic", "home", ".aws/credentials:2"],
        ["github-oauth-token", "tree", "data.json:1"],
        ["github-classic-pat-broad", "env", "GITHUB_TOKEN"],
        ["github-classic-pat-broad", "home", ".aws/credentials:2"],
        ["maven-settings", "home", ".m2/settings.xml password"],
        ["generic-password-assignment", "tree", "config.ini:2"],
        ["github-oauth-token-broad", "tree", "data.json:1"],
      ]);
      expect(report.policy).toEqual({
        config: { path: "agent-audit.yaml", discovered: true, scope: "tree" },
        disabledRules: ["github-pat-classic", "maven-settings"],
        severityOverrides: [],
        failOn: { severity: "critical", scope: "tree" },
        // The five tree findings of github-pat-classic; maven-settings is a home rule, out of its reach.
        suppressed: { baseline: 0, config: 5, inlineAllow: 1 },
      });
      const table = await cli(["scan", ...base]);
      expect(table.stdout).toContain(
        "Policy\n  config agent-audit.yaml: found in the scanned tree (the agent can write it); its rules apply to the working tree's findings only\n",
      );
    } finally {
      rmSync(config);
    }
  });
});

describe("files aimed at the auditor's own loaders (issue 8)", () => {
  const cases: [string, () => string[], string][] = [
    ["a FIFO as --config", () => ["--config", s.files.fifo], "is a FIFO, not a regular file"],
    [
      "/dev/urandom as --config",
      () => ["--config", s.files.urandom],
      "is a character device, not a regular file",
    ],
    ["a FIFO as --baseline", () => ["--baseline", s.files.fifo], "is a FIFO, not a regular file"],
    [
      "/dev/urandom as --baseline",
      () => ["--baseline", s.files.urandom],
      "is a character device, not a regular file",
    ],
  ];
  for (const [what, args, message] of cases) {
    it(`${what}: exit 2, one line and a hint, at once`, async () => {
      const [flag, file] = args();
      const r = await cli(["scan", ...base, "--format", "json", flag!, file!]);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe("");
      expect(r.stderr).toBe(`agent-audit: ${flag} ${file} ${message}\n  hint: pass a regular file\n`);
    });
  }

  it("--report and --output at a FIFO: exit 2 at once, nothing written", async () => {
    const out = join(s.dir, "written.json");
    const r = await cli(["scan", ...base, "--output", out, "--report", `sarif:${s.files.fifo}`]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      `agent-audit: --report ${s.files.fifo} is a FIFO, not a regular file\n  hint: pass a regular file\n`,
    );
    expect(existsSync(out)).toBe(false);
  });

  it("--output at a symlink the agent planted: the link is replaced, its target untouched", async () => {
    const victim = join(s.dir, "victim.txt");
    const link = join(s.root, "report.json");
    writeFileSync(victim, "precious\n");
    symlinkSync(victim, link);
    try {
      const r = await cli(["scan", ...base, "--format", "json", "--output", link]);
      expect(r.code).toBe(1);
      expect(readFileSync(victim, "utf8")).toBe("precious\n");
      expect(lstatSync(link).isFile()).toBe(true);
      expect((JSON.parse(readFileSync(link, "utf8")) as JsonReport).findings.length).toBe(FINDINGS.length);
    } finally {
      rmSync(link, { force: true });
    }
  });

  it("a YAML alias bomb as --config: exit 2, no expansion", async () => {
    const r = await cli(["scan", ...base, "--config", s.files.aliasBomb]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      `agent-audit: invalid config ${s.files.aliasBomb}:\n  (root): too many YAML alias expansions (more than 100)\n  hint: fix the keys listed above (see the README's config file reference)\n`,
    );
  });

  it("baseline --output at a FIFO: exit 2, nothing written", async () => {
    const r = await cli(["baseline", ...base, "--output", s.files.fifo]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      `agent-audit: --output ${s.files.fifo} is a FIFO, not a regular file\n  hint: pass a regular file\n`,
    );
  });

  it("a baseline with a UTF-8 byte-order mark is read", async () => {
    const r = await cli(["scan", ...base, "--baseline", s.files.bomBaseline, "--format", "json"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe("");
    expect((JSON.parse(r.stdout) as JsonReport).policy).toMatchObject({
      baseline: { path: s.files.bomBaseline, entries: 0 },
    });
  });

  it("a baseline of 130,000 stale entries: each is an issue, no stack overflow", async () => {
    const r = await cli(["scan", ...base, "--baseline", s.files.staleBaseline, "--format", "json"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe("");
    const report = JSON.parse(r.stdout) as JsonReport;
    const stale = report.issues.filter((i) => i.where === s.files.staleBaseline);
    expect(stale.length).toBe(130_000);
    expect(stale[0]!.message).toBe(
      "stale baseline entry github-pat-classic at tree:gone/0.env: no longer found (run scan --update-baseline to prune)",
    );
  }, 60_000);
});
