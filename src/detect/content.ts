import type { RuleSet } from "../rules/catalog.js";
import type { ContentRule, Detection } from "../rules/types.js";
import { KeywordMatcher, type KeywordPositions } from "./keywords.js";
import { looksRandom, shannonEntropy } from "./randomness.js";
import { VALIDATORS } from "./validators.js";

/** How many findings were kept out of a result, by reason (see ContentScanner.scan). */
export interface SuppressedCounts {
  config: number;
  inlineAllow: number;
}

/**
 * The secret values a scan kept out of its result, by reason: one file's views (raw, NUL-stripped,
 * UTF-16, overlapping chunks) and its parser find the same value more than once, under more than
 * one rule; a set counts it once per file.
 */
export interface SuppressedSink {
  config: Set<string>;
  inlineAllow: Set<string>;
}

/**
 * Inline markers that suppress a finding on their line: ours, and those of the scanners that
 * repositories already carry (gitleaks, detect-secrets, secretlint, trufflehog, ggshield), so an
 * existing repository works unchanged.
 */
export const INLINE_ALLOW_MARKERS = [
  "agent-audit:allow",
  "gitleaks:allow",
  "pragma: allowlist secret",
  "secretlint-disable-line",
  "trufflehog:ignore",
  "ggignore",
];

/**
 * Markers that suppress a finding on the FOLLOWING line: detect-secrets' `pragma: allowlist nextline
 * secret` (https://github.com/Yelp/detect-secrets#inline-allowlisting) and secretlint's
 * `secretlint-disable-next-line` (https://github.com/secretlint/secretlint#ignoring-by-comment).
 */
export const INLINE_ALLOW_NEXT_LINE_MARKERS = [
  "pragma: allowlist nextline secret",
  "secretlint-disable-next-line",
];

/**
 * The window of a whole text, for callers that pass a window on every call (files.ts): options of
 * one shape keep the scan's optimized code (issue 15). Not frozen: a frozen object has a shape of
 * its own.
 */
export const WHOLE_TEXT: { readonly start: number; readonly end: number } = {
  start: 0,
  end: Number.POSITIVE_INFINITY,
};

/** Scanners without disabled rules, one per rule set (see sharedScanner). */
const SHARED = new WeakMap<RuleSet, ContentScanner>();

/**
 * The scanner of a rule set with no rule disabled, built once per thread: the inventory, the
 * structural parsers' placeholder checks, the redactor and echo's masking all scan with the same
 * rules, and each scanner costs ~10 ms to build (its keyword automaton), on the start-up path or
 * at the report's end (issue 15). Sharing is safe: a scan runs to its end synchronously and keeps
 * nothing from one call to the next.
 */
export function sharedScanner(rules: RuleSet): ContentScanner {
  let scanner = SHARED.get(rules);
  if (!scanner) {
    scanner = new ContentScanner(rules);
    SHARED.set(rules, scanner);
  }
  return scanner;
}

/** A scanner of `rules` with `disabled` switched off: the shared one when none is. */
export function scannerFor(rules: RuleSet, disabled: ReadonlySet<string> | undefined): ContentScanner {
  return disabled?.size ? new ContentScanner(rules, disabled) : sharedScanner(rules);
}

/** A compiled scanner: one keyword pass over the text, then only the rules whose keyword occurred. */
export class ContentScanner {
  private readonly rules: ContentRule[];
  private readonly keywords: KeywordMatcher;
  private readonly byKeyword = new Map<string, ContentRule[]>();
  /** Rules per keyword, indexed like `keywords.keywords`. */
  private readonly rulesOf: ContentRule[][];
  private readonly placeholders: RegExp[];
  /** The placeholders as one regex when they combine exactly (one call per candidate secret, issue 8). */
  private readonly placeholder: RegExp | undefined;

  /** Rule ids switched off by the user's config; structural detections judged by them are dropped too. */
  readonly disabled: ReadonlySet<string>;

  constructor(ruleSet: RuleSet, disabled: ReadonlySet<string> = new Set()) {
    this.disabled = disabled;
    this.rules = ruleSet.content;
    this.placeholders = ruleSet.placeholders;
    this.placeholder = combine(ruleSet.placeholders);
    for (const rule of this.rules) {
      for (const k of rule.keywords) {
        const list = this.byKeyword.get(k) ?? [];
        list.push(rule);
        this.byKeyword.set(k, list);
      }
    }
    this.keywords = new KeywordMatcher([...this.byKeyword.keys()]);
    this.rulesOf = this.keywords.keywords.map((k) => this.byKeyword.get(k)!);
    this.anchoredKeywords = new Uint8Array(this.keywords.keywords.length);
    this.keywords.keywords.forEach((_k, i) => {
      if (this.rulesOf[i]!.some((r) => r.anchored)) this.anchoredKeywords[i] = 1;
      else if (this.rulesOf[i]!.some((r) => r.near)) this.anchoredKeywords[i] = 2;
    });
    this.keywordIndex = new Map(this.keywords.keywords.map((k, i) => [k, i]));
  }

  /** The verdicts of one rule's run in scan() (reused: scan() does not reenter). */
  private readonly verdicts = new VerdictCache();

  /** Keywords whose positions the prefilter records: 1 for anchored rules (all), 2 for `near` rules (capped). */
  private readonly anchoredKeywords: Uint8Array;
  private readonly keywordIndex: Map<string, number>;

  private warm = false;

  /**
   * Runs a small scan of the rules' own examples once, its result dropped: a JIT warm-up for a
   * thread about to scan a big tree (the scan pool's threads, issue 15). Until the first secret is
   * found, the code that reports one has never run, and the optimizing compiler, with no record of
   * it, compiles the scan without it; the first finding then throws that code away to be compiled
   * again (~30-45 ms of compiler time each, several times per run on a 2-core machine). The
   * examples (fake values written for the rule tests) take those paths first: a rule matched at
   * its keywords, one tried near them, one over the whole text, a generic one (found and not), one
   * with a validity check, and a line under an inline allow marker. Byte for byte as a file's scan.
   */
  warmUp(): void {
    if (this.warm) return;
    this.warm = true;
    const pick = (test: (r: ContentRule) => boolean) =>
      this.rules.find((r) => test(r) && r.examples.match.length);
    const picked = [
      pick((r) => r.anchored !== undefined),
      pick((r) => r.near !== undefined),
      pick((r) => !r.anchored && !r.near && !r.generic && r.validator === undefined),
      pick((r) => r.validator !== undefined),
      pick((r) => r.generic),
    ];
    const lines: string[] = [];
    for (const r of picked) {
      if (!r) continue;
      lines.push(...r.examples.match, ...r.examples.noMatch);
      lines.push(`${r.examples.match[0]} # agent-audit:allow`);
    }
    const bytes = Buffer.from(lines.join("\n"), "latin1");
    const positions = this.positionsRequest();
    const rules = this.candidatesInBytes(bytes, positions);
    const sink: SuppressedSink = { config: new Set(), inlineAllow: new Set() };
    this.scan(bytes.toString("latin1"), {
      rules,
      positions,
      suppressed: sink,
      spareBytes: undefined,
      window: WHOLE_TEXT,
    });
  }

  /** True if a value equals or embeds a documentation placeholder. */
  isPlaceholder(value: string): boolean {
    if (this.placeholder) return this.placeholder.test(value);
    for (const re of this.placeholders) if (re.test(value)) return true;
    return false;
  }

  /**
   * Rules whose keyword occurs (case-insensitively) in the text, or in a Buffer read as latin1, in
   * the order their keywords first occur. On a Buffer no string is made: most files hold no keyword.
   */
  candidates(text: string | Uint8Array, positions?: KeywordPositions): ContentRule[] {
    return this.rulesFor(this.keywords.find(text, positions));
  }

  /** candidates() of a file's bytes (see KeywordMatcher.findBytes). */
  candidatesInBytes(bytes: Uint8Array, positions?: KeywordPositions): ContentRule[] {
    return this.rulesFor(this.keywords.findBytes(bytes, positions));
  }

  /** The rules of the keywords found, each once, in the keywords' order. */
  private rulesFor(keywords: number[]): ContentRule[] {
    const found = new Set<ContentRule>();
    for (const k of keywords) for (const r of this.rulesOf[k]!) found.add(r);
    return [...found];
  }

  /** A positions request for candidates(): every start of the anchored rules' keywords. */
  positionsRequest(): KeywordPositions {
    return { wanted: this.anchoredKeywords, starts: new Map() };
  }

  /**
   * Start positions of a rule's keywords, ascending, from the prefilter's record or by searching
   * the folded text (foldCase keeps every offset). Each keyword's starts are ascending, so lists are
   * merged, not sorted (a flood records 24,000 starts of one keyword and a few of the others,
   * issue 8), and copied element by element (spreading them into push() overflowed the call stack).
   * Undefined when there are more than `cap` starts, or when the prefilter only recorded that a
   * capped keyword is frequent (see KeywordPositions).
   */
  private keywordStarts(
    rule: ContentRule,
    lower: () => string,
    positions: KeywordPositions | undefined,
    cap = Number.POSITIVE_INFINITY,
  ): number[] | undefined {
    const text = positions ? undefined : lower();
    let out: number[] = [];
    // An index loop: a for-of left by `return` closes its iterator, a path the optimized code of
    // this function had not met (issue 15: its code was thrown away and compiled again).
    const keywords = rule.keywords;
    for (let ki = 0; ki < keywords.length; ki++) {
      const k = keywords[ki]!;
      let starts: number[];
      if (positions) {
        starts = positions.starts.get(this.keywordIndex.get(k) ?? -1) ?? [];
        if (starts[starts.length - 1] === -1) return undefined;
      } else {
        starts = [];
        for (let i = text!.indexOf(k); i !== -1 && starts.length <= cap; i = text!.indexOf(k, i + 1))
          starts.push(i);
      }
      if (starts.length === 0) continue;
      if (out.length + starts.length > cap) return undefined;
      out = out.length ? mergeAscending(out, starts) : starts;
    }
    return out;
  }

  /**
   * Every detection in a text. `text` may be a latin1 view of a file: secrets are ASCII, and
   * latin1 maps bytes 1:1, so offsets and line numbers stay right whatever the encoding.
   *
   * `window` keeps only the matches that start in [start, end): a file read in overlapping chunks
   * reports each match from exactly one chunk (issue 8).
   *
   * Per match, the work is bounded by the match itself plus a binary search: line numbers and
   * inline-allow markers are indexed once per text (issue 8: a copy of the whole line per match made
   * a long single line quadratic).
   */
  scan(
    text: string,
    opts: {
      honourInlineAllows?: boolean;
      rules?: ContentRule[];
      positions?: KeywordPositions;
      window?: { start: number; end: number };
      /**
       * The text is the head of a longer one, cut here: a match that reaches the cut may go on
       * past it, and is dropped rather than reported short (issue 9 review: a PGP body).
       */
      cut?: number;
      /**
       * Where to note the matches kept out of the result (issue 8 item 9: every report says how
       * many findings the config and inline markers suppressed): `config`, accepted matches of a
       * rule the config disabled (disabled rules still run, so they can be counted);
       * `inlineAllow`, accepted matches on a line an allow marker covers.
       */
      suppressed?: SuppressedSink;
      /**
       * The bytes the text was made from (latin1), when the caller has no further use for them:
       * the byte view's shadow is then made by changing them in place (byteShadow), not a copy.
       */
      spareBytes?: Uint8Array;
    } = {},
  ): Detection[] {
    let positions = opts.positions;
    if (!opts.rules) positions = this.positionsRequest();
    const rules = opts.rules ?? this.candidates(text, positions);
    if (rules.length === 0) return [];
    // The callers' options come in many shapes (files, the environment, the redactor): read here,
    // they reach the scan's body as plain arguments, so that its optimized code never meets an
    // object of a shape it has not seen and is thrown away (each recompile of the body cost ~45 ms
    // of compiler time, several times per run: --trace-deopt of test/bench trees, issue 15).
    return this.scanRules(
      text,
      rules,
      positions,
      opts.honourInlineAllows ?? true,
      opts.window?.start ?? 0,
      opts.window?.end ?? Number.POSITIVE_INFINITY,
      opts.cut,
      opts.suppressed,
      opts.spareBytes,
    );
  }

  /** scan() once its options are read: the rules given, over the text. */
  private scanRules(
    text: string,
    rules: ContentRule[],
    positions: KeywordPositions | undefined,
    honour: boolean,
    from: number,
    until: number,
    cut: number | undefined,
    suppressed: SuppressedSink | undefined,
    spareBytes: Uint8Array | undefined,
  ): Detection[] {
    const out: Detection[] = [];
    const index = new TextIndex(text);
    let lowered: string | undefined;
    const lower = () => {
      lowered ??= foldCase(text);
      return lowered;
    };
    // A text of latin1 characters with a 0xA0 in it: the byte view of a file with a no-break space
    // or a UTF-8 character whose encoding holds that byte (`à` is C3 A0). The rules run with the
    // byte view's whitespace there (latin1Whitespace; issue 15). Other texts never differ.
    const byteView = text.indexOf("\u00a0") !== -1 && !BEYOND_LATIN1.test(text);
    // Most rules run over the byte view's shadow instead (byteShadow): their own regexes, at the
    // speed of a text without the byte; a rule that names characters past ASCII runs its rewritten
    // regexes over the text itself.
    const shadow = byteView && byteShadowEnabled ? byteShadow(text, spareBytes) : text;
    const shadowed = shadow !== text;
    for (const rule of rules) {
      const off = this.disabled.has(rule.id);
      // Per rule, not per match (issue 8: a flood runs the body below 24,000 times per MB).
      // Compiled when a rule first runs, once per process (most runs need few of the rules).
      const onShadow = byteView && byteShadowEnabled && shadowSafe(rule);
      const compiled = byteView && !onShadow ? numberedForBytes(rule) : numbered(rule);
      const subject = onShadow ? shadow : text;
      const fromShadow = onShadow && shadowed;
      // The keyword starts of an anchored rule, or of a `near` rule when its keywords are sparse
      // enough for the windowed search (else the global regex below is cheaper than a call per
      // position: a keyword flood).
      const starts = compiled.anchored
        ? this.keywordStarts(rule, lower, positions)
        : compiled.near && rule.near
          ? this.keywordStarts(rule, lower, positions, Math.floor(text.length / 8 / (rule.near.within + 1)))
          : undefined;
      const group = compiled.group;
      const byName = typeof group === "string";
      const ruleFrom = out.length;
      const priority = rule.generic ? 1 : 3;
      // The gates' verdict per value: a flood repeats one near-miss value thousands of times.
      const verdicts = this.verdicts;
      verdicts.clear();
      const judge = (m: RegExpExecArray): void => {
        const start = m.index;
        if (start < from || start >= until) return;
        if (cut !== undefined && start + m[0].length >= cut) return;
        const seen = byName ? m.groups?.[group] : m[group as number];
        if (!seen) return;
        // A value that may hold a byte the shadow changed: the text's own bytes at its offsets.
        const secret =
          fromShadow && SHADOWED_BYTE.test(seen) ? (unshadow(compiled, text, shadow, m) ?? seen) : seen;
        let ok = verdicts.get(secret);
        if (ok === undefined) {
          // The gates judge the value as it is reported: in the byte view, bytes past ASCII that
          // are UTF-8 read as UTF-8 (files.ts fromLatin1View), so that the 0xA0 of `à` is not a
          // space to the randomness gate.
          ok = this.accept(rule, byteView ? asUtf8(secret) : secret);
          verdicts.set(secret, ok);
        }
        if (!ok) return;
        const line = index.lineOfSecret(start, m[0], seen);
        // After the gates: most texts have no accepted match, and so never build the marker index.
        if (honour && index.allowedLine(line)) {
          suppressed?.inlineAllow.add(secret);
          return;
        }
        if (off) {
          suppressed?.config.add(secret);
          return;
        }
        out.push({
          ruleId: rule.id,
          provider: rule.provider,
          type: rule.type,
          severity: rule.severity,
          title: rule.title,
          remediation: rule.remediation,
          secret,
          line: line + 1,
          // Set below, once the rule's matches are in (validate).
          valid: undefined,
          priority,
        });
      };
      if (compiled.anchored && starts) {
        // The sticky regex tried at every occurrence of the keywords, in text order and not
        // overlapping, as a global regex over the whole text would find them. Each match is
        // garbage as soon as it is judged (issue 8: holding a flood's matches in one array made
        // the collector the main cost).
        const sticky = compiled.anchored;
        let next = 0;
        for (let i = 0; i < starts.length; i++) {
          const p = starts[i]!;
          if (p < next) continue;
          sticky.lastIndex = p;
          const m = sticky.exec(subject);
          if (m === null) continue;
          next = p + Math.max(1, m[0].length);
          judge(m);
        }
      } else if (compiled.near && rule.near && starts) {
        // Tried only in the `within + 1` positions before each keyword occurrence (rules `near`):
        // a match there is the leftmost one a global scan would find from the end of the previous
        // match, since every match starts that close before a keyword inside it.
        const sticky = compiled.near;
        const within = rule.near.within;
        let next = 0;
        // Each position is tried once: a keyword flood's windows overlap, and a position that
        // failed fails again (issue 8: otherwise `ibm ibm ibm ...` tried each position 16 times).
        let tried = -1;
        for (let i = 0; i < starts.length; i++) {
          const p = starts[i]!;
          for (let at = Math.max(p - within, next, tried + 1); at <= p; at++) {
            tried = at;
            sticky.lastIndex = at;
            const m = sticky.exec(subject);
            if (m === null) continue;
            next = at + Math.max(1, m[0].length);
            at = next - 1;
            judge(m);
          }
        }
      } else {
        const re = compiled.regex;
        re.lastIndex = 0;
        for (let m = re.exec(subject); m !== null; m = re.exec(subject)) {
          // An empty match moves on by one, as matchAll does.
          if (m[0].length === 0) re.lastIndex++;
          judge(m);
        }
      }
      if (compiled.validator && out.length > ruleFrom) validate(out, ruleFrom, compiled.validator);
    }
    // The cache holds slices of the text: let it go with the text.
    this.verdicts.clear();
    return out;
  }

  /** The per-secret gates: allowlist, placeholders, entropy, randomness for generic rules. */
  accept(rule: ContentRule, secret: string): boolean {
    for (const re of rule.allow) if (re.test(secret)) return false;
    if (this.isPlaceholder(secret)) return false;
    if (rule.entropy !== undefined && shannonEntropy(secret) < rule.entropy) return false;
    if (rule.generic && !looksRandom(secret)) return false;
    return true;
  }
}

/**
 * The validity check of one rule over its detections, out[from..]. Apart from the scan's body: each
 * rule has its own check, and a call whose target changes from rule to rule inside that body had
 * its optimized code thrown away (issue 15).
 */
function validate(out: Detection[], from: number, validator: (secret: string) => boolean): void {
  for (let i = from; i < out.length; i++) out[i]!.valid = validator(out[i]!.secret);
}

/**
 * The gates' verdicts of recent values, by a cheap hash of the value (its length and three of its
 * characters) in a fixed number of slots: a flood that repeats a value hits, and a flood of
 * distinct values costs no map entry and no garbage per value (issue 8: a map of 24,000 values was
 * a large part of a flood's cost). A value that misses is judged again: the gates are linear in
 * the value, which lies in its match, so the scan stays linear whatever the hit rate.
 */
class VerdictCache {
  private static readonly SLOTS = 256;
  private readonly keys: (string | undefined)[] = new Array(VerdictCache.SLOTS).fill(undefined);
  private readonly values = new Uint8Array(VerdictCache.SLOTS);
  private used = false;

  private static slot(value: string): number {
    const n = value.length;
    const h = n * 31 + value.charCodeAt(0) * 7 + value.charCodeAt(n >> 1) * 13 + value.charCodeAt(n - 1);
    return h & (VerdictCache.SLOTS - 1);
  }

  get(value: string): boolean | undefined {
    const i = VerdictCache.slot(value);
    return this.keys[i] === value ? this.values[i] === 1 : undefined;
  }

  set(value: string, verdict: boolean): void {
    const i = VerdictCache.slot(value);
    this.keys[i] = value;
    this.values[i] = verdict ? 1 : 0;
    this.used = true;
  }

  clear(): void {
    if (!this.used) return;
    this.keys.fill(undefined);
    this.used = false;
  }
}

/**
 * One regex matching where any of the given ones matches, or undefined when that cannot be exact:
 * flags differ, or a pattern refers to its own groups (numbers would shift), or is stateful.
 */
function combine(res: readonly RegExp[]): RegExp | undefined {
  if (res.length === 0) return undefined;
  const flags = res[0]!.flags;
  if (/[gy]/.test(flags)) return undefined;
  for (const re of res) if (re.flags !== flags || /\\[1-9]|\\k</.test(re.source)) return undefined;
  return new RegExp(res.map((re) => `(?:${re.source})`).join("|"), flags);
}

/**
 * Line starts and inline-allow markers of one text, each computed once and only when first needed,
 * so that every per-match question costs a binary search or a set lookup, never a pass over the
 * line (issue 8).
 */
export class TextIndex {
  private starts?: Int32Array;
  /** 0-based lines whose secrets a marker suppresses; undefined until first asked. */
  private allowedLines?: Set<number>;

  constructor(private readonly text: string) {}

  /** 0-based line of a UTF-16 offset. */
  lineOf(index: number): number {
    this.starts ??= lineStarts(this.text);
    const starts = this.starts;
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= index) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /**
   * 0-based line of a secret found in a match that starts at `start`: where `match.indexOf(secret)`
   * puts it (the match's start when it is not in the match). That offset lies in [start, start +
   * match.length - secret.length]: when no line starts after `start` in that span (a match on one
   * line, the common case), the search is skipped.
   */
  lineOfSecret(start: number, match: string, secret: string): number {
    const line = this.lineOf(start);
    const next = this.starts![line + 1];
    if (next === undefined || next > start + match.length - secret.length) return line;
    return this.lineOf(start + Math.max(0, match.indexOf(secret)));
  }

  /**
   * True when a marker on the offset's line (or a next-line marker on the line above) allows it.
   * Markers hold no newline, so a marker occurrence lies on exactly one line.
   */
  allowed(index: number): boolean {
    return this.allowedLine(this.lineOf(index));
  }

  /** True when a marker allows the secrets of a 0-based line (see allowed). */
  allowedLine(line: number): boolean {
    if (!this.allowedLines) {
      const lines = new Set<number>();
      for (const marker of INLINE_ALLOW_MARKERS) {
        for (let i = this.text.indexOf(marker); i !== -1; i = this.text.indexOf(marker, i + marker.length))
          lines.add(this.lineOf(i));
      }
      for (const marker of INLINE_ALLOW_NEXT_LINE_MARKERS) {
        for (let i = this.text.indexOf(marker); i !== -1; i = this.text.indexOf(marker, i + marker.length))
          lines.add(this.lineOf(i) + 1);
      }
      this.allowedLines = lines;
    }
    return this.allowedLines.size > 0 && this.allowedLines.has(line);
  }
}

/** Offsets where lines start; counted first so that the array is allocated once, 4 bytes a line. */
function lineStarts(text: string): Int32Array {
  let n = 1;
  for (let i = text.indexOf("\n"); i !== -1; i = text.indexOf("\n", i + 1)) n++;
  const starts = new Int32Array(n);
  let k = 1;
  for (let i = text.indexOf("\n"); i !== -1; i = text.indexOf("\n", i + 1)) starts[k++] = i + 1;
  return starts;
}

/** True when an inline-allow marker covers the offset (see TextIndex; one-off use, builds an index). */
export function hasInlineAllow(text: string, index: number): boolean {
  return new TextIndex(text).allowed(index);
}

/**
 * The text with ASCII and latin1 capitals in lower case, every other character as it is: the
 * keyword prefilter's folding, and the same length as the text, so an offset found in it is an
 * offset in the text (String#toLowerCase turns U+0130 into two characters and moved every offset
 * after it: issue 9 review, a token after "İ" in a file name was printed whole).
 */
export function foldCase(text: string): string {
  // Latin1 text (a file's bytes, the common case): toLowerCase keeps its length and folds exactly
  // these capitals, natively.
  if (!BEYOND_LATIN1.test(text)) return text.toLowerCase();
  return FOLDABLE.test(text)
    ? text.replace(FOLDABLE_G, (c) => String.fromCharCode(c.charCodeAt(0) + 0x20))
    : text;
}
const BEYOND_LATIN1 = /[^\u0000-\u00ff]/;
const FOLDABLE = /[A-Z\u00c0-\u00d6\u00d8-\u00de]/;
const FOLDABLE_G = /[A-Z\u00c0-\u00d6\u00d8-\u00de]/g;

/** A latin1 view's value as UTF-8 when its bytes past ASCII are UTF-8; else as it is. */
function asUtf8(value: string): string {
  if (!PAST_ASCII.test(value)) return value;
  const bytes = Buffer.from(value, "latin1");
  const utf8 = bytes.toString("utf8");
  return Buffer.from(utf8, "utf8").equals(bytes) ? utf8 : value;
}
const PAST_ASCII = /[\x80-\xff]/;

/** Two ascending arrays as one ascending array (duplicates kept). */
function mergeAscending(a: readonly number[], b: readonly number[]): number[] {
  const out = new Array<number>(a.length + b.length);
  let i = 0;
  let j = 0;
  let k = 0;
  while (i < a.length && j < b.length) out[k++] = a[i]! <= b[j]! ? a[i++]! : b[j++]!;
  while (i < a.length) out[k++] = a[i++]!;
  while (j < b.length) out[k++] = b[j++]!;
  return out;
}

/** A rule's regexes as the scan runs them. */
export interface NumberedRule {
  regex: RegExp;
  anchored: RegExp | undefined;
  /** The sticky copy of a `near` rule. */
  near: RegExp | undefined;
  /** The secret's capture group: a number, or a name when the regex kept its names. */
  group: number | string;
  /** The rule's offline validity check (validators.ts), looked up once here, not per match. */
  validator: ((secret: string) => boolean) | undefined;
}

/** compileNumbered once per rule object: a run builds several scanners over the same rules. */
const NUMBERED = new WeakMap<ContentRule, NumberedRule>();
function numbered(rule: ContentRule): NumberedRule {
  let n = NUMBERED.get(rule);
  if (n === undefined) {
    n = compileNumbered(rule);
    NUMBERED.set(rule, n);
  }
  return n;
}

/**
 * The byte view's shadow (issue 15): the text with the two bytes whose meaning there is not a
 * regex's changed to bytes that a regex reads that way, and nothing else, so offsets and lines
 * stay. A 0xA0 that is part of a character (after a UTF-8 continuation byte other than 0xA0, or a
 * lead byte other than C2) becomes 0x80, which is no space; the C2 of a UTF-8 no-break space
 * (C2 A0) becomes 0xA0, a space like the A0 after it. A lone 0xA0 (a latin1 file's no-break space)
 * is a space already. The rules' own regexes over the shadow then match what their rewritten
 * regexes (latin1Whitespace) match over the text, without a look-around per character: those ran
 * at a third of the speed, over every file with an `à` in a comment. A rule whose regex names any
 * character past ASCII (shadowSafe) could tell 0x80 from 0xA0, and runs the rewritten regex.
 * Unlike latin1Whitespace's, a 0xA0 after E2 (Braille, E2 A0 xx) is part of its character.
 */
export function byteShadow(text: string, spare?: Uint8Array): string {
  let bytes: Uint8Array | undefined;
  // The caller's bytes of this very text, changed in place; else a copy, made at the first change.
  const own = () =>
    spare !== undefined && spare.length === text.length ? spare : Buffer.from(text, "latin1");
  for (let i = text.indexOf("\u00a0"); i !== -1; i = text.indexOf("\u00a0", i + 1)) {
    const before = i > 0 ? text.charCodeAt(i - 1) : -1;
    if (before === 0xc2) {
      bytes ??= own();
      bytes[i - 1] = 0xa0;
    } else if ((before >= 0x80 && before <= 0xbf && before !== 0xa0) || (before >= 0xc3 && before <= 0xf4)) {
      bytes ??= own();
      bytes[i] = 0x80;
    }
  }
  return bytes ? Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString("latin1") : text;
}

/** Tests compare the shadow with the rewritten regexes (test/detect/byte-shadow.test.ts). */
let byteShadowEnabled = true;
export function useByteShadow(on: boolean): void {
  byteShadowEnabled = on;
}

/** Bytes the shadow may have changed: a value holding one is read back from the text. */
const SHADOWED_BYTE = /[\x80\xa0]/;

/**
 * Whether a rule's regexes read 0x80 and 0xA0 alike but for whitespace: no character past ASCII
 * named in any form (an escape, an octal escape, a literal, a property), no `u` or `v` flag, and
 * no backreference that could compare stretches the shadow changed (backreferencesSafe).
 */
const SHADOW_SAFE = new WeakMap<ContentRule, boolean>();
export function shadowSafe(rule: ContentRule): boolean {
  let safe = SHADOW_SAFE.get(rule);
  if (safe === undefined) {
    const source = rule.regex.source;
    safe =
      !/[uv]/.test(rule.regex.flags) &&
      !/\\(?:x[89a-fA-F]|u|[pP]\{|[1-9][0-9])/.test(source) &&
      !/[^\x00-\x7f]/.test(source) &&
      backreferencesSafe(source);
    SHADOW_SAFE.set(rule, safe);
  }
  return safe;
}

/**
 * Whether every backreference of an ASCII source reads the shadow as it reads the text. The shadow
 * maps two texts to one (C3 80 `À` and C3 A0 `à` both read C3 80; C2 A0 and A0 A0 both read
 * A0 A0), so a backreference could find equal what the text holds as different: `(?!\1@)` in the
 * connection-string rules (a password that is not the user's name) dropped
 * `postgres://svcÀ1:svcà1@db` whole (hostile15). Two kinds are safe: `\k<x>` right after a
 * lookahead that is group x alone, `(?=(?<x>...))\k<x>` (an atomic group: the text compared
 * with itself), and `\k<x>` of a group that is one class of ASCII characters, `(?<q>["'])`
 * (the shadow changes no ASCII character and makes none). Any other, and every numbered one, is not.
 */
function backreferencesSafe(source: string): boolean {
  if (!/\\(?:[1-9]|k<)/.test(source)) return true;
  // Each group's closing parenthesis, by the offset of its opening one; each name's group.
  const closeOf = new Map<number, number>();
  const named = new Map<string, number>();
  const open: number[] = [];
  const refs: [number, string][] = [];
  let inClass = false;
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (c === "\\") {
      const d = source[i + 1] ?? "";
      if (!inClass && d >= "1" && d <= "9") return false;
      if (!inClass && d === "k" && source[i + 2] === "<") {
        const end = source.indexOf(">", i + 3);
        if (end === -1) return false;
        refs.push([i, source.slice(i + 3, end)]);
      }
      i++;
    } else if (inClass) {
      if (c === "]") inClass = false;
    } else if (c === "[") inClass = true;
    else if (c === "(") {
      open.push(i);
      const name = /^\(\?<([A-Za-z_$][\w$]*)>/.exec(source.slice(i, i + 100))?.[1];
      if (name !== undefined) {
        if (named.has(name)) return false;
        named.set(name, i);
      }
    } else if (c === ")") {
      const o = open.pop();
      if (o === undefined) return false;
      closeOf.set(o, i);
    }
  }
  for (const [at, name] of refs) {
    const g = named.get(name);
    const close = g === undefined ? undefined : closeOf.get(g);
    if (g === undefined || close === undefined) return false;
    // The lookahead is `(?=(?<x>...))` exactly (no quantifier after the group) and ends at the reference.
    const atomic = source.startsWith("(?=", g - 3) && closeOf.get(g - 3) === close + 1 && close + 2 === at;
    const body = source.slice(g + name.length + 4, close);
    const ascii = /^\[[^\\\]^][^\\\]]*\]\??$/.test(body);
    if (!atomic && !ascii) return false;
  }
  return true;
}

/** The sticky copy with indices of a rule's regex, to read a value's offsets (unshadow). */
const WITH_INDICES = new WeakMap<RegExp, RegExp>();

/** The value of match `m` (found in `shadow`) as the text holds it: the same group, at the same offsets. */
function unshadow(
  compiled: NumberedRule,
  text: string,
  shadow: string,
  m: RegExpExecArray,
): string | undefined {
  let re = WITH_INDICES.get(compiled.regex);
  if (re === undefined) {
    re = new RegExp(compiled.regex.source, `${compiled.regex.flags.replace(/[gyd]/g, "")}yd`);
    WITH_INDICES.set(compiled.regex, re);
  }
  re.lastIndex = m.index;
  const again = re.exec(shadow);
  const group = compiled.group;
  const at = typeof group === "string" ? again?.indices?.groups?.[group] : again?.indices?.[group];
  // The same regex at the same offset matches the same way; should it not, the shadow's value
  // stands (its bytes differ from the text's only where the text meant a space or a character).
  return at ? text.slice(at[0], at[1]) : undefined;
}

/** numbered() for the byte view of a file that holds a 0xA0 byte (latin1Whitespace). */
const NUMBERED_BYTES = new WeakMap<ContentRule, NumberedRule>();
function numberedForBytes(rule: ContentRule): NumberedRule {
  let n = NUMBERED_BYTES.get(rule);
  if (n === undefined) {
    n =
      latin1Whitespace(rule.regex.source, rule.regex.flags) === undefined
        ? numbered(rule)
        : compileNumbered(rule, true);
    NUMBERED_BYTES.set(rule, n);
  }
  return n;
}

/**
 * The rule's regexes with every named group turned into a plain numbered one (and `\k<name>` into
 * its number), and the secret group as a number. Same matches, same groups: names only change how
 * a match exposes them. A regex with names builds a `groups` dictionary per match and is read by a
 * keyed lookup; a flood makes 24,000 matches per MB (issue 8). A source this cannot renumber
 * safely keeps its names (the test checks every packaged rule on its examples both ways).
 *
 * `bytes`: with the byte view's whitespace (latin1Whitespace), which adds no capture group.
 */
export function compileNumbered(rule: ContentRule, bytes = false): NumberedRule {
  const re = (source: string, flags: string) =>
    new RegExp(bytes ? (latin1Whitespace(source, flags) ?? source) : source, flags);
  // Every NumberedRule has the same fields in the same order: the scan reads them in its hottest
  // loop, and objects of one shape keep its optimized code (see ContentScanner.scan).
  const validator = rule.validator ? VALIDATORS[rule.validator] : undefined;
  const unnamed = withoutNames(rule.regex.source);
  const group =
    typeof rule.secretGroup === "number" ? rule.secretGroup : unnamed?.groups.get(rule.secretGroup);
  if (unnamed && group !== undefined) {
    try {
      return {
        regex: re(unnamed.source, rule.regex.flags),
        anchored: rule.anchored ? re(unnamed.source, rule.anchored.flags) : undefined,
        near: rule.near ? re(unnamed.source, rule.near.sticky.flags) : undefined,
        group,
        validator,
      };
    } catch {
      // Falls through to the named regexes.
    }
  }
  if (bytes) {
    try {
      return {
        regex: re(rule.regex.source, rule.regex.flags),
        anchored: rule.anchored ? re(rule.anchored.source, rule.anchored.flags) : undefined,
        near: undefined,
        group: rule.secretGroup,
        validator,
      };
    } catch {
      // Falls through to the rule's own regexes.
    }
  }
  return {
    regex: rule.regex,
    anchored: rule.anchored,
    near: undefined,
    group: rule.secretGroup,
    validator,
  };
}

/**
 * Whitespace in the byte view of a file (issue 15). Content rules run over a latin1 view of the
 * bytes, where a regex's `\s` also matched the byte 0xA0: the second byte of `à` (C3 A0), of `Р`
 * (D0 A0) and of many CJK characters, so a secret holding one was cut there. In that view the
 * rules' whitespace is ASCII whitespace, plus a no-break space as the file means it: the UTF-8
 * pair C2 A0 (both bytes), or a 0xA0 that no UTF-8 lead or continuation byte precedes (a latin1
 * file's no-break space, or U+00A0 in a decoded text). A 0xA0 after another continuation byte or a
 * lead byte other than C2 is part of a character, and so part of the secret.
 *
 * The source with `\s`, `\S` and classes that hold them rewritten to say so, adding no capture
 * group; or undefined when it has none of them, or a construct this does not rewrite (a range next
 * to `\s`, the `v` flag). Limits: under the `i` flag a literal 0xC2 also matches 0xE2 (`â`), so the
 * lead byte E2 before A0 (Braille, U+2800-U+283F) reads as the no-break space's; and a 0xA0 after
 * another 0xA0 reads as a no-break space (two no-break spaces in a decoded text) though E0 A0 A0
 * and the like are characters.
 */
export function latin1Whitespace(source: string, flags: string): string | undefined {
  if (flags.includes("v") || !/\\[sS]/.test(source)) return undefined;
  const testFlags = flags.replace(/[gyd]/g, "");
  let out = "";
  let changed = false;
  for (let i = 0; i < source.length; i++) {
    const c = source[i]!;
    if (c === "\\") {
      const d = source[i + 1];
      if (d === "s" || d === "S") {
        out += d === "s" ? BYTE_SPACE : BYTE_NOT_SPACE;
        changed = true;
      } else out += c + (d ?? "");
      i++;
      continue;
    }
    if (c !== "[") {
      out += c;
      continue;
    }
    // A class: its end, and whether it names \s or \S.
    let j = i + 1;
    while (j < source.length && source[j] !== "]") j += source[j] === "\\" ? 2 : 1;
    if (j >= source.length) return undefined;
    const body = source.slice(i + 1, j);
    const rewritten = classForBytes(body, testFlags);
    if (rewritten === undefined) return undefined;
    if (rewritten !== null) changed = true;
    out += rewritten ?? `[${body}]`;
    i = j;
  }
  return changed ? out : undefined;
}

/** Bytes a 0xA0 that belongs to a character follows: a UTF-8 continuation byte or a lead byte other than C2. */
// (Without 0xE2: under the `i` flag it would take 0xC2, its capital.)
const PART_OF_CHAR = "[\\x80-\\x9f\\xa1-\\xbf\\xc3-\\xe1\\xe3-\\xf4]";
const BYTE_SPACE = `(?:[\\t-\\r ]|\\xc2(?=\\xa0)|(?<!${PART_OF_CHAR})\\xa0)`;
const BYTE_NOT_SPACE = `(?:(?![\\xc2\\xa0])[^\\t-\\r ]|\\xc2(?!\\xa0)|(?<=${PART_OF_CHAR})\\xa0)`;
/** Every character but ASCII whitespace, inside a class. */
const NOT_ASCII_SPACE = "\\x00-\\x08\\x0e-\\x1f!-\\uffff";

/**
 * A class body with `\s` or `\S` for the byte view: the class without 0xC2 and 0xA0, `\s` read as
 * ASCII whitespace, and each of those two bytes where the class takes it (as a space, as part of a
 * character, or both). Null when the body names neither; undefined when it cannot say.
 */
function classForBytes(body: string, flags: string): string | null | undefined {
  const negated = body.startsWith("^");
  let rest = "";
  let space = false;
  let notSpace = false;
  for (let k = negated ? 1 : 0; k < body.length; k++) {
    const c = body[k]!;
    if (c === "\\") {
      const d = body[k + 1];
      if (d === "s" || d === "S") {
        if (body[k - 1] === "-" || body[k + 2] === "-") return undefined;
        if (d === "s") space = true;
        else notSpace = true;
      } else rest += c + (d ?? "");
      k++;
      continue;
    }
    rest += c;
  }
  if (!space && !notSpace) return null;
  let inRest: RegExp | undefined;
  try {
    inRest = rest ? new RegExp(`[${rest}]`, flags) : undefined;
  } catch {
    return undefined;
  }
  // Whether the class takes the byte when it is a space, and when it is part of a character.
  const takes = (ch: string, asSpace: boolean) => {
    const listed = inRest?.test(ch) === true || (asSpace ? space : notSpace);
    return negated ? !listed : listed;
  };
  // Other characters: as the class takes them, with \s as ASCII whitespace. The pieces stay apart
  // (a class's last `-` next to `\t` would make a range).
  const own: string[] = [];
  if (space) own.push("[\\t-\\r ]");
  if (notSpace) own.push(`[${NOT_ASCII_SPACE}]`);
  const parts = [
    negated
      ? `(?![\\xc2\\xa0])${own.map((o) => `(?!${o})`).join("")}[^${rest}]`
      : `(?![\\xc2\\xa0])(?:${[...(rest ? [`[${rest}]`] : []), ...own].join("|")})`,
  ];
  const c2 = [takes("\u00c2", true), takes("\u00c2", false)];
  if (c2[0] && c2[1]) parts.push("\\xc2");
  else if (c2[0]) parts.push("\\xc2(?=\\xa0)");
  else if (c2[1]) parts.push("\\xc2(?!\\xa0)");
  const a0 = [takes("\u00a0", true), takes("\u00a0", false)];
  if (a0[0] && a0[1]) parts.push("\\xa0");
  else if (a0[0]) parts.push(`(?<!${PART_OF_CHAR})\\xa0`);
  else if (a0[1]) parts.push(`(?<=${PART_OF_CHAR})\\xa0`);
  return `(?:${parts.join("|")})`;
}

/**
 * `source` with `(?<name>` as `(` and `\k<name>` as `(?:\N)`, and each name's group number; or
 * undefined when the source holds a construct this does not renumber (a `\k` inside a class).
 */
export function withoutNames(source: string): { source: string; groups: Map<string, number> } | undefined {
  const groups = new Map<string, number>();
  // Pass 1: number the groups in the order of their opening parentheses.
  let count = 0;
  let inClass = false;
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (c === "\\") {
      i++;
      continue;
    }
    if (inClass) {
      if (c === "]") inClass = false;
      continue;
    }
    if (c === "[") inClass = true;
    else if (c === "(") {
      if (source[i + 1] !== "?") count++;
      else if (source[i + 2] === "<" && source[i + 3] !== "=" && source[i + 3] !== "!") {
        const end = source.indexOf(">", i + 3);
        if (end === -1) return undefined;
        count++;
        groups.set(source.slice(i + 3, end), count);
      }
    }
  }
  if (groups.size === 0) return { source, groups };
  // Pass 2: rewrite.
  let out = "";
  inClass = false;
  for (let i = 0; i < source.length; i++) {
    const c = source[i]!;
    if (c === "\\") {
      if (!inClass && source[i + 1] === "k" && source[i + 2] === "<") {
        const end = source.indexOf(">", i + 3);
        const n = end === -1 ? undefined : groups.get(source.slice(i + 3, end));
        if (n === undefined) return undefined;
        out += `(?:\\${n})`;
        i = end;
        continue;
      }
      if (inClass && source[i + 1] === "k") return undefined;
      out += c + (source[i + 1] ?? "");
      i++;
      continue;
    }
    if (inClass) {
      if (c === "]") inClass = false;
      out += c;
      continue;
    }
    if (c === "[") inClass = true;
    if (
      c === "(" &&
      source[i + 1] === "?" &&
      source[i + 2] === "<" &&
      source[i + 3] !== "=" &&
      source[i + 3] !== "!"
    ) {
      out += "(";
      i = source.indexOf(">", i + 3);
      continue;
    }
    out += c;
  }
  return { source: out, groups };
}
