import { describe, expect, it } from "vitest";
import { PARSERS } from "../../../src/detect/parsers/index.js";
import type { Detection } from "../../../src/rules/types.js";

const RULE = { id: "npmrc", provider: "npm", title: "npm", severity: "high" as const, remediation: "r" };
const shape = (d: Detection) => ({ ruleId: d.ruleId, type: d.type, name: d.name, line: d.line });
function run(text: string) {
  const res = PARSERS.npmrc!({ text, path: ".npmrc", rule: RULE });
  return {
    shapes: res.detections.map(shape),
    secrets: res.detections.map((d) => d.secret),
    malformed: res.malformed,
  };
}

const b64 = (s: string) => Buffer.from(s).toString("base64");

describe("npmrc parser", () => {
  it("reports _authToken, the password inside _auth and the decoded _password", () => {
    const text = [
      "registry=https://registry.npmjs.org/",
      "//registry.npmjs.org/:_authToken=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",
      `//npm.corp.example.com/:_auth=${b64("deploy:Wq9!rLp2Zx7Tv4")}`,
      "//nexus.corp.example.com/:username=ci",
      `//nexus.corp.example.com/:_password=${b64("Hk8#mNq3Vb6Yt1")}`,
      "always-auth=true",
      "email=dev@corp.example.com",
    ].join("\n");
    const r = run(text);
    expect(r.malformed).toBeUndefined();
    expect(r.shapes).toEqual([
      { ruleId: "npmrc", type: "token", name: "//registry.npmjs.org/:_authToken", line: 2 },
      { ruleId: "npmrc", type: "password", name: "//npm.corp.example.com/:_auth", line: 3 },
      { ruleId: "npmrc", type: "password", name: "//nexus.corp.example.com/:_password", line: 5 },
    ]);
    expect(r.secrets).toEqual([
      "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",
      "Wq9!rLp2Zx7Tv4",
      "Hk8#mNq3Vb6Yt1",
    ]);
  });

  it("does not report environment references or placeholders", () => {
    const text = [
      `//registry.npmjs.org/:_authToken=\${NPM_TOKEN}`,
      "//npm.pkg.github.com/:_authToken=$GITHUB_TOKEN",
      "_auth=<base64 user:pass>",
    ].join("\n");
    expect(run(text)).toEqual({ shapes: [], secrets: [], malformed: undefined });
  });
});
