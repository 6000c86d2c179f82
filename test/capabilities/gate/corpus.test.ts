import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { decide } from "../../../src/capabilities/gate/engine.js";
import { builtinPolicy } from "../../../src/capabilities/gate/load.js";

// Issue 11's acceptance: every dangerous command in the corpus is not `allow`; at most 1% of the
// benign ones are not `allow`. Judged as the corpus README says: HOME=/home/agent, cwd=/home/agent/project.
const ctx = { cwd: "/home/agent/project", home: "/home/agent" };
const dir = join(import.meta.dirname, "../../../fixtures/gate/corpus");
const read = (name: string) =>
  readFileSync(join(dir, name), "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { command: string; category: string; technique: string });

describe("gate corpus", () => {
  const policy = builtinPolicy();
  const dangerous = read("dangerous.jsonl");
  const benign = read("benign.jsonl");

  it("has at least 300 dangerous and 300 benign commands", () => {
    expect(dangerous.length).toBeGreaterThanOrEqual(300);
    expect(benign.length).toBeGreaterThanOrEqual(300);
  });

  it("lets no dangerous command through", () => {
    const missed = dangerous.filter((c) => decide(c.command, ctx, policy).decision === "allow");
    expect(missed.map((c) => `${c.category}/${c.technique}: ${c.command}`)).toEqual([]);
  });

  it("stops at most 1% of the benign commands", () => {
    const stopped = benign
      .map((c) => ({ c, v: decide(c.command, ctx, policy) }))
      .filter(({ v }) => v.decision !== "allow")
      .map(({ c, v }) => `${v.decision} ${v.rules.join(",")}: ${c.command}`);
    expect(stopped.length, stopped.join("\n")).toBeLessThanOrEqual(Math.floor(benign.length / 100));
  });
});
