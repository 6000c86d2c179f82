import { describe, expect, it } from "vitest";
import { escapeXml, renderJunit } from "../../src/render/junit.js";
import { handReport, PREVIEWS } from "./report-fixture.js";

const xml = renderJunit(handReport(), { color: false });

/** The counts a CI server reads, by regex: enough to check the totals against the test cases. */
function counts(tag: "testsuites" | "testsuite") {
  const m = new RegExp(
    `<${tag} name="agent-audit" tests="(\\d+)" failures="(\\d+)" errors="(\\d+)" skipped="(\\d+)">`,
  ).exec(xml);
  return m ? { tests: +m[1]!, failures: +m[2]!, errors: +m[3]!, skipped: +m[4]! } : undefined;
}

describe("junit reporter", () => {
  it("matches the golden file", async () => {
    await expect(xml).toMatchFileSnapshot("./__snapshots__/hand-report.junit.xml.golden");
  });

  it("counts six steps plus the five findings that fail at high (the accepted one is left out)", () => {
    const expected = { tests: 11, failures: 7, errors: 1, skipped: 2 };
    expect(counts("testsuites")).toEqual(expected);
    expect(counts("testsuite")).toEqual(expected);
    // The totals agree with the elements actually written.
    expect(xml.match(/<testcase /g)).toHaveLength(11);
    expect(xml.match(/<failure /g)).toHaveLength(7);
    expect(xml.match(/<error /g)).toHaveLength(1);
    expect(xml.match(/<skipped /g)).toHaveLength(2);
  });

  it("names the test cases by step and by rule and location", () => {
    expect(
      [...xml.matchAll(/<testcase classname="([^"]*)" name="([^"]*)"/g)].map((m) => `${m[1]} | ${m[2]}`),
    ).toEqual([
      "checklist | 1. secret-inventory",
      "checklist | 2. default-deny-egress",
      "checklist | 3. egress-proxy",
      "checklist | 4. egress-alerting",
      "checklist | 5. approval-gate",
      "checklist | 6. credential-scope",
      "findings.secret-inventory | github-pat-classic environment variable GITHUB_TOKEN",
      "findings.credential-scope | docker-socket-writable socket /var/run/docker.sock",
      "findings.secret-inventory | aws-credentials ~/.aws/credentials",
      "findings.secret-inventory | aws-access-key-id deploy/.env:3",
      "findings.default-deny-egress | egress-direct-open egress to 1.2.3.4:443",
    ]);
  });

  it("escapes XML metacharacters and drops characters XML cannot carry", () => {
    expect(escapeXml(`a<b>&"c'\u0001\uFFFE`)).toBe("a&lt;b&gt;&amp;&quot;c&apos;\uFFFD\uFFFD");
    expect(xml).toContain("could not parse");
    const r = handReport();
    r.checklist[0]!.summary = 'line one\nline <two> & "three"';
    const out = renderJunit(r, { color: false });
    // A field is one line: its newline is escaped visibly before XML escaping (issue 8).
    expect(out).toContain(
      '<failure message="line one\\nline &lt;two&gt; &amp; &quot;three&quot;" type="fail">',
    );
    expect(out).toContain("line one\\nline &lt;two&gt; &amp; &quot;three&quot;\nEvidence");
  });

  it("shows control characters in fields visibly: the XML stays well-formed (issue 8)", () => {
    const r = handReport();
    r.issues = [{ where: "a\u0001b\u001b[2K\u007f\u202e.txt", message: "cannot read" }];
    const out = renderJunit(r, { color: false });
    expect(out).toContain("a\\x01b\\x1b[2K\\x7f\\u202e.txt: cannot read");
    expect(out).not.toMatch(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u202a-\u202e]/);
  });

  it("carries no secret material, not even previews", () => {
    for (const p of PREVIEWS) expect(xml).not.toContain(p);
    expect(xml).toContain("What: secret of provider github, type personal-access-token");
  });
});
