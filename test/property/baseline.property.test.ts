import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { type Baseline, parseBaseline, readBaseline, serializeBaseline } from "../../src/config/baseline.js";
import { looksRandom } from "../../src/detect/randomness.js";
import { UsageError } from "../../src/util/errors.js";
import {
  arbitraryText,
  charsOf,
  countWork,
  distinctValue,
  jsonText,
  leaks,
  linearBound,
  nearValid,
  plant,
  separator,
  token,
} from "./support.js";

// Issue 8, "Then, by construction": .agent-audit-baseline.json may be the agent's. Whatever it
// holds, parseBaseline returns a baseline or throws one UsageError of one line; that line never
// shows a token planted anywhere in the file; the work is linear in the number of entries.

const PATH = "/r/.agent-audit-baseline.json";
/** Tokens that look generated; the low-entropy ones are the per-shape tests' (below). */
const generatedToken = token.filter((t) => looksRandom(t, 16));
const dir = mkdtempSync(join(tmpdir(), "agent-audit-baselineprop-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const entry = fc.record(
  {
    fingerprint: fc.oneof(charsOf("0123456789abcdef", 24), fc.string({ maxLength: 30 })),
    ruleId: fc.oneof(
      fc.constantFrom("github-pat-classic", "aws-access-key-id", "Bad_Id", ""),
      fc.string({ maxLength: 10 }),
    ),
    location: fc.record(
      {
        source: fc.constantFrom("env", "home", "tree", "probe", "disk", ""),
        path: fc.string({ maxLength: 12 }),
        name: fc.string({ maxLength: 12 }),
        target: fc.string({ maxLength: 12 }),
        extra: fc.string({ maxLength: 5 }),
      },
      { requiredKeys: ["source"] },
    ),
    reason: fc.oneof(fc.string({ maxLength: 12 }), fc.integer()),
    unknown: fc.string({ maxLength: 5 }),
  },
  { requiredKeys: ["fingerprint", "ruleId", "location"] },
);

const baselineJson = fc
  .record(
    {
      schemaVersion: fc.constantFrom(1, 2, "1"),
      note: fc.string({ maxLength: 10 }),
      entries: fc.array(entry, { maxLength: 4 }),
      extra: fc.jsonValue({ maxDepth: 2 }),
    },
    { requiredKeys: ["schemaVersion", "entries"] },
  )
  .chain((b) => fc.tuple(fc.constant(b), fc.constantFrom(0, 2)))
  .map(([b, indent]) => JSON.stringify(b, null, indent));

const hostileBaseline = fc.oneof(arbitraryText, nearValid(baselineJson), nearValid(jsonText), baselineJson);

/** parseBaseline's outcome: the baseline, or the one-line UsageError; anything else fails the test. */
function outcome(text: string): Baseline | UsageError {
  try {
    return parseBaseline(text, PATH);
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    const msg = (e as UsageError).message;
    expect(msg).not.toMatch(/[\r\n]/);
    expect(msg.startsWith(`invalid baseline ${PATH}: `)).toBe(true);
    return e as UsageError;
  }
}

describe("baseline loader: arbitrary text (issue 8)", () => {
  it("returns a baseline or throws one UsageError line", () => {
    fc.assert(
      fc.property(hostileBaseline, (text) => {
        const r = outcome(text);
        // A baseline it accepts is written back as it was read (entries, locations, reasons).
        if (!(r instanceof UsageError))
          expect(parseBaseline(serializeBaseline(r), PATH).entries).toEqual(r.entries);
      }),
      { numRuns: 300 },
    );
  });

  it("a UTF-8 byte order mark is accepted (issue 8 item 11): readBaseline reads the file as without it", async () => {
    const file = join(dir, "baseline.json");
    await fc.assert(
      fc.asyncProperty(baselineJson, async (text) => {
        writeFileSync(file, `\uFEFF${text}`);
        const plain = outcome(text);
        const read = await readBaseline(file).then(
          (b) => b,
          (e: unknown) => e,
        );
        if (plain instanceof UsageError) expect(read).toBeInstanceOf(UsageError);
        else expect(read).toEqual(plain);
      }),
      { numRuns: 100 },
    );
  });
});

describe("baseline loader: a planted token is never printed (issue 8)", () => {
  it("anywhere in the file: keys, values, locations, reasons", () => {
    fc.assert(
      fc.property(
        nearValid(baselineJson),
        generatedToken,
        fc.nat(),
        separator,
        separator,
        (text, t, at, before, after) => {
          const r = outcome(plant(text, t, at, before, after));
          if (r instanceof UsageError) expect(leaks(r.message, t), r.message).toBe(false);
        },
      ),
      { numRuns: 300 },
    );
  });

  // Each place a problem is named, with a token as (part of) the name.
  const SHAPES: Record<string, (t: string) => unknown> = {
    "unknown top-level key": (t) => ({ schemaVersion: 1, entries: [], [t]: 1 }),
    "unknown entry key": (t) => ({
      schemaVersion: 1,
      entries: [{ fingerprint: "0".repeat(24), ruleId: "a", location: { source: "env" }, [t]: 1 }],
    }),
    "unknown location key": (t) => ({
      schemaVersion: 1,
      entries: [{ fingerprint: "0".repeat(24), ruleId: "a", location: { source: "env", [t]: "x" } }],
    }),
    "bad rule id": (t) => ({
      schemaVersion: 1,
      entries: [{ fingerprint: "0".repeat(24), ruleId: t, location: { source: "env" } }],
    }),
    "bad fingerprint": (t) => ({
      schemaVersion: 1,
      entries: [{ fingerprint: t, ruleId: "a", location: { source: "env" } }],
    }),
    "bad source": (t) => ({
      schemaVersion: 1,
      entries: [{ fingerprint: "0".repeat(24), ruleId: "a", location: { source: t } }],
    }),
    "bad schemaVersion": (t) => ({ schemaVersion: t, entries: [] }),
    "three unknown keys and more": (t) => ({ schemaVersion: 1, entries: [], a: 1, b: 2, c: 3, [t]: 4 }),
  };
  for (const [what, shape] of Object.entries(SHAPES)) {
    it(what, () => {
      fc.assert(
        fc.property(
          token,
          fc.constantFrom("", "x", "_", "my-", "a."),
          fc.constantFrom(0, 2),
          (t, pre, indent) => {
            const r = outcome(JSON.stringify(shape(pre + t), null, indent));
            expect(r).toBeInstanceOf(UsageError);
            expect(leaks((r as UsageError).message, t), (r as UsageError).message).toBe(false);
          },
        ),
        // Low-entropy tokens first, every run: a name that does not look generated is echoed.
        {
          numRuns: 100,
          examples: [
            [["AK", "IA"].join("") + "A".repeat(16), "", 0],
            [["gh", "p_"].join("") + "A".repeat(36), "", 2],
            [["AK", "IA"].join("") + "A".repeat(16), "x", 0],
            [["AK", "IA"].join("") + "A".repeat(16), "my-", 2],
            [["gh", "p_"].join("") + "A".repeat(36), "a.", 0],
            [["gh", "p_"].join("") + "0".repeat(36), "_", 0],
          ],
        },
      );
    });
  }
});

describe("baseline loader: linear work (issue 8)", () => {
  const text = (seed: number, n: number, bad: boolean) =>
    JSON.stringify({
      schemaVersion: 1,
      entries: Array.from({ length: n }, (_, i) => ({
        fingerprint: Buffer.from(distinctValue(seed, i, 9))
          .toString("hex")
          .slice(0, 24)
          .toLowerCase(),
        ruleId: "github-pat-classic",
        location: { source: "tree", path: `dir/${String(i).padStart(6, "0")}`, name: "TOKEN" },
        reason: bad ? 1 : "",
      })),
    });
  it("n and 4n entries, valid or each invalid: at most 4 times the work", () => {
    fc.assert(
      fc.property(fc.integer(), fc.integer({ min: 200, max: 400 }), fc.boolean(), (seed, n, bad) => {
        const small = countWork(() => outcome(text(seed, n, bad)));
        const big = countWork(() => outcome(text(seed, 4 * n, bad)));
        if (!bad) expect((big.result as Baseline).entries).toHaveLength(4 * n);
        expect(big.work, `work ${small.work} -> ${big.work}`).toBeLessThanOrEqual(linearBound(small.work, n));
      }),
      { numRuns: 10 },
    );
  });

  it("130,000 entries (issue 8 item 10: the stack overflowed) read without an error", () => {
    const r = outcome(text(1, 130_000, false));
    expect((r as Baseline).entries).toHaveLength(130_000);
  });
});
