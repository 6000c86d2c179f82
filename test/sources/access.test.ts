import { statSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { selfAccess } from "../../src/sources/access.js";
import { resolveUser } from "../../src/sources/users.js";
import { UsageError } from "../../src/util/errors.js";
import { tempTree } from "../helpers/tmp.js";
import { GROUP, PASSWD } from "../helpers/users.js";

const dirs: (() => void)[] = [];
afterAll(() => {
  for (const c of dirs) c();
});
function temp(files: Record<string, string> = {}) {
  const t = tempTree(files, "aa-access-");
  dirs.push(t.cleanup);
  return t.dir;
}

describe("resolveUser", () => {
  let sys: string;
  beforeAll(() => {
    sys = temp({ "etc/passwd": PASSWD, "etc/group": GROUP });
  });

  it("resolves a name to its uid, primary group and supplementary groups", async () => {
    expect(await resolveUser("agent", sys)).toEqual({ name: "agent", uid: 12345, gids: [12345, 23456] });
  });

  it("resolves a numeric uid through passwd", async () => {
    expect(await resolveUser("12345", sys)).toEqual({ name: "agent", uid: 12345, gids: [12345, 23456] });
    expect(await resolveUser("23456", sys)).toEqual({ name: "other", uid: 23456, gids: [23456, 34567] });
  });

  it("accepts a numeric uid with no passwd entry, with no groups", async () => {
    expect(await resolveUser("777", sys)).toEqual({ name: "uid777", uid: 777, gids: [] });
  });

  it("rejects an unknown name with a usage error", async () => {
    const err = await resolveUser("nobody-here", sys).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as UsageError).message).toBe(
      `unknown user "nobody-here" (not in ${join(sys, "etc/passwd")})`,
    );
    expect((err as UsageError).hint).toBe("pass a user name or a numeric uid");
  });
});

describe("selfAccess", () => {
  it("leaves the decision to the kernel", async () => {
    const a = selfAccess("me");
    const st = statSync(temp());
    expect([a.user, a.identity, await a.canRead("/x", st), await a.canConnect("/x", st)]).toEqual([
      "me",
      null,
      true,
      true,
    ]);
  });
});
