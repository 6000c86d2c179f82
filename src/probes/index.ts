import type { ExtraResults } from "../core/scan.js";

export interface EgressOptions {
  /** host:port targets that must be unreachable ([v6]:port for IPv6). Empty = the defaults in rules/egress/. */
  canaries: string[];
  /** Hosts the agent legitimately needs; they should work through the proxy. */
  allowedHosts: string[];
  /** Proxy URL; undefined = from the agent's environment (HTTPS_PROXY, HTTP_PROXY, ALL_PROXY, NO_PROXY). */
  proxy?: string;
  timeoutMs: number;
  /** The agent's environment (for proxy variables). */
  env: Record<string, string>;
  /** Prefix for reading firewall state evidence; "/" in real use. */
  systemRoot: string;
}

/** STUB until the egress capability lands: reports steps 2 and 3 as errors, never as passes. */
export async function runEgress(_opts: EgressOptions): Promise<ExtraResults> {
  const reason = "egress probes are not implemented in this build";
  return {
    probed: true,
    posture: "unknown",
    checklist: {
      "default-deny-egress": { status: "error", summary: reason, evidence: [] },
      "egress-proxy": { status: "error", summary: reason, evidence: [] },
    },
  };
}
