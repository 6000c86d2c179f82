import { byteOrder, makeFinding, secretHash, sortFindings } from "../../contract/finding.js";
import type { Finding, ReportTarget, ScanIssue, Severity, SourceName } from "../../contract/types.js";
import { type SuppressedCounts, scannerFor } from "../../detect/content.js";
import { activeRedactor, maskRandomRuns, Redactor } from "../../detect/redact.js";
import { defaultRules, type RuleSet } from "../../rules/catalog.js";
import type { Access } from "../../sources/access.js";
import { type Located, MAX_LISTED, type ScanLimits, type SourceContext } from "../../sources/context.js";
import { scanEnv } from "../../sources/env.js";
import { scanHome } from "../../sources/home.js";
import { SOURCE_EXTRA } from "../../sources/registry.js";
import { scanTree } from "../../sources/tree.js";

export interface ScanOptions {
  sources: ReadonlySet<SourceName>;
  env: Record<string, string> | undefined;
  home: string;
  root: string;
  systemRoot: string;
  access: Access;
  limits: ScanLimits;
  target: ReportTarget;
  rules?: RuleSet;
  /** Rule ids switched off (agent-audit.yaml `rules.disable`). */
  disabledRules?: ReadonlySet<string>;
  /** Severity per rule id (agent-audit.yaml `rules.severity`). */
  severityOverrides?: Readonly<Record<string, Severity>>;
  /** Fingerprints of the accepted inventory (baseline). */
  accepted?: ReadonlySet<string>;
  /** List every finding, none counted only: `baseline` records each one (no listing cap). */
  listAll?: boolean;
  onFile?: (bytes: number) => void;
  /**
   * Called once for every finding the inventory lists, with its detection (the raw value is in
   * `d.secret`): step 6 (capabilities/scope) judges the credential's scope. The value must not
   * leave the callee except as an assessment.
   */
  onListed?: (d: Located, finding: Finding) => void;
  /** Clock, replaceable in tests. */
  now?: () => number;
}

const SOURCES: Record<Exclude<SourceName, "system">, (ctx: SourceContext) => Promise<Located[]>> = {
  env: scanEnv,
  home: scanHome,
  tree: scanTree,
  ...SOURCE_EXTRA,
};

/** Source order matters for dedupe of files seen twice: home first, then the tree. */
const ORDER: Exclude<SourceName, "system">[] = ["env", "home", "tree", "mounts", "sockets", "processes"];

/** A detection as a finding of step 1 (makeFinding), with the config's severity override. */
export function toFinding(
  d: Located,
  opts: Pick<ScanOptions, "accepted" | "severityOverrides">,
  subjectHash?: string,
): Finding {
  const kind = d.kind ?? "secret";
  return makeFinding({
    ruleId: d.ruleId,
    control: "secret-inventory",
    kind,
    severity: opts.severityOverrides?.[d.ruleId] ?? d.severity,
    title: d.title,
    remediation: d.remediation,
    location: d.location,
    subject: d.secret,
    subjectHash,
    identityPath: d.identityPath,
    secret: { provider: d.provider, type: d.type, value: d.secret, valid: d.valid },
    accepted: opts.accepted,
  });
}

/**
 * A key path built from file content (a JSON key, a netrc machine, a registry URL) can itself hold
 * a secret: `https://user:pw@registry` as a key, a token used as a map key. The redactor masks URL
 * userinfo, known values and what a content rule matches; any other part that looks generated is
 * replaced by its preview too.
 */
export function safeKeyPath(name: string, redactor: Redactor): string {
  return maskRandomRuns(redactor.redact(name));
}

export interface InventoryResult {
  findings: Finding[];
  issues: ScanIssue[];
  stats: { files: number; bytes: number };
  /** Matches kept out of the findings by disabled rules and inline allow markers (issue 8 item 9). */
  suppressed: SuppressedCounts;
  /**
   * Fingerprints of findings judged but not listed: accepted ones past a file's listing cap (with
   * a baseline, every finding is judged). The baseline's stale check counts them as found.
   */
  counted?: ReadonlySet<string>;
  /**
   * Holds the secret values this inventory found, unreadable (issue 8): buildReport() masks them
   * wherever they occur in a name or path, and the CLI's output boundary scrubs every written text.
   */
  redactor?: Redactor;
}

/** Findings of one rule listed per file; the rest are counted in an issue (see Lister). */
export { MAX_LISTED };

/** Runs the selected secret sources and returns redacted findings. Raw secrets do not leave here. */
export async function runInventory(opts: ScanOptions): Promise<InventoryResult> {
  // The CLI run's redactor, so its output boundary knows this run's secrets; else one of our own.
  const redactor = activeRedactor() ?? new Redactor(opts.rules);
  const ctx = sourceContext(opts);
  const located = await runSources(opts.sources, ctx);
  // Every secret found, also those of disabled rules: switching a rule off does not make its
  // secret printable in a file name (issue 8).
  for (let i = 0; i < located.length; i++) {
    const d = located[i]!;
    if (d.counted) for (let k = 0; k < d.counted.length; k++) redactor.add(d.counted[k]!);
    else redactor.add(d.secret);
  }
  const lister = new Lister(opts, redactor, opts.listAll === true);
  for (let i = 0; i < located.length; i++) {
    const d = located[i]!;
    if (opts.disabledRules?.has(d.ruleId) || (d.viaRuleId && opts.disabledRules?.has(d.viaRuleId))) {
      ctx.suppressed!.config += d.counted?.length ?? 1;
      continue;
    }
    lister.add(d);
  }
  // Issues are pushed as concurrent reads finish: sorted, so a report is the same from run to run.
  const issues = [...ctx.issues, ...lister.capIssues()].sort(
    (a, b) => byteOrder(a.where, b.where) || byteOrder(a.message, b.message),
  );
  return {
    findings: sortFindings(lister.findings()),
    issues,
    stats: ctx.stats,
    suppressed: ctx.suppressed!,
    counted: lister.countedFingerprints,
    redactor,
  };
}

function sourceContext(opts: ScanOptions): SourceContext {
  const rules = opts.rules ?? defaultRules();
  return {
    rules,
    scanner: scannerFor(rules, opts.disabledRules),
    home: opts.home,
    root: opts.root,
    systemRoot: opts.systemRoot,
    env: opts.env,
    access: opts.access,
    // With a baseline, every detection is judged by its fingerprint before the listing cap (Lister).
    limits: opts.listAll || opts.accepted?.size ? { ...opts.limits, listAll: true } : opts.limits,
    issues: [],
    stats: { files: 0, bytes: 0 },
    suppressed: { config: 0, inlineAllow: 0 },
    scanned: new Set(),
    onFile: opts.onFile,
    sources: opts.sources,
  };
}

/** The detections of every selected source, in ORDER (home before tree: see ORDER). */
async function runSources(selected: ReadonlySet<SourceName>, ctx: SourceContext): Promise<Located[]> {
  const located: Located[] = [];
  for (const name of ORDER) {
    if (!selected.has(name)) continue;
    // A loop, not push(...found): a spread of more than ~125k detections overflows the stack (issue 8).
    const found = await SOURCES[name](ctx);
    for (let i = 0; i < found.length; i++) located.push(found[i]!);
  }
  return located;
}

/**
 * Turns detections into findings, one per fingerprint, and applies the listing cap.
 *
 * A file that holds more than MAX_LISTED findings of one rule (a flood an agent can write: 24,000
 * tokens on one line) lists the first MAX_LISTED and counts the rest in an issue (issue 8): the
 * report stays readable and bounded, the values are all in the redactor, and the file is not
 * silent. Counted per (source, path, rule), in the order the scan found them. A file's detections
 * come one after another: the counts of the last (source, path) are kept at hand, so a flood costs
 * no key string per detection.
 *
 * The cap is kept per (rule, acceptance, validity) (issue 9 review): 100 findings the baseline
 * accepts, or 100 tokens that fail their validity check (info), never hide a live, unaccepted one
 * of the same rule. What is counted only has 100 listed siblings of the same severity and
 * acceptance, so the verdict is the one every finding would give. Without a baseline, acceptance is
 * known without the fingerprint, which is then computed for the listed findings only.
 */
class Lister {
  readonly #byFingerprint = new Map<string, Finding>();
  /** Safe key paths, one per distinct name. */
  readonly #names = new Map<string, string>();
  /** One hash per distinct value, however many places hold it. */
  readonly #hashes = new Map<string, string>();
  readonly #listed = new Map<string, { path: string; counts: Map<string, number> }>();
  readonly #judgeFirst: boolean;
  /** Fingerprints of judged findings past the cap (see InventoryResult.counted). */
  readonly countedFingerprints = new Set<string>();
  #lastSource: string | undefined;
  #lastPath: string | undefined;
  #counts: Map<string, number> | undefined;

  constructor(
    private readonly opts: Pick<ScanOptions, "accepted" | "severityOverrides" | "onListed">,
    private readonly redactor: Redactor,
    private readonly uncapped: boolean,
  ) {
    this.#judgeFirst = opts.accepted !== undefined && opts.accepted.size > 0;
  }

  add(d: Located): void {
    if (d.counted) {
      // A file's detections beyond the cap, counted where the file was read (sources/files.ts).
      this.#count(d, false, d.counted.length);
      return;
    }
    let f: Finding | undefined;
    if (d.location.path !== undefined) {
      if (this.#judgeFirst) f = this.#build(d);
      if (this.#count(d, f?.accepted ?? false) > MAX_LISTED && !this.uncapped) {
        if (f) this.countedFingerprints.add(f.fingerprint);
        return;
      }
    }
    f ??= this.#build(d);
    if (!this.#byFingerprint.has(f.fingerprint)) {
      this.#byFingerprint.set(f.fingerprint, f);
      this.opts.onListed?.(d, f);
    }
  }

  findings(): Finding[] {
    return [...this.#byFingerprint.values()];
  }

  /** One issue per (file, rule, class) over the cap. */
  capIssues(): ScanIssue[] {
    const issues: ScanIssue[] = [];
    // Uncapped (`baseline` lists every finding): nothing was only counted.
    if (this.uncapped) return issues;
    for (const { path, counts } of this.#listed.values()) {
      for (const [capKey, n] of counts) {
        if (n <= MAX_LISTED) continue;
        const [ruleId, cls = ""] = capKey.split("\0");
        const kinds = [
          ...(cls.includes("a") ? ["accepted in the baseline"] : []),
          ...(cls.includes("i") ? ["failing their validity check"] : []),
        ];
        const kind = kinds.length ? ` (${kinds.join(", ")})` : "";
        issues.push({
          where: path,
          message: `${n} ${ruleId} findings${kind}: the first ${MAX_LISTED} are listed, ${n - MAX_LISTED} more are counted here only`,
        });
      }
    }
    return issues;
  }

  /** This detection's number among its file's detections of the same rule and class. */
  #count(d: Located, accepted: boolean, by = 1): number {
    const loc = d.location;
    if (this.#counts === undefined || loc.path !== this.#lastPath || loc.source !== this.#lastSource) {
      this.#lastSource = loc.source;
      this.#lastPath = loc.path;
      const key = `${loc.source}\0${loc.path}`;
      this.#counts = this.#listed.get(key)?.counts;
      if (this.#counts === undefined) {
        this.#counts = new Map();
        this.#listed.set(key, { path: loc.path!, counts: this.#counts });
      }
    }
    const invalid = d.valid === false;
    const capKey =
      invalid || accepted ? `${d.ruleId}\0${invalid ? "i" : ""}${accepted ? "a" : ""}` : d.ruleId;
    const n = (this.#counts.get(capKey) ?? 0) + by;
    this.#counts.set(capKey, n);
    return n;
  }

  #build(d: Located): Finding {
    const loc = d.location;
    const name = loc.name;
    if (name !== undefined && loc.source !== "env" && loc.source !== "process") {
      let safe = this.#names.get(name);
      if (safe === undefined) {
        safe = safeKeyPath(name, this.redactor);
        this.#names.set(name, safe);
      }
      d.location = { ...loc, name: safe };
    }
    let h = this.#hashes.get(d.secret);
    if (h === undefined) {
      h = secretHash(d.secret);
      this.#hashes.set(d.secret, h);
    }
    return toFinding(d, this.opts, h);
  }
}
