// Shared inputs of the network generators' tests (test/fix/network.test.ts, kubernetes.test.ts and
// test/integration/fix-network.test.ts): one fixed FixOptions and a small hand-built AuditReport.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { AuditReport, Finding } from "../../src/contract/types.js";
import type { FixOptions, GeneratedFile } from "../../src/fix/types.js";

export const GOLDEN = resolve(dirname(fileURLToPath(import.meta.url)), "golden");

/** Two allowlist entries, one exact and one with its subdomains; the lab's proxy address. */
export function baseOptions(over: Partial<FixOptions> = {}): FixOptions {
  return {
    allowlist: [
      { host: "api.example.com", subdomains: false, reason: "--allowed-host" },
      { host: "github.com", subdomains: true, reason: "a GitHub token was found (GITHUB_TOKEN)" },
    ],
    proxy: { url: "http://10.200.1.1:3128", host: "10.200.1.1", port: 3128 },
    proxyUser: "proxy",
    logPrefix: "agent-audit-deny: ",
    home: "/home/agent",
    root: "/work/project",
    kubernetes: { namespace: "agents", podLabels: { app: "coding-agent" } },
    gateCommand: "agent-audit",
    ...over,
  };
}

function finding(fingerprint: string, ruleId: string, fix?: Finding["fix"]): Finding {
  return {
    fingerprint,
    ruleId,
    control: fix?.target === "firewall" ? "default-deny-egress" : "egress-proxy",
    kind: "egress",
    severity: "high",
    title: ruleId,
    remediation: "see agent-audit fix",
    location: { source: "probe", target: "10.200.2.10:443" },
    accepted: false,
    ...(fix ? { fix } : {}),
  };
}

/** Four findings: two for the firewall, one for the proxy, one with no structured fix. */
export function smallReport(): AuditReport {
  return {
    schemaVersion: 1,
    tool: { name: "agent-audit", version: "0.1.0" },
    target: { home: "/home/agent", root: "/work/project", user: "agent", hostname: "box" },
    findings: [
      finding("fp-direct-v4", "egress-direct-open", {
        target: "firewall",
        params: { reached: "10.200.2.10:443" },
      }),
      finding("fp-proxy-open", "egress-proxy-allows-any", {
        target: "egress-proxy",
        params: { deny: "canary.test:443" },
      }),
      finding("fp-no-fix", "egress-unknown"),
      finding("fp-direct-v6", "egress-direct-open-ipv6", {
        target: "firewall",
        params: { reached: "[fd00:aa:2::10]:443", family: "ipv6" },
      }),
    ],
    probes: [],
    egress: { posture: "open" },
    checklist: [],
    score: { passed: 0, evaluated: 0, total: 6 },
    issues: [],
  };
}

/** An empty report: nothing to answer, the files are still generated. */
export function emptyReport(): AuditReport {
  return { ...smallReport(), findings: [] };
}

/**
 * Compares each file with its golden copy under test/fix/golden/<variant>/<path>. With
 * AGENT_AUDIT_UPDATE_GOLDEN=1 the golden copies are written instead (then review the diff).
 */
export function goldenMismatches(variant: string, files: GeneratedFile[]): string[] {
  const update = process.env.AGENT_AUDIT_UPDATE_GOLDEN === "1";
  const bad: string[] = [];
  for (const f of files) {
    const p = join(GOLDEN, variant, f.path);
    if (update) {
      mkdirSync(dirname(p), { recursive: true });
      writeFileSync(p, f.content);
      continue;
    }
    if (!existsSync(p) || readFileSync(p, "utf8") !== f.content) bad.push(`${variant}/${f.path}`);
  }
  return bad;
}
