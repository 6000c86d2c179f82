import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runInventory } from "../../src/capabilities/inventory/index.js";
import {
  ContentScanner,
  INLINE_ALLOW_MARKERS,
  INLINE_ALLOW_NEXT_LINE_MARKERS,
} from "../../src/detect/content.js";
import { defaultRules } from "../../src/rules/catalog.js";
import { selfAccess } from "../../src/sources/access.js";

// Inline allow markers of agent-audit and of the scanners repositories already carry. Each one must
// suppress exactly its own line (or, for the next-line markers, exactly the following line).
// The token is fake but has a valid CRC32, like rules/secrets/github-pat-classic.yaml's examples;
// `gh = ...` carries no keyword of the generic password rule, so only the GitHub rule can match.
const TOKEN = "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";
const scanner = new ContentScanner(defaultRules());

function hits(text: string, honourInlineAllows?: boolean) {
  return scanner
    .scan(text, honourInlineAllows === undefined ? {} : { honourInlineAllows })
    .map((d) => ({ ruleId: d.ruleId, line: d.line }))
    .sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
}
const at = (...lines: number[]) => lines.map((line) => ({ ruleId: "github-pat-classic", line }));

// How each tool documents its marker: gitleaks README "gitleaks:allow", detect-secrets README
// "pragma: allowlist secret", secretlint "secretlint-disable-line", trufflehog "trufflehog:ignore",
// ggshield "ggignore".
const SAME_LINE: Record<string, string> = {
  "agent-audit:allow": `gh = "${TOKEN}" # agent-audit:allow`,
  "gitleaks:allow": `gh = "${TOKEN}" # gitleaks:allow`,
  "pragma: allowlist secret": `gh = "${TOKEN}"  # pragma: allowlist secret`,
  "secretlint-disable-line": `const gh = "${TOKEN}"; // secretlint-disable-line`,
  "trufflehog:ignore": `gh = "${TOKEN}" # trufflehog:ignore`,
  ggignore: `gh = "${TOKEN}" # ggignore`,
};
const NEXT_LINE: Record<string, string> = {
  "pragma: allowlist nextline secret": "# pragma: allowlist nextline secret",
  "secretlint-disable-next-line": "// secretlint-disable-next-line",
};

describe("inline allow markers", () => {
  it("covers every marker the scanner knows", () => {
    expect(Object.keys(SAME_LINE)).toEqual(INLINE_ALLOW_MARKERS);
    expect(Object.keys(NEXT_LINE)).toEqual(INLINE_ALLOW_NEXT_LINE_MARKERS);
  });

  it("reports the token on every line without a marker", () => {
    expect(hits(`gh = "${TOKEN}"\ngh = "${TOKEN}"\n`)).toEqual(at(1, 2));
  });

  for (const [marker, line] of Object.entries(SAME_LINE)) {
    describe(marker, () => {
      it("suppresses its own line and not the next one", () => {
        expect(hits(`${line}\ngh = "${TOKEN}"\n`)).toEqual(at(2));
      });
      it("does not suppress the line before it", () => {
        expect(hits(`gh = "${TOKEN}"\n${line}\n`)).toEqual(at(1));
      });
      it("works on the last line without a newline, and with CRLF endings", () => {
        expect(hits(`gh = "${TOKEN}"\r\n${line}`)).toEqual(at(1));
      });
      it("is ignored when inline allows are off", () => {
        expect(hits(`${line}\ngh = "${TOKEN}"\n`, false)).toEqual(at(1, 2));
      });
    });
  }

  for (const [marker, comment] of Object.entries(NEXT_LINE)) {
    describe(marker, () => {
      it("suppresses the following line only", () => {
        expect(hits(`${comment}\ngh = "${TOKEN}"\ngh = "${TOKEN}"\n`)).toEqual(at(3));
      });
      it("does not suppress its own line", () => {
        expect(hits(`gh = "${TOKEN}" ${comment}\ngh = "${TOKEN}"\n`)).toEqual(at(1));
      });
      it("suppresses nothing when a blank line follows it", () => {
        expect(hits(`${comment}\n\ngh = "${TOKEN}"\n`)).toEqual(at(3));
      });
      it("works with CRLF endings", () => {
        expect(hits(`gh = "${TOKEN}"\r\n${comment}\r\ngh = "${TOKEN}"\r\n`)).toEqual(at(1));
      });
    });
  }

  it("does not match a marker that is not on the token's line or the one above", () => {
    expect(hits(`# pragma: allowlist nextline secret\n\ngh = "${TOKEN}" # gitleaks:allo\n`)).toEqual(at(3));
  });
});

describe("inline allows in a scanned working tree", () => {
  let root: string;
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), "aa-allow-"));
    writeFileSync(
      join(root, "settings.py"),
      [
        `A = "${TOKEN}"  # pragma: allowlist secret`,
        `B = "${TOKEN}"`,
        "# pragma: allowlist nextline secret",
        `C = "${TOKEN}"`,
        `D = "${TOKEN}"`,
        "",
      ].join("\n"),
    );
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it("reports only the unmarked lines (one finding per secret per file, at its first line)", async () => {
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
        exclude: [],
        concurrency: 2,
      },
    });
    expect(res.issues).toEqual([]);
    expect(res.findings.map((f) => [f.ruleId, f.location])).toEqual([
      ["github-pat-classic", { source: "tree", path: "settings.py", line: 2 }],
    ]);
  });
});
