// Normalisation before parsing. Compatibility forms of word characters (fullwidth `ｒｍ`, `－ｒｆ`,
// mathematical letters) are read as the ASCII they stand for: a gate that lets `ｒｍ -rf ~` through
// because bash would not find `ｒｍ` trusts that nothing downstream normalises it. Characters that
// would become shell syntax (quotes, `\`, `#`, `$`, `;`, blanks, ...) are left as they are: bash
// reads a fullwidth `＂` as a letter, so the gate must too. Invisible characters (zero-width, bidi
// controls, soft hyphen, Unicode tag characters and the supplementary variation selectors, which
// can spell a hidden ASCII message) are removed; their presence, and any control character other than tab and
// newline, is itself a reason to ask: a person reading the command cannot see them.

const INVISIBLE =
  // biome-ignore lint/suspicious/noMisleadingCharacterClass: the class lists invisible code points, one by one, on purpose
  /[\u00AD\u061C\u115F\u1160\u17B4\u17B5\u180B-\u180F\u200B-\u200F\u202A-\u202E\u2060-\u206F\u3164\uFE00-\uFE0F\uFEFF\uFFA0\uFFF9-\uFFFB\u{E0000}-\u{E007F}\u{E0100}-\u{E01EF}]/gu;
const CONTROL = /[\x00-\x08\x0B-\x1F\x7F-\x9F]/;
/** What a compatibility character may become: word characters or a blank (Unicode spaces), never other shell syntax. */
const WORDISH = /^[A-Za-z0-9._/~+=:@%, -]+$/;

export function normalizeCommand(raw: string): { text: string; hidden: boolean } {
  // ASCII only (nearly every command): no invisible character (all are above U+00AD), nothing to
  // map; one scan for control characters, without running the regular expressions below (V8
  // compiles each on its first runs, which the hook would pay on every call).
  let ascii = true;
  let control = false;
  for (let i = 0; i < raw.length; i++) {
    const x = raw.charCodeAt(i);
    if (x >= 0x80) {
      ascii = false;
      break;
    }
    if (x <= 0x08 || (x >= 0x0b && x <= 0x1f) || x === 0x7f) control = true;
  }
  if (ascii) return { text: raw, hidden: control };
  INVISIBLE.lastIndex = 0;
  const invisible = INVISIBLE.test(raw);
  INVISIBLE.lastIndex = 0;
  const visible = invisible ? raw.replace(INVISIBLE, "") : raw;
  let text = visible;
  // ASCII only: nothing to map (the common case, one scan).
  if (/[^\x00-\x7f]/.test(visible)) {
    text = "";
    for (const ch of visible) {
      if (ch.charCodeAt(0) < 0x80) {
        text += ch;
        continue;
      }
      const n = ch.normalize("NFKC");
      text += n !== ch && WORDISH.test(n) ? n : ch;
    }
  }
  return { text, hidden: invisible || CONTROL.test(text) };
}
