import { runInventory, type ScanOptions } from "../../src/capabilities/inventory/index.js";
import type { SourceName } from "../../src/contract/types.js";
import { selfAccess } from "../../src/sources/access.js";

/** Runs the inventory on test-chosen paths only: empty home, no environment unless given. */
export function inventory(over: Omit<Partial<ScanOptions>, "sources"> & { sources: SourceName[] }) {
  const home = over.home ?? "/nonexistent-home";
  const root = over.root ?? "/nonexistent-root";
  return runInventory({
    env: {},
    home,
    root,
    systemRoot: over.systemRoot ?? "/nonexistent-system",
    access: selfAccess("tester"),
    target: { home, root, user: "tester", hostname: "test-host" },
    ...over,
    sources: new Set(over.sources),
    limits: { ...testLimits(), ...over.limits } as ScanOptions["limits"],
  });
}

/** Scan limits for tests: the CLI's defaults (10 MiB cap, nothing extra included), 8 reads at once. */
export function testLimits(): ScanOptions["limits"] {
  return {
    maxFileBytes: 10 * 1024 * 1024,
    includeBinary: false,
    includeVcs: false,
    includeDeps: false,
    exclude: [],
    concurrency: 8,
  };
}
