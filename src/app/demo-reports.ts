import { REPORTERS } from "../render/index.js";
import { defaultRules, ruleCatalog } from "../rules/catalog.js";
import { mapStrings } from "../util/map-strings.js";
import { materializeDemo } from "./demo.js";
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
  const demo = materializeDemo();
  let scanned: Awaited<ReturnType<typeof runScan>>["report"];
  try {
    scanned = (
      await runScan(
        defaultScanRequest({
          home: demo.home,
          root: demo.root,
          systemRoot: demo.systemRoot,
          environment: { from: "file", path: demo.environ },
          tree: { ...defaultScanRequest().tree, concurrency: 8 },
        }),
        { cwd: "/", env: {}, homedir: "/nonexistent", user: "agent", hostname: "demo-sandbox" },
      )
    ).report;
  } finally {
    demo.cleanup();
  }
  // Absolute paths (runtime configs, their issues) name the temporary copy: shown as the demo's
  // fixed target instead, so the reports are the same on every machine.
  const place = (s: string) =>
    s
      .split(demo.root)
      .join("/home/agent/work")
      .split(demo.home)
      .join("/home/agent")
      .split(demo.systemRoot)
      .join("");
  const report = mapStrings(scanned, place, new Set(["stats"]));
  report.target = { home: "/home/agent", root: "/home/agent/work", user: "agent", hostname: "demo-sandbox" };
  delete report.stats;
  const out: Record<string, string> = {};
  const rules = ruleCatalog(defaultRules());
  for (const [format, render] of Object.entries(REPORTERS)) {
    out[`demo.${EXT[format] ?? format}`] = render(report, { color: false, rules });
  }
  return out;
}
