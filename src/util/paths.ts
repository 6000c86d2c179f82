import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The package root (holds package.json, rules/ and fixtures/), from src/ under vitest or dist/src/ when built. */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, "package.json")) && existsSync(join(dir, "rules"))) return dir;
    dir = dirname(dir);
  }
  throw new Error("agent-audit: cannot locate the package root (rules/ missing)");
}

export function rulesDir(): string {
  return join(packageRoot(), "rules");
}
