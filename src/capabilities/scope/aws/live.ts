import {
  GenerateServiceLastAccessedDetailsCommand,
  GetAccessKeyLastUsedCommand,
  GetGroupPolicyCommand,
  GetPolicyCommand,
  GetPolicyVersionCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  GetServiceLastAccessedDetailsCommand,
  type GetServiceLastAccessedDetailsCommandOutput,
  GetUserCommand,
  GetUserPolicyCommand,
  IAMClient,
  ListAccessKeysCommand,
  ListAttachedGroupPoliciesCommand,
  ListAttachedRolePoliciesCommand,
  ListAttachedUserPoliciesCommand,
  ListGroupPoliciesCommand,
  ListGroupsForUserCommand,
  ListRolePoliciesCommand,
  ListUserPoliciesCommand,
  type ServiceLastAccessed,
} from "@aws-sdk/client-iam";
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { redactText } from "../../../detect/redact.js";
import { PolicyShapeError, parsePolicy } from "./policy.js";
import { sdkConfig } from "./sdk.js";
import type {
  AccessKeyFact,
  AwsFacts,
  GrantSource,
  LastAccessedReport,
  PolicyDocument,
  Principal,
  PrincipalKind,
  ServiceAccess,
} from "./types.js";

// Gathering the facts of the AWS IAM analysis (issue 13) live, through the SDK: who the
// credentials are (sts:GetCallerIdentity), what the IAM user or role is granted (attached managed,
// inline, and its groups' policies), its permissions boundary, its access keys, and the
// last-accessed report IAM keeps (Access Advisor, action level). Read-only: no call here changes
// anything. Documents come URL-encoded from IAM and are decoded, parsed and normalised here; a
// document that cannot be is an issue naming the policy, never quoting it.
//
// Errors: the caller's identity and the principal itself are needed (AwsAuditError); every other
// failure is an entry in facts.issues naming the call and the permission the audit needs, and the
// gathering goes on. No message ever holds a credential: each passes through the redactor, after
// the credential values themselves are masked.

export interface LiveOptions {
  credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** Default us-east-1. */
  region?: string;
  /** Used for both IAM and STS (tests, --endpoint-url). */
  endpoint?: string;
  /** Analyse this user or role instead of the caller. */
  principalArn?: string;
  granularity?: "ACTION_LEVEL";
  /** Longest wait for the last-accessed report; default 60000. */
  pollTimeoutMs?: number;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
  /** MaxItems of every list call (IAM's default page is 100); for tests of paging. */
  pageSize?: number;
  /** Injected clients (aws-sdk-client-mock tests); when given, their own retry settings apply. */
  iam?: IAMClient;
  sts?: STSClient;
}

export type AwsAuditErrorCode =
  | "access-denied"
  | "throttled"
  | "not-found"
  | "limit-exceeded"
  | "invalid-credentials"
  | "network"
  | "other";

/** A failure that stops the gathering: the caller's identity or the principal could not be read. */
export class AwsAuditError extends Error {
  readonly code: AwsAuditErrorCode;
  constructor(code: AwsAuditErrorCode, message: string) {
    super(message);
    this.name = "AwsAuditError";
    this.code = code;
  }
}

/** Most managed and inline policy documents read for one principal. */
export const MAX_POLICIES = 1000;
/** Most items read from one list (attached policies, groups, keys, services). */
export const MAX_LIST_ITEMS = 1000;
/** Longest decoded policy document read (IAM's own limits are far lower: 6,144 managed, 10,240 inline). */
export const MAX_DOC_CHARS = 131072;
/** Most pages of one list call (a server that never ends its list). */
const MAX_PAGES = 100;
/** Most polls of the last-accessed job (a clock that never moves). */
const MAX_POLLS = 200;
const FIRST_DELAY_MS = 500;
const MAX_DELAY_MS = 5000;
const DEFAULT_POLL_TIMEOUT_MS = 60_000;
/** The SDK's attempts per call (its default standard retry, throttling included). */
const MAX_ATTEMPTS = 3;

// ---------------------------------------------------------------------------------------------
// Errors.

interface Classified {
  code: AwsAuditErrorCode;
  /** The AWS error code or the network error code: a short token, never the message. */
  token: string;
}

const DENIED = new Set([
  "AccessDenied",
  "AccessDeniedException",
  "UnauthorizedOperation",
  "UnauthorizedAccess",
]);
const BAD_CREDENTIALS = new Set([
  "InvalidClientTokenId",
  "SignatureDoesNotMatch",
  "IncompleteSignature",
  "ExpiredToken",
  "ExpiredTokenException",
  "InvalidAccessKeyId",
  "UnrecognizedClientException",
  "InvalidToken",
  "MissingAuthenticationToken",
]);
const THROTTLED = new Set([
  "Throttling",
  "ThrottlingException",
  "ThrottledException",
  "RequestLimitExceeded",
  "TooManyRequestsException",
  "RequestThrottled",
  "SlowDown",
]);
const NOT_FOUND = new Set(["NoSuchEntity", "NoSuchEntityException"]);
const LIMIT = new Set(["LimitExceeded", "LimitExceededException"]);
const NETWORK = new Set(["TimeoutError", "RequestTimeout", "RequestTimeoutException", "AbortError"]);

/** What kind of failure an SDK error is. Only the error's name or code is read, never its message. */
export function classifyAwsError(err: unknown): Classified {
  const e = (err ?? {}) as {
    name?: unknown;
    code?: unknown;
    Code?: unknown;
    $metadata?: { httpStatusCode?: unknown };
  };
  const raw = typeof e.Code === "string" ? e.Code : typeof e.name === "string" ? e.name : "";
  const token = /^[A-Za-z][A-Za-z0-9.]{0,63}$/.test(raw) ? raw : "UnknownError";
  if (typeof e.code === "string" && /^E[A-Z]+$/.test(e.code)) return { code: "network", token: e.code };
  const status = typeof e.$metadata?.httpStatusCode === "number" ? e.$metadata.httpStatusCode : undefined;
  if (DENIED.has(token)) return { code: "access-denied", token };
  if (BAD_CREDENTIALS.has(token)) return { code: "invalid-credentials", token };
  if (THROTTLED.has(token)) return { code: "throttled", token };
  if (NOT_FOUND.has(token)) return { code: "not-found", token };
  if (LIMIT.has(token)) return { code: "limit-exceeded", token };
  if (NETWORK.has(token)) return { code: "network", token };
  if (status === 403) return { code: "access-denied", token };
  if (status === 404) return { code: "not-found", token };
  if (status === 429) return { code: "throttled", token };
  return { code: "other", token };
}

// ---------------------------------------------------------------------------------------------
// Documents.

/** The normalised document (policy.ts's reading, the same as offline), or why it is not one. */
export function normalisePolicy(value: unknown): PolicyDocument | { invalid: string } {
  try {
    return parsePolicy(value);
  } catch (e) {
    return { invalid: e instanceof PolicyShapeError ? e.message : "the document could not be read" };
  }
}

/** A document as IAM returns it (URL-encoded JSON), decoded and normalised, or why it is not one. */
export function decodePolicy(encoded: string): PolicyDocument | { invalid: string } {
  if (encoded.length > MAX_DOC_CHARS * 3)
    return { invalid: `the document is longer than ${MAX_DOC_CHARS} characters` };
  let text: string;
  try {
    text = decodeURIComponent(encoded);
  } catch {
    return { invalid: "the document's URL encoding is malformed" };
  }
  if (text.length > MAX_DOC_CHARS)
    return { invalid: `the document is longer than ${MAX_DOC_CHARS} characters` };
  // Parsed here, not by parsePolicy from text: decoded once only (a text starting with `%` is not
  // decoded a second time).
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { invalid: "the document is not valid JSON" };
  }
  return normalisePolicy(parsed);
}

// ---------------------------------------------------------------------------------------------
// ARNs.

interface Target {
  kind: PrincipalKind;
  name: string;
  accountId: string;
}

/**
 * The IAM user or role an ARN stands for: an IAM user or role ARN (any path), or an assumed-role
 * session (`arn:aws:sts::ACCT:assumed-role/ROLE/SESSION` → the role ROLE). Undefined otherwise
 * (the root user, a federated user, anything else).
 */
export function principalOf(arn: string): Target | undefined {
  const iam = /^arn:aws[a-z-]*:iam::([0-9]{12}):(user|role)\/(?:[^/]*\/)*([^/]+)$/.exec(arn);
  if (iam) return { kind: iam[2] as PrincipalKind, name: iam[3]!, accountId: iam[1]! };
  const sts = /^arn:aws[a-z-]*:sts::([0-9]{12}):assumed-role\/([^/]+)\/[^/]+$/.exec(arn);
  if (sts) return { kind: "role", name: sts[2]!, accountId: sts[1]! };
  return undefined;
}

function isoOf(d: Date | undefined): string | undefined {
  return d instanceof Date && !Number.isNaN(d.getTime()) ? d.toISOString() : undefined;
}

// ---------------------------------------------------------------------------------------------
// The gathering.

interface Page<T> {
  items: T[] | undefined;
  IsTruncated?: boolean;
  Marker?: string;
}

class Gatherer {
  readonly issues: AwsFacts["issues"] = [];
  private documents = 0;
  private readonly managed = new Map<
    string,
    Promise<{ versionId: string; document?: PolicyDocument } | undefined>
  >();
  private readonly secrets: string[];

  constructor(
    readonly iam: IAMClient,
    readonly sts: STSClient,
    readonly opts: LiveOptions,
  ) {
    const c = opts.credentials;
    this.secrets = [c.secretAccessKey, c.sessionToken ?? "", c.accessKeyId].filter((s) => s.length >= 4);
  }

  /** A message fit for output: the credential values masked, then the redactor. */
  clean(text: string): string {
    let out = text;
    for (const s of this.secrets) out = out.split(s).join("[redacted]");
    return redactText(out);
  }

  issue(where: string, message: string): void {
    this.issues.push({ where: this.clean(where), message: this.clean(message) });
  }

  /** The issue for a failed call: `iam:X denied: the audit needs iam:X on the user alice`. */
  failed(action: string, on: string, err: unknown, after = ""): void {
    const { code, token } = classifyAwsError(err);
    const perm = action;
    const tail = after ? `; ${after}` : "";
    const text =
      code === "access-denied"
        ? `${perm} denied: the audit needs ${perm} on ${on}${tail}`
        : code === "throttled"
          ? `${perm} on ${on} was throttled (${token}) after ${MAX_ATTEMPTS} attempts; run the audit again later${tail}`
          : code === "not-found"
            ? `${perm}: ${on} was not found (${token})${tail}`
            : code === "network"
              ? `${perm} on ${on}: AWS could not be reached (${token})${tail}`
              : `${perm} on ${on} failed (${token})${tail}`;
    this.issue(action, text);
  }

  /** A call whose failure is an issue: undefined then. */
  async optional<T>(
    action: string,
    on: string,
    fn: () => Promise<T>,
    after?: string,
  ): Promise<T | undefined> {
    try {
      return await fn();
    } catch (err) {
      this.failed(action, on, err, after);
      return undefined;
    }
  }

  /** A call whose failure stops the gathering. */
  async required<T>(action: string, on: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      const { code, token } = classifyAwsError(err);
      const text =
        code === "access-denied"
          ? `${action} denied (${token}): the audit needs ${action} on ${on}`
          : code === "invalid-credentials"
            ? `AWS rejected the credentials at ${action} (${token}): check the access key id, the secret access key and the session token, and that they have not expired`
            : code === "throttled"
              ? `${action} was throttled (${token}) after ${MAX_ATTEMPTS} attempts; run the audit again later`
              : code === "not-found"
                ? `${action}: ${on} was not found (${token})`
                : code === "network"
                  ? `${action}: AWS could not be reached (${token}); check the network and the endpoint`
                  : `${action} on ${on} failed (${token})`;
      throw new AwsAuditError(code, this.clean(text));
    }
  }

  /** Every item of a paged list, up to MAX_LIST_ITEMS; what was read so far when a page fails. */
  async list<T>(action: string, on: string, fetch: (marker?: string) => Promise<Page<T>>): Promise<T[]> {
    const out: T[] = [];
    let marker: string | undefined;
    const seen = new Set<string>();
    for (let n = 0; n < MAX_PAGES; n++) {
      const page = await this.optional(
        action,
        on,
        () => fetch(marker),
        out.length > 0 ? "the list is incomplete" : "",
      );
      if (!page) return out;
      for (const item of page.items ?? []) {
        if (out.length >= MAX_LIST_ITEMS) {
          this.issue(
            action,
            `${action} on ${on}: more than ${MAX_LIST_ITEMS} items; only the first ${MAX_LIST_ITEMS} are read`,
          );
          return out;
        }
        out.push(item);
      }
      if (!page.IsTruncated) return out;
      if (!page.Marker || seen.has(page.Marker)) {
        this.issue(
          action,
          `${action} on ${on}: the list says it continues but gives no new marker; it is incomplete`,
        );
        return out;
      }
      seen.add(page.Marker);
      marker = page.Marker;
    }
    this.issue(action, `${action} on ${on}: more than ${MAX_PAGES} pages; the list is incomplete`);
    return out;
  }

  get maxItems(): number | undefined {
    return this.opts.pageSize;
  }

  /** Counts a document against MAX_POLICIES: false (and an issue, once) past the cap. */
  private admit(): boolean {
    this.documents++;
    if (this.documents === MAX_POLICIES + 1) {
      this.issue("policies", `more than ${MAX_POLICIES} policy documents; the rest are not read`);
    }
    return this.documents <= MAX_POLICIES;
  }

  /** A decoded document, or undefined with an issue naming the policy. */
  decode(action: string, what: string, encoded: string | undefined): PolicyDocument | undefined {
    if (encoded === undefined) {
      this.issue(action, `${what}: IAM returned no document; it is left out of the analysis`);
      return undefined;
    }
    const d = decodePolicy(encoded);
    if ("invalid" in d) {
      this.issue(action, `${what}: ${d.invalid}; it is left out of the analysis`);
      return undefined;
    }
    return d;
  }

  /** A managed policy's default version and document (read once per ARN). */
  managedPolicy(arn: string): Promise<{ versionId: string; document?: PolicyDocument } | undefined> {
    let p = this.managed.get(arn);
    if (!p) {
      p = this.readManaged(arn);
      this.managed.set(arn, p);
    }
    return p;
  }

  private async readManaged(
    arn: string,
  ): Promise<{ versionId: string; document?: PolicyDocument } | undefined> {
    if (!this.admit()) return undefined;
    const on = `the policy ${arn}`;
    const pol = await this.optional("iam:GetPolicy", on, () =>
      this.iam.send(new GetPolicyCommand({ PolicyArn: arn })),
    );
    if (!pol) return undefined;
    const versionId = pol.Policy?.DefaultVersionId;
    if (!versionId) {
      this.issue("iam:GetPolicy", `the policy ${arn} has no default version`);
      return undefined;
    }
    const ver = await this.optional("iam:GetPolicyVersion", on, () =>
      this.iam.send(new GetPolicyVersionCommand({ PolicyArn: arn, VersionId: versionId })),
    );
    if (!ver) return { versionId };
    const document = this.decode(
      "iam:GetPolicyVersion",
      `the policy ${arn} (${versionId})`,
      ver.PolicyVersion?.Document,
    );
    return document ? { versionId, document } : { versionId };
  }

  /** Grants from attached managed policies. */
  async attached(
    via: GrantSource["via"],
    action: string,
    fetch: (marker?: string) => Promise<Page<{ PolicyArn?: string; PolicyName?: string }>>,
  ): Promise<GrantSource[]> {
    const on = `the ${via.kind} ${via.name}`;
    const items = await this.list(action, on, fetch);
    const out: GrantSource[] = [];
    for (const a of items) {
      if (!a.PolicyArn) continue;
      const m = await this.managedPolicy(a.PolicyArn);
      if (!m?.document) continue;
      const g: GrantSource = {
        type: "managed",
        name: a.PolicyName ?? a.PolicyArn.slice(a.PolicyArn.lastIndexOf("/") + 1),
        arn: a.PolicyArn,
        via,
        versionId: m.versionId,
        document: m.document,
      };
      if (/^arn:aws[a-z-]*:iam::aws:policy\//.test(a.PolicyArn)) g.awsManaged = true;
      out.push(g);
    }
    return out;
  }

  /** Grants from inline policies. */
  async inline(
    via: GrantSource["via"],
    listAction: string,
    getAction: string,
    fetch: (marker?: string) => Promise<Page<string>>,
    get: (name: string) => Promise<{ PolicyDocument?: string }>,
  ): Promise<GrantSource[]> {
    const on = `the ${via.kind} ${via.name}`;
    const names = await this.list(listAction, on, fetch);
    const out: GrantSource[] = [];
    for (const name of names) {
      if (!this.admit()) break;
      const r = await this.optional(getAction, `${on} (inline policy ${name})`, () => get(name));
      if (!r) continue;
      const document = this.decode(getAction, `the inline policy ${name} of ${on}`, r.PolicyDocument);
      if (document) out.push({ type: "inline", name, via, document });
    }
    return out;
  }
}

/** Gathers the AwsFacts of the caller (or of opts.principalArn) through the SDK. */
export async function gatherLive(opts: LiveOptions): Promise<AwsFacts> {
  const region = opts.region ?? "us-east-1";
  // A copy: the SDK marks the credentials object it is given (`$source`).
  // Every setting given (sdk.ts): nothing read from the agent's environment or ~/.aws/config.
  const config = sdkConfig({
    credentials: opts.credentials,
    region,
    maxAttempts: MAX_ATTEMPTS,
    ...(opts.endpoint ? { endpoint: opts.endpoint } : {}),
  });
  const iam = opts.iam ?? new IAMClient(config);
  const sts = opts.sts ?? new STSClient(config);
  try {
    return await gather(new Gatherer(iam, sts, opts));
  } finally {
    if (!opts.iam) iam.destroy();
    if (!opts.sts) sts.destroy();
  }
}

async function gather(g: Gatherer): Promise<AwsFacts> {
  const { opts, iam, sts } = g;
  const ps = g.maxItems;
  const identity = await g.required("sts:GetCallerIdentity", "the credentials", () =>
    sts.send(new GetCallerIdentityCommand({})),
  );
  const callerArn = identity.Arn ?? "";
  const targetArn = opts.principalArn ?? callerArn;
  const target = principalOf(targetArn);
  if (!target) {
    const what = opts.principalArn ? "the principal given" : "the caller";
    throw new AwsAuditError(
      "other",
      g.clean(
        `${what} is not an IAM user or an assumed role (the root user, a federated user and other principals cannot be analysed): ${targetArn || "no ARN"}`,
      ),
    );
  }

  const grants: GrantSource[] = [];
  const groups: string[] = [];
  const accessKeys: AccessKeyFact[] = [];
  let principal: Principal;
  let boundaryArn: string | undefined;
  const via = { kind: target.kind, name: target.name } as const;

  if (target.kind === "user") {
    const UserName = target.name;
    const on = `the user ${UserName}`;
    const u = await g.required("iam:GetUser", on, () => iam.send(new GetUserCommand({ UserName })));
    principal = {
      arn: u.User?.Arn ?? targetArn,
      kind: "user",
      name: UserName,
      accountId: target.accountId,
    };
    const created = isoOf(u.User?.CreateDate);
    if (created) principal.created = created;
    boundaryArn = u.User?.PermissionsBoundary?.PermissionsBoundaryArn;

    grants.push(
      ...(await g.attached(via, "iam:ListAttachedUserPolicies", async (Marker) => {
        const r = await iam.send(new ListAttachedUserPoliciesCommand({ UserName, Marker, MaxItems: ps }));
        return { items: r.AttachedPolicies, IsTruncated: r.IsTruncated, Marker: r.Marker };
      })),
    );
    grants.push(
      ...(await g.inline(
        via,
        "iam:ListUserPolicies",
        "iam:GetUserPolicy",
        async (Marker) => {
          const r = await iam.send(new ListUserPoliciesCommand({ UserName, Marker, MaxItems: ps }));
          return { items: r.PolicyNames, IsTruncated: r.IsTruncated, Marker: r.Marker };
        },
        (PolicyName) => iam.send(new GetUserPolicyCommand({ UserName, PolicyName })),
      )),
    );
    const gs = await g.list("iam:ListGroupsForUser", on, async (Marker) => {
      const r = await iam.send(new ListGroupsForUserCommand({ UserName, Marker, MaxItems: ps }));
      return { items: r.Groups, IsTruncated: r.IsTruncated, Marker: r.Marker };
    });
    for (const grp of gs) {
      const GroupName = grp.GroupName;
      if (!GroupName) continue;
      groups.push(GroupName);
      const gvia = { kind: "group", name: GroupName } as const;
      grants.push(
        ...(await g.attached(gvia, "iam:ListAttachedGroupPolicies", async (Marker) => {
          const r = await iam.send(new ListAttachedGroupPoliciesCommand({ GroupName, Marker, MaxItems: ps }));
          return { items: r.AttachedPolicies, IsTruncated: r.IsTruncated, Marker: r.Marker };
        })),
      );
      grants.push(
        ...(await g.inline(
          gvia,
          "iam:ListGroupPolicies",
          "iam:GetGroupPolicy",
          async (Marker) => {
            const r = await iam.send(new ListGroupPoliciesCommand({ GroupName, Marker, MaxItems: ps }));
            return { items: r.PolicyNames, IsTruncated: r.IsTruncated, Marker: r.Marker };
          },
          (PolicyName) => iam.send(new GetGroupPolicyCommand({ GroupName, PolicyName })),
        )),
      );
    }

    const keys = await g.list("iam:ListAccessKeys", on, async (Marker) => {
      const r = await iam.send(new ListAccessKeysCommand({ UserName, Marker, MaxItems: ps }));
      return { items: r.AccessKeyMetadata, IsTruncated: r.IsTruncated, Marker: r.Marker };
    });
    for (const k of keys) {
      const id = k.AccessKeyId;
      if (!id) continue;
      const fact: AccessKeyFact = { id, status: k.Status === "Active" ? "Active" : "Inactive" };
      const c = isoOf(k.CreateDate);
      if (c) fact.created = c;
      const used = await g.optional("iam:GetAccessKeyLastUsed", `the access keys of ${on}`, () =>
        iam.send(new GetAccessKeyLastUsedCommand({ AccessKeyId: id })),
      );
      const last = isoOf(used?.AccessKeyLastUsed?.LastUsedDate);
      if (last) fact.lastUsed = last;
      const service = used?.AccessKeyLastUsed?.ServiceName;
      if (service) fact.lastUsedService = service;
      accessKeys.push(fact);
    }
  } else {
    const RoleName = target.name;
    const on = `the role ${RoleName}`;
    const r = await g.required("iam:GetRole", on, () => iam.send(new GetRoleCommand({ RoleName })));
    principal = {
      // The role's own ARN holds its path, which an assumed-role session ARN does not show.
      arn: r.Role?.Arn ?? `arn:aws:iam::${target.accountId}:role/${RoleName}`,
      kind: "role",
      name: RoleName,
      accountId: target.accountId,
    };
    const created = isoOf(r.Role?.CreateDate);
    if (created) principal.created = created;
    boundaryArn = r.Role?.PermissionsBoundary?.PermissionsBoundaryArn;
    grants.push(
      ...(await g.attached(via, "iam:ListAttachedRolePolicies", async (Marker) => {
        const x = await iam.send(new ListAttachedRolePoliciesCommand({ RoleName, Marker, MaxItems: ps }));
        return { items: x.AttachedPolicies, IsTruncated: x.IsTruncated, Marker: x.Marker };
      })),
    );
    grants.push(
      ...(await g.inline(
        via,
        "iam:ListRolePolicies",
        "iam:GetRolePolicy",
        async (Marker) => {
          const x = await iam.send(new ListRolePoliciesCommand({ RoleName, Marker, MaxItems: ps }));
          return { items: x.PolicyNames, IsTruncated: x.IsTruncated, Marker: x.Marker };
        },
        (PolicyName) => iam.send(new GetRolePolicyCommand({ RoleName, PolicyName })),
      )),
    );
  }

  const facts: AwsFacts = { principal, callerArn, grants, groups, accessKeys, issues: g.issues };
  if (boundaryArn) {
    const b = await g.managedPolicy(boundaryArn);
    facts.boundary = { arn: boundaryArn };
    if (b) facts.boundary.versionId = b.versionId;
    if (b?.document) facts.boundary.document = b.document;
  }
  const report = await lastAccessed(g, principal.arn);
  if (report) facts.lastAccessed = report;
  return facts;
}

/** The action-level last-accessed report of a principal, polled with backoff; undefined with an issue. */
async function lastAccessed(g: Gatherer, arn: string): Promise<LastAccessedReport | undefined> {
  const { iam, opts } = g;
  const granularity = opts.granularity ?? "ACTION_LEVEL";
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const now = opts.now ?? Date.now;
  const timeout = opts.pollTimeoutMs ?? DEFAULT_POLL_TIMEOUT_MS;
  const on = `the principal ${arn}`;
  const noEvidence = "there is no evidence of use";
  const job = await g.optional(
    "iam:GenerateServiceLastAccessedDetails",
    on,
    () => iam.send(new GenerateServiceLastAccessedDetailsCommand({ Arn: arn, Granularity: granularity })),
    noEvidence,
  );
  const JobId = job?.JobId;
  if (!job) return undefined;
  if (!JobId) {
    g.issue("iam:GenerateServiceLastAccessedDetails", `IAM returned no job id; ${noEvidence}`);
    return undefined;
  }
  const get = (Marker?: string) =>
    g.optional(
      "iam:GetServiceLastAccessedDetails",
      on,
      () => iam.send(new GetServiceLastAccessedDetailsCommand({ JobId, Marker, MaxItems: opts.pageSize })),
      noEvidence,
    );

  const start = now();
  let delay = FIRST_DELAY_MS;
  let first: GetServiceLastAccessedDetailsCommandOutput | undefined;
  for (let polls = 0; ; polls++) {
    const r = await get();
    if (!r) return undefined;
    if (r.JobStatus === "COMPLETED") {
      first = r;
      break;
    }
    if (r.JobStatus === "FAILED") {
      const code =
        r.Error?.Code && /^[A-Za-z][A-Za-z0-9.]{0,63}$/.test(r.Error.Code) ? ` (${r.Error.Code})` : "";
      g.issue(
        "iam:GetServiceLastAccessedDetails",
        `the last-accessed report of ${arn} failed${code}; ${noEvidence}`,
      );
      return undefined;
    }
    const elapsed = now() - start;
    if (elapsed >= timeout || polls + 1 >= MAX_POLLS) {
      g.issue(
        "iam:GetServiceLastAccessedDetails",
        `the last-accessed report of ${arn} was not ready after ${Math.round(timeout / 1000)} s; ${noEvidence}`,
      );
      return undefined;
    }
    await sleep(Math.min(delay, timeout - elapsed));
    delay = Math.min(delay * 2, MAX_DELAY_MS);
  }

  const services: ServiceLastAccessed[] = [];
  const pages = await g.list<ServiceLastAccessed>("iam:GetServiceLastAccessedDetails", on, async (Marker) => {
    const r =
      Marker === undefined
        ? first
        : await iam.send(
            new GetServiceLastAccessedDetailsCommand({ JobId, Marker, MaxItems: opts.pageSize }),
          );
    return { items: r?.ServicesLastAccessed, IsTruncated: r?.IsTruncated, Marker: r?.Marker };
  });
  services.push(...pages);

  let completed = isoOf(first.JobCompletionDate);
  if (!completed) {
    completed = new Date(now()).toISOString();
    g.issue(
      "iam:GetServiceLastAccessedDetails",
      "the last-accessed report has no completion date; the audit's clock is used",
    );
  }
  return {
    granularity: first.JobType === "SERVICE_LEVEL" ? "SERVICE_LEVEL" : "ACTION_LEVEL",
    completed,
    services: services.flatMap((s): ServiceAccess[] => {
      const namespace = s.ServiceNamespace;
      if (!namespace) return [];
      const out: ServiceAccess = { namespace, trackedActions: null };
      if (s.ServiceName) out.name = s.ServiceName;
      const last = isoOf(s.LastAuthenticated);
      if (last) out.lastAuthenticated = last;
      const tracked = s.TrackedActionsLastAccessed ?? [];
      if (tracked.length > 0) {
        out.trackedActions = tracked.flatMap((t) => {
          if (!t.ActionName) return [];
          const action = t.ActionName.includes(":") ? t.ActionName : `${namespace}:${t.ActionName}`;
          const when = isoOf(t.LastAccessedTime);
          return [when ? { action, lastAccessed: when } : { action }];
        });
      }
      return [out];
    }),
  };
}
