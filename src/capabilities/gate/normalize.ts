// Normalisation before parsing: Unicode NFKC (fullwidth `ｒｍ` is `rm`), and invisible characters
// (zero-width, bidi controls, soft hyphen) removed. Their presence, and any control character other
// than tab and newline, is itself a reason to ask: a person reading the command cannot see them.

const INVISIBLE =
  // biome-ignore lint/suspicious/noMisleadingCharacterClass: the class lists invisible code points, one by one, on purpose
  /[\u00AD\u061C\u115F\u1160\u17B4\u17B5\u180B-\u180F\u200B-\u200F\u202A-\u202E\u2060-\u206F\u3164\uFE00-\uFE0F\uFEFF\uFFA0\uFFF9-\uFFFB]/g;
const CONTROL = /[\x00-\x08\x0B-\x1F\x7F-\x9F]/;

export function normalizeCommand(raw: string): { text: string; hidden: boolean } {
  const nfkc = raw.normalize("NFKC");
  INVISIBLE.lastIndex = 0;
  const invisible = INVISIBLE.test(nfkc);
  INVISIBLE.lastIndex = 0;
  const text = invisible ? nfkc.replace(INVISIBLE, "") : nfkc;
  return { text, hidden: invisible || CONTROL.test(text) };
}

/** The text as bash reads it: only the invisible characters removed (no NFKC). */
export function stripInvisible(raw: string): string {
  INVISIBLE.lastIndex = 0;
  return INVISIBLE.test(raw) ? raw.replace(INVISIBLE, "") : raw;
}
