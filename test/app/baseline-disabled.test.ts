import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { cli } from "../helpers/cli.js";
import { treeScanArgs } from "../helpers/flood.js";
import { tempTree } from "../helpers/tmp.js";

// Issue 9 review (defect 5): a rule disabled by the config is not looked for, so the baseline's
// entries of that rule are not stale: no "stale baseline entry" issue, and --update-baseline keeps
// them (they come back into use when the rule is enabled again).
const value = ["Kq7Wn2Xr9", "Tz4Lp8Vb"].join("");
const t = tempTree({ "work/creds.txt": `pwd=${value}\n`, "home/.keep": "", "ops.yaml": "" });
afterAll(() => t.cleanup());
const args = (...more: string[]) => treeScanArgs(t.dir, ...more);

describe("a baseline entry of a rule the config disables", () => {
  it("is not reported stale, and --update-baseline keeps it", async () => {
    expect((await cli(["baseline", ...args()])).code).toBe(0);
    const file = join(t.dir, "work/.agent-audit-baseline.json");
    const before = readFileSync(file, "utf8");
    expect(JSON.parse(before).entries.map((e: { ruleId: string }) => e.ruleId)).toEqual([
      "generic-password-assignment",
    ]);
    writeFileSync(join(t.dir, "ops.yaml"), "rules:\n  disable: [generic-password-assignment]\n");
    const scan = await cli(["scan", ...args("--config", join(t.dir, "ops.yaml"), "--format", "json")]);
    expect(JSON.parse(scan.stdout).issues).toEqual([]);
    expect(scan.code).toBe(0);
    const update = await cli(["scan", ...args("--config", join(t.dir, "ops.yaml"), "--update-baseline")]);
    expect(update.code).toBe(0);
    expect(readFileSync(file, "utf8")).toBe(before);
  });
});
