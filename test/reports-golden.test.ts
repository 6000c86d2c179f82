import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { demoReports } from "../src/app/demo-reports.js";
import { packageRoot } from "../src/util/paths.js";

// reports/ holds the demo sandbox's report in every format: documentation and golden files at once.
// After an intended change, regenerate them with `npm run reports` and review the diff.
describe("example reports in reports/", async () => {
  const files = await demoReports();
  it("cover every format", () => {
    expect(Object.keys(files).sort()).toEqual([
      "creds-aws-plan.json",
      "creds-aws.json",
      "creds-aws.txt",
      "demo.json",
      "demo.junit.xml",
      "demo.md",
      "demo.sarif",
      "demo.txt",
      "fix/README.md",
      "fix/agent-env.sh",
      "fix/alerting/agent-audit-watch.service",
      "fix/alerting/agent-audit.yaml",
      "fix/alerting/kubernetes-sidecar.yaml",
      "fix/allowed-domains.txt",
      "fix/claude-code/settings.json",
      "fix/codex/agent-audit.rules",
      "fix/codex/config.toml",
      "fix/ip6tables.rules",
      "fix/iptables.rules",
      "fix/kubernetes/cilium-networkpolicy.yaml",
      "fix/kubernetes/networkpolicy.yaml",
      "fix/nftables.nft",
      "fix/squid.conf",
      "gate-check.jsonl",
      "gate-check.txt",
      "mcp-skills.json",
      "mcp-skills.txt",
      "watch-slack.json",
      "watch.jsonl",
      "watch.txt",
    ]);
  });
  for (const [name, text] of Object.entries(files)) {
    it(`reports/${name} is up to date (npm run reports)`, () => {
      expect(text).toBe(readFileSync(join(packageRoot(), "reports", name), "utf8"));
    });
  }
});
