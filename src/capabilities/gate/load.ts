// Loads the gate's policy. Built: dist/gate-policy.json (compiled from rules/gate/*.yaml by
// `npm run build`), one JSON.parse, no YAML and no zod: the hook runs on every tool call. From the
// sources (tests): rules/gate/*.yaml, parsed and validated, so an edited rule is checked at once.

import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { yaml, zod } from "../../util/lazy.js";
import { packageRoot } from "../../util/paths.js";
import { compiledPolicy } from "./compiled.js";
import { ENGINE_RULES } from "./engine.js";
import { PATH_CLASSES, type PathData } from "./paths.js";
import { buildRuleIndex, type GatePolicy, type GateRule, type Match } from "./policy.js";
import { DECISIONS, GATE_CATEGORIES } from "./types.js";

export const GATE_POLICY_FILE = "gate-policy.json";

let cached: GatePolicy | undefined;

/** The built-in policy (cached): the compiled JSON when built, else rules/gate/*.yaml read and validated. */
export function builtinPolicy(): GatePolicy {
  cached ??= compiledPolicy() ?? readPolicyDir(join(packageRoot(), "rules", "gate"));
  return cached;
}

const STDIN = ["none", "text", "fetch", "decoder", "credential", "environ", "file", "data"] as const;

function schemas() {
  const { z } = zod();
  const names = z.array(z.string().min(1)).min(1);
  const classes = z.array(z.enum(PATH_CLASSES)).min(1);
  const match: import("zod").ZodType<Match> = z.lazy(() =>
    z.strictObject({
      command: names.optional(),
      except: names.optional(),
      sub: names.optional(),
      sub2: names.optional(),
      minPositionals: z.number().int().min(1).optional(),
      flags: names.optional(),
      argText: names.optional(),
      deletes: classes.optional(),
      writes: classes.optional(),
      reads: classes.optional(),
      paths: classes.optional(),
      stdin: z.array(z.enum(STDIN)).min(1).optional(),
      secretRef: z.boolean().optional(),
      assigns: names.optional(),
      emptyAssigns: names.optional(),
      unsets: names.optional(),
      via: names.optional(),
      net: z.boolean().optional(),
      unless: match.optional(),
      any: z.array(match).min(1).optional(),
    }),
  );
  const rule = z.strictObject({
    id: z.string().regex(/^gate-[a-z0-9-]+$/, "ids look like gate-<name>"),
    category: z.enum(GATE_CATEGORIES).optional(),
    decision: z.enum(DECISIONS),
    reason: z.string().min(10),
    match: match.optional(),
    examples: z.strictObject({ match: z.array(z.string()), noMatch: z.array(z.string()) }),
  });
  const file = z.strictObject({ category: z.enum(GATE_CATEGORIES).optional(), rules: z.array(rule).min(1) });
  const strs = z.array(z.string().min(1));
  const paths = z.strictObject({
    system: strs,
    temp: strs,
    devices: strs,
    harmlessDevices: strs,
    network: strs,
    credential: z.strictObject({ home: strs, absolute: strs, names: strs }),
    secretFile: z.strictObject({ names: strs }),
    persistence: z.strictObject({ home: strs, absolute: strs, workspace: strs }),
    agentConfig: z.strictObject({ home: strs, workspace: strs }),
  });
  return { match, file, paths };
}

/** The `Match` schema, for agent-audit.yaml `gate.allow` entries. */
export function matchSchema() {
  return schemas().match;
}

/**
 * What the build writes to dist/gate-policy.json: the validated rules and, precomputed, which rules
 * can match which program (the engine would otherwise work it out on the hook's first decision).
 */
export function compilePolicyDir(dir: string): GatePolicy {
  const policy = readPolicyDir(dir);
  return { ...policy, index: buildRuleIndex(policy.rules) };
}

/** Reads and validates rules/gate/*.yaml. Throws an Error naming the file and the problem. */
export function readPolicyDir(dir: string): GatePolicy {
  const s = schemas();
  const rules: GateRule[] = [];
  let paths: PathData | undefined;
  for (const name of readdirSync(dir).sort()) {
    if (!name.endsWith(".yaml")) continue;
    const text = readFileSync(join(dir, name), "utf8");
    let data: unknown;
    try {
      data = yaml().parse(text);
    } catch (err) {
      throw new Error(`rules/gate/${name}: ${(err as Error).message}`);
    }
    if (name === "paths.yaml") {
      const r = s.paths.safeParse(data);
      if (!r.success)
        throw new Error(
          `rules/gate/${name}: ${r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`,
        );
      paths = r.data;
      continue;
    }
    const r = s.file.safeParse(data);
    if (!r.success)
      throw new Error(
        `rules/gate/${name}: ${r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`,
      );
    for (const rule of r.data.rules) {
      const category = rule.category ?? r.data.category;
      if (!category) throw new Error(`rules/gate/${name}: ${rule.id} has no category`);
      if (!rule.match && !(ENGINE_RULES as readonly string[]).includes(rule.id))
        throw new Error(`rules/gate/${name}: ${rule.id} has no match and is not an engine rule`);
      if (rules.some((x) => x.id === rule.id))
        throw new Error(`rules/gate/${name}: duplicate rule id ${rule.id}`);
      rules.push({ ...rule, category } as GateRule);
    }
  }
  if (!paths) throw new Error("rules/gate/paths.yaml is missing");
  for (const id of ENGINE_RULES)
    if (!rules.some((r) => r.id === id)) throw new Error(`rules/gate: engine rule ${id} is not declared`);
  return { rules, paths };
}
