import type { ValidatorName } from "../rules/types.js";
import { nodeZlib } from "../util/lazy.js";

// Offline validity checks: a format's own structure says whether a token can be live. No network.

const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

export function base62(n: number, width: number): string {
  let out = "";
  let v = n;
  while (v > 0) {
    out = BASE62[v % 62] + out;
    v = Math.floor(v / 62);
  }
  return out.padStart(width, "0");
}

/**
 * GitHub classic-format tokens (ghp_/gho_/ghu_/ghs_/ghr_) and npm's `npm_` tokens: 4-character
 * prefix, 30 random base62 characters, then the CRC32 of those 30 characters in base62, zero-padded
 * to 6 characters. https://github.blog/2021-04-05-behind-githubs-new-authentication-token-formats/
 * and https://github.blog/2021-09-23-announcing-npms-new-access-token-format/
 */
export function checkBase62Crc32(token: string): boolean {
  if (token.length !== 40) return false;
  const body = token.slice(4, 34);
  return base62(nodeZlib().crc32(Buffer.from(body, "ascii")), 6) === token.slice(34);
}

/** A JWT's first two segments are base64url JSON objects; the header names an algorithm. */
export function checkJwt(token: string): boolean {
  const parts = token.split(".");
  if (parts.length !== 3) return false;
  try {
    const header = JSON.parse(Buffer.from(parts[0]!, "base64url").toString("utf8"));
    JSON.parse(Buffer.from(parts[1]!, "base64url").toString("utf8"));
    return typeof header === "object" && header !== null && typeof header.alg === "string";
  } catch {
    return false;
  }
}

/**
 * GitHub App installation tokens in the 2026 format: `ghs_` + the app's numeric ID + `_` + a JWT.
 * https://github.blog/changelog/2026-04-24-notice-about-upcoming-new-format-for-github-app-installation-tokens/
 */
export function checkGithubInstallationJwt(token: string): boolean {
  const m = /^ghs_([0-9]{1,20})_(.+)$/.exec(token);
  return m !== null && checkJwt(m[2]!);
}

/** OpenAI keys embed "T3BlbkFJ" (base64 of "OpenAI") in the middle. */
export function checkOpenAiMarker(token: string): boolean {
  return token.includes("T3BlbkFJ");
}

/** Anthropic API keys end in "AA". */
export function checkAnthropicSuffix(token: string): boolean {
  return token.endsWith("AA");
}

export const VALIDATORS: Readonly<Record<ValidatorName, (secret: string) => boolean>> = {
  "base62-crc32": checkBase62Crc32,
  jwt: checkJwt,
  "github-installation-jwt": checkGithubInstallationJwt,
  "openai-marker": checkOpenAiMarker,
  "anthropic-suffix": checkAnthropicSuffix,
};
