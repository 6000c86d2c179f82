import { readdirSync, readFileSync } from "node:fs";
import { basename, join, relative } from "node:path";
import type { z as Z, ZodError } from "zod";
import { RUNTIME_IDS, type RuleDescriptor, SEVERITIES, STEP_IDS } from "../contract/types.js";
import { UsageError } from "../util/errors.js";
import { nodeCrypto, yaml, zod } from "../util/lazy.js";
import { packageRoot, rulesDir } from "../util/paths.js";
import { CODE_RULE_LIST, CODE_RULES } from "./code.js";
import {
  type ContentRule,
  type EnvRule,
  type PathRule,
  VALIDATOR_NAMES,
  type ValidatorName,
} from "./types.js";

// The rules/ folder is the registry (shared/STYLE.md): one YAML file per rule, named after its id.
// Everything is parsed, validated and compiled once here; every error is reported together.

/**
 * The rule kinds, each a folder of rules/ (placeholders: the one file rules/placeholders.yaml;
 * egress: the default probe targets of rules/egress/, read by capabilities/egress/targets.ts).
 */
export type RuleKind = "content" | "env" | "paths" | "placeholder" | "egress" | "runtime" | "scope" | "mcp";

/**
 * The schemas of the rule files, built on first use: with the build's rules cache (below) a normal
 * start-up never validates, so never loads zod.
 */
function buildSchemas() {
  const { z } = zod();
  const kebab = z.string().regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, "must be kebab-case");
  const common = {
    id: kebab,
    provider: z.string().min(1),
    title: z.string().min(1),
    severity: z.enum(SEVERITIES),
    remediation: z.string().min(1),
  };

  const content = z.strictObject({
    ...common,
    type: kebab,
    keywords: z
      .array(
        z
          .string()
          .min(2)
          // The keyword matcher reads a file's bytes as latin1 (detect/keywords.ts): a keyword with a
          // character past latin1 could never occur, and a NUL stands for one there.
          .refine(
            (k) => /^[\u0001-\u00ff]+$/.test(k),
            "a keyword is latin1 characters only, with no NUL (the text is matched byte by byte)",
          ),
      )
      .min(1),
    regex: z.string().min(1),
    caseInsensitive: z.boolean().optional(),
    /** The regex only ever matches starting at one of the keywords: run it there, not over the whole text. */
    anchored: z.boolean().optional(),
    /**
     * Every match starts at most this many characters before an occurrence of one of the keywords
     * that lies inside the match: the regex is tried only there, not at every position of the text.
     */
    near: z.number().int().min(0).max(256).optional(),
    secretGroup: z.union([z.number().int().min(0), z.string()]).optional(),
    entropy: z.number().min(0).max(8).optional(),
    generic: z.boolean().optional(),
    /**
     * The rule only recognises a format (a JWT): a structural parser's detection of the same value
     * wins the dedupe (ContentRule.shapeOnly). Generic rules are shape-only without saying so.
     */
    shapeOnly: z.boolean().optional(),
    validator: z.string().optional(),
    allow: z.array(z.string()).optional(),
    examples: z.strictObject({ match: z.array(z.string()).min(1), noMatch: z.array(z.string()).min(1) }),
  });

  const envExample = z.strictObject({ name: z.string().min(1), value: z.string() });
  const env = z.strictObject({
    ...common,
    type: kebab,
    names: z.array(z.string()).optional(),
    namePattern: z.string().optional(),
    excludeNames: z.array(z.string()).optional(),
    value: z.strictObject({
      minLength: z.number().int().min(1),
      shape: z.enum(["random", "any", "url-userinfo"]),
    }),
    examples: z.strictObject({ match: z.array(envExample).min(1), noMatch: z.array(envExample).min(1) }),
  });

  const paths = z.strictObject({
    ...common,
    paths: z.array(z.string().min(1)).min(1),
    envPointers: z
      .array(
        z
          .string()
          .regex(
            /^[A-Za-z_][A-Za-z0-9_]*(\/[^/].*)?$/,
            "must be VAR (a file) or VAR/path (a file inside a directory)",
          ),
      )
      .optional(),
    parser: z.string().min(1),
    textScan: z.boolean().optional(),
    /** home (default): globs relative to the home directory; tree: globs matched anywhere in the working tree. */
    scope: z.enum(["home", "tree"]).optional(),
  });

  const placeholder = z.strictObject({
    id: kebab,
    description: z.string(),
    patterns: z.array(z.string()).min(1),
    examples: z.strictObject({ match: z.array(z.string()).min(1), noMatch: z.array(z.string()).min(1) }),
  });
  // rules/egress/: one file per kind of destination, each entry with the public source that
  // documents it, so an operator can see exactly what a default probe contacts.
  const egressEntry = z.strictObject({
    target: z.string().min(1),
    note: z.string().min(1),
    source: z.string().min(1),
    /** Metadata only: where this form is probed (encoded forms only mean something to a proxy). */
    via: z
      .array(z.enum(["direct", "proxy"]))
      .min(1)
      .optional(),
  });
  const egress = z.strictObject({
    id: kebab,
    kind: z.enum(["canaries", "metadata", "resolvers"]),
    description: z.string().min(1),
    /** resolvers only: the name asked of each outside resolver. */
    queryName: z.string().optional(),
    /** canaries only: extra ports probed on every canary address (non-HTTP egress). */
    ports: z.array(z.number().int().min(1).max(65535)).optional(),
    targets: z.array(egressEntry).min(1),
  });
  // rules/runtime/: the checks of the agent-runtime inspectors (issue 10, capabilities/inspect).
  // The check itself is code (one module per runtime); the file is its identity, texts, severity,
  // the generator that fixes it, and examples in the runtime's real config format: files keyed by
  // where they live (`~/` the home, `./` the project root, `/` the system root) that must and must
  // not trigger it. test/rules/runtime-examples.test.ts runs every example.
  const fixSpec = z.strictObject({
    target: kebab,
    params: z
      .record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.array(z.string())]))
      .optional(),
  });
  const runtimeExample = z.strictObject({
    files: z.record(z.string().regex(/^(~\/|\.\/|\/)[^\0]+$/, "must start with ~/, ./ or /"), z.string()),
    /** The agent's environment for the example (e.g. HERMES_YOLO_MODE=1). */
    env: z.record(z.string(), z.string()).optional(),
  });
  const runtime = z.strictObject({
    id: kebab,
    runtime: z.enum(RUNTIME_IDS),
    title: z.string().min(1),
    severity: z.enum(SEVERITIES),
    control: z.enum(STEP_IDS),
    kind: z.enum(["config", "gate"]),
    remediation: z.string().min(1),
    fix: fixSpec,
    examples: z.strictObject({
      match: z.array(runtimeExample).min(1),
      noMatch: z.array(runtimeExample).min(1),
    }),
  });
  // rules/scope/: the credential-scope checks of step 6 (issue 10, capabilities/scope). As with
  // rules/runtime/, the judgement is code; the file holds its identity, texts and the fix.
  const scope = z.strictObject({
    id: kebab,
    title: z.string().min(1),
    severity: z.enum(SEVERITIES),
    /** high: fails step 6; medium: warns; low: informs. */
    risk: z.enum(["high", "medium", "low"]),
    remediation: z.string().min(1),
    /** What narrower credential to use instead (one line). */
    narrower: z.string().min(1),
    fix: fixSpec,
    /** Rule ids of the inventory whose findings this check judges. */
    appliesTo: z.array(z.string().min(1)).min(1),
  });
  // rules/mcp/: the checks of MCP servers, skills, instruction files and tool lists (issue 16,
  // capabilities/inspect/mcp). The judgement is code; the file holds its identity, texts, the fix
  // and examples: files keyed as in rules/runtime/, and for tool-list checks a `tools/list` export
  // (`tools`, JSON text). test/rules/mcp-examples.test.ts runs every example.
  const mcpExample = runtimeExample.extend({ tools: z.string().optional() });
  const mcp = runtime.omit({ runtime: true }).extend({
    kind: z.enum(["config"]),
    examples: z.strictObject({
      match: z.array(mcpExample).min(1),
      noMatch: z.array(mcpExample).min(1),
    }),
  });
  return { content, env, paths, placeholder, egress, runtime, scope, mcp };
}

let schemasValue: ReturnType<typeof buildSchemas> | undefined;
function schemas(): ReturnType<typeof buildSchemas> {
  schemasValue ??= buildSchemas();
  return schemasValue;
}

/** Validates one parsed rule file: every error, each prefixed with the file (for the build's cache). */
export function validateRuleData(kind: RuleKind, file: string, data: unknown): string[] {
  const r = schemas()[kind].safeParse(data);
  return r.success ? [] : zodErrors(file, r.error);
}

/** A file of rules/egress/, validated: default probe targets (parsed by capabilities/egress/targets.ts). */
export type EgressRuleFile = Z.output<ReturnType<typeof buildSchemas>["egress"]> & {
  /** How errors name the file: `rules/egress/<name>.yaml`. */
  label: string;
};

/** A check of an agent-runtime inspector (rules/runtime/<id>.yaml), validated. */
export type RuntimeCheck = Z.output<ReturnType<typeof buildSchemas>["runtime"]> & { file: string };
/** A check of MCP servers, skills or tool lists (rules/mcp/<id>.yaml), validated. */
export type McpCheck = Z.output<ReturnType<typeof buildSchemas>["mcp"]> & { file: string };
/** A credential-scope check (rules/scope/<id>.yaml), validated. */
export type ScopeCheck = Z.output<ReturnType<typeof buildSchemas>["scope"]> & { file: string };

export interface RuleSet {
  content: ContentRule[];
  env: EnvRule[];
  paths: PathRule[];
  placeholders: RegExp[];
  placeholderExamples: { match: string[]; noMatch: string[] };
  egress: EgressRuleFile[];
  runtime: RuntimeCheck[];
  scope: ScopeCheck[];
  mcp: McpCheck[];
}

function compile(pattern: string, flags: string, where: string, errors: string[]): RegExp {
  try {
    return new RegExp(pattern, flags);
  } catch (e) {
    errors.push(`${where}: invalid regex (${(e as Error).message})`);
    return /(?!)/;
  }
}

type ParsedCache = Record<string, { hash: string; kind: RuleKind; data: unknown }>;
/**
 * Bumped whenever what an entry means changes (2: entries hold data validated by the build; 3:
 * keyed by content hash, not mtime and size, which `cp -p` or a fixed-mtime build can keep).
 */
export const RULES_CACHE_VERSION = 4;

/** The cache key of a rule file's text. */
export function ruleFileHash(text: string): string {
  return nodeCrypto().createHash("sha256").update(text).digest("hex").slice(0, 32);
}
let parsedCacheValue: ParsedCache | null | undefined;
/**
 * Parsing and validating ~220 YAML files costs ~200 ms at every start (and loads yaml and zod);
 * `npm run build` stores each file that parses and validates in dist/rules-cache.json
 * (scripts/compile-rules.mjs), with its kind and the hash of its text. An entry is used only while
 * the file's text hashes the same and it is read as the kind it was validated as, so an edited rule
 * is always parsed and validated afresh, and an invalid one is never cached.
 */
function parsedCache(): ParsedCache | null {
  if (parsedCacheValue === undefined) {
    try {
      const c = JSON.parse(readFileSync(join(packageRoot(), "dist", "rules-cache.json"), "utf8"));
      parsedCacheValue = c.version === RULES_CACHE_VERSION ? c.files : null;
    } catch {
      parsedCacheValue = null;
    }
  }
  return parsedCacheValue ?? null;
}

interface RuleFile {
  file: string;
  /** How errors name the file. */
  label: string;
  data: unknown;
  /** True when the data comes from the build's cache, validated as this kind. */
  validated: boolean;
}

function readYamlDir(
  dir: string,
  kind: RuleKind,
  errors: string[],
  labelOf: (file: string) => string = (file) => file,
): RuleFile[] {
  let names: string[];
  try {
    names = readdirSync(dir)
      .filter((n) => n.endsWith(".yaml"))
      .sort();
  } catch {
    return [];
  }
  if (kind === "placeholder") names = names.filter((n) => n === "placeholders.yaml");
  const out: RuleFile[] = [];
  const cache = parsedCache();
  for (const name of names) {
    const file = join(dir, name);
    const label = labelOf(file);
    try {
      const text = readFileSync(file, "utf8");
      // Keyed relative to the package: the cache built in a checkout holds for the installed package.
      const hit = cache?.[relative(packageRoot(), file)];
      if (hit && hit.kind === kind && hit.hash === ruleFileHash(text)) {
        out.push({ file, label, data: hit.data, validated: true });
        continue;
      }
      out.push({ file, label, data: yaml().parse(text), validated: false });
    } catch (e) {
      errors.push(`${label}: not valid YAML (${(e as Error).message.split("\n")[0]})`);
    }
  }
  return out;
}

type Parsed<K extends RuleKind> = Z.output<ReturnType<typeof buildSchemas>[K]>;

/** A rule file's data once valid (from the cache as it is, else through its schema), or undefined. */
function valid<K extends RuleKind>(kind: K, f: RuleFile, errors: string[]): Parsed<K> | undefined {
  if (f.validated) return f.data as Parsed<K>;
  const r = schemas()[kind].safeParse(f.data);
  if (!r.success) {
    errors.push(...zodErrors(f.label, r.error));
    return undefined;
  }
  return r.data as Parsed<K>;
}

function zodErrors(file: string, err: ZodError): string[] {
  return err.issues.map((i) => `${file}: ${i.path.join(".") || "(root)"}: ${i.message}`);
}

/**
 * Reads a rules/egress folder through the same cache and schema as every rule kind. Errors name the
 * file as `rules/egress/<name>.yaml`; returned, not thrown, so the egress capability can report
 * them together with its own (targets that do not parse).
 */
export function loadEgressRules(dir: string): { files: EgressRuleFile[]; errors: string[] } {
  const errors: string[] = [];
  const files: EgressRuleFile[] = [];
  for (const f of readYamlDir(dir, "egress", errors, (file) => `rules/egress/${basename(file)}`)) {
    const d = valid("egress", f, errors);
    if (!d) continue;
    if (d.id !== basename(f.file, ".yaml"))
      errors.push(`${f.label}: id "${d.id}" does not match the file name`);
    files.push({ ...d, label: f.label });
  }
  return { files, errors };
}

export function loadRules(dir: string = rulesDir()): RuleSet {
  const errors: string[] = [];
  const content: ContentRule[] = [];
  const env: EnvRule[] = [];
  const paths: PathRule[] = [];
  const ids = new Set<string>();
  const checkId = (file: string, id: string) => {
    if (basename(file, ".yaml") !== id) errors.push(`${file}: id "${id}" must match the file name`);
    if (ids.has(id)) errors.push(`${file}: duplicate rule id "${id}"`);
    if (Object.hasOwn(CODE_RULES, id))
      errors.push(`${file}: rule id "${id}" is declared in code (rules/code.ts)`);
    ids.add(id);
  };

  for (const f of readYamlDir(join(dir, "secrets"), "content", errors)) {
    const d = valid("content", f, errors);
    if (!d) continue;
    const file = f.file;
    checkId(file, d.id);
    if (d.validator && !(VALIDATOR_NAMES as readonly string[]).includes(d.validator))
      errors.push(`${file}: validator: unknown "${d.validator}"`);
    content.push({
      id: d.id,
      provider: d.provider,
      type: d.type,
      title: d.title,
      severity: d.severity,
      remediation: d.remediation,
      keywords: d.keywords.map((k) => k.toLowerCase()),
      regex: compile(d.regex, d.caseInsensitive ? "gi" : "g", `${file}: regex`, errors),
      secretGroup: d.secretGroup ?? 1,
      entropy: d.entropy,
      generic: d.generic ?? false,
      shapeOnly: (d.shapeOnly ?? false) || (d.generic ?? false),
      anchored: d.anchored
        ? compile(d.regex, d.caseInsensitive ? "iy" : "y", `${file}: regex`, errors)
        : undefined,
      near:
        d.near !== undefined && !d.anchored
          ? {
              within: d.near,
              sticky: compile(d.regex, d.caseInsensitive ? "iy" : "y", `${file}: regex`, errors),
            }
          : undefined,
      validator: d.validator as ValidatorName | undefined,
      allow: (d.allow ?? []).map((a, i) => compile(a, "", `${file}: allow.${i}`, errors)),
      examples: d.examples,
      file,
    });
  }

  for (const f of readYamlDir(join(dir, "env"), "env", errors)) {
    const d = valid("env", f, errors);
    if (!d) continue;
    const file = f.file;
    checkId(file, d.id);
    if (!d.names?.length && !d.namePattern) errors.push(`${file}: one of names or namePattern is required`);
    env.push({
      id: d.id,
      provider: d.provider,
      type: d.type,
      title: d.title,
      severity: d.severity,
      remediation: d.remediation,
      names: (d.names ?? []).map((n) => n.toUpperCase()),
      namePattern: d.namePattern ? compile(d.namePattern, "", `${file}: namePattern`, errors) : undefined,
      excludeNames: (d.excludeNames ?? []).map((p, i) =>
        compile(p, "", `${file}: excludeNames.${i}`, errors),
      ),
      value: d.value,
      examples: d.examples,
      file,
    });
  }

  for (const f of readYamlDir(join(dir, "paths"), "paths", errors)) {
    const d = valid("paths", f, errors);
    if (!d) continue;
    const file = f.file;
    checkId(file, d.id);
    paths.push({
      id: d.id,
      provider: d.provider,
      title: d.title,
      severity: d.severity,
      remediation: d.remediation,
      paths: d.paths,
      scope: d.scope ?? "home",
      envPointers: d.envPointers ?? [],
      parser: d.parser,
      textScan: d.textScan ?? true,
      file,
    });
  }

  let placeholders: RegExp[] = [];
  let placeholderExamples = { match: [] as string[], noMatch: [] as string[] };
  const ph = readYamlDir(dir, "placeholder", errors)[0];
  if (ph) {
    const d = valid("placeholder", ph, errors);
    if (d) {
      placeholders = d.patterns.map((p, i) => compile(p, "i", `${ph.file}: patterns.${i}`, errors));
      placeholderExamples = d.examples;
    }
  }

  const egress = loadEgressRules(join(dir, "egress"));
  errors.push(...egress.errors);

  const runtime: RuntimeCheck[] = [];
  for (const f of readYamlDir(join(dir, "runtime"), "runtime", errors)) {
    const d = valid("runtime", f, errors);
    if (!d) continue;
    checkId(f.file, d.id);
    runtime.push({ ...d, file: f.file });
  }
  const scope: ScopeCheck[] = [];
  for (const f of readYamlDir(join(dir, "scope"), "scope", errors)) {
    const d = valid("scope", f, errors);
    if (!d) continue;
    checkId(f.file, d.id);
    scope.push({ ...d, file: f.file });
  }

  const mcp: McpCheck[] = [];
  for (const f of readYamlDir(join(dir, "mcp"), "mcp", errors)) {
    const d = valid("mcp", f, errors);
    if (!d) continue;
    checkId(f.file, d.id);
    mcp.push({ ...d, file: f.file });
  }

  if (errors.length) {
    throw new UsageError(`invalid rules:\n  ${errors.join("\n  ")}`, "fix the rule files listed above");
  }
  return {
    content,
    env,
    paths,
    placeholders,
    placeholderExamples,
    egress: egress.files,
    runtime,
    scope,
    mcp,
  };
}

let cached: RuleSet | undefined;
/**
 * The one rule catalog (issue 9): every rule id a report can contain, from the rule set's files
 * (content, env and path rules) and from the rules declared in code (rules/code.ts), with what a
 * renderer lists for it (the SARIF rule list). Sorted by id. The config validator reads the same
 * list (`rules.disable`, `rules.severity`).
 */
export function ruleCatalog(rules: RuleSet): RuleDescriptor[] {
  const out: RuleDescriptor[] = [];
  const add = (
    r: { id: string; title: string; severity: RuleDescriptor["severity"]; remediation: string },
    kind: RuleDescriptor["kind"],
  ) =>
    out.push({
      id: r.id,
      title: r.title,
      severity: r.severity,
      control: "secret-inventory",
      kind,
      remediation: r.remediation,
    });
  for (const r of rules.content) add(r, "secret");
  for (const r of rules.env) add(r, "secret");
  for (const r of rules.paths) add(r, r.parser === "presence" ? "exposure" : "secret");
  // The runtime inspectors' checks and the MCP/skills checks carry their own control and kind.
  for (const r of [...rules.runtime, ...rules.mcp])
    out.push({
      id: r.id,
      title: r.title,
      severity: r.severity,
      control: r.control,
      kind: r.kind,
      remediation: r.remediation,
    });
  for (const r of rules.scope)
    out.push({
      id: r.id,
      title: r.title,
      severity: r.severity,
      control: "credential-scope",
      kind: "scope",
      remediation: r.remediation,
    });
  for (const r of CODE_RULE_LIST)
    out.push({
      id: r.id,
      title: r.title,
      severity: r.severity,
      control: r.control,
      kind: r.kind,
      remediation: r.remediation,
    });
  return out.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** Every rule id of the catalog (ruleCatalog), sorted. */
export function catalogRuleIds(rules: RuleSet): string[] {
  return ruleCatalog(rules).map((r) => r.id);
}

/** The packaged rules, loaded once per process. */
export function defaultRules(): RuleSet {
  cached ??= loadRules();
  return cached;
}
