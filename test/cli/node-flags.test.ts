import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Command } from "commander";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../../src/cli/program.js";
import { tempTree } from "../helpers/tmp.js";

// Issue 8, item 1: Node.js 20 reads `--env-file` anywhere in its argv (also after the script path
// and through the `#!/usr/bin/env node` shebang), loads the file into the auditor's own
// environment and obeys NODE_OPTIONS from it. An agent that plants a newline in one of its
// variables makes its /proc/PID/environ hold `NODE_OPTIONS=--require /tmp/x.js`. agent-audit's
// flag is `--environ`, read as data only; no flag of ours may be one that Node interprets.

/** The program runCli builds for `argv` (caught through commander's parseAsync). */
async function programFor(argv: string[]): Promise<Command> {
  let program: Command | undefined;
  const { Command: Cmd } = await import("commander");
  const parseAsync = Cmd.prototype.parseAsync;
  Cmd.prototype.parseAsync = function (this: Command, ...args: Parameters<Command["parseAsync"]>) {
    program ??= this;
    return parseAsync.apply(this, args);
  };
  try {
    await runCli(argv, {
      stdout: () => {},
      stderr: () => {},
      env: {},
      cwd: "/nonexistent-cwd",
      homedir: "/nonexistent-home",
      user: "tester",
      uid: 1000,
      hostname: "h",
      stdoutIsTTY: false,
      stderrIsTTY: false,
    });
  } finally {
    Cmd.prototype.parseAsync = parseAsync;
  }
  return program!;
}

/**
 * Every long flag of every command, from real programs (commander is asked, not a hand-kept
 * list). A command's options exist only once its module is loaded (issue 9: `agent-audit <cmd>`
 * loads that command alone), so each command listed by the root program is built in turn.
 */
async function ourFlags(): Promise<string[]> {
  const flags = new Set<string>();
  const walk = (c: Command) => {
    for (const o of c.options) if (o.long) flags.add(o.long);
    for (const sub of c.commands) walk(sub);
  };
  const root = await programFor(["--version"]);
  walk(root);
  for (const sub of root.commands) walk(await programFor([sub.name(), "--help"]));
  return [...flags].sort();
}

/** The options Node.js itself documents, from `node --help` of the running Node, plus its env flags. */
function nodeFlags(): Set<string> {
  const help = execFileSync(process.execPath, ["--help"], { encoding: "utf8" });
  const out = new Set<string>(process.allowedNodeEnvironmentFlags);
  for (const m of help.matchAll(/(?:^|[\s,])(--[a-z][a-z0-9-]*)/gm)) out.add(m[1]!);
  // Node's boolean flags also exist negated.
  for (const f of [...out]) if (f.startsWith("--")) out.add(`--no-${f.slice(2)}`);
  return out;
}

/** Flags Node documents but reads only before the script path (checked by the last test below). */
const BEFORE_SCRIPT_ONLY = ["--version", "--help"];

describe("no flag of ours is one Node.js interprets", () => {
  it("the flag lists are real (the comparison below cannot pass vacuously)", async () => {
    const ours = await ourFlags();
    expect(ours).toContain("--environ");
    expect(ours).toContain("--env-pid");
    expect(ours).toContain("--fail-on");
    expect(ours).toContain("--canary");
    expect(ours).toContain("--output");
    expect(nodeFlags().has("--env-file")).toBe(true);
    expect(nodeFlags().has("--require")).toBe(true);
  });

  it("every long flag of every command is unknown to Node", async () => {
    const node = nodeFlags();
    const clash = (await ourFlags()).filter(
      (f) => (node.has(f) || f.startsWith("--env-file")) && !BEFORE_SCRIPT_ONLY.includes(f),
    );
    expect(clash).toEqual([]);
  });

  it("--version and --help, which every CLI has, are Node's only before the script path", () => {
    const t = tempTree({ "s.mjs": 'console.log("script ran", process.argv.slice(2).join(" "));\n' });
    try {
      for (const f of BEFORE_SCRIPT_ONLY) {
        const out = execFileSync(process.execPath, [join(t.dir, "s.mjs"), f], { encoding: "utf8" });
        expect(out).toBe(`script ran ${f}\n`);
      }
    } finally {
      t.cleanup();
    }
  });
});

// The packed package, laid out the way npm installs it: the tarball unpacked under
// lib/node_modules/agent-audit and bin/agent-audit a symlink to its bin script. Dependencies are
// linked from this checkout (no registry is contacted).
const work = tempTree({}, "aa-nodeflags-");
let bin = "";
let script = "";
afterAll(() => work.cleanup());

beforeAll(() => {
  const pack = join(work.dir, "pack");
  mkdirSync(pack);
  execFileSync("npm", ["pack", "--ignore-scripts", "--pack-destination", pack], {
    cwd: process.cwd(),
    stdio: "ignore",
  });
  const tgz = readdirSync(pack).find((f) => f.endsWith(".tgz"))!;
  const pkg = join(work.dir, "lib/node_modules/agent-audit");
  mkdirSync(pkg, { recursive: true });
  execFileSync("tar", ["-xzf", join(pack, tgz), "-C", pkg, "--strip-components=1"]);
  symlinkSync(join(process.cwd(), "node_modules"), join(pkg, "node_modules"));
  script = join(pkg, "dist/src/cli/bin.js");
  chmodSync(script, 0o755);
  mkdirSync(join(work.dir, "bin"));
  bin = join(work.dir, "bin/agent-audit");
  symlinkSync(script, bin);
}, 60_000);

/** A token shape the env rules report (GitHub classic PAT with a valid checksum is not needed here). */
const TOKEN = `ghp_${"Fk3Qz9Lm2Xw7Rt5Yp8Nc4Vb6Hj1Sd0"}3xP9MG`;

function hostile(name: string, content: string | Buffer): { file: string; marker: string } {
  const dir = join(work.dir, name);
  mkdirSync(dir);
  const marker = join(dir, "PWNED");
  const payload = join(dir, "x.cjs");
  writeFileSync(payload, `require("node:fs").writeFileSync(${JSON.stringify(marker)}, "ran");\n`);
  const file = join(dir, "environ");
  writeFileSync(file, typeof content === "string" ? content.replaceAll("@PAYLOAD@", payload) : content);
  return { file, marker };
}

const empty = tempTree({});
afterAll(() => empty.cleanup());

function run(via: "shebang" | "node", args: string[]) {
  const [cmd, argv] = via === "shebang" ? [bin, args] : [process.execPath, [script, ...args]];
  const r = spawnSync(cmd, argv, {
    encoding: "utf8",
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin" },
    cwd: empty.dir,
    timeout: 30_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const scanArgs = (file: string, ...more: string[]) => [
  "scan",
  "--environ",
  file,
  "--home",
  empty.dir,
  "--root",
  empty.dir,
  "--sources",
  "env",
  "--format",
  "json",
  ...more,
];

describe.each(["shebang", "node"] as const)("a hostile environ file, through %s", (via) => {
  it("NUL-separated /proc/PID/environ with NODE_OPTIONS smuggled after a newline: nothing runs, exit 1", () => {
    const { file, marker } = hostile(
      `nul-${via}`,
      `HOME=/home/agent\0NOTE=x\nNODE_OPTIONS=--require @PAYLOAD@\0GITHUB_TOKEN=${TOKEN}\0`,
    );
    const r = run(via, scanArgs(file));
    expect(existsSync(marker)).toBe(false);
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout) as { findings: { ruleId: string; location: { name: string } }[] };
    expect(report.findings.map((f) => [f.ruleId, f.location.name])).toEqual([
      ["github-pat-classic", "GITHUB_TOKEN"],
      // Step 6: a classic token is broad, a finding of its own at the same place.
      ["github-classic-pat-broad", "GITHUB_TOKEN"],
    ]);
    expect(r.stdout + r.stderr).not.toContain(TOKEN.slice(4, 12));
  });

  it("KEY=VALUE lines with NODE_OPTIONS=--require: nothing runs, no finding, exit 0", () => {
    const { file, marker } = hostile(`lines-${via}`, "NODE_OPTIONS=--require @PAYLOAD@\nA=1\n");
    const r = run(via, scanArgs(file));
    expect(existsSync(marker)).toBe(false);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).findings).toEqual([]);
  });

  it("NODE_OPTIONS=--bogus in the file is data: the report is written, exit 0", () => {
    const { file } = hostile(`bogus-${via}`, "NODE_OPTIONS=--bogus\n");
    const r = run(via, scanArgs(file));
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).schemaVersion).toBe(1);
  });

  it("a NUL-terminated file is data: no stack trace", () => {
    const { file } = hostile(`nulterm-${via}`, Buffer.from("A=1\0B=2\0\0", "latin1"));
    const r = run(via, scanArgs(file));
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
  });

  it("a missing --environ file is one line and exit 2, also under --exit-zero", () => {
    const missing = join(work.dir, `missing-${via}`);
    const r = run(via, scanArgs(missing, "--exit-zero"));
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe(
      `agent-audit: cannot read --environ ${missing}: no such file\n` +
        "  hint: pass a regular file: a copy of /proc/PID/environ, or KEY=VALUE lines\n",
    );
  });

  it("--env-file is refused with exit 2 and a pointer to --environ", () => {
    const { file } = hostile(`envfile-${via}`, "A=1\n");
    const r = run(via, ["scan", "--env-file", file, "--home", empty.dir, "--root", empty.dir]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain("hint: use --environ FILE, which reads the file as data only");
  });
});
