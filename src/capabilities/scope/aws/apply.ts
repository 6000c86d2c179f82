import {
  CreatePolicyCommand,
  CreatePolicyVersionCommand,
  DeletePolicyCommand,
  DeletePolicyVersionCommand,
  DeleteRolePermissionsBoundaryCommand,
  DeleteUserPermissionsBoundaryCommand,
  GetPolicyVersionCommand,
  GetRoleCommand,
  GetUserCommand,
  type IAMClient,
  ListPolicyVersionsCommand,
  PutRolePermissionsBoundaryCommand,
  PutUserPermissionsBoundaryCommand,
  SetDefaultPolicyVersionCommand,
} from "@aws-sdk/client-iam";
import { safeMessage } from "../../../util/errors.js";
import { zod } from "../../../util/lazy.js";
import type { ApiCall, ApplyMode, Plan, Principal } from "./types.js";

// `creds aws --apply` (issue 13): a plan's narrowed document applied to IAM, in order of
// reversibility (research audit-iam.md B.9), and `--rollback MANIFEST`.
//
// - boundary: a new customer-managed policy (under /agent-audit/) set as the principal's permissions
//   boundary; the previous boundary (or none) is read first and kept in the manifest.
// - policy-version: the document becomes the default version of a customer-managed policy; at the
//   five-version limit the oldest non-default version is deleted first (its document kept in the
//   manifest: a deleted version cannot be restored under its id); the previous default is kept.
//
// The dry run (planCalls) and the apply run the same ApiCall list, so `--dry-run` shows exactly the
// calls made. The manifest is written before the first call that changes anything and after every
// call, so a crash halfway leaves a manifest that rollback can use. A call that fails stops the
// apply; the calls already made are undone in reverse order. AWS errors become messages naming the
// IAM permission the audit needs; an AWS error's own text is never shown (it is foreign text).

/** Where and how a plan is applied. */
export interface ApplyTarget {
  mode: ApplyMode;
  principal: Principal;
  plan: Plan;
  /** Boundary mode: the principal's boundary when the facts were read (absent: none). */
  currentBoundaryArn?: string;
  /** Boundary mode: the name of the policy created (default `agent-audit-boundary-<principal name>`). */
  boundaryPolicyName?: string;
  /** Policy-version mode: the customer-managed policy given the new version. */
  policyArn?: string;
}

/** A policy version as ListPolicyVersions gives it. */
export interface VersionInfo {
  id: string;
  isDefault: boolean;
  created?: string;
}

export type RecordedCall = ApiCall & { ok: boolean; error?: string };

export interface ApplyManifest {
  kind: "agent-audit-aws-apply";
  version: 1;
  createdAt: string;
  mode: ApplyMode;
  principal: { arn: string; kind: "user" | "role"; name: string };
  boundary?: { previousArn: string | null; policyArn: string; createdPolicy: boolean };
  policyVersion?: {
    policyArn: string;
    previousDefault: string;
    /** null until CreatePolicyVersion answered (an apply that failed before it). */
    newVersion: string | null;
    /** The version deleted to make room (five-version limit), with its document (plain JSON text). */
    deleted?: { versionId: string; document: string };
  };
  calls: RecordedCall[];
  completed: boolean;
  /** Set when the apply failed: whether every change it made was reversed. */
  undone?: boolean;
  /** What a reader must know (a deleted version cannot be restored under its id, ...). */
  notes?: string[];
}

export interface RollbackResult {
  calls: RecordedCall[];
  ok: boolean;
  notes: string[];
}

/** An apply refused before any call: the target or plan is not fit. Nothing was changed. */
export class ApplyRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ApplyRefusedError";
  }
}

/**
 * An apply that failed at a call. `manifest` is the last manifest written (absent when nothing had
 * been changed yet and no manifest was written); `changed`: whether a change is left that
 * `--rollback` can undo (a version deleted for room is gone either way; the message says so).
 */
export class ApplyFailedError extends Error {
  readonly manifest: ApplyManifest | undefined;
  readonly changed: boolean;
  constructor(message: string, manifest: ApplyManifest | undefined, changed: boolean) {
    super(message);
    this.name = "ApplyFailedError";
    this.manifest = manifest;
    this.changed = changed;
  }
}

/** A manifest file that is not an agent-audit AWS apply manifest, or is malformed. */
export class ManifestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ManifestError";
  }
}

export const MAX_POLICY_VERSIONS = 5;
/** Pages of ListPolicyVersions read at most (five versions fit in one). */
const MAX_VERSION_PAGES = 10;
export const BOUNDARY_PATH = "/agent-audit/";
const MAX_MANIFEST_CHARS = 1024 * 1024;

// ---------------------------------------------------------------------------------------------
// Names and checks.

const NAME = /^[\w+=,.@-]{1,128}$/;
const PARTITION = "aws(?:-[a-z]+)*";
const ACCOUNT = "[0-9]{12}";
const PRINCIPAL_ARN = new RegExp(
  `^arn:(${PARTITION}):iam::(${ACCOUNT}):(user|role)/(?:[\\w+=,.@/-]*/)?([\\w+=,.@-]{1,128})$`,
);
const POLICY_ARN = new RegExp(
  `^arn:${PARTITION}:iam::(?:${ACCOUNT}|aws):policy/(?:[\\w+=,.@/-]*/)?[\\w+=,.@-]{1,128}$`,
);
const CUSTOMER_POLICY_ARN = new RegExp(`^arn:${PARTITION}:iam::${ACCOUNT}:policy/`);
const AGENT_AUDIT_POLICY_ARN = new RegExp(
  `^arn:${PARTITION}:iam::${ACCOUNT}:policy/agent-audit/[\\w+=,.@-]{1,128}$`,
);
const VERSION_ID = /^v[0-9]{1,6}$/;

function partitionOf(arn: string): string {
  return PRINCIPAL_ARN.exec(arn)?.[1] ?? "aws";
}

function boundaryPolicyName(t: ApplyTarget): string {
  return t.boundaryPolicyName ?? `agent-audit-boundary-${t.principal.name}`;
}

/** The ARN of the boundary policy CreatePolicy makes (its name under /agent-audit/). */
export function boundaryPolicyArn(t: ApplyTarget): string {
  return `arn:${partitionOf(t.principal.arn)}:iam::${t.principal.accountId}:policy${BOUNDARY_PATH}${boundaryPolicyName(t)}`;
}

/** Throws ApplyRefusedError when the target or its plan must not be applied. */
function checkTarget(t: ApplyTarget): void {
  const p = t.principal;
  if (!t.plan.fits) {
    throw new ApplyRefusedError(
      `refused: the plan's policy is ${t.plan.sizeChars} characters, over IAM's limit of ${t.plan.maxChars}; nothing was changed`,
    );
  }
  if (t.plan.principal !== p.arn) {
    throw new ApplyRefusedError(
      `refused: the plan is for ${t.plan.principal}, not for ${p.arn}; nothing was changed`,
    );
  }
  const m = PRINCIPAL_ARN.exec(p.arn);
  if (!m || m[2] !== p.accountId || m[3] !== p.kind || m[4] !== p.name) {
    throw new ApplyRefusedError(
      `refused: the principal ${p.arn} is not an IAM ${p.kind} named ${p.name} in account ${p.accountId}; nothing was changed`,
    );
  }
  if (t.mode === "boundary") {
    if (!NAME.test(boundaryPolicyName(t))) {
      throw new ApplyRefusedError(
        "refused: the boundary policy name must be 1-128 characters of letters, digits and +=,.@_-",
      );
    }
    if (t.currentBoundaryArn === boundaryPolicyArn(t)) {
      throw new ApplyRefusedError(
        `refused: ${p.arn} already has agent-audit's boundary ${t.currentBoundaryArn}; roll back the earlier apply first (--rollback MANIFEST); nothing was changed`,
      );
    }
    return;
  }
  if (t.mode !== "policy-version") throw new ApplyRefusedError(`refused: unknown apply mode`);
  if (!t.policyArn) {
    throw new ApplyRefusedError(
      "refused: policy-version mode needs the ARN of the customer-managed policy to give a new version",
    );
  }
  if (!POLICY_ARN.test(t.policyArn) || !CUSTOMER_POLICY_ARN.test(t.policyArn)) {
    throw new ApplyRefusedError(
      /^arn:[^:]+:iam::aws:policy\//.test(t.policyArn)
        ? `refused: ${t.policyArn} is AWS-managed and cannot be given a new version; apply as a permissions boundary instead`
        : "refused: the policy ARN is not a customer-managed IAM policy ARN",
    );
  }
}

/** The document IAM receives: compact JSON (IAM counts characters without whitespace anyway). */
function documentText(t: ApplyTarget): string {
  return JSON.stringify(t.plan.after);
}

function versionNumber(id: string): number {
  const m = /^v([0-9]+)$/.exec(id);
  return m ? Number(m[1]) : Number.POSITIVE_INFINITY;
}

/** The version deleted to make room: the oldest non-default one (version ids only grow). */
export function oldestNonDefault(versions: readonly VersionInfo[]): VersionInfo | undefined {
  return [...versions]
    .filter((v) => !v.isDefault)
    .sort(
      (a, b) =>
        versionNumber(a.id) - versionNumber(b.id) ||
        (a.created ?? "").localeCompare(b.created ?? "") ||
        a.id.localeCompare(b.id),
    )[0];
}

// ---------------------------------------------------------------------------------------------
// The calls.

const nameParam = (p: { kind: "user" | "role"; name: string }): Record<string, string> =>
  p.kind === "user" ? { UserName: p.name } : { RoleName: p.name };
const Kind = (p: { kind: "user" | "role" }) => (p.kind === "user" ? "User" : "Role");

function readPrincipalCall(p: { kind: "user" | "role"; name: string }): ApiCall {
  return { action: `Get${Kind(p)}`, params: nameParam(p) };
}

function putBoundaryCall(p: { kind: "user" | "role"; name: string }, arn: string): ApiCall {
  return {
    action: `Put${Kind(p)}PermissionsBoundary`,
    params: { ...nameParam(p), PermissionsBoundary: arn },
  };
}

function deleteBoundaryCall(p: { kind: "user" | "role"; name: string }): ApiCall {
  return { action: `Delete${Kind(p)}PermissionsBoundary`, params: nameParam(p) };
}

function restoreBoundaryCall(p: { kind: "user" | "role"; name: string }, previous: string | null): ApiCall {
  return previous === null ? deleteBoundaryCall(p) : putBoundaryCall(p, previous);
}

function createPolicyCall(t: ApplyTarget): ApiCall {
  return {
    action: "CreatePolicy",
    params: {
      PolicyName: boundaryPolicyName(t),
      Path: BOUNDARY_PATH,
      PolicyDocument: documentText(t),
      Description: `agent-audit permissions boundary for ${t.principal.arn}: the least-privilege plan of ${t.plan.reference} (${t.plan.windowDays}-day window)`,
    },
  };
}

function versionCalls(t: ApplyTarget, versions: readonly VersionInfo[]): ApiCall[] {
  const PolicyArn = t.policyArn!;
  const calls: ApiCall[] = [{ action: "ListPolicyVersions", params: { PolicyArn } }];
  if (versions.length >= MAX_POLICY_VERSIONS) {
    const oldest = oldestNonDefault(versions);
    if (oldest) {
      calls.push(
        { action: "GetPolicyVersion", params: { PolicyArn, VersionId: oldest.id } },
        { action: "DeletePolicyVersion", params: { PolicyArn, VersionId: oldest.id } },
      );
    }
  }
  calls.push({
    action: "CreatePolicyVersion",
    params: { PolicyArn, PolicyDocument: documentText(t), SetAsDefault: true },
  });
  return calls;
}

/**
 * The exact IAM calls an apply makes, reads included, for `--dry-run`. Policy-version mode needs the
 * policy's versions as listed now (which one is deleted at the five-version limit depends on them).
 * Throws ApplyRefusedError when the apply would be refused.
 */
export function planCalls(t: ApplyTarget, state: { versions?: VersionInfo[] }): ApiCall[] {
  checkTarget(t);
  if (t.mode === "boundary") {
    return [
      readPrincipalCall(t.principal),
      createPolicyCall(t),
      putBoundaryCall(t.principal, boundaryPolicyArn(t)),
    ];
  }
  if (!state.versions) throw new Error("planCalls: policy-version mode needs the policy's versions");
  return versionCalls(t, state.versions);
}

// Each action's SDK command. A call's params are the command's input as IAM spells it.
// biome-ignore lint/suspicious/noExplicitAny: one table over fourteen command classes
type AnyCommand = new (input: any) => any;
const COMMANDS: Record<string, AnyCommand> = {
  GetUser: GetUserCommand,
  GetRole: GetRoleCommand,
  CreatePolicy: CreatePolicyCommand,
  DeletePolicy: DeletePolicyCommand,
  PutUserPermissionsBoundary: PutUserPermissionsBoundaryCommand,
  PutRolePermissionsBoundary: PutRolePermissionsBoundaryCommand,
  DeleteUserPermissionsBoundary: DeleteUserPermissionsBoundaryCommand,
  DeleteRolePermissionsBoundary: DeleteRolePermissionsBoundaryCommand,
  ListPolicyVersions: ListPolicyVersionsCommand,
  GetPolicyVersion: GetPolicyVersionCommand,
  DeletePolicyVersion: DeletePolicyVersionCommand,
  CreatePolicyVersion: CreatePolicyVersionCommand,
  SetDefaultPolicyVersion: SetDefaultPolicyVersionCommand,
};

// biome-ignore lint/suspicious/noExplicitAny: the command's output, read field by field
async function send(iam: IAMClient, call: ApiCall): Promise<any> {
  const Command = Object.hasOwn(COMMANDS, call.action) ? COMMANDS[call.action] : undefined;
  if (!Command) throw new Error(`no IAM command for ${call.action}`);
  return iam.send(new Command({ ...call.params }));
}

// ---------------------------------------------------------------------------------------------
// AWS errors as messages.

/** The error's code without the SDK's `Exception` suffix (`LimitExceeded`), or undefined. */
export function awsErrorCode(err: unknown): string | undefined {
  const e = err as { name?: unknown; Code?: unknown } | null;
  const raw = typeof e?.Code === "string" ? e.Code : typeof e?.name === "string" ? e.name : undefined;
  if (!raw || !/^[A-Za-z][A-Za-z0-9.]{0,63}$/.test(raw) || raw === "Error") return undefined;
  return raw.replace(/Exception$/, "");
}

/** What a call was about, for messages: the principal, policy or version it touched. */
function subject(call: ApiCall): string {
  const p = call.params;
  if (typeof p.VersionId === "string") return `version ${p.VersionId} of ${p.PolicyArn}`;
  if (typeof p.PolicyArn === "string") return String(p.PolicyArn);
  if (typeof p.UserName === "string") return `user ${p.UserName}`;
  if (typeof p.RoleName === "string") return `role ${p.RoleName}`;
  if (typeof p.PolicyName === "string") return `policy ${p.PolicyName}`;
  return "the resource";
}

/**
 * A printable description of an error from an IAM call: what happened and, when it is a
 * permission, the IAM permission the audit needs. Never the AWS message text (foreign text).
 */
export function describeAwsError(err: unknown, call: ApiCall): string {
  const code = awsErrorCode(err);
  const status = (err as { $metadata?: { httpStatusCode?: unknown } } | null)?.$metadata?.httpStatusCode;
  const perm = `iam:${call.action}`;
  const what = subject(call);
  switch (code) {
    case "AccessDenied":
    case "AccessDeniedException":
    case "UnauthorizedOperation":
    case "UnauthorizedAccess":
      return `access denied: the audit needs ${perm} on ${what}`;
    case "Throttling":
    case "ThrottlingException":
    case "RequestLimitExceeded":
    case "TooManyRequests":
      return `throttled by AWS (${perm}); wait a minute and try again`;
    case "NoSuchEntity":
      return `not found: ${what} does not exist (${perm})`;
    case "LimitExceeded":
      if (call.action === "CreatePolicyVersion") {
        return `limit exceeded: ${what} already has ${MAX_POLICY_VERSIONS} versions (another writer may have added one after they were listed); delete a non-default version or try again (${perm})`;
      }
      if (call.action === "CreatePolicy") {
        return `limit exceeded: the account's quota of customer-managed policies, or the policy size limit, was reached (${perm})`;
      }
      return `limit exceeded: an IAM quota was reached (${perm} on ${what})`;
    case "ConcurrentModification":
      return `concurrent modification: another change to ${what} was in progress; try again (${perm})`;
    case "EntityAlreadyExists":
      return `already exists: ${what} exists (left by an earlier apply? roll it back or choose another name) (${perm})`;
    case "DeleteConflict":
      return `conflict: ${what} is still in use (attached, a boundary, or the default version) (${perm})`;
    case "MalformedPolicyDocument":
      return `IAM rejected the policy document as malformed (${perm})`;
    case "InvalidInput":
    case "ValidationError":
      return `IAM rejected the request's input (${perm} on ${what})`;
    case "InvalidClientTokenId":
    case "UnrecognizedClient":
    case "SignatureDoesNotMatch":
    case "ExpiredToken":
    case "ExpiredTokenException":
      return `the credentials were rejected (${code}); the audit needs valid credentials allowed ${perm}`;
    case "ServiceFailure":
    case "ServiceUnavailable":
    case "InternalFailure":
      return `IAM failed (${code}); try again (${perm})`;
    case undefined: {
      // Not an AWS code: a system error code (ECONNREFUSED) or nothing printable.
      const sys = (err as { code?: unknown } | null)?.code;
      return `${perm} failed: ${typeof sys === "string" && /^E[A-Z]+$/.test(sys) ? safeMessage(err) : "unknown error"}`;
    }
    default:
      return `${perm} failed: ${code}${typeof status === "number" ? ` (HTTP ${status})` : ""}`;
  }
}

function isNotFound(err: unknown): boolean {
  return awsErrorCode(err) === "NoSuchEntity";
}

// ---------------------------------------------------------------------------------------------
// Apply.

const stripCall = (c: ApiCall): ApiCall => ({ action: c.action, params: { ...c.params } });

/**
 * Applies a plan. Returns the final manifest (completed). Throws ApplyRefusedError before any call
 * when the target is not fit, and ApplyFailedError when a call failed (after undoing what it could).
 */
export async function applyPlan(
  iam: IAMClient,
  t: ApplyTarget,
  opts: { writeManifest(m: ApplyManifest): Promise<void>; now?: () => number },
): Promise<ApplyManifest> {
  checkTarget(t);
  const now = opts.now ?? Date.now;
  const principal = { arn: t.principal.arn, kind: t.principal.kind, name: t.principal.name };
  const m: ApplyManifest = {
    kind: "agent-audit-aws-apply",
    version: 1,
    createdAt: new Date(now()).toISOString(),
    mode: t.mode,
    principal,
    calls: [],
    completed: false,
  };
  /** Runs and records one call; on failure records it and throws the failure's description. */
  const run = async (call: ApiCall) => {
    try {
      const out = await send(iam, call);
      m.calls.push({ ...stripCall(call), ok: true });
      return out;
    } catch (e) {
      const error = describeAwsError(e, call);
      m.calls.push({ ...stripCall(call), ok: false, error });
      throw new CallFailed(error);
    }
  };
  let written = false;
  const write = async () => {
    try {
      await opts.writeManifest(structuredClone(m));
      written = true;
    } catch (e) {
      throw new CallFailed(`the manifest could not be written: ${safeMessage(e)}`);
    }
  };
  /** Reads before the first change: a failure there changed nothing and writes no manifest. */
  const read = async (call: ApiCall) => {
    try {
      return await run(call);
    } catch (e) {
      throw new ApplyFailedError(
        `apply stopped before changing anything: ${(e as Error).message}; nothing was changed and no manifest was written`,
        undefined,
        false,
      );
    }
  };
  /** The calls that undo what was done so far, run last first. */
  const undo: ApiCall[] = [];

  try {
    if (t.mode === "boundary") {
      const readCall = readPrincipalCall(principal);
      const out = await read(readCall);
      const entity = t.principal.kind === "user" ? out?.User : out?.Role;
      const found: string | null = entity?.PermissionsBoundary?.PermissionsBoundaryArn ?? null;
      if (found !== (t.currentBoundaryArn ?? null)) {
        throw new ApplyFailedError(
          `apply stopped before changing anything: the permissions boundary of ${principal.arn} is ${found ?? "none"}, not ${t.currentBoundaryArn ?? "none"} as when the facts were read; read them again. Nothing was changed and no manifest was written`,
          undefined,
          false,
        );
      }
      const policyArn = boundaryPolicyArn(t);
      m.boundary = { previousArn: found, policyArn, createdPolicy: false };
      await write();
      await run(createPolicyCall(t));
      m.boundary.createdPolicy = true;
      undo.push({ action: "DeletePolicy", params: { PolicyArn: policyArn } });
      await write();
      await run(putBoundaryCall(principal, policyArn));
      undo.push(restoreBoundaryCall(principal, found));
    } else {
      const PolicyArn = t.policyArn!;
      const versions: VersionInfo[] = [];
      const listCall: ApiCall = { action: "ListPolicyVersions", params: { PolicyArn } };
      let marker: string | undefined;
      const seen = new Set<string>();
      let pages = 0;
      do {
        // IAM keeps five versions: a list that pages on (or repeats its marker) is not IAM's.
        if (++pages > MAX_VERSION_PAGES || (marker !== undefined && seen.has(marker)))
          throw new ApplyFailedError(
            `apply stopped before changing anything: ListPolicyVersions of ${PolicyArn} kept paging (${pages - 1} pages); nothing was changed and no manifest was written`,
            undefined,
            false,
          );
        if (marker !== undefined) seen.add(marker);
        const out = await read(
          marker ? { ...listCall, params: { ...listCall.params, Marker: marker } } : listCall,
        );
        for (const v of out?.Versions ?? []) {
          if (typeof v.VersionId !== "string") continue;
          versions.push({
            id: v.VersionId,
            isDefault: v.IsDefaultVersion === true,
            ...(v.CreateDate instanceof Date ? { created: v.CreateDate.toISOString() } : {}),
          });
        }
        marker = out?.IsTruncated && typeof out.Marker === "string" ? out.Marker : undefined;
      } while (marker);
      const previousDefault = versions.find((v) => v.isDefault)?.id;
      if (!previousDefault || !VERSION_ID.test(previousDefault)) {
        throw new ApplyFailedError(
          `apply stopped before changing anything: ListPolicyVersions named no default version of ${PolicyArn}; nothing was changed and no manifest was written`,
          undefined,
          false,
        );
      }
      const pv: NonNullable<ApplyManifest["policyVersion"]> = {
        policyArn: PolicyArn,
        previousDefault,
        newVersion: null,
      };
      m.policyVersion = pv;
      const oldest = versions.length >= MAX_POLICY_VERSIONS ? oldestNonDefault(versions) : undefined;
      if (oldest) {
        const getCall: ApiCall = { action: "GetPolicyVersion", params: { PolicyArn, VersionId: oldest.id } };
        const out = await read(getCall);
        const raw = out?.PolicyVersion?.Document;
        let document: string;
        try {
          if (typeof raw !== "string") throw new Error("no document");
          document = decodeURIComponent(raw);
        } catch {
          throw new ApplyFailedError(
            `apply stopped before changing anything: GetPolicyVersion gave no readable document for version ${oldest.id} of ${PolicyArn}, so it is not deleted; nothing was changed and no manifest was written`,
            undefined,
            false,
          );
        }
        // Kept before the delete: a crash during it must not lose the document.
        pv.deleted = { versionId: oldest.id, document };
        await write();
        try {
          await run({ action: "DeletePolicyVersion", params: { PolicyArn, VersionId: oldest.id } });
        } catch (e) {
          delete pv.deleted;
          throw e;
        }
        m.notes = [
          `version ${oldest.id} of ${PolicyArn} was deleted to stay within IAM's ${MAX_POLICY_VERSIONS} versions; it cannot be restored under its id; its document is kept in this manifest`,
        ];
        await write();
      } else {
        await write();
      }
      const out = await run({
        action: "CreatePolicyVersion",
        params: { PolicyArn, PolicyDocument: documentText(t), SetAsDefault: true },
      });
      const id = out?.PolicyVersion?.VersionId;
      // Undone last first: the previous default back, then the new version deleted.
      if (typeof id === "string" && VERSION_ID.test(id)) {
        pv.newVersion = id;
        undo.push({ action: "DeletePolicyVersion", params: { PolicyArn, VersionId: id } });
      }
      undo.push({ action: "SetDefaultPolicyVersion", params: { PolicyArn, VersionId: previousDefault } });
      if (pv.newVersion === null) {
        throw new CallFailed(`CreatePolicyVersion answered without a version id for ${PolicyArn}`);
      }
    }
    m.completed = true;
    await write();
    return m;
  } catch (e) {
    if (e instanceof ApplyRefusedError || e instanceof ApplyFailedError) throw e;
    if (!(e instanceof CallFailed)) throw e;
    return failHalfway(iam, m, undo, e.message, written, opts.writeManifest);
  }
}

/** A call (or a manifest write) failed during an apply. */
class CallFailed extends Error {}

async function failHalfway(
  iam: IAMClient,
  m: ApplyManifest,
  undo: ApiCall[],
  reason: string,
  written: boolean,
  writeManifest: (m: ApplyManifest) => Promise<void>,
): Promise<never> {
  m.completed = false;
  const undoErrors: string[] = [];
  for (const call of [...undo].reverse()) {
    try {
      await send(iam, call);
      m.calls.push({ ...stripCall(call), ok: true });
    } catch (e) {
      if (call.action.startsWith("Delete") && isNotFound(e)) {
        m.calls.push({ ...stripCall(call), ok: true });
        continue;
      }
      const error = describeAwsError(e, call);
      m.calls.push({ ...stripCall(call), ok: false, error });
      undoErrors.push(error);
      // A failed boundary restore must not be followed by deleting the policy it still points at.
      break;
    }
  }
  m.undone = undoErrors.length === 0;
  const mutated = m.calls.some((c) => c.ok && !/^(Get|List)/.test(c.action));
  let writeError: string | undefined;
  try {
    await writeManifest(structuredClone(m));
  } catch (e) {
    writeError = safeMessage(e);
  }
  const changed = mutated && !m.undone;
  const lines = [`apply failed: ${reason}.`];
  if (!mutated) lines.push("Nothing had been changed.");
  else if (undo.length > 0 && m.undone) lines.push("The changes already made were undone.");
  else if (!m.undone) {
    lines.push(
      `Undoing the changes already made failed too: ${undoErrors.join("; ")}. Fix that, then run \`agent-audit creds aws --rollback MANIFEST\` with the manifest written.`,
    );
  }
  if (m.policyVersion?.deleted) {
    lines.push(
      `Version ${m.policyVersion.deleted.versionId} of ${m.policyVersion.policyArn} was deleted to make room and cannot be restored under its id; its document is kept in the manifest.`,
    );
  }
  if (writeError) {
    lines.push(
      written
        ? `The final manifest could not be written (${writeError}); the one on disk is from an earlier step.`
        : `No manifest could be written (${writeError}).`,
    );
  } else lines.push("The manifest records every call and its result.");
  throw new ApplyFailedError(lines.join(" "), structuredClone(m), changed);
}

// ---------------------------------------------------------------------------------------------
// Rollback.

/**
 * Restores what a manifest's apply changed: the previous boundary (or none) and the created policy
 * deleted; or the previous default version and the new version deleted. The boundary is read first
 * and only restored when it is still agent-audit's, so a later change by someone else is not undone.
 */
export async function rollbackManifest(iam: IAMClient, m: ApplyManifest): Promise<RollbackResult> {
  const calls: RecordedCall[] = [];
  const notes: string[] = [];
  let ok = true;
  /** Runs a call; returns its output, or undefined after recording its failure. */
  const run = async (call: ApiCall, opts: { goneIsOk?: boolean } = {}) => {
    try {
      const out = await send(iam, call);
      calls.push({ ...stripCall(call), ok: true });
      return { out };
    } catch (e) {
      if (opts.goneIsOk && isNotFound(e)) {
        calls.push({ ...stripCall(call), ok: true });
        notes.push(`${subject(call)} was already gone`);
        return { out: undefined };
      }
      calls.push({ ...stripCall(call), ok: false, error: describeAwsError(e, call) });
      ok = false;
      return undefined;
    }
  };
  if (m.undone === true) {
    notes.push("the apply failed and was already undone; nothing to roll back");
    const d = m.policyVersion?.deleted;
    if (
      d &&
      m.calls.some((c) => c.ok && c.action === "DeletePolicyVersion" && c.params.VersionId === d.versionId)
    ) {
      notes.push(
        `version ${d.versionId} of ${m.policyVersion!.policyArn}, deleted by the apply, cannot be restored under its id; its document is kept in the manifest`,
      );
    }
    return { calls, ok: true, notes };
  }
  if (m.mode === "boundary" && m.boundary) {
    const b = m.boundary;
    const got = await run(readPrincipalCall(m.principal));
    let restored = false;
    if (got) {
      const entity = m.principal.kind === "user" ? got.out?.User : got.out?.Role;
      const current: string | null = entity?.PermissionsBoundary?.PermissionsBoundaryArn ?? null;
      if (current === b.policyArn) {
        restored = (await run(restoreBoundaryCall(m.principal, b.previousArn))) !== undefined;
      } else if (current === b.previousArn) {
        restored = true;
        notes.push(`the boundary of ${m.principal.arn} is already ${current ?? "none"}`);
      } else {
        ok = false;
        notes.push(
          `the boundary of ${m.principal.arn} is now ${current ?? "none"}, changed after agent-audit's apply; it is left as it is`,
        );
      }
    }
    if (restored) {
      notes.push(
        b.previousArn === null
          ? `${m.principal.arn} has no permissions boundary again`
          : `the previous boundary ${b.previousArn} of ${m.principal.arn} is restored`,
      );
    }
    if (b.createdPolicy) {
      if (!restored) {
        notes.push(`${b.policyArn} is not deleted: the boundary was not restored`);
      } else {
        const del = await run(
          { action: "DeletePolicy", params: { PolicyArn: b.policyArn } },
          { goneIsOk: true },
        );
        if (!del)
          notes.push(`the boundary is restored, but the policy ${b.policyArn} agent-audit created is left`);
      }
    }
    return { calls, ok, notes };
  }
  if (m.mode === "policy-version" && m.policyVersion) {
    const pv = m.policyVersion;
    if (pv.newVersion !== null) {
      const set = await run({
        action: "SetDefaultPolicyVersion",
        params: { PolicyArn: pv.policyArn, VersionId: pv.previousDefault },
      });
      if (set) {
        notes.push(`version ${pv.previousDefault} of ${pv.policyArn} is the default again`);
        await run(
          { action: "DeletePolicyVersion", params: { PolicyArn: pv.policyArn, VersionId: pv.newVersion } },
          { goneIsOk: true },
        );
      } else {
        notes.push(`version ${pv.newVersion} is left in place: the previous default could not be restored`);
      }
    } else notes.push(`no new version of ${pv.policyArn} was created; its default is unchanged`);
    if (pv.deleted) {
      const id = pv.deleted.versionId;
      // Kept before the delete call: a manifest from a crash during it does not know if it happened.
      const done = m.calls.some(
        (c) => c.ok && c.action === "DeletePolicyVersion" && c.params.VersionId === id,
      );
      notes.push(
        done
          ? `version ${id} of ${pv.policyArn}, deleted by the apply, cannot be restored under its id; its document is kept in the manifest`
          : `version ${id} of ${pv.policyArn} was about to be deleted by the apply; if it is gone, it cannot be restored under its id; its document is kept in the manifest`,
      );
    }
    return { calls, ok, notes };
  }
  return { calls, ok: true, notes: ["the apply changed nothing; nothing to roll back"] };
}

// ---------------------------------------------------------------------------------------------
// The manifest file.

function manifestSchema() {
  const { z } = zod();
  const principalArn = z.string().regex(PRINCIPAL_ARN);
  const policyArn = z.string().max(2048).regex(POLICY_ARN);
  const versionId = z.string().regex(VERSION_ID);
  const call = z.strictObject({
    action: z.string().regex(/^[A-Z][A-Za-z]{2,63}$/),
    params: z.record(
      z.string().regex(/^[A-Z][A-Za-z]{1,63}$/),
      z.union([z.string().max(131072), z.boolean()]),
    ),
    ok: z.boolean(),
    error: z.string().max(4096).optional(),
  });
  return z.strictObject({
    kind: z.literal("agent-audit-aws-apply"),
    version: z.literal(1),
    createdAt: z.iso.datetime(),
    mode: z.enum(["boundary", "policy-version"]),
    principal: z.strictObject({
      arn: principalArn,
      kind: z.enum(["user", "role"]),
      name: z.string().regex(NAME),
    }),
    boundary: z
      .strictObject({
        previousArn: policyArn.nullable(),
        policyArn: z.string().regex(AGENT_AUDIT_POLICY_ARN),
        createdPolicy: z.boolean(),
      })
      .optional(),
    policyVersion: z
      .strictObject({
        policyArn: policyArn.regex(CUSTOMER_POLICY_ARN),
        previousDefault: versionId,
        newVersion: versionId.nullable(),
        deleted: z.strictObject({ versionId, document: z.string().max(131072) }).optional(),
      })
      .optional(),
    calls: z.array(call).max(1000),
    completed: z.boolean(),
    undone: z.boolean().optional(),
    notes: z.array(z.string().max(4096)).max(100).optional(),
  });
}

/** A path segment of a schema issue, printed only when it is a plain field name or an index. */
function fieldPath(path: readonly PropertyKey[]): string {
  const parts = path.map((p) =>
    typeof p === "number"
      ? `[${p}]`
      : typeof p === "string" && /^[A-Za-z0-9_]{1,40}$/.test(p)
        ? `.${p}`
        : ".?",
  );
  return parts.join("").replace(/^\./, "") || "(top level)";
}

/**
 * Parses and checks a manifest file's text. Throws ManifestError naming the first problem, never
 * quoting the file's content (a wrong file passed by mistake may hold secrets).
 */
export function parseManifest(text: string): ApplyManifest {
  if (text.length > MAX_MANIFEST_CHARS)
    throw new ManifestError("not an agent-audit AWS apply manifest: too large");
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new ManifestError("not an agent-audit AWS apply manifest: not JSON");
  }
  const kind = (json as { kind?: unknown } | null)?.kind;
  if (typeof json !== "object" || json === null || Array.isArray(json) || kind !== "agent-audit-aws-apply") {
    throw new ManifestError("not an agent-audit AWS apply manifest (no kind: agent-audit-aws-apply)");
  }
  const version = (json as { version?: unknown }).version;
  if (version !== 1) {
    throw new ManifestError(
      `unsupported manifest version${typeof version === "number" && Number.isSafeInteger(version) ? ` ${version}` : ""} (this agent-audit reads version 1)`,
    );
  }
  const r = manifestSchema().safeParse(json);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    const what =
      issue.code === "unrecognized_keys"
        ? "an unexpected field"
        : issue.code === "invalid_type"
          ? "a missing or mistyped value"
          : "an invalid value";
    throw new ManifestError(`malformed manifest: ${what} at ${fieldPath(issue.path)}`);
  }
  const m = r.data as ApplyManifest;
  const pm = PRINCIPAL_ARN.exec(m.principal.arn)!;
  if (pm[3] !== m.principal.kind || pm[4] !== m.principal.name) {
    throw new ManifestError("malformed manifest: the principal's kind and name do not match its ARN");
  }
  if (m.mode === "boundary" && m.policyVersion) {
    throw new ManifestError("malformed manifest: a boundary apply with a policy version");
  }
  if (m.mode === "policy-version" && m.boundary) {
    throw new ManifestError("malformed manifest: a policy-version apply with a boundary");
  }
  if (m.boundary && !m.boundary.policyArn.includes(`::${pm[2]}:policy/`)) {
    throw new ManifestError("malformed manifest: the boundary policy is not in the principal's account");
  }
  if (m.completed && m.mode === "boundary" && !m.boundary) {
    throw new ManifestError("malformed manifest: a completed boundary apply without its boundary");
  }
  if (
    m.completed &&
    m.mode === "policy-version" &&
    (!m.policyVersion || m.policyVersion.newVersion === null)
  ) {
    throw new ManifestError("malformed manifest: a completed policy-version apply without its new version");
  }
  return m;
}
