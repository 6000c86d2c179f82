import type { Stats } from "node:fs";
import { stat } from "node:fs/promises";
import { connect } from "node:net";
import { posix } from "node:path";
import { CODE_RULES } from "../rules/code.js";
import { safeMessage } from "../util/errors.js";
import type { Located, SourceContext } from "./context.js";
import { realInsideSystemRoot, systemPath } from "./mounts.js";

/** Connect and answer timeouts: a local socket answers in microseconds or not at all. */
export const SOCKET_TIMEOUT_MS = 1000;

/**
 * Container-engine API sockets. Whoever can connect can start a privileged container with the
 * host's root filesystem mounted: root on the host, or (rootless engines) the engine user's whole
 * account, outside any sandbox (https://docs.docker.com/engine/security/#docker-daemon-attack-surface).
 */
export const RUNTIME_SOCKETS: readonly { path: string; runtime: string }[] = [
  { path: "/var/run/docker.sock", runtime: "docker" },
  { path: "/run/docker.sock", runtime: "docker" },
  { path: "/run/podman/podman.sock", runtime: "podman" },
  { path: "/run/containerd/containerd.sock", runtime: "containerd" },
  { path: "/var/run/containerd/containerd.sock", runtime: "containerd" },
  { path: "/run/crio/crio.sock", runtime: "cri-o" },
];

/** Per-user sockets of rootless engines, relative to $XDG_RUNTIME_DIR. */
const XDG_RUNTIME_SOCKETS: readonly { path: string; runtime: string }[] = [
  { path: "podman/podman.sock", runtime: "podman" },
  { path: "docker.sock", runtime: "docker" },
];

/** Variables that point the clients at an engine: `unix:///path` (docker(1) -H, podman-remote(1)). */
const HOST_VARIABLES: readonly { name: string; runtime: string }[] = [
  { name: "DOCKER_HOST", runtime: "docker" },
  { name: "CONTAINER_HOST", runtime: "podman" },
];

export type ConnectResult = "open" | "refused" | "timeout" | { error: string };

/**
 * Opens a connection and closes it at once: nothing is ever sent. ECONNREFUSED (a stale socket
 * file), EACCES (no write permission) and EPERM (a seccomp filter or LSM forbids AF_UNIX, as
 * sandbox-runtime does) all mean the agent cannot reach the engine.
 */
export function tryConnect(path: string, timeoutMs = SOCKET_TIMEOUT_MS): Promise<ConnectResult> {
  return new Promise((resolve) => {
    const sock = connect({ path });
    const done = (r: ConnectResult) => {
      sock.destroy();
      resolve(r);
    };
    sock.setTimeout(timeoutMs, () => done("timeout"));
    sock.once("connect", () => done("open"));
    sock.once("error", (e) => {
      const code = (e as { code?: string }).code;
      if (code === "ECONNREFUSED" || code === "EACCES" || code === "EPERM" || code === "ENOENT")
        done("refused");
      else done({ error: safeMessage(e) });
    });
  });
}

interface SocketTarget {
  agentPath: string;
  runtime: string;
}

function unixPath(value: string | undefined): string | undefined {
  if (!value?.startsWith("unix://")) return undefined;
  const p = value.slice("unix://".length);
  return posix.isAbsolute(p) ? posix.normalize(p) : undefined;
}

/** The candidate runtime sockets, as agent-visible absolute paths, first spelling wins. */
export function runtimeSocketTargets(env: Record<string, string> | undefined): SocketTarget[] {
  const out: SocketTarget[] = [];
  for (const v of HOST_VARIABLES) {
    const p = unixPath(env?.[v.name]);
    if (p) out.push({ agentPath: p, runtime: v.runtime });
  }
  out.push(...RUNTIME_SOCKETS.map((s) => ({ agentPath: s.path, runtime: s.runtime })));
  const xdg = env?.XDG_RUNTIME_DIR;
  if (xdg && posix.isAbsolute(xdg)) {
    for (const s of XDG_RUNTIME_SOCKETS) {
      out.push({ agentPath: posix.join(xdg, s.path), runtime: s.runtime });
    }
  }
  const seen = new Set<string>();
  return out.filter((t) => !seen.has(t.agentPath) && seen.add(t.agentPath));
}

/** A socket the agent can connect to: the path is a socket, permissions allow it, something listens. */
async function reachable(
  ctx: SourceContext,
  agentPath: string,
  seenReal: Set<string>,
): Promise<{ abs: string } | undefined> {
  const abs = systemPath(ctx, agentPath);
  let st: Stats;
  try {
    st = await stat(abs);
  } catch (e) {
    const code = (e as { code?: string }).code;
    // Missing, or behind a directory the scanning user cannot search: not reachable from here.
    if (code !== "ENOENT" && code !== "ENOTDIR" && code !== "EACCES")
      ctx.issues.push({ where: agentPath, message: `cannot stat: ${safeMessage(e)}` });
    return undefined;
  }
  if (!st.isSocket()) return undefined;
  let real: string | undefined;
  try {
    real = await realInsideSystemRoot(ctx, abs, agentPath);
  } catch (e) {
    ctx.issues.push({ where: agentPath, message: `cannot resolve: ${safeMessage(e)}` });
    return undefined;
  }
  if (!real || seenReal.has(real)) return undefined;
  seenReal.add(real);
  // With --as-user, permission comes from the mode bits (unix(7): connecting needs write
  // permission on the socket); the connection attempt below then only tells a live listener
  // from a stale file. Without it, the attempt answers both questions.
  if (ctx.access.identity && !(await ctx.access.canConnect(abs, st))) return undefined;
  const r = await tryConnect(abs);
  if (r === "open") return { abs };
  if (r === "timeout")
    ctx.issues.push({ where: agentPath, message: `no answer within ${SOCKET_TIMEOUT_MS} ms` });
  else if (r !== "refused") ctx.issues.push({ where: agentPath, message: `cannot connect: ${r.error}` });
  return undefined;
}

/**
 * Sockets that hand the agent more than a file could: container-engine APIs (root-equivalent)
 * and an SSH agent with keys loaded (it signs for the agent without a key file to find).
 */
export async function scanSockets(ctx: SourceContext): Promise<Located[]> {
  const out: Located[] = [];
  const seenReal = new Set<string>();
  for (const t of runtimeSocketTargets(ctx.env)) {
    if (!(await reachable(ctx, t.agentPath, seenReal))) continue;
    const rule = CODE_RULES["socket-container-runtime"];
    out.push({
      ruleId: rule.id,
      provider: t.runtime,
      type: rule.type,
      severity: rule.severity,
      kind: rule.kind,
      title: `Container engine socket (${t.runtime}) reachable: the agent can start a privileged container and escape the sandbox`,
      remediation: rule.remediation,
      secret: `socket:${t.agentPath}`,
      priority: 2,
      location: { source: "socket", path: t.agentPath },
    });
  }
  const sshSock = ctx.env?.SSH_AUTH_SOCK;
  if (sshSock && posix.isAbsolute(sshSock)) {
    const agentPath = posix.normalize(sshSock);
    const found = await reachable(ctx, agentPath, seenReal);
    if (found) {
      const keys = await countAgentKeys(found.abs);
      if (typeof keys !== "number") {
        ctx.issues.push({ where: agentPath, message: `ssh-agent: ${keys.error}` });
      } else if (keys > 0) {
        const rule = CODE_RULES["socket-ssh-agent-keys"];
        out.push({
          ruleId: rule.id,
          provider: rule.provider,
          type: rule.type,
          severity: rule.severity,
          kind: rule.kind,
          title: `SSH agent reachable with ${keys} key${keys === 1 ? "" : "s"} loaded: the agent can authenticate as their owner without reading a key file`,
          remediation: rule.remediation,
          // Identity by the variable, not the per-session socket path (/tmp/ssh-XXXX/agent.PID).
          secret: "socket:$SSH_AUTH_SOCK",
          identityPath: "$SSH_AUTH_SOCK",
          priority: 2,
          location: { source: "socket", path: agentPath, name: "SSH_AUTH_SOCK" },
        });
      }
    }
  }
  return out;
}

// SSH agent protocol, draft-miller-ssh-agent-04 (now RFC 9987): every message is a uint32 length
// followed by a message-type byte and its contents (section 3); message numbers in section 5.1.
const SSH_AGENT_FAILURE = 5;
const SSH_AGENTC_REQUEST_IDENTITIES = 11;
const SSH_AGENT_IDENTITIES_ANSWER = 12;
/** A reply bigger than this is not an identities list from a real agent. */
const MAX_REPLY_BYTES = 256 * 1024;

/**
 * Parses an SSH_AGENT_IDENTITIES_ANSWER (draft-miller-ssh-agent-04 section 4.4): byte 12, uint32
 * nkeys, then nkeys times (string key blob, string comment). `msg` is the message without its
 * length prefix. Returns the key count, or why the message is not a valid answer. Key comments
 * are never returned: they can name people and hosts.
 */
export function parseIdentitiesAnswer(msg: Buffer): number | { error: string } {
  if (msg.length === 0) return { error: "empty reply" };
  if (msg[0] === SSH_AGENT_FAILURE)
    return { error: "the agent refused to list its keys (SSH_AGENT_FAILURE)" };
  if (msg[0] !== SSH_AGENT_IDENTITIES_ANSWER) return { error: `unexpected reply type ${msg[0]}` };
  if (msg.length < 5) return { error: "truncated identities answer" };
  const nkeys = msg.readUInt32BE(1);
  let off = 5;
  for (let i = 0; i < nkeys; i++) {
    for (let field = 0; field < 2; field++) {
      if (off + 4 > msg.length) return { error: "truncated identities answer" };
      off += 4 + msg.readUInt32BE(off);
      if (off > msg.length) return { error: "truncated identities answer" };
    }
  }
  if (off !== msg.length) return { error: "trailing bytes after the identities answer" };
  return nkeys;
}

/** Asks an SSH agent how many keys it holds (SSH_AGENTC_REQUEST_IDENTITIES); reads nothing else. */
export function countAgentKeys(
  path: string,
  timeoutMs = SOCKET_TIMEOUT_MS,
): Promise<number | { error: string }> {
  return new Promise((resolve) => {
    const sock = connect({ path });
    const chunks: Buffer[] = [];
    let received = 0;
    let settled = false;
    const done = (r: number | { error: string }) => {
      if (settled) return;
      settled = true;
      sock.destroy();
      resolve(r);
    };
    sock.setTimeout(timeoutMs, () => done({ error: `no answer within ${timeoutMs} ms` }));
    sock.once("connect", () => {
      const req = Buffer.alloc(5);
      req.writeUInt32BE(1, 0);
      req[4] = SSH_AGENTC_REQUEST_IDENTITIES;
      sock.write(req);
    });
    sock.on("data", (chunk: Buffer) => {
      chunks.push(chunk);
      received += chunk.length;
      if (received < 4) return;
      const buf = Buffer.concat(chunks);
      const len = buf.readUInt32BE(0);
      if (len > MAX_REPLY_BYTES) return done({ error: `reply of ${len} bytes is too large` });
      if (buf.length < 4 + len) return;
      done(parseIdentitiesAnswer(buf.subarray(4, 4 + len)));
    });
    sock.once("error", (e) => done({ error: `cannot query: ${safeMessage(e)}` }));
    sock.once("close", () => done({ error: "the agent closed the connection without answering" }));
  });
}
