import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { slackMessage } from "../capabilities/alerting/sinks.js";
import type { Alert } from "../capabilities/alerting/types.js";
import type { AuditReport } from "../contract/types.js";
import { buildAllowlist } from "../fix/allowlist.js";
import { generate, hardeningReadme, selectTargets } from "../fix/index.js";
import { REPORTERS } from "../render/index.js";
import { defaultRules, ruleCatalog } from "../rules/catalog.js";
import { mapStrings } from "../util/map-strings.js";
import { packageRoot } from "../util/paths.js";
import { planBody, runCredsAws } from "./creds.js";
import { credsJson, credsText } from "./creds-text.js";
import { materializeDemo } from "./demo.js";
import { fixOptions } from "./fix.js";
import { gateCheck, gateContext, gateSetup, verdictJson, verdictText } from "./gate.js";
import { defaultScanRequest, runScan } from "./scan.js";
import { runWatch, watchSummaryText } from "./watch.js";

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
  Object.assign(out, await gateExamples());
  Object.assign(out, fixExample(report));
  Object.assign(out, await credsExample());
  Object.assign(out, await watchExample());
  Object.assign(out, await mcpExample());
  return out;
}

/**
 * Issue 16: `agent-audit scan --home fixtures/skills/risky/home --root fixtures/skills/risky/project
 * --sources home,tree --mcp-tools fixtures/mcp-tools/poisoned.json` (table and JSON): skills and
 * instruction files with hidden text and risky commands, and a poisoned tool list. The demo's
 * reports show MCP servers; this one shows the rest of the capability.
 */
async function mcpExample(): Promise<Record<string, string>> {
  const root = packageRoot();
  const base = join(root, "fixtures/skills/risky");
  const { report: scanned } = await runScan(
    defaultScanRequest({
      home: join(base, "home"),
      root: join(base, "project"),
      environment: { from: "none" },
      sources: ["home", "tree"],
      mcpTools: join(root, "fixtures/mcp-tools/poisoned.json"),
      tree: { ...defaultScanRequest().tree, concurrency: 4 },
    }),
    { cwd: root, env: {}, homedir: "/nonexistent", user: "agent", hostname: "demo-sandbox" },
  );
  const place = (s: string) =>
    s
      .split(join(base, "project"))
      .join("/home/agent/work")
      .split(join(base, "home"))
      .join("/home/agent")
      .split(`${root}/`)
      .join("");
  const report = mapStrings(scanned, place, new Set(["stats"]));
  report.target = { home: "/home/agent", root: "/home/agent/work", user: "agent", hostname: "demo-sandbox" };
  delete report.stats;
  const rules = ruleCatalog(defaultRules());
  return {
    "mcp-skills.txt": REPORTERS.table!(report, { color: false, rules }),
    "mcp-skills.json": REPORTERS.json!(report, { color: false, rules }),
  };
}

/**
 * `agent-audit watch --source squid:fixtures/watch/squid-access.log --source
 * nftables:fixtures/watch/kern.log --once` with the stdout sink: the alerts (JSON lines), the
 * summary, and the Slack message each alert becomes. A fixed clock and host; a throwaway state.
 */
async function watchExample(): Promise<Record<string, string>> {
  const root = packageRoot();
  const state = mkdtempSync(join(tmpdir(), "aa-watch-demo-"));
  let stdout = "";
  try {
    const summary = await runWatch(
      {
        sources: ["squid:fixtures/watch/squid-access.log", "nftables:fixtures/watch/kern.log"],
        sinks: ["stdout"],
        state: join(state, "state.json"),
        once: true,
        test: false,
        stateDefault: join(state, "state.json"),
        now: () => Date.parse("2026-12-06T15:01:00Z"),
        sinkDeps: {
          stdout: {
            write: (c: string) => {
              stdout += c;
            },
          },
        },
      },
      { cwd: root, hostname: "gw-1" },
    );
    const place = (t: string) => t.split(`${root}/`).join("");
    const slack = stdout
      .split("\n")
      .filter((l) => l !== "")
      .map((l) => {
        const a = JSON.parse(l) as Record<string, unknown>;
        const { type, id, count, firstSeen, lastSeen, hostname, ...event } = a;
        return slackMessage({
          type,
          id,
          count,
          firstSeen,
          lastSeen,
          hostname,
          event,
        } as unknown as Alert);
      });
    return {
      "watch.jsonl": place(stdout),
      "watch.txt": place(watchSummaryText(summary)),
      "watch-slack.json": `${place(JSON.stringify(slack, null, 2))}\n`,
    };
  } finally {
    rmSync(state, { recursive: true, force: true });
  }
}

/**
 * `agent-audit creds aws --evidence fixtures/aws-evidence/admin-agent` (text and JSON) and its
 * `--plan` file: an admin user narrowed to what it used, offline.
 */
async function credsExample(): Promise<Record<string, string>> {
  const res = await runCredsAws(
    {
      evidence: "fixtures/aws-evidence/admin-agent",
      environment: { from: "none" },
      systemRoot: "/",
      stateDir: "/nonexistent",
    },
    { cwd: packageRoot(), env: {}, homedir: "/nonexistent", user: "agent", hostname: "demo-sandbox" },
  );
  return {
    "creds-aws.txt": credsText(res),
    "creds-aws.json": credsJson(res),
    "creds-aws-plan.json": `${JSON.stringify(planBody(res.plan!), null, 2)}\n`,
  };
}

/**
 * `agent-audit fix --demo --out reports/fix` on the demo's fixed target: every file `fix` writes for
 * the demo sandbox, and its README.md (generators are pure: the same report gives the same files).
 */
function fixExample(report: AuditReport): Record<string, string> {
  const allowlist = buildAllowlist(report, {});
  const options = fixOptions(report, allowlist, {});
  const selection = selectTargets(report);
  const files = generate(
    report,
    options,
    selection.filter((s) => s.selected).map((s) => s.target),
  );
  const out: Record<string, string> = {};
  for (const f of files) out[`fix/${f.path}`] = f.content;
  out["fix/README.md"] = hardeningReadme(files, selection, allowlist, options);
  return out;
}

/**
 * `agent-audit gate check --batch fixtures/gate/examples.jsonl` in both formats, judged in the
 * demo's workspace (/home/agent/work, home /home/agent): what the gate answers, and why.
 */
async function gateExamples(): Promise<Record<string, string>> {
  const setup = await gateSetup({ logPath: false, env: {}, home: "/home/agent" });
  const lines = readFileSync(join(packageRoot(), "fixtures", "gate", "examples.jsonl"), "utf8").split("\n");
  let text = "";
  let json = "";
  lines.forEach((line, i) => {
    if (!line.trim()) return;
    const { command } = JSON.parse(line) as { command: string };
    const v = gateCheck(command, gateContext("/home/agent/work", "/home/agent"), setup);
    text += `$ ${command.replace(/\n/g, "\\n")}\n${verdictText(v).replace(/^/gm, "  ").trimEnd()}\n\n`;
    json += verdictJson(v, { line: i + 1 });
  });
  return { "gate-check.txt": text, "gate-check.jsonl": json };
}
