import { constants, type Dirent, type Stats } from "node:fs";
import { access, open, opendir, realpath, stat } from "node:fs/promises";
import { isAbsolute, join, posix, relative } from "node:path";
import { CODE_RULES, type CodeRule } from "../rules/code.js";
import { safeMessage } from "../util/errors.js";
import { fileKind } from "../util/safe-read.js";
import type { Located, SourceContext } from "./context.js";
import { isBinary, scanFile } from "./files.js";

/**
 * Where secrets are mounted into containers and services. Every regular file under these roots
 * is a secret unless it is known public material: the orchestrator put it there to be a secret.
 */
export const MOUNT_ROOTS: readonly string[] = [
  // Docker swarm and Compose secrets: /run/secrets/<name>
  // (https://docs.docker.com/engine/swarm/secrets/, https://docs.docker.com/compose/how-tos/use-secrets/).
  "/run/secrets",
  // Kubernetes service-account tokens and projected volumes: /var/run/secrets/kubernetes.io/serviceaccount
  // (https://kubernetes.io/docs/concepts/security/service-accounts/); EKS IRSA and Pod Identity
  // tokens live beside them (https://docs.aws.amazon.com/eks/latest/userguide/pod-configuration.html).
  "/var/run/secrets",
  // systemd service credentials: /run/credentials/<unit>/<id> (https://systemd.io/CREDENTIALS/).
  "/run/credentials",
  // The mount path used by the Kubernetes Secret documentation's own example, copied widely.
  "/etc/secret-volume",
];

/** Environment variables that name a credentials directory: systemd sets CREDENTIALS_DIRECTORY for a unit. */
const ENV_ROOTS = ["CREDENTIALS_DIRECTORY"];

/** Fallback findings read at most this much: a mounted secret is a token, a password or a key. */
export const MOUNTED_SECRET_MAX_BYTES = 64 * 1024;
const MAX_DEPTH = 8;
const MAX_FILES = 10_000;

interface TokenFile {
  /** The documented path. `/var/run` is commonly a symlink to `/run`, so the `/run` spelling matches too. */
  path: string;
  /** The rule (rules/code.ts): id, provider, type, severity, title and remediation. */
  rule: CodeRule;
}

/**
 * Token files whose place says what they are. They are JWTs that no content rule needs to match:
 * the file is the credential. Content rules are not run on them, so one token is one finding.
 */
export const TOKEN_FILES: readonly TokenFile[] = [
  {
    path: "/var/run/secrets/kubernetes.io/serviceaccount/token",
    rule: CODE_RULES["kubernetes-service-account-token"],
  },
  {
    path: "/var/run/secrets/eks.amazonaws.com/serviceaccount/token",
    rule: CODE_RULES["aws-eks-web-identity-token"],
  },
  {
    path: "/var/run/secrets/pods.eks.amazonaws.com/serviceaccount/eks-pod-identity-token",
    rule: CODE_RULES["aws-eks-pod-identity-token"],
  },
];

/** A detection of a code-declared secret rule: its id and fixed texts from the catalog. */
function codeDetection(rule: CodeRule, secret: string, priority: number, agentPath: string): Located {
  return {
    ruleId: rule.id,
    provider: rule.provider ?? "generic",
    type: rule.type ?? "secret",
    severity: rule.severity,
    title: rule.title,
    remediation: rule.remediation,
    secret,
    priority,
    location: { source: "mount", path: agentPath },
  };
}

/** Files in a secrets mount that are public by design: CA bundles, certificates, the namespace name. */
const PUBLIC_NAMES = /^(?:namespace|.*\.crt|.*\.pub)$/;

/** The real path of an agent-visible absolute path: the system root prefix is added. */
export function systemPath(ctx: Pick<SourceContext, "systemRoot">, agentPath: string): string {
  return join(ctx.systemRoot, agentPath);
}

/**
 * Resolves symlinks, refusing to leave a non-"/" system root: an absolute symlink inside a fixture
 * or an unpacked image (`/var/run -> /run`) would otherwise lead to this machine's own files.
 * Returns undefined (and records why) when the target lies outside.
 */
export async function realInsideSystemRoot(
  ctx: Pick<SourceContext, "systemRoot" | "issues">,
  abs: string,
  where: string,
): Promise<string | undefined> {
  const real = await realpath(abs);
  if (ctx.systemRoot === "/") return real;
  const root = await realpath(ctx.systemRoot);
  const rel = relative(root, real);
  if (rel === "" || (!rel.startsWith("..") && !isAbsolute(rel))) return real;
  ctx.issues.push({ where, message: "skipped: a symlink leads outside --system-root" });
  return undefined;
}

/** Readable by the agent: the Access decides for --as-user; otherwise ask the kernel (access(2)). */
async function readableByAgent(ctx: SourceContext, abs: string, st: Stats): Promise<boolean> {
  if (ctx.access.identity) return ctx.access.canRead(abs, st);
  try {
    await access(abs, constants.R_OK);
    return true;
  } catch {
    return false;
  }
}

interface Candidate {
  abs: string;
  agentPath: string;
  st: Stats;
  token: TokenFile | undefined;
  /** 2: the token file's documented spelling, 1: its /run alias, 0: not a token file. */
  rank: number;
}

function tokenFor(agentPath: string): { token: TokenFile | undefined; rank: number } {
  for (const token of TOKEN_FILES) {
    if (agentPath === token.path) return { token, rank: 2 };
    if (agentPath === token.path.replace(/^\/var\/run\//, "/run/")) return { token, rank: 1 };
  }
  return { token: undefined, rank: 0 };
}

/**
 * Mounted secrets: every file under the mount roots, content rules first; a file no rule matches
 * is still a secret (`mounted-secret-file`). Unreadable files are not exposed, so they are skipped
 * without an issue.
 */
export async function scanMounts(ctx: SourceContext): Promise<Located[]> {
  const roots = [...MOUNT_ROOTS];
  for (const name of ENV_ROOTS) {
    const v = ctx.env?.[name];
    const dir = v && posix.isAbsolute(v) ? posix.normalize(v) : undefined;
    if (dir && !roots.includes(dir)) roots.push(dir);
  }
  // One file (device:inode) can be reached through several roots (/var/run -> /run): keep one
  // spelling: a token file's documented one if seen, else the first root's.
  const byId = new Map<string, Candidate>();
  const state = { files: 0, capped: false };
  for (const root of roots) await walkRoot(ctx, root, byId, state);
  if (state.capped) {
    ctx.issues.push({ where: "mounts", message: `stopped after ${MAX_FILES} files in the secret mounts` });
  }
  const out: Located[] = [];
  for (const [id, c] of byId) {
    if (ctx.scanned.has(id)) continue;
    if (!(await readableByAgent(ctx, c.abs, c.st))) continue;
    if (c.token) {
      ctx.scanned.add(id);
      const text = await readSmall(ctx, c);
      if (text === undefined || text === "") continue;
      out.push(codeDetection(c.token.rule, text, 3, c.agentPath));
      continue;
    }
    const found = await scanFile({ abs: c.abs, reportPath: c.agentPath, source: "mount", st: c.st }, ctx);
    if (found.length) {
      // A loop, not push(...found): a spread of more than ~125k detections overflows the stack (issue 8).
      for (const d of found) out.push(d);
      continue;
    }
    const base = posix.basename(c.agentPath);
    if (PUBLIC_NAMES.test(base) || c.st.size === 0 || c.st.size > MOUNTED_SECRET_MAX_BYTES) continue;
    // A second read: scanFile has counted the file, and recorded why if it could not read it.
    const secret = await readSmall(ctx, c, true);
    if (!secret || isPublicPem(secret)) continue;
    out.push(codeDetection(CODE_RULES["mounted-secret-file"], secret, 1, c.agentPath));
  }
  return out;
}

async function walkRoot(
  ctx: SourceContext,
  root: string,
  byId: Map<string, Candidate>,
  state: { files: number; capped: boolean },
): Promise<void> {
  const visited = new Set<string>();
  const add = (abs: string, agentPath: string, st: Stats) => {
    const id = `${st.dev}:${st.ino}`;
    const { token, rank } = tokenFor(agentPath);
    const prev = byId.get(id);
    if (!prev || rank > prev.rank) byId.set(id, { abs, agentPath, st, token, rank });
  };
  const walk = async (abs: string, agentPath: string, depth: number): Promise<void> => {
    // Resolved (and contained) before anything else, so a symlink out of a fixture or an unpacked
    // image is not even listed.
    let st: Stats;
    try {
      const real = await realInsideSystemRoot(ctx, abs, agentPath);
      if (!real) return;
      st = await stat(real);
    } catch (e) {
      // A missing root is the normal case (not in a container); anything else is worth a line.
      if ((e as { code?: string }).code !== "ENOENT")
        ctx.issues.push({ where: agentPath, message: `cannot stat: ${safeMessage(e)}` });
      return;
    }
    if (st.isFile()) {
      if (state.files >= MAX_FILES) {
        state.capped = true;
        return;
      }
      state.files++;
      add(abs, agentPath, st);
      return;
    }
    // Sockets, FIFOs and devices are never opened, and never silently either (issue 8): a FIFO
    // where a secret file belongs is not inventoried.
    if (!st.isDirectory()) {
      ctx.issues.push({ where: agentPath, message: `skipped: ${fileKind(st)} (never opened)` });
      return;
    }
    if (depth > MAX_DEPTH) {
      ctx.issues.push({ where: agentPath, message: `skipped: deeper than ${MAX_DEPTH} directory levels` });
      return;
    }
    const key = `${st.dev}:${st.ino}`;
    if (visited.has(key)) return;
    visited.add(key);
    let names: string[];
    try {
      const dir = await opendir(abs);
      names = [];
      for await (const ent of dir as AsyncIterable<Dirent>) names.push(ent.name);
    } catch (e) {
      ctx.issues.push({ where: agentPath, message: `cannot list: ${safeMessage(e)}` });
      return;
    }
    for (const name of names.sort()) {
      // Kubernetes' atomic writer keeps each version in `..<timestamp>` behind a `..data` symlink
      // and exposes the files as symlinks into it (kubernetes pkg/volume/util/atomic_writer.go):
      // read the public names only, so a token is reported once, at the path pods use.
      if (name.startsWith("..")) continue;
      await walk(join(abs, name), posix.join(agentPath, name), depth + 1);
    }
  };
  await walk(systemPath(ctx, root), root, 0);
}

/** The trimmed text of a small file (binary content as base64, so the subject stays stable). */
async function readSmall(ctx: SourceContext, c: Candidate, again = false): Promise<string | undefined> {
  try {
    const fh = await open(c.abs, "r");
    try {
      const buf = Buffer.alloc(Math.min(c.st.size, MOUNTED_SECRET_MAX_BYTES));
      const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
      const data = buf.subarray(0, bytesRead);
      if (!again) {
        ctx.stats.files++;
        ctx.stats.bytes += bytesRead;
        ctx.onFile?.(bytesRead);
      }
      return isBinary(data) ? data.toString("base64") : data.toString("utf8").trim();
    } finally {
      await fh.close();
    }
  } catch (e) {
    if (!again) ctx.issues.push({ where: c.agentPath, message: `cannot read: ${safeMessage(e)}` });
    return undefined;
  }
}

/** PEM text made only of certificates or public keys (RFC 7468 labels): public material. */
function isPublicPem(text: string): boolean {
  const labels = [...text.matchAll(/-----BEGIN ([A-Z0-9 ]+)-----/g)].map((m) => m[1]);
  return labels.length > 0 && labels.every((l) => l === "CERTIFICATE" || l === "PUBLIC KEY");
}
