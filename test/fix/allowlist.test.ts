import { describe, expect, it } from "vitest";
import type { AuditReport, Finding } from "../../src/contract/types.js";
import { AllowlistError, buildAllowlist, parseAllowedHost, reasonText } from "../../src/fix/allowlist.js";

function finding(over: Partial<Finding>): Finding {
  return {
    fingerprint: "f".repeat(24),
    ruleId: "r",
    control: "secret-inventory",
    kind: "secret",
    severity: "high",
    title: "t",
    remediation: "r",
    location: { source: "env", name: "X" },
    accepted: false,
    ...over,
  };
}

function report(findings: Finding[]): AuditReport {
  return {
    schemaVersion: 1,
    tool: { name: "agent-audit", version: "0.0.0" },
    target: { home: "/home/agent", root: "/home/agent/project", user: "agent", hostname: "h" },
    findings,
    probes: [],
    egress: { posture: "unknown" },
    checklist: [],
    score: { passed: 0, evaluated: 0, total: 6 },
    issues: [],
  };
}

describe("parseAllowedHost", () => {
  it("reads names, wildcards and leading dots", () => {
    expect(parseAllowedHost("API.Example.com.", "x")).toEqual({
      host: "api.example.com",
      subdomains: false,
      reason: "x",
    });
    expect(parseAllowedHost("*.example.com", "x")).toEqual({
      host: "example.com",
      subdomains: true,
      reason: "x",
    });
    expect(parseAllowedHost(".example.com", "x")).toEqual({
      host: "example.com",
      subdomains: true,
      reason: "x",
    });
  });
  it("refuses URLs, IP literals, ports, bare wildcards and bad labels, each with its reason", () => {
    const why = (t: string) => {
      try {
        parseAllowedHost(t, "x");
        return "accepted";
      } catch (e) {
        expect(e).toBeInstanceOf(AllowlistError);
        return (e as Error).message;
      }
    };
    expect(why("https://example.com")).toBe(
      'allowed host "https://example.com": a host name, not a URL (example.com or *.example.com)',
    );
    expect(why("10.0.0.1")).toBe(
      'allowed host "10.0.0.1": an IP literal or a port; the proxy allows names only',
    );
    expect(why("example.com:443")).toBe(
      'allowed host "example.com:443": an IP literal or a port; the proxy allows names only',
    );
    expect(why("::1")).toBe('allowed host "::1": an IP literal or a port; the proxy allows names only');
    expect(why("*")).toBe(
      'allowed host "*": not a DNS name (letters, digits and hyphens, at least two labels)',
    );
    expect(why("*.com.")).toBe(
      'allowed host "*.com.": not a DNS name (letters, digits and hyphens, at least two labels)',
    );
    expect(why("*.co.uk")).toBe(
      'allowed host "*.co.uk": a wildcard over co.uk, where anyone can register or publish a name; list the names exactly',
    );
    expect(why(".github.io")).toBe(
      'allowed host ".github.io": a wildcard over github.io, where anyone can register or publish a name; list the names exactly',
    );
    expect(why("octo.github.io")).toBe("accepted");
    expect(why("localhost")).toBe(
      'allowed host "localhost": not a DNS name (letters, digits and hyphens, at least two labels)',
    );
    expect(why("a\nacl all src all.com")).toBe(
      'allowed host "a\\nacl all src all.com": not a DNS name (letters, digits and hyphens, at least two labels)',
    );
    expect(why("-bad.example.com")).toBe(
      'allowed host "-bad.example.com": not a DNS name (letters, digits and hyphens, at least two labels)',
    );
  });
});

describe("buildAllowlist", () => {
  it("config entries, then flags, then what the inventory implies, each with its reason", () => {
    const r = report([
      finding({
        secret: { provider: "anthropic", type: "api-key", preview: "sk-a…(108)" },
        location: { source: "env", name: "ANTHROPIC_API_KEY" },
      }),
      finding({
        secret: { provider: "npm", type: "access-token", preview: "npm_…(40)" },
        location: { source: "home", path: ".npmrc" },
      }),
      finding({
        secret: { provider: "github", type: "personal-access-token", preview: "ghp_…(40)" },
        location: { source: "tree", path: "ci/deploy.sh" },
      }),
      finding({
        secret: { provider: "anthropic", type: "api-key", preview: "sk-a…(108)" },
        location: { source: "home", path: ".env" },
      }),
      finding({ secret: { provider: "aws", type: "access-key-id", preview: "AKIA…(20)" } }),
    ]);
    const a = buildAllowlist(r, {
      config: ["pypi.org", "*.pythonhosted.org"],
      flags: ["api.anthropic.com", "example.org"],
    });
    expect(a.hosts).toEqual([
      { host: "pypi.org", subdomains: false, reason: "agent-audit.yaml egress.allowedHosts" },
      { host: "pythonhosted.org", subdomains: true, reason: "agent-audit.yaml egress.allowedHosts" },
      {
        host: "api.anthropic.com",
        subdomains: false,
        reason: "--allowed-host; an Anthropic API key was found (environment variable ANTHROPIC_API_KEY)",
      },
      { host: "example.org", subdomains: false, reason: "--allowed-host" },
      { host: "registry.npmjs.org", subdomains: false, reason: "an npm token was found (~/.npmrc)" },
      { host: "api.github.com", subdomains: false, reason: "a GitHub token was found (ci/deploy.sh)" },
    ]);
    expect(a.proposed).toEqual([]);
  });

  it("proposes the hosts a probe saw refused, never adds them", () => {
    const r = report([
      finding({
        ruleId: "egress-proxy-blocks-allowed-host",
        kind: "egress",
        control: "egress-proxy",
        title: "The proxy refuses allowed.test:443",
        fix: { target: "egress-proxy", params: { allow: "allowed.test" } },
        location: { source: "probe", target: "allowed.test:443" },
      }),
    ]);
    const a = buildAllowlist(r, {});
    expect(a.hosts).toEqual([]);
    expect(a.proposed).toEqual([
      {
        host: "allowed.test",
        reason: "egress-proxy-blocks-allowed-host: The proxy refuses allowed.test:443",
      },
    ]);
    expect(buildAllowlist(r, { flags: ["allowed.test"] }).proposed).toEqual([]);
  });

  it("a reason quoting a path the agent named is one redacted line", () => {
    const token = `ghp_${"Ab1Cd2Ef3G".repeat(3)}abcdef`;
    const r = report([
      finding({
        secret: { provider: "openai", type: "api-key", preview: "sk-p…(56)" },
        location: { source: "home", path: `x\n${token}\u001b[2J/key` },
      }),
    ]);
    const [h] = buildAllowlist(r, {}).hosts;
    expect(h!.reason).not.toContain(token);
    expect(h!.reason).not.toMatch(/[\n\u001b]/);
    expect(h!.reason.startsWith("an OpenAI API key was found (~/x?")).toBe(true);
    expect(reasonText("a".repeat(400))).toBe(`${"a".repeat(157)}...`);
  });
});
