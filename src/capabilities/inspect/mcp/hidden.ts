// Hidden characters in text an agent reads (issue 16): skills, instruction files, MCP tool
// descriptions. They render as nothing (or reorder what is shown) but the model reads them, so a
// person reviewing the file sees one text and the agent obeys another. One linear pass over the text
// (no regular expression), with line and column (1-based, in code points) for each.
//
// What counts (and why):
// - zero-width: U+200B-U+200D, U+2060-U+2064 (word joiner, invisible operators), U+FEFF except as the
//   first character (a byte order mark), U+180E, U+034F, U+00AD (soft hyphen);
// - bidi controls: embeddings and overrides U+202A-U+202E, isolates U+2066-U+2069 (Trojan Source),
//   always; the marks U+200E, U+200F and U+061C only on a line with no right-to-left letter (in
//   Hebrew or Arabic text they are ordinary punctuation of the script);
// - Unicode tag characters U+E0000-U+E007F: ASCII spelled invisibly, decoded to show the message
//   (except the tag sequence of a subdivision flag emoji, 🏴 + lowercase tags + U+E007F);
// - variation selectors (U+FE00-U+FE0F, U+E0100-U+E01EF) that follow no visible base or come in
//   runs: one byte each can be smuggled that way; a single selector after a non-ASCII character (an
//   emoji's U+FE0F, a CJK ideographic variant) or a keycap's `1️⃣` is ordinary;
// - other invisible formatting: U+115F, U+1160, U+3164, U+FFA0 (Hangul fillers), U+17B4, U+17B5,
//   U+180B-U+180D, U+180F, U+206A-U+206F, U+FFF9-U+FFFB, U+1D173-U+1D17A;
// - control characters other than tab, line feed and a CR before a line feed (ESC sequences, a bare
//   CR, backspace hide or overwrite text on a terminal).
// Zero-width joiner and non-joiner between two non-Latin characters (an emoji sequence, a Persian or
// Indic word) are how those scripts are written and are not reported.

export interface HiddenChar {
  line: number;
  column: number;
  codePoint: number;
}

/** A run of adjacent hidden characters on one line; `decoded` is the ASCII a tag run spells. */
export interface HiddenRun {
  line: number;
  column: number;
  codePoints: number[];
  /** Tag characters (or variation selectors) decoded to what the model reads, escaped, at most 120 characters. */
  decoded?: string;
}

const RTL_MARKS = new Set([0x200e, 0x200f, 0x061c]);
const JOINERS = new Set([0x200c, 0x200d]);

function isTag(cp: number): boolean {
  return cp >= 0xe0000 && cp <= 0xe007f;
}

function isVariationSelector(cp: number): boolean {
  return (cp >= 0xfe00 && cp <= 0xfe0f) || (cp >= 0xe0100 && cp <= 0xe01ef);
}

/** Always hidden, whatever is around it. */
function alwaysHidden(cp: number): boolean {
  if (cp < 0x20) return cp !== 0x09 && cp !== 0x0a && cp !== 0x0d;
  if (cp >= 0x7f && cp <= 0x9f) return true;
  if (cp === 0xad || cp === 0x34f) return true;
  if (cp === 0x115f || cp === 0x1160 || cp === 0x3164 || cp === 0xffa0) return true;
  if (cp === 0x17b4 || cp === 0x17b5) return true;
  if ((cp >= 0x180b && cp <= 0x180d) || cp === 0x180e || cp === 0x180f) return true;
  if (cp === 0x200b) return true;
  if (cp >= 0x202a && cp <= 0x202e) return true;
  if (cp >= 0x2060 && cp <= 0x2064) return true;
  if (cp >= 0x2066 && cp <= 0x206f) return true;
  if (cp === 0xfeff) return true;
  if (cp >= 0xfff9 && cp <= 0xfffb) return true;
  if (cp >= 0x1d173 && cp <= 0x1d17a) return true;
  return isTag(cp);
}

/** Hidden under some condition (joiners, RTL marks, variation selectors, CR): judged in context. */
function maybeHidden(cp: number): boolean {
  return JOINERS.has(cp) || RTL_MARKS.has(cp) || isVariationSelector(cp) || cp === 0x0d;
}

function isRtlLetter(cp: number): boolean {
  return (
    (cp >= 0x0590 && cp <= 0x08ff) ||
    (cp >= 0xfb1d && cp <= 0xfdff) ||
    (cp >= 0xfe70 && cp <= 0xfefc) ||
    (cp >= 0x10800 && cp <= 0x10fff) ||
    (cp >= 0x1e800 && cp <= 0x1efff)
  );
}

/** A visible character of a script or symbol set that uses joiners (not ASCII, not Latin-1). */
function joinsScripts(cp: number | undefined): boolean {
  return cp !== undefined && cp >= 0x0300 && !alwaysHidden(cp) && !RTL_MARKS.has(cp) && !JOINERS.has(cp);
}

/** The code points of a text with their UTF-16 offsets: built once, so context lookups are O(1). */
function codePoints(text: string): number[] {
  const out: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text.codePointAt(i)!;
    out.push(c);
    if (c > 0xffff) i++;
  }
  return out;
}

/**
 * Marks which code points are hidden. `cps` is the text as code points; the result has one flag per
 * code point. Linear: each rule looks at a bounded neighbourhood, flag sequences are skipped once.
 */
function hiddenFlags(cps: number[]): boolean[] {
  const flags = new Array<boolean>(cps.length).fill(false);
  let lineStart = 0;
  let lineRtl = false;
  let marks: number[] = [];
  const endLine = () => {
    if (!lineRtl) for (const m of marks) flags[m] = true;
    marks = [];
    lineRtl = false;
  };
  for (let i = 0; i < cps.length; i++) {
    const cp = cps[i]!;
    if (cp === 0x0a) {
      endLine();
      lineStart = i + 1;
      continue;
    }
    if (isRtlLetter(cp)) lineRtl = true;
    // A subdivision flag: 🏴 (U+1F3F4), lowercase letters and digits as tags, the cancel tag.
    if (cp === 0x1f3f4 && isTag(cps[i + 1] ?? 0)) {
      let j = i + 1;
      while (j < cps.length && j - i <= 8 && isFlagTag(cps[j]!)) j++;
      if (cps[j] === 0xe007f && j - i >= 3) {
        i = j;
        continue;
      }
    }
    if (cp === 0xfeff && i === 0) continue;
    if (alwaysHidden(cp)) {
      flags[i] = true;
      continue;
    }
    if (!maybeHidden(cp)) continue;
    if (cp === 0x0d) {
      flags[i] = cps[i + 1] !== 0x0a;
    } else if (RTL_MARKS.has(cp)) {
      marks.push(i);
    } else if (JOINERS.has(cp)) {
      flags[i] = !(i > lineStart && joinsScripts(cps[i - 1]) && joinsScripts(cps[i + 1]));
    } else {
      // A variation selector: ordinary once after a visible non-ASCII base, or as a keycap's U+FE0F.
      const prev = i > lineStart ? cps[i - 1] : undefined;
      const keycap = cp === 0xfe0f && cps[i + 1] === 0x20e3 && prev !== undefined && isKeycapBase(prev);
      const afterBase =
        prev !== undefined && prev >= 0x80 && !isVariationSelector(prev) && !alwaysHidden(prev);
      const run = isVariationSelector(cps[i + 1] ?? 0);
      flags[i] = !(keycap || (afterBase && !run));
      // The whole run is hidden when one of it is: mark the base-adjacent one too.
      if (flags[i] && i > 0 && isVariationSelector(cps[i - 1]!)) flags[i - 1] = true;
    }
  }
  endLine();
  return flags;
}

function isFlagTag(cp: number): boolean {
  return (cp >= 0xe0061 && cp <= 0xe007a) || (cp >= 0xe0030 && cp <= 0xe0039);
}

function isKeycapBase(cp: number): boolean {
  return (cp >= 0x30 && cp <= 0x39) || cp === 0x23 || cp === 0x2a;
}

/** Every hidden character with its line and column (1-based; columns in code points). */
export function findHidden(text: string): HiddenChar[] {
  const out: HiddenChar[] = [];
  if (!mayHide(text)) return out;
  const cps = codePoints(text);
  const flags = hiddenFlags(cps);
  let line = 1;
  let column = 1;
  for (let i = 0; i < cps.length; i++) {
    const cp = cps[i]!;
    if (flags[i]) out.push({ line, column, codePoint: cp });
    if (cp === 0x0a) {
      line++;
      column = 1;
    } else column++;
  }
  return out;
}

/** The hidden characters grouped in runs (adjacent on one line), tag runs decoded. */
export function findHiddenRuns(text: string): HiddenRun[] {
  const runs: HiddenRun[] = [];
  let last: HiddenChar | undefined;
  let current: HiddenRun | undefined;
  for (const h of findHidden(text)) {
    if (current && last && h.line === last.line && h.column === last.column + 1) {
      current.codePoints.push(h.codePoint);
    } else {
      current = { line: h.line, column: h.column, codePoints: [h.codePoint] };
      runs.push(current);
    }
    last = h;
  }
  for (const r of runs) {
    const decoded = decodeRun(r.codePoints);
    if (decoded !== undefined) r.decoded = decoded;
  }
  return runs;
}

/** Longest decoded message kept (it is the attacker's text, shown escaped in a one-line title). */
const MAX_DECODED = 120;

/**
 * What a run spells: tag characters U+E0020-U+E007E are ASCII 0x20-0x7E; a run of variation
 * selectors is one byte each (U+FE00-U+FE0F: 0-15, U+E0100-U+E01EF: 16-255), read as UTF-8. The
 * result is escaped (only printable ASCII kept as is) and cut at MAX_DECODED characters.
 */
function decodeRun(cps: number[]): string | undefined {
  let ascii = "";
  let tags = 0;
  const bytes: number[] = [];
  for (const cp of cps) {
    if (cp >= 0xe0020 && cp <= 0xe007e) {
      ascii += String.fromCharCode(cp - 0xe0000);
      tags++;
    } else if (cp >= 0xfe00 && cp <= 0xfe0f) bytes.push(cp - 0xfe00);
    else if (cp >= 0xe0100 && cp <= 0xe01ef) bytes.push(cp - 0xe0100 + 16);
  }
  if (tags > 0) return escapeVisible(ascii);
  if (bytes.length >= 2) return escapeVisible(Buffer.from(bytes).toString("utf8"));
  return undefined;
}

/** Printable ASCII as is (a backslash doubled), anything else as \xNN or \u{...}; at most MAX_DECODED characters. */
export function escapeVisible(text: string): string {
  let out = "";
  let n = 0;
  for (const ch of text) {
    if (++n > MAX_DECODED) return `${out}…`;
    const cp = ch.codePointAt(0)!;
    if (cp === 0x5c) out += "\\\\";
    else if (cp >= 0x20 && cp < 0x7f) out += ch;
    else if (cp <= 0xff) out += `\\x${cp.toString(16).padStart(2, "0")}`;
    else out += `\\u{${cp.toString(16)}}`;
  }
  return out;
}

/** `<U+200B>`: a hidden character made visible. */
export function visibleCode(cp: number): string {
  return `<U+${cp.toString(16).toUpperCase().padStart(4, "0")}>`;
}

/** The text with every hidden character findHidden reports shown as `<U+XXXX>`. */
export function showHidden(text: string): string {
  if (!mayHide(text)) return text;
  const cps = codePoints(text);
  const flags = hiddenFlags(cps);
  let out = "";
  for (let i = 0; i < cps.length; i++) {
    out += flags[i] ? visibleCode(cps[i]!) : String.fromCodePoint(cps[i]!);
  }
  return out;
}

/**
 * A one-line description of a run for a title: the code points (at most 6, then a count) and, for
 * tag characters, the message they spell. Never a raw control character.
 */
export function describeRun(run: HiddenRun): string {
  const shown = run.codePoints.slice(0, 6).map(visibleCode).join("");
  const more = run.codePoints.length > 6 ? `… (${run.codePoints.length} characters)` : "";
  return run.decoded !== undefined ? `${shown}${more} spelling "${run.decoded}"` : `${shown}${more}`;
}

/** Cheap precheck: only text with a control character or a non-ASCII character can hide anything. */
function mayHide(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0x7f || (c < 0x20 && c !== 0x09 && c !== 0x0a)) return true;
  }
  return false;
}
