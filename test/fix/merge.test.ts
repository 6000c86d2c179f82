import fc from "fast-check";
import { parse as parseJsonc } from "jsonc-parser";
import { parse as parseToml } from "smol-toml";
import { describe, expect, it } from "vitest";
import { unifiedDiff } from "../../src/fix/diff.js";
import {
  isPlainObject,
  MergeError,
  mergeJson,
  mergeToml,
  mergeValues,
  mergeYaml,
} from "../../src/fix/merge.js";

// Issue 12 `--apply`: generated keys win for scalars, lists are unioned (the user's order, then the
// new entries), objects merge recursively, the user's other keys stay; a merge that changes nothing
// returns the text as it was.

const key = fc.constantFrom("a", "b", "model", "hooks", "deny", "x y", "é");
const scalar = fc.oneof(fc.string({ maxLength: 6 }), fc.integer(), fc.boolean(), fc.constant(null));
const { value } = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    scalar,
    fc.array(fc.oneof(scalar, tie("object")), { maxLength: 4 }),
    tie("object"),
  ),
  object: fc.dictionary(key, tie("value"), { maxKeys: 4 }),
}));
const object = fc.dictionary(key, value, { maxKeys: 5 });

/** Every key of `user` is still in `out`, except where the generated side put a non-object over an object. */
function userKeysKept(user: unknown, gen: unknown, out: unknown): boolean {
  if (!isPlainObject(user)) return true;
  if (gen !== undefined && !isPlainObject(gen)) return true;
  if (!isPlainObject(out)) return false;
  return Object.keys(user).every(
    (k) => Object.hasOwn(out, k) && userKeysKept(user[k], isPlainObject(gen) ? gen[k] : undefined, out[k]),
  );
}

/** Every generated key is in `out`: scalars equal, list entries all present, objects recursively. */
function generatedPresent(gen: unknown, out: unknown): boolean {
  if (isPlainObject(gen))
    return (
      isPlainObject(out) &&
      Object.keys(gen).every((k) => Object.hasOwn(out, k) && generatedPresent(gen[k], out[k]))
    );
  if (Array.isArray(gen))
    return (
      Array.isArray(out) &&
      gen.every((g) =>
        out.some((o) => JSON.stringify(mergeValues(o, g)) === JSON.stringify(o) && generatedPresent(g, o)),
      )
    );
  return JSON.stringify(gen) === JSON.stringify(out);
}

describe("mergeJson", () => {
  it("property: user keys never lost, generated keys present, the merge is mergeValues, merging twice equals once", () => {
    fc.assert(
      fc.property(object, object, fc.boolean(), (user, gen, comment) => {
        let text = JSON.stringify(user, null, 2);
        if (comment) text = `// the user's comment\n${text}\n`;
        const once = mergeJson(text, JSON.stringify(gen));
        const out = parseJsonc(once.text) as unknown;
        expect(out).toEqual(mergeValues(user, gen));
        expect(userKeysKept(user, gen, out)).toBe(true);
        expect(generatedPresent(gen, out)).toBe(true);
        if (comment) expect(once.text.startsWith("// the user's comment\n")).toBe(true);
        const twice = mergeJson(once.text, JSON.stringify(gen));
        expect(twice.changed).toBe(false);
        expect(twice.text).toBe(once.text);
      }),
      { numRuns: 300 },
    );
  });

  it("keeps comments and the user's formatting outside the edited values; tabs are kept", () => {
    const cur = '{\n\t// why\n\t"model": "opus", /* inline */\n\t"list": [1, 2]\n}\n';
    const r = mergeJson(cur, '{"list":[2,3],"model":"opus"}');
    expect(r.text).toBe(
      '{\n\t// why\n\t"model": "opus", /* inline */\n\t"list": [\n\t\t1,\n\t\t2,\n\t\t3\n\t]\n}\n',
    );
    expect(mergeJson(r.text, '{"list":[2,3],"model":"opus"}')).toEqual({
      text: r.text,
      changed: false,
      notes: [],
    });
  });

  it("a generated scalar replaces a user object, and the reverse", () => {
    expect(parseJsonc(mergeJson('{"a":{"b":1},"c":2}', '{"a":1,"c":{"d":[1]}}').text)).toEqual({
      a: 1,
      c: { d: [1] },
    });
  });

  it("refuses what it cannot merge", () => {
    expect(() => mergeJson("[1]", "{}")).toThrow(new MergeError("its top level is not a JSON object"));
    expect(() => mergeJson("{ nope", "{}")).toThrow(new MergeError("is not valid JSON (comments allowed)"));
    expect(mergeJson("  \n", '{"a":1}\n')).toEqual({ text: '{"a":1}\n', changed: true, notes: [] });
  });
});

describe("mergeYaml", () => {
  it("keeps comments, sets scalars in place, appends list entries, adds new keys", () => {
    const cur = "# top\nmodel: x # m\napprovals:\n  mode: off # c\n  list:\n    - a # first\n";
    const r = mergeYaml(cur, "approvals:\n  mode: manual\n  list: [b]\n  timeout: 60\nnew: {k: v}\n");
    expect(r.text).toBe(
      "# top\nmodel: x # m\napprovals:\n  mode: manual # c\n  list:\n    - a # first\n    - b\n  timeout: 60\nnew:\n  k: v\n",
    );
    expect(
      mergeYaml(r.text, "approvals:\n  mode: manual\n  list: [b]\n  timeout: 60\nnew: {k: v}\n").changed,
    ).toBe(false);
  });

  it("refuses a document whose top level is not a mapping; keeps a comment-only file's comments", () => {
    expect(() => mergeYaml("- a\n", "a: 1\n")).toThrow(new MergeError("its top level is not a YAML mapping"));
    expect(mergeYaml("# only a comment\n", "a: 1\n").text).toBe("# only a comment\n\na: 1\n");
  });
});

describe("mergeToml", () => {
  const GEN =
    'approval_policy = "on-request"\n\n[sandbox_workspace_write]\nnetwork_access = false\nwritable_roots = ["/b"]\n';

  it("rewrites only the changed keys and tables in place, keeping the other comments", () => {
    const cur =
      '# mine\nmodel = "o3" # why\napproval_policy = "never" # lax\n\n[sandbox_workspace_write]\n# roots\nwritable_roots = ["/a"]\n\n[projects."/w"]\ntrust_level = "trusted" # ok\n';
    const r = mergeToml(cur, GEN);
    expect(r.text).toBe(
      '# mine\nmodel = "o3" # why\napproval_policy = "on-request"\n\n[sandbox_workspace_write]\nwritable_roots = [ "/a", "/b" ]\nnetwork_access = false\n\n[projects."/w"]\ntrust_level = "trusted" # ok\n',
    );
    expect(r.notes).toEqual([
      "TOML table sandbox_workspace_write rewritten: the comments inside it are lost",
    ]);
    expect(parseToml(r.text)).toEqual({
      model: "o3",
      approval_policy: "on-request",
      sandbox_workspace_write: { writable_roots: ["/a", "/b"], network_access: false },
      projects: { "/w": { trust_level: "trusted" } },
    });
    expect(mergeToml(r.text, GEN)).toEqual({ text: r.text, changed: false, notes: [] });
  });

  it("writes the merge whole, saying the comments are lost, when the text cannot be edited in place", () => {
    const cur = '# mine\nmodel = """\nmulti\n"""\n[[profiles]]\nname = "a"\n';
    const r = mergeToml(cur, GEN);
    expect(r.notes).toEqual(["TOML rewritten whole: the file's comments are lost"]);
    expect(parseToml(r.text)).toEqual({
      model: "multi\n",
      profiles: [{ name: "a" }],
      approval_policy: "on-request",
      sandbox_workspace_write: { network_access: false, writable_roots: ["/b"] },
    });
  });

  it("refuses a file that is not TOML", () => {
    expect(() => mergeToml("model = ", GEN)).toThrow(new MergeError("is not valid TOML"));
  });
});

/** Applies a unified diff produced by unifiedDiff to `before` (a strict patch: context must match). */
function patch(before: string, diff: string): string {
  const src = before === "" ? [] : before.split("\n");
  const srcNoEol = before !== "" && !before.endsWith("\n");
  if (!srcNoEol && src.length > 0) src.pop();
  const lines = diff.split("\n").slice(2, -1);
  const out: string[] = [];
  let pos = 0;
  let outNoEol = srcNoEol;
  let last: string | undefined;
  for (const l of lines) {
    const h = /^@@ -(\d+)(?:,(\d+))? \+\d+(?:,\d+)? @@$/.exec(l);
    if (h) {
      const start = Number(h[1]) - (h[2] === "0" ? 0 : 1);
      while (pos < start) out.push(src[pos++]!);
      continue;
    }
    if (l === "\\ No newline at end of file") {
      if (last === "+" || last === " ") outNoEol = true;
      continue;
    }
    last = l[0];
    if (l[0] === " " || l[0] === "-") {
      if (src[pos] !== l.slice(1)) throw new Error(`context mismatch at ${pos}`);
      if (l[0] === " ") out.push(src[pos]!);
      pos++;
      if (l[0] === "-" && pos === src.length) outNoEol = false;
    } else if (l[0] === "+") {
      out.push(l.slice(1));
      outNoEol = false;
    }
  }
  while (pos < src.length) out.push(src[pos++]!);
  if (out.length === 0) return "";
  return out.join("\n") + (outNoEol ? "" : "\n");
}

describe("unifiedDiff", () => {
  it("property: patching the old text with the diff gives the new text", () => {
    const text = fc
      .array(fc.constantFrom("a", "b", "c", "", "d e"), { maxLength: 12 })
      .chain((ls) => fc.constantFrom(ls.join("\n"), ls.length ? `${ls.join("\n")}\n` : ""));
    fc.assert(
      fc.property(text, text, (a, b) => {
        const d = unifiedDiff(a, b, "x", "x");
        expect(d === "").toBe(a === b);
        if (d !== "") expect(patch(a, d)).toBe(b);
      }),
      { numRuns: 500 },
    );
  });

  it("hunks with three lines of context, joined when close, and the no-newline marker", () => {
    const a = "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n13\n14\n15\n16";
    const b = "1\n2\n3\nA\n4\n5\n6\n7\n8\n9\n10\n11\n12\n13\nB\n16\n";
    expect(unifiedDiff(a, b, "x", "x")).toBe(
      "--- x\n+++ x\n@@ -1,6 +1,7 @@\n 1\n 2\n 3\n+A\n 4\n 5\n 6\n@@ -11,6 +12,5 @@\n 11\n 12\n 13\n-14\n-15\n-16\n\\ No newline at end of file\n+B\n+16\n",
    );
    expect(unifiedDiff("same\n", "same\n", "x", "x")).toBe("");
  });
});
