import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { tempTree } from "../helpers/tmp.js";

// bin.js runs the build's bundle (dist/src/bundle/main.js, scripts/bundle-cli.mjs) when it exists,
// whatever its time (npm writes an installed package's files in any order: the bundle can be a
// millisecond older than the modules), and the separate modules when it does not (the build
// removes it first, so a failed build leaves none). Run on a copy of bin.js with stand-ins.
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
  it("runs the bundle when it exists, older or newer than the modules", () => {
    const l = layout("present");
    utimesSync(l.modules, 2000, 2000);
    utimesSync(l.bundle, 1000, 1000);
    expect(l.run()).toBe("bundle");
    utimesSync(l.bundle, 3000, 3000);
    expect(l.run()).toBe("bundle");
  });

  it("runs the separate modules when there is no bundle", () => {
    const m = layout("missing");
    rmSync(m.bundle);
    expect(m.run()).toBe("modules");
  });
});
