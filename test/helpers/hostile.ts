import { execFileSync } from "node:child_process";
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { dirname, join } from "node:path";
import { crc32 } from "node:zlib";
import { base62 } from "../../src/detect/validators.js";
import { tempTree } from "./tmp.js";

// The hostile sandbox of issue 8: a home, a working tree and an environment as an attacker who owns
// the agent would leave them for the auditor. Built at test time (FIFOs, sockets and device links
// cannot live in git; the secrets are generated, never committed): FIFOs and device links where the
// scanner and the auditor's own files are looked for, long single lines, keyword floods, UTF-16,
// NUL bytes planted in text, CDATA, control characters and tokens in file, directory and variable
// names.

/** A GitHub-format token with a valid CRC32 checksum, from a seed (deterministic, fake). */
export function githubToken(prefix: "ghp" | "gho" | "ghs", seed: number): string {
  const A = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  let x = seed * 2654435761;
  let body = "";
  for (let i = 0; i < 30; i++) {
    x = (x * 1103515245 + 12345) % 2147483648;
    body += A[x % 62];
  }
  return `${prefix}_${body}${base62(crc32(Buffer.from(body, "ascii")), 6)}`;
}

/** Every secret planted in the hostile sandbox, by name. */
export const HOSTILE = {
  envValue: githubToken("ghp", 1),
  envName: githubToken("ghp", 2),
  fileName: githubToken("ghp", 3),
  dirName: githubToken("ghp", 4),
  utf16le: githubToken("ghp", 5),
  utf16be: githubToken("ghp", 6),
  nulScript: githubToken("ghp", 7),
  flood: githubToken("ghp", 8),
  chunk: githubToken("ghp", 9),
  controlFile: githubToken("ghp", 10),
  cdata: "Zq8v!Lm2#Xw7Rt5Yp8Nc",
  jsonLine: githubToken("gho", 11),
  iniComment: "Hk29vLq8Zm4Xw7Rt5Yp8",
  inlineAllowed: githubToken("ghp", 12),
} as const;

/** Every 8-character window of every planted secret past the 4 characters a preview may show. */
export function leakWindows(): [string, string][] {
  const out: [string, string][] = [];
  for (const [name, value] of Object.entries(HOSTILE))
    for (let i = 4; i + 8 <= value.length; i++) out.push([name, value.slice(i, i + 8)]);
  return out;
}

export function leaksIn(text: string): string[] {
  const found = new Set<string>();
  for (const [name, w] of leakWindows()) if (text.includes(w)) found.add(name);
  return [...found].sort();
}

function utf16be(s: string): Buffer {
  const le = Buffer.from(s, "utf16le");
  for (let i = 0; i + 1 < le.length; i += 2) {
    const b = le[i]!;
    le[i] = le[i + 1]!;
    le[i + 1] = b;
  }
  return le;
}

export interface HostileSandbox {
  dir: string;
  home: string;
  root: string;
  environ: string;
  /** Extra files for the loaders: configs and baselines an attacker plants. */
  files: Record<"fifo" | "urandom" | "aliasBomb" | "bomBaseline" | "staleBaseline", string>;
  cleanup: () => Promise<void>;
}

/** The 4 MiB chunk size of src/sources/files.ts: the chunk token straddles it. */
const CHUNK = 4 * 1024 * 1024;

export async function hostileSandbox(): Promise<HostileSandbox> {
  const t = tempTree({}, "aa-hostile-");
  const dir = t.dir;
  const home = join(dir, "home");
  const root = join(dir, "tree");
  const write = (p: string, data: string | Buffer) => {
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, data);
  };
  const fifo = (p: string) => {
    mkdirSync(dirname(p), { recursive: true });
    execFileSync("mkfifo", [p]);
  };

  // The environment: a variable NAMED after a token, a value smuggling NODE_OPTIONS after a newline,
  // a value of terminal escapes, and one real secret.
  const environ = join(dir, "environ");
  write(
    environ,
    Buffer.from(
      [
        "HOME=/home/agent",
        `MY_${HOSTILE.envName}_TOKEN=1`,
        "NOTE=x\nNODE_OPTIONS=--require /nonexistent/x.js",
        "TERM_TRAP=\x1b[2J\x1b]8;;http://evil.example\x07click\x1b]8;;\x07",
        `GITHUB_TOKEN=${HOSTILE.envValue}`,
        "",
      ].join("\0"),
      "latin1",
    ),
  );

  // Home: a UTF-16LE credentials file with a BOM, a FIFO and a device link where credential files
  // are looked for.
  write(
    join(home, ".aws/credentials"),
    Buffer.concat([
      Buffer.from([0xff, 0xfe]),
      Buffer.from(`[default]\ngithub = ${HOSTILE.utf16le}\n`, "utf16le"),
    ]),
  );
  fifo(join(home, ".git-credentials"));
  mkdirSync(join(home, ".docker"), { recursive: true });
  symlinkSync("/dev/urandom", join(home, ".docker/config.json"));
  write(
    join(home, ".m2/settings.xml"),
    `<settings><servers><server><id>corp</id><username>ci</username><password><![CDATA[${HOSTILE.cdata}]]></password></server></servers></settings>\n`,
  );

  // The working tree.
  write(join(root, ".env"), utf16be(`API=1\nGH=${HOSTILE.utf16be}\n`));
  write(
    join(root, "deploy.sh"),
    Buffer.from(`#!/bin/sh\n# \0 planted NUL\nexport GH=${HOSTILE.nulScript}\n`, "latin1"),
  );
  write(join(root, "flood.txt"), `${"token ".repeat(130_000)}${HOSTILE.flood}\n`);
  {
    // One line of 9 MiB: the token straddles the 4 MiB chunk boundary.
    const buf = Buffer.alloc(CHUNK * 2 + 1024 * 1024, "a");
    const at = CHUNK - 20;
    buf.write(` ${HOSTILE.chunk} `, at, "latin1");
    buf[buf.length - 1] = 0x0a;
    write(join(root, "long-line.txt"), buf);
  }
  {
    // 24,000 "token":"..." entries on one line, then a real one.
    const entries = Array.from({ length: 24_000 }, (_, i) => `"token":"v${i}"`);
    write(join(root, "data.json"), `{${entries.join(",")},"gh":"${HOSTILE.jsonLine}"}\n`);
  }
  write(join(root, `${HOSTILE.fileName}.txt`), "nothing secret in here\n");
  write(join(root, HOSTILE.dirName, "readme.md"), "nothing secret in here\n");
  write(join(root, "\x1b[2A\x1b[2Kpass\r\x07\u202e.txt"), `GH=${HOSTILE.controlFile}\n`);
  write(join(root, "config.ini"), `[auth]\npassword = ${HOSTILE.iniComment} ; rotated monthly\n`);
  // An inline allow marker the agent wrote: the finding is suppressed, and every report counts it.
  write(join(root, "allowed.env"), `GH=${HOSTILE.inlineAllowed} # agent-audit:allow\n`);
  fifo(join(root, "pipe"));
  symlinkSync("/dev/urandom", join(root, "random.txt"));
  let server: Server | undefined;
  await new Promise<void>((resolve) => {
    server = createServer().listen(join(root, "agent.sock"), resolve);
  });

  // Files aimed at the auditor's own loaders.
  const files = {
    fifo: join(dir, "fifo.yaml"),
    urandom: join(dir, "urandom.yaml"),
    aliasBomb: join(dir, "bomb.yaml"),
    bomBaseline: join(dir, "bom-baseline.json"),
    staleBaseline: join(dir, "stale-baseline.json"),
  };
  execFileSync("mkfifo", [files.fifo]);
  symlinkSync("/dev/urandom", files.urandom);
  {
    // The billion-laughs shape: each level refers to the previous one ten times.
    const lines = ['a0: &a0 ["x","x","x","x","x","x","x","x","x","x"]'];
    for (let i = 1; i < 10; i++)
      lines.push(
        `a${i}: &a${i} [${Array(10)
          .fill(`*a${i - 1}`)
          .join(",")}]`,
      );
    lines.push("rules:\n  disable: *a9");
    write(files.aliasBomb, `${lines.join("\n")}\n`);
  }
  write(files.bomBaseline, `\ufeff${JSON.stringify({ schemaVersion: 1, entries: [] })}\n`);
  {
    const entries = Array.from({ length: 130_000 }, (_, i) => ({
      fingerprint: i.toString(16).padStart(24, "0"),
      ruleId: "github-pat-classic",
      location: { source: "tree", path: `gone/${i}.env` },
      reason: "",
    }));
    write(files.staleBaseline, JSON.stringify({ schemaVersion: 1, entries }));
  }

  return {
    dir,
    home,
    root,
    environ,
    files,
    cleanup: async () => {
      await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
      t.cleanup();
    },
  };
}
