import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { crc32 } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AuditReport } from "../../src/contract/types.js";
import { base62 } from "../../src/detect/validators.js";
import { reporterNames } from "../../src/render/index.js";
import { cli } from "../helpers/cli.js";
import { tempTree } from "../helpers/tmp.js";

// Issue 8, item 6: file names, JSON keys and issue paths are the agent's, and may hold terminal
// control sequences. A file named with cursor-up and erase-line sequences redrew the checklist on
// screen; OSC 8 made a link, BEL rang, CR overwrote a line, U+202E reversed the text after it. Every
// format now shows them as visible escapes, and the only control byte left in table and Markdown
// output is the newline (colours are off: stdout is not a terminal here).

const body = "Zq7Wn3Kx9Lp2Vr5Ty8Mb4Hd6Gs1Jc0";
const TOKEN = `ghp_${body}${base62(crc32(Buffer.from(body, "ascii")), 6)}`;
const PNG = Buffer.concat([Buffer.from("89504e470d0a1a0a", "hex"), Buffer.alloc(64, 1)]);

/** File names (tree) and how every human-facing format must show them. */
const NAMES: [string, string][] = [
  ["e\x1b[2A\x1b[2K.env", "e\\x1b[2A\\x1b[2K.env"],
  ["o\x1b]8;;x\x07.env", "o\\x1b]8;;x\\x07.env"],
  ["c\r.env", "c\\r.env"],
  ["b\x07.env", "b\\x07.env"],
  ["r\u202e.env", "r\\u202e.env"],
  ["n\n.env", "n\\n.env"],
  ["d\x7f\u009b.env", "d\\x7f\\x9b.env"],
];
/** A JSON key with a full OSC 8 hyperlink, and its escaped form. */
const KEY = "\x1b]8;;http://x\x07L\x1b]8;;\x07";
const KEY_SHOWN = "\\x1b]8;;http://x\\x07L\\x1b]8;;\\x07";
/** A forged checklist line after cursor-up and erase: the attack of the issue. */
const FORGED = "\x1b[9A\x1b[2K  1. PASS  secret-inventory";

/** Control characters a terminal obeys; the newline is the one allowed. */
const CONTROL =
  /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

let t: { dir: string; cleanup: () => void };
let args: string[];

beforeAll(() => {
  t = tempTree({});
  const root = join(t.dir, "root");
  const home = join(t.dir, "home");
  mkdirSync(root);
  mkdirSync(join(home, ".composer"), { recursive: true });
  for (const [name] of NAMES) writeFileSync(join(root, name), `API_TOKEN=${TOKEN}\n`);
  writeFileSync(join(root, `${FORGED}.png`), PNG);
  writeFileSync(
    join(home, ".composer/auth.json"),
    JSON.stringify({ [KEY]: { token: "Tz7Kq2Wn9Xr4Vb8Lm3PdTz7K" } }),
  );
  args = ["--no-env", "--home", home, "--root", root, "--sources", "home,tree", "--no-progress"];
});
afterAll(() => t.cleanup());

describe("terminal control characters from the audited world are shown, never obeyed (issue 8)", () => {
  it("table: exact escaped rendering, no control byte but newlines", async () => {
    const r = await cli(["scan", ...args]);
    expect(r.code).toBe(1);
    expect(r.stdout).not.toMatch(CONTROL);
    const lines = r.stdout.split("\n");
    for (const [, shown] of NAMES)
      expect(
        lines.some((l) => l.endsWith(`  ${shown}:1`)),
        shown,
      ).toBe(true);
    expect(r.stdout).toContain(`  \\x1b[9A\\x1b[2K  1. PASS  secret-inventory.png: skipped: binary file`);
    // The checklist says what the scan found, whatever the file names try to draw over it.
    expect(r.stdout).toContain("  1. FAIL  secret-inventory: ");
    // The key path is shown whole, escaped, at the end of its line (issue 9: one line per finding).
    const where = `.composer/auth.json ${KEY_SHOWN}.token`;
    expect(lines.some((l) => l.endsWith(`  ${where}`))).toBe(true);
  });

  it("table in colour on a terminal: only our own SGR colour sequences", async () => {
    const r = await cli(["scan", ...args], { stdoutIsTTY: true });
    expect(r.code).toBe(1);
    const sgr = /\x1b\[[0-9;]*m/g;
    expect(r.stdout.match(sgr)?.length).toBe(28);
    expect(r.stdout.replace(sgr, "")).not.toMatch(CONTROL);
    expect(r.stdout.replace(sgr, "")).toContain("e\\x1b[2A\\x1b[2K.env:1");
  });

  it("markdown: exact escaped rendering in code spans, no control byte but newlines", async () => {
    const r = await cli(["scan", ...args, "--format", "markdown"]);
    expect(r.code).toBe(1);
    expect(r.stdout).not.toMatch(CONTROL);
    for (const [, shown] of NAMES) expect(r.stdout).toContain(`| critical | \`${shown}:1\` |`);
    expect(r.stdout).toContain("| high | `~/.composer/auth.json:1` |");
    expect(r.stdout).toContain(
      "- `\\x1b[9A\\x1b[2K  1. PASS  secret-inventory.png`: skipped: binary file (--include-binary scans it)",
    );
  });

  it("junit and sarif: escaped visibly, well-formed, no control byte but newlines", async () => {
    for (const format of ["junit", "sarif"]) {
      const r = await cli(["scan", ...args, "--format", format]);
      expect(r.code).toBe(1);
      expect(r.stdout, format).not.toMatch(CONTROL);
      const shown = "e\\x1b[2A\\x1b[2K.env";
      expect(r.stdout, format).toContain(format === "sarif" ? JSON.stringify(shown).slice(1, -1) : shown);
    }
    const sarif = JSON.parse((await cli(["scan", ...args, "--format", "sarif"])).stdout);
    const messages = sarif.runs[0].results.map((x: { message: { text: string } }) => x.message.text);
    expect(messages).toContain(
      "GitHub personal access token (classic), at r\\u202e.env:1; secret of provider github, type personal-access-token.",
    );
  });

  it("json keeps the data: the same strings back, but no raw control or bidi character on the wire", async () => {
    const r = await cli(["scan", ...args, "--format", "json"]);
    expect(r.code).toBe(1);
    expect(r.stdout).not.toMatch(CONTROL);
    const report = JSON.parse(r.stdout) as AuditReport;
    // The inventory's paths (each token's step-6 scope finding repeats its path; not the point here).
    const paths = report.findings
      .filter((f) => f.control === "secret-inventory" && f.location.source === "tree")
      .map((f) => f.location.path);
    expect(paths.sort()).toEqual(NAMES.map(([n]) => n).sort());
    expect(report.issues.map((i) => i.where)).toEqual([`${FORGED}.png`]);
    expect(r.stdout).toContain('"r\\u202e.env"');
  });

  it("every format, every --report file: nothing but newlines among the control characters", async () => {
    for (const format of reporterNames()) {
      const r = await cli(["scan", ...args, "--format", format]);
      expect(r.stdout, format).not.toMatch(CONTROL);
      expect(r.stderr, format).toBe("");
    }
  });
});
