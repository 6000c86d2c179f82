import { execFileSync } from "node:child_process";
import {
  appendFileSync,
  chmodSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  truncateSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  emptyState,
  JournalReader,
  LogFollower,
  type LogLine,
  loadState,
  saveState,
} from "../../../src/capabilities/alerting/tail.js";
import { UsageError } from "../../../src/util/errors.js";
import { UnsafeFileError } from "../../../src/util/safe-read.js";

let dir: string;
let log: string;
const followers: LogFollower[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "aa-tail-"));
  log = join(dir, "access.log");
});
afterEach(async () => {
  for (const f of followers.splice(0)) await f.close();
  rmSync(dir, { recursive: true, force: true });
});

function follower(...args: ConstructorParameters<typeof LogFollower>): LogFollower {
  const f = new LogFollower(...args);
  followers.push(f);
  return f;
}

const texts = (lines: LogLine[]) => lines.map((l) => l.text);

describe("LogFollower", () => {
  it("complete lines only: a partial line waits for its newline", async () => {
    writeFileSync(log, "one\ntwo\nhal");
    const f = follower(log);
    expect(texts(await f.readAvailable())).toEqual(["one", "two"]);
    expect(await f.readAvailable()).toEqual([]);
    appendFileSync(log, "f line\nthree");
    expect(await f.readAvailable()).toEqual([{ text: "half line", truncated: false }]);
    appendFileSync(log, "\n");
    expect(texts(await f.readAvailable())).toEqual(["three"]);
    expect(f.state?.offset).toBe(Buffer.byteLength("one\ntwo\nhalf line\nthree\n"));
  });

  it("a missing file yields nothing until it appears; startAt end skips what is there", async () => {
    const f = follower(log);
    expect(await f.readAvailable()).toEqual([]);
    expect(f.state).toBeUndefined();
    writeFileSync(log, "a\n");
    expect(texts(await f.readAvailable())).toEqual(["a"]);
    const g = follower(log, { startAt: "end" });
    expect(await g.readAvailable()).toEqual([]);
    appendFileSync(log, "b\n");
    expect(texts(await g.readAvailable())).toEqual(["b"]);
  });

  it("rotation (rename, the writer appends to the old file, then a new file): old file finished first, then the new one from 0", async () => {
    writeFileSync(log, "old1\n");
    const f = follower(log);
    expect(texts(await f.readAvailable())).toEqual(["old1"]);
    renameSync(log, `${log}.1`);
    appendFileSync(`${log}.1`, "old2\nold-partial");
    writeFileSync(log, "new1\nnew2\n");
    // The old file is read to its end (its partial line waits: the writer may still finish it)...
    expect(texts(await f.readAvailable())).toEqual(["old2"]);
    appendFileSync(`${log}.1`, " end\n");
    expect(texts(await f.readAvailable())).toEqual(["old-partial end"]);
    // ...and once it stopped growing, the new file from its start.
    expect(texts(await f.readAvailable())).toEqual(["new1", "new2"]);
    appendFileSync(log, "new3\n");
    expect(texts(await f.readAvailable())).toEqual(["new3"]);
  });

  it("a rotated file's unterminated last line is handed out when the file is finished", async () => {
    writeFileSync(log, "a\nlast-no-newline");
    const f = follower(log);
    expect(texts(await f.readAvailable())).toEqual(["a"]);
    renameSync(log, `${log}.1`);
    expect(await f.readAvailable()).toEqual([]);
    writeFileSync(log, "b\n");
    expect(texts(await f.readAvailable())).toEqual(["last-no-newline", "b"]);
  });

  it("the path removed (no new file yet): the old file is finished, the new one read from 0 when it appears", async () => {
    const f = follower(log, { startAt: "end" });
    writeFileSync(log, "");
    expect(await f.readAvailable()).toEqual([]);
    appendFileSync(log, "x\n");
    rmSync(log);
    expect(texts(await f.readAvailable())).toEqual(["x"]);
    expect(await f.readAvailable()).toEqual([]);
    writeFileSync(log, "y\n");
    expect(texts(await f.readAvailable())).toEqual(["y"]);
  });

  it("copytruncate: a shorter file is read again from 0", async () => {
    writeFileSync(log, "line1\nline2\n");
    const warnings: string[] = [];
    const f = follower(log, { onWarning: (m) => warnings.push(m) });
    expect(texts(await f.readAvailable())).toEqual(["line1", "line2"]);
    truncateSync(log, 0);
    appendFileSync(log, "after\n");
    expect(texts(await f.readAvailable())).toEqual(["after"]);
    expect(warnings).toEqual([`${log} was truncated: read again from its start`]);
  });

  it("truncated and written past the old offset before the next poll: detected by the bytes before the offset", async () => {
    writeFileSync(log, "short-1\n");
    const f = follower(log);
    expect(texts(await f.readAvailable())).toEqual(["short-1"]);
    truncateSync(log, 0);
    appendFileSync(log, "a much longer first line\nsecond\n");
    expect(texts(await f.readAvailable())).toEqual(["a much longer first line", "second"]);
  });

  it("restart: a new follower from the saved state resumes exactly after the last line (no loss, no repeat)", async () => {
    const stateFile = join(dir, "state.json");
    writeFileSync(log, "1\n2\n3-part");
    const a = follower(log);
    expect(texts(await a.readAvailable())).toEqual(["1", "2"]);
    const state = emptyState();
    state.files[log] = a.state!;
    saveState(stateFile, state);
    await a.close();
    appendFileSync(log, "ial\n4\n");
    const b = follower(log, { state: loadState(stateFile).files[log] });
    expect(texts(await b.readAvailable())).toEqual(["3-partial", "4"]);
    expect(await b.readAvailable()).toEqual([]);
  });

  it("restart after a rotation while stopped: the old file is finished from PATH.1, then the new one", async () => {
    writeFileSync(log, "1\n");
    const a = follower(log);
    expect(texts(await a.readAvailable())).toEqual(["1"]);
    const saved = a.state!;
    await a.close();
    appendFileSync(log, "2\n");
    renameSync(log, `${log}.1`);
    writeFileSync(log, "3\n");
    const b = follower(log, { state: saved });
    const got = [...(await b.readAvailable()), ...(await b.readAvailable())];
    expect(texts(got)).toEqual(["2", "3"]);
  });

  it("restart after a rotation whose old file is gone: a warning, the new file from 0", async () => {
    writeFileSync(log, "1\n");
    const a = follower(log);
    await a.readAvailable();
    const saved = a.state!;
    await a.close();
    rmSync(log);
    writeFileSync(log, "2\n");
    const warnings: string[] = [];
    const b = follower(log, { state: saved, onWarning: (m) => warnings.push(m) });
    expect(texts(await b.readAvailable())).toEqual(["2"]);
    expect(warnings.length).toBe(1);
  });

  it("restart after truncation while stopped: from 0", async () => {
    writeFileSync(log, "aaaa\nbbbb\n");
    const a = follower(log);
    await a.readAvailable();
    const saved = a.state!;
    await a.close();
    truncateSync(log, 0);
    appendFileSync(log, "c\n");
    const b = follower(log, { state: saved });
    expect(texts(await b.readAvailable())).toEqual(["c"]);
  });

  it("a 1 MB line: its head and tail are handed out cut, the next line whole", async () => {
    const big = `HEAD${"x".repeat(1024 * 1024)}TAIL`;
    writeFileSync(log, `${big}\nnext\n`);
    const f = follower(log, { chunkSize: 4096 });
    const lines = await f.readAvailable();
    expect(lines.map((l) => [l.text.length, l.truncated])).toEqual([
      [64 * 1024, true],
      [64 * 1024, true],
      [4, false],
    ]);
    expect(lines[0]!.text.startsWith("HEAD")).toBe(true);
    expect(lines[1]!.text.endsWith("xTAIL")).toBe(true);
    expect(lines[2]!.text).toBe("next");
  });

  it("an over-long partial line never stalls the follower, and resumes inside it after a restart", async () => {
    writeFileSync(log, "y".repeat(100_000));
    const a = follower(log, { lineCap: 1000 });
    expect((await a.readAvailable()).map((l) => [l.text.length, l.truncated])).toEqual([[1000, true]]);
    const saved = a.state!;
    expect(saved.skipping).toBe(true);
    await a.close();
    appendFileSync(log, "Z\nok\n");
    const b = follower(log, { lineCap: 1000, state: saved });
    const lines = await b.readAvailable();
    expect(lines.map((l) => [l.text.length, l.truncated])).toEqual([
      [1000, true],
      [2, false],
    ]);
    expect(lines[0]!.text).toBe(`${"y".repeat(999)}Z`);
  });

  it("a FIFO is refused at once (no blocking open)", async () => {
    const fifo = join(dir, "fifo");
    execFileSync("mkfifo", [fifo]);
    const f = follower(fifo);
    const err = await f.readAvailable().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnsafeFileError);
    expect((err as UnsafeFileError).code).toBe("not-regular");
  });

  it("a directory or device is refused", async () => {
    const e1 = await follower(dir)
      .readAvailable()
      .catch((e: unknown) => e);
    expect((e1 as UnsafeFileError).code).toBe("not-regular");
    const e2 = await follower("/dev/null")
      .readAvailable()
      .catch((e: unknown) => e);
    expect((e2 as UnsafeFileError).code).toBe("not-regular");
  });

  it("batchBytes bounds one call; hasMore says there is more", async () => {
    writeFileSync(log, "a\nb\nc\nd\n");
    const f = follower(log, { batchBytes: 4, chunkSize: 2 });
    expect(texts(await f.readAvailable())).toEqual(["a", "b"]);
    expect(f.hasMore).toBe(true);
    expect(texts(await f.readAvailable())).toEqual(["c", "d"]);
  });

  it("follow() yields batches and stops on abort", async () => {
    writeFileSync(log, "a\n");
    const f = follower(log);
    const ac = new AbortController();
    const seen: string[] = [];
    for await (const batch of f.follow({ intervalMs: 10, signal: ac.signal })) {
      seen.push(...texts(batch));
      if (seen.length === 1) appendFileSync(log, "b\n");
      else ac.abort();
    }
    expect(seen).toEqual(["a", "b"]);
  });
});

describe("state file", () => {
  it("missing: empty; saved and loaded back; not a state: a usage error", () => {
    const p = join(dir, "s.json");
    expect(loadState(p)).toEqual({ version: 1, files: {}, journals: {} });
    const s = emptyState();
    s.files["/var/log/x"] = { dev: "1", ino: "18446744073709551615", offset: 5, partialHash: "ab" };
    s.journals!.journal = { cursor: "s=1;i=2" };
    saveState(p, s);
    expect(loadState(p)).toEqual(s);
    writeFileSync(p, "{");
    expect(() => loadState(p)).toThrow(UsageError);
    writeFileSync(p, '{"version":2,"files":{}}');
    expect(() => loadState(p)).toThrow(UsageError);
  });
});

describe("JournalReader", () => {
  function fakeJournalctl(body: string): string {
    const script = join(dir, "journalctl");
    writeFileSync(script, `#!/bin/sh\nprintf '%s\\n' "$@" > "${dir}/args.txt"\n${body}\n`);
    chmodSync(script, 0o755);
    return script;
  }
  const entry = (cursor: string, message: string) =>
    JSON.stringify({
      __CURSOR: cursor,
      __REALTIME_TIMESTAMP: "1765036800000000",
      _TRANSPORT: "kernel",
      MESSAGE: message,
    });

  it("once: runs journalctl -o json after the saved cursor, keeps the last cursor", async () => {
    const out = [entry("s=1;i=1", "m1"), entry("s=1;i=2", "m2")].join("\n");
    const bin = fakeJournalctl(`cat <<'EOF'\n${out}\nEOF`);
    const r = new JournalReader({ journalctl: bin, matches: ["_TRANSPORT=kernel"] });
    expect(texts(await r.readAvailable())).toEqual(out.split("\n"));
    expect(readFileSync(join(dir, "args.txt"), "utf8").trim().split("\n")).toEqual([
      "-o",
      "json",
      "--all",
      "--no-pager",
      "_TRANSPORT=kernel",
    ]);
    expect(r.state).toEqual({ cursor: "s=1;i=2" });
    const again = new JournalReader({ journalctl: bin, state: r.state });
    await again.readAvailable();
    expect(readFileSync(join(dir, "args.txt"), "utf8").trim().split("\n")).toEqual([
      "-o",
      "json",
      "--all",
      "--no-pager",
      "--after-cursor=s=1;i=2",
    ]);
  });

  it("once: a failing journalctl is an error", async () => {
    const bin = fakeJournalctl("echo 'No journal files were found.' >&2; exit 1");
    await expect(new JournalReader({ journalctl: bin }).readAvailable()).rejects.toThrow(
      "journalctl exited with 1: No journal files were found.",
    );
  });

  it("follow: yields lines as they come, kills journalctl on abort", async () => {
    const bin = fakeJournalctl(`echo '${entry("c1", "a")}'; echo '${entry("c2", "b")}'; exec sleep 30`);
    const r = new JournalReader({ journalctl: bin });
    const ac = new AbortController();
    const seen: string[] = [];
    for await (const batch of r.follow({ signal: ac.signal })) {
      seen.push(...texts(batch));
      if (seen.length >= 2) ac.abort();
    }
    expect(seen).toEqual([entry("c1", "a"), entry("c2", "b")]);
    expect(r.state).toEqual({ cursor: "c2" });
    expect(readFileSync(join(dir, "args.txt"), "utf8").trim().split("\n")).toEqual([
      "-o",
      "json",
      "--all",
      "--no-pager",
      "--follow",
    ]);
  });
});
