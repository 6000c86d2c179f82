import type { Location, ScanIssue, SourceName } from "../contract/types.js";
import type { ContentScanner, SuppressedCounts } from "../detect/content.js";
import type { RuleSet } from "../rules/catalog.js";
import type { Detection } from "../rules/types.js";
import type { Access } from "./access.js";

/** A detection with the place it was found. */
export interface Located extends Detection {
  location: Location;
}

export interface ScanLimits {
  /** Files larger than this are skipped (recorded in issues) unless 0 = no cap. */
  maxFileBytes: number;
  includeBinary: boolean;
  /** Descend into .git and other VCS internals. */
  includeVcs: boolean;
  /** Descend into node_modules and vendored dependency folders. */
  includeDeps: boolean;
  /** Extra path globs (relative to root) to skip, from agent-audit.yaml. */
  exclude: string[];
  /** Path globs (relative to root) the tree scan is limited to (agent-audit.yaml); empty = all. */
  include?: string[];
  /** Concurrent file reads. */
  concurrency: number;
  /** Worker threads for big tree scans; 0 or absent = scan on the main thread. */
  workers?: number;
}

/** Everything a source needs; sources are the only code that reads the world. */
export interface SourceContext {
  rules: RuleSet;
  scanner: ContentScanner;
  home: string;
  root: string;
  /** Prefix for absolute system paths (/run/secrets, /proc, sockets); "/" in real use, a fixture in tests. */
  systemRoot: string;
  /** The agent's environment as given (process env, --environ, --env-pid), or undefined with --no-env. */
  env: Record<string, string> | undefined;
  access: Access;
  limits: ScanLimits;
  issues: ScanIssue[];
  stats: { files: number; bytes: number };
  /** Matches kept out of the findings by a disabled rule or an inline allow marker (issue 8 item 9). */
  suppressed?: SuppressedCounts;
  /** Files already scanned (device:inode), so home and tree do not report a file twice. */
  scanned: Set<string>;
  /** Called after each file, for progress display. */
  onFile?: (bytes: number) => void;
  sources: ReadonlySet<SourceName>;
}
