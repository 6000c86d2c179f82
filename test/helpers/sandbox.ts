import { mkdirSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { dirname } from "node:path";
import { afterEach } from "vitest";
import { tempTree } from "./tmp.js";

/**
 * Per-test temp system roots and loopback-only unix sockets, removed after each test of the file
 * that calls this at its top level.
 */
export function sandboxes(prefix: string) {
  let cleanups: (() => void | Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.reverse()) await c();
    cleanups = [];
  });
  return {
    /** A temp directory tree (a fake system root) from a { "rel/path": content } map. */
    sysroot(files: Record<string, string | Buffer> = {}): string {
      const t = tempTree(files, prefix);
      cleanups.push(t.cleanup);
      return t.dir;
    },
    /** A listening unix socket that records what it receives; the scanner must never send anything. */
    async listen(path: string, onConnection?: (s: Socket) => void) {
      mkdirSync(dirname(path), { recursive: true });
      const stats = { connections: 0, bytes: 0 };
      const server: Server = createServer((s) => {
        stats.connections++;
        s.on("data", (d) => {
          stats.bytes += d.length;
        });
        s.on("error", () => {});
        onConnection?.(s);
      });
      await new Promise<void>((resolve) => server.listen(path, resolve));
      cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
      return stats;
    },
  };
}

/** /proc/PID/environ format: NUL-terminated KEY=VALUE entries (proc(5)). */
export const environ = (vars: Record<string, string>) =>
  Buffer.from(
    Object.entries(vars)
      .map(([k, v]) => `${k}=${v}\0`)
      .join(""),
  );
