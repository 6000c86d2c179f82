import type { RuleSet } from "../rules/catalog.js";
import type { Detection, EnvRule } from "../rules/types.js";
import type { ContentScanner } from "./content.js";
import { looksRandom } from "./randomness.js";

/** user:password in a URL (DATABASE_URL, HTTPS_PROXY): returns the password, or undefined. */
export function urlPassword(value: string): string | undefined {
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

const exactNames = new WeakMap<RuleSet, Map<string, EnvRule[]>>();
/** The env rules listing each exact (upper-case) variable name, in file order; built once per rule set. */
function exactNameIndex(rules: RuleSet): Map<string, EnvRule[]> {
  let index = exactNames.get(rules);
  if (!index) {
    index = new Map();
    for (const rule of rules.env) {
      for (const n of rule.names) {
        const list = index.get(n) ?? [];
        if (!list.includes(rule)) list.push(rule);
        index.set(n, list);
      }
    }
    exactNames.set(rules, index);
  }
  return index;
}

function nameMatches(rule: EnvRule, upper: string): boolean {
  if (rule.names.includes(upper)) return true;
  if (!rule.namePattern?.test(upper)) return false;
  for (const ex of rule.excludeNames) if (ex.test(upper)) return false;
  return true;
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
 */
export function detectEnvVar(
  name: string,
  value: string,
  rules: RuleSet,
  scanner: ContentScanner,
): Detection[] {
  const out: Detection[] = [];
  const seen = new Set<string>();
  for (const d of scanner.scan(value, { honourInlineAllows: false })) {
    if (d.priority < 3 || seen.has(d.secret)) continue;
    seen.add(d.secret);
    out.push({ ...d, line: undefined, name });
  }
  if (out.length) return out;
  const upper = name.toUpperCase();
  // Exact-name rules first: they carry the provider. Then every rule in file order.
  const exact = exactNameIndex(rules).get(upper) ?? [];
  for (const rule of exact.length ? [...exact, ...rules.env] : rules.env) {
    if (!nameMatches(rule, upper)) continue;
    const secret = envRuleSecret(rule, value, scanner);
    if (!secret) continue;
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
    break;
  }
  return out;
}
