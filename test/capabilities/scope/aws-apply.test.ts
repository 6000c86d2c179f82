import {
  ConcurrentModificationException,
  CreatePolicyCommand,
  CreatePolicyVersionCommand,
  DeletePolicyCommand,
  DeletePolicyVersionCommand,
  DeleteRolePermissionsBoundaryCommand,
  DeleteUserPermissionsBoundaryCommand,
  EntityAlreadyExistsException,
  GetPolicyVersionCommand,
  GetRoleCommand,
  GetUserCommand,
  IAMClient,
  IAMServiceException,
  LimitExceededException,
  ListPolicyVersionsCommand,
  NoSuchEntityException,
  PutRolePermissionsBoundaryCommand,
  PutUserPermissionsBoundaryCommand,
  SetDefaultPolicyVersionCommand,
} from "@aws-sdk/client-iam";
import { mockClient } from "aws-sdk-client-mock";
import "aws-sdk-client-mock-vitest/extend";
import { beforeEach, describe, expect, it } from "vitest";
import {
  ApplyFailedError,
  type ApplyManifest,
  ApplyRefusedError,
  type ApplyTarget,
  applyPlan,
  describeAwsError,
  ManifestError,
  parseManifest,
  planCalls,
  rollbackManifest,
} from "../../../src/capabilities/scope/aws/apply.js";
import type { ApiCall, Plan, PolicyDocument, Principal } from "../../../src/capabilities/scope/aws/types.js";

// Issue 13: `creds aws --apply` and `--rollback`, with the IAM client's send mocked
// (aws-sdk-client-mock). The loopback wire tests are aws-apply-wire.test.ts.

const ACCOUNT = "123456789012";
const NOW = Date.UTC(2026, 11, 1, 10, 0, 0);
const CREATED_AT = "2026-12-01T10:00:00.000Z";
const USER: Principal = {
  arn: `arn:aws:iam::${ACCOUNT}:user/agent`,
  kind: "user",
  name: "agent",
  accountId: ACCOUNT,
};
const ROLE: Principal = {
  arn: `arn:aws:iam::${ACCOUNT}:role/ci/deployer`,
  kind: "role",
  name: "deployer",
  accountId: ACCOUNT,
};
const AFTER: PolicyDocument = {
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow", Action: ["s3:GetObject"], Resource: ["arn:aws:s3:::bucket/*"] }],
};
const AFTER_TEXT = JSON.stringify(AFTER);
const USER_BOUNDARY = `arn:aws:iam::${ACCOUNT}:policy/agent-audit/agent-audit-boundary-agent`;
const ROLE_BOUNDARY = `arn:aws:iam::${ACCOUNT}:policy/agent-audit/agent-audit-boundary-deployer`;
const PREVIOUS = `arn:aws:iam::${ACCOUNT}:policy/old-boundary`;
const POLICY = `arn:aws:iam::${ACCOUNT}:policy/agent-policy`;
const USER_DESCRIPTION = `agent-audit permissions boundary for ${USER.arn}: the least-privilege plan of 2026-11-30T00:00:00.000Z (90-day window)`;
/** Made-up secret-looking values an AWS error message could echo: never to be shown. */
const FAKE_KEY_ID = "AKIAZZZZEXAMPLE7QQQQ";
const FAKE_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzzEXAMPLEKEY";

function plan(principal: Principal, over: Partial<Plan> = {}): Plan {
  return {
    principal: principal.arn,
    before: [{ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: ["*"], Resource: ["*"] }] }],
    after: AFTER,
    removed: ["ec2"],
    kept: ["s3:GetObject"],
    unknown: [],
    sizeChars: 88,
    maxChars: 6144,
    fits: true,
    windowDays: 90,
    reference: "2026-11-30T00:00:00.000Z",
    decisions: [],
    notes: [],
    ...over,
  };
}

const boundaryTarget = (p: Principal = USER, over: Partial<ApplyTarget> = {}): ApplyTarget => ({
  mode: "boundary",
  principal: p,
  plan: plan(p),
  ...over,
});
const versionTarget = (over: Partial<ApplyTarget> = {}): ApplyTarget => ({
  mode: "policy-version",
  principal: USER,
  plan: plan(USER),
  policyArn: POLICY,
  ...over,
});

const createPolicy = (name = "agent-audit-boundary-agent", description = USER_DESCRIPTION): ApiCall => ({
  action: "CreatePolicy",
  params: { PolicyName: name, Path: "/agent-audit/", PolicyDocument: AFTER_TEXT, Description: description },
});
const createVersion: ApiCall = {
  action: "CreatePolicyVersion",
  params: { PolicyArn: POLICY, PolicyDocument: AFTER_TEXT, SetAsDefault: true },
};
const listVersions: ApiCall = { action: "ListPolicyVersions", params: { PolicyArn: POLICY } };
const versionCall = (action: string, id: string): ApiCall => ({
  action,
  params: { PolicyArn: POLICY, VersionId: id },
});
const ok = (c: ApiCall) => ({ ...c, ok: true });
const failed = (c: ApiCall, error: string) => ({ ...c, ok: false, error });

const versions = (n: number, defaultId: string) =>
  Array.from({ length: n }, (_, i) => ({ id: `v${i + 1}`, isDefault: `v${i + 1}` === defaultId }));
/** ListPolicyVersions' answer: newest first, as IAM lists them. */
const listed = (n: number, defaultId: string) => ({
  Versions: versions(n, defaultId)
    .reverse()
    .map((v) => ({ VersionId: v.id, IsDefaultVersion: v.isDefault, CreateDate: new Date(NOW) })),
  IsTruncated: false,
});

/** An unmodelled IAM error (AccessDenied, Throttling) as the SDK builds it from the wire. */
function awsError(code: string, status: number, message = `User: ${USER.arn} is not authorized`) {
  return new IAMServiceException({
    name: code,
    $fault: "client",
    $metadata: { httpStatusCode: status },
    message,
  });
}
const denied = () => awsError("AccessDenied", 403, `denied for ${FAKE_KEY_ID} ${FAKE_SECRET}`);

const iamMock = mockClient(IAMClient);
const iam = new IAMClient({
  region: "us-east-1",
  endpoint: "http://127.0.0.1:9",
  credentials: { accessKeyId: "AKIAFAKEFAKEFAKEFAKE", secretAccessKey: "fake" },
  maxAttempts: 1,
});

/** Every command sent, in order, as ApiCalls. */
function sent(): ApiCall[] {
  return iamMock.calls().map((c) => {
    const cmd = c.args[0] as unknown as { constructor: { name: string }; input: ApiCall["params"] };
    return { action: cmd.constructor.name.replace(/Command$/, ""), params: cmd.input };
  });
}

/** A manifest writer keeping every version written. */
function recorder() {
  const written: ApplyManifest[] = [];
  return { written, writeManifest: async (m: ApplyManifest) => void written.push(m), now: () => NOW };
}

async function failure(p: Promise<unknown>): Promise<ApplyFailedError> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(ApplyFailedError);
  return e as ApplyFailedError;
}

beforeEach(() => {
  iamMock.reset();
});

describe("planCalls: the exact calls of a dry run", () => {
  it("boundary for a user without a previous boundary", () => {
    expect(planCalls(boundaryTarget(), {})).toEqual([
      { action: "GetUser", params: { UserName: "agent" } },
      createPolicy(),
      {
        action: "PutUserPermissionsBoundary",
        params: { UserName: "agent", PermissionsBoundary: USER_BOUNDARY },
      },
    ]);
  });

  it("boundary for a user with a previous boundary: the same calls (Put replaces it; the manifest keeps it)", () => {
    expect(planCalls(boundaryTarget(USER, { currentBoundaryArn: PREVIOUS }), {})).toEqual(
      planCalls(boundaryTarget(), {}),
    );
  });

  it("boundary for a role (with a path), with a chosen policy name", () => {
    const t = boundaryTarget(ROLE, { currentBoundaryArn: PREVIOUS, boundaryPolicyName: "narrow-deployer" });
    expect(planCalls(t, {})).toEqual([
      { action: "GetRole", params: { RoleName: "deployer" } },
      createPolicy(
        "narrow-deployer",
        `agent-audit permissions boundary for ${ROLE.arn}: the least-privilege plan of 2026-11-30T00:00:00.000Z (90-day window)`,
      ),
      {
        action: "PutRolePermissionsBoundary",
        params: {
          RoleName: "deployer",
          PermissionsBoundary: `arn:aws:iam::${ACCOUNT}:policy/agent-audit/narrow-deployer`,
        },
      },
    ]);
  });

  it("boundary in another partition keeps the partition in the policy ARN", () => {
    const p: Principal = { ...USER, arn: `arn:aws-cn:iam::${ACCOUNT}:user/agent` };
    expect(planCalls(boundaryTarget(p), {})[2]).toEqual({
      action: "PutUserPermissionsBoundary",
      params: {
        UserName: "agent",
        PermissionsBoundary: `arn:aws-cn:iam::${ACCOUNT}:policy/agent-audit/agent-audit-boundary-agent`,
      },
    });
  });

  it("policy version with 3 versions: list, then create as default", () => {
    expect(planCalls(versionTarget(), { versions: versions(3, "v3") })).toEqual([
      listVersions,
      createVersion,
    ]);
  });

  it("policy version with 5 versions: the oldest non-default is read and deleted first", () => {
    expect(planCalls(versionTarget(), { versions: versions(5, "v5") })).toEqual([
      listVersions,
      versionCall("GetPolicyVersion", "v1"),
      versionCall("DeletePolicyVersion", "v1"),
      createVersion,
    ]);
    // The default is never the one deleted, even when it is the oldest.
    expect(planCalls(versionTarget(), { versions: versions(5, "v1") })).toEqual([
      listVersions,
      versionCall("GetPolicyVersion", "v2"),
      versionCall("DeletePolicyVersion", "v2"),
      createVersion,
    ]);
    // Version ids compare as numbers (v10 is newer than v9), whatever the listing order.
    const ids = [
      { id: "v12", isDefault: false },
      { id: "v10", isDefault: true },
      { id: "v9", isDefault: false },
      { id: "v11", isDefault: false },
      { id: "v13", isDefault: false },
    ];
    expect(planCalls(versionTarget(), { versions: ids })[2]).toEqual(
      versionCall("DeletePolicyVersion", "v9"),
    );
  });

  it("policy version needs the listed versions", () => {
    expect(() => planCalls(versionTarget(), {})).toThrow(
      "planCalls: policy-version mode needs the policy's versions",
    );
  });
});

describe("refusals (before any call)", () => {
  const cases: [string, ApplyTarget, string][] = [
    [
      "a plan that does not fit",
      boundaryTarget(USER, { plan: plan(USER, { fits: false, sizeChars: 7000 }) }),
      "refused: the plan's policy is 7000 characters, over IAM's limit of 6144; nothing was changed",
    ],
    [
      "a plan for another principal",
      boundaryTarget(ROLE, { plan: plan(USER) }),
      `refused: the plan is for ${USER.arn}, not for ${ROLE.arn}; nothing was changed`,
    ],
    [
      "policy-version mode without a policy ARN",
      versionTarget({ policyArn: undefined }),
      "refused: policy-version mode needs the ARN of the customer-managed policy to give a new version",
    ],
    [
      "an AWS-managed policy",
      versionTarget({ policyArn: "arn:aws:iam::aws:policy/AdministratorAccess" }),
      "refused: arn:aws:iam::aws:policy/AdministratorAccess is AWS-managed and cannot be given a new version; apply as a permissions boundary instead",
    ],
    [
      "a policy ARN that is not one",
      versionTarget({ policyArn: "arn:aws:s3:::bucket" }),
      "refused: the policy ARN is not a customer-managed IAM policy ARN",
    ],
    [
      "agent-audit's boundary already in place",
      boundaryTarget(USER, { currentBoundaryArn: USER_BOUNDARY }),
      `refused: ${USER.arn} already has agent-audit's boundary ${USER_BOUNDARY}; roll back the earlier apply first (--rollback MANIFEST); nothing was changed`,
    ],
    [
      "a principal whose name is not its ARN's",
      boundaryTarget({ ...USER, name: "other" }),
      `refused: the principal ${USER.arn} is not an IAM user named other in account ${ACCOUNT}; nothing was changed`,
    ],
    [
      "a boundary policy name IAM would refuse",
      boundaryTarget(USER, { boundaryPolicyName: "a b" }),
      "refused: the boundary policy name must be 1-128 characters of letters, digits and +=,.@_-",
    ],
  ];
  it.each(cases)("%s", async (_, t, message) => {
    expect(() => planCalls(t, { versions: versions(3, "v3") })).toThrow(new ApplyRefusedError(message));
    const r = recorder();
    await expect(applyPlan(iam, t, r)).rejects.toThrow(new ApplyRefusedError(message));
    expect(sent()).toEqual([]);
    expect(r.written).toEqual([]);
  });
});

describe("applyPlan: boundary", () => {
  it("a user without a boundary: manifest before the first change and after every call", async () => {
    iamMock.on(GetUserCommand).resolves({ User: { UserName: "agent" } as never });
    iamMock.on(CreatePolicyCommand).resolves({ Policy: { Arn: USER_BOUNDARY } });
    iamMock.on(PutUserPermissionsBoundaryCommand).resolves({});
    const r = recorder();
    const m = await applyPlan(iam, boundaryTarget(), r);

    const calls = planCalls(boundaryTarget(), {});
    expect(sent()).toEqual(calls);
    expect(iamMock).toHaveReceivedCommandExactlyOnceWith(PutUserPermissionsBoundaryCommand, {
      UserName: "agent",
      PermissionsBoundary: USER_BOUNDARY,
    });
    const head = {
      kind: "agent-audit-aws-apply",
      version: 1,
      createdAt: CREATED_AT,
      mode: "boundary",
      principal: { arn: USER.arn, kind: "user", name: "agent" },
    };
    expect(r.written).toEqual([
      {
        ...head,
        boundary: { previousArn: null, policyArn: USER_BOUNDARY, createdPolicy: false },
        calls: [ok(calls[0]!)],
        completed: false,
      },
      {
        ...head,
        boundary: { previousArn: null, policyArn: USER_BOUNDARY, createdPolicy: true },
        calls: [ok(calls[0]!), ok(calls[1]!)],
        completed: false,
      },
      {
        ...head,
        boundary: { previousArn: null, policyArn: USER_BOUNDARY, createdPolicy: true },
        calls: calls.map(ok),
        completed: true,
      },
    ]);
    expect(m).toEqual(r.written[2]);
    expect(parseManifest(JSON.stringify(m))).toEqual(m);
  });

  it("a role with a previous boundary: the previous ARN is kept", async () => {
    iamMock.on(GetRoleCommand).resolves({
      Role: { RoleName: "deployer", PermissionsBoundary: { PermissionsBoundaryArn: PREVIOUS } } as never,
    });
    iamMock.on(CreatePolicyCommand).resolves({ Policy: { Arn: ROLE_BOUNDARY } });
    iamMock.on(PutRolePermissionsBoundaryCommand).resolves({});
    const t = boundaryTarget(ROLE, { currentBoundaryArn: PREVIOUS });
    const r = recorder();
    const m = await applyPlan(iam, t, r);
    expect(sent()).toEqual(planCalls(t, {}));
    expect(m.boundary).toEqual({ previousArn: PREVIOUS, policyArn: ROLE_BOUNDARY, createdPolicy: true });
    expect(m.principal).toEqual({ arn: ROLE.arn, kind: "role", name: "deployer" });
    expect(m.completed).toBe(true);
    expect(r.written.map((w) => w.boundary?.previousArn)).toEqual([PREVIOUS, PREVIOUS, PREVIOUS]);
  });

  it("a boundary changed since the facts were read: stops before any change, no manifest", async () => {
    iamMock.on(GetUserCommand).resolves({
      User: { UserName: "agent", PermissionsBoundary: { PermissionsBoundaryArn: PREVIOUS } } as never,
    });
    const r = recorder();
    const e = await failure(applyPlan(iam, boundaryTarget(), r));
    expect(e.message).toBe(
      `apply stopped before changing anything: the permissions boundary of ${USER.arn} is ${PREVIOUS}, not none as when the facts were read; read them again. Nothing was changed and no manifest was written`,
    );
    expect(e.manifest).toBeUndefined();
    expect(e.changed).toBe(false);
    expect(sent()).toEqual([{ action: "GetUser", params: { UserName: "agent" } }]);
    expect(r.written).toEqual([]);
  });
});

describe("applyPlan: policy version", () => {
  it("3 versions: a new default, the previous default kept", async () => {
    iamMock.on(ListPolicyVersionsCommand).resolves(listed(3, "v2"));
    iamMock
      .on(CreatePolicyVersionCommand)
      .resolves({ PolicyVersion: { VersionId: "v4", IsDefaultVersion: true } });
    const r = recorder();
    const m = await applyPlan(iam, versionTarget(), r);
    expect(sent()).toEqual([listVersions, createVersion]);
    expect(m).toEqual({
      kind: "agent-audit-aws-apply",
      version: 1,
      createdAt: CREATED_AT,
      mode: "policy-version",
      principal: { arn: USER.arn, kind: "user", name: "agent" },
      policyVersion: { policyArn: POLICY, previousDefault: "v2", newVersion: "v4" },
      calls: [ok(listVersions), ok(createVersion)],
      completed: true,
    });
    expect(r.written.map((w) => [w.calls.length, w.policyVersion?.newVersion, w.completed])).toEqual([
      [1, null, false],
      [2, "v4", true],
    ]);
  });

  it("5 versions: the oldest non-default is deleted, its document (URL-decoded) kept first", async () => {
    const oldDoc = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}';
    iamMock.on(ListPolicyVersionsCommand).resolves(listed(5, "v5"));
    iamMock
      .on(GetPolicyVersionCommand)
      .resolves({ PolicyVersion: { VersionId: "v1", Document: encodeURIComponent(oldDoc) } });
    iamMock.on(DeletePolicyVersionCommand).resolves({});
    iamMock.on(CreatePolicyVersionCommand).resolves({ PolicyVersion: { VersionId: "v6" } });
    const r = recorder();
    const m = await applyPlan(iam, versionTarget(), r);
    const calls = planCalls(versionTarget(), { versions: versions(5, "v5") });
    expect(sent()).toEqual(calls);
    expect(iamMock).toHaveReceivedNthCommandWith(DeletePolicyVersionCommand, 1, {
      PolicyArn: POLICY,
      VersionId: "v1",
    });
    const deleted = { versionId: "v1", document: oldDoc };
    const note = `version v1 of ${POLICY} was deleted to stay within IAM's 5 versions; it cannot be restored under its id; its document is kept in this manifest`;
    expect(m.policyVersion).toEqual({ policyArn: POLICY, previousDefault: "v5", newVersion: "v6", deleted });
    expect(m.notes).toEqual([note]);
    expect(m.calls).toEqual(calls.map(ok));
    // Written before the delete (with the document), after it, and at the end.
    expect(r.written.map((w) => [w.calls.length, w.policyVersion?.deleted, w.completed])).toEqual([
      [2, deleted, false],
      [3, deleted, false],
      [4, deleted, true],
    ]);
  });
});

describe("applyPlan: AWS errors", () => {
  const GET_USER: ApiCall = { action: "GetUser", params: { UserName: "agent" } };
  const PUT: ApiCall = {
    action: "PutUserPermissionsBoundary",
    params: { UserName: "agent", PermissionsBoundary: USER_BOUNDARY },
  };
  const DELETE_POLICY: ApiCall = { action: "DeletePolicy", params: { PolicyArn: USER_BOUNDARY } };
  const boundaryOk = () => {
    iamMock.on(GetUserCommand).resolves({ User: { UserName: "agent" } as never });
    iamMock.on(CreatePolicyCommand).resolves({ Policy: { Arn: USER_BOUNDARY } });
    iamMock.on(PutUserPermissionsBoundaryCommand).resolves({});
    iamMock.on(DeletePolicyCommand).resolves({});
  };
  const versionOk = () => {
    iamMock.on(ListPolicyVersionsCommand).resolves(listed(5, "v5"));
    iamMock.on(GetPolicyVersionCommand).resolves({ PolicyVersion: { VersionId: "v1", Document: "%7B%7D" } });
    iamMock.on(DeletePolicyVersionCommand).resolves({});
    iamMock.on(CreatePolicyVersionCommand).resolves({ PolicyVersion: { VersionId: "v6" } });
  };

  it("access denied on GetUser: nothing changed, no manifest", async () => {
    boundaryOk();
    iamMock.on(GetUserCommand).rejects(denied());
    const r = recorder();
    const e = await failure(applyPlan(iam, boundaryTarget(), r));
    expect(e.message).toBe(
      "apply stopped before changing anything: access denied: the audit needs iam:GetUser on user agent; nothing was changed and no manifest was written",
    );
    expect([e.manifest, e.changed, r.written]).toEqual([undefined, false, []]);
    expect(sent()).toEqual([GET_USER]);
  });

  it("access denied on CreatePolicy: nothing to undo, the manifest says so", async () => {
    boundaryOk();
    iamMock.on(CreatePolicyCommand).rejects(denied());
    const r = recorder();
    const e = await failure(applyPlan(iam, boundaryTarget(), r));
    const error = "access denied: the audit needs iam:CreatePolicy on policy agent-audit-boundary-agent";
    expect(e.message).toBe(
      `apply failed: ${error}. Nothing had been changed. The manifest records every call and its result.`,
    );
    expect(e.changed).toBe(false);
    expect(sent()).toEqual([GET_USER, createPolicy()]);
    expect(r.written.at(-1)).toEqual({
      kind: "agent-audit-aws-apply",
      version: 1,
      createdAt: CREATED_AT,
      mode: "boundary",
      principal: { arn: USER.arn, kind: "user", name: "agent" },
      boundary: { previousArn: null, policyArn: USER_BOUNDARY, createdPolicy: false },
      calls: [ok(GET_USER), failed(createPolicy(), error)],
      completed: false,
      undone: true,
    });
    expect(e.manifest).toEqual(r.written.at(-1));
    expect(r.written).toHaveLength(2);
  });

  it("access denied on PutUserPermissionsBoundary: halfway, the created policy is deleted", async () => {
    boundaryOk();
    iamMock.on(PutUserPermissionsBoundaryCommand).rejects(denied());
    const r = recorder();
    const e = await failure(applyPlan(iam, boundaryTarget(), r));
    const error = "access denied: the audit needs iam:PutUserPermissionsBoundary on user agent";
    expect(e.message).toBe(
      `apply failed: ${error}. The changes already made were undone. The manifest records every call and its result.`,
    );
    expect(e.changed).toBe(false);
    expect(sent()).toEqual([GET_USER, createPolicy(), PUT, DELETE_POLICY]);
    expect(e.manifest?.calls).toEqual([
      ok(GET_USER),
      ok(createPolicy()),
      failed(PUT, error),
      ok(DELETE_POLICY),
    ]);
    expect([e.manifest?.completed, e.manifest?.undone]).toEqual([false, true]);
    expect(r.written.at(-1)).toEqual(e.manifest);
  });

  it("a role: PutRolePermissionsBoundary denied names its permission", async () => {
    iamMock.on(GetRoleCommand).resolves({ Role: { RoleName: "deployer" } as never });
    iamMock.on(CreatePolicyCommand).resolves({});
    iamMock.on(PutRolePermissionsBoundaryCommand).rejects(denied());
    iamMock.on(DeletePolicyCommand).resolves({});
    const e = await failure(applyPlan(iam, boundaryTarget(ROLE), recorder()));
    expect(e.message).toBe(
      "apply failed: access denied: the audit needs iam:PutRolePermissionsBoundary on role deployer. The changes already made were undone. The manifest records every call and its result.",
    );
    expect(iamMock).toHaveReceivedCommandExactlyOnceWith(DeletePolicyCommand, { PolicyArn: ROLE_BOUNDARY });
  });

  it("failure halfway with the undo failing too: undone false, rollback named", async () => {
    boundaryOk();
    iamMock.on(PutUserPermissionsBoundaryCommand).rejects(awsError("Throttling", 400));
    iamMock.on(DeletePolicyCommand).rejects(denied());
    const r = recorder();
    const e = await failure(applyPlan(iam, boundaryTarget(), r));
    const putError = "throttled by AWS (iam:PutUserPermissionsBoundary); wait a minute and try again";
    const delError = `access denied: the audit needs iam:DeletePolicy on ${USER_BOUNDARY}`;
    expect(e.message).toBe(
      `apply failed: ${putError}. Undoing the changes already made failed too: ${delError}. Fix that, then run \`agent-audit creds aws --rollback MANIFEST\` with the manifest written. The manifest records every call and its result.`,
    );
    expect(e.changed).toBe(true);
    expect(e.manifest?.calls).toEqual([
      ok(GET_USER),
      ok(createPolicy()),
      failed(PUT, putError),
      failed(DELETE_POLICY, delError),
    ]);
    expect([e.manifest?.completed, e.manifest?.undone]).toEqual([false, false]);

    // The manifest left behind rolls back once the permission is there.
    iamMock.reset();
    iamMock.on(GetUserCommand).resolves({ User: { UserName: "agent" } as never });
    iamMock.on(DeletePolicyCommand).resolves({});
    const rb = await rollbackManifest(iam, parseManifest(JSON.stringify(r.written.at(-1))));
    expect(rb).toEqual({
      calls: [ok(GET_USER), ok(DELETE_POLICY)],
      ok: true,
      notes: [`the boundary of ${USER.arn} is already none`, `${USER.arn} has no permissions boundary again`],
    });
  });

  it("an undo that restores a previous boundary runs before the policy is deleted", async () => {
    iamMock.on(GetUserCommand).resolves({
      User: { UserName: "agent", PermissionsBoundary: { PermissionsBoundaryArn: PREVIOUS } } as never,
    });
    iamMock.on(CreatePolicyCommand).resolves({});
    iamMock.on(PutUserPermissionsBoundaryCommand).resolves({});
    iamMock.on(DeletePolicyCommand).resolves({});
    let n = 0;
    const writeManifest = async () => {
      if (++n === 3) throw Object.assign(new Error("disk full /secret/path"), { code: "ENOSPC" });
    };
    const e = await failure(
      applyPlan(iam, boundaryTarget(USER, { currentBoundaryArn: PREVIOUS }), {
        writeManifest,
        now: () => NOW,
      }),
    );
    expect(sent().slice(3)).toEqual([
      { action: "PutUserPermissionsBoundary", params: { UserName: "agent", PermissionsBoundary: PREVIOUS } },
      DELETE_POLICY,
    ]);
    expect(e.message).toBe(
      "apply failed: the manifest could not be written: ENOSPC. The changes already made were undone. The manifest records every call and its result.",
    );
    expect(e.manifest?.undone).toBe(true);
  });

  it("the first manifest cannot be written: nothing is changed", async () => {
    boundaryOk();
    const e = await failure(
      applyPlan(iam, boundaryTarget(), {
        writeManifest: async () => {
          throw Object.assign(new Error("x"), { code: "EACCES" });
        },
      }),
    );
    expect(e.message).toBe(
      "apply failed: the manifest could not be written: permission denied (EACCES). Nothing had been changed. No manifest could be written (permission denied (EACCES)).",
    );
    expect(sent()).toEqual([GET_USER]);
    expect(e.changed).toBe(false);
  });

  const versionCases: [string, ApiCall[], string][] = [
    [
      "ListPolicyVersions",
      [listVersions],
      `apply stopped before changing anything: access denied: the audit needs iam:ListPolicyVersions on ${POLICY}; nothing was changed and no manifest was written`,
    ],
    [
      "GetPolicyVersion",
      [listVersions, versionCall("GetPolicyVersion", "v1")],
      `apply stopped before changing anything: access denied: the audit needs iam:GetPolicyVersion on version v1 of ${POLICY}; nothing was changed and no manifest was written`,
    ],
    [
      "DeletePolicyVersion",
      [listVersions, versionCall("GetPolicyVersion", "v1"), versionCall("DeletePolicyVersion", "v1")],
      `apply failed: access denied: the audit needs iam:DeletePolicyVersion on version v1 of ${POLICY}. Nothing had been changed. The manifest records every call and its result.`,
    ],
    [
      "CreatePolicyVersion",
      [
        listVersions,
        versionCall("GetPolicyVersion", "v1"),
        versionCall("DeletePolicyVersion", "v1"),
        createVersion,
      ],
      `apply failed: access denied: the audit needs iam:CreatePolicyVersion on ${POLICY}. Version v1 of ${POLICY} was deleted to make room and cannot be restored under its id; its document is kept in the manifest. The manifest records every call and its result.`,
    ],
  ];
  const deny: Record<string, () => void> = {
    ListPolicyVersions: () => iamMock.on(ListPolicyVersionsCommand).rejects(denied()),
    GetPolicyVersion: () => iamMock.on(GetPolicyVersionCommand).rejects(denied()),
    DeletePolicyVersion: () => iamMock.on(DeletePolicyVersionCommand).rejects(denied()),
    CreatePolicyVersion: () => iamMock.on(CreatePolicyVersionCommand).rejects(denied()),
  };
  it.each(versionCases)("access denied on %s (5 versions)", async (action, calls, message) => {
    versionOk();
    deny[action]!();
    const r = recorder();
    const e = await failure(applyPlan(iam, versionTarget(), r));
    expect(e.message).toBe(message);
    expect(sent()).toEqual(calls);
    const written = action === "ListPolicyVersions" || action === "GetPolicyVersion" ? 0 : r.written.length;
    if (written === 0) {
      expect(r.written).toEqual([]);
      expect(e.manifest).toBeUndefined();
    } else {
      expect(e.manifest?.calls.at(-1)?.ok).toBe(false);
      expect(e.manifest?.undone).toBe(true);
      expect(r.written.at(-1)).toEqual(e.manifest);
    }
    // A delete that did not happen keeps no document; one that did keeps it.
    expect(e.manifest?.policyVersion?.deleted).toEqual(
      action === "CreatePolicyVersion" ? { versionId: "v1", document: "{}" } : undefined,
    );
    // Nothing left for --rollback: a deleted version cannot come back (the message says so).
    expect(e.changed).toBe(false);
  });

  it("LimitExceeded on CreatePolicyVersion (another writer added a version): explained", async () => {
    iamMock.on(ListPolicyVersionsCommand).resolves(listed(4, "v4"));
    iamMock.on(CreatePolicyVersionCommand).rejects(
      new LimitExceededException({
        message: "Cannot exceed quota for PolicyVersionsPerPolicy: 5",
        $metadata: {},
      }),
    );
    const e = await failure(applyPlan(iam, versionTarget(), recorder()));
    expect(e.message).toBe(
      `apply failed: limit exceeded: ${POLICY} already has 5 versions (another writer may have added one after they were listed); delete a non-default version or try again (iam:CreatePolicyVersion). Nothing had been changed. The manifest records every call and its result.`,
    );
    expect(e.manifest?.policyVersion).toEqual({ policyArn: POLICY, previousDefault: "v4", newVersion: null });
  });

  it("ConcurrentModification on PutUserPermissionsBoundary: explained, undone", async () => {
    boundaryOk();
    iamMock
      .on(PutUserPermissionsBoundaryCommand)
      .rejects(new ConcurrentModificationException({ message: "busy", $metadata: {} }));
    const e = await failure(applyPlan(iam, boundaryTarget(), recorder()));
    expect(e.message).toBe(
      "apply failed: concurrent modification: another change to user agent was in progress; try again (iam:PutUserPermissionsBoundary). The changes already made were undone. The manifest records every call and its result.",
    );
  });

  it("EntityAlreadyExists on CreatePolicy: the existing policy is not deleted", async () => {
    boundaryOk();
    iamMock
      .on(CreatePolicyCommand)
      .rejects(new EntityAlreadyExistsException({ message: "exists", $metadata: {} }));
    const e = await failure(applyPlan(iam, boundaryTarget(), recorder()));
    expect(e.message).toBe(
      "apply failed: already exists: policy agent-audit-boundary-agent exists (left by an earlier apply? roll it back or choose another name) (iam:CreatePolicy). Nothing had been changed. The manifest records every call and its result.",
    );
    expect(iamMock).not.toHaveReceivedCommand(DeletePolicyCommand);
  });

  it("a new version id missing from the answer: the previous default is set back", async () => {
    iamMock.on(ListPolicyVersionsCommand).resolves(listed(2, "v2"));
    iamMock.on(CreatePolicyVersionCommand).resolves({});
    iamMock.on(SetDefaultPolicyVersionCommand).resolves({});
    const e = await failure(applyPlan(iam, versionTarget(), recorder()));
    expect(e.message).toBe(
      `apply failed: CreatePolicyVersion answered without a version id for ${POLICY}. The changes already made were undone. The manifest records every call and its result.`,
    );
    expect(sent().at(-1)).toEqual(versionCall("SetDefaultPolicyVersion", "v2"));
  });

  it("no message or manifest holds what AWS's error text said (a key id, a secret)", async () => {
    boundaryOk();
    iamMock.on(PutUserPermissionsBoundaryCommand).rejects(denied());
    iamMock.on(DeletePolicyCommand).rejects(awsError("SomethingNew", 400, FAKE_SECRET));
    const r = recorder();
    const e = await failure(applyPlan(iam, boundaryTarget(), r));
    const all = [e.message, JSON.stringify(e.manifest), JSON.stringify(r.written)].join("\n");
    expect(all).not.toContain(FAKE_KEY_ID);
    expect(all).not.toContain(FAKE_SECRET);
    expect(all).not.toContain("not authorized");
    expect(e.manifest?.calls.at(-1)?.error).toBe("iam:DeletePolicy failed: SomethingNew (HTTP 400)");
  });
});

describe("describeAwsError", () => {
  const call: ApiCall = { action: "DeleteUserPermissionsBoundary", params: { UserName: "agent" } };
  it.each([
    [
      awsError("AccessDenied", 403),
      "access denied: the audit needs iam:DeleteUserPermissionsBoundary on user agent",
    ],
    [
      new NoSuchEntityException({ message: "gone", $metadata: {} }),
      "not found: user agent does not exist (iam:DeleteUserPermissionsBoundary)",
    ],
    [
      awsError("InvalidClientTokenId", 403),
      "the credentials were rejected (InvalidClientTokenId); the audit needs valid credentials allowed iam:DeleteUserPermissionsBoundary",
    ],
    [
      Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:9"), { code: "ECONNREFUSED" }),
      "iam:DeleteUserPermissionsBoundary failed: ECONNREFUSED",
    ],
    [awsError("Bad Code<script>", 400), "iam:DeleteUserPermissionsBoundary failed: unknown error"],
  ])("%s", (err, message) => {
    expect(describeAwsError(err, call)).toBe(message);
  });
});

describe("rollbackManifest", () => {
  const head = {
    kind: "agent-audit-aws-apply" as const,
    version: 1 as const,
    createdAt: CREATED_AT,
    calls: [],
    completed: true,
  };
  const userPrincipal = { arn: USER.arn, kind: "user" as const, name: "agent" };
  const boundaryManifest = (
    previousArn: string | null,
    over: Partial<ApplyManifest> = {},
  ): ApplyManifest => ({
    ...head,
    mode: "boundary",
    principal: userPrincipal,
    boundary: { previousArn, policyArn: USER_BOUNDARY, createdPolicy: true },
    ...over,
  });
  const GET_USER: ApiCall = { action: "GetUser", params: { UserName: "agent" } };
  const DELETE_POLICY: ApiCall = { action: "DeletePolicy", params: { PolicyArn: USER_BOUNDARY } };
  const currentBoundary = (arn: string | undefined) =>
    iamMock.on(GetUserCommand).resolves({
      User: {
        UserName: "agent",
        ...(arn ? { PermissionsBoundary: { PermissionsBoundaryArn: arn } } : {}),
      } as never,
    });

  it("restores the previous boundary, then deletes the policy agent-audit created", async () => {
    currentBoundary(USER_BOUNDARY);
    iamMock.on(PutUserPermissionsBoundaryCommand).resolves({});
    iamMock.on(DeletePolicyCommand).resolves({});
    const put = {
      action: "PutUserPermissionsBoundary",
      params: { UserName: "agent", PermissionsBoundary: PREVIOUS },
    };
    expect(await rollbackManifest(iam, boundaryManifest(PREVIOUS))).toEqual({
      calls: [ok(GET_USER), ok(put), ok(DELETE_POLICY)],
      ok: true,
      notes: [`the previous boundary ${PREVIOUS} of ${USER.arn} is restored`],
    });
    expect(sent()).toEqual([GET_USER, put, DELETE_POLICY]);
  });

  it("no previous boundary: deletes the boundary (a role here)", async () => {
    iamMock.on(GetRoleCommand).resolves({
      Role: { RoleName: "deployer", PermissionsBoundary: { PermissionsBoundaryArn: ROLE_BOUNDARY } } as never,
    });
    iamMock.on(DeleteRolePermissionsBoundaryCommand).resolves({});
    iamMock.on(DeletePolicyCommand).resolves({});
    const m = boundaryManifest(null, {
      principal: { arn: ROLE.arn, kind: "role", name: "deployer" },
      boundary: { previousArn: null, policyArn: ROLE_BOUNDARY, createdPolicy: true },
    });
    const r = await rollbackManifest(iam, m);
    expect(sent()).toEqual([
      { action: "GetRole", params: { RoleName: "deployer" } },
      { action: "DeleteRolePermissionsBoundary", params: { RoleName: "deployer" } },
      { action: "DeletePolicy", params: { PolicyArn: ROLE_BOUNDARY } },
    ]);
    expect(r.ok).toBe(true);
    expect(r.notes).toEqual([`${ROLE.arn} has no permissions boundary again`]);
  });

  it("the policy cannot be deleted: reported, the boundary restored anyway", async () => {
    currentBoundary(USER_BOUNDARY);
    iamMock.on(DeleteUserPermissionsBoundaryCommand).resolves({});
    iamMock.on(DeletePolicyCommand).rejects(denied());
    const r = await rollbackManifest(iam, boundaryManifest(null));
    expect(r).toEqual({
      calls: [
        ok(GET_USER),
        ok({ action: "DeleteUserPermissionsBoundary", params: { UserName: "agent" } }),
        failed(DELETE_POLICY, `access denied: the audit needs iam:DeletePolicy on ${USER_BOUNDARY}`),
      ],
      ok: false,
      notes: [
        `${USER.arn} has no permissions boundary again`,
        `the boundary is restored, but the policy ${USER_BOUNDARY} agent-audit created is left`,
      ],
    });
  });

  it("a boundary someone changed since: left alone, nothing deleted", async () => {
    const theirs = `arn:aws:iam::${ACCOUNT}:policy/someone-else`;
    currentBoundary(theirs);
    const r = await rollbackManifest(iam, boundaryManifest(PREVIOUS));
    expect(r).toEqual({
      calls: [ok(GET_USER)],
      ok: false,
      notes: [
        `the boundary of ${USER.arn} is now ${theirs}, changed after agent-audit's apply; it is left as it is`,
        `${USER_BOUNDARY} is not deleted: the boundary was not restored`,
      ],
    });
  });

  it("a restore that fails does not delete the policy still in use", async () => {
    currentBoundary(USER_BOUNDARY);
    iamMock.on(PutUserPermissionsBoundaryCommand).rejects(denied());
    const r = await rollbackManifest(iam, boundaryManifest(PREVIOUS));
    expect(r.ok).toBe(false);
    expect(iamMock).not.toHaveReceivedCommand(DeletePolicyCommand);
    expect(r.calls.at(-1)).toEqual(
      failed(
        {
          action: "PutUserPermissionsBoundary",
          params: { UserName: "agent", PermissionsBoundary: PREVIOUS },
        },
        "access denied: the audit needs iam:PutUserPermissionsBoundary on user agent",
      ),
    );
  });

  it("GetUser denied: nothing restored, nothing deleted", async () => {
    iamMock.on(GetUserCommand).rejects(denied());
    expect(await rollbackManifest(iam, boundaryManifest(null))).toEqual({
      calls: [failed(GET_USER, "access denied: the audit needs iam:GetUser on user agent")],
      ok: false,
      notes: [`${USER_BOUNDARY} is not deleted: the boundary was not restored`],
    });
    expect(sent()).toEqual([GET_USER]);
  });

  it("DeleteUserPermissionsBoundary denied: the policy still in use is not deleted", async () => {
    currentBoundary(USER_BOUNDARY);
    iamMock.on(DeleteUserPermissionsBoundaryCommand).rejects(denied());
    expect(await rollbackManifest(iam, boundaryManifest(null))).toEqual({
      calls: [
        ok(GET_USER),
        failed(
          { action: "DeleteUserPermissionsBoundary", params: { UserName: "agent" } },
          "access denied: the audit needs iam:DeleteUserPermissionsBoundary on user agent",
        ),
      ],
      ok: false,
      notes: [`${USER_BOUNDARY} is not deleted: the boundary was not restored`],
    });
  });

  it("a policy already gone counts as deleted", async () => {
    currentBoundary(undefined);
    iamMock.on(DeletePolicyCommand).rejects(new NoSuchEntityException({ message: "gone", $metadata: {} }));
    const r = await rollbackManifest(iam, boundaryManifest(null, { completed: false }));
    expect(r).toEqual({
      calls: [ok(GET_USER), ok(DELETE_POLICY)],
      ok: true,
      notes: [
        `the boundary of ${USER.arn} is already none`,
        `${USER.arn} has no permissions boundary again`,
        `${USER_BOUNDARY} was already gone`,
      ],
    });
  });

  const versionManifest = (
    over: Partial<NonNullable<ApplyManifest["policyVersion"]>> = {},
  ): ApplyManifest => ({
    ...head,
    mode: "policy-version",
    principal: userPrincipal,
    policyVersion: { policyArn: POLICY, previousDefault: "v5", newVersion: "v7", ...over },
  });

  it("policy version: the previous default back, the new version deleted, the deleted one explained", async () => {
    iamMock.on(SetDefaultPolicyVersionCommand).resolves({});
    iamMock.on(DeletePolicyVersionCommand).resolves({});
    const m = {
      ...versionManifest({ deleted: { versionId: "v2", document: "{}" } }),
      calls: [ok(versionCall("DeletePolicyVersion", "v2"))],
    };
    const r = await rollbackManifest(iam, m);
    expect(r).toEqual({
      calls: [ok(versionCall("SetDefaultPolicyVersion", "v5")), ok(versionCall("DeletePolicyVersion", "v7"))],
      ok: true,
      notes: [
        `version v5 of ${POLICY} is the default again`,
        `version v2 of ${POLICY}, deleted by the apply, cannot be restored under its id; its document is kept in the manifest`,
      ],
    });
    // A manifest written just before the delete (a crash during it) cannot know whether it happened.
    const before = {
      ...m,
      completed: false,
      calls: [],
      policyVersion: { ...m.policyVersion!, newVersion: null },
    };
    expect((await rollbackManifest(iam, before)).notes).toEqual([
      `no new version of ${POLICY} was created; its default is unchanged`,
      `version v2 of ${POLICY} was about to be deleted by the apply; if it is gone, it cannot be restored under its id; its document is kept in the manifest`,
    ]);
  });

  it("policy version: DeletePolicyVersion denied, the default is back anyway", async () => {
    iamMock.on(SetDefaultPolicyVersionCommand).resolves({});
    iamMock.on(DeletePolicyVersionCommand).rejects(denied());
    expect(await rollbackManifest(iam, versionManifest())).toEqual({
      calls: [
        ok(versionCall("SetDefaultPolicyVersion", "v5")),
        failed(
          versionCall("DeletePolicyVersion", "v7"),
          `access denied: the audit needs iam:DeletePolicyVersion on version v7 of ${POLICY}`,
        ),
      ],
      ok: false,
      notes: [`version v5 of ${POLICY} is the default again`],
    });
  });

  it("policy version: SetDefaultPolicyVersion denied, the new version is kept", async () => {
    iamMock.on(SetDefaultPolicyVersionCommand).rejects(denied());
    const r = await rollbackManifest(iam, versionManifest());
    expect(r).toEqual({
      calls: [
        failed(
          versionCall("SetDefaultPolicyVersion", "v5"),
          `access denied: the audit needs iam:SetDefaultPolicyVersion on version v5 of ${POLICY}`,
        ),
      ],
      ok: false,
      notes: ["version v7 is left in place: the previous default could not be restored"],
    });
  });

  it("an apply that failed before its new version, and one already undone: no call", async () => {
    expect(await rollbackManifest(iam, versionManifest({ newVersion: null }))).toEqual({
      calls: [],
      ok: true,
      notes: [`no new version of ${POLICY} was created; its default is unchanged`],
    });
    expect(await rollbackManifest(iam, boundaryManifest(null, { completed: false, undone: true }))).toEqual({
      calls: [],
      ok: true,
      notes: ["the apply failed and was already undone; nothing to roll back"],
    });
    expect(sent()).toEqual([]);
  });
});

describe("parseManifest", () => {
  const valid: ApplyManifest = {
    kind: "agent-audit-aws-apply",
    version: 1,
    createdAt: CREATED_AT,
    mode: "boundary",
    principal: { arn: USER.arn, kind: "user", name: "agent" },
    boundary: { previousArn: PREVIOUS, policyArn: USER_BOUNDARY, createdPolicy: true },
    calls: [ok({ action: "GetUser", params: { UserName: "agent" } })],
    completed: true,
  };
  const text = (o: unknown) => JSON.stringify(o);

  it("reads a valid manifest as written", () => {
    expect(parseManifest(text(valid))).toEqual(valid);
  });

  it.each([
    ["not JSON", "{kind:", "not an agent-audit AWS apply manifest: not JSON"],
    [
      "a foreign JSON file (its values never quoted)",
      text({ aws_access_key_id: FAKE_KEY_ID, aws_secret_access_key: FAKE_SECRET }),
      "not an agent-audit AWS apply manifest (no kind: agent-audit-aws-apply)",
    ],
    ["an array", "[]", "not an agent-audit AWS apply manifest (no kind: agent-audit-aws-apply)"],
    [
      "another version",
      text({ ...valid, version: 2 }),
      "unsupported manifest version 2 (this agent-audit reads version 1)",
    ],
    [
      "an extra field",
      text({ ...valid, extra: FAKE_SECRET }),
      "malformed manifest: an unexpected field at (top level)",
    ],
    [
      "a created policy outside /agent-audit/",
      text({ ...valid, boundary: { ...valid.boundary, policyArn: `arn:aws:iam::${ACCOUNT}:policy/Admin` } }),
      "malformed manifest: an invalid value at boundary.policyArn",
    ],
    [
      "a created policy in another account",
      text({
        ...valid,
        boundary: { ...valid.boundary, policyArn: "arn:aws:iam::999999999999:policy/agent-audit/x" },
      }),
      "malformed manifest: the boundary policy is not in the principal's account",
    ],
    [
      "a principal name not its ARN's",
      text({ ...valid, principal: { ...valid.principal, name: "root" } }),
      "malformed manifest: the principal's kind and name do not match its ARN",
    ],
    [
      "a policy-version apply with a boundary",
      text({ ...valid, mode: "policy-version" }),
      "malformed manifest: a policy-version apply with a boundary",
    ],
    [
      "a bad version id",
      text({
        ...valid,
        mode: "policy-version",
        boundary: undefined,
        policyVersion: { policyArn: POLICY, previousDefault: "v1; rm", newVersion: "v2" },
      }),
      "malformed manifest: an invalid value at policyVersion.previousDefault",
    ],
    [
      "an AWS-managed policy version",
      text({
        ...valid,
        mode: "policy-version",
        boundary: undefined,
        policyVersion: {
          policyArn: "arn:aws:iam::aws:policy/ReadOnlyAccess",
          previousDefault: "v1",
          newVersion: "v2",
        },
      }),
      "malformed manifest: an invalid value at policyVersion.policyArn",
    ],
    [
      "a completed policy-version apply without its new version",
      text({
        ...valid,
        mode: "policy-version",
        boundary: undefined,
        policyVersion: { policyArn: POLICY, previousDefault: "v1", newVersion: null },
      }),
      "malformed manifest: a completed policy-version apply without its new version",
    ],
    [
      "a call with an unsafe action name",
      text({ ...valid, calls: [{ action: "Get User", params: {}, ok: true }] }),
      "malformed manifest: an invalid value at calls[0].action",
    ],
    [
      "a missing field",
      text({ ...valid, completed: undefined }),
      "malformed manifest: a missing or mistyped value at completed",
    ],
    ["too large", " ".repeat(1024 * 1024 + 1), "not an agent-audit AWS apply manifest: too large"],
  ])("refuses %s", (_, input, message) => {
    expect(() => parseManifest(input)).toThrow(new ManifestError(message));
  });
});
