import { describe, expect, it } from "vitest";
import { PARSERS } from "../../../src/detect/parsers/index.js";
import type { Detection } from "../../../src/rules/types.js";

const RULE = {
  id: "test-rule",
  provider: "test",
  title: "Test file",
  severity: "high" as const,
  remediation: "r",
};

/** What a finding shows, without the secret; secrets are compared separately. */
function shape(d: Detection) {
  return {
    ruleId: d.ruleId,
    provider: d.provider,
    type: d.type,
    name: d.name,
    line: d.line,
    severity: d.severity,
  };
}
function run(parser: string, text: string) {
  const res = PARSERS[parser]!({ text, path: "f", rule: RULE });
  return {
    shapes: res.detections.map(shape),
    secrets: res.detections.map((d) => d.secret),
    malformed: res.malformed,
  };
}

const AWS_SECRET = "kT9vB2xQ7mL4pW8rZ3nY6cF1hJ5dS0gA9eR2tU7i";
const AWS_SESSION = "FwoGZXIvYXdzEJr8wEaDM3n8Qv2LzR7kP0tYiKoAb9Xw4Ns7Vd2Hq5Lm8Rt3Gp6Zc1Jf0Ky9Ue4Ia2Ob7";

describe("ini parser: AWS shared config and credentials", () => {
  it("reports the secret key and session token, not the key id, region or credential_process", () => {
    const text = [
      "[default]",
      "aws_access_key_id = AKIAQ3EGRSXMPL7NBDZW",
      `aws_secret_access_key = ${AWS_SECRET}`,
      "region = eu-west-1",
      "",
      "[profile ci]",
      `aws_session_token=${AWS_SESSION}`,
      "credential_process = /usr/local/bin/aws-vault export --format=json ci",
      "s3 =",
      "  max_concurrent_requests = 20",
      "",
      "[placeholder]",
      "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
      `aws_secret_access_key_2 = \${AWS_SECRET}`,
    ].join("\n");
    const r = run("ini", text);
    expect(r.malformed).toBeUndefined();
    expect(r.shapes).toEqual([
      {
        ruleId: "test-rule",
        provider: "aws",
        type: "secret-access-key",
        name: "default.aws_secret_access_key",
        line: 3,
        severity: "high",
      },
      {
        ruleId: "test-rule",
        provider: "aws",
        type: "session-token",
        name: "profile ci.aws_session_token",
        line: 7,
        severity: "high",
      },
    ]);
    expect(r.secrets).toEqual([AWS_SECRET, AWS_SESSION]);
  });

  it("reads generic password and token keys in other INI files, with quotes and colons", () => {
    const text = [
      "# ~/.pypirc",
      "[distutils]",
      "index-servers = pypi",
      "[pypi]",
      "username = __token__",
      'password = "pypi-AgEIcHlwaS5vcmcCJGQ3Zk9aLm2Xw7Rt5Yp8Nc4Vb6Hj1Sd0"',
      "[databricks]",
      "host: https://dbc-1234.cloud.databricks.com",
      "token: dapi3f9c2a7b1e5d8046c2f7a9b3e1d5c8f0",
      "key_file = ~/.oci/oci_api_key.pem",
      "pass_phrase = Tr0ub4dor&3-horse",
      "password_file = /etc/secret/pw",
      "token_type = bearer",
    ].join("\n");
    const r = run("ini", text);
    expect(r.shapes).toEqual([
      {
        ruleId: "test-rule",
        provider: "test",
        type: "password",
        name: "pypi.password",
        line: 6,
        severity: "high",
      },
      {
        ruleId: "test-rule",
        provider: "test",
        type: "token",
        name: "databricks.token",
        line: 9,
        severity: "high",
      },
      {
        ruleId: "test-rule",
        provider: "test",
        type: "password",
        name: "databricks.pass_phrase",
        line: 11,
        severity: "high",
      },
    ]);
    expect(r.secrets).toEqual([
      "pypi-AgEIcHlwaS5vcmcCJGQ3Zk9aLm2Xw7Rt5Yp8Nc4Vb6Hj1Sd0",
      "dapi3f9c2a7b1e5d8046c2f7a9b3e1d5c8f0",
      "Tr0ub4dor&3-horse",
    ]);
  });

  it("walks rclone's one-line JSON token", () => {
    const text = [
      "[gdrive]",
      "type = drive",
      'token = {"access_token":"ya29.a0Af9Lm2Xw7Rt5Yp8Nc4Vb6Hj1Sd0Qz","token_type":"Bearer","refresh_token":"1//09Lm2Xw7Rt5Yp8Nc4Vb6Hj1Sd0QzKe","expiry":"2026-01-01T00:00:00Z"}',
    ].join("\n");
    const r = run("ini", text);
    expect(r.shapes).toEqual([
      {
        ruleId: "test-rule",
        provider: "test",
        type: "access-token",
        name: "gdrive.token.access_token",
        line: 3,
        severity: "high",
      },
      {
        ruleId: "test-rule",
        provider: "test",
        type: "refresh-token",
        name: "gdrive.token.refresh_token",
        line: 3,
        severity: "high",
      },
    ]);
    expect(r.secrets).toEqual(["ya29.a0Af9Lm2Xw7Rt5Yp8Nc4Vb6Hj1Sd0Qz", "1//09Lm2Xw7Rt5Yp8Nc4Vb6Hj1Sd0QzKe"]);
  });

  it("my-cnf: accepts bare flags and !include lines, reports password=", () => {
    const text = [
      "[client]",
      "user=app",
      "password='s3cr3t-Db!pass'",
      "skip-ssl",
      "!includedir /etc/mysql/conf.d/",
      "[mysqld]",
      "password=changeme",
    ].join("\n");
    const r = run("my-cnf", text);
    expect(r.shapes).toEqual([
      {
        ruleId: "test-rule",
        provider: "test",
        type: "password",
        name: "client.password",
        line: 3,
        severity: "high",
      },
    ]);
    expect(r.secrets).toEqual(["s3cr3t-Db!pass"]);
  });

  it("properties: gradle credentials by camelCase name", () => {
    const text = [
      "org.gradle.jvmargs=-Xmx2g",
      "ossrhUsername=deployer",
      "ossrhPassword=Gq7!vLm2Xw7Rt5",
      "signing.keyId=24875D73",
      "signing.password=",
      `systemProp.https.proxyPassword=\${PROXY_PASSWORD}`,
    ].join("\n");
    const r = run("properties", text);
    expect(r.shapes).toEqual([
      {
        ruleId: "test-rule",
        provider: "test",
        type: "password",
        name: "ossrhPassword",
        line: 3,
        severity: "high",
      },
    ]);
    expect(r.secrets).toEqual(["Gq7!vLm2Xw7Rt5"]);
  });

  it("a file that is not INI is malformed, with no detections and no quoted content", () => {
    const r = run("ini", `{\n  "aws_secret_access_key": "${AWS_SECRET}"\n}\n`);
    expect(r).toEqual({ shapes: [], secrets: [], malformed: "not valid INI" });
  });
});

describe("ini parser: inline comments and continuation lines (issue 8)", () => {
  const PW = ["Zq8", "Lm2Xw7", "Rt5Yp8Nc"].join("");

  it("ini: the value before ` ; comment` is the secret (the comment is no longer part of it)", () => {
    const text = ["[pypi]", `password = ${PW} ; the upload password`, "[x]", `token = ${PW}2 # ci`].join(
      "\n",
    );
    const r = run("ini", text);
    expect(r.secrets).toEqual([PW, `${PW}2`]);
    expect(r.shapes.map((s) => [s.name, s.line])).toEqual([
      ["pypi.password", 2],
      ["x.token", 4],
    ]);
  });

  it("ini: an AWS secret key with an inline comment is reported without it", () => {
    const r = run("ini", ["[default]", `aws_secret_access_key = ${AWS_SECRET} ; rotated`].join("\n"));
    expect(r.secrets).toEqual([AWS_SECRET]);
  });

  it("ini: a ';' or '#' inside a value (no blank before it) stays in the value", () => {
    const r = run("ini", ["[a]", `password = ${PW};x#y`].join("\n"));
    expect(r.secrets).toEqual([`${PW};x#y`]);
  });

  it("ini: when the text before ` ;` is no secret, the whole value (configparser's reading) is", () => {
    const whole = "ab ; Kq3#Lm2Xw7Rt5Yp8Nc4Vb";
    const r = run("ini", ["[a]", `password = ${whole}`].join("\n"));
    expect(r.secrets).toEqual([whole]);
  });

  it("ini (pypirc): an indented continuation line is part of the value, joined by a newline", () => {
    const text = ["[pypi]", "username = __token__", `password = ${PW}`, "    Tz7Kq2Wn9Xr4", "[other]"].join(
      "\n",
    );
    const r = run("ini", text);
    expect(r.secrets).toEqual([`${PW}\nTz7Kq2Wn9Xr4`]);
    expect(r.shapes.map((s) => [s.name, s.line])).toEqual([["pypi.password", 3]]);
  });

  it("ini (AWS config): `s3 =` followed by indented keys is still a nested section", () => {
    const text = [
      "[profile a]",
      "s3 =",
      "  max_concurrent_requests = 20",
      `aws_session_token = ${AWS_SESSION}`,
    ].join("\n");
    expect(run("ini", text).secrets).toEqual([AWS_SESSION]);
  });

  it("properties: a backslash continuation joins the lines (leading blanks dropped), escapes decode", () => {
    const text = [
      "# gradle.properties",
      `mavenPassword=${PW.slice(0, 6)}\\`,
      `    ${PW.slice(6)}\\=x`,
      "org.gradle.jvmargs=-Xmx2g",
    ].join("\n");
    const r = run("properties", text);
    expect(r.secrets).toEqual([`${PW}=x`]);
    expect(r.shapes.map((s) => [s.name, s.line])).toEqual([["mavenPassword", 2]]);
  });

  it("properties: '#' and ';' inside a value are not comments; an even run of backslashes does not continue", () => {
    const text = [`mavenPassword=${PW} #1;2`, `signingPassword=${PW}x\\\\`, "next=1"].join("\n");
    expect(run("properties", text).secrets).toEqual([`${PW} #1;2`, `${PW}x\\`]);
  });

  it("my-cnf: '#' starts a comment anywhere in an unquoted value, not in a quoted one", () => {
    const text = ["[client]", `password=${PW}# old one`, "[mysqldump]", `password="${PW}#9"`].join("\n");
    expect(run("my-cnf", text).secrets).toEqual([PW, `${PW}#9`]);
  });
});
