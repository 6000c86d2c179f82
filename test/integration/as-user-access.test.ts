// Lives in test/integration: needs root to chown the fixture files to other users.
import { chmodSync, chownSync, mkdirSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { identityAccess } from "../../src/sources/access.js";
import { resolveUser } from "../../src/sources/users.js";
import { inventory } from "../helpers/inventory.js";
import { tempTree } from "../helpers/tmp.js";
import { GROUP, PASSWD } from "../helpers/users.js";

// A valid-checksum fake GitHub token; a fixture, not a real token.
const TOKEN = "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";

const dirs: (() => void)[] = [];
afterAll(() => {
  for (const c of dirs) c();
});
function temp(files: Record<string, string> = {}) {
  const t = tempTree(files, "aa-access-");
  dirs.push(t.cleanup);
  return t.dir;
}

// chown needs root; under CI a missing prerequisite must fail, not skip.
const canRun = process.getuid?.() === 0;
describe.skipIf(!canRun && !process.env.CI)("identityAccess (--as-user)", () => {
  let sys: string;
  let root: string;
  /** [relative path, uid, gid, mode]; directories end in "/". Created in this order. */
  const layout: [string, number, number, number][] = [
    ["own.env", 12345, 12345, 0o400],
    ["own-owner-class-denies.env", 12345, 23456, 0o044],
    ["group.env", 23456, 23456, 0o640],
    ["other-group.env", 23456, 34567, 0o640],
    ["world.env", 0, 0, 0o644],
    ["private.env", 23456, 23456, 0o600],
    ["locked/", 23456, 23456, 0o700],
    ["locked/inside.env", 0, 0, 0o644],
    ["search-only/", 23456, 23456, 0o711],
    ["search-only/inside.env", 0, 0, 0o644],
    ["group-dir/", 23456, 23456, 0o750],
    ["group-dir/inside.env", 23456, 23456, 0o640],
    ["z-open/", 0, 0, 0o755],
    ["z-open/target.env", 0, 0, 0o644],
  ];
  const readable = [
    "group-dir/inside.env",
    "group.env",
    "own.env",
    "search-only/inside.env",
    "world.env",
    "z-open/target.env",
  ];

  beforeAll(() => {
    sys = temp({ "etc/passwd": PASSWD, "etc/group": GROUP });
    // mkdtemp makes 0700 directories: open the way down to the tree for the agent.
    root = temp();
    chmodSync(root, 0o755);
    for (const [rel, uid, gid, mode] of layout) {
      const p = join(root, rel);
      if (rel.endsWith("/")) mkdirSync(p);
      else writeFileSync(p, `TOKEN=${TOKEN}\n`);
      chownSync(p, uid, gid);
      chmodSync(p, mode);
    }
    // A readable file reached through a symlink inside a locked directory, and one pointing into it.
    symlinkSync(join(root, "z-open/target.env"), join(root, "locked/link-out.env"));
    symlinkSync(join(root, "locked/inside.env"), join(root, "link-in.env"));
  });

  it("decides readability from owner, group, other bits and every directory on the way", async () => {
    const access = identityAccess(await resolveUser("agent", sys));
    expect(access.user).toBe("agent (uid 12345)");
    const files = [
      ...layout.filter(([rel]) => !rel.endsWith("/")).map(([rel]) => rel),
      "locked/link-out.env",
      "link-in.env",
    ];
    const can: string[] = [];
    for (const rel of files) {
      const p = join(root, rel);
      if (await access.canRead(p, statSync(p))) can.push(rel);
    }
    expect(can.sort()).toEqual(readable);
  });

  it("makes the tree source report exactly what the agent can read", async () => {
    const access = identityAccess(await resolveUser("agent", sys));
    const res = await inventory({ sources: ["tree"], root, access });
    // z-open/target.env is also reachable as locked/link-out.env, which the walk meets first;
    // it is reported under the path the agent can use.
    expect(res.findings.map((f) => `${f.ruleId} ${f.location.path}`)).toEqual(
      readable.map((rel) => `github-pat-classic ${rel}`),
    );
    expect(res.issues).toEqual([]);
  });

  it("lets root read and connect to anything", async () => {
    const access = identityAccess({ name: "root", uid: 0, gids: [0] });
    const p = join(root, "private.env");
    expect(await access.canRead(p, statSync(p))).toBe(true);
    expect(await access.canConnect(p, statSync(p))).toBe(true);
  });
});
