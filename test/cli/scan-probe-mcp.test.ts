import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CliIo } from "../../src/cli/io.js";
import { runCli } from "../../src/cli/program.js";
import { allowlistProxy, closedPort, rawServer, type Started } from "../capabilities/egress/fake-servers.js";

// Issue 16, egress: `scan --probe` judges each MCP server's hosts against the probed posture. On
// loopback only (as test/cli/probe.test.ts): IP-literal canaries, no default target, names resolved
// by a stub, --system-root a temp folder (no firewall read).
const dir = mkdtempSync(join(tmpdir(), "aa-probe-mcp-"));
const home = join(dir, "home");
const root = join(dir, "root");
let proxy: Started;
let listening: Started;
let closed: number;

beforeAll(async () => {
  mkdirSync(home, { recursive: true });
  mkdirSync(root, { recursive: true });
  writeFileSync(
    join(home, ".claude.json"),
    JSON.stringify(
      {
        mcpServers: {
          allowed: { type: "http", url: "https://allowed.test/mcp" },
          other: { type: "http", url: "https://other.test/mcp" },
        },
      },
      null,
      2,
    ),
  );
  proxy = await allowlistProxy(["allowed.test"]);
  listening = await rawServer(() => "HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n");
  closed = await closedPort();
});
afterAll(async () => {
  await proxy.close();
  await listening.close();
  rmSync(dir, { recursive: true, force: true });
});

async function scan(args: string[]) {
  const out = { stdout: "", stderr: "" };
  const io: CliIo = {
    stdout: (s) => {
      out.stdout += s;
    },
    stderr: (s) => {
      out.stderr += s;
    },
    env: {},
    cwd: dir,
    homedir: home,
    user: "tester",
    uid: 1000,
    hostname: "test",
    stdoutIsTTY: false,
    stderrIsTTY: false,
    lookup: async (host) => {
      throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: "ENOTFOUND" });
    },
  };
  const code = await runCli(
    [
      "scan",
      "--home",
      home,
      "--root",
      root,
      "--sources",
      "home,tree",
      "--no-env",
      "--probe",
      "--no-default-targets",
      "--ports",
      "none",
      "--allowed-host",
      "allowed.test",
      "--system-root",
      dir,
      "--timeout-ms",
      "500",
      "--format",
      "json",
      "--exit-zero",
      ...args,
    ],
    io,
  );
  expect(out.stderr).toBe("");
  expect(code).toBe(0);
  const report = JSON.parse(out.stdout);
  return {
    posture: report.egress.posture as string,
    mcp: report.findings
      .filter((f: { ruleId: string }) => f.ruleId.startsWith("mcp-egress"))
      .map((f: { ruleId: string; severity: string; location: { name: string } }) => [
        f.ruleId,
        f.severity,
        f.location.name,
      ]),
    step3: report.checklist.find((c: { id: string }) => c.id === "egress-proxy"),
  };
}

describe("scan --probe and MCP servers' hosts", () => {
  it("behind an allowlisting proxy: the server whose host is not allowed is reported, the other is not", async () => {
    const r = await scan(["--canary", `127.0.0.1:${closed}`, "--proxy", `http://127.0.0.1:${proxy.port}`]);
    expect(r.posture).toBe("kernel-enforced-with-proxy");
    expect(r.mcp).toEqual([["mcp-egress-blocked", "low", "other"]]);
    // A low finding leaves the probes' pass as it is.
    expect(r.step3.status).toBe("pass");
  });

  it("with egress open: every server can reach anything, as evidence of the failing step 3", async () => {
    const r = await scan(["--canary", `127.0.0.1:${listening.port}`]);
    expect(r.posture).toBe("open");
    expect(r.mcp).toEqual([
      ["mcp-egress-open", "medium", "allowed"],
      ["mcp-egress-open", "medium", "other"],
    ]);
    expect(r.step3.status).toBe("fail");
  });
});
