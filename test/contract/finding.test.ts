import { createHash } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  byteOrder,
  type FindingInput,
  fingerprint,
  makeFinding,
  preview,
  secretHash,
  sortFindings,
} from "../../src/contract/finding.js";
import type { Finding, Location, Severity } from "../../src/contract/types.js";

// src/contract/finding.ts (issue 9: one makeFinding builds every finding). The fingerprint is what a
// baseline stores, so its recipe is pinned here: a change to it un-accepts every baselined finding.

/** Not shaped like any rule's token: no 5 characters of it in a row are hex digits or words. */
const SECRET = "Zq8Vx-K3pW7mR2tY9nL4";

function input(over: Partial<FindingInput> = {}): FindingInput {
  return {
    ruleId: "test-rule",
    control: "secret-inventory",
    kind: "secret",
    severity: "high",
    title: "Test token",
    remediation: "Rotate it.",
    location: { source: "tree", path: "config/app.env", line: 3 },
    subject: SECRET,
    secret: { provider: "test", type: "token", value: SECRET },
    ...over,
  };
}

const sha256 = (s: string) => createHash("sha256").update(s).digest("hex");
/** The recipe, written out independently of the implementation. */
function referenceFingerprint(rule: string, source: string, path: string, name: string, subject: string) {
  return sha256(`agent-audit/v1\0${rule}\0${source}\0${path}\0${name}\0${sha256(subject)}`).slice(0, 24);
}

describe("fingerprint", () => {
  it("is the truncated SHA-256 of the rule, source, path, name and the secret's hash", () => {
    const fp = makeFinding(input()).fingerprint;
    expect(fp).toBe(referenceFingerprint("test-rule", "tree", "config/app.env", "", SECRET));
    // Pinned: every baseline ever written depends on this exact value.
    expect(fp).toBe("94ac1cb070139f7bc9a1ed0f");
    expect(fp).toMatch(/^[0-9a-f]{24}$/);
  });

  it("does not depend on the line, the severity, the title, the kind or the control", () => {
    const base = makeFinding(input()).fingerprint;
    const moved = makeFinding(
      input({
        location: { source: "tree", path: "config/app.env", line: 99 },
        severity: "low",
        title: "Other title",
        remediation: "Other remediation.",
        kind: "exposure",
        control: "credential-scope",
      }),
    );
    expect(moved.fingerprint).toBe(base);
    expect(makeFinding(input({ location: { source: "tree", path: "config/app.env" } })).fingerprint).toBe(
      base,
    );
  });

  it("changes with the rule, the source, the path, the name and the secret", () => {
    const base = makeFinding(input()).fingerprint;
    const variants = [
      input({ ruleId: "other-rule" }),
      input({ location: { source: "home", path: "config/app.env", line: 3 } }),
      input({ location: { source: "tree", path: "config/other.env", line: 3 } }),
      input({ location: { source: "tree", path: "config/app.env", line: 3, name: "TOKEN" } }),
      input({ subject: `${SECRET}x`, secret: { provider: "test", type: "token", value: `${SECRET}x` } }),
    ].map((i) => makeFinding(i).fingerprint);
    expect(new Set([base, ...variants]).size).toBe(6);
    expect(variants[3]).toBe(referenceFingerprint("test-rule", "tree", "config/app.env", "TOKEN", SECRET));
  });

  it("uses the subject, not the secret's value, for identity", () => {
    // Callers pass the value as the subject; a different `secret.value` alone changes the preview only.
    const f = makeFinding(
      input({ secret: { provider: "test", type: "token", value: "another-value-12345" } }),
    );
    expect(f.fingerprint).toBe(makeFinding(input()).fingerprint);
    expect(f.secret?.preview).toBe("anot…(19)");
  });

  it("uses identityPath instead of the location's path when given", () => {
    const viaLink = makeFinding(
      input({
        location: { source: "tree", path: "link-to-app.env", line: 3 },
        identityPath: "config/app.env",
      }),
    );
    expect(viaLink.fingerprint).toBe(makeFinding(input()).fingerprint);
    expect(viaLink.location.path).toBe("link-to-app.env");
  });

  it("takes a precomputed subject hash in place of hashing the subject", () => {
    const hashed = makeFinding(input({ subject: "ignored", subjectHash: secretHash(SECRET) }));
    expect(hashed.fingerprint).toBe(makeFinding(input()).fingerprint);
    expect(secretHash(SECRET)).toBe(sha256(SECRET));
  });

  it("keeps fields apart: a NUL separates them, so shifting text between path and name changes it", () => {
    const a = fingerprint({ ruleId: "r", source: "env", path: "ab", name: "c", subject: "s" });
    const b = fingerprint({ ruleId: "r", source: "env", path: "a", name: "bc", subject: "s" });
    expect(a).not.toBe(b);
    // An absent path and an empty one are the same identity.
    expect(fingerprint({ ruleId: "r", source: "env", name: "X", subject: "s" })).toBe(
      fingerprint({ ruleId: "r", source: "env", path: "", name: "X", subject: "s" }),
    );
  });
});

describe("makeFinding", () => {
  it("builds the finding with its keys in the contract's order", () => {
    const f = makeFinding(input());
    expect(f).toStrictEqual({
      fingerprint: "94ac1cb070139f7bc9a1ed0f",
      ruleId: "test-rule",
      control: "secret-inventory",
      kind: "secret",
      severity: "high",
      title: "Test token",
      remediation: "Rotate it.",
      location: { source: "tree", path: "config/app.env", line: 3 },
      accepted: false,
      secret: { provider: "test", type: "token", preview: "Zq8V…(20)" },
    });
    // Key order is what JSON.stringify writes into reports/ (golden files).
    expect(Object.keys(f)).toEqual([
      "fingerprint",
      "ruleId",
      "control",
      "kind",
      "severity",
      "title",
      "remediation",
      "location",
      "accepted",
      "secret",
    ]);
  });

  it("keeps only the location's defined fields, in a copy", () => {
    const location: Location = {
      source: "env",
      path: undefined,
      line: undefined,
      name: "API_TOKEN",
      target: undefined,
    };
    const f = makeFinding(input({ location }));
    expect(Object.keys(f.location)).toEqual(["source", "name"]);
    expect(f.location).toStrictEqual({ source: "env", name: "API_TOKEN" });
    expect(f.location).not.toBe(location);
    expect(JSON.stringify(f.location)).toBe('{"source":"env","name":"API_TOKEN"}');
  });

  it("keeps a zero line and an empty path (defined, if falsy)", () => {
    const f = makeFinding(input({ location: { source: "tree", path: "", line: 0 } }));
    expect(f.location).toStrictEqual({ source: "tree", path: "", line: 0 });
  });

  it("turns the secret into its preview: the raw value is nowhere in the finding", () => {
    const f = makeFinding(input());
    const json = JSON.stringify(f);
    expect(json).not.toContain(SECRET);
    // Nor any 5 characters of it: a preview shows at most its first 4.
    for (let i = 0; i + 5 <= SECRET.length; i++) expect(json).not.toContain(SECRET.slice(i, i + 5));
    expect(f.secret).toStrictEqual({ provider: "test", type: "token", preview: "Zq8V…(20)" });
    expect(json).not.toContain('"value"');
    expect(json).not.toContain('"subject"');
  });

  it("masks a short secret fully", () => {
    const short = "Kp3-Wz9";
    const f = makeFinding(input({ subject: short, secret: { provider: "p", type: "t", value: short } }));
    expect(f.secret?.preview).toBe("…(7)");
    expect(JSON.stringify(f)).not.toContain("Kp3");
  });

  it("a secret that fails its offline validity check is info, and its title says so", () => {
    const f = makeFinding(
      input({ severity: "critical", secret: { provider: "p", type: "t", value: SECRET, valid: false } }),
    );
    expect(f.severity).toBe("info");
    expect(f.title).toBe("Test token (fails its offline validity check: not a live token)");
    expect(f.secret).toStrictEqual({ provider: "p", type: "t", preview: "Zq8V…(20)", valid: false });
    // The identity is the same as the valid token's would be.
    expect(f.fingerprint).toBe(makeFinding(input()).fingerprint);
  });

  it("a secret that passes its check keeps its severity and title, and says valid: true", () => {
    const f = makeFinding(
      input({ severity: "critical", secret: { provider: "p", type: "t", value: SECRET, valid: true } }),
    );
    expect(f.severity).toBe("critical");
    expect(f.title).toBe("Test token");
    expect(f.secret).toStrictEqual({ provider: "p", type: "t", preview: "Zq8V…(20)", valid: true });
  });

  it("without a check, the secret has no valid field", () => {
    expect("valid" in (makeFinding(input()).secret ?? {})).toBe(false);
  });

  it("only a finding of kind secret carries secret info", () => {
    const f = makeFinding(input({ kind: "exposure" }));
    expect("secret" in f).toBe(false);
    expect(JSON.stringify(f)).not.toContain("Zq8V");
  });

  it("is accepted exactly when the baseline holds its fingerprint", () => {
    const fp = makeFinding(input()).fingerprint;
    expect(makeFinding(input({ accepted: new Set([fp]) })).accepted).toBe(true);
    expect(makeFinding(input({ accepted: new Set(["0".repeat(24)]) })).accepted).toBe(false);
    expect(makeFinding(input({ accepted: new Set() })).accepted).toBe(false);
    expect(makeFinding(input()).accepted).toBe(false);
  });

  it("carries the structured remediation (fix) as given, and has no fix key without one", () => {
    const fix = { target: "egress-proxy", params: { port: 3128, hosts: ["a.example"], strict: true } };
    const f = makeFinding(input({ kind: "egress", control: "egress-proxy", fix, secret: undefined }));
    expect(f.fix).toStrictEqual(fix);
    expect(Object.keys(f).at(-1)).toBe("fix");
    expect("fix" in makeFinding(input())).toBe(false);
  });
});

describe("preview", () => {
  it("shows the first 4 characters of a secret of 16 or more, plus its length", () => {
    expect(preview("abcdefghijklmnop")).toBe("abcd…(16)");
    expect(preview("abcdefghijklmnopq")).toBe("abcd…(17)");
    expect(preview("x".repeat(1000))).toBe("xxxx…(1000)");
  });

  it("masks a secret of 15 characters or fewer fully", () => {
    expect(preview("abcdefghijklmno")).toBe("…(15)");
    expect(preview("a")).toBe("…(1)");
    expect(preview("")).toBe("…(0)");
  });

  it("counts code points, not UTF-16 units: an emoji is one character", () => {
    const smile = "\u{1F600}";
    // 15 emoji are 30 UTF-16 units, but 15 characters: fully masked.
    expect(preview(smile.repeat(15))).toBe("…(15)");
    expect(preview(smile.repeat(16))).toBe(`${smile.repeat(4)}…(16)`);
    expect(preview(smile.repeat(100))).toBe(`${smile.repeat(4)}…(100)`);
    // 12 ASCII + 4 astral = 16 code points (20 units); the head is never a split surrogate pair.
    const mixed = `ab${smile}cd${"\u{1D11E}"}efghijkl${smile}${smile}`;
    expect([...mixed].length).toBe(16);
    expect(preview(mixed)).toBe(`ab${smile}c…(16)`);
    expect(preview(`abc${smile}${"z".repeat(12)}`)).toBe(`abc${smile}…(16)`);
  });

  it("counts a lone surrogate as one character", () => {
    expect(preview(`\uD800${"a".repeat(15)}`)).toBe("\uD800aaa…(16)");
    expect(preview(`\uDC00${"a".repeat(14)}`)).toBe("…(15)");
  });

  it("property: the preview is the first 4 code points (length ≥ 16) or nothing, then …(length)", () => {
    // The exact property, stated as a model: at most 4 leading code points of the secret are
    // shown, none below 16 code points; the rest of the preview is "…(" + the code point count + ")".
    const text = fc.oneof(
      fc.string({ unit: "binary", maxLength: 40 }),
      fc.string({ unit: "grapheme", maxLength: 40 }),
      fc.string({ maxLength: 40 }),
      // Any UTF-16 units, lone surrogates included (a file's bytes decoded leniently can hold them).
      fc.string({
        unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)),
        maxLength: 40,
      }),
    );
    fc.assert(
      fc.property(text, (s) => {
        const points = [...s];
        const p = preview(s);
        const suffix = `…(${points.length})`;
        const head = points.length >= 16 ? points.slice(0, 4).join("") : "";
        expect(p).toBe(head + suffix);
        expect(p.endsWith(suffix)).toBe(true);
        const shown = [...p.slice(0, p.length - suffix.length)];
        expect(shown.length).toBeLessThanOrEqual(4);
        expect(s.startsWith(shown.join(""))).toBe(true);
        // Hence never the whole secret once it has 5 characters or more (below that, the masked
        // form itself, e.g. "…(4)", may spell the secret: that is not the secret shown).
        if (points.length >= 5) expect(p.includes(s)).toBe(false);
      }),
      { numRuns: 2000 },
    );
  });
});

describe("sortFindings", () => {
  let n = 0;
  function f(
    severity: Severity,
    location: Location,
    ruleId = "rule-a",
    label = `f${n++}`,
  ): Finding & { label: string } {
    return { ...makeFinding(input({ severity, location, ruleId, subject: label })), label };
  }
  const labels = (fs: Finding[]) => fs.map((x) => (x as Finding & { label: string }).label);

  it("orders by severity, most severe first", () => {
    const fs = (["low", "critical", "info", "medium", "high"] as const).map((s) =>
      f(s, { source: "tree", path: "a" }, "rule-a", s),
    );
    expect(labels(sortFindings(fs))).toEqual(["critical", "high", "medium", "low", "info"]);
  });

  it("then by source: env, home, tree, mount, socket, process, then every other source", () => {
    const sources = ["probe", "process", "socket", "mount", "tree", "home", "env"] as const;
    const fs = sources.map((s) => f("high", { source: s, path: "p" }, "rule-a", s));
    expect(labels(sortFindings(fs))).toEqual(["env", "home", "tree", "mount", "socket", "process", "probe"]);
    // Sources without a rank tie, and the path decides among them.
    const tied = [
      f("high", { source: "probe", path: "b" }, "rule-a", "probe-b"),
      f("high", { source: "cloud", path: "a" }, "rule-a", "cloud-a"),
      f("high", { source: "agent-config", path: "c" }, "rule-a", "agent-config-c"),
    ];
    expect(labels(sortFindings(tied))).toEqual(["cloud-a", "probe-b", "agent-config-c"]);
  });

  it("then by path, in code-unit order whatever the locale (uppercase before lowercase, é after z)", () => {
    const paths = ["b", "a", "Z", "é", "z", "A/b", "A", ""];
    const fs = paths.map((p) => f("high", { source: "tree", path: p }, "rule-a", p || "(none)"));
    expect(labels(sortFindings(fs))).toEqual(["(none)", "A", "A/b", "Z", "a", "b", "z", "é"]);
    // localeCompare would put "a" before "B" and "é" before "z".
    expect(["a", "B"].sort((x, y) => x.localeCompare(y, "en"))).toEqual(["a", "B"]);
    expect(byteOrder("a", "B")).toBe(1);
    expect(byteOrder("B", "a")).toBe(-1);
    expect(byteOrder("x", "x")).toBe(0);
  });

  it("a missing path sorts as the empty one, before any other", () => {
    const fs = [
      f("high", { source: "env", name: "B" }, "rule-a", "no-path"),
      f("high", { source: "env", path: "a" }, "rule-a", "path-a"),
    ];
    expect(labels(sortFindings(fs))).toEqual(["no-path", "path-a"]);
  });

  it("then by line, numerically, a missing line first; the path decides before the line", () => {
    const fs = [
      f("high", { source: "tree", path: "a", line: 10 }, "rule-a", "a:10"),
      f("high", { source: "tree", path: "a", line: 2 }, "rule-a", "a:2"),
      f("high", { source: "tree", path: "a" }, "rule-a", "a"),
      f("high", { source: "tree", path: "b", line: 1 }, "rule-a", "b:1"),
      f("high", { source: "tree", path: "A", line: 50 }, "rule-a", "A:50"),
    ];
    expect(labels(sortFindings(fs))).toEqual(["A:50", "a", "a:2", "a:10", "b:1"]);
  });

  it("then by name, then by rule id", () => {
    const fs = [
      f("high", { source: "env", name: "b" }, "rule-b", "b/rule-b"),
      f("high", { source: "env", name: "b" }, "rule-a", "b/rule-a"),
      f("high", { source: "env", name: "B" }, "rule-z", "B/rule-z"),
      f("high", { source: "env", name: "a" }, "rule-c", "a/rule-c"),
      f("high", { source: "env", name: "b" }, "Rule-c", "b/Rule-c"),
    ];
    expect(labels(sortFindings(fs))).toEqual(["B/rule-z", "a/rule-c", "b/Rule-c", "b/rule-a", "b/rule-b"]);
  });

  it("severity decides before source, source before path", () => {
    const fs = [
      f("medium", { source: "env", path: "a" }, "rule-a", "medium-env"),
      f("high", { source: "process", path: "z" }, "rule-a", "high-process"),
      f("high", { source: "env", path: "z" }, "rule-a", "high-env-z"),
      f("high", { source: "home", path: "a" }, "rule-a", "high-home-a"),
    ];
    expect(labels(sortFindings(fs))).toEqual(["high-env-z", "high-home-a", "high-process", "medium-env"]);
  });

  it("sorts in place and returns the same array", () => {
    const fs = [f("low", { source: "tree" }), f("high", { source: "tree" })];
    const out = sortFindings(fs);
    expect(out).toBe(fs);
    expect(fs.map((x) => x.severity)).toEqual(["high", "low"]);
  });
});
