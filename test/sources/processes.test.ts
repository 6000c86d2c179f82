import { execFileSync } from "node:child_process";
import { mkdirSync, symlinkSync } from "node:fs";
import { join } from "node:path";
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

  it("keeps fingerprints when the processes restart with other pids", async () => {
    const before = sysroot({
      "proc/101/environ": environ({ AWS_SECRET_ACCESS_KEY: AWS_SECRET }),
      "proc/103/environ": environ({ AWS_SECRET_ACCESS_KEY: AWS_SECRET, DB_PASSWORD }),
    });
    const after = sysroot({
      "proc/2201/environ": environ({ AWS_SECRET_ACCESS_KEY: AWS_SECRET, DB_PASSWORD }),
      "proc/2250/environ": environ({ AWS_SECRET_ACCESS_KEY: AWS_SECRET }),
    });
    const a = await inventory({ sources: ["processes"], systemRoot: before });
    const b = await inventory({ sources: ["processes"], systemRoot: after });
    // Two holders of one secret are two findings, with two fingerprints.
    expect(a.findings.length).toBe(3);
    expect(new Set(a.findings.map((f) => f.fingerprint)).size).toBe(3);
    expect(b.findings.map((f) => f.fingerprint).sort()).toEqual(a.findings.map((f) => f.fingerprint).sort());
    // A changed secret is new again.
    const changed = sysroot({ "proc/9/environ": environ({ DB_PASSWORD: "Zt4!kW9pLm2#Qx7R" }) });
    const c = await inventory({ sources: ["processes"], systemRoot: changed });
    expect(a.findings.map((f) => f.fingerprint)).not.toContain(c.findings[0]!.fingerprint);
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
      { where: "/proc/7/environ", message: "skipped: is a directory, not a regular file" },
    ]);
  });

  it("never blocks on a FIFO or reads a device planted in an image's /proc (issue 8)", async () => {
    const host = sysroot({ environ: environ({ GITHUB_TOKEN: GH_TOKEN }) });
    const root = sysroot({ "proc/9/environ": environ({ DB_PASSWORD }) });
    mkdirSync(join(root, "proc/7"));
    mkdirSync(join(root, "proc/8"));
    mkdirSync(join(root, "proc/10"));
    execFileSync("mkfifo", [join(root, "proc/7/environ")]);
    symlinkSync("/dev/zero", join(root, "proc/8/environ"));
    symlinkSync(join(host, "environ"), join(root, "proc/10/environ"));
    const res = await inventory({ sources: ["processes"], systemRoot: root });
    expect(rows(res.findings)).toEqual(["high generic-secret-name /proc/9/environ DB_PASSWORD"]);
    expect(res.issues).toEqual([
      { where: "/proc/10/environ", message: "skipped: leads outside --system-root" },
      { where: "/proc/7/environ", message: "skipped: is a FIFO, not a regular file" },
      { where: "/proc/8/environ", message: "skipped: is a character device, not a regular file" },
    ]);
  });

  it("records a missing /proc as one issue", async () => {
    const root = sysroot({});
    const res = await inventory({ sources: ["processes"], systemRoot: root });
    expect(res.findings).toEqual([]);
    expect(res.issues).toEqual([{ where: "/proc", message: "not mounted: no other processes to read" }]);
  });
});
