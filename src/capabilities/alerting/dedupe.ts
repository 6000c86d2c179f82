// `agent-audit watch` (issue 14): bursts of denials become few alerts. One alert per destination
// per window, with the count of denials it stands for; and a global rate limit, past which alerts
// are folded into one summary alert per minute. An agent retrying a blocked host 100 times a second
// yields one alert a window, and one spraying a million distinct hosts yields at most
// maxAlertsPerMinute alerts plus one summary a minute, in bounded memory.

import { createHash } from "node:crypto";
import type { Alert, DenialEvent } from "./types.js";

/**
 * The destination an alert is about: the source kind, the host and the port (`squid|example.org|443`).
 * Not the client: one destination refused for ten clients is one alert (the first event names a
 * client; the count covers all). Not the origin file either: two logs of one source kind name one
 * destination once. Hostless events of a source share one key.
 */
export function destinationKey(e: DenialEvent): string {
  return `${e.source}|${e.host ?? ""}|${e.port ?? ""}`;
}

/** A stable alert id: SHA-256 (hex, 32 digits) of the destination key and the window's start (ISO time). */
export function alertId(key: string, windowStart: string): string {
  return createHash("sha256").update(`${key}\n${windowStart}`).digest("hex").slice(0, 32);
}

export interface DeduperOptions {
  /** The host the watcher runs on (Alert.hostname). */
  hostname: string;
  /** Window length, ms (default 60 s). */
  windowMs?: number;
  /** Alerts per rolling minute at most (default 20); the rest are folded into one summary alert a minute. */
  maxAlertsPerMinute?: number;
  /** Open windows at most (default 10,000): past that the oldest closes early. */
  maxOpenWindows?: number;
  /** The clock, ms since the epoch (default Date.now): tests inject one. */
  now?: () => number;
}

interface Window {
  key: string;
  /** Start, in event time (ms). */
  start: number;
  /** When it may close, in clock time (ms). */
  closesAt: number;
  first: DenialEvent;
  count: number;
  firstSeen: number;
  lastSeen: number;
}

const MINUTE = 60_000;

/**
 * Groups denial events into alerts. Windows are in event time: the first denial of a destination
 * opens [t, t + window) at its log time t (never later than now), and the denials of that
 * destination whose log time falls before the window's end are counted in it; a later one closes it
 * and opens the next. A window closes (its alert is emitted) when the clock has passed both its end
 * and its opening plus one window: a backlog of old lines read at once (`--once`, a restart) is
 * grouped the same as live lines. Alert ids hash the destination and the window start, so the same
 * lines read twice (a restart between processing and saving the position) give the same ids.
 *
 * add() and tick() return the alerts that are due, in order of window start; flush() closes every
 * window (on `--once` exit and shutdown). The global rate limit counts emitted alerts per minute of
 * clock time (a minute starts at the first alert emitted after the last one ended); past
 * maxAlertsPerMinute, alerts are folded: at the minute's end one summary alert says how many alerts
 * and denials were folded (its event is the first folded alert's, its decision
 * `rate-limited: N more alerts`, its count the folded denials).
 */
export class Deduper {
  readonly #hostname: string;
  readonly #windowMs: number;
  readonly #max: number;
  readonly #maxOpen: number;
  readonly #now: () => number;
  /** Open windows by key, in insertion order (the oldest first). */
  readonly #open = new Map<string, Window>();
  #minuteStart: number | undefined;
  #emitted = 0;
  #folded: { first: Alert; alerts: number; denials: number; firstSeen: string; lastSeen: string } | undefined;

  constructor(opts: DeduperOptions) {
    this.#hostname = opts.hostname;
    this.#windowMs = opts.windowMs ?? MINUTE;
    this.#max = opts.maxAlertsPerMinute ?? 20;
    this.#maxOpen = opts.maxOpenWindows ?? 10_000;
    this.#now = opts.now ?? Date.now;
    if (!(this.#windowMs > 0) || !(this.#max >= 1) || !(this.#maxOpen >= 1))
      throw new Error("Deduper: windowMs, maxAlertsPerMinute and maxOpenWindows must be positive");
  }

  /** Open windows now. */
  get openWindows(): number {
    return this.#open.size;
  }

  /** Counts one denial; returns the alerts now due (a window it closed, windows past their time). */
  add(e: DenialEvent): Alert[] {
    const now = this.#now();
    const parsed = Date.parse(e.time);
    const t = Number.isFinite(parsed) ? Math.min(parsed, now) : now;
    const key = destinationKey(e);
    const closed: Window[] = [];
    const w = this.#open.get(key);
    if (w && t < w.start + this.#windowMs) {
      w.count++;
      if (t < w.firstSeen) w.firstSeen = t;
      if (t > w.lastSeen) w.lastSeen = t;
    } else {
      if (w) {
        this.#open.delete(key);
        closed.push(w);
      }
      if (this.#open.size >= this.#maxOpen) {
        const oldest = this.#open.values().next().value!;
        this.#open.delete(oldest.key);
        closed.push(oldest);
      }
      this.#open.set(key, {
        key,
        start: t,
        closesAt: Math.max(t, now) + this.#windowMs,
        first: e,
        count: 1,
        firstSeen: t,
        lastSeen: t,
      });
    }
    return this.#emit(closed, now, false);
  }

  /** The alerts due now: windows past their time, and a summary whose minute ended. */
  tick(): Alert[] {
    const now = this.#now();
    const due: Window[] = [];
    for (const w of this.#open.values()) if (now >= w.closesAt) due.push(w);
    for (const w of due) this.#open.delete(w.key);
    return this.#emit(due, now, false);
  }

  /** Closes every window and returns their alerts, and any pending summary. */
  flush(): Alert[] {
    const now = this.#now();
    const all = [...this.#open.values()];
    this.#open.clear();
    return this.#emit(all, now, true);
  }

  /** When tick() next has something to do (clock ms), or undefined. */
  nextDeadline(): number | undefined {
    let next: number | undefined;
    for (const w of this.#open.values()) if (next === undefined || w.closesAt < next) next = w.closesAt;
    if (this.#folded && this.#minuteStart !== undefined) {
      const end = this.#minuteStart + MINUTE;
      if (next === undefined || end < next) next = end;
    }
    return next;
  }

  #alert(w: Window): Alert {
    const start = new Date(w.start).toISOString();
    return {
      type: "agent-audit.egress-denied",
      id: alertId(w.key, start),
      event: w.first,
      count: w.count,
      firstSeen: new Date(w.firstSeen).toISOString(),
      lastSeen: new Date(w.lastSeen).toISOString(),
      hostname: this.#hostname,
    };
  }

  #summary(): Alert {
    const f = this.#folded!;
    this.#folded = undefined;
    return {
      type: "agent-audit.egress-denied",
      id: alertId(`summary|${f.first.id}`, f.firstSeen),
      event: { ...f.first.event, decision: `rate-limited: ${f.alerts} more alerts` },
      count: f.denials,
      firstSeen: f.firstSeen,
      lastSeen: f.lastSeen,
      hostname: this.#hostname,
    };
  }

  #emit(windows: Window[], now: number, final: boolean): Alert[] {
    windows.sort((a, b) => a.start - b.start || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    const out: Alert[] = [];
    if (this.#minuteStart !== undefined && now >= this.#minuteStart + MINUTE) {
      // The minute is over: its summary goes out first, and counts in the new minute.
      this.#minuteStart = undefined;
      this.#emitted = 0;
      if (this.#folded) {
        this.#minuteStart = now;
        this.#emitted = 1;
        out.push(this.#summary());
      }
    }
    for (const w of windows) {
      const a = this.#alert(w);
      if (this.#minuteStart === undefined) {
        this.#minuteStart = now;
        this.#emitted = 0;
      }
      if (this.#emitted < this.#max) {
        this.#emitted++;
        out.push(a);
      } else if (this.#folded) {
        this.#folded.alerts++;
        this.#folded.denials += a.count;
        if (a.firstSeen < this.#folded.firstSeen) this.#folded.firstSeen = a.firstSeen;
        if (a.lastSeen > this.#folded.lastSeen) this.#folded.lastSeen = a.lastSeen;
      } else {
        this.#folded = {
          first: a,
          alerts: 1,
          denials: a.count,
          firstSeen: a.firstSeen,
          lastSeen: a.lastSeen,
        };
      }
    }
    if (final && this.#folded) out.push(this.#summary());
    return out;
  }
}
