import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { tempTree } from "../helpers/tmp.js";

// bin.js runs the build's bundle (dist/src/bundle/main.js, scripts/bundle-cli.mjs) only when it is
// not older than the separate modules: a `tsc` run alone leaves an older bundle of an older program
// behind (issue 15 review). Run on a copy of bin.js with stand-ins that say which one ran.
const t = tempTree({});
afterAll(() => t.cleanup());

function layout(name: string): { run: () => string; bundle: string; modules: string } {
  const dir = join(t.dir, name, "src");
  mkdirSync(join(dir, "cli"), { recursive: true });
  mkdirSync(join(dir, "bundle"), { recursive: true });
  for (const f of ["bin.js", "gate-hook-args.js"])
    copyFileSync(join(process.cwd(), "dist/src/cli", f), join(dir, "cli", f));
  const bundle = join(dir, "bundle", "main.js");
  const modules = join(dir, "cli", "main.js");
  writeFileSync(bundle, 'process.stdout.write("bundle");\n');
  writeFileSync(modules, 'process.stdout.write("modules");\n');
  const run = () => {
    const r = spawnSync(process.execPath, [join(dir, "cli", "bin.js"), "--version"], { encoding: "utf8" });
    expect(r.stderr).toBe("");
    return r.stdout;
  };
  return { run, bundle, modules };
}

describe("bin.js: the bundle or the separate modules", () => {
  it("runs the bundle when it is newer than the modules, or as old (an installed package)", () => {
    const l = layout("newer");
    utimesSync(l.modules, 1000, 1000);
    utimesSync(l.bundle, 2000, 2000);
    expect(l.run()).toBe("bundle");
    utimesSync(l.bundle, 1000, 1000);
    expect(l.run()).toBe("bundle");
  });

  it("runs the modules when the bundle is older (tsc ran after the last full build), or missing", () => {
    const l = layout("older");
    utimesSync(l.bundle, 1000, 1000);
    utimesSync(l.modules, 2000, 2000);
    expect(l.run()).toBe("modules");
    const m = layout("missing");
    rmSync(m.bundle);
    expect(m.run()).toBe("modules");
  });
});
