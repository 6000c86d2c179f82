import type { FindingKind, Severity, StepId } from "../contract/types.js";

// The rules whose findings are decided in code, not by a file under rules/: the mounted-secret
// fallback and the token files of src/sources/mounts.ts, the sockets of src/sources/sockets.ts and
// the egress verdicts of src/capabilities/egress/verdict.ts (issue 9). Those modules take the id,
// severity, control and every fixed text from here: `CODE_RULES[id]` is typed by the ids declared
// below, so a finding cannot carry an id this catalog does not know. A title or remediation that
// depends on what was found (a probe's target, a key count) is written at the use site; the text
// here is the rule's own, as the SARIF rule list and the docs show it.

/** A rule declared in code. */
export interface CodeRule {
  id: string;
  /** The rule's title (the catalog's; a finding may carry a more specific one). */
  title: string;
  severity: Severity;
  control: StepId;
  kind: FindingKind;
  /** The fix, when it is the same for every finding of the rule (otherwise written at the use site). */
  remediation: string;
  /** For secrets: the provider and type a finding reports. */
  provider?: string;
  type?: string;
}

/** The nftables output policy the default-deny remediations quote. */
export const DROP_RULE =
  "make the sandbox's output policy drop and allow only loopback, established traffic and the proxy, e.g. nftables " +
  '`table inet agent { chain output { type filter hook output priority 0; policy drop; oif "lo" accept; ' +
  "ct state established,related accept; ip daddr <proxy-ip> tcp dport <proxy-port> accept } }`";

const list = [
  // src/sources/mounts.ts: token files whose place says what they are.
  {
    id: "kubernetes-service-account-token",
    title: "Kubernetes service-account token mounted into the pod",
    severity: "high",
    control: "secret-inventory",
    kind: "secret",
    provider: "kubernetes",
    type: "service-account-token",
    remediation:
      "Set automountServiceAccountToken: false on the pod or its service account unless the agent must call the Kubernetes API; otherwise bind a service account with a minimal Role.",
  },
  {
    // IRSA: a projected token exchanged with AssumeRoleWithWebIdentity (AWS_WEB_IDENTITY_TOKEN_FILE).
    id: "aws-eks-web-identity-token",
    title:
      "AWS web identity token (EKS IRSA) mounted into the pod: it can be exchanged for the role's credentials",
    severity: "high",
    control: "secret-inventory",
    kind: "secret",
    provider: "aws",
    type: "web-identity-token",
    remediation:
      "Do not annotate the agent's service account with an IAM role unless it needs one; scope the role's policy to the few actions the agent must perform.",
  },
  {
    id: "aws-eks-pod-identity-token",
    title: "EKS Pod Identity token mounted into the pod: it can be exchanged for the role's credentials",
    severity: "high",
    control: "secret-inventory",
    kind: "secret",
    provider: "aws",
    type: "pod-identity-token",
    remediation:
      "Remove the Pod Identity association for the agent's service account unless it needs AWS access; scope the role's policy to the few actions the agent must perform.",
  },
  // src/sources/mounts.ts: any other file in a secrets mount that no content rule matched.
  {
    id: "mounted-secret-file",
    title: "Secret file mounted into the sandbox",
    severity: "high",
    control: "secret-inventory",
    kind: "secret",
    provider: "mount",
    type: "secret-file",
    remediation:
      "Mount only the secrets this agent needs; keep the rest out of its container or service, or behind a proxy that injects them at the point of use.",
  },
  // src/detect/parsers/pkcs12.ts: a .p12 / .pfx key store (selected by the tree-pkcs12-keystore and
  // home-pkcs12-keystore path rules) that anyone can open.
  {
    id: "pkcs12-default-password",
    title: "PKCS#12 key store (.p12 / .pfx) that opens without its owner's password",
    severity: "critical",
    control: "secret-inventory",
    kind: "secret",
    provider: "pkcs12",
    type: "private-key",
    remediation:
      "Remove the key store from where the agent can read it (and from the repository's history), revoke its certificate and replace the key; export key stores with a strong password (Google Cloud: use JSON keys or, better, workload identity).",
  },
  // src/sources/sockets.ts.
  {
    id: "socket-container-runtime",
    title:
      "Container engine socket reachable: the agent can start a privileged container and escape the sandbox",
    severity: "critical",
    control: "secret-inventory",
    kind: "exposure",
    type: "container-runtime-socket",
    remediation:
      "Do not mount the engine socket into the agent's sandbox; if the agent must build images, give it a rootless builder or a socket proxy that allows only the API calls it needs.",
  },
  {
    id: "socket-ssh-agent-keys",
    title:
      "SSH agent reachable with keys loaded: the agent can authenticate as their owner without reading a key file",
    severity: "high",
    control: "secret-inventory",
    kind: "exposure",
    provider: "ssh",
    type: "agent-keys",
    remediation:
      "Do not forward SSH_AUTH_SOCK into the agent's sandbox; give it a deploy key scoped to one repository, or confirm each use (ssh-add -c).",
  },
  // src/capabilities/egress/verdict.ts: step 2, default-deny egress.
  {
    id: "egress-direct-tcp-open",
    title: "Direct TCP to a canary connects: traffic leaves without the proxy",
    severity: "high",
    control: "default-deny-egress",
    kind: "egress",
    // For an IPv6 canary the use site adds that the inet family covers both families.
    remediation: `Default-deny egress: ${DROP_RULE}.`,
  },
  {
    id: "egress-direct-port-open",
    title: "Direct TCP to a non-HTTP port connects: a channel out beside the proxy",
    severity: "high",
    control: "default-deny-egress",
    kind: "egress",
    remediation: `Do not allow non-HTTP ports to any destination (Claude Code's init-firewall.sh allows TCP 22 everywhere): ${DROP_RULE}; send SSH through the proxy (CONNECT to allowlisted hosts).`,
  },
  {
    id: "egress-direct-http-open",
    title: "Direct HTTP to a canary gets an answer",
    severity: "high",
    control: "default-deny-egress",
    kind: "egress",
    remediation: `Default-deny egress: ${DROP_RULE}.`,
  },
  {
    id: "egress-dns-outside-resolver",
    title: "DNS questions reach an outside resolver directly: a DNS tunnel out",
    severity: "high",
    control: "default-deny-egress",
    kind: "egress",
    remediation:
      "Drop UDP and TCP port 53 except to the sandbox's own resolver (nftables: `udp dport 53 ip daddr != <resolver> drop`, same for tcp), or give the sandbox no DNS and resolve at the proxy (anthropics/claude-code#36907).",
  },
  {
    id: "egress-dns-configured-resolver",
    title:
      "The configured resolver resolves outside names: queries for an attacker's domain leave through it",
    severity: "medium",
    control: "default-deny-egress",
    kind: "egress",
    remediation:
      "Resolve names at the proxy only (no resolver reachable in the sandbox, as sandbox-runtime does with socks5h), or use a resolver that answers only for allowlisted domains.",
  },
  {
    id: "egress-metadata-reachable",
    title: "A cloud metadata endpoint answers: the machine's role credentials are one request away",
    severity: "critical",
    control: "default-deny-egress",
    kind: "egress",
    remediation:
      "Drop the metadata addresses in the sandbox's output chain (nftables: `ip daddr { 169.254.169.254, 100.100.100.200 } drop`, `ip6 daddr fd00:ec2::254 drop`); on AWS also require IMDSv2 with a hop limit of 1.",
  },
  {
    id: "egress-ipv6-unfiltered",
    title: "The firewall denies IPv4 egress by default but not IPv6",
    severity: "high",
    control: "default-deny-egress",
    kind: "egress",
    remediation:
      "Use one nftables `inet` table for both families, or mirror every iptables rule with ip6tables and set `ip6tables -P OUTPUT DROP` (anthropics/claude-code#24952).",
  },
  // src/capabilities/egress/verdict.ts: step 3, the egress proxy.
  {
    id: "egress-proxy-missing",
    title: "No egress proxy is configured: the agent has no allowlisted, logged way out",
    severity: "medium",
    control: "egress-proxy",
    kind: "egress",
    remediation:
      "Run an allowlisting proxy (squid, smokescreen, sandbox-runtime) and point the agent at it with HTTPS_PROXY/HTTP_PROXY; allow only it through the firewall.",
  },
  {
    id: "egress-proxy-unreachable",
    title: "The configured egress proxy cannot be reached: the agent has no working allowlisted way out",
    severity: "medium",
    control: "egress-proxy",
    kind: "egress",
    remediation:
      "Start the proxy or fix HTTPS_PROXY/HTTP_PROXY to point at it; a dead proxy is no control, and anyone who can set the agent's environment can point it at one to hide a missing proxy.",
  },
  {
    id: "egress-proxy-allows-canary",
    title: "The proxy lets a canary through",
    severity: "high",
    control: "egress-proxy",
    kind: "egress",
    remediation:
      "Make the proxy an allowlist that ends in a default deny (squid: `http_access allow agent allowed_dst` then `http_access deny all`; sandbox-runtime: keep the host out of allowedDomains; Smokescreen: action enforce) and list only the hosts the agent needs.",
  },
  {
    id: "egress-proxy-allows-ip-literal",
    title: "The proxy tunnels to an IP literal: name-based rules can be skipped",
    severity: "high",
    control: "egress-proxy",
    kind: "egress",
    remediation:
      "Refuse IP-literal destinations at the proxy: squid `acl allowed_dst dstdomain -n …` (no reverse DNS of IP URLs) with `http_access deny all` last; Smokescreen and sandbox-runtime match names only, so allow no address ranges.",
  },
  {
    id: "egress-proxy-allows-metadata",
    title: "The proxy forwards a request to a metadata address",
    severity: "critical",
    control: "egress-proxy",
    kind: "egress",
    remediation:
      "Deny link-local and metadata destinations at the proxy after canonicalising and resolving the host (squid: `http_access deny to_linklocal` before any allow; Smokescreen denies them by default).",
  },
  {
    id: "egress-proxy-blocks-allowed-host",
    title: "The proxy refuses a host the agent needs",
    severity: "medium",
    control: "egress-proxy",
    kind: "egress",
    remediation:
      "Add the host to the proxy allowlist (squid: `acl allowed_dst dstdomain -n <name>`; sandbox-runtime: allowedDomains); an allowlist that blocks what the agent needs gets switched off.",
  },
  {
    id: "egress-proxy-wildcard-apex",
    title: "The apex of a wildcard allowlist entry is reachable through the proxy",
    severity: "low",
    control: "egress-proxy",
    kind: "egress",
    remediation:
      "If the agent does not need the apex, allow subdomains only: squid `.example.com` also matches example.com, sandbox-runtime and Smokescreen `*.example.com` do not.",
  },
  // src/app/gate-verify.ts: step 5 with `scan --verify-gates` (issue 11): a configured gate replayed
  // over the dangerous-command corpus, judged as its runtime judges it.
  {
    id: "gate-verify-miss",
    title: "A configured gate lets dangerous commands through when tested with the corpus",
    severity: "high",
    control: "approval-gate",
    kind: "gate",
    remediation:
      "Replace the hook with one that parses the command (`agent-audit gate hook claude-code` or `agent-audit gate hook gemini`), or add ask/deny rules for the categories it missed; re-run `agent-audit gate verify` until every dangerous category is caught.",
  },
  {
    id: "gate-verify-fails-open",
    title:
      "A configured gate fails open: it errors, times out or cannot start, and the runtime lets the command through",
    severity: "high",
    control: "approval-gate",
    kind: "gate",
    remediation:
      "Fix the hook so it always answers within its timeout: exit 2 or a JSON deny on any internal error, a path that exists and is executable, a timeout of a few seconds; a hook that crashes, exits 1 or 127, or times out never blocks.",
  },
] as const satisfies readonly CodeRule[];

/** The id of a rule declared in code. */
export type CodeRuleId = (typeof list)[number]["id"];

/** The rules declared in code, in declaration order. */
export const CODE_RULE_LIST: readonly CodeRule[] = list;

/** The rules declared in code, by id: the only way code names a rule id it emits. */
export const CODE_RULES: { readonly [K in CodeRuleId]: Extract<(typeof list)[number], { id: K }> } =
  Object.fromEntries(list.map((r) => [r.id, r])) as never;
