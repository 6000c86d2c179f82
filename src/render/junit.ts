import type { AuditReport, ChecklistItem, Finding } from "../contract/types.js";
import {
  failingFindings,
  failOnLabel,
  locationLabel,
  policyLines,
  STEP_INFO,
  secretLabel,
} from "./labels.js";
import { escapeReport } from "./sanitize.js";

/**
 * JUnit XML as CI servers read it: the Jenkins/Ant schema that GitLab's `artifacts:reports:junit`
 * and most test-report viewers accept (https://github.com/testmoapp/junitxml is a readable
 * summary; GitLab: https://docs.gitlab.com/ci/testing/unit_test_reports/).
 *
 * One <testsuite name="agent-audit">: a test case per checklist step (pass → empty, fail → <failure>,
 * error → <error>, skip and warn → <skipped>, as kube-bench maps WARN), then a test case per finding
 * that fails the gate at the default threshold (not accepted, severity ≥ high).
 *
 * Like SARIF, a JUnit file is a CI artifact kept and shown by a third party, so it carries no secret
 * material: no preview, only "secret of provider X, type Y".
 */

/** XML 1.0 §2.2: characters outside this set cannot appear at all, not even as references. */
const INVALID_XML = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

/** Escapes text for element content and double-quoted attributes (XML 1.0 §2.4, §3.3.3). */
export function escapeXml(s: string): string {
  return s
    .replace(INVALID_XML, "\uFFFD")
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&apos;");
}

/** Attribute values: line breaks too, which attribute normalization would otherwise turn into spaces. */
const attr = (s: string) =>
  escapeXml(s).replace(/\r/g, "&#13;").replace(/\n/g, "&#10;").replace(/\t/g, "&#9;");

interface Case {
  classname: string;
  name: string;
  /** The child element, if the case did not pass. */
  outcome?: { tag: "failure" | "error" | "skipped"; message: string; type?: string; body?: string };
}

function stepCase(c: ChecklistItem): Case {
  const base = { classname: "checklist", name: `${c.step}. ${c.id}` };
  const body = [
    c.summary,
    c.evidence.length ? `Evidence (fingerprints): ${c.evidence.join(", ")}` : "",
    `What to do: ${STEP_INFO[c.id].remediation}`,
  ]
    .filter(Boolean)
    .join("\n");
  switch (c.status) {
    case "pass":
      return base;
    case "fail":
      return { ...base, outcome: { tag: "failure", message: c.summary, type: "fail", body } };
    case "error":
      return { ...base, outcome: { tag: "error", message: c.summary, type: "error", body } };
    case "warn":
    case "skip":
      return { ...base, outcome: { tag: "skipped", message: `${c.status}: ${c.summary}` } };
  }
}

function findingCase(f: Finding): Case {
  const where = locationLabel(f.location);
  const body = [
    `${f.title}`,
    `Where: ${where}`,
    f.secret ? `What: ${secretLabel(f.secret)}` : "",
    `Severity: ${f.severity}`,
    `Remediation: ${f.remediation}`,
    `Fingerprint: ${f.fingerprint}`,
  ]
    .filter(Boolean)
    .join("\n");
  return {
    classname: `findings.${f.control}`,
    name: `${f.ruleId} ${where}`,
    outcome: { tag: "failure", message: f.title, type: f.severity, body },
  };
}

/**
 * Fields are escaped visibly first (issue 8): a control character in a file name shows as `\x1b` in
 * the CI viewer, instead of being replaced (XML 1.0 has no way to carry most C0 controls at all).
 */
export function renderJunit(data: AuditReport, _opts?: { color: boolean }): string {
  const report = escapeReport(data);
  const cases = [...report.checklist.map(stepCase), ...failingFindings(report).map(findingCase)];
  const count = (tag: string) => cases.filter((c) => c.outcome?.tag === tag).length;
  const totals =
    `tests="${cases.length}" failures="${count("failure")}" errors="${count("error")}" ` +
    `skipped="${count("skipped")}"`;
  const out = [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<testsuites name="agent-audit" ${totals}>`,
    `  <testsuite name="agent-audit" ${totals}>`,
    `    <properties>`,
    `      <property name="agent-audit.version" value="${attr(report.tool.version)}"/>`,
    `      <property name="fail-on" value="${attr(failOnLabel(report))}"/>`,
    `      <property name="score" value="${report.score.passed} passed, ${report.score.evaluated} of ${report.score.total} steps evaluated"/>`,
    `    </properties>`,
  ];
  for (const c of cases) {
    const open = `    <testcase classname="${attr(c.classname)}" name="${attr(c.name)}"`;
    const o = c.outcome;
    if (!o) {
      out.push(`${open}/>`);
      continue;
    }
    const type = o.type ? ` type="${attr(o.type)}"` : "";
    const child = o.body
      ? `<${o.tag} message="${attr(o.message)}"${type}>${escapeXml(o.body)}</${o.tag}>`
      : `<${o.tag} message="${attr(o.message)}"${type}/>`;
    out.push(`${open}>`, `      ${child}`, `    </testcase>`);
  }
  // Scan issues are not tests; they go to the suite's output so a person reading the CI log sees them.
  // So does the policy (issue 8): which config disabled or re-rated what, and what was kept out.
  const text: string[] = [];
  const policy = policyLines(report);
  if (policy.length) text.push("Policy:", ...policy);
  if (report.issues.length) {
    if (text.length) text.push("");
    text.push(
      `Scan issues (${report.issues.length}): the scan went on`,
      ...report.issues.map((i) => `${i.where}: ${i.message}`),
    );
  }
  if (text.length) out.push(`    <system-out>${escapeXml(text.join("\n"))}</system-out>`);
  out.push(`  </testsuite>`, `</testsuites>`);
  return `${out.join("\n")}\n`;
}
