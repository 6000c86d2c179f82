import {
  decodeBase64,
  detection,
  type Found,
  type ParseInput,
  type ParseResult,
  TextLocator,
} from "./common.js";

// PEM private keys (RFC 7468) and PuTTY keys. What matters for an agent is whether the key is
// usable as read: an unencrypted key is a credential, an encrypted one needs its passphrase too.
// Encryption markers:
// - PKCS#8 `ENCRYPTED PRIVATE KEY` (RFC 5958 EncryptedPrivateKeyInfo);
// - traditional OpenSSL keys with a `Proc-Type: 4,ENCRYPTED` header (RFC 1421 section 4.6.1.1);
// - `OPENSSH PRIVATE KEY`: the openssh-key-v1 binary header names the cipher right after the
//   magic "openssh-key-v1\0" as a uint32-length string; "none" = unencrypted
//   (https://github.com/openssh/openssh-portable/blob/master/PROTOCOL.key);
// - PuTTY `.ppk`: an `Encryption: none` header line (the PuTTY manual, appendix C).

const BEGIN_RE = /-----BEGIN ([A-Z0-9 ]*PRIVATE KEY)-----/g;

export interface PemKey {
  /** The whole block, BEGIN to END line. */
  block: string;
  label: string;
  encrypted: boolean;
  index: number;
}

/** The OpenSSH cipher name, or undefined when the body is not an openssh-key-v1 blob. */
export function opensshCipher(body: string): string | undefined {
  const buf = decodeBase64(body);
  const magic = "openssh-key-v1\0";
  if (!buf || buf.length < magic.length + 4 || buf.toString("latin1", 0, magic.length) !== magic)
    return undefined;
  const len = buf.readUInt32BE(magic.length);
  const start = magic.length + 4;
  if (len > 64 || start + len > buf.length) return undefined;
  return buf.toString("latin1", start, start + len);
}

/**
 * Private key blocks in a text; `undefined` when a BEGIN line has no matching END (truncated), or
 * one BEGIN lies inside another block. Linear (issue 8): each block's END is looked for once, from
 * its BEGIN, and a missing END ends the search (no later BEGIN could find one either); a regex
 * `BEGIN ... [\s\S]*? END` searched to the end of the text again for every BEGIN line of a flood
 * (20,000 BEGIN lines, 560 KB: 9 s).
 */
export function findPemKeys(text: string): PemKey[] | undefined {
  const keys: PemKey[] = [];
  let begins = 0;
  for (BEGIN_RE.lastIndex = 0; BEGIN_RE.exec(text); ) begins++;
  const re = new RegExp(BEGIN_RE.source, "g");
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const label = m[1]!;
    const endLine = `-----END ${label}-----`;
    const bodyStart = m.index + m[0].length;
    const end = text.indexOf(endLine, bodyStart);
    if (end === -1) return undefined;
    const body = text.slice(bodyStart, end);
    let encrypted = label === "ENCRYPTED PRIVATE KEY" || /Proc-Type:\s*4,\s*ENCRYPTED/i.test(body);
    if (label === "OPENSSH PRIVATE KEY") {
      const cipher = opensshCipher(body);
      if (cipher === undefined) return undefined;
      encrypted = cipher !== "none";
    }
    keys.push({ block: text.slice(m.index, end + endLine.length), label, encrypted, index: m.index });
    re.lastIndex = end + endLine.length;
  }
  return begins === keys.length ? keys : undefined;
}

const PPK_HEADER_RE = /^PuTTY-User-Key-File-\d+:/m;
const PPK_ENCRYPTION_RE = /Encryption:\s*(\S+)/y;

/**
 * The first PuTTY key header at a line start and the cipher of the first `Encryption:` line after
 * it, or undefined. Linear (issue 8): one search for the header, then for the line; the former regex
 * (a lazy run of lines up to `Encryption:`) ran to the end of the text from every header line.
 */
function findPpk(text: string): { index: number; cipher: string } | undefined {
  const h = PPK_HEADER_RE.exec(text);
  if (!h) return undefined;
  for (let nl = text.indexOf("\n", h.index); nl !== -1; nl = text.indexOf("\nEncryption:", nl + 1)) {
    if (!text.startsWith("Encryption:", nl + 1)) continue;
    PPK_ENCRYPTION_RE.lastIndex = nl + 1;
    const e = PPK_ENCRYPTION_RE.exec(text);
    // `\s*` ran to the end of the text: no later line either.
    if (!e) return undefined;
    return { index: h.index, cipher: e[1]! };
  }
  return undefined;
}

export function parsePem(input: ParseInput): ParseResult {
  const keys = findPemKeys(input.text);
  if (!keys)
    return { detections: [], malformed: "not valid PEM (a private key block is truncated or damaged)" };
  // Lines from the offsets the matches give, through one line index (issue 8: linear).
  const loc = new TextLocator(input.text);
  const found: Found[] = keys.map((k) => ({
    secret: k.block,
    type: k.encrypted ? "encrypted-private-key" : "private-key",
    name: k.label,
    line: loc.lineAt(k.index),
    ...(k.encrypted ? { severity: "low" as const } : {}),
  }));
  const ppk = findPpk(input.text);
  if (ppk) {
    const encrypted = ppk.cipher !== "none";
    found.push({
      secret: input.text.slice(ppk.index).trim(),
      type: encrypted ? "encrypted-private-key" : "private-key",
      name: "PuTTY-User-Key-File",
      line: loc.lineAt(ppk.index),
      ...(encrypted ? { severity: "low" as const } : {}),
    });
  }
  return { detections: found.map((f) => detection(input, f)) };
}
