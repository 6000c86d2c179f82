import { afterEach, describe, expect, it } from "vitest";
import { ContentScanner } from "../../src/detect/content.js";
import { PARSERS } from "../../src/detect/parsers/index.js";
import { looksRandom } from "../../src/detect/randomness.js";
import { defaultRules } from "../../src/rules/catalog.js";
import { inventory } from "../helpers/inventory.js";
import { tempTree } from "../helpers/tmp.js";

// Issue 15, references are not secrets: keys that name where a secret lives (existingSecret,
// secretKeyRef, *PasswordKey, passwordFile, *_secret_arn, *_secret_name, Vault paths, valueFrom)
// hold a name, a path or an ARN, not the secret. The names below are random-looking on purpose
// (looksRandom accepts them: the randomness gate alone would report them), in the shapes Helm
// values, Kubernetes manifests, Terraform, Compose and ECS task definitions use. Next to them, real
// passwords must still be reported. Every value is fake.

const scanner = new ContentScanner(defaultRules());

/** [where the shape comes from, the line, the value the line assigns]. */
const REFERENCES: [string, string, string][] = [
  ["helm: bitnami auth.existingSecret", "existingSecret: pg-auth-7f3kq9x2", "pg-auth-7f3kq9x2"],
  ["helm: snake-case existing secret", 'existing_secret = "pg-auth-7f3kq9x2"', "pg-auth-7f3kq9x2"],
  ["helm: existingSecretKey", "existingSecretKey: minio-creds-2k9x7q4m", "minio-creds-2k9x7q4m"],
  ["helm: existingPasswordSecret", "existingPasswordSecret: pg-pw-3k9q7x2m", "pg-pw-3k9q7x2m"],
  [
    "helm: redis existingSecretPasswordKey",
    "existingSecretPasswordKey: redis-pw-8x3k2q9m",
    "redis-pw-8x3k2q9m",
  ],
  [
    "helm: postgresql secretKeys.adminPasswordKey",
    "adminPasswordKey: admin-pw-9fk2xq7m",
    "admin-pw-9fk2xq7m",
  ],
  ["helm: postgresql secretKeys.userPasswordKey", "userPasswordKey: user-pw-3hd8s2kq", "user-pw-3hd8s2kq"],
  ["helm: grafana admin.passwordKey", "passwordKey: admin-pw-6t2k9qx4", "admin-pw-6t2k9qx4"],
  ["helm: gitlab password.key", "password.key: psql-pw-5k2q9x7m", "psql-pw-5k2q9x7m"],
  ["helm: passwordSecretKey", "passwordSecretKey: smtp-pw-4q8k2x7m", "smtp-pw-4q8k2x7m"],
  ["helm: passwordFile", "passwordFile: db_pass_7xK2qz9w.txt", "db_pass_7xK2qz9w.txt"],
  ["helm: tokenFile", "tokenFile: sa_token_9Qk2x7Lm.jwt", "sa_token_9Qk2x7Lm.jwt"],
  ["helm: passwordSecretName", "passwordSecretName: pg-7k2qx9m4", "pg-7k2qx9m4"],
  ["k8s: ingress tls secretName", "  - secretName: web-tls-7f9k2qxm", "web-tls-7f9k2qxm"],
  ["k8s: one-line secretKeyRef", "secretKeyRef: pg-creds-8fk2qz7m", "pg-creds-8fk2qz7m"],
  ["k8s: cert-manager apiTokenSecretRef", "apiTokenSecretRef: cf-token-7k2qx9m4", "cf-token-7k2qx9m4"],
  ["k8s: passwordSecretRef", "passwordSecretRef: pg-secret-7k2qx9m4", "pg-secret-7k2qx9m4"],
  ["k8s: external-secrets secretStore", "secretStore: vault-backend-7k2q", "vault-backend-7k2q"],
  ["k8s: CSI secretProviderClass", "secretProviderClass: azure-kv-7fk2qx9m", "azure-kv-7fk2qx9m"],
  ["aws: secretId", "secretId: prod-db-7fK2qx9m", "prod-db-7fK2qx9m"],
  ["terraform: *_secret_name", 'db_password_secret_name = "prod-db-creds-7fK2q"', "prod-db-creds-7fK2q"],
  ["terraform: secretName (CDK)", 'secretName: "prodDbCreds7xK2"', "prodDbCreds7xK2"],
  [
    "terraform: random_password reference",
    "password = random_password.db7.result",
    "random_password.db7.result",
  ],
  [
    "terraform: data source reference",
    "password = data.aws_secretsmanager_secret_version.db2.secret_string",
    "data.aws_secretsmanager_secret_version.db2.secret_string",
  ],
  ["terraform: local reference", "db_password = local.db2_creds.pw7", "local.db2_creds.pw7"],
];

/** Shapes that are references by their value: an ARN, a Vault path (the gate decides these). */
const REFERENCE_VALUES: [string, string][] = [
  [
    "terraform: *_secret_arn",
    'master_user_secret_arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/db-AbCdEf"',
  ],
  ["ecs: valueFrom", '"valueFrom": "arn:aws:ssm:eu-west-1:123456789012:parameter/prod/db-7Kq2"'],
  ["vault: bank-vaults reference", "password: vault:secret/data/prod/db#password"],
  ["vault: vals reference", "DB_PASSWORD: ref+vault://secret/data/db#/password"],
  ["vault: a path with its key", "vaultSecret: secret/data/prod/db7#password"],
  ["vault: agent annotation", 'vault.hashicorp.com/agent-inject-secret-db: "database/creds/app-7k2q"'],
  ["gcp: Secret Manager version", "db_password: projects/p-7k2q/secrets/db-pw/versions/latest"],
];

describe("references are not secrets (issue 15)", () => {
  it("has at least 20 reference shapes whose values look random", () => {
    expect(REFERENCES.length + REFERENCE_VALUES.length).toBeGreaterThanOrEqual(20);
    // The randomness gate alone would let each of these through.
    for (const [, , value] of REFERENCES) expect(looksRandom(value), value).toBe(true);
  });

  it.each(REFERENCES)("%s: no finding (%s)", (_where, line) => {
    expect(scanner.scan(line).map((d) => d.ruleId)).toEqual([]);
  });

  it.each(REFERENCE_VALUES)("%s: no finding (%s)", (_where, line) => {
    expect(scanner.scan(line).map((d) => d.ruleId)).toEqual([]);
  });

  it("ARNs and Vault paths are not random-looking secrets", () => {
    for (const v of [
      "arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/db-AbCdEf",
      "arn:aws-us-gov:ssm:us-gov-west-1:123456789012:parameter/prod/db-7Kq2",
      "vault:secret/data/prod/db#password",
      "secret/data/prod/db7#password",
      "kv/data/team-7k2q/api#/api_key",
    ])
      expect(looksRandom(v), v).toBe(false);
    // A password that holds / and # is not a Vault path: the key after # is a word.
    expect(looksRandom("q8Zr/v2Lp#x9Wm4T")).toBe(true);
  });

  it.each([
    ["dbPassword: Kx9mQ2vL7pR4tZ8w"],
    ["postgresPassword: Kx9mQ2vL7pR4tZ8w"],
    ["secretKey: Zq8Lm2Xw7Rt5Yp8Nc4Vb6Hj1"],
    ["secret_key = Zq8Lm2Xw7Rt5Yp8Nc4Vb6Hj1"],
    ["password_secret: Ab3Cd5Ef7Gh9Ij2Kl4Mn6Op8"],
    ["tokenSecret: Ab3Cd5Ef7Gh9Ij2Kl4Mn6Op8"],
    ["jwtSecret: Tz7Kq2Wn9Xr4Vb8Lm3PdQ6sF"],
    ["adminPassword: q8Zr!v2Lp#x9Wm4T"],
    ["secretsPassword: q8Zr!v2Lp#x9Wm4T"],
    ['master_password = "Xq7mK2pL9vR4tZ8w"'],
    ["client_secret: k7pV2xQ9zL4mW8rT3nY6cB1h"],
    ["api_key = Zq8Lm2Xw7Rt5Yp8Nc4Vb6Hj1"],
  ])("must still match: %s", (line) => {
    expect(scanner.scan(line).map((d) => d.ruleId)).toEqual(["generic-password-assignment"]);
  });
});

let cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups) c();
  cleanups = [];
});
function dir(files: Record<string, string>) {
  const t = tempTree(files, "aa-references-");
  cleanups.push(t.cleanup);
  return t.dir;
}

const VALUES_YAML = [
  "postgresql:", // 1
  "  auth:",
  "    existingSecret: pg-auth-7f3kq9x2",
  "    secretKeys:",
  "      adminPasswordKey: admin-pw-9fk2xq7m", // 5
  "      userPasswordKey: user-pw-3hd8s2kq",
  "      replicationPasswordKey: repl-pw-7q2m9x4k",
  "    postgresPassword: Kx9mQ2vL7pR4tZ8w", // 8: a real password next to the references
  "redis:",
  "  auth:", // 10
  "    existingSecret: redis-auth-4k8x2q7m",
  "    existingSecretPasswordKey: redis-pw-8x3k2q9m",
  "grafana:",
  "  admin:",
  "    existingSecret: grafana-admin-9q2k7x", // 15
  "    userKey: admin-user-3k9q",
  "    passwordKey: admin-pw-6t2k9qx4",
  "minio:",
  "  existingSecretKey: minio-creds-2k9x7q4m",
  "  secretKey: Zq8Lm2Xw7Rt5Yp8Nc4Vb6Hj1", // 20: MinIO's secret key is a secret
  "ingress:",
  "  tls:",
  "    - secretName: web-tls-7f9k2qxm",
  "      hosts: [app.example.com]",
  "csi:", // 25
  "  secretProviderClass: azure-kv-7fk2qx9m",
  "certManager:",
  "  apiTokenSecretRef: cf-token-7k2qx9m4",
  "externalSecret:",
  "  secretStore: vault-backend-7k2q", // 30
  "  remoteRef: {key: prod/db-7fK2q, property: password}",
  "mailer:",
  "  passwordFile: db_pass_7xK2qz9w.txt",
  "  vaultSecret: secret/data/prod/db7#password",
  "  password: vault:secret/data/prod/mail#password", // 35
  "app:",
  "  jwtSecret: Tz7Kq2Wn9Xr4Vb8Lm3PdQ6sF", // 37
].join("\n");

const DEPLOYMENT_YAML = [
  "apiVersion: apps/v1", // 1
  "kind: Deployment",
  "metadata:",
  "  name: api",
  "spec:", // 5
  "  template:",
  "    metadata:",
  "      annotations:",
  '        vault.hashicorp.com/agent-inject-secret-db: "database/creds/app-7k2q"',
  "    spec:", // 10
  "      containers:",
  "      - name: api",
  "        env:",
  "        - name: DB_PASSWORD",
  "          valueFrom:", // 15
  "            secretKeyRef:",
  "              name: pg-creds-8fk2qz7m",
  "              key: db-password-x9q2k7",
  "        - name: API_TOKEN",
  "          valueFrom: {secretKeyRef: {name: api-7k2qx9m4, key: token}}", // 20
  "        envFrom:",
  "        - secretRef:",
  "            name: app-env-7k2q9xm4",
  "      volumes:",
  "      - name: tls", // 25
  "        secret:",
  "          secretName: web-tls-7f9k2qxm",
  "      imagePullSecrets:",
  "      - name: regcred-7k2q9xm4",
  "---", // 30
  "apiVersion: v1",
  "kind: Secret",
  "metadata: {name: pg-creds-8fk2qz7m}",
  "stringData:",
  "  db-password-x9q2k7: Wn9Xr4Vb8Lm3PdQ6", // 35: the Secret itself holds the password
  "  password: Rt5Yp8Nc4Vb6Hj1Sd0Qz", // 36
].join("\n");

const MAIN_TF = [
  'resource "aws_db_instance" "main" {', // 1
  "  manage_master_user_password   = true",
  '  master_user_secret_kms_key_id = "alias/rds-7kq2"',
  "  password                      = random_password.db7.result",
  "}", // 5
  'variable "db_password_secret_arn" {',
  '  default = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/db-AbCdEf"',
  "}",
  "locals {",
  '  db_secret_arn           = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/db-AbCdEf"', // 10
  '  db_password_secret_name = "prod-db-creds-7fK2q"',
  '  secret_name             = "prod/db/Xk29qLm7"',
  '  api_secret_id           = "prod-api-7fK2qx9m"',
  "  password                = data.aws_secretsmanager_secret_version.db2.secret_string",
  "  admin_password          = var.admin_password", // 15
  "  reader_password         = local.db2_creds.pw7",
  '  master_password         = "Xq7mK2pL9vR4tZ8w"', // 17: a literal password
  "}",
].join("\n");

const COMPOSE_YAML = [
  "services:", // 1
  "  db:",
  "    image: postgres:16",
  "    environment:",
  "      POSTGRES_PASSWORD_FILE: /run/secrets/db_password", // 5
  "      REPLICATION_PASSWORD: Wn9Xr4Vb8Lm3PdQ6", // 6: a literal password
  "    secrets:",
  "      - db_password",
  "      - source: api_token_7k2q",
  "        target: api_token", // 10
  "secrets:",
  "  db_password:",
  "    file: ./secrets/db_password_7xK2.txt",
  "  api_token_7k2q:",
  "    external: true", // 15
  "    name: prod_api_token_7k2qx9",
].join("\n");

const ECS_JSON = JSON.stringify(
  {
    containerDefinitions: [
      {
        name: "api",
        secrets: [
          {
            name: "DB_PASSWORD",
            valueFrom: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/db-AbCdEf:password::",
          },
          { name: "API_TOKEN", valueFrom: "arn:aws:ssm:eu-west-1:123456789012:parameter/prod/api-7Kq2" },
        ],
      },
    ],
  },
  null,
  2,
);

describe("references through the real inventory (issue 15)", () => {
  it("Helm values, manifests, Terraform, Compose, ECS: only the literal passwords are reported", async () => {
    const root = dir({
      "charts/api/values.yaml": VALUES_YAML,
      "k8s/deployment.yaml": DEPLOYMENT_YAML,
      "infra/main.tf": MAIN_TF,
      "docker-compose.yml": COMPOSE_YAML,
      "ecs/task-definition.json": ECS_JSON,
    });
    const res = await inventory({ sources: ["tree"], root });
    expect(res.issues).toEqual([]);
    const rows = res.findings
      .map((f) => `${f.location.path}:${f.location.line} ${f.ruleId} ${f.severity}`)
      .sort();
    expect(rows).toEqual([
      "charts/api/values.yaml:20 generic-password-assignment medium",
      "charts/api/values.yaml:37 generic-password-assignment medium",
      "charts/api/values.yaml:8 generic-password-assignment medium",
      "docker-compose.yml:6 generic-password-assignment medium",
      "infra/main.tf:17 generic-password-assignment medium",
      "k8s/deployment.yaml:35 generic-password-assignment medium",
      "k8s/deployment.yaml:36 generic-password-assignment medium",
    ]);
  });
});

describe("structural parsers read reference keys as references (issue 15)", () => {
  const RULE = { id: "t", provider: "p", title: "t", severity: "high" as const, remediation: "r" };
  const names = (parser: string, text: string) =>
    PARSERS[parser]!({ text, path: "x", rule: RULE }).detections.map((d) => `${d.name} ${d.type}`);

  it("yaml: existingSecret, *PasswordKey, secretKeyRef and selectors are not secrets; a password is", () => {
    expect(
      names(
        "yaml",
        [
          "auth:",
          "  existingSecret: pg-auth-7f3kq9x2",
          "  existingSecretKey: minio-creds-2k9x7q4m",
          "  adminPasswordKey: admin-pw-9fk2xq7m",
          "  password_secret_key: smtp-pw-4q8k2x7m",
          "  tokenSecretRef: cf-token-7k2qx9m4",
          "  db_secret_arn: arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/db-AbCdEf",
          "  secretProviderClass: azure-kv-7fk2qx9m",
          "  secretKeyRef: {name: pg-creds-8fk2qz7m, key: db-password-x9q2k7}",
          "  basicAuth:",
          "    password: {name: prom-basic-7k2q, key: pw-x9q2k7m4}",
          "  postgresPassword: Kx9mQ2vL7pR4tZ8w",
          "  secretKey: Zq8Lm2Xw7Rt5Yp8Nc4Vb6Hj1",
        ].join("\n"),
      ),
    ).toEqual(["auth.postgresPassword password", "auth.secretKey secret-key"]);
  });

  it("json: the same keys in a JSON credential file", () => {
    expect(
      names(
        "json",
        JSON.stringify({
          existingSecret: "pg-auth-7f3kq9x2",
          passwordKey: "admin-pw-6t2k9qx4",
          apiTokenSecretRef: { name: "cf-7k2qx9m4", key: "api-token-x9q2" },
          client_secret: "k7pV2xQ9zL4mW8rT3nY6cB1h",
        }),
      ),
    ).toEqual(["client_secret client-secret"]);
  });
});
