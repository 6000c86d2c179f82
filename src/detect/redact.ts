import { AsyncLocalStorage } from "node:async_hooks";
import { preview } from "../contract/finding.js";
import type { AuditReport } from "../contract/types.js";
import { defaultRules, type RuleSet } from "../rules/catalog.js";
import { escapeControls, escapeStreamControls } from "../util/controls.js";
import { mapStrings } from "../util/map-strings.js";
import { type ContentScanner, foldCase, sharedScanner as sharedContentScanner } from "./content.js";
import { looksRandom } from "./randomness.js";

/**
 * Removes userinfo from a URL-ish string (proxy URLs in probe output, error messages): everything up
 * to the LAST "@", with or without a scheme, since a password may itself hold "/" or "@".
 * Over-redacting a URL whose path holds an "@" is the safe mistake.
 */
export function stripUserinfo(url: string): string {
  const m = /^([a-z][a-z0-9+.-]*:\/\/)?(.*)$/is.exec(url)!;
  const scheme = m[1] ?? "";
  const rest = m[2] ?? "";
  const at = rest.lastIndexOf("@");
  return at === -1 ? url : `${scheme}${rest.slice(at + 1)}`;
}

/**
 * Masks credentials in free text that may echo user input (commander's "unknown option '--x=...'"):
 * every whitespace- or quote-delimited token holding an "@" after a ":" loses what precedes its
 * last "@".
 */
export function redactCredentials(text: string, keep?: (userinfo: string) => boolean): string {
  // Token by token (one linear pass; a regex with ":" and "@" inside a run backtracked quadratically).
  return text.replace(/[^\s'"]+/g, (token) => {
    const colon = token.indexOf(":");
    const at = token.lastIndexOf("@");
    if (colon === -1 || at < colon) return token;
    if (keep) {
      const slashes = token.indexOf("//");
      if (keep(token.slice(slashes !== -1 && slashes < at ? slashes + 2 : 0, at))) return token;
    }
    const eq = token.indexOf("=");
    const head = eq >= 0 && eq < token.indexOf(":") ? token.slice(0, eq + 1) : "";
    return head + stripUserinfo(token.slice(head.length));
  });
}

/**
 * Removes URL userinfo from free text, whatever the password holds (issue 8: a password with `"`,
 * `'` or a space slipped through the token-based redactCredentials()): after the first `//` of a
 * line, everything up to the last `@` of that line goes. Over-redacting (a `@` later on the line that
 * is no userinfo) is the safe mistake; this runs on short fields and messages, never on file
 * contents. `keep` may spare a userinfo that is a documentation placeholder (`user:password`).
 */
export function stripUrlUserinfo(text: string, keep?: (userinfo: string) => boolean): string {
  if (!text.includes("@")) return text;
  return text
    .split("\n")
    .map((line) => {
      const at = line.lastIndexOf("@");
      const i = at === -1 ? -1 : line.indexOf("//");
      // Everything between the first "//" and the line's last "@": later "//"s are inside it.
      if (i === -1 || i + 2 > at || keep?.(line.slice(i + 2, at))) return line;
      return line.slice(0, i + 2) + line.slice(at + 1);
    })
    .join("\n");
}

/**
 * Masks every occurrence of any of the given secret values in a text. A last line of defence for
 * messages built from foreign input (parser errors can quote the line they choke on).
 */
export function scrub(text: string, secrets: Iterable<string>): string {
  let out = text;
  for (const s of secrets) {
    if (s.length >= 4 && out.includes(s)) out = out.split(s).join(preview(s));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// The redactor of issue 8: every string from the audited world or the command line goes through it
// before any output (names and paths included), and every written text gets a last scrub of the
// secret values this run found.

/** Known values shorter than this are not matched: they would mask common words in paths. */
export const MIN_KNOWN_SECRET = 8;
/** Bounds of the embedded-token search (see embeddedSecrets). */
const EMBED_WINDOW = 512;
const EMBED_CUTS = 16;
const EMBED_TRIES = 64;
/** Bound of the memo of redacted fields (a report repeats paths; memory stays bounded). */
const MEMO_LIMIT = 100_000;

function isAlnum(code: number): boolean {
  return (code >= 0x30 && code <= 0x39) || (code >= 0x41 && code <= 0x5a) || (code >= 0x61 && code <= 0x7a);
}

/** Characters that JSON, XML, Markdown, a table cell and escapeControls all print as they are. */
const PLAIN = /^[A-Za-z0-9 !#$%()+,./:;=?@^{}-]*$/;

/** The forms a secret can take in an output: raw, and as each format escapes it. */
function printedForms(secret: string): string[] {
  // Characters no format escapes: the raw value is its only form (most tokens; no regex pass each).
  if (PLAIN.test(secret)) return secret.length >= MIN_KNOWN_SECRET ? [secret] : [];
  const json = JSON.stringify(secret).slice(1, -1);
  const xml = secret
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&apos;");
  const md = secret.replace(/[\\`*_[\]<>|~&]/g, (c) => `\\${c}`);
  const pipe = secret.replace(/\|/g, "\\|");
  return [...new Set([secret, json, xml, md, pipe, escapeControls(secret)])].filter(
    (f) => f.length >= MIN_KNOWN_SECRET,
  );
}

/**
 * Secrets the content rules find in a short string: the plain scan, then tokens embedded in a name
 * (issue 8: `MY_ghp_..._TOKEN`, `key-AKIA..._backup`), whose `\b` or `(?![A-Za-z0-9_-])` guards fail
 * because `_` or `-` joins them to the rest. For each keyword occurrence that can start a token (not
 * preceded by a letter or digit), the text from there is cut at each of the next joiners (`_`, `-`,
 * `.`) and each cut is scanned on its own, between spaces. Bounded: at most EMBED_TRIES occurrences
 * of EMBED_CUTS cuts of EMBED_WINDOW characters. Returns undefined past that bound: the caller then
 * masks the whole string (fail closed).
 */
export function embeddedSecrets(text: string, scanner: ContentScanner): string[] | undefined {
  const found = new Set<string>();
  for (const d of scanner.scan(text, { honourInlineAllows: false })) found.add(d.secret);
  if (!/[_.-]/.test(text)) return [...found];
  const rules = scanner.candidates(text);
  if (rules.length === 0) return [...found];
  // Offsets in the folded text are offsets in the text (toLowerCase moved them after a "İ").
  const lower = foldCase(text);
  let tries = 0;
  for (const rule of rules) {
    for (const k of rule.keywords) {
      for (let p = lower.indexOf(k); p !== -1; p = lower.indexOf(k, p + 1)) {
        if (p > 0 && isAlnum(text.charCodeAt(p - 1))) continue;
        if (++tries > EMBED_TRIES) return undefined;
        const win = text.slice(p, p + EMBED_WINDOW);
        let cuts = 0;
        for (let e = k.length; e <= win.length && cuts < EMBED_CUTS; e++) {
          const c = win[e];
          if (e < win.length && c !== "_" && c !== "-" && c !== ".") continue;
          cuts++;
          for (const d of scanner.scan(` ${win.slice(0, e)} `, { rules: [rule], honourInlineAllows: false }))
            found.add(d.secret);
        }
      }
    }
  }
  return [...found];
}

/** Replaces every occurrence of each secret (longest first, so one inside another goes whole) by its preview. */
function maskAll(text: string, secrets: readonly string[]): string {
  if (secrets.length === 0) return text;
  let out = text;
  for (const s of [...secrets].sort((a, b) => b.length - a.length))
    if (s.length > 0 && out.includes(s)) out = out.split(s).join(preview(s));
  return out;
}

/** Runs of token characters that look generated: masked in key paths (a token used as a map key). */
export function maskRandomRuns(text: string): string {
  return text.replace(/[A-Za-z0-9+/=_-]{16,}/g, (run) => (looksRandom(run, 16) ? preview(run) : run));
}

let sharedScanner: ContentScanner | undefined;
/**
 * A scanner with every packaged content rule (none disabled: a disabled rule's secret is still one).
 * The packaged rules on purpose, not the scan's rule set (issue 9): the CLI's redactor guards every
 * byte written from start-up on, before a config or a rule set is loaded, and usage errors about
 * those very files go through it. A custom rule set's secrets are masked all the same: every value
 * the scan finds, by any rule, is added to the run's redactor (exact-value masking). A Redactor
 * built with a rule set (`new Redactor(rules)`) matches with that set instead.
 */
function defaultScanner(): ContentScanner | undefined {
  if (sharedScanner) return sharedScanner;
  try {
    sharedScanner = sharedContentScanner(defaultRules());
  } catch {
    // Rules that cannot load (a broken install): redact() falls back to masking random runs.
    return undefined;
  }
  return sharedScanner;
}

/**
 * Redacts strings for output. Holds the secret values found by this run (never readable back: a
 * private field, not serialized), and masks in a string: (1) every exact occurrence of any of them,
 * (2) every secret a content rule finds in it, embedded tokens included, inline-allow markers not
 * honoured, (3) URL userinfo. A secret becomes its preview(); the string is otherwise unchanged.
 */
/**
 * Sampling of the scrub (issue 8, linear time): every printed form is at least MIN_KNOWN_SECRET (8)
 * characters long, so an occurrence at i covers the GRAM (4) characters at the one multiple of STRIDE
 * (5) in [i, i + 4]. The scrub hashes only those grams (one text position in five) and looks at a
 * start only where a form holds that gram at that offset: no string is built per position.
 */
const GRAM = 4;
const STRIDE = MIN_KNOWN_SECRET - GRAM + 1;

/** A hash of the GRAM code units of `s` at `i` (collisions are fine: every hit is verified). */
function gramHash(s: string, i: number): number {
  let h = 0x811c9dc5;
  for (let k = 0; k < GRAM; k++) h = Math.imul(h ^ s.charCodeAt(i + k), 0x01000193);
  return h >>> 0;
}

/** A hash of the first MIN_KNOWN_SECRET code units of `s` at `i`, a small integer (a Map key without a string). */
function headHash(s: string, i: number): number {
  let h = 0x811c9dc5;
  for (let k = 0; k < MIN_KNOWN_SECRET; k++) h = Math.imul(h ^ s.charCodeAt(i + k), 0x01000193);
  return h & 0x3fffffff;
}

export class Redactor {
  readonly #values = new Set<string>();
  /**
   * Values added since the index below was last brought up to date: the index is built in one batch
   * when a scrub first needs it, not per add (issue 8: a flood adds 24,000 values per MB, and the
   * per-add indexing was the inventory's largest cost after the content scan).
   */
  #pending: string[] = [];
  /** The printed forms, by index; a form that is not its secret itself has its secret in #secretOf. */
  readonly #forms: string[] = [];
  readonly #secretOf = new Map<number, string>();
  /** Per form index: the hash of its head (headHash), and the next form of its chain (index + 1, 0: none). */
  #heads = new Int32Array(1 << 10);
  #next = new Int32Array(1 << 10);
  /**
   * The forms by head hash, chained (typed arrays: no Map, no object per form): #chains[hash & mask]
   * is the newest form's index + 1 (0: none). At most half full; grown (and relinked) past that.
   */
  #chains = new Int32Array(1 << 10);
  /**
   * For each gram hash (masked to the table's size), a bit per offset 0..STRIDE-1 at which some
   * printed form holds that gram. Grown (and rebuilt) to stay at most 1/16 full.
   */
  #grams = new Uint8Array(1 << 12);
  readonly #memo = new Map<string, string>();
  readonly #rules: RuleSet | undefined;
  #scanner: ContentScanner | undefined;

  /** `rules`: the run's rule set (default: the packaged rules). */
  constructor(rules?: RuleSet) {
    this.#rules = rules;
  }

  /** Registers a secret value this run found. */
  add(secret: string): void {
    if (secret.length < MIN_KNOWN_SECRET) return;
    const before = this.#values.size;
    this.#values.add(secret);
    if (this.#values.size === before) return;
    this.#pending.push(secret);
    if (this.#memo.size) this.#memo.clear();
  }

  /**
   * Indexes the values added since the last call: their printed forms by head, and their grams. One
   * pass over the new forms, into typed arrays (issue 8: 24,000 values per MB of a flood).
   */
  #flush(): void {
    const pending = this.#pending;
    if (pending.length === 0) return;
    this.#pending = [];
    const forms = this.#forms;
    let first = forms.length;
    for (let p = 0; p < pending.length; p++) {
      const secret = pending[p]!;
      // Characters no format escapes: the raw value is its only form (most tokens, no array).
      if (PLAIN.test(secret)) {
        forms.push(secret);
      } else {
        for (const form of printedForms(secret)) {
          if (form !== secret) this.#secretOf.set(forms.length, secret);
          forms.push(form);
        }
      }
    }
    const count = forms.length;
    if (count > this.#heads.length) {
      let size = this.#heads.length;
      while (count > size) size *= 2;
      const heads = new Int32Array(size);
      const next = new Int32Array(size);
      heads.set(this.#heads.subarray(0, first));
      next.set(this.#next.subarray(0, first));
      this.#heads = heads;
      this.#next = next;
    }
    // A table that must grow is rebuilt, both are then refilled from every form; else only the new
    // forms are added.
    if (count * 2 > this.#chains.length || count * STRIDE * 16 > this.#grams.length) {
      let size = this.#chains.length;
      while (count * 2 > size) size *= 2;
      this.#chains = new Int32Array(size);
      size = this.#grams.length;
      while (count * STRIDE * 16 > size) size *= 2;
      this.#grams = new Uint8Array(size);
      first = 0;
    }
    const heads = this.#heads;
    const next = this.#next;
    const chains = this.#chains;
    const chainMask = chains.length - 1;
    const grams = this.#grams;
    const gramMask = grams.length - 1;
    for (let i = first; i < count; i++) {
      const form = forms[i]!;
      const h = headHash(form, 0);
      heads[i] = h;
      next[i] = chains[h & chainMask]!;
      chains[h & chainMask] = i + 1;
      // The grams of every form (forms in one chain may differ in their heads).
      for (let o = 0; o < STRIDE; o++) grams[gramHash(form, o) & gramMask]! |= 1 << o;
    }
  }

  /** How many secret values are registered. */
  get size(): number {
    return this.#values.size;
  }

  /**
   * The longest printed form starting at `i` in `text` (i + MIN_KNOWN_SECRET <= text.length), of
   * equally long ones the first added; as its index, or -1.
   */
  #formAt(text: string, i: number): number {
    const h = headHash(text, i);
    let best = -1;
    let bestLength = 0;
    // Newest first: an equally long match found later in the chain was added earlier, and wins.
    for (let j = this.#chains[h & (this.#chains.length - 1)]! - 1; j >= 0; j = this.#next[j]! - 1) {
      if (this.#heads[j] !== h) continue;
      const form = this.#forms[j]!;
      if (form.length >= bestLength && text.startsWith(form, i)) {
        best = j;
        bestLength = form.length;
      }
    }
    return best;
  }

  /**
   * The last-line scrub of a text about to be written: every known secret, raw or as a format
   * escapes it, becomes its preview (at each position from left to right, the longest form starting
   * there). Linear in the text: one gram hash per STRIDE positions, a map lookup only where a known
   * head may start.
   */
  scrub(text: string): string {
    this.#flush();
    if (this.#forms.length === 0 || text.length < MIN_KNOWN_SECRET) return text;
    const grams = this.#grams;
    const mask = grams.length - 1;
    let out = "";
    let last = 0;
    // Starts are visited in increasing order: sample p covers the starts p-STRIDE+1 .. p.
    for (let p = 0; p + GRAM <= text.length; p += STRIDE) {
      const bits = grams[gramHash(text, p) & mask]!;
      if (bits === 0) continue;
      for (let o = STRIDE - 1; o >= 0; o--) {
        const i = p - o;
        if ((bits & (1 << o)) === 0 || i < last || i + MIN_KNOWN_SECRET > text.length) continue;
        const hit = this.#formAt(text, i);
        if (hit === -1) continue;
        const form = this.#forms[hit]!;
        out += text.slice(last, i) + preview(this.#secretOf.get(hit) ?? form);
        last = i + form.length;
      }
    }
    return last === 0 ? text : out + text.slice(last);
  }

  /** A string from the audited world or the command line, ready for output (see the class comment). */
  redact(text: string): string {
    if (text.length === 0) return text;
    const memo = this.#memo.get(text);
    if (memo !== undefined) return memo;
    const scanner = this.scanner();
    // A documentation placeholder as userinfo (`scheme://user:password@host` in a rule's title) is
    // no credential: kept, so the texts agent-audit writes itself read as written. Only a plain
    // `word:word` is considered, so a span holding more than one userinfo is never kept.
    const keep = (userinfo: string) =>
      /^[A-Za-z_-]{1,32}:[A-Za-z_-]{1,32}$/.test(userinfo) &&
      (scanner?.isPlaceholder(userinfo.slice(userinfo.indexOf(":") + 1)) ?? false);
    let out = this.scrub(redactCredentials(stripUrlUserinfo(text, keep), keep));
    if (scanner) {
      const found = embeddedSecrets(out, scanner);
      // Past the search's bound the whole string is masked: a flood of keywords cannot hide a token.
      out = found === undefined ? preview(out) : maskAll(out, found);
    } else {
      out = maskRandomRuns(out);
    }
    if (this.#memo.size >= MEMO_LIMIT) this.#memo.clear();
    this.#memo.set(text, out);
    return out;
  }

  private scanner(): ContentScanner | undefined {
    if (!this.#rules) return defaultScanner();
    this.#scanner ??= sharedContentScanner(this.#rules);
    return this.#scanner;
  }
}

const activeRun = new AsyncLocalStorage<Redactor>();

/**
 * Runs `fn` with `redactor` as the run's redactor: what the inventory finds is registered with it,
 * and every output of the run (reports, files, messages) is redacted and scrubbed by it. The CLI
 * wraps each command in one; a process may run several at once (tests), each keeps its own.
 */
export function withRedactor<T>(redactor: Redactor, fn: () => T): T {
  return activeRun.run(redactor, fn);
}

/** The redactor of the run this code executes in, if any. */
export function activeRedactor(): Redactor | undefined {
  return activeRun.getStore();
}

let fallback: Redactor | undefined;
/**
 * Redacts a message for output: secrets the packaged content rules find (inline-allow markers not
 * honoured), URL userinfo, and, inside a CLI run, every secret value that run found. For error
 * messages that quote foreign input (config keys, baseline entries, flag values). Control characters
 * are left as they are: the printer escapes them (escapeControls) where the text is shown.
 */
export function redactText(text: string): string {
  const run = activeRun.getStore();
  if (run) return run.redact(text);
  fallback ??= new Redactor();
  return fallback.redact(text);
}

// The output boundary of issue 8 (items 5 and 6): what a report may hold, and what a written text
// may hold. Reports are redacted field by field when they are assembled (app/scan.ts) and again
// before they are rendered (cli/output.ts: issues added after assembly, such as stale baseline
// entries, pass too); human-facing renderers escape control characters in every field
// (render/sanitize.ts); every written text gets a last scrub of the run's known secret values.

/**
 * Fields that agent-audit itself fills from closed sets or from the secret's own redaction: never
 * audited-world text. Everything else in a report (paths, names, targets, hosts, users, issue texts,
 * probe details, titles that quote a probe's answer, egress evidence) is redacted.
 */
const OWN_FIELDS = new Set([
  "fingerprint",
  "ruleId",
  "control",
  "kind",
  "severity",
  "provider",
  "type",
  "preview",
  "status",
  "schemaVersion",
  "tool",
  "stats",
]);

/** The redactor for this run: the CLI's, or one with no known values (content rules and userinfo still apply). */
export function runRedactor(): Redactor {
  return activeRedactor() ?? new Redactor();
}

/**
 * The report with every audited-world string redacted (Redactor.redact: known secret values,
 * content-rule matches including tokens embedded in names, URL userinfo). Fingerprints are not
 * touched: they were computed on the raw values. Idempotent: a redacted string has nothing left to
 * redact.
 */
export function redactReport(report: AuditReport, redactor: Redactor = runRedactor()): AuditReport {
  return mapStrings(report, (s) => redactor.redact(s), OWN_FIELDS);
}

/**
 * The last line before any text leaves the process (stdout, stderr, report files): the run's
 * known secret values, raw or as a format escapes them, become their previews, and any control
 * character still there is escaped, except newlines and agent-audit's own colour and
 * progress-erase sequences.
 */
export function outputText(text: string, redactor: Redactor | undefined = activeRedactor()): string {
  const scrubbed = redactor ? redactor.scrub(text) : text;
  // Most texts hold no control but newlines: one test, no copy of a many-MB report (issue 8).
  return CONTROL_BUT_NEWLINE.test(scrubbed) ? escapeStreamControls(scrubbed) : scrubbed;
}

/** The characters escapeStreamControls() may escape (escapeControls' set), newline excepted. */
const CONTROL_BUT_NEWLINE =
  /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
