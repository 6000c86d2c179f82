import type { Location, ScanIssue, SourceName } from "../contract/types.js";
import type { ContentScanner, SuppressedCounts } from "../detect/content.js";
import type { RuleSet } from "../rules/catalog.js";
import type { Detection } from "../rules/types.js";
import type { Access } from "./access.js";

/** A detection with the place it was found. */
export interface Located extends Detection {
  location: Location;
  /**
   * Set on a carrier, not a finding: the further distinct secrets of this rule (and validity) in
   * this file, beyond the MAX_LISTED a file lists (see scanClaimed). The inventory registers each
   * with the redactor and counts them in the file's issue; none is listed.
   */
  counted?: string[];
}

/**
 * Findings of one rule listed per file (issue 8); the rest are counted in an issue. A flood an
 * agent can write holds 24,000 tokens in one MB.
 */
export const MAX_LISTED = 100;

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
  /**
   * Make every detection a Located, none counted only: a baseline is in use, and whether a finding
   * is accepted (and so which cap it counts against) needs its fingerprint (capabilities/inventory).
   */
  listAll?: boolean;
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
