import { dirname, join, resolve } from "node:path";
import type { z as Z } from "zod";
import { SEVERITIES, type Severity } from "../contract/types.js";
import { quoteName, shownPath } from "../detect/echo.js";
import { catalogRuleIds, defaultRules, type RuleSet } from "../rules/catalog.js";
import { confinementOf, isUnder } from "../util/confine.js";
import { safeMessage, UsageError } from "../util/errors.js";
import { yaml, zod } from "../util/lazy.js";
import { READ_LIMITS, readRegularText, UnsafeFileError } from "../util/safe-read.js";
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
    /** Per-rule decisions that replace the policy's (rule id -> allow | ask | deny). */
    decisions?: Record<string, "allow" | "ask" | "deny">;
    /** Commands to allow: each a match of rules/gate's form, checked by the gate when it loads them. */
    allow?: Record<string, unknown>[];
    /** The decision log (absolute, or relative to the config file); false: no log. */
    log?: string | false;
  };
  /** `agent-audit watch` (issue 14): what it reads and where its alerts go. */
  alerting?: {
    /** `KIND:PATH` (squid, sandbox-runtime, smokescreen, nftables) or `journal[:UNIT]`, as `--source` takes them. */
    sources?: string[];
    /** `stdout`, `file:PATH`, `syslog[:udp://HOST:PORT]`, `webhook:URL`, `slack:URL`, as `--sink` takes them. */
    sinks?: string[];
    /** The state file (offsets, queue): absolute, or relative to the config file. */
    state?: string;
    /** One alert per destination per window of this many seconds. */
    windowSeconds?: number;
    /** Alerts per minute at most; the excess is folded into a summary. */
    maxAlertsPerMinute?: number;
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
        decisions: z
          .record(z.string(), z.enum(["allow", "ask", "deny"]))
          .superRefine((rec, ctx) => {
            for (const key of Object.keys(rec))
              if (!/^gate-[a-z0-9-]+$/.test(key))
                ctx.addIssue({ code: "custom", path: [key], message: "must be a gate rule id (gate-...)" });
          })
          .optional(),
        allow: z.array(z.record(z.string(), z.unknown())).optional(),
        log: z.union([nonEmpty, z.literal(false)]).optional(),
      })
      .optional(),
    alerting: z
      .strictObject({
        sources: z
          .array(
            z
              .string()
              .regex(
                /^(squid|sandbox-runtime|smokescreen|nftables):\S.*$|^journal(:\S+)?$/,
                "must be KIND:PATH (squid, sandbox-runtime, smokescreen, nftables) or journal[:UNIT]",
              ),
          )
          .optional(),
        sinks: z
          .array(
            z
              .string()
              .regex(
                /^(stdout|syslog(:udp:\/\/\S+)?|file:\S.*|webhook:https?:\/\/\S+|slack:https?:\/\/\S+)$/,
                "must be stdout, file:PATH, syslog, syslog:udp://HOST:PORT, webhook:URL or slack:URL",
              ),
          )
          .optional(),
        state: nonEmpty.optional(),
        windowSeconds: z.number().int().min(1).max(86_400).optional(),
        maxAlertsPerMinute: z.number().int().min(1).max(100_000).optional(),
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

// Keys and rule ids are echoed through quoteName/shownPath (echo.ts): the config may be the
// agent's, and a key may be a token (issue 8).
const keyPath = shownPath;
const quoteKey = quoteName;

/**
 * Every rule id a report can contain: the rule catalog's (src/rules), that is the rule set's
 * content, env and path rules and the rules declared in code (mounts, sockets, egress verdicts).
 */
export function ruleIds(rules: RuleSet): string[] {
  return catalogRuleIds(rules);
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
  if (d.gate) {
    config.gate = { ...d.gate };
    if (typeof d.gate.log === "string") config.gate.log = resolve(opts.dir, d.gate.log);
  }
  if (d.alerting) {
    config.alerting = { ...d.alerting };
    if (d.alerting.state) config.alerting.state = resolve(opts.dir, d.alerting.state);
    // Relative log and sink paths are the config file's too.
    if (d.alerting.sources)
      config.alerting.sources = d.alerting.sources.map((s) => {
        const i = s.indexOf(":");
        return i > 0 && !s.startsWith("journal")
          ? `${s.slice(0, i)}:${resolve(opts.dir, s.slice(i + 1))}`
          : s;
      });
    if (d.alerting.sinks)
      config.alerting.sinks = d.alerting.sinks.map((s) =>
        s.startsWith("file:") ? `file:${resolve(opts.dir, s.slice(5))}` : s,
      );
  }
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
    for (const id of Object.keys(severity)) check(id, shownPath(["rules", "severity", id]));
  }
  return errors;
}

/** Nesting a config never needs (it has four levels): deeper YAML is refused before it is parsed. */
const MAX_NESTING = 64;
const MAX_INDENT = 256;
/** yaml errors listed at most; a garbage file yields hundreds. */
const MAX_ERRORS = 10;

/**
 * Refuses, in one linear pass, the shapes on which the yaml parser is superlinear or worse (issue 8):
 * 100,000 nested `- ` on one line ran it out of memory, `a: a: a: ...` took seconds per 100 KB, as
 * did 200,000 `[`. Counts flow brackets (quoted ones too: a config's globs hold a few at most),
 * block indicators per line and indentation.
 */
function nestingError(text: string): string | undefined {
  let flow = 0;
  let lineNo = 0;
  for (let start = 0; start <= text.length; ) {
    lineNo++;
    const nl = text.indexOf("\n", start);
    const end = nl === -1 ? text.length : nl;
    let indent = 0;
    while (start + indent < end && (text[start + indent] === " " || text[start + indent] === "\t")) indent++;
    if (indent > MAX_INDENT) return `line ${lineNo}: indented more than ${MAX_INDENT} columns`;
    let indicators = 0;
    for (let k = start; k < end; k++) {
      const c = text.charCodeAt(k);
      if (c === 0x5b || c === 0x7b) {
        if (++flow > MAX_NESTING) return `line ${lineNo}: nested more than ${MAX_NESTING} levels deep`;
      } else if (c === 0x5d || c === 0x7d) {
        if (flow > 0) flow--;
      } else if (c === 0x2d || c === 0x3f || c === 0x3a) {
        // `-`, `?` or `:` followed by a blank or the end of the line: a block indicator.
        const next = k + 1 < end ? text.charCodeAt(k + 1) : 0x20;
        if ((next === 0x20 || next === 0x09) && ++indicators > MAX_NESTING)
          return `line ${lineNo}: nested more than ${MAX_NESTING} levels deep`;
      }
    }
    if (nl === -1) break;
    start = nl + 1;
  }
  return undefined;
}

/** Tokens that carry no structure: any number of them may precede or follow a node. */
const TRIVIA = new Set(["space", "newline", "comment", "byte-order-mark"]);
/** Structural tokens (anchors, tags, indicators, stray values) that one node may carry at most. */
const MAX_NODE_TOKENS = 8;

/**
 * A linear pass over yaml's concrete syntax tree, before the document is composed: the composer is
 * quadratic in the number of tokens attached to one node (issue 8: 256 KiB of `"` took 211 s, of
 * `*a ` or `&a ` four minutes). A real node carries an anchor, a tag and an indicator or two; more
 * than MAX_NODE_TOKENS structural tokens before, between or after one, more than one document or
 * a pile of directives is refused here. Walks with a stack, not recursion.
 */
function cstError(y: ReturnType<typeof yaml>, text: string): string | undefined {
  const lc = new y.LineCounter();
  const where = (offset: number) => {
    const p = lc.linePos(offset);
    return `line ${p.line}, column ${p.col}`;
  };
  let documents = 0;
  let directives = 0;
  const stack: unknown[] = [];
  for (const token of new y.Parser(lc.addNewLine).parse(text)) {
    if (token.type === "document" && ++documents > 1)
      return `${where(token.offset)}: more than one YAML document`;
    if (token.type === "directive" && ++directives > MAX_NODE_TOKENS)
      return `${where(token.offset)}: more than ${MAX_NODE_TOKENS} YAML directives`;
    stack.push(token);
  }
  while (stack.length) {
    const node = stack.pop();
    if (typeof node !== "object" || node === null) continue;
    if (Array.isArray(node)) {
      for (const item of node) stack.push(item);
      continue;
    }
    for (const [k, v] of Object.entries(node)) {
      if (typeof v !== "object" || v === null) continue;
      if ((k === "start" || k === "end" || k === "sep") && Array.isArray(v)) {
        let structural = 0;
        for (const t of v as { type?: string; offset?: number }[]) {
          if (t.type && !TRIVIA.has(t.type) && ++structural > MAX_NODE_TOKENS)
            return `${where(t.offset ?? 0)}: not valid YAML (too many tokens on one value)`;
        }
      }
      stack.push(v);
    }
  }
  return undefined;
}

/**
 * Parses YAML text. Duplicate keys are errors: the second `exclude:` silently replacing the first
 * is exactly the mistake a config check exists for. They are found here, one set per mapping, not
 * with yaml's `uniqueKeys`, which compares every key with every other (10,000 keys took 2 s, and a
 * 1 MiB file minutes: issue 8). yaml's own messages quote the offending source line, so only its
 * error code and position are kept. Never throws: an alias bomb ("Excessive alias count") or a
 * nesting deep enough to exhaust the stack is one error line, not a stack trace (issue 8).
 */
export function parseConfigText(text: string): { data: unknown; errors: string[] } {
  const deep = nestingError(text);
  if (deep) return { data: undefined, errors: [deep] };
  const y = yaml();
  const lineCounter = new y.LineCounter();
  let doc: ReturnType<typeof y.parseDocument>;
  try {
    const shape = cstError(y, text);
    if (shape) return { data: undefined, errors: [shape] };
    doc = y.parseDocument(text, { uniqueKeys: false, lineCounter });
  } catch (e) {
    return { data: undefined, errors: [`(root): cannot parse the YAML (${safeMessage(e)})`] };
  }
  const at = (offset: number | undefined) => {
    if (offset === undefined) return "(root)";
    const p = lineCounter.linePos(offset);
    return `line ${p.line}, column ${p.col}`;
  };
  const errors = doc.errors.map((e) => `${at(e.pos[0])}: ${e.code.toLowerCase().replace(/_/g, " ")}`);
  if (!errors.length) {
    y.visit(doc, {
      Map(_, map) {
        const seen = new Set<string>();
        for (const pair of map.items) {
          const key = pair.key;
          const name = y.isScalar(key) ? String(key.value) : undefined;
          if (name === undefined) {
            errors.push(`${at(y.isNode(key) ? key.range?.[0] : undefined)}: a key must be a plain name`);
          } else if (seen.has(name)) {
            errors.push(
              `${at(key && y.isNode(key) ? key.range?.[0] : undefined)}: duplicate key ${quoteKey(name)}`,
            );
          } else seen.add(name);
        }
      },
    });
  }
  if (errors.length) {
    const more = errors.length > MAX_ERRORS ? [`(and ${errors.length - MAX_ERRORS} more)`] : [];
    return { data: undefined, errors: [...errors.slice(0, MAX_ERRORS), ...more] };
  }
  try {
    return { data: doc.toJS({ maxAliasCount: 100 }), errors: [] };
  } catch (e) {
    // yaml throws a ReferenceError for more than maxAliasCount alias expansions (a "billion laughs").
    const aliases = e instanceof Error && /alias/i.test(e.message);
    return {
      data: undefined,
      errors: [
        aliases
          ? "(root): too many YAML alias expansions (more than 100)"
          : `(root): cannot read the YAML (${safeMessage(e)})`,
      ],
    };
  }
}

/** Where the config came from, for the report and for what it may affect (issue 8, trust model). */
export interface LoadedConfig {
  config: AgentAuditConfig;
  /** The file read; absent when no config was found. */
  file?: string;
  /**
   * true: found inside the audited root (not named with --config). The agent can write there, so
   * its rules, severities and failOn apply to the tree's findings only, and its `baseline` must lie
   * inside the root.
   */
  discovered: boolean;
  /** The real path the discovered config's files are confined to (the system root's, for an image). */
  confineTo?: string;
}

/**
 * Loads agent-audit.yaml from `path` (must exist), or from `<root>/agent-audit.yaml` when present.
 * Every error is reported at once as one UsageError (exit 2), each line naming its key path.
 * Read as a regular file of at most 1 MiB without blocking (a FIFO or a link to a device is an
 * error, not a hang); a config found inside an image (--system-root) is confined to the image.
 */
export async function loadConfig(opts: {
  path?: string;
  root: string;
  /** Rule ids that rules.disable / rules.severity may name; default: the catalog of the packaged rules. */
  ruleIds?: readonly string[];
  /** The audited image's root ("/" or absent: none). */
  systemRoot?: string;
}): Promise<LoadedConfig> {
  const discovered = opts.path === undefined;
  const file = opts.path ?? join(opts.root, DEFAULT_CONFIG_FILE);
  const label = discovered ? `config ${file}` : `--config ${file}`;
  let confineTo: string | undefined;
  if (discovered) {
    // Issue 8: a config found in a root inside the audited image must not be a link out of it.
    const conf = await confinementOf(opts.systemRoot ?? "/", opts.root);
    // A root that itself leads out of the image is not scanned (tree.ts says so): nothing of it is read.
    if (conf.kind === "escapes") return { config: EMPTY_CONFIG, discovered };
    if (conf.kind === "inside") confineTo = conf.root;
  }
  let text: string;
  try {
    text = await readRegularText(file, { maxBytes: READ_LIMITS.config, confineTo });
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === "ENOENT" && discovered) return { config: EMPTY_CONFIG, discovered };
    if (code === "ENOENT") {
      throw new UsageError(
        `--config ${file}: no such file`,
        `pass an existing agent-audit.yaml, or omit --config to use <root>/${DEFAULT_CONFIG_FILE} when present`,
      );
    }
    if (e instanceof UnsafeFileError) throw unsafeFile(label, e);
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
    // Issue 8: `agent-audit baseline` writes where the config says; a config the agent wrote must
    // not point that write (or the read) outside the audited root.
    if (discovered && config.baseline && !isUnder(resolve(opts.root), config.baseline))
      errors = [...errors, "baseline: must lie inside the audited root (this config was found there)"];
  }
  if (errors.length) {
    throw new UsageError(
      `invalid config ${file}:\n  ${errors.join("\n  ")}`,
      "fix the keys listed above (see the README's config file reference)",
    );
  }
  return confineTo ? { config, file, discovered, confineTo } : { config, file, discovered };
}

/** One line for a file that is not read (a FIFO, a device, too big, a link out of the image). */
export function unsafeFile(label: string, e: UnsafeFileError): UsageError {
  if (e.code === "outside-root")
    return new UsageError(
      `${label} leads outside --system-root`,
      "a link in the audited image is not followed",
    );
  if (e.code === "too-large") return new UsageError(`${label} ${e.message}`);
  return new UsageError(`${label} ${e.message}`, "pass a regular file");
}
