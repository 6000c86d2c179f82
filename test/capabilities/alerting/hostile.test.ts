import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runWatch } from "../../../src/app/watch.js";
import { LogFollower } from "../../../src/capabilities/alerting/tail.js";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "aa-hostile-"));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const NOW = Date.parse("2026-12-06T16:00:00.000Z");

/** Runs `watch --once` over one source; returns the alert lines the stdout sink printed, parsed. */
async function watchOnce(kind: string, file: string, more: { startAt?: "start" | "end" } = {}) {
  const out: string[] = [];
  const summary = await runWatch(
    {
      sources: [`${kind}:${file}`],
      sinks: ["stdout"],
      state: join(dir, "state", "state.json"),
      once: true,
      test: false,
      stateDefault: join(dir, "state", "state.json"),
      sinkDeps: { stdout: { write: (s: string) => out.push(s) } },
      now: () => NOW,
      sleep: async () => {},
      ...more,
    },
    { cwd: dir, hostname: "box" },
  );
  const alerts = out
    .join("")
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  return { summary, alerts };
}

const SRT = "[SandboxDebug] Connection blocked to exfil.example:443";

it("srt: the agent's own stderr text cannot split srt's line at the line cap and hide the denial", async () => {
  const log = join(dir, "srt.log");
  for (const pad of [64 * 1024 - 5, 64 * 1024 - 20, 64 * 1024 - 40, 64 * 1024 + 3]) {
    writeFileSync(log, `${"a".repeat(pad)}${SRT}\n`);
    rmSync(join(dir, "state"), { recursive: true, force: true });
    const { alerts } = await watchOnce("sandbox-runtime", log);
    expect([pad, alerts.map((a) => [a.host, a.port])]).toEqual([pad, [["exfil.example", 443]]]);
  }
});

it("squid: the tail of a 1 MB request line, which the agent chose, is not read as a line of its own", async () => {
  const log = join(dir, "access.log");
  const forged =
    "1796573494.475 0 10.0.0.9 TCP_DENIED/403 1 CONNECT forged.example:443 - HIER_NONE/- text/html";
  const url = `http://x.example/${"a".repeat(1024 * 1024)}/${forged}`;
  writeFileSync(log, `1796573494.475      1 127.0.0.1 TCP_DENIED/403 3457 GET ${url}\n`);
  const { alerts, summary } = await watchOnce("squid", log);
  expect(alerts.map((a) => [a.host, a.port, a.client])).toEqual([["x.example", 80, "127.0.0.1"]]);
  expect([summary.lines, summary.denials]).toEqual([1, 1]);
});

it("a file of empty lines (the agent's stderr into srt's log) comes out in bounded batches, not a million lines at once", async () => {
  const log = join(dir, "srt.log");
  writeFileSync(log, `${"\n".repeat(1024 * 1024)}${SRT}\n`);
  const f = new LogFollower(log);
  const sizes: number[] = [];
  let last = "";
  for (;;) {
    const lines = await f.readAvailable();
    sizes.push(lines.length);
    if (lines.length > 0) last = lines.at(-1)!.text;
    if (!f.hasMore) break;
  }
  await f.close();
  expect(Math.max(...sizes)).toBe(10_000);
  expect(sizes.reduce((a, b) => a + b, 0)).toBe(1024 * 1024 + 1);
  expect(sizes.length).toBe(105);
  expect(last).toBe(SRT);
  expect(f.state?.offset).toBe(1024 * 1024 + SRT.length + 1);
});

const DENIED =
  "1796573494.475      1 127.0.0.1 TCP_DENIED/403 3411 CONNECT denied.example:443 - HIER_NONE/- text/html\n";

describe("a damaged --state file: a warning, every log read again from its start (alerts repeated, never lost)", () => {
  const statePath = () => join(dir, "state", "state.json");
  const cases: [string, () => void, string][] = [
    [
      "not JSON",
      () => writeFileSync(statePath(), "{nope"),
      "the --state file is not JSON: every log is read again from its start",
    ],
    [
      "a link to /dev/zero (a plain read never ends)",
      () => symlinkSync("/dev/zero", statePath()),
      "the --state file is a symbolic link: every log is read again from its start",
    ],
    [
      "another version",
      () => writeFileSync(statePath(), '{"version":2,"files":{}}'),
      "the --state file is not an agent-audit watch state (version 1): every log is read again from its start",
    ],
  ];
  for (const [name, plant, warning] of cases)
    it(name, async () => {
      const log = join(dir, "access.log");
      writeFileSync(log, DENIED);
      mkdirSync(join(dir, "state"), { mode: 0o700 });
      plant();
      const { alerts, summary } = await watchOnce("squid", log, { startAt: "end" });
      expect(alerts.map((a) => a.host)).toEqual(["denied.example"]);
      expect(summary.warnings).toEqual([warning]);
      // The next run resumes from the state this one saved.
      expect(JSON.parse(readFileSync(statePath(), "utf8")).files[log].offset).toBe(DENIED.length);
    });

  it("a FIFO at the state path: refused at once, never waited on", async () => {
    mkdirSync(join(dir, "state"), { mode: 0o700 });
    execFileSync("mkfifo", [statePath()]);
    const log = join(dir, "access.log");
    writeFileSync(log, DENIED);
    await expect(watchOnce("squid", log)).rejects.toThrow("the --state file is a FIFO, not a regular file");
  });

  it("an entry with a negative offset: that log is read from its start, with a warning", async () => {
    const log = join(dir, "access.log");
    writeFileSync(log, DENIED);
    mkdirSync(join(dir, "state"), { mode: 0o700 });
    writeFileSync(
      statePath(),
      JSON.stringify({ version: 1, files: { [log]: { dev: "1", ino: "2", offset: -5 } } }),
    );
    const { alerts, summary } = await watchOnce("squid", log, { startAt: "end" });
    expect(alerts.map((a) => a.host)).toEqual(["denied.example"]);
    expect(summary.warnings).toEqual([
      `the --state file's position of ${log} is damaged: that log is read again from its start`,
    ]);
  });
});
