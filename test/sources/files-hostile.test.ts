import { statSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ContentScanner } from "../../src/detect/content.js";
import { defaultRules } from "../../src/rules/catalog.js";
import { type FileTarget, type ReadContext, scanClaimed, sniff } from "../../src/sources/files.js";
import { inventory, testLimits } from "../helpers/inventory.js";
import { tempTree } from "../helpers/tmp.js";

// Issue 8: files the agent wrote to hide secrets from the scan (a token across a chunk boundary of a
// long line, UTF-16, a planted NUL, a keyword flood) and files skipped or read only in part, which
// must always be issues. Every token is fake and built at run time from a seeded generator.

function generator(seed: number) {
  let s = seed >>> 0 || 1;
  const next = () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s;
  };
  const ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  return (n: number) => {
    let out = "";
    for (let i = 0; i < n; i++) out += ALNUM[next() % ALNUM.length];
    return out;
  };
}
const alnum = generator(8);
/** A GitHub classic token shape (the rule matches it; its checksum is not valid). */
const ghToken = () => ["gh", "p_"].join("") + alnum(36);

let cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups) c();
  cleanups = [];
});
function tree(files: Record<string, string | Buffer>) {
  const t = tempTree(files, "aa-hostile-");
  cleanups.push(t.cleanup);
  return t.dir;
}
type Found = { ruleId: string; location: { path?: string; line?: number }; secret?: { preview: string } };
const where = (fs: Found[]) => fs.map((f) => `${f.ruleId} ${f.location.path}:${f.location.line}`).sort();

const MiB = 1024 * 1024;
/** Bytes per chunk of a streamed file (files.ts CHUNK_BYTES) and the overlap carried (CHUNK_OVERLAP). */
const CHUNK = 4 * MiB;
const OVERLAP = 64 * 1024;

/** A buffer of `size` bytes of `fill`, with strings written at the given offsets. */
function planted(size: number, fill: string, at: [number, string][]): Buffer {
  const buf = Buffer.alloc(size, fill);
  for (const [offset, s] of at) buf.write(s, offset, "latin1");
  return buf;
}

describe("a file read in chunks (over 8 MiB)", () => {
  it("finds tokens across every chunk boundary of one long line, once each, on line 1", async () => {
    const across1 = ghToken();
    const inOverlap = ghToken();
    const across2 = ghToken();
    const atEnd = ghToken();
    const size = 9 * MiB;
    const file = planted(size, " ", [
      [CHUNK - 20, across1],
      [CHUNK - 30_000, inOverlap],
      // The second chunk starts OVERLAP bytes before the first boundary and reads CHUNK bytes.
      [2 * CHUNK - OVERLAP - 10, across2],
      [size - 50, atEnd],
    ]);
    const root = tree({ "one-line.min.js": file });
    const res = await inventory({ sources: ["tree"], root });
    expect(res.issues).toEqual([]);
    expect(where(res.findings)).toEqual(Array(4).fill("github-pat-classic one-line.min.js:1"));
    expect(res.stats).toEqual({ files: 1, bytes: size });
  });

  it("reports a value cut by a chunk boundary once, whole, at its line", async () => {
    // Lines of 100 bytes; an assignment whose value the first chunk holds only in part. The chunk
    // that holds only its start must not report the cut prefix as a second, different secret.
    const value = alnum(60);
    const line = `${" ".repeat(99)}\n`;
    const lines = Math.ceil((9 * MiB) / 100);
    const text = Buffer.from(line.repeat(lines), "latin1");
    const start = CHUNK - 30;
    text.write(`password = "${value}"`, start, "latin1");
    const root = tree({ "app.log": text });
    const res = await inventory({ sources: ["tree"], root });
    expect(res.issues).toEqual([]);
    expect(where(res.findings)).toEqual([
      `generic-password-assignment app.log:${Math.floor(start / 100) + 1}`,
    ]);
    expect(res.findings[0]!.secret!.preview).toBe(`${value.slice(0, 4)}…(60)`);
  });

  it("reads UTF-16 in chunks too, with the right lines", async () => {
    const early = ghToken();
    const late = ghToken();
    const lineText = `${"x".repeat(40)}\n`; // 41 code units, 82 bytes
    const lines = Math.ceil((9 * MiB) / 82);
    const body = lineText.repeat(lines).split("\n");
    body[10] = `GH=${early}`;
    body[lines - 5] = `GH=${late}`;
    const file = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(body.join("\n"), "utf16le")]);
    const root = tree({ "big.cfg": file });
    const res = await inventory({ sources: ["tree"], root });
    expect(res.issues).toEqual([]);
    expect(where(res.findings)).toEqual([
      "github-pat-classic big.cfg:11",
      `github-pat-classic big.cfg:${lines - 4}`,
    ]);
  });
});

describe("UTF-16 files", () => {
  const body = (tok: string, pw: string) => `# settings\nGH_TOKEN=${tok}\nDB_PASSWORD=${pw}\n`;
  const encodings: Record<string, (s: string) => Buffer> = {
    "LE with BOM": (s) => Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(s, "utf16le")]),
    "BE with BOM": (s) => Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(s, "utf16le").swap16()]),
    "LE without BOM": (s) => Buffer.from(s, "utf16le"),
    "BE without BOM": (s) => Buffer.from(s, "utf16le").swap16(),
  };
  for (const [name, encode] of Object.entries(encodings)) {
    it(`${name}: the .env parser and the content rules read the decoded text, lines right`, async () => {
      const tok = ghToken();
      const pw = `q8Zr${alnum(16)}`;
      const root = tree({ ".env": encode(body(tok, pw)), "app.cfg": encode(body(tok, pw)) });
      const res = await inventory({ sources: ["tree"], root });
      expect(res.issues).toEqual([]);
      expect(where(res.findings)).toEqual([
        "generic-password-assignment app.cfg:3",
        "github-pat-classic .env:2",
        "github-pat-classic app.cfg:2",
        "tree-dotenv .env:3",
      ]);
    });
  }

  // Issue 8 (speed): for ASCII text, the bytes without their NULs are the BOM and the decoded text,
  // so that view is scanned only near the start. Whatever the encoding, a UTF-16 file finds what
  // its UTF-8 twin finds, at the same lines: a token at the very start, in the middle, at the end;
  // with a non-ASCII character (both views scanned whole) and with a stray last byte.
  it("finds what the UTF-8 twin finds, at the start, middle and end, on either path", async () => {
    const files: Record<string, string | Buffer> = {};
    const bodies = {
      ascii: (t: string[]) =>
        `${t[0]} first\n${"filler line\n".repeat(3000)}mid=${t[1]}\n${"x ".repeat(5000)}\nlast ${t[2]}`,
      accented: (t: string[]) => `${t[0]} première\n${"ligne\n".repeat(3000)}mid=${t[1]}\nfin ${t[2]}`,
    };
    for (const [kind, make] of Object.entries(bodies)) {
      const text = make([ghToken(), ghToken(), ghToken()]);
      files[`${kind}.utf8.cfg`] = text;
      for (const [name, encode] of Object.entries(encodings))
        files[`${kind}.${name.replace(/ /g, "-")}.cfg`] = encode(text);
      files[`${kind}.stray-byte.cfg`] = Buffer.concat([encodings["LE with BOM"]!(text), Buffer.from("Z")]);
    }
    const res = await inventory({ sources: ["tree"], root: tree(files) });
    expect(res.issues).toEqual([]);
    for (const kind of Object.keys(bodies)) {
      const of = (file: string) =>
        res.findings
          .filter((f) => f.location.path === file)
          .map((f) => `${f.ruleId}:${f.location.line}:${f.fingerprint.length}`)
          .sort();
      const twin = of(`${kind}.utf8.cfg`);
      expect(twin).toEqual([
        "github-pat-classic:1:24",
        "github-pat-classic:3002:24",
        `github-pat-classic:${kind === "ascii" ? 3004 : 3003}:24`,
      ]);
      for (const name of [...Object.keys(encodings).map((n) => n.replace(/ /g, "-")), "stray-byte"]) {
        expect(of(`${kind}.${name}.cfg`), `${kind} ${name}`).toEqual(twin);
      }
    }
  });

  it("finds ASCII after a UTF-16 BOM, and UTF-16 after an ASCII head at an odd offset", async () => {
    const a = ghToken();
    const b = ghToken();
    const asciiAfterBom = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(`x\nGH=${a}\n`)]);
    const utf16Later = Buffer.concat([
      Buffer.from(`${"#".repeat(9001)}\n`), // an ASCII head longer than the sniffed bytes, odd length
      Buffer.from(`one\nGH=${b}\n`, "utf16le"),
    ]);
    const root = tree({ "a.cfg": asciiAfterBom, "b.cfg": utf16Later });
    const res = await inventory({ sources: ["tree"], root });
    expect(res.issues).toEqual([]);
    expect(where(res.findings)).toEqual(["github-pat-classic a.cfg:2", "github-pat-classic b.cfg:3"]);
  });
});

describe("binary or text", () => {
  it("one NUL planted in a script's comment does not make it binary", async () => {
    const tok = ghToken();
    const script = Buffer.concat([Buffer.from("#!/bin/sh\n# \0\n"), Buffer.from(`export GH=${tok}\n`)]);
    const root = tree({ "deploy.sh": script });
    const res = await inventory({ sources: ["tree"], root });
    expect(res.issues).toEqual([]);
    expect(where(res.findings)).toEqual(["github-pat-classic deploy.sh:3"]);
  });

  it("sniffs magic numbers, control-byte ratios and UTF-16", () => {
    const png = Buffer.concat([
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
      Buffer.from("IHDR"),
    ]);
    expect(sniff(png)).toEqual({ kind: "binary" });
    expect(sniff(Buffer.from("\x7fELF\x02\x01\x01", "latin1"))).toEqual({ kind: "binary" });
    // Random-looking bytes: many control bytes.
    const noise = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 97 + (i >> 3)) & 0xff));
    expect(sniff(noise)).toEqual({ kind: "binary" });
    // A few NULs and controls in text: text.
    expect(sniff(Buffer.from(`${"a".repeat(500)}\0\x01\0${"b".repeat(500)}`, "latin1"))).toEqual({
      kind: "text",
    });
    expect(sniff(Buffer.from("tab\tcr\r\nesc\x1b[0m\n"))).toEqual({ kind: "text" });
    expect(sniff(Buffer.alloc(0))).toEqual({ kind: "text" });
    expect(sniff(Buffer.from("hi there", "utf16le"))).toEqual({
      kind: "utf16",
      bigEndian: false,
      bomBytes: 0,
    });
    expect(sniff(Buffer.from([0xfe, 0xff, 0, 0x41]))).toEqual({
      kind: "utf16",
      bigEndian: true,
      bomBytes: 2,
    });
  });

  it("a skipped binary file is an issue, small or big; --include-binary scans it", async () => {
    const tok = ghToken();
    const tok2 = ghToken();
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]);
    const root = tree({
      "logo.png": Buffer.concat([png, Buffer.from(`\n${tok}\n`)]),
      "model.bin": Buffer.concat([png, Buffer.alloc(2 * MiB, 0x20), Buffer.from(`\n${tok2}\n`)]),
    });
    const res = await inventory({ sources: ["tree"], root });
    expect(res.findings).toEqual([]);
    expect(res.issues).toEqual([
      { where: "logo.png", message: "skipped: binary file (--include-binary scans it)" },
      { where: "model.bin", message: "skipped: binary file (--include-binary scans it)" },
    ]);
    const all = await inventory({ sources: ["tree"], root, limits: { includeBinary: true } as never });
    expect(all.issues).toEqual([]);
    expect(where(all.findings)).toEqual([
      // The PNG signature holds two line feeds.
      "github-pat-classic logo.png:4",
      "github-pat-classic model.bin:4",
    ]);
  });
});

describe("a file read only in part", () => {
  function context(): ReadContext & { issues: { where: string; message: string }[] } {
    return {
      rules: defaultRules(),
      scanner: new ContentScanner(defaultRules()),
      limits: testLimits(),
      issues: [],
      stats: { files: 0, bytes: 0 },
    };
  }
  function target(abs: string, size: number): FileTarget {
    const st = statSync(abs);
    st.size = size;
    return { abs, reportPath: "grows.log", source: "tree", st };
  }

  for (const [name, size] of [
    ["small (read with blocking calls)", 1000],
    ["mid-size (read whole)", 2 * MiB],
    ["big (read in chunks)", 9 * MiB],
  ] as const) {
    it(`${name}: a file longer than its stat said is an issue; what was read is scanned`, async () => {
      const tok = ghToken();
      const late = ghToken();
      const file = planted(size + 100, " ", [
        [10, `GH=${tok}\n`],
        [size + 10, `GH=${late}\n`],
      ]);
      const root = tree({ "grows.log": file });
      const ctx = context();
      const found = await scanClaimed(target(join(root, "grows.log"), size), ctx);
      expect(found.map((f) => `${f.ruleId}:${f.location.line}`)).toEqual(["github-pat-classic:1"]);
      expect(ctx.issues).toEqual([
        {
          where: "grows.log",
          message: `skipped: the bytes past ${size} (the file grew while it was read); the first ${size} bytes were scanned`,
        },
      ]);
    });
  }
});

describe("a file shorter than its stat said (it shrank after the walk)", () => {
  for (const [name, size] of [
    ["small (read with blocking calls)", 1000],
    ["mid-size (read whole)", 2 * MiB],
  ] as const) {
    it(`${name}: read to its end and scanned whole, with no issue`, async () => {
      const tok = ghToken();
      const file = planted(size - 100, " ", [[size - 200, `GH=${tok}\n`]]);
      const root = tree({ "shrank.log": file });
      const ctx: ReadContext & { issues: { where: string; message: string }[] } = {
        rules: defaultRules(),
        scanner: new ContentScanner(defaultRules()),
        limits: testLimits(),
        issues: [],
        stats: { files: 0, bytes: 0 },
      };
      const st = statSync(join(root, "shrank.log"));
      st.size = size;
      const found = await scanClaimed(
        { abs: join(root, "shrank.log"), reportPath: "shrank.log", source: "tree", st },
        ctx,
      );
      expect(found.map((f) => `${f.ruleId}:${f.location.line}`)).toEqual(["github-pat-classic:1"]);
      expect(ctx.issues).toEqual([]);
      expect(ctx.stats).toEqual({ files: 1, bytes: size - 100 });
    });
  }
});

describe("keyword floods", () => {
  it("780 KB of `token ` then a live token: the token is reported, no issue", async () => {
    const tok = ghToken();
    const root = tree({
      "flood.txt": `${"token ".repeat(130_000)}${tok}\n`,
      "flood2.txt": `${"token ".repeat(130_000)}\nGH=${tok}\n`,
    });
    const res = await inventory({ sources: ["tree"], root });
    expect(res.issues).toEqual([]);
    expect(where(res.findings)).toEqual([
      "github-pat-classic flood.txt:1",
      "github-pat-classic flood2.txt:2",
    ]);
  });
});
