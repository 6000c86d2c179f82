import type { ChecklistItem } from "../../contract/types.js";

// Step 4 `egress-alerting` (issue 14): a refused outbound request becomes an alert somewhere a
// person looks. Offline, the scan can tell whether a watcher is configured to do that: a trusted
// `alerting:` config (one the agent cannot write) with a sink and a source that reads the proxy's
// denial log. `scan --probe --verify-alerting` goes further: a probe's denied request must show up
// in the watcher's output.

/** Log kinds that hold a proxy's denials (the firewall's drops are step 2's, not the proxy's). */
export const PROXY_SOURCE_KINDS = ["squid", "smokescreen", "sandbox-runtime"] as const;

export interface WatcherConfig {
  /** Where it was read (`/etc/agent-audit/agent-audit.yaml`, `--config x.yaml`). */
  origin: string;
  sources: readonly string[];
  sinks: readonly string[];
}

export interface AlertingInput {
  /** Trusted watcher configs found. */
  watchers: readonly WatcherConfig[];
  /** The agent's proxy, when one is known, and where it was seen (`HTTPS_PROXY`, `egress.proxy`). */
  proxy?: { seenIn: string };
  /** Configs with an alerting section that were not trusted, and why (shown in the summary). */
  ignored?: readonly string[];
  /** `--verify-alerting`: what the live check saw; absent when it did not run. */
  verified?: { ok: true; detail: string } | { ok: false; detail: string };
}

const kindOf = (spec: string) => spec.slice(0, spec.indexOf(":") === -1 ? spec.length : spec.indexOf(":"));

/** Whether a watcher turns the proxy's denials into alerts: a proxy log source and a sink. */
export function coversProxy(w: WatcherConfig): boolean {
  return (
    w.sinks.length > 0 && w.sources.some((s) => (PROXY_SOURCE_KINDS as readonly string[]).includes(kindOf(s)))
  );
}

export function scoreAlerting(input: AlertingInput): Omit<ChecklistItem, "step" | "id"> {
  const covering = input.watchers.filter(coversProxy);
  const ignored = input.ignored?.length ? `; not trusted: ${input.ignored.join("; ")}` : "";
  if (input.verified && !input.verified.ok)
    return { status: "fail", summary: `--verify-alerting: ${input.verified.detail}${ignored}`, evidence: [] };
  if (covering.length) {
    const w = covering[0]!;
    const detail = input.verified?.ok ? `; verified: ${input.verified.detail}` : "";
    return {
      status: "pass",
      summary: `${w.origin} watches ${w.sources.filter((s) => (PROXY_SOURCE_KINDS as readonly string[]).includes(kindOf(s))).join(", ")} and alerts to ${w.sinks.length} sink${w.sinks.length === 1 ? "" : "s"}${detail}`,
      evidence: [],
    };
  }
  if (input.proxy) {
    const why = input.watchers.length
      ? `${input.watchers.map((w) => w.origin).join(", ")} ${input.watchers.length === 1 ? "has" : "have"} no sink or no proxy log source (squid, smokescreen, sandbox-runtime)`
      : "no watcher config was found (/etc/agent-audit/agent-audit.yaml, or --config with an alerting: section)";
    return {
      status: "fail",
      summary: `the agent's traffic goes through a proxy (${input.proxy.seenIn}) but nothing turns its denials into alerts: ${why}${ignored}`,
      evidence: [],
    };
  }
  return {
    status: "skip",
    summary: `no egress proxy found (no proxy variable in the agent's environment, no egress.proxy in agent-audit.yaml): no proxy denials to alert on${ignored}`,
    evidence: [],
  };
}
