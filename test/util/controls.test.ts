import { describe, expect, it } from "vitest";
import {
  escapeControls,
  escapeJsonControls,
  escapeStreamControls,
  hasControls,
} from "../../src/util/controls.js";

// src/util/controls.ts: agent-written names must not drive the terminal (issue 8, item 6).

describe("escapeControls", () => {
  it("escapes C0, DEL and C1 controls into visible ASCII", () => {
    expect(escapeControls("a\nb\rc\td")).toBe("a\\nb\\rc\\td");
    expect(escapeControls("\x1b[2J\x07")).toBe("\\x1b[2J\\x07");
    expect(escapeControls("\x00\x7f\x85\x9b")).toBe("\\x00\\x7f\\x85\\x9b");
  });

  it("escapes bidi controls, zero-width characters, the BOM and the line separators", () => {
    expect(escapeControls("a\u202eb\u2066c\u200ed\u061c")).toBe("a\\u202eb\\u2066c\\u200ed\\u061c");
    expect(escapeControls("\u200b\u200d\u2060\ufeff\u2028\u2029")).toBe(
      "\\u200b\\u200d\\u2060\\ufeff\\u2028\\u2029",
    );
  });

  it("leaves other text, non-ASCII letters and emoji included, unchanged", () => {
    const text = "déjà vu – ü 日本 \u{1F600} \u00a0 ~";
    expect(escapeControls(text)).toBe(text);
    expect(hasControls(text)).toBe(false);
    expect(hasControls("a\u202eb")).toBe(true);
    expect(hasControls("\n")).toBe(true);
  });
});

describe("escapeJsonControls", () => {
  it("turns the controls JSON.stringify leaves raw into \\u escapes, the same data", () => {
    const value = { name: "a\u202eb\x7f\x85\u2028" };
    const json = escapeJsonControls(JSON.stringify(value));
    expect(json).toBe('{"name":"a\\u202eb\\u007f\\u0085\\u2028"}');
    expect(JSON.parse(json)).toStrictEqual(value);
  });
});

describe("escapeStreamControls", () => {
  it("keeps newlines and our own colours and line erase; escapes every other control", () => {
    expect(escapeStreamControls("ok\n\x1b[31mred\x1b[0m\n")).toBe("ok\n\x1b[31mred\x1b[0m\n");
    expect(escapeStreamControls("\r\x1b[2Kprogress")).toBe("\r\x1b[2Kprogress");
    expect(escapeStreamControls("a\rb\x1b]8;;http://x\x07c\n")).toBe("a\\rb\\x1b]8;;http://x\\x07c\n");
    expect(escapeStreamControls("x\u202ey\n\tz")).toBe("x\\u202ey\n\\tz");
  });

  it("lets through only the SGR codes the table uses: conceal, blink, combined codes are escaped (issue 9 review)", () => {
    for (const own of ["\x1b[1m", "\x1b[2m", "\x1b[22m", "\x1b[31m", "\x1b[36m", "\x1b[39m", "\x1b[90m"])
      expect(escapeStreamControls(`${own}x`)).toBe(`${own}x`);
    expect(escapeStreamControls("\x1b[8mhidden\x1b[28m")).toBe("\\x1b[8mhidden\\x1b[28m");
    expect(escapeStreamControls("\x1b[5mblink")).toBe("\\x1b[5mblink");
    expect(escapeStreamControls("\x1b[1;8mx")).toBe("\\x1b[1;8mx");
  });
});
