import { describe, expect, it } from "vitest";
import { KeywordMatcher } from "../../src/detect/keywords.js";

const words = (m: KeywordMatcher, input: string | Uint8Array) => m.find(input).map((i) => m.keywords[i]);

describe("KeywordMatcher", () => {
  const m = new KeywordMatcher(["ghp_", "password", "pass", "akia", "://", "sk-", "sk-ant-", "é"]);

  it("finds keywords case-insensitively, ordered by first start, longest first at one start", () => {
    expect(words(m, "x PassWord=1 then GHP_abc and AKIA then https://h")).toEqual([
      "password",
      "pass",
      "ghp_",
      "akia",
      "://",
    ]);
  });

  it("finds overlapping and nested keywords", () => {
    expect(words(m, "sk-ant-api03")).toEqual(["sk-ant-", "sk-"]);
    expect(words(m, "passpassword")).toEqual(["pass", "password"]);
  });

  it("gives the same answer on a Buffer as on its latin1 string, folding latin1 case like a regex /i", () => {
    const text = "caf\u00c9 token: sk-x";
    const buf = Buffer.from(text, "latin1");
    expect(words(m, buf)).toEqual(["é", "sk-"]);
    expect(words(m, text)).toEqual(["é", "sk-"]);
    expect(/é/i.test("\u00c9")).toBe(true);
  });

  it("finds nothing in text without keywords, and handles an empty keyword list", () => {
    expect(m.find("nothing to see here")).toEqual([]);
    expect(new KeywordMatcher([]).find("password")).toEqual([]);
  });

  it("never matches a keyword outside latin1 against a latin1 view", () => {
    const u = new KeywordMatcher(["\u0100x", "ok"]);
    expect(u.find(Buffer.from("\u0100x ok", "utf8")).map((i) => u.keywords[i])).toEqual(["ok"]);
  });
});
