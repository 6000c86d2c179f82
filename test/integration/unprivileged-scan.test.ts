// Lives in test/integration: needs root to chown a file and switch to an unprivileged user.
import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { sandboxes } from "../helpers/sandbox.js";

const TOKEN = "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";
const { sysroot: tree } = sandboxes("aa-test-");

// Runs the built CLI as an unprivileged user, so that "permission denied" is real. Needs root to
// switch users; skipped only outside CI when not root.
const isRoot = process.getuid?.() === 0;
describe.skipIf(!isRoot && !process.env.CI)("scan as an unprivileged user", () => {
  it("records unreadable files as issues and goes on", () => {
    const bin = join(process.cwd(), "dist/src/cli/bin.js");
    expect(existsSync(bin), "run `npm run build` first").toBe(true);
    const d = tree({ "open.env": `T=${TOKEN}\n`, "locked.env": `T=${TOKEN}\n` });
    chmodSync(d, 0o755);
    chmodSync(join(d, "open.env"), 0o644);
    chmodSync(join(d, "locked.env"), 0o600);
    execFileSync("chown", ["root:root", join(d, "locked.env")]);
    const r = spawnSync(
      "setpriv",
      [
        "--reuid=65534",
        "--regid=65534",
        "--clear-groups",
        process.execPath,
        bin,
        "scan",
        "--no-env",
        "--home",
        d,
        "--root",
        d,
        "--sources",
        "tree",
        "--format",
        "json",
      ],
      { encoding: "utf8", env: { PATH: process.env.PATH ?? "/usr/bin:/bin" } },
    );
    expect(r.stderr).toBe("");
    expect(r.status).toBe(1);
    const report = JSON.parse(r.stdout);
    // The readable file's token, and (step 6) its scope finding at the same place.
    expect(
      report.findings.map((f: { ruleId: string; location: { path: string } }) => [f.ruleId, f.location.path]),
    ).toEqual([
      ["github-pat-classic", "open.env"],
      ["github-classic-pat-broad", "open.env"],
    ]);
    expect(report.issues).toEqual([
      { where: "locked.env", message: "cannot read: permission denied (EACCES)" },
    ]);
  });
});
