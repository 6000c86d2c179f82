import { describe, expect, it } from "vitest";
import { inventory } from "../helpers/inventory.js";
import { environ, sandboxes } from "../helpers/sandbox.js";

const { sysroot } = sandboxes("aa-proc-");

// Fake fixture secrets shaped like the real thing; none is a live credential.
const AWS_SECRET = "kT9vB2xQ7mL4pW8rZ3nY6cF1hJ5dS0gA9eR2tU7i";
const GH_TOKEN = "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";
const DB_PASSWORD = "q8Zr!v2Lp#x9Wm4T";

const rows = (fs: { ruleId: string; severity: string; location: { path?: string; name?: string } }[]) =>
  fs.map((f) => `${f.severity} ${f.ruleId} ${f.location.path} ${f.location.name}`);

describe("other processes source", () => {
  it("reports secrets in every readable environ, once per process", async () => {
    const root = sysroot({
      "proc/101/environ": environ({ PATH: "/usr/bin", AWS_SECRET_ACCESS_KEY: AWS_SECRET, HOME: "/root" }),
      "proc/102/environ": environ({ DB_PASSWORD, LANG: "C.UTF-8" }),
      "proc/103/environ": environ({ AWS_SECRET_ACCESS_KEY: AWS_SECRET }),
      "proc/104/environ": "", // a kernel thread: no environment
      "proc/105/comm": "exited\n", // the process left before its environ was read
      "proc/1000/environ": environ({ GITHUB_TOKEN: GH_TOKEN }),
      "proc/cpuinfo": "processor : 0\n",
      "proc/self/environ": environ({ GITHUB_TOKEN: GH_TOKEN }),
    });
    const res = await inventory({ sources: ["processes"], systemRoot: root });
    expect(rows(res.findings)).toEqual([
      // The core sorts paths as strings: /proc/1000 before /proc/101.
      "critical github-pat-classic /proc/1000/environ GITHUB_TOKEN",
      "critical aws-secret-access-key /proc/101/environ AWS_SECRET_ACCESS_KEY",
      "critical aws-secret-access-key /proc/103/environ AWS_SECRET_ACCESS_KEY",
      "high generic-secret-name /proc/102/environ DB_PASSWORD",
    ]);
    expect(res.findings.every((f) => f.location.source === "process")).toBe(true);
    expect(res.issues).toEqual([]);
    const json = JSON.stringify(res);
    for (const s of [AWS_SECRET, GH_TOKEN, DB_PASSWORD]) expect(json).not.toContain(s);
  });

  it("does not skip a fixture pid equal to the scanner's own (only the real /proc has a self)", async () => {
    const root = sysroot({ [`proc/${process.pid}/environ`]: environ({ GITHUB_TOKEN: GH_TOKEN }) });
    const res = await inventory({ sources: ["processes"], systemRoot: root });
    expect(rows(res.findings)).toEqual([
      `critical github-pat-classic /proc/${process.pid}/environ GITHUB_TOKEN`,
    ]);
  });

  it("records an environ it cannot read for another reason as an issue", async () => {
    const root = sysroot({ "proc/7/environ/oops": "" });
    const res = await inventory({ sources: ["processes"], systemRoot: root });
    expect(res.findings).toEqual([]);
    expect(res.issues).toEqual([
      { where: "/proc/7/environ", message: "cannot read: is a directory (EISDIR)" },
    ]);
  });

  it("records a missing /proc as one issue", async () => {
    const root = sysroot({});
    const res = await inventory({ sources: ["processes"], systemRoot: root });
    expect(res.findings).toEqual([]);
    expect(res.issues).toEqual([{ where: "/proc", message: "not mounted: no other processes to read" }]);
  });
});
