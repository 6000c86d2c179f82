import { broadMatch, hasWildcard, isAnyAction, onAllResources } from "./policy.js";
import type { AwsFacts, GrantSource, Statement } from "./types.js";

// The live checks of step 6 for AWS (issue 13): what the principal's identity policies grant and
// how its keys are kept. Each judgement names a scope check (rules/scope/<id>.yaml), a fixed
// `current` enum, and where it comes from (a policy's name, or an access key by its position):
// never a document's text, never a key id.

export const IAM_CHECK_IDS = [
  "aws-iam-admin-access",
  "aws-iam-full-iam-access",
  "aws-iam-passrole-any-role",
  "aws-iam-write-all-resources",
  "aws-iam-unused-services",
  "aws-iam-old-access-key",
  "aws-iam-unused-access-key",
] as const;
export type IamCheckId = (typeof IAM_CHECK_IDS)[number];

export interface IamJudgement {
  checkId: IamCheckId;
  /** A fixed enum: `admin-policy`, `iam-wildcard`, `passrole-wildcard`, ... */
  current: string;
  /** The policy (`inline AgentPolicy`, `managed AdministratorAccess via group ops`) or `access key 1`. */
  where: string;
  /** A fixed-vocabulary detail: counts, ages in days, service prefixes. */
  detail?: string;
}

/** Days an active access key may live before it is reported (CIS AWS 1.14 rotates at 90). */
export const MAX_KEY_AGE_DAYS = 90;
const DAY_MS = 86_400_000;

/** Verbs that begin IAM actions which change something (the IAM action "access level" Write/Permissions). */
const WRITE_VERBS = [
  "Add",
  "Associate",
  "Attach",
  "Authorize",
  "Cancel",
  "Change",
  "Copy",
  "Create",
  "Delete",
  "Deregister",
  "Detach",
  "Disable",
  "Disassociate",
  "Enable",
  "Execute",
  "Import",
  "Invoke",
  "Modify",
  "Publish",
  "Put",
  "Reboot",
  "Register",
  "Remove",
  "Replace",
  "Reset",
  "Restore",
  "Revoke",
  "Run",
  "Send",
  "Set",
  "Start",
  "Stop",
  "Tag",
  "Terminate",
  "Untag",
  "Update",
  "Upload",
  "Write",
];

/** Whether an action pattern can name an action that changes something. */
export function canWrite(action: string): boolean {
  const i = action.indexOf(":");
  const name = i === -1 ? "*" : action.slice(i + 1);
  if (!hasWildcard(name)) return WRITE_VERBS.some((v) => name.toLowerCase().startsWith(v.toLowerCase()));
  // A pattern: write when some write verb can start what it matches.
  const head = name.slice(0, name.search(/[*?]/)).toLowerCase();
  return WRITE_VERBS.some((v) => v.toLowerCase().startsWith(head) || head.startsWith(v.toLowerCase()));
}

const grantName = (g: GrantSource) =>
  `${g.type === "inline" ? "inline" : "managed"} ${g.name}${g.via.kind === "group" ? ` via group ${g.via.name}` : ""}`;

const unconditional = (s: Statement) => s.Condition === undefined;

/** Gathering problems that do not hide a grant: keys and evidence of use are optional. */
const OPTIONAL_PARTS = new Set([
  "iam:ListAccessKeys",
  "iam:GetAccessKeyLastUsed",
  "iam:GenerateServiceLastAccessedDetails",
  "iam:GetServiceLastAccessedDetails",
]);

/**
 * How many problems may hide a grant (a policy, group or boundary not read): with any, the checks
 * saw only part of what the principal may do, and step 6 must not pass (fail closed).
 */
export function grantsIncomplete(facts: AwsFacts): number {
  return facts.issues.filter((i) => !isOptionalPart(i.where)).length;
}

/** Whether a gathering issue is about an optional part (keys, evidence of use), not a grant. */
export function isOptionalPart(where: string): boolean {
  return OPTIONAL_PARTS.has(where);
}

export function judgeFacts(facts: AwsFacts, opts: { now: number; windowDays: number }): IamJudgement[] {
  const out: IamJudgement[] = [];
  for (const g of facts.grants) {
    const allows = g.document.Statement.filter((s) => s.Effect === "Allow" && unconditional(s));
    const anyAction = (pred: (a: string) => boolean) =>
      allows.some((s) => onAllResources(s) && (s.NotAction !== undefined || (s.Action ?? []).some(pred)));
    const where = grantName(g);
    const admin = allows.some(
      (s) =>
        onAllResources(s) &&
        ((s.Action ?? []).some(isAnyAction) ||
          // Allow NotAction on * grants everything but a few actions: admin in all but name.
          s.NotAction !== undefined),
    );
    if (admin) {
      out.push({ checkId: "aws-iam-admin-access", current: "admin-policy", where });
      continue;
    }
    if (
      anyAction(
        (a) =>
          broadMatch(a, "iam:CreateAccessKey") &&
          broadMatch(a, "iam:AttachUserPolicy") &&
          broadMatch(a, "iam:PutRolePolicy"),
      )
    )
      out.push({ checkId: "aws-iam-full-iam-access", current: "iam-wildcard", where });
    else if (anyAction((a) => broadMatch(a, "iam:PassRole")))
      out.push({ checkId: "aws-iam-passrole-any-role", current: "passrole-wildcard", where });
    const writes = new Set<string>();
    for (const s of allows) {
      if (!onAllResources(s)) continue;
      for (const a of s.Action ?? [])
        if (canWrite(a) && !a.toLowerCase().startsWith("iam:")) writes.add(a.toLowerCase());
    }
    if (writes.size)
      out.push({
        checkId: "aws-iam-write-all-resources",
        current: "write-on-all-resources",
        where,
        detail: `${writes.size} write action pattern${writes.size === 1 ? "" : "s"} on Resource "*"`,
      });
  }

  const report = facts.lastAccessed;
  if (report) {
    const start = Date.parse(report.completed) - opts.windowDays * DAY_MS;
    const unused = report.services
      .filter((s) => s.lastAuthenticated === undefined || Date.parse(s.lastAuthenticated) < start)
      .map((s) => s.namespace)
      .sort();
    if (unused.length)
      out.push({
        checkId: "aws-iam-unused-services",
        current: "unused-permissions",
        where: "identity policies",
        detail: `${unused.length} of ${report.services.length} granted services not used in ${opts.windowDays} days`,
      });
  }

  facts.accessKeys.forEach((k, i) => {
    if (k.status !== "Active") return;
    const where = `access key ${i + 1}`;
    const created = k.created ? Date.parse(k.created) : Number.NaN;
    if (Number.isFinite(created)) {
      const age = Math.floor((opts.now - created) / DAY_MS);
      if (age > MAX_KEY_AGE_DAYS)
        out.push({
          checkId: "aws-iam-old-access-key",
          current: "old-access-key",
          where,
          detail: `active, ${age} days old`,
        });
    }
    const last = k.lastUsed ? Date.parse(k.lastUsed) : Number.NaN;
    if (!Number.isFinite(last)) {
      if (Number.isFinite(created) && opts.now - created > DAY_MS)
        out.push({
          checkId: "aws-iam-unused-access-key",
          current: "never-used-key",
          where,
          detail: "active, never used",
        });
    } else if (opts.now - last > opts.windowDays * DAY_MS) {
      out.push({
        checkId: "aws-iam-unused-access-key",
        current: "unused-access-key",
        where,
        detail: `active, last used ${Math.floor((opts.now - last) / DAY_MS)} days ago`,
      });
    }
  });
  return out;
}
