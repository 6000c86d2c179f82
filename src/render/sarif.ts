import type {
  AuditReport,
  ChecklistItem,
  Finding,
  Location,
  RuleDescriptor,
  Severity,
  StepId,
} from "../contract/types.js";
import { SEVERITY_RANK, STEP_IDS } from "../contract/types.js";
import { escapeControls, escapeJsonControls } from "../util/controls.js";
import { locationLabel, STEP_INFO, secretLabel, stepNumber } from "./labels.js";
import { escapeReport } from "./sanitize.js";

/**
 * SARIF 2.1.0 (OASIS: https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/sarif-v2.1.0-errata01-os.html),
 * shaped for GitHub code scanning ("SARIF support for code scanning",
 * https://docs.github.com/en/code-security/code-scanning/integrating-with-code-scanning/sarif-support-for-code-scanning):
 * - every result has exactly one physicalLocation with a relative URI and region.startLine, because
 *   GitHub drops results without one (github/codeql-action #1738, #2459) and drops absolute file
 *   URIs outside the checkout;
 * - rules carry `properties.security-severity` (a number as a string, 0.0–10.0), which GitHub maps
 *   to critical (≥9.0) / high (7.0–8.9) / medium (4.0–6.9) / low (0.1–3.9);
 * - `partialFingerprints` carries our own stable fingerprint so GitHub does not compute one from
 *   line contents (which would require reading the file, and tracks a line, not a secret).
 *
 * No secret material at all, not even the 4-character preview the other formats allow: SARIF files
 * are uploaded to a third party and kept as CI artifacts. A secret is described as "secret of
 * provider X, type Y".
 *
 * Synthetic location scheme (findings outside the working tree; GitHub shows these as alerts on a
 * path that does not exist in the repository, which it accepts), all with region.startLine 1 unless
 * the finding has a line:
 *   tree          <path relative to root>         uriBaseId %SRCROOT%, startLine = line or 1
 *   home          agent-audit/home/<path relative to home>
 *   env           agent-audit/env/<NAME>
 *   process       agent-audit/process/<pid>/<NAME>  (pid from /proc/<pid>/..., else the path)
 *   mount, socket, agent-config, cloud
 *                 agent-audit/<source>/<absolute path without the leading slash>
 *   probe         agent-audit/egress/<host_port>   (every character outside [A-Za-z0-9._-] becomes _)
 *   checklist     agent-audit/checklist/<step-id>
 * Path segments are percent-encoded (RFC 3986) so a space or `#` cannot break the URI.
 */

export const SARIF_SCHEMA =
  "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";
export const INFORMATION_URI = "https://github.com/agent-audit/agent-audit";
/** Our fingerprint's key in partialFingerprints; the /v1 suffix versions the algorithm (SARIF §3.27.17). */
export const FINGERPRINT_KEY = "agentAuditFingerprint/v1";

/** GitHub's security-severity scale (docs above): our five severities, one number each. */
export const SECURITY_SEVERITY: Record<Severity, string> = {
  critical: "9.5",
  high: "8.0",
  medium: "5.5",
  low: "3.0",
  info: "0.0",
};
type Level = "error" | "warning" | "note";
const LEVEL: Record<Severity, Level> = {
  critical: "error",
  high: "error",
  medium: "warning",
  low: "note",
  info: "note",
};
/** A failing step is as serious as a high finding: the sandbox misses a control. */
const STEP_SEVERITY: Severity = "high";
const STEP_LEVEL: Record<ChecklistItem["status"], Level | undefined> = {
  fail: "error",
  warn: "warning",
  error: "warning",
  pass: undefined,
  skip: undefined,
};

interface SarifMessage {
  text: string;
  markdown?: string;
}
interface SarifRule {
  id: string;
  name: string;
  shortDescription: SarifMessage;
  fullDescription: SarifMessage;
  help: SarifMessage;
  /** `enabled: false`: a rule the config switched off for every source (SARIF §3.50.3). */
  defaultConfiguration: { level: Level; enabled?: false };
  properties: { "security-severity": string; tags: string[] };
}
interface SarifPhysicalLocation {
  artifactLocation: { uri: string; uriBaseId?: string };
  region: { startLine: number };
}
interface SarifResult {
  ruleId: string;
  ruleIndex: number;
  level: Level;
  message: SarifMessage;
  locations: { physicalLocation: SarifPhysicalLocation }[];
  partialFingerprints: Record<string, string>;
  properties: Record<string, unknown>;
  suppressions?: { kind: "external"; justification: string }[];
}

/** Percent-encodes each segment; `.` and `..` too, so no segment can climb out of `agent-audit/` (RFC 3986 §5.2.4). */
const encodePath = (p: string) =>
  p
    .split("/")
    .filter((s) => s !== "")
    .map((s) => (s === "." || s === ".." ? s.replace(/\./g, "%2E") : encodeURIComponent(s)))
    .join("/");

/** The physical location of a finding, per the scheme in the header comment. */
export function physicalLocation(l: Location): SarifPhysicalLocation {
  const startLine = l.line && l.line >= 1 ? l.line : 1;
  const synthetic = (path: string): SarifPhysicalLocation => ({
    artifactLocation: { uri: `agent-audit/${encodePath(path)}` },
    region: { startLine },
  });
  switch (l.source) {
    case "tree":
      return {
        artifactLocation: { uri: encodePath(l.path ?? ""), uriBaseId: "%SRCROOT%" },
        region: { startLine },
      };
    case "home":
      return synthetic(`home/${l.path ?? ""}`);
    case "env":
      return synthetic(`env/${l.name ?? "unknown"}`);
    case "process": {
      const pid = /^\/proc\/(\d+)(\/|$)/.exec(l.path ?? "")?.[1];
      return synthetic(`process/${pid ?? l.path ?? "unknown"}/${l.name ?? "unknown"}`);
    }
    case "probe":
      return synthetic(`egress/${(l.target ?? l.path ?? "unknown").replace(/[^A-Za-z0-9._-]/g, "_")}`);
    default:
      return synthetic(`${l.source}/${l.path ?? l.target ?? l.name ?? "unknown"}`);
  }
}

/** `Kubeconfig credentials (cluster)` → `KubeconfigCredentialsCluster`. */
const pascal = (text: string) =>
  text
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((w) => w[0]!.toUpperCase() + w.slice(1))
    .join("");

/**
 * A rule's `name`: a readable PascalCase identifier (SARIF §3.49.7) made from its title, never equal
 * to its id (issue 9: `kubeconfig`, `netrc`, `jwt` named `Kubeconfig`... drew SARIF1001 warnings).
 */
export function ruleName(id: string, title: string): string {
  const fromTitle = pascal(title).slice(0, 80);
  const name = fromTitle || pascal(id);
  return name.toLowerCase() === id.toLowerCase() ? `${name}Finding` : name;
}

function findingRule(id: string, list: Finding[]): SarifRule {
  // Findings of one rule can differ in severity (a config override, a token failing its checksum):
  // the rule takes the most severe, which is what GitHub ranks the alert by.
  const top = list.reduce((a, b) => (SEVERITY_RANK[b.severity] > SEVERITY_RANK[a.severity] ? b : a));
  const step = stepNumber(top.control);
  return {
    id,
    name: ruleName(id, top.title),
    shortDescription: { text: top.title },
    fullDescription: {
      text: `${top.title}. Checklist step ${step}, ${top.control}: ${STEP_INFO[top.control].passesWhen}`,
    },
    help: {
      text: top.remediation,
      markdown: `**Remediation:** ${top.remediation}\n\nChecklist step ${step}: \`${top.control}\`.`,
    },
    defaultConfiguration: { level: LEVEL[top.severity] },
    properties: { "security-severity": SECURITY_SEVERITY[top.severity], tags: ["security", top.control] },
  };
}

/**
 * A rule of the catalog: its own title and remediation. Its level is that of its most severe
 * finding (what GitHub ranks the alert by: a token that fails its checksum is `info`, and so is
 * its rule when that is all it found); a rule without findings has the config's re-rating, or
 * its catalog severity.
 */
function catalogRule(
  d: RuleDescriptor,
  list: Finding[] | undefined,
  policy: AuditReport["policy"],
): SarifRule {
  let severity = policy?.severityOverrides.find((o) => o.ruleId === d.id)?.severity ?? d.severity;
  if (list?.length) {
    severity = list[0]!.severity;
    for (const f of list) if (SEVERITY_RANK[f.severity] > SEVERITY_RANK[severity]) severity = f.severity;
  }
  const step = stepNumber(d.control);
  const off = policy?.config?.scope === "all" && policy.disabledRules.includes(d.id);
  return {
    id: d.id,
    name: ruleName(d.id, d.title),
    shortDescription: { text: d.title },
    fullDescription: {
      text: `${d.title}. Checklist step ${step}, ${d.control}: ${STEP_INFO[d.control].passesWhen}`,
    },
    help: {
      text: d.remediation,
      markdown: `**Remediation:** ${d.remediation}\n\nChecklist step ${step}: \`${d.control}\`.`,
    },
    defaultConfiguration: off ? { level: LEVEL[severity], enabled: false } : { level: LEVEL[severity] },
    properties: { "security-severity": SECURITY_SEVERITY[severity], tags: ["security", d.control] },
  };
}

function stepRule(id: StepId): SarifRule {
  const info = STEP_INFO[id];
  return {
    id,
    name: ruleName(id, info.title),
    shortDescription: { text: `Checklist step ${stepNumber(id)}: ${info.title}` },
    fullDescription: { text: `Passes when: ${info.passesWhen}` },
    help: {
      text: info.remediation,
      markdown: `**Passes when:** ${info.passesWhen}\n\n**Remediation:** ${info.remediation}`,
    },
    defaultConfiguration: { level: LEVEL[STEP_SEVERITY] },
    properties: { "security-severity": SECURITY_SEVERITY[STEP_SEVERITY], tags: ["security", id] },
  };
}

function findingMessage(f: Finding): string {
  const secret = f.secret ? `; ${secretLabel(f.secret)}` : "";
  return `${f.title}, at ${locationLabel(f.location)}${secret}.`;
}

export interface SarifOptions {
  color: boolean;
  /**
   * The rule catalog (src/rules: rules/* and the ids declared in code), as data: every rule is listed
   * in tool.driver.rules, with or without findings, described by the catalog (issue 9). Without it,
   * the list holds the rules of the report's findings, described by their findings.
   */
  rules?: readonly RuleDescriptor[];
}

/** A descriptor's text escaped like the report's (a custom rule file is text from outside too). */
function escapeDescriptor(d: RuleDescriptor): RuleDescriptor {
  return { ...d, title: escapeControls(d.title), remediation: escapeControls(d.remediation) };
}

const byteOrder = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Fields are escaped visibly first (issue 8): code-scanning viewers show messages to people. */
export function renderSarif(data: AuditReport, opts?: SarifOptions): string {
  const report = escapeReport(data);
  // Rules: the six steps first (stable indices 0–5), then one entry per rule id, sorted: every rule
  // of the catalog when given, and any finding rule id it lacks. A rule id equal to a step id would
  // reuse the step's entry (ids must be unique).
  const rules: SarifRule[] = STEP_IDS.map(stepRule);
  const byRule = new Map<string, Finding[]>();
  for (const f of report.findings) {
    const list = byRule.get(f.ruleId) ?? [];
    list.push(f);
    byRule.set(f.ruleId, list);
  }
  const catalog = new Map((opts?.rules ?? []).map((d) => [d.id, escapeDescriptor(d)]));
  for (const id of [...new Set([...catalog.keys(), ...byRule.keys()])].sort(byteOrder)) {
    if ((STEP_IDS as readonly string[]).includes(id)) continue;
    const d = catalog.get(id);
    rules.push(d ? catalogRule(d, byRule.get(id), report.policy) : findingRule(id, byRule.get(id)!));
  }
  const index = new Map(rules.map((r, i) => [r.id, i]));

  const results: SarifResult[] = [];
  for (const c of report.checklist) {
    const level = STEP_LEVEL[c.status];
    if (!level) continue;
    results.push({
      ruleId: c.id,
      ruleIndex: index.get(c.id)!,
      level,
      message: { text: `Checklist step ${c.step}, ${c.id}: ${c.status}. ${c.summary}` },
      locations: [
        {
          physicalLocation: {
            artifactLocation: { uri: `agent-audit/checklist/${encodeURIComponent(c.id)}` },
            region: { startLine: 1 },
          },
        },
      ],
      partialFingerprints: { [FINGERPRINT_KEY]: `checklist/${c.id}` },
      properties: { control: c.id, kind: "checklist", status: c.status, evidence: c.evidence },
    });
  }
  for (const f of report.findings) {
    const result: SarifResult = {
      ruleId: f.ruleId,
      ruleIndex: index.get(f.ruleId)!,
      level: LEVEL[f.severity],
      message: { text: findingMessage(f) },
      locations: [{ physicalLocation: physicalLocation(f.location) }],
      partialFingerprints: { [FINGERPRINT_KEY]: f.fingerprint },
      properties: { control: f.control, kind: f.kind, severity: f.severity, accepted: f.accepted },
    };
    // An accepted finding is listed in the baseline, a decision recorded outside this log (SARIF §3.35.2).
    if (f.accepted) result.suppressions = [{ kind: "external", justification: "accepted in baseline" }];
    results.push(result);
  }

  const log = {
    $schema: SARIF_SCHEMA,
    version: "2.1.0",
    runs: [
      {
        tool: {
          driver: {
            name: "agent-audit",
            informationUri: INFORMATION_URI,
            semanticVersion: report.tool.version,
            rules,
          },
        },
        invocations: [
          {
            executionSuccessful: true,
            toolExecutionNotifications: report.issues.map((i) => ({
              level: "warning",
              message: { text: `${i.where}: ${i.message}` },
            })),
          },
        ],
        results,
        // The policy (issue 8): which config disabled or re-rated rules, and what was kept out.
        properties: {
          score: report.score,
          egressPosture: report.egress.posture,
          ...(report.policy ? { policy: report.policy } : {}),
        },
      },
    ],
  };
  return `${escapeJsonControls(JSON.stringify(log, null, 2))}\n`;
}
