import { describe, expect, it } from "vitest";
import { runPool } from "../../../src/capabilities/egress/pool.js";

describe("runPool", () => {
  it("bounds concurrency and keeps order", async () => {
    let inFlight = 0;
    let peak = 0;
    const tasks = Array.from({ length: 10 }, (_, i) => async () => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await new Promise((r) => setTimeout(r, 10));
      inFlight--;
      return i;
    });
    const out = await runPool(tasks, { concurrency: 3, timeoutMs: 100, budgetMs: 5000, onSkip: () => -1 });
    expect(out).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(peak).toBe(3);
  });

  it("cuts each task's timeout to the budget and skips what cannot start", async () => {
    // A fake clock: each task "uses" its whole slice, so the result does not depend on machine load.
    let clock = 1000;
    const given: number[] = [];
    const tasks = Array.from({ length: 4 }, () => async (t: number) => {
      given.push(t);
      clock += t;
      return "ran";
    });
    const out = await runPool(tasks, {
      concurrency: 1,
      timeoutMs: 300,
      budgetMs: 450,
      onSkip: () => "skipped",
      now: () => clock,
    });
    expect(out).toEqual(["ran", "ran", "skipped", "skipped"]);
    expect(given).toEqual([300, 150]);
    expect(clock).toBe(1450);
  });
});
