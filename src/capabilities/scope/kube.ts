import { realpath } from "node:fs/promises";
import { join } from "node:path";
import { parseYamlText } from "../../detect/parsers/yaml.js";
import { safeMessage } from "../../util/errors.js";
import { readRegularText, UnsafeFileError } from "../../util/safe-read.js";
import type { AnalyzerContext, Assessment, ObservedSecret } from "./types.js";

// Check kubernetes-admin-user: a kubeconfig credential of a user named *admin* (cluster-admin,
// kubernetes-admin, staging-admin), of a user an *admin* context uses, or in a kubeconfig file named
// *admin* (kubeadm's admin.conf). The user comes from the finding's key path
// (`users.<name>.user.<field>`); a token another rule listed (a JWT has no key path) is matched to
// its user by reading the kubeconfig. Names are compared, never reported.

export const KUBE_ADMIN_CHECK = "kubernetes-admin-user";
/** Largest kubeconfig read for user and context names (embedded certificates make them a few 100 KB). */
export const MAX_KUBECONFIG_BYTES = 1024 * 1024;

const ADMIN = /admin/i;
const KUBE_USER = /^users\.(.+)\.user\./;
/** Paths a token listed by another rule (jwt) is looked up in: kubeconfig files by their usual names. */
const KUBE_PATH = /(^|\/)\.kube\/|kubeconfig|(^|\/)admin\.conf$/i;
const KUBE_RULES = new Set(["kubeconfig", "tree-kubeconfig"]);

interface Kubeconfig {
  /** The user whose token or password is this value. */
  userOf(value: string): string | undefined;
  /** Users an admin-named context uses. */
  adminUsers: Set<string>;
}

export async function kubeAdminAssessments(
  secrets: readonly ObservedSecret[],
  ctx: AnalyzerContext,
): Promise<Assessment[]> {
  const applies = ctx.appliesTo(KUBE_ADMIN_CHECK);
  if (!applies || !ctx.enabled(KUBE_ADMIN_CHECK)) return [];
  const files = new Map<string, ObservedSecret[]>();
  for (const s of secrets) {
    const path = s.location.path;
    if (!applies.has(s.ruleId) || path === undefined) continue;
    if (!KUBE_RULES.has(s.ruleId) && !KUBE_PATH.test(path)) continue;
    const key = `${s.location.source}\0${path}`;
    const g = files.get(key);
    if (g) g.push(s);
    else files.set(key, [s]);
  }
  const out: Assessment[] = [];
  for (const group of files.values()) {
    const loc = group[0]!.location;
    const path = loc.path!;
    const fileAdmin = ADMIN.test(path.slice(path.lastIndexOf("/") + 1));
    const cfg = fileAdmin ? undefined : await readKubeconfig(loc.source, path, ctx);
    for (const s of group) {
      let user = s.location.name === undefined ? undefined : KUBE_USER.exec(s.location.name)?.[1];
      user ??= cfg?.userOf(s.secret.trim());
      const admin =
        fileAdmin || (user !== undefined && (ADMIN.test(user) || cfg?.adminUsers.has(user) === true));
      if (admin) out.push({ secret: s, checkId: KUBE_ADMIN_CHECK, current: "admin-user" });
    }
  }
  return out;
}

/** Users and admin contexts of a kubeconfig under the home or the tree; undefined when not read or not one. */
async function readKubeconfig(
  source: string,
  path: string,
  ctx: AnalyzerContext,
): Promise<Kubeconfig | undefined> {
  const base = source === "home" ? ctx.home : source === "tree" ? ctx.root : undefined;
  if (base === undefined) return undefined;
  let text: string;
  try {
    text = await readRegularText(join(base, path), {
      maxBytes: MAX_KUBECONFIG_BYTES,
      confineTo: await realpath(base),
    });
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    if (code === "ENOENT" || code === "ENOTDIR") return undefined;
    const why =
      e instanceof UnsafeFileError
        ? e.code === "outside-root"
          ? `leads outside the ${source === "home" ? "home" : "working tree"}`
          : e.message
        : safeMessage(e);
    ctx.issue({ where: path, message: `not read for step 6 (admin-named kubeconfig users): ${why}` });
    return undefined;
  }
  const docs = parseYamlText(text);
  if (!docs) return undefined;
  const byValue = new Map<string, string>();
  const adminUsers = new Set<string>();
  for (const doc of docs) {
    if (!isObj(doc)) continue;
    for (const entry of Array.isArray(doc.users) ? doc.users : []) {
      if (!isObj(entry) || typeof entry.name !== "string" || !isObj(entry.user)) continue;
      for (const field of ["token", "password"]) {
        const v = entry.user[field];
        if (typeof v === "string" && !byValue.has(v.trim())) byValue.set(v.trim(), entry.name);
      }
    }
    for (const entry of Array.isArray(doc.contexts) ? doc.contexts : []) {
      if (!isObj(entry) || typeof entry.name !== "string" || !isObj(entry.context)) continue;
      const user = entry.context.user;
      if (ADMIN.test(entry.name) && typeof user === "string") adminUsers.add(user);
    }
  }
  return { userOf: (value) => byValue.get(value), adminUsers };
}

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
