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

const BLOCK_RE = /-----BEGIN ([A-Z0-9 ]*PRIVATE KEY)-----([\s\S]*?)-----END \1-----/g;
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

/** Private key blocks in a text; `undefined` when a BEGIN line has no matching END (truncated). */
export function findPemKeys(text: string): PemKey[] | undefined {
  const keys: PemKey[] = [];
  for (const m of text.matchAll(BLOCK_RE)) {
    const label = m[1]!;
    const body = m[2]!;
    let encrypted = label === "ENCRYPTED PRIVATE KEY" || /Proc-Type:\s*4,\s*ENCRYPTED/i.test(body);
    if (label === "OPENSSH PRIVATE KEY") {
      const cipher = opensshCipher(body);
      if (cipher === undefined) return undefined;
      encrypted = cipher !== "none";
    }
    keys.push({ block: m[0], label, encrypted, index: m.index });
  }
  const begins = [...text.matchAll(BEGIN_RE)].length;
  return begins === keys.length ? keys : undefined;
}

const PPK_RE = /^PuTTY-User-Key-File-\d+:[^\n]*\n(?:[^\n]*\n)*?Encryption:\s*(\S+)/m;

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
  const ppk = PPK_RE.exec(input.text);
  if (ppk) {
    const encrypted = ppk[1] !== "none";
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
