import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { reporterNames } from "../src/render/index.js";
import { packageRoot } from "../src/util/paths.js";
import { cli } from "./helpers/cli.js";
import { tempTree } from "./helpers/tmp.js";

// Every planted fake secret of the demo sandbox, and every 8-character window of it past the
// 4 characters a preview may show: none may appear in any output, in any format.
const planted = JSON.parse(readFileSync(join(packageRoot(), "fixtures/demo/planted.json"), "utf8")) as {
  values: Record<string, string>;
};
const windows: [string, string][] = [];
for (const [name, value] of Object.entries(planted.values)) {
  for (let i = 4; i + 8 <= value.length; i++) windows.push([name, value.slice(i, i + 8)]);
}

function leaks(text: string): string[] {
  const found = new Set<string>();
  for (const [name, w] of windows) if (text.includes(w)) found.add(name);
  return [...found].sort();
}

const out = tempTree({});
afterAll(() => out.cleanup());

describe("no secret value in any output", () => {
  it("the leak check itself catches a planted value", () => {
    expect(leaks(`x ${planted.values.ghp} y`)).toEqual(["ghp"]);
    expect(leaks(`${planted.values.anthropic?.slice(10, 30)}`)).toEqual(["anthropic"]);
  });

  for (const format of reporterNames()) {
    it(`--format ${format}: stdout, stderr and --report files`, async () => {
      const reports = reporterNames().map((f) => `${f}:${join(out.dir, `${format}-extra.${f}`)}`);
      const r = await cli(["scan", "--demo", "--format", format, ...reports.flatMap((x) => ["--report", x])]);
      expect(r.code).toBe(1);
      expect(r.stdout.length).toBeGreaterThan(100);
      expect(leaks(r.stdout)).toEqual([]);
      expect(leaks(r.stderr)).toEqual([]);
      for (const f of readdirSync(out.dir).filter((n) => n.startsWith(`${format}-extra.`))) {
        expect(leaks(readFileSync(join(out.dir, f), "utf8")), f).toEqual([]);
      }
    });
  }

  it("--output file in every format", async () => {
    for (const format of reporterNames()) {
      const file = join(out.dir, `out.${format}`);
      const r = await cli(["scan", "--demo", "--format", format, "--output", file]);
      expect(r.code).toBe(1);
      expect(r.stdout).toBe("");
      expect(leaks(r.stderr)).toEqual([]);
      expect(leaks(readFileSync(file, "utf8"))).toEqual([]);
    }
  });

  it("colour table output on a terminal", async () => {
    const r = await cli(["scan", "--demo"], { stdoutIsTTY: true, stderrIsTTY: true });
    expect(r.code).toBe(1);
    expect(leaks(r.stdout)).toEqual([]);
    expect(leaks(r.stderr)).toEqual([]);
  });
});
