// What a path a command touches is: the filesystem root, the home, a system dir, a credential store,
// a file that runs at login, the agent's own config, the workspace, scratch space, or elsewhere.
// Pure: absolute paths in, classes out (the lists come from rules/gate/paths.yaml).

import { posix } from "node:path";
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
  persistence: { home: string[]; absolute: string[] };
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
  const ws = posix.normalize(ctx.workspace ?? ctx.cwd);
  if (!ws.startsWith("/") || ws === "/") return undefined;
  const home = posix.normalize(ctx.home);
  if (under(home, ws)) return undefined;
  if (data.system.some((d) => under(ws, d)) && !data.temp.some((d) => under(ws, d))) return undefined;
  return ws;
}

/** Classifies one absolute path (normalised, `..` resolved). `glob` when it held an unquoted pattern. */
export function classifyPath(
  abs: string,
  ctx: GateContext,
  data: PathData,
  ws: string | undefined,
): Set<PathClass> {
  const out = new Set<PathClass>();
  const p = posix.normalize(abs).replace(/(.)\/+$/, "$1");
  if (data.harmlessDevices.some((d) => p === d || p.startsWith(`${d}/`))) return out;
  // bash's /dev/tcp/HOST/PORT is a socket, not a file under /dev.
  if (data.network.some((d) => p.startsWith(d))) return new Set(["network"]);
  const home = posix.normalize(ctx.home);
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
  if (
    (rel !== undefined && data.credential.home.some((e) => entryCovers(rel, e))) ||
    data.credential.absolute.some((e) => entryCovers(p, e)) ||
    (data.credential.names.includes(base) && !(ws && under(p, ws)))
  )
    out.add("credential");
  if (data.secretFile.names.includes(base) || /^\.env\.[A-Za-z0-9_-]+$/.test(base)) {
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
    out.add("workspace");
    if (p === ws) out.add("workspace-root");
  } else if (temp) out.add("temp");
  else out.add("outside");
  if (temp && !out.has("workspace")) out.add("outside");
  // A project's .env is routine to read in its own workspace; another one's is a credential.
  if (out.has("secret-file") && !out.has("workspace")) out.add("credential");
  return out;
}
