import { closeSync, constants as fsConstants, fstatSync, mkdirSync, openSync } from "node:fs";
import { join, resolve } from "node:path";
import {
  IAMClient,
  ListPolicyVersionsCommand,
  type ListPolicyVersionsCommandOutput,
} from "@aws-sdk/client-iam";
import {
  ApplyFailedError,
  type ApplyManifest,
  ApplyRefusedError,
  applyPlan,
  describeAwsError,
  parseManifest,
  planCalls,
  rollbackManifest,
} from "../capabilities/scope/aws/apply.js";
import {
  type AwsCredentials,
  type AwsFacts,
  awsFindings,
  CredentialsError,
  DEFAULT_WINDOW_DAYS,
  EvidenceError,
  grantsIncomplete,
  makePlan,
  type Plan,
  PlanError,
  readEvidence,
  resolveCredentials,
} from "../capabilities/scope/aws/index.js";
import { gatherLive } from "../capabilities/scope/aws/live.js";
import { withinBoundary } from "../capabilities/scope/aws/plan.js";
import { sdkConfig } from "../capabilities/scope/aws/sdk.js";
import type { ApiCall, ApplyMode, GrantSource } from "../capabilities/scope/aws/types.js";
import { scoreScope } from "../capabilities/scope/index.js";
import type { ChecklistItem, Finding, ScanIssue } from "../contract/types.js";
import { redactText } from "../detect/redact.js";
import { defaultRules, type ScopeCheck } from "../rules/catalog.js";
import { safeMessage, UsageError } from "../util/errors.js";
import { readFdText } from "../util/safe-read.js";
import { writeFileReplacing } from "../util/safe-write.js";
import { type AppContext, type EnvironmentSpec, loadAgentEnv } from "./scan.js";

// `agent-audit creds aws` (issue 13): who the agent's AWS credentials are, what they may do, what
// they used, a least-privilege plan, and (on request) its reversible apply. Offline from --evidence,
// or live through the SDK with the credentials the agent holds.

export interface CredsAwsRequest {
  /** Offline: a folder of AWS CLI outputs (EVIDENCE_FILES). */
  evidence?: string;
  /** Live: the profile of ~/.aws/credentials to use (default: the environment's keys, then `default`). */
  profile?: string;
  /** Analyse this user or role instead of the caller. */
  principal?: string;
  /** The home whose ~/.aws/credentials is read (default: the user's). */
  home?: string;
  environment: EnvironmentSpec;
  systemRoot: string;
  /** Live: one endpoint for IAM and STS (a proxy or a test server). */
  endpoint?: string;
  region?: string;
  windowDays?: number;
  /** Write the plan here as JSON. */
  planFile?: string;
  apply?: ApplyMode;
  dryRun?: boolean;
  /** policy-version mode: the customer-managed policy to version (default: the only one). */
  policyArn?: string;
  stateDir: string;
  /** Clock (tests). */
  now?: () => number;
  /** Live: how long to wait for the last-accessed job. */
  pollTimeoutMs?: number;
}

export interface CredsAwsResult {
  facts: AwsFacts;
  /** `evidence DIR` or the credentials' source. */
  via: string;
  findings: Finding[];
  issues: ScanIssue[];
  step: Omit<ChecklistItem, "step" | "id">;
  windowDays: number;
  plan?: Plan;
  planWritten?: string;
  apply?: {
    mode: ApplyMode;
    dryRun: boolean;
    calls: ApiCall[];
    manifestPath?: string;
    manifest?: ApplyManifest;
  };
}

/** A printable, redacted one-liner from an error of foreign code (AWS, the SDK, a file). */
export function awsMessage(e: unknown): string {
  if (
    e instanceof Error &&
    /^(AwsAuditError|EvidenceError|CredentialsError|PlanError|PolicyShapeError|ApplyRefusedError|ApplyFailedError|ManifestError)$/.test(
      e.name,
    )
  )
    return redactText(e.message);
  if (e instanceof Error && e.name === "Error") return redactText(e.message);
  return safeMessage(e);
}

export async function runCredsAws(req: CredsAwsRequest, ctx: AppContext): Promise<CredsAwsResult> {
  const now = (req.now ?? Date.now)();
  const windowDays = req.windowDays ?? DEFAULT_WINDOW_DAYS;
  let facts: AwsFacts;
  let via: string;
  let creds: AwsCredentials | undefined;
  try {
    if (req.evidence !== undefined) {
      if (req.apply && !req.dryRun)
        throw new UsageError(
          "--apply needs live credentials: --evidence is offline",
          "review the plan offline, then run --apply where the agent's credentials (or an admin's) are",
        );
      const dir = resolve(ctx.cwd, req.evidence);
      facts = await readEvidence(dir, req.principal !== undefined ? { principalArn: req.principal } : {});
      via = `evidence ${req.evidence}`;
    } else {
      const env = (await loadAgentEnv(req.environment, req.systemRoot, ctx)) ?? {};
      creds = await resolveCredentials({
        env,
        home: req.home ?? ctx.homedir,
        ...(req.profile !== undefined ? { profile: req.profile } : {}),
      });
      facts = await gatherLive({
        credentials: {
          accessKeyId: creds.accessKeyId,
          secretAccessKey: creds.secretAccessKey,
          ...(creds.sessionToken ? { sessionToken: creds.sessionToken } : {}),
        },
        ...(req.region ? { region: req.region } : {}),
        ...(req.endpoint ? { endpoint: req.endpoint } : {}),
        ...(req.principal ? { principalArn: req.principal } : {}),
        ...(req.pollTimeoutMs !== undefined ? { pollTimeoutMs: req.pollTimeoutMs } : {}),
        now: () => now,
      });
      via = creds.source;
    }
  } catch (e) {
    if (e instanceof UsageError) throw e;
    if (e instanceof Error && /^(AwsAuditError|EvidenceError|CredentialsError)$/.test(e.name))
      throw new UsageError(awsMessage(e), hintFor(e));
    throw e;
  }

  const rules = defaultRules();
  const findings = awsFindings(facts, { rules, now, windowDays });
  const checks = new Map<string, ScopeCheck>();
  for (const c of rules.scope) checks.set(c.id, c);
  const issues: ScanIssue[] = facts.issues.map((i) => ({
    where: redactText(i.where),
    message: redactText(i.message),
  }));
  // A policy, group or boundary that could not be read may be the broad one: never a pass.
  const incomplete = grantsIncomplete(facts);
  let step = scoreScope(findings, checks, 1);
  if (incomplete && step.status !== "fail")
    step = {
      status: "error",
      summary: `${incomplete} of the principal's grants could not be read (see the issues): what it may do is not known${step.status === "warn" ? `; so far: ${step.summary}` : ""}`,
      evidence: step.evidence,
    };
  const result: CredsAwsResult = { facts, via, findings, issues, step, windowDays };

  const wantPlan = req.planFile !== undefined || req.apply !== undefined;
  if (facts.lastAccessed || wantPlan) {
    try {
      const grants = req.apply === "policy-version" ? [versionTarget(facts, req.policyArn)] : undefined;
      const plan = makePlan(facts, { windowDays, ...(grants ? { grants } : {}) });
      // A boundary-mode plan replacing a boundary is cut to what that boundary allows.
      const b = facts.boundary?.document;
      result.plan = req.apply === "boundary" && b ? withinBoundary(plan, b) : plan;
    } catch (e) {
      if (e instanceof UsageError) throw e;
      if (!(e instanceof PlanError) || wantPlan) throw new UsageError(awsMessage(e));
    }
  }
  if (result.plan && req.planFile !== undefined) {
    const path = resolve(ctx.cwd, req.planFile);
    const body = planBody(result.plan);
    // Names in the plan come from the account: through the redactor, like every other output.
    writeFileReplacing(path, `${redactText(JSON.stringify(body, null, 2))}\n`, "--plan");
    result.planWritten = path;
  }

  if (req.apply !== undefined && result.plan) {
    result.apply = await applyMode(req, facts, result.plan, creds, now);
  }
  return result;
}

/** The plan file (`--plan FILE`): the issue's seven fields first, then how the plan was made. */
export function planBody(p: Plan) {
  return {
    principal: p.principal,
    before: p.before,
    after: p.after,
    removed: p.removed,
    kept: p.kept,
    unknown: p.unknown,
    sizeChars: p.sizeChars,
    maxChars: p.maxChars,
    fits: p.fits,
    windowDays: p.windowDays,
    reference: p.reference,
    decisions: p.decisions,
    notes: p.notes,
  };
}

function hintFor(e: Error): string | undefined {
  if (e.name === "EvidenceError")
    return "save the three AWS CLI outputs named in the README ('agent-audit creds aws --help') into the folder";
  if (e.name === "CredentialsError") return "pass --profile NAME, --environ FILE, or --evidence DIR";
  return undefined;
}

/** The customer-managed policy a policy-version apply rewrites: named, or the principal's only grant. */
export function versionTarget(facts: AwsFacts, policyArn?: string): GrantSource {
  const allowing = facts.grants.filter((g) => g.document.Statement.some((s) => s.Effect === "Allow"));
  const g = policyArn
    ? facts.grants.find((x) => x.arn === policyArn)
    : allowing.length === 1
      ? allowing[0]
      : undefined;
  if (!g) {
    throw new UsageError(
      policyArn
        ? "--policy-arn is not a managed policy of the principal"
        : `the principal's permissions come from ${allowing.length} policies, not one: a new version of one policy would not narrow the others`,
      "apply as a permissions boundary (--apply boundary), which narrows them all",
    );
  }
  if (g.type !== "managed" || g.awsManaged || !g.arn)
    throw new UsageError(
      `${g.type === "inline" ? "an inline policy" : "an AWS-managed policy"} cannot be given a new version`,
      "apply as a permissions boundary (--apply boundary)",
    );
  const others = allowing.filter((x) => x !== g);
  if (others.length)
    throw new UsageError(
      `the principal also has ${others.length} other allowing polic${others.length === 1 ? "y" : "ies"}: narrowing one would leave the others`,
      "apply as a permissions boundary (--apply boundary)",
    );
  return g;
}

async function applyMode(
  req: CredsAwsRequest,
  facts: AwsFacts,
  plan: Plan,
  creds: AwsCredentials | undefined,
  now: number,
): Promise<NonNullable<CredsAwsResult["apply"]>> {
  const mode = req.apply!;
  if (!plan.fits)
    throw new UsageError("the plan does not fit IAM's size limit: nothing applied", "see the plan's notes");
  if (mode === "boundary" && facts.boundary) {
    // Replacing a boundary could widen what the principal may do: only a plain action list is
    // intersected with the plan; anything else is left to a person.
    const b = facts.boundary.document;
    if (!b)
      throw new UsageError(
        "the principal has a permissions boundary whose document could not be read: replacing it could widen access",
        "allow iam:GetPolicy and iam:GetPolicyVersion on it, or remove the boundary first",
      );
  }
  const target = {
    mode,
    principal: facts.principal,
    plan,
    ...(facts.boundary ? { currentBoundaryArn: facts.boundary.arn } : {}),
    ...(mode === "policy-version" ? { policyArn: versionTarget(facts, req.policyArn).arn! } : {}),
  };
  const iam = creds ? iamClient(creds, req) : undefined;
  let versions: { id: string; isDefault: boolean; created?: string }[] | undefined;
  if (mode === "policy-version" && iam) {
    // The dry run shows the calls for the versions there are now (which one the limit deletes).
    const call = { action: "ListPolicyVersions", params: { PolicyArn: target.policyArn! } };
    versions = [];
    const seen = new Set<string>();
    let marker: string | undefined;
    for (let page = 0; ; page++) {
      if (page >= 10 || (marker !== undefined && seen.has(marker)))
        throw new UsageError(`ListPolicyVersions of ${target.policyArn} kept paging: not IAM's answer`);
      if (marker !== undefined) seen.add(marker);
      let out: ListPolicyVersionsCommandOutput;
      try {
        out = await iam.send(
          new ListPolicyVersionsCommand({
            PolicyArn: target.policyArn,
            ...(marker ? { Marker: marker } : {}),
          }),
        );
      } catch (e) {
        throw new UsageError(describeAwsError(e, call));
      }
      for (const v of out.Versions ?? [])
        versions.push({
          id: v.VersionId ?? "",
          isDefault: v.IsDefaultVersion === true,
          ...(v.CreateDate ? { created: v.CreateDate.toISOString() } : {}),
        });
      marker = out.IsTruncated && typeof out.Marker === "string" ? out.Marker : undefined;
      if (!marker) break;
    }
  }
  if (mode === "policy-version" && !versions)
    throw new UsageError(
      "--apply policy-version --dry-run needs live credentials: the policy's current versions decide which calls are made",
      "drop --evidence and pass --profile NAME (read-only calls only with --dry-run)",
    );
  const calls = planCalls(target, versions ? { versions } : {});
  if (req.dryRun || !iam) return { mode, dryRun: true, calls };
  mkdirSync(req.stateDir, { recursive: true, mode: 0o700 });
  const manifestPath = join(req.stateDir, `aws-${new Date(now).toISOString().replace(/[:.]/g, "-")}.json`);
  let written = false;
  try {
    const manifest = await applyPlan(iam, target, {
      writeManifest: async (m: ApplyManifest) => {
        writeFileReplacing(manifestPath, `${JSON.stringify(m, null, 2)}\n`, "manifest", 0o600);
        written = true;
      },
      now: () => now,
    });
    return { mode, dryRun: false, calls: manifest.calls, manifestPath, manifest };
  } catch (e) {
    if (e instanceof ApplyRefusedError) throw new UsageError(`--apply refused: ${awsMessage(e)}`);
    if (e instanceof ApplyFailedError) {
      throw new UsageError(
        `--apply failed: ${awsMessage(e)}${written ? ` Manifest: ${manifestPath}` : ""}`,
        e.changed && written
          ? `something is left changed: undo it with agent-audit creds aws --rollback ${manifestPath}`
          : "nothing is left changed",
      );
    }
    throw e;
  }
}

function iamClient(creds: AwsCredentials, req: Pick<CredsAwsRequest, "endpoint" | "region">): IAMClient {
  return new IAMClient(
    sdkConfig({
      credentials: creds,
      ...(req.region ? { region: req.region } : {}),
      ...(req.endpoint ? { endpoint: req.endpoint } : {}),
      // Writes are not retried blindly: a retried CreatePolicyVersion could add a second version.
      maxAttempts: 1,
    }),
  );
}

/** Largest manifest read (one apply's calls and at most one saved policy document). */
const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

/**
 * A manifest tells rollback which boundary and which default version to set: one someone else
 * could have written (the agent, in a state dir it can reach) is refused. Opened without following
 * a link and without blocking, then judged on the open file (no race between check and read).
 */
function readTrustedManifest(path: string, shown: string): string {
  const refuse = (why: string) =>
    new UsageError(
      `--rollback ${shown}: ${why}`,
      "use the manifest --apply wrote (mode 0600, owned by you or root)",
    );
  let fd: number;
  try {
    fd = openSync(path, fsConstants.O_RDONLY | fsConstants.O_NOFOLLOW | fsConstants.O_NONBLOCK);
  } catch (e) {
    const code = (e as { code?: string }).code;
    throw refuse(code === "ELOOP" ? "is a symbolic link: not trusted" : safeMessage(e));
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw refuse("not a regular file");
    const uid = process.getuid?.();
    if (uid !== undefined && st.uid !== uid && st.uid !== 0)
      throw refuse(
        "the manifest is owned by another user; it decides which boundary and policy version are set, so it is not trusted",
      );
    if ((st.mode & 0o022) !== 0)
      throw refuse(
        "the manifest is writable by others; it decides which boundary and policy version are set, so it is not trusted",
      );
    if (st.size > MAX_MANIFEST_BYTES)
      throw refuse(`over ${MAX_MANIFEST_BYTES / 1024 / 1024} MiB: not a manifest`);
    return readFdText(fd, st.size);
  } finally {
    closeSync(fd);
  }
}

export interface CredsRollbackRequest {
  manifest: string;
  profile?: string;
  home?: string;
  environment: EnvironmentSpec;
  systemRoot: string;
  endpoint?: string;
  region?: string;
}

/** `creds aws --rollback MANIFEST`: restores the previous boundary or default version. */
export async function rollbackCredsAws(req: CredsRollbackRequest, ctx: AppContext) {
  const path = resolve(ctx.cwd, req.manifest);
  const text = readTrustedManifest(path, req.manifest);
  let manifest: ApplyManifest;
  try {
    manifest = parseManifest(text);
  } catch (e) {
    throw new UsageError(`--rollback ${req.manifest}: ${awsMessage(e)}`);
  }
  let creds: AwsCredentials;
  try {
    const env = (await loadAgentEnv(req.environment, req.systemRoot, ctx)) ?? {};
    creds = await resolveCredentials({
      env,
      home: req.home ?? ctx.homedir,
      ...(req.profile !== undefined ? { profile: req.profile } : {}),
    });
  } catch (e) {
    if (e instanceof CredentialsError) throw new UsageError(awsMessage(e), hintFor(e));
    throw e;
  }
  const r = await rollbackManifest(iamClient(creds, req), manifest);
  return { manifest, path, ...r };
}

export { CredentialsError, EvidenceError, PlanError };
