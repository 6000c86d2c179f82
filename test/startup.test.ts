import { spawnSync } from "node:child_process";
import { cpSync, mkdirSync, readFileSync, statSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { tempTree } from "./helpers/tmp.js";

// Start-up cost is paid by every scan and, later, by the gate hook on every command, so zod and
// yaml are loaded only when a scan needs them (src/util/lazy.ts) and the packaged rules come from
// the build's validated cache (scripts/compile-rules.mjs). This runs the built CLI with a hook that
// records every module the process resolves (ESM imports) or requires (CommonJS) and asserts which
// of the two libraries were loaded.
const bin = join(process.cwd(), "dist/src/cli/bin.js");
const HOOK = `
import Module, { register } from "node:module";
import { MessageChannel } from "node:worker_threads";
const seen = new Set();
const { port1, port2 } = new MessageChannel();
port1.on("message", (s) => seen.add(s));
port1.unref();
register(
  "data:text/javascript," +
    encodeURIComponent(
      "let port; export function initialize(d) { port = d.port; }" +
        "export async function resolve(s, c, next) { port.postMessage(s); return next(s, c); }",
    ),
  { data: { port: port2 }, transferList: [port2] },
);
process.on("exit", () => {
  const libs = new Set();
  for (const k of [...Object.keys(Module._cache), ...seen]) {
    const m = /(?:^|node_modules\\/)(zod|yaml)(?:\\/|$)/.exec(k);
    if (m) libs.add(m[1]);
  }
  process.stderr.write("LOADED " + JSON.stringify([...libs].sort()) + "\\n");
});
`;

const t = tempTree({
  "hook.mjs": HOOK,
  "plain/src/app.ts": 'export const token = "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";\n',
  "plain/.env": "SESSION_SECRET=Tz7Kq2Wn9Xr4Vb8Lm3PdQ\n",
  "configured/agent-audit.yaml": "exclude: [vendor/**]\n",
  "configured/ci.yml": "steps:\n  - run: echo hi\n",
  "home/.config/gh/hosts.yml": "github.com:\n  oauth_token: gho_notreallyatoken\n",
  "empty-home/.keep": "",
});
afterAll(() => t.cleanup());

function loaded(root: string, home: string): string[] {
  const r = spawnSync(
    process.execPath,
    [
      "--import",
      join(t.dir, "hook.mjs"),
      bin,
      "scan",
      "--no-env",
      "--root",
      join(t.dir, root),
      "--home",
      join(t.dir, home),
      "--sources",
      "tree,home",
      "--format",
      "json",
      "--exit-zero",
    ],
    { encoding: "utf8", env: { PATH: process.env.PATH ?? "/usr/bin:/bin" } },
  );
  expect(r.status, r.stderr).toBe(0);
  const line = r.stderr.split("\n").find((l) => l.startsWith("LOADED "));
  expect(line, r.stderr).toBeDefined();
  return JSON.parse(line!.slice("LOADED ".length)) as string[];
}

describe("start-up: heavy libraries load only when a scan needs them", () => {
  it("a scan with no config, no baseline and no YAML file loads neither zod nor yaml", () => {
    expect(loaded("plain", "empty-home")).toEqual([]);
  });

  it("a YAML credential file loads yaml only (its parser), not zod", () => {
    expect(loaded("plain", "home")).toEqual(["yaml"]);
  });

  it("agent-audit.yaml loads both (parsed with yaml, validated with zod)", () => {
    expect(loaded("configured", "empty-home")).toEqual(["yaml", "zod"]);
  });
});

describe("the build's rules cache", () => {
  it("is not trusted for a rule edited in place, even with its mtime and size kept", () => {
    // A copy of the built package, its cache written by the build script for the copy's paths.
    const pkg = join(t.dir, "pkg");
    mkdirSync(pkg);
    for (const d of ["dist", "rules", "scripts"])
      cpSync(join(process.cwd(), d), join(pkg, d), { recursive: true });
    cpSync(join(process.cwd(), "package.json"), join(pkg, "package.json"));
    symlinkSync(join(process.cwd(), "node_modules"), join(pkg, "node_modules"));
    const build = spawnSync(process.execPath, [join(pkg, "scripts/compile-rules.mjs")], { encoding: "utf8" });
    expect(build.status, build.stderr).toBe(0);
    const run = () =>
      spawnSync(
        process.execPath,
        [
          join(pkg, "dist/src/cli/bin.js"),
          "scan",
          "--no-env",
          "--root",
          join(t.dir, "plain"),
          "--home",
          join(t.dir, "empty-home"),
          "--sources",
          "tree",
          "--format",
          "json",
          "--exit-zero",
        ],
        { encoding: "utf8", env: { PATH: process.env.PATH ?? "/usr/bin:/bin" } },
      );
    expect(run().status).toBe(0);
    // Same length, same mtime: a severity the schema rejects.
    const rule = join(pkg, "rules/secrets/npm-access-token.yaml");
    const st = statSync(rule);
    const text = readFileSync(rule, "utf8");
    const edited = text.replace("severity: critical", "severity: criticax");
    expect(edited.length).toBe(text.length);
    writeFileSync(rule, edited);
    utimesSync(rule, st.atime, st.mtime);
    const r = run();
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("npm-access-token.yaml: severity: ");
  });
});
