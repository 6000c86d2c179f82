import { describe, expect, it } from "vitest";
import { PARSERS } from "../../../src/detect/parsers/index.js";
import { opensshCipher } from "../../../src/detect/parsers/pem.js";
import type { Detection } from "../../../src/rules/types.js";

const RULE = {
  id: "ssh-private-keys",
  provider: "ssh",
  title: "t",
  severity: "critical" as const,
  remediation: "r",
};
const shape = (d: Detection) => ({
  ruleId: d.ruleId,
  type: d.type,
  name: d.name,
  line: d.line,
  severity: d.severity,
});
function run(text: string, parser = "pem") {
  const res = PARSERS[parser]!({ text, path: ".ssh/id", rule: RULE });
  return {
    shapes: res.detections.map(shape),
    secrets: res.detections.map((d) => d.secret),
    malformed: res.malformed,
  };
}

/** An openssh-key-v1 blob (PROTOCOL.key): magic, then ciphername, kdfname, kdfoptions, key count... */
function opensshKey(cipher: string): string {
  const str = (s: string | Buffer) => {
    const b = typeof s === "string" ? Buffer.from(s) : s;
    const len = Buffer.alloc(4);
    len.writeUInt32BE(b.length);
    return Buffer.concat([len, b]);
  };
  const kdf = cipher === "none" ? "none" : "bcrypt";
  const body = Buffer.concat([
    Buffer.from("openssh-key-v1\0", "latin1"),
    str(cipher),
    str(kdf),
    str(cipher === "none" ? "" : Buffer.from("0123456789abcdef0123")),
    Buffer.from([0, 0, 0, 1]),
    str(Buffer.from("ssh-ed25519 fake public key material for the test, 32b")),
    str(Buffer.from("fake private section: checkint checkint ssh-ed25519 seed+pub comment")),
  ]);
  const b64 = body.toString("base64").replace(/(.{70})/g, "$1\n");
  return `-----BEGIN OPENSSH PRIVATE KEY-----\n${b64}\n-----END OPENSSH PRIVATE KEY-----\n`;
}

const PKCS8 =
  "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7Lm2Xw7Rt5Yp8Nc4V\n-----END PRIVATE KEY-----";
const RSA_ENC = [
  "-----BEGIN RSA PRIVATE KEY-----",
  "Proc-Type: 4,ENCRYPTED",
  "DEK-Info: AES-128-CBC,3F9C2A7B1E5D8046C2F7A9B3E1D5C8F0",
  "",
  "Lm2Xw7Rt5Yp8Nc4Vb6Hj1Sd0QzKe9Fa3UbGq7vLm2Xw7Rt5Yp8Nc4Vb6Hj1Sd0QzKe9F",
  "-----END RSA PRIVATE KEY-----",
].join("\n");
const PKCS8_ENC =
  "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIFHzBJBgkqhkiG9w0BBQ0wPDAbBgkqhkiG9w0BBQwwDgQIb6Hj1Sd0QzKe\n-----END ENCRYPTED PRIVATE KEY-----";

describe("pem parser", () => {
  it("reads the OpenSSH cipher name from the binary header", () => {
    const body = (k: string) => k.split("\n").slice(1, -2).join("");
    expect(opensshCipher(body(opensshKey("none")))).toBe("none");
    expect(opensshCipher(body(opensshKey("aes256-ctr")))).toBe("aes256-ctr");
    expect(opensshCipher("bm90IGFuIG9wZW5zc2gga2V5")).toBeUndefined();
  });

  it("an unencrypted OpenSSH key is a private key at the rule's severity", () => {
    const key = opensshKey("none");
    const r = run(key);
    expect(r.shapes).toEqual([
      {
        ruleId: "ssh-private-keys",
        type: "private-key",
        name: "OPENSSH PRIVATE KEY",
        line: 1,
        severity: "critical",
      },
    ]);
    expect(r.secrets).toEqual([key.trimEnd()]);
  });

  it("an OpenSSH key with a cipher is an encrypted private key at low severity", () => {
    const r = run(opensshKey("aes256-ctr"));
    expect(r.shapes).toEqual([
      {
        ruleId: "ssh-private-keys",
        type: "encrypted-private-key",
        name: "OPENSSH PRIVATE KEY",
        line: 1,
        severity: "low",
      },
    ]);
  });

  it("PKCS#8, Proc-Type encrypted and PKCS#8 encrypted blocks in one file, with lines; a certificate is ignored", () => {
    const text = [
      "-----BEGIN CERTIFICATE-----\nMIIDdzCCAl+gAwIBAgIEAgAAuTANBgkqhkiG9w0BAQUFADBaMQswCQYDVQQGEwJJ\n-----END CERTIFICATE-----",
      PKCS8,
      RSA_ENC,
      PKCS8_ENC,
    ].join("\n");
    const r = run(text);
    expect(r.shapes).toEqual([
      { ruleId: "ssh-private-keys", type: "private-key", name: "PRIVATE KEY", line: 4, severity: "critical" },
      {
        ruleId: "ssh-private-keys",
        type: "encrypted-private-key",
        name: "RSA PRIVATE KEY",
        line: 7,
        severity: "low",
      },
      {
        ruleId: "ssh-private-keys",
        type: "encrypted-private-key",
        name: "ENCRYPTED PRIVATE KEY",
        line: 13,
        severity: "low",
      },
    ]);
    expect(r.secrets).toEqual([PKCS8, RSA_ENC, PKCS8_ENC]);
  });

  it("PuTTY keys: Encryption: none is a private key", () => {
    const ppk = [
      "PuTTY-User-Key-File-3: ssh-ed25519",
      "Encryption: none",
      "Comment: ed25519-key",
      "Public-Lines: 2",
      "AAAAC3NzaC1lZDI1NTE5AAAAIFm2Xw7Rt5Yp8Nc4Vb6Hj1Sd0QzKe9Fa3UbGq7vLm2",
      "Private-Lines: 1",
      "AAAAIHw7Rt5Yp8Nc4Vb6Hj1Sd0QzKe9Fa3UbGq7vLm2Xw7Rt5",
      "Private-MAC: 3f9c2a7b1e5d8046c2f7a9b3e1d5c8f04e2a6b1c3f9c2a7b1e5d8046c2f7a9b3",
    ].join("\n");
    const r = run(ppk);
    expect(r.shapes).toEqual([
      {
        ruleId: "ssh-private-keys",
        type: "private-key",
        name: "PuTTY-User-Key-File",
        line: 1,
        severity: "critical",
      },
    ]);
    const enc = run(ppk.replace("Encryption: none", "Encryption: aes256-cbc"));
    expect(enc.shapes.map((s) => [s.type, s.severity])).toEqual([["encrypted-private-key", "low"]]);
  });

  it("public keys, known_hosts lines and empty files are not findings", () => {
    expect(run("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFm2Xw7Rt5Yp8Nc4Vb6Hj1Sd0Qz dev@host\n")).toEqual({
      shapes: [],
      secrets: [],
      malformed: undefined,
    });
    expect(run("")).toEqual({ shapes: [], secrets: [], malformed: undefined });
  });

  it("a truncated block is malformed (and the caller text-scans it)", () => {
    const r = run("-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ\n");
    expect(r).toEqual({
      shapes: [],
      secrets: [],
      malformed: "not valid PEM (a private key block is truncated or damaged)",
    });
  });
});
