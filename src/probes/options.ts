import { InvalidArgumentError } from "commander";
import type { AgentAuditConfig } from "../config/index.js";
import type { EgressOptions } from "./index.js";

/** The egress flags beyond the shared ones (--canary, --allowed-host, --proxy, --timeout-ms). */
export interface EgressExtraFlags {
  dnsResolver?: string[];
  metadata?: string[];
  ports?: number[];
  /** commander's `--no-default-targets`. */
  defaultTargets?: boolean;
  /** commander's `--no-firewall-evidence`. */
  firewallEvidence?: boolean;
  proxy?: string;
}

function strings(v: unknown): string[] | undefined {
  return Array.isArray(v) && v.every((s) => typeof s === "string") ? v : undefined;
}

/**
 * Maps the extra egress flags, then the `egress:` section of agent-audit.yaml (keys dnsResolvers,
 * metadata, ports, defaultTargets, firewallEvidence), to EgressOptions. Flags win over the file.
 */
export function egressExtras(flags: object, config: AgentAuditConfig): Partial<EgressOptions> {
  const f = flags as EgressExtraFlags;
  const c = (config.egress ?? {}) as Record<string, unknown>;
  const out: Partial<EgressOptions> = {};
  const resolvers = f.dnsResolver?.length ? f.dnsResolver : strings(c.dnsResolvers);
  if (resolvers) out.dnsResolvers = resolvers;
  const metadata = f.metadata?.length ? f.metadata : strings(c.metadata);
  if (metadata) out.metadata = metadata;
  const ports =
    f.ports ?? (Array.isArray(c.ports) && c.ports.every((n) => Number.isInteger(n)) ? c.ports : undefined);
  if (ports) out.ports = ports as number[];
  if (f.defaultTargets === false || c.defaultTargets === false) out.useDefaults = false;
  if (f.firewallEvidence === false || c.firewallEvidence === false) out.firewallEvidence = false;
  if (f.proxy === undefined && typeof c.proxy === "string") out.proxySource = "config";
  return out;
}

/** `--ports 22,25,53` (or `none`): extra ports probed on every canary address. */
export function parsePorts(v: string): number[] {
  const text = v.trim();
  if (text === "" || text === "none") return [];
  const out: number[] = [];
  for (const part of text.split(",")) {
    const n = Number(part.trim());
    if (!/^\d{1,5}$/.test(part.trim()) || n < 1 || n > 65535) {
      throw new InvalidArgumentError(
        `"${part.trim()}" is not a port (1-65535); give a list such as 22,25,53 or none`,
      );
    }
    out.push(n);
  }
  return [...new Set(out)];
}
