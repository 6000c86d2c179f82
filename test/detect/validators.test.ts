import { crc32 } from "node:zlib";
import { describe, expect, it } from "vitest";
import {
  base62,
  checkAnthropicSuffix,
  checkBase62Crc32,
  checkJwt,
  checkOpenAiMarker,
  VALIDATORS,
} from "../../src/detect/validators.js";

// Fake tokens with correct shapes (no real credential): the checksum ones are built by the scheme in
// https://github.blog/2021-04-05-behind-githubs-new-authentication-token-formats/, which npm shares
// (https://github.blog/2021-09-23-announcing-npms-new-access-token-format/).
const GH = "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";
const NPM_BODY = "Tz7Kq2Wn9Xr4Vb8Lm3PdQ6sFh1Jc5G";
const NPM = `npm_${NPM_BODY}${base62(crc32(Buffer.from(NPM_BODY)), 6)}`;
const b64url = (o: unknown) => Buffer.from(JSON.stringify(o)).toString("base64url");

describe("checkBase62Crc32", () => {
  it("accepts a GitHub token whose last 6 characters are the base62 CRC32 of the 30-character body", () => {
    expect(checkBase62Crc32(GH)).toBe(true);
  });
  it("accepts an npm token built the same way", () => {
    expect(NPM).toHaveLength(40);
    expect(checkBase62Crc32(NPM)).toBe(true);
  });
  it("rejects a token with one body character changed", () => {
    expect(checkBase62Crc32(`${GH.slice(0, 10)}${GH[10] === "A" ? "B" : "A"}${GH.slice(11)}`)).toBe(false);
    expect(checkBase62Crc32(`${NPM.slice(0, 5)}${NPM[5] === "z" ? "y" : "z"}${NPM.slice(6)}`)).toBe(false);
  });
  it("rejects a token with a corrupted checksum", () => {
    expect(checkBase62Crc32(`${GH.slice(0, 39)}${GH.endsWith("G") ? "H" : "G"}`)).toBe(false);
  });
  it("rejects the wrong length", () => {
    expect(checkBase62Crc32(GH.slice(0, 39))).toBe(false);
    expect(checkBase62Crc32(`${GH}0`)).toBe(false);
  });
  it("encodes base62 zero-padded, digits before upper before lower case", () => {
    expect(base62(0, 6)).toBe("000000");
    expect(base62(61, 2)).toBe("0z");
    expect(base62(62, 1)).toBe("10");
    expect(base62(36, 1)).toBe("a");
  });
});

describe("checkJwt", () => {
  const header = b64url({ alg: "HS256", typ: "JWT" });
  const payload = b64url({ sub: "svc-agent", exp: 1893456000 });
  it("accepts header.payload.signature whose header and payload are JSON and the header names alg", () => {
    expect(checkJwt(`${header}.${payload}.Zk8Lm2Xw7Rt5Yp8Nc4Vb6Hj1Sd0q8Zr2v2Lp9x9Wm4T`)).toBe(true);
  });
  it("rejects a header without alg, a payload that is not JSON, and the wrong number of parts", () => {
    expect(checkJwt(`${b64url({ typ: "JWT" })}.${payload}.sig`)).toBe(false);
    expect(checkJwt(`${header}.eyJub3QganNvbg.sig`)).toBe(false);
    expect(checkJwt(`${header}.${payload}`)).toBe(false);
  });
});

describe("checkOpenAiMarker", () => {
  it("accepts a key that embeds T3BlbkFJ and rejects one that does not", () => {
    expect(checkOpenAiMarker(`sk-proj-${"Ab3Cd4Ef5Gh6".repeat(6)}T3BlbkFJ${"Zx8Wv7Ut6Sr5".repeat(6)}`)).toBe(
      true,
    );
    expect(checkOpenAiMarker(`sk-proj-${"Ab3Cd4Ef5Gh6".repeat(12)}`)).toBe(false);
  });
});

describe("checkAnthropicSuffix", () => {
  it("accepts a key ending in AA and rejects any other ending", () => {
    expect(
      checkAnthropicSuffix(`sk-ant-api03-${"Ab3Cd4Ef5Gh6Ij7Kl8Mn9Op0".repeat(4)}Qr1St2Uv3Wx4Yz5AA`),
    ).toBe(true);
    expect(
      checkAnthropicSuffix(`sk-ant-api03-${"Ab3Cd4Ef5Gh6Ij7Kl8Mn9Op0".repeat(4)}Qr1St2Uv3Wx4Yz5AB`),
    ).toBe(false);
  });
});

describe("VALIDATORS", () => {
  it("names exactly the validators the rules can use", () => {
    expect(Object.keys(VALIDATORS).sort()).toEqual([
      "anthropic-suffix",
      "base62-crc32",
      "github-installation-jwt",
      "jwt",
      "openai-marker",
    ]);
  });

  it("checks the JWT inside a 2026-format GitHub installation token", () => {
    const b = (o: object) => Buffer.from(JSON.stringify(o)).toString("base64url");
    const jwt = `${b({ alg: "RS256", typ: "JWT" })}.${b({ iss: "42" })}.c2lnbmF0dXJlLWJ5dGVzLWhlcmU`;
    expect(VALIDATORS["github-installation-jwt"]!(`ghs_42_${jwt}`)).toBe(true);
    // A damaged header, a missing app id, a classic token: not live in this format.
    expect(VALIDATORS["github-installation-jwt"]!(`ghs_42_${jwt.slice(3)}`)).toBe(false);
    expect(VALIDATORS["github-installation-jwt"]!(`ghs__${jwt}`)).toBe(false);
    expect(VALIDATORS["github-installation-jwt"]!("ghs_phPY86BRusPkBipMyBBSd5uLRwFP2U3Ll1IO")).toBe(false);
  });
});
