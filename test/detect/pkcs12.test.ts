import { execFileSync } from "node:child_process";
import { createHash, createHmac, pbkdf2Sync } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PARSERS } from "../../src/detect/parsers/index.js";
import { judgePkcs12, MAX_ITERATIONS, pkcs12MacKey } from "../../src/detect/parsers/pkcs12.js";
import { defaultRules, ruleCatalog } from "../../src/rules/catalog.js";
import { cli } from "../helpers/cli.js";
import { inventory } from "../helpers/inventory.js";
import { tempTree } from "../helpers/tmp.js";

// Issue 15: PKCS#12 key stores (.p12 / .pfx) judged by their MAC (src/detect/parsers/pkcs12.ts).
// The key stores are made here with `openssl pkcs12 -export` from a throwaway EC key (nothing is
// committed); the passwords other than the two defaults are made up for this test. PBMAC1 (RFC
// 9579) and BER encodings, which OpenSSL 3.0 does not write, are built by the DER/BER helpers below.

const STRONG = "Vq8-stub-Pw-42xLm"; // a made-up "strong" password: must never be printed
const GCP = "notasecret";

function hasOpenssl(): boolean {
  try {
    execFileSync("openssl", ["version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}
const OPENSSL = hasOpenssl();

const files: Record<string, Buffer> = {};

beforeAll(() => {
  if (!OPENSSL) return;
  const scratch = tempTree({ "gen/.keep": "" });
  const g = join(scratch.dir, "gen");
  execFileSync(
    "openssl",
    [
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:P-256",
      "-nodes",
      "-keyout",
      join(g, "key.pem"),
      "-out",
      join(g, "cert.pem"),
      "-days",
      "2",
      "-subj",
      "/CN=agent-audit pkcs12 test",
    ],
    { stdio: "ignore" },
  );
  const make = (name: string, password: string, ...opts: string[]) => {
    execFileSync(
      "openssl",
      [
        "pkcs12",
        "-export",
        "-in",
        join(g, "cert.pem"),
        "-inkey",
        join(g, "key.pem"),
        "-out",
        join(g, name),
        "-passout",
        `pass:${password}`,
        ...opts,
      ],
      { stdio: "ignore" },
    );
    files[name] = readFileSync(join(g, name));
  };
  make("gcp.p12", GCP);
  make("empty.pfx", "");
  make("legacy-empty.p12", "", "-legacy");
  make("legacy-gcp.P12", GCP, "-legacy");
  make("sha512.p12", GCP, "-macalg", "sha512");
  make("sha1.p12", "", "-macalg", "sha1");
  make("clear.p12", STRONG, "-keypbe", "NONE", "-certpbe", "NONE");
  make("strong.p12", STRONG);
  make("strong-legacy.p12", STRONG, "-legacy");
  make("nomac.p12", GCP, "-nomac");
  make("iter.p12", GCP, "-iter", String(MAX_ITERATIONS * 2));
  make("certs-only.p12", "", "-nokeys", "-certpbe", "NONE");
  scratch.cleanup();
});

// --- DER / BER builders for the shapes OpenSSL 3.0 does not write ------------------------------

function len(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}
const der = (tag: number, ...body: Buffer[]) => {
  const b = Buffer.concat(body);
  return Buffer.concat([Buffer.from([tag]), len(b.length), b]);
};
/** BER indefinite length: tag, 0x80, contents, end-of-contents. */
const ber = (tag: number, ...body: Buffer[]) =>
  Buffer.concat([Buffer.from([tag, 0x80]), ...body, Buffer.from([0, 0])]);
const seq = (...b: Buffer[]) => der(0x30, ...b);
const oid = (hex: string) => der(0x06, Buffer.from(hex, "hex"));
const octet = (b: Buffer) => der(0x04, b);
const int = (n: number) => {
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  if (bytes.length === 0 || bytes[0]! & 0x80) bytes.unshift(0);
  return der(0x02, Buffer.from(bytes));
};
const ctx0 = (...b: Buffer[]) => der(0xa0, ...b);
const NULL = Buffer.from([0x05, 0x00]);
const OID = {
  data: "2a864886f70d010701",
  keyBag: "2a864886f70d010c0a0101",
  shrouded: "2a864886f70d010c0a0102",
  sha256: "608648016503040201",
  pbmac1: "2a864886f70d01050e",
  pbkdf2: "2a864886f70d01050c",
  hmacSha256: "2a864886f70d0209",
  hmacSha512: "2a864886f70d020b",
};

/** An AuthenticatedSafe holding one clear SafeContents with one bag (its value: filler bytes). */
function authSafe(bagOid: string): Buffer {
  const bag = seq(oid(bagOid), ctx0(seq(Buffer.alloc(40, 7))));
  return seq(seq(oid(OID.data), ctx0(octet(seq(bag)))));
}

function pfx(content: Buffer, macData?: Buffer): Buffer {
  return seq(int(3), seq(oid(OID.data), ctx0(octet(content))), ...(macData ? [macData] : []));
}

/** A classic PKCS#12 MAC (RFC 7292 B.2 key, HMAC-SHA-256) over `content` with `password` (BMPString bytes). */
function sha256Mac(content: Buffer, password: Buffer, salt: Buffer, iterations: number): Buffer {
  const key = pkcs12MacKey({ name: "sha256", u: 32, v: 64 }, password, salt, iterations);
  const digest = createHmac("sha256", key).update(content).digest();
  return seq(seq(seq(oid(OID.sha256), NULL), octet(digest)), octet(salt), int(iterations));
}

/** A PBMAC1 MacData (RFC 9579): PBKDF2-HMAC-SHA256 key, HMAC-SHA512 over the content, UTF-8 password. */
function pbmac1(content: Buffer, password: string, iterations: number): Buffer {
  const salt = Buffer.from("0123456789abcdef");
  const key = pbkdf2Sync(Buffer.from(password, "utf8"), salt, iterations, 64, "sha256");
  const digest = createHmac("sha512", key).update(content).digest();
  const params = seq(
    seq(oid(OID.pbkdf2), seq(octet(salt), int(iterations), int(64), seq(oid(OID.hmacSha256), NULL))),
    seq(oid(OID.hmacSha512), NULL),
  );
  // The MacData's own salt and iteration count are placeholders PBMAC1 ignores.
  return seq(seq(seq(oid(OID.pbmac1), params), octet(digest)), octet(Buffer.from("NOT USED")), int(1));
}

const bmp = (s: string) => {
  const b = Buffer.alloc(s.length * 2 + 2);
  for (let i = 0; i < s.length; i++) b.writeUInt16BE(s.charCodeAt(i), i * 2);
  return b;
};

// --- the verdicts -------------------------------------------------------------------------------

describe.skipIf(!OPENSSL)("judgePkcs12 on key stores exported by openssl", () => {
  it.each([
    ["gcp.p12", { verdict: "opens", how: "gcp-notasecret" }],
    ["empty.pfx", { verdict: "opens", how: "empty" }],
    ["legacy-empty.p12", { verdict: "opens", how: "empty" }],
    ["legacy-gcp.P12", { verdict: "opens", how: "gcp-notasecret" }],
    ["sha512.p12", { verdict: "opens", how: "gcp-notasecret" }],
    ["sha1.p12", { verdict: "opens", how: "empty" }],
    ["clear.p12", { verdict: "opens", how: "clear-key" }],
    ["strong.p12", { verdict: "locked" }],
    ["strong-legacy.p12", { verdict: "locked" }],
    ["nomac.p12", { verdict: "unchecked", why: "no-mac" }],
    ["iter.p12", { verdict: "unchecked", why: "iterations", iterations: MAX_ITERATIONS * 2 }],
    ["certs-only.p12", { verdict: "no-key" }],
  ])("%s", (name, want) => {
    expect(judgePkcs12(files[name]!)).toEqual(want);
  });

  it("truncated, empty, random and text files are not key stores", () => {
    const gcp = files["gcp.p12"]!;
    for (const n of [1, 2, 4, 20, 200, gcp.length - 1])
      expect(judgePkcs12(gcp.subarray(0, n)).verdict).toBe("not-pfx");
    expect(judgePkcs12(Buffer.alloc(0))).toEqual({ verdict: "not-pfx", reason: "empty" });
    expect(judgePkcs12(createHash("sha512").update("seed").digest())).toEqual({
      verdict: "not-pfx",
      reason: "not a PFX",
    });
    expect(
      judgePkcs12(Buffer.from("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n")).verdict,
    ).toBe("not-pfx");
  });

  it("a corrupted MAC digest does not open", () => {
    const b = Buffer.from(files["gcp.p12"]!);
    // The MacData ends the file: ... digest OCTET STRING(32), salt OCTET STRING(8), INTEGER 2048.
    const digestEnd = b.length - 4 - 10;
    b[digestEnd - 1]! ^= 0xff;
    expect(judgePkcs12(b)).toEqual({ verdict: "locked" });
  });
});

describe("judgePkcs12 on hand-built PFX encodings", () => {
  const content = authSafe(OID.shrouded);

  it("the empty password as two zero bytes and as no bytes at all", () => {
    const salt = Buffer.from("saltsalt");
    expect(judgePkcs12(pfx(content, sha256Mac(content, bmp(""), salt, 3)))).toEqual({
      verdict: "opens",
      how: "empty",
    });
    expect(judgePkcs12(pfx(content, sha256Mac(content, Buffer.alloc(0), salt, 3)))).toEqual({
      verdict: "opens",
      how: "empty",
    });
    expect(judgePkcs12(pfx(content, sha256Mac(content, bmp(STRONG), salt, 3)))).toEqual({
      verdict: "locked",
    });
  });

  it("iterations DEFAULT 1 (absent) and the cap itself", () => {
    const salt = Buffer.from("s");
    // A MacData without its INTEGER (DER omits a DEFAULT value): one iteration.
    const key = pkcs12MacKey({ name: "sha256", u: 32, v: 64 }, bmp(GCP), salt, 1);
    const digest = createHmac("sha256", key).update(content).digest();
    const withoutIter = seq(seq(seq(oid(OID.sha256), NULL), octet(digest)), octet(salt));
    expect(judgePkcs12(pfx(content, withoutIter))).toEqual({ verdict: "opens", how: "gcp-notasecret" });
    expect(judgePkcs12(pfx(content, sha256Mac(content, bmp(GCP), salt, MAX_ITERATIONS)))).toEqual({
      verdict: "opens",
      how: "gcp-notasecret",
    });
  });

  it("PBMAC1 (RFC 9579): PBKDF2 over the UTF-8 password, then the HMAC", () => {
    expect(judgePkcs12(pfx(content, pbmac1(content, GCP, 1000)))).toEqual({
      verdict: "opens",
      how: "gcp-notasecret",
    });
    expect(judgePkcs12(pfx(content, pbmac1(content, "", 1000)))).toEqual({ verdict: "opens", how: "empty" });
    expect(judgePkcs12(pfx(content, pbmac1(content, STRONG, 1000)))).toEqual({ verdict: "locked" });
    expect(judgePkcs12(pfx(content, pbmac1(content, GCP, MAX_ITERATIONS + 1)))).toEqual({
      verdict: "unchecked",
      why: "iterations",
      iterations: MAX_ITERATIONS + 1,
    });
  });

  it("BER: indefinite lengths and a constructed OCTET STRING in chunks; the MAC covers the joined octets", () => {
    const mac = sha256Mac(content, bmp(GCP), Buffer.from("saltsalt"), 5);
    const chunks = [content.subarray(0, 10), content.subarray(10, 11), content.subarray(11)];
    const constructed = ber(0x24, octet(chunks[0]!), ber(0x24, octet(chunks[1]!)), octet(chunks[2]!));
    const file = ber(0x30, int(3), ber(0x30, oid(OID.data), ber(0xa0, constructed)), mac);
    expect(judgePkcs12(file)).toEqual({ verdict: "opens", how: "gcp-notasecret" });
    // An unterminated indefinite length is not a PFX.
    expect(judgePkcs12(file.subarray(0, file.length - 2)).verdict).toBe("not-pfx");
  });

  it("a key bag in clear opens whatever the MAC; certificates only are not reported", () => {
    const clear = authSafe(OID.keyBag);
    expect(judgePkcs12(pfx(clear, sha256Mac(clear, bmp(STRONG), Buffer.from("x"), 1)))).toEqual({
      verdict: "opens",
      how: "clear-key",
    });
    expect(judgePkcs12(pfx(clear))).toEqual({ verdict: "opens", how: "clear-key" });
    const certs = authSafe("2a864886f70d010c0a0103"); // certBag
    expect(judgePkcs12(pfx(certs, sha256Mac(certs, bmp(STRONG), Buffer.from("x"), 1)))).toEqual({
      verdict: "no-key",
    });
  });

  it("not a PFX: wrong version, unknown content type, MAC fields of the wrong types", () => {
    const ok = pfx(content, sha256Mac(content, bmp(GCP), Buffer.from("x"), 1));
    expect(judgePkcs12(ok).verdict).toBe("opens");
    expect(judgePkcs12(seq(int(2), seq(oid(OID.data), ctx0(octet(content))))).verdict).toBe("not-pfx");
    expect(judgePkcs12(seq(int(3), seq(oid(OID.keyBag), ctx0(octet(content))))).verdict).toBe("not-pfx");
    expect(judgePkcs12(pfx(content, seq(int(1), int(2)))).verdict).toBe("not-pfx");
    // An unknown MAC digest: a key store whose password is not checked.
    const odd = seq(seq(seq(oid("2a03"), NULL), octet(Buffer.alloc(32))), octet(Buffer.from("x")), int(1));
    expect(judgePkcs12(pfx(content, odd))).toEqual({ verdict: "unchecked", why: "unsupported-mac" });
  });
});

describe("hostile bytes", () => {
  it("random bytes, and random edits of a real PFX, never throw", () => {
    const base = pfx(authSafe(OID.shrouded), sha256Mac(authSafe(OID.shrouded), bmp(""), Buffer.from("x"), 2));
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2048 }), (bytes) => {
        expect(() => judgePkcs12(bytes)).not.toThrow();
      }),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(base.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }),
        fc.nat(base.length),
        (edits, cut) => {
          const b = Buffer.from(base);
          for (const [i, v] of edits) b[i] = v;
          const v = judgePkcs12(b.subarray(0, cut));
          expect(["not-pfx", "opens", "locked", "unchecked", "no-key"]).toContain(v.verdict);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it("floods of nested indefinite lengths, constructed strings and tiny elements run in linear time", () => {
    const floods = (n: number) => [
      Buffer.concat([Buffer.alloc(n, 0x30).map((_, i) => (i % 2 ? 0x80 : 0x30))]), // 30 80 30 80 ...
      Buffer.concat([
        Buffer.from([0x30, 0x80, 0x02, 0x01, 0x03, 0x30, 0x80]),
        Buffer.alloc(n, 0x24).map((_, i) => (i % 2 ? 0x80 : 0x24)),
      ]),
      Buffer.concat([
        Buffer.from([0x30, 0x84, 0x7f, 0xff, 0xff, 0xff]),
        Buffer.alloc(n, 0x05).map((_, i) => (i % 2 ? 0 : 5)),
      ]),
      Buffer.concat([Buffer.from([0x30, 0x80]), Buffer.alloc(n, 0x05).map((_, i) => (i % 2 ? 0 : 5))]),
    ];
    const time = (n: number) =>
      floods(n).map((b) => {
        const t0 = performance.now();
        expect(judgePkcs12(b).verdict).toBe("not-pfx");
        return performance.now() - t0;
      });
    time(1 << 16); // warm up
    const small = time(1 << 20);
    const big = time(1 << 22);
    for (let i = 0; i < small.length; i++) expect(big[i]!, `flood ${i}`).toBeLessThan(8 * small[i]! + 100);
  });

  it("a file over the size cap is not parsed", () => {
    expect(judgePkcs12(Buffer.alloc(4 * 1024 * 1024 + 1, 0x30))).toEqual({
      verdict: "not-pfx",
      reason: "too large",
    });
  });
});

// --- through the scanner: exact file, line, rule, severity ----------------------------------------

describe.skipIf(!OPENSSL)("PKCS#12 files through the inventory", () => {
  let planted: ReturnType<typeof tempTree>;
  beforeAll(() => {
    const put: Record<string, Buffer | string> = {};
    for (const [name, bytes] of Object.entries(files)) put[`work/certs/${name}`] = bytes;
    put["work/certs/empty-file.p12"] = Buffer.alloc(0);
    put["work/certs/random.pfx"] = createHash("sha512").update("random").digest();
    put["work/certs/truncated.p12"] = files["gcp.p12"]!.subarray(0, 200);
    put["work/certs/bundle.pfx"] = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
    put["home/Downloads/svc-key.p12"] = files["gcp.p12"]!;
    put["home/.ssh/client.pfx"] = files["strong.p12"]!;
    put["home/deep/er/not-listed.p12"] = files["gcp.p12"]!;
    planted = tempTree(put);
  });
  afterAll(() => planted.cleanup());

  it("reports each key store with its verdict, and nothing for the files that are not key stores", async () => {
    const res = await inventory({
      sources: ["home", "tree"],
      home: join(planted.dir, "home"),
      root: join(planted.dir, "work"),
    });
    const got = res.findings
      .map(
        (f) => `${f.location.source} ${f.location.path}:${f.location.line ?? "-"} ${f.ruleId} ${f.severity}`,
      )
      .sort();
    expect(got).toEqual([
      "home .ssh/client.pfx:- home-pkcs12-keystore low",
      "home Downloads/svc-key.p12:- pkcs12-default-password critical",
      "tree certs/clear.p12:- pkcs12-default-password critical",
      "tree certs/empty.pfx:- pkcs12-default-password critical",
      "tree certs/gcp.p12:- pkcs12-default-password critical",
      "tree certs/iter.p12:- tree-pkcs12-keystore low",
      "tree certs/legacy-empty.p12:- pkcs12-default-password critical",
      "tree certs/legacy-gcp.P12:- pkcs12-default-password critical",
      "tree certs/nomac.p12:- tree-pkcs12-keystore low",
      "tree certs/sha1.p12:- pkcs12-default-password critical",
      "tree certs/sha512.p12:- pkcs12-default-password critical",
      "tree certs/strong-legacy.p12:- tree-pkcs12-keystore low",
      "tree certs/strong.p12:- tree-pkcs12-keystore low",
    ]);
    const byPath = new Map(res.findings.map((f) => [f.location.path, f]));
    expect(byPath.get("certs/gcp.p12")?.title).toBe(
      "PKCS#12 key store (.p12 / .pfx) that opens without its owner's password: it opens with the published default password of Google Cloud P12 keys",
    );
    expect(byPath.get("certs/clear.p12")?.title).toMatch(/: its private key is stored unencrypted$/);
    expect(byPath.get("certs/nomac.p12")?.title).toBe(
      "PKCS#12 key store (.p12 / .pfx) in the working tree: password not checked (no MAC (exported with -nomac))",
    );
    expect(byPath.get("certs/gcp.p12")?.secret).toEqual({
      provider: "pkcs12",
      type: "private-key",
      preview: "pkcs…(78)",
    });
    expect(res.issues.filter((i) => i.where.includes("p12") || i.where.includes("pfx"))).toEqual([
      {
        where: "certs/iter.p12",
        message: `PKCS#12 MAC not checked: ${MAX_ITERATIONS * 2} iterations, over the cap of ${MAX_ITERATIONS}`,
      },
    ]);
  });

  it("disabling the path rule disables the default-password finding of the files it selects", async () => {
    const res = await inventory({
      sources: ["tree"],
      root: join(planted.dir, "work"),
      disabledRules: new Set(["tree-pkcs12-keystore"]),
    });
    expect(res.findings.filter((f) => f.location.path?.startsWith("certs/"))).toEqual([]);
  });

  for (const format of ["json", "table", "sarif", "markdown"]) {
    it(`--format ${format}: the passwords never appear in the output`, async () => {
      const r = await cli([
        "scan",
        "--sources",
        "home,tree",
        "--root",
        join(planted.dir, "work"),
        "--home",
        join(planted.dir, "home"),
        "--format",
        format,
      ]);
      expect(r.code, r.stderr).toBe(1);
      const out = r.stdout + r.stderr;
      expect(out).toContain(format === "sarif" ? "pkcs12-default-password" : "certs/gcp.p12");
      expect(out).not.toContain(GCP);
      expect(out).not.toContain(STRONG);
      expect(out).not.toContain(STRONG.slice(4, 12));
    });
  }
});

describe("the catalog", () => {
  it("registers the parser and declares the new rule; the path rules use it", () => {
    expect(typeof PARSERS.pkcs12).toBe("function");
    const cat = ruleCatalog(defaultRules());
    expect(cat.find((r) => r.id === "pkcs12-default-password")).toMatchObject({
      severity: "critical",
      kind: "secret",
      control: "secret-inventory",
    });
    const paths = defaultRules().paths.filter((r) => r.id.endsWith("pkcs12-keystore"));
    expect(paths.map((r) => [r.id, r.parser, r.severity, r.textScan])).toEqual([
      ["home-pkcs12-keystore", "pkcs12", "low", false],
      ["tree-pkcs12-keystore", "pkcs12", "low", false],
    ]);
  });
});
