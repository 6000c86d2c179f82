import { describe, expect, it } from "vitest";
import { PARSERS } from "../../../src/detect/parsers/index.js";
import type { Detection } from "../../../src/rules/types.js";

const RULE = {
  id: "docker-config",
  provider: "docker",
  title: "t",
  severity: "high" as const,
  remediation: "r",
};
const shape = (d: Detection) => ({ ruleId: d.ruleId, type: d.type, name: d.name, line: d.line });
function run(text: string) {
  const res = PARSERS["docker-config"]!({ text, path: ".docker/config.json", rule: RULE });
  return {
    shapes: res.detections.map(shape),
    secrets: res.detections.map((d) => d.secret),
    malformed: res.malformed,
  };
}
const b64 = (s: string) => Buffer.from(s).toString("base64");

describe("docker-config parser", () => {
  it("decodes auth to report the password; identitytoken is a token; credsStore and credHelpers are not findings", () => {
    const text = JSON.stringify(
      {
        auths: {
          "https://index.docker.io/v1/": { auth: b64("octo:dckr_pat_Lm2Xw7Rt5Yp8Nc4Vb6Hj1Sd0QzK") },
          "ghcr.io": {},
          "registry.corp.example.com": { identitytoken: "Rt5Yp8Nc4Vb6Hj1Sd0QzKe9Fa3Ub" },
        },
        credsStore: "desktop",
        credHelpers: { "123456789012.dkr.ecr.us-east-1.amazonaws.com": "ecr-login" },
      },
      null,
      2,
    );
    const r = run(text);
    expect(r.shapes).toEqual([
      { ruleId: "docker-config", type: "password", name: "auths.https://index.docker.io/v1/.auth", line: 4 },
      {
        ruleId: "docker-config",
        type: "token",
        name: "auths.registry.corp.example.com.identitytoken",
        line: 8,
      },
    ]);
    expect(r.secrets).toEqual(["dckr_pat_Lm2Xw7Rt5Yp8Nc4Vb6Hj1Sd0QzK", "Rt5Yp8Nc4Vb6Hj1Sd0QzKe9Fa3Ub"]);
  });

  it("legacy ~/.dockercfg: registries at the top level", () => {
    const text = `{"quay.io": {"auth": "${b64("robot:Q7vLm2Xw7Rt5Yp8N")}", "email": "dev@corp.example.com"}}`;
    const r = run(text);
    expect(r.shapes).toEqual([{ ruleId: "docker-config", type: "password", name: "quay.io.auth", line: 1 }]);
    expect(r.secrets).toEqual(["Q7vLm2Xw7Rt5Yp8N"]);
  });

  it("helper-only config has no finding; malformed JSON is reported as such", () => {
    expect(run('{"auths": {"ghcr.io": {}}, "credsStore": "osxkeychain"}')).toEqual({
      shapes: [],
      secrets: [],
      malformed: undefined,
    });
    expect(run('{"auths": {')).toEqual({ shapes: [], secrets: [], malformed: "not valid JSON" });
  });
});
