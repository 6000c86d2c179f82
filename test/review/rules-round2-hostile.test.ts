// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the inputs hold shell and Spring references as data
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ContentScanner } from "../../src/detect/content.js";
import { reporterNames } from "../../src/render/index.js";
import { defaultRules } from "../../src/rules/catalog.js";
import { dedupe } from "../../src/sources/files.js";
import { cli } from "../helpers/cli.js";
import { inventory } from "../helpers/inventory.js";
import { tempTree } from "../helpers/tmp.js";

// Review of the round-two command-line rules, secret-reference-default and the 20 new home
// credential files (commits 82792c3..d418085), with hostile inputs. Passing tests are regression
// tests; `it.fails` marks a real bug found by the review (see /work/notes/review-rules-round2.md).
// All values are fake.
const scanner = new ContentScanner(defaultRules());
const found = (text: string) =>
  dedupe(scanner.scan(text, { honourInlineAllows: false })).map((d) => [d.ruleId, d.secret]);
const PW = "Xq7vLm2Rt5Wp";
const TOK = "s.Qm4vK8zR2pL9xY7wT3nB5cD";

scanner.scan(`warm --password ${PW}`);

describe("exponential backtracking on `\\\\\\r` runs (the old `\\\\\\r?\\n?` continuation alternative)", () => {
  // `(?:[^\n;|&\\]|&(?![&\s])|\\\r?\n?){0,N}?`: a backslash followed by a carriage return matched
  // either as one `\\\r` step or as `\\` then `\r` (the character class takes \r), so a run of k
  // pairs had 2^k decompositions, all tried when the match failed (~90 bytes took ~47 s in the CLI).
  // Every rule now spells it `\\(?:\r?\n)?`. 40 pairs: a regression would not end within the test's
  // timeout (2^40 steps); fixed, each is a few microseconds. No timing is asserted.
  const pairs = (k: number) => "\\\r".repeat(k);
  const cases: string[] = [
    `keytol ${pairs(40)} -storepass -x`,
    `opensl ${pairs(40)} -passin pass:$X`,
    `create secret generi ${pairs(40)} --from-literal=a=${PW}`,
    `gh secret set ${pairs(40)}x`,
    `aws ssm put-parameter ${pairs(40)} --value x`,
    `az keyvault secret set ${pairs(40)}x`,
    `curl ${pairs(40)}x`,
    `mysql ${pairs(40)}x`,
    `mongosh ${pairs(40)}x`,
    `redis-cli ${pairs(40)}x`,
    `docker login ${pairs(40)}x`,
    `smbclient ${pairs(40)}x`,
    `wget ${pairs(40)}x`,
    `az login ${pairs(40)}x`,
    `zip ${pairs(40)}x`,
    `lftp ${pairs(40)}x`,
    `ldapsearch ${pairs(40)}x`,
    `sqlcmd ${pairs(40)}x`,
    `xfreerdp ${pairs(40)}x`,
  ];
  for (const text of cases) {
    it(`${JSON.stringify(text.slice(0, 24))}: nothing, in linear time`, () => {
      expect(found(text)).toEqual([]);
    });
  }
});

describe("4 MB floods of near misses", () => {
  const floods: Record<string, string> = {
    "-password ": "-password ",
    "--a-b-password-c-d ": "--a-b-password-c-d ",
    "${": "${",
    "${<60 chars>_password:-": `\${${"a".repeat(60)}_password:-`,
    "pass:": "pass:",
    "keytool -storepass -keypass": "keytool -storepass -keypass -",
    "gh secret set": "gh secret set ",
    "put-parameter": "put-parameter ",
    "npm set a:_authToken": "a:_authToken",
    "lftp -u": "lftp -u ",
    zip: "zip ",
    'getenv("': 'getenv("',
  };
  for (const [name, unit] of Object.entries(floods)) {
    it(`${name}: 4 MB of it finds nothing (bounded work per keyword; no timing asserted)`, () => {
      const four = unit.repeat(Math.ceil((4 << 20) / unit.length)).slice(0, 4 << 20);
      expect(found(four)).toEqual([]);
    });
  }
});

describe("false positives on benign text", () => {
  const benign: [string, string][] = [
    ["prose: vault login with", "You can use vault login with a token or any auth method."],
    ["prose: vault login again", "Run `vault login` first, then vault login again after expiry."],
    ["prose: gh secret set ... --body flag", "To store it, run gh secret set with the --body flag"],
    ["prose: the sqlplus docs/manual", "See the sqlplus docs/manual for connect strings"],
    ["vault login -address URL (space form)", "vault login -address https://vault.internal:8200"],
    ["vault login -method oidc (space form)", "vault login -method oidc role=dev"],
  ];
  for (const [name, line] of benign) {
    it(`${name}: nothing`, () => {
      expect(found(line)).toEqual([]);
    });
  }
  const clean: string[] = [
    '  --password string     Password for the registry (default "")',
    "  -token value\n    \tBearer token (overrides -token-file)",
    "      --client-secret string   OAuth2 client secret",
    'parser.add_argument("--password", help="database password")',
    "@click.option('--password', prompt=True, hide_input=True)",
    'cmd.Flags().StringVar(&opts.password, "password", "", "registry password")',
    ".option('--token <token>', 'GitHub token')",
    "run: helm repo add x https://c --username ${{ secrets.USER }} --password ${{ secrets.HELM_PASSWORD }}",
    'mytool --password "${PASSWORD}" --token "${TOKEN:?}"',
    "kubectl --token $(cat /var/run/secrets/token) get pods",
    ".btn-password .input-token { color: red }",
    '<input type="password" class="form-password input-secret" id="user-password">',
    "const url = `${base}/reset-password ${token}`;",
    "const msg = `--password ${password}`;",
    "   --password {{ .Values.auth.password | quote }}",
    "spring.datasource.password=${DB_PASSWORD:}",
    "${SPRING_DATASOURCE_PASSWORD:-${DB_PASSWORD}}",
    'const token = process.env.GITHUB_TOKEN || "";',
    'api_key = os.getenv("OPENAI_API_KEY", "sk-...")',
    'password = os.getenv("DB_PASSWORD", "postgres")',
    'git config --global http.extraheader "AUTHORIZATION: basic $(echo -n x-access-token:$TOKEN | base64)"',
    'git -c http.extraheader="Authorization: Bearer ${{ secrets.GITHUB_TOKEN }}" fetch',
    "font-family: sans; --secret-color: #fff; --token-size 12px",
    "go test ./... -run TestPassword -token-ttl 10m",
    "keytool -genkey -alias x -keystore k.jks -storepass password -keypass password",
    "The option -storepass is required by keytool unless you use -storepass:env",
    "az keyvault secret set --name x --vault-name y --value $(cat f)",
    "Use openssl -passin pass:yourpassword to test",
  ];
  for (const line of clean) {
    it(`nothing: ${JSON.stringify(line).slice(0, 70)}`, () => {
      expect(found(line)).toEqual([]);
    });
  }
});

describe("evasions of what the rules say they read", () => {
  const missed: [string, string, [string, string][]][] = [
    [
      "Windows upper case KEYTOOL.EXE",
      `KEYTOOL.EXE -list -keystore ks.jks -storepass ${PW}`,
      [["cmdline-keytool-password", PW]],
    ],
    [
      "Windows upper case OPENSSL.EXE",
      `OPENSSL.EXE pkcs12 -export -passout pass:${PW}`,
      [["cmdline-openssl-pass", PW]],
    ],
    ["two spaces: gh secret  set", `gh secret  set X --body ${PW}`, [["cmdline-gh-secret-set", PW]]],
    ["tab: gh secret<TAB>set", `gh secret\tset X --body ${PW}`, [["cmdline-gh-secret-set", PW]]],
    ["two spaces: vault  login", `vault  login ${TOK}`, [["cmdline-vault-login", TOK]]],
    ["vault login --no-print (double dash)", `vault login --no-print ${TOK}`, [["cmdline-vault-login", TOK]]],
    [
      "vault login -namespace admin (space form)",
      `vault login -namespace admin ${TOK}`,
      [["cmdline-vault-login", TOK]],
    ],
    [
      "openssl pass:'...' (quote after pass:)",
      `openssl pkcs12 -export -passout pass:'${PW}'`,
      [["cmdline-openssl-pass", PW]],
    ],
    ['openssl pass:"..."', `openssl pkcs12 -export -passout pass:"${PW}"`, [["cmdline-openssl-pass", PW]]],
    [
      "aws --profile before configure",
      `aws --profile prod configure set aws_secret_access_key ${PW}`,
      [["cmdline-aws-secret-value", PW]],
    ],
    [
      "npm config set --userconfig",
      `npm config set --userconfig ./.npmrc //r.internal/:_authToken ${PW}K9dF3sA8`,
      [["cmdline-npm-config-token", `${PW}K9dF3sA8`]],
    ],
    [
      "Spring dotted property",
      `password: \${spring.datasource.password:${PW}}`,
      [["secret-reference-default", PW]],
    ],
    ["Spring @Value", `@Value("\${app.secret:${PW}}")`, [["secret-reference-default", PW]]],
    ["shell-quoted fallback", `password: \${DB_PASSWORD:-'${PW}'}`, [["secret-reference-default", PW]]],
    [
      "getenv default= keyword",
      `x = os.getenv('API_KEY', default='${PW}')`,
      [["secret-reference-default", PW]],
    ],
    ['process.env["X"] ||', `x = process.env["API_KEY"] || "${PW}"`, [["secret-reference-default", PW]]],
    ["generic flag upper case (PowerShell style)", `Tool.exe -Password ${PW}`, [["cmdline-secret-flag", PW]]],
  ];
  // Fixed after the review: these are regression tests now.
  const fixedNames = new Set([
    "Windows upper case KEYTOOL.EXE",
    "Windows upper case OPENSSL.EXE",
    "aws --profile before configure",
    "vault login --no-print (double dash)",
    "vault login -namespace admin (space form)",
    "openssl pass:'...' (quote after pass:)",
    'openssl pass:"..."',
    "Spring dotted property",
    "Spring @Value",
    'process.env["X"] ||',
    "shell-quoted fallback",
    "getenv default= keyword",
    "generic flag upper case (PowerShell style)",
  ]);
  for (const [name, line, want] of missed) {
    // Still missed (README, known limits): upper-case tool names, two spaces or a tab inside a
    // two-word keyword, options after `config set`.
    const test = fixedNames.has(name) ? it : it.fails;
    test(`${name}: reported`, () => {
      expect(found(line)).toEqual(want);
    });
  }
  const caught: [string, [string, string][]][] = [
    [`keytool.exe -list -keystore ks.jks -storepass ${PW}`, [["cmdline-keytool-password", PW]]],
    [
      `"C:\\Program Files\\Java\\bin\\keytool.exe" -list -storepass ${PW}`,
      [["cmdline-keytool-password", PW]],
    ],
    [`keytool -list -keystore ks.jks -storepass\t${PW}`, [["cmdline-keytool-password", PW]]],
    [`keytool -list -keystore ks.jks \\\r\n  -storepass ${PW}`, [["cmdline-keytool-password", PW]]],
    [`gh.exe secret set X --body ${PW}`, [["cmdline-gh-secret-set", PW]]],
    [`gh secret set X \\\n  --body ${PW}`, [["cmdline-gh-secret-set", PW]]],
    [`tool --password\t${PW}`, [["cmdline-secret-flag", PW]]],
    [`tool --xyz-password ${PW}`, [["cmdline-secret-flag", PW]]],
    [`openssl pkcs12 -export -passout=pass:${PW}`, [["cmdline-openssl-pass", PW]]],
    [
      `aws ssm put-parameter --name /db --type SecureString --value ${PW}`,
      [["cmdline-aws-secret-value", PW]],
    ],
    [
      `az.cmd keyvault secret set --vault-name kv --name db --value\t${PW}`,
      [["cmdline-azure-keyvault-secret", PW]],
    ],
    [`vault login\t${TOK}`, [["cmdline-vault-login", TOK]]],
    [
      `git -c http.extraheader='Authorization:  Bearer Zq8Lm2Xw7Rt5Yp8Nc4Vb6Hj1' fetch`,
      [["git-extraheader-auth", "Zq8Lm2Xw7Rt5Yp8Nc4Vb6Hj1"]],
    ],
    [`password: \${MYSQL_ROOT_PWD:-${PW}}`, [["secret-reference-default", PW]]],
    [`x = os.getenv(\n    "API_KEY",\n    "${PW}",\n)`, [["secret-reference-default", PW]]],
  ];
  for (const [line, want] of caught) {
    it(`reported: ${JSON.stringify(line).slice(0, 70)}`, () => {
      expect(found(line)).toEqual(want);
    });
  }
});

// Home files: the documented formats of llm's keys.json and aider's api-key list.
const S = {
  llm: "Lq4Wz9Rk2Mv7Tx3BPn8Hc5Yd1Gs6Jf0K",
  aiderGemini: "Vb7Nm3Qa9Ze2Wr5THt6Ud2Ko8Lp4Xy1C",
  aiderDeepseek: "Fr3Gh7Jk1Lm9Np5QQw2Er4Ty6Ui8Op0A",
  dbt: "Pn8Hc5Yd1Gs6Jf0K",
  stripe: "Qw2Er4Ty6Ui8Op0A",
  helm: "Zx9Cv7Bn5Mm3Kk1L",
  kt: "Ht6Ud2Ko8Lp4Xy1C",
  ossl: "Mv7Tx3BPn8Hc5Yd1",
  gh: "Wz9Rk2Mv7Tx3BPn8",
  ref: "Yd1Gs6Jf0KLq4Wz9",
};
const t = tempTree({
  "home/.config/io.datasette.llm/keys.json": `{\n  "// Note": "This file stores secret API credentials. Do not share!",\n  "mistral": "${S.llm}"\n}\n`,
  "home/.aider.conf.yml": `model: sonnet\napi-key:\n  - gemini=${S.aiderGemini}\n  - deepseek=${S.aiderDeepseek}\n`,
  // Broken files: the parse error must not quote the line that holds the secret.
  "home/.dbt/profiles.yml": `outputs:\n  dev:\n    password: ${S.dbt}\n    token: [${S.dbt}\n  bad: {x: [}\n`,
  "home/.config/stripe/config.toml": `[profile]\nlive_mode_api_key = "${S.stripe}\nbroken = [\n`,
  "home/.config/helm/repositories.yaml": `repositories:\n- name: x\n  password: "${S.helm}\n  url: [\n`,
  "sys/.keep": "",
  "root/run.sh": [
    `keytool -list -storepass ${S.kt}`,
    `openssl pkcs12 -passout pass:${S.ossl}`,
    `gh secret set X --body ${S.gh}`,
    `password: \${DB_PASSWORD:-${S.ref}}`,
    "",
  ].join("\n"),
});
afterAll(() => t.cleanup());

describe("home credential files in their documented formats", () => {
  it("llm keys.json: a key under a provider name with no rule of its own is reported (the file, by presence)", async () => {
    const res = await inventory({ sources: ["home"], home: join(t.dir, "home"), root: join(t.dir, "none") });
    expect(res.findings.map((f) => `${f.location.path} ${f.ruleId}`)).toContain(
      ".config/io.datasette.llm/keys.json llm-cli-keys",
    );
  });
  it.fails("aider: both keys of the documented `api-key: [provider=KEY]` list are reported", async () => {
    const res = await inventory({ sources: ["home"], home: join(t.dir, "home"), root: join(t.dir, "none") });
    const aider = res.findings.filter((f) => f.location.path === ".aider.conf.yml");
    expect(aider.map((f) => f.location.line).sort()).toEqual([3, 4]);
  });
});

describe("no leak: new rules and broken home files, every format", () => {
  for (const format of reporterNames()) {
    it(`--format ${format}: no value, nor 8 characters of one past its preview`, async () => {
      const r = await cli([
        "scan",
        ...[
          "--home",
          join(t.dir, "home"),
          "--root",
          join(t.dir, "root"),
          "--system-root",
          join(t.dir, "sys"),
        ],
        ...["--no-env", "--sources", "home,tree", "--no-progress", "--format", format],
      ]);
      expect(r.code).toBe(1);
      expect(r.stdout.length).toBeGreaterThan(100);
      const leaked = Object.entries(S)
        .filter(([, v]) => {
          for (let i = 4; i + 8 <= v.length; i++) {
            const w = v.slice(i, i + 8);
            if (r.stdout.includes(w) || r.stderr.includes(w)) return true;
          }
          return false;
        })
        .map(([k]) => k);
      expect(leaked).toEqual([]);
    });
  }
});
