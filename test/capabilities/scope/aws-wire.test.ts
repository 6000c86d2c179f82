import {
  CreatePolicyCommand,
  CreatePolicyVersionCommand,
  DeletePolicyCommand,
  DeletePolicyVersionCommand,
  DeleteRolePermissionsBoundaryCommand,
  DeleteUserPermissionsBoundaryCommand,
  GenerateServiceLastAccessedDetailsCommand,
  GetAccessKeyLastUsedCommand,
  GetPolicyCommand,
  GetPolicyVersionCommand,
  GetRoleCommand,
  GetServiceLastAccessedDetailsCommand,
  GetUserCommand,
  GetUserPolicyCommand,
  IAMClient,
  LimitExceededException,
  ListAttachedUserPoliciesCommand,
  ListGroupsForUserCommand,
  ListPolicyVersionsCommand,
  NoSuchEntityException,
  PutRolePermissionsBoundaryCommand,
  PutUserPermissionsBoundaryCommand,
  SetDefaultPolicyVersionCommand,
} from "@aws-sdk/client-iam";
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { AwsAuditError, gatherLive, type LiveOptions } from "../../../src/capabilities/scope/aws/live.js";
import {
  FAKE_NOW,
  type FakeAws,
  type FakeAwsOptions,
  type FakeAwsState,
  fakeGroup,
  fakePolicy,
  fakeRole,
  fakeState,
  fakeUser,
  policyArn,
  roleArn,
  startFakeAws,
  userArn,
} from "../../helpers/fake-aws.js";

// The wire contract of issue 13: the real @aws-sdk/client-iam and client-sts (serializer, signer,
// XML deserializer, modeled errors) against the loopback fake of test/helpers/fake-aws.ts. First
// the fake itself (what the SDK parses out of it, so other tests can trust it), then gatherLive.

const ACCT = "123456789012";
// Distinctive static credentials: never the machine's, and searched for in every message below.
const CREDS = {
  accessKeyId: "AKIDWIRETESTKEYID0001",
  secretAccessKey: "wIrEtEsTsEcReTvAlUe/DoNoTpRiNt+0123456789",
  sessionToken: "WiReTeStSeSsIoNtOkEnVaLuE0123456789abcdef",
};

let fake: FakeAws | undefined;
beforeEach(() => {
  // The SDK reads its shared config file for settings: never the machine's.
  vi.stubEnv("AWS_CONFIG_FILE", "/nonexistent/aws-config");
  vi.stubEnv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/aws-credentials");
  vi.stubEnv("AWS_EC2_METADATA_DISABLED", "true");
  for (const v of [
    "AWS_PROFILE",
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_IAM",
    "AWS_ENDPOINT_URL_STS",
    "AWS_REGION",
  ]) {
    vi.stubEnv(v, undefined);
  }
});
afterEach(async () => {
  vi.unstubAllEnvs();
  await fake?.close();
  fake = undefined;
});

async function start(
  state: FakeAwsState,
  opts?: FakeAwsOptions,
): Promise<{ iam: IAMClient; sts: STSClient }> {
  fake = await startFakeAws(state, opts);
  const cfg = { region: "us-east-1", endpoint: fake.endpoint, credentials: { ...CREDS }, maxAttempts: 1 };
  return { iam: new IAMClient(cfg), sts: new STSClient(cfg) };
}

const DOC_S3 = {
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow", Action: ["s3:GetObject", "s3:ListBucket"], Resource: "*" }],
};
const DOC_EC2 = {
  Version: "2012-10-17",
  Statement: { Effect: "Allow", Action: "ec2:Describe*", Resource: "*" },
};

describe("the fake, as the real SDK reads it", () => {
  it("answers GetCallerIdentity and GetUser with a boundary and a path", async () => {
    const bArn = policyArn(ACCT, "Boundary");
    const { iam, sts } = await start(
      fakeState(
        ACCT,
        { user: "alice" },
        {
          users: { alice: fakeUser({ path: "/dev/", boundary: bArn, created: "2023-05-01T10:00:00Z" }) },
        },
      ),
    );
    // The caller ARN is set by fakeState (path "/"); the user record says /dev/.
    const id = await sts.send(new GetCallerIdentityCommand({}));
    expect({ Arn: id.Arn, Account: id.Account, UserId: id.UserId }).toEqual({
      Arn: userArn(ACCT, "alice"),
      Account: ACCT,
      UserId: fake!.state.caller.userId,
    });
    const u = await iam.send(new GetUserCommand({ UserName: "alice" }));
    expect(u.User?.Arn).toBe("arn:aws:iam::123456789012:user/dev/alice");
    expect(u.User?.CreateDate).toEqual(new Date("2023-05-01T10:00:00Z"));
    expect(u.User?.PermissionsBoundary).toEqual({
      PermissionsBoundaryType: "PermissionsBoundaryPolicy",
      PermissionsBoundaryArn: bArn,
    });
    expect(fake!.calls.map((c) => [c.action, c.params.Version])).toEqual([
      ["GetCallerIdentity", "2011-06-15"],
      ["GetUser", "2010-05-08"],
    ]);
  });

  it("pages list calls with MaxItems and Marker", async () => {
    const arns = ["A", "B", "C"].map((n) => policyArn(ACCT, n));
    const { iam } = await start(
      fakeState(
        ACCT,
        { user: "bob" },
        {
          users: { bob: fakeUser({ attached: arns, groups: ["g1", "g2", "g3"] }) },
          groups: { g1: fakeGroup(), g2: fakeGroup(), g3: fakeGroup() },
          policies: Object.fromEntries(arns.map((a, i) => [a, fakePolicy(["A", "B", "C"][i]!, DOC_S3)])),
        },
      ),
    );
    const p1 = await iam.send(new ListAttachedUserPoliciesCommand({ UserName: "bob", MaxItems: 2 }));
    expect(p1.AttachedPolicies).toEqual([
      { PolicyName: "A", PolicyArn: arns[0] },
      { PolicyName: "B", PolicyArn: arns[1] },
    ]);
    expect(p1.IsTruncated).toBe(true);
    const p2 = await iam.send(
      new ListAttachedUserPoliciesCommand({ UserName: "bob", MaxItems: 2, Marker: p1.Marker }),
    );
    expect(p2.AttachedPolicies).toEqual([{ PolicyName: "C", PolicyArn: arns[2] }]);
    expect(p2.IsTruncated).toBe(false);
    expect(p2.Marker).toBeUndefined();
    const g = await iam.send(new ListGroupsForUserCommand({ UserName: "bob" }));
    expect(g.Groups?.map((x) => x.GroupName)).toEqual(["g1", "g2", "g3"]);
    expect(g.IsTruncated).toBe(false);
  });

  it("returns documents URL-encoded, as IAM does", async () => {
    const arn = policyArn(ACCT, "P");
    const inline = JSON.stringify({
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Action: "s3:*", Resource: "arn:aws:s3:::a b&c<d>'e'" }],
    });
    const { iam } = await start(
      fakeState(
        ACCT,
        { user: "u" },
        {
          users: { u: fakeUser({ inline: { "in line": inline } }) },
          policies: { [arn]: fakePolicy("P", DOC_EC2) },
        },
      ),
    );
    const up = await iam.send(new GetUserPolicyCommand({ UserName: "u", PolicyName: "in line" }));
    expect(up.PolicyName).toBe("in line");
    expect(up.PolicyDocument).toMatch(/^%7B%22Version%22/);
    expect(up.PolicyDocument).not.toContain("'");
    expect(decodeURIComponent(up.PolicyDocument!)).toBe(inline);
    const pol = await iam.send(new GetPolicyCommand({ PolicyArn: arn }));
    expect(pol.Policy?.DefaultVersionId).toBe("v1");
    const v = await iam.send(new GetPolicyVersionCommand({ PolicyArn: arn, VersionId: "v1" }));
    expect(v.PolicyVersion?.IsDefaultVersion).toBe(true);
    expect(JSON.parse(decodeURIComponent(v.PolicyVersion!.Document!))).toEqual(DOC_EC2);
  });

  it("maps errors to the SDK's modeled exceptions with IAM's status", async () => {
    const { iam } = await start(fakeState(ACCT, { user: "u" }), {
      faults: [{ action: "GetPolicy", code: "AccessDenied", message: "User u is not authorized" }],
    });
    const e1 = await iam.send(new GetRoleCommand({ RoleName: "nope" })).catch((e: unknown) => e);
    expect(e1).toBeInstanceOf(NoSuchEntityException);
    expect((e1 as NoSuchEntityException).$metadata.httpStatusCode).toBe(404);
    const e2 = (await iam
      .send(new GetPolicyCommand({ PolicyArn: policyArn(ACCT, "x") }))
      .catch((e: unknown) => e)) as {
      name: string;
      message: string;
      $metadata: { httpStatusCode: number };
    };
    expect([e2.name, e2.message, e2.$metadata.httpStatusCode]).toEqual([
      "AccessDenied",
      "User u is not authorized",
      403,
    ]);
  });

  it("runs a last-accessed job: IN_PROGRESS polls, then action-level pages", async () => {
    const arn = userArn(ACCT, "u");
    const state = fakeState(
      ACCT,
      { user: "u" },
      {
        lastAccessed: {
          [arn]: {
            services: [
              {
                namespace: "s3",
                name: "Amazon S3",
                lastAuthenticated: "2026-11-01T00:00:00Z",
                tracked: [
                  { action: "ListAllMyBuckets", lastAccessed: "2026-11-01T00:00:00Z" },
                  { action: "CreateBucket" },
                ],
              },
              { namespace: "ec2", name: "Amazon EC2" },
              { namespace: "sqs", name: "Amazon SQS", lastAuthenticated: "2026-10-01T00:00:00Z" },
            ],
          },
        },
      },
    );
    const { iam } = await start(state, { jobPolls: 1 });
    const { JobId } = await iam.send(
      new GenerateServiceLastAccessedDetailsCommand({ Arn: arn, Granularity: "ACTION_LEVEL" }),
    );
    const first = await iam.send(new GetServiceLastAccessedDetailsCommand({ JobId }));
    expect(first.JobStatus).toBe("IN_PROGRESS");
    expect(first.ServicesLastAccessed).toEqual([]);
    const a = await iam.send(new GetServiceLastAccessedDetailsCommand({ JobId, MaxItems: 2 }));
    expect(a.JobStatus).toBe("COMPLETED");
    expect(a.JobType).toBe("ACTION_LEVEL");
    expect(a.JobCompletionDate).toEqual(new Date(FAKE_NOW));
    expect(a.IsTruncated).toBe(true);
    expect(a.ServicesLastAccessed).toEqual([
      {
        ServiceName: "Amazon S3",
        ServiceNamespace: "s3",
        LastAuthenticated: new Date("2026-11-01T00:00:00Z"),
        LastAuthenticatedEntity: arn,
        LastAuthenticatedRegion: "us-east-1",
        TotalAuthenticatedEntities: 1,
        TrackedActionsLastAccessed: [
          {
            ActionName: "ListAllMyBuckets",
            LastAccessedEntity: arn,
            LastAccessedRegion: "us-east-1",
            LastAccessedTime: new Date("2026-11-01T00:00:00Z"),
          },
          { ActionName: "CreateBucket" },
        ],
      },
      { ServiceName: "Amazon EC2", ServiceNamespace: "ec2", TotalAuthenticatedEntities: 0 },
    ]);
    const b = await iam.send(
      new GetServiceLastAccessedDetailsCommand({ JobId, MaxItems: 2, Marker: a.Marker }),
    );
    expect(b.IsTruncated).toBe(false);
    expect(b.ServicesLastAccessed?.map((s) => s.ServiceNamespace)).toEqual(["sqs"]);
    expect(fake!.calls.find((c) => c.action === "GenerateServiceLastAccessedDetails")?.params).toEqual({
      Action: "GenerateServiceLastAccessedDetails",
      Version: "2010-05-08",
      Arn: arn,
      Granularity: "ACTION_LEVEL",
    });
  });

  it("reports a FAILED job", async () => {
    const { iam } = await start(fakeState(ACCT, { user: "u" }), { jobFails: true });
    const { JobId } = await iam.send(
      new GenerateServiceLastAccessedDetailsCommand({ Arn: userArn(ACCT, "u") }),
    );
    const r = await iam.send(new GetServiceLastAccessedDetailsCommand({ JobId }));
    expect([r.JobStatus, r.JobType, r.Error?.Code]).toEqual(["FAILED", "SERVICE_LEVEL", "ServiceFailure"]);
  });

  it("answers access keys and their last use", async () => {
    const { iam } = await start(
      fakeState(
        ACCT,
        { user: "u" },
        {
          users: {
            u: fakeUser({
              accessKeys: [
                {
                  id: "AKIDFAKEKEY1",
                  status: "Active",
                  created: "2025-01-01T00:00:00Z",
                  lastUsed: "2026-11-29T00:00:00Z",
                  lastUsedService: "s3",
                },
                { id: "AKIDFAKEKEY2", status: "Inactive", created: "2025-02-01T00:00:00Z" },
              ],
            }),
          },
        },
      ),
    );
    const k1 = await iam.send(new GetAccessKeyLastUsedCommand({ AccessKeyId: "AKIDFAKEKEY1" }));
    expect(k1.AccessKeyLastUsed).toEqual({
      LastUsedDate: new Date("2026-11-29T00:00:00Z"),
      ServiceName: "s3",
      Region: "us-east-1",
    });
    const k2 = await iam.send(new GetAccessKeyLastUsedCommand({ AccessKeyId: "AKIDFAKEKEY2" }));
    expect(k2.AccessKeyLastUsed).toEqual({ ServiceName: "N/A", Region: "N/A" });
  });

  it("keeps state through writes: versions, the five-version limit, boundaries, delete", async () => {
    const arn = policyArn(ACCT, "Team");
    const state = fakeState(
      ACCT,
      { role: "worker", session: "s1" },
      {
        roles: { worker: fakeRole({ path: "/svc/", attached: [arn] }) },
        policies: {
          [arn]: fakePolicy("Team", [DOC_S3, DOC_EC2, DOC_S3, DOC_EC2, DOC_S3], { defaultVersion: "v5" }),
        },
      },
    );
    const { iam, sts } = await start(state);
    const id = await sts.send(new GetCallerIdentityCommand({}));
    expect(id.Arn).toBe(`arn:aws:sts::${ACCT}:assumed-role/worker/s1`);
    const role = await iam.send(new GetRoleCommand({ RoleName: "worker" }));
    expect(role.Role?.Arn).toBe(roleArn(ACCT, "worker", "/svc/"));

    const full = await iam
      .send(
        new CreatePolicyVersionCommand({
          PolicyArn: arn,
          PolicyDocument: JSON.stringify(DOC_EC2),
          SetAsDefault: true,
        }),
      )
      .catch((e: unknown) => e);
    expect(full).toBeInstanceOf(LimitExceededException);
    expect((full as Error).message).toBe("Cannot exceed quota for PolicyVersionsPerPolicy: 5");

    const del = await iam
      .send(new DeletePolicyVersionCommand({ PolicyArn: arn, VersionId: "v5" }))
      .catch((e: unknown) => e);
    expect((del as { name: string; $metadata: { httpStatusCode: number } }).name).toBe(
      "DeleteConflictException",
    );
    expect((del as { $metadata: { httpStatusCode: number } }).$metadata.httpStatusCode).toBe(409);
    await iam.send(new DeletePolicyVersionCommand({ PolicyArn: arn, VersionId: "v1" }));
    const created = await iam.send(
      new CreatePolicyVersionCommand({
        PolicyArn: arn,
        PolicyDocument: JSON.stringify(DOC_EC2),
        SetAsDefault: true,
      }),
    );
    expect(created.PolicyVersion).toEqual({
      VersionId: "v6",
      IsDefaultVersion: true,
      CreateDate: new Date(FAKE_NOW),
    });
    expect(state.policies[arn]!.defaultVersion).toBe("v6");
    const listed = await iam.send(new ListPolicyVersionsCommand({ PolicyArn: arn }));
    expect(listed.Versions?.map((v) => [v.VersionId, v.IsDefaultVersion])).toEqual([
      ["v6", true],
      ["v5", false],
      ["v4", false],
      ["v3", false],
      ["v2", false],
    ]);
    await iam.send(new SetDefaultPolicyVersionCommand({ PolicyArn: arn, VersionId: "v5" }));
    expect(state.policies[arn]!.defaultVersion).toBe("v5");
    const bad = await iam
      .send(new CreatePolicyCommand({ PolicyName: "Bad", PolicyDocument: "not json" }))
      .catch((e: unknown) => e);
    expect((bad as { name: string }).name).toBe("MalformedPolicyDocumentException");

    const b = await iam.send(
      new CreatePolicyCommand({
        PolicyName: "Scope",
        Path: "/agent-audit/",
        PolicyDocument: JSON.stringify(DOC_S3),
      }),
    );
    const bArn = policyArn(ACCT, "Scope", "/agent-audit/");
    expect([b.Policy?.Arn, b.Policy?.DefaultVersionId]).toEqual([bArn, "v1"]);
    await iam.send(new PutRolePermissionsBoundaryCommand({ RoleName: "worker", PermissionsBoundary: bArn }));
    expect(state.roles.worker!.boundary).toBe(bArn);
    const inUse = await iam.send(new DeletePolicyCommand({ PolicyArn: bArn })).catch((e: unknown) => e);
    expect((inUse as { name: string }).name).toBe("DeleteConflictException");
    await iam.send(new DeleteRolePermissionsBoundaryCommand({ RoleName: "worker" }));
    expect(state.roles.worker!.boundary).toBeUndefined();
    await iam.send(new DeletePolicyCommand({ PolicyArn: bArn }));
    expect(state.policies[bArn]).toBeUndefined();
    const missing = await iam
      .send(new PutUserPermissionsBoundaryCommand({ UserName: "nobody", PermissionsBoundary: arn }))
      .catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(NoSuchEntityException);
    const noUser = await iam
      .send(new DeleteUserPermissionsBoundaryCommand({ UserName: "nobody" }))
      .catch((e: unknown) => e);
    expect(noUser).toBeInstanceOf(NoSuchEntityException);
  });

  it("fails only the n-th call with onCall, the first ones with times", async () => {
    const { iam } = await start(fakeState(ACCT, { user: "u" }), {
      faults: [
        { action: "GetUser", code: "Throttling", onCall: 2, message: "Rate exceeded" },
        { action: "GetRole", code: "ConcurrentModification", times: 1 },
      ],
    });
    const outcome = async (p: Promise<unknown>) =>
      p.then(
        () => "ok",
        (e: { name: string; $metadata?: { httpStatusCode?: number } }) =>
          `${e.name} ${e.$metadata?.httpStatusCode}`,
      );
    expect(await outcome(iam.send(new GetUserCommand({ UserName: "u" })))).toBe("ok");
    expect(await outcome(iam.send(new GetUserCommand({ UserName: "u" })))).toBe("Throttling 400");
    expect(await outcome(iam.send(new GetUserCommand({ UserName: "u" })))).toBe("ok");
    expect(await outcome(iam.send(new GetRoleCommand({ RoleName: "r" })))).toBe(
      "ConcurrentModificationException 409",
    );
    expect(await outcome(iam.send(new GetRoleCommand({ RoleName: "r" })))).toBe("NoSuchEntityException 404");
  });
});

// ---------------------------------------------------------------------------------------------
// gatherLive through the real clients.

/** Options for gatherLive against the running fake: no real waiting, a clock that moves 1 s a call. */
function live(extra: Partial<LiveOptions> = {}): LiveOptions & { slept: number[] } {
  const slept: number[] = [];
  let t = 0;
  return {
    credentials: CREDS,
    region: "us-east-1",
    endpoint: fake!.endpoint,
    sleep: async (ms) => {
      slept.push(ms);
      t += ms;
    },
    now: () => t,
    slept,
    ...extra,
  };
}

const B_DOC = {
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow", Action: ["s3:*", "ec2:*"], Resource: "*" }],
};

function aliceAccount(): FakeAwsState {
  const team = policyArn(ACCT, "TeamS3", "/team/");
  const ro = "arn:aws:iam::aws:policy/ReadOnlyAccess";
  const grp = policyArn(ACCT, "DevsEc2");
  const boundary = policyArn(ACCT, "Boundary");
  const alice = userArn(ACCT, "alice", "/dev/");
  const state = fakeState(
    ACCT,
    { user: "alice" },
    {
      users: {
        alice: fakeUser({
          path: "/dev/",
          created: "2023-05-01T10:00:00Z",
          attached: [team, ro],
          inline: {
            "odd name & <chars>": JSON.stringify({
              Version: "2012-10-17",
              Statement: {
                Sid: "Q",
                Effect: "Allow",
                Action: "sqs:SendMessage",
                Resource: "arn:aws:sqs:us-east-1:123456789012:q+1 %20 100%",
                Condition: { StringEquals: { "aws:RequestedRegion": "us-east-1" } },
              },
            }),
          },
          groups: ["devs"],
          boundary,
          accessKeys: [
            {
              id: "AKIDALICEKEY0001",
              status: "Active",
              created: "2025-01-01T00:00:00Z",
              lastUsed: "2026-11-29T09:00:00Z",
              lastUsedService: "s3",
            },
            { id: "AKIDALICEKEY0002", status: "Inactive", created: "2025-06-01T00:00:00Z" },
          ],
        }),
      },
      groups: {
        devs: fakeGroup({
          attached: [grp],
          inline: {
            "devs-logs": JSON.stringify({
              Statement: [{ Effect: "Deny", NotAction: "logs:*", NotResource: "*" }],
            }),
          },
        }),
      },
      policies: {
        [team]: fakePolicy("TeamS3", [DOC_EC2, DOC_S3], { path: "/team/" }),
        [ro]: fakePolicy("ReadOnlyAccess", DOC_EC2, { defaultVersion: "v1" }),
        [grp]: fakePolicy("DevsEc2", DOC_EC2),
        [boundary]: fakePolicy("Boundary", B_DOC),
      },
      lastAccessed: {
        [alice]: {
          services: [
            {
              namespace: "s3",
              name: "Amazon S3",
              lastAuthenticated: "2026-11-01T00:00:00Z",
              tracked: [
                { action: "ListAllMyBuckets", lastAccessed: "2026-11-01T00:00:00Z" },
                { action: "CreateBucket" },
              ],
            },
            { namespace: "ec2", name: "Amazon EC2" },
            { namespace: "sqs", name: "Amazon SQS", lastAuthenticated: "2026-10-01T00:00:00Z" },
          ],
        },
      },
    },
  );
  return state;
}

describe("gatherLive against the fake", () => {
  it("gathers a user's grants, groups, boundary, keys and an action-level report (2 polls, 2 pages)", async () => {
    fake = await startFakeAws(aliceAccount(), { jobPolls: 2 });
    const o = live({ pageSize: 2 });
    const facts = await gatherLive(o);
    const userVia = { kind: "user", name: "alice" } as const;
    const norm = (d: typeof DOC_EC2) => ({
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Action: [d.Statement.Action], Resource: [d.Statement.Resource] }],
    });
    const s3 = {
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Action: ["s3:GetObject", "s3:ListBucket"], Resource: ["*"] }],
    };
    expect(facts).toEqual({
      principal: {
        arn: "arn:aws:iam::123456789012:user/dev/alice",
        kind: "user",
        name: "alice",
        accountId: ACCT,
        created: "2023-05-01T10:00:00.000Z",
      },
      callerArn: "arn:aws:iam::123456789012:user/alice",
      grants: [
        {
          type: "managed",
          name: "TeamS3",
          arn: "arn:aws:iam::123456789012:policy/team/TeamS3",
          via: userVia,
          versionId: "v2",
          document: s3,
        },
        {
          type: "managed",
          name: "ReadOnlyAccess",
          arn: "arn:aws:iam::aws:policy/ReadOnlyAccess",
          via: userVia,
          versionId: "v1",
          awsManaged: true,
          document: norm(DOC_EC2),
        },
        {
          type: "inline",
          name: "odd name & <chars>",
          via: userVia,
          document: {
            Version: "2012-10-17",
            Statement: [
              {
                Sid: "Q",
                Effect: "Allow",
                Action: ["sqs:SendMessage"],
                Resource: ["arn:aws:sqs:us-east-1:123456789012:q+1 %20 100%"],
                Condition: { StringEquals: { "aws:RequestedRegion": "us-east-1" } },
              },
            ],
          },
        },
        {
          type: "managed",
          name: "DevsEc2",
          arn: "arn:aws:iam::123456789012:policy/DevsEc2",
          via: { kind: "group", name: "devs" },
          versionId: "v1",
          document: norm(DOC_EC2),
        },
        {
          type: "inline",
          name: "devs-logs",
          via: { kind: "group", name: "devs" },
          document: { Statement: [{ Effect: "Deny", NotAction: ["logs:*"], NotResource: ["*"] }] },
        },
      ],
      groups: ["devs"],
      boundary: {
        arn: "arn:aws:iam::123456789012:policy/Boundary",
        versionId: "v1",
        document: {
          Version: "2012-10-17",
          Statement: [{ Effect: "Allow", Action: ["s3:*", "ec2:*"], Resource: ["*"] }],
        },
      },
      accessKeys: [
        {
          id: "AKIDALICEKEY0001",
          status: "Active",
          created: "2025-01-01T00:00:00.000Z",
          lastUsed: "2026-11-29T09:00:00.000Z",
          lastUsedService: "s3",
        },
        {
          id: "AKIDALICEKEY0002",
          status: "Inactive",
          created: "2025-06-01T00:00:00.000Z",
          lastUsedService: "N/A",
        },
      ],
      lastAccessed: {
        granularity: "ACTION_LEVEL",
        completed: FAKE_NOW,
        services: [
          {
            namespace: "s3",
            name: "Amazon S3",
            lastAuthenticated: "2026-11-01T00:00:00.000Z",
            trackedActions: [
              { action: "s3:ListAllMyBuckets", lastAccessed: "2026-11-01T00:00:00.000Z" },
              { action: "s3:CreateBucket" },
            ],
          },
          { namespace: "ec2", name: "Amazon EC2", trackedActions: null },
          {
            namespace: "sqs",
            name: "Amazon SQS",
            lastAuthenticated: "2026-10-01T00:00:00.000Z",
            trackedActions: null,
          },
        ],
      },
      issues: [],
    });
    // Backoff: two IN_PROGRESS answers, two sleeps, doubling.
    expect(o.slept).toEqual([500, 1000]);
    const seen = (a: string) => fake!.calls.filter((c) => c.action === a).map((c) => c.params);
    expect(seen("GenerateServiceLastAccessedDetails")).toEqual([
      {
        Action: "GenerateServiceLastAccessedDetails",
        Version: "2010-05-08",
        Arn: "arn:aws:iam::123456789012:user/dev/alice",
        Granularity: "ACTION_LEVEL",
      },
    ]);
    const polls = seen("GetServiceLastAccessedDetails");
    expect(polls.map((p) => [p.MaxItems, p.Marker === undefined])).toEqual([
      ["2", true],
      ["2", true],
      ["2", true],
      ["2", false],
    ]);
    expect(new Set(fake!.calls.map((c) => c.params.Version))).toEqual(new Set(["2010-05-08", "2011-06-15"]));
    // The two attached policies fit one page of 2: no Marker, no second call.
    expect(seen("ListAttachedUserPolicies").map((p) => p.Marker === undefined)).toEqual([true]);
    // One read of each managed policy, and nothing written.
    expect(seen("GetPolicy").map((p) => p.PolicyArn)).toEqual([
      "arn:aws:iam::123456789012:policy/team/TeamS3",
      "arn:aws:iam::aws:policy/ReadOnlyAccess",
      "arn:aws:iam::123456789012:policy/DevsEc2",
      "arn:aws:iam::123456789012:policy/Boundary",
    ]);
    expect(fake!.calls.filter((c) => /^(Create|Delete|Put|Set)/.test(c.action))).toEqual([]);
  });

  it("pages every list: three attached policies and three groups in pages of two", async () => {
    const arns = ["A", "B", "C"].map((n) => policyArn(ACCT, n));
    fake = await startFakeAws(
      fakeState(
        ACCT,
        { user: "bob" },
        {
          users: {
            bob: fakeUser({
              attached: arns,
              groups: ["g1", "g2", "g3"],
              inline: { i1: "{}", i2: "{}", i3: "{}" },
            }),
          },
          groups: { g1: fakeGroup(), g2: fakeGroup(), g3: fakeGroup({ attached: [arns[0]!] }) },
          policies: Object.fromEntries(arns.map((a, i) => [a, fakePolicy(["A", "B", "C"][i]!, DOC_S3)])),
        },
      ),
    );
    const facts = await gatherLive(live({ pageSize: 2 }));
    expect(facts.grants.map((g) => `${g.via.kind}:${g.via.name}:${g.name}`)).toEqual([
      "user:bob:A",
      "user:bob:B",
      "user:bob:C",
      "group:g3:A",
    ]);
    expect(facts.groups).toEqual(["g1", "g2", "g3"]);
    // The three inline documents `{}` have no Statement: each is an issue, none is a grant.
    expect(facts.issues).toEqual(
      ["i1", "i2", "i3"].map((n) => ({
        where: "iam:GetUserPolicy",
        message: `the inline policy ${n} of the user bob: the document has no Statement; it is left out of the analysis`,
      })),
    );
    const markers = (a: string) =>
      fake!.calls.filter((c) => c.action === a).map((c) => c.params.Marker !== undefined);
    expect(markers("ListAttachedUserPolicies")).toEqual([false, true]);
    expect(markers("ListGroupsForUser")).toEqual([false, true]);
    expect(markers("ListUserPolicies")).toEqual([false, true]);
    // Policy A is read once though attached twice.
    expect(fake!.calls.filter((c) => c.action === "GetPolicy").length).toBe(3);
  });

  it("analyses the role behind an assumed-role session, with its path", async () => {
    const arn = roleArn(ACCT, "worker", "/svc/");
    const pol = policyArn(ACCT, "W");
    fake = await startFakeAws(
      fakeState(
        ACCT,
        { role: "worker", session: "agent-1" },
        {
          roles: {
            worker: fakeRole({
              path: "/svc/",
              created: "2022-02-02T00:00:00Z",
              attached: [pol],
              inline: { w: JSON.stringify(DOC_S3) },
            }),
          },
          policies: { [pol]: fakePolicy("W", DOC_EC2) },
          lastAccessed: {
            [arn]: { services: [{ namespace: "ec2", lastAuthenticated: "2026-11-20T00:00:00Z" }] },
          },
        },
      ),
    );
    const facts = await gatherLive(live());
    expect(facts.principal).toEqual({
      arn,
      kind: "role",
      name: "worker",
      accountId: ACCT,
      created: "2022-02-02T00:00:00.000Z",
    });
    expect(facts.callerArn).toBe(`arn:aws:sts::${ACCT}:assumed-role/worker/agent-1`);
    expect(facts.grants.map((g) => [g.type, g.name, g.via.kind])).toEqual([
      ["managed", "W", "role"],
      ["inline", "w", "role"],
    ]);
    expect(facts.accessKeys).toEqual([]);
    expect(facts.lastAccessed?.services).toEqual([
      { namespace: "ec2", name: "ec2", lastAuthenticated: "2026-11-20T00:00:00.000Z", trackedActions: null },
    ]);
    expect(facts.issues).toEqual([]);
    expect(fake!.calls.find((c) => c.action === "GenerateServiceLastAccessedDetails")?.params.Arn).toBe(arn);
    expect(fake!.calls.find((c) => c.action === "GetRole")?.params).toEqual({
      Action: "GetRole",
      Version: "2010-05-08",
      RoleName: "worker",
    });
    expect(fake!.calls.some((c) => /User|Group|AccessKey/.test(c.action))).toBe(false);
  });

  it("maps a 403 on the principal to AwsAuditError access-denied", async () => {
    fake = await startFakeAws(aliceAccount(), { faults: [{ action: "GetUser", code: "AccessDenied" }] });
    const err = await gatherLive(live()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AwsAuditError);
    expect([(err as AwsAuditError).code, (err as AwsAuditError).message]).toEqual([
      "access-denied",
      "iam:GetUser denied (AccessDenied): the audit needs iam:GetUser on the user alice",
    ]);
  });

  it("maps rejected credentials, and an unreachable endpoint", async () => {
    fake = await startFakeAws(aliceAccount(), {
      faults: [{ action: "GetCallerIdentity", code: "InvalidClientTokenId" }],
    });
    const bad = (await gatherLive(live()).catch((e: unknown) => e)) as AwsAuditError;
    expect([bad.name, bad.code]).toEqual(["AwsAuditError", "invalid-credentials"]);
    const endpoint = fake.endpoint;
    await fake.close();
    fake = undefined;
    const down = (await gatherLive({ credentials: CREDS, endpoint, region: "us-east-1" }).catch(
      (e: unknown) => e,
    )) as AwsAuditError;
    expect([down.code, down.message]).toEqual([
      "network",
      "sts:GetCallerIdentity: AWS could not be reached (ECONNREFUSED); check the network and the endpoint",
    ]);
  });

  it("goes on past denied optional calls and a throttled one (the SDK retried it 3 times)", async () => {
    fake = await startFakeAws(aliceAccount(), {
      faults: [
        { action: "ListAccessKeys", code: "AccessDenied" },
        { action: "ListGroupsForUser", code: "AccessDenied" },
        { action: "GetPolicy", code: "Throttling", onCall: 2 },
        { action: "GetPolicy", code: "Throttling", onCall: 3 },
        { action: "GetPolicy", code: "Throttling", onCall: 4 },
        { action: "GenerateServiceLastAccessedDetails", code: "AccessDenied" },
      ],
    });
    const facts = await gatherLive(live());
    expect(facts.issues).toEqual([
      {
        where: "iam:GetPolicy",
        message:
          "iam:GetPolicy on the policy arn:aws:iam::aws:policy/ReadOnlyAccess was throttled (Throttling) after 3 attempts; run the audit again later",
      },
      {
        where: "iam:ListGroupsForUser",
        message: "iam:ListGroupsForUser denied: the audit needs iam:ListGroupsForUser on the user alice",
      },
      {
        where: "iam:ListAccessKeys",
        message: "iam:ListAccessKeys denied: the audit needs iam:ListAccessKeys on the user alice",
      },
      {
        where: "iam:GenerateServiceLastAccessedDetails",
        message:
          "iam:GenerateServiceLastAccessedDetails denied: the audit needs iam:GenerateServiceLastAccessedDetails on the principal arn:aws:iam::123456789012:user/dev/alice; there is no evidence of use",
      },
    ]);
    expect(facts.grants.map((g) => g.name)).toEqual(["TeamS3", "odd name & <chars>"]);
    expect(facts.groups).toEqual([]);
    expect(facts.accessKeys).toEqual([]);
    expect(facts.lastAccessed).toBeUndefined();
    expect(facts.boundary?.document).toBeDefined();
    expect(fake.calls.filter((c) => c.action === "GetPolicy").length).toBe(5);
  });

  it("never puts a credential value in an issue or an error, even when AWS echoes one", async () => {
    const state = aliceAccount();
    // Names an attacker controls (a policy name) and AWS messages that quote a credential.
    state.users.alice!.inline = { [`p-${CREDS.accessKeyId}`]: "%%not-json" };
    fake = await startFakeAws(state, {
      faults: [
        { action: "ListAccessKeys", code: "AccessDenied", message: `denied for ${CREDS.secretAccessKey}` },
        { action: "GetPolicyVersion", code: "ServiceFailure", status: 500, message: CREDS.sessionToken },
        { action: "GenerateServiceLastAccessedDetails", code: CREDS.secretAccessKey.slice(0, 30) },
      ],
    });
    const facts = await gatherLive(live({ credentials: CREDS }));
    const err = (await gatherLive(
      live({ credentials: CREDS, principalArn: `arn:aws:iam::${ACCT}:user/${CREDS.sessionToken}` }),
    ).catch((e: unknown) => e)) as AwsAuditError;
    expect(err).toBeInstanceOf(AwsAuditError);
    const out = JSON.stringify(facts.issues) + err.message + String(err.stack);
    expect(facts.issues.length).toBeGreaterThanOrEqual(4);
    expect(Object.keys(CREDS)).toEqual(["accessKeyId", "secretAccessKey", "sessionToken"]);
    for (const v of [CREDS.accessKeyId, CREDS.secretAccessKey, CREDS.sessionToken]) {
      expect(out).not.toContain(v);
      expect(out).not.toContain(v.slice(0, 12));
      expect(out).not.toContain(v.slice(-12));
    }
    expect(err.message).toBe("iam:GetUser: the user [redacted] was not found (NoSuchEntity)");
    expect(out).toContain("the inline policy p-[redacted] of the user alice: the document is not valid JSON");
  });
});
