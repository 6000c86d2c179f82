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
import { afterEach, describe, expect, it } from "vitest";
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
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

async function start(
  state: FakeAwsState,
  opts?: FakeAwsOptions,
): Promise<{ iam: IAMClient; sts: STSClient }> {
  fake = await startFakeAws(state, opts);
  const cfg = { region: "us-east-1", endpoint: fake.endpoint, credentials: CREDS, maxAttempts: 1 };
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
      PermissionsBoundaryType: "Policy",
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
