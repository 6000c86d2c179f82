// Lives in test/integration: needs root to chown the engine socket to another group.
import { chmodSync, chownSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { identityAccess } from "../../src/sources/access.js";
import { inventory } from "../helpers/inventory.js";
import { sandboxes } from "../helpers/sandbox.js";

const { sysroot, listen } = sandboxes("aa-sock-");

describe("container engine sockets", () => {
  // chown needs root; under CI a missing prerequisite must fail, not skip.
  const canRun = process.getuid?.() === 0;
  it.skipIf(!canRun && !process.env.CI)("with --as-user, needs write permission on the socket", async () => {
    const root = sysroot();
    chmodSync(root, 0o755);
    const path = join(root, "var/run/docker.sock");
    const stats = await listen(path);
    chownSync(path, 0, 999);
    chmodSync(path, 0o660);
    const agent = { name: "agent", uid: 12345, gids: [12345] };
    const outside = await inventory({
      sources: ["sockets"],
      systemRoot: root,
      access: identityAccess(agent),
    });
    expect(outside.findings).toEqual([]);
    // Permission is decided from the mode bits before any connection is made.
    expect(stats.connections).toBe(0);
    const inGroup = await inventory({
      sources: ["sockets"],
      systemRoot: root,
      access: identityAccess({ ...agent, gids: [12345, 999] }),
    });
    expect(inGroup.findings.map((f) => `${f.severity} ${f.location.path}`)).toEqual([
      "critical /var/run/docker.sock",
    ]);
    expect(stats).toEqual({ connections: 1, bytes: 0 });
  });
});
