import type { Severity } from "../core/types.js";

/** agent-audit.yaml, after validation and defaults. */
export interface AgentAuditConfig {
  /** Globs (relative to root) that the tree scan is limited to; empty = everything. */
  include: string[];
  /** Globs (relative to root) the tree scan skips. */
  exclude: string[];
  rules: { disable: string[]; severity: Record<string, Severity> };
  failOn?: Severity;
  /** Baseline path, relative to the config file's directory. */
  baseline?: string;
  egress?: {
    canaries?: string[];
    allowedHosts?: string[];
    proxy?: string;
    timeoutMs?: number;
  };
  gate?: Record<string, unknown>;
}

export const EMPTY_CONFIG: AgentAuditConfig = {
  include: [],
  exclude: [],
  rules: { disable: [], severity: {} },
};

/**
 * Loads agent-audit.yaml from `path`, or from `<root>/agent-audit.yaml` when present.
 * STUB: the full validating loader lands with the CI-gate capability.
 */
export async function loadConfig(_opts: {
  path?: string;
  root: string;
}): Promise<{ config: AgentAuditConfig; file?: string }> {
  return { config: EMPTY_CONFIG };
}
