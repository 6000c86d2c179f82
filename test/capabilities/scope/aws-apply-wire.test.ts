import { IAMClient } from "@aws-sdk/client-iam";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  type ApplyFailedError,
  type ApplyManifest,
  type ApplyTarget,
  applyPlan,
  parseManifest,
  planCalls,
  rollbackManifest,
} from "../../../src/capabilities/scope/aws/apply.js";
import type { ApiCall, Plan, PolicyDocument, Principal } from "../../../src/capabilities/scope/aws/types.js";
import {
  FAKE_NOW,
  type FakeAws,
  type FakeAwsOptions,
  type FakeAwsState,
  fakePolicy,
  fakeRole,
  fakeState,
  fakeUser,
  policyArn,
  roleArn,
  startFakeAws,
  userArn,
} from "../../helpers/fake-aws.js";

// Issue 13, "done when": apply and rollback against the loopback IAM fake (test/helpers/fake-aws.ts)
// with the real @aws-sdk/client-iam (serializer, XML parser, modelled errors): a boundary with and
// without a previous one, a new default version at the five-version limit, failures halfway, and
// the manifest written at each step rolled back. The fake's final state is asserted whole.

const ACCT = "123456789012";
// Distinctive static credentials: never the machine's, and searched for in every message below.
const CREDS = {
  accessKeyId: "AKIAFAKEAPPLYWIRE0001",
  secretAccessKey: "fAkEaPpLyWiReSeCrEt/0123456789+abcdefghij",
};
const NOW = Date.UTC(2026, 11, 1, 10, 0, 0);

const RUNNER_ARN = roleArn(ACCT, "runner");
const OLD_BOUNDARY = policyArn(ACCT, "old-boundary");
const AGENT_POLICY = policyArn(ACCT, "agent-policy");
const NEW_BOUNDARY = (name: string) => policyArn(ACCT, `agent-audit-boundary-${name}`, "/agent-audit/");

const WIDE = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }] };
const AFTER: PolicyDocument = {
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow", Action: ["s3:GetObject"], Resource: ["arn:aws:s3:::bucket/*"] }],
};
const doc = (n: number) => ({
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow", Action: `svc${n}:Get*`, Resource: "*" }],
});

const principal = (kind: "user" | "role", name: string): Principal => ({
  arn: kind === "user" ? userArn(ACCT, name) : roleArn(ACCT, name),
  kind,
  name,
  accountId: ACCT,
});
const plan = (p: Principal): Plan => ({
  principal: p.arn,
  before: [{ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: ["*"], Resource: ["*"] }] }],
  after: AFTER,
  removed: ["ec2"],
  kept: ["s3:GetObject"],
  unknown: [],
  sizeChars: 90,
  maxChars: 6144,
  fits: true,
  windowDays: 90,
  reference: "2026-11-30T00:00:00.000Z",
  decisions: [],
  notes: [],
});

/** An account: the user agent (boundary: old-boundary), the role runner (no boundary), agent-policy with 5 versions. */
function account(): FakeAwsState {
  return fakeState(
    ACCT,
    { user: "agent" },
    {
      users: { agent: fakeUser({ boundary: OLD_BOUNDARY, attached: [AGENT_POLICY] }) },
      roles: { runner: fakeRole() },
      policies: {
        [OLD_BOUNDARY]: fakePolicy("old-boundary", WIDE),
        // v1 is the default and the oldest: v2 is the oldest non-default.
        [AGENT_POLICY]: fakePolicy("agent-policy", [doc(1), doc(2), doc(3), doc(4), doc(5)], {
          defaultVersion: "v1",
        }),
      },
    },
  );
}

let fake: FakeAws | undefined;
beforeEach(() => {
  vi.stubEnv("AWS_CONFIG_FILE", "/nonexistent/aws-config");
  vi.stubEnv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/aws-credentials");
  vi.stubEnv("AWS_EC2_METADATA_DISABLED", "true");
  for (const v of ["AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_IAM", "AWS_REGION"])
    vi.stubEnv(v, undefined);
});
afterEach(async () => {
  vi.unstubAllEnvs();
  await fake?.close();
  fake = undefined;
});

async function start(state: FakeAwsState, opts?: FakeAwsOptions): Promise<IAMClient> {
  fake = await startFakeAws(state, opts);
  return client();
}
const client = () =>
  new IAMClient({ region: "us-east-1", endpoint: fake!.endpoint, credentials: { ...CREDS }, maxAttempts: 1 });

/** The calls the fake received since `from`, as ApiCalls (booleans as the wire spells them). */
function received(from = 0): ApiCall[] {
  return fake!.calls.slice(from).map((c) => {
    const { Action: _a, Version: _v, ...params } = c.params;
    return { action: c.action, params };
  });
}
const onWire = (calls: ApiCall[]): ApiCall[] =>
  calls.map((c) => ({
    action: c.action,
    params: Object.fromEntries(Object.entries(c.params).map(([k, v]) => [k, String(v)])),
  }));

function recorder() {
  const written: ApplyManifest[] = [];
  return { written, writeManifest: async (m: ApplyManifest) => void written.push(m), now: () => NOW };
}

async function failure(p: Promise<unknown>): Promise<ApplyFailedError> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  expect((e as Error).name).toBe("ApplyFailedError");
  return e as ApplyFailedError;
}

/** The created boundary policy as the fake stores it. */
const createdPolicy = (name: string) => ({
  name,
  defaultVersion: "v1",
  versions: [{ id: "v1", document: JSON.stringify(AFTER), created: FAKE_NOW }],
  path: "/agent-audit/",
});

function noCredentialIn(...texts: unknown[]) {
  const all = texts.map((t) => (typeof t === "string" ? t : JSON.stringify(t))).join("\n");
  expect(all).not.toContain(CREDS.accessKeyId);
  expect(all).not.toContain(CREDS.secretAccessKey);
}

describe("boundary", () => {
  it("a user with a boundary: apply, then rollback restores it and deletes the created policy", async () => {
    const iam = await start(account());
    const initial = structuredClone(fake!.state);
    const p = principal("user", "agent");
    const t: ApplyTarget = {
      mode: "boundary",
      principal: p,
      plan: plan(p),
      currentBoundaryArn: OLD_BOUNDARY,
    };
    const r = recorder();
    const m = await applyPlan(iam, t, r);

    expect(received()).toEqual(onWire(planCalls(t, {})));
    const applied = structuredClone(initial);
    applied.users.agent!.boundary = NEW_BOUNDARY("agent");
    applied.policies[NEW_BOUNDARY("agent")] = createdPolicy("agent-audit-boundary-agent");
    expect(fake!.state).toEqual(applied);
    expect(m.boundary).toEqual({
      previousArn: OLD_BOUNDARY,
      policyArn: NEW_BOUNDARY("agent"),
      createdPolicy: true,
    });
    expect(r.written.map((w) => [w.calls.length, w.completed])).toEqual([
      [1, false],
      [2, false],
      [3, true],
    ]);

    const n = fake!.calls.length;
    const rb = await rollbackManifest(iam, parseManifest(JSON.stringify(m)));
    expect(rb.ok).toBe(true);
    expect(received(n)).toEqual([
      { action: "GetUser", params: { UserName: "agent" } },
      {
        action: "PutUserPermissionsBoundary",
        params: { UserName: "agent", PermissionsBoundary: OLD_BOUNDARY },
      },
      { action: "DeletePolicy", params: { PolicyArn: NEW_BOUNDARY("agent") } },
    ]);
    expect(fake!.state).toEqual(initial);
    noCredentialIn(m, rb, r.written);
  });

  it("a role without a boundary: rollback deletes the boundary and the created policy", async () => {
    const iam = await start(account());
    const initial = structuredClone(fake!.state);
    const p = principal("role", "runner");
    const m = await applyPlan(iam, { mode: "boundary", principal: p, plan: plan(p) }, recorder());
    expect(fake!.state.roles.runner!.boundary).toBe(NEW_BOUNDARY("runner"));
    expect(m.boundary?.previousArn).toBeNull();

    const n = fake!.calls.length;
    const rb = await rollbackManifest(iam, parseManifest(JSON.stringify(m)));
    expect(rb).toEqual({
      calls: [
        { action: "GetRole", params: { RoleName: "runner" }, ok: true },
        { action: "DeleteRolePermissionsBoundary", params: { RoleName: "runner" }, ok: true },
        { action: "DeletePolicy", params: { PolicyArn: NEW_BOUNDARY("runner") }, ok: true },
      ],
      ok: true,
      notes: [`${RUNNER_ARN} has no permissions boundary again`],
    });
    expect(received(n).map((c) => c.action)).toEqual([
      "GetRole",
      "DeleteRolePermissionsBoundary",
      "DeletePolicy",
    ]);
    expect(fake!.state).toEqual(initial);
    expect("boundary" in fake!.state.roles.runner!).toBe(false);
  });

  it("failure halfway (PutUserPermissionsBoundary denied): the created policy is deleted by the undo", async () => {
    // IAM's own message names the caller; this one also echoes the credentials: never shown.
    const iam = await start(account(), {
      faults: [
        {
          action: "PutUserPermissionsBoundary",
          code: "AccessDenied",
          message: `User ${CREDS.accessKeyId} is not authorized (${CREDS.secretAccessKey})`,
        },
      ],
    });
    const initial = structuredClone(fake!.state);
    const p = principal("user", "agent");
    const r = recorder();
    const e = await failure(
      applyPlan(iam, { mode: "boundary", principal: p, plan: plan(p), currentBoundaryArn: OLD_BOUNDARY }, r),
    );
    expect(e.message).toBe(
      "apply failed: access denied: the audit needs iam:PutUserPermissionsBoundary on user agent. The changes already made were undone. The manifest records every call and its result.",
    );
    expect(received().map((c) => c.action)).toEqual([
      "GetUser",
      "CreatePolicy",
      "PutUserPermissionsBoundary",
      "DeletePolicy",
    ]);
    expect(fake!.state).toEqual(initial);
    const last = parseManifest(JSON.stringify(r.written.at(-1)));
    expect(last).toEqual(e.manifest);
    expect([last.completed, last.undone, last.calls.map((c) => c.ok)]).toEqual([
      false,
      true,
      [true, true, false, true],
    ]);
    // Rolling back an apply already undone makes no call.
    const n = fake!.calls.length;
    expect((await rollbackManifest(iam, last)).ok).toBe(true);
    expect(fake!.calls.length).toBe(n);
    noCredentialIn(e.message, r.written);
  });

  it("failure halfway with the undo failing too: the manifest left behind rolls back", async () => {
    const iam = await start(account(), {
      faults: [
        { action: "PutUserPermissionsBoundary", code: "Throttling" },
        { action: "DeletePolicy", code: "AccessDenied", times: 1 },
      ],
    });
    const initial = structuredClone(fake!.state);
    const p = principal("user", "agent");
    const r = recorder();
    const e = await failure(
      applyPlan(iam, { mode: "boundary", principal: p, plan: plan(p), currentBoundaryArn: OLD_BOUNDARY }, r),
    );
    expect(e.manifest?.undone).toBe(false);
    expect(e.changed).toBe(true);
    // The created policy is left: not the boundary (Put failed), but present.
    expect(Object.keys(fake!.state.policies).sort()).toEqual(
      [AGENT_POLICY, NEW_BOUNDARY("agent"), OLD_BOUNDARY].sort(),
    );

    const rb = await rollbackManifest(client(), parseManifest(JSON.stringify(r.written.at(-1))));
    expect(rb.ok).toBe(true);
    expect(fake!.state).toEqual(initial);
  });
});

describe("policy version", () => {
  it("5 versions: the oldest non-default deleted, v6 created as default; rollback restores the default", async () => {
    const iam = await start(account());
    const initial = structuredClone(fake!.state);
    const p = principal("user", "agent");
    const t: ApplyTarget = { mode: "policy-version", principal: p, plan: plan(p), policyArn: AGENT_POLICY };
    const r = recorder();
    const m = await applyPlan(iam, t, r);

    const listedNow = [1, 2, 3, 4, 5].map((i) => ({ id: `v${i}`, isDefault: i === 1 }));
    expect(received()).toEqual(onWire(planCalls(t, { versions: listedNow })));
    expect(received().map((c) => c.action)).toEqual([
      "ListPolicyVersions",
      "GetPolicyVersion",
      "DeletePolicyVersion",
      "CreatePolicyVersion",
    ]);
    expect(m.policyVersion).toEqual({
      policyArn: AGENT_POLICY,
      previousDefault: "v1",
      newVersion: "v6",
      // URL-decoded from GetPolicyVersion's answer.
      deleted: { versionId: "v2", document: JSON.stringify(doc(2)) },
    });
    const v = (i: number) => initial.policies[AGENT_POLICY]!.versions[i - 1]!;
    expect(fake!.state.policies[AGENT_POLICY]).toEqual({
      name: "agent-policy",
      defaultVersion: "v6",
      versions: [v(1), v(3), v(4), v(5), { id: "v6", document: JSON.stringify(AFTER), created: FAKE_NOW }],
    });

    const n = fake!.calls.length;
    const rb = await rollbackManifest(iam, parseManifest(JSON.stringify(m)));
    expect(rb).toEqual({
      calls: [
        { action: "SetDefaultPolicyVersion", params: { PolicyArn: AGENT_POLICY, VersionId: "v1" }, ok: true },
        { action: "DeletePolicyVersion", params: { PolicyArn: AGENT_POLICY, VersionId: "v6" }, ok: true },
      ],
      ok: true,
      notes: [
        `version v1 of ${AGENT_POLICY} is the default again`,
        `version v2 of ${AGENT_POLICY}, deleted by the apply, cannot be restored under its id; its document is kept in the manifest`,
      ],
    });
    expect(received(n).map((c) => c.action)).toEqual(["SetDefaultPolicyVersion", "DeletePolicyVersion"]);
    const expected = structuredClone(initial);
    expected.policies[AGENT_POLICY]!.versions.splice(1, 1);
    expect(fake!.state).toEqual(expected);
  });

  it("3 versions: no delete; a second apply after rollback gets the next id", async () => {
    const state = account();
    state.policies[AGENT_POLICY] = fakePolicy("agent-policy", [doc(1), doc(2), doc(3)]);
    const iam = await start(state);
    const initial = structuredClone(fake!.state);
    const p = principal("user", "agent");
    const t: ApplyTarget = { mode: "policy-version", principal: p, plan: plan(p), policyArn: AGENT_POLICY };
    const m = await applyPlan(iam, t, recorder());
    expect(received().map((c) => c.action)).toEqual(["ListPolicyVersions", "CreatePolicyVersion"]);
    expect(m.policyVersion).toEqual({ policyArn: AGENT_POLICY, previousDefault: "v3", newVersion: "v4" });
    expect((await rollbackManifest(iam, m)).ok).toBe(true);
    expect(fake!.state).toEqual(initial);
    // Version ids keep growing after a delete: v5, not v4 again.
    expect((await applyPlan(iam, t, recorder())).policyVersion?.newVersion).toBe("v5");
  });

  it("failure halfway (CreatePolicyVersion denied after the delete): the manifest keeps the deleted document", async () => {
    const iam = await start(account(), { faults: [{ action: "CreatePolicyVersion", code: "AccessDenied" }] });
    const initial = structuredClone(fake!.state);
    const p = principal("user", "agent");
    const r = recorder();
    const e = await failure(
      applyPlan(iam, { mode: "policy-version", principal: p, plan: plan(p), policyArn: AGENT_POLICY }, r),
    );
    expect(e.message).toBe(
      `apply failed: access denied: the audit needs iam:CreatePolicyVersion on ${AGENT_POLICY}. Version v2 of ${AGENT_POLICY} was deleted to make room and cannot be restored under its id; its document is kept in the manifest. The manifest records every call and its result.`,
    );
    const last = parseManifest(JSON.stringify(r.written.at(-1)));
    expect(last.policyVersion).toEqual({
      policyArn: AGENT_POLICY,
      previousDefault: "v1",
      newVersion: null,
      deleted: { versionId: "v2", document: JSON.stringify(doc(2)) },
    });
    expect([last.completed, last.undone, e.changed]).toEqual([false, true, false]);
    const expected = structuredClone(initial);
    expected.policies[AGENT_POLICY]!.versions.splice(1, 1);
    expect(fake!.state).toEqual(expected);
    // Rollback has nothing to call, and says what is gone for good.
    const n = fake!.calls.length;
    expect(await rollbackManifest(iam, last)).toEqual({
      calls: [],
      ok: true,
      notes: [
        "the apply failed and was already undone; nothing to roll back",
        `version v2 of ${AGENT_POLICY}, deleted by the apply, cannot be restored under its id; its document is kept in the manifest`,
      ],
    });
    expect(fake!.calls.length).toBe(n);
    noCredentialIn(e.message, r.written);
  });

  it("LimitExceeded from IAM (a sixth version raced in) is explained", async () => {
    const state = account();
    state.policies[AGENT_POLICY] = fakePolicy("agent-policy", [doc(1), doc(2), doc(3), doc(4)]);
    const iam = await start(state, { faults: [{ action: "CreatePolicyVersion", code: "LimitExceeded" }] });
    const initial = structuredClone(fake!.state);
    const p = principal("user", "agent");
    const e = await failure(
      applyPlan(
        iam,
        { mode: "policy-version", principal: p, plan: plan(p), policyArn: AGENT_POLICY },
        recorder(),
      ),
    );
    expect(e.message).toBe(
      `apply failed: limit exceeded: ${AGENT_POLICY} already has 5 versions (another writer may have added one after they were listed); delete a non-default version or try again (iam:CreatePolicyVersion). Nothing had been changed. The manifest records every call and its result.`,
    );
    expect(fake!.state).toEqual(initial);
  });
});

describe("errors before any change", () => {
  it("a policy that does not exist: not found, nothing written", async () => {
    const iam = await start(account());
    const initial = structuredClone(fake!.state);
    const p = principal("user", "agent");
    const missing = policyArn(ACCT, "no-such-policy");
    const r = recorder();
    const e = await failure(
      applyPlan(iam, { mode: "policy-version", principal: p, plan: plan(p), policyArn: missing }, r),
    );
    expect(e.message).toBe(
      `apply stopped before changing anything: not found: ${missing} does not exist (iam:ListPolicyVersions); nothing was changed and no manifest was written`,
    );
    expect([e.manifest, e.changed, r.written]).toEqual([undefined, false, []]);
    expect(fake!.state).toEqual(initial);
  });

  it("GetRole throttled: nothing written, the throttling named", async () => {
    const iam = await start(account(), { faults: [{ action: "GetRole", code: "Throttling" }] });
    const p = principal("role", "runner");
    const r = recorder();
    const e = await failure(applyPlan(iam, { mode: "boundary", principal: p, plan: plan(p) }, r));
    expect(e.message).toBe(
      "apply stopped before changing anything: throttled by AWS (iam:GetRole); wait a minute and try again; nothing was changed and no manifest was written",
    );
    expect(received().map((c) => c.action)).toEqual(["GetRole"]);
    expect(r.written).toEqual([]);
  });
});

describe("the manifest written at each step rolls back (a crash after that write)", () => {
  /** A writer that records the first k manifests and then never returns: the apply stops there. */
  function crashAfter(k: number) {
    const written: ApplyManifest[] = [];
    return {
      written,
      now: () => NOW,
      writeManifest: (m: ApplyManifest) => {
        written.push(m);
        return written.length < k ? Promise.resolve() : new Promise<void>(() => {});
      },
    };
  }
  /** Waits until the k-th manifest is written (the apply is then stuck in it). */
  async function until(r: { written: ApplyManifest[] }, k: number) {
    await vi.waitFor(() => expect(r.written.length).toBe(k), { timeout: 5000, interval: 5 });
  }

  it.each([1, 2, 3])("boundary, write %i", async (k) => {
    const iam = await start(account());
    const initial = structuredClone(fake!.state);
    const p = principal("user", "agent");
    const r = crashAfter(k);
    void applyPlan(
      iam,
      { mode: "boundary", principal: p, plan: plan(p), currentBoundaryArn: OLD_BOUNDARY },
      r,
    );
    await until(r, k);
    // The state at the crash: the policy exists from write 2 on, the boundary is set at write 3.
    expect(NEW_BOUNDARY("agent") in fake!.state.policies).toBe(k >= 2);
    expect(fake!.state.users.agent!.boundary).toBe(k === 3 ? NEW_BOUNDARY("agent") : OLD_BOUNDARY);

    const m = parseManifest(JSON.stringify(r.written[k - 1]));
    const rb = await rollbackManifest(client(), m);
    expect(rb.ok).toBe(true);
    expect(fake!.state).toEqual(initial);
  });

  it.each([1, 2, 3])("policy version at the limit, write %i", async (k) => {
    const iam = await start(account());
    const initial = structuredClone(fake!.state);
    const p = principal("user", "agent");
    const r = crashAfter(k);
    void applyPlan(iam, { mode: "policy-version", principal: p, plan: plan(p), policyArn: AGENT_POLICY }, r);
    await until(r, k);
    const m = parseManifest(JSON.stringify(r.written[k - 1]));
    // Every manifest holds the document of the version it deletes, from before the delete.
    expect(m.policyVersion?.deleted).toEqual({ versionId: "v2", document: JSON.stringify(doc(2)) });

    const rb = await rollbackManifest(client(), m);
    expect(rb.ok).toBe(true);
    const expected = structuredClone(initial);
    // Write 1 is before the delete; from write 2 on, v2 is gone for good.
    if (k >= 2) expected.policies[AGENT_POLICY]!.versions.splice(1, 1);
    expect(fake!.state).toEqual(expected);
    expect(rb.notes.at(-1)).toBe(
      k >= 2
        ? `version v2 of ${AGENT_POLICY}, deleted by the apply, cannot be restored under its id; its document is kept in the manifest`
        : `version v2 of ${AGENT_POLICY} was about to be deleted by the apply; if it is gone, it cannot be restored under its id; its document is kept in the manifest`,
    );
  });
});
