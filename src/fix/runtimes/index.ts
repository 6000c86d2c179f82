import type { FixTarget, Generator } from "../types.js";
import { claudeCodeGenerator } from "./claude-code.js";
import { codexGenerator } from "./codex.js";
import { envGenerator } from "./env.js";
import { geminiGenerator } from "./gemini.js";
import { hermesGenerator } from "./hermes.js";
import { sandboxRuntimeGenerator } from "./sandbox-runtime.js";

// The agent-runtime and environment generators of `agent-audit fix` (issue 12), by --only target.

export const RUNTIME_GENERATORS: Readonly<Partial<Record<FixTarget, Generator>>> = {
  "claude-code": claudeCodeGenerator,
  codex: codexGenerator,
  gemini: geminiGenerator,
  hermes: hermesGenerator,
  "sandbox-runtime": sandboxRuntimeGenerator,
  env: envGenerator,
};

export {
  claudeCodeGenerator,
  codexGenerator,
  envGenerator,
  geminiGenerator,
  hermesGenerator,
  sandboxRuntimeGenerator,
};
