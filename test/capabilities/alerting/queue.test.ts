import {
  chmodSync,
  chownSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { AlertQueue, queueDirFor } from "../../../src/capabilities/alerting/queue.js";
import { type DeliveredAlert, PartialDeliveryError } from "../../../src/capabilities/alerting/sinks.js";
import type { Alert, Sink } from "../../../src/capabilities/alerting/types.js";

// Issue 14: the bounded on-disk alert queue. A fake sink records what it accepted and fails on
// demand; the sleep is injected (the delays are recorded, nothing waits). Files are real.

function alert(n: number, url?: string): Alert {
  return {
    type: "agent-audit.egress-denied",
    id: `id${n}`,
    event: {
      time: "2026-12-06T10:00:00.000Z",
      source: "squid",
      origin: "/var/log/squid/access.log",
      host: `evil${n}.example`,
      port: 443,
      decision: "TCP_DENIED/403",
      ...(url === undefined ? {} : { url }),
    },
    count: 1,
    firstSeen: "2026-12-06T10:00:00.000Z",
    lastSeen: "2026-12-06T10:00:00.000Z",
    hostname: "box1",
  };
}

/** A sink that fails `plan` says so (true: throws; a number: accepts that many then throws), then accepts. */
class FakeSink implements Sink {
  readonly name = "fake";
  readonly accepted: DeliveredAlert[] = [];
  readonly calls: string[][] = [];
  constructor(
    readonly plan: (boolean | number)[] = [],
    readonly during?: () => void,
  ) {}
  async send(alerts: readonly DeliveredAlert[]): Promise<void> {
    this.calls.push(alerts.map((a) => a.id));
    this.during?.();
    const step = this.plan.shift() ?? false;
    if (step === true) throw new Error("fake: down");
    if (typeof step === "number") {
      this.accepted.push(...alerts.slice(0, step));
      throw new PartialDeliveryError("fake: failed halfway", step);
    }
    this.accepted.push(...alerts);
  }
}

let root: string;
let dir: string;
let waits: number[];
const sleep = async (ms: number) => {
  waits.push(ms);
};
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "aa-queue-"));
  dir = join(root, "queue", "abc123abc123");
  waits = [];
});
afterEach(() => {
  rmSync(root, { recursive: true, force: true });
});

const files = () => readdirSync(dir).sort();
const ids = (alerts: readonly DeliveredAlert[]) => alerts.map((a) => a.id);

describe("AlertQueue", () => {
  it("creates a 0700 directory and one 0600 file per alert; drains oldest first", async () => {
    const q = new AlertQueue({ dir, sleep });
    expect(lstatSync(dir).mode & 0o777).toBe(0o700);
    q.enqueue([alert(1), alert(2), alert(3)]);
    expect(files()).toEqual(["0000000000000001.json", "0000000000000002.json", "0000000000000003.json"]);
    expect(statSync(join(dir, "0000000000000002.json")).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(join(dir, "0000000000000002.json"), "utf8"))).toEqual(alert(2));
    expect(q.pending).toBe(3);
    const sink = new FakeSink();
    expect(await q.drain(sink)).toEqual({ delivered: 3, pending: 0, failures: 0 });
    expect(sink.accepted).toEqual([alert(1), alert(2), alert(3)]);
    expect(files()).toEqual([]);
    expect(waits).toEqual([]);
  });

  it("sends in batches of batchSize", async () => {
    const q = new AlertQueue({ dir, sleep, batchSize: 2 });
    q.enqueue([1, 2, 3, 4, 5].map((n) => alert(n)));
    const sink = new FakeSink();
    await q.drain(sink);
    expect(sink.calls).toEqual([["id1", "id2"], ["id3", "id4"], ["id5"]]);
  });

  it("retries with exponential backoff up to 5 minutes, removing an alert only once accepted", async () => {
    const q = new AlertQueue({ dir, sleep });
    q.enqueue([alert(1), alert(2)]);
    const sink = new FakeSink(Array(11).fill(true));
    expect(await q.drain(sink)).toEqual({ delivered: 2, pending: 0, failures: 11 });
    expect(waits).toEqual([1000, 2000, 4000, 8000, 16000, 32000, 64000, 128000, 256000, 300000, 300000]);
    expect(sink.calls).toHaveLength(12);
    expect(ids(sink.accepted)).toEqual(["id1", "id2"]);
  });

  it("a partial delivery removes what was accepted and retries the rest: no duplicate", async () => {
    const q = new AlertQueue({ dir, sleep });
    q.enqueue([alert(1), alert(2), alert(3)]);
    const sink = new FakeSink([1, 0, true]);
    expect(await q.drain(sink)).toEqual({ delivered: 3, pending: 0, failures: 3 });
    expect(sink.calls).toEqual([
      ["id1", "id2", "id3"],
      ["id2", "id3"],
      ["id2", "id3"],
      ["id2", "id3"],
    ]);
    expect(ids(sink.accepted)).toEqual(["id1", "id2", "id3"]);
    // a partial delivery of 0 is no progress: the backoff keeps doubling
    expect(waits).toEqual([1000, 2000, 4000]);
  });

  it("the backoff starts again at 1 s after a delivery", async () => {
    const q = new AlertQueue({ dir, sleep, batchSize: 1 });
    q.enqueue([alert(1), alert(2)]);
    const sink = new FakeSink([true, true, false, true]);
    expect(await q.drain(sink)).toEqual({ delivered: 2, pending: 0, failures: 3 });
    expect(waits).toEqual([1000, 2000, 1000]);
    expect(sink.calls).toEqual([["id1"], ["id1"], ["id1"], ["id2"], ["id2"]]);
  });

  it("gives up after maxRetries; a new queue on the same directory resumes, in order", async () => {
    const q = new AlertQueue({ dir, sleep });
    q.enqueue([alert(1), alert(2)]);
    expect(await q.drain(new FakeSink([true, true, true]), { maxRetries: 1 })).toEqual({
      delivered: 0,
      pending: 2,
      failures: 2,
      lastError: "fake: down",
    });
    const again = new AlertQueue({ dir, sleep });
    expect(again.pending).toBe(2);
    again.enqueue([alert(3)]);
    expect(files()).toEqual(["0000000000000001.json", "0000000000000002.json", "0000000000000003.json"]);
    const sink = new FakeSink();
    expect(await again.drain(sink)).toEqual({ delivered: 3, pending: 0, failures: 0 });
    expect(ids(sink.accepted)).toEqual(["id1", "id2", "id3"]);
    // numbering never goes back, even once empty
    again.enqueue([alert(4)]);
    expect(files()).toEqual(["0000000000000004.json"]);
  });

  it("drops the oldest past maxAlerts, counts them and reports the count in the next delivered alert", async () => {
    const q = new AlertQueue({ dir, sleep, maxAlerts: 3 });
    q.enqueue([1, 2, 3, 4, 5].map((n) => alert(n)));
    expect([q.pending, q.dropped]).toEqual([3, 2]);
    expect(files()).toEqual([
      "0000000000000003.json",
      "0000000000000004.json",
      "0000000000000005.json",
      "dropped.json",
    ]);
    expect(readFileSync(join(dir, "dropped.json"), "utf8")).toBe('{"dropped":2}\n');
    // a failed delivery keeps the count; it survives a restart
    await q.drain(new FakeSink([true]), { maxRetries: 0 });
    expect(q.dropped).toBe(2);
    const again = new AlertQueue({ dir, sleep, maxAlerts: 3 });
    expect(again.dropped).toBe(2);
    const sink = new FakeSink();
    await again.drain(sink);
    expect(sink.accepted).toEqual([{ ...alert(3), dropped: 2 }, alert(4), alert(5)]);
    expect(again.dropped).toBe(0);
    expect(readFileSync(join(dir, "dropped.json"), "utf8")).toBe('{"dropped":0}\n');
    // the stored alert never holds the count: a retry after a restart reports it again from dropped.json
    expect(new AlertQueue({ dir, sleep }).dropped).toBe(0);
  });

  it("a partial delivery that did not reach the alert carrying the count keeps it", async () => {
    const q = new AlertQueue({ dir, sleep, maxAlerts: 2 });
    q.enqueue([1, 2, 3].map((n) => alert(n)));
    const sink = new FakeSink([0]);
    await q.drain(sink);
    expect(sink.calls).toEqual([
      ["id2", "id3"],
      ["id2", "id3"],
    ]);
    expect(sink.accepted).toEqual([{ ...alert(2), dropped: 1 }, alert(3)]);
    expect(q.dropped).toBe(0);
  });

  it("drops the oldest past maxBytes", () => {
    const size = Buffer.byteLength(`${JSON.stringify(alert(1))}\n`);
    const q = new AlertQueue({ dir, sleep, maxBytes: size * 2 + 1 });
    q.enqueue([1, 2, 3, 4].map((n) => alert(n)));
    expect([q.pending, q.bytes, q.dropped]).toEqual([2, size * 2, 2]);
    expect(files()).toEqual(["0000000000000003.json", "0000000000000004.json", "dropped.json"]);
  });

  it("never drops the alerts being sent; drops the next oldest instead", async () => {
    const q = new AlertQueue({ dir, sleep, maxAlerts: 2, batchSize: 2 });
    q.enqueue([alert(1), alert(2)]);
    let once = false;
    const sink = new FakeSink([], () => {
      if (once) return;
      once = true;
      q.enqueue([alert(3), alert(4), alert(5)]); // a burst while 1 and 2 are in flight
    });
    expect(await q.drain(sink)).toEqual({ delivered: 4, pending: 0, failures: 0 });
    // 3 was the oldest not in flight when 4 and 5 came: dropped; the count rides on 4
    expect(sink.accepted).toEqual([alert(1), alert(2), { ...alert(4), dropped: 1 }, alert(5)]);
    expect(q.dropped).toBe(0);
  });

  it("stores a 1 MB URL capped", () => {
    const q = new AlertQueue({ dir, sleep });
    q.enqueue([alert(1, `http://x/${"A".repeat(1024 * 1024)}`)]);
    const stored = JSON.parse(readFileSync(join(dir, "0000000000000001.json"), "utf8")) as Alert;
    expect(stored.event.url).toBe(`http://x/${"A".repeat(4095 - 9)}…`);
    expect(q.bytes).toBeLessThan(5000);
  });

  it("after a crash: a half-written temp file is removed, a damaged alert file is dropped and counted", async () => {
    const q = new AlertQueue({ dir, sleep });
    q.enqueue([alert(1), alert(2), alert(3)]);
    // a crash during enqueue (before the rename) and a damaged file (a disk error)
    writeFileSync(join(dir, ".tmp-0a1b2c3d4e5f"), '{"type":"agent-audit.egress-de');
    writeFileSync(join(dir, "0000000000000002.json"), '{"type":"agent-audit.egr');
    const again = new AlertQueue({ dir, sleep });
    expect(files()).toEqual(["0000000000000001.json", "0000000000000002.json", "0000000000000003.json"]);
    const sink = new FakeSink();
    expect(await again.drain(sink)).toEqual({ delivered: 2, pending: 0, failures: 0 });
    expect(sink.accepted).toEqual([{ ...alert(1), dropped: 1 }, alert(3)]);
    expect(files()).toEqual(["dropped.json"]);
    expect(again.dropped).toBe(0);
  });

  it("a crash after the sink accepted and before the removal sends that alert again (at least once)", async () => {
    const q = new AlertQueue({ dir, sleep });
    q.enqueue([alert(1)]);
    const copy = readFileSync(join(dir, "0000000000000001.json"));
    await q.drain(new FakeSink());
    writeFileSync(join(dir, "0000000000000001.json"), copy); // the removal never happened
    const sink = new FakeSink();
    await new AlertQueue({ dir, sleep }).drain(sink);
    expect(sink.accepted).toEqual([alert(1)]);
  });

  it("ignores files that are not its own and a damaged counter", () => {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    writeFileSync(join(dir, "notes.txt"), "x");
    writeFileSync(join(dir, "dropped.json"), "{broken");
    const q = new AlertQueue({ dir, sleep });
    expect([q.pending, q.dropped]).toEqual([0, 0]);
  });

  it("an abort stops the drain during a wait", async () => {
    const ac = new AbortController();
    const q = new AlertQueue({
      dir,
      sleep: async (ms, signal) => {
        waits.push(ms);
        ac.abort();
        if (signal?.aborted) throw new Error("aborted");
      },
    });
    q.enqueue([alert(1)]);
    expect(await q.drain(new FakeSink([true, true]), { signal: ac.signal })).toEqual({
      delivered: 0,
      pending: 1,
      failures: 1,
      lastError: "fake: down",
    });
    expect(waits).toEqual([1000]);
  });

  it("concurrent drains share one", async () => {
    const q = new AlertQueue({ dir, sleep });
    q.enqueue([alert(1), alert(2)]);
    const sink = new FakeSink();
    const [a, b] = await Promise.all([q.drain(sink), q.drain(sink)]);
    expect(a).toEqual({ delivered: 2, pending: 0, failures: 0 });
    expect(b).toBe(a);
    expect(ids(sink.accepted)).toEqual(["id1", "id2"]);
  });

  it("refuses a symlink, a group- or world-writable directory and a file", () => {
    const real = join(root, "real");
    mkdirSync(real, { mode: 0o700 });
    const link = join(root, "link");
    symlinkSync(real, link);
    expect(() => new AlertQueue({ dir: link })).toThrow(
      new Error(`alert queue ${link} is a symbolic link; refusing to use it`),
    );
    const open = join(root, "open");
    mkdirSync(open);
    chmodSync(open, 0o777);
    expect(() => new AlertQueue({ dir: open })).toThrow(
      new Error(`alert queue ${open} is writable by group or others (mode 777); chmod 700 it`),
    );
    chmodSync(open, 0o770);
    expect(() => new AlertQueue({ dir: open })).toThrow(
      new Error(`alert queue ${open} is writable by group or others (mode 770); chmod 700 it`),
    );
    const file = join(root, "file");
    writeFileSync(file, "");
    expect(() => new AlertQueue({ dir: file })).toThrow(new Error(`alert queue ${file} is not a directory`));
  });

  it("refuses a directory another user owns", () => {
    if (process.getuid?.() !== 0) return; // chown needs root; the check itself runs for everyone
    const theirs = join(root, "theirs");
    mkdirSync(theirs, { mode: 0o700 });
    chownSync(theirs, 65534, 65534);
    expect(() => new AlertQueue({ dir: theirs })).toThrow(
      new Error(`alert queue ${theirs} is owned by uid 65534, not by this user (0)`),
    );
  });

  it("queueDirFor: <stateDir>/queue/<sink key>", () => {
    expect(queueDirFor("/var/lib/agent-audit", "0123456789abcdef01234567")).toBe(
      "/var/lib/agent-audit/queue/0123456789abcdef01234567",
    );
    expect(() => queueDirFor("/s", "../x")).toThrow(new Error("queue: a sink key is lower-case hex"));
  });
});
