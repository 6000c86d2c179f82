import { spawnSync } from "node:child_process";
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { coversProxy, scoreAlerting } from "../../../src/capabilities/alerting/step.js";
import {
  fileSinks,
  markSinks,
  probeHost,
  verifyAlerting,
} from "../../../src/capabilities/alerting/verify.js";

// Step 4 egress-alerting (issue 14): the verdict from the watcher configs, and the read-back of a
// watcher's file sink that `scan --probe --verify-alerting` does.

const squidWatcher = {
  origin: "--config a.yaml",
  sources: ["squid:/var/log/squid/access.log"],
  sinks: ["syslog"],
};

describe("scoreAlerting", () => {
  it("passes with a watcher that reads a proxy log and has a sink", () => {
    expect(scoreAlerting({ watchers: [squidWatcher], proxy: { seenIn: "HTTPS_PROXY" } })).toEqual({
      status: "pass",
      summary: "--config a.yaml watches squid:/var/log/squid/access.log and alerts to 1 sink",
      evidence: [],
    });
  });

  it("only proxy logs count: a firewall-only or sinkless watcher does not cover the proxy", () => {
    expect(
      coversProxy({ origin: "x", sources: ["nftables:/var/log/kern.log", "journal"], sinks: ["stdout"] }),
    ).toBe(false);
    expect(coversProxy({ origin: "x", sources: ["sandbox-runtime:/l"], sinks: [] })).toBe(false);
    expect(coversProxy({ origin: "x", sources: ["smokescreen:/l"], sinks: ["stdout"] })).toBe(true);
    expect(coversProxy({ origin: "x", sources: ["squidx:/l"], sinks: ["stdout"] })).toBe(false);
  });

  it("fails when a proxy exists and nothing watches it; skips without a proxy", () => {
    expect(scoreAlerting({ watchers: [], proxy: { seenIn: "egress.proxy" }, ignored: ["a (b)"] })).toEqual({
      status: "fail",
      summary:
        "the agent's traffic goes through a proxy (egress.proxy) but nothing turns its denials into alerts: no watcher config was found (/etc/agent-audit/agent-audit.yaml, or --config with an alerting: section); not trusted: a (b)",
      evidence: [],
    });
    expect(scoreAlerting({ watchers: [] }).status).toBe("skip");
  });

  it("a failed verification fails the step even with a covering watcher; a passed one is shown", () => {
    expect(scoreAlerting({ watchers: [squidWatcher], verified: { ok: false, detail: "no alert" } })).toEqual({
      status: "fail",
      summary: "--verify-alerting: no alert",
      evidence: [],
    });
    expect(scoreAlerting({ watchers: [squidWatcher], verified: { ok: true, detail: "seen" } }).summary).toBe(
      "--config a.yaml watches squid:/var/log/squid/access.log and alerts to 1 sink; verified: seen",
    );
  });
});

function tmp(): string {
  return mkdtempSync(join(tmpdir(), "aa-verify-"));
}

const alertLine = (host: string, type = "agent-audit.egress-denied") =>
  `${JSON.stringify({ type, id: "x", host, port: 80, decision: "TCP_DENIED/403", count: 1 })}\n`;

/** A fake clock: sleep advances it. */
function clock() {
  let t = 0;
  return {
    now: () => t,
    sleep: async (ms: number) => {
      t += ms;
    },
  };
}

describe("verifyAlerting", () => {
  it("finds an alert for a refused host appended after the mark, not one written before", async () => {
    const d = tmp();
    const f = join(d, "alerts.jsonl");
    writeFileSync(f, alertLine("canary.test")); // an old alert: before the probes
    const marks = await markSinks([f]);
    expect(marks).toEqual([{ path: f, from: alertLine("canary.test").length }]);
    const c = clock();
    const none = await verifyAlerting({ marks, hosts: ["canary.test"], timeoutMs: 3000, ...c });
    expect(none).toEqual({
      ok: false,
      detail: `no alert for the refused probe request (canary.test) reached file:${f} within 3 s`,
    });
    appendFileSync(f, `not json\n${alertLine("other.test")}${alertLine("canary.test", "agent-audit.test")}`);
    appendFileSync(f, alertLine("Canary.Test"));
    expect(await verifyAlerting({ marks, hosts: ["canary.test"], timeoutMs: 3000, ...clock() })).toEqual({
      ok: true,
      detail: `the alert for canary.test reached file:${f} after 0 s`,
    });
  });

  it("waits for the watcher: an alert that arrives during the wait is found", async () => {
    const d = tmp();
    const f = join(d, "alerts.jsonl");
    const marks = await markSinks([f]); // not there yet
    expect(marks).toEqual([{ path: f, from: 0 }]);
    let t = 0;
    const r = await verifyAlerting({
      marks,
      hosts: ["fd00:aa:2::10"],
      timeoutMs: 10_000,
      now: () => t,
      sleep: async (ms) => {
        t += ms;
        if (t === 3000) writeFileSync(f, alertLine("[fd00:aa:2::10]"));
      },
    });
    expect(r).toEqual({ ok: true, detail: `the alert for fd00:aa:2::10 reached file:${f} after 3 s` });
  });

  it("reads a truncated or rotated sink from its start", async () => {
    const d = tmp();
    const f = join(d, "alerts.jsonl");
    writeFileSync(f, "x".repeat(5000));
    const marks = await markSinks([f]);
    rmSync(f);
    writeFileSync(f, alertLine("canary.test"));
    expect((await verifyAlerting({ marks, hosts: ["canary.test"], timeoutMs: 0, ...clock() })).ok).toBe(true);
  });

  it("fails closed: nothing refused, no file sink, a FIFO in the sink's place (never blocks)", async () => {
    expect(await verifyAlerting({ marks: [{ path: "/x", from: 0 }], hosts: [], timeoutMs: 0 })).toEqual({
      ok: false,
      detail:
        "no probe request was refused by the proxy, so there was no denial to look for in the watcher's output",
    });
    expect(await verifyAlerting({ marks: [], hosts: ["a"], timeoutMs: 0 })).toEqual({
      ok: false,
      detail:
        "the watcher has no file: sink (absolute path) the scan can read back; add one beside the others, e.g. file:/var/log/agent-audit/alerts.jsonl",
    });
    const d = tmp();
    const fifo = join(d, "fifo");
    expect(spawnSync("mkfifo", [fifo]).status).toBe(0);
    const r = await verifyAlerting({
      marks: await markSinks([fifo]),
      hosts: ["a.test"],
      timeoutMs: 0,
      ...clock(),
    });
    expect(r).toEqual({
      ok: false,
      detail: `no alert for the refused probe request (a.test) reached file:${fifo} within 0 s; file:${fifo}: is a FIFO, not a regular file`,
    });
  });

  it("names the file sinks of covering watchers (absolute paths only) and probe hosts", () => {
    expect(
      fileSinks([
        { origin: "a", sources: ["squid:/l"], sinks: ["file:/var/log/a.jsonl", "file:rel.jsonl", "stdout"] },
        { origin: "b", sources: ["journal"], sinks: ["file:/var/log/b.jsonl"] },
        { origin: "c", sources: ["smokescreen:/l"], sinks: ["file:/var/log/a.jsonl"] },
      ]),
    ).toEqual(["/var/log/a.jsonl"]);
    expect(["10.200.2.10:80", "[fd00:aa:2::10]:443", "Canary.Test:443", "host"].map(probeHost)).toEqual([
      "10.200.2.10",
      "fd00:aa:2::10",
      "canary.test",
      "host",
    ]);
  });
});
