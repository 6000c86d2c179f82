import { REPORTERS } from "../render/index.js";
import { defaultRules, ruleCatalog } from "../rules/catalog.js";
import { defaultScanRequest, runScan } from "./scan.js";

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
  const { report } = await runScan(
    defaultScanRequest({ demo: true, tree: { ...defaultScanRequest().tree, concurrency: 8 } }),
    { cwd: "/", env: {}, homedir: "/nonexistent", user: "agent", hostname: "demo-sandbox" },
  );
  report.target = { home: "/home/agent", root: "/home/agent/work", user: "agent", hostname: "demo-sandbox" };
  delete report.stats;
  const out: Record<string, string> = {};
  const rules = ruleCatalog(defaultRules());
  for (const [format, render] of Object.entries(REPORTERS)) {
    out[`demo.${EXT[format] ?? format}`] = render(report, { color: false, rules });
  }
  return out;
}
