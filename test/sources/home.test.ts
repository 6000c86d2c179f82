import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runInventory } from "../../src/capabilities/inventory/index.js";
import { defaultRules } from "../../src/rules/catalog.js";
import { selfAccess } from "../../src/sources/access.js";

// A synthetic home (never the real one): the catalog in rules/paths/ finds each credential file,
// the structural parsers read it, and the content rules run beside them. Content rules are pinned to
// two foundation rules so that rules added later elsewhere do not change this test's exact results.

let base: string;
let home: string;
let outside: string;

const b64 = (s: string) => Buffer.from(s).toString("base64");

function opensshKey(cipher: string): string {
  const str = (s: string) => {
    const b = Buffer.from(s);
    const len = Buffer.alloc(4);
    len.writeUInt32BE(b.length);
    return Buffer.concat([len, b]);
  };
  const body = Buffer.concat([
    Buffer.from("openssh-key-v1\0", "latin1"),
    str(cipher),
    str(cipher === "none" ? "none" : "bcrypt"),
    str(cipher === "none" ? "" : "salt-and-rounds-0123"),
    Buffer.from([0, 0, 0, 1]),
    str(`ssh-ed25519 fake public part ${cipher}`),
    str(`fake private section for ${cipher}, padded to look like a key`),
  ]);
  return `-----BEGIN OPENSSH PRIVATE KEY-----\n${body.toString("base64").replace(/(.{70})/g, "$1\n")}\n-----END OPENSSH PRIVATE KEY-----\n`;
}

function put(root: string, rel: string, text: string): void {
  const abs = join(root, rel);
  mkdirSync(dirname(abs), { recursive: true });
  writeFileSync(abs, text, { mode: 0o600 });
}

beforeAll(() => {
  base = mkdtempSync(join(tmpdir(), "agent-audit-home-"));
  home = join(base, "home");
  outside = join(base, "elsewhere");
  mkdirSync(home);
  mkdirSync(outside);
  put(
    home,
    ".aws/credentials",
    "[default]\naws_access_key_id = AKIAQ3EGRSXMPL7NBDZW\naws_secret_access_key = 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\n",
  );
  put(home, ".aws/config", "[profile sso]\ncredential_process = aws-vault export sso --format=json\n");
  put(home, ".ssh/id_ed25519", opensshKey("none"));
  put(
    home,
    ".ssh/id_ed25519.pub",
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFm2Xw7Rt5Yp8Nc4Vb6Hj1Sd0Qz dev@host\n",
  );
  put(home, ".ssh/deploy_key", opensshKey("aes256-ctr"));
  put(
    home,
    ".ssh/known_hosts",
    "github.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl\n",
  );
  put(home, ".ssh/config", "Host *\n  IdentityFile ~/.ssh/id_ed25519\n");
  put(
    home,
    ".npmrc",
    "registry=https://registry.npmjs.org/\n//registry.npmjs.org/:_authToken=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\n",
  );
  put(home, ".docker/config.json", '{"auths": {"ghcr.io": {}}, "credsStore": "desktop"}\n');
  put(
    home,
    ".config/containers/auth.json",
    `{"auths": {"quay.io": {"auth": "${b64("robot:Q7vLm2Xw7Rt5Yp8N")}"}}}\n`,
  );
  put(
    home,
    ".claude.json",
    JSON.stringify(
      {
        mcpServers: {
          svc: { command: "svc", env: { SVC_API_KEY: "Zq8Lm2Xw7Rt5Yp8Nc4VbTa6Ke", MODE: "fast" } },
        },
      },
      null,
      2,
    ),
  );
  put(home, ".netrc", `machine api.example.com login me password \${NETRC_PASSWORD}\n`);
  put(home, ".bash_history", "ls\ncd app\nexport GITHUB_TOKEN=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\n");
  put(home, ".config/gh/hosts.yml", "github.com:\n  oauth_token: [unclosed\n");
  mkdirSync(join(home, ".password-store"));
  put(home, ".password-store/email.gpg", "\u0085\u0001binary");
  put(
    outside,
    "kubeconfig.yaml",
    "users:\n- name: sa\n  user:\n    token: eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzYSJ9.Qz8Lm2Xw7Rt5Yp8Nc4Vb\n",
  );
});

afterAll(() => {
  rmSync(base, { recursive: true, force: true });
});

async function scan(env: Record<string, string>) {
  const all = defaultRules();
  const rules = {
    ...all,
    content: all.content.filter((r) => ["aws-access-key-id", "github-pat-classic"].includes(r.id)),
  };
  return runInventory({
    sources: new Set(["home"]),
    env,
    home,
    root: home,
    systemRoot: base,
    access: selfAccess("test"),
    limits: {
      maxFileBytes: 0,
      includeBinary: false,
      includeVcs: false,
      includeDeps: false,
      exclude: [],
      concurrency: 4,
    },
    target: { home, root: home, user: "test", hostname: "test" },
    rules,
  });
}

describe("home source with the rules/paths catalog", () => {
  it("reports exactly the planted credentials, with paths relative to home and lines", async () => {
    // Absolute pointers resolve under the system root (the agent's "/"), here the temp dir, and are
    // reported as the agent sees them.
    const kubeconfig = "/elsewhere/kubeconfig.yaml";
    const res = await scan({ KUBECONFIG: `${kubeconfig}:/elsewhere/missing.yaml` });
    const got = res.findings.map((f) => ({
      ruleId: f.ruleId,
      kind: f.kind,
      severity: f.severity,
      type: f.secret?.type,
      path: f.location.path,
      line: f.location.line,
    }));
    expect(got).toEqual([
      {
        ruleId: "aws-credentials",
        kind: "secret",
        severity: "critical",
        type: "secret-access-key",
        path: ".aws/credentials",
        line: 3,
      },
      {
        ruleId: "github-pat-classic",
        kind: "secret",
        severity: "critical",
        type: "personal-access-token",
        path: ".bash_history",
        line: 3,
      },
      {
        ruleId: "ssh-private-keys",
        kind: "secret",
        severity: "critical",
        type: "private-key",
        path: ".ssh/id_ed25519",
        line: 1,
      },
      {
        ruleId: "kubeconfig",
        kind: "secret",
        severity: "critical",
        type: "token",
        path: kubeconfig,
        line: 4,
      },
      {
        ruleId: "aws-access-key-id",
        kind: "secret",
        severity: "high",
        type: "access-key-id",
        path: ".aws/credentials",
        line: 2,
      },
      {
        ruleId: "claude-config",
        kind: "secret",
        severity: "high",
        type: "secret",
        path: ".claude.json",
        line: 6,
      },
      {
        ruleId: "containers-auth",
        kind: "secret",
        severity: "high",
        type: "password",
        path: ".config/containers/auth.json",
        line: 1,
      },
      { ruleId: "npmrc", kind: "secret", severity: "high", type: "token", path: ".npmrc", line: 2 },
      {
        ruleId: "password-store",
        kind: "exposure",
        severity: "medium",
        type: undefined,
        path: ".password-store",
        line: undefined,
      },
      {
        ruleId: "ssh-private-keys",
        kind: "secret",
        severity: "low",
        type: "encrypted-private-key",
        path: ".ssh/deploy_key",
        line: 1,
      },
    ]);
    // A file that does not parse is recorded (with a fixed message) and text-scanned instead.
    expect(res.issues).toEqual([
      { where: ".config/gh/hosts.yml", message: "not valid YAML; scanned as text" },
    ]);
  });

  it("follows directory pointers (DOCKER_CONFIG, CODEX_HOME, CLOUDSDK_CONFIG with a glob), once each", async () => {
    put(
      outside,
      "docker/config.json",
      `{"auths": {"reg.example.com": {"auth": "${b64("ci:Vx7Lm2Qw9Rt5Yp8N")}"}}}\n`,
    );
    put(home, "cfg/codex/auth.json", '{\n  "OPENAI_API_KEY": "Tq3Lm2Xw7Rt5Yp8Nc4VbZa6Ke"\n}\n');
    put(
      outside,
      "gcloud/legacy_credentials/dev@example.com/adc.json",
      '{\n  "type": "authorized_user",\n  "client_secret": "Kd8Lm2Xw7Rt5Yp8Nc4VbQe"\n}\n',
    );
    const env = {
      DOCKER_CONFIG: "/elsewhere/docker",
      CODEX_HOME: "cfg/codex",
      CLOUDSDK_CONFIG: "/elsewhere/gcloud",
      // Pointed at by three rules (credentials, settings, state): one issue, value not printed.
      CLAUDE_CONFIG_DIR: '{"not": "a path"}',
    };
    const res = await scan(env);
    const pointed = res.findings
      .filter((f) => ["docker-config", "codex-auth", "gcloud-legacy-credentials"].includes(f.ruleId))
      .map((f) => ({ ruleId: f.ruleId, type: f.secret?.type, path: f.location.path, line: f.location.line }));
    expect(pointed).toEqual([
      {
        ruleId: "gcloud-legacy-credentials",
        type: "client-secret",
        path: "/elsewhere/gcloud/legacy_credentials/dev@example.com/adc.json",
        line: 3,
      },
      { ruleId: "docker-config", type: "password", path: "/elsewhere/docker/config.json", line: 1 },
      { ruleId: "codex-auth", type: "api-key", path: "cfg/codex/auth.json", line: 2 },
    ]);
    expect(res.issues.filter((i) => i.where.startsWith("$"))).toEqual([
      {
        where: "$CLAUDE_CONFIG_DIR",
        message: "does not name a directory (the value is not a path; not printed)",
      },
    ]);
  });

  it("without KUBECONFIG, the kubeconfig outside home is not read", async () => {
    const res = await scan({});
    expect(res.findings.filter((f) => f.ruleId === "kubeconfig")).toEqual([]);
  });

  it("never reports public keys, known_hosts or ssh config", async () => {
    const res = await scan({});
    expect(
      res.findings.filter((f) => f.location.path?.startsWith(".ssh/")).map((f) => f.location.path),
    ).toEqual([".ssh/id_ed25519", ".ssh/deploy_key"]);
  });
});
