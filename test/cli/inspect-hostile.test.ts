import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { cli } from "../helpers/cli.js";
import { tempTree } from "../helpers/tmp.js";

// End to end, the hostile review of the runtime inspection (issue 10): an agent that writes its own
// runtime configs, environment and home must not crash, stall or steer `agent-audit scan`.

const TOKEN = "ghp_Zq8Wm3Kx7Lp2Vn5Rt9Yb4Hc6Jd1Fs0GaE3uQ7";
const MIB = 1024 * 1024;

const t = tempTree({
  "S/.keep": "",
  "R/.keep": "",
  // 256 KiB of quotes: yaml's composer took three minutes on it.
  "H/.hermes/config.yaml": '"'.repeat(256 * 1024 - 16),
  // A string cut by a line break, then a bracket flood: the depth guard missed it, the JSON
  // parser overflowed the stack and the scan exited 2.
  "H/.claude/settings.json": `["\n${"[".repeat(MIB - 64)}`,
  // A token and terminal escapes in the values the findings quote.
  "H/.srt-settings.json": JSON.stringify({
    network: { allowedDomains: [`${TOKEN.toLowerCase()}.example.com`, "github.com"], deniedDomains: [] },
    filesystem: { allowWrite: [`~/\u001b]0;pwned\u0007\u001b[31m${TOKEN}`, "~/.bashrc"] },
  }),
  // Pointers at the scanning machine: "/" and this process's own /proc entry.
  E: `HERMES_HOME=/\nCODEX_HOME=/proc/self\nGH_TOKEN=${TOKEN}\n`,
});
afterAll(t.cleanup);
const H = join(t.dir, "H");
const args = (format: string) => [
  "scan",
  "--home",
  H,
  "--root",
  join(t.dir, "R"),
  "--system-root",
  join(t.dir, "S"),
  "--environ",
  join(t.dir, "E"),
  "--format",
  format,
];

describe("scan over a hostile agent's runtime configs", () => {
  it("reports each hostile file as an issue and exits normally, in every format, without the token or escapes", async () => {
    const r = await cli(args("json"));
    expect(r.stderr).toBe("");
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout) as {
      issues: { where: string; message: string }[];
      agents: { runtimes: { runtime: string; present: boolean; gate: { status: string } }[] };
    };
    const mine = report.issues.filter((i) => i.where !== "/proc");
    expect(mine).toEqual([
      // The inventory's own reading of the same file.
      { where: ".claude/settings.json", message: "not valid JSON; scanned as text" },
      {
        where: join(H, ".claude/settings.json"),
        message: "not parsed: nested deeper than 64 levels at line 2, column 64",
      },
      // HERMES_HOME=/ names the agent's "/", the system root: no Hermes config there (absent, not
      // this machine's /config.yaml).
    ]);
    const gates = Object.fromEntries(report.agents.runtimes.map((v) => [v.runtime, v.gate.status]));
    expect(gates).toEqual({
      "claude-code": "unknown",
      codex: "unknown",
      "gemini-cli": "unknown",
      hermes: "unknown",
      "sandbox-runtime": "none",
    });
    for (const format of ["json", "table", "markdown", "sarif"]) {
      const out = format === "json" ? r : await cli(args(format));
      expect(out.code).toBe(1);
      expect(out.stdout + out.stderr).not.toContain(TOKEN);
      expect(out.stdout + out.stderr).not.toContain(TOKEN.toLowerCase());
      expect(out.stdout + out.stderr).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f]/);
    }
  }, 60_000);

  it("a quote-flooded ~/.hermes/config.yaml is refused at once (was: three minutes)", async () => {
    const hostile = tempTree({
      "S/.keep": "",
      "R/.keep": "",
      "H/.hermes/config.yaml": '"'.repeat(256 * 1024 - 16),
      E: "",
    });
    try {
      const r = await cli([
        "scan",
        "--home",
        join(hostile.dir, "H"),
        "--root",
        join(hostile.dir, "R"),
        "--system-root",
        join(hostile.dir, "S"),
        "--environ",
        join(hostile.dir, "E"),
        "--format",
        "json",
      ]);
      const report = JSON.parse(r.stdout) as { issues: { where: string; message: string }[] };
      expect(report.issues.filter((i) => i.where !== "/proc")).toEqual([
        {
          where: join(hostile.dir, "H/.hermes/config.yaml"),
          message: "not parsed: line 1: too many anchors, tags or indicators on one value",
        },
      ]);
    } finally {
      hostile.cleanup();
    }
  }, 60_000);
});
