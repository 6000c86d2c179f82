import { chmodSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CreatePolicyVersionCommand, IAMClient, ListPolicyVersionsCommand } from "@aws-sdk/client-iam";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { type ApplyTarget, applyPlan } from "../../../src/capabilities/scope/aws/apply.js";
import { AwsAuditError, gatherLive } from "../../../src/capabilities/scope/aws/live.js";
import { makePlan, withinBoundary } from "../../../src/capabilities/scope/aws/plan.js";
import { covers, globMatch } from "../../../src/capabilities/scope/aws/policy.js";
import { sdkConfig } from "../../../src/capabilities/scope/aws/sdk.js";
import type { AwsFacts, Plan, PolicyDocument, Principal } from "../../../src/capabilities/scope/aws/types.js";
import { cli } from "../../helpers/cli.js";
import {
  type FakeAws,
  type FakeAwsState,
  fakePolicy,
  fakeState,
  fakeUser,
  policyArn,
  startFakeAws,
  userArn,
} from "../../helpers/fake-aws.js";

// Issue 13, attacked as a hostile agent would: it writes its environment, its home (~/.aws), files
// in its tree, an evidence folder handed to a reviewer, names in the account (with IAM write), and
// possibly the state dir. The review's nine findings (a denied grant read passing step 6, admin on
// arn:* or long star patterns, a symlinked manifest, no request timeout, withinBoundary and NotAction,
// report wildcards, endless version paging, a raw ListPolicyVersions error) are fixed: every test here
// asserts the safe behaviour. Nothing here reaches AWS: live runs go to the
// loopback fake, and the tests about where a call would go replace the SDK's HTTP handler with one
// that records the destination and sends nothing.

const ACCT = "123456789012";
const KEY_ID = "AKIA2HOSTILETEST7777";
const SECRET = "hOsTiLeSeCrEt/never+printed0123456789abc";
const CREDS = { accessKeyId: KEY_ID, secretAccessKey: SECRET };
const SESSION_KEY_ID = "ASIA2HOSTILETEST7777";
const SESSION_TOKEN = "FwoGZXIvYXdzEHostileSessionTokenValue0123456789abcdefXYZ";
const ADMIN = policyArn(ACCT, "agent-admin");
const AGENT = userArn(ACCT, "agent");
const BOUNDARY = policyArn(ACCT, "agent-audit-boundary-agent", "/agent-audit/");

function tmp(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

function expectNoSecret(...texts: string[]) {
  for (const t of texts) {
    expect(t).not.toContain(SECRET);
    expect(t).not.toContain(KEY_ID);
  }
}

/** Replaces the SDK's HTTP handler: records where each request would go and its handler's config; sends nothing. */
function captureHttp() {
  const hosts: string[] = [];
  const configs: { requestTimeout?: number; socketTimeout?: number; connectionTimeout?: number }[] = [];
  vi.spyOn(NodeHttpHandler.prototype, "handle").mockImplementation(async function (
    this: NodeHttpHandler,
    req: { protocol: string; hostname: string; port?: number },
  ) {
    hosts.push(`${req.protocol}//${req.hostname}${req.port ? `:${req.port}` : ""}`);
    // biome-ignore lint/suspicious/noExplicitAny: the handler's resolved options, read for the test
    configs.push(await (this as any).configProvider);
    throw Object.assign(new Error("not sent"), { name: "NotSent" });
  });
  return { hosts, configs };
}

function isoDaysBefore(days: number): string {
  return new Date(Date.parse("2026-11-30T12:00:00.000Z") - days * 86_400_000).toISOString();
}

const USER: Principal = { arn: AGENT, kind: "user", name: "agent", accountId: ACCT };

function facts(docs: PolicyDocument[], services: AwsFacts["lastAccessed"] = undefined): AwsFacts {
  return {
    principal: USER,
    callerArn: AGENT,
    grants: docs.map((document, i) => ({
      type: "inline",
      name: `p${i}`,
      via: { kind: "user", name: "agent" },
      document,
    })),
    groups: [],
    accessKeys: [],
    issues: [],
    ...(services ? { lastAccessed: services } : {}),
  };
}

/**
 * Whether a document allows an action on every resource: a small evaluator of Allow/Deny with
 * Action/NotAction over Resource "*" (statements with other resources or conditions are ignored,
 * which is conservative for a subset check on plans built from Resource "*" grants).
 */
function allows(docs: PolicyDocument[], action: string): boolean {
  const applies = (s: PolicyDocument["Statement"][number]) =>
    s.Action
      ? s.Action.some((p) => globMatch(p, action))
      : !(s.NotAction ?? []).some((p) => globMatch(p, action));
  const all = docs.flatMap((d) => d.Statement);
  if (all.some((s) => s.Effect === "Deny" && applies(s))) return false;
  return all.some(
    (s) => s.Effect === "Allow" && !s.Condition && (s.Resource ?? []).includes("*") && applies(s),
  );
}

// ---------------------------------------------------------------------------------------------

describe("where the live audit's calls go (the agent writes the env and ~/.aws/config)", () => {
  afterEach(() => {
    vi.restoreAllMocks();
    vi.unstubAllEnvs();
  });

  // Held (in the working tree): at HEAD 60767e0, live.ts built its clients from its own config, not
  // sdkConfig() (no ignoreConfiguredEndpointUrls, no useFips/useDualstack): a planted
  // AWS_ENDPOINT_URL_STS or `endpoint_url` redirected the audit. The uncommitted live.ts now uses
  // sdkConfig(); these tests hold it there.
  it("gatherLive ignores endpoints planted in the environment and ~/.aws/config", async () => {
    const dir = tmp("aa-hostile-sdk-");
    writeFileSync(join(dir, "config"), "[default]\nendpoint_url = http://127.0.0.1:1\n");
    vi.stubEnv("AWS_CONFIG_FILE", join(dir, "config"));
    vi.stubEnv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials");
    vi.stubEnv("AWS_EC2_METADATA_DISABLED", "true");
    vi.stubEnv("AWS_ENDPOINT_URL", "http://127.0.0.1:3");
    vi.stubEnv("AWS_ENDPOINT_URL_IAM", "http://127.0.0.1:4");
    vi.stubEnv("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:5");
    const c = captureHttp();
    await expect(gatherLive({ credentials: CREDS })).rejects.toBeInstanceOf(AwsAuditError);
    expect(c.hosts[0]).toBe("https://sts.us-east-1.amazonaws.com");
  });

  it("gatherLive ignores AWS_USE_FIPS_ENDPOINT and AWS_USE_DUALSTACK_ENDPOINT planted in the environment", async () => {
    vi.stubEnv("AWS_CONFIG_FILE", "/nonexistent/config");
    vi.stubEnv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials");
    vi.stubEnv("AWS_EC2_METADATA_DISABLED", "true");
    vi.stubEnv("AWS_USE_FIPS_ENDPOINT", "true");
    vi.stubEnv("AWS_USE_DUALSTACK_ENDPOINT", "true");
    const c = captureHttp();
    await expect(gatherLive({ credentials: CREDS })).rejects.toBeInstanceOf(AwsAuditError);
    expect(c.hosts[0]).toBe("https://sts.us-east-1.amazonaws.com");
  });

  it("the apply client (sdkConfig) ignores the same planted endpoints", async () => {
    vi.stubEnv("AWS_CONFIG_FILE", "/nonexistent/config");
    vi.stubEnv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials");
    vi.stubEnv("AWS_EC2_METADATA_DISABLED", "true");
    vi.stubEnv("AWS_ENDPOINT_URL_IAM", "http://127.0.0.1:4");
    vi.stubEnv("AWS_USE_FIPS_ENDPOINT", "true");
    const c = captureHttp();
    const iam = new IAMClient(sdkConfig({ credentials: CREDS, maxAttempts: 1 }));
    await expect(iam.send(new ListPolicyVersionsCommand({ PolicyArn: ADMIN }))).rejects.toThrow("not sent");
    expect(c.hosts).toEqual(["https://iam.amazonaws.com"]);
  });

  // FINDING 2: no request timeout anywhere. The SDK's node handler has no requestTimeout or
  // socketTimeout by default (defaultsMode "standard" sets only a 3.1 s connect timeout; live.ts
  // does not even set that), so a server that accepts the connection and never answers (the
  // planted endpoint above, a proxy, a network black hole) hangs `creds aws`, `scan --aws`,
  // `--apply` (halfway, with a manifest saying a call is in flight) and `--rollback` forever.
  it("the live audit's HTTP handler has a request timeout", async () => {
    const c = captureHttp();
    await expect(
      gatherLive({ credentials: CREDS, endpoint: "http://127.0.0.1:9", region: "us-east-1" }),
    ).rejects.toBeInstanceOf(AwsAuditError);
    const cfg = c.configs[0]!;
    expect((cfg.requestTimeout ?? 0) > 0 || (cfg.socketTimeout ?? 0) > 0).toBe(true);
  });

  it("the apply/rollback client (sdkConfig) has a request timeout", async () => {
    const c = captureHttp();
    const iam = new IAMClient(
      sdkConfig({ credentials: CREDS, endpoint: "http://127.0.0.1:9", maxAttempts: 1 }),
    );
    await expect(iam.send(new ListPolicyVersionsCommand({ PolicyArn: ADMIN }))).rejects.toThrow("not sent");
    const cfg = c.configs[0]!;
    expect((cfg.requestTimeout ?? 0) > 0 || (cfg.socketTimeout ?? 0) > 0).toBe(true);
  });
});

// ---------------------------------------------------------------------------------------------

describe("creds aws live (CLI against the loopback fake)", () => {
  let fake: FakeAws | undefined;
  let home: string;
  beforeEach(() => {
    vi.stubEnv("AWS_CONFIG_FILE", "/nonexistent/aws-config");
    vi.stubEnv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/aws-credentials");
    vi.stubEnv("AWS_EC2_METADATA_DISABLED", "true");
    home = tmp("aa-hostile-home-");
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

  function account(
    over: { boundary?: string; inline?: Record<string, string>; groups?: string[] } = {},
  ): FakeAwsState {
    const state = fakeState(ACCT, { user: "agent" });
    state.users.agent = fakeUser({
      attached: [ADMIN],
      accessKeys: [
        { id: KEY_ID, status: "Active", created: "2026-11-01T00:00:00Z", lastUsed: "2026-11-29T00:00:00Z" },
      ],
      ...(over.boundary ? { boundary: over.boundary } : {}),
      ...(over.inline ? { inline: over.inline } : {}),
    });
    state.policies[ADMIN] = fakePolicy("agent-admin", {
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }],
    });
    state.lastAccessed[AGENT] = {
      services: [
        {
          namespace: "s3",
          lastAuthenticated: "2026-11-29T00:00:00Z",
          tracked: [{ action: "ListAllMyBuckets", lastAccessed: "2026-11-29T00:00:00Z" }],
        },
      ],
    };
    return state;
  }

  const run = (args: string[]) =>
    cli(["creds", "aws", "--home", home, "--no-env", "--endpoint-url", fake!.endpoint, ...args]);

  function boundaryManifest(): string {
    return `${JSON.stringify(
      {
        kind: "agent-audit-aws-apply",
        version: 1,
        createdAt: "2026-12-01T10:00:00.000Z",
        mode: "boundary",
        principal: { arn: AGENT, kind: "user", name: "agent" },
        boundary: { previousArn: null, policyArn: BOUNDARY, createdPolicy: true },
        calls: [],
        completed: true,
      },
      null,
      2,
    )}\n`;
  }

  it("--rollback refuses a manifest others can write (baseline)", async () => {
    fake = await startFakeAws(account({ boundary: BOUNDARY }));
    fake.state.policies[BOUNDARY] = fakePolicy(
      "agent-audit-boundary-agent",
      { Statement: [{ Effect: "Allow", Action: "s3:*", Resource: "*" }] },
      { path: "/agent-audit/" },
    );
    const dir = tmp("aa-hostile-state-");
    const m = join(dir, "aws-x.json");
    writeFileSync(m, boundaryManifest());
    chmodSync(m, 0o666);
    const r = await run(["--rollback", m]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("writable by others");
    expect(fake.state.users.agent!.boundary).toBe(BOUNDARY);
  });

  // FINDING: src/app/creds.ts rollbackCredsAws checks owner and mode with lstatSync(path), and skips
  // the check when the path is not a regular file (`st.isFile() && ...`); readRegularText then opens
  // the path FOLLOWING symlinks. A symlink (in an agent-writable state dir, or one the agent plants
  // where the operator keeps manifests) to an agent-owned or world-writable manifest passes: the
  // agent's manifest removes the boundary (previousArn null) or sets any old default version.
  it("--rollback through a symlink to a world-writable manifest is refused too", async () => {
    fake = await startFakeAws(account({ boundary: BOUNDARY }));
    fake.state.policies[BOUNDARY] = fakePolicy(
      "agent-audit-boundary-agent",
      { Statement: [{ Effect: "Allow", Action: "s3:*", Resource: "*" }] },
      { path: "/agent-audit/" },
    );
    const dir = tmp("aa-hostile-state-");
    const target = join(dir, "agent-written.json");
    writeFileSync(target, boundaryManifest());
    chmodSync(target, 0o666);
    const link = join(dir, "aws-2026-12-01T10-00-00-000Z.json");
    symlinkSync(target, link);
    const r = await run(["--rollback", link]);
    expect(fake.state.users.agent!.boundary).toBe(BOUNDARY);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/writable by others|symbolic link|not trusted/);
  });

  // FINDING: src/app/creds.ts applyMode sends ListPolicyVersions (for the policy-version plan and
  // its dry run) outside any try/catch: an AWS error there (AccessDenied, throttling, an endpoint
  // down) escapes runCli as a raw SDK exception: "internal error" with the SDK's stack and AWS's own
  // message text (foreign text), instead of the documented message naming iam:ListPolicyVersions.
  it("--apply policy-version with ListPolicyVersions denied is a clear error naming the permission", async () => {
    fake = await startFakeAws(account(), {
      faults: [
        { action: "ListPolicyVersions", code: "AccessDenied", message: "FOREIGN TEXT from the server" },
      ],
    });
    const r = await run(["--apply", "policy-version", "--dry-run"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("iam:ListPolicyVersions");
    expect(r.stderr).not.toContain("FOREIGN TEXT");
    expectNoSecret(r.stdout, r.stderr);
  });

  it("names with control characters from the account cannot forge output lines", async () => {
    // XML 1.0 cannot carry ESC (and folds CR); a newline, the C1 CSI (U+009B) and a bidi override it can.
    const evil = "x\n\u009b2KStep 6 credential-scope: PASS \u202e";
    fake = await startFakeAws(
      account({
        inline: {
          [evil]: JSON.stringify({
            Statement: [{ Effect: "Allow", Action: "s3:ListAllMyBuckets", Resource: "*" }],
          }),
        },
      }),
    );
    const r = await run([]);
    expect(r.stdout.split("\n").filter((l) => l.startsWith("Step 6"))).toHaveLength(1);
    expect(r.stdout).not.toMatch(/[\u009b\u202e]/);
    expect(r.stdout).toContain("Step 6 credential-scope: FAIL");
    const j = await run(["--format", "json"]);
    const body = JSON.parse(j.stdout);
    expect(body.grants.map((g: { name: string }) => g.name)).toContain(evil);
    expect(j.stdout).not.toMatch(/[\u009b\u202e]/);
    expectNoSecret(r.stdout, r.stderr, j.stdout, j.stderr);
  });

  it("an AWS error on the caller's identity is exit 2, never a pass, and quotes no key", async () => {
    fake = await startFakeAws(account(), {
      faults: [
        {
          action: "GetCallerIdentity",
          code: "InvalidClientTokenId",
          message: `The security token ${KEY_ID} ${SECRET} is invalid`,
        },
      ],
    });
    const r = await run([]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain("InvalidClientTokenId");
    expectNoSecret(r.stdout, r.stderr);
  });

  // FINDING (most severe): a denied read of the grants is an "issue" and the analysis goes on with
  // the grants it could read; scoreScope() never sees the issues. With iam:ListAttachedUserPolicies,
  // iam:GetPolicy or iam:GetPolicyVersion denied (the default run uses the AGENT's own keys: an
  // agent with IAM write attaches a self-Deny on iam:GetPolicyVersion; a key without IAM read is
  // enough), the AdministratorAccess-like policy is never read, and `creds aws` prints
  // "Step 6 credential-scope: PASS" and exits 0; `scan --aws` passes step 6 the same way.
  for (const action of ["ListAttachedUserPolicies", "GetPolicy", "GetPolicyVersion"]) {
    it(`an admin grant hidden by a denied ${action} is not a pass (exit 0)`, async () => {
      fake = await startFakeAws(account(), { faults: [{ action, code: "AccessDenied" }] });
      const r = await run([]);
      expect(r.stdout).toContain(`iam:${action} denied`);
      expect(r.stdout).not.toContain("Step 6 credential-scope: PASS");
      expect(r.code).not.toBe(0);
      expectNoSecret(r.stdout, r.stderr);
    });
  }

  it("scan --aws with iam:GetPolicyVersion denied does not pass step 6 (temporary keys)", async () => {
    // Temporary (ASIA) keys: the inventory does not judge them long-lived, so step 6 rests on IAM.
    writeFileSync(
      join(home, ".aws/credentials"),
      `[default]\naws_access_key_id = ${SESSION_KEY_ID}\naws_secret_access_key = ${SECRET}\naws_session_token = ${SESSION_TOKEN}\n`,
    );
    fake = await startFakeAws(account(), { faults: [{ action: "GetPolicyVersion", code: "AccessDenied" }] });
    const root = tmp("aa-hostile-root-");
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
    expect(r.stdout).not.toContain(SESSION_TOKEN);
    const report = JSON.parse(r.stdout);
    expect(report.issues.map((i: { message: string }) => i.message).join("\n")).toContain(
      "iam:GetPolicyVersion denied",
    );
    const step6 = report.checklist.find((c: { id: string }) => c.id === "credential-scope");
    expect(step6.status).not.toBe("pass");
  });

  it("scan --aws with the identity call denied does not pass step 6", async () => {
    fake = await startFakeAws(account(), { faults: [{ action: "GetCallerIdentity", code: "AccessDenied" }] });
    const root = tmp("aa-hostile-root-");
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
    const step6 = report.checklist.find((c: { id: string }) => c.id === "credential-scope");
    expect(step6.status).not.toBe("pass");
  });
});

// ---------------------------------------------------------------------------------------------

describe("plan soundness: the plan never grants what the principal did not have", () => {
  const USED = isoDaysBefore(1);

  // FINDING: plan.ts withinBoundary passes every plan statement without `Action` through uncut
  // (`if (s.Effect !== "Allow" || !s.Action) statements.push(s)`), and makePlan keeps an Allow with
  // NotAction whole. So when the principal's identity policy has `Allow NotAction [iam:*] on *` and
  // its current boundary allows only s3:*, `--apply boundary` replaces the boundary with one that
  // allows everything but iam: ec2, lambda, secretsmanager... become reachable (after ⊄ before).
  it("withinBoundary cuts an Allow NotAction statement to what the current boundary allows", () => {
    const identity: PolicyDocument = {
      Statement: [{ Effect: "Allow", NotAction: ["iam:*"], Resource: ["*"] }],
    };
    const boundary: PolicyDocument = { Statement: [{ Effect: "Allow", Action: ["s3:*"], Resource: ["*"] }] };
    const f = facts([identity], {
      granularity: "ACTION_LEVEL",
      completed: "2026-11-30T12:00:00.000Z",
      services: [{ namespace: "s3", lastAuthenticated: USED, trackedActions: null }],
    });
    f.boundary = { arn: policyArn(ACCT, "old-boundary"), document: boundary };
    const plan: Plan = withinBoundary(makePlan(f), boundary);
    // Before: identity ∩ boundary = s3 only.
    expect(allows([identity], "ec2:RunInstances") && allows([boundary], "ec2:RunInstances")).toBe(false);
    // After: the new boundary (the plan) ∩ identity must not reach ec2 either.
    expect(allows([plan.after], "ec2:RunInstances") && allows([identity], "ec2:RunInstances")).toBe(false);
  });

  it("withinBoundary cuts plain Action statements to the current boundary", () => {
    const identity: PolicyDocument = { Statement: [{ Effect: "Allow", Action: ["*"], Resource: ["*"] }] };
    const boundary: PolicyDocument = { Statement: [{ Effect: "Allow", Action: ["s3:*"], Resource: ["*"] }] };
    const f = facts([identity], {
      granularity: "ACTION_LEVEL",
      completed: "2026-11-30T12:00:00.000Z",
      services: [
        { namespace: "s3", lastAuthenticated: USED, trackedActions: null },
        { namespace: "ec2", lastAuthenticated: USED, trackedActions: null },
      ],
    });
    const plan = withinBoundary(makePlan(f), boundary);
    expect(allows([plan.after], "ec2:RunInstances")).toBe(false);
    expect(allows([plan.after], "s3:GetObject")).toBe(true);
  });

  // FINDING: names from the last-accessed report (tracked action names, service namespaces) are
  // matched as literal names by globMatch, where a granted `?` matches any one character, including
  // a `*` in the report's name; the plan then keeps the report's name as an ACTION PATTERN. A
  // crafted evidence folder (or a report from a redirected endpoint) listing the tracked action
  // `Get*` under a grant of `s3:Get?` makes the plan allow every s3:Get... action, which `s3:Get?`
  // (exactly one character after Get) never did. Same with a namespace `s*` under a grant `s?:*`.
  it("a tracked action name with a wildcard in the report does not widen a `?` grant", () => {
    const before: PolicyDocument = { Statement: [{ Effect: "Allow", Action: ["s3:Get?"], Resource: ["*"] }] };
    const f = facts([before], {
      granularity: "ACTION_LEVEL",
      completed: "2026-11-30T12:00:00.000Z",
      services: [
        {
          namespace: "s3",
          lastAuthenticated: USED,
          trackedActions: [{ action: "s3:Get*", lastAccessed: USED }],
        },
      ],
    });
    const plan = makePlan(f);
    expect(allows([before], "s3:GetObject")).toBe(false);
    expect(allows([plan.after], "s3:GetObject")).toBe(false);
  });

  it("a service namespace with a wildcard in the report does not widen a `?` service grant", () => {
    const before: PolicyDocument = { Statement: [{ Effect: "Allow", Action: ["s?:*"], Resource: ["*"] }] };
    const f = facts([before], {
      granularity: "ACTION_LEVEL",
      completed: "2026-11-30T12:00:00.000Z",
      services: [{ namespace: "s*", lastAuthenticated: USED, trackedActions: null }],
    });
    const plan = makePlan(f);
    expect(allows([before], "secretsmanager:GetSecretValue")).toBe(false);
    expect(allows([plan.after], "secretsmanager:GetSecretValue")).toBe(false);
  });

  it("case differences, service wildcards and Deny NotAction keep after within before", () => {
    const before: PolicyDocument = {
      Statement: [
        { Effect: "Allow", Action: ["S3:GET*", "s3*:List*", "*:Describe*"], Resource: ["*"] },
        { Effect: "Deny", NotAction: ["s3:*"], Resource: ["*"] },
      ],
    };
    const f = facts([before], {
      granularity: "ACTION_LEVEL",
      completed: "2026-11-30T12:00:00.000Z",
      services: [
        {
          namespace: "s3",
          lastAuthenticated: USED,
          trackedActions: [
            { action: "s3:GetObjectAcl", lastAccessed: USED },
            { action: "s3:ListBucketVersions", lastAccessed: USED },
          ],
        },
        { namespace: "ec2", lastAuthenticated: USED, trackedActions: null },
      ],
    });
    const plan = makePlan(f);
    for (const a of [
      "s3:GetObjectAcl",
      "s3:ListBucketVersions",
      "s3:GetObject",
      "ec2:DescribeInstances",
      "ec2:RunInstances",
      "iam:CreateUser",
    ])
      if (allows([plan.after], a)) expect(allows([before], a)).toBe(true);
    expect(plan.after.Statement.filter((s) => s.Effect === "Deny")).toEqual([before.Statement[1]]);
  });
});

// ---------------------------------------------------------------------------------------------

describe("checks: an admin grant the agent words differently", () => {
  function evidence(doc: object): string {
    const dir = tmp("aa-hostile-evidence-");
    const arn = "arn:aws:iam::111122223333:user/one";
    writeFileSync(
      join(dir, "sts-get-caller-identity.json"),
      JSON.stringify({ Arn: arn, Account: "111122223333" }),
    );
    writeFileSync(
      join(dir, "iam-get-account-authorization-details.json"),
      JSON.stringify({
        UserDetailList: [
          { UserName: "one", Arn: arn, UserPolicyList: [{ PolicyName: "p", PolicyDocument: doc }] },
        ],
      }),
    );
    writeFileSync(
      join(dir, "iam-get-service-last-accessed-details.json"),
      JSON.stringify({
        JobStatus: "COMPLETED",
        JobType: "ACTION_LEVEL",
        JobCompletionDate: "2026-11-30T12:00:00+00:00",
        ServicesLastAccessed: [{ ServiceNamespace: "s3", LastAuthenticated: "2026-11-29T00:00:00+00:00" }],
      }),
    );
    return dir;
  }

  it("Action * on Resource * is admin, exit 1 (baseline)", async () => {
    const r = await cli([
      "creds",
      "aws",
      "--evidence",
      evidence({ Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }] }),
      "--no-env",
      "--format",
      "json",
    ]);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).findings.map((x: { ruleId: string }) => x.ruleId)).toContain(
      "aws-iam-admin-access",
    );
  });

  // FINDING: checks.ts onAllResources() recognises only the literal Resource "*" (or NotResource).
  // `Resource: "arn:*"` (or "arn:aws:*:*:*:*", "*:*", "**") matches every ARN, so
  // `{Action: "*", Resource: "arn:*"}` is full admin, yet no admin / iam:* / write-all finding is
  // raised, step 6 passes and `creds aws` exits 0. An agent with IAM write, or an operator's
  // hand-written policy, escapes every broad-grant check this way.
  it("Action * on Resource arn:* is admin too", async () => {
    const r = await cli([
      "creds",
      "aws",
      "--evidence",
      evidence({ Statement: [{ Effect: "Allow", Action: "*", Resource: "arn:*" }] }),
      "--no-env",
      "--format",
      "json",
    ]);
    expect(JSON.parse(r.stdout).findings.map((x: { ruleId: string }) => x.ruleId)).toContain(
      "aws-iam-admin-access",
    );
    expect(r.code).toBe(1);
  });
});

// ---------------------------------------------------------------------------------------------

describe("apply against a server that never ends a list", () => {
  // FINDING: apply.ts applyPlan (policy-version mode) pages ListPolicyVersions with
  // `do { ... } while (marker)`: no page cap and no repeated-marker check (live.ts has both), and
  // every page's versions are appended. A server answering IsTruncated=true with the same Marker
  // forever (a misbehaving proxy or endpoint) spins the apply forever, growing memory. Here the mock
  // gives up after 2,000 pages; the safe behaviour is to stop at the repeated marker and refuse.
  it("stops at a repeated marker instead of paging forever", async () => {
    const iam = mockClient(IAMClient);
    let lists = 0;
    iam.on(ListPolicyVersionsCommand).callsFake(async () => {
      lists++;
      return lists < 2000
        ? { Versions: [], IsTruncated: true, Marker: "same" }
        : { Versions: [{ VersionId: "v1", IsDefaultVersion: true }], IsTruncated: false };
    });
    iam.on(CreatePolicyVersionCommand).resolves({ PolicyVersion: { VersionId: "v2" } });
    const pol = policyArn(ACCT, "agent-policy");
    const target: ApplyTarget = {
      mode: "policy-version",
      principal: USER,
      policyArn: pol,
      plan: {
        principal: AGENT,
        before: [],
        after: {
          Version: "2012-10-17",
          Statement: [{ Effect: "Allow", Action: ["s3:ListAllMyBuckets"], Resource: ["*"] }],
        },
        removed: [],
        kept: [],
        unknown: [],
        sizeChars: 10,
        maxChars: 6144,
        fits: true,
        windowDays: 90,
        reference: "2026-11-30T12:00:00.000Z",
        decisions: [],
        notes: [],
      },
    };
    const outcome = await applyPlan(iam as unknown as IAMClient, target, {
      writeManifest: async () => {},
    }).then(
      () => "applied",
      (e: Error) => e.name,
    );
    iam.restore();
    expect(lists).toBeLessThanOrEqual(100);
    expect(outcome).toBe("ApplyFailedError");
  });
});

// ---------------------------------------------------------------------------------------------

describe("credentials from the agent's home never reach an output", () => {
  it("a malformed ~/.aws/credentials, a key id that is a secret, and a hostile profile name quote no value", async () => {
    const home = tmp("aa-hostile-home-");
    mkdirSync(join(home, ".aws"));
    writeFileSync(
      join(home, ".aws/credentials"),
      `[default]\naws_access_key_id = ${SECRET}\naws_secret_access_key = ${KEY_ID}\n[evil\u001b[2J]\naws_session_token = ${SECRET}\n`,
    );
    const a = await cli(["creds", "aws", "--home", home, "--no-env", "--endpoint-url", "http://127.0.0.1:9"]);
    expect(a.code).toBe(2);
    expect(a.stderr).toContain("not an AWS access key id");
    const b = await cli([
      "creds",
      "aws",
      "--home",
      home,
      "--no-env",
      "--profile",
      "evil\u001b[2J",
      "--endpoint-url",
      "http://127.0.0.1:9",
    ]);
    expect(b.code).toBe(2);
    expect(b.stderr).toContain("has no static keys");
    expect(b.stderr).not.toContain("\u001b");
    const c = await cli([
      "creds",
      "aws",
      "--home",
      home,
      "--no-env",
      "--profile",
      `${SECRET}`,
      "--endpoint-url",
      "http://127.0.0.1:9",
    ]);
    expect(c.code).toBe(2);
    expectNoSecret(a.stdout, a.stderr, b.stdout, b.stderr);
    expect(c.stdout).not.toContain(SECRET);
  });

  it("a symlinked ~/.aws/credentials leading out of the home is refused", async () => {
    const home = tmp("aa-hostile-home-");
    const outside = tmp("aa-hostile-outside-");
    writeFileSync(
      join(outside, "credentials"),
      `[default]\naws_access_key_id = ${KEY_ID}\naws_secret_access_key = ${SECRET}\n`,
    );
    mkdirSync(join(home, ".aws"));
    symlinkSync(join(outside, "credentials"), join(home, ".aws/credentials"));
    const r = await cli(["creds", "aws", "--home", home, "--no-env", "--endpoint-url", "http://127.0.0.1:9"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("outside the home");
    expectNoSecret(r.stdout, r.stderr);
  });
});

describe("pattern matching stays linear on pathological patterns", () => {
  it("globMatch and covers answer on 256-character star patterns", () => {
    const p = `${"*a".repeat(127)}b`;
    const s = "a".repeat(256);
    expect(globMatch(p, s)).toBe(false);
    expect(covers(p, `${s.slice(0, 255)}*`)).toBe(false);
    expect(globMatch("*".repeat(300), "x")).toBe(false);
  });
});

describe("checks: admin patterns longer than the matcher's cap", () => {
  function evidence(action: string): string {
    const dir = tmp("aa-hostile-evidence-");
    const arn = "arn:aws:iam::111122223333:user/one";
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
            UserPolicyList: [
              {
                PolicyName: "p",
                PolicyDocument: { Statement: [{ Effect: "Allow", Action: action, Resource: "*" }] },
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
        JobCompletionDate: "2026-11-30T12:00:00+00:00",
        ServicesLastAccessed: [],
      }),
    );
    return dir;
  }

  // FINDING: checks.ts recognises admin only as the literal "*" or "*:*", and policy.ts globMatch
  // returns false for any pattern over 256 characters. So `Action: "*"` written as 300 stars (the
  // same grant: IAM's `*` matches any run) is judged only "write on all resources" (medium: step 6
  // WARN, exit 0), and `iam:` + 300 stars (all of IAM) raises nothing at all (step 6 PASS, exit 0).
  // Shorter spellings (`**`, `*:**`, `?*`) are reported as iam:* (high), not as admin (critical).
  it("Action of 300 stars on * is admin (critical), exit 1", async () => {
    const r = await cli([
      "creds",
      "aws",
      "--evidence",
      evidence("*".repeat(300)),
      "--no-env",
      "--format",
      "json",
    ]);
    expect(JSON.parse(r.stdout).findings.map((x: { ruleId: string }) => x.ruleId)).toContain(
      "aws-iam-admin-access",
    );
    expect(r.code).toBe(1);
  });

  it("Action iam: + 300 stars on * is full IAM access, exit 1", async () => {
    const r = await cli([
      "creds",
      "aws",
      "--evidence",
      evidence(`iam:${"*".repeat(300)}`),
      "--no-env",
      "--format",
      "json",
    ]);
    expect(JSON.parse(r.stdout).findings.map((x: { ruleId: string }) => x.ruleId)).toContain(
      "aws-iam-full-iam-access",
    );
    expect(r.code).toBe(1);
  });

  it("Action ** on * is admin (critical), not only full IAM access", async () => {
    const r = await cli(["creds", "aws", "--evidence", evidence("**"), "--no-env", "--format", "json"]);
    expect(JSON.parse(r.stdout).findings.map((x: { ruleId: string }) => x.ruleId)).toContain(
      "aws-iam-admin-access",
    );
  });
});

describe("plan soundness, property: after ⊆ before over generated grants and reports", () => {
  const UNIVERSE = [
    "s3:GetObject",
    "s3:GetObjectAcl",
    "s3:PutObject",
    "s3:ListBucket",
    "s3:ListAllMyBuckets",
    "s3:CreateBucket",
    "s3:DeleteBucket",
    "iam:PassRole",
    "iam:CreateUser",
    "iam:GetUser",
    "ec2:RunInstances",
    "ec2:DescribeInstances",
    "lambda:InvokeFunction",
    "lambda:CreateFunction",
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "sts:GetCallerIdentity",
    "sqs:SendMessage",
    "secretsmanager:GetSecretValue",
    "ssm:GetParameter",
  ];
  const PATTERNS = [
    "*",
    "*:*",
    "s3:*",
    "S3:get*",
    "s3:Get*",
    "s3:List*",
    "s3*:*",
    "s?:*",
    "*:Get*",
    "*:Describe*",
    "iam:*",
    "iam:Pass*",
    "iam:Get?ser",
    "ec2:*",
    "lambda:*",
    "lambda:Invoke*",
    "dynamodb:*Item",
    "s3:*Object*",
    "sqs:*",
    "s*:Get*",
    ...UNIVERSE,
  ];
  const NAMESPACES = ["s3", "iam", "ec2", "lambda", "dynamodb", "sts", "sqs", "secretsmanager", "ssm"];

  it("never grants an action the principal did not have", async () => {
    const fc = await import("fast-check");
    const statement = fc.record({
      Effect: fc.constantFrom("Allow" as const, "Allow" as const, "Deny" as const),
      not: fc.boolean(),
      actions: fc.uniqueArray(fc.constantFrom(...PATTERNS), { minLength: 1, maxLength: 4 }),
    });
    const service = fc.record({
      namespace: fc.constantFrom(...NAMESPACES),
      used: fc.constantFrom(0, 1, 2),
      tracked: fc.option(
        fc.uniqueArray(fc.record({ action: fc.constantFrom(...UNIVERSE), used: fc.boolean() }), {
          maxLength: 4,
        }),
      ),
    });
    fc.assert(
      fc.property(
        fc.array(fc.array(statement, { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 3 }),
        fc.uniqueArray(service, { selector: (s) => s.namespace, maxLength: 9 }),
        (docs, services) => {
          const before: PolicyDocument[] = docs.map((d) => ({
            Statement: d.map((s) =>
              s.not && s.Effect === "Allow"
                ? { Effect: s.Effect, NotAction: s.actions, Resource: ["*"] }
                : { Effect: s.Effect, Action: s.actions, Resource: ["*"] },
            ),
          }));
          const f = facts(before, {
            granularity: "ACTION_LEVEL",
            completed: "2026-11-30T12:00:00.000Z",
            services: services.map((s) => ({
              namespace: s.namespace,
              ...(s.used === 0 ? {} : { lastAuthenticated: isoDaysBefore(s.used === 1 ? 1 : 200) }),
              trackedActions: s.tracked
                ? s.tracked
                    .filter((t) => t.action.startsWith(`${s.namespace}:`))
                    .map((t) =>
                      t.used ? { action: t.action, lastAccessed: isoDaysBefore(1) } : { action: t.action },
                    )
                : null,
            })),
          });
          const plan = makePlan(f);
          for (const a of UNIVERSE) if (allows([plan.after], a) && !allows(before, a)) return false;
          return true;
        },
      ),
      { numRuns: 400, seed: 13 },
    );
  });
});

describe("resource exhaustion held", () => {
  it("a 200,000-deep Condition in an evidence file fails closed (exit 2), not a pass or a crash", async () => {
    const dir = tmp("aa-hostile-evidence-");
    const arn = "arn:aws:iam::111122223333:user/one";
    writeFileSync(
      join(dir, "sts-get-caller-identity.json"),
      JSON.stringify({ Arn: arn, Account: "111122223333" }),
    );
    const deep = `${'{"a":'.repeat(200_000)}1${"}".repeat(200_000)}`;
    writeFileSync(
      join(dir, "iam-get-account-authorization-details.json"),
      `{"UserDetailList":[{"UserName":"one","Arn":"${arn}","UserPolicyList":[{"PolicyName":"p","PolicyDocument":{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Condition":${deep}}]}}]}]}`,
    );
    writeFileSync(
      join(dir, "iam-get-service-last-accessed-details.json"),
      JSON.stringify({
        JobStatus: "COMPLETED",
        JobType: "ACTION_LEVEL",
        JobCompletionDate: "2026-11-30T12:00:00+00:00",
        ServicesLastAccessed: [{ ServiceNamespace: "s3", LastAuthenticated: "2026-11-29T00:00:00+00:00" }],
      }),
    );
    const r = await cli(["creds", "aws", "--evidence", dir, "--no-env"]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
  });

  it("a last-accessed job that stays IN_PROGRESS, with a clock that never moves, ends with an issue", async () => {
    vi.stubEnv("AWS_CONFIG_FILE", "/nonexistent/aws-config");
    vi.stubEnv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/aws-credentials");
    vi.stubEnv("AWS_EC2_METADATA_DISABLED", "true");
    const state = fakeState(ACCT, { user: "agent" });
    state.lastAccessed[AGENT] = { services: [] };
    const fake = await startFakeAws(state, { jobPolls: 1_000_000 });
    try {
      let sleeps = 0;
      const f = await gatherLive({
        credentials: CREDS,
        endpoint: fake.endpoint,
        sleep: async () => {
          sleeps++;
        },
        now: () => 0,
      });
      expect(f.lastAccessed).toBeUndefined();
      expect(sleeps).toBeLessThan(1000);
      expect(f.issues.map((i) => i.message).join("\n")).toContain("was not ready");
      expect(JSON.stringify(f)).not.toContain(SECRET);
    } finally {
      await fake.close();
      vi.unstubAllEnvs();
    }
  });
});
