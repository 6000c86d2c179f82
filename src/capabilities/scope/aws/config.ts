import { realpath } from "node:fs/promises";
import { join } from "node:path";
import { readIni } from "../../../detect/parsers/ini.js";
import { safeMessage } from "../../../util/errors.js";
import { readRegularText, UnsafeFileError } from "../../../util/safe-read.js";
import type { AnalyzerContext, Assessment, ObservedSecret } from "../types.js";

// Check aws-admin-role-profile: ~/.aws/config names an admin-like role or profile, and an AWS
// credential the agent can read can act as it: the profile's own keys, the keys of its
// source_profile chain, or the agent's AWS_* variables when the chain says credential_source =
// Environment. https://docs.aws.amazon.com/cli/latest/userguide/cli-configure-role.html
// Only names are compared; no profile name, role or value from the files is ever reported.
// The live IAM analyzer of a later issue belongs beside this file (scope/aws/).

export const AWS_ADMIN_CHECK = "aws-admin-role-profile";

/** Largest ~/.aws/config or ~/.aws/credentials read for profile names (hand-written, a few KB). */
export const MAX_AWS_CONFIG_BYTES = 1024 * 1024;
/** Longest source_profile chain followed (the CLI refuses loops; a planted file may hold one). */
const MAX_CHAIN = 16;

/** The resource part of a role ARN (after `:role/`) that names an administrator. */
const ADMIN_ROLE = /admin|poweruser|organizationaccountaccessrole/i;
/** A profile called admin, administrator or root, alone or as a word of its name (prod-admin, root_ops). */
const ADMIN_PROFILE = /(^|[-_. ])(admin|administrator|root)([-_. ]|$)/i;

interface Profile {
  roleArn?: string;
  sourceProfile?: string;
  credentialSource?: string;
}

/** Profiles of an AWS config (`[default]`, `[profile x]`) or credentials file (`[x]`), by name. */
export function awsProfiles(text: string, kind: "config" | "credentials"): Map<string, Profile> {
  const out = new Map<string, Profile>();
  for (const e of readIni(text) ?? []) {
    const name = profileName(e.section, kind);
    if (name === undefined) continue;
    let p = out.get(name);
    if (!p) {
      p = {};
      out.set(name, p);
    }
    const key = e.key.toLowerCase();
    if (key === "role_arn") p.roleArn = e.value.trim();
    else if (key === "source_profile") p.sourceProfile = e.value.trim();
    else if (key === "credential_source") p.credentialSource = e.value.trim();
  }
  return out;
}

/** The profile a section holds, or undefined (sso-session, services, ...). */
export function profileName(section: string, kind: "config" | "credentials"): string | undefined {
  const s = section.trim();
  if (kind === "credentials") return s || undefined;
  if (s === "default") return s;
  const m = /^profile\s+(.+)$/.exec(s);
  return m ? m[1]!.trim() : undefined;
}

export function isAdminLike(name: string, p: Profile): boolean {
  if (ADMIN_PROFILE.test(name)) return true;
  const arn = p.roleArn;
  if (!arn) return false;
  const i = arn.indexOf(":role/");
  return ADMIN_ROLE.test(i >= 0 ? arn.slice(i + 6) : arn);
}

/**
 * Which credentials reach an admin-like profile: the profile names whose static keys can act as one
 * (the admin profile itself and its source_profile chain), and whether the agent's AWS_* variables
 * can (credential_source = Environment on the chain).
 */
export function adminReach(profiles: ReadonlyMap<string, Profile>): { names: Set<string>; env: boolean } {
  const names = new Set<string>();
  let env = false;
  for (const [name, p] of profiles) {
    if (!isAdminLike(name, p)) continue;
    let cur: string | undefined = name;
    for (let hops = 0; cur !== undefined && hops < MAX_CHAIN; hops++) {
      names.add(cur);
      const q = profiles.get(cur);
      if (q?.credentialSource?.toLowerCase() === "environment") env = true;
      const next: string | undefined = q?.sourceProfile;
      cur = next !== undefined && !names.has(next) ? next : undefined;
    }
  }
  return { names, env };
}

const FILES = { ".aws/config": "config", ".aws/credentials": "credentials" } as const;

/** The assessments of check aws-admin-role-profile: one per AWS profile (or environment) whose credential reaches an admin-like profile. */
export async function awsAdminAssessments(
  secrets: readonly ObservedSecret[],
  ctx: AnalyzerContext,
): Promise<Assessment[]> {
  const applies = ctx.appliesTo(AWS_ADMIN_CHECK);
  if (!applies || !ctx.enabled(AWS_ADMIN_CHECK) || ctx.home === undefined) return [];
  const candidates = secrets.filter((s) => s.provider === "aws" && applies.has(s.ruleId));
  if (candidates.length === 0) return [];
  const home = ctx.home;
  const texts = new Map<string, string | undefined>();
  const read = async (rel: keyof typeof FILES) => {
    if (!texts.has(rel)) texts.set(rel, await readAwsFile(home, rel, ctx));
    return texts.get(rel);
  };
  const configText = await read(".aws/config");
  if (configText === undefined) return [];
  // The config's profiles, with what the credentials file adds (a role_arn there is read by the CLI too).
  const profiles = awsProfiles(configText, "config");
  const credText = await read(".aws/credentials");
  if (credText !== undefined) {
    for (const [name, p] of awsProfiles(credText, "credentials")) {
      const q = profiles.get(name);
      profiles.set(name, q ? { ...p, ...definedOf(q) } : p);
    }
  }
  const reach = adminReach(profiles);
  if (reach.names.size === 0 && !reach.env) return [];

  // One assessment per credential: per (file, profile), or the environment; at its access key id.
  const groups = new Map<string, ObservedSecret[]>();
  for (const s of candidates) {
    const loc = s.location;
    let key: string | undefined;
    if (loc.source === "env") {
      if (reach.env) key = "env";
    } else if (loc.source === "home" && loc.path !== undefined && Object.hasOwn(FILES, loc.path)) {
      const rel = loc.path as keyof typeof FILES;
      const text = await read(rel);
      const profile = text === undefined ? undefined : profileAtLine(text, FILES[rel], loc.line);
      if (profile !== undefined && reach.names.has(profile)) key = `${rel}\0${profile}`;
    }
    if (key === undefined) continue;
    const g = groups.get(key);
    if (g) g.push(s);
    else groups.set(key, [s]);
  }
  const out: Assessment[] = [];
  for (const g of groups.values()) {
    g.sort(
      (a, b) =>
        Number(b.type === "access-key-id") - Number(a.type === "access-key-id") ||
        (a.location.line ?? 0) - (b.location.line ?? 0) ||
        (a.fingerprint < b.fingerprint ? -1 : a.fingerprint > b.fingerprint ? 1 : 0),
    );
    out.push({ secret: g[0]!, checkId: AWS_ADMIN_CHECK, current: "admin-role-reachable" });
  }
  return out;
}

function definedOf(p: Profile): Profile {
  const out: Profile = {};
  if (p.roleArn !== undefined) out.roleArn = p.roleArn;
  if (p.sourceProfile !== undefined) out.sourceProfile = p.sourceProfile;
  if (p.credentialSource !== undefined) out.credentialSource = p.credentialSource;
  return out;
}

/** The profile whose section holds the entry at `line`, or undefined. */
function profileAtLine(
  text: string,
  kind: "config" | "credentials",
  line: number | undefined,
): string | undefined {
  if (line === undefined) return undefined;
  const entries = readIni(text) ?? [];
  for (const e of entries) if (e.line === line) return profileName(e.section, kind);
  return undefined;
}

/** A file under ~/.aws, read safely (regular, capped, inside the home); undefined when missing or unreadable. */
async function readAwsFile(home: string, rel: string, ctx: AnalyzerContext): Promise<string | undefined> {
  const abs = join(home, rel);
  try {
    const root = await realpath(home);
    return await readRegularText(abs, { maxBytes: MAX_AWS_CONFIG_BYTES, confineTo: root });
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    if (code === "ENOENT" || code === "ENOTDIR") return undefined;
    const why =
      e instanceof UnsafeFileError
        ? e.code === "outside-root"
          ? "leads outside the home"
          : e.message
        : safeMessage(e);
    ctx.issue({ where: rel, message: `not read for step 6 (admin-like AWS roles): ${why}` });
    return undefined;
  }
}
