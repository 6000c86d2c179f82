import { describe, expect, it } from "vitest";
import { alertId, Deduper, destinationKey } from "../../../src/capabilities/alerting/dedupe.js";
import type { DenialEvent } from "../../../src/capabilities/alerting/types.js";

const T0 = Date.parse("2026-12-06T16:00:00.000Z");
const iso = (ms: number) => new Date(ms).toISOString();

function ev(ms: number, host = "evil.test", extra: Partial<DenialEvent> = {}): DenialEvent {
  return {
    time: iso(ms),
    source: "squid",
    origin: "/var/log/squid/access.log",
    client: "10.0.0.2",
    host,
    port: 443,
    method: "CONNECT",
    decision: "TCP_DENIED/403",
    ...extra,
  };
}

function clock(start = T0) {
  let now = start;
  return {
    now: () => now,
    set: (ms: number) => {
      now = ms;
    },
  };
}

describe("Deduper", () => {
  it("a burst of 100 denials of one destination is one alert with the count, at the window's end", () => {
    const c = clock();
    const d = new Deduper({ hostname: "box", now: c.now });
    for (let i = 0; i < 100; i++) {
      c.set(T0 + i * 100);
      expect(d.add(ev(T0 + i * 100, "evil.test", { client: `10.0.0.${i % 5}` }))).toEqual([]);
    }
    c.set(T0 + 59_999);
    expect(d.tick()).toEqual([]);
    expect(d.nextDeadline()).toBe(T0 + 60_000);
    c.set(T0 + 60_000);
    expect(d.tick()).toEqual([
      {
        type: "agent-audit.egress-denied",
        id: alertId("squid|evil.test|443", iso(T0)),
        event: ev(T0, "evil.test", { client: "10.0.0.0" }),
        count: 100,
        firstSeen: iso(T0),
        lastSeen: iso(T0 + 9_900),
        hostname: "box",
      },
    ]);
    expect(d.openWindows).toBe(0);
    expect(d.tick()).toEqual([]);
  });

  it("one alert per destination (source, host, port), in order of window start", () => {
    const c = clock(T0 + 1000);
    const d = new Deduper({ hostname: "h", now: c.now });
    d.add(ev(T0 + 5, "b.test"));
    d.add(ev(T0, "a.test"));
    d.add(ev(T0 + 6, "a.test", { port: 80 }));
    d.add(ev(T0 + 7, "a.test", { source: "nftables" }));
    d.add(ev(T0 + 8, "b.test"));
    const alerts = d.flush();
    expect(alerts.map((a) => [destinationKey(a.event), a.count])).toEqual([
      ["squid|a.test|443", 1],
      ["squid|b.test|443", 2],
      ["squid|a.test|80", 1],
      ["nftables|a.test|443", 1],
    ]);
  });

  it("a denial after the window's end closes it and opens the next (a backlog read at once)", () => {
    const c = clock(T0 + 86_400_000);
    const d = new Deduper({ hostname: "h", now: c.now });
    expect(d.add(ev(T0))).toEqual([]);
    expect(d.add(ev(T0 + 30_000))).toEqual([]);
    expect(d.add(ev(T0 + 59_999))).toEqual([]);
    // The clock is a day later, yet the old window stays open one window of clock time.
    expect(d.tick()).toEqual([]);
    const closed = d.add(ev(T0 + 7_200_000));
    expect(closed.map((a) => [a.count, a.firstSeen, a.lastSeen])).toEqual([[3, iso(T0), iso(T0 + 59_999)]]);
    expect(d.flush().map((a) => [a.count, a.firstSeen, a.id])).toEqual([
      [1, iso(T0 + 7_200_000), alertId("squid|evil.test|443", iso(T0 + 7_200_000))],
    ]);
  });

  it("an event time in the future, or none, counts as now", () => {
    const c = clock();
    const d = new Deduper({ hostname: "h", now: c.now });
    d.add(ev(T0 + 3_600_000));
    d.add({ ...ev(T0), time: "not a time", host: "x.test" });
    const alerts = d.flush();
    expect(alerts.map((a) => a.firstSeen)).toEqual([iso(T0), iso(T0)]);
  });

  it("the same lines read twice (a restart) give the same ids", () => {
    const run = () => {
      const c = clock();
      const d = new Deduper({ hostname: "h", now: c.now });
      d.add(ev(T0 - 5000));
      d.add(ev(T0 - 4000, "other.test"));
      return d.flush().map((a) => a.id);
    };
    expect(run()).toEqual(run());
    expect(new Set(run()).size).toBe(2);
  });

  it("the global rate limit folds the excess into one summary at the minute's end", () => {
    const c = clock();
    const d = new Deduper({ hostname: "h", now: c.now, maxAlertsPerMinute: 3, windowMs: 1000 });
    for (let i = 0; i < 10; i++) d.add(ev(T0, `h${i}.test`));
    d.add(ev(T0, "h9.test"));
    c.set(T0 + 1000);
    const first = d.tick();
    expect(first.map((a) => a.event.host)).toEqual(["h0.test", "h1.test", "h2.test"]);
    expect(d.nextDeadline()).toBe(T0 + 61_000);
    c.set(T0 + 60_999);
    expect(d.tick()).toEqual([]);
    c.set(T0 + 61_000);
    const summary = d.tick();
    expect(summary.length).toBe(1);
    expect(summary[0]).toEqual({
      type: "agent-audit.egress-denied",
      id: alertId(`summary|${alertId("squid|h3.test|443", iso(T0))}`, iso(T0)),
      event: { ...ev(T0, "h3.test"), decision: "rate-limited: 7 more alerts" },
      count: 8,
      firstSeen: iso(T0),
      lastSeen: iso(T0),
      hostname: "h",
    });
    // The summary counts in the new minute: two more alerts fit in it.
    for (let i = 0; i < 3; i++) d.add(ev(T0 + 61_000, `n${i}.test`));
    expect(d.flush().map((a) => a.event.decision)).toEqual([
      "TCP_DENIED/403",
      "TCP_DENIED/403",
      "rate-limited: 1 more alerts",
    ]);
  });

  it("flush() also emits a pending summary", () => {
    const c = clock();
    const d = new Deduper({ hostname: "h", now: c.now, maxAlertsPerMinute: 1 });
    d.add(ev(T0, "a.test"));
    d.add(ev(T0, "b.test"));
    d.add(ev(T0, "c.test"));
    expect(d.flush().map((a) => [a.event.host, a.count, a.event.decision])).toEqual([
      ["a.test", 1, "TCP_DENIED/403"],
      ["b.test", 2, "rate-limited: 2 more alerts"],
    ]);
  });

  it("memory is bounded: past maxOpenWindows the oldest window closes early", () => {
    const c = clock();
    const d = new Deduper({ hostname: "h", now: c.now, maxOpenWindows: 2 });
    expect(d.add(ev(T0, "a.test"))).toEqual([]);
    expect(d.add(ev(T0, "b.test"))).toEqual([]);
    expect(d.add(ev(T0, "c.test")).map((a) => a.event.host)).toEqual(["a.test"]);
    expect(d.openWindows).toBe(2);
  });

  it("rejects nonsense options", () => {
    expect(() => new Deduper({ hostname: "h", windowMs: 0 })).toThrow();
    expect(() => new Deduper({ hostname: "h", maxAlertsPerMinute: 0 })).toThrow();
  });
});
