import type { FixTarget, Generator } from "../types.js";
import { generateClaudeCode } from "./claude-code.js";
import { generateCodex } from "./codex.js";
import { generateEnv } from "./env.js";
import { generateGemini } from "./gemini.js";
import { generateHermes } from "./hermes.js";
import { generateSandboxRuntime } from "./sandbox-runtime.js";

// The agent-runtime and environment generators of `agent-audit fix` (issue 12), by --only target.

export const RUNTIME_GENERATORS: Readonly<Partial<Record<FixTarget, Generator>>> = {
  "claude-code": generateClaudeCode,
  codex: generateCodex,
  gemini: generateGemini,
  hermes: generateHermes,
  "sandbox-runtime": generateSandboxRuntime,
  env: generateEnv,
};

export {
  generateClaudeCode,
  generateCodex,
  generateEnv,
  generateGemini,
  generateHermes,
  generateSandboxRuntime,
};
