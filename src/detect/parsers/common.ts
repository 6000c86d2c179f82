import { defaultRules, type RuleSet } from "../../rules/catalog.js";
import type { Detection } from "../../rules/types.js";
import { type ContentScanner, sharedScanner as sharedContentScanner, TextIndex } from "../content.js";
import { detectEnvVar } from "../env.js";
import { looksRandom } from "../randomness.js";

// Shared pieces of the structural parsers: the contract (ParseInput/ParseResult), the detection
// builder that applies the path rule's metadata, the key-name classifier and the value gates.
// Parsers are pure: text in, detections out; they never touch the filesystem.

/** What a structural parser gets: the file's text and where it came from. */
export interface ParseInput {
  text: string;
  /** The file's bytes, for a parser of a binary format (pkcs12); `text` is their UTF-8 (or UTF-16) decoding. */
  bytes?: Uint8Array;
  /** Path as reported (relative to home/root, or absolute). */
  path: string;
  /** The path rule that selected the file (its provider, severity, remediation), if any. */
  rule?: {
    id: string;
    provider: string;
    title: string;
    severity: Detection["severity"];
    remediation: string;
  };
}

export interface ParseResult {
  detections: Detection[];
  /** Set when the file could not be parsed as its format; the caller records an issue and text-scans it. */
  malformed?: string;
  /** Things the parser could not judge (recorded as issues; unlike `malformed`, the file is not text-scanned). */
  issues?: string[];
}

export type Parser = (input: ParseInput) => ParseResult;

/**
 * Where values lie in one file's text, found in linear time (issue 8). Parsers report each secret's
 * line by looking its value up in the text; done from the start of the text for every secret, that
 * was a pass over the file per secret (20,000 secrets in a 1 MB JSON: 8.7 s). Here:
 * - lines come from one index of line starts (content.ts TextIndex), built once;
 * - a lookup starts at a cursor, where the previous value was found: parsers report values in
 *   document order, so a well-formed file is searched about once in all;
 * - a value not found after the cursor is looked for from the start, and every search is charged to
 *   a budget of a few passes over the text: a hostile file whose values are out of order or absent
 *   (written with other escapes) spends it, and the lookups after that report no line instead of
 *   scanning again. A finding without a line is still a finding.
 * One locator per parse of one text: the budget and the cursor belong to that parse.
 */
export class TextLocator {
  private budget: number;
  private cursor = 0;
  private index: TextIndex | undefined;
  constructor(readonly text: string) {
    this.budget = 8 * text.length + (1 << 20);
  }

  /** `text.indexOf(needle, from)`, charged to the budget; -1 once the budget is spent. */
  private search(needle: string, from: number): number {
    if (this.budget <= 0 || needle === "") return -1;
    const i = this.text.indexOf(needle, from);
    this.budget -= 1 + (i < 0 ? this.text.length - from : i + needle.length - from);
    return i;
  }

  /** Offset of `needle` at or after `from` (the cursor), else from the start; the cursor moves there. */
  find(needle: string, from = this.cursor): number {
    let i = this.search(needle, from);
    if (i < 0 && from > 0) i = this.search(needle, 0);
    if (i >= 0) this.cursor = i;
    return i;
  }

  /** True when `needle` occurs in the text (within the budget). */
  includes(needle: string): boolean {
    return this.find(needle) !== -1;
  }

  /** 1-based line of a UTF-16 offset. */
  lineAt(offset: number): number {
    this.index ??= new TextIndex(this.text);
    return this.index.lineOf(offset) + 1;
  }

  /** 1-based line of the first occurrence of `needle` at or after `from` (the cursor), or undefined. */
  lineOf(needle: string, from?: number): number | undefined {
    const i = this.find(needle, from);
    return i < 0 ? undefined : this.lineAt(i);
  }

  /**
   * Line of a value that may appear escaped in its file: raw, JSON-escaped (a PEM key in a
   * service-account JSON has "\n" escapes), or, for a multi-line value, by its first line. Every
   * form is looked for after `from` (the cursor) before any is looked for from the start.
   */
  line(value: string, from = this.cursor): number | undefined {
    const candidates = [value];
    const escaped = JSON.stringify(value).slice(1, -1);
    if (escaped !== value) candidates.push(escaped);
    const first = (value.includes("\n") ? value.split("\n").find((l) => l.trim().length > 0) : value)?.trim();
    if (first && first !== value) candidates.push(first);
    for (const c of candidates) {
      const i = this.search(c, from);
      if (i >= 0) return this.at(i);
    }
    if (from > 0) {
      for (const c of candidates) {
        const i = this.search(c, 0);
        if (i >= 0) return this.at(i);
      }
    }
    return undefined;
  }

  private at(i: number): number {
    this.cursor = i;
    return this.lineAt(i);
  }
}

// The rule set a parse judges values with (placeholders, env rules): the one the scan was given,
// custom rules too (issue 9: the parsers judged with the packaged rules whatever the scan used).
// Parsers are synchronous, so runParser binds the set for exactly the duration of one parse; the
// helpers below (isPlaceholder, acceptValue, judgeEnv) read it from there, and no parser needs a
// rule-set parameter of its own. A parser called directly, outside runParser (unit tests, ad-hoc
// use), judges with the packaged rules.
let bound: RuleSet | undefined;

/** Runs a structural parser with `rules` as the rule set its value judgements use. */
export function runParser(parser: Parser, input: ParseInput, rules: RuleSet): ParseResult {
  const outer = bound;
  bound = rules;
  try {
    return parser(input);
  } finally {
    bound = outer;
  }
}

/** The rule set of the parse in progress. */
function activeRules(): RuleSet {
  return bound ?? defaultRules();
}

/**
 * A content scanner over the parse's rule set, for placeholder checks and env-style judgements:
 * without disabled rules (a disabled rule still judges what a value is).
 */
export function sharedScanner(rules: RuleSet = activeRules()): ContentScanner {
  return sharedContentScanner(rules);
}

/** Documentation placeholders and references to another variable (`${env:X}`, `$X`, `{{ X }}`). */
export function isPlaceholder(value: string): boolean {
  return sharedScanner().isPlaceholder(value.trim());
}

/** The fallback metadata when a parser runs without a path rule (tests, ad-hoc use). */
const FALLBACK = {
  id: "structured-file-secret",
  provider: "generic",
  title: "Secret in a credential file",
  severity: "high" as const,
  remediation:
    "Do not leave long-lived credentials where the agent can read them: use short-lived, narrow credentials or a keyring.",
};

export interface Found {
  secret: string;
  type: string;
  /** Key path, e.g. `default.aws_secret_access_key` or `mcpServers.github.env.GITHUB_TOKEN`. */
  name?: string;
  line?: number;
  provider?: string;
  severity?: Detection["severity"];
  kind?: Detection["kind"];
  /** The content or env rule that judged the value, so disabling that rule disables this too. */
  viaRuleId?: string;
  /** The value as written, when `secret` was decoded from it (Detection.encoded). */
  encoded?: string;
}

/** A structural detection: the path rule's id and metadata, priority 2 (content rules outrank it). */
export function detection(input: ParseInput, f: Found): Detection {
  const rule = input.rule ?? FALLBACK;
  const d: Detection = {
    ruleId: rule.id,
    provider: f.provider ?? rule.provider,
    type: f.type,
    severity: f.severity ?? rule.severity,
    title: rule.title,
    remediation: rule.remediation,
    secret: f.secret,
    priority: 2,
  };
  if (f.kind) d.kind = f.kind;
  if (f.viaRuleId) d.viaRuleId = f.viaRuleId;
  if (f.encoded !== undefined && f.encoded !== f.secret) d.encoded = f.encoded;
  if (f.name !== undefined) d.name = stripKeyUserinfo(f.name);
  if (f.line !== undefined) d.line = f.line;
  return d;
}

/**
 * A key path with the userinfo of any URL in it replaced by `***` (issue 8 item 5): an .npmrc,
 * docker `auths` or composer key may be `https://user:pa ss"word@host/`, and the key path is
 * printed. Everything from the first `//` to the LAST `@` of the path goes, whatever the password
 * holds (quotes, spaces, `/`, `@`, `.`): over-cutting only shortens the name, under-cutting would
 * print the password.
 */
export function stripKeyUserinfo(name: string): string {
  const slashes = name.indexOf("//");
  if (slashes === -1) return name;
  const at = name.lastIndexOf("@");
  if (at < slashes) return name;
  return `${name.slice(0, slashes + 2)}***${name.slice(at)}`;
}

/** Splits a key into lower-case words: `aws_secret_access_key`, `SecretAccessKey`, `client-key-data`, `//host/:_authToken`. */
export function keyWords(key: string): string[] {
  return key
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .replace(/([A-Z]+)([A-Z][a-z])/g, "$1_$2")
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
}

/**
 * Last words that make a key describe a secret rather than hold one: `token_uri`, `token_type`,
 * `password_file`, `credential_process`, `apiKeyHelper`, `credsStore`, `bearer_token_env_var`,
 * `expires_at`.
 */
const NOT_A_VALUE = new Set([
  "id",
  "ids",
  "name",
  "names",
  "user",
  "username",
  "login",
  "email",
  "address",
  "path",
  "file",
  "files",
  "dir",
  "url",
  "uri",
  "endpoint",
  "host",
  "hostname",
  "port",
  "type",
  "types",
  "expires",
  "expiry",
  "expiration",
  "at",
  "in",
  "date",
  "time",
  "region",
  "scope",
  "scopes",
  "provider",
  "helper",
  "helpers",
  "process",
  "cmd",
  "command",
  "var",
  "env",
  "format",
  "algorithm",
  "length",
  "ttl",
  "kind",
  "method",
  "mode",
  "enabled",
  "disabled",
  "required",
  "store",
  "stores",
  "cache",
  "storage",
  "location",
  "prompt",
  "policy",
  "version",
  "hint",
  "fingerprint",
  "responses",
  "count",
  "source",
  // References to where a secret lives (issue 15): secretKeyRef, tokenSecretRef, *_secret_arn,
  // secretProviderClass, secretKeySelector.
  "ref",
  "refs",
  "arn",
  "arns",
  "class",
  "selector",
]);

/**
 * Keys that name where a secret lives rather than hold it, beyond a reference word at the end
 * (NOT_A_VALUE): a key the word `existing` is part of (Helm's existingSecret, existingSecretKey,
 * existing_secret_password_key: the name of a Secret that exists already), and the key of a password
 * within a Secret (passwordKey, adminPasswordKey, password_secret_key). `secretKey` and
 * `secret_key` still hold secrets.
 */
function isReferenceKey(w: string[]): boolean {
  if (w.includes("existing")) return true;
  const last = w[w.length - 1];
  if (last !== "key" && last !== "keys") return false;
  let i = w.length - 2;
  if (w[i] === "secret") i--;
  const before = w[i];
  return before === "password" || before === "passwd" || before === "pwd";
}

/**
 * The secret type a key name announces, or undefined. `aws_secret_access_key` → secret-access-key,
 * `refresh_token` → refresh-token, `ossrhPassword` → password, `client-key-data` → private-key.
 */
export function classifyKey(key: string): string | undefined {
  const w = keyWords(key);
  if (w.length === 0) return undefined;
  if (NOT_A_VALUE.has(w[w.length - 1]!) || isReferenceKey(w)) return undefined;
  const has = (s: string) => w.includes(s);
  if (has("password") || has("passwd") || has("pwd") || has("pass") || has("passphrase")) return "password";
  if ((has("private") && has("key")) || has("privatekey") || (has("client") && has("key") && has("data")))
    return "private-key";
  if (has("secret")) {
    if (has("client")) return "client-secret";
    if (has("access") && has("key")) return "secret-access-key";
    if (has("key")) return "secret-key";
    return "secret";
  }
  const tokenIdx = w.findIndex((x) => x === "token" || x === "accesstoken" || x === "authtoken");
  if (tokenIdx >= 0) {
    const prev = w[tokenIdx - 1];
    if (w[tokenIdx] === "accesstoken" || prev === "access") return "access-token";
    if (prev === "refresh") return "refresh-token";
    if (prev === "id") return "id-token";
    if (prev === "session" || prev === "security") return "session-token";
    return "token";
  }
  if ((has("api") && has("key")) || has("apikey")) return "api-key";
  return undefined;
}

/** Values that are never secrets whatever their key says: booleans, numbers, empty strings. */
function trivial(v: string): boolean {
  return v.length === 0 || /^(true|false|yes|no|on|off|null|none|nil|undefined|\d+)$/i.test(v);
}

/**
 * Values that sit in secret-named fields but are public by design: the OAuth client secret of the
 * gcloud CLI's installed-application client, written into every `authorized_user` ADC file. Google:
 * for installed apps "the client secret is obviously not treated as a secret"
 * (https://developers.google.com/identity/protocols/oauth2#installed).
 */
const PUBLIC_VALUES = new Set(["d-FL95Q19q7MQmFpd7hHD0Ty"]);

/**
 * Does a string under a secret-named key hold a secret? Passwords: any non-trivial, non-placeholder
 * value of 4+ characters (a credential file's password field is a password even when it is a word).
 * Private keys: PEM text or a long blob. Tokens and other secrets: the value must look generated.
 */
export function acceptValue(type: string, value: string): boolean {
  const v = value.trim();
  if (trivial(v) || isPlaceholder(v) || PUBLIC_VALUES.has(v)) return false;
  if (type === "password") return v.length >= 4;
  if (type === "private-key") return /PRIVATE KEY/.test(v) || looksRandom(v, 32);
  return looksRandom(v, 8);
}

/** One finding of judgeEnv: the secret, its type and provider, and the rule that judged it. */
export interface JudgedEnv {
  secret: string;
  type: string;
  provider: string;
  ruleId: string;
}

const NONE: readonly JudgedEnv[] = Object.freeze([]);

/**
 * A variable as the environment source would judge it (src/detect/env.ts), so an `env` block in an
 * agent config and the agent's real environment give the same answer. Returns the secret and type.
 */
export function judgeEnv(name: string, value: string): JudgedEnv[] {
  return [...envJudge()(name, value)];
}

/**
 * judgeEnv for many variables of one parse (a dotenv file of thousands, issue 15): the rule set
 * and its scanner looked up once, and no array made for a variable that holds no secret (the
 * shared empty result is frozen).
 */
export function envJudge(): (name: string, value: string) => readonly JudgedEnv[] {
  const rules = activeRules();
  const scanner = sharedScanner(rules);
  return (name, value) => {
    // The scanner is sharedScanner(rules): made from these rules, so their keywords are its own.
    const ds = detectEnvVar(name, value, rules, scanner, true);
    if (ds.length === 0) return NONE;
    return ds.map((d) => ({ secret: d.secret, type: d.type, provider: d.provider, ruleId: d.ruleId }));
  };
}

/**
 * Findings for one variable of an `env` block in a config file (MCP servers, Claude settings,
 * kubeconfig exec), judged like the agent's environment and reported at `keyPath`.
 */
export function envVarFindings(name: string, value: string, keyPath: string, loc: TextLocator): Found[] {
  return judgeEnv(name, value).map((j) => ({
    secret: j.secret,
    type: j.type,
    viaRuleId: j.ruleId,
    name: keyPath,
    line: loc.line(j.secret),
    ...(j.provider !== "generic" ? { provider: j.provider } : {}),
  }));
}

/** Decodes standard or URL-safe base64, or undefined when the text is not base64. */
export function decodeBase64(s: string): Buffer | undefined {
  const t = s.trim().replace(/\s+/g, "");
  if (t.length === 0 || !/^[A-Za-z0-9+/_-]+={0,2}$/.test(t)) return undefined;
  return Buffer.from(t.replace(/-/g, "+").replace(/_/g, "/"), "base64");
}

/** `user:password` from base64 (docker `auth`, npm `_auth`), or undefined when it does not decode to that. */
export function decodeBasicAuth(s: string): { user: string; password: string } | undefined {
  const buf = decodeBase64(s);
  if (!buf) return undefined;
  const text = buf.toString("utf8");
  // Printable text only: a random blob that happens to be valid base64 is not user:pass.
  if (!/^[\x20-\x7e]+$/.test(text)) return undefined;
  const i = text.indexOf(":");
  if (i < 0) return undefined;
  return { user: text.slice(0, i), password: text.slice(i + 1) };
}

type Json = unknown;

/** A parsed JSON/YAML/TOML object (not null, not an array). */
export type Obj = Record<string, unknown>;
export const isObj = (v: unknown): v is Obj => v !== null && typeof v === "object" && !Array.isArray(v);

/**
 * Generic walk over parsed JSON/YAML/TOML: every string whose key announces a secret and whose
 * value passes the gate. `skip` names keys whose subtrees another extractor handles. A handful of
 * container keys name hosts whose string children are tokens (composer `github-oauth`, `bearer`).
 */
export function walkKeys(
  root: Json,
  visit: (f: { path: string; key: string; type: string; value: string }) => void,
  skip: (path: string[], key: string) => boolean = () => false,
): void {
  // Iterative (issue 8: a hostile file nested 100,000 deep overflowed the call stack and threw out
  // of the parser), in document order: children are pushed in reverse. Below MAX_WALK_DEPTH levels
  // nothing is walked, which also bounds the path copied per node; the file's text scan still runs.
  interface Frame {
    node: Json;
    path: string[];
    key: string | undefined;
    /** The secret type of a string at this frame (its key's, or its container's). */
    type: string | undefined;
    /** The type a container passes on to its string children (composer's host-keyed containers). */
    inherited: string | undefined;
  }
  const stack: Frame[] = [{ node: root, path: [], key: undefined, type: undefined, inherited: undefined }];
  while (stack.length > 0) {
    const { node, path, key, type, inherited } = stack.pop()!;
    if (typeof node === "string") {
      if (key !== undefined && type && acceptValue(type, node))
        visit({ path: path.join("."), key, type, value: node });
      continue;
    }
    if (node === null || typeof node !== "object" || path.length >= MAX_WALK_DEPTH) continue;
    const children: Frame[] = [];
    if (Array.isArray(node)) {
      for (let i = 0; i < node.length; i++)
        if (typeof node[i] !== "string")
          children.push({
            node: node[i],
            path: [...path, String(i)],
            key: String(i),
            type: undefined,
            inherited: undefined,
          });
    } else {
      const obj = node as Record<string, Json>;
      // Entra ID (MSAL) token caches store every token under `secret` with its kind beside it.
      const msalType =
        typeof obj.credential_type === "string" ? kebab(obj.credential_type as string) : undefined;
      for (const [k, value] of Object.entries(obj)) {
        if (skip(path, k)) continue;
        let t = classifyKey(k);
        if (t === "secret" && msalType) t = msalType;
        if (typeof value === "string") {
          const st = t ?? (inherited && !classifiesAsNonSecret(k) ? inherited : undefined);
          if (st) children.push({ node: value, path: [...path, k], key: k, type: st, inherited: undefined });
          continue;
        }
        children.push({
          node: value,
          path: [...path, k],
          key: k,
          type: undefined,
          inherited: INHERITING.has(k.toLowerCase()) ? "token" : isSecretSelector(value) ? undefined : t,
        });
      }
    }
    for (let i = children.length - 1; i >= 0; i--) stack.push(children[i]!);
  }
}

/**
 * A Kubernetes SecretKeySelector (`password: {name: pg-creds, key: password}`, Prometheus
 * basicAuth, secretKeyRef): the Secret's name and the key within it, a reference (issue 15). Its
 * strings do not inherit the secret type of the key that holds it.
 */
function isSecretSelector(v: unknown): boolean {
  if (!isObj(v) || typeof v.name !== "string" || typeof v.key !== "string") return false;
  for (const k of Object.keys(v)) if (k !== "name" && k !== "key" && k !== "optional") return false;
  return true;
}

/** Nesting below which walkKeys does not descend (real credential files nest a few levels). */
export const MAX_WALK_DEPTH = 256;

/** Composer auth.json containers keyed by host (getcomposer.org/doc/articles/authentication-for-private-packages.md). */
const INHERITING = new Set(["github-oauth", "gitlab-oauth", "gitlab-token", "bearer"]);

function classifiesAsNonSecret(key: string): boolean {
  const w = keyWords(key);
  return w.length > 0 && NOT_A_VALUE.has(w[w.length - 1]!);
}

function kebab(s: string): string {
  return keyWords(s).join("-");
}

/** One finding per (secret, type): a value repeated under two keys is reported once. */
export function uniqueBySecret(found: Found[]): Found[] {
  const seen = new Set<string>();
  return found.filter((f) => {
    if (seen.has(f.secret)) return false;
    seen.add(f.secret);
    return true;
  });
}
