import { describe, expect, it } from "vitest";
import { PARSERS } from "../../../src/detect/parsers/index.js";
import type { Detection } from "../../../src/rules/types.js";

const RULE = { id: "test-rule", provider: "test", title: "t", severity: "high" as const, remediation: "r" };
const shape = (d: Detection) => ({ ruleId: d.ruleId, type: d.type, name: d.name, line: d.line });
function run(text: string, parser = "json") {
  const res = PARSERS[parser]!({ text, path: "f.json", rule: RULE });
  return {
    shapes: res.detections.map(shape),
    secrets: res.detections.map((d) => d.secret),
    malformed: res.malformed,
  };
}

const PEM_BODY = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7Lm2Xw7Rt5Yp8Nc4Vb6Hj1Sd0QzKe9Fa3Ub";
const SA_KEY = `-----BEGIN PRIVATE KEY-----\n${PEM_BODY}\n-----END PRIVATE KEY-----\n`;

describe("json parser", () => {
  it("gcloud ADC authorized_user: the refresh token; not client_id, type or gcloud's public client secret", () => {
    const text = JSON.stringify(
      {
        client_id: "764086051850-6qr4p6gpi6hn506pt8ejuq83di341hur.apps.googleusercontent.com",
        client_secret: "d-FL95Q19q7MQmFpd7hHD0Ty",
        quota_project_id: "my-project",
        refresh_token: "1//09Lm2Xw7Rt5Yp8Nc4Vb6Hj1Sd0QzKe-Fa3UbGq7vLm2Xw7Rt5",
        type: "authorized_user",
      },
      null,
      2,
    );
    const r = run(text);
    expect(r.shapes).toEqual([
      { ruleId: "test-rule", type: "refresh-token", name: "refresh_token", line: 5 },
    ]);
    expect(r.secrets).toEqual(["1//09Lm2Xw7Rt5Yp8Nc4Vb6Hj1Sd0QzKe-Fa3UbGq7vLm2Xw7Rt5"]);
  });

  it("a client secret of your own OAuth client is reported", () => {
    const r = run(
      '{"client_id": "1234.apps.googleusercontent.com", "client_secret": "GOCSPX-Lm2Xw7Rt5Yp8Nc4Vb6Hj1Sd0Qz"}',
    );
    expect(r.shapes).toEqual([
      { ruleId: "test-rule", type: "client-secret", name: "client_secret", line: 1 },
    ]);
  });

  it("service-account key: the private key (JSON-escaped newlines), not the key id or email", () => {
    const text = JSON.stringify(
      {
        type: "service_account",
        project_id: "my-project",
        private_key_id: "3f9c2a7b1e5d8046c2f7a9b3e1d5c8f04e2a6b1c",
        private_key: SA_KEY,
        client_email: "agent@my-project.iam.gserviceaccount.com",
        token_uri: "https://oauth2.googleapis.com/token",
      },
      null,
      2,
    );
    const r = run(text);
    expect(r.shapes).toEqual([{ ruleId: "test-rule", type: "private-key", name: "private_key", line: 5 }]);
    // Reported in the file's escaped form, the form a content rule over the text also sees.
    expect(r.secrets).toEqual([SA_KEY.trimEnd().replaceAll("\n", "\\n")]);
  });

  it("AWS SSO and CLI caches, Codex auth.json, MSAL cache, composer auth.json", () => {
    const text = [
      "{",
      '  "accessToken": "aoaAAAAAGXw7Rt5Yp8Nc4Vb6Hj1Sd0QzKe9Fa3UbGq7vLm2Xw7Rt5Yp8",',
      '  "expiresAt": "2026-01-01T00:00:00Z",',
      '  "Credentials": { "AccessKeyId": "ASIAQ3EGRSXMPL7NBDZW", "SecretAccessKey": "Yp8Nc4Vb6Hj1Sd0QzKe9Fa3UbGq7vLm2Xw7Rt5A",',
      '    "SessionToken": "IQoJb3JpZ2luX2VjEKz8Nc4Vb6Hj1Sd0QzKe9Fa3UbGq7vLm2Xw7", "Expiration": "2026-01-01" },',
      '  "OPENAI_API_KEY": null,',
      '  "tokens": { "id_token": "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1c2VyIn0.Qz8Lm2Xw7Rt5Yp8Nc4Vb", "account_id": "a1b2c3d4-0000-4000-8000-123456789abc" },',
      '  "AccessToken": { "k1": { "credential_type": "AccessToken", "secret": "eyJ0eXAiOiJKV1QifQ.eyJhdWQiOiJ4In0.Hj1Sd0QzKe9Fa3UbGq7v", "home_account_id": "x" } },',
      '  "github-oauth": { "github.com": "gho_Sd0QzKe9Fa3UbGq7vLm2Xw7Rt5Yp8Nc4Vb6" },',
      '  "http-basic": { "repo.corp.example.com": { "username": "ci", "password": "Vb6!Hj1Sd0Qz" } }',
      "}",
    ].join("\n");
    const r = run(text);
    expect(r.shapes).toEqual([
      { ruleId: "test-rule", type: "access-token", name: "accessToken", line: 2 },
      { ruleId: "test-rule", type: "secret-access-key", name: "Credentials.SecretAccessKey", line: 4 },
      { ruleId: "test-rule", type: "session-token", name: "Credentials.SessionToken", line: 5 },
      { ruleId: "test-rule", type: "id-token", name: "tokens.id_token", line: 7 },
      { ruleId: "test-rule", type: "access-token", name: "AccessToken.k1.secret", line: 8 },
      { ruleId: "test-rule", type: "token", name: "github-oauth.github.com", line: 9 },
      { ruleId: "test-rule", type: "password", name: "http-basic.repo.corp.example.com.password", line: 10 },
    ]);
    expect(r.secrets).toEqual([
      "aoaAAAAAGXw7Rt5Yp8Nc4Vb6Hj1Sd0QzKe9Fa3UbGq7vLm2Xw7Rt5Yp8",
      "Yp8Nc4Vb6Hj1Sd0QzKe9Fa3UbGq7vLm2Xw7Rt5A",
      "IQoJb3JpZ2luX2VjEKz8Nc4Vb6Hj1Sd0QzKe9Fa3UbGq7vLm2Xw7",
      "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1c2VyIn0.Qz8Lm2Xw7Rt5Yp8Nc4Vb",
      "eyJ0eXAiOiJKV1QifQ.eyJhdWQiOiJ4In0.Hj1Sd0QzKe9Fa3UbGq7v",
      "gho_Sd0QzKe9Fa3UbGq7vLm2Xw7Rt5Yp8Nc4Vb6",
      "Vb6!Hj1Sd0Qz",
    ]);
  });

  it("skips placeholders, references, booleans and non-secret key names", () => {
    const text = JSON.stringify({
      token: `\${GITHUB_TOKEN}`,
      api_key: "your-api-key-here",
      password: "<password>",
      token_type: "Bearer",
      refresh_token_expires_in: "7200",
      secret_name: "prod/db",
      apiKeyHelper: "/usr/local/bin/key-helper --profile=work",
      credsStore: "desktop",
    });
    expect(run(text)).toEqual({ shapes: [], secrets: [], malformed: undefined });
  });

  it("malformed JSON: no detections, a fixed message", () => {
    expect(run('{"refresh_token": "1//09Lm2Xw7Rt5Yp8Nc4Vb6Hj1Sd0QzKe",')).toEqual({
      shapes: [],
      secrets: [],
      malformed: "not valid JSON",
    });
  });

  it("accepts JSON with comments and trailing commas (JSONC), and an empty file", () => {
    const text = '{\n  // a comment\n  "refresh_token": "1//09Lm2Xw7Rt5Yp8Nc4Vb6Hj1Sd0QzKe", /* x */\n}\n';
    const r = run(text);
    expect(r.shapes).toEqual([
      { ruleId: "test-rule", type: "refresh-token", name: "refresh_token", line: 3 },
    ]);
    expect(run("")).toEqual({ shapes: [], secrets: [], malformed: undefined });
  });
});
