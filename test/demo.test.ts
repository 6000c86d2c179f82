import { describe, expect, it } from "vitest";
import { cli } from "./helpers/cli.js";

// The demo sandbox (fixtures/demo) plants one fake secret of every supported kind and a set of
// decoys. This asserts the exact inventory: every planted secret at its path, line and variable,
// and nothing else (documentation keys, ${VAR} references, credHelpers, public keys, placeholders,
// the inline-allowed token, the vendored and binary files are all absent).
type Row = [
  severity: string,
  source: string,
  where: string,
  name: string,
  ruleId: string,
  type: string,
  valid: boolean | null,
];

const EXPECTED: Row[] = [
  ["critical", "env", "", "ANTHROPIC_API_KEY", "anthropic-api-key", "api-key", true],
  ["critical", "env", "", "AWS_SECRET_ACCESS_KEY", "aws-secret-access-key", "secret-access-key", null],
  ["critical", "env", "", "GITHUB_TOKEN", "github-pat-classic", "personal-access-token", true],
  ["critical", "env", "", "OPENAI_API_KEY", "openai-api-key", "api-key", true],
  [
    "critical",
    "home",
    ".aws/credentials:3",
    "",
    "aws-secret-access-key-assignment",
    "secret-access-key",
    null,
  ],
  ["critical", "home", ".bash_history:3", "", "stripe-secret-key", "secret-key", null],
  ["critical", "home", ".bash_history:4", "", "gitlab-pat", "personal-access-token", null],
  ["critical", "home", ".claude.json:11", "", "anthropic-api-key", "api-key", true],
  ["critical", "home", ".claude/settings.json:3", "", "github-pat-classic", "personal-access-token", true],
  ["critical", "home", ".config/gh/hosts.yml:3", "", "github-oauth-token", "oauth-token", true],
  ["critical", "home", ".cursor/mcp.json:6", "", "github-pat-classic", "personal-access-token", true],
  ["critical", "home", ".git-credentials:1", "", "github-oauth-token", "oauth-token", true],
  ["critical", "home", ".kube/config:14", "users.deployer.user.token", "kubeconfig", "token", null],
  [
    "critical",
    "home",
    ".kube/config-staging:7",
    "users.staging-admin.user.password",
    "kubeconfig",
    "password",
    null,
  ],
  ["critical", "home", ".npmrc:2", "", "npm-access-token", "access-token", true],
  ["critical", "home", ".pypirc:6", "", "pypi-upload-token", "upload-token", null],
  ["critical", "home", ".ssh/id_ed25519:1", "OPENSSH PRIVATE KEY", "ssh-private-keys", "private-key", null],
  ["critical", "home", ".vault-token:1", "", "vault-token", "token", null],
  ["critical", "home", "keys/ci-deployer.json:5", "", "google-service-account-key", "private-key", null],
  ["critical", "tree", ".env:3", "", "stripe-secret-key", "secret-key", null],
  ["critical", "tree", ".vscode/mcp.json:7", "", "github-oauth-token", "oauth-token", true],
  ["critical", "tree", "certs/server.key:1", "", "private-key", "private-key", null],
  ["critical", "tree", "src/llm.ts:4", "", "openai-api-key", "api-key", true],
  [
    "critical",
    "process",
    "/proc/4242/environ",
    "GITHUB_TOKEN",
    "github-pat-classic",
    "personal-access-token",
    true,
  ],
  ["high", "env", "", "AWS_ACCESS_KEY_ID", "aws-access-key-id", "access-key-id", null],
  ["high", "env", "", "DATABASE_URL", "postgres-connection-string", "connection-string", null],
  ["high", "env", "", "GROQ_API_KEY", "groq-api-key", "api-key", null],
  ["high", "env", "", "HTTPS_PROXY", "proxy-url-credentials", "proxy-credentials", null],
  ["high", "home", ".aws/credentials:2", "", "aws-access-key-id", "access-key-id", null],
  ["high", "home", ".cache/huggingface/token:1", "", "huggingface-token", "access-token", null],
  ["high", "home", ".codex/config.toml:9", "", "openrouter-api-key", "api-key", null],
  [
    "high",
    "home",
    ".docker/config.json:4",
    "auths.registry.example.com.auth",
    "docker-config",
    "password",
    null,
  ],
  ["high", "home", ".netrc:3", "api.heroku.com.password", "netrc", "password", null],
  ["high", "home", ".pgpass:1", "db.internal:5432:app:app", "pgpass", "password", null],
  ["high", "tree", ".env:4", "", "slack-bot-token", "bot-token", null],
  ["high", "tree", ".env:5", "SESSION_SECRET", "tree-dotenv", "secret", null],
  ["high", "tree", "scripts/deploy.sh:4", "", "sendgrid-api-key", "api-key", null],
  ["high", "mount", "/run/secrets/db_password", "", "mounted-secret-file", "secret-file", null],
  [
    "high",
    "mount",
    "/var/run/secrets/kubernetes.io/serviceaccount/token",
    "",
    "kubernetes-service-account-token",
    "service-account-token",
    null,
  ],
  ["medium", "home", ".password-store", "", "password-store", "", null],
  ["medium", "tree", "config/settings.yml:4", "", "generic-password-assignment", "password", null],
  [
    "low",
    "home",
    ".ssh/deploy_key:1",
    "OPENSSH PRIVATE KEY",
    "ssh-private-keys",
    "encrypted-private-key",
    null,
  ],
  ["info", "tree", "scripts/deploy.sh:3", "", "github-pat-classic", "personal-access-token", false],
];

describe("scan --demo", async () => {
  const r = await cli(["scan", "--demo", "--format", "json"]);
  const report = JSON.parse(r.stdout);

  it("exits 1 and prints nothing on stderr", () => {
    expect(r.code).toBe(1);
    expect(r.stderr).toBe("");
  });

  it("finds exactly the planted secrets", () => {
    // The secrets themselves (issue 16's MCP findings of step 1 are about servers, below).
    const rows: Row[] = report.findings
      .filter(
        (f: { control: string; kind: string }) => f.control === "secret-inventory" && f.kind !== "config",
      )
      .map(
        (f: {
          severity: string;
          ruleId: string;
          location: { source: string; path?: string; line?: number; name?: string };
          secret?: { type: string; valid?: boolean };
        }) => [
          f.severity,
          f.location.source,
          `${f.location.path ?? ""}${f.location.line ? `:${f.location.line}` : ""}`,
          f.location.name ?? "",
          f.ruleId,
          f.secret?.type ?? "",
          f.secret?.valid ?? null,
        ],
      );
    expect(rows).toEqual(EXPECTED);
  });

  // Where a finding or issue is, with the temporary copy's home and root shown as ~/ and ./.
  const place = (p: string | undefined) =>
    (p ?? "").replace(`${report.target.root}/`, "./").replace(`${report.target.home}/`, "~/");

  it("judges the agent runtimes' configs (step 5) and the credentials' scope (step 6)", () => {
    const rows = report.findings
      .filter(
        (f: { control: string; kind: string }) => f.control !== "secret-inventory" || f.kind === "config",
      )
      .map(
        (f: {
          severity: string;
          control: string;
          ruleId: string;
          location: { source: string; path?: string; line?: number; name?: string };
        }) => [
          f.severity,
          f.control,
          f.location.source,
          `${place(f.location.path)}${f.location.line ? `:${f.location.line}` : ""}`,
          f.location.name ?? "",
          f.ruleId,
        ],
      );
    expect(rows).toEqual([
      [
        "critical",
        "approval-gate",
        "agent-config",
        "~/.codex/config.toml:3",
        "approval_policy",
        "codex-full-access-no-approval",
      ],
      ["high", "credential-scope", "env", "", "AWS_ACCESS_KEY_ID", "aws-long-lived-access-key"],
      ["high", "credential-scope", "env", "", "GITHUB_TOKEN", "github-classic-pat-broad"],
      ["high", "credential-scope", "home", ".aws/credentials:2", "", "aws-long-lived-access-key"],
      ["high", "credential-scope", "home", ".claude/settings.json:3", "", "github-classic-pat-broad"],
      ["high", "credential-scope", "home", ".cursor/mcp.json:6", "", "github-classic-pat-broad"],
      [
        "high",
        "credential-scope",
        "home",
        ".kube/config-staging:7",
        "users.staging-admin.user.password",
        "kubernetes-admin-user",
      ],
      [
        "high",
        "credential-scope",
        "home",
        ".ssh/id_ed25519:1",
        "OPENSSH PRIVATE KEY",
        "private-key-unencrypted",
      ],
      ["high", "credential-scope", "tree", "certs/server.key:1", "", "private-key-unencrypted"],
      [
        "high",
        "credential-scope",
        "mount",
        "/var/run/secrets/kubernetes.io/serviceaccount/token",
        "",
        "kubernetes-sa-token-no-expiry",
      ],
      [
        "high",
        "credential-scope",
        "process",
        "/proc/4242/environ",
        "GITHUB_TOKEN",
        "github-classic-pat-broad",
      ],
      [
        "high",
        "approval-gate",
        "agent-config",
        "~/.claude.json:4",
        "anthropic-proxy",
        "mcp-launcher-unpinned",
      ],
      [
        "high",
        "secret-inventory",
        "agent-config",
        "~/.claude.json:4",
        "anthropic-proxy",
        "mcp-server-receives-secret",
      ],
      ["high", "approval-gate", "agent-config", "~/.claude.json:14", "github", "mcp-launcher-unpinned"],
      ["high", "credential-scope", "agent-config", "~/.claude.json:14", "github", "mcp-server-broad-token"],
      [
        "high",
        "secret-inventory",
        "agent-config",
        "~/.claude.json:14",
        "github",
        "mcp-server-receives-secret",
      ],
      [
        "high",
        "approval-gate",
        "agent-config",
        "~/.codex/config.toml:6",
        "openrouter",
        "mcp-launcher-unpinned",
      ],
      [
        "high",
        "secret-inventory",
        "agent-config",
        "~/.codex/config.toml:6",
        "openrouter",
        "mcp-server-receives-secret",
      ],
      [
        "high",
        "credential-scope",
        "agent-config",
        "~/.cursor/mcp.json:3",
        "github",
        "mcp-server-broad-token",
      ],
      [
        "high",
        "secret-inventory",
        "agent-config",
        "~/.cursor/mcp.json:3",
        "github",
        "mcp-server-receives-secret",
      ],
      [
        "high",
        "credential-scope",
        "agent-config",
        "./.vscode/mcp.json:3",
        "github",
        "mcp-server-broad-token",
      ],
      [
        "high",
        "secret-inventory",
        "agent-config",
        "./.vscode/mcp.json:3",
        "github",
        "mcp-server-receives-secret",
      ],
      ["medium", "credential-scope", "home", ".config/gh/hosts.yml:3", "", "github-oauth-token-broad"],
      ["medium", "credential-scope", "home", ".git-credentials:1", "", "github-oauth-token-broad"],
      ["medium", "credential-scope", "tree", ".vscode/mcp.json:7", "", "github-oauth-token-broad"],
      [
        "medium",
        "approval-gate",
        "agent-config",
        "./.claude/settings.json:9",
        "sandbox.excludedCommands[0]",
        "claude-sandbox-excluded-commands",
      ],
      [
        "medium",
        "egress-proxy",
        "agent-config",
        "./.claude/settings.json:11",
        "sandbox.network.allowedDomains[0]",
        "claude-sandbox-broad-domain",
      ],
      [
        "low",
        "approval-gate",
        "agent-config",
        "",
        "allowed_approval_policies",
        "codex-requirements-unpinned",
      ],
    ]);
    expect(
      report.agents.runtimes.map(
        (r: {
          runtime: string;
          present: boolean;
          gate: { status: string };
          sandbox: { status: string };
          files: { path: string; scope: string; ok: boolean }[];
        }) => [
          r.runtime,
          r.present,
          r.gate.status,
          r.sandbox.status,
          r.files.map((f) => `${place(f.path)} ${f.scope}${f.ok ? "" : " (not read)"}`),
        ],
      ),
    ).toEqual([
      [
        "claude-code",
        true,
        "unknown",
        "unknown",
        [
          "~/.claude/settings.json user (not read)",
          "./.claude/settings.json project",
          "~/.claude.json state",
        ],
      ],
      ["codex", true, "off", "off", ["~/.codex/config.toml user"]],
      ["gemini-cli", false, "unknown", "unknown", []],
      ["hermes", false, "unknown", "unknown", []],
      ["sandbox-runtime", false, "unknown", "unknown", []],
    ]);
    expect(report.agents.markers).toEqual([
      {
        name: "CLAUDECODE",
        runtime: "claude-code",
        meaning: "CLAUDECODE=1: runs inside a Claude Code session",
      },
    ]);
  });

  it("records the malformed files and goes on", () => {
    expect(
      report.issues.map((i: { where: string; message: string }) => ({ ...i, where: place(i.where) })),
    ).toEqual([
      { where: ".claude/settings.json", message: "not valid JSON; scanned as text" },
      { where: "assets/logo.png", message: "skipped: binary file (--include-binary scans it)" },
      // The same file, as the Claude Code inspector reads it: its gate is then unknown, never covered.
      {
        where: "~/.claude/settings.json",
        message: "not valid JSON at line 4, column 3: PropertyNameExpected",
      },
    ]);
  });

  it("scores steps 1, 4, 5 and 6; the egress steps need --probe", () => {
    expect(report.checklist.map((c: { status: string }) => c.status)).toEqual([
      "fail",
      "skip",
      "skip",
      "fail",
      "fail",
      "fail",
    ]);
    expect(report.score).toEqual({ passed: 0, evaluated: 4, total: 6 });
    expect(report.checklist[3].summary).toBe(
      "the agent's traffic goes through a proxy (HTTPS_PROXY) but nothing turns its denials into alerts: no watcher config was found (/etc/agent-audit/agent-audit.yaml, or --config with an alerting: section)",
    );
    expect(report.checklist[4].summary).toBe(
      "MCP servers and skills: 3 high/critical findings; Codex CLI: gate off (approval_policy never in user config with sandbox_mode danger-full-access in user config: every command runs unasked and unsandboxed)",
    );
    expect(report.checklist[5].summary).toBe(
      "MCP servers: 3 high/critical findings; 10 high-risk credential scope findings (long-lived or broad) not in the accepted inventory; 3 medium-risk; 42 credentials judged",
    );
    expect(report.checklist[0].summary).toBe(
      "44 high/critical secrets readable by the agent and not in the accepted inventory (baseline)",
    );
  });

  it("every finding has a fingerprint, and they are unique", () => {
    const fps = report.findings.map((f: { fingerprint: string }) => f.fingerprint);
    expect(fps.every((fp: string) => /^[0-9a-f]{24}$/.test(fp))).toBe(true);
    expect(new Set(fps).size).toBe(fps.length);
  });
});
