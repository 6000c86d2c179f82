import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { packageRoot } from "../util/paths.js";

/**
 * The demo sandbox (fixtures/demo: a fake home, working tree, environment and system root) as one
 * JSON archive (issue 9). npm drops `.npmrc`, `.env`, `.gitignore` and `node_modules/` from a
 * published package, so the installed demo found fewer secrets than the checkout's: the build
 * stores the fixture in dist/demo-sandbox.json and `scan --demo` writes it out to a temporary
 * directory, the same files installed as in the checkout.
 */
export interface DemoArchive {
  version: 1;
  /** Directories, parents first (so empty ones exist too). */
  dirs: string[];
  files: { path: string; mode: number; base64: string }[];
}

/** The archive of a directory tree (regular files and directories only; the demo has no links). */
export function archiveDir(base: string): DemoArchive {
  const out: DemoArchive = { version: 1, dirs: [], files: [] };
  const walk = (rel: string) => {
    for (const name of readdirSync(join(base, rel)).sort()) {
      const r = rel ? `${rel}/${name}` : name;
      const st = statSync(join(base, r));
      if (st.isDirectory()) {
        out.dirs.push(r);
        walk(r);
      } else if (st.isFile()) {
        out.files.push({
          path: r,
          mode: st.mode & 0o777,
          base64: readFileSync(join(base, r)).toString("base64"),
        });
      }
    }
  };
  walk("");
  return out;
}

export const DEMO_ARCHIVE = "demo-sandbox.json";

function demoArchive(): DemoArchive {
  const built = join(packageRoot(), "dist", DEMO_ARCHIVE);
  if (existsSync(built)) return JSON.parse(readFileSync(built, "utf8")) as DemoArchive;
  // A checkout that was not built (vitest runs the sources): the fixture itself.
  return archiveDir(join(packageRoot(), "fixtures", "demo"));
}

export interface DemoSandbox {
  home: string;
  root: string;
  environ: string;
  systemRoot: string;
  /** Removes the temporary copy. */
  cleanup: () => void;
}

/** Writes the demo sandbox into a fresh temporary directory. */
export function materializeDemo(): DemoSandbox {
  const archive = demoArchive();
  const base = mkdtempSync(join(tmpdir(), "agent-audit-demo-"));
  for (const d of archive.dirs) mkdirSync(join(base, d), { recursive: true });
  for (const f of archive.files) {
    const p = join(base, f.path);
    writeFileSync(p, Buffer.from(f.base64, "base64"));
    chmodSync(p, f.mode);
  }
  return {
    home: join(base, "home"),
    root: join(base, "tree"),
    environ: join(base, "env"),
    systemRoot: join(base, "system"),
    cleanup: () => rmSync(base, { recursive: true, force: true }),
  };
}
