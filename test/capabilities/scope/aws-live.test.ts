import "aws-sdk-client-mock-vitest/extend";
import {
  GenerateServiceLastAccessedDetailsCommand,
  GetAccessKeyLastUsedCommand,
  GetGroupPolicyCommand,
  GetPolicyCommand,
  GetPolicyVersionCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  GetServiceLastAccessedDetailsCommand,
  GetUserCommand,
  GetUserPolicyCommand,
  IAMClient,
  IAMServiceException,
  ListAccessKeysCommand,
  ListAttachedGroupPoliciesCommand,
  ListAttachedRolePoliciesCommand,
  ListAttachedUserPoliciesCommand,
  ListGroupPoliciesCommand,
  ListGroupsForUserCommand,
  ListRolePoliciesCommand,
  ListUserPoliciesCommand,
  NoSuchEntityException,
} from "@aws-sdk/client-iam";
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import {
  AwsAuditError,
  classifyAwsError,
  decodePolicy,
  gatherLive,
  type LiveOptions,
  MAX_DOC_CHARS,
  MAX_LIST_ITEMS,
  MAX_POLICIES,
  normalisePolicy,
  principalOf,
} from "../../../src/capabilities/scope/aws/live.js";

// The logic of scope/aws/live.ts (issue 13) with the SDK clients' `send` replaced
// (aws-sdk-client-mock): which calls, in which order, with which inputs, and what every failure
// becomes. The wire format is tested against the loopback fake in aws-wire.test.ts.

const ACCT = "123456789012";
const USER_ARN = `arn:aws:iam::${ACCT}:user/alice`;
const ROLE_ARN = `arn:aws:iam::${ACCT}:role/ops/worker`;
const CREDS = {
  accessKeyId: "AKIDLIVEUNITKEY00001",
  secretAccessKey: "lIvEuNiTsEcReT/VaLuE+NeVeRpRiNtEd0123456",
  sessionToken: "LiVeUnItSeSsIoNtOkEn0123456789abcdefABCDEF",
};
const T0 = new Date("2026-11-30T12:00:00Z");
const enc = (doc: unknown) => encodeURIComponent(JSON.stringify(doc));
const DOC = { Version: "2012-10-17", Statement: { Effect: "Allow", Action: "s3:GetObject", Resource: "*" } };
const NORM = {
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow", Action: ["s3:GetObject"], Resource: ["*"] }],
};
const P1 = `arn:aws:iam::${ACCT}:policy/P1`;
const BOUNDARY = `arn:aws:iam::${ACCT}:policy/B`;
const GP = `arn:aws:iam::${ACCT}:policy/GP`;

/** An SDK error as the awsQuery deserializer makes it for an unmodeled code. */
function awsError(name: string, status: number, message = "server says no"): Error {
  return new IAMServiceException({
    name,
    $fault: status >= 500 ? "server" : "client",
    $metadata: { httpStatusCode: status },
    message,
  });
}
/** Every call of a command (one of a table's union of command classes) denied. */
function denyAll(cmd: unknown): void {
  iamMock.on(cmd as typeof GetUserCommand).rejects(denied());
}
const denied = () =>
  awsError("AccessDenied", 403, `User ${USER_ARN} is not authorized; key ${CREDS.secretAccessKey}`);

const iam = new IAMClient({ region: "us-east-1", credentials: { ...CREDS } });
const sts = new STSClient({ region: "us-east-1", credentials: { ...CREDS } });
const iamMock = mockClient(iam);
const stsMock = mockClient(sts);

interface Opts extends LiveOptions {
  slept: number[];
}
/** Options with the mocked clients, a sleep that only records, and a clock it advances. */
function opts(extra: Partial<LiveOptions> = {}): Opts {
  const slept: number[] = [];
  let t = 0;
  return {
    credentials: { ...CREDS },
    iam,
    sts,
    sleep: async (ms) => {
      slept.push(ms);
      t += ms;
    },
    now: () => t,
    slept,
    ...extra,
  };
}

/** A user alice with one attached policy, one inline, a group (one of each), a boundary, a key, a report. */
function userWorld(): void {
  stsMock.on(GetCallerIdentityCommand).resolves({ Arn: USER_ARN, Account: ACCT, UserId: "AIDAALICE" });
  iamMock.on(GetUserCommand).resolves({
    User: {
      Path: "/",
      UserName: "alice",
      UserId: "AIDAALICE",
      Arn: USER_ARN,
      CreateDate: new Date("2023-01-02T03:04:05Z"),
      PermissionsBoundary: {
        PermissionsBoundaryType: "PermissionsBoundaryPolicy",
        PermissionsBoundaryArn: BOUNDARY,
      },
    },
  });
  iamMock
    .on(ListAttachedUserPoliciesCommand)
    .resolves({ AttachedPolicies: [{ PolicyName: "P1", PolicyArn: P1 }] });
  iamMock.on(ListUserPoliciesCommand).resolves({ PolicyNames: ["inl"] });
  iamMock
    .on(GetUserPolicyCommand)
    .resolves({ UserName: "alice", PolicyName: "inl", PolicyDocument: enc(DOC) });
  iamMock.on(ListGroupsForUserCommand).resolves({
    Groups: [
      { GroupName: "devs", Path: "/", GroupId: "G", Arn: `arn:aws:iam::${ACCT}:group/devs`, CreateDate: T0 },
    ],
  });
  iamMock
    .on(ListAttachedGroupPoliciesCommand)
    .resolves({ AttachedPolicies: [{ PolicyName: "GP", PolicyArn: GP }] });
  iamMock.on(ListGroupPoliciesCommand).resolves({ PolicyNames: ["gin"] });
  iamMock
    .on(GetGroupPolicyCommand)
    .resolves({ GroupName: "devs", PolicyName: "gin", PolicyDocument: enc(DOC) });
  iamMock.on(GetPolicyCommand).resolves({ Policy: { DefaultVersionId: "v3" } });
  iamMock.on(GetPolicyVersionCommand).resolves({ PolicyVersion: { Document: enc(DOC), VersionId: "v3" } });
  iamMock.on(ListAccessKeysCommand).resolves({
    AccessKeyMetadata: [{ UserName: "alice", AccessKeyId: "AKIDKEY1", Status: "Active", CreateDate: T0 }],
  });
  iamMock.on(GetAccessKeyLastUsedCommand).resolves({
    UserName: "alice",
    AccessKeyLastUsed: { LastUsedDate: T0, ServiceName: "s3", Region: "us-east-1" },
  });
  iamMock.on(GenerateServiceLastAccessedDetailsCommand).resolves({ JobId: "job-1" });
  iamMock.on(GetServiceLastAccessedDetailsCommand).resolves({
    JobStatus: "COMPLETED",
    JobType: "ACTION_LEVEL",
    JobCreationDate: T0,
    JobCompletionDate: T0,
    ServicesLastAccessed: [
      {
        ServiceName: "Amazon S3",
        ServiceNamespace: "s3",
        LastAuthenticated: T0,
        TrackedActionsLastAccessed: [
          { ActionName: "GetBucketPolicy", LastAccessedTime: T0 },
          { ActionName: "s3:PutBucketPolicy" },
        ],
      },
      { ServiceName: "AWS IAM", ServiceNamespace: "iam", TrackedActionsLastAccessed: [] },
    ],
  });
}

const ALICE_FACTS = {
  principal: {
    arn: USER_ARN,
    kind: "user",
    name: "alice",
    accountId: ACCT,
    created: "2023-01-02T03:04:05.000Z",
  },
  callerArn: USER_ARN,
  grants: [
    {
      type: "managed",
      name: "P1",
      arn: P1,
      via: { kind: "user", name: "alice" },
      versionId: "v3",
      document: NORM,
    },
    { type: "inline", name: "inl", via: { kind: "user", name: "alice" }, document: NORM },
    {
      type: "managed",
      name: "GP",
      arn: GP,
      via: { kind: "group", name: "devs" },
      versionId: "v3",
      document: NORM,
    },
    { type: "inline", name: "gin", via: { kind: "group", name: "devs" }, document: NORM },
  ],
  groups: ["devs"],
  boundary: { arn: BOUNDARY, versionId: "v3", document: NORM },
  accessKeys: [
    {
      id: "AKIDKEY1",
      status: "Active",
      created: T0.toISOString(),
      lastUsed: T0.toISOString(),
      lastUsedService: "s3",
    },
  ],
  lastAccessed: {
    granularity: "ACTION_LEVEL",
    completed: T0.toISOString(),
    services: [
      {
        namespace: "s3",
        name: "Amazon S3",
        lastAuthenticated: T0.toISOString(),
        trackedActions: [
          { action: "s3:GetBucketPolicy", lastAccessed: T0.toISOString() },
          { action: "s3:PutBucketPolicy" },
        ],
      },
      { namespace: "iam", name: "AWS IAM", trackedActions: null },
    ],
  },
  issues: [],
};

beforeEach(() => {
  iamMock.reset();
  stsMock.reset();
});

describe("gatherLive: a user", () => {
  it("gathers every part with the right inputs", async () => {
    userWorld();
    const o = opts();
    expect(await gatherLive(o)).toEqual(ALICE_FACTS);
    expect(o.slept).toEqual([]);
    expect(stsMock).toHaveReceivedCommandTimes(GetCallerIdentityCommand, 1);
    expect(iamMock).toHaveReceivedCommandWith(GetUserCommand, { UserName: "alice" });
    expect(iamMock).toHaveReceivedCommandWith(GetUserPolicyCommand, { UserName: "alice", PolicyName: "inl" });
    expect(iamMock).toHaveReceivedCommandWith(GetGroupPolicyCommand, {
      GroupName: "devs",
      PolicyName: "gin",
    });
    expect(iamMock).toHaveReceivedCommandWith(GetPolicyVersionCommand, {
      PolicyArn: BOUNDARY,
      VersionId: "v3",
    });
    expect(iamMock).toHaveReceivedCommandWith(GetAccessKeyLastUsedCommand, { AccessKeyId: "AKIDKEY1" });
    expect(iamMock).toHaveReceivedCommandExactlyOnceWith(GenerateServiceLastAccessedDetailsCommand, {
      Arn: USER_ARN,
      Granularity: "ACTION_LEVEL",
    });
    expect(iamMock).toHaveReceivedCommandWith(GetServiceLastAccessedDetailsCommand, { JobId: "job-1" });
    expect(iamMock).toHaveReceivedCommandTimes(GetPolicyCommand, 3);
    expect(iamMock).not.toHaveReceivedCommand(GetRoleCommand);
  });

  it("analyses the principal given instead of the caller", async () => {
    userWorld();
    stsMock
      .on(GetCallerIdentityCommand)
      .resolves({ Arn: `arn:aws:sts::${ACCT}:assumed-role/admin/s`, Account: ACCT });
    const bob = `arn:aws:iam::${ACCT}:user/team/bob`;
    iamMock.on(GetUserCommand).resolves({
      User: { UserName: "bob", Path: "/team/", UserId: "B", Arn: bob, CreateDate: T0 },
    });
    const facts = await gatherLive(opts({ principalArn: bob }));
    expect(facts.principal).toEqual({
      arn: bob,
      kind: "user",
      name: "bob",
      accountId: ACCT,
      created: T0.toISOString(),
    });
    expect(facts.callerArn).toBe(`arn:aws:sts::${ACCT}:assumed-role/admin/s`);
    expect(facts.boundary).toBeUndefined();
    expect(iamMock).toHaveReceivedCommandWith(GetUserCommand, { UserName: "bob" });
    expect(iamMock).toHaveReceivedCommandWith(GenerateServiceLastAccessedDetailsCommand, { Arn: bob });
  });

  it("keeps an inactive key and a key never used", async () => {
    userWorld();
    iamMock.on(ListAccessKeysCommand).resolves({
      AccessKeyMetadata: [{ AccessKeyId: "AKIDKEY2", Status: "Inactive" }],
    });
    iamMock
      .on(GetAccessKeyLastUsedCommand)
      .resolves({ AccessKeyLastUsed: { ServiceName: "N/A", Region: "N/A" } });
    expect((await gatherLive(opts())).accessKeys).toEqual([
      { id: "AKIDKEY2", status: "Inactive", lastUsedService: "N/A" },
    ]);
  });
});

describe("gatherLive: a role", () => {
  function roleWorld(): void {
    stsMock
      .on(GetCallerIdentityCommand)
      .resolves({ Arn: `arn:aws:sts::${ACCT}:assumed-role/worker/sess-9`, Account: ACCT });
    iamMock.on(GetRoleCommand).resolves({
      Role: {
        Path: "/ops/",
        RoleName: "worker",
        RoleId: "AROAW",
        Arn: ROLE_ARN,
        CreateDate: T0,
        PermissionsBoundary: { PermissionsBoundaryArn: BOUNDARY },
      },
    });
    iamMock.on(ListAttachedRolePoliciesCommand).resolves({
      AttachedPolicies: [
        { PolicyName: "ReadOnlyAccess", PolicyArn: "arn:aws:iam::aws:policy/ReadOnlyAccess" },
      ],
    });
    iamMock.on(ListRolePoliciesCommand).resolves({ PolicyNames: ["ri"] });
    iamMock
      .on(GetRolePolicyCommand)
      .resolves({ RoleName: "worker", PolicyName: "ri", PolicyDocument: enc(DOC) });
    iamMock.on(GetPolicyCommand).resolves({ Policy: { DefaultVersionId: "v7" } });
    iamMock.on(GetPolicyVersionCommand).resolves({ PolicyVersion: { Document: enc(DOC) } });
    iamMock.on(GenerateServiceLastAccessedDetailsCommand).resolves({ JobId: "j" });
    iamMock.on(GetServiceLastAccessedDetailsCommand).resolves({
      JobStatus: "COMPLETED",
      JobType: "SERVICE_LEVEL",
      JobCompletionDate: T0,
      JobCreationDate: T0,
      ServicesLastAccessed: [{ ServiceName: "EC2", ServiceNamespace: "ec2", LastAuthenticated: T0 }],
    });
  }

  it("analyses the role of an assumed-role session, with the ARN GetRole gives (its path)", async () => {
    roleWorld();
    expect(await gatherLive(opts())).toEqual({
      principal: { arn: ROLE_ARN, kind: "role", name: "worker", accountId: ACCT, created: T0.toISOString() },
      callerArn: `arn:aws:sts::${ACCT}:assumed-role/worker/sess-9`,
      grants: [
        {
          type: "managed",
          name: "ReadOnlyAccess",
          arn: "arn:aws:iam::aws:policy/ReadOnlyAccess",
          via: { kind: "role", name: "worker" },
          versionId: "v7",
          awsManaged: true,
          document: NORM,
        },
        { type: "inline", name: "ri", via: { kind: "role", name: "worker" }, document: NORM },
      ],
      groups: [],
      boundary: { arn: BOUNDARY, versionId: "v7", document: NORM },
      accessKeys: [],
      lastAccessed: {
        granularity: "SERVICE_LEVEL",
        completed: T0.toISOString(),
        services: [
          { namespace: "ec2", name: "EC2", lastAuthenticated: T0.toISOString(), trackedActions: null },
        ],
      },
      issues: [],
    });
    expect(iamMock).toHaveReceivedCommandWith(GetRoleCommand, { RoleName: "worker" });
    expect(iamMock).toHaveReceivedCommandWith(GenerateServiceLastAccessedDetailsCommand, { Arn: ROLE_ARN });
    expect(iamMock).not.toHaveReceivedCommand(GetUserCommand);
    expect(iamMock).not.toHaveReceivedCommand(ListAccessKeysCommand);
    expect(iamMock).not.toHaveReceivedCommand(ListGroupsForUserCommand);
  });

  it.each([
    [ListAttachedRolePoliciesCommand, "iam:ListAttachedRolePolicies", "the role worker", ["ri"]],
    [ListRolePoliciesCommand, "iam:ListRolePolicies", "the role worker", ["ReadOnlyAccess"]],
    [GetRolePolicyCommand, "iam:GetRolePolicy", "the role worker (inline policy ri)", ["ReadOnlyAccess"]],
  ] as const)("a denied %s is an issue and the rest is read", async (cmd, action, on, left) => {
    roleWorld();
    denyAll(cmd);
    const facts = await gatherLive(opts());
    expect(facts.issues).toEqual([
      { where: action, message: `${action} denied: the audit needs ${action} on ${on}` },
    ]);
    expect(facts.grants.map((g) => g.name)).toEqual(left);
    expect(facts.lastAccessed?.services.length).toBe(1);
  });
});

describe("gatherLive: fatal errors", () => {
  it.each([
    [
      awsError("AccessDenied", 403),
      "access-denied",
      "sts:GetCallerIdentity denied (AccessDenied): the audit needs sts:GetCallerIdentity on the credentials",
    ],
    [
      awsError("InvalidClientTokenId", 403),
      "invalid-credentials",
      "AWS rejected the credentials at sts:GetCallerIdentity (InvalidClientTokenId): check the access key id, the secret access key and the session token, and that they have not expired",
    ],
    [awsError("ExpiredToken", 400), "invalid-credentials", undefined],
    [
      awsError("Throttling", 400),
      "throttled",
      "sts:GetCallerIdentity was throttled (Throttling) after 3 attempts; run the audit again later",
    ],
    [
      Object.assign(new Error(`connect ECONNREFUSED ${CREDS.secretAccessKey}`), { code: "ECONNREFUSED" }),
      "network",
      "sts:GetCallerIdentity: AWS could not be reached (ECONNREFUSED); check the network and the endpoint",
    ],
    [
      awsError("InternalFailure", 500),
      "other",
      "sts:GetCallerIdentity on the credentials failed (InternalFailure)",
    ],
  ] as const)("GetCallerIdentity failing, case %#", async (err, code, message) => {
    stsMock.on(GetCallerIdentityCommand).rejects(err);
    const e = (await gatherLive(opts()).catch((x: unknown) => x)) as AwsAuditError;
    expect(e).toBeInstanceOf(AwsAuditError);
    expect(e.name).toBe("AwsAuditError");
    expect(e.code).toBe(code);
    if (message) expect(e.message).toBe(message);
    expect(e.message).not.toContain(CREDS.secretAccessKey);
    expect(iamMock.calls()).toEqual([]);
  });

  it.each([
    [
      new NoSuchEntityException({ message: "no", $metadata: { httpStatusCode: 404 } }),
      "not-found",
      "iam:GetUser: the user alice was not found (NoSuchEntityException)",
    ],
    [
      denied(),
      "access-denied",
      "iam:GetUser denied (AccessDenied): the audit needs iam:GetUser on the user alice",
    ],
    [
      awsError("LimitExceeded", 409),
      "limit-exceeded",
      "iam:GetUser on the user alice failed (LimitExceeded)",
    ],
  ] as const)("GetUser failing, case %#", async (err, code, message) => {
    userWorld();
    iamMock.on(GetUserCommand).rejects(err);
    const e = (await gatherLive(opts()).catch((x: unknown) => x)) as AwsAuditError;
    expect([e.code, e.message]).toEqual([code, message]);
    expect(iamMock).toHaveReceivedCommandTimes(GetUserCommand, 1);
    expect(iamMock.calls().length).toBe(1);
  });

  it("GetRole denied for an assumed role", async () => {
    stsMock.on(GetCallerIdentityCommand).resolves({ Arn: `arn:aws:sts::${ACCT}:assumed-role/worker/s` });
    iamMock.on(GetRoleCommand).rejects(denied());
    const e = (await gatherLive(opts()).catch((x: unknown) => x)) as AwsAuditError;
    expect([e.code, e.message]).toEqual([
      "access-denied",
      "iam:GetRole denied (AccessDenied): the audit needs iam:GetRole on the role worker",
    ]);
  });

  it.each([[`arn:aws:iam::${ACCT}:root`], [`arn:aws:sts::${ACCT}:federated-user/bob`], [""]])(
    "refuses a caller that is not a user or a role: %s",
    async (arn) => {
      stsMock.on(GetCallerIdentityCommand).resolves({ Arn: arn || undefined });
      const e = (await gatherLive(opts()).catch((x: unknown) => x)) as AwsAuditError;
      expect(e.code).toBe("other");
      expect(e.message).toBe(
        `the caller is not an IAM user or an assumed role (the root user, a federated user and other principals cannot be analysed): ${arn || "no ARN"}`,
      );
    },
  );

  it("refuses a principalArn that is not a user or a role", async () => {
    userWorld();
    const e = (await gatherLive(opts({ principalArn: `arn:aws:iam::${ACCT}:group/devs` })).catch(
      (x: unknown) => x,
    )) as AwsAuditError;
    expect(e.code).toBe("other");
    expect(e.message).toMatch(/^the principal given is not an IAM user or an assumed role/);
  });
});

describe("gatherLive: optional parts denied are issues, the gathering goes on", () => {
  const A = "the user alice";
  it.each([
    [ListAttachedUserPoliciesCommand, "iam:ListAttachedUserPolicies", A, ["inl", "GP", "gin"]],
    [ListUserPoliciesCommand, "iam:ListUserPolicies", A, ["P1", "GP", "gin"]],
    [GetUserPolicyCommand, "iam:GetUserPolicy", `${A} (inline policy inl)`, ["P1", "GP", "gin"]],
    [ListGroupsForUserCommand, "iam:ListGroupsForUser", A, ["P1", "inl"]],
    [
      ListAttachedGroupPoliciesCommand,
      "iam:ListAttachedGroupPolicies",
      "the group devs",
      ["P1", "inl", "gin"],
    ],
    [ListGroupPoliciesCommand, "iam:ListGroupPolicies", "the group devs", ["P1", "inl", "GP"]],
    [GetGroupPolicyCommand, "iam:GetGroupPolicy", "the group devs (inline policy gin)", ["P1", "inl", "GP"]],
  ] as const)("%s", async (cmd, action, on, left) => {
    userWorld();
    denyAll(cmd);
    const facts = await gatherLive(opts());
    expect(facts.issues).toEqual([
      { where: action, message: `${action} denied: the audit needs ${action} on ${on}` },
    ]);
    expect(facts.grants.map((g) => g.name)).toEqual(left);
    expect(facts.accessKeys.length).toBe(1);
    expect(facts.lastAccessed).toEqual(ALICE_FACTS.lastAccessed);
  });

  it("GetPolicy denied for one policy: that grant is left out, the others stay", async () => {
    userWorld();
    iamMock.on(GetPolicyCommand, { PolicyArn: GP }).rejects(denied());
    const facts = await gatherLive(opts());
    expect(facts.issues).toEqual([
      {
        where: "iam:GetPolicy",
        message: `iam:GetPolicy denied: the audit needs iam:GetPolicy on the policy ${GP}`,
      },
    ]);
    expect(facts.grants.map((g) => g.name)).toEqual(["P1", "inl", "gin"]);
  });

  it("GetPolicyVersion denied: no grant from managed policies, the boundary keeps its ARN and version", async () => {
    userWorld();
    iamMock.on(GetPolicyVersionCommand).rejects(denied());
    const facts = await gatherLive(opts());
    expect(facts.issues.map((i) => i.message)).toEqual(
      [P1, GP, BOUNDARY].map(
        (a) => `iam:GetPolicyVersion denied: the audit needs iam:GetPolicyVersion on the policy ${a}`,
      ),
    );
    expect(facts.grants.map((g) => g.name)).toEqual(["inl", "gin"]);
    expect(facts.boundary).toEqual({ arn: BOUNDARY, versionId: "v3" });
  });

  it("the boundary's GetPolicy denied: the boundary is its ARN alone", async () => {
    userWorld();
    iamMock.on(GetPolicyCommand, { PolicyArn: BOUNDARY }).rejects(denied());
    const facts = await gatherLive(opts());
    expect(facts.boundary).toEqual({ arn: BOUNDARY });
    expect(facts.issues).toEqual([
      {
        where: "iam:GetPolicy",
        message: `iam:GetPolicy denied: the audit needs iam:GetPolicy on the policy ${BOUNDARY}`,
      },
    ]);
  });

  it("a policy with no default version is an issue", async () => {
    userWorld();
    iamMock.on(GetPolicyCommand, { PolicyArn: P1 }).resolves({ Policy: {} });
    const facts = await gatherLive(opts());
    expect(facts.issues).toEqual([
      { where: "iam:GetPolicy", message: `the policy ${P1} has no default version` },
    ]);
    expect(facts.grants.map((g) => g.name)).toEqual(["inl", "GP", "gin"]);
  });

  it("ListAccessKeys denied", async () => {
    userWorld();
    iamMock.on(ListAccessKeysCommand).rejects(denied());
    const facts = await gatherLive(opts());
    expect(facts.accessKeys).toEqual([]);
    expect(facts.issues).toEqual([
      {
        where: "iam:ListAccessKeys",
        message: "iam:ListAccessKeys denied: the audit needs iam:ListAccessKeys on the user alice",
      },
    ]);
    expect(facts.grants.length).toBe(4);
  });

  it("GetAccessKeyLastUsed denied: the key is kept without its last use", async () => {
    userWorld();
    iamMock.on(GetAccessKeyLastUsedCommand).rejects(denied());
    const facts = await gatherLive(opts());
    expect(facts.accessKeys).toEqual([{ id: "AKIDKEY1", status: "Active", created: T0.toISOString() }]);
    expect(facts.issues).toEqual([
      {
        where: "iam:GetAccessKeyLastUsed",
        message:
          "iam:GetAccessKeyLastUsed denied: the audit needs iam:GetAccessKeyLastUsed on the access keys of the user alice",
      },
    ]);
  });

  it.each([
    [GenerateServiceLastAccessedDetailsCommand, "iam:GenerateServiceLastAccessedDetails"],
    [GetServiceLastAccessedDetailsCommand, "iam:GetServiceLastAccessedDetails"],
  ] as const)("%s denied: no lastAccessed", async (cmd, action) => {
    userWorld();
    denyAll(cmd);
    const facts = await gatherLive(opts());
    expect(facts.lastAccessed).toBeUndefined();
    expect(facts.issues).toEqual([
      {
        where: action,
        message: `${action} denied: the audit needs ${action} on the principal ${USER_ARN}; there is no evidence of use`,
      },
    ]);
    expect(facts.grants.length).toBe(4);
  });

  it("a final Throttling of an optional call is an issue", async () => {
    userWorld();
    iamMock.on(ListGroupsForUserCommand).rejects(awsError("Throttling", 400, "Rate exceeded"));
    const facts = await gatherLive(opts());
    expect(facts.issues).toEqual([
      {
        where: "iam:ListGroupsForUser",
        message:
          "iam:ListGroupsForUser on the user alice was throttled (Throttling) after 3 attempts; run the audit again later",
      },
    ]);
  });

  it("a NoSuchEntity on an optional call (a group deleted meanwhile) is an issue", async () => {
    userWorld();
    iamMock
      .on(ListGroupPoliciesCommand)
      .rejects(new NoSuchEntityException({ message: "gone", $metadata: {} }));
    const facts = await gatherLive(opts());
    expect(facts.issues).toEqual([
      {
        where: "iam:ListGroupPolicies",
        message: "iam:ListGroupPolicies: the group devs was not found (NoSuchEntityException)",
      },
    ]);
  });
});

describe("gatherLive: the last-accessed job", () => {
  const inProgress = {
    JobStatus: "IN_PROGRESS" as const,
    JobType: "ACTION_LEVEL" as const,
    JobCreationDate: T0,
    ServicesLastAccessed: [],
  };

  it("polls with backoff until COMPLETED", async () => {
    userWorld();
    const done = {
      ...inProgress,
      JobStatus: "COMPLETED" as const,
      JobCompletionDate: T0,
      ServicesLastAccessed: [{ ServiceNamespace: "sts", ServiceName: "STS" }],
    };
    iamMock
      .on(GetServiceLastAccessedDetailsCommand)
      .resolvesOnce(inProgress)
      .resolvesOnce(inProgress)
      .resolvesOnce(inProgress)
      .resolves(done);
    const o = opts();
    const facts = await gatherLive(o);
    expect(o.slept).toEqual([500, 1000, 2000]);
    expect(facts.lastAccessed).toEqual({
      granularity: "ACTION_LEVEL",
      completed: T0.toISOString(),
      services: [{ namespace: "sts", name: "STS", trackedActions: null }],
    });
    expect(iamMock).toHaveReceivedCommandTimes(GetServiceLastAccessedDetailsCommand, 4);
  });

  it("gives up at the timeout: an issue, no lastAccessed, no real waiting", async () => {
    userWorld();
    iamMock.on(GetServiceLastAccessedDetailsCommand).resolves(inProgress);
    const o = opts({ pollTimeoutMs: 20_000 });
    const facts = await gatherLive(o);
    expect(o.slept).toEqual([500, 1000, 2000, 4000, 5000, 5000, 2500]);
    expect(iamMock).toHaveReceivedCommandTimes(GetServiceLastAccessedDetailsCommand, 8);
    expect(facts.lastAccessed).toBeUndefined();
    expect(facts.issues).toEqual([
      {
        where: "iam:GetServiceLastAccessedDetails",
        message: `the last-accessed report of ${USER_ARN} was not ready after 20 s; there is no evidence of use`,
      },
    ]);
  });

  it("stops polling after a bounded number of polls even when the clock does not move", async () => {
    userWorld();
    iamMock.on(GetServiceLastAccessedDetailsCommand).resolves(inProgress);
    const o = opts({ now: () => 0 });
    const facts = await gatherLive(o);
    expect(iamMock).toHaveReceivedCommandTimes(GetServiceLastAccessedDetailsCommand, 200);
    expect(facts.lastAccessed).toBeUndefined();
    expect(facts.issues.map((i) => i.where)).toEqual(["iam:GetServiceLastAccessedDetails"]);
  });

  it("a FAILED job is an issue naming the error code only", async () => {
    userWorld();
    iamMock.on(GetServiceLastAccessedDetailsCommand).resolves({
      ...inProgress,
      JobStatus: "FAILED",
      JobCompletionDate: T0,
      Error: { Code: "ServiceFailure", Message: `contains ${CREDS.secretAccessKey}` },
    });
    const facts = await gatherLive(opts());
    expect(facts.lastAccessed).toBeUndefined();
    expect(facts.issues).toEqual([
      {
        where: "iam:GetServiceLastAccessedDetails",
        message: `the last-accessed report of ${USER_ARN} failed (ServiceFailure); there is no evidence of use`,
      },
    ]);
  });

  it("no job id is an issue", async () => {
    userWorld();
    iamMock.on(GenerateServiceLastAccessedDetailsCommand).resolves({});
    const facts = await gatherLive(opts());
    expect(facts.lastAccessed).toBeUndefined();
    expect(facts.issues).toEqual([
      {
        where: "iam:GenerateServiceLastAccessedDetails",
        message: "IAM returned no job id; there is no evidence of use",
      },
    ]);
    expect(iamMock).not.toHaveReceivedCommand(GetServiceLastAccessedDetailsCommand);
  });

  it("pages the services with the job's Marker", async () => {
    userWorld();
    const base = { ...inProgress, JobStatus: "COMPLETED" as const, JobCompletionDate: T0 };
    iamMock.on(GetServiceLastAccessedDetailsCommand).resolves({
      ...base,
      ServicesLastAccessed: [{ ServiceNamespace: "s3", ServiceName: "S3" }],
      IsTruncated: true,
      Marker: "m1",
    });
    iamMock.on(GetServiceLastAccessedDetailsCommand, { Marker: "m1" }).resolves({
      ...base,
      ServicesLastAccessed: [{ ServiceNamespace: "ec2", ServiceName: "EC2" }],
      IsTruncated: false,
    });
    const facts = await gatherLive(opts({ pageSize: 1 }));
    expect(facts.lastAccessed?.services.map((s) => s.namespace)).toEqual(["s3", "ec2"]);
    expect(iamMock).toHaveReceivedNthCommandWith(GetServiceLastAccessedDetailsCommand, 1, {
      JobId: "job-1",
      MaxItems: 1,
    });
    expect(iamMock).toHaveReceivedNthCommandWith(GetServiceLastAccessedDetailsCommand, 2, {
      JobId: "job-1",
      Marker: "m1",
      MaxItems: 1,
    });
    expect(facts.issues).toEqual([]);
  });

  it("a report without a completion date uses the audit's clock and says so", async () => {
    userWorld();
    iamMock.on(GetServiceLastAccessedDetailsCommand).resolves({ ...inProgress, JobStatus: "COMPLETED" });
    const facts = await gatherLive(opts({ now: () => Date.parse("2026-12-01T00:00:00Z") }));
    expect(facts.lastAccessed?.completed).toBe("2026-12-01T00:00:00.000Z");
    expect(facts.issues).toEqual([
      {
        where: "iam:GetServiceLastAccessedDetails",
        message: "the last-accessed report has no completion date; the audit's clock is used",
      },
    ]);
  });
});

describe("gatherLive: documents", () => {
  it.each([
    ["%E0%A4%A", "the document's URL encoding is malformed"],
    [encodeURIComponent("{not json"), "the document is not valid JSON"],
    [enc([DOC]), "the document is not a JSON object"],
    [enc({ Version: "2012-10-17" }), "the document has no Statement"],
    [enc({ Statement: [{ Effect: "Maybe", Action: "*" }] }), "statement 1: Effect is not Allow or Deny"],
    [
      enc({ Statement: [DOC.Statement, { Effect: "Allow", Action: 7 }] }),
      "statement 2: Action is not a string or a list of strings",
    ],
    [
      enc({ Statement: [{ Effect: "Allow", Resource: ["a", 1] }] }),
      "statement 1: Resource is not a string or a list of strings",
    ],
    [enc({ Statement: [{ Effect: "Allow", Condition: ["x"] }] }), "statement 1: Condition is not an object"],
    [enc({ Statement: ["x"] }), "statement 1 is not an object"],
    [enc({ Version: 2012, Statement: [] }), "Version is not a string"],
    [enc({ Statement: [{ Effect: "Allow", Sid: 1 }] }), "statement 1: Sid is not a string"],
    ["x".repeat(MAX_DOC_CHARS + 1), `the document is longer than ${MAX_DOC_CHARS} characters`],
    ["%20".repeat(MAX_DOC_CHARS + 1), `the document is longer than ${MAX_DOC_CHARS} characters`],
  ])("an inline document %#: an issue naming the policy, never its text", async (encoded, reason) => {
    userWorld();
    iamMock.on(GetUserPolicyCommand).resolves({ PolicyDocument: encoded });
    const facts = await gatherLive(opts());
    expect(facts.issues).toEqual([
      {
        where: "iam:GetUserPolicy",
        message: `the inline policy inl of the user alice: ${reason}; it is left out of the analysis`,
      },
    ]);
    expect(facts.grants.map((g) => g.name)).toEqual(["P1", "GP", "gin"]);
  });

  it("a malformed managed version is an issue naming the policy and version", async () => {
    userWorld();
    iamMock.on(GetPolicyVersionCommand, { PolicyArn: P1 }).resolves({ PolicyVersion: { Document: "%7B" } });
    const facts = await gatherLive(opts());
    expect(facts.issues).toEqual([
      {
        where: "iam:GetPolicyVersion",
        message: `the policy ${P1} (v3): the document is not valid JSON; it is left out of the analysis`,
      },
    ]);
  });

  it("a document missing from the answer is an issue", async () => {
    userWorld();
    iamMock.on(GetGroupPolicyCommand).resolves({});
    const facts = await gatherLive(opts());
    expect(facts.issues).toEqual([
      {
        where: "iam:GetGroupPolicy",
        message:
          "the inline policy gin of the group devs: IAM returned no document; it is left out of the analysis",
      },
    ]);
  });

  it("normalises Statement and list fields, keeps Condition and Principal", () => {
    expect(
      normalisePolicy({
        Version: "2012-10-17",
        Id: "ignored",
        Statement: {
          Sid: "A",
          Effect: "Deny",
          NotAction: "iam:*",
          NotResource: ["arn:x", "arn:y"],
          Condition: { Bool: { "aws:SecureTransport": "false" } },
          Principal: { AWS: "*" },
          NotPrincipal: "x",
        },
      }),
    ).toEqual({
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "A",
          Effect: "Deny",
          NotAction: ["iam:*"],
          NotResource: ["arn:x", "arn:y"],
          Condition: { Bool: { "aws:SecureTransport": "false" } },
          Principal: { AWS: "*" },
          NotPrincipal: "x",
        },
      ],
    });
    expect(normalisePolicy({ Statement: [] })).toEqual({ Statement: [] });
    expect(decodePolicy("%7B%22Statement%22%3A%5B%5D%7D")).toEqual({ Statement: [] });
    expect(decodePolicy("not%20json")).toEqual({ invalid: "the document is not valid JSON" });
  });
});

describe("gatherLive: pagination and caps", () => {
  it("follows Marker until IsTruncated is false", async () => {
    userWorld();
    iamMock.on(ListUserPoliciesCommand).resolves({ PolicyNames: ["a"], IsTruncated: true, Marker: "m1" });
    iamMock
      .on(ListUserPoliciesCommand, { Marker: "m1" })
      .resolves({ PolicyNames: ["b"], IsTruncated: true, Marker: "m2" });
    iamMock
      .on(ListUserPoliciesCommand, { Marker: "m2" })
      .resolves({ PolicyNames: ["c"], IsTruncated: false });
    const facts = await gatherLive(opts({ pageSize: 1 }));
    expect(
      facts.grants.filter((g) => g.type === "inline" && g.via.kind === "user").map((g) => g.name),
    ).toEqual(["a", "b", "c"]);
    expect(iamMock).toHaveReceivedCommandTimes(ListUserPoliciesCommand, 3);
    expect(iamMock).toHaveReceivedNthCommandWith(ListUserPoliciesCommand, 3, {
      UserName: "alice",
      Marker: "m2",
      MaxItems: 1,
    });
    expect(facts.issues).toEqual([]);
  });

  it("a failing second page keeps the first and says the list is incomplete", async () => {
    userWorld();
    iamMock.on(ListAttachedUserPoliciesCommand).resolves({
      AttachedPolicies: [{ PolicyName: "P1", PolicyArn: P1 }],
      IsTruncated: true,
      Marker: "m1",
    });
    iamMock.on(ListAttachedUserPoliciesCommand, { Marker: "m1" }).rejects(denied());
    const facts = await gatherLive(opts());
    expect(facts.grants.map((g) => g.name)).toEqual(["P1", "inl", "GP", "gin"]);
    expect(facts.issues).toEqual([
      {
        where: "iam:ListAttachedUserPolicies",
        message:
          "iam:ListAttachedUserPolicies denied: the audit needs iam:ListAttachedUserPolicies on the user alice; the list is incomplete",
      },
    ]);
  });

  it.each([
    ["no marker", { IsTruncated: true }],
    ["the same marker again", { IsTruncated: true, Marker: "m1" }],
  ])("a truncated page with %s ends the list with an issue", async (_what, tail) => {
    userWorld();
    iamMock
      .on(ListGroupsForUserCommand)
      .resolves({ Groups: [{ GroupName: "devs" }] as never, IsTruncated: true, Marker: "m1" });
    iamMock
      .on(ListGroupsForUserCommand, { Marker: "m1" })
      .resolves({ Groups: [{ GroupName: "ops" }] as never, ...tail });
    const facts = await gatherLive(opts());
    expect(facts.groups).toEqual(["devs", "ops"]);
    expect(facts.issues).toEqual([
      {
        where: "iam:ListGroupsForUser",
        message:
          "iam:ListGroupsForUser on the user alice: the list says it continues but gives no new marker; it is incomplete",
      },
    ]);
  });

  it(`reads at most ${MAX_LIST_ITEMS} items of a list`, async () => {
    userWorld();
    const keys = Array.from({ length: 600 }, (_, i) => ({
      AccessKeyId: `AKIDK${i}`,
      Status: "Inactive" as const,
    }));
    iamMock.on(ListAccessKeysCommand).resolves({ AccessKeyMetadata: keys, IsTruncated: true, Marker: "m1" });
    iamMock
      .on(ListAccessKeysCommand, { Marker: "m1" })
      .resolves({ AccessKeyMetadata: keys, IsTruncated: false });
    const facts = await gatherLive(opts());
    expect(facts.accessKeys.length).toBe(MAX_LIST_ITEMS);
    expect(facts.issues).toEqual([
      {
        where: "iam:ListAccessKeys",
        message: `iam:ListAccessKeys on the user alice: more than ${MAX_LIST_ITEMS} items; only the first ${MAX_LIST_ITEMS} are read`,
      },
    ]);
  });

  it(`reads at most ${MAX_POLICIES} policy documents`, async () => {
    userWorld();
    const names = Array.from({ length: 600 }, (_, i) => `p${i}`);
    iamMock.on(ListUserPoliciesCommand).resolves({ PolicyNames: names });
    iamMock.on(ListGroupPoliciesCommand).resolves({ PolicyNames: names });
    const facts = await gatherLive(opts());
    // P1 (1) + 600 user inline + GP (1) + 398 group inline = 1000; the boundary is past the cap.
    expect(facts.grants.length).toBe(MAX_POLICIES);
    expect(facts.grants.filter((g) => g.via.kind === "group" && g.type === "inline").length).toBe(398);
    expect(facts.boundary).toEqual({ arn: BOUNDARY });
    expect(facts.issues).toEqual([
      { where: "policies", message: `more than ${MAX_POLICIES} policy documents; the rest are not read` },
    ]);
  });
});

describe("credentials never in a message", () => {
  it("masks a credential in a name and never reads AWS's message", async () => {
    userWorld();
    iamMock.on(ListUserPoliciesCommand).resolves({ PolicyNames: [`x${CREDS.accessKeyId}x`] });
    iamMock
      .on(GetUserPolicyCommand)
      .rejects(awsError("AccessDenied", 403, `${CREDS.sessionToken} ${CREDS.secretAccessKey}`));
    iamMock.on(ListGroupsForUserCommand).rejects(awsError(CREDS.sessionToken, 400));
    const facts = await gatherLive(opts());
    expect(facts.issues).toEqual([
      {
        where: "iam:GetUserPolicy",
        message:
          "iam:GetUserPolicy denied: the audit needs iam:GetUserPolicy on the user alice (inline policy x[redacted]x)",
      },
      // An error name the server chose: a credential in it is masked like any other text.
      {
        where: "iam:ListGroupsForUser",
        message: "iam:ListGroupsForUser on the user alice failed ([redacted])",
      },
    ]);
    const text = JSON.stringify(facts);
    for (const v of Object.values(CREDS)) expect(text).not.toContain(v);
  });
});

describe("helpers", () => {
  it.each([
    [awsError("AccessDenied", 403), "access-denied", "AccessDenied"],
    [awsError("AccessDeniedException", 400), "access-denied", "AccessDeniedException"],
    [awsError("Weird", 403), "access-denied", "Weird"],
    [awsError("SignatureDoesNotMatch", 403), "invalid-credentials", "SignatureDoesNotMatch"],
    [awsError("ThrottlingException", 400), "throttled", "ThrottlingException"],
    [awsError("Weird", 429), "throttled", "Weird"],
    [new NoSuchEntityException({ message: "", $metadata: {} }), "not-found", "NoSuchEntityException"],
    [awsError("Weird", 404), "not-found", "Weird"],
    [awsError("LimitExceededException", 409), "limit-exceeded", "LimitExceededException"],
    [Object.assign(new Error("x"), { name: "TimeoutError" }), "network", "TimeoutError"],
    [Object.assign(new Error("x"), { code: "ENOTFOUND" }), "network", "ENOTFOUND"],
    [awsError("has spaces in it", 400), "other", "UnknownError"],
    [undefined, "other", "UnknownError"],
  ])("classifyAwsError %#", (err, code, token) => {
    expect(classifyAwsError(err)).toEqual({ code, token });
  });

  it.each([
    [`arn:aws:iam::${ACCT}:user/alice`, { kind: "user", name: "alice", accountId: ACCT }],
    [`arn:aws:iam::${ACCT}:user/a/b/carol`, { kind: "user", name: "carol", accountId: ACCT }],
    [`arn:aws-cn:iam::${ACCT}:role/svc/r`, { kind: "role", name: "r", accountId: ACCT }],
    [`arn:aws:sts::${ACCT}:assumed-role/r/session@x.com`, { kind: "role", name: "r", accountId: ACCT }],
    [`arn:aws:iam::${ACCT}:root`, undefined],
    [`arn:aws:iam::${ACCT}:group/g`, undefined],
    [`arn:aws:sts::${ACCT}:federated-user/f`, undefined],
    ["arn:aws:iam::12:user/short-account", undefined],
  ])("principalOf %s", (arn, want) => {
    expect(principalOf(arn)).toEqual(want);
  });
});
