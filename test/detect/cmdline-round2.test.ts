import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ContentScanner } from "../../src/detect/content.js";
import { defaultRules } from "../../src/rules/catalog.js";
import { inventory } from "../helpers/inventory.js";
import { findingRows, noLeakInEveryFormat, sandboxArgs } from "../helpers/leaks.js";
import { flood, floodTable, foundBy, lineTable, type Row, ruleOf } from "../helpers/rule-table.js";
import { tempTree } from "../helpers/tmp.js";

// Issue 15, credentials on command lines, second round (the class, not only the listed tools): a
// secret-named option given a value with a space (--password X, --token X, --client-secret X), git's
// http.extraheader, package manager and cloud CLIs that store a secret given on their command line
// (npm/yarn config set, kubectl create secret, gh secret set, aws, az), openssl pass:, keytool and
// vault login. Each line is scanned with the whole catalog and deduplicated as a file's detections
// are; the exact [rule id, secret] list is asserted. All values are fake.
const rules = defaultRules();
const scanner = new ContentScanner(rules);
const PW = "Xq7vLm2Rt5Wp";
const PW2 = "Tz8#kLm2Qw9v";
const TOK = "Zq8Lm2Xw7Rt5Yp8Nc4Vb6Hj1";
const B64 = "eC1hY2Nlc3MtdG9rZW46WnE4TG0yWHc3UnQ1WXA4TmM0VmI2SGox";
const found = foundBy(scanner);

const MATCH: Row[] = [
  // A secret-named option and its value after a space (generic: the value must look generated).
  [
    `helm repo add internal https://charts.internal --username ci --password ${PW}`,
    [["cmdline-secret-flag", PW]],
  ],
  [`argocd login cd.internal --username admin --password '${PW2}'`, [["cmdline-secret-flag", PW2]]],
  // Any case (PowerShell), up to three prefix words, joined compounds (issue 15 review).
  [`Connect-Thing -Server x -Password ${PW}`, [["cmdline-secret-flag", PW]]],
  [`New-AzADSpCredential -ClientSecret ${TOK}`, [["cmdline-secret-flag", TOK]]],
  [`Set-Config -AccessToken ${TOK}`, [["cmdline-secret-flag", TOK]]],
  [`deploy --sql-admin-password ${PW}`, [["cmdline-secret-flag", PW]]],
  [`deploy --db-admin-password ${PW}`, [["cmdline-secret-flag", PW]]],
  [`glab auth login --hostname gitlab.internal --token ${TOK}`, [["cmdline-secret-flag", TOK]]],
  [`./migrate --db-password ${PW} --db-user app`, [["cmdline-secret-flag", PW]]],
  [`provider-cli -api-key ${TOK} -region eu-west-1`, [["cmdline-secret-flag", TOK]]],
  [`sso-cli --client-id 7f3c2a10 --client-secret "${PW}"`, [["cmdline-secret-flag", PW]]],
  [`oauth-tool --refresh-token ${TOK}`, [["cmdline-secret-flag", TOK]]],
  // A tool's own rule outranks it on the same value.
  [`docker login --username deploy --password ${PW} ghcr.io`, [["cmdline-registry-login", PW]]],
  // git's http.extraheader: .git/config (actions/checkout) and command lines.
  [
    `[http "https://github.com/"]\n\textraheader = AUTHORIZATION: basic ${B64}`,
    [["git-extraheader-auth", B64]],
  ],
  [
    `git -c http.extraheader="Authorization: Bearer ${TOK}" clone https://git.internal/team/app.git`,
    [["git-extraheader-auth", TOK]],
  ],
  [
    `git config --global http.https://git.internal/.extraHeader "AUTHORIZATION: basic ${B64}"`,
    [["git-extraheader-auth", B64]],
  ],
  // Package manager config commands.
  [`npm config set //registry.internal/:_authToken ${TOK}`, [["cmdline-npm-config-token", TOK]]],
  [`npm config set "//npm.pkg.github.com/:_authToken=${TOK}"`, [["cmdline-npm-config-token", TOK]]],
  [
    `pnpm config set --location=project //registry.internal/:_authToken ${TOK}`,
    [["cmdline-npm-config-token", TOK]],
  ],
  [`yarn config set npmScopes.acme.npmAuthToken ${TOK}`, [["cmdline-npm-config-token", TOK]]],
  // Secrets stored from a command line: every literal of a kubectl Secret, not its user name.
  [
    `kubectl -n prod create secret generic db --from-literal=username=app2 --from-literal=password=${PW} --from-literal=api-key=${TOK}`,
    [
      ["cmdline-kubectl-secret-literal", PW],
      ["cmdline-kubectl-secret-literal", TOK],
    ],
  ],
  [
    `oc create secret docker-registry regcred --docker-server=registry.internal --docker-username=ci --docker-password='${PW2}'`,
    [["cmdline-kubectl-secret-literal", PW2]],
  ],
  [`gh secret set DEPLOY_TOKEN --repo acme/app --body ${TOK}`, [["cmdline-gh-secret-set", TOK]]],
  [`gh secret set NPM_TOKEN -b'${PW2}' --org acme`, [["cmdline-gh-secret-set", PW2]]],
  [
    `aws secretsmanager create-secret --name prod/db --secret-string ${PW}`,
    [["cmdline-aws-secret-value", PW]],
  ],
  [
    `aws ssm put-parameter --name /app/db --type SecureString --value '${PW2}' --overwrite`,
    [["cmdline-aws-secret-value", PW2]],
  ],
  // --value before --type SecureString, the order of AWS's own examples (its own rule).
  [
    `aws ssm put-parameter --name /app/db --value ${PW} --type SecureString`,
    [["cmdline-aws-ssm-securestring", PW]],
  ],
  [
    `aws ssm put-parameter --name "/app/db" --value "${PW2}" --overwrite --type=SecureString`,
    [["cmdline-aws-ssm-securestring", PW2]],
  ],
  [
    `aws ssm put-parameter \\\n  --name /app/db \\\n  --value '${PW}' \\\n  --type "SecureString"`,
    [["cmdline-aws-ssm-securestring", PW]],
  ],
  [
    "aws configure set aws_secret_access_key wJalrXUtnFEMI/K7MDENG/bPxRfiCYzQ8kR2mLpX --profile ci",
    [["cmdline-aws-secret-value", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzQ8kR2mLpX"]],
  ],
  [
    `az keyvault secret set --vault-name kv-prod --name db-password --value ${PW}`,
    [["cmdline-azure-keyvault-secret", PW]],
  ],
  // openssl pass: and keytool: every pass phrase of one command.
  [
    `openssl pkcs12 -export -in c.pem -inkey k.pem -passin pass:${PW} -out c.p12 -passout 'pass:${PW2}'`,
    [
      ["cmdline-openssl-pass", PW],
      ["cmdline-openssl-pass", PW2],
    ],
  ],
  [
    `keytool -importkeystore -srckeystore a.p12 -srcstoretype PKCS12 -srcstorepass ${PW} -destkeystore b.jks -deststorepass ${PW2}`,
    [
      ["cmdline-keytool-password", PW],
      ["cmdline-keytool-password", PW2],
    ],
  ],
  [
    `jarsigner -keystore release.jks -storepass ${PW} -keypass ${PW2} app.jar release`,
    [
      ["cmdline-keytool-password", PW],
      ["cmdline-keytool-password", PW2],
    ],
  ],
  // keytool's and openssl's flags are read wherever they stand (no look-back for the tool's name:
  // recheck could not judge such a regex linear).
  [`java -jar tool.jar -storepass ${PW}`, [["cmdline-keytool-password", PW]]],
  [`openssl version; tool -passin pass:${PW}`, [["cmdline-openssl-pass", PW]]],
  // vault login's token argument.
  ["vault login s.Qm4vK8zR2pL9xY7wT3nB5cD", [["cmdline-vault-login", "s.Qm4vK8zR2pL9xY7wT3nB5cD"]]],
  [`vault login -no-print token=${PW}`, [["cmdline-vault-login", PW]]],
];

const NO_MATCH: string[] = [
  // Options whose value names where the secret lives, switches, prompts, standard input.
  "tool --password-file /run/secrets/db --user app",
  `tool --token-path /var/run/secrets/token ${PW}`,
  `tool --secret-name prod/db --region eu-west-1`,
  `tool --no-password ${PW}`,
  `tool --show-token ${PW}`,
  "gh auth login --with-token < token.txt",
  "docker login --password-stdin registry.example.com",
  `tool --ask-password ${PW}`,
  `tool --hashed-password ${PW}`,
  "tool --token ./secrets/token.txt",
  "tool --api-key ~/.config/tool/key.json",
  "tool --password changeme",
  "tool --token TOKEN",
  "tool --password <password>",
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell command, not a template
  "tool --client-secret ${CLIENT_SECRET}",
  'kubectl --token "$K8S_TOKEN" get pods',
  // Not options: kebab-case words and prose.
  `forgot-password ${PW}`,
  `reset-password ${PW}`,
  "  --password PASSWORD   The password to use",
  "use the -token flag to pass it",
  // extraheader with a reference, a masked value or another header.
  'git -c http.extraheader="Authorization: Bearer $GITHUB_TOKEN" fetch',
  'git -c http.extraheader="AUTHORIZATION: basic ***" fetch',
  `git -c http.extraheader="X-Request-Id: ${TOK}" fetch`,
  // npm: a reference, a read, the .npmrc line itself (the npmrc parser's).
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell command, not a template
  "npm config set //registry.npmjs.org/:_authToken=${NPM_TOKEN}",
  "npm config get //registry.internal/:_authToken",
  // kubectl: a configmap, files, references, a user name or host alone.
  `kubectl create configmap app --from-literal=log_level=${PW}`,
  "kubectl create secret generic tls --from-file=ca.crt=./ca.crt",
  'kubectl create secret generic db --from-literal=password="$DB_PASSWORD"',
  "kubectl create secret generic db --from-literal=username=app2 --from-literal=host=db.internal",
  // gh, aws, az: stdin, files, String parameters, reads.
  "gh secret set DEPLOY_TOKEN < token.txt",
  'gh secret set DEPLOY_TOKEN --body "$DEPLOY_TOKEN"',
  "aws secretsmanager create-secret --name prod/db --secret-string file://creds.json",
  `aws ssm put-parameter --name /app/region --type String --value ${PW}`,
  `aws ssm put-parameter --name /app/region --value ${PW} --type String`,
  `aws ssm put-parameter --name /app/db --value file://pw.txt --type SecureString`,
  'aws ssm put-parameter --name /app/db --value "$DB_PASSWORD" --type SecureString',
  `aws ssm put-parameter --name /a --value ${PW}; echo --type SecureString`,
  `aws ssm put-parameter --name /a --value ${PW} --type SecureStringList`,
  `aws ssm put-parameter --name /a --value ${PW} && aws ssm put-parameter --name /b --type SecureString --value file://b`,
  "aws configure set region eu-west-1",
  "aws configure get aws_secret_access_key",
  "az keyvault secret set --vault-name kv --name db --file ./db.txt",
  "az keyvault secret show --vault-name kv --name db",
  // openssl and keytool: other pass phrase sources, defaults, another tool.
  "openssl rsa -in enc.key -passin env:KEY_PASS -out plain.key",
  "openssl pkcs12 -export -in c.pem -out c.p12 -passout file:/run/secrets/p12pass",
  `echo pass:${PW}`,
  "keytool -list -keystore ks.jks -storepass:env KS_PASS",
  "keytool -list -keystore ks.jks -storepass changeit",
  // vault login: prompt, stdin, another method's pairs, a reference.
  "vault login",
  "vault login -",
  "vault login -method=userpass username=admin2",
  'vault login "$VAULT_TOKEN"',
];

describe("command-line credentials, round two: exact rule and value per line (issue 15)", () => {
  lineTable(found, MATCH, NO_MATCH);
});

// Issue 8's floods: 1 MB of a near miss of each rule finds nothing (each keyword start reads a
// bounded window), and a real line right after the flood is still found.
const FLOODS: [string, string][] = [
  ["cmdline-secret-flag", " --password -"],
  ["cmdline-secret-flag", " --a-b-c-token "],
  ["git-extraheader-auth", "extraheader = authorization: basic $x "],
  ["cmdline-npm-config-token", "npm config set //a/:_authToken "],
  ["cmdline-kubectl-secret-literal", "create secret generic --from-literal=a=$x "],
  ["cmdline-gh-secret-set", "gh secret set -b "],
  ["cmdline-aws-secret-value", "put-parameter "],
  ["cmdline-aws-ssm-securestring", "put-parameter "],
  ["cmdline-aws-ssm-securestring", "put-parameter --value x1y2z3w4 "],
  ["cmdline-aws-ssm-securestring", "put-parameter \\\n --value x1y2z3w4 --type String \\\n"],
  ["cmdline-aws-secret-value", "--secret-string file://a "],
  ["cmdline-azure-keyvault-secret", "keyvault secret set "],
  ["cmdline-openssl-pass", "openssl -passin pass:$x "],
  ["cmdline-keytool-password", "keytool -storepass -x "],
  ["cmdline-vault-login", "vault login -a $x "],
];

describe("round-two command-line rules on 1 MB floods (issue 8, issue 15)", () => {
  floodTable(scanner, rules, FLOODS, 30);
  it("still finds a real command line right after a flood", () => {
    const text = `${flood("keytool -storepass -x ")}\nkeytool -list -storepass ${PW}\n`;
    const hits = scanner.scan(text, {
      rules: [ruleOf(rules, "cmdline-keytool-password")],
      honourInlineAllows: false,
    });
    expect(hits.map((h) => [h.ruleId, h.secret, h.line])).toEqual([["cmdline-keytool-password", PW, 2]]);
  });
});

// End to end: a fake home's shell history, a checkout's .git/config and CI script, through the real
// inventory and every reporter.
const V = {
  helm: "Hk4Lm9Qw2Zx7",
  npm: "Rb5Tn8Vc3Xq1Wm3Ks7Pd9Lf2",
  kubectl: "Gy6Jr2Nb8Tv4",
  openssl: "Qv8Zs3Lk6Hw1",
  extraheader: "Nc7Vb2Xk9Qm4Pz4Wq8Ld1Ks6Fs9Tk3Mv7Rc2",
  gh: "Jd2Hx8Qn5Ws3Lk5Rz9Tb3Yp7",
  aws: "Cq6Wv1Ns8Jm4",
  keytool: "Vt3Gp7Kx2Nd9",
  vault: "hvs.Bh8Mq4Zr6Wk1Vt3Gp7Kx2Nd9Cq6Wv1Ns8",
};
const t = tempTree({
  "home/.bash_history": [
    "cd ~/src/app",
    `helm repo add internal https://charts.internal --username ci --password ${V.helm}`,
    "helm repo update",
    `npm config set //registry.internal/:_authToken ${V.npm}`,
    `kubectl create secret generic db --from-literal=username=app2 --from-literal=password=${V.kubectl}`,
    `openssl pkcs12 -export -in c.pem -inkey k.pem -out c.p12 -passout pass:${V.openssl}`,
    "gh auth login --with-token < ~/token.txt",
    `vault login ${V.vault}`,
    "",
  ].join("\n"),
  "work/.git/config": [
    "[core]",
    "\trepositoryformatversion = 0",
    '[remote "origin"]',
    "\turl = https://github.com/acme/app",
    '[http "https://github.com/"]',
    `\textraheader = AUTHORIZATION: basic ${V.extraheader}`,
    "",
  ].join("\n"),
  "work/ci/release.sh": [
    "#!/bin/sh",
    "set -eu",
    `gh secret set DEPLOY_TOKEN --repo acme/app --body ${V.gh}`,
    'gh secret set NPM_TOKEN --body "$NPM_TOKEN"',
    `aws secretsmanager put-secret-value --secret-id prod/db --secret-string ${V.aws}`,
    `keytool -importcert -alias ca -file ca.crt -keystore ts.jks -storepass ${V.keytool} -noprompt`,
    "",
  ].join("\n"),
  "system/.keep": "",
});
afterAll(() => t.cleanup());
const home = join(t.dir, "home");
const root = join(t.dir, "work");

describe("round-two command-line credentials through the inventory (issue 15)", () => {
  it("reports each planted value at its file and line, with its rule and severity", async () => {
    const res = await inventory({ sources: ["home", "tree"], home, root, systemRoot: join(t.dir, "system") });
    const got = findingRows(res.findings);
    expect(got).toEqual([
      "home .bash_history:2 cmdline-secret-flag medium",
      "home .bash_history:4 cmdline-npm-config-token high",
      "home .bash_history:5 cmdline-kubectl-secret-literal high",
      "home .bash_history:6 cmdline-openssl-pass high",
      "home .bash_history:8 vault-token critical",
      "tree .git/config:6 git-extraheader-auth high",
      "tree ci/release.sh:3 cmdline-gh-secret-set high",
      "tree ci/release.sh:5 cmdline-aws-secret-value high",
      "tree ci/release.sh:6 cmdline-keytool-password high",
    ]);
    expect(res.issues).toEqual([]);
  });

  noLeakInEveryFormat(sandboxArgs(home, root, join(t.dir, "system"), "home,tree"), V, 1);
});
