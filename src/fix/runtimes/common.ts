import { posix } from "node:path";
import type { AuditReport, Finding, RuntimeId, StepId } from "../../contract/types.js";
import { STEP_IDS } from "../../contract/types.js";
import type { AllowedHost } from "../types.js";

// Shared helpers of the agent-runtime generators (issue 12): the credential paths the inventory
// found, the allowlist as domain patterns, which report findings a generated file answers, and the
// dangerous command prefixes derived from rules/gate. Pure: report and options in, values out.

/** Standard credential locations every runtime file denies, whether the inventory found them or not (home-relative). */
export const STANDARD_CREDENTIAL_DIRS = [".ssh", ".aws", ".config/gcloud", ".kube"] as const;
/** Standard credential files (home-relative). */
export const STANDARD_CREDENTIAL_FILES = [".docker/config.json", ".npmrc", ".netrc"] as const;

/** Where a credential the inventory found lives: under the home or under the working tree. */
export interface CredentialPath {
  base: "home" | "tree";
  /** Relative to the base, normalised, `/`-separated, never `..` or absolute. */
  path: string;
}

/** A path segment safe to write into a gitignore-style rule or a config list unquoted. */
const SEGMENT = /^[A-Za-z0-9._@%+=,:~-](?:[A-Za-z0-9._@%+=,:~ -]*[A-Za-z0-9._@%+=,:~-])?$/;

/** A relative path normalised and checked; undefined when it escapes its base or holds unusual characters. */
export function safeRelative(raw: string): string | undefined {
  if (raw === "" || raw.length > 512 || raw.startsWith("/")) return undefined;
  const n = posix.normalize(raw).replace(/\/+$/, "");
  if (n === "." || n === "" || n.startsWith("..") || n.startsWith("/")) return undefined;
  const parts = n.split("/");
  if (!parts.every((p) => SEGMENT.test(p) && p !== "." && p !== "..")) return undefined;
  return n;
}

/**
 * The credential paths of the report's inventory: findings whose location is a file under the home
 * or the working tree (secrets, exposures, scope findings alike), deduplicated and sorted; a path
 * with unusual characters (glob or quoting characters, control characters) is counted, not used.
 */
export function credentialPaths(report: AuditReport): { paths: CredentialPath[]; skipped: number } {
  const seen = new Map<string, CredentialPath>();
  let skipped = 0;
  for (const f of report.findings) {
    const src = f.location.source;
    if ((src !== "home" && src !== "tree") || f.location.path === undefined) continue;
    const rel = safeRelative(f.location.path);
    if (rel === undefined) {
      skipped++;
      continue;
    }
    seen.set(`${src}\0${rel}`, { base: src, path: rel });
  }
  const paths = [...seen.values()].sort((a, b) =>
    a.base !== b.base ? (a.base < b.base ? -1 : 1) : a.path < b.path ? -1 : a.path > b.path ? 1 : 0,
  );
  return { paths, skipped };
}

/** Whether a home-relative path lies in one of the standard directories (then the directory's rule covers it). */
export function underStandardDir(path: string): boolean {
  return STANDARD_CREDENTIAL_DIRS.some((d) => path === d || path.startsWith(`${d}/`));
}

/**
 * The credential locations as `~/x` and `./x` paths: the standard directories and files, then the
 * inventory's paths not already under a standard directory.
 */
export function credentialLocations(report: AuditReport): {
  home: string[];
  tree: string[];
  skipped: number;
} {
  const { paths, skipped } = credentialPaths(report);
  const home: string[] = [...STANDARD_CREDENTIAL_DIRS, ...STANDARD_CREDENTIAL_FILES];
  const tree: string[] = [".env"];
  // Sets beside the lists: `list.includes` made 60,000 inventory paths take half a minute.
  const seen = { home: new Set(home), tree: new Set(tree) };
  for (const p of paths) {
    const list = p.base === "home" ? home : tree;
    if (p.base === "home" && underStandardDir(p.path)) continue;
    if (!seen[p.base].has(p.path)) {
      seen[p.base].add(p.path);
      list.push(p.path);
    }
  }
  return { home, tree, skipped };
}

/** A lower-case DNS name of at least two labels (what the srt and Claude Code sandboxes accept). */
const DNS_NAME =
  /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+$/;

/**
 * The allowlist as sandbox domain patterns (srt's and Claude Code's: `*.x` covers subdomains but
 * not the apex, so both are listed), in the allowlist's order; entries a sandbox would reject
 * (single-label names, IP literals, anything not a DNS name) are returned apart.
 */
export function domainPatterns(allowlist: readonly AllowedHost[]): { domains: string[]; rejected: string[] } {
  const domains: string[] = [];
  const rejected: string[] = [];
  for (const h of allowlist) {
    const host = h.host.toLowerCase();
    if (!DNS_NAME.test(host) || /^[0-9.]+$/.test(host)) {
      rejected.push(host);
      continue;
    }
    for (const d of h.subdomains ? [host, `*.${host}`] : [host]) if (!domains.includes(d)) domains.push(d);
  }
  return { domains, rejected };
}

/**
 * Hosts anyone can publish to that sit below a commonly allowed name: denied (srt and Claude Code
 * check the deny list first) when the allowlist lets the subdomains of their parent through.
 */
const PUBLISHABLE_SUBDOMAINS = ["gist.github.com", "uploads.github.com", "gist.githubusercontent.com"];

/** The deny list that carves publishable hosts out of the allowlist's wildcards. */
export function deniedDomains(allowlist: readonly AllowedHost[]): string[] {
  return PUBLISHABLE_SUBDOMAINS.filter((d) =>
    allowlist.some((h) => h.subdomains && d.endsWith(`.${h.host.toLowerCase()}`)),
  );
}

/** The steps, in checklist order. */
export function steps(...ids: StepId[]): StepId[] {
  return STEP_IDS.filter((s) => ids.includes(s));
}

/** A finding's fix parameter as a string, if it is one. */
export function param(f: Finding, key: string): string | undefined {
  const v = f.fix?.params?.[key];
  return typeof v === "string" ? v : undefined;
}

/** The findings of one runtime whose fix targets one of these generators. */
export function runtimeFindings(
  report: AuditReport,
  runtime: RuntimeId,
  targets: readonly string[],
): Finding[] {
  return report.findings.filter(
    (f) => f.fix !== undefined && targets.includes(f.fix.target) && param(f, "runtime") === runtime,
  );
}

/** Fingerprints, deduplicated, in report order. */
export function fingerprints(findings: readonly Finding[]): string[] {
  return [...new Set(findings.map((f) => f.fingerprint))];
}
