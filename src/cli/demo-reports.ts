import { REPORTERS } from "../reporters/index.js";
import type { CliIo } from "./io.js";
import { runScan, type ScanFlags } from "./scan.js";

const EXT: Record<string, string> = {
  table: "txt",
  json: "json",
  sarif: "sarif",
  junit: "junit.xml",
  markdown: "md",
};

/**
 * The demo sandbox's report in every format, with a fixed target (the fixture paths depend on
 * where the package is installed), as written to reports/ by `npm run reports`.
 */
export async function demoReports(): Promise<Record<string, string>> {
  const io: CliIo = {
    stdout: () => {},
    stderr: () => {},
    env: {},
    cwd: "/",
    homedir: "/nonexistent",
    user: "agent",
    uid: 1000,
    hostname: "demo-sandbox",
    stdoutIsTTY: false,
    stderrIsTTY: false,
  };
  const flags: ScanFlags = {
    report: [],
    env: true,
    systemRoot: "/",
    includeVcs: false,
    includeDeps: false,
    includeBinary: false,
    maxFileSize: 10 * 1024 * 1024,
    concurrency: 8,
    exitZero: false,
    demo: true,
    probe: false,
    canary: [],
    allowedHost: [],
    progress: false,
  };
  const { report } = await runScan(flags, io);
  report.target = { home: "/home/agent", root: "/home/agent/work", user: "agent", hostname: "demo-sandbox" };
  delete report.stats;
  const out: Record<string, string> = {};
  for (const [format, render] of Object.entries(REPORTERS)) {
    out[`demo.${EXT[format] ?? format}`] = render(report, { color: false });
  }
  return out;
}
