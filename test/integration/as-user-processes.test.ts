// Lives in test/integration: needs root to chown the fixture environ files to other users.
import { chmodSync, chownSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { identityAccess } from "../../src/sources/access.js";
import { inventory } from "../helpers/inventory.js";
import { environ, sandboxes } from "../helpers/sandbox.js";

const { sysroot } = sandboxes("aa-proc-");

// Fake fixture secrets shaped like the real thing; none is a live credential.
const AWS_SECRET = "kT9vB2xQ7mL4pW8rZ3nY6cF1hJ5dS0gA9eR2tU7i";
const GH_TOKEN = "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";
const DB_PASSWORD = "q8Zr!v2Lp#x9Wm4T";

const rows = (fs: { ruleId: string; severity: string; location: { path?: string; name?: string } }[]) =>
  fs.map((f) => `${f.severity} ${f.ruleId} ${f.location.path} ${f.location.name}`);

describe("other processes source", () => {
  // chown needs root; under CI a missing prerequisite must fail, not skip.
  const canRun = process.getuid?.() === 0;
  it.skipIf(!canRun && !process.env.CI)(
    "with --as-user, skips other users' processes silently and counts them in one issue",
    async () => {
      const root = sysroot({
        "proc/201/environ": environ({ GITHUB_TOKEN: GH_TOKEN }),
        "proc/202/environ": environ({ AWS_SECRET_ACCESS_KEY: AWS_SECRET }),
        "proc/203/environ": environ({ DB_PASSWORD }),
        "proc/204/environ": environ({ DB_PASSWORD }),
      });
      chmodSync(root, 0o755);
      for (const [pid, uid] of [
        [201, 12345],
        [202, 23456],
        [203, 0],
        [204, 23456],
      ] as const) {
        chmodSync(join(root, `proc/${pid}`), 0o555);
        chownSync(join(root, `proc/${pid}/environ`), uid, uid);
        chmodSync(join(root, `proc/${pid}/environ`), 0o400);
      }
      mkdirSync(join(root, "proc/205"));
      const res = await inventory({
        sources: ["processes"],
        systemRoot: root,
        access: identityAccess({ name: "agent", uid: 12345, gids: [12345, 23456] }),
      });
      expect(rows(res.findings)).toEqual(["critical github-pat-classic /proc/201/environ GITHUB_TOKEN"]);
      expect(res.issues).toEqual([
        { where: "/proc", message: "3 processes' environments not readable (other users' processes)" },
      ]);
    },
  );
});
