// biome-ignore-all lint/suspicious/noTemplateCurlyInString: shell, Compose and Spring references are written as ${VAR}, which these strings hold as data
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ContentScanner } from "../../src/detect/content.js";
import { defaultRules } from "../../src/rules/catalog.js";
import { inventory } from "../helpers/inventory.js";
import { findingRows, noLeakInEveryFormat, sandboxArgs } from "../helpers/leaks.js";
import { flood, foundBy, lineTable, type Row } from "../helpers/rule-table.js";
import { tempTree } from "../helpers/tmp.js";

// Issue 15, references: a reference to a secret is not a secret, but the literal it falls back to
// is (`${DB_PASSWORD:-S3cret}`, `os.getenv("API_KEY", "S3cret")`): secret-reference-default reports
// the fallback. Each line is scanned with the whole catalog and deduplicated as a file's detections
// are; the exact [rule id, secret] list is asserted. All values are fake.
const rules = defaultRules();
const scanner = new ContentScanner(rules);
const PW = "Xq7vLm2Rt5Wp";
const TOK = "Zq8Lm2Xw7Rt5Yp8Nc4Vb6Hj1";
const found = foundBy(scanner);
const R = "secret-reference-default";

const MATCH: Row[] = [
  // Shell and Compose parameter expansion, every default operator.
  [`      POSTGRES_PASSWORD: \${POSTGRES_PASSWORD:-${PW}}`, [[R, PW]]],
  [`      REDIS_PASSWORD: "\${REDIS_PASSWORD-${PW}}"`, [[R, PW]]],
  [`: "\${API_TOKEN:=${TOK}}"`, [[R, TOK]]],
  [`DB_PASSWORD="\${DB_PASSWORD=${PW}}"`, [[R, PW]]],
  [`MYSQL_PWD=\${MYSQL_PWD:-${PW}} mysqldump shop`, [[R, PW]]],
  // A quoted fallback inside the braces.
  [`      POSTGRES_PASSWORD: \${POSTGRES_PASSWORD:-'${PW}'}`, [[R, PW]]],
  [`DB_PASSWORD="\${DB_PASSWORD:-"${PW}"}"`, [[R, PW]]],
  // Spring placeholders.
  [`    password: \${DB_PASSWORD:${PW}}`, [[R, PW]]],
  [`  jwt-secret: \${JWT_SECRET:${TOK}}`, [[R, TOK]]],
  [`    password: \${spring.datasource.password:${PW}}`, [[R, PW]]],
  [`@Value("\${app.jwt-secret:${TOK}}") private String jwtSecret;`, [[R, TOK]]],
  // Environment lookups with a fallback, in code.
  [`DB_PASSWORD = os.getenv("DB_PASSWORD", "${PW}")`, [[R, PW]]],
  [`SECRET_KEY = os.environ.get('DJANGO_SECRET_KEY', '${TOK}')`, [[R, TOK]]],
  [`API_KEY = os.getenv('API_KEY', default='${TOK}')`, [[R, TOK]]],
  [`password = os.environ.get("DB_PASSWORD", default = "${PW}")`, [[R, PW]]],
  [`os.environ.setdefault("API_KEY", "${TOK}")`, [[R, TOK]]],
  [`api_token = os.environ.get('API_TOKEN') or '${TOK}'`, [[R, TOK]]],
  [`token := getEnv("GITLAB_TOKEN", "${TOK}")`, [[R, TOK]]],
  [`$pass = getenv('DB_PASS') ?: '${PW}';`, [[R, PW]]],
  [`password: ENV.fetch("DATABASE_PASSWORD", "${PW}")`, [[R, PW]]],
  [`'password' => env('DB_PASSWORD', '${PW}'),`, [[R, PW]]],
  [`String key = System.getenv().getOrDefault("API_KEY", "${TOK}");`, [[R, TOK]]],
  [`const password = process.env.DB_PASSWORD || "${PW}";`, [[R, PW]]],
  [`const apiKey = process.env.API_KEY ?? \`${TOK}\`;`, [[R, TOK]]],
  [`const pw = process.env["DB_PASSWORD"] || "${PW}";`, [[R, PW]]],
  // A provider's token as the fallback: its own rule reports it.
  [
    "const key = process.env.OPENAI_API_KEY || 'sk-proj-Fk3Qz9Lm2Xw7Rt5Yp8Nc4Vb6Hj1Sd0Qz3xP9MGk2Lm'",
    [["openai-api-key", "sk-proj-Fk3Qz9Lm2Xw7Rt5Yp8Nc4Vb6Hj1Sd0Qz3xP9MGk2Lm"]],
  ],
];

const NO_MATCH: string[] = [
  // The reference alone, or with an empty or placeholder fallback.
  "password: ${DB_PASSWORD}",
  "POSTGRES_PASSWORD: ${POSTGRES_PASSWORD:?set it}",
  "POSTGRES_PASSWORD: ${POSTGRES_PASSWORD:-}",
  "POSTGRES_PASSWORD: ${POSTGRES_PASSWORD:-changeme}",
  "POSTGRES_PASSWORD: ${POSTGRES_PASSWORD:-''}",
  "POSTGRES_PASSWORD: ${POSTGRES_PASSWORD:-'changeme'}",
  'DB_PASSWORD = os.getenv("DB_PASSWORD", default="")',
  'DB_PASSWORD = os.getenv("DB_PASSWORD", default=None)',
  "password: ${DB_PASSWORD:your_password_here}",
  'DB_PASSWORD = os.getenv("DB_PASSWORD", "")',
  'DB_PASSWORD = os.getenv("DB_PASSWORD")',
  'API_KEY = os.environ["API_KEY"]',
  'const password = process.env.DB_PASSWORD || "";',
  "const password = process.env.DB_PASSWORD || defaultPassword;",
  "'password' => env('DB_PASSWORD', 'secret'),",
  // A nested reference, a path or a URL as the fallback.
  `POSTGRES_PASSWORD: \${POSTGRES_PASSWORD:-\${DEFAULT_PW:-x}}`,
  "DB_PASSWORD_FILE: ${DB_PASSWORD_FILE:-/run/secrets/db_password}",
  "secret_dir: ${SECRET_STORE:-./secrets/local-dev-store}",
  "url: ${TOKEN_ENDPOINT:-https://auth.internal/oauth/token}",
  // Names that say where a secret lives, or are not secrets at all.
  `secret_name: \${SECRET_NAME:-${PW}}`,
  `token_ttl: \${TOKEN_TTL:-${PW}}`,
  `client: \${OAUTH_CLIENT_ID:-${PW}}`,
  `region: \${AWS_REGION:-${PW}}`,
  "cd ${PWD:-.}/build",
  `cd \${OLDPWD:-/home/${PW}}`,
  "max_tokens: ${MAX_TOKENS:-4096}",
  "url: ${spring.datasource.url:jdbc:postgresql://db.internal:5432/app}",
  `name: \${app.name:${PW}}`,
  `ttl: \${app.token-ttl:${PW}}`,
  // JavaScript template literals: not parameter expansion.
  "const header = `Bearer ${token}`;",
  "const left = `${tokens-1} tokens left, ${secretCount-offsetValueAbc} secrets`;",
  "const msg = `${password ? 'set' : 'unset'}`;",
];

describe("references with a literal fallback: exact rule and value per line (issue 15)", () => {
  lineTable(found, MATCH, NO_MATCH);
});

const rule = rules.content.find((c) => c.id === R)!;

describe("secret-reference-default on 1 MB floods (issue 8)", () => {
  for (const unit of [
    "${",
    "${DB_PASSWORD:-",
    `\${${"a".repeat(70)}password:-x} `,
    'getenv("DB_PASSWORD", "',
    "process.env.API_TOKEN || ",
    "`${token}` ",
  ]) {
    it(`${JSON.stringify(unit.slice(0, 30))} repeated finds nothing`, () => {
      const text = flood(unit);
      expect(scanner.candidates(text)).toContain(rule);
      expect(scanner.scan(text, { rules: [rule], honourInlineAllows: false })).toEqual([]);
    });
  }
  it("still finds a real fallback right after a flood", () => {
    const text = `${flood("${DB_PASSWORD:-")}\nPOSTGRES_PASSWORD: \${POSTGRES_PASSWORD:-${PW}}\n`;
    const hits = scanner.scan(text, { rules: [rule], honourInlineAllows: false });
    expect(hits.map((h) => [h.ruleId, h.secret, h.line])).toEqual([[R, PW, 2]]);
  });
});

// End to end: a checkout's Compose file, Spring config, Python settings and a shell script.
const V = {
  compose: "Hk4Lm9Qw2Zx7",
  spring: "Rb5Tn8Vc3Xq1Wm3K",
  python: "Gy6Jr2Nb8Tv4",
  node: "Qv8Zs3Lk6Hw1Nc7V",
  shell: "Pz4Wq8Ld1Ks6",
};
const t = tempTree({
  "work/docker-compose.yml": [
    "services:",
    "  db:",
    "    image: postgres:16",
    "    environment:",
    "      POSTGRES_USER: ${POSTGRES_USER:-app}",
    `      POSTGRES_PASSWORD: \${POSTGRES_PASSWORD:-${V.compose}}`,
    "",
  ].join("\n"),
  "work/src/main/resources/application.yml": [
    "spring:",
    "  datasource:",
    "    url: ${DB_URL:jdbc:postgresql://localhost:5432/app}",
    `    password: \${DB_PASSWORD:${V.spring}}`,
    "",
  ].join("\n"),
  "work/app/settings.py": [
    "import os",
    'DEBUG = os.getenv("DEBUG", "false") == "true"',
    `DB_PASSWORD = os.getenv("DB_PASSWORD", "${V.python}")`,
    "",
  ].join("\n"),
  "work/web/config.js": [`export const apiKey = process.env.API_KEY ?? "${V.node}";`, ""].join("\n"),
  "work/bin/run.sh": ["#!/bin/sh", `DB_PASSWORD="\${DB_PASSWORD:-${V.shell}}"`, 'exec app "$@"', ""].join(
    "\n",
  ),
  "home/.keep": "",
  "system/.keep": "",
});
afterAll(() => t.cleanup());
const home = join(t.dir, "home");
const root = join(t.dir, "work");

describe("reference fallbacks through the inventory (issue 15)", () => {
  it("reports each planted fallback at its file and line, with its rule and severity", async () => {
    const res = await inventory({ sources: ["tree"], home, root, systemRoot: join(t.dir, "system") });
    const got = findingRows(res.findings);
    expect(got).toEqual([
      `tree app/settings.py:3 ${R} medium`,
      `tree bin/run.sh:2 ${R} medium`,
      `tree docker-compose.yml:6 ${R} medium`,
      `tree src/main/resources/application.yml:4 ${R} medium`,
      `tree web/config.js:1 ${R} medium`,
    ]);
    expect(res.issues).toEqual([]);
  });

  noLeakInEveryFormat(sandboxArgs(home, root, join(t.dir, "system"), "tree"), V, 0);
});
