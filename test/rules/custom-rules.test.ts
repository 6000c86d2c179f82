import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runParser } from "../../src/detect/parsers/common.js";
import { parseDotenvFile } from "../../src/detect/parsers/dotenv.js";
import { loadRules } from "../../src/rules/catalog.js";
import { tempTree } from "../helpers/tmp.js";

// Issue 9: parsers and workers take the rule set they are given. Before, the structural parsers
// judged values with the packaged rules (parsers/common.ts called defaultRules()), and every scan
// worker loaded the packaged rules whatever rule set the main thread scanned with.

const rulesDir = tempTree({
  // A content rule no packaged rule resembles.
  "secrets/acme-widget-token.yaml": [
    "id: acme-widget-token",
    "provider: acme",
    "type: api-token",
    "title: ACME widget token",
    "severity: high",
    "keywords: ['acmewt_']",
    "regex: '\\b(acmewt_[A-Za-z0-9]{24})\\b'",
    "remediation: Revoke it in the ACME console.",
    "examples:",
    "  match: ['acmewt_Q8x2Lm4Np6Rt0Vz3Bc5Df7Hj']",
    "  noMatch: ['acmewt_short']",
    "",
  ].join("\n"),
  // An env rule for a name no packaged rule judges a secret (no _TOKEN, _KEY, _SECRET...).
  "env/acme-widget-env.yaml": [
    "id: acme-widget-env",
    "provider: acme",
    "type: api-token",
    "title: ACME widget credential in the environment",
    "severity: high",
    "names: [ACME_WIDGET]",
    "value: { minLength: 8, shape: any }",
    "remediation: Revoke it in the ACME console.",
    "examples:",
    "  match: [{ name: ACME_WIDGET, value: 'plain-words-value' }]",
    "  noMatch: [{ name: ACME_WIDGET, value: 'short' }]",
    "",
  ].join("\n"),
  // .env files in the tree, judged by the env rules (dotenv parser).
  "paths/acme-dotenv.yaml": [
    "id: acme-dotenv",
    "provider: dotenv",
    "title: Secret in a dotenv file",
    "severity: high",
    "scope: tree",
    "paths: ['.env']",
    "parser: dotenv",
    "remediation: Keep secrets out of the checkout.",
    "",
  ].join("\n"),
});
const tree = tempTree({});
afterAll(() => {
  rulesDir.cleanup();
  tree.cleanup();
});

describe("a custom rule set", () => {
  it("reaches the structural parsers (runParser binds it for the parse)", () => {
    const rules = loadRules(rulesDir.dir);
    const input = { text: "ACME_WIDGET=plain-words-value\n", path: ".env", rule: rules.paths[0] };
    expect(
      runParser(parseDotenvFile, input, rules).detections.map((d) => [d.ruleId, d.viaRuleId, d.line]),
    ).toEqual([["acme-dotenv", "acme-widget-env", 1]]);
    // Called directly, a parser judges with the packaged rules, which know no ACME_WIDGET.
    expect(parseDotenvFile(input).detections).toEqual([]);
  });

  it("reaches the scan workers and their parsers (compiled package, --workers 1 on a big tree)", () => {
    const dist = join(process.cwd(), "dist/src");
    expect(existsSync(join(dist, "sources/scan-worker.js")), "run `npm run build` first").toBe(true);
    // 85 folders × 12 files of ~40 KB (past the 4 MiB after which workers start), one token in
    // each file and one .env per folder: 1020 content findings and 85 parser findings.
    const files = 1020;
    for (let i = 0; i < files; i++) {
      const d = join(tree.dir, `pkg${i % 17}`, `mod${i % 5}`);
      mkdirSync(d, { recursive: true });
      const filler = `export const table${i} = [${"1, 2, 3, 4, 5, 6, 7, 8, 9, 10, ".repeat(1300)}];`;
      const token = `acmewt_${String(i).padStart(4, "0")}Q8x2Lm4Np6Rt0Vz3Bc5D`;
      writeFileSync(join(d, `f${i}.ts`), `// file ${i}\n${filler}\nconst widget = "${token}";\n`);
      if (i < 85) writeFileSync(join(d, ".env"), `ACME_WIDGET=plain-words-value-${i}\n`);
    }
    const script = `
      const { loadRules } = await import(${JSON.stringify(join(dist, "rules/catalog.js"))});
      const { runInventory } = await import(${JSON.stringify(join(dist, "capabilities/inventory/index.js"))});
      const { selfAccess } = await import(${JSON.stringify(join(dist, "sources/access.js"))});
      const root = ${JSON.stringify(tree.dir)};
      const r = await runInventory({
        sources: new Set(["tree"]),
        env: undefined,
        home: root,
        root,
        systemRoot: "/",
        access: selfAccess("tester"),
        target: { home: root, root, user: "tester", hostname: "test" },
        limits: { maxFileBytes: 65536, includeBinary: false, includeVcs: false, includeDeps: false,
                  exclude: [], concurrency: 8, workers: 1 },
        rules: loadRules(${JSON.stringify(rulesDir.dir)}),
      });
      const count = {};
      for (const f of r.findings) count[f.ruleId] = (count[f.ruleId] ?? 0) + 1;
      process.stdout.write(JSON.stringify({ count, issues: r.issues }));
    `;
    // A script file, not --eval: workers inherit the process's execArgv, and `--input-type` is an
    // error in a worker (it would die, and the main thread scan its batches).
    const file = join(rulesDir.dir, "scan.mjs");
    writeFileSync(file, script);
    const r = spawnSync(process.execPath, [file], {
      encoding: "utf8",
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", AGENT_AUDIT_TRACE_WORKERS: "1" },
    });
    // The worker scanned batches (with the trace on, the main thread helps only once it is ready).
    const split =
      /^agent-audit: 1 scan workers\nagent-audit: batches scanned: (\d+) here, (\d+) by workers\n$/.exec(
        r.stderr,
      );
    expect(split, r.stderr).not.toBeNull();
    expect(Number(split![2])).toBeGreaterThan(0);
    // Every file's token and every .env: a worker with the packaged rules would have missed those
    // of the batches it scanned.
    expect(JSON.parse(r.stdout)).toEqual({
      count: { "acme-dotenv": 85, "acme-widget-token": files },
      issues: [],
    });
  });
});
