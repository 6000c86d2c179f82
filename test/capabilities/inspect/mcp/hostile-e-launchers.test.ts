import { describe, expect, it } from "vitest";
import { readLaunch, serverHosts } from "../../../../src/capabilities/inspect/mcp/servers.js";
import { mcpFiles } from "../../../helpers/mcp.js";

// Helper E (hostile review of issue 16): launchers written to dodge the structural checks. The agent
// writes the config; each spelling below starts the same risky thing as the plain form.

/** The rule ids of each server's findings, as "rule:severity", sorted. */
function byServer(r: Awaited<ReturnType<typeof mcpFiles>>): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const s of r.servers)
    out[s.name] = s.findings
      .map((fp) => r.findings.find((f) => f.fingerprint === fp)!)
      .map((f) => `${f.ruleId}:${f.severity}`)
      .sort();
  return out;
}

describe("launcher evasions (helper E)", () => {
  it("a second -p package of npx is checked too", () => {
    const x = readLaunch("npx", ["-p", "safe@1.0.0", "-p", "evilpkg", "cmd"]);
    // The server's package stays the first -p (its name is what the exec/filesystem lists read).
    expect(x).toMatchObject({ spec: "safe@1.0.0", pkg: "safe", pin: "unpinned", unpinned: "evilpkg" });
  });

  it("uvx / uv tool run --with packages are checked too", () => {
    expect(readLaunch("uvx", ["--with", "evilpy", "goodpy==1.0"])).toMatchObject({
      spec: "goodpy==1.0",
      pkg: "goodpy",
      pin: "unpinned",
      unpinned: "evilpy",
    });
    expect(readLaunch("uvx", ["--with=good==1.0,evilpy", "goodpy==1.0"])).toMatchObject({
      pin: "unpinned",
      unpinned: "evilpy",
    });
    // A --with does not rename the server: a shell server stays one.
    expect(readLaunch("uvx", ["--with", "x==1.0", "mcp-shell-server==1.0"]).pkg).toBe("mcp-shell-server");
    expect(readLaunch("uvx", ["--with", "dep==2.0", "goodpy==1.0"]).pin).toBe("pinned");
  });

  it("uv run --with fetches its packages at start", () => {
    expect(readLaunch("uv", ["run", "--with", "evilpy", "evilpy-server"])).toMatchObject({
      kind: "pypi",
      spec: "evilpy",
      pin: "unpinned",
    });
    expect(readLaunch("uv", ["run", "--with", "evilpy==1.2.3", "evilpy-server"]).pin).toBe("pinned");
    // A local script without --with fetches nothing.
    expect(readLaunch("uv", ["run", "server.py"]).kind).toBe("other");
  });

  it("npm flags before the exec subcommand, env wrappers and absolute paths are seen through", () => {
    expect(readLaunch("npm", ["--yes", "exec", "evilpkg"])).toMatchObject({ kind: "npm", spec: "evilpkg" });
    expect(readLaunch("npm", ["--registry", "https://r.example.com", "exec", "--", "evilpkg"])).toMatchObject(
      {
        kind: "npm",
        spec: "evilpkg",
      },
    );
    expect(readLaunch("env", ["X=1", "npx", "-y", "evilpkg"])).toMatchObject({
      kind: "npm",
      spec: "evilpkg",
    });
    expect(readLaunch("/usr/bin/env", ["-i", "PATH=/bin", "uvx", "evilpy"])).toMatchObject({
      kind: "pypi",
      spec: "evilpy",
    });
    expect(readLaunch("/usr/bin/env", ["npx", "evilpkg"]).pin).toBe("unpinned");
  });

  it("docker's combined short flags, global options and podman --remote are read", () => {
    const itv = readLaunch("docker", ["run", "-itv", "/:/h", "img:1.0"]);
    expect(itv.spec).toBe("img:1.0");
    expect(itv.flags).toContainEqual(["-v", "/:/h"]);
    expect(readLaunch("docker", ["run", "-itv/:/h", "img:1.0"]).flags).toContainEqual(["-v", "/:/h"]);
    expect(readLaunch("docker", ["run", "-ie", "A=1", "img:1.0"]).spec).toBe("img:1.0");
    expect(readLaunch("docker", ["run", "--rm", "-it", "img:1.0"]).spec).toBe("img:1.0");
    const glob = readLaunch("docker", ["--log-level", "error", "run", "--privileged", "img:1.0"]);
    expect(glob).toMatchObject({ kind: "container", spec: "img:1.0" });
    expect(readLaunch("docker", ["-H=unix:///x.sock", "--tls", "container", "run", "img:1.0"]).kind).toBe(
      "container",
    );
    expect(readLaunch("podman", ["--remote", "run", "img:1.0"])).toMatchObject({
      kind: "container",
      spec: "img:1.0",
    });
    expect(serverHosts(server("docker", ["-c", "default", "run", "img:1.0"]))).toContain(
      "registry-1.docker.io",
    );
  });

  it("each evasion is a finding through runMcp", async () => {
    const config = {
      mcpServers: {
        npxp: { command: "npx", args: ["-p", "safe@1.0.0", "-p", "evilpkg", "cmd"] },
        uvxwith: { command: "uvx", args: ["--with", "evilpy", "goodpy==1.0"] },
        itv: { command: "docker", args: ["run", "-itv", "/:/h", "img:1.0"] },
        glob: { command: "docker", args: ["--log-level", "error", "run", "--privileged", "img:1.0"] },
        ctxnet: { command: "docker", args: ["-c", "default", "run", "--net=host", "img:1.0"] },
        envnpx: { command: "env", args: ["X=1", "npx", "-y", "evilpkg"] },
      },
    };
    const r = await mcpFiles({ "./.mcp.json": JSON.stringify(config, null, 2) });
    const got = byServer(r);
    expect(got.npxp).toEqual(["mcp-launcher-unpinned:high"]);
    expect(got.uvxwith).toEqual(["mcp-launcher-unpinned:high"]);
    expect(got.itv).toEqual(["mcp-docker-host-mount:high"]);
    expect(got.glob).toContain("mcp-docker-privileged:critical");
    expect(got.ctxnet).toContain("mcp-docker-host-network:medium");
    expect(got.envnpx).toContain("mcp-launcher-unpinned:high");
  });
});

function server(command: string, args: string[]) {
  return { transport: "stdio", command, args, env: [], headers: [] } as unknown as Parameters<
    typeof serverHosts
  >[0];
}

describe("attacker-sized launchers (helper E)", () => {
  it("long arguments that look like credential flags are shown in linear time", async () => {
    const arg = `--${"token".repeat(3276)}!`; // 16 KiB, the longest value kept
    const servers: Record<string, unknown> = {};
    // Under the 1 MiB a JSON config may hold: 7 servers of 8 arguments.
    for (let i = 0; i < 7; i++) servers[`s${i}`] = { command: "node", args: Array(8).fill(arg) };
    const started = performance.now();
    const r = await mcpFiles({ "./.mcp.json": JSON.stringify({ mcpServers: servers }) });
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(r.servers).toHaveLength(7);
    expect(r.servers[0]!.launcher!.length).toBeLessThan(2400);
  });
});
