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
  /** Which rules can match which program (written by the build; computed when absent or not for these rules). */
  index?: RuleIndexData;
}

function hasClass(refs: readonly PathRef[], want: readonly PathClass[]): boolean {
  for (const r of refs) for (const c of want) if (r.classes.has(c)) return true;
  return false;
}

/** Long flags match a prefix of four characters or more (`git reset --ha` is `--hard`). */
function flagMatch(have: Set<string>, want: readonly string[]): boolean {
  for (const w of want) {
    if (have.has(w)) return true;
    if (w.startsWith("--"))
      for (const h of have) if (h.startsWith("--") && h.length >= 4 && w.startsWith(h)) return true;
  }
  return false;
}

export function matches(m: Match, e: Exec): boolean {
  return compileMatch(m).test(e);
}

const compiledCache = new WeakMap<Match, CompiledMatch>();
/** The matcher for `m`, built once per Match object. */
export function compileMatch(m: Match): CompiledMatch {
  let c = compiledCache.get(m);
  if (!c) {
    c = new CompiledMatch(m);
    compiledCache.set(m, c);
  }
  return c;
}

/**
 * One Match with every key present (null when the Match does not give it). Rules come from JSON,
 * one object shape per combination of keys; testing those directly makes every property read
 * megamorphic, and matching was the engine's largest single cost. One class, one shape. The lists
 * stay the policy's own arrays (at most a few dozen names each): building a Set per list cost the
 * hook's first decision about 0.3 ms, and `includes` over so few is as fast as `has`. The fields are
 * `declare`d: a class field is otherwise defined once as undefined before the constructor sets it.
 */
export class CompiledMatch {
  declare readonly command: readonly string[] | null;
  declare readonly except: readonly string[] | null;
  declare readonly sub: readonly string[] | null;
  declare readonly sub2: readonly string[] | null;
  declare readonly minPositionals: number;
  declare readonly flags: readonly string[] | null;
  declare readonly argText: readonly string[] | null;
  declare readonly deletes: readonly PathClass[] | null;
  declare readonly writes: readonly PathClass[] | null;
  declare readonly reads: readonly PathClass[] | null;
  declare readonly paths: readonly PathClass[] | null;
  declare readonly stdin: readonly StdinKind[] | null;
  /** 0 any, 1 must have a secret reference, 2 must have none. */
  declare readonly secretRef: number;
  declare readonly assigns: readonly string[] | null;
  declare readonly emptyAssigns: readonly string[] | null;
  declare readonly unsets: readonly string[] | null;
  declare readonly via: readonly string[] | null;
  /** 0 any, 1 must talk to the network, 2 must not. */
  declare readonly net: number;
  /** `unless` and the alternatives of `any` are compiled when first tested (most never are). */
  declare readonly unless: Match | null;
  declare private unlessCompiled: CompiledMatch | null;
  declare readonly any: readonly Match[] | null;
  /** Per alternative, its `command` list (an alternative for other programs is skipped unbuilt). */
  declare readonly anyNames: readonly (readonly string[] | null)[] | null;
  declare private readonly anyCompiled: (CompiledMatch | undefined)[] | null;

  constructor(m: Match) {
    this.command = m.command ?? null;
    this.except = m.except ?? null;
    this.sub = m.sub ?? null;
    this.sub2 = m.sub2 ?? null;
    this.minPositionals = m.minPositionals ?? 0;
    this.flags = m.flags ?? null;
    this.argText = m.argText ?? null;
    this.deletes = m.deletes ?? null;
    this.writes = m.writes ?? null;
    this.reads = m.reads ?? null;
    this.paths = m.paths ?? null;
    this.stdin = m.stdin ?? null;
    this.secretRef = m.secretRef === undefined ? 0 : m.secretRef ? 1 : 2;
    this.assigns = m.assigns ?? null;
    this.emptyAssigns = m.emptyAssigns ?? null;
    this.unsets = m.unsets ?? null;
    this.via = m.via ?? null;
    this.net = m.net === undefined ? 0 : m.net ? 1 : 2;
    this.unless = m.unless ?? null;
    this.unlessCompiled = null;
    this.any = m.any ?? null;
    this.anyNames = m.any ? m.any.map((a) => a.command ?? null) : null;
    this.anyCompiled = m.any ? [] : null;
  }

  test(e: Exec): boolean {
    if (this.command !== null && !this.command.includes(e.name)) return false;
    if (this.except?.includes(e.name)) return false;
    if (this.sub !== null && !this.sub.includes(e.positionals[0] ?? "")) return false;
    if (this.sub2 !== null && !this.sub2.includes(e.positionals[1] ?? "")) return false;
    if (e.positionals.length < this.minPositionals) return false;
    if (this.flags !== null && !flagMatch(e.flags, this.flags)) return false;
    if (this.argText !== null && !someIncluded(e.text, this.argText)) return false;
    if (this.deletes !== null && !hasClass(e.deletes, this.deletes)) return false;
    if (this.writes !== null && !hasClass(e.writes, this.writes)) return false;
    if (this.reads !== null && !hasClass(e.reads, this.reads)) return false;
    if (
      this.paths !== null &&
      !(hasClass(e.reads, this.paths) || hasClass(e.writes, this.paths) || hasClass(e.deletes, this.paths))
    )
      return false;
    if (this.stdin !== null && !this.stdin.includes(e.stdin)) return false;
    if (this.secretRef !== 0 && (this.secretRef === 1) !== e.secretRefs.length > 0) return false;
    if (this.assigns !== null && !someAssign(e.assigns, this.assigns, false)) return false;
    if (this.emptyAssigns !== null && !someAssign(e.assigns, this.emptyAssigns, true)) return false;
    if (this.unsets !== null && !someIn(e.unsets, this.unsets)) return false;
    if (this.via !== null && !someIn(e.via, this.via)) return false;
    if (this.net !== 0 && (this.net === 1) !== e.net) return false;
    if (this.unless !== null) {
      this.unlessCompiled ??= new CompiledMatch(this.unless);
      if (this.unlessCompiled.test(e)) return false;
    }
    if (this.any !== null) {
      let one = false;
      for (let i = 0; i < this.any.length; i++) {
        // The alternative's own first test, before it is built.
        const names = this.anyNames![i];
        if (names && !names.includes(e.name)) continue;
        let a = this.anyCompiled![i];
        if (a === undefined) {
          a = new CompiledMatch(this.any[i]!);
          this.anyCompiled![i] = a;
        }
        if (a.test(e)) {
          one = true;
          break;
        }
      }
      if (!one) return false;
    }
    return true;
  }
}

/**
 * The program names a Match can hold for, or null when it can hold for any: its `command` list,
 * else the union over `any` when every alternative names its programs.
 */
export function matchNames(m: Match): ReadonlySet<string> | null {
  if (m.command) return new Set(m.command);
  if (!m.any) return null;
  const union = new Set<string>();
  for (const a of m.any) {
    const names = matchNames(a);
    if (!names) return null;
    for (const n of names) union.add(n);
  }
  return union;
}

// ---- the facts a match needs (a cheap test before the matcher is built or run)

/** Bits of `Need`: facts about an Exec that a Match cannot hold without. */
export const NEED = {
  deletes: 1,
  writes: 2,
  reads: 4,
  /** Some path read, written or deleted. */
  path: 8,
  assigns: 16,
  unsets: 32,
  via: 64,
  net: 128,
  secretRef: 256,
  /** Some argument text. */
  text: 512,
  /** Something flows into stdin. */
  stdin: 1024,
  flags: 2048,
} as const;

/**
 * The facts every Exec that `m` holds for has (NEED bits): a key that tests a list of the Exec
 * cannot hold on an empty one. `any` needs what all its alternatives need; `unless` needs nothing.
 * A rule whose needs an Exec lacks cannot match it, so the engine skips it unbuilt and untested.
 */
export function matchNeeds(m: Match): number {
  let n = 0;
  if (m.deletes) n |= NEED.deletes | NEED.path;
  if (m.writes) n |= NEED.writes | NEED.path;
  if (m.reads) n |= NEED.reads | NEED.path;
  if (m.paths) n |= NEED.path;
  if (m.assigns || m.emptyAssigns) n |= NEED.assigns;
  if (m.unsets) n |= NEED.unsets;
  if (m.via) n |= NEED.via;
  if (m.net === true) n |= NEED.net;
  if (m.secretRef === true) n |= NEED.secretRef;
  // "".includes("") holds: only parts that are all non-empty need some text.
  if (m.argText?.every((t) => t !== "")) n |= NEED.text;
  if (m.stdin && !m.stdin.includes("none")) n |= NEED.stdin;
  if (m.flags) n |= NEED.flags;
  if (m.any) {
    let common = -1;
    for (const a of m.any) common &= matchNeeds(a);
    n |= common === -1 ? 0 : common;
  }
  return n;
}

/** The NEED bits an Exec has. */
export function execHas(e: Exec): number {
  let n = 0;
  if (e.deletes.length) n |= NEED.deletes | NEED.path;
  if (e.writes.length) n |= NEED.writes | NEED.path;
  if (e.reads.length) n |= NEED.reads | NEED.path;
  if (e.assigns.length) n |= NEED.assigns;
  if (e.unsets.length) n |= NEED.unsets;
  if (e.via.length) n |= NEED.via;
  if (e.net) n |= NEED.net;
  if (e.secretRefs.length) n |= NEED.secretRef;
  if (e.text !== "") n |= NEED.text;
  if (e.stdin !== "none") n |= NEED.stdin;
  if (e.flags.size) n |= NEED.flags;
  return n;
}

/**
 * Which rules can match which program, computed once from the rules (at build time into
 * dist/gate-policy.json, so the hook's first decision does not work it out). Positions are into
 * `rules`, ascending. The names themselves stay in the rules (`namesInclude`): a map of every name
 * made the policy's JSON.parse slower than looking a name up in a few rules' lists.
 */
export interface RuleIndexData {
  /** The ids of the rules it was built from, in order: an index for other rules is not used. */
  ids: string[];
  /** The rules with a match that can match any program. */
  general: number[];
  /** The rules with a match that names the programs it can match (matchNames is not null). */
  named: number[];
  /** Per rule, its match's NEED bits (0 for a rule without a match). */
  needs: number[];
}

export function buildRuleIndex(rules: readonly GateRule[]): RuleIndexData {
  const general: number[] = [];
  const named: number[] = [];
  const needs: number[] = [];
  rules.forEach((r, i) => {
    needs.push(r.match ? matchNeeds(r.match) : 0);
    if (r.match) (matchNames(r.match) ? named : general).push(i);
  });
  return { ids: rules.map((r) => r.id), general, named, needs };
}

/**
 * Whether a Match that names its programs (matchNames(m) is not null) names `name`: the same as
 * matchNames(m).has(name), without building the set.
 */
export function namesInclude(m: Match, name: string): boolean {
  if (m.command) return m.command.includes(name);
  if (m.any) for (const a of m.any) if (namesInclude(a, name)) return true;
  return false;
}

/** Whether `index` was built from exactly these rules (by id, in order). */
export function indexFits(index: RuleIndexData | undefined, rules: readonly GateRule[]): boolean {
  if (!index || !Array.isArray(index.ids) || index.ids.length !== rules.length) return false;
  for (let i = 0; i < rules.length; i++) if (index.ids[i] !== rules[i]!.id) return false;
  return true;
}

function someIncluded(text: string, parts: readonly string[]): boolean {
  for (const t of parts) if (text.includes(t)) return true;
  return false;
}

function someIn(have: readonly string[], want: readonly string[]): boolean {
  for (const h of have) if (want.includes(h)) return true;
  return false;
}

function someAssign(have: Exec["assigns"], want: readonly string[], emptyOnly: boolean): boolean {
  for (const a of have) if ((!emptyOnly || a.empty) && want.includes(a.name)) return true;
  return false;
}
