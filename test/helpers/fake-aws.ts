import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

// A stateful loopback fake of the IAM (2010-05-08) and STS (2011-06-15) query APIs (issue 13), for
// tests that drive the real @aws-sdk/client-iam and client-sts through `endpoint`. It speaks the
// awsQuery protocol: a form-encoded POST (`Action=...&Version=...`), an XML answer
// `<XResponse><XResult>...</XResult><ResponseMetadata>...` or an `<ErrorResponse>` with the status
// IAM gives that error. Shapes follow the IAM and STS API references; the SDK's deserializer is the
// judge (test/capabilities/scope/aws-wire.test.ts). Listens on 127.0.0.1 only.
//
// Faithful where code under test depends on it: list calls page with MaxItems/Marker (IAM's default
// page is 100), policy documents come back URL-encoded, CreatePolicyVersion refuses a sixth version
// (LimitExceeded), DeletePolicyVersion refuses the default one (DeleteConflict), version ids keep
// growing after a delete, DeletePolicy refuses a policy still attached or with non-default versions.
// Not modelled: policy evaluation (every call is allowed unless a Fault says otherwise), eventual
// consistency, quotas other than the five versions.

export interface FakeUser {
  id?: string;
  created?: string;
  /** IAM path (`/`, `/team/`): part of the ARN. */
  path?: string;
  /** ARNs of attached managed policies. */
  attached: string[];
  /** Inline policies: name → JSON document (plain, not URL-encoded). */
  inline: Record<string, string>;
  groups: string[];
  /** ARN of the permissions boundary policy. */
  boundary?: string;
  accessKeys: {
    id: string;
    status: "Active" | "Inactive";
    created: string;
    lastUsed?: string;
    lastUsedService?: string;
  }[];
}

export interface FakeRole {
  id?: string;
  created?: string;
  path?: string;
  attached: string[];
  inline: Record<string, string>;
  boundary?: string;
}

export interface FakeGroup {
  attached: string[];
  inline: Record<string, string>;
}

export interface FakePolicy {
  name: string;
  defaultVersion: string;
  versions: { id: string; document: string; created?: string }[];
  path?: string;
}

export interface FakeServiceAccess {
  namespace: string;
  name?: string;
  lastAuthenticated?: string;
  tracked?: { action: string; lastAccessed?: string }[];
}

export interface FakeAwsState {
  accountId: string;
  caller: { arn: string; userId: string };
  users: Record<string, FakeUser>;
  roles: Record<string, FakeRole>;
  groups: Record<string, FakeGroup>;
  /** Managed policies by ARN. */
  policies: Record<string, FakePolicy>;
  /** Access Advisor data by principal ARN. */
  lastAccessed: Record<string, { services: FakeServiceAccess[] }>;
}

export interface Fault {
  action: string;
  code: string;
  /** HTTP status; defaults to the status IAM gives `code` (400 when unknown). */
  status?: number;
  message?: string;
  /** Fail the first `times` calls of the action (every call when absent). */
  times?: number;
  /** Fail only the n-th call (1-based) of that action. */
  onCall?: number;
}

export interface FakeAwsOptions {
  faults?: Fault[];
  /** GetServiceLastAccessedDetails answers IN_PROGRESS this many times (per job) first. */
  jobPolls?: number;
  /** Last-accessed jobs end FAILED instead of COMPLETED. */
  jobFails?: boolean;
  /** The fake's clock (ISO): job dates and the creation date of new policies and versions. */
  now?: string;
}

export interface FakeAws {
  /** `http://127.0.0.1:PORT`: pass as `endpoint` to IAMClient and STSClient. */
  endpoint: string;
  /** Every request, in order: its action and all its form parameters. */
  calls: { action: string; params: Record<string, string> }[];
  /** The live state: writes change it, tests read it. */
  state: FakeAwsState;
  close(): Promise<void>;
}

export const FAKE_NOW = "2026-11-30T12:00:00.000Z";
const DEFAULT_CREATED = "2024-01-15T08:00:00.000Z";
const IAM_NS = "https://iam.amazonaws.com/doc/2010-05-08/";
const STS_NS = "https://sts.amazonaws.com/doc/2011-06-15/";
const IAM_VERSION = "2010-05-08";
const STS_VERSION = "2011-06-15";
const MAX_BODY = 1024 * 1024;
const MAX_POLICY_VERSIONS = 5;

const STATUS: Record<string, number> = {
  NoSuchEntity: 404,
  AccessDenied: 403,
  AccessDeniedException: 403,
  Throttling: 400,
  LimitExceeded: 409,
  MalformedPolicyDocument: 400,
  ConcurrentModification: 409,
  InvalidInput: 400,
  DeleteConflict: 409,
  EntityAlreadyExists: 409,
  InvalidAction: 400,
  ValidationError: 400,
  InvalidClientTokenId: 403,
  ExpiredToken: 400,
  ServiceFailure: 500,
};

// ---------------------------------------------------------------------------------------------
// Builders for tests.

/** A user with nothing attached; fields override. */
export function fakeUser(p: Partial<FakeUser> = {}): FakeUser {
  return { attached: [], inline: {}, groups: [], accessKeys: [], ...p };
}

export function fakeRole(p: Partial<FakeRole> = {}): FakeRole {
  return { attached: [], inline: {}, ...p };
}

export function fakeGroup(p: Partial<FakeGroup> = {}): FakeGroup {
  return { attached: [], inline: {}, ...p };
}

/** A JSON policy document text from an object, or the text itself. */
export function policyText(doc: string | object): string {
  return typeof doc === "string" ? doc : JSON.stringify(doc);
}

/**
 * A managed policy whose versions are v1..vN holding `documents` in order; the default is the last
 * one unless `defaultVersion` says otherwise.
 */
export function fakePolicy(
  name: string,
  documents: string | object | (string | object)[],
  opts: { defaultVersion?: string; path?: string; created?: string } = {},
): FakePolicy {
  const docs = Array.isArray(documents) ? documents : [documents];
  const versions = docs.map((d, i) => ({
    id: `v${i + 1}`,
    document: policyText(d),
    ...(opts.created ? { created: opts.created } : {}),
  }));
  return {
    name,
    defaultVersion: opts.defaultVersion ?? `v${versions.length}`,
    versions,
    ...(opts.path ? { path: opts.path } : {}),
  };
}

export function policyArn(accountId: string, name: string, path = "/"): string {
  return `arn:aws:iam::${accountId}:policy${path}${name}`;
}

export function userArn(accountId: string, name: string, path = "/"): string {
  return `arn:aws:iam::${accountId}:user${path}${name}`;
}

export function roleArn(accountId: string, name: string, path = "/"): string {
  return `arn:aws:iam::${accountId}:role${path}${name}`;
}

/** An empty account whose caller is the IAM user `callerUser` (created, with no policies). */
export function fakeState(
  accountId: string,
  caller: { user: string } | { role: string; session: string },
  partial: Partial<Omit<FakeAwsState, "accountId" | "caller">> = {},
): FakeAwsState {
  const state: FakeAwsState = {
    accountId,
    caller:
      "user" in caller
        ? { arn: userArn(accountId, caller.user), userId: userIdOf(caller.user) }
        : {
            arn: `arn:aws:sts::${accountId}:assumed-role/${caller.role}/${caller.session}`,
            userId: `${roleIdOf(caller.role)}:${caller.session}`,
          },
    users: {},
    roles: {},
    groups: {},
    policies: {},
    lastAccessed: {},
    ...partial,
  };
  if ("user" in caller && !state.users[caller.user]) state.users[caller.user] = fakeUser();
  if ("role" in caller && !state.roles[caller.role]) state.roles[caller.role] = fakeRole();
  return state;
}

function idOf(prefix: string, name: string): string {
  let h = 0;
  for (const c of name) h = (h * 31 + c.charCodeAt(0)) >>> 0;
  return `${prefix}${h.toString(36).toUpperCase().padStart(17, "X")}`.slice(0, 21);
}
const userIdOf = (name: string) => idOf("AIDA", name);
const roleIdOf = (name: string) => idOf("AROA", name);

// ---------------------------------------------------------------------------------------------
// XML.

export function xmlEscape(s: string): string {
  return s
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&apos;");
}

/** `<Name>escaped value</Name>`, or nothing when the value is undefined. */
function el(name: string, value: string | number | boolean | undefined): string {
  return value === undefined ? "" : `<${name}>${xmlEscape(String(value))}</${name}>`;
}

function members(name: string, items: string[]): string {
  return `<${name}>${items.map((i) => `<member>${i}</member>`).join("")}</${name}>`;
}

function iso(t: string): string {
  return new Date(t).toISOString();
}

/** IAM answers documents URL-encoded (RFC 3986). */
function encodeDoc(doc: string): string {
  return encodeURIComponent(doc).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = STATUS[code] ?? 400,
  ) {
    super(message);
  }
}

const noSuch = (what: string) => new ApiError("NoSuchEntity", `The ${what} cannot be found.`);

// ---------------------------------------------------------------------------------------------
// Paging: the marker is the offset of the next item, opaque to the client.

function page<T>(items: T[], p: Record<string, string>): { items: T[]; tail: string } {
  const max = p.MaxItems === undefined ? 100 : Number(p.MaxItems);
  if (!Number.isInteger(max) || max < 1 || max > 1000) {
    throw new ApiError("ValidationError", "MaxItems must be between 1 and 1000.");
  }
  let start = 0;
  if (p.Marker !== undefined) {
    const m = /^m([0-9]+)$/.exec(Buffer.from(p.Marker, "base64").toString("utf8"));
    if (!m) throw new ApiError("InvalidInput", "Invalid Marker.");
    start = Number(m[1]);
  }
  const slice = items.slice(start, start + max);
  const next = start + max;
  const truncated = next < items.length;
  const tail = truncated
    ? `<IsTruncated>true</IsTruncated>${el("Marker", Buffer.from(`m${next}`).toString("base64"))}`
    : "<IsTruncated>false</IsTruncated>";
  return { items: slice, tail };
}

// ---------------------------------------------------------------------------------------------
// The server.

interface Job {
  arn: string;
  granularity: "SERVICE_LEVEL" | "ACTION_LEVEL";
  polls: number;
}

export async function startFakeAws(state: FakeAwsState, opts: FakeAwsOptions = {}): Promise<FakeAws> {
  const now = opts.now ?? FAKE_NOW;
  const calls: FakeAws["calls"] = [];
  const perAction = new Map<string, number>();
  const faultUses = new Map<Fault, number>();
  const jobs = new Map<string, Job>();
  const nextVersion = new Map<string, number>();

  const userNamed = (name: string | undefined): [string, FakeUser] => {
    const n = name ?? callerUser();
    const u = n === undefined ? undefined : state.users[n];
    if (n === undefined || !u) throw noSuch(`user with name ${n ?? ""}`);
    return [n, u];
  };
  const callerUser = (): string | undefined => {
    const m = /^arn:aws:iam::[0-9]+:user\/(?:.*\/)?([^/]+)$/.exec(state.caller.arn);
    if (!m)
      throw new ApiError("ValidationError", "Must specify userName when calling with non-User credentials");
    return m[1];
  };
  const roleNamed = (name: string | undefined): [string, FakeRole] => {
    const r = name === undefined ? undefined : state.roles[name];
    if (name === undefined || !r) throw noSuch(`role with name ${name ?? ""}`);
    return [name, r];
  };
  const groupNamed = (name: string | undefined): [string, FakeGroup] => {
    const g = name === undefined ? undefined : state.groups[name];
    if (name === undefined || !g) throw noSuch(`group with name ${name ?? ""}`);
    return [name, g];
  };
  const policyAt = (arn: string | undefined): FakePolicy => {
    const p = arn === undefined ? undefined : state.policies[arn];
    if (arn === undefined || !p)
      throw new ApiError("NoSuchEntity", `Policy ${arn ?? ""} does not exist or is not attachable.`);
    return p;
  };
  const isAwsManaged = (arn: string) => arn.startsWith("arn:aws:iam::aws:policy/");
  const policyName = (arn: string) => state.policies[arn]?.name ?? arn.slice(arn.lastIndexOf("/") + 1);
  const uArn = (name: string, u: FakeUser) => userArn(state.accountId, name, u.path);
  const rArn = (name: string, r: FakeRole) => roleArn(state.accountId, name, r.path);

  const attachedList = (arns: string[], p: Record<string, string>) => {
    const pg = page(arns, p);
    return (
      members(
        "AttachedPolicies",
        pg.items.map((a) => el("PolicyName", policyName(a)) + el("PolicyArn", a)),
      ) + pg.tail
    );
  };
  const namesList = (inline: Record<string, string>, p: Record<string, string>) => {
    const pg = page(Object.keys(inline), p);
    return (
      members(
        "PolicyNames",
        pg.items.map((n) => xmlEscape(n)),
      ) + pg.tail
    );
  };
  const inlineDoc = (
    kind: "User" | "Role" | "Group",
    owner: string,
    inline: Record<string, string>,
    p: Record<string, string>,
  ) => {
    const doc = p.PolicyName === undefined ? undefined : inline[p.PolicyName];
    if (doc === undefined) throw noSuch(`${kind.toLowerCase()} policy with name ${p.PolicyName ?? ""}`);
    return el(`${kind}Name`, owner) + el("PolicyName", p.PolicyName) + el("PolicyDocument", encodeDoc(doc));
  };
  const boundaryXml = (arn: string | undefined) =>
    arn === undefined
      ? ""
      : `<PermissionsBoundary>${el("PermissionsBoundaryType", "PermissionsBoundaryPolicy")}${el("PermissionsBoundaryArn", arn)}</PermissionsBoundary>`;
  const policyXml = (arn: string, pol: FakePolicy) => {
    let attachments = 0;
    let boundaries = 0;
    for (const e of [
      ...Object.values(state.users),
      ...Object.values(state.roles),
      ...Object.values(state.groups),
    ]) {
      if (e.attached.includes(arn)) attachments++;
      if ("boundary" in e && e.boundary === arn) boundaries++;
    }
    const created = pol.versions[0]?.created ?? DEFAULT_CREATED;
    return (
      "<Policy>" +
      el("PolicyName", pol.name) +
      el("PolicyId", idOf("ANPA", arn)) +
      el("Arn", arn) +
      el("Path", pol.path ?? "/") +
      el("DefaultVersionId", pol.defaultVersion) +
      el("AttachmentCount", attachments) +
      el("PermissionsBoundaryUsageCount", boundaries) +
      el("IsAttachable", true) +
      el("CreateDate", iso(created)) +
      el("UpdateDate", iso(created)) +
      "</Policy>"
    );
  };
  const versionXml = (pol: FakePolicy, v: FakePolicy["versions"][number], withDoc: boolean) =>
    (withDoc ? el("Document", encodeDoc(v.document)) : "") +
    el("VersionId", v.id) +
    el("IsDefaultVersion", v.id === pol.defaultVersion) +
    el("CreateDate", iso(v.created ?? DEFAULT_CREATED));
  const checkDocument = (doc: string | undefined): string => {
    if (doc === undefined) throw new ApiError("ValidationError", "PolicyDocument is required.");
    try {
      const v = JSON.parse(doc) as unknown;
      if (typeof v !== "object" || v === null || Array.isArray(v)) throw new Error("not an object");
    } catch {
      throw new ApiError("MalformedPolicyDocument", "Syntax errors in policy.");
    }
    return doc;
  };
  const versionCounter = (arn: string, pol: FakePolicy): number => {
    const seen = Math.max(0, ...pol.versions.map((v) => Number(/^v([0-9]+)$/.exec(v.id)?.[1] ?? 0)));
    const n = Math.max(nextVersion.get(arn) ?? 0, seen + 1);
    nextVersion.set(arn, n + 1);
    return n;
  };
  const principalExists = (arn: string): boolean => {
    if (state.lastAccessed[arn]) return true;
    for (const [n, u] of Object.entries(state.users)) if (uArn(n, u) === arn) return true;
    for (const [n, r] of Object.entries(state.roles)) if (rArn(n, r) === arn) return true;
    for (const n of Object.keys(state.groups))
      if (`arn:aws:iam::${state.accountId}:group/${n}` === arn) return true;
    return Boolean(state.policies[arn]);
  };

  const iam: Record<string, (p: Record<string, string>) => string | undefined> = {
    GetUser: (p) => {
      const [name, u] = userNamed(p.UserName);
      return (
        "<User>" +
        el("Path", u.path ?? "/") +
        el("UserName", name) +
        el("UserId", u.id ?? userIdOf(name)) +
        el("Arn", uArn(name, u)) +
        el("CreateDate", iso(u.created ?? DEFAULT_CREATED)) +
        boundaryXml(u.boundary) +
        "</User>"
      );
    },
    GetRole: (p) => {
      const [name, r] = roleNamed(p.RoleName);
      const trust = JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          { Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" },
        ],
      });
      return (
        "<Role>" +
        el("Path", r.path ?? "/") +
        el("RoleName", name) +
        el("RoleId", r.id ?? roleIdOf(name)) +
        el("Arn", rArn(name, r)) +
        el("CreateDate", iso(r.created ?? DEFAULT_CREATED)) +
        el("AssumeRolePolicyDocument", encodeDoc(trust)) +
        el("MaxSessionDuration", 3600) +
        boundaryXml(r.boundary) +
        "</Role>"
      );
    },
    ListAttachedUserPolicies: (p) => attachedList(userNamed(p.UserName ?? "")[1].attached, p),
    ListAttachedRolePolicies: (p) => attachedList(roleNamed(p.RoleName)[1].attached, p),
    ListAttachedGroupPolicies: (p) => attachedList(groupNamed(p.GroupName)[1].attached, p),
    ListUserPolicies: (p) => namesList(userNamed(p.UserName ?? "")[1].inline, p),
    ListRolePolicies: (p) => namesList(roleNamed(p.RoleName)[1].inline, p),
    ListGroupPolicies: (p) => namesList(groupNamed(p.GroupName)[1].inline, p),
    GetUserPolicy: (p) => {
      const [name, u] = userNamed(p.UserName ?? "");
      return inlineDoc("User", name, u.inline, p);
    },
    GetRolePolicy: (p) => {
      const [name, r] = roleNamed(p.RoleName);
      return inlineDoc("Role", name, r.inline, p);
    },
    GetGroupPolicy: (p) => {
      const [name, g] = groupNamed(p.GroupName);
      return inlineDoc("Group", name, g.inline, p);
    },
    ListGroupsForUser: (p) => {
      const [, u] = userNamed(p.UserName ?? "");
      const pg = page(u.groups, p);
      return (
        members(
          "Groups",
          pg.items.map(
            (g) =>
              el("Path", "/") +
              el("GroupName", g) +
              el("GroupId", idOf("AGPA", g)) +
              el("Arn", `arn:aws:iam::${state.accountId}:group/${g}`) +
              el("CreateDate", iso(DEFAULT_CREATED)),
          ),
        ) + pg.tail
      );
    },
    GetPolicy: (p) => policyXml(p.PolicyArn ?? "", policyAt(p.PolicyArn)),
    GetPolicyVersion: (p) => {
      const pol = policyAt(p.PolicyArn);
      const v = pol.versions.find((x) => x.id === p.VersionId);
      if (!v) throw noSuch(`policy version ${p.VersionId ?? ""} of ${p.PolicyArn}`);
      return `<PolicyVersion>${versionXml(pol, v, true)}</PolicyVersion>`;
    },
    ListPolicyVersions: (p) => {
      const pol = policyAt(p.PolicyArn);
      // IAM lists the newest first.
      const pg = page([...pol.versions].reverse(), p);
      return (
        members(
          "Versions",
          pg.items.map((v) => versionXml(pol, v, false)),
        ) + pg.tail
      );
    },
    ListAccessKeys: (p) => {
      const [name, u] = userNamed(p.UserName);
      const pg = page(u.accessKeys, p);
      return (
        members(
          "AccessKeyMetadata",
          pg.items.map(
            (k) =>
              el("UserName", name) +
              el("AccessKeyId", k.id) +
              el("Status", k.status) +
              el("CreateDate", iso(k.created)),
          ),
        ) + pg.tail
      );
    },
    GetAccessKeyLastUsed: (p) => {
      for (const [name, u] of Object.entries(state.users)) {
        const k = u.accessKeys.find((x) => x.id === p.AccessKeyId);
        if (!k) continue;
        return (
          el("UserName", name) +
          "<AccessKeyLastUsed>" +
          (k.lastUsed ? el("LastUsedDate", iso(k.lastUsed)) : "") +
          el("ServiceName", k.lastUsed ? (k.lastUsedService ?? "N/A") : "N/A") +
          el("Region", k.lastUsed ? "us-east-1" : "N/A") +
          "</AccessKeyLastUsed>"
        );
      }
      throw noSuch(`access key ${p.AccessKeyId ?? ""}`);
    },
    GenerateServiceLastAccessedDetails: (p) => {
      const arn = p.Arn;
      if (arn === undefined || !/^arn:aws:iam::/.test(arn))
        throw new ApiError("InvalidInput", "Invalid ARN.");
      if (!principalExists(arn)) throw noSuch(`entity ${arn}`);
      const g = p.Granularity ?? "SERVICE_LEVEL";
      if (g !== "SERVICE_LEVEL" && g !== "ACTION_LEVEL")
        throw new ApiError("ValidationError", "Invalid Granularity.");
      const id = `job-${jobs.size + 1}-${idOf("", arn).toLowerCase()}`;
      jobs.set(id, { arn, granularity: g, polls: 0 });
      return el("JobId", id);
    },
    GetServiceLastAccessedDetails: (p) => {
      const job = p.JobId === undefined ? undefined : jobs.get(p.JobId);
      if (!job) throw noSuch(`job ${p.JobId ?? ""}`);
      const head = el("JobType", job.granularity) + el("JobCreationDate", iso(now));
      if (job.polls < (opts.jobPolls ?? 0)) {
        job.polls++;
        return el("JobStatus", "IN_PROGRESS") + head + "<ServicesLastAccessed/>";
      }
      if (opts.jobFails) {
        return (
          el("JobStatus", "FAILED") +
          head +
          "<ServicesLastAccessed/>" +
          el("JobCompletionDate", iso(now)) +
          `<Error>${el("Message", "The report could not be generated.")}${el("Code", "ServiceFailure")}</Error>`
        );
      }
      const services = state.lastAccessed[job.arn]?.services ?? [];
      const pg = page(services, p);
      return (
        el("JobStatus", "COMPLETED") +
        head +
        members(
          "ServicesLastAccessed",
          pg.items.map(
            (s) =>
              el("ServiceName", s.name ?? s.namespace) +
              (s.lastAuthenticated ? el("LastAuthenticated", iso(s.lastAuthenticated)) : "") +
              el("ServiceNamespace", s.namespace) +
              (s.lastAuthenticated
                ? el("LastAuthenticatedEntity", job.arn) + el("LastAuthenticatedRegion", "us-east-1")
                : "") +
              el("TotalAuthenticatedEntities", s.lastAuthenticated ? 1 : 0) +
              (job.granularity === "ACTION_LEVEL" && s.tracked
                ? members(
                    "TrackedActionsLastAccessed",
                    s.tracked.map(
                      (t) =>
                        el("ActionName", t.action) +
                        (t.lastAccessed
                          ? el("LastAccessedEntity", job.arn) +
                            el("LastAccessedRegion", "us-east-1") +
                            el("LastAccessedTime", iso(t.lastAccessed))
                          : ""),
                    ),
                  )
                : ""),
          ),
        ) +
        el("JobCompletionDate", iso(now)) +
        pg.tail
      );
    },

    // Writes.
    CreatePolicy: (p) => {
      const name = p.PolicyName;
      if (!name) throw new ApiError("ValidationError", "PolicyName is required.");
      const path = p.Path ?? "/";
      const arn = policyArn(state.accountId, name, path);
      if (state.policies[arn])
        throw new ApiError("EntityAlreadyExists", `A policy called ${name} already exists.`);
      const doc = checkDocument(p.PolicyDocument);
      const pol: FakePolicy = {
        name,
        defaultVersion: "v1",
        versions: [{ id: "v1", document: doc, created: now }],
      };
      if (path !== "/") pol.path = path;
      state.policies[arn] = pol;
      nextVersion.set(arn, 2);
      return policyXml(arn, pol);
    },
    CreatePolicyVersion: (p) => {
      const arn = p.PolicyArn ?? "";
      const pol = policyAt(arn);
      if (isAwsManaged(arn)) throw new ApiError("InvalidInput", "AWS-managed policies cannot be changed.");
      const doc = checkDocument(p.PolicyDocument);
      if (pol.versions.length >= MAX_POLICY_VERSIONS) {
        throw new ApiError(
          "LimitExceeded",
          `Cannot exceed quota for PolicyVersionsPerPolicy: ${MAX_POLICY_VERSIONS}`,
        );
      }
      const v = { id: `v${versionCounter(arn, pol)}`, document: doc, created: now };
      pol.versions.push(v);
      if (p.SetAsDefault === "true") pol.defaultVersion = v.id;
      return `<PolicyVersion>${versionXml(pol, v, false)}</PolicyVersion>`;
    },
    DeletePolicyVersion: (p) => {
      const pol = policyAt(p.PolicyArn);
      const i = pol.versions.findIndex((v) => v.id === p.VersionId);
      if (i < 0) throw noSuch(`policy version ${p.VersionId ?? ""}`);
      if (pol.defaultVersion === p.VersionId) {
        throw new ApiError("DeleteConflict", "Cannot delete the default version of a policy.");
      }
      pol.versions.splice(i, 1);
      return undefined;
    },
    SetDefaultPolicyVersion: (p) => {
      const pol = policyAt(p.PolicyArn);
      if (!pol.versions.some((v) => v.id === p.VersionId))
        throw noSuch(`policy version ${p.VersionId ?? ""}`);
      pol.defaultVersion = p.VersionId ?? "";
      return undefined;
    },
    DeletePolicy: (p) => {
      const arn = p.PolicyArn ?? "";
      const pol = policyAt(arn);
      const inUse = [
        ...Object.values(state.users),
        ...Object.values(state.roles),
        ...Object.values(state.groups),
      ].some((e) => e.attached.includes(arn) || ("boundary" in e && e.boundary === arn));
      if (inUse) throw new ApiError("DeleteConflict", "Cannot delete a policy attached to entities.");
      if (pol.versions.length > 1) {
        throw new ApiError(
          "DeleteConflict",
          "This policy has more than one version. Delete its non-default versions first.",
        );
      }
      delete state.policies[arn];
      return undefined;
    },
    PutUserPermissionsBoundary: (p) => {
      const [, u] = userNamed(p.UserName ?? "");
      u.boundary = attachable(p.PermissionsBoundary);
      return undefined;
    },
    PutRolePermissionsBoundary: (p) => {
      const [, r] = roleNamed(p.RoleName);
      r.boundary = attachable(p.PermissionsBoundary);
      return undefined;
    },
    DeleteUserPermissionsBoundary: (p) => {
      const [, u] = userNamed(p.UserName ?? "");
      delete u.boundary;
      return undefined;
    },
    DeleteRolePermissionsBoundary: (p) => {
      const [, r] = roleNamed(p.RoleName);
      delete r.boundary;
      return undefined;
    },
  };
  const attachable = (arn: string | undefined): string => {
    if (arn === undefined) throw new ApiError("ValidationError", "PermissionsBoundary is required.");
    if (!isAwsManaged(arn)) policyAt(arn);
    return arn;
  };

  const sts: Record<string, (p: Record<string, string>) => string | undefined> = {
    GetCallerIdentity: () =>
      el("Arn", state.caller.arn) + el("UserId", state.caller.userId) + el("Account", state.accountId),
  };

  const answer = (p: Record<string, string>): { status: number; xml: string } => {
    const action = p.Action ?? "";
    const n = (perAction.get(action) ?? 0) + 1;
    perAction.set(action, n);
    const isSts = p.Version === STS_VERSION;
    const ns = isSts ? STS_NS : IAM_NS;
    const rid = `fake-${calls.length}`;
    const fail = (e: ApiError) => ({
      status: e.status,
      xml:
        `<ErrorResponse xmlns="${ns}"><Error>${el("Type", e.status >= 500 ? "Receiver" : "Sender")}` +
        `${el("Code", e.code)}${el("Message", e.message)}</Error>${el("RequestId", rid)}</ErrorResponse>`,
    });
    for (const f of opts.faults ?? []) {
      if (f.action !== action) continue;
      const used = faultUses.get(f) ?? 0;
      const hit = f.onCall !== undefined ? f.onCall === n : f.times === undefined || used < f.times;
      if (!hit) continue;
      faultUses.set(f, used + 1);
      return fail(
        new ApiError(f.code, f.message ?? `${f.code} (injected)`, f.status ?? STATUS[f.code] ?? 400),
      );
    }
    const table = isSts ? sts : p.Version === IAM_VERSION ? iam : {};
    const handler = Object.hasOwn(table, action) ? table[action] : undefined;
    if (!handler)
      return fail(
        new ApiError("InvalidAction", `Could not find operation ${action} for version ${p.Version}`),
      );
    try {
      const inner = handler(p);
      const result = inner === undefined ? "" : `<${action}Result>${inner}</${action}Result>`;
      return {
        status: 200,
        xml: `<${action}Response xmlns="${ns}">${result}<ResponseMetadata>${el("RequestId", rid)}</ResponseMetadata></${action}Response>`,
      };
    } catch (e) {
      if (e instanceof ApiError) return fail(e);
      return fail(new ApiError("ServiceFailure", "The fake failed.", 500));
    }
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size <= MAX_BODY) chunks.push(c);
    });
    req.on("end", () => {
      const params: Record<string, string> = {};
      for (const [k, v] of new URLSearchParams(Buffer.concat(chunks).toString("utf8"))) params[k] = v;
      calls.push({ action: params.Action ?? "", params });
      const r =
        req.method === "POST" && size <= MAX_BODY
          ? answer(params)
          : { status: 400, xml: "<ErrorResponse><Error><Code>InvalidRequest</Code></Error></ErrorResponse>" };
      res
        .writeHead(r.status, { "content-type": "text/xml", "content-length": Buffer.byteLength(r.xml) })
        .end(r.xml);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    calls,
    state,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((e) => (e ? reject(e) : resolve()));
      }),
  };
}
