// Gates for generic values: does a string look like a generated secret, or like a word, a path,
// a version, a boolean? Shannon entropy alone over-matches (shared/research/secret-scanners.md
// section 6.5); the gate combines entropy, character classes and the shape of common non-secrets.

/** Counts per char code for shannonEntropy, reused (secrets are mostly ASCII: no Map, no garbage). */
const COUNTS = new Int32Array(256);
/** c * log2(c) for the counts a secret-sized string has: one lookup per distinct character. */
const C_LOG_C = Float64Array.from({ length: 1025 }, (_, c) => (c === 0 ? 0 : c * Math.log2(c)));
const cLogC = (c: number) => (c < C_LOG_C.length ? C_LOG_C[c]! : c * Math.log2(c));

/**
 * Shannon entropy in bits per character (by code point): log2(n) - sum(c log2 c) / n over the
 * characters' counts c. Runs once or twice per candidate secret, so on a flood of matches it is on
 * the hot path (issue 8): latin1 strings are counted in a reused table, others in a Map.
 */
export function shannonEntropy(s: string): number {
  const n = s.length;
  if (n === 0) return 0;
  // One pass counts the latin1 characters; a wider one undoes the counts and takes the Map path.
  for (let i = 0; i < n; i++) {
    const code = s.charCodeAt(i);
    if (code > 0xff) {
      for (let j = 0; j < i; j++) COUNTS[s.charCodeAt(j)] = 0;
      return wideEntropy(s);
    }
    COUNTS[code]!++;
  }
  return countedEntropy(s);
}

/** The entropy of `s` from COUNTS, which hold its (latin1) characters' counts; clears them. */
function countedEntropy(s: string): number {
  const n = s.length;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const code = s.charCodeAt(i);
    const c = COUNTS[code]!;
    if (c === 0) continue;
    sum += cLogC(c);
    COUNTS[code] = 0;
  }
  return Math.max(0, Math.log2(n) - sum / n);
}

/** shannonEntropy by code point, for a string with characters past latin1. */
function wideEntropy(s: string): number {
  const counts = new Map<string, number>();
  let points = 0;
  for (const ch of s) {
    counts.set(ch, (counts.get(ch) ?? 0) + 1);
    points++;
  }
  let sum = 0;
  for (const c of counts.values()) sum += cLogC(c);
  return Math.max(0, Math.log2(points) - sum / points);
}

const NOT_SECRET_SHAPES: RegExp[] = [
  /^(true|false|yes|no|on|off|null|none|nil|undefined|enabled|disabled)$/i,
  /^\d+(\.\d+)*$/, // numbers and versions
  /^v?\d+\.\d+\.\d+([-+][\w.]+)?$/, // semver
  /^[a-z]+([_.-][a-z]+)*$/i, // plain words: "prod", "my-secret-name", "session.internal"
  /^([a-z0-9]+(-[a-z0-9]+)*\.)+[a-z]{2,}(:\d{1,5})?$/i, // host names: db01.prod.internal, api.example.com:443
  /^(~|\.{1,2})?\/?([\w.-]+\/)+[\w.-]*$/, // paths and slash-separated names: prod/db, ./key.pem, ~/keys/sa.json
  /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, // UUIDs are ids, not secrets
  /^https?:\/\/[^@\s]*$/i, // URLs without credentials
  /^[a-z]{2}(_[A-Z]{2})?(\.UTF-8)?$/, // locales
  /^#?[0-9a-f]{3}$|^#[0-9a-f]{6}$/i, // colours
  // References name where a secret lives (issue 15), however random the name: an ARN
  // (arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/db-AbCdEf), a Vault path with its
  // key (secret/data/prod/db#password, vault:secret/data/db#password): the key after `#` is a word.
  /^arn:aws[a-z-]*:[a-z0-9-]+:[a-z0-9-]*:\d{0,12}:\S+$/,
  /^(vault:)?\/?[\w.-]+(\/[\w.-]+)+(#\/?[a-z_]+([.-][a-z_]+)*)?$|^vault:\/?[\w.-]+(#\/?[a-z_]+)?$/i,
];

/** True when the value is shaped like a generated secret (and not like a word, path, version, URL). */
export function looksRandom(value: string, minLength = 8): boolean {
  if (value.length < minLength) return false;
  // One pass for the character classes, the whitespace test and the entropy's counts (issue 8: this
  // runs once per candidate secret, 24,000 times on a 1 MB flood). A value with a letter and a digit
  // and none of . / - : can match none of NOT_SECRET_SHAPES (each needs one of those, or no letter,
  // or no digit, or at most 7 characters), so the shape regexes are skipped for it: most candidate
  // secrets.
  let lower = false;
  let upper = false;
  let digit = false;
  let other = false;
  let shaped = false;
  // A character that could be whitespace (\s is at most U+0020 or at least U+00A0), or past latin1.
  let odd = false;
  let wide = false;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c <= 0xff) COUNTS[c]!++;
    else wide = true;
    if (c >= 0x61 && c <= 0x7a) lower = true;
    else if (c >= 0x41 && c <= 0x5a) upper = true;
    else if (c >= 0x30 && c <= 0x39) digit = true;
    else {
      other = true;
      if (c === 0x2e || c === 0x2f || c === 0x2d || c === 0x3a) shaped = true;
      else if (c <= 0x20 || c >= 0x7f) odd = true;
    }
  }
  if (
    (odd && /\s/.test(value)) ||
    ((shaped || !digit || !(lower || upper) || value.length <= 7) && notSecretShape(value))
  ) {
    clearCounts(value);
    return false;
  }
  let h: number;
  if (wide) {
    clearCounts(value);
    h = wideEntropy(value);
  } else {
    h = countedEntropy(value);
  }
  const classes = +lower + +upper + +digit + +other;
  // Long hex or base64 blobs, or short mixed-class strings with enough entropy.
  if (classes >= 3) return h >= 3.0;
  // Letters of one case plus punctuation and no digit ("number):", "list-session"): words and code,
  // unless long and varied enough to be a generated string.
  const lettersAndSymbolsOnly = !digit && !(lower && upper);
  if (classes === 2 && lettersAndSymbolsOnly) return value.length >= 20 && h >= 3.8;
  if (classes === 2) return h >= (value.length >= 20 ? 3.2 : 3.0);
  return value.length >= 24 && h >= 3.5;
}

function notSecretShape(value: string): boolean {
  for (const re of NOT_SECRET_SHAPES) if (re.test(value)) return true;
  return false;
}

/** Zeroes the COUNTS of the latin1 characters of `value` (what looksRandom counted). */
function clearCounts(value: string): void {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c <= 0xff) COUNTS[c] = 0;
  }
}
