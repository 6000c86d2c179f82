import { describe, expect, it } from "vitest";
import { mapStrings } from "../../src/util/map-strings.js";

// src/util/map-strings.ts: every string of a JSON-like value through a function, except under
// skipped keys (redaction and escaping of whole reports).

describe("mapStrings", () => {
  const upper = (s: string) => s.toUpperCase();

  it("maps every string at any depth, in arrays and objects, and keeps other values", () => {
    const value = { a: "x", b: ["y", { c: "z", n: 1, t: true, u: null }], d: 2.5, e: [] as unknown[] };
    expect(mapStrings(value, upper, new Set())).toStrictEqual({
      a: "X",
      b: ["Y", { c: "Z", n: 1, t: true, u: null }],
      d: 2.5,
      e: [],
    });
  });

  it("leaves the values under a skipped key untouched, at any depth, and maps the keys never", () => {
    const value = { fingerprint: "abc", keep: "abc", nested: { fingerprint: ["abc"], other: "abc" } };
    expect(mapStrings(value, upper, new Set(["fingerprint"]))).toStrictEqual({
      fingerprint: "abc",
      keep: "ABC",
      nested: { fingerprint: ["abc"], other: "ABC" },
    });
  });

  it("returns a new value and leaves the input as it was", () => {
    const value = { a: ["x"], b: { c: "y" } };
    const out = mapStrings(value, upper, new Set());
    expect(value).toStrictEqual({ a: ["x"], b: { c: "y" } });
    expect(out).not.toBe(value);
    expect(out.a).not.toBe(value.a);
    expect(out.b).not.toBe(value.b);
  });

  it("keeps key order (the reports' golden files depend on it)", () => {
    const out = mapStrings({ z: "1", a: "2", m: { y: "3", b: "4" } }, upper, new Set());
    expect(Object.keys(out)).toEqual(["z", "a", "m"]);
    expect(Object.keys(out.m)).toEqual(["y", "b"]);
  });

  it("maps a bare string, and passes a bare number through", () => {
    expect(mapStrings("abc", upper, new Set())).toBe("ABC");
    expect(mapStrings(3, upper, new Set())).toBe(3);
  });
});
