// `agent-audit watch` (issue 14, step 4 egress-alerting): denied outbound requests, read from the
// logs of the proxy and the firewall, become alerts a person sees. Shared types of the alerting
// capability: sources (log readers) produce DenialEvents, the deduper turns them into Alerts, sinks
// deliver Alerts. Every string in an event comes from a log the agent's traffic wrote: it is
// sanitised (control characters escaped, length capped) and redacted before it is stored here.

/** The log kinds `--source KIND:PATH` accepts. */
export const SOURCE_KINDS = ["squid", "sandbox-runtime", "smokescreen", "nftables", "journal"] as const;
export type AlertSourceKind = (typeof SOURCE_KINDS)[number];

/** One denied request, as one log line tells it. */
export interface DenialEvent {
  /** ISO time of the request (from the log line; the read time when the line has none). */
  time: string;
  source: AlertSourceKind;
  /** The file read (or `journal`, or `journal:<unit>`). */
  origin: string;
  /** The client address (`10.0.0.2`, `[fd00::2]:51234`), when the log names it. */
  client?: string;
  /** Destination host name or address, lower-case, sanitised. */
  host?: string;
  port?: number;
  /** HTTP method (`CONNECT`, `GET`), when known. */
  method?: string;
  /** The proxy's or firewall's decision as logged (`TCP_DENIED/403`, `blocked-by-allowlist`, `drop`). */
  decision: string;
  /** The request URL, redacted and capped, when the log has one (plain-HTTP requests). */
  url?: string;
}

/** One alert: one destination within one window, with how many denials it stands for. */
export interface Alert {
  /** `agent-audit.egress-denied` (the synthetic one of `watch --test`: `agent-audit.test`). */
  type: "agent-audit.egress-denied" | "agent-audit.test";
  /** Stable id: a hash of the destination key and the window start. */
  id: string;
  /** The first event of the window (its fields are the alert's). */
  event: DenialEvent;
  /** Denials folded into this alert (1 for a lone one). */
  count: number;
  firstSeen: string;
  lastSeen: string;
  /** The host the watcher runs on. */
  hostname: string;
}

/** Where alerts go (`--sink`). */
export interface Sink {
  /** `stdout`, `file:/var/log/x`, `syslog`, `webhook:https://…` (credentials in the URL redacted). */
  readonly name: string;
  /** Delivers alerts in order; throws when delivery failed (the queue keeps them and retries). */
  send(alerts: readonly Alert[]): Promise<void>;
  close?(): Promise<void>;
}
