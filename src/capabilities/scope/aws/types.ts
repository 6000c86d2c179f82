// The facts the AWS IAM analysis works from (issue 13), whichever way they were gathered: live
// through the SDK (live.ts) or offline from the JSON the AWS CLI prints (evidence.ts). Everything
// downstream (the checks, the plan, the apply) takes these plain objects, so the logic is tested
// without the SDK and the two ways in give the same answers.

/** An IAM policy statement, normalised: list fields are always arrays, keys as IAM spells them. */
export interface Statement {
  Sid?: string;
  Effect: "Allow" | "Deny";
  Action?: string[];
  NotAction?: string[];
  Resource?: string[];
  NotResource?: string[];
  /** Kept as read (an object of operator → key → values); compared by its JSON. */
  Condition?: Record<string, unknown>;
  /** Only in resource policies; kept so a misplaced one is not silently dropped. */
  Principal?: unknown;
  NotPrincipal?: unknown;
}

export interface PolicyDocument {
  Version?: string;
  Statement: Statement[];
}

export type PrincipalKind = "user" | "role";

/** Where a permission comes from. */
export interface GrantSource {
  /** `managed` (attached, customer or AWS managed) or `inline`. */
  type: "managed" | "inline";
  /** The policy name (inline) or the managed policy's name. */
  name: string;
  /** The managed policy's ARN. */
  arn?: string;
  /** Attached to the principal itself, or through a group. */
  via: { kind: PrincipalKind | "group"; name: string };
  /** The managed policy's default version id (`v3`). */
  versionId?: string;
  /** AWS-managed (arn:aws:iam::aws:policy/...): cannot be given a new version. */
  awsManaged?: boolean;
  /** The decoded document. */
  document: PolicyDocument;
}

export interface AccessKeyFact {
  /** The access key id (an identifier, not the secret; still never printed whole). */
  id: string;
  status: "Active" | "Inactive";
  /** ISO time. */
  created?: string;
  /** ISO time of the last use, absent when never used. */
  lastUsed?: string;
  /** The service of the last use (`s3`), or `N/A`. */
  lastUsedService?: string;
}

export interface TrackedAction {
  /** The action as IAM reports it, service prefix included (`s3:ListAllMyBuckets`). */
  action: string;
  /** ISO time of the last access attempt, absent when none in the tracking period. */
  lastAccessed?: string;
}

export interface ServiceAccess {
  /** The service prefix (`s3`). */
  namespace: string;
  name?: string;
  /** ISO time of the last authenticated attempt, absent when none in the tracking period. */
  lastAuthenticated?: string;
  /**
   * The tracked actions (action-level reports), or null: none of the service's tracked actions was
   * used, it has none, or the report is service-level (see LastAccessedReport.granularity).
   */
  trackedActions: TrackedAction[] | null;
}

export interface LastAccessedReport {
  granularity: "ACTION_LEVEL" | "SERVICE_LEVEL";
  /** ISO time the job completed: the reference time of the tracking window. */
  completed: string;
  services: ServiceAccess[];
}

export interface Principal {
  arn: string;
  kind: PrincipalKind;
  name: string;
  accountId: string;
  /** ISO creation time. */
  created?: string;
}

export interface AwsFacts {
  principal: Principal;
  /** The caller identity's ARN (for an assumed role, the sts assumed-role session ARN). */
  callerArn: string;
  /** Identity policies: attached managed, inline, and those of the user's groups. */
  grants: GrantSource[];
  groups: string[];
  /** The permissions boundary: its ARN and (when it could be read) its default version's document. */
  boundary?: { arn: string; versionId?: string; document?: PolicyDocument };
  /** The principal's access keys (users only, live only). */
  accessKeys: AccessKeyFact[];
  /** Evidence of use, when it could be had. */
  lastAccessed?: LastAccessedReport;
  /** Problems met while gathering: never a value, each naming the permission it needs when it is one. */
  issues: { where: string; message: string }[];
}

/** What the plan decided for one action (or action pattern) of one statement. */
export interface PlanDecision {
  /** `s3:GetObject`, `ec2:Describe*`, `*`. */
  action: string;
  verdict: "kept" | "removed" | "unknown";
  /** A fixed text: why (`service not used in 90 days`, `not tracked by IAM; the service was used`). */
  reason: string;
  /** The grant the statement belongs to (`managed AdministratorAccess`, `inline deny-org via group ops`). */
  policy: string;
}

/**
 * The least-privilege plan (`creds aws --plan FILE`). The first seven fields are the issue's
 * contract; the rest say how it was made.
 */
export interface Plan {
  principal: string;
  before: PolicyDocument[];
  after: PolicyDocument;
  /** Service prefixes (`ec2`) or actions (`iam:CreateUser`) dropped. */
  removed: string[];
  /** Actions or patterns kept because they were used (or their service was, with no action data). */
  kept: string[];
  /** Actions kept because IAM cannot track them (S3 data events, iam:PassRole, ...) and their service was used. */
  unknown: string[];
  /** Characters of `after` as IAM counts them (whitespace excluded). */
  sizeChars: number;
  /** The size limit `after` must fit (a managed policy: 6,144). */
  maxChars: number;
  /** Whether `after` fits `maxChars`; an apply refuses a plan that does not. */
  fits: boolean;
  windowDays: number;
  /** ISO: the end of the window (the last-accessed report's completion). */
  reference: string;
  decisions: PlanDecision[];
  /** Caveats a reviewer must read (a NotAction statement kept whole, a boundary that could not be read...). */
  notes: string[];
}

export type ApplyMode = "boundary" | "policy-version";

/** One IAM API call, as a dry run prints it and a manifest records it. Parameters hold no secret. */
export interface ApiCall {
  action: string;
  params: Record<string, string | boolean>;
}
