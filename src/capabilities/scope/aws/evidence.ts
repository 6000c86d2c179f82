import { join } from "node:path";
import { safeMessage } from "../../../util/errors.js";
import { readRegularText, UnsafeFileError } from "../../../util/safe-read.js";
import { PolicyShapeError, parsePolicy } from "./policy.js";
import type {
  AwsFacts,
  GrantSource,
  LastAccessedReport,
  PolicyDocument,
  Principal,
  PrincipalKind,
  ServiceAccess,
} from "./types.js";

// Offline evidence (`creds aws --evidence DIR`, issue 13): the same facts the live gatherer reads,
// from the JSON the AWS CLI prints, one file per command, named after it:
//   aws sts get-caller-identity                          > sts-get-caller-identity.json
//   aws iam get-account-authorization-details            > iam-get-account-authorization-details.json
//   aws iam get-service-last-accessed-details --job-id J > iam-get-service-last-accessed-details.json
// The CLI prints policy documents decoded (JSON objects); an SDK dump holds them URL-encoded:
// both are read. Values from these files are data: a shape error names the file and the field.

export const EVIDENCE_FILES = {
  caller: "sts-get-caller-identity.json",
  auth: "iam-get-account-authorization-details.json",
  lastAccessed: "iam-get-service-last-accessed-details.json",
} as const;

/** Largest evidence file read (the authorization details of a large account run to tens of MB). */
export const MAX_EVIDENCE_BYTES = 256 * 1024 * 1024;

export class EvidenceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "EvidenceError";
  }
}

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/** A date the CLI printed (ISO text) as ISO, or undefined. */
function isoOf(v: unknown): string | undefined {
  if (typeof v !== "string" && !(v instanceof Date)) return undefined;
  const t = new Date(v).getTime();
  return Number.isFinite(t) ? new Date(t).toISOString() : undefined;
}

async function readJson(dir: string, file: string, required: boolean): Promise<Json | undefined> {
  let text: string;
  try {
    text = await readRegularText(join(dir, file), { maxBytes: MAX_EVIDENCE_BYTES });
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    if (code === "ENOENT" && !required) return undefined;
    const why = e instanceof UnsafeFileError ? e.message : safeMessage(e);
    throw new EvidenceError(`${file}: ${code === "ENOENT" ? "missing from the evidence folder" : why}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new EvidenceError(`${file}: not valid JSON (save the CLI's output with --output json)`);
  }
  if (!isObj(value)) throw new EvidenceError(`${file}: not a JSON object`);
  return value;
}

/** An ARN's parts we use: account, and for IAM users/roles and STS sessions the kind and name. */
export function parseArn(
  arn: string,
): { accountId: string; kind?: PrincipalKind; name?: string; sessionRole?: string } | undefined {
  const m = /^arn:aws[a-z-]*:(iam|sts)::(\d{12}):(.+)$/.exec(arn);
  if (!m) return undefined;
  const [, svc, accountId, res] = m as unknown as [string, string, string, string];
  if (svc === "sts") {
    const s = /^assumed-role\/([^/]+)\/.+$/.exec(res);
    return s ? { accountId, sessionRole: s[1]! } : { accountId };
  }
  const u = /^(user|role)\/(?:.*\/)?([^/]+)$/.exec(res);
  if (!u) return { accountId };
  return { accountId, kind: u[1] as PrincipalKind, name: u[2]! };
}

/**
 * The principal to analyse: `principalArn` when given, else the caller's identity (an assumed-role
 * session stands for its role). Returns the kind and name to look up.
 */
export function principalTarget(
  callerArn: string,
  principalArn?: string,
): { accountId: string; kind: PrincipalKind; name: string; arn?: string } {
  const want = principalArn ?? callerArn;
  const p = parseArn(want);
  if (!p) throw new EvidenceError(`not an IAM user, role or assumed-role ARN: ${printable(want)}`);
  if (p.sessionRole) return { accountId: p.accountId, kind: "role", name: p.sessionRole };
  if (!p.kind || !p.name)
    throw new EvidenceError(
      `not an IAM user or role: ${printable(want)} (analyse a user or role; the root user cannot be narrowed)`,
    );
  return { accountId: p.accountId, kind: p.kind, name: p.name, arn: want };
}

/** An ARN or name for an error line: printable ASCII, bounded. */
export function printable(s: string): string {
  const t = s.replace(/[^\x20-\x7e]/g, "?");
  return t.length > 200 ? `${t.slice(0, 200)}…` : t;
}

/** The facts from an evidence folder. Throws EvidenceError for a missing or malformed required file. */
export async function readEvidence(dir: string, opts: { principalArn?: string } = {}): Promise<AwsFacts> {
  const caller = (await readJson(dir, EVIDENCE_FILES.caller, true))!;
  const auth = (await readJson(dir, EVIDENCE_FILES.auth, true))!;
  const last = await readJson(dir, EVIDENCE_FILES.lastAccessed, false);
  const callerArn = str(caller.Arn);
  if (!callerArn) throw new EvidenceError(`${EVIDENCE_FILES.caller}: no Arn`);
  return factsFromDetails(callerArn, auth, last, opts.principalArn);
}

/** The facts from parsed authorization details (and a last-accessed report, if any). */
export function factsFromDetails(
  callerArn: string,
  auth: Json,
  last: Json | undefined,
  principalArn?: string,
): AwsFacts {
  const issues: AwsFacts["issues"] = [];
  const target = principalTarget(callerArn, principalArn);
  const F = EVIDENCE_FILES.auth;
  const users = list(auth.UserDetailList).filter(isObj);
  const roles = list(auth.RoleDetailList).filter(isObj);
  const groups = list(auth.GroupDetailList).filter(isObj);
  const pool = target.kind === "user" ? users : roles;
  const nameKey = target.kind === "user" ? "UserName" : "RoleName";
  const entry = pool.find((e) => (target.arn ? e.Arn === target.arn : e[nameKey] === target.name));
  if (!entry)
    throw new EvidenceError(
      `${F}: the ${target.kind} ${printable(target.arn ?? target.name)} is not in ${target.kind === "user" ? "UserDetailList" : "RoleDetailList"} (was the CLI run with a --filter that left it out?)`,
    );
  const arn = str(entry.Arn);
  if (!arn) throw new EvidenceError(`${F}: the ${target.kind} has no Arn`);
  const principal: Principal = {
    arn,
    kind: target.kind,
    name: str(entry[nameKey]) ?? target.name,
    accountId: target.accountId,
  };
  const created = isoOf(entry.CreateDate);
  if (created) principal.created = created;

  // Managed policies by ARN, with their default version's document.
  const managed = new Map<string, { name: string; versionId?: string; doc?: unknown }>();
  for (const p of list(auth.Policies).filter(isObj)) {
    const parn = str(p.Arn);
    if (!parn) continue;
    const def = str(p.DefaultVersionId);
    const versions = list(p.PolicyVersionList).filter(isObj);
    const v = versions.find((x) => x.IsDefaultVersion === true) ?? versions.find((x) => x.VersionId === def);
    managed.set(parn, {
      name: str(p.PolicyName) ?? parn,
      versionId: str(v?.VersionId) ?? def,
      doc: v?.Document,
    });
  }

  const grants: GrantSource[] = [];
  const doc = (raw: unknown, what: string): PolicyDocument | undefined => {
    try {
      return parsePolicy(raw);
    } catch (e) {
      const why = e instanceof PolicyShapeError ? e.message : safeMessage(e);
      issues.push({ where: F, message: `${what}: policy not read (${why})` });
      return undefined;
    }
  };
  const addFrom = (holder: Json, via: GrantSource["via"], inlineKey: string) => {
    for (const ip of list(holder[inlineKey]).filter(isObj)) {
      const name = str(ip.PolicyName) ?? "(unnamed)";
      const d = doc(
        ip.PolicyDocument,
        `inline policy ${printable(name)} of ${via.kind} ${printable(via.name)}`,
      );
      if (d) grants.push({ type: "inline", name, via, document: d });
    }
    for (const ap of list(holder.AttachedManagedPolicies).filter(isObj)) {
      const parn = str(ap.PolicyArn);
      if (!parn) continue;
      const name = str(ap.PolicyName) ?? parn;
      const m = managed.get(parn);
      const what = `managed policy ${printable(name)} (attached to ${via.kind} ${printable(via.name)})`;
      if (!m || m.doc === undefined) {
        issues.push({
          where: F,
          message: `${what}: its document is not in Policies (run get-account-authorization-details without --filter, so AWS-managed policies are included)`,
        });
        continue;
      }
      const d = doc(m.doc, what);
      if (!d) continue;
      const g: GrantSource = { type: "managed", name, arn: parn, via, document: d };
      if (m.versionId) g.versionId = m.versionId;
      if (/^arn:aws[a-z-]*:iam::aws:policy\//.test(parn)) g.awsManaged = true;
      grants.push(g);
    }
  };
  addFrom(
    entry,
    { kind: target.kind, name: principal.name },
    target.kind === "user" ? "UserPolicyList" : "RolePolicyList",
  );
  const groupNames: string[] = [];
  if (target.kind === "user") {
    for (const gname of list(entry.GroupList)) {
      if (typeof gname !== "string") continue;
      groupNames.push(gname);
      const g = groups.find((x) => x.GroupName === gname);
      if (!g) {
        issues.push({
          where: F,
          message: `group ${printable(gname)}: not in GroupDetailList; its policies are not counted`,
        });
        continue;
      }
      addFrom(g, { kind: "group", name: gname }, "GroupPolicyList");
    }
  }

  const facts: AwsFacts = { principal, callerArn, grants, groups: groupNames, accessKeys: [], issues };
  const pb = isObj(entry.PermissionsBoundary)
    ? str(entry.PermissionsBoundary.PermissionsBoundaryArn)
    : undefined;
  if (pb) {
    const m = managed.get(pb);
    facts.boundary = { arn: pb };
    if (m?.versionId) facts.boundary.versionId = m.versionId;
    if (m?.doc !== undefined) {
      const d = doc(m.doc, `permissions boundary ${printable(m.name)}`);
      if (d) facts.boundary.document = d;
    } else issues.push({ where: F, message: "the permissions boundary's document is not in Policies" });
  }
  if (last) {
    const r = lastAccessedFrom(last, EVIDENCE_FILES.lastAccessed);
    if (r) facts.lastAccessed = r;
  }
  return facts;
}

/** A last-accessed report from GetServiceLastAccessedDetails' output (CLI JSON or SDK object). */
export function lastAccessedFrom(j: Json, file: string): LastAccessedReport {
  const status = str(j.JobStatus);
  if (status !== "COMPLETED")
    throw new EvidenceError(
      `${file}: JobStatus is ${printable(String(status ?? "missing"))}, not COMPLETED (wait for the job, then save it again)`,
    );
  const completed = isoOf(j.JobCompletionDate);
  if (!completed) throw new EvidenceError(`${file}: no JobCompletionDate`);
  if (j.IsTruncated === true)
    throw new EvidenceError(
      `${file}: IsTruncated is true (save every page: the CLI pages by itself unless --max-items was given)`,
    );
  const granularity = j.JobType === "ACTION_LEVEL" ? "ACTION_LEVEL" : "SERVICE_LEVEL";
  const services: ServiceAccess[] = [];
  for (const s of list(j.ServicesLastAccessed).filter(isObj)) {
    const ns = str(s.ServiceNamespace);
    if (!ns) continue;
    const svc: ServiceAccess = { namespace: ns.toLowerCase(), trackedActions: null };
    const name = str(s.ServiceName);
    if (name) svc.name = name;
    const la = isoOf(s.LastAuthenticated);
    if (la) svc.lastAuthenticated = la;
    if (Array.isArray(s.TrackedActionsLastAccessed)) {
      svc.trackedActions = s.TrackedActionsLastAccessed.filter(isObj).flatMap((a) => {
        const an = str(a.ActionName);
        if (!an) return [];
        const action = an.includes(":") ? an : `${svc.namespace}:${an}`;
        const t = isoOf(a.LastAccessedTime);
        return [t ? { action, lastAccessed: t } : { action }];
      });
    }
    services.push(svc);
  }
  return { granularity, completed, services };
}
