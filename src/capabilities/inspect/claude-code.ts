import type { RuntimeInspector } from "./types.js";

// STUB (issue 10): replaced by the real inspector.
export const claudeCode: RuntimeInspector = {
  id: "claude-code",
  name: "Claude Code",
  lookedFor: [],
  async inspect() {
    return {
      present: false,
      files: [],
      problems: [],
      gate: { status: "unknown", detail: "not inspected" },
      sandbox: { status: "unknown", detail: "not inspected" },
    };
  },
};
