import { type ConfigReader, getAt, isRecord, type KeyPath, type LoadedConfig } from "./read.js";

// Gemini CLI policy-engine rules (issue 10; research §7): `[[rule]]` tables of TOML policy files,
// and the rules the settings add (tools.allowed, tools.exclude). Only what step 5 needs is modelled:
// shell rules by command prefix, whole-tool rules, their decision and effective priority
// (tier + priority/1000). commandRegex and argsPattern rules are never evaluated (an agent-written
// regular expression is not run): they neither cover nor open a category.

export type Decision = "allow" | "deny" | "ask_user";
const DECISIONS: readonly string[] = ["allow", "deny", "ask_user"];
export const SHELL_TOOLS: readonly string[] = ["run_shell_command", "ShellTool"];
export const WRITE_TOOLS: readonly string[] = ["write_file", "replace", "edit", "WriteFileTool", "EditTool"];

/** Tier bases (research §7; packages/core/src/policy/config.ts). */
export const TIER = { user: 4, admin: 5 } as const;
/** Settings rules: tools.allowed at user tier + 0.3, tools.exclude at + 0.4. */
export const ALLOWED_PRIORITY = 4.3;
export const EXCLUDE_PRIORITY = 4.4;

export interface PolicyRule {
  file: LoadedConfig;
  /** Key path of the rule (`rule[2]`) or of the settings entry (`tools.allowed[0]`). */
  path: KeyPath;
  tools: string[];
  decision: Decision;
  /** Effective priority. */
  priority: number;
  /** Command prefixes (shell rules); empty with no other argument filter = the whole tool. */
  prefixes: string[];
  /** Has a commandRegex or argsPattern (not evaluated). */
  filtered: boolean;
  /** Applies in the default approval mode. */
  inDefaultMode: boolean;
}

/** The `[[rule]]` entries of a parsed policy file; a malformed rule is an issue and is skipped. */
export function policyRules(read: ConfigReader, file: LoadedConfig, tier: number): PolicyRule[] {
  const { rules, rejected } = capIssues(read, file.abs, () => rulesOf(read, file, tier));
  if (!rejected) return rules;
  // Gemini CLI validates the file as a whole (a zod schema): one invalid rule and it loads none
  // (a deny with priority 1000 or none at all must not count as a gate).
  read.issue(
    file.abs,
    `Gemini CLI rejects this policy file (an invalid rule above): none of its ${rules.length} valid rule${rules.length === 1 ? "" : "s"} count`,
  );
  return [];
}

function rulesOf(
  read: ConfigReader,
  file: LoadedConfig,
  tier: number,
): { rules: PolicyRule[]; rejected: boolean } {
  const list = getAt(file.value, ["rule"]);
  if (list === undefined) return { rules: [], rejected: false };
  if (!Array.isArray(list)) {
    read.typeIssue(file, ["rule"], "an array of [[rule]] tables", list);
    return { rules: [], rejected: true };
  }
  const out: PolicyRule[] = [];
  let rejected = false;
  list.forEach((raw, i) => {
    const path = ["rule", i];
    if (!isRecord(raw)) {
      read.typeIssue(file, path, "a [[rule]] table", raw);
      rejected = true;
      return;
    }
    const typed = (key: string) =>
      raw[key] === undefined || strOrStrs(read, file, [...path, key]) !== undefined;
    const stringOnly = (key: string) => {
      if (raw[key] === undefined || typeof raw[key] === "string") return true;
      read.typeIssue(file, [...path, key], "a string", raw[key]);
      return false;
    };
    if (
      ![
        typed("toolName"),
        typed("commandPrefix"),
        stringOnly("commandRegex"),
        stringOnly("argsPattern"),
        stringOnly("mcpName"),
      ].every(Boolean)
    )
      rejected = true;
    const tools = strOrStrs(read, file, [...path, "toolName"], false);
    const decision = raw.decision;
    if (typeof decision !== "string" || !DECISIONS.includes(decision)) {
      read.issue(
        file.abs,
        `rule ${i + 1}: decision must be "allow", "deny" or "ask_user" (Gemini CLI rejects the file)`,
      );
      rejected = true;
      return;
    }
    const priority = raw.priority;
    if (typeof priority !== "number" || !Number.isInteger(priority) || priority < 0 || priority > 999) {
      const line = file.lineOf([...path, "priority"]) ?? file.lineOf(path);
      read.issue(
        file.abs,
        `${line ? `line ${line}: ` : ""}rule ${i + 1}: priority ${priority === undefined ? "is missing" : "is not an integer from 0 to 999"} (Gemini CLI requires one and rejects the file)`,
      );
      rejected = true;
      return;
    }
    if (
      raw.modes !== undefined &&
      !(Array.isArray(raw.modes) && raw.modes.every((m) => typeof m === "string"))
    ) {
      read.typeIssue(file, [...path, "modes"], "an array of approval modes", raw.modes);
      rejected = true;
    }
    const modes = Array.isArray(raw.modes) ? (raw.modes as string[]) : undefined;
    // No toolName: every tool, or every tool of the MCP server mcpName names (never the shell).
    const mcp = typeof raw.mcpName === "string" ? raw.mcpName : undefined;
    out.push({
      file,
      path,
      tools: tools ?? [mcp !== undefined ? `mcp_${mcp}_*` : "*"],
      decision: decision as Decision,
      priority: tier + priority / 1000,
      prefixes: strOrStrs(read, file, [...path, "commandPrefix"], false) ?? [],
      filtered: raw.commandRegex !== undefined || raw.argsPattern !== undefined,
      inDefaultMode: modes === undefined || modes.includes("default"),
    });
  });
  return { rules: out, rejected };
}

function strOrStrs(
  read: ConfigReader,
  file: LoadedConfig,
  path: KeyPath,
  report = true,
): string[] | undefined {
  const v = getAt(file.value, path);
  if (v === undefined) return undefined;
  if (typeof v === "string") return [v];
  if (Array.isArray(v) && v.every((x) => typeof x === "string")) return v as string[];
  if (report) read.typeIssue(file, path, "a string or an array of strings", v);
  return undefined;
}

/** A settings tool entry (`run_shell_command(git status)`): its tool and its argument prefix. */
export function toolEntry(entry: string): { tool: string; args?: string } {
  const m = /^([A-Za-z0-9_-]+)\((.*)\)$/s.exec(entry.trim());
  if (m) return { tool: m[1]!, args: m[2]!.trim() };
  return { tool: entry.trim() };
}

export function isShell(tool: string): boolean {
  return SHELL_TOOLS.includes(tool);
}

/** Whether a rule is for the shell tool (by name or wildcard). */
export function ruleIsShell(r: PolicyRule): boolean {
  return r.tools.some((t) => isShell(t) || t === "*");
}

/** Whether a rule matches a shell command (prefix rules and whole-tool rules only). */
export function ruleMatchesCommand(r: PolicyRule, command: string): boolean {
  if (!r.inDefaultMode || !ruleIsShell(r) || r.filtered) return false;
  if (!r.prefixes.length) return true;
  return r.prefixes.some((p) => {
    const prefix = p.trim();
    return prefix !== "" && (command === prefix || command.startsWith(`${prefix} `));
  });
}

/** The decision for a command: the matching rule of highest priority (allow wins a tie), if any. */
export function decide(rules: PolicyRule[], command: string): PolicyRule | undefined {
  let best: PolicyRule | undefined;
  for (const r of rules) {
    if (!ruleMatchesCommand(r, command)) continue;
    if (!best || r.priority > best.priority || (r.priority === best.priority && r.decision === "allow"))
      best = r;
  }
  return best;
}

/** Commands that run arbitrary code, reach the network or delete: an allowed prefix starting with one is broad. */
const ALWAYS_BROAD = new Set([
  "sh",
  "bash",
  "zsh",
  "fish",
  "dash",
  "ksh",
  "python",
  "python3",
  "node",
  "deno",
  "bun",
  "perl",
  "ruby",
  "php",
  "npx",
  "uvx",
  "curl",
  "wget",
  "rm",
  "sudo",
  "su",
  "env",
  "eval",
  "exec",
  "xargs",
  "dd",
  "ssh",
  "scp",
]);
/** Tools whose subcommands differ widely: broad when allowed on their own (`git`, not `git status`). */
const BROAD_ALONE = new Set([
  "npm",
  "pnpm",
  "yarn",
  "pip",
  "pip3",
  "uv",
  "git",
  "docker",
  "kubectl",
  "find",
  "rsync",
  "chmod",
  "chown",
  "make",
]);

/** Whether an allowed command prefix is broad. */
export function broadPrefix(prefix: string): boolean {
  const words = prefix.trim().split(/\s+/).filter(Boolean);
  const first = words[0] ?? "";
  const name = first.includes("/") ? first.slice(first.lastIndexOf("/") + 1) : first;
  return name === "" || ALWAYS_BROAD.has(name) || (words.length === 1 && BROAD_ALONE.has(name));
}

/** Most issues listed for the entries of one list; the rest are counted in one more issue. */
const MAX_ENTRY_ISSUES = 20;

/** Runs `fn`, then keeps at most MAX_ENTRY_ISSUES of the issues it recorded (a flood of bad entries). */
export function capIssues<T>(read: ConfigReader, where: string, fn: () => T): T {
  const before = read.issues.length;
  const out = fn();
  const extra = read.issues.length - before - MAX_ENTRY_ISSUES;
  if (extra > 0) {
    read.issues.splice(before + MAX_ENTRY_ISSUES);
    read.issue(where, `${extra} more malformed entries not listed`);
  }
  return out;
}
