import { CODE_RULES } from "../../rules/code.js";
import type { Detection } from "../../rules/types.js";
import { nodeCrypto } from "../../util/lazy.js";
import { detection, type ParseInput, type ParseResult } from "./common.js";

// PKCS#12 key stores (.p12 / .pfx; RFC 7292). The question an agent's reader asks is whether the
// key inside opens as read. The file's integrity MAC answers it without decrypting anything: the
// MAC key is derived from the password, so a MAC that verifies with a candidate password means the
// whole store opens with it (the bags are encrypted with the same password by every exporter we
// know). Candidates: the empty password, both as the empty BMPString (two zero bytes, what OpenSSL
// derives from "") and as no bytes at all (a NULL password; Windows and Java write both), and
// `notasecret`, the password of every Google Cloud service-account P12 key
// (https://cloud.google.com/iam/docs/keys-create-delete#creating).
//
// Verdicts (one finding per file at most, no line: the file is the finding):
// - a key bag in clear (keyBag inside a plain `data` ContentInfo: `-keypbe NONE`) or a MAC that
//   verifies with a candidate: critical, rule `pkcs12-default-password` (rules/code.ts);
// - a key store whose MAC does not verify with a candidate: the path rule's own id, low (a key
//   that needs its password, like `encrypted-private-key`);
// - a key store whose MAC is absent (`-nomac`), signed (public-key integrity mode), of an unknown
//   algorithm, or over the iteration cap: the path rule's id, low, "password not checked" (and an
//   issue says why when it is the cap or the algorithm);
// - a PFX whose contents show no key (certificates only, all in clear): nothing;
// - not a PFX at all (empty, random, truncated, another format under the name): nothing. A file
//   named .p12 that is not a key store is not one.
//
// Hostile bytes: a bounded, linear DER/BER reader (definite and indefinite lengths, constructed
// OCTET STRINGs), no recursion, a nesting cap, every length checked against its container; it
// never throws (a bug that throws is caught by the caller and recorded). Work is bounded: the file
// size (MAX_BYTES), the MAC iteration count (MAX_ITERATIONS) times three candidates, the number
// of bags walked (MAX_BAGS).

/** Files over this size are not parsed (a key store with a certificate chain is a few KiB). */
export const MAX_BYTES = 4 * 1024 * 1024;
/** MAC iteration counts over this are not computed (OpenSSL writes 2048, Java 10,000). */
export const MAX_ITERATIONS = 100_000;
/** Bags looked at in the clear contents, in all. */
const MAX_BAGS = 10_000;
/** Nesting of BER indefinite-length and constructed encodings followed. */
const MAX_DEPTH = 32;

// --- a minimal DER/BER reader ------------------------------------------------------------------

interface Tlv {
  tag: number;
  /** Content start. */
  start: number;
  /** Content end (exclusive); for an indefinite length, the end-of-contents octets' start. */
  end: number;
  /** Just after the element (after the end-of-contents octets for an indefinite length). */
  next: number;
}

/** The element at `pos` within [pos, limit), or undefined when it is not one. */
function readTlv(b: Uint8Array, pos: number, limit: number): Tlv | undefined {
  if (pos + 2 > limit) return undefined;
  const tag = b[pos]!;
  if ((tag & 0x1f) === 0x1f) return undefined; // high tag numbers: nothing in a PFX uses them
  const first = b[pos + 1]!;
  let p = pos + 2;
  if (first === 0x80) {
    if ((tag & 0x20) === 0) return undefined; // indefinite length on a primitive: invalid
    const eoc = endOfContents(b, p, limit);
    if (eoc === undefined) return undefined;
    return { tag, start: p, end: eoc, next: eoc + 2 };
  }
  let len = first;
  if (first > 0x80) {
    const n = first & 0x7f;
    if (n > 4 || p + n > limit) return undefined;
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + b[p + i]!;
    p += n;
  }
  if (len > limit - p) return undefined;
  return { tag, start: p, end: p + len, next: p + len };
}

/**
 * Where the end-of-contents octets of an indefinite-length element whose contents start at `pos`
 * lie. Iterative: nested indefinite elements raise a depth counter (capped), definite ones are
 * skipped by their length, so every byte is looked at once.
 */
function endOfContents(b: Uint8Array, pos: number, limit: number): number | undefined {
  let depth = 1;
  let p = pos;
  for (;;) {
    if (p + 2 > limit) return undefined;
    if (b[p] === 0 && b[p + 1] === 0) {
      if (--depth === 0) return p;
      p += 2;
      continue;
    }
    const tag = b[p]!;
    if ((tag & 0x1f) === 0x1f) return undefined;
    const first = b[p + 1]!;
    if (first === 0x80) {
      if ((tag & 0x20) === 0 || ++depth > MAX_DEPTH) return undefined;
      p += 2;
      continue;
    }
    let len = first;
    let q = p + 2;
    if (first > 0x80) {
      const n = first & 0x7f;
      if (n > 4 || q + n > limit) return undefined;
      len = 0;
      for (let i = 0; i < n; i++) len = len * 256 + b[q + i]!;
      q += n;
    }
    if (len > limit - q) return undefined;
    p = q + len;
  }
}

/** The children of a constructed element, in order; undefined when one is not an element. */
function children(b: Uint8Array, t: Tlv, max = Number.POSITIVE_INFINITY): Tlv[] | undefined {
  const out: Tlv[] = [];
  for (let p = t.start; p < t.end; ) {
    if (out.length >= max) return out;
    const c = readTlv(b, p, t.end);
    if (!c) return undefined;
    out.push(c);
    p = c.next;
  }
  return out;
}

const SEQUENCE = 0x30;
const INTEGER = 0x02;
const OCTET_STRING = 0x04;
const OID = 0x06;
const NULL = 0x05;
const CONTEXT_0 = 0xa0;

/** The value of an OCTET STRING, primitive or constructed (BER: chunks, nested, indefinite). */
function octets(b: Uint8Array, t: Tlv): Uint8Array | undefined {
  if (t.tag === OCTET_STRING) return b.subarray(t.start, t.end);
  if (t.tag !== (OCTET_STRING | 0x20)) return undefined;
  const parts: Uint8Array[] = [];
  // An explicit stack of [element, next child offset]: no recursion.
  const stack: { t: Tlv; p: number }[] = [{ t, p: t.start }];
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    if (top.p >= top.t.end) {
      stack.pop();
      continue;
    }
    const c = readTlv(b, top.p, top.t.end);
    if (!c) return undefined;
    top.p = c.next;
    if (c.tag === OCTET_STRING) parts.push(b.subarray(c.start, c.end));
    else if (c.tag === (OCTET_STRING | 0x20)) {
      if (stack.length >= MAX_DEPTH) return undefined;
      stack.push({ t: c, p: c.start });
    } else return undefined;
  }
  return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
}

/** A non-negative INTEGER up to 2^53, or undefined (negative, too long, not an INTEGER). */
function smallInteger(b: Uint8Array, t: Tlv): number | undefined {
  const len = t.end - t.start;
  if (t.tag !== INTEGER || len < 1 || len > 7 || (b[t.start]! & 0x80) !== 0) return undefined;
  let v = 0;
  for (let i = t.start; i < t.end; i++) v = v * 256 + b[i]!;
  return v;
}

/** An OID's content bytes as hex (compared with the constants below). */
function oidHex(b: Uint8Array, t: Tlv | undefined): string | undefined {
  if (!t || t.tag !== OID || t.end - t.start > 64) return undefined;
  return Buffer.from(b.buffer, b.byteOffset + t.start, t.end - t.start).toString("hex");
}

// Object identifiers (content bytes, hex).
const OID_DATA = "2a864886f70d010701"; // 1.2.840.113549.1.7.1
const OID_SIGNED_DATA = "2a864886f70d010702"; // 1.2.840.113549.1.7.2
const _OID_ENCRYPTED_DATA = "2a864886f70d010706"; // 1.2.840.113549.1.7.6
const OID_KEY_BAG = "2a864886f70d010c0a0101"; // 1.2.840.113549.1.12.10.1.1
const OID_SHROUDED_KEY_BAG = "2a864886f70d010c0a0102"; // 1.2.840.113549.1.12.10.1.2
const OID_SAFE_CONTENTS_BAG = "2a864886f70d010c0a0106"; // 1.2.840.113549.1.12.10.1.6
const OID_PBMAC1 = "2a864886f70d01050e"; // 1.2.840.113549.1.5.14 (RFC 9579)
const OID_PBKDF2 = "2a864886f70d01050c"; // 1.2.840.113549.1.5.12

/** Digest algorithms of a PKCS#12 MAC: node's name, output length u, block length v (RFC 7292 B.2). */
const DIGESTS: Record<string, { name: string; u: number; v: number }> = {
  "2b0e03021a": { name: "sha1", u: 20, v: 64 },
  "608648016503040204": { name: "sha224", u: 28, v: 64 },
  "608648016503040201": { name: "sha256", u: 32, v: 64 },
  "608648016503040202": { name: "sha384", u: 48, v: 128 },
  "608648016503040203": { name: "sha512", u: 64, v: 128 },
  "608648016503040205": { name: "sha512-224", u: 28, v: 128 },
  "608648016503040206": { name: "sha512-256", u: 32, v: 128 },
};

/** HMAC algorithms of PBKDF2's prf and PBMAC1's messageAuthScheme (RFC 8018 B.1.2). */
const HMACS: Record<string, { name: string; u: number }> = {
  "2a864886f70d0207": { name: "sha1", u: 20 },
  "2a864886f70d0208": { name: "sha224", u: 28 },
  "2a864886f70d0209": { name: "sha256", u: 32 },
  "2a864886f70d020a": { name: "sha384", u: 48 },
  "2a864886f70d020b": { name: "sha512", u: 64 },
  "2a864886f70d020c": { name: "sha512-224", u: 28 },
  "2a864886f70d020d": { name: "sha512-256", u: 32 },
};

// --- the PFX -----------------------------------------------------------------------------------

/** How the MAC is computed, when the file has one this reader can check. */
type Mac =
  | { kind: "pkcs12"; digest: { name: string; u: number; v: number }; salt: Uint8Array; iterations: number }
  | {
      kind: "pbmac1";
      hmac: string;
      prf: string;
      salt: Uint8Array;
      iterations: number;
      keyLength: number;
    };

interface Pfx {
  /** The authSafe's content: what the MAC covers (the AuthenticatedSafe's DER). */
  content: Uint8Array | undefined;
  signed: boolean;
  mac: Mac | { kind: "none" } | { kind: "unsupported" };
  expected: Uint8Array | undefined;
}

/** The PFX structure of `b`, or undefined when `b` is not one. */
function readPfx(b: Uint8Array): Pfx | undefined {
  const top = readTlv(b, 0, b.length);
  if (!top || top.tag !== SEQUENCE) return undefined;
  const parts = children(b, top, 4);
  if (!parts || parts.length < 2) return undefined;
  const [version, authSafe, macData] = parts as [Tlv, Tlv, Tlv | undefined];
  if (smallInteger(b, version) !== 3) return undefined;
  // authSafe ContentInfo { contentType OID, content [0] EXPLICIT ANY }
  if (authSafe.tag !== SEQUENCE) return undefined;
  const ci = children(b, authSafe, 3);
  if (!ci || ci.length < 2 || ci[1]!.tag !== CONTEXT_0) return undefined;
  const type = oidHex(b, ci[0]);
  const inner = readTlv(b, ci[1]!.start, ci[1]!.end);
  if (!inner) return undefined;
  let content: Uint8Array | undefined;
  let signed = false;
  if (type === OID_DATA) {
    content = octets(b, inner);
    if (!content) return undefined;
  } else if (type === OID_SIGNED_DATA) {
    if (inner.tag !== SEQUENCE) return undefined;
    signed = true;
  } else return undefined;
  if (!macData) return { content, signed, mac: { kind: "none" }, expected: undefined };
  // MacData { mac DigestInfo { AlgorithmIdentifier, digest OCTET STRING }, macSalt, iterations DEFAULT 1 }
  if (macData.tag !== SEQUENCE) return undefined;
  const md = children(b, macData, 4);
  if (!md || md.length < 2 || md[0]!.tag !== SEQUENCE || md[1]!.tag !== OCTET_STRING) return undefined;
  const di = children(b, md[0]!, 3);
  if (di?.length !== 2 || di[0]!.tag !== SEQUENCE || di[1]!.tag !== OCTET_STRING) return undefined;
  const alg = children(b, di[0]!, 3);
  if (!alg || alg.length < 1) return undefined;
  const expected = b.subarray(di[1]!.start, di[1]!.end);
  const algOid = oidHex(b, alg[0]);
  if (algOid === undefined) return undefined;
  let iterations = 1;
  if (md[2] !== undefined) {
    const it = smallInteger(b, md[2]);
    if (it === undefined || it < 1) return undefined;
    iterations = it;
  }
  const digest = DIGESTS[algOid];
  if (digest) {
    if (alg[1] !== undefined && alg[1].tag !== NULL) return undefined;
    const salt = b.subarray(md[1]!.start, md[1]!.end);
    return { content, signed, mac: { kind: "pkcs12", digest, salt, iterations }, expected };
  }
  if (algOid === OID_PBMAC1 && alg[1] !== undefined) {
    const mac = pbmac1Params(b, alg[1]);
    return { content, signed, mac: mac ?? { kind: "unsupported" }, expected };
  }
  return { content, signed, mac: { kind: "unsupported" }, expected };
}

/**
 * PBMAC1-params (RFC 9579): { keyDerivationFunc AlgorithmIdentifier (PBKDF2 { salt, iterationCount,
 * keyLength, prf }), messageAuthScheme AlgorithmIdentifier (an HMAC) }. The MacData's own salt and
 * iteration count are not used by PBMAC1.
 */
function pbmac1Params(b: Uint8Array, t: Tlv): Mac | undefined {
  if (t.tag !== SEQUENCE) return undefined;
  const p = children(b, t, 3);
  if (p?.length !== 2 || p[0]!.tag !== SEQUENCE || p[1]!.tag !== SEQUENCE) return undefined;
  const kdf = children(b, p[0]!, 3);
  const scheme = children(b, p[1]!, 3);
  if (!kdf || !scheme || oidHex(b, kdf[0]) !== OID_PBKDF2 || !kdf[1] || kdf[1].tag !== SEQUENCE)
    return undefined;
  const hmac = HMACS[oidHex(b, scheme[0]) ?? ""];
  const params = children(b, kdf[1], 5);
  if (!hmac || !params || params.length < 2 || params[0]!.tag !== OCTET_STRING) return undefined;
  const salt = b.subarray(params[0]!.start, params[0]!.end);
  const iterations = smallInteger(b, params[1]!);
  if (iterations === undefined || iterations < 1) return undefined;
  let i = 2;
  let keyLength: number | undefined;
  if (params[i]?.tag === INTEGER) keyLength = smallInteger(b, params[i++]!);
  let prf = "sha1"; // PBKDF2's default prf: hmacWithSHA1
  if (params[i] !== undefined) {
    if (params[i]!.tag !== SEQUENCE) return undefined;
    const prfAlg = children(b, params[i]!, 3);
    const h = HMACS[oidHex(b, prfAlg?.[0]) ?? ""];
    if (!h) return undefined;
    prf = h.name;
  }
  // RFC 9579 requires keyLength; a missing one is taken as the HMAC's output length.
  keyLength ??= hmac.u;
  if (keyLength < 1 || keyLength > 1024) return undefined;
  return { kind: "pbmac1", hmac: hmac.name, prf, salt, iterations, keyLength };
}

/** What the clear (unencrypted) contents show: a key in clear, keys at all, encrypted parts. */
interface Contents {
  clearKey: boolean;
  shroudedKey: boolean;
  /** Parts this reader cannot see into (encryptedData, enveloped data, a signed PFX). */
  opaque: boolean;
}

/**
 * Walks the AuthenticatedSafe (SEQUENCE OF ContentInfo): the `data` ones hold SafeContents in clear
 * (SEQUENCE OF SafeBag { bagId, [0] bagValue, attributes }); the others are encrypted. Nested
 * safeContentsBags are counted as opaque rather than followed. Bounded by MAX_BAGS.
 */
function readContents(b: Uint8Array): Contents | undefined {
  const out: Contents = { clearKey: false, shroudedKey: false, opaque: false };
  const top = readTlv(b, 0, b.length);
  if (!top || top.tag !== SEQUENCE) return undefined;
  let budget = MAX_BAGS;
  for (let p = top.start; p < top.end; ) {
    const ci = readTlv(b, p, top.end);
    if (!ci || ci.tag !== SEQUENCE || --budget < 0) return undefined;
    p = ci.next;
    const parts = children(b, ci, 3);
    if (!parts || parts.length < 1) return undefined;
    const type = oidHex(b, parts[0]);
    if (type !== OID_DATA) {
      if (type === undefined) return undefined;
      out.opaque = true; // encryptedData (OID_ENCRYPTED_DATA), envelopedData: opened with a password or a key
      continue;
    }
    if (parts[1]?.tag !== CONTEXT_0) return undefined;
    const inner = readTlv(b, parts[1].start, parts[1].end);
    const safe = inner && octets(b, inner);
    if (!safe) return undefined;
    const bags = readTlv(safe, 0, safe.length);
    if (!bags || bags.tag !== SEQUENCE) return undefined;
    for (let q = bags.start; q < bags.end; ) {
      const bag = readTlv(safe, q, bags.end);
      if (!bag || bag.tag !== SEQUENCE || --budget < 0) return undefined;
      q = bag.next;
      const first = readTlv(safe, bag.start, bag.end);
      const id = oidHex(safe, first);
      if (id === undefined) return undefined;
      if (id === OID_KEY_BAG) out.clearKey = true;
      else if (id === OID_SHROUDED_KEY_BAG) out.shroudedKey = true;
      else if (id === OID_SAFE_CONTENTS_BAG) out.opaque = true;
    }
  }
  return out;
}

/** RFC 7292 appendix B.1: a password as a BMPString (UTF-16BE) with its two-byte NUL terminator. */
function bmpPassword(pw: string): Buffer {
  const out = Buffer.alloc(pw.length * 2 + 2);
  for (let i = 0; i < pw.length; i++) out.writeUInt16BE(pw.charCodeAt(i), i * 2);
  return out;
}

/**
 * RFC 7292 appendix B.2 with ID 3 (MAC key), for a key of the digest's own length (one block,
 * which is what every implementation derives for the HMAC): A = H^r(D || S || P), where D is v
 * bytes of the ID, S and P the salt and password each repeated to a multiple of v bytes.
 */
export function pkcs12MacKey(
  digest: { name: string; u: number; v: number },
  password: Uint8Array,
  salt: Uint8Array,
  iterations: number,
): Buffer {
  const v = digest.v;
  const fill = (src: Uint8Array): Buffer => {
    const len = src.length === 0 ? 0 : v * Math.ceil(src.length / v);
    const out = Buffer.alloc(len);
    for (let i = 0; i < len; i++) out[i] = src[i % src.length]!;
    return out;
  };
  const crypto = nodeCrypto();
  let a = crypto
    .createHash(digest.name)
    .update(Buffer.alloc(v, 3))
    .update(fill(salt))
    .update(fill(password))
    .digest();
  for (let i = 1; i < iterations; i++) a = crypto.createHash(digest.name).update(a).digest();
  return a.subarray(0, digest.u);
}

/** Which default password opens the store: the empty one (either encoding) or Google Cloud's. */
export type DefaultPassword = "empty" | "gcp-notasecret";

const CANDIDATES: { label: DefaultPassword; bmp: Buffer; utf8: Buffer }[] = [
  { label: "empty", bmp: bmpPassword(""), utf8: Buffer.alloc(0) },
  { label: "empty", bmp: Buffer.alloc(0), utf8: Buffer.alloc(0) },
  { label: "gcp-notasecret", bmp: bmpPassword("notasecret"), utf8: Buffer.from("notasecret", "utf8") },
];

/** The verdict on one file's bytes. */
export type Pkcs12Verdict =
  /** Not a PFX (or a PFX this reader cannot parse): not reported. */
  | { verdict: "not-pfx"; reason: string }
  /** A PFX whose clear contents hold no key (certificates only): not reported. */
  | { verdict: "no-key" }
  /** Anyone can open it: a key in clear, or a MAC that verifies with a default password. */
  | { verdict: "opens"; how: "clear-key" | DefaultPassword }
  /** The MAC does not verify with any default: the password is unknown. */
  | { verdict: "locked" }
  /** A key store whose password this reader did not check, and why. */
  | {
      verdict: "unchecked";
      why: "no-mac" | "signed" | "unsupported-mac" | "iterations";
      iterations?: number;
    };

/** Reads the bytes of a .p12 / .pfx file and says whether its key opens as read. Never throws. */
export function judgePkcs12(bytes: Uint8Array): Pkcs12Verdict {
  try {
    return judge(bytes);
  } catch {
    return { verdict: "not-pfx", reason: "unreadable" };
  }
}

function judge(bytes: Uint8Array): Pkcs12Verdict {
  if (bytes.length === 0) return { verdict: "not-pfx", reason: "empty" };
  if (bytes.length > MAX_BYTES) return { verdict: "not-pfx", reason: "too large" };
  const pfx = readPfx(bytes);
  if (!pfx) return { verdict: "not-pfx", reason: "not a PFX" };
  const contents = pfx.content ? readContents(pfx.content) : undefined;
  if (pfx.content && !contents) return { verdict: "not-pfx", reason: "malformed contents" };
  if (contents?.clearKey) return { verdict: "opens", how: "clear-key" };
  if (contents && !contents.shroudedKey && !contents.opaque) return { verdict: "no-key" };
  if (pfx.signed) return { verdict: "unchecked", why: "signed" };
  const mac = pfx.mac;
  if (mac.kind === "none") return { verdict: "unchecked", why: "no-mac" };
  if (mac.kind === "unsupported" || !pfx.content || !pfx.expected)
    return { verdict: "unchecked", why: "unsupported-mac" };
  if (mac.iterations > MAX_ITERATIONS)
    return { verdict: "unchecked", why: "iterations", iterations: mac.iterations };
  const expected = pfx.expected;
  const content = pfx.content;
  const seen = new Set<string>();
  for (const c of CANDIDATES) {
    let got: Buffer;
    if (mac.kind === "pkcs12") {
      const key = pkcs12MacKey(mac.digest, c.bmp, mac.salt, mac.iterations);
      got = nodeCrypto().createHmac(mac.digest.name, key).update(content).digest();
    } else {
      // PBMAC1 takes the password's UTF-8 bytes (RFC 9579): both empty encodings are one.
      const id = c.utf8.toString("hex");
      if (seen.has(id)) continue;
      seen.add(id);
      const key = nodeCrypto().pbkdf2Sync(c.utf8, mac.salt, mac.iterations, mac.keyLength, mac.prf);
      got = nodeCrypto().createHmac(mac.hmac, key).update(content).digest();
    }
    if (got.length === expected.length && nodeCrypto().timingSafeEqual(got, expected))
      return { verdict: "opens", how: c.label };
  }
  return { verdict: "locked" };
}

// --- the parser --------------------------------------------------------------------------------

const HOW: Record<"clear-key" | DefaultPassword, string> = {
  "clear-key": "its private key is stored unencrypted",
  empty: "it opens with the empty password",
  "gcp-notasecret": "it opens with the published default password of Google Cloud P12 keys",
};

const UNCHECKED: Record<string, string> = {
  "no-mac": "no MAC (exported with -nomac)",
  signed: "signed (public-key integrity mode), no password MAC",
  "unsupported-mac": "MAC algorithm not supported",
  iterations: "MAC iteration count over the cap",
};

/**
 * The `pkcs12` parser of the .p12 / .pfx path rules (tree-pkcs12-keystore, home-pkcs12-keystore).
 * Needs the file's bytes (ParseInput.bytes); called without them (a direct call on text), it reads
 * the text's characters as bytes (latin1).
 */
export function parsePkcs12(input: ParseInput): ParseResult {
  const bytes = input.bytes ?? Buffer.from(input.text, "latin1");
  const v = judgePkcs12(bytes);
  if (v.verdict === "not-pfx" || v.verdict === "no-key") {
    // Only a file too large to parse is worth a word: the others are not key stores.
    return v.verdict === "not-pfx" && v.reason === "too large"
      ? { detections: [], issues: [`not parsed as PKCS#12: over ${MAX_BYTES / 1024 / 1024} MiB`] }
      : { detections: [] };
  }
  // The subject of the finding's identity: the file's hash (never printed; a new store is a new finding).
  const secret = `pkcs12:sha256:${nodeCrypto().createHash("sha256").update(bytes).digest("hex")}`;
  if (v.verdict === "opens") {
    const rule = CODE_RULES["pkcs12-default-password"];
    const d: Detection = {
      ruleId: rule.id,
      provider: rule.provider,
      type: rule.type,
      severity: rule.severity,
      title: `${rule.title}: ${HOW[v.how]}`,
      remediation: rule.remediation,
      kind: "secret",
      secret,
      priority: 2,
    };
    // Disabling the path rule that selected the file disables this finding too.
    if (input.rule) d.viaRuleId = input.rule.id;
    return { detections: [d] };
  }
  const base = detection(input, { secret, type: "encrypted-key-store", severity: "low" });
  if (v.verdict === "locked") {
    base.title = `${base.title}: password-protected (not a default password)`;
    return { detections: [base] };
  }
  base.title = `${base.title}: password not checked (${UNCHECKED[v.why]})`;
  const issues =
    v.why === "iterations"
      ? [`PKCS#12 MAC not checked: ${v.iterations} iterations, over the cap of ${MAX_ITERATIONS}`]
      : v.why === "unsupported-mac"
        ? ["PKCS#12 MAC not checked: its algorithm is not supported"]
        : undefined;
  return issues ? { detections: [base], issues } : { detections: [base] };
}
