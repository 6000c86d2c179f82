import { join } from "node:path";
import type { AuditReport, Finding } from "../../contract/types.js";
import { shellQuote } from "../../util/shell-quote.js";
import type { FixOptions, GeneratedFile, Generator } from "../types.js";
import {
  credentialLocations,
  deniedDomains,
  domainPatterns,
  fingerprints,
  param,
  runtimeFindings,
  steps,
} from "./common.js";

// Claude Code (issue 12; research §2.3-2.5): user settings (~/.claude/settings.json) with
// - the agent-audit gate as a synchronous PreToolUse hook on Bash, `|| exit 2` so a missing or
//   crashing gate blocks (Claude Code lets exit 1 and 127 through), timeout 30 s;
// - bypass mode disabled;
// - Read and Edit deny rules for the standard credential locations and every credential path the
//   inventory found, Edit denies and ask rules for the categories of claude-no-bash-gate;
// - the sandbox on, failing closed, no unsandboxed retries, network limited to the allowlist
//   (strictAllowlist: hosts outside it are denied, not asked about), credential paths unreadable;
// - the proxy variables in `env`, so Claude Code's own traffic and the sandbox's upstream go through
//   the proxy.
// Managed-only keys (allowManagedDomainsOnly, ...) are left out: in user settings they are ignored.

/** Commands of the dangerous categories claude-no-bash-gate names, asked about (a person can approve). */
const ASK = ["Bash(npm install *)", "Bash(pip install *)", "Bash(curl *)", "Bash(wget *)", "Bash(rm -rf *)"];

/** The hook command: the gate, and exit 2 (block) whatever goes wrong with it. */
export function hookCommand(gateCommand: string): string {
  return `${shellQuote(gateCommand)} gate hook claude-code || exit 2`;
}

export function claudeSettings(report: AuditReport, opts: FixOptions): Record<string, unknown> {
  const { home, tree } = credentialLocations(report);
  const dirs = new Set([".ssh", ".aws", ".config/gcloud", ".kube"]);
  const homeRule = (p: string) => (dirs.has(p) ? `~/${p}/**` : `~/${p}`);
  const deny = [
    ...home.map((p) => `Read(${homeRule(p)})`),
    ...tree.map((p) => `Read(./${p})`),
    ...home.map((p) => `Edit(${homeRule(p)})`),
    ...tree.map((p) => `Edit(./${p})`),
  ];
  const { domains } = domainPatterns(opts.allowlist);
  const denied = deniedDomains(opts.allowlist);
  return {
    permissions: {
      disableBypassPermissionsMode: "disable",
      deny,
      ask: ASK,
    },
    hooks: {
      PreToolUse: [
        {
          matcher: "Bash",
          hooks: [{ type: "command", command: hookCommand(opts.gateCommand), timeout: 30 }],
        },
      ],
    },
    sandbox: {
      enabled: true,
      failIfUnavailable: true,
      allowUnsandboxedCommands: false,
      enableWeakerNestedSandbox: false,
      enableWeakerNetworkIsolation: false,
      network: {
        allowedDomains: domains,
        ...(denied.length ? { deniedDomains: denied } : {}),
        strictAllowlist: true,
        allowLocalBinding: false,
        allowAllUnixSockets: false,
      },
      filesystem: {
        denyRead: [...home.map((p) => `~/${p}`), ...tree.map((p) => `./${p}`)],
      },
    },
    env: {
      HTTPS_PROXY: opts.proxy.url,
      HTTP_PROXY: opts.proxy.url,
      NO_PROXY: "localhost,127.0.0.1,::1",
    },
  };
}

/** Findings the merged user settings answer. */
function closed(report: AuditReport, dest: string): Finding[] {
  return runtimeFindings(report, "claude-code", ["gate-rules", "runtime-sandbox"]).filter((f) => {
    const file = param(f, "file");
    const key = param(f, "key") ?? "";
    switch (f.ruleId) {
      // disableBypassPermissionsMode counts from any scope; rules and hooks merge across scopes.
      case "claude-bypass-not-disabled":
      case "claude-bypass-permissions-mode":
      case "claude-no-bash-gate":
        return true;
      // Unless a credential path could not be written as a rule (unusual characters).
      case "claude-credential-read-unprotected":
        return credentialLocations(report).skipped === 0;
      // Scalars: ours win in the user settings; a project, local or managed value stays above ours.
      case "claude-sandbox-disabled":
      case "claude-sandbox-fail-open":
      case "claude-sandbox-unsandboxed-commands":
      case "claude-sandbox-weaker-isolation":
        return file === undefined || file === dest;
      case "claude-sandbox-unix-sockets":
        return (file === undefined || file === dest) && key === "sandbox.network.allowAllUnixSockets";
      default:
        return false;
    }
  });
}

export const generateClaudeCode: Generator = (report, opts): GeneratedFile[] => {
  const dest = join(opts.home, ".claude/settings.json");
  const answered = closed(report, dest);
  const done = new Set(answered.map((f) => f.fingerprint));
  const open = runtimeFindings(report, "claude-code", ["gate-rules", "runtime-sandbox"]).filter(
    (f) => !done.has(f.fingerprint),
  );
  const byHand = [...new Set(open.map((f) => f.ruleId))].sort();
  const { rejected } = domainPatterns(opts.allowlist);
  const { skipped } = credentialLocations(report);
  return [
    {
      path: "claude-code/settings.json",
      target: "claude-code",
      content: `${JSON.stringify(claudeSettings(report, opts), null, 2)}\n`,
      mode: 0o644,
      closes: {
        steps: steps("approval-gate", ...(opts.allowlist.length ? (["egress-proxy"] as const) : [])),
        findings: fingerprints(answered),
      },
      summary:
        "Claude Code user settings: the agent-audit gate as a PreToolUse hook on Bash, credential Read/Edit denies, the sandbox on with the allowlist",
      load: [
        `Merge into ${dest} (agent-audit fix --apply does it key by key; lists are unioned, your other keys stay).`,
        "Better still, put the same keys in /etc/claude-code/managed-settings.json (root-owned), which the agent cannot edit.",
        `The hook runs \`${hookCommand(opts.gateCommand)}\`: the gate must be installed on the agent's PATH (or give --gate-command an absolute path).`,
        "Restart Claude Code (settings are read at start); check with: agent-audit scan --sources home",
        ...(rejected.length
          ? [
              `Left out of sandbox.network.allowedDomains (not a DNS name the sandbox accepts): ${rejected.length} entr${rejected.length === 1 ? "y" : "ies"}.`,
            ]
          : []),
        ...(skipped
          ? [`Credential paths with unusual characters not written as deny rules: ${skipped}.`]
          : []),
        ...(byHand.length
          ? [`Not answered by this file (fix by hand, see the findings): ${byHand.join(", ")}.`]
          : []),
      ],
      install: { dest, merge: "json", privileged: false },
    },
  ];
};
