import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runInventory } from "../../src/capabilities/inventory/index.js";
import { runCli } from "../../src/cli/program.js";
import type { AuditReport } from "../../src/contract/types.js";
import { redactReport } from "../../src/detect/redact.js";
import { REPORTERS } from "../../src/render/index.js";
import { buildReport } from "../../src/report/build.js";
import { selfAccess } from "../../src/sources/access.js";
import { validationProblems } from "./multitool.js";

// A real scan of a temp sandbox (never this machine's home or environment) with planted fake
// secrets that match the rules, rendered in every CI format: no value may appear in any of them.
const GITHUB_TOKEN = "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";
const AWS_KEY_ID = "AKIAQ3EGRSXMPL7NBDZW";
const DB_PASSWORD = "q8Zr!v2Lp#x9Wm4T";
const PLANTED = [GITHUB_TOKEN, AWS_KEY_ID, DB_PASSWORD];

let base: string;
let report: AuditReport;

beforeAll(async () => {
  base = mkdtempSync(join(tmpdir(), "agent-audit-reporters-"));
  const home = join(base, "home");
  const root = join(base, "tree");
  mkdirSync(home, { recursive: true });
  mkdirSync(join(root, "deploy"), { recursive: true });
  writeFileSync(join(root, "deploy", ".env"), `# deploy settings\nGITHUB_TOKEN=${GITHUB_TOKEN}\n`);
  writeFileSync(
    join(root, "deploy", "aws.ini"),
    `[default]\nregion = eu-west-1\naws_access_key_id = ${AWS_KEY_ID}\n`,
  );
  const target = { home, root, user: "tester", hostname: "test-host" };
  const inventory = await runInventory({
    sources: new Set(["env", "tree"]),
    env: { DB_PASSWORD },
    home,
    root,
    systemRoot: join(base, "system"),
    access: selfAccess("tester"),
    target,
    limits: {
      maxFileBytes: 1024 * 1024,
      includeBinary: false,
      includeVcs: false,
      includeDeps: false,
      exclude: [],
      concurrency: 4,
    },
  });
  report = redactReport(
    buildReport({ target, inventoryRan: true, elapsedMs: 1, sources: ["env", "tree"] }, inventory),
    inventory.redactor,
  );
});
afterAll(() => rmSync(base, { recursive: true, force: true }));

describe("CI formats on a real scan", () => {
  it("scans the planted secrets", () => {
    expect(
      report.findings.map((f) =>
        [f.ruleId, f.location.source, f.location.path ?? f.location.name, f.location.line].join(" ").trim(),
      ),
    ).toEqual([
      "github-pat-classic tree deploy/.env 2",
      "generic-secret-name env DB_PASSWORD",
      "aws-access-key-id tree deploy/aws.ini 3",
    ]);
  });

  for (const format of ["sarif", "junit", "markdown"]) {
    it(`${format}: no planted value, nor any 8 characters of one, appears`, () => {
      const out = REPORTERS[format]!(report, { color: false });
      for (const secret of PLANTED) {
        for (let i = 0; i + 8 <= secret.length; i++) expect(out).not.toContain(secret.slice(i, i + 8));
      }
    });
  }

  it("sarif and junit carry no preview; markdown carries exactly the redacted previews", () => {
    const previews = report.findings.flatMap((f) => (f.secret ? [f.secret.preview] : []));
    expect(previews).toEqual(["ghp_…(40)", "q8Zr…(16)", "AKIA…(20)"]);
    for (const format of ["sarif", "junit"]) {
      const out = REPORTERS[format]!(report, { color: false });
      for (const p of previews) expect(out, format).not.toContain(p);
    }
    const md = REPORTERS.markdown!(report, { color: false });
    for (const p of previews) expect(md).toContain(`\`${p}\``);
  });

  it("sarif of the real scan passes the SARIF multitool validator", () => {
    expect(validationProblems(base, "real-scan", REPORTERS.sarif!(report, { color: false }))).toEqual([]);
  }, 120_000);

  it("the scan command writes every CI format (--format, --report FORMAT:PATH)", async () => {
    let stdout = "";
    let stderr = "";
    const out = (name: string) => join(base, name);
    const code = await runCli(
      [
        "scan",
        ...["--home", join(base, "home"), "--root", join(base, "tree"), "--system-root", join(base, "tree")],
        ...["--no-env", "--sources", "tree", "--no-progress", "--format", "sarif"],
        ...["--report", `junit:${out("r.xml")}`, "--report", `markdown:${out("r.md")}`],
      ],
      {
        stdout: (t) => {
          stdout += t;
        },
        stderr: (t) => {
          stderr += t;
        },
        env: {},
        cwd: base,
        homedir: join(base, "home"),
        user: "tester",
        uid: 1000,
        hostname: "test-host",
        stdoutIsTTY: false,
        stderrIsTTY: false,
      },
    );
    expect({ code, stderr }).toEqual({ code: 1, stderr: "" });
    const sarif = JSON.parse(stdout);
    // The steps that do not pass (1 fails; 5 warns: no runtime config in the tree; 6 fails: the token
    // is broad, the key long-lived), then the findings, each secret with its scope finding.
    expect(sarif.runs[0].results.map((r: { ruleId: string }) => r.ruleId)).toEqual([
      "secret-inventory",
      "approval-gate",
      "credential-scope",
      "github-pat-classic",
      "github-classic-pat-broad",
      "aws-access-key-id",
      "aws-long-lived-access-key",
    ]);
    const junit = readFileSync(out("r.xml"), "utf8");
    // Six steps and four findings: steps 1 and 6 and the four (high or worse) findings fail; steps
    // 2-4 are skipped, and so is step 5's warning.
    expect(junit).toContain('<testsuite name="agent-audit" tests="10" failures="6" errors="0" skipped="4">');
    const md = readFileSync(out("r.md"), "utf8");
    expect(md.split("\n")[0]).toBe("# agent-audit report");
    for (const text of [stdout, junit, md]) {
      for (const secret of PLANTED) expect(text).not.toContain(secret);
    }
  });
});
