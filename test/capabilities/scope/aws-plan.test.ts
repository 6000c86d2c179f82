import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { canWrite, judgeFacts } from "../../../src/capabilities/scope/aws/checks.js";
import {
  EVIDENCE_FILES,
  EvidenceError,
  factsFromDetails,
  lastAccessedFrom,
  parseArn,
  readEvidence,
} from "../../../src/capabilities/scope/aws/evidence.js";
import { makePlan, PlanError, withinBoundary } from "../../../src/capabilities/scope/aws/plan.js";
import {
  covers,
  globMatch,
  PolicyShapeError,
  parsePolicy,
  policyJson,
} from "../../../src/capabilities/scope/aws/policy.js";
import type { AwsFacts, PolicyDocument } from "../../../src/capabilities/scope/aws/types.js";

const FIXTURE = join(import.meta.dirname, "../../../fixtures/aws-evidence/admin-agent");
const USER = "arn:aws:iam::111122223333:user/agents/ci-agent";

describe("policy documents", () => {
  it("reads the CLI's objects, IAM's URL-encoded text and plain JSON into one shape", () => {
    const doc = {
      Version: "2012-10-17",
      Statement: { Effect: "Allow", Action: "s3:GetObject", Resource: "*" },
    };
    const want = {
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Action: ["s3:GetObject"], Resource: ["*"] }],
    };
    expect(parsePolicy(doc)).toEqual(want);
    expect(parsePolicy(encodeURIComponent(JSON.stringify(doc)))).toEqual(want);
    expect(parsePolicy(JSON.stringify(doc))).toEqual(want);
  });

  it("names what is wrong, never the text", () => {
    const bad: [unknown, string][] = [
      ["%E0%A4%A", "the document's URL encoding is malformed"],
      ["{AKIAIOSFODNN7EXAMPLE", "the document is not valid JSON"],
      [[], "the document is not a JSON object"],
      [{ Version: "2012-10-17" }, "the document has no Statement"],
      [{ Statement: [{ Effect: "Maybe", Action: "*" }] }, "statement 1: Effect is not Allow or Deny"],
      [{ Statement: [{ Effect: "Allow" }] }, "statement 1: no Action or NotAction"],
      [
        { Statement: [{ Effect: "Allow", Action: [1] }] },
        "statement 1: Action is not a string or a list of strings",
      ],
      [
        { Statement: [{ Effect: "Allow", Action: "*", Condition: "x" }] },
        "statement 1: Condition is not an object",
      ],
      ["x".repeat(131_073), "the document is longer than 131072 characters"],
    ];
    for (const [raw, msg] of bad) {
      let err: unknown;
      try {
        parsePolicy(raw);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(PolicyShapeError);
      expect((err as Error).message).toBe(msg);
    }
  });

  it("matches IAM patterns case-insensitively, and covers only what a pattern surely contains", () => {
    expect(globMatch("s3:Get*", "s3:getobject")).toBe(true);
    expect(globMatch("s3:Get?bject", "s3:GetObject")).toBe(true);
    expect(globMatch("s3:Get*", "s3:PutObject")).toBe(false);
    expect(globMatch("*", "anything:At")).toBe(true);
    expect(globMatch("a*".repeat(200), "a".repeat(300))).toBe(false); // over the cap: no match, no blow-up
    expect(covers("s3:*", "s3:GetObject*")).toBe(true);
    expect(covers("s3:Get*", "s3:GetObject*")).toBe(true);
    expect(covers("s3:GetObject*", "s3:Get*")).toBe(false);
    expect(covers("s3:GetObject", "s3:GetObject*")).toBe(false);
    expect(covers("*", "ec2:RunInstances")).toBe(true);
  });

  it("counts size as IAM does: without whitespace", () => {
    const d: PolicyDocument = {
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Action: ["s3:*"], Resource: ["*"] }],
    };
    expect(policyJson(d)).toBe(
      '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:*"],"Resource":["*"]}]}',
    );
  });
});

describe("evidence (the AWS CLI's JSON)", () => {
  it("reads the principal, its own, group and managed policies, and the last-accessed report", async () => {
    const f = await readEvidence(FIXTURE);
    expect(f.principal).toEqual({
      arn: USER,
      kind: "user",
      name: "ci-agent",
      accountId: "111122223333",
      created: "2025-06-01T09:00:00.000Z",
    });
    expect(
      f.grants.map((g) => [
        g.type,
        g.name,
        g.via.kind,
        g.via.name,
        g.versionId ?? null,
        g.awsManaged ?? false,
      ]),
    ).toEqual([
      ["inline", "pass-any-role", "user", "ci-agent", null, false],
      ["managed", "AdministratorAccess", "user", "ci-agent", "v1", true],
      ["inline", "deny-org", "group", "deployers", null, false],
      ["managed", "agent-data", "group", "deployers", "v2", false],
    ]);
    // The default version's document, not v1's.
    expect(f.grants[3]!.document.Statement[0]!.Resource).toEqual([
      "arn:aws:s3:::agent-data",
      "arn:aws:s3:::agent-data/*",
    ]);
    expect(f.groups).toEqual(["deployers"]);
    expect(f.boundary).toBeUndefined();
    expect(f.issues).toEqual([]);
    expect(f.lastAccessed!.granularity).toBe("ACTION_LEVEL");
    expect(f.lastAccessed!.completed).toBe("2026-11-30T12:00:00.000Z");
    expect(f.lastAccessed!.services.find((s) => s.namespace === "s3")!.trackedActions).toEqual([
      { action: "s3:ListAllMyBuckets", lastAccessed: "2026-11-29T08:15:00.000Z" },
      { action: "s3:GetBucketLocation", lastAccessed: "2026-11-20T10:00:00.000Z" },
      { action: "s3:CreateBucket" },
      { action: "s3:DeleteBucket" },
      { action: "s3:PutBucketPolicy", lastAccessed: "2026-03-01T00:00:00.000Z" },
    ]);
    expect(f.lastAccessed!.services.find((s) => s.namespace === "ec2")!.trackedActions).toBeNull();
  });

  it("analyses another principal with --principal, and an assumed-role caller as its role", () => {
    const auth = {
      UserDetailList: [],
      RoleDetailList: [
        {
          RoleName: "agent",
          Arn: "arn:aws:iam::111122223333:role/service/agent",
          RolePolicyList: [
            {
              PolicyName: "p",
              PolicyDocument: { Statement: [{ Effect: "Allow", Action: "s3:*", Resource: "*" }] },
            },
          ],
          AttachedManagedPolicies: [],
          PermissionsBoundary: {
            PermissionsBoundaryType: "Policy",
            PermissionsBoundaryArn: "arn:aws:iam::111122223333:policy/b",
          },
        },
      ],
      Policies: [
        {
          Arn: "arn:aws:iam::111122223333:policy/b",
          PolicyName: "b",
          DefaultVersionId: "v1",
          PolicyVersionList: [
            {
              VersionId: "v1",
              IsDefaultVersion: true,
              Document: encodeURIComponent(
                '{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}',
              ),
            },
          ],
        },
      ],
    };
    const f = factsFromDetails("arn:aws:sts::111122223333:assumed-role/agent/session-1", auth, undefined);
    expect(f.principal.arn).toBe("arn:aws:iam::111122223333:role/service/agent");
    expect(f.principal.kind).toBe("role");
    expect(f.boundary).toEqual({
      arn: "arn:aws:iam::111122223333:policy/b",
      versionId: "v1",
      document: { Statement: [{ Effect: "Allow", Action: ["s3:*"], Resource: ["*"] }] },
    });
    expect(() => factsFromDetails(USER, auth, undefined, "arn:aws:iam::111122223333:role/other")).toThrow(
      "iam-get-account-authorization-details.json: the role arn:aws:iam::111122223333:role/other is not in RoleDetailList (was the CLI run with a --filter that left it out?)",
    );
  });

  it("refuses the root user and what is not an ARN", () => {
    expect(() => factsFromDetails("arn:aws:iam::111122223333:root", {}, undefined)).toThrow(
      "not an IAM user or role: arn:aws:iam::111122223333:root (analyse a user or role; the root user cannot be narrowed)",
    );
    expect(() => factsFromDetails("nope\u001b[31m", {}, undefined)).toThrow(
      "not an IAM user, role or assumed-role ARN: nope?[31m",
    );
    expect(parseArn("arn:aws-us-gov:iam::111122223333:user/a/b/c")).toEqual({
      accountId: "111122223333",
      kind: "user",
      name: "c",
    });
  });

  it("makes a missing policy document, a bad one and a missing group issues, not crashes", () => {
    const f = factsFromDetails(
      USER,
      {
        UserDetailList: [
          {
            UserName: "ci-agent",
            Arn: USER,
            UserPolicyList: [{ PolicyName: "bad", PolicyDocument: "not json AKIAIOSFODNN7EXAMPLE" }],
            GroupList: ["gone"],
            AttachedManagedPolicies: [
              { PolicyName: "ReadOnlyAccess", PolicyArn: "arn:aws:iam::aws:policy/ReadOnlyAccess" },
            ],
          },
        ],
      },
      undefined,
    );
    expect(f.grants).toEqual([]);
    expect(f.issues.map((i) => i.message)).toEqual([
      "inline policy bad of user ci-agent: policy not read (the document is not valid JSON)",
      "managed policy ReadOnlyAccess (attached to user ci-agent): its document is not in Policies (run get-account-authorization-details without --filter, so AWS-managed policies are included)",
      "group gone: not in GroupDetailList; its policies are not counted",
    ]);
  });

  it("refuses an unfinished, truncated or missing file with what to do", async () => {
    expect(() => lastAccessedFrom({ JobStatus: "IN_PROGRESS" }, "f.json")).toThrow(
      "f.json: JobStatus is IN_PROGRESS, not COMPLETED (wait for the job, then save it again)",
    );
    expect(() =>
      lastAccessedFrom(
        { JobStatus: "COMPLETED", JobCompletionDate: "2026-01-01T00:00:00Z", IsTruncated: true },
        "f.json",
      ),
    ).toThrow("IsTruncated is true");
    const dir = mkdtempSync(join(tmpdir(), "aa-evidence-"));
    await expect(readEvidence(dir)).rejects.toThrow(
      new EvidenceError(`${EVIDENCE_FILES.caller}: missing from the evidence folder`),
    );
    writeFileSync(join(dir, EVIDENCE_FILES.caller), "{nope");
    await expect(readEvidence(dir)).rejects.toThrow(
      `${EVIDENCE_FILES.caller}: not valid JSON (save the CLI's output with --output json)`,
    );
  });
});

describe("the plan", () => {
  it("narrows admin to the services used, keeps what IAM cannot track, and fits the size limit", async () => {
    const f = await readEvidence(FIXTURE);
    const p = makePlan(f);
    expect(p.principal).toBe(USER);
    expect(p.before).toHaveLength(4);
    expect(p.after).toEqual({
      Version: "2012-10-17",
      Statement: [
        { Effect: "Deny", Action: ["organizations:*"], Resource: ["*"] },
        {
          Effect: "Allow",
          Action: [
            "dynamodb:*",
            "ec2:*",
            "lambda:InvokeAsync",
            "lambda:InvokeFunction",
            "lambda:InvokeFunctionUrl",
            "s3:AbortMultipartUpload",
            "s3:DeleteObject*",
            "s3:GetBucketLocation",
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
      ],
    });
    // Unused services go whole; tracked actions not used go; the wildcards are replaced.
    expect(p.removed).toEqual([
      "*",
      "iam",
      "iam:GetRole",
      "iam:PassRole",
      "kms",
      "lambda:*",
      "organizations",
      "rds",
      "s3:*",
      "s3:CreateBucket",
      "s3:DeleteBucket",
      "s3:PutBucketPolicy",
      "secretsmanager",
    ]);
    expect(p.kept).toEqual(["dynamodb:*", "s3:GetBucketLocation", "s3:ListAllMyBuckets", "sts:*"]);
    // lambda was used but none of its tracked actions was: only its untracked invocations explain it.
    expect(p.unknown).toContain("lambda:InvokeFunction");
    expect(p.unknown).not.toContain("lambda:*");
    expect(p.unknown).toContain("s3:GetObject*");
    expect(p.sizeChars).toBe(policyJson(p.after).length);
    expect(p.fits).toBe(true);
    expect(p.maxChars).toBe(6144);
    expect(p.decisions.find((d) => d.action === "s3:PutBucketPolicy")).toEqual({
      action: "s3:PutBucketPolicy",
      verdict: "removed",
      reason: "tracked action not used in 90 days",
      policy: "managed AdministratorAccess",
    });
    expect(p.decisions.find((d) => d.action === "ec2:*")).toEqual({
      action: "ec2:*",
      verdict: "unknown",
      reason: "service used but no tracked action was, and no known untracked action explains it: kept whole",
      policy: "managed AdministratorAccess",
    });
  });

  it("a longer window keeps what a shorter one drops", async () => {
    const f = await readEvidence(FIXTURE);
    const p = makePlan(f, { windowDays: 365 });
    expect(p.removed).not.toContain("s3:PutBucketPolicy");
    expect(p.removed).not.toContain("iam");
    expect(p.kept).toContain("iam:CreateUser");
    expect(p.kept).toContain("s3:PutBucketPolicy");
    // iam:PassRole is never tracked: kept as unknown once iam is used.
    expect(p.unknown).toContain("iam:PassRole");
  });

  it("never grants more than before: every kept action is covered by a granted one on the same resource", async () => {
    const f = await readEvidence(FIXTURE);
    for (const days of [1, 30, 90, 200, 400]) {
      const p = makePlan(f, { windowDays: days });
      for (const s of p.after.Statement.filter((x) => x.Effect === "Allow")) {
        for (const a of s.Action ?? []) {
          const granted = p.before.some((d) =>
            d.Statement.some(
              (b) =>
                b.Effect === "Allow" &&
                JSON.stringify(b.Resource) === JSON.stringify(s.Resource) &&
                (b.Action ?? []).some((g) => covers(g, a)),
            ),
          );
          expect(granted, `${days}d ${a}`).toBe(true);
        }
      }
    }
  });

  it("falls back service by service to the granted patterns to fit IAM's limit, and says so", () => {
    const tracked = Array.from({ length: 400 }, (_, i) => ({
      action: `ec2:DescribeThing${String(i).padStart(3, "0")}`,
      lastAccessed: "2026-11-01T00:00:00.000Z",
    }));
    const facts: AwsFacts = {
      principal: { arn: USER, kind: "user", name: "ci-agent", accountId: "111122223333" },
      callerArn: USER,
      grants: [
        {
          type: "inline",
          name: "p",
          via: { kind: "user", name: "ci-agent" },
          document: { Statement: [{ Effect: "Allow", Action: ["ec2:Describe*", "s3:*"], Resource: ["*"] }] },
        },
      ],
      groups: [],
      accessKeys: [],
      issues: [],
      lastAccessed: {
        granularity: "ACTION_LEVEL",
        completed: "2026-11-30T00:00:00.000Z",
        services: [
          { namespace: "ec2", lastAuthenticated: "2026-11-01T00:00:00.000Z", trackedActions: tracked },
          { namespace: "s3", trackedActions: null },
        ],
      },
    };
    const p = makePlan(facts);
    expect(p.after.Statement).toEqual([{ Effect: "Allow", Action: ["ec2:Describe*"], Resource: ["*"] }]);
    expect(p.fits).toBe(true);
    expect(p.notes).toEqual([
      "To fit 6,144 characters, 400 ec2 actions were kept as granted (ec2 is not narrowed).",
    ]);
    expect(p.removed).toEqual(["ec2:Describe*", "s3"]);
    const tight = makePlan(facts, { maxChars: 10 });
    expect(tight.fits).toBe(false);
    expect(tight.notes.at(-1)).toBe(
      `The narrowed policy is ${tight.sizeChars} characters, over IAM's 10: it cannot be applied as one managed policy. Split the principal's grants first.`,
    );
  });

  it("keeps an Allow with NotAction whole and says so; refuses without evidence or with a bad window", async () => {
    const f = await readEvidence(FIXTURE);
    f.grants = [
      {
        type: "inline",
        name: "almost-admin",
        via: { kind: "user", name: "ci-agent" },
        document: { Statement: [{ Effect: "Allow", NotAction: ["iam:*"], Resource: ["*"] }] },
      },
    ];
    const p = makePlan(f);
    expect(p.after.Statement).toEqual([{ Effect: "Allow", NotAction: ["iam:*"], Resource: ["*"] }]);
    expect(p.notes).toEqual([
      "almost-admin: an Allow statement with NotAction was kept whole; it grants every action it does not name. Review it by hand.",
    ]);
    expect(() => makePlan(f, { windowDays: 0 })).toThrow(PlanError);
    expect(() => makePlan(f, { windowDays: 401 })).toThrow("from 1 to 400");
    const { lastAccessed: _l, ...bare } = f;
    expect(() => makePlan(bare)).toThrow("no evidence of use");
  });

  it("cuts a boundary-mode plan to the current boundary, and refuses a boundary it cannot intersect", async () => {
    const p = makePlan(await readEvidence(FIXTURE));
    const cut = withinBoundary(p, {
      Statement: [
        { Effect: "Allow", Action: ["s3:*", "sts:GetCallerIdentity"], Resource: ["*"] },
        { Effect: "Deny", Action: ["s3:DeleteObject*"], Resource: ["*"] },
      ],
    });
    expect(cut.after.Statement.map((s) => [s.Effect, s.Action])).toEqual([
      ["Deny", ["organizations:*"]],
      [
        "Allow",
        [
          "s3:AbortMultipartUpload",
          "s3:DeleteObject*",
          "s3:GetBucketLocation",
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
        ],
      ],
      ["Deny", ["s3:DeleteObject*"]],
    ]);
    expect(cut.notes.at(-1)).toBe(
      "6 actions the current boundary does not allow were left out (dynamodb:*, ec2:*, lambda:InvokeAsync, lambda:InvokeFunction, lambda:InvokeFunctionUrl, sts:*).",
    );
    expect(() =>
      withinBoundary(p, { Statement: [{ Effect: "Allow", Action: ["s3:*"], Resource: ["arn:aws:s3:::b"] }] }),
    ).toThrow(PlanError);
  });
});

describe("the checks", () => {
  it("reports admin, PassRole on *, unused services and nothing for a resource-scoped policy", async () => {
    const f = await readEvidence(FIXTURE);
    expect(judgeFacts(f, { now: Date.parse("2026-12-01T00:00:00Z"), windowDays: 90 })).toEqual([
      { checkId: "aws-iam-passrole-any-role", current: "passrole-wildcard", where: "inline pass-any-role" },
      { checkId: "aws-iam-admin-access", current: "admin-policy", where: "managed AdministratorAccess" },
      {
        checkId: "aws-iam-unused-services",
        current: "unused-permissions",
        where: "identity policies",
        detail: "5 of 10 granted services not used in 90 days",
      },
    ]);
  });

  it("reports iam:*, writes on *, and old or unused active keys", () => {
    const now = Date.parse("2026-12-01T00:00:00Z");
    const f: AwsFacts = {
      principal: { arn: USER, kind: "user", name: "ci-agent", accountId: "111122223333" },
      callerArn: USER,
      grants: [
        {
          type: "managed",
          name: "ops",
          arn: "arn:aws:iam::111122223333:policy/ops",
          via: { kind: "group", name: "ops" },
          document: {
            Statement: [
              { Effect: "Allow", Action: ["iam:*", "s3:Put*", "ec2:Describe*"], Resource: ["*"] },
              {
                Effect: "Allow",
                Action: ["dynamodb:*"],
                Resource: ["arn:aws:dynamodb:eu-west-1:111122223333:table/t"],
              },
              {
                Effect: "Allow",
                Action: ["lambda:*"],
                Resource: ["*"],
                Condition: { Bool: { "aws:SecureTransport": "true" } },
              },
            ],
          },
        },
      ],
      groups: ["ops"],
      accessKeys: [
        {
          id: "AKIAAAAAAAAAAAAAAAAA",
          status: "Active",
          created: "2026-01-01T00:00:00Z",
          lastUsed: "2026-11-30T00:00:00Z",
        },
        { id: "AKIABBBBBBBBBBBBBBBB", status: "Active", created: "2026-11-01T00:00:00Z" },
        {
          id: "AKIACCCCCCCCCCCCCCCC",
          status: "Active",
          created: "2026-11-01T00:00:00Z",
          lastUsed: "2026-06-01T00:00:00Z",
        },
        { id: "AKIADDDDDDDDDDDDDDDD", status: "Inactive", created: "2020-01-01T00:00:00Z" },
      ],
      issues: [],
    };
    expect(judgeFacts(f, { now, windowDays: 90 })).toEqual([
      { checkId: "aws-iam-full-iam-access", current: "iam-wildcard", where: "managed ops via group ops" },
      {
        checkId: "aws-iam-write-all-resources",
        current: "write-on-all-resources",
        where: "managed ops via group ops",
        detail: '1 write action pattern on Resource "*"',
      },
      {
        checkId: "aws-iam-old-access-key",
        current: "old-access-key",
        where: "access key 1",
        detail: "active, 334 days old",
      },
      {
        checkId: "aws-iam-unused-access-key",
        current: "never-used-key",
        where: "access key 2",
        detail: "active, never used",
      },
      {
        checkId: "aws-iam-unused-access-key",
        current: "unused-access-key",
        where: "access key 3",
        detail: "active, last used 183 days ago",
      },
    ]);
  });

  it("tells write patterns from read ones", () => {
    expect(["s3:PutObject", "s3:*", "ec2:Run*", "s3:*Object", "ec2:De*", "*"].map(canWrite)).toEqual([
      true,
      true,
      true,
      true,
      true,
      true,
    ]);
    expect(["s3:GetObject", "ec2:Describe*", "s3:List*", "sts:GetCallerIdentity"].map(canWrite)).toEqual([
      false,
      false,
      false,
      false,
    ]);
  });
});
