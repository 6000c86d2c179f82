import { afterEach, describe, expect, it } from "vitest";
import { inventory } from "../helpers/inventory.js";
import { tempTree } from "../helpers/tmp.js";

// Review of 6f6c14c (UTF-16 shortcut): for a UTF-16 file of ASCII text with a BOM, the NUL-stripped
// view is scanned only in a head of 2 + 2 * CHUNK_OVERLAP bytes, reporting matches that start in the
// first CHUNK_CONTEXT characters. A match that starts there but runs past the head's end is cut by
// the head: pgp-private-key's body takes up to 60,000 characters and needs no end marker, so the
// head reports a truncated body beside the whole one the decoded view finds. The UTF-8 twin of the
// same text (and the same file before the shortcut) has one finding.

let cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups) c();
  cleanups = [];
});

/** A fake armoured key body built at run time from a seeded generator (never a real key). */
function body(chars: number): string {
  let s = 12345;
  const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  let out = "";
  while (out.length < chars) {
    for (let i = 0; i < 64; i++) {
      s ^= s << 13;
      s >>>= 0;
      s ^= s >>> 17;
      s ^= s << 5;
      s >>>= 0;
      out += B64[s % 64];
    }
    out += "\n";
  }
  return out;
}

describe("UTF-16 with a BOM: the stripped head does not cut a long match (review)", () => {
  it("a PGP key block 7,000 characters in is one finding, as in its UTF-8 twin", async () => {
    const text = `${"x".repeat(7000)}\n-----BEGIN PGP ${"PRIVATE"} KEY BLOCK-----\n\n${body(70_000)}-----END PGP ${"PRIVATE"} KEY BLOCK-----\n`;
    const t = tempTree(
      {
        "key.utf8.asc": text,
        "key.le-bom.asc": Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, "utf16le")]),
        "key.be-bom.asc": Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(text, "utf16le").swap16()]),
      },
      "aa-utf16-review-",
    );
    cleanups.push(t.cleanup);
    const res = await inventory({ sources: ["tree"], root: t.dir });
    const of = (file: string) =>
      res.findings.filter((f) => f.location.path === file).map((f) => `${f.ruleId}:${f.location.line}`);
    expect(of("key.utf8.asc")).toEqual(["pgp-private-key:4"]);
    expect(of("key.le-bom.asc")).toEqual(["pgp-private-key:4"]);
    expect(of("key.be-bom.asc")).toEqual(["pgp-private-key:4"]);
  });
});
