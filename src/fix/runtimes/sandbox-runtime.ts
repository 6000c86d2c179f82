import { join } from "node:path";
import type { AuditReport, Finding } from "../../contract/types.js";
import type { GeneratedFile, Generator } from "../types.js";
import {
  credentialLocations,
  deniedDomains,
  domainPatterns,
  fingerprints,
  param,
  runtimeFindings,
  steps,
} from "./common.js";

// sandbox-runtime (srt; issue 12; research §1.1): ~/.srt-settings.json with the allowlist as
// network.allowedDomains (apex and `*.` for subdomains: srt's `*.x` does not cover x), the
// publishable subdomains of allowed wildcards denied, strictAllowlist (deny instead of asking; older
// srt builds drop the key and deny only without an ask callback), no local binding, no Unix
// sockets, the weakening switches off, and every credential location in filesystem.denyRead.
// Steps: egress-proxy (the allowlist) and approval-gate (the srt checks of rules/runtime are step 5's:
// credential reads, weakened isolation). Not secret-inventory: step 1 passes when the secrets are
// acknowledged in the baseline, which denying reads does not change.

export function srtSettings(
  report: AuditReport,
  allowlist: Parameters<typeof domainPatterns>[0],
): Record<string, unknown> {
  const { home, tree } = credentialLocations(report);
  return {
    network: {
      allowedDomains: domainPatterns(allowlist).domains,
      deniedDomains: deniedDomains(allowlist),
      strictAllowlist: true,
      allowLocalBinding: false,
      allowAllUnixSockets: false,
    },
    filesystem: {
      denyRead: [...home.map((p) => `~/${p}`), ...tree.map((p) => `./${p}`)],
      disabled: false,
    },
    enableWeakerNestedSandbox: false,
    enableWeakerNetworkIsolation: false,
    allowAppleEvents: false,
  };
}

/** srt reads one file, so every finding's file is this one: the scalars ours set and the credential reads ours deny. */
const CLOSED = new Set([
  "srt-strict-allowlist-off",
  "srt-local-binding",
  "srt-weaker-nested-sandbox",
  "srt-weaker-network-isolation",
  "srt-allow-apple-events",
  "srt-filesystem-disabled",
  "srt-credential-read-allowed",
  "srt-unix-sockets-open",
]);

function closed(report: AuditReport): Finding[] {
  const { home } = credentialLocations(report);
  const denied = (path: string | undefined) => {
    const rel = path?.startsWith("~/") ? path.slice(2) : undefined;
    return rel !== undefined && home.some((h) => rel === h || rel.startsWith(`${h}/`));
  };
  return runtimeFindings(report, "sandbox-runtime", ["gate-rules", "runtime-sandbox", "egress-proxy"]).filter(
    (f) =>
      CLOSED.has(f.ruleId) &&
      // allowAllUnixSockets is ours; a docker.sock entry of allowUnixSockets stays after the merge.
      (f.ruleId !== "srt-unix-sockets-open" || param(f, "key") === "network.allowAllUnixSockets") &&
      // A credential path is answered when our denyRead covers it (its name had no unusual characters).
      (f.ruleId !== "srt-credential-read-allowed" || denied(param(f, "path"))),
  );
}

export const generateSandboxRuntime: Generator = (report, opts): GeneratedFile[] => {
  const dest = join(opts.home, ".srt-settings.json");
  const answered = closed(report);
  const done = new Set(answered.map((f) => f.fingerprint));
  const byHand = [
    ...new Set(
      runtimeFindings(report, "sandbox-runtime", ["gate-rules", "runtime-sandbox", "egress-proxy"])
        .filter((f) => !done.has(f.fingerprint))
        .map((f) => f.ruleId),
    ),
  ].sort();
  const { rejected } = domainPatterns(opts.allowlist);
  return [
    {
      path: "sandbox-runtime/srt-settings.json",
      target: "sandbox-runtime",
      content: `${JSON.stringify(srtSettings(report, opts.allowlist), null, 2)}\n`,
      mode: 0o644,
      closes: { steps: steps("egress-proxy", "approval-gate"), findings: fingerprints(answered) },
      summary:
        "sandbox-runtime settings: network limited to the allowlist (strict), credential paths unreadable, weakening switches off",
      load: [
        `Merge into ${dest} (agent-audit fix --apply does it key by key; lists are unioned), or pass it with srt --settings FILE.`,
        "Run the agent inside it: srt <agent command> (srt reads the file at start).",
        "srt's own proxy connects from the agent's user: with the generated firewall it cannot reach the allowed hosts directly; chain it to the proxy (network.parentProxy in srt builds that have it) or run srt where the proxy is reachable.",
        ...(rejected.length
          ? [
              `Left out of network.allowedDomains (not a DNS name srt accepts): ${rejected.length} entr${rejected.length === 1 ? "y" : "ies"}.`,
            ]
          : []),
        ...(byHand.length
          ? [`Not answered by this file (fix by hand, see the findings): ${byHand.join(", ")}.`]
          : []),
      ],
      install: { dest, merge: "json", privileged: false },
    },
  ];
};
