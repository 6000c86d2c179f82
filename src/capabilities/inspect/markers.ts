import type { EnvMarker, RuntimeId } from "../../contract/types.js";

// Environment markers (issue 10): variables a runtime sets in the commands it runs, or reads its
// configuration from, that tell which runtime and sandbox the scan runs under. Reported as context,
// not findings. A value is quoted only when it is one of the few the runtime itself writes; any
// other value (the agent can set these too) is reported as "set".

interface MarkerSpec {
  runtime: RuntimeId;
  meaning: string;
  /** Values worth quoting (the runtime's own); anything else reads as "set". */
  values?: readonly string[];
}

const MARKERS: Record<string, MarkerSpec> = {
  CLAUDECODE: { runtime: "claude-code", meaning: "runs inside a Claude Code session", values: ["1"] },
  CLAUDE_CODE_CHILD_SESSION: {
    runtime: "claude-code",
    meaning: "runs in a child session of Claude Code",
    values: ["1"],
  },
  CLAUDE_CONFIG_DIR: {
    runtime: "claude-code",
    meaning: "Claude Code reads its user settings from this directory",
  },
  CLAUDE_CODE_SUBPROCESS_ENV_SCRUB: {
    runtime: "claude-code",
    meaning: "Claude Code strips cloud and Anthropic credentials from subprocesses",
    values: ["1", "0", "true", "false"],
  },
  SANDBOX_RUNTIME: {
    runtime: "sandbox-runtime",
    meaning: "runs inside sandbox-runtime (srt): network only through its allowlisting proxy",
    values: ["1"],
  },
  CODEX_SANDBOX: { runtime: "codex", meaning: "runs inside the Codex sandbox", values: ["seatbelt"] },
  CODEX_SANDBOX_NETWORK_DISABLED: {
    runtime: "codex",
    meaning: "runs inside the Codex sandbox with network access disabled",
    values: ["1"],
  },
  CODEX_HOME: { runtime: "codex", meaning: "Codex reads its config and rules from this directory" },
  GEMINI_CLI: { runtime: "gemini-cli", meaning: "runs as a Gemini CLI shell command", values: ["1"] },
  GEMINI_SANDBOX: {
    runtime: "gemini-cli",
    meaning: "Gemini CLI sandbox selection",
    values: ["true", "false", "1", "0", "docker", "podman", "sandbox-exec", "lxc"],
  },
  SEATBELT_PROFILE: {
    runtime: "gemini-cli",
    meaning: "Gemini CLI macOS Seatbelt profile",
    values: [
      "permissive-open",
      "permissive-proxied",
      "restrictive-open",
      "restrictive-proxied",
      "strict-open",
      "strict-proxied",
    ],
  },
  HERMES_YOLO_MODE: {
    runtime: "hermes",
    meaning: "Hermes YOLO mode: every dangerous-command approval is skipped",
  },
};

/** The markers set in an environment, sorted by name. */
export function envMarkers(env: Readonly<Record<string, string>>): EnvMarker[] {
  const out: EnvMarker[] = [];
  for (const name of Object.keys(MARKERS).sort()) {
    if (!Object.hasOwn(env, name)) continue;
    const spec = MARKERS[name]!;
    const value = env[name]!;
    const shown = spec.values?.includes(value) ? `=${value}` : " is set";
    out.push({ name, runtime: spec.runtime, meaning: `${name}${shown}: ${spec.meaning}` });
  }
  return out;
}

/** Whether the environment says the scan runs under this runtime. */
export function markedRuntime(
  env: Readonly<Record<string, string>> | undefined,
  runtime: RuntimeId,
): boolean {
  if (!env) return false;
  return Object.entries(MARKERS).some(
    ([name, spec]) =>
      spec.runtime === runtime &&
      spec.values?.length &&
      Object.hasOwn(env, name) &&
      spec.values.includes(env[name]!) &&
      !["0", "false"].includes(env[name]!),
  );
}
