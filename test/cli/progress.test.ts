import { describe, expect, it } from "vitest";
import type { CliIo } from "../../src/cli/io.js";
import { Progress } from "../../src/cli/progress.js";

function io(stderrIsTTY: boolean, err: string[]): CliIo {
  return {
    stdout: () => {},
    stderr: (s) => err.push(s),
    env: {},
    cwd: "/",
    homedir: "/",
    user: "t",
    uid: 1,
    hostname: "h",
    stdoutIsTTY: false,
    stderrIsTTY,
  };
}

describe("progress on stderr", () => {
  it("draws files, MB and elapsed time on a terminal after half a second, then erases itself", () => {
    let clock = 0;
    const err: string[] = [];
    const p = new Progress(io(true, err), true, () => clock);
    p.tick(1_000_000);
    expect(err).toEqual([]); // not before 500 ms
    clock = 700;
    p.tick(2_500_000);
    clock = 750; // throttled: at most every 100 ms
    p.tick(1);
    p.done();
    expect(err).toEqual(["\r\x1b[2Kscanning: 2 files, 3.5 MB, 0.7s", "\r\x1b[2K"]);
  });

  it("never draws when stderr is not a terminal, or when not wanted (--no-progress, JSON to a pipe)", () => {
    for (const [tty, wanted] of [
      [false, true],
      [true, false],
    ] as const) {
      let clock = 0;
      const err: string[] = [];
      const p = new Progress(io(tty, err), wanted, () => clock);
      clock = 5000;
      p.tick(10);
      p.done();
      expect(err).toEqual([]);
    }
  });
});
