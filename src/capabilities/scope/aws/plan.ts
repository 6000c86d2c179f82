import { actionName, covers, globMatch, hasWildcard, policyJson, serviceOf } from "./policy.js";
import { ACTION_LEVEL_SERVICES, MANAGED_POLICY_MAX_CHARS, UNTRACKED_ACTIONS } from "./tracking.js";
import type {
  AwsFacts,
  GrantSource,
  Plan,
  PlanDecision,
  PolicyDocument,
  ServiceAccess,
  Statement,
} from "./types.js";

// The least-privilege plan (issue 13): from the principal's identity policies and the evidence of
// use, a policy that keeps what was used and drops what was not.
//  - A service not used within the window is removed, whole.
//  - A used service without action-level data is kept as granted.
//  - A used action-level service keeps its tracked actions used within the window, drops the
//    tracked ones not used, and keeps the actions IAM cannot track ("unknown", never "unused").
//    When none of its tracked actions was used, only its untracked actions explain the use.
//  - Deny statements are kept; an Allow with NotAction is kept whole (narrowing it safely needs
//    the list of every action) and noted.
// Every kept action comes from a statement that granted it, under that statement's Resource and
// Condition: the plan never grants what the principal did not have.

export const DEFAULT_WINDOW_DAYS = 90;
const DAY_MS = 86_400_000;

export class PlanError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PlanError";
  }
}

export interface PlanOptions {
  windowDays?: number;
  /** Size limit of `after` (default: a managed policy's 6,144). */
  maxChars?: number;
  /** Narrow only these grants (policy-version mode: the one policy being versioned). */
  grants?: readonly GrantSource[];
}

interface Kept {
  action: string;
  /** The pattern of the statement that granted it (to fall back to when the plan is too big). */
  from: string;
}

const NAMESPACE = /^[a-z0-9-]{1,64}$/;
const ACTION = /^[A-Za-z0-9]{1,128}$/;

/**
 * The report's services and tracked actions that are names: a wildcard there (a crafted evidence
 * file, a forged answer) would be matched as a literal and then kept as a pattern, widening a grant.
 */
export function cleanServices(list: readonly ServiceAccess[]): {
  services: ServiceAccess[];
  dropped: number;
} {
  let dropped = 0;
  const services: ServiceAccess[] = [];
  for (const s of list) {
    if (!NAMESPACE.test(s.namespace)) {
      dropped++;
      continue;
    }
    if (s.trackedActions === null) {
      services.push(s);
      continue;
    }
    const tracked = s.trackedActions.filter((t) => {
      const ok = serviceOf(t.action) === s.namespace && ACTION.test(actionName(t.action));
      if (!ok) dropped++;
      return ok;
    });
    services.push({ ...s, trackedActions: tracked });
  }
  return { services, dropped };
}

export function makePlan(facts: AwsFacts, opts: PlanOptions = {}): Plan {
  const report = facts.lastAccessed;
  if (!report)
    throw new PlanError(
      "no evidence of use (the last-accessed report): a plan needs it. Live: allow iam:GenerateServiceLastAccessedDetails and iam:GetServiceLastAccessedDetails; offline: add iam-get-service-last-accessed-details.json",
    );
  const windowDays = opts.windowDays ?? DEFAULT_WINDOW_DAYS;
  if (!Number.isInteger(windowDays) || windowDays < 1 || windowDays > 400)
    throw new PlanError("the window must be a whole number of days from 1 to 400 (IAM tracks 400 days)");
  const maxChars = opts.maxChars ?? MANAGED_POLICY_MAX_CHARS;
  const reference = report.completed;
  const start = Date.parse(reference) - windowDays * DAY_MS;
  const used = (t: string | undefined) => t !== undefined && Date.parse(t) >= start;
  const services = new Map<string, ServiceAccess>();
  const clean = cleanServices(report.services);
  for (const s of clean.services) services.set(s.namespace, s);
  const actionLevel = report.granularity === "ACTION_LEVEL";

  const decisions: PlanDecision[] = [];
  const removed = new Set<string>();
  const kept = new Set<string>();
  const unknown = new Set<string>();
  const notes: string[] = [];
  let policy = "";
  const decide = (action: string, verdict: PlanDecision["verdict"], reason: string) =>
    decisions.push({ action, verdict, reason, policy });
  const days = `${windowDays} days`;

  /** The kept actions of one pattern within one service. */
  const expandService = (ns: string, pat: string, out: Kept[]) => {
    const full = `${ns}:${pat}`;
    const from = full;
    const sa = services.get(ns);
    if (!sa) {
      decide(full, "unknown", "not in the last-accessed report: kept");
      unknown.add(full);
      out.push({ action: full, from });
      return;
    }
    if (!used(sa.lastAuthenticated)) {
      decide(full, "removed", `service not used in ${days}`);
      removed.add(pat === "*" ? ns : full);
      return;
    }
    const tracked = sa.trackedActions;
    const isActionLevel = actionLevel && (tracked !== null || ACTION_LEVEL_SERVICES.has(ns));
    if (!isActionLevel) {
      decide(full, "kept", "service used; no action-level data for it");
      kept.add(full);
      out.push({ action: full, from });
      return;
    }
    const untracked = UNTRACKED_ACTIONS.filter((u) => serviceOf(u) === ns);
    if (!hasWildcard(pat)) {
      const t = tracked?.find((x) => x.action.toLowerCase() === full.toLowerCase());
      if (t) {
        if (used(t.lastAccessed)) {
          decide(full, "kept", `used in the last ${days}`);
          kept.add(full);
          out.push({ action: full, from });
        } else {
          decide(full, "removed", `tracked action not used in ${days}`);
          removed.add(full);
        }
      } else if (untracked.some((u) => globMatch(u, full))) {
        decide(full, "unknown", "IAM cannot track it; the service was used: kept");
        unknown.add(full);
        out.push({ action: full, from });
      } else if (tracked === null) {
        decide(
          full,
          "removed",
          `none of the service's tracked actions was used in ${days}, and this is not an untracked action`,
        );
        removed.add(full);
      } else {
        decide(full, "unknown", "not among the service's tracked actions; the service was used: kept");
        unknown.add(full);
        out.push({ action: full, from });
      }
      return;
    }
    // A wildcard in a used action-level service: replaced by the tracked actions used and the
    // untracked actions it covers.
    const before = out.length;
    const at = decisions.length;
    for (const t of tracked ?? []) {
      if (!globMatch(full, t.action)) continue;
      if (used(t.lastAccessed)) {
        decide(t.action, "kept", `used in the last ${days}`);
        kept.add(t.action);
        out.push({ action: t.action, from });
      } else {
        decide(t.action, "removed", `tracked action not used in ${days}`);
        removed.add(t.action);
      }
    }
    for (const u of untracked) {
      if (covers(full, u)) {
        decide(u, "unknown", "IAM cannot track it; the service was used: kept");
        unknown.add(u);
        out.push({ action: u, from });
      } else if (covers(u, full)) {
        decide(full, "unknown", "IAM cannot track it; the service was used: kept");
        unknown.add(full);
        out.push({ action: full, from });
        return;
      }
    }
    if (out.length === before) {
      // Used, yet no tracked action was and no known untracked one is granted: the use is
      // unexplained, so nothing is taken away.
      decide(
        full,
        "unknown",
        "service used but no tracked action was, and no known untracked action explains it: kept whole",
      );
      unknown.add(full);
      out.push({ action: full, from });
      return;
    }
    decisions.splice(at, 0, {
      action: full,
      verdict: "removed",
      reason: "wildcard replaced by the actions below",
      policy,
    });
    removed.add(full);
  };

  const expand = (a: string, out: Kept[]) => {
    const ns = serviceOf(a);
    const pat = a === "*" ? "*" : actionName(a);
    if (hasWildcard(ns)) {
      // `*`, `*:*`, `s3*:*`: every matching service the report lists (it lists every service the
      // principal's policies allow).
      const matching = [...services.keys()].filter((s) => globMatch(ns, s)).sort();
      decide(
        a,
        "removed",
        matching.length
          ? `replaced by the ${matching.length} services it covers, judged one by one`
          : "no service in the last-accessed report matches it",
      );
      removed.add(a);
      for (const s of matching) expandService(s, pat, out);
      return;
    }
    expandService(ns, pat, out);
  };

  const grants = opts.grants ?? facts.grants;
  const before: PolicyDocument[] = grants.map((g) => g.document);
  const denies: Statement[] = [];
  const allows: { base: Omit<Statement, "Action" | "Sid">; actions: Kept[] }[] = [];
  for (const g of grants) {
    policy = `${g.type} ${g.name}${g.via.kind === "group" ? ` via group ${g.via.name}` : ""}`;
    for (const s of g.document.Statement) {
      if (s.Effect === "Deny") {
        denies.push(s);
        continue;
      }
      const { Action, NotAction: _na, Sid: _sid, ...rest } = s;
      if (s.NotAction) {
        allows.push({ base: { ...rest, NotAction: s.NotAction }, actions: [] });
        decide(
          `NotAction in ${g.name}`,
          "unknown",
          "an Allow with NotAction grants every other action: kept whole",
        );
        notes.push(
          `${g.name}: an Allow statement with NotAction was kept whole; it grants every action it does not name. Review it by hand.`,
        );
        continue;
      }
      const out: Kept[] = [];
      for (const a of Action ?? []) expand(a, out);
      if (out.length) allows.push({ base: rest, actions: out });
    }
  }

  // Merge statements that share Resource, NotResource and Condition; actions sorted, unique.
  const merged = new Map<string, { base: Omit<Statement, "Action" | "Sid">; actions: Map<string, string> }>();
  const wholeNotAction: Statement[] = [];
  for (const a of allows) {
    if (a.base.NotAction) {
      wholeNotAction.push({ ...a.base } as Statement);
      continue;
    }
    const key = JSON.stringify([
      a.base.Resource ?? null,
      a.base.NotResource ?? null,
      a.base.Condition ?? null,
    ]);
    let m = merged.get(key);
    if (!m) {
      m = { base: a.base, actions: new Map() };
      merged.set(key, m);
    }
    for (const k of a.actions) if (!m.actions.has(k.action)) m.actions.set(k.action, k.from);
  }
  // Drop actions another kept pattern of the same statement already covers.
  for (const m of merged.values()) {
    const acts = [...m.actions.keys()];
    for (const x of acts)
      if (acts.some((y) => y !== x && hasWildcard(y) && covers(y, x))) m.actions.delete(x);
  }

  // An action already allowed on every resource without condition needs no narrower statement.
  const everywhere = merged.get(JSON.stringify([["*"], null, null]));
  if (everywhere) {
    const wide = [...everywhere.actions.keys()];
    for (const m of merged.values()) {
      if (m === everywhere) continue;
      for (const x of [...m.actions.keys()]) if (wide.some((y) => covers(y, x))) m.actions.delete(x);
    }
  }

  const build = (): PolicyDocument => {
    const statements: Statement[] = [...denies];
    for (const m of merged.values()) {
      if (m.actions.size === 0) continue;
      const { Effect: _e, ...where } = m.base;
      statements.push({ Effect: "Allow", Action: [...m.actions.keys()].sort(), ...where });
    }
    statements.push(...wholeNotAction);
    return { Version: "2012-10-17", Statement: statements };
  };
  let after = build();
  let size = policyJson(after).length;
  // Too big: fall back, service by service (largest first), to the patterns that granted them.
  while (size > maxChars) {
    let best:
      | { m: typeof merged extends Map<string, infer V> ? V : never; ns: string; n: number }
      | undefined;
    for (const m of merged.values()) {
      const byNs = new Map<string, number>();
      for (const [act, from] of m.actions)
        if (act !== from) byNs.set(serviceOf(act), (byNs.get(serviceOf(act)) ?? 0) + 1);
      for (const [ns, n] of byNs) if (n > 1 && (!best || n > best.n)) best = { m, ns, n };
    }
    if (!best) break;
    for (const [act, from] of [...best.m.actions]) {
      if (serviceOf(act) !== best.ns || act === from) continue;
      best.m.actions.delete(act);
      best.m.actions.set(from, from);
    }
    notes.push(
      `To fit ${maxChars.toLocaleString("en-US")} characters, ${best.n} ${best.ns} actions were kept as granted (${best.ns} is not narrowed).`,
    );
    after = build();
    size = policyJson(after).length;
  }
  const fits = size <= maxChars;
  if (!fits)
    notes.push(
      `The narrowed policy is ${size.toLocaleString("en-US")} characters, over IAM's ${maxChars.toLocaleString("en-US")}: it cannot be applied as one managed policy. Split the principal's grants first.`,
    );
  if (after.Statement.every((s) => s.Effect !== "Allow"))
    notes.push("Nothing was used in the window: the plan allows nothing. Is the principal still needed?");

  if (clean.dropped)
    notes.push(
      `${clean.dropped} service or action name${clean.dropped === 1 ? "" : "s"} of the last-accessed report were not names (wildcards or other characters) and were ignored.`,
    );
  const sorted = (s: Set<string>) => [...s].sort();
  return {
    principal: facts.principal.arn,
    before,
    after,
    removed: sorted(removed),
    kept: sorted(kept),
    unknown: sorted(unknown),
    sizeChars: size,
    maxChars,
    fits,
    windowDays,
    reference,
    decisions,
    notes,
  };
}

/**
 * A boundary-mode plan that replaces an existing boundary must not widen it: the plan's allowed
 * actions are cut to those the current boundary allows, and its Deny statements are carried over.
 * Only a plain boundary (unconditional Allow statements of Actions on "*", and Denies) can be
 * intersected this way; any other throws a PlanError for a person to decide.
 */
export function withinBoundary(plan: Plan, boundary: PolicyDocument): Plan {
  const allows = boundary.Statement.filter((s) => s.Effect === "Allow");
  const plain = allows.every(
    (s) =>
      s.Condition === undefined &&
      s.NotAction === undefined &&
      s.NotResource === undefined &&
      (s.Resource ?? []).includes("*"),
  );
  if (!plain)
    throw new PlanError(
      "the current permissions boundary has conditions, NotAction or resource limits: replacing it could widen access. Review it and apply by hand, or remove it first",
    );
  const granted = allows.flatMap((s) => s.Action ?? []);
  const notes = [...plan.notes];
  const dropped: string[] = [];
  const statements: Statement[] = [];
  for (const s of plan.after.Statement) {
    if (s.Effect !== "Allow") {
      statements.push(s);
      continue;
    }
    if (!s.Action) {
      // An Allow with NotAction grants everything else: within the boundary, that is the
      // boundary's own actions that the NotAction list does not wholly exclude.
      const { NotAction: excluded = [], ...rest } = s;
      const keep = granted.filter((g) => !excluded.some((x) => covers(x, g)));
      notes.push(
        "An Allow with NotAction was replaced by the current boundary's actions it does not exclude (a boundary never grants more than the old one).",
      );
      if (keep.length) statements.push({ ...rest, Action: keep });
      continue;
    }
    const keep = s.Action.filter((a) => granted.some((g) => covers(g, a)));
    for (const a of s.Action) if (!keep.includes(a)) dropped.push(a);
    if (keep.length) statements.push({ ...s, Action: keep });
  }
  for (const d of boundary.Statement.filter((s) => s.Effect === "Deny")) statements.push(d);
  if (dropped.length)
    notes.push(
      `${dropped.length} action${dropped.length === 1 ? "" : "s"} the current boundary does not allow were left out (${[...new Set(dropped)].sort().join(", ")}).`,
    );
  const after: PolicyDocument = { Version: "2012-10-17", Statement: statements };
  const size = policyJson(after).length;
  return { ...plan, after, sizeChars: size, fits: size <= plan.maxChars, notes };
}
