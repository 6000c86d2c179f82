import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import type { AuditReport, Finding } from "../../src/contract/types.js";
import type { FixOptions, GeneratedFile } from "../../src/fix/types.js";

// Shared by test/fix/runtimes.test.ts, env.test.ts and codex-execpolicy.test.ts: a hand-built report
// (fixed fingerprints) with the inventory and runtime findings the agent-runtime generators read,
// fixed options, and the golden-file comparison (AGENT_AUDIT_UPDATE_GOLDEN=1 rewrites the files).

export const GOLDEN = resolve("test/fix/golden/runtimes");

type F = Partial<Finding> & Pick<Finding, "fingerprint" | "ruleId" | "location">;

export function finding(f: F): Finding {
  return {
    control: "secret-inventory",
    kind: "secret",
    severity: "high",
    title: f.ruleId,
    remediation: "Remove it from the agent's reach.",
    accepted: false,
    ...f,
  };
}

function agentConfig(
  fp: string,
  ruleId: string,
  runtime: string,
  target: string,
  params: Record<string, string | string[]> = {},
): Finding {
  return finding({
    fingerprint: fp,
    ruleId,
    control: "approval-gate",
    kind: "gate",
    location: { source: "agent-config", ...(params.file ? { path: params.file as string } : {}) },
    fix: { target, params: { runtime, ...params } },
  });
}

export const HOME = "/home/agent";

export function runtimeReport(): AuditReport {
  const findings: Finding[] = [
    // the environment
    finding({
      fingerprint: "env-anthropic",
      ruleId: "anthropic-api-key",
      location: { source: "env", name: "ANTHROPIC_API_KEY" },
      remediation: "Rotate the key and keep it out of the agent's environment; give the agent a scoped key.",
      secret: { provider: "anthropic", type: "api-key", preview: "sk-a…(108)" },
    }),
    finding({
      fingerprint: "env-github",
      ruleId: "github-pat-classic",
      location: { source: "env", name: "GITHUB_TOKEN" },
      remediation: "Revoke the token; use a fine-grained token limited to the agent's repositories.",
      secret: { provider: "github", type: "pat", preview: "ghp_…(40)" },
    }),
    finding({
      fingerprint: "env-github-scope",
      ruleId: "github-classic-pat-broad",
      control: "credential-scope",
      kind: "scope",
      location: { source: "env", name: "GITHUB_TOKEN" },
      remediation:
        "Use a fine-grained personal access token (github_pat_) limited to the agent's repositories.",
    }),
    finding({
      fingerprint: "env-proxy",
      ruleId: "proxy-url-credentials",
      location: { source: "env", name: "HTTPS_PROXY" },
      remediation: "Take the password out of the proxy URL.",
    }),
    finding({
      fingerprint: "process-github",
      ruleId: "github-pat-classic",
      location: { source: "process", path: "/proc/4242/environ", name: "GITHUB_TOKEN" },
    }),
    // the home and the tree
    finding({
      fingerprint: "home-ssh",
      ruleId: "ssh-private-keys",
      location: { source: "home", path: ".ssh/id_ed25519" },
    }),
    finding({
      fingerprint: "home-aws",
      ruleId: "aws-access-key-id",
      location: { source: "home", path: ".aws/credentials" },
    }),
    finding({
      fingerprint: "home-kube",
      ruleId: "kubeconfig",
      location: { source: "home", path: ".kube/config-staging" },
    }),
    finding({
      fingerprint: "home-gh",
      ruleId: "github-oauth-token",
      location: { source: "home", path: ".config/gh/hosts.yml" },
    }),
    finding({
      fingerprint: "home-pass",
      ruleId: "password-store",
      kind: "exposure",
      location: { source: "home", path: ".password-store" },
    }),
    finding({
      fingerprint: "home-key",
      ruleId: "google-service-account-key",
      location: { source: "home", path: "keys/ci-deployer.json" },
    }),
    finding({
      fingerprint: "home-odd",
      ruleId: "generic-secret",
      location: { source: "home", path: "odd/na*me[1].txt" },
    }),
    finding({
      fingerprint: "home-up",
      ruleId: "generic-secret",
      location: { source: "home", path: "../etc/shadow" },
    }),
    finding({
      fingerprint: "tree-env",
      ruleId: "stripe-secret-key",
      location: { source: "tree", path: ".env" },
    }),
    finding({
      fingerprint: "tree-key",
      ruleId: "private-key",
      location: { source: "tree", path: "certs/server.key" },
    }),
    finding({
      fingerprint: "mount",
      ruleId: "mounted-secret-file",
      location: { source: "mount", path: "/run/secrets/db" },
    }),
    // Claude Code
    agentConfig("cc-bypass", "claude-bypass-not-disabled", "claude-code", "gate-rules", {
      key: "permissions.disableBypassPermissionsMode",
      set: "permissions.disableBypassPermissionsMode=disable",
    }),
    agentConfig("cc-nogate", "claude-no-bash-gate", "claude-code", "gate-rules", { key: "permissions.deny" }),
    agentConfig("cc-creds", "claude-credential-read-unprotected", "claude-code", "gate-rules", {
      key: "permissions.deny",
    }),
    agentConfig("cc-sbx-user", "claude-sandbox-disabled", "claude-code", "runtime-sandbox", {
      file: `${HOME}/.claude/settings.json`,
      key: "sandbox.enabled",
    }),
    agentConfig("cc-sbx-project", "claude-sandbox-fail-open", "claude-code", "runtime-sandbox", {
      file: `${HOME}/work/.claude/settings.json`,
      key: "sandbox.failIfUnavailable",
    }),
    agentConfig("cc-excluded", "claude-sandbox-excluded-commands", "claude-code", "runtime-sandbox", {
      file: `${HOME}/.claude/settings.json`,
      key: "sandbox.excludedCommands[0]",
    }),
    agentConfig("cc-allow-all", "claude-allow-all-bash", "claude-code", "gate-rules", {
      file: `${HOME}/.claude/settings.json`,
      key: "permissions.allow[0]",
    }),
    agentConfig("cc-broad", "claude-sandbox-broad-domain", "claude-code", "egress-proxy", {
      file: `${HOME}/.claude/settings.json`,
      key: "sandbox.network.allowedDomains[0]",
    }),
    // Codex
    agentConfig("cx-full", "codex-full-access-no-approval", "codex", "gate-rules", {
      file: `${HOME}/.codex/config.toml`,
      key: "approval_policy",
    }),
    agentConfig("cx-profile", "codex-sandbox-off", "codex", "runtime-sandbox", {
      file: `${HOME}/.codex/config.toml`,
      key: "profiles.yolo.sandbox_mode",
    }),
    agentConfig("cx-gap", "codex-rules-gap", "codex", "gate-rules", { key: "prefix_rule" }),
    agentConfig("cx-invalid", "codex-rules-invalid", "codex", "gate-rules", {
      file: `${HOME}/.codex/rules/default.rules`,
      key: "prefix_rule",
    }),
    agentConfig("cx-req", "codex-requirements-unpinned", "codex", "gate-rules", {
      key: "allowed_approval_policies",
    }),
    // Gemini CLI
    agentConfig("gm-gap", "gemini-policy-gap", "gemini-cli", "gate-rules", { key: "rule" }),
    agentConfig("gm-yolo", "gemini-yolo-available", "gemini-cli", "gate-rules", {
      file: `${HOME}/.gemini/settings.json`,
      key: "security.disableYoloMode",
    }),
    // Hermes
    agentConfig("hm-off", "hermes-approvals-off", "hermes", "gate-rules", {
      file: `${HOME}/.hermes/config.yaml`,
      key: "approvals.mode",
    }),
    agentConfig("hm-local", "hermes-local-backend", "hermes", "runtime-sandbox", {
      file: `${HOME}/.hermes/config.yaml`,
      key: "terminal.backend",
    }),
    agentConfig("hm-yolo-env", "hermes-yolo-mode", "hermes", "gate-rules", { key: "HERMES_YOLO_MODE" }),
    agentConfig("hm-yolo-file", "hermes-yolo-mode", "hermes", "gate-rules", {
      file: `${HOME}/.hermes/.env`,
      key: "HERMES_YOLO_MODE",
    }),
    // sandbox-runtime
    agentConfig("srt-strict", "srt-strict-allowlist-off", "sandbox-runtime", "egress-proxy", {
      file: `${HOME}/.srt-settings.json`,
      key: "network.strictAllowlist",
    }),
    agentConfig("srt-cred", "srt-credential-read-allowed", "sandbox-runtime", "runtime-sandbox", {
      file: `${HOME}/.srt-settings.json`,
      key: "filesystem.denyRead",
      path: "~/.ssh/id_ed25519",
    }),
    agentConfig("srt-cred-odd", "srt-credential-read-allowed", "sandbox-runtime", "runtime-sandbox", {
      file: `${HOME}/.srt-settings.json`,
      key: "filesystem.denyRead",
      path: "~/odd/na*me[1].txt",
    }),
    agentConfig("srt-docker", "srt-unix-sockets-open", "sandbox-runtime", "runtime-sandbox", {
      file: `${HOME}/.srt-settings.json`,
      key: "network.allowUnixSockets[0]",
    }),
    agentConfig("srt-all-sockets", "srt-unix-sockets-open", "sandbox-runtime", "runtime-sandbox", {
      file: `${HOME}/.srt-settings.json`,
      key: "network.allowAllUnixSockets",
    }),
    agentConfig("srt-broad", "srt-broad-allowed-domain", "sandbox-runtime", "egress-proxy", {
      file: `${HOME}/.srt-settings.json`,
      key: "network.allowedDomains[0]",
    }),
  ];
  return {
    schemaVersion: 1,
    tool: { name: "agent-audit", version: "0.1.0" },
    target: { home: HOME, root: `${HOME}/work`, user: "agent", hostname: "box" },
    findings,
    probes: [],
    egress: { posture: "open" },
    checklist: [],
    score: { passed: 0, evaluated: 0, total: 6 },
    issues: [],
  };
}

export function runtimeOptions(over: Partial<FixOptions> = {}): FixOptions {
  return {
    allowlist: [
      { host: "api.anthropic.com", subdomains: false, reason: "ANTHROPIC_API_KEY found" },
      { host: "registry.npmjs.org", subdomains: false, reason: "--allowed-host" },
      { host: "pypi.org", subdomains: true, reason: "agent-audit.yaml egress.allowedHosts" },
    ],
    proxy: { url: "http://127.0.0.1:3128", host: "127.0.0.1", port: 3128 },
    proxyUser: "proxy",
    logPrefix: "agent-audit-egress: ",
    home: HOME,
    root: `${HOME}/work`,
    kubernetes: { namespace: "agents", podLabels: { app: "agent" } },
    gateCommand: "agent-audit",
    ...over,
  };
}

/**
 * Golden comparison: the paths whose content differs from test/fix/golden/runtimes/<path>.golden
 * (the suffix keeps `biome check .` from reformatting the JSON goldens).
 */
export function goldenMismatches(files: readonly GeneratedFile[]): string[] {
  const update = process.env.AGENT_AUDIT_UPDATE_GOLDEN === "1";
  const bad: string[] = [];
  for (const f of files) {
    const at = join(GOLDEN, `${f.path}.golden`);
    if (update) {
      mkdirSync(dirname(at), { recursive: true });
      writeFileSync(at, f.content);
      continue;
    }
    let want: string | undefined;
    try {
      want = readFileSync(at, "utf8");
    } catch {
      want = undefined;
    }
    if (want !== f.content) bad.push(f.path);
  }
  return bad;
}
