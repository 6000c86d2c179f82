/** The accepted inventory: fingerprints (never values) of findings a person has looked at. */
export interface BaselineEntry {
  fingerprint: string;
  ruleId: string;
  location: { source: string; path?: string; name?: string; target?: string };
  reason: string;
}

export interface Baseline {
  schemaVersion: 1;
  entries: BaselineEntry[];
}

export const DEFAULT_BASELINE_FILE = ".agent-audit-baseline.json";

/** STUB until the CI-gate capability lands. */
export async function readBaseline(_path: string): Promise<Baseline | undefined> {
  return undefined;
}
