import type { PlanDecision } from "../capabilities/scope/aws/types.js";
import { redactText } from "../detect/redact.js";
import { escapeControls, escapeJsonControls } from "../util/controls.js";
import type { CredsAwsResult } from "./creds.js";

// The output of `creds aws` (issue 13): the text a person reads and the JSON a pipeline reads.
// Every line passes the redactor and has its control characters escaped: names come from the
// account (and an agent with IAM write can choose them).

export const credsLines = (lines: string[]) =>
  `${lines.map((l) => escapeControls(redactText(l))).join("\n")}\n`;

export function callText(c: { action: string; params: Record<string, string | boolean> }): string {
  const params = Object.entries(c.params)
    .filter(([k]) => k !== "PolicyDocument")
    .map(([k, v]) => `${k}=${v}`);
  if ("PolicyDocument" in c.params) params.push("PolicyDocument=<the plan's after>");
  return `${c.action} ${params.join(" ")}`.trimEnd();
}

export function credsText(r: CredsAwsResult): string {
  const f = r.facts;
  const L: string[] = [];
  L.push(`AWS principal  ${f.principal.arn} (${f.principal.kind} ${f.principal.name}; from ${r.via})`);
  if (f.callerArn !== f.principal.arn) L.push(`Caller         ${f.callerArn}`);
  L.push(
    `Grants         ${f.grants.length} polic${f.grants.length === 1 ? "y" : "ies"}${f.grants.length ? ":" : ""}`,
  );
  for (const g of f.grants)
    L.push(
      `  ${g.type === "inline" ? "inline " : g.awsManaged ? "aws    " : "managed"} ${g.name}${g.via.kind === "group" ? ` (via group ${g.via.name})` : ""}${g.versionId ? ` ${g.versionId}` : ""}`,
    );
  L.push(`Boundary       ${f.boundary ? f.boundary.arn : "none"}`);
  if (f.principal.kind === "user")
    L.push(
      `Access keys    ${r.via.startsWith("evidence") ? "not in the evidence (live only)" : `${f.accessKeys.length} (${f.accessKeys.filter((k) => k.status === "Active").length} active)`}`,
    );
  const la = f.lastAccessed;
  if (la) {
    const start = Date.parse(la.completed) - r.windowDays * 86_400_000;
    const used = la.services.filter((s) => s.lastAuthenticated && Date.parse(s.lastAuthenticated) >= start);
    L.push(
      `Evidence       ${la.granularity === "ACTION_LEVEL" ? "action" : "service"}-level last-accessed data to ${la.completed.slice(0, 10)}: ${used.length} of ${la.services.length} granted services used in ${r.windowDays} days`,
    );
  } else L.push("Evidence       none (no last-accessed data: see the issues)");
  L.push("");
  if (r.findings.length === 0) L.push("Findings: none");
  else {
    L.push(`Findings (${r.findings.length}):`);
    for (const x of r.findings)
      L.push(`  ${x.severity.toUpperCase().padEnd(8)} ${x.ruleId}  ${x.location.name ?? ""}: ${x.title}`);
  }
  if (r.issues.length) {
    L.push("", `Issues (${r.issues.length}):`);
    for (const i of r.issues) L.push(`  ${i.where}: ${i.message}`);
  }
  const p = r.plan;
  if (p) {
    L.push("", `Plan (window ${p.windowDays} days to ${p.reference.slice(0, 10)}; before -> after):`);
    L.push(...decisionLines(p.decisions));
    L.push(
      `  removed ${p.removed.length}, kept ${p.kept.length}, kept as unknown ${p.unknown.length}; after: ${p.sizeChars.toLocaleString("en-US")} of ${p.maxChars.toLocaleString("en-US")} characters${p.fits ? "" : " (DOES NOT FIT)"}`,
    );
    for (const n of p.notes) L.push(`  note: ${n}`);
    if (r.planWritten) L.push(`  written to ${r.planWritten}`);
  }
  const a = r.apply;
  if (a) {
    L.push("");
    if (a.dryRun) {
      L.push(`--dry-run (--apply ${a.mode}): nothing was changed. The IAM calls --apply would make:`);
      for (const c of a.calls) L.push(`  ${callText(c)}`);
    } else {
      L.push(`Applied (${a.mode}):`);
      for (const c of a.calls) L.push(`  ${c.action === "" ? "" : "ok"} ${callText(c)}`);
      L.push(`Manifest: ${a.manifestPath} (undo: agent-audit creds aws --rollback ${a.manifestPath})`);
    }
  }
  L.push("", `Step 6 credential-scope: ${r.step.status.toUpperCase()} — ${r.step.summary}`);
  return credsLines(L);
}

/**
 * The plan as a person reads it: per policy, one line per run of decisions with the same verdict,
 * reason and service (`- s3:CreateBucket, s3:DeleteBucket  removed: tracked action not used`).
 */
export function decisionLines(decisions: readonly PlanDecision[]): string[] {
  const L: string[] = [];
  let policy: string | undefined;
  let run: PlanDecision[] = [];
  const flush = () => {
    if (!run.length) return;
    const d = run[0]!;
    const mark = d.verdict === "removed" ? "-" : d.verdict === "kept" ? "+" : "?";
    L.push(`    ${mark} ${run.map((x) => x.action).join(", ")}  ${d.verdict}: ${d.reason}`);
    run = [];
  };
  const service = (a: string) => a.slice(0, Math.max(0, a.indexOf(":")));
  for (const d of decisions) {
    if (d.policy !== policy) {
      flush();
      policy = d.policy;
      L.push(`  ${policy}:`);
    }
    const last = run[0];
    if (
      last &&
      (last.verdict !== d.verdict || last.reason !== d.reason || service(last.action) !== service(d.action))
    )
      flush();
    run.push(d);
  }
  flush();
  return L;
}

export function credsJson(r: CredsAwsResult): string {
  const f = r.facts;
  const body = {
    schemaVersion: 1,
    principal: f.principal,
    callerArn: f.callerArn,
    via: r.via,
    grants: f.grants.map((g) => ({
      type: g.type,
      name: g.name,
      ...(g.arn ? { arn: g.arn } : {}),
      via: g.via,
      ...(g.versionId ? { versionId: g.versionId } : {}),
      awsManaged: g.awsManaged === true,
      statements: g.document.Statement.length,
    })),
    groups: f.groups,
    boundary: f.boundary ? { arn: f.boundary.arn } : null,
    // Keys by position: the key id is an identifier, still not printed.
    accessKeys: f.accessKeys.map((k, i) => ({
      key: i + 1,
      status: k.status,
      ...(k.created ? { created: k.created } : {}),
      ...(k.lastUsed ? { lastUsed: k.lastUsed } : {}),
      ...(k.lastUsedService && k.lastUsedService !== "N/A" ? { lastUsedService: k.lastUsedService } : {}),
    })),
    lastAccessed: f.lastAccessed
      ? {
          granularity: f.lastAccessed.granularity,
          completed: f.lastAccessed.completed,
          windowDays: r.windowDays,
          services: f.lastAccessed.services.map((s) => ({
            namespace: s.namespace,
            ...(s.lastAuthenticated ? { lastAuthenticated: s.lastAuthenticated } : {}),
          })),
        }
      : null,
    findings: r.findings,
    issues: r.issues,
    step: { step: 6, id: "credential-scope", ...r.step },
    plan: r.plan ?? null,
    apply: r.apply
      ? {
          mode: r.apply.mode,
          dryRun: r.apply.dryRun,
          calls: r.apply.calls,
          manifest: r.apply.manifestPath ?? null,
        }
      : null,
  };
  return `${escapeJsonControls(redactText(JSON.stringify(body, null, 2)))}\n`;
}
