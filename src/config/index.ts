import { readFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import type { z as Z } from "zod";
import { safeMessage, UsageError } from "../core/errors.js";
import { yaml, zod } from "../core/lazy.js";
import { SEVERITIES, type Severity } from "../core/types.js";
import { defaultRules, type RuleSet } from "../detectors/rules.js";
import { hint } from "./did-you-mean.js";

/** agent-audit.yaml, after validation and defaults. */
export interface AgentAuditConfig {
  /** Globs (relative to root) that the tree scan is limited to; empty = everything. */
  include: string[];
  /** Globs (relative to root) the tree scan skips. */
  exclude: string[];
  rules: { disable: string[]; severity: Record<string, Severity> };
  failOn?: Severity;
  /** Baseline path: written relative to the config file's directory, stored here as an absolute path. */
  baseline?: string;
  egress?: {
    canaries?: string[];
    allowedHosts?: string[];
    proxy?: string;
    timeoutMs?: number;
    dnsResolvers?: string[];
    metadata?: string[];
    ports?: number[];
    defaultTargets?: boolean;
    firewallEvidence?: boolean;
  };
  gate?: {
    mode?: "ask" | "deny";
    allow?: string[];
    deny?: string[];
    ask?: string[];
  };
}

export const EMPTY_CONFIG: AgentAuditConfig = {
  include: [],
  exclude: [],
  rules: { disable: [], severity: {} },
};

export const DEFAULT_CONFIG_FILE = "agent-audit.yaml";

// host:port, IPv6 as [addr]:port; the same spelling --canary takes.
const HOST_PORT = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+):([1-9]\d{0,4})$/;

/**
 * The schema of agent-audit.yaml. Every object is strict: an unknown key is an error (with a
 * did-you-mean hint), because a misspelt `exclude` or `disable` would otherwise be ignored silently.
 * Later capabilities extend their own section here (`gate`, `egress`). Built on first use (zod loads lazily).
 */
function buildConfigSchema() {
  const { z } = zod();
  const severity = z.enum(SEVERITIES);
  const nonEmpty = z.string().trim().min(1, "must not be empty");
  const globs = z.array(nonEmpty);
  const hostPort = z
    .string()
    .refine(
      (v) => Number(HOST_PORT.exec(v)?.[2] ?? 0) <= 65535 && HOST_PORT.test(v),
      "must be host:port with a port from 1 to 65535 (IPv6 as [addr]:port)",
    );

  return z.strictObject({
    include: globs.optional(),
    exclude: globs.optional(),
    rules: z
      .strictObject({
        disable: z.array(nonEmpty).optional(),
        severity: z.record(z.string(), severity).optional(),
      })
      .optional(),
    failOn: severity.optional(),
    baseline: nonEmpty.optional(),
    egress: z
      .strictObject({
        // "defaults" adds the default canaries (rules/egress) back to the given ones.
        canaries: z.array(z.union([z.literal("defaults"), hostPort])).optional(),
        allowedHosts: z.array(nonEmpty).optional(),
        proxy: z.url().optional(),
        timeoutMs: z.number().int().positive().optional(),
        dnsResolvers: z.array(nonEmpty).optional(),
        metadata: z.array(hostPort).optional(),
        ports: z.array(z.number().int().min(1).max(65535)).optional(),
        defaultTargets: z.boolean().optional(),
        firewallEvidence: z.boolean().optional(),
      })
      .optional(),
    gate: z
      .strictObject({
        mode: z.enum(["ask", "deny"]).optional(),
        allow: z.array(nonEmpty).optional(),
        deny: z.array(nonEmpty).optional(),
        ask: z.array(nonEmpty).optional(),
      })
      .optional(),
  });
}

let configSchemaValue: ReturnType<typeof buildConfigSchema> | undefined;
function configSchema(): ReturnType<typeof buildConfigSchema> {
  configSchemaValue ??= buildConfigSchema();
  return configSchemaValue;
}

/** The keys an object accepts at `path` of the schema (for did-you-mean hints). */
function knownKeysAt(path: PropertyKey[]): string[] {
  const { z } = zod();
  let s: Z.ZodType = configSchema();
  for (const seg of [undefined, ...path]) {
    while (s instanceof z.ZodOptional) s = s.unwrap() as Z.ZodType;
    if (seg === undefined) continue;
    if (!(s instanceof z.ZodObject)) return [];
    const next: Z.ZodType | undefined = (s.shape as Record<string, Z.ZodType>)[String(seg)];
    if (!next) return [];
    s = next;
  }
  while (s instanceof z.ZodOptional) s = s.unwrap() as Z.ZodType;
  return s instanceof z.ZodObject ? Object.keys(s.shape) : [];
}

function keyPath(path: PropertyKey[]): string {
  return path.map(String).join(".") || "(root)";
}

/** A key as the user wrote it, shortened: keys are names, but nothing foreign is echoed at length. */
function quoteKey(k: string): string {
  return JSON.stringify(k.length > 64 ? `${k.slice(0, 64)}…` : k);
}

/** Every rule id the loaded rules define (content, env and path rules). */
export function ruleIds(rules: RuleSet): string[] {
  return [...rules.content, ...rules.env, ...rules.paths].map((r) => r.id).sort();
}

/**
 * Validates parsed YAML. Returns the config or every error found, each naming its key path. Pure:
 * `dir` is the config file's directory, against which `baseline` is resolved.
 */
export function validateConfig(
  data: unknown,
  opts: { dir: string; ruleIds: readonly string[] },
): { config: AgentAuditConfig; errors: string[] } {
  const errors: string[] = [];
  // An empty file (or one holding only comments) is an empty config.
  const r = configSchema().safeParse(data ?? {});
  // Rule ids are checked on the raw data too, so they are reported alongside any schema error.
  const ruleErrors = unknownRuleIds(data, opts.ruleIds);
  if (!r.success) {
    for (const issue of r.error.issues) {
      if (issue.code === "unrecognized_keys") {
        const known = knownKeysAt(issue.path);
        for (const k of issue.keys) {
          errors.push(`${keyPath([...issue.path, k])}: unknown key ${quoteKey(k)}${hint(k, known)}`);
        }
      } else {
        errors.push(`${keyPath(issue.path)}: ${issue.message}`);
      }
    }
    return { config: EMPTY_CONFIG, errors: [...errors, ...ruleErrors] };
  }
  const d = r.data;
  const disable = d.rules?.disable ?? [];
  const sev = d.rules?.severity ?? {};
  const config: AgentAuditConfig = {
    include: d.include ?? [],
    exclude: d.exclude ?? [],
    rules: { disable, severity: sev },
  };
  if (d.failOn) config.failOn = d.failOn;
  if (d.baseline) config.baseline = resolve(opts.dir, d.baseline);
  if (d.egress) config.egress = d.egress;
  if (d.gate) config.gate = d.gate;
  return { config, errors: ruleErrors };
}

/** rules.disable entries and rules.severity keys that name no loaded rule, with a did-you-mean hint. */
function unknownRuleIds(data: unknown, known: readonly string[]): string[] {
  const rules = (data as { rules?: unknown } | null)?.rules;
  if (typeof rules !== "object" || rules === null) return [];
  const { disable, severity } = rules as { disable?: unknown; severity?: unknown };
  const ids = new Set(known);
  const errors: string[] = [];
  const check = (id: string, path: string) => {
    if (!ids.has(id)) errors.push(`${path}: unknown rule id ${quoteKey(id)}${hint(id, ids)}`);
  };
  if (Array.isArray(disable)) {
    disable.forEach((id, i) => {
      if (typeof id === "string" && id.trim()) check(id, `rules.disable.${i}`);
    });
  }
  if (typeof severity === "object" && severity !== null && !Array.isArray(severity)) {
    for (const id of Object.keys(severity)) check(id, `rules.severity.${id}`);
  }
  return errors;
}

/**
 * Parses YAML text. Duplicate keys are errors (yaml's `uniqueKeys`, on by default, made explicit):
 * the second `exclude:` silently replacing the first is exactly the mistake a config check exists for.
 * yaml's own messages quote the offending source line, so only its error code and position are kept.
 */
export function parseConfigText(text: string): { data: unknown; errors: string[] } {
  const doc = yaml().parseDocument(text, { uniqueKeys: true });
  if (doc.errors.length) {
    const errors = doc.errors.map((e) => {
      const at = e.linePos?.[0];
      const where = at ? `line ${at.line}, column ${at.col}` : "(root)";
      let what = e.code.toLowerCase().replace(/_/g, " ");
      if (e.code === "DUPLICATE_KEY") {
        const key = text.slice(e.pos[0], e.pos[1] + 64).match(/^[A-Za-z0-9_.-]{1,64}/)?.[0];
        if (key) what = `duplicate key "${key}"`;
      }
      return `${where}: ${what}`;
    });
    return { data: undefined, errors };
  }
  return { data: doc.toJS({ maxAliasCount: 100 }), errors: [] };
}

/**
 * Loads agent-audit.yaml from `path` (must exist), or from `<root>/agent-audit.yaml` when present.
 * Every error is reported at once as one UsageError (exit 2), each line naming its key path.
 */
export async function loadConfig(opts: {
  path?: string;
  root: string;
  /** Rule ids that rules.disable / rules.severity may name; default: the packaged rules. */
  ruleIds?: readonly string[];
}): Promise<{ config: AgentAuditConfig; file?: string }> {
  const file = opts.path ?? join(opts.root, DEFAULT_CONFIG_FILE);
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === "ENOENT" && !opts.path) return { config: EMPTY_CONFIG };
    if (code === "ENOENT") {
      throw new UsageError(
        `--config ${file}: no such file`,
        `pass an existing agent-audit.yaml, or omit --config to use <root>/${DEFAULT_CONFIG_FILE} when present`,
      );
    }
    throw new UsageError(`cannot read config ${file}: ${safeMessage(e)}`);
  }
  const parsed = parseConfigText(text);
  let errors = parsed.errors;
  let config = EMPTY_CONFIG;
  if (!errors.length) {
    const v = validateConfig(parsed.data, {
      dir: dirname(file),
      ruleIds: opts.ruleIds ?? ruleIds(defaultRules()),
    });
    config = v.config;
    errors = v.errors;
  }
  if (errors.length) {
    throw new UsageError(
      `invalid config ${file}:\n  ${errors.join("\n  ")}`,
      "fix the keys listed above (see the README's config file reference)",
    );
  }
  return { config, file };
}
