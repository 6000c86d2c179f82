import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { tempTree } from "../helpers/tmp.js";

// The installed binary's own start (src/cli/bin.ts), spawned as a user runs it.
const bin = join(process.cwd(), "dist/src/cli/bin.js");
const t = tempTree({ ".keep": "" });
afterAll(() => t.cleanup());

describe("bin.ts", () => {
  it("a deleted current directory is a usage error (exit 2) with a hint, not a stack trace (issue 9 review)", () => {
    const r = spawnSync(
      "sh",
      ["-c", 'mkdir gone && cd gone && rmdir ../gone && exec "$0" "$1" --version', process.execPath, bin],
      { cwd: t.dir, encoding: "utf8", env: { PATH: process.env.PATH ?? "" } },
    );
    expect(r.stderr).toBe(
      "agent-audit: the current directory no longer exists\n  hint: cd to an existing directory, or pass absolute paths\n",
    );
    expect(r.stdout).toBe("");
    expect(r.status).toBe(2);
  });
});
