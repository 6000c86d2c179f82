import { KeywordMatcher, type KeywordPositions } from "./keywords.js";
import { looksRandom, shannonEntropy } from "./randomness.js";
import type { RuleSet } from "./rules.js";
import type { ContentRule, Detection } from "./types.js";
import { VALIDATORS } from "./validators.js";

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

/** A compiled scanner: one keyword pass over the text, then only the rules whose keyword occurred. */
export class ContentScanner {
  private readonly rules: ContentRule[];
  private readonly keywords: KeywordMatcher;
  private readonly byKeyword = new Map<string, ContentRule[]>();
  /** Rules per keyword, indexed like `keywords.keywords`. */
  private readonly rulesOf: ContentRule[][];
  private readonly placeholders: RegExp[];

  /** Rule ids switched off by the user's config; structural detections judged by them are dropped too. */
  readonly disabled: ReadonlySet<string>;

  constructor(ruleSet: RuleSet, disabled: ReadonlySet<string> = new Set()) {
    this.disabled = disabled;
    this.rules = ruleSet.content.filter((r) => !disabled.has(r.id));
    this.placeholders = ruleSet.placeholders;
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
    });
    this.keywordIndex = new Map(this.keywords.keywords.map((k, i) => [k, i]));
  }

  /** Keywords of anchored rules, whose every position the prefilter records. */
  private readonly anchoredKeywords: Uint8Array;
  private readonly keywordIndex: Map<string, number>;

  /** True if a value equals or embeds a documentation placeholder. */
  isPlaceholder(value: string): boolean {
    for (const re of this.placeholders) if (re.test(value)) return true;
    return false;
  }

  /**
   * Rules whose keyword occurs (case-insensitively) in the text, or in a Buffer read as latin1, in
   * the order their keywords first occur. On a Buffer no string is made: most files hold no keyword.
   */
  candidates(text: string | Uint8Array, positions?: KeywordPositions): ContentRule[] {
    const found = new Set<ContentRule>();
    for (const k of this.keywords.find(text, positions)) for (const r of this.rulesOf[k]!) found.add(r);
    return [...found];
  }

  /** A positions request for candidates(): every start of the anchored rules' keywords. */
  positionsRequest(): KeywordPositions {
    return { wanted: this.anchoredKeywords, starts: new Map() };
  }

  /** Start positions of a rule's keywords, from the prefilter's record or by searching the text. */
  private keywordStarts(rule: ContentRule, text: string, positions: KeywordPositions | undefined): number[] {
    const out: number[] = [];
    if (positions) {
      for (const k of rule.keywords)
        out.push(...(positions.starts.get(this.keywordIndex.get(k) ?? -1) ?? []));
    } else {
      // latin1 and ASCII lower-casing keeps every offset where it was.
      const lower = text.toLowerCase();
      for (const k of rule.keywords) {
        for (let i = lower.indexOf(k); i !== -1; i = lower.indexOf(k, i + 1)) out.push(i);
      }
    }
    return out.sort((a, b) => a - b);
  }

  /**
   * Every detection in a text. `text` may be a latin1 view of a file: secrets are ASCII, and
   * latin1 maps bytes 1:1, so offsets and line numbers stay right whatever the encoding.
   */
  scan(
    text: string,
    opts: { honourInlineAllows?: boolean; rules?: ContentRule[]; positions?: KeywordPositions } = {},
  ): Detection[] {
    let positions = opts.positions;
    if (!opts.rules) positions = this.positionsRequest();
    const rules = opts.rules ?? this.candidates(text, positions);
    if (rules.length === 0) return [];
    const out: Detection[] = [];
    let lineStarts: number[] | undefined;
    const lineOf = (index: number): number => {
      lineStarts ??= computeLineStarts(text);
      let lo = 0;
      let hi = lineStarts.length - 1;
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if (lineStarts[mid]! <= index) lo = mid;
        else hi = mid - 1;
      }
      return lo + 1;
    };
    const honour = opts.honourInlineAllows ?? true;
    for (const rule of rules) {
      let matches: Iterable<RegExpMatchArray>;
      if (rule.anchored) {
        matches = anchoredMatches(text, this.keywordStarts(rule, text, positions), rule.anchored);
      } else {
        rule.regex.lastIndex = 0;
        matches = text.matchAll(rule.regex);
      }
      for (const m of matches) {
        const secret =
          typeof rule.secretGroup === "string" ? m.groups?.[rule.secretGroup] : m[rule.secretGroup];
        if (!secret) continue;
        const index = (m.index ?? 0) + Math.max(0, m[0].indexOf(secret));
        if (!this.accept(rule, secret)) continue;
        if (honour && hasInlineAllow(text, index)) continue;
        const validator = rule.validator ? VALIDATORS[rule.validator] : undefined;
        out.push({
          ruleId: rule.id,
          provider: rule.provider,
          type: rule.type,
          severity: rule.severity,
          title: rule.title,
          remediation: rule.remediation,
          secret,
          line: lineOf(index),
          valid: validator ? validator(secret) : undefined,
          priority: rule.generic ? 1 : 3,
        });
      }
    }
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
 * The matches of a sticky regex tried at every occurrence of the keywords, in text order and not
 * overlapping, as a global regex over the whole text would find them.
 */
function anchoredMatches(text: string, positions: number[], sticky: RegExp): RegExpMatchArray[] {
  const out: RegExpMatchArray[] = [];
  let until = 0;
  for (const p of positions) {
    if (p < until) continue;
    sticky.lastIndex = p;
    const m = sticky.exec(text);
    if (!m) continue;
    out.push(m);
    until = p + Math.max(1, m[0].length);
  }
  return out;
}

function computeLineStarts(text: string): number[] {
  const starts = [0];
  let i = text.indexOf("\n");
  while (i !== -1) {
    starts.push(i + 1);
    i = text.indexOf("\n", i + 1);
  }
  return starts;
}

export function hasInlineAllow(text: string, index: number): boolean {
  const start = text.lastIndexOf("\n", index) + 1;
  let end = text.indexOf("\n", index);
  if (end === -1) end = text.length;
  const line = text.slice(start, end);
  for (const marker of INLINE_ALLOW_MARKERS) if (line.includes(marker)) return true;
  if (start === 0) return false;
  const previous = text.slice(text.lastIndexOf("\n", start - 2) + 1, start - 1);
  for (const marker of INLINE_ALLOW_NEXT_LINE_MARKERS) if (previous.includes(marker)) return true;
  return false;
}
