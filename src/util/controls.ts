// Terminal control characters in data (issue 8, item 6). A file name, a JSON key or an issue path is
// written by the audited agent: raw ESC, CR, BEL, OSC 8 or bidi controls in it would let it move the
// cursor, erase the checklist and print a forged PASS, hide text or reorder it on screen. Every data
// field a human-facing format prints is escaped here into visible ASCII first.

/**
 * What is escaped: C0 controls (newline and tab too: a field is one line), DEL, C1 controls (U+0080
 * to U+009F: U+009B is a CSI on terminals that honour 8-bit controls), the Unicode bidi controls
 * (U+202A-U+202E, U+2066-U+2069, U+200E/U+200F marks, U+061C), the invisible zero-width characters
 * (U+200B-U+200D, U+2060, U+FEFF: a name can hide a character from the reader) and the line and
 * paragraph separators.
 */
const CONTROLS =
  /[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2060\ufeff\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
const HAS_CONTROL =
  /[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2060\ufeff\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

/** HAS_CONTROL without the newline: tested on a whole output text without copying it. */
const HAS_CONTROL_BUT_NEWLINE =
  /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2060\ufeff\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

const NAMED: Record<string, string> = { "\n": "\\n", "\r": "\\r", "\t": "\\t" };

/** One control character in visible ASCII: `\n`, `\r`, `\t`, `\x1b`, `\u202e`. */
function visible(c: string): string {
  const named = NAMED[c];
  if (named) return named;
  const code = c.charCodeAt(0);
  return code <= 0xff
    ? `\\x${code.toString(16).padStart(2, "0")}`
    : `\\u${code.toString(16).padStart(4, "0")}`;
}

/** True if the text holds a character escapeControls() would escape. */
export function hasControls(text: string): boolean {
  return HAS_CONTROL.test(text);
}

/** Every control character of a data field, escaped visibly; other text unchanged. */
export function escapeControls(text: string): string {
  return HAS_CONTROL.test(text) ? text.replace(CONTROLS, visible) : text;
}

/**
 * JSON text that is safe on a terminal and the same data: JSON.stringify already escapes C0
 * controls, but leaves DEL, C1, bidi controls and the separators raw. They become `\uXXXX` escapes,
 * which every JSON parser reads back as the same characters. Applied to a whole serialized document:
 * these characters can only occur inside strings, since JSON's own syntax is ASCII.
 */
export function escapeJsonControls(json: string): string {
  return json.replace(
    /[\u007f-\u009f\u061c\u200b-\u200f\u2060\ufeff\u2028\u2029\u202a-\u202e\u2066-\u2069]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

/**
 * Our own sequences, allowed through the stream boundary: the SGR codes the table's colours use
 * (node:util styleText: reset 0, bold 1, dim 2, normal intensity 22, red to cyan 31-36, default colour 39,
 * gray 90) and the progress line's erase. No other SGR: conceal (8), for one, would hide text.
 */
const OWN_SEQUENCES = /\x1b\[(?:0|1|2|22|3[1-69]|90)m|\r\x1b\[2K/g;

/**
 * The last line of the stream boundary: any control character still in a text about to be written
 * is escaped, except newlines and the sequences agent-audit writes itself (colours, the progress
 * line's erase). Renderers escape data fields already; this catches any path that did not.
 */
export function escapeStreamControls(text: string): string {
  if (!HAS_CONTROL_BUT_NEWLINE.test(text)) return text;
  let out = "";
  let last = 0;
  for (const m of text.matchAll(OWN_SEQUENCES)) {
    out += escapeKeepingNewlines(text.slice(last, m.index)) + m[0];
    last = m.index + m[0].length;
  }
  return out + escapeKeepingNewlines(text.slice(last));
}

function escapeKeepingNewlines(text: string): string {
  return text
    .split("\n")
    .map((line) => escapeControls(line))
    .join("\n");
}
