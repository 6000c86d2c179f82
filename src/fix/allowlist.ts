// The proxy's allowlist for `agent-audit fix` (issue 12): what the operator listed
// (agent-audit.yaml `egress.allowedHosts`, `--allowed-host`) and what the inventory shows the agent
// needs (a model provider's key implies that provider's API host, an npm token its registry, a
// GitHub token GitHub's API), each entry with the reason it is there. It never widens by itself:
// hosts seen in refused traffic are proposed, never added.

import type { AuditReport, Finding } from "../contract/types.js";
import { redactText } from "../detect/redact.js";
import type { AllowedHost } from "./types.js";

/**
 * The API host a credential of each provider talks to (the provider ids of rules/secrets). Only
 * services whose key is worth nothing without its API: a model provider's key means the agent calls
 * that provider. Cloud keys (AWS, GCP, Azure) reach hundreds of endpoints: they are the operator's
 * to list.
 */
export const PROVIDER_HOSTS: Readonly<Record<string, { host: string; what: string }>> = {
  anthropic: { host: "api.anthropic.com", what: "an Anthropic API key" },
  openai: { host: "api.openai.com", what: "an OpenAI API key" },
  groq: { host: "api.groq.com", what: "a Groq API key" },
  mistral: { host: "api.mistral.ai", what: "a Mistral API key" },
  cohere: { host: "api.cohere.com", what: "a Cohere API key" },
  deepseek: { host: "api.deepseek.com", what: "a DeepSeek API key" },
  xai: { host: "api.x.ai", what: "an xAI API key" },
  perplexity: { host: "api.perplexity.ai", what: "a Perplexity API key" },
  openrouter: { host: "openrouter.ai", what: "an OpenRouter API key" },
  together: { host: "api.together.xyz", what: "a Together AI API key" },
  replicate: { host: "api.replicate.com", what: "a Replicate API token" },
  huggingface: { host: "huggingface.co", what: "a Hugging Face token" },
  github: { host: "api.github.com", what: "a GitHub token" },
  npm: { host: "registry.npmjs.org", what: "an npm token" },
};

/**
 * A reason as generated files carry it (a comment line, a JSON string): it quotes names and paths
 * the agent chose, so it is redacted, kept to one line of printable ASCII and capped.
 */
export function reasonText(text: string): string {
  const one = redactText(text).replace(/[^\x20-\x7e]/g, "?");
  return one.length > 160 ? `${one.slice(0, 157)}...` : one;
}

/** A DNS name as the generators accept it: lower case, dot-separated labels, no trailing dot. */
const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

export class AllowlistError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "AllowlistError";
  }
}

/**
 * One operator entry: `example.com` (that name exactly), `.example.com` or `*.example.com` (the name
 * and every name below it: squid's `.example.com` covers the apex too, and the README says so).
 * An IP literal, a port, a URL or a bare wildcard is refused: the proxy allows names.
 */
export function parseAllowedHost(text: string, reason: string): AllowedHost {
  const raw = text.trim().toLowerCase().replace(/\.$/, "");
  let subdomains = false;
  let host = raw;
  if (host.startsWith("*.")) {
    subdomains = true;
    host = host.slice(2);
  } else if (host.startsWith(".")) {
    subdomains = true;
    host = host.slice(1);
  }
  const shown = JSON.stringify(text.slice(0, 80));
  if (host.includes("://") || host.includes("/"))
    throw new AllowlistError(`allowed host ${shown}: a host name, not a URL (example.com or *.example.com)`);
  if (host.includes(":") || /^[0-9.]+$/.test(host))
    throw new AllowlistError(`allowed host ${shown}: an IP literal or a port; the proxy allows names only`);
  const labels = host.split(".");
  if (host.length > 253 || labels.length < 2 || !labels.every((l) => LABEL.test(l)))
    throw new AllowlistError(
      `allowed host ${shown}: not a DNS name (letters, digits and hyphens, at least two labels)`,
    );
  if (subdomains && SHARED_SUFFIXES.has(host))
    throw new AllowlistError(
      `allowed host ${shown}: a wildcard over ${host}, where anyone can register or publish a name; list the names exactly`,
    );
  return { host, subdomains, reason };
}

/**
 * Suffixes under which anyone can register or publish a name (two-label public suffixes and
 * hosting platforms): a wildcard over one lets the agent reach hosts an attacker controls. Not the
 * whole Public Suffix List: a one-label suffix is refused by the two-label rule, and these are the
 * common multi-label ones.
 */
const SHARED_SUFFIXES = new Set([
  "co.uk",
  "org.uk",
  "ac.uk",
  "gov.uk",
  "me.uk",
  "com.au",
  "net.au",
  "org.au",
  "co.jp",
  "ne.jp",
  "co.nz",
  "com.br",
  "com.cn",
  "com.tw",
  "com.hk",
  "co.in",
  "co.za",
  "co.kr",
  "com.mx",
  "com.tr",
  "com.sg",
  "github.io",
  "githubusercontent.com",
  "gitlab.io",
  "herokuapp.com",
  "vercel.app",
  "netlify.app",
  "pages.dev",
  "workers.dev",
  "web.app",
  "firebaseapp.com",
  "appspot.com",
  "blogspot.com",
  "azurewebsites.net",
  "cloudfront.net",
  "s3.amazonaws.com",
  "amazonaws.com",
  "ngrok.io",
  "ngrok-free.app",
  "trycloudflare.com",
  "glitch.me",
  "repl.co",
  "onrender.com",
  "fly.dev",
]);

export interface AllowlistInput {
  /** agent-audit.yaml `egress.allowedHosts`. */
  config?: readonly string[];
  /** `--allowed-host`, in order. */
  flags?: readonly string[];
}

export interface Allowlist {
  hosts: AllowedHost[];
  /**
   * Hosts the report saw refused (the probes' blocked allowed hosts, the runtimes' allowed domains
   * that the proxy would refuse): proposed in the README, never added.
   */
  proposed: { host: string; reason: string }[];
}

/** The allowlist: operator entries first (config, then flags), then what the inventory implies. */
export function buildAllowlist(report: AuditReport, input: AllowlistInput): Allowlist {
  const out = new Map<string, AllowedHost>();
  const add = (h: AllowedHost) => {
    const key = h.host;
    const prev = out.get(key);
    // The wider entry wins; both reasons are kept.
    if (!prev) out.set(key, h);
    else if (!prev.reason.includes(h.reason))
      out.set(key, {
        host: key,
        subdomains: prev.subdomains || h.subdomains,
        reason: `${prev.reason}; ${h.reason}`,
      });
    else if (h.subdomains && !prev.subdomains) out.set(key, { ...prev, subdomains: true });
  };
  for (const h of input.config ?? []) add(parseAllowedHost(h, "agent-audit.yaml egress.allowedHosts"));
  for (const h of input.flags ?? []) add(parseAllowedHost(h, "--allowed-host"));
  for (const [host, why] of impliedHosts(report.findings)) add({ host, subdomains: false, reason: why });
  const hosts = [...out.values()];
  const allowed = (name: string) =>
    hosts.some((h) => h.host === name || (h.subdomains && name.endsWith(`.${h.host}`)));
  const proposed: Allowlist["proposed"] = [];
  // A set beside the list: `proposed.some` made 60,000 findings take half a minute.
  const seen = new Set<string>();
  for (const f of report.findings) {
    const domain = proposedHost(f);
    if (domain && !seen.has(domain) && !allowed(domain)) {
      seen.add(domain);
      proposed.push({ host: domain, reason: reasonText(`${f.ruleId}: ${f.title}`) });
    }
  }
  // Issue 16: the hosts each MCP server that starts needs (its URL's host, or the registry its
  // launcher fetches from), proposed with the server named: a host an agent-writable config asks
  // for is never added by itself.
  for (const s of report.agents?.servers ?? []) {
    if (s.disabled || s.overriddenBy) continue;
    for (const h of s.hosts) {
      let host: string;
      try {
        host = parseAllowedHost(h, "").host;
      } catch {
        continue;
      }
      if (seen.has(host) || allowed(host)) continue;
      seen.add(host);
      proposed.push({ host, reason: reasonText(`MCP server "${s.name}" (${s.client} ${s.scope}) needs it`) });
    }
  }
  return { hosts, proposed };
}

/** The hosts the inventory implies, each with its reason, in the order of the findings. */
function impliedHosts(findings: readonly Finding[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const f of findings) {
    if (f.kind !== "secret" || !f.secret) continue;
    // Own keys only: a report's provider "__proto__" or "constructor" is not a provider.
    const p = Object.hasOwn(PROVIDER_HOSTS, f.secret.provider)
      ? PROVIDER_HOSTS[f.secret.provider]
      : undefined;
    if (!p || out.has(p.host)) continue;
    out.set(p.host, reasonText(`${p.what} was found (${where(f)})`));
  }
  return out;
}

function where(f: Finding): string {
  const l = f.location;
  if (l.source === "env" && l.name) return `environment variable ${l.name}`;
  if (l.source === "home" && l.path) return `~/${l.path}`;
  if (l.path) return l.path;
  return l.source;
}

/**
 * A host the report saw refused although the agent may need it: a probe's allowed host the proxy
 * blocks (fix `egress-proxy` with `allow`). Never a canary: those are meant to be refused.
 */
function proposedHost(f: Finding): string | undefined {
  const allow = f.fix?.target === "egress-proxy" ? f.fix.params?.allow : undefined;
  if (typeof allow !== "string") return undefined;
  try {
    return parseAllowedHost(allow, "").host;
  } catch {
    return undefined;
  }
}
