import { describe, expect, it } from "vitest";
import { runPool } from "../../src/probes/pool.js";

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
    const given: number[] = [];
    const tasks = Array.from({ length: 4 }, () => async (t: number) => {
      given.push(t);
      await new Promise((r) => setTimeout(r, t));
      return "ran";
    });
    const started = Date.now();
    const out = await runPool(tasks, {
      concurrency: 1,
      timeoutMs: 300,
      budgetMs: 450,
      onSkip: () => "skipped",
    });
    expect(Date.now() - started).toBeLessThan(800);
    expect(out).toEqual(["ran", "ran", "skipped", "skipped"]);
    expect(given[0]).toBe(300);
    expect(given[1]).toBeLessThanOrEqual(150);
  });
});
