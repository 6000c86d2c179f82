// `agent-audit fix` (issue 12): the shared shapes of the generators (pure: report + options in,
// files out) and of apply/rollback (the only code that writes outside --out).

import type { AuditReport, StepId } from "../contract/types.js";

/** The targets `--only` names, in the order the README lists them. Part of the contract. */
export const FIX_TARGETS = [
  "squid",
  "nftables",
  "iptables",
  "kubernetes",
  "claude-code",
  "codex",
  "gemini",
  "hermes",
  "sandbox-runtime",
  "env",
  "alerting",
] as const;
export type FixTarget = (typeof FIX_TARGETS)[number];

/** One allowlist entry: a host name the agent may reach through the proxy, and why it is there. */
export interface AllowedHost {
  /** A lower-case DNS name without a trailing dot (never an IP literal, never a wildcard). */
  host: string;
  /** true: the host and every name below it (`*.host` and `host`); false: the name exactly. */
  subdomains: boolean;
  /** Why it is on the list: `agent-audit.yaml egress.allowedHosts`, `--allowed-host`, or what the inventory found. */
  reason: string;
}

/** The proxy every generated config sends the agent's traffic through. */
export interface ProxySpec {
  /** `http://127.0.0.1:3128` by default. */
  url: string;
  /** An IPv4 or IPv6 literal, or a name (then the firewall cannot pin it: see the README). */
  host: string;
  port: number;
}

export interface FixOptions {
  allowlist: AllowedHost[];
  proxy: ProxySpec;
  /** Narrow the firewall to this user's traffic (`--agent-user`); absent: every process but the proxy's user. */
  agentUser?: string;
  /** The user the local proxy runs as (`proxy` on Debian's squid), exempt from the firewall when it runs on this host. */
  proxyUser: string;
  /** One pinned DNS resolver the firewall lets through (UDP and TCP 53); absent: no DNS except through the proxy. */
  dnsResolver?: string;
  /** The prefix of firewall log lines (what `agent-audit watch` reads). */
  logPrefix: string;
  /** The agent's home (where runtime configs go: ~/.claude/settings.json, ~/.codex/, ...). */
  home: string;
  /** The agent's working tree. */
  root: string;
  /** Kubernetes: the namespace and the pod labels of the agent pods. */
  kubernetes: { namespace: string; podLabels: Record<string, string> };
  /** How the gate is invoked in the hooks (`agent-audit`, or an absolute path); also the watcher's command. */
  gateCommand: string;
  /** Extra sinks of the generated watcher config (`--alert-sink`), beside its file and syslog sinks. */
  alertSinks?: string[];
}

/** Where a generated file goes when `--apply` puts it in place, and how it is merged there. */
export interface InstallSpec {
  /** The absolute destination path. */
  dest: string;
  /**
   * `json`, `toml`, `yaml`: merged into an existing file key by key (the generated keys win, lists
   * are unioned, the user's other keys stay); `replace`: the file is ours (a backup is kept).
   */
  merge: "json" | "toml" | "yaml" | "replace";
  /** What loads it after it is written: `nft -f`, `squid -k reconfigure`, `iptables-restore`. */
  activate?: "nftables" | "squid" | "iptables" | "ip6tables";
  /** Needs root (a system path): apply refuses, with the reason, without it. */
  privileged: boolean;
  /** The file mode when created (0o644 unless given; an existing file keeps its own). */
  mode?: number;
}

export interface GeneratedFile {
  /** The path inside --out, with `/` (one of the contract's names, e.g. `kubernetes/networkpolicy.yaml`). */
  path: string;
  target: FixTarget;
  content: string;
  /** 0o755 for scripts; 0o644 otherwise. */
  mode: number;
  /** The checklist steps it helps close, and the fingerprints of the findings it answers. */
  closes: { steps: StepId[]; findings: string[] };
  /** One line: what it is. */
  summary: string;
  /** How to load it by hand (README.md in --out), one or more lines of shell or prose. */
  load: string[];
  /** Where `--apply` puts it; absent: never applied (e.g. Kubernetes manifests go through kubectl). */
  install?: InstallSpec;
}

/** A generator: pure, no I/O. */
export type Generator = (report: AuditReport, opts: FixOptions) => GeneratedFile[];
