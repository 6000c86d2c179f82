import { createHash } from "node:crypto";
import { existsSync, mkdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { Deduper } from "../capabilities/alerting/dedupe.js";
import { parseLine } from "../capabilities/alerting/parsers.js";
import { AlertQueue, queueDirFor } from "../capabilities/alerting/queue.js";
import { makeSink, parseSink, type SinkDeps, type SinkSpec } from "../capabilities/alerting/sinks.js";
import {
  JournalReader,
  LogFollower,
  type LogLine,
  loadStateChecked,
  saveState,
  type WatchState,
} from "../capabilities/alerting/tail.js";
import { type Alert, type AlertSourceKind, type Sink, SOURCE_KINDS } from "../capabilities/alerting/types.js";
import { loadConfig } from "../config/index.js";
import { redactText } from "../detect/redact.js";
import { escapeControls } from "../util/controls.js";
import { safeMessage, UsageError } from "../util/errors.js";
import { UnsafeFileError } from "../util/safe-read.js";
import type { AppContext } from "./scan.js";

// `agent-audit watch` (issue 14, step 4): follows the proxy's and the firewall's logs, turns each
// denied request into an alert (one per destination per window, with a count) and delivers it to
// every sink through a bounded on-disk queue per sink, so a sink that is down loses nothing. The
// position in every log is saved after each batch, once that batch's alerts are queued on disk:
// a restart resumes after the last line processed. Open windows are flushed (and queued) on
// SIGINT/SIGTERM and at the end of --once; a hard kill loses at most the denials of the windows
// still open (one window, 60 s by default).

export interface WatchRequest {
  /** `KIND:PATH` or `journal[:UNIT]`; empty: the config's. */
  sources: string[];
  /** Sink specs; empty: the config's, else `stdout`. */
  sinks: string[];
  /** The state file; default: the config's, else stateDefault. */
  state?: string;
  config?: string;
  once: boolean;
  /** Send one synthetic alert through every sink and exit. */
  test: boolean;
  /** Where a log with no saved position starts. */
  startAt?: "start" | "end";
  windowSeconds?: number;
  maxAlertsPerMinute?: number;
  /** Follow mode: how often logs are polled. */
  pollMs?: number;
  /** --once: retries per sink before the alerts stay queued for the next run. */
  retries?: number;
  /** Default state file when neither the flag nor the config names one. */
  stateDefault: string;
  /** Test seams. */
  journalctl?: string;
  sinkDeps?: SinkDeps;
  /** The firewall log prefix (default `agent-audit-egress: `). */
  firewallPrefix?: string;
  now?: () => number;
  /** Queue retry waits (tests). */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /**
   * Called with each warning as it happens (the CLI prints it to stderr): in follow mode the
   * summary's list is only shown on exit, and a source that cannot be read must be said at once.
   */
  onWarning?: (message: string) => void;
  /** --once: passes at most (default 100, each up to 100,000 lines a source). */
  oncePasses?: number;
  /** Test seam: called after each pass with the state just saved. */
  afterPass?: (state: WatchState) => void;
}

/** Batches (LogFollower: at most 10,000 lines or 16 MiB each) read from one source a pass. */
const PASS_BATCHES = 10;
/** --once: passes at most (10 million lines of one source). */
const ONCE_PASSES = 100;

export interface WatchSummary {
  /** Lines read, denials found, alerts made. */
  lines: number;
  denials: number;
  alerts: number;
  /** Per sink: its safe name, delivered, still queued, dropped (queue full), last error. */
  sinks: { name: string; delivered: number; pending: number; dropped: number; lastError?: string }[];
  /** Problems that did not stop the watcher (a source that could not be read this round). */
  warnings: string[];
}

export interface SourceSpec {
  kind: AlertSourceKind;
  /** The file, or for `journal` the unit (empty: every entry). */
  path: string;
  spec: string;
}

/** A `--source` value. */
export function parseSource(spec: string, cwd: string): SourceSpec {
  if (spec === "journal") return { kind: "journal", path: "", spec };
  const i = spec.indexOf(":");
  const kind = i > 0 ? spec.slice(0, i) : spec;
  const rest = i > 0 ? spec.slice(i + 1) : "";
  if (!(SOURCE_KINDS as readonly string[]).includes(kind) || (kind !== "journal" && rest === ""))
    throw new UsageError(
      `--source ${JSON.stringify(redactText(spec).slice(0, 200))}: not KIND:PATH`,
      `KIND is one of ${SOURCE_KINDS.join(", ")} (journal takes an optional :UNIT)`,
    );
  if (/[\u0000-\u001f\u007f]/.test(rest)) throw new UsageError("--source: a control character in the path");
  if (kind === "journal") {
    if (!/^[A-Za-z0-9@._:-]{1,256}$/.test(rest))
      throw new UsageError("--source journal:UNIT: not a systemd unit name");
    return { kind: "journal", path: rest, spec };
  }
  return { kind: kind as AlertSourceKind, path: resolve(cwd, rest), spec };
}

interface Reader {
  source: SourceSpec;
  read(): Promise<LogLine[]>;
  more(): boolean;
  save(state: WatchState): void;
  close(): Promise<void>;
}

/** The key of a source's position in the state file: its path, or `journal[:UNIT]`. */
function readerKey(s: SourceSpec): string {
  return s.kind === "journal" ? (s.path ? `journal:${s.path}` : "journal") : s.path;
}

function readerFor(s: SourceSpec, state: WatchState, req: WatchRequest, warn: (m: string) => void): Reader {
  if (s.kind === "journal") {
    const key = readerKey(s);
    const r = new JournalReader({
      ...(req.journalctl ? { journalctl: req.journalctl } : {}),
      state: state.journals?.[key],
      ...(s.path ? { matches: [`_SYSTEMD_UNIT=${s.path}`] } : {}),
      ...(req.startAt ? { startAt: req.startAt } : {}),
    });
    return {
      source: s,
      read: () => r.readAvailable(),
      more: () => r.hasMore,
      save: (st) => {
        const j = r.state;
        if (j) {
          st.journals ??= {};
          st.journals[key] = j;
        }
      },
      close: async () => {},
    };
  }
  const f = new LogFollower(s.path, {
    state: state.files[s.path],
    ...(req.startAt ? { startAt: req.startAt } : {}),
    onWarning: (m) => warn(`${s.spec}: ${m}`),
  });
  return {
    source: s,
    read: () => f.readAvailable(),
    more: () => f.hasMore,
    save: (st) => {
      const fs = f.state;
      if (fs) st.files[s.path] = fs;
    },
    close: () => f.close(),
  };
}

interface Delivery {
  spec: SinkSpec;
  sink: Sink;
  queue: AlertQueue;
  delivered: number;
  lastError?: string;
  /** The delivery failure last reported as a warning (not repeated while it lasts). */
  reported?: string;
}

/** The sources, sinks and state path of a request, from its flags and then the config's `alerting:`. */
export async function watchPlan(req: WatchRequest, ctx: Pick<AppContext, "cwd">) {
  const loaded = req.config
    ? await loadConfig({ path: resolve(ctx.cwd, req.config), root: ctx.cwd })
    : undefined;
  const a = loaded?.config.alerting;
  const sourceSpecs = req.sources.length ? req.sources : (a?.sources ?? []);
  const sinkSpecs = req.sinks.length ? req.sinks : (a?.sinks ?? ["stdout"]);
  if (!req.test && sourceSpecs.length === 0)
    throw new UsageError(
      "no log to watch: give --source KIND:PATH (or an alerting.sources list in --config)",
      "e.g. --source squid:/var/log/squid/access.log",
    );
  const sources = sourceSpecs.map((s) => parseSource(s, ctx.cwd));
  const sinks = sinkSpecs.map((s) => {
    try {
      return parseSink(s);
    } catch (e) {
      throw new UsageError(
        redactText((e as Error).message),
        "stdout, file:PATH, syslog[:udp://HOST:PORT], webhook:URL or slack:URL",
      );
    }
  });
  const state = req.state ? resolve(ctx.cwd, req.state) : (a?.state ?? req.stateDefault);
  return {
    sources,
    sinks,
    state,
    windowSeconds: req.windowSeconds ?? a?.windowSeconds ?? 60,
    maxAlertsPerMinute: req.maxAlertsPerMinute ?? a?.maxAlertsPerMinute ?? 30,
  };
}

/** `watch --send-test`: one synthetic alert through every sink, directly (no queue): did it arrive? */
export async function watchTest(req: WatchRequest, ctx: Pick<AppContext, "cwd" | "hostname">) {
  const plan = await watchPlan({ ...req, test: true }, ctx);
  const now = new Date((req.now ?? Date.now)()).toISOString();
  const alert: Alert = {
    type: "agent-audit.test",
    id: createHash("sha256").update(`test\n${now}`).digest("hex").slice(0, 32),
    event: {
      time: now,
      source: "squid",
      origin: "agent-audit watch --send-test",
      host: "canary.agent-audit.invalid",
      port: 443,
      method: "CONNECT",
      decision: "test",
    },
    count: 1,
    firstSeen: now,
    lastSeen: now,
    hostname: ctx.hostname,
  };
  const results: { name: string; ok: boolean; error?: string }[] = [];
  for (const spec of plan.sinks) {
    const sink = makeSink(spec, req.sinkDeps ?? {});
    try {
      await sink.send([alert]);
      results.push({ name: spec.name, ok: true });
    } catch (e) {
      results.push({
        name: spec.name,
        ok: false,
        error: redactText(e instanceof Error ? e.message : safeMessage(e)),
      });
    } finally {
      await sink.close?.();
    }
  }
  return results;
}

/**
 * Runs the watcher: --once reads what is in the logs now, queues and delivers the alerts and
 * returns; otherwise it polls until `signal` aborts (then flushes the open windows and returns).
 */
export async function runWatch(
  req: WatchRequest,
  ctx: Pick<AppContext, "cwd" | "hostname">,
  signal?: AbortSignal,
): Promise<WatchSummary> {
  const plan = await watchPlan(req, ctx);
  const statePath = plan.state;
  const stateDir = dirname(statePath);
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  const warnings: string[] = [];
  const warn = (m: string) => {
    const text = redactText(m);
    if (warnings.length < 100) warnings.push(text);
    req.onWarning?.(text);
  };
  /** The last warning of each source: a source that stays unreadable is reported once, not every poll. */
  const lastWarning = new Map<string, string>();
  // A damaged state file (or entry) is not a reason to stop watching, nor to skip what was written
  // meanwhile: the logs concerned are read again from their start (repeated alerts keep their ids).
  const loaded = loadStateChecked(statePath);
  const state = loaded.state;
  if (loaded.damaged !== undefined) warn(`${loaded.damaged}: every log is read again from its start`);
  for (const k of loaded.damagedEntries)
    warn(`the --state file's position of ${k} is damaged: that log is read again from its start`);
  const fromStart = (key: string) => loaded.damaged !== undefined || loaded.damagedEntries.includes(key);
  const now = req.now ?? Date.now;
  const deduper = new Deduper({
    hostname: ctx.hostname,
    windowMs: plan.windowSeconds * 1000,
    maxAlertsPerMinute: plan.maxAlertsPerMinute,
    now,
  });
  const deliveries: Delivery[] = plan.sinks.map((spec) => ({
    spec,
    sink: makeSink(spec, req.sinkDeps ?? {}),
    queue: new AlertQueue({
      dir: queueDirFor(stateDir, spec.key),
      ...(req.sleep ? { sleep: req.sleep } : {}),
    }),
    delivered: 0,
  }));
  const readers = plan.sources.map((s) =>
    readerFor(s, state, fromStart(readerKey(s)) ? { ...req, startAt: "start" } : req, warn),
  );
  const summary: WatchSummary = { lines: 0, denials: 0, alerts: 0, sinks: [], warnings };
  // A log that is not there is followed until it appears; said once, so a typo in a path is seen.
  for (const src of plan.sources)
    if (src.kind !== "journal" && !existsSync(src.path))
      warn(`${src.spec}: no such file (yet): it is read from its start once it appears`);

  const enqueue = (alerts: Alert[]) => {
    if (!alerts.length) return;
    summary.alerts += alerts.length;
    for (const d of deliveries) d.queue.enqueue(alerts);
  };
  const drain = async (retries?: number) => {
    await Promise.all(
      deliveries.map(async (d) => {
        const r = await d.queue.drain(d.sink, {
          ...(retries !== undefined ? { maxRetries: retries } : {}),
          ...(signal ? { signal } : {}),
          // Follow mode retries for ever: a sink that is down is said when it happens, once per
          // cause. --once says it in the summary's line for that sink (queued, with the error).
          ...(req.once
            ? {}
            : {
                onError: (m: string) => {
                  if (d.reported === m) return;
                  d.reported = m;
                  warn(`${d.spec.name}: alerts not delivered, kept in the queue: ${m}`);
                },
              }),
        });
        if (r.pending === 0) delete d.reported;
        d.delivered += r.delivered;
        if (r.lastError) d.lastError = redactText(r.lastError);
        else delete d.lastError;
      }),
    );
  };
  /**
   * One pass over every source: lines in, alerts queued on disk, then the positions saved. In
   * follow mode a source gives at most PASS_BATCHES batches a pass (a log flooded without end must
   * not starve the others, nor hold back the windows' alerts); returns whether one has more.
   */
  const pass = async (rounds: number): Promise<string[]> => {
    const more: string[] = [];
    for (const r of readers) {
      let round = 0;
      do {
        if (round++ >= rounds) {
          more.push(r.source.spec);
          break;
        }
        let lines: LogLine[];
        try {
          lines = await r.read();
        } catch (e) {
          const m = `${r.source.spec}: not read this time (${e instanceof UsageError || e instanceof UnsafeFileError ? e.message : safeMessage(e)})`;
          if (lastWarning.get(r.source.spec) !== m) warn(m);
          lastWarning.set(r.source.spec, m);
          break;
        }
        lastWarning.delete(r.source.spec);
        const at = new Date(now());
        const origin =
          r.source.kind === "journal"
            ? r.source.path
              ? `journal:${r.source.path}`
              : "journal"
            : r.source.path;
        // An over-long line's head holds the logging program's fields, except srt's, whose text
        // ends the line: the other piece begins or ends inside text the agent chose (LogLine.part).
        const skip = r.source.kind === "sandbox-runtime" ? "head" : "tail";
        for (const l of lines) {
          if (l.part !== undefined && l.part === skip) continue;
          summary.lines++;
          const e = parseLine(
            r.source.kind,
            l.text,
            origin,
            at,
            req.firewallPrefix ? { firewallPrefix: req.firewallPrefix } : {},
          );
          if (!e) continue;
          summary.denials++;
          enqueue(deduper.add(e));
        }
        r.save(state);
      } while (r.more());
    }
    enqueue(deduper.tick());
    saveState(statePath, state);
    req.afterPass?.(state);
    return more;
  };

  try {
    if (req.once) {
      // Bounded too: a log the agent floods as fast as it is read must not keep --once from
      // ending and delivering; the next run goes on from the saved position.
      let more = await pass(PASS_BATCHES);
      for (let n = 1; more.length > 0 && n < (req.oncePasses ?? ONCE_PASSES); n++)
        more = await pass(PASS_BATCHES);
      for (const spec of more)
        warn(`${spec}: more to read than one --once run reads: the next run goes on from here`);
      enqueue(deduper.flush());
      saveState(statePath, state);
      await drain(req.retries ?? 2);
    } else {
      // Deliveries run beside the reading: a sink that is down must not stop the logs being read.
      let draining: Promise<void> | undefined;
      while (!signal?.aborted) {
        const more = (await pass(PASS_BATCHES)).length > 0;
        draining ??= drain().finally(() => {
          draining = undefined;
        });
        // A source with more to read: the next pass at once (after the event loop's turn).
        await sleep(more ? 0 : (req.pollMs ?? 1000), signal);
      }
      enqueue(deduper.flush());
      saveState(statePath, state);
      await draining?.catch(() => {});
      await drain(0).catch(() => {});
    }
  } finally {
    for (const r of readers) await r.close();
    for (const d of deliveries) await d.sink.close?.();
  }
  summary.sinks = deliveries.map((d) => ({
    name: d.spec.name,
    delivered: d.delivered,
    pending: d.queue.pending,
    dropped: d.queue.dropped,
    ...(d.lastError ? { lastError: d.lastError } : {}),
  }));
  return summary;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((done) => {
    if (signal?.aborted) return done();
    const t = setTimeout(finish, ms);
    function finish() {
      clearTimeout(t);
      signal?.removeEventListener("abort", finish);
      done();
    }
    signal?.addEventListener("abort", finish, { once: true });
  });
}

/** The default state file: root's under /var/lib, anyone else's under ~/.local/state. */
export function defaultStatePath(isRoot: boolean, homedir: string): string {
  return isRoot
    ? "/var/lib/agent-audit/watch/state.json"
    : join(homedir, ".local", "state", "agent-audit", "watch", "state.json");
}

/** What a run did, as `watch` prints it on stderr when it ends. */
export function watchSummaryText(s: WatchSummary): string {
  const lines = [
    `agent-audit watch: ${s.lines} lines read, ${s.denials} denials, ${s.alerts} alerts`,
    ...s.sinks.map(
      (k) =>
        `  ${k.name}: ${k.delivered} delivered${k.pending ? `, ${k.pending} queued (${k.lastError ?? "not delivered yet"})` : ""}${k.dropped ? `, ${k.dropped} dropped (queue full)` : ""}`,
    ),
    ...s.warnings.map((w) => `  warning: ${w}`),
  ];
  return `${lines.map(escapeControls).join("\n")}\n`;
}
