import { afterEach, describe, expect, it } from "vitest";
import { ContentScanner } from "../../src/detect/content.js";
import { defaultRules } from "../../src/rules/catalog.js";
import { dedupe } from "../../src/sources/files.js";
import { inventory } from "../helpers/inventory.js";
import { tempTree } from "../helpers/tmp.js";

// Issue 15, round-two rule fixes asked for by the peer suites benchmark and two helpers: a URL's
// userinfo is not a keyword assignment, reference names in the env rules, notion-token's exact
// structure, placeholder runs (`####`, 16 identical characters), `public*` and `csrf`/`xsrf` names.
// Each line is scanned with the whole catalog and deduplicated as a file's detections are; the exact
// [rule id, severity, secret] list is asserted. All values are fake.
const rules = defaultRules();
const scanner = new ContentScanner(rules);
const found = (line: string) =>
  dedupe(scanner.scan(line, { honourInlineAllows: false })).map((d) => [d.ruleId, d.severity, d.secret]);

const GHP = "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";
const RND = "Zq8Lm2Xw7Rt5Yp8Nc4Vb6Hj1";
// Notion: ntn_ + 11 digits + 35 alphanumerics.
const NTN_BODY = "Zq8Lm2Xw7Rt5Yp8Nc4Vb6Hj1Sd03xP9MGkT"; // 35
const NTN = `ntn_37238830601${NTN_BODY}`;

type Row = [line: string, expected: [ruleId: string, severity: string, secret: string][]];

describe("a URL's userinfo is not a keyword assignment (issue 15)", () => {
  const rows: Row[] = [
    // GitHub App installation token as the password of x-access-token: only the token's rule.
    [
      `git clone https://x-access-token:${GHP}@github.com/org/app.git`,
      [["github-pat-classic", "critical", GHP]],
    ],
    [
      `git remote set-url origin https://x-access-token:${GHP}@github.com/o/r`,
      [["github-pat-classic", "critical", GHP]],
    ],
    // Bitbucket's x-token-auth: a random password in a URL is url-basic-auth's, never the generic rule's.
    [`git clone https://x-token-auth:${RND}@bitbucket.org/team/repo.git`, [["url-basic-auth", "high", RND]]],
    [`git clone https://x-access-token:${RND}@10.0.0.5/org/app.git`, [["url-basic-auth", "high", RND]]],
    [
      `git clone https://x-access-token:${RND}@git.internal:8443/org/app.git`,
      [["url-basic-auth", "high", RND]],
    ],
    // A password holding an `@` that is no host is still a password.
    [`password = Ab3@Cd5Ef7Gh9Ij2Kl4`, [["generic-password-assignment", "medium", "Ab3@Cd5Ef7Gh9Ij2Kl4"]]],
    [
      `db_password: Ab3@Cd5Ef7Gh9Ij2Kl4/x`,
      [["generic-password-assignment", "medium", "Ab3@Cd5Ef7Gh9Ij2Kl4/x"]],
    ],
  ];
  for (const [line, expected] of rows) it(line.slice(0, 60), () => expect(found(line)).toEqual(expected));
});

describe("public*, csrf and xsrf names are not credential names (issue 15)", () => {
  const rows: Row[] = [
    [`publicToken = "${RND}"`, []],
    [`public_api_key: ${RND}`, []],
    [`NEXT_PUBLIC_API_KEY=${RND}`, []],
    [`csrf-token=${RND}`, []],
    [`<meta name="csrf_token" content="${RND}">`, []],
    [`X-XSRF-TOKEN: ${RND}`, []],
    [`csrfmiddlewaretoken=${RND}`, []],
    // The same values under credential names are reported.
    [`private_token = ${RND}`, [["generic-password-assignment", "medium", RND]]],
    [`publication_secret = ${RND}`, [["generic-password-assignment", "medium", RND]]],
    [`session_token: ${RND}`, [["generic-password-assignment", "medium", RND]]],
  ];
  for (const [line, expected] of rows) it(line.slice(0, 60), () => expect(found(line)).toEqual(expected));
});

describe("notion-token: ntn_ + 11 digits + 35 alphanumerics (issue 15)", () => {
  const rows: Row[] = [
    [`NOTION_TOKEN=${NTN}`, [["notion-token", "high", NTN]]],
    [`"Authorization": "Bearer ${NTN}"`, [["notion-token", "high", NTN]]],
    // secretlint's ok.valid near misses: 10 digits, 34 or 36 characters, a letter before, upper case.
    [`ntn_3723883060${NTN_BODY}`, []],
    [`ntn_37238830601${NTN_BODY.slice(0, 34)}`, []],
    [`ntn_37238830601${NTN_BODY}Q`, []],
    [`x${NTN}`, []],
    [`NTN_37238830601${NTN_BODY}`, []],
    ["https://api.notion.com/v1/databases", []],
  ];
  for (const [line, expected] of rows) it(line.slice(0, 60), () => expect(found(line)).toEqual(expected));
});

describe("placeholder runs: #### and 16 identical characters (issue 15)", () => {
  const rows: Row[] = [
    [`"token4": "xoxp-572370529330-573807301142-572331691188-####################"`, []],
    [`apiKey: "AIza${"a".repeat(35)}"`, []],
    [`DATABRICKS_TOKEN=dapi${"7".repeat(32)}`, []],
    [`api_token = ${"Q".repeat(20)}`, []],
    // Shorter runs stay values: a 15-character run, single and double '#'.
    [
      `apiKey: "AIzaSyD8${"Q".repeat(15)}Xw7Rt5Yp8Nc4VLm2"`,
      [["google-api-key", "high", `AIzaSyD8${"Q".repeat(15)}Xw7Rt5Yp8Nc4VLm2`]],
    ],
    [
      `password = q8Zr#v2Lp##x9Wm4T###k`,
      [["generic-password-assignment", "medium", "q8Zr#v2Lp##x9Wm4T###k"]],
    ],
  ];
  for (const [line, expected] of rows) it(line.slice(0, 60), () => expect(found(line)).toEqual(expected));

  it("an OpenSSH private key (about 11 A's in a row in its header) is still found", () => {
    const pem = [
      "-----BEGIN OPENSSH PRIVATE KEY-----",
      "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW",
      "QyNTUxOQAAACAxagIiLECVdKb9uERzj3ZQpIli1CpScb8KgbX7r731cJeGPAFTnR",
      "BHN+j9LY4YyJh2kMzvkCcuZW2+spJELBmjma93qEAjDDVv8zBMCPi/8d7fR0Xrhh",
      "-----END OPENSSH PRIVATE KEY-----",
    ].join("\n");
    expect(found(pem).map((r) => r.slice(0, 2))).toEqual([["private-key", "critical"]]);
  });
});

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

describe("reference names in the env rules (issue 15)", () => {
  const ENV = {
    EXISTING_SECRET: "pg-auth-7f3kq9x2",
    DB_SECRET_REF: "pg-creds-8fk2qz7m",
    TOKEN_SECRET_REFS: "cf-token-7k2qx9m4",
    ADMIN_PASSWORD_KEY: "admin-pw-9fk2xq7m",
    DB_PASSWORD_KEYS: "admin-pw-9fk2xq7m",
    SECRET_SELECTOR: "app-creds-7k2qx9m4",
    SECRET_PROVIDER_CLASS: "vault-db-7k2qx9m4",
    SECRET_KEY: "k7pV2xQ9zL4mW8rT3nY6cB1hJ5dS0g",
    DJANGO_SECRET_KEY: "Tz7Kq2Wn9Xr4Vb8Lm3PdQ6sF",
    PASSWORD_SECRET: "q8Zr!v2Lp#x9Wm4T",
  };

  it("the environment: only the secrets, not the names of where they live", async () => {
    const res = await inventory({ sources: ["env"], env: ENV });
    expect(res.issues).toEqual([]);
    expect(res.findings.map((f) => `${f.location.name} ${f.ruleId} ${f.severity}`).sort()).toEqual([
      "DJANGO_SECRET_KEY generic-secret-name high",
      "PASSWORD_SECRET generic-secret-name high",
      "SECRET_KEY generic-secret-name high",
    ]);
  });

  // A .env file is judged by the env rules through the dotenv parser (rule tree-dotenv).
  it("a .env file in the tree: the same verdicts, with lines", async () => {
    const t = tempTree(
      {
        ".env": `${Object.entries(ENV)
          .map(([k, v]) => `${k}=${v}`)
          .join("\n")}\n`,
      },
      "aa-round2-",
    );
    cleanups.push(t.cleanup);
    const res = await inventory({ sources: ["tree"], root: t.dir });
    expect(res.issues).toEqual([]);
    expect(
      res.findings.map((f) => `${f.location.path}:${f.location.line} ${f.ruleId} ${f.severity}`).sort(),
    ).toEqual([".env:10 tree-dotenv high", ".env:8 tree-dotenv high", ".env:9 tree-dotenv high"]);
  });
});
