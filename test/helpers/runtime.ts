import { join } from "node:path";
import { INSPECTORS, type InspectResult, runInspect } from "../../src/capabilities/inspect/index.js";
import type { Origin } from "../../src/capabilities/inspect/types.js";
import { tempTree } from "./tmp.js";

/**
 * A sandbox for the runtime inspectors (issue 10): files keyed as rules/runtime examples are
 * (`~/` the home, `./` the project root, `/` the system root) written under one temp directory.
 */
export function runtimeSandbox(files: Record<string, string | Buffer>): {
  dir: string;
  home: string;
  root: string;
  system: string;
  cleanup: () => void;
} {
  const mapped: Record<string, string | Buffer> = { "home/.keep": "", "root/.keep": "", "system/.keep": "" };
  for (const [k, v] of Object.entries(files)) mapped[placeOf(k)] = v;
  const t = tempTree(mapped, "aa-runtime-");
  return {
    dir: t.dir,
    home: join(t.dir, "home"),
    root: join(t.dir, "root"),
    system: join(t.dir, "system"),
    cleanup: t.cleanup,
  };
}

/** `~/x` → home/x, `./x` → root/x, `/x` → system/x. */
export function placeOf(key: string): string {
  if (key.startsWith("~/")) return `home/${key.slice(2)}`;
  if (key.startsWith("./")) return `root/${key.slice(2)}`;
  if (key.startsWith("/")) return `system${key}`;
  throw new Error(`example file key must start with ~/, ./ or /: ${key}`);
}

/** Runs the inspectors (all, or one runtime's) over a sandbox of files. */
export async function inspectFiles(
  files: Record<string, string | Buffer>,
  opts: {
    runtime?: string;
    env?: Record<string, string>;
    origins?: Origin[];
    credentialPaths?: string[];
  } = {},
): Promise<InspectResult & { sandbox: ReturnType<typeof runtimeSandbox> }> {
  const sandbox = runtimeSandbox(files);
  try {
    const result = await runInspect({
      home: sandbox.home,
      root: sandbox.root,
      systemRoot: sandbox.system,
      origins: new Set(opts.origins ?? ["home", "tree", "system"]),
      ...(opts.env ? { env: opts.env } : {}),
      credentialPaths: opts.credentialPaths ?? [],
      inspectors: opts.runtime ? INSPECTORS.filter((i) => i.id === opts.runtime) : INSPECTORS,
    });
    return { ...result, sandbox };
  } finally {
    sandbox.cleanup();
  }
}
