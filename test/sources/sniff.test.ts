import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { sniff } from "../../src/sources/files.js";

// sniff() stops counting once the answer cannot change (issue 15: the binary files of a tree were
// counted byte by byte to the end). This reference counts everything, as sniff() did before.
function reference(buf: Uint8Array): string {
  const n = Math.min(buf.length, 8000);
  if (n >= 2 && buf[0] === 0xff && buf[1] === 0xfe) return "utf16le-bom";
  if (n >= 2 && buf[0] === 0xfe && buf[1] === 0xff) return "utf16be-bom";
  if (!buf.subarray(0, n).includes(0)) return "text";
  const units = n >> 1;
  let le = 0;
  let be = 0;
  for (let i = 0; i + 1 < n; i += 2) {
    if (buf[i + 1] === 0 && buf[i] !== 0) le++;
    else if (buf[i] === 0 && buf[i + 1] !== 0) be++;
  }
  if (units > 0 && le * 4 >= units * 3) return "utf16le";
  if (units > 0 && be * 4 >= units * 3) return "utf16be";
  let controls = 0;
  for (let i = 0; i < n; i++) {
    const b = buf[i]!;
    if ((b < 0x20 && ![0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x1b].includes(b)) || b === 0x7f) controls++;
  }
  return controls >= 4 && controls * 32 > n ? "binary" : "text";
}

function label(buf: Uint8Array): string {
  const s = sniff(buf);
  if (s.kind === "utf16") return `utf16${s.bigEndian ? "be" : "le"}${s.bomBytes ? "-bom" : ""}`;
  return s.kind;
}

describe("sniff stops early with the same verdict", () => {
  it("agrees with a full count on random mixes of NULs, controls, ASCII and UTF-16", () => {
    // Bytes drawn so that every verdict occurs, near each threshold too.
    const byte = fc.oneof(
      { weight: 4, arbitrary: fc.constantFrom(0x00) },
      { weight: 6, arbitrary: fc.integer({ min: 0x20, max: 0x7e }) },
      { weight: 1, arbitrary: fc.integer({ min: 0x01, max: 0x1f }) },
      { weight: 1, arbitrary: fc.integer({ min: 0x80, max: 0xff }) },
    );
    fc.assert(
      fc.property(fc.array(byte, { minLength: 0, maxLength: 9000, size: "max" }), (bytes) => {
        const buf = Uint8Array.from(bytes);
        expect(label(buf)).toBe(reference(buf));
      }),
      { numRuns: 500 },
    );
  });

  it("decides at the exact thresholds", () => {
    // 4 units in 4 hold ASCII + NUL (little-endian) but one: 3 in 4 is UTF-16, fewer is not.
    const utf16 = (n: number, good: number) => {
      const b = new Uint8Array(n * 2).fill(0);
      for (let i = 0; i < good; i++) b[i * 2] = 0x61;
      return b;
    };
    expect(label(utf16(100, 75))).toBe("utf16le");
    expect(label(utf16(100, 74))).toBe(reference(utf16(100, 74)));
    expect(reference(utf16(100, 74))).toBe("binary");
    // Controls: more than 1 in 32 (and at least 4) is binary.
    const controls = (n: number, c: number) => {
      const b = new Uint8Array(n).fill(0x61);
      for (let i = 0; i < c; i++) b[n - 1 - i * 7] = 0x01;
      b[0] = 0;
      return b;
    };
    expect(label(controls(3200, 100))).toBe("binary"); // 101 with the NUL: 101 * 32 > 3200
    expect(label(controls(3200, 99))).toBe("text"); // 100 * 32 = 3200
    expect(label(controls(64, 2))).toBe("text"); // 3 controls: under 4
    expect(label(controls(64, 3))).toBe("binary");
  });
});
