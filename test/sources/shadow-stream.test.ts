import { afterEach, describe, expect, it } from "vitest";
import { fingerprint } from "../../src/contract/finding.js";
import { inventory } from "../helpers/inventory.js";
import { tempTree } from "../helpers/tmp.js";

// Issue 15: the byte view's shadow (content.ts byteShadow) changes a file's bytes in place when they
// are the scan's alone (files.ts scanBytes `spare`). A streamed file's chunk is carried into the
// next chunk, so its bytes must stay as read: a value with an `à` (C3 A0) in the carried overlap is
// then reported whole, once, at its line. Values are fake, built here.

let cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups) c();
  cleanups = [];
});
const MiB = 1024 * 1024;
const CHUNK = 4 * MiB;
const OVERLAP = 64 * 1024;
const A_GRAVE = Buffer.from("à", "utf8"); // C3 A0
const NBSP = Buffer.from("\u00a0", "utf8"); // C2 A0
/** The fingerprint of the generic rule's finding of `value` in a tree file: the value, whole. */
const id = (path: string, value: string) =>
  fingerprint({ ruleId: "generic-password-assignment", source: "tree", path, subject: value });

describe("the byte shadow on streamed and small files", () => {
  it("reports values with an à in a streamed file's carried overlap, whole, once, at their lines", async () => {
    // Lines of 100 bytes, each with an à and a no-break space in a comment: every chunk has a shadow.
    const line = Buffer.concat([
      Buffer.from("// d"),
      A_GRAVE,
      Buffer.from("j"),
      A_GRAVE,
      NBSP,
      Buffer.from(" ".repeat(88)),
      Buffer.from("\n"),
    ]);
    expect(line.length).toBe(100);
    const lines = Math.ceil((9 * MiB) / 100);
    const file = Buffer.concat(Array(lines).fill(line));
    const values = ["Zq8K", "Wm3Rt", "Pv7Ly"].map((head, i) => `${head}${"à"}${"x9QbN2cT".slice(i)}Hw4`);
    // The first in the overlap the second chunk carries, the second across the first boundary, the
    // third in the second chunk's own bytes.
    const at = [CHUNK - 30_000, CHUNK - 40, 2 * CHUNK - OVERLAP - 5_000].map((o) => o - (o % 100));
    at.forEach((offset, i) => {
      const text = Buffer.from(`password = "${values[i]}"`, "utf8");
      text.copy(file, offset);
    });
    const t = tempTree({ "app.log": file });
    cleanups.push(t.cleanup);
    const res = await inventory({ sources: ["tree"], root: t.dir });
    expect(res.issues).toEqual([]);
    const rows = res.findings.map((f) => [f.ruleId, f.location.line, f.fingerprint]);
    expect(rows).toEqual(
      at.map((offset, i) => ["generic-password-assignment", offset / 100 + 1, id("app.log", values[i]!)]),
    );
  });

  it("files scanned one after another through the same read buffer keep their own bytes", async () => {
    const values = ["Zq8Kà7vW2mX9pL4", "Rt5Nà2cB8vQ1sM6"];
    const t = tempTree({
      "a.py": `# déjà\u00a0vu\npassword = "${values[0]}"\n`,
      "b.py": `# plain\npassword = "${values[1]}"\n`,
    });
    cleanups.push(t.cleanup);
    const res = await inventory({ sources: ["tree"], root: t.dir });
    expect(res.findings.map((f) => [f.location.path, f.location.line, f.fingerprint])).toEqual([
      ["a.py", 2, id("a.py", values[0]!)],
      ["b.py", 2, id("b.py", values[1]!)],
    ]);
  });
});
