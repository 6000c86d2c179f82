import { describe, expect, it } from "vitest";
import { PARSERS } from "../../../src/detect/parsers/index.js";
import type { Detection } from "../../../src/rules/types.js";

// The line-oriented formats: netrc, git-credentials, pgpass, bare token files, presence.

const RULE = { id: "test-rule", provider: "test", title: "t", severity: "high" as const, remediation: "r" };
const shape = (d: Detection) => ({
  ruleId: d.ruleId,
  type: d.type,
  name: d.name,
  line: d.line,
  kind: d.kind,
});
function run(parser: string, text: string, path = "f") {
  const res = PARSERS[parser]!({ text, path, rule: RULE });
  return {
    shapes: res.detections.map(shape),
    secrets: res.detections.map((d) => d.secret),
    malformed: res.malformed,
  };
}

describe("netrc parser", () => {
  it("passwords per machine and default; login, account and macdef bodies are skipped", () => {
    const text = [
      "# heroku",
      "machine api.heroku.com",
      "  login dev@corp.example.com",
      "  password 3f9c2a7b-1e5d-8046-c2f7-a9b3e1d5c8f0",
      'machine ftp.corp.example.com login anon password "p@ss word!"',
      "macdef init",
      "password NotASecretInAMacro1",
      "",
      "default login guest password Gq7vLm2Xw7",
      `machine other.example.com login x password \${NETRC_PASSWORD}`,
    ].join("\n");
    const r = run("netrc", text);
    expect(r.shapes).toEqual([
      { ruleId: "test-rule", type: "password", name: "api.heroku.com.password", line: 4, kind: undefined },
      {
        ruleId: "test-rule",
        type: "password",
        name: "ftp.corp.example.com.password",
        line: 5,
        kind: undefined,
      },
      { ruleId: "test-rule", type: "password", name: "default.password", line: 9, kind: undefined },
    ]);
    expect(r.secrets).toEqual(["3f9c2a7b-1e5d-8046-c2f7-a9b3e1d5c8f0", "p@ss word!", "Gq7vLm2Xw7"]);
  });
});

describe("git-credentials parser", () => {
  it("the password of each URL, percent-decoded; URLs without a password are skipped", () => {
    const text = [
      "https://octo:gho_Lm2Xw7Rt5Yp8Nc4Vb6Hj1Sd0QzKe9Fa3Ub@github.com",
      "https://gitlab.corp.example.com",
      "https://ci:p%40ss%3Aw0rd-Lm2X@gitlab.corp.example.com/group",
      `https://x:\${GIT_TOKEN}@git.example.com`,
    ].join("\n");
    const r = run("git-credentials", text);
    expect(r.shapes).toEqual([
      { ruleId: "test-rule", type: "token", name: "github.com", line: 1, kind: undefined },
      { ruleId: "test-rule", type: "token", name: "gitlab.corp.example.com", line: 3, kind: undefined },
    ]);
    expect(r.secrets).toEqual(["gho_Lm2Xw7Rt5Yp8Nc4Vb6Hj1Sd0QzKe9Fa3Ub", "p@ss:w0rd-Lm2X"]);
  });
});

describe("pgpass parser", () => {
  it("the fifth field, with \\: escapes; comments are skipped, short lines reported", () => {
    const text = [
      "# hostname:port:database:username:password",
      "db.corp.example.com:5432:app:app_rw:Pg\\:Lm2Xw7!Rt5",
      "localhost:*:*:postgres:",
      "*:*:*:readonly:ro-Yp8Nc4Vb6",
      "broken:line",
    ].join("\n");
    const r = run("pgpass", text);
    expect(r.shapes).toEqual([
      {
        ruleId: "test-rule",
        type: "password",
        name: "db.corp.example.com:5432:app:app_rw",
        line: 2,
        kind: undefined,
      },
      { ruleId: "test-rule", type: "password", name: "*:*:*:readonly", line: 4, kind: undefined },
    ]);
    expect(r.secrets).toEqual(["Pg:Lm2Xw7!Rt5", "ro-Yp8Nc4Vb6"]);
    expect(r.malformed).toBe("not valid pgpass (line 5: not host:port:database:user:password)");
    expect(run("pgpass", "a:b\nhost:1:db:u:Kq8Lm2Xw7Rt5\nc\n").malformed).toBe(
      "not valid pgpass (2 lines, first 1: not host:port:database:user:password)",
    );
    expect(run("pgpass", "# only a comment\n\n").malformed).toBeUndefined();
  });
});

describe("token-file parser", () => {
  it("vault token and Hugging Face token files", () => {
    const r = run("token-file", "hvs.CAESILm2Xw7Rt5Yp8Nc4Vb6Hj1Sd0QzKe9Fa3UbGq7v\n");
    expect(r.shapes).toEqual([
      { ruleId: "test-rule", type: "token", name: undefined, line: 1, kind: undefined },
    ]);
    expect(r.secrets).toEqual(["hvs.CAESILm2Xw7Rt5Yp8Nc4Vb6Hj1Sd0QzKe9Fa3UbGq7v"]);
  });

  it("SOPS age keys.txt: the AGE-SECRET-KEY line, not the comments holding the public key", () => {
    const text = [
      "# created: 2026-01-01T00:00:00Z",
      "# public key: age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p",
      "AGE-SECRET-KEY-1QYQSZQGPQYQSZQGPQYQSZQGPQYQSZQGPQYQSZQGPQYQSZQGPQYQS3QZLM2X",
    ].join("\n");
    const r = run("token-file", text);
    expect(r.shapes).toEqual([
      { ruleId: "test-rule", type: "private-key", name: undefined, line: 3, kind: undefined },
    ]);
  });

  it("placeholders and plain words are not tokens", () => {
    expect(run("token-file", "your-token-here\nchangeme\n")).toEqual({
      shapes: [],
      secrets: [],
      malformed: undefined,
    });
  });
});

describe("presence parser", () => {
  it("the file's existence is the finding; the subject is the path, never content", () => {
    const r = run("presence", "SQLite format 3\0 refresh tokens...", ".config/gcloud/credentials.db");
    expect(r.shapes).toEqual([
      { ruleId: "test-rule", type: "credential-store", name: undefined, line: undefined, kind: "exposure" },
    ]);
    expect(r.secrets).toEqual(["presence:.config/gcloud/credentials.db"]);
  });
});
