import { createHash } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { crc32 } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AuditReport } from "../../src/contract/types.js";
import { base62 } from "../../src/detect/validators.js";
import { reporterNames } from "../../src/render/index.js";
import { type CliRun, cli } from "../helpers/cli.js";
import { environ } from "../helpers/sandbox.js";
import { tempTree } from "../helpers/tmp.js";

// Issue 8, item 5: no secret reaches any output, names and paths included. Fake secrets are built at
// run time (no real-looking token in the repository) and planted in every place the issue names: an
// environment variable's name and value, a file name, a directory name, a JSON key, an issue's path,
// a stale baseline entry, and every bad flag value. Every output is then searched for each secret
// and for every 8-character window of it, raw and as JSON and XML escape it: stdout and stderr in
// every format, --output and --report files, and the baseline file `agent-audit baseline` writes.

/** base62 characters from a seed: deterministic, different per seed. */
function chars(seed: string, n: number, alphabet: string): string {
  const h = createHash("sha512").update(seed).digest();
  let out = "";
  for (let i = 0; out.length < n; i++) out += alphabet[h[i % h.length]! % alphabet.length];
  return out;
}
const B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
/** A GitHub classic PAT with a valid CRC32 checksum, so the rule reports it as live. */
function githubPat(seed: string): string {
  const body = chars(seed, 30, B62);
  return `ghp_${body}${base62(crc32(Buffer.from(body, "ascii")), 6)}`;
}

const T = {
  ghp: githubPat("redaction-1"),
  ghp2: githubPat("redaction-2"),
  aws: `AKIA${chars("redaction-aws", 16, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")}`,
  // A generic password: the scan finds it in a .env, so it is a known value wherever it recurs.
  pw: ["Xq7#Lm2", "!vR9$wZ4k"].join(""),
  // A URL password with a quote and a space: only the userinfo rule can see it.
  urlpw: ['pa"ss', "word Qz7!"].join(" "),
};
const URL = `https://user:${T.urlpw}@registry.example`;

/** Every 8-character window of every secret, raw and as JSON and XML write it. */
const WINDOWS: [string, string][] = [];
for (const [name, value] of Object.entries(T)) {
  const forms = new Set([value, JSON.stringify(value).slice(1, -1), value.replace(/"/g, "&quot;")]);
  for (const f of forms) for (let i = 0; i + 8 <= f.length; i++) WINDOWS.push([name, f.slice(i, i + 8)]);
}
function leaks(text: string): string[] {
  const found = new Set<string>();
  for (const [name, w] of WINDOWS) if (text.includes(w)) found.add(name);
  return [...found].sort();
}

const PNG = Buffer.concat([Buffer.from("89504e470d0a1a0a", "hex"), Buffer.alloc(64, 1)]);

let t: { dir: string; cleanup: () => void };
let home: string;
let root: string;
let out: string;
let env: string;
let src: string[];

beforeAll(() => {
  t = tempTree({});
  home = join(t.dir, "home");
  root = join(t.dir, "root");
  out = join(t.dir, "out");
  for (const d of [home, root, out]) mkdirSync(d);
  env = join(t.dir, "environ");
  writeFileSync(
    env,
    environ({
      // Names holding a token (the issue's MY_<token>_TOKEN), a known password and a URL.
      [`MY_${T.ghp}_TOKEN`]: T.ghp2,
      [`MY_${T.aws}_KEY`]: T.ghp2,
      [`X_${T.pw}_SECRET`]: T.ghp2,
      [`Y_${URL}_TOKEN`]: T.ghp2,
      // Values.
      GITHUB_TOKEN: T.ghp,
      AWS_ACCESS_KEY_ID: T.aws,
      DB_PASSWORD: T.pw,
      HTTPS_PROXY: `http://user:${T.urlpw}@proxy.example:8080`,
    }),
  );
  const files: Record<string, string | Buffer> = {
    ".env": `DB_PASSWORD=${T.pw}\n`,
    // File names.
    [`${T.ghp}.env`]: `API_TOKEN=${T.ghp2}\n`,
    [`key-${T.aws}_backup.env`]: `API_TOKEN=${T.ghp2}\n`,
    [`${T.pw}.env`]: `API_TOKEN=${T.ghp2}\n`,
    // Directory names.
    [`${T.ghp}/app.env`]: `API_TOKEN=${T.ghp2}\n`,
    [`${T.aws}_old/app.env`]: `API_TOKEN=${T.ghp2}\n`,
    [`${T.pw}/app.env`]: `API_TOKEN=${T.ghp2}\n`,
    // Issue paths: a binary file is skipped, a dangling symlink (below) cannot be followed.
    [`${T.ghp}.png`]: PNG,
    [`${T.pw}.png`]: PNG,
  };
  for (const [rel, content] of Object.entries(files)) {
    mkdirSync(join(root, rel, ".."), { recursive: true });
    writeFileSync(join(root, rel), content);
  }
  symlinkSync(join(t.dir, "nowhere"), join(root, `${T.aws}.lnk`));
  writeFileSync(join(home, ".netrc"), `machine ${T.ghp}.example login me password ${chars("v5", 20, B62)}\n`);
  // JSON keys (a parsed config: its findings are named by key path).
  mkdirSync(join(home, ".composer"));
  writeFileSync(
    join(home, ".composer/auth.json"),
    JSON.stringify({
      [T.ghp]: { token: chars("value-1", 24, B62) },
      [`MY_${T.aws}`]: { token: chars("value-2", 24, B62) },
      [URL]: { token: chars("value-3", 24, B62) },
      [T.pw]: { token: chars("value-4", 24, B62) },
    }),
  );
  // Only the planted places: never this machine's processes, mounts or sockets.
  src = ["--environ", env, "--home", home, "--root", root, "--sources", "env,home,tree", "--no-progress"];
});
afterAll(() => t.cleanup());

function clean(r: CliRun): void {
  expect(leaks(r.stdout), r.stdout).toEqual([]);
  expect(leaks(r.stderr), r.stderr).toEqual([]);
}

describe("secrets planted in names, paths, keys and issues never reach an output (issue 8)", () => {
  it("the leak check catches every planted secret (control)", () => {
    for (const [name, value] of Object.entries(T)) expect(leaks(`x${value}y`)).toEqual([name]);
    expect(leaks(JSON.stringify(T.urlpw))).toEqual(["urlpw"]);
  });

  it("the scan does see every planted place: exact findings and issues", async () => {
    const r = await cli(["scan", ...src, "--format", "json"], { cwd: t.dir });
    clean(r);
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout) as AuditReport;
    // The places the inventory sees; the step-6 scope findings (same locations) are not the point here.
    const inventory = report.findings.filter((f) => f.control === "secret-inventory");
    const env = inventory.filter((f) => f.location.source === "env").map((f) => f.location.name);
    expect(env.sort()).toEqual(
      [
        "AWS_ACCESS_KEY_ID",
        "DB_PASSWORD",
        "GITHUB_TOKEN",
        "MY_AKIA…(20)_KEY",
        "MY_ghp_…(40)_TOKEN",
        "X_Xq7#…(16)_SECRET",
        "Y_https://registry.example_TOKEN",
      ].sort(),
    );
    const tree = inventory
      .filter((f) => f.location.source === "tree")
      .map((f) => `${f.location.path}${f.location.name ? ` ${f.location.name}` : ""}`);
    expect(tree.sort()).toEqual(
      [
        // The .env parser reads the whole unquoted value (`#` with no blank before it is not a
        // comment) and names its key.
        ".env DB_PASSWORD",
        "Xq7#…(16).env",
        "Xq7#…(16)/app.env",
        "AKIA…(20)_old/app.env",
        "ghp_…(40).env",
        "ghp_…(40)/app.env",
        "key-AKIA…(20)_backup.env",
      ].sort(),
    );
    expect(report.issues.map((i) => i.where).sort()).toEqual(
      ["AKIA…(20).lnk", "ghp_…(40).png", "Xq7#…(16).png"].sort(),
    );
    const homeFindings = inventory
      .filter((f) => f.location.source === "home")
      .map((f) => `${f.ruleId} ${f.location.path} ${f.location.name ?? ""}`);
    // The token used as a key is itself found in the file's text (unnamed content findings).
    expect(homeFindings.sort()).toEqual([
      "composer-auth .composer/auth.json MY_AKIA…(20).token",
      "composer-auth .composer/auth.json Xq7#…(16).token",
      "composer-auth .composer/auth.json ghp_…(40).token",
      "composer-auth .composer/auth.json https://registry.example.token",
      "github-pat-classic .composer/auth.json ",
      "github-pat-classic .netrc ",
      "netrc .netrc ghp_…(40).example.password",
    ]);
  });

  for (const format of reporterNames()) {
    it(`--format ${format}: stdout, stderr, --output and every --report file`, async () => {
      const reports = reporterNames().flatMap((f) => ["--report", `${f}:${join(out, `${format}-x.${f}`)}`]);
      const r = await cli(["scan", ...src, "--format", format, ...reports], { cwd: t.dir });
      expect(r.code).toBe(1);
      expect(r.stdout.length).toBeGreaterThan(500);
      clean(r);
      const o = await cli(["scan", ...src, "--format", format, "--output", join(out, `o.${format}`)], {
        cwd: t.dir,
      });
      expect(o.code).toBe(1);
      expect(o.stdout).toBe("");
      clean(o);
      const written = readdirSync(out).filter((n) => n.startsWith(`${format}-x.`) || n === `o.${format}`);
      expect(written.length).toBe(reporterNames().length + 1);
      for (const f of written) expect(leaks(readFileSync(join(out, f), "utf8")), f).toEqual([]);
    });
  }

  it("colour table on a terminal", async () => {
    const r = await cli(["scan", ...src], { cwd: t.dir, stdoutIsTTY: true, stderrIsTTY: true });
    expect(r.code).toBe(1);
    clean(r);
  });

  it("the baseline file written by `agent-audit baseline`, and a scan against it", async () => {
    const file = join(out, "baseline.json");
    const b = await cli(["baseline", ...src, "--output", file], { cwd: t.dir });
    expect(b.code).toBe(0);
    clean(b);
    const text = readFileSync(file, "utf8");
    expect(leaks(text)).toEqual([]);
    expect(text).toContain('"name": "MY_ghp_…(40)_TOKEN"');
    const s = await cli(["scan", ...src, "--baseline", file], { cwd: t.dir });
    expect(s.code).toBe(0);
    clean(s);
  });

  it("a hostile baseline in the audited root: stale entries quoting secrets are redacted", async () => {
    const file = join(out, "hostile-baseline.json");
    const entry = (name: string) => ({
      fingerprint: createHash("sha256").update(name).digest("hex").slice(0, 24),
      ruleId: "github-pat-classic",
      location: { source: "tree", path: `dir/${name}`, name },
      reason: "",
    });
    writeFileSync(
      file,
      JSON.stringify({ schemaVersion: 1, entries: [entry(T.ghp), entry(`MY_${T.aws}_KEY`), entry(URL)] }),
    );
    const r = await cli(["scan", ...src, "--baseline", file, "--format", "markdown"], { cwd: t.dir });
    clean(r);
    expect(r.stdout).toContain(
      "stale baseline entry github-pat-classic at tree:dir/ghp\\_…(40):ghp\\_…(40):",
    );
    expect(r.stdout).toContain(
      "stale baseline entry github-pat-classic at tree:dir/https://registry.example:",
    );
  });
});

describe("bad flag values are never echoed (issue 8)", () => {
  const values = [T.ghp, T.aws, T.pw, URL, `x${T.pw}`];
  const cases: [string, (v: string) => string[]][] = [
    ["--fail-on", (v) => ["--fail-on", v]],
    ["--format", (v) => ["--format", v]],
    ["--sources", (v) => ["--sources", `env,${v}`]],
    ["--workers", (v) => ["--workers", v]],
    ["--report FORMAT", (v) => ["--report", `${v}:x.json`]],
    ["--report", (v) => ["--report", v]],
    ["--as-user", (v) => ["--as-user", v]],
    ["--max-file-size", (v) => ["--max-file-size", v]],
    ["--concurrency", (v) => ["--concurrency", v]],
    ["unknown option", (v) => [`--${v}`]],
    ["unknown option=value", (v) => [`--tokn=${v}`]],
    ["unknown short option", (v) => [`-${v}`]],
    ["extra argument", (v) => [v]],
  ];
  for (const [what, args] of cases) {
    it(`${what}: exit 2, nothing echoed`, async () => {
      for (const v of values) {
        const r = await cli(["scan", "--no-env", "--home", t.dir, "--root", t.dir, ...args(v)], {
          cwd: t.dir,
        });
        expect(r.code, `${what} ${v}`).toBe(2);
        expect(r.stdout).toBe("");
        clean(r);
      }
    });
  }

  it("unknown commands and probe/baseline flags too", async () => {
    for (const v of values) {
      for (const argv of [
        [v],
        ["probe", "--fail-on", v],
        ["baseline", "--sources", v],
        ["probe", `--${v}`],
      ]) {
        const r = await cli(argv, { cwd: t.dir });
        expect(r.code, argv.join(" ")).toBe(2);
        clean(r);
      }
    }
  });

  it("says which option and what it accepts", async () => {
    const base = ["scan", "--no-env", "--home", t.dir, "--root", t.dir];
    expect((await cli([...base, "--fail-on", T.pw])).stderr).toBe(
      "error: option '--fail-on <severity>': invalid value. must be one of critical, high, medium, low, info\n",
    );
    expect((await cli([...base, "--sources", `env,${T.pw}`])).stderr).toBe(
      "error: option '--sources <list>': invalid value. unknown source; choose from env, home, tree, mounts, sockets, processes, system\n",
    );
    expect((await cli([...base, "--format", T.pw])).stderr).toBe(
      "agent-audit: --format: unknown format\n  hint: choose from table, json, sarif, junit, markdown\n",
    );
    expect((await cli([...base, "--report", `${T.pw}:x`])).stderr).toBe(
      "agent-audit: --report: unknown format\n  hint: choose from table, json, sarif, junit, markdown\n",
    );
    expect((await cli([...base, `--${T.pw}`])).stderr).toBe("error: unknown option (argument 7)\n");
    expect((await cli([...base, "--formt", "json"])).stderr).toBe(
      "error: unknown option '--formt' (argument 7)\n(Did you mean --format?)\n",
    );
  });
});
