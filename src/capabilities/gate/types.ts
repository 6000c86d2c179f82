// The approval gate's types (issue 11). The gate decides allow / ask / deny for one shell command
// string. It imports nothing of the scanner: `gate hook` runs on every tool call.

export type Decision = "allow" | "ask" | "deny";

export const DECISIONS: readonly Decision[] = ["allow", "ask", "deny"];

/** Which decision wins when several rules match: deny over ask over allow. */
export function strongest(a: Decision, b: Decision): Decision {
  return DECISIONS.indexOf(a) >= DECISIONS.indexOf(b) ? a : b;
}

/** The categories of dangerous actions; every policy rule belongs to one. */
export const GATE_CATEGORIES = [
  "credential-access",
  "package-install",
  "remote-code",
  "destructive",
  "exfiltration",
  "privilege",
  "persistence",
  "obfuscation",
] as const;
export type GateCategory = (typeof GATE_CATEGORIES)[number];

/** Where one command is judged: relative paths resolve against cwd; writes inside workspace are routine. */
export interface GateContext {
  /** The directory the command runs in (absolute). */
  cwd: string;
  /** The project the agent works on (absolute); defaults to cwd. `/`, the home and system dirs never count. */
  workspace?: string;
  /** The user's home directory (absolute): what `~` and `$HOME` mean. */
  home: string;
}

/** The gate's answer for one command. */
export interface Verdict {
  decision: Decision;
  /** Ids of the rules that matched, strongest decision first, then by id. Empty for a plain allow. */
  rules: string[];
  /** Shown to the person (and to the agent on deny): why, from the strongest rule. */
  reason: string;
  /** The categories of the matched rules, in rule order (deduplicated). */
  categories: GateCategory[];
}
