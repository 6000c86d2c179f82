import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { crc32 } from "node:zlib";
import { afterEach, describe, expect, it } from "vitest";
import {
  type Baseline,
  type BaselineEntry,
  buildBaseline,
  carriedEntry,
  pruneBaseline,
  serializeBaseline,
  writeBaseline,
} from "../../src/config/baseline.js";
import { base62 } from "../../src/detect/validators.js";
import { cli } from "../helpers/cli.js";
import { tempTree } from "../helpers/tmp.js";
import { leaks } from "../property/support.js";

// Issue 8: the previous baseline lies in the audited root and the agent can write it. What
// `agent-audit baseline` and `scan --update-baseline` carry over from it (kept entries, reasons)
// is validated and scrubbed like a fresh finding: only the known fields, a real fingerprint and a
// plain rule id, and no token in a location or a reason, bare, glued to a prefix or low-entropy.
// Tokens are assembled at run time.

/** A GitHub classic PAT with a valid checksum (the content rule finds it). */
function ghToken(seed: number): string {
  const A = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  let x = seed;
  let body = "";
  for (let i = 0; i < 30; i++) {
    x = (x * 1103515245 + 12345) % 2147483648;
    body += A[x % 62];
  }
  return `${["gh", "p_"].join("")}${body}${base62(crc32(Buffer.from(body, "ascii")), 6)}`;
}
const GHP = ghToken(808);
const GHP_NOTE = ghToken(909);
/** An AWS key id that does not look generated. */
const AKIA_LOW = ["AK", "IA"].join("") + "A".repeat(16);
/** A lowercase GitLab-PAT-shaped string: a valid kebab-case rule id, and a token. */
const GLPAT = `${["gl", "pat-"].join("")}k3v9q2m7x1z8w4r6t5y0`;
const TOKENS = [GHP, GHP_NOTE, AKIA_LOW, GLPAT];

const FP = (n: number) => n.toString(16).padStart(24, "0");

function expectNoToken(text: string): void {
  for (const t of TOKENS) expect(leaks(text, t), `${t} in ${text}`).toBe(false);
}

/** Entries as an agent may write them: tokens in every free-text field, and fields of its own. */
function hostileEntries(): BaselineEntry[] {
  return [
    {
      fingerprint: FP(1),
      ruleId: "github-pat-classic",
      location: { source: "env", name: `MY_${GHP}_TOKEN` },
      reason: `accepted, was x${AKIA_LOW} then ${GHP}`,
      note: GHP_NOTE,
    },
    {
      fingerprint: FP(2),
      ruleId: "egress-proxy-missing",
      location: { source: "probe", target: `a.${AKIA_LOW}`, extra: GHP_NOTE },
      reason: `https://u:${GHP}@h`,
    },
    // A token as the rule id: not carried.
    { fingerprint: FP(3), ruleId: GLPAT, location: { source: "env", name: "X" }, reason: "" },
    // Not a fingerprint, not a source: not carried.
    { fingerprint: GHP.slice(0, 24), ruleId: "a", location: { source: "env" }, reason: "" },
    { fingerprint: FP(5), ruleId: "a", location: { source: GHP }, reason: "" },
  ] as unknown as BaselineEntry[];
}

const CARRIED: BaselineEntry[] = [
  {
    fingerprint: FP(1),
    ruleId: "github-pat-classic",
    location: { source: "env", name: "MY_ghp_…(40)_TOKEN" },
    reason: "accepted, was <21 characters, not shown> then ghp_…(40)",
  },
  {
    fingerprint: FP(2),
    ruleId: "egress-proxy-missing",
    // AKIA + 16 A: a placeholder by policy (a run of 16 identical characters), so the content
    // redactor leaves it, and the echo guard hides the whole word.
    location: { source: "probe", target: "<22 characters, not shown>" },
    reason: "https://h",
  },
];

describe("carriedEntry (issue 8)", () => {
  it("keeps the known fields only, masks tokens in locations and reasons, drops entries it cannot trust", () => {
    const out = hostileEntries()
      .map(carriedEntry)
      .filter((e) => e !== undefined);
    expect(out).toEqual(CARRIED);
    expectNoToken(JSON.stringify(out));
  });

  it("leaves a plain entry as it is", () => {
    const e: BaselineEntry = {
      fingerprint: FP(7),
      ruleId: "aws-access-key-id",
      location: { source: "home", path: ".aws/credentials", name: "default" },
      reason: "rotated 2024-05-01, see SEC-1234 (test account)",
    };
    expect(carriedEntry(e)).toEqual(e);
  });

  it("buildBaseline: kept entries and carried reasons are scrubbed", () => {
    const previous = { schemaVersion: 1, note: GHP_NOTE, entries: hostileEntries() } as Baseline;
    const next = buildBaseline([], previous, { ran: new Set(["tree"]), probed: false });
    expect(next.entries).toEqual(CARRIED);
    expectNoToken(serializeBaseline(next));
  });

  it("pruneBaseline: what stays is scrubbed", () => {
    const previous = { schemaVersion: 1, note: GHP_NOTE, entries: hostileEntries() } as Baseline;
    const next = pruneBaseline(previous, []);
    expect(next.entries).toEqual(CARRIED);
    expectNoToken(serializeBaseline(next));
  });

  it("writeBaseline writes only validated, scrubbed fields whatever it is given", async () => {
    const t = tempTree({}, "aa-baseline-carry-");
    try {
      const path = join(t.dir, "b.json");
      await writeBaseline(path, { schemaVersion: 1, note: GHP_NOTE, entries: hostileEntries() } as Baseline);
      const text = readFileSync(path, "utf8");
      expectNoToken(text);
      expect((JSON.parse(text) as Baseline).entries).toEqual(CARRIED);
    } finally {
      t.cleanup();
    }
  });
});

describe("the CLI does not carry a token from the previous baseline (issue 8)", () => {
  let cleanups: (() => void)[] = [];
  afterEach(() => {
    for (const c of cleanups) c();
    cleanups = [];
  });

  function sandbox() {
    const t = tempTree({ "tree/app.txt": "nothing here\n", "home/.keep": "" }, "aa-baseline-carry-");
    cleanups.push(t.cleanup);
    const root = join(t.dir, "tree");
    const src = [
      "--root",
      root,
      "--home",
      join(t.dir, "home"),
      "--no-env",
      "--sources",
      "tree",
      "--no-progress",
    ];
    // Outside the root: in it, the tree scan would find the planted tokens in the file itself.
    const baseline = join(t.dir, "accepted.json");
    return {
      baseline,
      accept: () => cli(["baseline", ...src, "--output", baseline], { cwd: root }),
      update: () =>
        cli(["scan", ...src, "--format", "json", "--baseline", baseline, "--update-baseline"], { cwd: root }),
    };
  }

  /** A previous baseline the agent wrote: tokens in the note, locations and reasons, a token rule id. */
  const previous = () =>
    JSON.stringify({
      schemaVersion: 1,
      note: GHP_NOTE,
      entries: [
        {
          fingerprint: FP(1),
          ruleId: "github-pat-classic",
          location: { source: "env", name: `MY_${GHP}_TOKEN` },
          reason: `accepted, was x${AKIA_LOW} then ${GHP}`,
        },
        {
          fingerprint: FP(2),
          ruleId: "egress-proxy-missing",
          location: { source: "probe", target: `a.${AKIA_LOW}` },
          reason: `https://u:${GHP}@h`,
        },
        // A tree entry that no longer matches: dropped by `baseline`, pruned by --update-baseline.
        { fingerprint: FP(4), ruleId: "aws-access-key-id", location: { source: "tree", path: "gone.env" } },
      ],
    });

  it("`agent-audit baseline` keeps the entries it could not see, scrubbed", async () => {
    const s = sandbox();
    writeFileSync(s.baseline, previous());
    const r = await s.accept();
    expect([r.code, r.stderr]).toEqual([0, ""]);
    expect(r.stdout).toBe(`agent-audit: wrote 2 entries to ${s.baseline} (0 new, 2 kept, 1 dropped)\n`);
    const text = readFileSync(s.baseline, "utf8");
    expectNoToken(text);
    expect((JSON.parse(text) as Baseline).entries).toEqual(CARRIED);
  });

  it("`scan --update-baseline` writes what stays, scrubbed", async () => {
    const s = sandbox();
    writeFileSync(s.baseline, previous());
    const r = await s.update();
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(`agent-audit: pruned 1 stale entry from ${s.baseline}\n`);
    expectNoToken(r.stdout);
    const text = readFileSync(s.baseline, "utf8");
    expectNoToken(text);
    expect((JSON.parse(text) as Baseline).entries).toEqual(CARRIED);
  });

  it("a token as a rule id: exit 2, one line, nothing written", async () => {
    const s = sandbox();
    const before = JSON.stringify({
      schemaVersion: 1,
      entries: [{ fingerprint: FP(3), ruleId: GLPAT, location: { source: "env", name: "X" }, reason: "" }],
    });
    writeFileSync(s.baseline, before);
    for (const r of [await s.accept(), await s.update()]) {
      expect([r.code, r.stdout]).toEqual([2, ""]);
      expect(r.stderr.split("\n")[0]).toBe(
        `agent-audit: invalid baseline ${s.baseline}: entries.0.ruleId: not a rule id agent-audit writes (it may be a token)`,
      );
      expect(r.stderr.split("\n").length).toBe(3);
      expectNoToken(r.stderr);
      expect(readFileSync(s.baseline, "utf8")).toBe(before);
    }
  });

  it.each([
    ["an entry", (t: string) => ({ note: t })],
    ["a location", (t: string) => ({ location: { source: "env", name: "X", [`x${t}`]: 1 } })],
    ["an entry, as the key", (t: string) => ({ [`my-${t}`]: 1 })],
  ])("a token in an unknown field of %s: exit 2, one line, nothing written", async (_what, extra) => {
    const s = sandbox();
    const entry = {
      fingerprint: FP(1),
      ruleId: "github-pat-classic",
      location: { source: "env" },
      reason: "",
    };
    const before = JSON.stringify({ schemaVersion: 1, entries: [{ ...entry, ...extra(AKIA_LOW) }] });
    writeFileSync(s.baseline, before);
    for (const r of [await s.accept(), await s.update()]) {
      expect([r.code, r.stdout]).toEqual([2, ""]);
      expect(r.stderr).toMatch(
        /^agent-audit: invalid baseline [^\n]*: entries\.0(\.location)?: unknown key [^\n]*\n {2}hint: [^\n]*\n$/,
      );
      expectNoToken(r.stderr);
      expect(readFileSync(s.baseline, "utf8")).toBe(before);
    }
  });
});
