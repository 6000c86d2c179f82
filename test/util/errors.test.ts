import { describe, expect, it } from "vitest";
import { safeMessage, UsageError } from "../../src/util/errors.js";

// src/util/errors.ts: the one-line user error, and the only text of a foreign error that may be
// printed (parser and fs messages can quote the content they choke on: a line holding a secret).

describe("UsageError", () => {
  it("carries its message and hint, and is named", () => {
    const e = new UsageError("--root /x: no such directory", "pass an existing directory to --root");
    expect(e).toBeInstanceOf(Error);
    expect(e.name).toBe("UsageError");
    expect(e.message).toBe("--root /x: no such directory");
    expect(e.hint).toBe("pass an existing directory to --root");
    expect(new UsageError("bad").hint).toBeUndefined();
  });
});

describe("safeMessage", () => {
  const fsError = (code: string, message: string) => Object.assign(new Error(message), { code });

  it("names a known fs error by its meaning and code, never by its message", () => {
    const secret = "Zq8Vx-K3pW7mR2tY9nL4";
    expect(safeMessage(fsError("EACCES", `open '/home/a/${secret}'`))).toBe("permission denied (EACCES)");
    expect(safeMessage(fsError("ENOENT", secret))).toBe("no such file or directory (ENOENT)");
    expect(safeMessage(fsError("ELOOP", secret))).toBe("too many levels of symbolic links (ELOOP)");
    expect(safeMessage(fsError("EMFILE", secret))).toBe("too many open files (EMFILE)");
  });

  it("an other E-code is shown bare", () => {
    expect(safeMessage(fsError("ENOSPC", "no space: /data/x"))).toBe("ENOSPC");
  });

  it("anything else is its class name: a parser's message may quote the secret", () => {
    expect(safeMessage(new SyntaxError("Unexpected token 'ghp_abc' in JSON"))).toBe("SyntaxError");
    expect(safeMessage(new TypeError("x"))).toBe("TypeError");
    // A code that is not an errno name (Node's ERR_*, lowercase, a number) does not count.
    expect(safeMessage(Object.assign(new RangeError("m"), { code: "ERR_OUT_OF_RANGE" }))).toBe("RangeError");
    expect(safeMessage(Object.assign(new Error("m"), { code: "eacces" }))).toBe("Error");
    expect(safeMessage(Object.assign(new Error("m"), { code: 13 }))).toBe("Error");
  });

  it("a thrown non-error is an unknown error", () => {
    expect(safeMessage("a string with a secret")).toBe("unknown error");
    expect(safeMessage(undefined)).toBe("unknown error");
    expect(safeMessage(null)).toBe("unknown error");
    expect(safeMessage(42)).toBe("unknown error");
    expect(safeMessage({ name: 7 })).toBe("unknown error");
  });
});
