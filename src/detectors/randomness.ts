// Gates for generic values: does a string look like a generated secret, or like a word, a path,
// a version, a boolean? Shannon entropy alone over-matches (shared/research/secret-scanners.md
// section 6.5); the gate combines entropy, character classes and the shape of common non-secrets.

export function shannonEntropy(s: string): number {
  if (s.length === 0) return 0;
  const counts = new Map<string, number>();
  for (const ch of s) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  let h = 0;
  for (const c of counts.values()) {
    const p = c / s.length;
    h -= p * Math.log2(p);
  }
  return h;
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
];

/** True when the value is shaped like a generated secret (and not like a word, path, version, URL). */
export function looksRandom(value: string, minLength = 8): boolean {
  if (value.length < minLength) return false;
  if (/\s/.test(value)) return false;
  for (const re of NOT_SECRET_SHAPES) if (re.test(value)) return false;
  let classes = 0;
  if (/[a-z]/.test(value)) classes++;
  if (/[A-Z]/.test(value)) classes++;
  if (/\d/.test(value)) classes++;
  if (/[^A-Za-z0-9]/.test(value)) classes++;
  const h = shannonEntropy(value);
  // Long hex or base64 blobs, or short mixed-class strings with enough entropy.
  if (classes >= 3) return h >= 3.0;
  // Letters of one case plus punctuation and no digit ("number):", "list-session"): words and code,
  // unless long and varied enough to be a generated string.
  const lettersAndSymbolsOnly = !/\d/.test(value) && !(/[a-z]/.test(value) && /[A-Z]/.test(value));
  if (classes === 2 && lettersAndSymbolsOnly) return value.length >= 20 && h >= 3.8;
  if (classes === 2) return h >= (value.length >= 20 ? 3.2 : 3.0);
  return value.length >= 24 && h >= 3.5;
}
