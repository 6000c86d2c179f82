import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

let root: string | undefined;

/**
 * The package root (holds package.json, rules/ and fixtures/), from src/ under vitest or dist/src/
 * when built. Found once per process: the rule loader asks for it per rule file, and each search
 * cost two existence checks per level (15 ms of every start, issue 15).
 */
export function packageRoot(): string {
  if (root !== undefined) return root;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, "package.json")) && existsSync(join(dir, "rules"))) {
      root = dir;
      return dir;
    }
    dir = dirname(dir);
  }
  throw new Error("agent-audit: cannot locate the package root (rules/ missing)");
}

export function rulesDir(): string {
  return join(packageRoot(), "rules");
}
