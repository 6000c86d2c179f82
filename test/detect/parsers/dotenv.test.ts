import { describe, expect, it } from "vitest";
import { ContentScanner } from "../../../src/detect/content.js";
import { detectEnvVar } from "../../../src/detect/env.js";
import { PARSERS } from "../../../src/detect/parsers/index.js";
import { defaultRules } from "../../../src/rules/catalog.js";
import type { Detection } from "../../../src/rules/types.js";

const RULE = {
  id: "home-dotenv",
  provider: "dotenv",
  title: "t",
  severity: "high" as const,
  remediation: "r",
};
const shape = (d: Detection) => ({
  ruleId: d.ruleId,
  provider: d.provider,
  type: d.type,
  name: d.name,
  line: d.line,
});
function run(text: string) {
  const res = PARSERS.dotenv!({ text, path: ".env", rule: RULE });
  return {
    shapes: res.detections.map(shape),
    secrets: res.detections.map((d) => d.secret),
    malformed: res.malformed,
  };
}

const PAT = "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";

describe("dotenv parser", () => {
  it("judges each variable like the environment: secret names gated by value shape, provider tokens by value", () => {
    const text = [
      "# comment",
      "NODE_ENV=production",
      "export SERVICE_API_KEY='Zq8Lm2Xw7Rt5Yp8Nc4Vb'",
      "TOKENIZERS_PARALLELISM=false",
      `GH=${PAT}`,
      'DB_PASSWORD="q8Zr!v2Lp#x9Wm4T"',
      "SECRET_NAME=prod/db",
      "API_KEY=your-key-here",
      `DATABASE_URL=postgres://app:\${DB_PASSWORD}@db/app`,
    ].join("\n");
    const r = run(text);
    expect(r.malformed).toBeUndefined();
    expect(r.shapes).toEqual([
      { ruleId: "home-dotenv", provider: "dotenv", type: "secret", name: "SERVICE_API_KEY", line: 3 },
      { ruleId: "home-dotenv", provider: "github", type: "personal-access-token", name: "GH", line: 5 },
      { ruleId: "home-dotenv", provider: "dotenv", type: "secret", name: "DB_PASSWORD", line: 6 },
    ]);
    expect(r.secrets).toEqual(["Zq8Lm2Xw7Rt5Yp8Nc4Vb", PAT, "q8Zr!v2Lp#x9Wm4T"]);
  });

  it("gives the same secrets as the environment source for the same variables", () => {
    const vars: Record<string, string> = {
      SERVICE_API_KEY: "Zq8Lm2Xw7Rt5Yp8Nc4Vb",
      KEYBOARD_LAYOUT: "us",
      GH: PAT,
    };
    const rules = defaultRules();
    const scanner = new ContentScanner(rules);
    const fromEnv = Object.entries(vars).flatMap(([n, v]) =>
      detectEnvVar(n, v, rules, scanner).map((d) => d.secret),
    );
    const text = Object.entries(vars)
      .map(([n, v]) => `${n}=${v}`)
      .join("\n");
    expect(run(text).secrets).toEqual(fromEnv);
  });
});
