import { execFileSync } from "node:child_process";
import { mkdirSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { resolveUser } from "../../src/sources/users.js";
import { tempTree } from "../helpers/tmp.js";
import { GROUP, PASSWD } from "../helpers/users.js";

// --as-user reads passwd(5) and group(5) of the audited system root (issue 8, items 7, 8 and 11):
// a FIFO there hung the run, an absolute symlink made the scanning machine's /etc/passwd decide,
// and malformed lines gave uid 0 or uid NaN.

let cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups) c();
  cleanups = [];
});
function sysroot(files: Record<string, string>) {
  const t = tempTree(files, "aa-users-");
  cleanups.push(t.cleanup);
  return t.dir;
}
async function failure(p: Promise<unknown>): Promise<string> {
  return p.then(
    () => "resolved",
    (e: unknown) => (e as Error).message,
  );
}

describe("resolveUser", () => {
  it("resolves a name and a uid with their groups", async () => {
    const root = sysroot({ "etc/passwd": PASSWD, "etc/group": GROUP });
    const agent = { name: "agent", uid: 12345, gids: [12345, 23456] };
    expect(await resolveUser("agent", root)).toEqual(agent);
    expect(await resolveUser("12345", root)).toEqual(agent);
    expect(await resolveUser("777", root)).toEqual({ name: "uid777", uid: 777, gids: [] });
  });

  it("a FIFO at etc/passwd is one error, never a hang", async () => {
    const root = sysroot({ "etc/group": GROUP });
    execFileSync("mkfifo", [join(root, "etc/passwd")]);
    expect(await failure(resolveUser("agent", root))).toBe(
      `--as-user: ${join(root, "etc/passwd")} is a FIFO, not a regular file`,
    );
  });

  it("a FIFO at etc/group too", async () => {
    const root = sysroot({ "etc/passwd": PASSWD });
    execFileSync("mkfifo", [join(root, "etc/group")]);
    expect(await failure(resolveUser("agent", root))).toBe(
      `--as-user: ${join(root, "etc/group")} is a FIFO, not a regular file`,
    );
  });

  it("an absolute symlink out of the image is not followed", async () => {
    const host = sysroot({ passwd: "agent:x:0:0::/root:/bin/sh\n" });
    const root = sysroot({ "etc/group": GROUP });
    symlinkSync(join(host, "passwd"), join(root, "etc/passwd"));
    expect(await failure(resolveUser("agent", root))).toBe(
      `--as-user: ${join(root, "etc/passwd")} leads outside --system-root`,
    );
  });

  it("a link inside the image is followed", async () => {
    const root = sysroot({ "etc/group": GROUP, "usr/lib/passwd": PASSWD });
    mkdirSync(join(root, "etc"), { recursive: true });
    symlinkSync(join(root, "usr/lib/passwd"), join(root, "etc/passwd"));
    expect((await resolveUser("agent", root)).uid).toBe(12345);
  });

  it.each([
    ["an empty uid", "agent:x::::/:/bin/sh"],
    ["a non-numeric uid", "agent:x:abc:100::/:/bin/sh"],
    ["an empty gid", "agent:x:1000:::/:/bin/sh"],
    ["a uid past 2^32", "agent:x:99999999999:100::/:/bin/sh"],
    ["a line with no uid at all", "agent"],
  ])("a passwd line with %s is not a user", async (_, line) => {
    const root = sysroot({ "etc/passwd": `${line}\n`, "etc/group": "" });
    expect(await failure(resolveUser("agent", root))).toBe(
      `--as-user "agent": its line in ${join(root, "etc/passwd")} is malformed (the uid or gid is not a number)`,
    );
  });

  it("a numeric uid never matches a malformed line", async () => {
    const root = sysroot({ "etc/passwd": "agent:x:0:abc::/:/bin/sh\n", "etc/group": "" });
    expect(await resolveUser("0", root)).toEqual({ name: "uid0", uid: 0, gids: [] });
  });

  it("does not echo a user name that may be a token", async () => {
    const root = sysroot({ "etc/passwd": PASSWD, "etc/group": GROUP });
    const name = `u${"Zq8vLm2Xw7Rt5Yp8Nc4Vb6Hj1Sd0".repeat(2)}`;
    expect(await failure(resolveUser(name, root))).toBe(
      `unknown user <57 characters, not shown> (not in ${join(root, "etc/passwd")})`,
    );
  });

  it("a missing passwd knows no names", async () => {
    const root = sysroot({});
    expect(await failure(resolveUser("agent", root))).toBe(
      `unknown user "agent" (not in ${join(root, "etc/passwd")})`,
    );
  });
});
