import { execFileSync } from "node:child_process";
import { mkdirSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { adminReach, awsProfiles } from "../../../src/capabilities/scope/aws/config.js";
import { type ObservedSecret, ScopeCollector } from "../../../src/capabilities/scope/index.js";
import { tempTree } from "../../helpers/tmp.js";
import { awsKeyId, awsSecretKey, NOW, observed } from "./helpers.js";

// Check aws-admin-role-profile: ~/.aws/config read from a temp home.

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});
function home(files: Record<string, string>): string {
  const t = tempTree(files);
  cleanups.push(t.cleanup);
  return t.dir;
}
/** The key pair of a credentials-file profile as the inventory lists it (key id, then secret). */
function pair(path: string, keyLine: number, seed: number): ObservedSecret[] {
  return [
    observed("aws-access-key-id", awsKeyId("AKIA", seed), {
      provider: "aws",
      type: "access-key-id",
      location: { source: "home", path, line: keyLine },
    }),
    observed("aws-secret-access-key-assignment", awsSecretKey(seed), {
      provider: "aws",
      type: "secret-access-key",
      location: { source: "home", path, line: keyLine + 1 },
    }),
  ];
}
async function admin(dir: string, secrets: ObservedSecret[]) {
  const c = new ScopeCollector({ home: dir, now: () => NOW });
  for (const s of secrets) c.add(s);
  const r = await c.finish();
  return {
    admin: r.findings
      .filter((f) => f.ruleId === "aws-admin-role-profile")
      .map((f) => [f.location.source, f.location.path ?? f.location.name, f.location.line]),
    issues: r.issues,
  };
}

const CREDS =
  "[default]\naws_access_key_id = K\naws_secret_access_key = S\n\n[ci]\naws_access_key_id = K\naws_secret_access_key = S\n";

describe("admin-like profiles", () => {
  it("reads role_arn, source_profile and credential_source per profile", () => {
    const p = awsProfiles(
      "[default]\nregion = eu-west-1\n[profile ops]\nrole_arn = arn:aws:iam::111122223333:role/PowerUserAccess\nsource_profile = default\n[sso-session corp]\nsso_region = eu-west-1\n",
      "config",
    );
    expect([...p.entries()]).toEqual([
      ["default", {}],
      ["ops", { roleArn: "arn:aws:iam::111122223333:role/PowerUserAccess", sourceProfile: "default" }],
    ]);
  });
  it("follows the source_profile chain from each admin-like profile, loops included", () => {
    const p = awsProfiles(
      [
        "[profile a]\nrole_arn = arn:aws:iam::1:role/AdministratorAccess\nsource_profile = b",
        "[profile b]\nrole_arn = arn:aws:iam::1:role/hop\nsource_profile = c",
        "[profile c]\nrole_arn = arn:aws:iam::1:role/loop\nsource_profile = b",
        "[profile root]\ncredential_source = Environment",
        "[profile reader]\nrole_arn = arn:aws:iam::1:role/ReadOnly\nsource_profile = d",
      ].join("\n"),
      "config",
    );
    expect(adminReach(p)).toEqual({ names: new Set(["a", "b", "c", "root"]), env: true });
  });
  it("does not take an account id or path for a role name", () => {
    const p = awsProfiles("[profile x]\nrole_arn = arn:aws:iam::1:role/admin-tools/Reader\n", "config");
    // The role's path holds "admin": the resource part after role/ is matched, path included.
    expect(adminReach(p).names).toEqual(new Set(["x"]));
    const q = awsProfiles(
      "[profile y]\nrole_arn = arn:aws:iam::123:role/Deployer\nsource_profile = default\n",
      "config",
    );
    expect(adminReach(q).names).toEqual(new Set());
  });
});

describe("aws-admin-role-profile", () => {
  it("reports the keys of a profile that is the source of an admin role, once per profile, at the key id", async () => {
    const dir = home({
      ".aws/credentials": CREDS,
      ".aws/config":
        "[default]\nregion = us-east-1\n[profile admin]\nrole_arn = arn:aws:iam::123456789012:role/OrganizationAccountAccessRole\nsource_profile = default\n",
    });
    const secrets = [...pair(".aws/credentials", 2, 1), ...pair(".aws/credentials", 6, 2)];
    expect(await admin(dir, secrets)).toEqual({ admin: [["home", ".aws/credentials", 2]], issues: [] });
  });
  it("reports a profile named admin with its own keys, and AWS_* variables when a chain uses credential_source = Environment", async () => {
    const dir = home({
      ".aws/credentials": "[prod-admin]\naws_access_key_id = K\naws_secret_access_key = S\n",
      ".aws/config":
        "[profile deploy]\nrole_arn = arn:aws:iam::1:role/PowerUser\ncredential_source = Environment\n",
    });
    const env = observed("aws-access-key-id", awsKeyId("AKIA", 3), {
      provider: "aws",
      type: "access-key-id",
      location: { source: "env", name: "AWS_ACCESS_KEY_ID" },
    });
    expect(await admin(dir, [...pair(".aws/credentials", 2, 4), env])).toEqual({
      admin: [
        ["env", "AWS_ACCESS_KEY_ID", undefined],
        ["home", ".aws/credentials", 2],
      ],
      issues: [],
    });
  });
  it("reports nothing without an admin-like profile, and nothing (no issue) without ~/.aws/config", async () => {
    const plain = home({
      ".aws/credentials": CREDS,
      ".aws/config": "[profile dev]\nrole_arn = arn:aws:iam::1:role/Developer\nsource_profile = default\n",
    });
    expect(await admin(plain, pair(".aws/credentials", 2, 5))).toEqual({ admin: [], issues: [] });
    const none = home({ ".aws/credentials": CREDS });
    expect(await admin(none, pair(".aws/credentials", 2, 6))).toEqual({ admin: [], issues: [] });
  });
  it("reads keys written in ~/.aws/config itself under their [profile x] section", async () => {
    const dir = home({
      ".aws/config": "[profile admin]\naws_access_key_id = K\naws_secret_access_key = S\n",
    });
    expect(await admin(dir, pair(".aws/config", 2, 7))).toEqual({
      admin: [["home", ".aws/config", 2]],
      issues: [],
    });
  });
  it("does not read a ~/.aws/config that is a FIFO or leads outside the home: an issue, no finding", async () => {
    const outside = home({
      config: "[profile admin]\nrole_arn = arn:aws:iam::1:role/Admin\nsource_profile = default\n",
    });
    const linked = home({ ".aws/credentials": CREDS });
    symlinkSync(join(outside, "config"), join(linked, ".aws/config"));
    expect(await admin(linked, pair(".aws/credentials", 2, 8))).toEqual({
      admin: [],
      issues: [
        {
          where: ".aws/config",
          message: "not read for step 6 (admin-like AWS roles): leads outside the home",
        },
      ],
    });
    const fifo = home({ ".aws/credentials": CREDS });
    mkdirSync(join(fifo, ".aws"), { recursive: true });
    execFileSync("mkfifo", [join(fifo, ".aws/config")]);
    expect(await admin(fifo, pair(".aws/credentials", 2, 9))).toEqual({
      admin: [],
      issues: [
        {
          where: ".aws/config",
          message: "not read for step 6 (admin-like AWS roles): is a FIFO, not a regular file",
        },
      ],
    });
  });
  it("does not judge without a home", async () => {
    const c = new ScopeCollector({ now: () => NOW });
    for (const s of pair(".aws/credentials", 2, 10)) c.add(s);
    expect((await c.finish()).findings.map((f) => f.ruleId)).toEqual(["aws-long-lived-access-key"]);
  });
});
