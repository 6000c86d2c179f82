import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { cli } from "../helpers/cli.js";
import {
  type FakeAws,
  type FakeAwsState,
  fakePolicy,
  fakeState,
  fakeUser,
  policyArn,
  startFakeAws,
  userArn,
} from "../helpers/fake-aws.js";

// `agent-audit creds aws` end to end (issue 13): offline from the evidence fixture, live through
// the real SDK against the loopback fake, and apply / rollback. The keys below are fake, distinctive,
// and searched for in every output.

const FIXTURE = join(import.meta.dirname, "../../fixtures/aws-evidence/admin-agent");
const ACCT = "123456789012";
const KEY_ID = "AKIA2CREDSCLITEST777";
const SECRET = "cLiTeStSeCrEtKeY/never+printed0123456789";
const ADMIN = policyArn(ACCT, "agent-admin");

function tmp(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

function expectNoSecret(...texts: string[]) {
  for (const t of texts) {
    expect(t).not.toContain(SECRET);
    expect(t).not.toContain(KEY_ID);
  }
}

describe("creds aws --evidence (offline)", () => {
  it("reports the principal, its findings and the plan; exit 1 for an admin grant", async () => {
    const r = await cli(["creds", "aws", "--evidence", FIXTURE, "--no-env"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe("");
    const lines = r.stdout.split("\n");
    expect(lines.slice(0, 10)).toEqual([
      `AWS principal  arn:aws:iam::111122223333:user/agents/ci-agent (user ci-agent; from evidence ${FIXTURE})`,
      "Grants         4 policies:",
      "  inline  pass-any-role",
      "  aws     AdministratorAccess v1",
      "  inline  deny-org (via group deployers)",
      "  managed agent-data (via group deployers) v2",
      "Boundary       none",
      "Access keys    not in the evidence (live only)",
      "Evidence       action-level last-accessed data to 2026-11-30: 5 of 10 granted services used in 90 days",
      "",
    ]);
    expect(lines).toContain(
      "    - s3:CreateBucket, s3:DeleteBucket, s3:PutBucketPolicy  removed: tracked action not used in 90 days",
    );
    expect(lines).toContain("  removed 13, kept 4, kept as unknown 16; after: 554 of 6,144 characters");
    expect(lines.at(-2)).toBe(
      "Step 6 credential-scope: FAIL — 2 high-risk credential scope findings (long-lived or broad) not in the accepted inventory; 1 medium-risk; 1 credential judged",
    );
  });

  it("writes the plan in the issue's shape with --plan, and JSON with --format json", async () => {
    const dir = tmp("aa-creds-");
    const planFile = join(dir, "plan.json");
    const r = await cli(
      ["creds", "aws", "--evidence", FIXTURE, "--no-env", "--plan", planFile, "--format", "json"],
      {
        cwd: dir,
      },
    );
    expect(r.code).toBe(1);
    const plan = JSON.parse(readFileSync(planFile, "utf8"));
    expect(Object.keys(plan).slice(0, 7)).toEqual([
      "principal",
      "before",
      "after",
      "removed",
      "kept",
      "unknown",
      "sizeChars",
    ]);
    expect(plan.principal).toBe("arn:aws:iam::111122223333:user/agents/ci-agent");
    expect(plan.before).toHaveLength(4);
    expect(plan.sizeChars).toBe(JSON.stringify(plan.after).length);
    const out = JSON.parse(r.stdout);
    expect(out.findings.map((f: { ruleId: string }) => f.ruleId)).toEqual([
      "aws-iam-admin-access",
      "aws-iam-passrole-any-role",
      "aws-iam-unused-services",
    ]);
    expect(out.findings[0].location).toEqual({
      source: "cloud",
      path: "arn:aws:iam::111122223333:user/agents/ci-agent",
      name: "managed AdministratorAccess",
    });
    expect(out.step).toMatchObject({ step: 6, id: "credential-scope", status: "fail" });
    expect(out.plan.after).toEqual(plan.after);
  });

  it("a policy-version dry run needs the live version list", async () => {
    const dir = tmp("aa-evidence-one-");
    const arn = "arn:aws:iam::111122223333:user/one";
    const pol = "arn:aws:iam::111122223333:policy/one-policy";
    writeFileSync(
      join(dir, "sts-get-caller-identity.json"),
      JSON.stringify({ Arn: arn, Account: "111122223333" }),
    );
    writeFileSync(
      join(dir, "iam-get-account-authorization-details.json"),
      JSON.stringify({
        UserDetailList: [
          {
            UserName: "one",
            Arn: arn,
            AttachedManagedPolicies: [{ PolicyName: "one-policy", PolicyArn: pol }],
          },
        ],
        Policies: [
          {
            Arn: pol,
            PolicyName: "one-policy",
            DefaultVersionId: "v1",
            PolicyVersionList: [
              {
                VersionId: "v1",
                IsDefaultVersion: true,
                Document: { Statement: [{ Effect: "Allow", Action: "s3:*", Resource: "*" }] },
              },
            ],
          },
        ],
      }),
    );
    writeFileSync(
      join(dir, "iam-get-service-last-accessed-details.json"),
      JSON.stringify({
        JobStatus: "COMPLETED",
        JobType: "ACTION_LEVEL",
        JobCompletionDate: "2026-11-30T00:00:00Z",
        ServicesLastAccessed: [{ ServiceNamespace: "s3", LastAuthenticated: "2026-11-29T00:00:00Z" }],
      }),
    );
    const r = await cli([
      "creds",
      "aws",
      "--no-env",
      "--evidence",
      dir,
      "--apply",
      "policy-version",
      "--dry-run",
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      "--apply policy-version --dry-run needs live credentials: the policy's current versions decide which calls are made",
    );
  });

  it("says what is wrong with bad input (exit 2)", async () => {
    const empty = tmp("aa-creds-empty-");
    const cases: [string[], string][] = [
      [["--evidence", empty], "sts-get-caller-identity.json: missing from the evidence folder"],
      [
        ["--evidence", FIXTURE, "--apply", "boundary"],
        "--apply needs live credentials: --evidence is offline",
      ],
      [["--evidence", FIXTURE, "--dry-run"], "--dry-run goes with --apply"],
      [["--evidence", FIXTURE, "--policy-arn", ADMIN], "--policy-arn goes with --apply policy-version"],
      [["--evidence", FIXTURE, "--window", "401"], "--window: IAM tracks at most 400 days"],
      [
        ["--evidence", FIXTURE, "--apply", "policy-version", "--dry-run"],
        "the principal's permissions come from 3 policies, not one: a new version of one policy would not narrow the others",
      ],
      [["--evidence", FIXTURE, "--principal", "arn:aws:iam::111122223333:root"], "not an IAM user or role"],
    ];
    for (const [args, msg] of cases) {
      const r = await cli(["creds", "aws", "--no-env", ...args]);
      expect(r.code, args.join(" ")).toBe(2);
      expect(r.stderr).toContain(msg);
    }
  });
});

describe("creds aws (live, the real SDK against the loopback fake)", () => {
  let fake: FakeAws | undefined;
  let home: string;
  beforeEach(() => {
    vi.stubEnv("AWS_CONFIG_FILE", "/nonexistent/aws-config");
    vi.stubEnv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/aws-credentials");
    vi.stubEnv("AWS_EC2_METADATA_DISABLED", "true");
    home = tmp("aa-creds-home-");
    mkdirSync(join(home, ".aws"));
    writeFileSync(
      join(home, ".aws/credentials"),
      `[default]\naws_access_key_id = ${KEY_ID}\naws_secret_access_key = ${SECRET}\n`,
    );
  });
  afterEach(async () => {
    vi.unstubAllEnvs();
    await fake?.close();
    fake = undefined;
  });

  function account(opts: { versions?: number; boundary?: string } = {}): FakeAwsState {
    const docs = Array.from({ length: opts.versions ?? 1 }, (_, i) => ({
      Version: "2012-10-17",
      Statement: [{ Sid: `v${i + 1}`, Effect: "Allow", Action: "*", Resource: "*" }],
    }));
    const state = fakeState(ACCT, { user: "agent" });
    state.users.agent = fakeUser({
      attached: [ADMIN],
      accessKeys: [
        { id: KEY_ID, status: "Active", created: "2025-01-01T00:00:00Z", lastUsed: "2026-11-29T00:00:00Z" },
      ],
      ...(opts.boundary ? { boundary: opts.boundary } : {}),
    });
    state.policies[ADMIN] = fakePolicy("agent-admin", docs);
    state.lastAccessed[userArn(ACCT, "agent")] = {
      services: [
        {
          namespace: "s3",
          lastAuthenticated: "2026-11-29T00:00:00Z",
          tracked: [
            { action: "ListAllMyBuckets", lastAccessed: "2026-11-29T00:00:00Z" },
            { action: "CreateBucket" },
          ],
        },
        { namespace: "ec2" },
        { namespace: "sts", lastAuthenticated: "2026-11-29T00:00:00Z" },
      ],
    };
    return state;
  }

  const run = (args: string[], cwd?: string) =>
    cli(
      ["creds", "aws", "--home", home, "--no-env", "--endpoint-url", fake!.endpoint, ...args],
      cwd ? { cwd } : {},
    );

  it("identifies the caller, reads its grants, keys and last use, never printing a key", async () => {
    fake = await startFakeAws(account());
    const r = await run([]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(
      `AWS principal  ${userArn(ACCT, "agent")} (user agent; from profile default in ~/.aws/credentials)`,
    );
    expect(r.stdout).toContain("Access keys    1 (1 active)");
    expect(r.stdout).toContain("  CRITICAL aws-iam-admin-access  managed agent-admin:");
    expect(r.stdout).toContain("  MEDIUM   aws-iam-old-access-key  access key 1:");
    expectNoSecret(r.stdout, r.stderr);
    const json = await run(["--format", "json"]);
    expectNoSecret(json.stdout, json.stderr);
    expect(JSON.parse(json.stdout).accessKeys).toEqual([
      { key: 1, status: "Active", created: "2025-01-01T00:00:00.000Z", lastUsed: "2026-11-29T00:00:00.000Z" },
    ]);
    // Read-only: nothing but reads reached the account.
    expect(new Set(fake.calls.map((c) => c.action))).toEqual(
      new Set([
        "GetCallerIdentity",
        "GetUser",
        "ListAttachedUserPolicies",
        "ListUserPolicies",
        "ListGroupsForUser",
        "GetPolicy",
        "GetPolicyVersion",
        "ListAccessKeys",
        "GetAccessKeyLastUsed",
        "GenerateServiceLastAccessedDetails",
        "GetServiceLastAccessedDetails",
      ]),
    );
  });

  it("--apply boundary --dry-run lists the calls and changes nothing; --apply sets it; --rollback removes it", async () => {
    fake = await startFakeAws(account());
    const before = JSON.stringify(fake.state);
    const dry = await run(["--apply", "boundary", "--dry-run"]);
    expect(dry.stderr).toBe("");
    const tail = dry.stdout.split("\n");
    const at = tail.indexOf(
      "--dry-run (--apply boundary): nothing was changed. The IAM calls --apply would make:",
    );
    expect(tail.slice(at + 1, at + 4)).toEqual([
      "  GetUser UserName=agent",
      "  CreatePolicy PolicyName=agent-audit-boundary-agent Path=/agent-audit/ Description=agent-audit permissions boundary for arn:aws:iam::123456789012:user/agent: the least-privilege plan of 2026-11-30T12:00:00.000Z (90-day window) PolicyDocument=<the plan's after>",
      `  PutUserPermissionsBoundary UserName=agent PermissionsBoundary=${policyArn(ACCT, "agent-audit-boundary-agent", "/agent-audit/")}`,
    ]);
    expect(JSON.stringify(fake.state)).toBe(before);

    const state = tmp("aa-creds-state-");
    const applied = await run(["--apply", "boundary", "--state-dir", state]);
    expect(applied.stderr).toBe("");
    expect(applied.code).toBe(0);
    const boundaryArn = policyArn(ACCT, "agent-audit-boundary-agent", "/agent-audit/");
    expect(fake.state.users.agent!.boundary).toBe(boundaryArn);
    const doc = JSON.parse(fake.state.policies[boundaryArn]!.versions[0]!.document);
    expect(doc.Statement).toEqual([
      {
        Effect: "Allow",
        Action: [
          "s3:AbortMultipartUpload",
          "s3:DeleteObject*",
          "s3:GetObject*",
          "s3:ListAllMyBuckets",
          "s3:ListBucket",
          "s3:ListBucketMultipartUploads",
          "s3:ListBucketVersions",
          "s3:ListMultipartUploadParts",
          "s3:PutObject*",
          "s3:ReplicateDelete",
          "s3:ReplicateObject",
          "s3:ReplicateTags",
          "s3:RestoreObject",
          "sts:*",
        ],
        Resource: ["*"],
      },
    ]);
    const manifests = readdirSync(state);
    expect(manifests).toHaveLength(1);
    const manifest = join(state, manifests[0]!);
    expect(applied.stdout).toContain(
      `Manifest: ${manifest} (undo: agent-audit creds aws --rollback ${manifest})`,
    );
    expectNoSecret(applied.stdout, readFileSync(manifest, "utf8"));

    // A manifest others can write is not trusted: it decides what rollback sets.
    chmodSync(manifest, 0o666);
    const refused = await run(["--rollback", manifest]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain("the manifest is writable by others");
    expect(fake.state.users.agent!.boundary).toBe(boundaryArn);
    chmodSync(manifest, 0o600);

    const back = await cli([
      "creds",
      "aws",
      "--home",
      home,
      "--no-env",
      "--endpoint-url",
      fake.endpoint,
      "--rollback",
      manifest,
    ]);
    expect(back.stderr).toBe("");
    expect(back.code).toBe(0);
    expect(fake.state.users.agent!.boundary).toBeUndefined();
    expect(fake.state.policies[boundaryArn]).toBeUndefined();
    expect(back.stdout.trimEnd().split("\n").at(-1)).toBe("Restored.");
  });

  it("--apply policy-version at IAM's five versions deletes the oldest non-default; --rollback restores the default", async () => {
    fake = await startFakeAws(account({ versions: 5 }));
    const state = tmp("aa-creds-state-");
    const applied = await run(["--apply", "policy-version", "--state-dir", state]);
    expect(applied.stderr).toBe("");
    expect(applied.code).toBe(0);
    const p = fake.state.policies[ADMIN]!;
    expect(p.versions.map((v) => v.id)).toEqual(["v2", "v3", "v4", "v5", "v6"]);
    expect(p.defaultVersion).toBe("v6");
    const manifest = join(state, readdirSync(state)[0]!);
    const back = await run(["--rollback", manifest]);
    expect(back.code).toBe(0);
    expect(fake.state.policies[ADMIN]!.defaultVersion).toBe("v5");
    expect(fake.state.policies[ADMIN]!.versions.map((v) => v.id)).toEqual(["v2", "v3", "v4", "v5"]);
  });

  it("a failure halfway is undone, reported with the permission needed, exit 2", async () => {
    fake = await startFakeAws(account(), {
      faults: [{ action: "PutUserPermissionsBoundary", code: "AccessDenied" }],
    });
    const state = tmp("aa-creds-state-");
    const r = await run(["--apply", "boundary", "--state-dir", state]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--apply failed:");
    expect(r.stderr).toContain("iam:PutUserPermissionsBoundary");
    expect(r.stderr).toContain("nothing is left changed");
    expect(fake.state.users.agent!.boundary).toBeUndefined();
    expect(Object.keys(fake.state.policies)).toEqual([ADMIN]);
    expectNoSecret(r.stdout, r.stderr);
  });

  it("access denied on the caller's identity is a clear error naming the permission", async () => {
    fake = await startFakeAws(account(), { faults: [{ action: "GetUser", code: "AccessDenied" }] });
    const r = await run([]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("iam:GetUser");
    expectNoSecret(r.stdout, r.stderr);
  });

  it("refuses a profile without static keys and a home without credentials, quoting no value", async () => {
    writeFileSync(
      join(home, ".aws/credentials"),
      `[ops]\nrole_arn = arn:aws:iam::1:role/x\nsource_profile = default\n`,
    );
    fake = await startFakeAws(account());
    const r = await run(["--profile", "ops"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      "profile ops in ~/.aws/credentials has no static keys (role, SSO and credential_process profiles are not followed: pass --principal ARN with keys that can read it)",
    );
    const none = await cli(["creds", "aws", "--home", tmp("aa-empty-home-"), "--no-env"]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain("no AWS credentials");
    expect(fake.calls).toEqual([]);
  });

  it("reads the agent's keys from --environ", async () => {
    fake = await startFakeAws(account());
    const envFile = join(tmp("aa-environ-"), "environ");
    writeFileSync(envFile, `AWS_ACCESS_KEY_ID=${KEY_ID}\nAWS_SECRET_ACCESS_KEY=${SECRET}\n`);
    const r = await cli([
      "creds",
      "aws",
      "--home",
      home,
      "--environ",
      envFile,
      "--endpoint-url",
      fake.endpoint,
    ]);
    expect(r.stdout).toContain("(user agent; from environment)");
    expectNoSecret(r.stdout, r.stderr);
  });

  it("scan --aws puts the IAM findings at the key the inventory found, and fails step 6", async () => {
    fake = await startFakeAws(account());
    const root = tmp("aa-scan-root-");
    const r = await cli([
      "scan",
      "--home",
      home,
      "--root",
      root,
      "--no-env",
      "--sources",
      "home",
      "--aws",
      "--aws-endpoint-url",
      fake.endpoint,
      "--format",
      "json",
      "--no-progress",
    ]);
    expectNoSecret(r.stdout, r.stderr);
    const report = JSON.parse(r.stdout);
    const iam = report.findings.filter((f: { ruleId: string }) => f.ruleId.startsWith("aws-iam-"));
    expect(
      iam.map((f: { ruleId: string; location: { path: string } }) => [f.ruleId, f.location.path]),
    ).toEqual([
      ["aws-iam-admin-access", ".aws/credentials"],
      ["aws-iam-old-access-key", ".aws/credentials"],
      ["aws-iam-unused-services", ".aws/credentials"],
    ]);
    const step6 = report.checklist.find((c: { id: string }) => c.id === "credential-scope");
    expect(step6.status).toBe("fail");
    const bad = await cli(["scan", "--home", home, "--root", root, "--no-env", "--aws-profile", "x"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--aws-profile and --aws-endpoint-url go with --aws");
  });
});
