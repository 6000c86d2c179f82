import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import type { Socket } from "node:net";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseIdentitiesAnswer } from "../../src/sources/sockets.js";
import { inventory } from "../helpers/inventory.js";
import { sandboxes } from "../helpers/sandbox.js";
import { tempTree } from "../helpers/tmp.js";

const { sysroot, listen } = sandboxes("aa-sock-");

/** A socket file with no listener: a process bound it and was killed without unlinking it. */
async function staleSocket(path: string) {
  mkdirSync(dirname(path), { recursive: true });
  const child = spawn(
    process.execPath,
    ["-e", `require("net").createServer().listen(${JSON.stringify(path)}, () => console.log("up"))`],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  await new Promise<void>((resolve) => child.stdout?.once("data", () => resolve()));
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGKILL");
  await exited;
}

const rows = (fs: { ruleId: string; severity: string; kind: string; title: string; location: object }[]) =>
  fs.map((f) => ({
    ruleId: f.ruleId,
    severity: f.severity,
    kind: f.kind,
    title: f.title,
    location: f.location,
  }));

const engineTitle = (runtime: string) =>
  `Container engine socket (${runtime}) reachable: the agent can start a privileged container and escape the sandbox`;

describe("container engine sockets", () => {
  it("reports listening engine sockets, and never a regular file, a stale socket or a TCP host", async () => {
    const root = sysroot({ "run/docker.sock": "not a socket\n" });
    const docker = await listen(join(root, "var/run/docker.sock"));
    const custom = await listen(join(root, "custom/engine.sock"));
    const rootless = await listen(join(root, "run/user/12345/podman/podman.sock"));
    await staleSocket(join(root, "run/podman/podman.sock"));
    const res = await inventory({
      sources: ["sockets"],
      systemRoot: root,
      env: {
        DOCKER_HOST: "unix:///custom/engine.sock",
        CONTAINER_HOST: "tcp://127.0.0.1:1",
        XDG_RUNTIME_DIR: "/run/user/12345",
      },
    });
    expect(rows(res.findings)).toEqual([
      {
        ruleId: "socket-container-runtime",
        severity: "critical",
        kind: "exposure",
        title: engineTitle("docker"),
        location: { source: "socket", path: "/custom/engine.sock" },
      },
      {
        ruleId: "socket-container-runtime",
        severity: "critical",
        kind: "exposure",
        title: engineTitle("podman"),
        location: { source: "socket", path: "/run/user/12345/podman/podman.sock" },
      },
      {
        ruleId: "socket-container-runtime",
        severity: "critical",
        kind: "exposure",
        title: engineTitle("docker"),
        location: { source: "socket", path: "/var/run/docker.sock" },
      },
    ]);
    // Exposure findings carry no secret block (core/scan.ts toFinding).
    expect(res.findings.map((f) => f.secret)).toEqual([undefined, undefined, undefined]);
    expect(res.issues).toEqual([]);
    // Connected once each, and not one byte sent.
    expect([docker, custom, rootless]).toEqual([
      { connections: 1, bytes: 0 },
      { connections: 1, bytes: 0 },
      { connections: 1, bytes: 0 },
    ]);
  });

  it("reports one socket reached through /var/run -> /run once", async () => {
    const root = sysroot();
    await listen(join(root, "run/docker.sock"));
    mkdirSync(join(root, "var"));
    symlinkSync("../run", join(root, "var/run"));
    const res = await inventory({ sources: ["sockets"], systemRoot: root });
    expect(res.findings.map((f) => f.location.path)).toEqual(["/var/run/docker.sock"]);
  });

  it("reports nothing when no socket exists", async () => {
    const root = sysroot({ "etc/hostname": "box\n" });
    const res = await inventory({
      sources: ["sockets"],
      systemRoot: root,
      env: { SSH_AUTH_SOCK: "/tmp/none" },
    });
    expect(res.findings).toEqual([]);
    expect(res.issues).toEqual([]);
  });
});

describe("ssh-agent socket", () => {
  let agent: ChildProcess | undefined;
  let root: string;
  let keys: string;
  const dirs: (() => void)[] = [];
  const run = (cmd: string, args: string[]) =>
    execFileSync(cmd, args, {
      stdio: "pipe",
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", SSH_AUTH_SOCK: join(root, "tmp/ssh/agent.sock") },
    });
  const scan = (sock = "/tmp/ssh/agent.sock") =>
    inventory({ sources: ["sockets"], systemRoot: root, env: { SSH_AUTH_SOCK: sock } });

  beforeAll(async () => {
    const r = tempTree({}, "aa-ssh-");
    const k = tempTree({}, "aa-keys-");
    root = r.dir;
    keys = k.dir;
    dirs.push(r.cleanup, k.cleanup);
    mkdirSync(join(root, "tmp/ssh"), { recursive: true });
    const sock = join(root, "tmp/ssh/agent.sock");
    // -D: stay in the foreground, so the test owns the process; -a: bind this socket.
    agent = spawn("ssh-agent", ["-D", "-a", sock], { stdio: "ignore" });
    for (let i = 0; i < 100 && !existsSync(sock); i++) await new Promise((r) => setTimeout(r, 50));
    if (!existsSync(sock)) throw new Error("ssh-agent did not create its socket");
    for (const name of ["k1", "k2"])
      run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", name, "-f", join(keys, name)]);
  });
  afterAll(async () => {
    if (agent && agent.exitCode === null) {
      const exited = new Promise((resolve) => agent?.once("exit", resolve));
      agent.kill();
      await exited;
    }
    for (const c of dirs) c();
  });

  it("reports the number of keys the agent holds, and nothing once they are removed", async () => {
    expect((await scan()).findings).toEqual([]);
    run("ssh-add", [join(keys, "k1")]);
    const one = await scan();
    expect(rows(one.findings)).toEqual([
      {
        ruleId: "socket-ssh-agent-keys",
        severity: "high",
        kind: "exposure",
        title:
          "SSH agent reachable with 1 key loaded: the agent can authenticate as their owner without reading a key file",
        location: { source: "socket", path: "/tmp/ssh/agent.sock", name: "SSH_AUTH_SOCK" },
      },
    ]);
    expect(one.issues).toEqual([]);
    // The socket path changes with every login session (/tmp/ssh-XXXX/agent.PID): the fingerprint
    // does not, so a baselined agent stays accepted. Here the same agent, reached by another path.
    symlinkSync(join(root, "tmp/ssh"), join(root, "tmp/ssh-session2"));
    const again = await scan("/tmp/ssh-session2/agent.sock");
    expect(again.findings.map((f) => f.location.path)).toEqual(["/tmp/ssh-session2/agent.sock"]);
    expect(again.findings.map((f) => f.fingerprint)).toEqual(one.findings.map((f) => f.fingerprint));
    run("ssh-add", [join(keys, "k2")]);
    expect((await scan()).findings.map((f) => f.title.slice(0, 44))).toEqual([
      "SSH agent reachable with 2 keys loaded: the ",
    ]);
    run("ssh-add", ["-D"]);
    const none = await scan();
    expect(none.findings).toEqual([]);
    expect(none.issues).toEqual([]);
  });
});

describe("ssh-agent protocol errors", () => {
  const fakeAgent = async (reply: (s: Socket) => void) => {
    const root = sysroot();
    await listen(join(root, "tmp/ssh/fake.sock"), (s) => s.once("data", () => reply(s)));
    const res = await inventory({
      sources: ["sockets"],
      systemRoot: root,
      env: { SSH_AUTH_SOCK: "/tmp/ssh/fake.sock" },
    });
    expect(res.findings).toEqual([]);
    return res.issues;
  };

  it("records SSH_AGENT_FAILURE as an issue", async () => {
    expect(await fakeAgent((s) => s.end(Buffer.from([0, 0, 0, 1, 5])))).toEqual([
      {
        where: "/tmp/ssh/fake.sock",
        message: "ssh-agent: the agent refused to list its keys (SSH_AGENT_FAILURE)",
      },
    ]);
  });

  it("records a closed connection as an issue", async () => {
    expect(await fakeAgent((s) => s.end())).toEqual([
      {
        where: "/tmp/ssh/fake.sock",
        message: "ssh-agent: the agent closed the connection without answering",
      },
    ]);
  });

  it("gives up after the timeout", async () => {
    expect(await fakeAgent(() => {})).toEqual([
      { where: "/tmp/ssh/fake.sock", message: "ssh-agent: no answer within 1000 ms" },
    ]);
  });

  it("refuses an oversized reply", async () => {
    expect(await fakeAgent((s) => s.end(Buffer.from([0x7f, 0, 0, 0, 12])))).toEqual([
      { where: "/tmp/ssh/fake.sock", message: "ssh-agent: reply of 2130706432 bytes is too large" },
    ]);
  });
});

describe("parseIdentitiesAnswer", () => {
  const str = (s: string) => {
    const b = Buffer.alloc(4 + s.length);
    b.writeUInt32BE(s.length, 0);
    b.write(s, 4, "latin1");
    return b;
  };
  const answer = (n: number, ...fields: Buffer[]) => {
    const head = Buffer.alloc(5);
    head[0] = 12;
    head.writeUInt32BE(n, 1);
    return Buffer.concat([head, ...fields]);
  };

  it("counts keys", () => {
    expect(parseIdentitiesAnswer(answer(0))).toBe(0);
    expect(parseIdentitiesAnswer(answer(2, str("blob1"), str("alice@host"), str("blob2"), str("")))).toBe(2);
  });

  it("rejects malformed answers", () => {
    expect(parseIdentitiesAnswer(Buffer.alloc(0))).toEqual({ error: "empty reply" });
    expect(parseIdentitiesAnswer(Buffer.from([12, 0, 0]))).toEqual({ error: "truncated identities answer" });
    expect(parseIdentitiesAnswer(answer(2, str("blob1"), str("c")))).toEqual({
      error: "truncated identities answer",
    });
    expect(parseIdentitiesAnswer(answer(1, str("blob1"), Buffer.from([0, 0, 0, 9, 1])))).toEqual({
      error: "truncated identities answer",
    });
    expect(parseIdentitiesAnswer(answer(0, Buffer.from([1])))).toEqual({
      error: "trailing bytes after the identities answer",
    });
    expect(parseIdentitiesAnswer(Buffer.from([6]))).toEqual({ error: "unexpected reply type 6" });
  });
});

describe("special files in the working tree", () => {
  it("never opens a FIFO or connects to a socket found in --root", async () => {
    const root = sysroot({ ".env": "GH=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\n" });
    execFileSync("mkfifo", [join(root, "secrets.env")]);
    const stats = await listen(join(root, "app.sock"));
    writeFileSync(join(root, "notes.txt"), "nothing here\n");
    const res = await inventory({ sources: ["tree"], root });
    expect(res.findings.map((f) => `${f.ruleId} ${f.location.path}:${f.location.line}`)).toEqual([
      "github-pat-classic .env:1",
    ]);
    // Issue 8: a special file is never opened, and never silently: each one is an issue.
    expect(res.issues).toEqual([
      { where: "app.sock", message: "skipped: a socket (never opened)" },
      { where: "secrets.env", message: "skipped: a FIFO (never opened)" },
    ]);
    expect(stats).toEqual({ connections: 0, bytes: 0 });
  });
});
