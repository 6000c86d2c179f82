import type { AuditReport, Finding } from "../../contract/types.js";
import { maskTokens, showable } from "../../detect/echo.js";
import { shellQuote } from "../../util/shell-quote.js";
import type { GeneratedFile, Generator, ProxySpec } from "../types.js";
import { fingerprints, param, steps } from "./common.js";

// The environment launcher (issue 12): `agent-env.sh COMMAND [ARGS...]` starts the agent with
// `env -i` and only the variables it needs: HOME, PATH, USER, LANG and TERM passed through when set,
// and the proxy variables set to the proxy. Every other variable, among them the secrets the report
// found in the environment, is dropped; a comment lists those by name with the finding's
// remediation. Names are written only when they read as plain names (a token where a name belongs is
// shown by its length), remediations with every secret-looking run masked. No value is ever written.

/** Variables passed through from the caller's environment when set. */
export const KEEP = ["HOME", "PATH", "USER", "LANG", "TERM"] as const;
export const NO_PROXY = "localhost,127.0.0.1,::1";
/** Variables the launcher sets to the proxy. */
export const PROXY_VARS = ["HTTPS_PROXY", "HTTP_PROXY", "https_proxy", "http_proxy"] as const;

/** What a proxy URL may hold: a scheme, a host (name, IPv4 or bracketed IPv6) and a port; no userinfo, path or query. */
const SAFE_PROXY = /^https?:\/\/(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?\/?$/;

export class UnsafeProxyUrlError extends Error {}

/** Refuses a proxy URL outside the safe set (the URL itself is never repeated: it could hold a password). */
export function checkProxyUrl(proxy: ProxySpec): string {
  if (!SAFE_PROXY.test(proxy.url))
    throw new UnsafeProxyUrlError(
      "agent-env.sh: the proxy URL must be http:// or https:// with a host and a port only (no user, password, path or unusual characters)",
    );
  return proxy.url;
}

/** One line of text for a shell comment: no control characters, secrets masked, at most 200 characters. */
function commentText(text: string): string {
  const one = maskTokens(text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, " ")).trim();
  return one.length > 200 ? `${one.slice(0, 199)}…` : one;
}

function shownName(name: string): string {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) && showable(name)
    ? name
    : `<${name.length} characters, not shown>`;
}

/** The environment findings: secrets (and their scope findings) in variables the launcher drops. */
export function envFindings(report: AuditReport): Finding[] {
  return report.findings.filter(
    (f) =>
      f.location.source === "env" &&
      f.location.name !== undefined &&
      (f.control === "secret-inventory" || f.control === "credential-scope"),
  );
}

export function agentEnvScript(report: AuditReport, proxy: ProxySpec): string {
  const url = checkProxyUrl(proxy);
  const byName = new Map<string, string[]>();
  for (const f of envFindings(report)) {
    const name = f.location.name!;
    const list = byName.get(name) ?? [];
    const line = commentText(f.remediation);
    if (line && !list.includes(line)) list.push(line);
    byName.set(name, list);
  }
  const removed: string[] = [];
  const names = [...byName.keys()].sort();
  for (const name of names) {
    const kept = (KEEP as readonly string[]).includes(name);
    const replaced = (PROXY_VARS as readonly string[]).includes(name) || name === "NO_PROXY";
    const what = kept
      ? "KEPT (passed through: move the secret out of it)"
      : replaced
        ? "replaced by the proxy"
        : "removed";
    removed.push(`#   ${shownName(name)}: ${what}`);
    for (const r of byName.get(name)!) removed.push(`#     ${r}`);
  }
  const lines = [
    "#!/bin/sh",
    "# agent-env.sh (agent-audit fix, issue 12): start an agent with a scrubbed environment.",
    "#   agent-env.sh COMMAND [ARGS...]      e.g. agent-env.sh claude",
    "# Only these variables reach the agent: HOME, PATH, USER, LANG, TERM (when set), and the proxy",
    "# variables HTTPS_PROXY, HTTP_PROXY, https_proxy, http_proxy, NO_PROXY, no_proxy. Everything",
    "# else is dropped. If the agent itself needs a variable (its model provider's key), add its name",
    "# to KEEP, knowing every command the agent runs can read it.",
    "#",
    ...(removed.length
      ? ["# Secret-holding variables the audit found in the environment:", ...removed]
      : ["# The audit found no secret in the environment."]),
    "set -eu",
    `KEEP=${shellQuote(KEEP.join(" "))}`,
    `PROXY=${shellQuote(url)}`,
    `NOPROXY=${shellQuote(NO_PROXY)}`,
    'if [ "$#" -eq 0 ]; then',
    "  echo 'usage: agent-env.sh COMMAND [ARGS...]' >&2",
    "  exit 64",
    "fi",
    'case "$1" in',
    "  *=*) echo 'agent-env.sh: the command must not contain \"=\" (env would read it as a variable)' >&2; exit 64 ;;",
    "esac",
    "# The kept variables go in front of the command, in reverse order, after the proxy variables.",
    "for name in $KEEP; do",
    '  case "$name" in',
    "    '' | [0-9]* | *[!A-Za-z0-9_]*) echo 'agent-env.sh: KEEP holds a name that is not a variable name' >&2; exit 64 ;;",
    "  esac",
    // biome-ignore lint/suspicious/noTemplateCurlyInString: shell text, not a template
    '  eval "isset=\\${$name+x}"',
    '  if [ -n "$isset" ]; then',
    '    eval "value=\\$$name"',
    '    set -- "$name=$value" "$@"',
    "  fi",
    "done",
    `exec /usr/bin/env -i ${PROXY_VARS.map((v) => `${v}="$PROXY"`).join(" ")} NO_PROXY="$NOPROXY" no_proxy="$NOPROXY" "$@"`,
    "",
  ];
  return lines.join("\n");
}

export const generateEnv: Generator = (report, opts): GeneratedFile[] => {
  const found = envFindings(report);
  // A secret in a kept variable stays readable; in a proxy variable it is replaced.
  const answered = found.filter((f) => !(KEEP as readonly string[]).includes(f.location.name!));
  // HERMES_YOLO_MODE in the agent's environment (not in ~/.hermes/.env) is dropped too.
  const yolo = report.findings.filter(
    (f) => f.ruleId === "hermes-yolo-mode" && param(f, "file") === undefined,
  );
  return [
    {
      path: "agent-env.sh",
      target: "env",
      content: agentEnvScript(report, opts.proxy),
      mode: 0o755,
      closes: {
        steps: steps("credential-scope", "egress-proxy"),
        findings: fingerprints([...answered, ...yolo]),
      },
      summary:
        "Launcher that starts the agent with env -i: only HOME, PATH, USER, LANG, TERM and the proxy variables",
      load: [
        "Start the agent through it: ./agent-env.sh claude (or codex, gemini, hermes), e.g. in its service unit or wrapper.",
        "Not installed by --apply: the operator starts the agent with it.",
      ],
    },
  ];
};
