// The gate's policy as data (rules/gate/*.yaml): rules that match the facts the engine derives for
// every command that would run, each with a decision, a category, the reason shown to the person
// and examples. Matching is set membership and substring tests over parsed facts: no regex runs
// over the command text, so the time is linear in the input.

import type { PathClass, PathData, PathRef } from "./paths.js";
import type { Decision, GateCategory } from "./types.js";

/** What flows into a command's standard input. */
export type StdinKind = "none" | "text" | "fetch" | "decoder" | "credential" | "environ" | "file" | "data";

/** The facts about one command that would run (after wrappers, carriers and aliases are seen through). */
export interface Exec {
  /** The program's name (a path's basename); "" for an assignment-only command. */
  name: string;
  /** Short flags expanded (`-rf` gives -r and -f), long flags without `=value`. */
  flags: Set<string>;
  /** Arguments that are not flags, in order, static text or undefined when unknown before it runs. */
  positionals: (string | undefined)[];
  /** Lower-cased static text of every argument, space-joined (for `argText`). */
  text: string;
  deletes: PathRef[];
  writes: PathRef[];
  reads: PathRef[];
  stdin: StdinKind;
  /** Environment names assigned for it (`HTTPS_PROXY= curl`), with whether the value is empty. */
  assigns: { name: string; empty: boolean }[];
  /** Environment names it removes (`unset`, `env -u`). */
  unsets: string[];
  /** Secret-looking environment names its arguments expand ($AWS_SECRET_ACCESS_KEY). */
  secretRefs: string[];
  /** The wrappers and carriers it was found through (sudo, bash -c, xargs, ...). */
  via: string[];
  /** It talks to the network (curl, nc, scp, ... or interpreter code that does). */
  net: boolean;
}

/** One condition set; every key given must hold. */
export interface Match {
  command?: string[];
  except?: string[];
  sub?: string[];
  sub2?: string[];
  /** At least this many positionals (after the subcommand words), e.g. a named package. */
  minPositionals?: number;
  flags?: string[];
  argText?: string[];
  deletes?: PathClass[];
  writes?: PathClass[];
  reads?: PathClass[];
  paths?: PathClass[];
  stdin?: StdinKind[];
  secretRef?: boolean;
  assigns?: string[];
  emptyAssigns?: string[];
  unsets?: string[];
  via?: string[];
  net?: boolean;
  /** Must not hold. */
  unless?: Match;
  /** Alternatives: at least one must hold (on top of the keys above). */
  any?: Match[];
}

export interface GateRule {
  id: string;
  category: GateCategory;
  decision: Decision;
  reason: string;
  /** Absent for the engine's own rules (parse failures, dynamic commands, ...), which code raises. */
  match?: Match;
  examples: { match: string[]; noMatch: string[] };
}

export interface GatePolicy {
  rules: GateRule[];
  paths: PathData;
  /** Per-rule decision overrides (agent-audit.yaml `gate.decisions`). */
  decisions?: Record<string, Decision>;
  /** Commands the operator allows: an ask raised on a matching command is waived (deny is not). */
  allow?: Match[];
}

const hasClass = (refs: PathRef[], want: PathClass[]) => refs.some((r) => want.some((c) => r.classes.has(c)));

/** Long flags match a prefix of four characters or more (`git reset --ha` is `--hard`). */
function flagMatch(have: Set<string>, want: string[]): boolean {
  for (const w of want) {
    if (have.has(w)) return true;
    if (w.startsWith("--"))
      for (const h of have) if (h.startsWith("--") && h.length >= 4 && w.startsWith(h)) return true;
  }
  return false;
}

export function matches(m: Match, e: Exec): boolean {
  if (m.command && !m.command.includes(e.name)) return false;
  if (m.except?.includes(e.name)) return false;
  if (m.sub && !m.sub.includes(e.positionals[0] ?? "")) return false;
  if (m.sub2 && !m.sub2.includes(e.positionals[1] ?? "")) return false;
  if (m.minPositionals !== undefined && e.positionals.length < m.minPositionals) return false;
  if (m.flags && !flagMatch(e.flags, m.flags)) return false;
  if (m.argText && !m.argText.some((t) => e.text.includes(t))) return false;
  if (m.deletes && !hasClass(e.deletes, m.deletes)) return false;
  if (m.writes && !hasClass(e.writes, m.writes)) return false;
  if (m.reads && !hasClass(e.reads, m.reads)) return false;
  if (m.paths && !(hasClass(e.reads, m.paths) || hasClass(e.writes, m.paths) || hasClass(e.deletes, m.paths)))
    return false;
  if (m.stdin && !m.stdin.includes(e.stdin)) return false;
  if (m.secretRef !== undefined && m.secretRef !== e.secretRefs.length > 0) return false;
  if (m.assigns && !e.assigns.some((a) => m.assigns!.includes(a.name))) return false;
  if (m.emptyAssigns && !e.assigns.some((a) => a.empty && m.emptyAssigns!.includes(a.name))) return false;
  if (m.unsets && !e.unsets.some((u) => m.unsets!.includes(u))) return false;
  if (m.via && !e.via.some((v) => m.via!.includes(v))) return false;
  if (m.net !== undefined && m.net !== e.net) return false;
  if (m.unless && matches(m.unless, e)) return false;
  if (m.any && !m.any.some((a) => matches(a, e))) return false;
  return true;
}
