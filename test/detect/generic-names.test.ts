// biome-ignore-all lint/suspicious/noTemplateCurlyInString: CI and shell references are written as ${VAR}, which these strings hold as data
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ContentScanner } from "../../src/detect/content.js";
import { defaultRules } from "../../src/rules/catalog.js";
import { inventory } from "../helpers/inventory.js";
import { findingRows, noLeakInEveryFormat, sandboxArgs } from "../helpers/leaks.js";
import { floodTable, foundBy, lineTable, type Row } from "../helpers/rule-table.js";
import { tempTree } from "../helpers/tmp.js";

// Issue 15, round two of the credential names: the environment rule (generic-secret-name) read
// DB_PASS, SMTP_PASS, AUTH, CREDS, SIGNING_KEY, MASTER_KEY, ... but the content rules read only
// password/secret/token/api-key/access-key/private-key/credential names, so the same names in a
// YAML, INI, PHP or Compose file were missed. generic-pass-auth-assignment reads the short words
// `pass`, `auth` and `creds` as words of a name; generic-password-assignment reads the compound key
// names and `passphrase`. Each line is scanned with the whole catalog and deduplicated as a file's
// detections are; the exact [rule id, secret] list is asserted. All values are fake.
const rules = defaultRules();
const scanner = new ContentScanner(rules);
const found = foundBy(scanner);
const PW = "Xq7vLm2Rt5Wp";
const KEY = "Zq8Lm2Xw7Rt5Yp8Nc4Vb6Hj1";
const P = "generic-pass-auth-assignment";
const G = "generic-password-assignment";
const D = "php-define-secret";
// A WordPress key or salt: 64 printable characters from its generator's alphabet.
const WP = "k7#pV2!xQ9zL4mW8rT3nY6cB1hJ5dS0g|Zq8Lm2Xw7Rt5Yp8N<4cVb6Hj1-%>Sd0Qz3x";

const MATCH: Row[] = [
  // `pass` as a word of the name: every separator, every case, every assignment syntax.
  [`DB_PASS=${PW}`, [[P, PW]]],
  [`      - MYSQL_PASS=${PW}`, [[P, PW]]],
  [`smtp_pass: "${PW}"`, [[P, PW]]],
  [`$db_pass = '${PW}';`, [[P, PW]]],
  [`web1 ansible_host=10.0.0.5 ansible_ssh_pass=${PW}`, [[P, PW]]],
  [`ansible_become_pass: ${PW}`, [[P, PW]]],
  [`redis.pass = ${PW}`, [[P, PW]]],
  [`{"user": "deploy", "pass": "${PW}"}`, [[P, PW]]],
  [`pass: ${PW}`, [[P, PW]]],
  [`mail-pass := "${PW}"`, [[P, PW]]],
  [`:pass => "${PW}",`, [[P, PW]]],
  // `auth` and `creds`.
  [`"user_auth": "${KEY}"`, [[P, KEY]]],
  [`auth = ${KEY}`, [[P, KEY]]],
  [`PROXY_AUTH: ${KEY}`, [[P, KEY]]],
  [`creds = "${KEY}"`, [[P, KEY]]],
  [`service_creds: ${KEY}`, [[P, KEY]]],
  // Compound key names and passphrase (generic-password-assignment).
  [`SIGNING_KEY=${KEY}`, [[G, KEY]]],
  [`encryption_key: ${KEY}`, [[G, KEY]]],
  [`master-key = "${KEY}"`, [[G, KEY]]],
  [`"sessionKey": "${KEY}"`, [[G, KEY]]],
  [`license_key: ${KEY}`, [[G, KEY]]],
  [`JWT_KEY: ${KEY}`, [[G, KEY]]],
  [`hmacKey = "${KEY}"`, [[G, KEY]]],
  [`webhook_key=${KEY}`, [[G, KEY]]],
  [`client_key: ${KEY}`, [[G, KEY]]],
  [`APP_KEY=${KEY}`, [[G, KEY]]],
  [`ADMIN_KEY: "${KEY}"`, [[G, KEY]]],
  [`supabase_service_key = "${KEY}"`, [[G, KEY]]],
  [`ssh_passphrase = "${PW}"`, [[G, PW]]],
  [`keyPassphrase: ${PW}`, [[G, PW]]],
  // An index assignment (PHP arrays, Python and Ruby hashes).
  [`$config['db_password'] = '${PW}';`, [[G, PW]]],
  [`$cfg['db_pass'] = '${PW}';`, [[P, PW]]],
  [`settings["api_key"] = "${KEY}"`, [[G, KEY]]],
  [`ENV['SIGNING_KEY'] = '${KEY}'`, [[G, KEY]]],
  // PHP constants: WordPress's wp-config.php and the like (php-define-secret).
  [`define( 'DB_PASSWORD', '${PW}' );`, [[D, PW]]],
  [`define('DB_PASS', "${PW}");`, [[D, PW]]],
  [`define('SECURE_AUTH_KEY',  '${WP}');`, [[D, WP]]],
  [`define( 'LOGGED_IN_SALT', '${WP}' );`, [[D, WP]]],
  [`DEFINE('MAILGUN_TOKEN', '${KEY}');`, [[D, KEY]]],
  // A provider's token under one of these names: its own rule.
  [
    "auth: ghp_Zq8Lm2Xw7Rt5Yp8Nc4Vb6Hj1Sd0Qz3xP9MGk",
    [["github-pat-classic", "ghp_Zq8Lm2Xw7Rt5Yp8Nc4Vb6Hj1Sd0Qz3xP9MGk"]],
  ],
];

const NO_MATCH: string[] = [
  // Not a word of the name.
  `bypass: ${KEY}`,
  `compass = "${KEY}"`,
  `passport: ${KEY}`,
  `passive_mode: ${KEY}`,
  `oauth: ${KEY}`,
  `author: ${KEY}`,
  `Authorization: ${KEY}`,
  `dbPass = "${PW}"`,
  `authDomain: "myapp-7f3k9.firebaseapp.com"`,
  `cacheKey = "${KEY}"`,
  `monkey: ${KEY}`,
  `public_key: ${KEY}`,
  // Names that say what the value is about, not the secret.
  "auth_domain: myapp-7f3k9.firebaseapp.com",
  `auth_method: ${KEY}`,
  `auth_mode: ${KEY}`,
  `auth_user: ${KEY}`,
  `auth_header: ${KEY}`,
  `auth_scheme: ${KEY}`,
  `auth_endpoint: ${KEY}`,
  `auth_type: ${KEY}`,
  `pass_file: /run/secrets/db_pass`,
  `db_pass_path: ${KEY}`,
  `client_key_id: ${KEY}`,
  `client_key_file: ${KEY}`,
  `session_key_prefix: ${KEY}`,
  `signing_key_name: ${KEY}`,
  `--pass-arg=asyncify-imports@env.${KEY}`,
  // Code, references, placeholders, words.
  "pass: matchResult?.pass ?? false,",
  "pass: result.pass",
  'creds = os.environ["CREDS"]',
  "auth: ${{ secrets.REGISTRY_AUTH }}",
  'auth: "{{ vault_registry_auth }}"',
  "db_pass: changeme",
  "pass: true",
  "auth: none",
  "auth: basic",
  "auth: oauth2",
  "except KeyError: pass",
  "    pass  # nothing to do",
  // Not an assignment: openssl's pass: syntax (its own rule), colon-separated fields.
  `echo pass:${PW}`,
  `admin:pass:${KEY}`,
  // PHP constants that are not secrets, or not literals.
  "define( 'AUTH_KEY', 'put your unique phrase here' );",
  "define( 'DB_PASSWORD', 'password' );",
  "define( 'DB_PASSWORD', getenv('DB_PASSWORD') );",
  `define( 'DB_USER', '${PW}' );`,
  `define('AWS_KEY_ID', '${KEY}');`,
  `define('HOTKEY', '${KEY}');`,
  `$container->define('SECRET', '${KEY}');`,
  "define(['jquery', 'token'], function ($) { return 1; });",
  // A file path as a client key.
  "client_key: /etc/ssl/private/client-7f3k9q.key",
];

describe("credential names, round two: exact rule and value per line (issue 15)", () => {
  lineTable(found, MATCH, NO_MATCH);
});

describe("the short-word rule on 1 MB floods (issue 8)", () => {
  floodTable(
    scanner,
    rules,
    [
      [P, "pass\n"],
      [P, "bypass: x "],
      [P, "db_pass = "],
      [P, "auth:" + "a".repeat(30)],
      [P, `pass_${"a".repeat(30)}: `],
      [P, "creds " + "=".repeat(10)],
      [G, "session_key"],
      [G, `client_key${"_x".repeat(20)}: `],
      [G, "$config['db_password']"],
      [D, "define('DB_PASSWORD', "],
      [D, `define('${"A".repeat(38)}_KEY', '`],
      [D, "define( 'AUTH_KEY', 'put your unique phrase here' ); "],
    ],
    20,
  );
});

// End to end: an Ansible inventory, a PHP config, a Compose file, a Rails-style YAML, and a docker
// config.json in the tree (its raw `auth` is a generic match; the same file in the home is the
// docker parser's, once).
const V = {
  ansible: "Hk4Lm9Qw2Zx7",
  php: "Rb5Tn8Vc3Xq1Wm3K",
  compose: "Gy6Jr2Nb8Tv4",
  yaml: "Qv8Zs3Lk6Hw1Nc7VbT5",
  authTree: "Pz4Wq8Ld1Ks6",
  dockerPw: "Wd3Rk7Mv1Qs9",
  wpDb: "Lt6Bn2Xk9Pq4",
  wpSalt: "Nv3@Kq8!Ws5#Jr1|Hd7<8Mf2>Zc9%Xb4^Pl6&Gt0*Ry3(Qe8)Ua5-Io7+Sw1=Dk2Fh",
};
const dockerAuth = (pw: string) => Buffer.from(`deploy:${pw}`).toString("base64");
const dockerConfig = (pw: string) =>
  `{\n  "auths": {\n    "registry.example.com": {\n      "auth": "${dockerAuth(pw)}"\n    }\n  }\n}\n`;
const t = tempTree({
  "work/inventory/hosts.ini": [
    "[web]",
    "web1 ansible_host=10.0.0.5",
    "",
    "[web:vars]",
    "ansible_user=deploy",
    `ansible_ssh_pass=${V.ansible}`,
    "",
  ].join("\n"),
  "work/config/database.php": ["<?php", "$db_host = 'db.internal';", `$db_pass = '${V.php}';`, ""].join("\n"),
  "work/docker-compose.yml": [
    "services:",
    "  app:",
    "    environment:",
    "      - DB_HOST=db",
    `      - DB_PASS=${V.compose}`,
    "",
  ].join("\n"),
  "work/config/secrets.yml": ["production:", `  signing_key: ${V.yaml}`, ""].join("\n"),
  "work/wordpress/wp-config.php": [
    "<?php",
    "define( 'DB_NAME', 'wordpress' );",
    "define( 'DB_USER', 'wp' );",
    `define( 'DB_PASSWORD', '${V.wpDb}' );`,
    `define( 'AUTH_KEY',         '${V.wpSalt}' );`,
    "define( 'SECURE_AUTH_KEY',  'put your unique phrase here' );",
    "",
  ].join("\n"),
  "work/deploy/registry.json": `{"registry": "r.internal", "auth": "${V.authTree}"}\n`,
  "home/.docker/config.json": dockerConfig(V.dockerPw),
  "system/.keep": "",
});
afterAll(() => t.cleanup());
const home = join(t.dir, "home");
const root = join(t.dir, "work");

describe("credential names through the inventory (issue 15)", () => {
  it("reports each planted value at its file and line, with its rule and severity", async () => {
    const res = await inventory({ sources: ["tree"], home, root, systemRoot: join(t.dir, "system") });
    expect(findingRows(res.findings)).toEqual([
      `tree config/database.php:3 ${P} medium`,
      `tree config/secrets.yml:2 ${G} medium`,
      `tree deploy/registry.json:1 ${P} medium`,
      `tree docker-compose.yml:5 ${P} medium`,
      `tree inventory/hosts.ini:6 ${P} medium`,
      `tree wordpress/wp-config.php:4 ${D} medium`,
      `tree wordpress/wp-config.php:5 ${D} medium`,
    ]);
    expect(res.issues).toEqual([]);
  });

  it("a docker config.json's auth is the parser's finding only, not also a generic match of its base64", async () => {
    const res = await inventory({ sources: ["home"], home, root, systemRoot: join(t.dir, "system") });
    expect(
      res.findings.map((f) => `${f.location.path}:${f.location.line} ${f.ruleId} ${f.severity}`),
    ).toEqual([".docker/config.json:4 docker-config high"]);
  });

  noLeakInEveryFormat(sandboxArgs(home, root, join(t.dir, "system"), "tree,home"), {
    ...V,
    dockerAuth: dockerAuth(V.dockerPw),
  });
});
