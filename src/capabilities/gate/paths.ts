// What a path a command touches is: the filesystem root, the home, a system dir, a credential store,
// a file that runs at login, the agent's own config, the workspace, scratch space, or elsewhere.
// Pure: absolute paths in, classes out (the lists come from rules/gate/paths.yaml).

import { posix } from "node:path";
import { isEnvVariantName, isNormalPath, normalizePath, stripTrailingSlashes } from "./chars.js";
import type { GateContext } from "./types.js";

export const PATH_CLASSES = [
  "root",
  "home",
  "critical",
  "system",
  "device",
  "network",
  "credential",
  "secret-file",
  "persistence",
  "agent-config",
  "temp",
  "workspace",
  "workspace-root",
  "outside",
  "dynamic",
] as const;
export type PathClass = (typeof PATH_CLASSES)[number];

/** The path lists (rules/gate/paths.yaml). `home` entries are relative to the home directory. */
export interface PathData {
  system: string[];
  temp: string[];
  devices: string[];
  harmlessDevices: string[];
  network: string[];
  credential: { home: string[]; absolute: string[]; names: string[] };
  secretFile: { names: string[] };
  persistence: { home: string[]; absolute: string[]; workspace: string[] };
  agentConfig: { home: string[]; workspace: string[] };
}

/** A path operand, resolved: `abs` is undefined when its value is not known before it runs. */
export interface PathRef {
  abs?: string;
  classes: Set<PathClass>;
  /** The text as the command had it (for messages). */
  text: string;
}

const under = (p: string, dir: string) => p === dir || p.startsWith(dir.endsWith("/") ? dir : `${dir}/`);

/** True when a path entry (`.ssh/` a directory, `.npmrc` a file) covers p (relative to its base). */
function entryCovers(rel: string, entry: string): boolean {
  if (entry.endsWith("/")) return rel === entry.slice(0, -1) || rel.startsWith(entry);
  return rel === entry || rel.startsWith(`${entry}/`);
}

/** The workspace counts only when it is a real project dir: not `/`, the home, a system dir or above the home. */
export function usableWorkspace(ctx: GateContext, data: PathData): string | undefined {
  const ws = normalizePath(ctx.workspace ?? ctx.cwd);
  if (!ws.startsWith("/") || ws === "/") return undefined;
  const home = normalizePath(ctx.home);
  if (under(home, ws)) return undefined;
  if (data.system.some((d) => under(ws, d)) && !data.temp.some((d) => under(ws, d))) return undefined;
  return ws;
}

/** Memo of classifyPath per path list: the same paths recur across commands and decisions. */
const memo = new WeakMap<PathData, Map<string, readonly PathClass[]>>();
const MEMO_MAX = 8192;

/** Classifies one absolute path (normalised, `..` resolved). A fresh set each call (callers add to it). */
export function classifyPath(
  abs: string,
  ctx: GateContext,
  data: PathData,
  ws: string | undefined,
): Set<PathClass> {
  let m = memo.get(data);
  if (!m) {
    m = new Map();
    memo.set(data, m);
  }
  const key = `${ctx.home}\u0000${ws ?? ""}\u0000${abs}`;
  const hit = m.get(key);
  if (hit) return new Set(hit);
  const out = classify(abs, ctx, data, ws);
  if (m.size >= MEMO_MAX) m.clear();
  m.set(key, [...out]);
  return out;
}

function classify(abs: string, ctx: GateContext, data: PathData, ws: string | undefined): Set<PathClass> {
  const out = new Set<PathClass>();
  const p = isNormalPath(abs) ? abs : stripTrailingSlashes(posix.normalize(abs));
  if (data.harmlessDevices.some((d) => p === d || p.startsWith(`${d}/`))) return out;
  // bash's /dev/tcp/HOST/PORT is a socket, not a file under /dev.
  if (data.network.some((d) => p.startsWith(d))) return new Set(["network"]);
  const home = normalizePath(ctx.home);
  if (p === "/") out.add("root");
  if (p === home || under(home, p)) out.add("home");
  const system = data.system.find((d) => under(p, d));
  const temp = data.temp.some((d) => under(p, d));
  if (system && !temp) out.add("system");
  // A system dir itself or one level below it (/usr, /usr/bin, /etc/ssh): recursive deletes there are catastrophic.
  // The root and the home are critical wherever the home is (a home under /tmp too); a system dir
  // itself or one level below it (/usr, /usr/bin, /etc/ssh) unless it is scratch space.
  if (out.has("root") || out.has("home")) out.add("critical");
  else if (!temp && data.system.some((d) => p === d || posix.dirname(p) === d)) out.add("critical");
  if (data.network.some((d) => p.startsWith(d))) out.add("network");
  else if (
    !data.harmlessDevices.some((d) => p === d || p.startsWith(`${d}/`)) &&
    data.devices.some((d) => p.startsWith(d))
  )
    out.add("device");
  const rel = under(p, home) && p !== home ? p.slice(home.length + 1) : undefined;
  const base = posix.basename(p);
  // A public key or known_hosts in a credential dir is not a secret.
  const publicFile = base.endsWith(".pub") || base === "known_hosts" || base === "known_hosts.old";
  if (
    (!publicFile && rel !== undefined && data.credential.home.some((e) => entryCovers(rel, e))) ||
    data.credential.absolute.some((e) => entryCovers(p, e)) ||
    (data.credential.names.includes(base) && !(ws && under(p, ws)))
  )
    out.add("credential");
  if (data.secretFile.names.includes(base) || isEnvVariantName(base)) {
    if (!/\.(example|sample|template|dist)$/.test(base)) out.add("secret-file");
  }
  if (
    (rel !== undefined && data.persistence.home.some((e) => entryCovers(rel, e))) ||
    data.persistence.absolute.some((e) => entryCovers(p, e))
  )
    out.add("persistence");
  if (rel !== undefined && data.agentConfig.home.some((e) => entryCovers(rel, e))) out.add("agent-config");
  if (ws && under(p, ws)) {
    const wrel = p === ws ? "" : p.slice(ws.length + 1);
    if (wrel && data.agentConfig.workspace.some((e) => entryCovers(wrel, e))) out.add("agent-config");
    // The repository's hooks and config run later, on git's own commands.
    if (wrel && data.persistence.workspace.some((e) => entryCovers(wrel, e))) out.add("persistence");
    out.add("workspace");
    if (p === ws) out.add("workspace-root");
  } else if (temp) out.add("temp");
  else out.add("outside");
  if (temp && !out.has("workspace")) out.add("outside");
  // A project's .env is routine to read in its own workspace; another one's is a credential.
  if (out.has("secret-file") && !out.has("workspace")) out.add("credential");
  return out;
}

/** One path segment against a glob segment (`*`, `?`, `[...]`): greedy with one backtrack point, O(n*m). */
export function segmentMatch(pat: string, str: string, dotglob = false): boolean {
  // A leading dot is matched only by a leading dot (bash without dotglob: `~/*` skips `~/.ssh`).
  if (!dotglob && str.startsWith(".") && !pat.startsWith(".")) return false;
  let p = 0;
  let s = 0;
  let star = -1;
  let mark = 0;
  while (s < str.length) {
    const c = pat[p];
    if (c === "*") {
      star = p++;
      mark = s;
      continue;
    }
    if (c === "[") {
      const close = pat.indexOf("]", p + 2);
      if (close !== -1) {
        let body = pat.slice(p + 1, close);
        const neg = body.startsWith("!") || body.startsWith("^");
        if (neg) body = body.slice(1);
        let hit = false;
        for (let i = 0; i < body.length; i++) {
          if (body[i + 1] === "-" && i + 2 < body.length) {
            if (str[s]! >= body[i]! && str[s]! <= body[i + 2]!) hit = true;
            i += 2;
          } else if (body[i] === str[s]) hit = true;
        }
        if (hit !== neg) {
          p = close + 1;
          s++;
          continue;
        }
      } else if (str[s] === "[") {
        p++;
        s++;
        continue;
      }
    } else if (c !== undefined && (c === "?" || c === str[s])) {
      p++;
      s++;
      continue;
    }
    if (star === -1) return false;
    p = star + 1;
    s = ++mark;
  }
  while (pat[p] === "*") p++;
  return p === pat.length;
}

/**
 * The classes of the sensitive paths a glob could match (`~/.ss?/id_rsa`, `/home/*\/.ssh`,
 * `~/.*`): the home, every credential, persistence and agent-config entry, and the absolute ones,
 * compared segment by segment with the pattern (either may be the longer: a match inside a
 * credential dir, or a dir holding one).
 */
export function globClasses(
  pattern: string,
  ctx: GateContext,
  data: PathData,
  ws: string | undefined,
  dotglob = false,
): Set<PathClass> {
  const out = new Set<PathClass>();
  const ps = segments(pattern);
  if (ps.length > 64) return out;
  const home = normalizePath(ctx.home);
  for (const [c, cs] of globCandidates(data, home)) {
    // Below the home is not the home: only a pattern naming the home or above it counts as one.
    if (c === home && ps.length > cs.length) continue;
    // `**` (globstar) matches any number of segments: a pattern holding one can reach anything below.
    const star = ps.indexOf("**");
    const n = Math.min(star === -1 ? ps.length : star, cs.length);
    let ok = true;
    for (let i = 0; i < n && ok; i++) ok = segmentMatch(ps[i]!, cs[i]!, dotglob);
    if (!ok) continue;
    for (const k of classifyPath(c, ctx, data, ws))
      if (k !== "workspace" && k !== "workspace-root") out.add(k);
  }
  return out;
}

const segments = (p: string) => p.split("/").filter(Boolean);

/** Per path list and home: the sensitive places a glob is tested against, each with its segments. */
const candidateMemo = new WeakMap<PathData, Map<string, readonly (readonly [string, readonly string[]])[]>>();
function globCandidates(data: PathData, home: string): readonly (readonly [string, readonly string[]])[] {
  let byHome = candidateMemo.get(data);
  if (!byHome) {
    byHome = new Map();
    candidateMemo.set(data, byHome);
  }
  let list = byHome.get(home);
  if (!list) {
    const places = [
      home,
      ...[...data.credential.home, ...data.persistence.home, ...data.agentConfig.home].map((e) =>
        posix.join(home, e.replace(/\/$/, "")),
      ),
      ...[...data.credential.absolute, ...data.persistence.absolute].map((e) => e.replace(/\/$/, "")),
    ];
    list = places.map((c) => [c, segments(c)] as const);
    // Homes come from the agent's environment: a long-running process keeps a bounded few.
    if (byHome.size >= 64) byHome.clear();
    byHome.set(home, list);
  }
  return list;
}
