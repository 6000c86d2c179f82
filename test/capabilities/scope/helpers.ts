import { createHash } from "node:crypto";
import { crc32 } from "node:zlib";
import type { ObservedSecret } from "../../../src/capabilities/scope/index.js";
import type { Location } from "../../../src/contract/types.js";
import { base62 } from "../../../src/detect/validators.js";

// Fake credentials for step 6's tests, generated here (never real tokens).

/** A fixed clock: 2026-12-01T00:00:00Z. */
export const NOW = Date.UTC(2026, 11, 1);

const B64 = (o: object) => Buffer.from(JSON.stringify(o)).toString("base64url");
/** A JWS with the given claims and a fake signature. */
export function makeJwt(claims: object, header: object = { alg: "RS256", typ: "JWT" }): string {
  return `${B64(header)}.${B64(claims)}.${"Zm9vYmFyYmF6cXV4".repeat(3)}`;
}

/** A legacy secret-based Kubernetes service-account token: no exp. */
export function legacySaToken(name = "deployer"): string {
  return makeJwt({
    iss: "kubernetes/serviceaccount",
    "kubernetes.io/serviceaccount/namespace": "default",
    "kubernetes.io/serviceaccount/secret.name": `${name}-token-x7k2p`,
    "kubernetes.io/serviceaccount/service-account.name": name,
    sub: `system:serviceaccount:default:${name}`,
  });
}

const ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
/** Deterministic pseudo-random characters from an alphabet. */
export function chars(n: number, seed: number, alphabet = ALNUM): string {
  let x = seed * 2654435761 + 7;
  let out = "";
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) % 2147483648;
    out += alphabet[x % alphabet.length];
  }
  return out;
}

/** A GitHub-format token with a valid CRC32 checksum. */
export function githubToken(prefix: "ghp" | "gho" | "ghs" | "ghu", seed: number): string {
  const body = chars(30, seed);
  return `${prefix}_${body}${base62(crc32(Buffer.from(body, "ascii")), 6)}`;
}

/**
 * A fake AWS key id: the prefix and 16 base32 characters from a hash of the seed (chars() would
 * give 16 "A"s here: its arithmetic loses the low bits past 2^53, and a run of 16 identical
 * characters is a placeholder by policy, never reported).
 */
export const awsKeyId = (prefix: "AKIA" | "ASIA", seed: number) =>
  `${prefix}${[...createHash("sha256").update(`aws-key-id-${seed}`).digest().subarray(0, 16)]
    .map((b) => "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"[b % 32])
    .join("")}`;
export const awsSecretKey = (seed: number) => chars(40, seed);
export const anthropicKey = (kind: "admin01" | "api03", seed: number) =>
  `sk-ant-${kind}-${chars(93, seed)}AA`;
export const openaiKey = (kind: "admin" | "proj", seed: number) =>
  `sk-${kind}-${chars(20, seed)}T3BlbkFJ${chars(20, seed + 1)}`;

function wrap(b64: string): string {
  return b64.match(/.{1,64}/g)!.join("\n");
}
/** A PEM block; `encrypted` adds the RFC 1421 headers. */
export function pemKey(
  label: "RSA PRIVATE KEY" | "PRIVATE KEY" | "ENCRYPTED PRIVATE KEY",
  seed: number,
  encrypted = false,
): string {
  const headers = encrypted
    ? "Proc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,0123456789ABCDEF0123456789ABCDEF\n\n"
    : "";
  const body = Buffer.from(chars(300, seed), "ascii").toString("base64");
  return `-----BEGIN ${label}-----\n${headers}${wrap(body)}\n-----END ${label}-----\n`;
}
/** An OpenSSH key whose openssh-key-v1 header names `cipher` ("none" = unencrypted). */
export function opensshKey(cipher: string, seed: number): string {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(cipher.length);
  const blob = Buffer.concat([
    Buffer.from("openssh-key-v1\0", "latin1"),
    len,
    Buffer.from(cipher, "latin1"),
    Buffer.from(chars(300, seed), "ascii"),
  ]);
  return `-----BEGIN OPENSSH PRIVATE KEY-----\n${wrap(blob.toString("base64"))}\n-----END OPENSSH PRIVATE KEY-----\n`;
}
export function puttyKey(encryption: string, seed: number): string {
  return `PuTTY-User-Key-File-3: ssh-ed25519\nEncryption: ${encryption}\nComment: test\nPublic-Lines: 2\n${chars(64, seed)}\n${chars(20, seed + 1)}\nPrivate-Lines: 1\n${chars(64, seed + 2)}\nPrivate-MAC: ${chars(64, seed + 3, "0123456789abcdef")}\n`;
}

let n = 0;
/** An observed secret as the inventory would hand it over. */
export function observed(
  ruleId: string,
  secret: string,
  over: Partial<Omit<ObservedSecret, "ruleId" | "secret">> = {},
): ObservedSecret {
  n++;
  const location: Location = over.location ?? { source: "home", path: `.secrets/${ruleId}-${n}`, line: 1 };
  return {
    ruleId,
    provider: over.provider ?? "test",
    type: over.type ?? "token",
    secret,
    fingerprint: over.fingerprint ?? `fp${String(n).padStart(22, "0")}`,
    location,
    ...(over.valid !== undefined ? { valid: over.valid } : {}),
  };
}
