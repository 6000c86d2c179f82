import type {
  GateStatus,
  RemediationFix,
  RuntimeFile,
  RuntimeId,
  SandboxStatus,
  ScanIssue,
} from "../../contract/types.js";
import type { RuntimeCheck } from "../../rules/catalog.js";
import type { ConfigReader, LoadedConfig } from "./read.js";

// The agent-runtime inspectors (issue 10): one module per runtime reads that runtime's config files
// the way the runtime does (its locations, precedence and merge rules) and reports problems by the
// id of a check of rules/runtime/. index.ts turns problems into findings and scores step 5.

/** Where an inspector reads from: the user's home, the project (working tree), the system root (/etc). */
export type Origin = "home" | "tree" | "system";

/** What an inspector is given. Every path is absolute. */
export interface InspectContext {
  home: string;
  root: string;
  /** The system root (`/` unless --system-root): managed configs are read under it. */
  systemRoot: string;
  /** Which origins to read (--sources home, tree, system). */
  origins: ReadonlySet<Origin>;
  /**
   * The agent's environment, when the env source is on: variables that move a runtime's config
   * (CODEX_HOME, CLAUDE_CONFIG_DIR) or switch its gate off (HERMES_YOLO_MODE). Data only.
   */
  env: Readonly<Record<string, string>> | undefined;
  /** Reads config files safely (bounded, regular files only, confined), recording issues. */
  read: ConfigReader;
  /**
   * Credential paths the inventory found readable, relative to the home (`.ssh/id_ed25519`,
   * `.aws/credentials`): a gate or sandbox should deny reading them.
   */
  credentialPaths: readonly string[];
}

/** A problem an inspector found: one finding. */
export interface Problem {
  /** The id of a check in rules/runtime/ (of this runtime). */
  check: string;
  /** The file the problem is in (the one whose key must change), when there is one. */
  file?: LoadedConfig;
  /** Where in it: a key path (`permissions.defaultMode`), or what is missing. */
  key: string;
  /** Makes the finding's identity distinct when one key has several problems (a hook command, a domain). */
  subject?: string;
  /** A more specific one-line title (otherwise the check's). */
  title?: string;
  /** More parameters for the generator (merged over the check's fix params). */
  fixParams?: RemediationFix["params"];
}

/**
 * A gate the runtime runs that `agent-audit gate verify` can replay (issue 11): a hook the runtime
 * runs before its shell tool (Claude Code PreToolUse on Bash, Gemini CLI BeforeTool on
 * run_shell_command), or the rules files Codex checks commands against.
 */
export type ConfiguredGate =
  | {
      kind: "hook";
      runtime: RuntimeId;
      /** The command as written (run with `/bin/sh -c`), or the program of Claude Code's exec form. */
      command: string;
      /** Claude Code's exec form `args`. */
      args?: string[];
      /** The runtime's timeout for it in milliseconds (its own setting, else the runtime's default). */
      timeoutMs: number;
      /** The settings file (absolute) and the handler's key in it. */
      file: string;
      key: string;
    }
  | {
      kind: "rules";
      runtime: RuntimeId;
      /** Every rules file the runtime loads (absolute), checked together. */
      files: string[];
    };

/** What an inspector returns. */
export interface RuntimeResult {
  /** A config file of the runtime was found. */
  present: boolean;
  /** Every config file found, read or not. */
  files: RuntimeFile[];
  problems: Problem[];
  gate: { status: GateStatus; detail: string };
  sandbox: { status: SandboxStatus; detail: string };
  /** The gates `gate verify` can replay (absent: none). */
  gates?: ConfiguredGate[];
}

export interface RuntimeInspector {
  id: RuntimeId;
  name: string;
  /** The files it looks for, as a person would write them (for "none found: looked for ..."). */
  lookedFor: string[];
  inspect(ctx: InspectContext): Promise<RuntimeResult>;
}

/** What runInspect returns besides findings: issues are the reader's. */
export type { RuntimeCheck, ScanIssue };
