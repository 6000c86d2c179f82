import { describe, expect, it } from "vitest";
import { PARSERS } from "../../../src/detect/parsers/index.js";
import type { Detection } from "../../../src/rules/types.js";

const RULE = {
  id: "kubeconfig",
  provider: "kubernetes",
  title: "t",
  severity: "critical" as const,
  remediation: "r",
};
const shape = (d: Detection) => ({
  ruleId: d.ruleId,
  type: d.type,
  name: d.name,
  line: d.line,
  severity: d.severity,
});
function run(text: string) {
  const res = PARSERS.kubeconfig!({ text, path: ".kube/config", rule: RULE });
  return {
    shapes: res.detections.map(shape),
    secrets: res.detections.map((d) => d.secret),
    malformed: res.malformed,
  };
}

const KEY_PEM =
  "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAu1Lm2Xw7Rt5Yp8Nc4Vb6Hj1Sd0QzKe9Fa3UbGq7vLm2Xw7Rt5\n-----END RSA PRIVATE KEY-----";
const KEY_DATA = Buffer.from(`${KEY_PEM}\n`).toString("base64");
const ENC_PEM =
  "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIFHzBJBgkqhkiG9w0BBQ0wPDAbBgkqhkiG9w0BBQwwDgQIb6Hj1Sd0QzKe\n-----END ENCRYPTED PRIVATE KEY-----";

describe("kubeconfig parser", () => {
  it("token, password, client-key-data (decoded), auth-provider tokens and exec env; not paths or commands", () => {
    const text = [
      "apiVersion: v1",
      "kind: Config",
      "clusters:",
      "- name: prod",
      "  cluster: { server: https://10.0.0.1:6443, certificate-authority-data: LS0tLS1CRUdJTi }",
      "users:",
      "- name: admin",
      "  user:",
      `    client-key-data: ${KEY_DATA}`,
      "    client-certificate-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCg==",
      "- name: sa",
      "  user:",
      "    token: eyJhbGciOiJSUzI1NiIsImtpZCI6IjEifQ.eyJzdWIiOiJzYSJ9.Qz8Lm2Xw7Rt5Yp8Nc4Vb",
      "- name: basic",
      "  user: { username: admin, password: 'K8s!Pw-Lm2Xw7' }",
      "- name: oidc",
      "  user:",
      "    auth-provider:",
      "      name: oidc",
      "      config:",
      "        client-id: kubernetes",
      "        id-token: eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJ4In0.Hj1Sd0QzKe9Fa3UbGq7v",
      "        refresh-token: Cg9Lm2Xw7Rt5Yp8Nc4Vb6Hj1Sd0QzKe",
      "        idp-issuer-url: https://idp.corp.example.com",
      "- name: eks",
      "  user:",
      "    exec:",
      "      command: aws",
      "      args: [eks, get-token, --cluster-name, prod]",
      "      env:",
      "      - { name: AWS_PROFILE, value: prod }",
      "      - { name: VENDOR_API_TOKEN, value: Fa3UbGq7vLm2Xw7Rt5Yp8Nc }",
      "- name: files",
      `  user: { client-key: /home/dev/.kube/key.pem, tokenFile: /var/run/secrets/token, token: '\${KUBE_TOKEN}' }`,
      "- name: enc",
      "  user:",
      `    client-key-data: ${Buffer.from(ENC_PEM).toString("base64")}`,
    ].join("\n");
    const r = run(text);
    expect(r.malformed).toBeUndefined();
    expect(r.shapes).toEqual([
      {
        ruleId: "kubeconfig",
        type: "private-key",
        name: "users.admin.user.client-key-data",
        line: 9,
        severity: "critical",
      },
      { ruleId: "kubeconfig", type: "token", name: "users.sa.user.token", line: 13, severity: "critical" },
      {
        ruleId: "kubeconfig",
        type: "password",
        name: "users.basic.user.password",
        line: 15,
        severity: "critical",
      },
      {
        ruleId: "kubeconfig",
        type: "id-token",
        name: "users.oidc.user.auth-provider.config.id-token",
        line: 22,
        severity: "critical",
      },
      {
        ruleId: "kubeconfig",
        type: "refresh-token",
        name: "users.oidc.user.auth-provider.config.refresh-token",
        line: 23,
        severity: "critical",
      },
      {
        ruleId: "kubeconfig",
        type: "secret",
        name: "users.eks.user.exec.env.VENDOR_API_TOKEN",
        line: 32,
        severity: "critical",
      },
      {
        ruleId: "kubeconfig",
        type: "encrypted-private-key",
        name: "users.enc.user.client-key-data",
        line: 37,
        severity: "low",
      },
    ]);
    expect(r.secrets).toEqual([
      KEY_PEM,
      "eyJhbGciOiJSUzI1NiIsImtpZCI6IjEifQ.eyJzdWIiOiJzYSJ9.Qz8Lm2Xw7Rt5Yp8Nc4Vb",
      "K8s!Pw-Lm2Xw7",
      "eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJ4In0.Hj1Sd0QzKe9Fa3UbGq7v",
      "Cg9Lm2Xw7Rt5Yp8Nc4Vb6Hj1Sd0QzKe",
      "Fa3UbGq7vLm2Xw7Rt5Yp8Nc",
      ENC_PEM,
    ]);
  });

  it("malformed YAML: no detections", () => {
    expect(run("users:\n- name: a\n  user: {token: [unclosed")).toEqual({
      shapes: [],
      secrets: [],
      malformed: "not valid YAML",
    });
  });
});
