import { describe, expect, it } from "vitest";
import { PARSERS } from "../../../src/detect/parsers/index.js";
import type { Detection } from "../../../src/rules/types.js";

const RULE = { id: "test-rule", provider: "test", title: "t", severity: "high" as const, remediation: "r" };
const shape = (d: Detection) => ({ ruleId: d.ruleId, type: d.type, name: d.name, line: d.line });
function run(text: string) {
  const res = PARSERS.yaml!({ text, path: "f.yml", rule: RULE });
  return {
    shapes: res.detections.map(shape),
    secrets: res.detections.map((d) => d.secret),
    malformed: res.malformed,
  };
}

describe("yaml parser", () => {
  it("gh hosts.yml: oauth_token, not user or git_protocol", () => {
    const text = [
      "github.com:",
      "    user: octocat",
      "    oauth_token: gho_Lm2Xw7Rt5Yp8Nc4Vb6Hj1Sd0QzKe9Fa3Ub",
      "    git_protocol: https",
      "ghe.corp.example.com:",
      `    oauth_token: \${GH_ENTERPRISE_TOKEN}`,
    ].join("\n");
    const r = run(text);
    expect(r.shapes).toEqual([
      { ruleId: "test-rule", type: "token", name: "github.com.oauth_token", line: 3 },
    ]);
    expect(r.secrets).toEqual(["gho_Lm2Xw7Rt5Yp8Nc4Vb6Hj1Sd0QzKe9Fa3Ub"]);
  });

  it("glab config, yarnrc npmAuthToken and gem credentials", () => {
    const text = [
      "hosts:",
      "  gitlab.com:",
      "    token: glpat-Rt5Yp8Nc4Vb6Hj1Sd0Qz",
      "    api_protocol: https",
      "npmScopes:",
      "  corp:",
      '    npmAuthToken: "Nc4Vb6Hj1Sd0QzKe9Fa3UbLm2Xw7"',
      "    npmRegistryServer: https://npm.corp.example.com",
      ":rubygems_api_key: rubygems_3f9c2a7b1e5d8046c2f7a9b3e1d5c8f04e2a",
      "token_expires_at: 2026-01-01",
      "use_token: true",
    ].join("\n");
    const r = run(text);
    expect(r.shapes).toEqual([
      { ruleId: "test-rule", type: "token", name: "hosts.gitlab.com.token", line: 3 },
      { ruleId: "test-rule", type: "token", name: "npmScopes.corp.npmAuthToken", line: 7 },
      { ruleId: "test-rule", type: "api-key", name: ":rubygems_api_key", line: 9 },
    ]);
    expect(r.secrets).toEqual([
      "glpat-Rt5Yp8Nc4Vb6Hj1Sd0Qz",
      "Nc4Vb6Hj1Sd0QzKe9Fa3UbLm2Xw7",
      "rubygems_3f9c2a7b1e5d8046c2f7a9b3e1d5c8f04e2a",
    ]);
  });

  it("invalid YAML is malformed with no detections", () => {
    const r = run("token: gho_Lm2Xw7Rt5Yp8Nc4Vb6Hj1Sd0QzKe9Fa3Ub\n  - [unclosed\n: :");
    expect(r).toEqual({ shapes: [], secrets: [], malformed: "not valid YAML" });
  });
});
