import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runInventory } from "../../src/capabilities/inventory/index.js";
import { selfAccess } from "../../src/sources/access.js";
import { globToRegExp } from "../../src/sources/glob.js";

// agent-audit.yaml `include` / `exclude` globs, as the tree source applies them.

describe("globToRegExp", () => {
  const cases: [glob: string, matches: string[], misses: string[]][] = [
    // No slash: any depth, and a directory matches everything under it.
    [
      "fixtures",
      ["fixtures", "fixtures/a.env", "pkg/fixtures/x/y"],
      ["fixtures2", "my-fixtures", "a/fixturesx"],
    ],
    ["*.env", ["a.env", "dir/b.env", "dir/b.env/inner"], ["a.env.bak", "a.envx", "env"]],
    ["?.txt", ["a.txt", "d/b.txt"], ["ab.txt", ".txt"]],
    // A slash anchors at the root.
    ["config/*.env", ["config/a.env", "config/a.env/x"], ["other/config/a.env", "config/sub/a.env"]],
    ["/dist", ["dist", "dist/app.js"], ["src/dist", "distx"]],
    ["build/", ["build", "build/out"], ["rebuild", "src/buildx"]],
    ["src/**/*.ts", ["src/a.ts", "src/x/y/a.ts"], ["lib/a.ts", "src/a.tsx", "a/src/b.ts"]],
    ["**/secrets", ["secrets", "a/secrets", "a/b/secrets/c"], ["secretsx", "a/mysecrets"]],
    // Regex metacharacters are literal.
    ["a+b.(c)", ["a+b.(c)"], ["aab.(c)", "a+bx(c)"]],
  ];
  for (const [glob, matches, misses] of cases) {
    it(`${glob} matches ${matches.join(", ")} and not ${misses.join(", ")}`, () => {
      const re = globToRegExp(glob);
      expect(matches.filter((p) => !re.test(p))).toEqual([]);
      expect(misses.filter((p) => re.test(p))).toEqual([]);
    });
  }
});

// GitHub classic token format with a valid CRC32 (rules/secrets/github-pat-classic.yaml examples).
const TOKEN = "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";

describe("tree source include / exclude", () => {
  let root: string;
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), "aa-include-"));
    for (const rel of ["a.env", "src/app.env", "src/deep/x.env", "fixtures/f.env", "docs/readme.md"]) {
      mkdirSync(dirname(join(root, rel)), { recursive: true });
      writeFileSync(join(root, rel), `GITHUB_TOKEN=${TOKEN}\n`);
    }
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  async function paths(limits: { include?: string[]; exclude?: string[] }): Promise<string[]> {
    const res = await runInventory({
      sources: new Set(["tree"]),
      env: undefined,
      home: "/nonexistent-home",
      root,
      systemRoot: "/nonexistent-system",
      access: selfAccess("tester"),
      target: { home: "/nonexistent-home", root, user: "tester", hostname: "test-host" },
      limits: {
        maxFileBytes: 0,
        includeBinary: false,
        includeVcs: false,
        includeDeps: false,
        concurrency: 4,
        exclude: limits.exclude ?? [],
        include: limits.include,
      },
    });
    expect(res.issues).toEqual([]);
    return res.findings.map((f) => f.location.path ?? "").sort();
  }

  it("scans everything without include", async () => {
    expect(await paths({})).toEqual([
      "a.env",
      "docs/readme.md",
      "fixtures/f.env",
      "src/app.env",
      "src/deep/x.env",
    ]);
    expect(await paths({ include: [] })).toEqual(await paths({}));
  });

  it("limits the scan to files matching an include glob", async () => {
    expect(await paths({ include: ["src"] })).toEqual(["src/app.env", "src/deep/x.env"]);
    expect(await paths({ include: ["*.env"] })).toEqual([
      "a.env",
      "fixtures/f.env",
      "src/app.env",
      "src/deep/x.env",
    ]);
    expect(await paths({ include: ["src/*.env", "docs/**"] })).toEqual(["docs/readme.md", "src/app.env"]);
  });

  it("applies exclude on top of include", async () => {
    expect(await paths({ include: ["*.env"], exclude: ["fixtures", "src/deep"] })).toEqual([
      "a.env",
      "src/app.env",
    ]);
  });
});
