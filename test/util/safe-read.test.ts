import { execFileSync } from "node:child_process";
import { mkdirSync, realpathSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { readRegularFile, readRegularText, UnsafeFileError } from "../../src/util/safe-read.js";
import { tempTree } from "../helpers/tmp.js";

// Issue 8: every file agent-audit reads for itself (config, baseline, passwd, environ dumps) may
// have been planted by the agent: a FIFO must not block, a device must not be read, a big file
// must not be read at all, a link out of an audited image must not be followed.

let cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups) c();
  cleanups = [];
});
function dir(files: Record<string, string | Buffer> = {}) {
  const t = tempTree(files, "aa-safe-read-");
  cleanups.push(t.cleanup);
  return t.dir;
}
async function refusal(p: Promise<unknown>): Promise<[string, string]> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(UnsafeFileError);
  return [(e as UnsafeFileError).code, (e as UnsafeFileError).message];
}

describe("readRegularFile", () => {
  it("reads a regular file whole", async () => {
    const d = dir({ "a.txt": "hello\n" });
    expect((await readRegularFile(join(d, "a.txt"), { maxBytes: 6 })).toString()).toBe("hello\n");
  });

  it("refuses a FIFO without blocking on it", async () => {
    const d = dir();
    execFileSync("mkfifo", [join(d, "pipe")]);
    expect(await refusal(readRegularFile(join(d, "pipe"), { maxBytes: 100 }))).toEqual([
      "not-regular",
      "is a FIFO, not a regular file",
    ]);
  });

  it("refuses a link to a character device (it would never end)", async () => {
    const d = dir();
    symlinkSync("/dev/zero", join(d, "zero.yaml"));
    expect(await refusal(readRegularFile(join(d, "zero.yaml"), { maxBytes: 100 }))).toEqual([
      "not-regular",
      "is a character device, not a regular file",
    ]);
  });

  it("refuses a directory", async () => {
    const d = dir();
    mkdirSync(join(d, "sub"));
    expect(await refusal(readRegularFile(join(d, "sub"), { maxBytes: 100 }))).toEqual([
      "not-regular",
      "is a directory, not a regular file",
    ]);
  });

  it("refuses a file over the cap, without reading it", async () => {
    const d = dir({ "big.json": Buffer.alloc(101, "a") });
    expect(await refusal(readRegularFile(join(d, "big.json"), { maxBytes: 100 }))).toEqual([
      "too-large",
      "is 101 bytes, over the 100-byte limit",
    ]);
  });

  it("reads a procfs file (stat size 0) to its end, and refuses one past the cap", async () => {
    // /proc/self/cmdline: size 0 like /proc/PID/environ, and nothing secret (this test runner's argv).
    const cmdline = await readRegularFile("/proc/self/cmdline", { maxBytes: 1 << 20, sizeUnknown: true });
    expect(cmdline.length > 0).toBe(true);
    expect(await refusal(readRegularFile("/proc/self/cmdline", { maxBytes: 1, sizeUnknown: true }))).toEqual([
      "too-large",
      "is over the 1-byte limit",
    ]);
  });

  it("passes fs errors through with their code", async () => {
    const d = dir();
    await expect(readRegularFile(join(d, "missing"), { maxBytes: 1 })).rejects.toMatchObject({
      code: "ENOENT",
    });
  });

  it("confined: follows a link inside the root, refuses one that leads out", async () => {
    const outside = dir({ passwd: "root:x:0:0::/root:/bin/sh\n" });
    const image = dir({ "etc/real": "agent:x:1:1::/:/bin/sh\n" });
    symlinkSync(join(image, "etc/real"), join(image, "etc/inside"));
    symlinkSync(join(outside, "passwd"), join(image, "etc/passwd"));
    const confineTo = realpathSync(image);
    expect((await readRegularText(join(image, "etc/inside"), { maxBytes: 100, confineTo })).length).toBe(23);
    expect(await refusal(readRegularFile(join(image, "etc/passwd"), { maxBytes: 100, confineTo }))).toEqual([
      "outside-root",
      "leads outside --system-root",
    ]);
  });
});

describe("readRegularText", () => {
  it("drops a UTF-8 byte order mark", async () => {
    const d = dir({ "b.json": Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from("{}")]) });
    expect(await readRegularText(join(d, "b.json"), { maxBytes: 100 })).toBe("{}");
  });

  it("keeps a file without one as it is", async () => {
    const d = dir({ "a.txt": "\u00e9t\u00e9" });
    expect(await readRegularText(join(d, "a.txt"), { maxBytes: 100 })).toBe("\u00e9t\u00e9");
  });
});
