// Lives in test/integration: needs root to chown the mounted secret files to other users.
import { chmodSync, chownSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { identityAccess } from "../../src/sources/access.js";
import { inventory } from "../helpers/inventory.js";
import { tempTree } from "../helpers/tmp.js";

// Fake fixture secrets shaped like the real thing; none is a live credential.
const AWS_KEY_ID = "AKIAQ3EGRSXMPL7NBDZW";
const DB_PASSWORD = "q8Zr!v2Lp#x9Wm4TzK";
const CRED = "Tz7Kq2Wn9Xr4Vb8Lm3Pd";

let cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups) c();
  cleanups = [];
});
function sysroot(files: Record<string, string | Buffer>) {
  const t = tempTree(files, "aa-mounts-");
  cleanups.push(t.cleanup);
  return t.dir;
}

describe("mounted secrets source", () => {
  // chown needs root; under CI a missing prerequisite must fail, not skip.
  const canRun = process.getuid?.() === 0;
  it.skipIf(!canRun && !process.env.CI)(
    "with --as-user, reports only the files that user can read",
    async () => {
      const root = sysroot({
        "run/secrets/mine": CRED,
        "run/secrets/theirs": DB_PASSWORD,
        "run/secrets/shared": `aws_access_key_id = ${AWS_KEY_ID}\n`,
      });
      chmodSync(root, 0o755);
      chownSync(join(root, "run/secrets/mine"), 12345, 12345);
      chmodSync(join(root, "run/secrets/mine"), 0o400);
      chownSync(join(root, "run/secrets/theirs"), 23456, 23456);
      chmodSync(join(root, "run/secrets/theirs"), 0o600);
      chownSync(join(root, "run/secrets/shared"), 0, 23456);
      chmodSync(join(root, "run/secrets/shared"), 0o640);
      const agent = { name: "agent", uid: 12345, gids: [12345] };
      const res = await inventory({ sources: ["mounts"], systemRoot: root, access: identityAccess(agent) });
      expect(res.findings.map((f) => `${f.ruleId} ${f.location.path}`)).toEqual([
        "mounted-secret-file /run/secrets/mine",
      ]);
      const withGroup = await inventory({
        sources: ["mounts"],
        systemRoot: root,
        access: identityAccess({ ...agent, gids: [12345, 23456] }),
      });
      expect(withGroup.findings.map((f) => `${f.ruleId} ${f.location.path}`)).toEqual([
        "mounted-secret-file /run/secrets/mine",
        "aws-access-key-id /run/secrets/shared",
      ]);
      expect(withGroup.issues).toEqual([]);
    },
  );
});
