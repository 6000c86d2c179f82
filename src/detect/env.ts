import type { RuleSet } from "../rules/catalog.js";
import type { Detection, EnvRule } from "../rules/types.js";
import type { ContentScanner } from "./content.js";
import { looksRandom } from "./randomness.js";

/** user:password in a URL (DATABASE_URL, HTTPS_PROXY): returns the password, or undefined. */
export function urlPassword(value: string): string | undefined {
  // No `@`, no userinfo: most values end here without running the regex.
  if (!value.includes("@")) return undefined;
  const m = /^[a-z][a-z0-9+.-]*:\/\/([^:@/\s]*):([^@/\s]+)@/i.exec(value.trim());
  return m?.[2] ? safeDecode(m[2]) : undefined;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/**
 * What detectEnvVar needs of a rule set beyond its rules, built once per set (issue 15: a `.env`
 * of thousands of variables spent a third of its time on the name tests alone).
 */
interface EnvIndex {
  /** The env rules listing each exact (upper-case) variable name, in file order. */
  exact: Map<string, EnvRule[]>;
  /**
   * The shortest value a rule of another shape than url-userinfo takes (envRuleSecret: a value
   * shorter than the rule's minLength is no secret), so a shorter value without an `@` (no URL
   * password either) needs no name test at all.
   */
  minLength: number;
  /** The same over the rules that list exact names, and whether one of those is of shape url-userinfo. */
  exactMinLength: number;
  exactUrl: boolean;
  /**
   * A name pattern keeps state between calls (a `g` or `y` flag, which the catalog never sets):
   * then every test runs as it always did, none skipped by the value checks.
   */
  stateful: boolean;
  /**
   * The rules a value could satisfy, whatever the name, in file order, by whether the value holds
   * an `@` and by its length (capped at the largest minLength): `all` of them, and the `patterned`
   * ones (with a name pattern), which are all a name listed by no rule can pass.
   */
  byValue: [{ all: EnvRule[]; patterned: EnvRule[] }[], { all: EnvRule[]; patterned: EnvRule[] }[]];
  /** The content rules' keywords, for mayHoldKeyword; built when first asked. */
  keywords?: KeywordFilter;
}
const envIndexes = new WeakMap<RuleSet, EnvIndex>();

/** The last rule set asked for and its index: a dotenv file asks once per variable. */
let lastRules: RuleSet | undefined;
let lastIndex: EnvIndex | undefined;

/** The least value length a rule's shape gate lets through (0 for a minLength that is not a number). */
function least(rule: EnvRule): number {
  const m = rule.value.minLength;
  return Number.isNaN(m) ? 0 : Math.max(m, 0);
}

function envIndex(rules: RuleSet): EnvIndex {
  if (rules === lastRules && lastIndex) return lastIndex;
  let index = envIndexes.get(rules);
  if (!index) {
    const exact = new Map<string, EnvRule[]>();
    let minLength = Number.POSITIVE_INFINITY;
    let exactMinLength = Number.POSITIVE_INFINITY;
    let exactUrl = false;
    let stateful = false;
    // One list per value length from 0 to the largest minLength (at most 4,096): a longer value
    // takes the last, which holds every rule of its `@` class.
    let cap = 0;
    for (const rule of rules.env) {
      const url = rule.value.shape === "url-userinfo";
      if (!url) {
        minLength = Math.min(minLength, least(rule));
        cap = Math.max(cap, Math.min(Math.ceil(least(rule)), 4096));
      }
      if (rule.names.length > 0) {
        if (url) exactUrl = true;
        else exactMinLength = Math.min(exactMinLength, least(rule));
      }
      for (const n of rule.names) {
        const list = exact.get(n) ?? [];
        if (!list.includes(rule)) list.push(rule);
        exact.set(n, list);
      }
      for (const re of [rule.namePattern, ...rule.excludeNames])
        if (re && (re.global || re.sticky)) stateful = true;
    }
    const lists = (at: boolean) =>
      Array.from({ length: cap + 1 }, (_, len) => {
        const all = rules.env.filter((r) =>
          r.value.shape === "url-userinfo" ? at : len === cap || !(len < r.value.minLength),
        );
        return { all, patterned: all.filter((r) => r.namePattern !== undefined) };
      });
    index = { exact, minLength, exactMinLength, exactUrl, stateful, byValue: [lists(false), lists(true)] };
    envIndexes.set(rules, index);
  }
  lastRules = rules;
  lastIndex = index;
  return index;
}

/** A rule's name pattern passes the (upper-case) name and none of its exclusions does. */
function patternMatches(rule: EnvRule, upper: string): boolean {
  if (!rule.namePattern?.test(upper)) return false;
  for (const ex of rule.excludeNames) if (ex.test(upper)) return false;
  return true;
}

/**
 * A necessary condition for a value to hold a content rule's keyword, cheaper than the keyword
 * pass itself for the many short values of a dotenv file (issue 15: the pass's set-up per value
 * was a third of the time left). Every keyword occurrence starts with the keyword's first three
 * characters (its first two for a keyword of two), so a value without any of those trigrams holds
 * no keyword. Over-approximated, so that no folding the keyword matcher does can make it miss:
 * ASCII letters compared case-insensitively, and any value with a character beyond ASCII (which
 * latin1 or other folding might map onto a keyword character) always passes, as does every value
 * when a keyword is shorter than two characters. Tables of 16 K and 64 K bytes per rule set.
 */
interface KeywordFilter {
  /** True when the filter cannot judge (a keyword of fewer than two characters): every value passes. */
  always: boolean;
  /** Folded first two characters of the two-character keywords, by (a << 7) | b. */
  two: Uint8Array;
  /** Folded first three characters of the longer keywords, by trigramSlot. */
  three: Uint8Array;
}

const fold = (c: number) => (c >= 0x41 && c <= 0x5a ? c + 0x20 : c);
const trigramSlot = (a: number, b: number, c: number) => ((a << 9) ^ (b << 5) ^ c) & 0xffff;

function keywordFilter(rules: RuleSet): KeywordFilter {
  const f: KeywordFilter = { always: false, two: new Uint8Array(1 << 14), three: new Uint8Array(1 << 16) };
  for (const rule of rules.content) {
    for (const k of rule.keywords) {
      if (k.length < 2) f.always = true;
      const a = fold(k.charCodeAt(0));
      const b = fold(k.charCodeAt(1));
      // A keyword that starts beyond ASCII only occurs in a value that always passes.
      if (a > 0x7f || b > 0x7f) continue;
      if (k.length === 2) f.two[(a << 7) | b] = 1;
      else {
        const c = fold(k.charCodeAt(2));
        if (c <= 0x7f) f.three[trigramSlot(a, b, c)] = 1;
      }
    }
  }
  return f;
}

/**
 * The prefilter of `rules` as a function: false only when no keyword of `rules.content` can occur
 * in the value. For tests (test/detect/parsers/dotenv-fast.test.ts); detectEnvVar keeps its own.
 */
export function keywordPrefilter(rules: RuleSet): (value: string) => boolean {
  const f = keywordFilter(rules);
  return (value) => mayHoldKeyword(f, value);
}

/** False only when no content rule keyword can occur in the value (see KeywordFilter). */
function mayHoldKeyword(f: KeywordFilter, value: string): boolean {
  if (f.always) return true;
  let a = -1;
  let b = -1;
  for (let i = 0; i < value.length; i++) {
    const c = fold(value.charCodeAt(i));
    if (c > 0x7f) return true;
    if (b >= 0 && f.two[(b << 7) | c] === 1) return true;
    if (a >= 0 && f.three[trigramSlot(a, b, c)] === 1) return true;
    a = b;
    b = c;
  }
  return false;
}

/** The secret an env rule sees in a value, or undefined when the value's shape says "not a secret". */
export function envRuleSecret(rule: EnvRule, value: string, scanner: ContentScanner): string | undefined {
  const v = value.trim();
  if (rule.value.shape === "url-userinfo") {
    const pw = urlPassword(v);
    return pw && !scanner.isPlaceholder(pw) ? pw : undefined;
  }
  if (v.length < rule.value.minLength || scanner.isPlaceholder(v)) return undefined;
  // A URL with credentials in a secret-named variable: the password is the secret.
  const pw = urlPassword(v);
  if (pw) return scanner.isPlaceholder(pw) ? undefined : pw;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(v)) return undefined;
  if (rule.value.shape === "random" && !looksRandom(v, rule.value.minLength)) return undefined;
  return v;
}

/**
 * Detections in one environment variable: provider-specific content rules over the value (a
 * `ghp_` token is a token whatever the variable is called), then the name rules gated by shape.
 *
 * `scannerOfRules`: the scanner was made from `rules` (sharedScanner), so the keywords of
 * `rules.content` are the scanner's, and a value none of them can occur in skips the keyword
 * pass (mayHoldKeyword). Without it, every value is passed to the scanner.
 */
export function detectEnvVar(
  name: string,
  value: string,
  rules: RuleSet,
  scanner: ContentScanner,
  scannerOfRules = false,
): Detection[] {
  const out: Detection[] = [];
  const index = envIndex(rules);
  // The keyword pass first, as scan() would make it (positions recorded for the anchored rules),
  // and the scan only for a value that holds a keyword, given that pass's rules and positions: the
  // same result as scan(value) alone, without scan()'s set-up for the many values that hold no
  // keyword (issue 15). Not candidates() then scan(): a second keyword pass over every URL value.
  if (scannerOfRules) index.keywords ??= keywordFilter(rules);
  if (!index.keywords || !scannerOfRules || mayHoldKeyword(index.keywords, value)) {
    const positions = scanner.positionsRequest();
    const candidates = scanner.candidates(value, positions);
    if (candidates.length !== 0) {
      const seen = new Set<string>();
      for (const d of scanner.scan(value, { rules: candidates, positions, honourInlineAllows: false })) {
        if (d.priority < 3 || seen.has(d.secret)) continue;
        seen.add(d.secret);
        out.push({ ...d, line: undefined, name });
      }
      if (out.length) return out;
    }
  }
  // Which rules the value could satisfy at all, whatever the name (envRuleSecret): one of shape
  // url-userinfo needs an `@` (a password in the URL), any other a value of its minLength (the
  // trimmed value is no longer than the value). A rule the value cannot satisfy is passed over
  // before its name test, and a value no rule can take costs no name test at all: the tests
  // are pure, so only the work changes, not the result (issue 15).
  const at = value.includes("@");
  const len = value.length;
  const gate = !index.stateful;
  if (gate && len < index.minLength && !at) return out;
  // Exact-name rules first: they carry the provider. Then every rule in file order whose name
  // test passes (an exact rule again among them, as before: it judges the same the second time).
  // A rule passes by name when it lists the name (it is among `exact`) or its pattern takes it.
  // When no rule listing names can take the value, `exact` is not looked up: none of its rules is
  // in the lists of rules the value could satisfy (byValue).
  let upper: string | undefined;
  let exact: EnvRule[] | undefined;
  if (!gate || len >= index.exactMinLength || (at && index.exactUrl)) {
    upper = name.toUpperCase();
    exact = index.exact.get(upper);
    if (exact) for (const rule of exact) if (judgeRule(rule, name, value, scanner, out)) return out;
  }
  if (!gate) {
    for (const rule of rules.env) {
      if (!exact?.includes(rule) && !patternMatches(rule, upper!)) continue;
      if (judgeRule(rule, name, value, scanner, out)) return out;
    }
    return out;
  }
  const bucket = index.byValue[at ? 1 : 0];
  const { all, patterned } = bucket[Math.min(len, bucket.length - 1)]!;
  if (!exact) {
    for (const rule of patterned) {
      upper ??= name.toUpperCase();
      if (patternMatches(rule, upper) && judgeRule(rule, name, value, scanner, out)) return out;
    }
    return out;
  }
  for (const rule of all) {
    if (!exact.includes(rule) && !patternMatches(rule, upper!)) continue;
    if (judgeRule(rule, name, value, scanner, out)) return out;
  }
  return out;
}

/** Pushes the detection of one env rule that passed the name, if the value holds its secret. */
function judgeRule(
  rule: EnvRule,
  name: string,
  value: string,
  scanner: ContentScanner,
  out: Detection[],
): boolean {
  const secret = envRuleSecret(rule, value, scanner);
  if (!secret) return false;
  out.push({
    ruleId: rule.id,
    provider: rule.provider,
    type: rule.type,
    severity: rule.severity,
    title: rule.title,
    remediation: rule.remediation,
    secret,
    name,
    priority: 2,
  });
  return true;
}
