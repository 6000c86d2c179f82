import { constants } from "node:fs";
import { open } from "node:fs/promises";
import { isAbsolute } from "node:path";
import type { Probe } from "../../contract/types.js";
import { escapeControls } from "../../util/controls.js";
import { safeMessage } from "../../util/errors.js";
import { fileKind, UnsafeFileError } from "../../util/safe-read.js";
import { splitHostPort } from "./parsers.js";
import { coversProxy, type WatcherConfig } from "./step.js";

// `scan --probe --verify-alerting` (issue 14, step 4): the probes' requests that the proxy refused
// must come out of the watcher as alerts. The scan cannot see a webhook or a Slack channel, so it
// reads back the watcher's `file:` sinks: their length is marked before the probes run, and what
// the watcher appends afterwards is searched for an alert naming a refused probe's host, until a
// time limit. The files are the watcher's output, read as data: opened without blocking, regular
// files only, at most READ_CAP bytes past the mark per look, one JSON object per line.

/** Bytes read past the mark at each look. */
export const READ_CAP = 8 * 1024 * 1024;

export interface SinkMark {
  path: string;
  /** Its length before the probes ran (0 when it did not exist). */
  from: number;
}

/** The `file:` sinks of the watchers that cover the proxy's log (absolute paths only). */
export function fileSinks(watchers: readonly WatcherConfig[]): string[] {
  const out = new Set<string>();
  for (const w of watchers) {
    if (!coversProxy(w)) continue;
    for (const s of w.sinks) if (s.startsWith("file:") && isAbsolute(s.slice(5))) out.add(s.slice(5));
  }
  return [...out];
}

async function openFile(path: string) {
  const fh = await open(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  const st = await fh.stat();
  if (!st.isFile()) {
    await fh.close();
    throw new UnsafeFileError("not-regular", `is ${fileKind(st)}, not a regular file`);
  }
  return { fh, size: st.size };
}

/** The length of every sink file now (before the probes). */
export async function markSinks(paths: readonly string[]): Promise<SinkMark[]> {
  const marks: SinkMark[] = [];
  for (const path of paths) {
    try {
      const { fh, size } = await openFile(path);
      await fh.close();
      marks.push({ path, from: size });
    } catch {
      marks.push({ path, from: 0 }); // created (or replaced) later: read from its start
    }
  }
  return marks;
}

/** A host as alerts and probes compare it: no IPv6 brackets, lower case. */
const bareHost = (host: string) => host.replace(/^\[(.*)\]$/, "$1").toLowerCase();

/** `10.0.0.1:80`, `[fd00::1]:443`, `canary.example:443` → the host as an alert names it. */
export function probeHost(target: string): string {
  return bareHost(splitHostPort(target).host);
}

/** The hosts of the probe requests the proxy refused (what the watcher must alert on). */
export function refusedHosts(probes: readonly Probe[]): string[] {
  return [
    ...new Set(
      probes.filter((p) => p.via === "proxy" && p.outcome === "blocked").map((p) => probeHost(p.target)),
    ),
  ];
}

export interface VerifyInput {
  marks: readonly SinkMark[];
  /** Hosts of the probe requests the proxy refused. */
  hosts: readonly string[];
  timeoutMs: number;
  pollMs?: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

export type VerifyResult = { ok: true; detail: string } | { ok: false; detail: string };

/** Whether a line the watcher wrote is an egress alert for one of `hosts`; the host it names. */
function matchLine(line: string, hosts: ReadonlySet<string>): string | undefined {
  if (!line.includes("agent-audit.egress-denied")) return undefined;
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (!v || typeof v !== "object") return undefined;
  const a = v as { type?: unknown; host?: unknown };
  if (a.type !== "agent-audit.egress-denied" || typeof a.host !== "string") return undefined;
  const host = bareHost(a.host);
  return hosts.has(host) ? host : undefined;
}

/** One look at a sink file: the host of the first matching alert past its mark. */
async function look(mark: SinkMark, hosts: ReadonlySet<string>): Promise<string | undefined> {
  const { fh, size } = await openFile(mark.path);
  try {
    const from = size < mark.from ? 0 : mark.from; // truncated or rotated since: its new content
    const length = Math.min(size - from, READ_CAP);
    if (length <= 0) return undefined;
    const buf = Buffer.alloc(length);
    const { bytesRead } = await fh.read(buf, 0, length, from);
    for (const line of buf.subarray(0, bytesRead).toString("utf8").split("\n")) {
      const hit = matchLine(line, hosts);
      if (hit) return hit;
    }
    return undefined;
  } finally {
    await fh.close();
  }
}

/**
 * Waits (at most timeoutMs) for an alert naming one of the refused hosts in a sink file. Fails
 * closed: no refused probe, no sink file, or nothing seen in time is `ok: false` with the reason.
 */
export async function verifyAlerting(input: VerifyInput): Promise<VerifyResult> {
  const hosts = new Set(input.hosts.map((h) => h.toLowerCase()));
  if (!hosts.size)
    return {
      ok: false,
      detail:
        "no probe request was refused by the proxy, so there was no denial to look for in the watcher's output",
    };
  if (!input.marks.length)
    return {
      ok: false,
      detail:
        "the watcher has no file: sink (absolute path) the scan can read back; add one beside the others, e.g. file:/var/log/agent-audit/alerts.jsonl",
    };
  const now = input.now ?? Date.now;
  const sleep = input.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const start = now();
  const errors = new Map<string, string>();
  for (;;) {
    for (const mark of input.marks) {
      try {
        const hit = await look(mark, hosts);
        errors.delete(mark.path);
        if (hit)
          return {
            ok: true,
            detail: `the alert for ${escapeControls(hit)} reached file:${escapeControls(mark.path)} after ${Math.round((now() - start) / 1000)} s`,
          };
      } catch (e) {
        errors.set(mark.path, e instanceof UnsafeFileError ? e.message : safeMessage(e));
      }
    }
    if (now() - start >= input.timeoutMs) break;
    await sleep(Math.min(input.pollMs ?? 1000, Math.max(1, input.timeoutMs - (now() - start))));
  }
  const shown = [...hosts].slice(0, 3).map(escapeControls).join(", ");
  const why = [...errors].map(([p, m]) => `; file:${escapeControls(p)}: ${escapeControls(m)}`).join("");
  return {
    ok: false,
    detail: `no alert for the refused probe request${hosts.size === 1 ? "" : "s"} (${shown}${hosts.size > 3 ? ", …" : ""}) reached ${input.marks.map((m) => `file:${escapeControls(m.path)}`).join(", ")} within ${Math.round(input.timeoutMs / 1000)} s${why}`,
  };
}
