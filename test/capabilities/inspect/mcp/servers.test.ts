// biome-ignore-all lint/suspicious/noTemplateCurlyInString: MCP configs write variable references as ${VAR}, which these strings hold as data
import { describe, expect, it } from "vitest";
import {
  broadHostPath,
  egressProblems,
  imagePin,
  npmPin,
  pyPin,
  readLaunch,
  shownLauncher,
  shownUrl,
} from "../../../../src/capabilities/inspect/mcp/servers.js";
import { recordingJudge } from "../../../helpers/judge.js";
import { mcpFiles } from "../../../helpers/mcp.js";

// The per-server checks (issue 16): argv read as the runners read it, pinning, docker flags, host
// paths, URLs, the gate's verdict on launchers, and egress.

describe("launchers", () => {
  it("finds the package and its pinning behind each runner", () => {
    const l = (command: string, ...args: string[]) => {
      const x = readLaunch(command, args);
      return [x.kind, x.spec, x.pkg, x.pin, x.serverArgs];
    };
    expect(l("npx", "-y", "@modelcontextprotocol/server-filesystem", "/data")).toEqual([
      "npm",
      "@modelcontextprotocol/server-filesystem",
      "@modelcontextprotocol/server-filesystem",
      "unpinned",
      ["/data"],
    ]);
    expect(l("/usr/local/bin/npx", "--yes", "pkg@1.2.3", "--port", "1")).toEqual([
      "npm",
      "pkg@1.2.3",
      "pkg",
      "pinned",
      ["--port", "1"],
    ]);
    expect(l("npx", "-p", "pkg@latest", "pkg-bin", "--x")).toEqual([
      "npm",
      "pkg@latest",
      "pkg",
      "unpinned",
      ["--x"],
    ]);
    expect(l("npm", "exec", "--", "pkg@^1.0.0")).toEqual(["npm", "pkg@^1.0.0", "pkg", "unpinned", []]);
    expect(l("pnpm", "dlx", "pkg@2.0.0-beta.1")).toEqual(["npm", "pkg@2.0.0-beta.1", "pkg", "pinned", []]);
    expect(l("bunx", "./local-server")).toEqual(["npm", "./local-server", "./local-server", "local", []]);
    expect(l("uvx", "mcp-server-fetch")).toEqual([
      "pypi",
      "mcp-server-fetch",
      "mcp-server-fetch",
      "unpinned",
      [],
    ]);
    expect(l("uvx", "--from", "mcp-server-git==0.6.2", "mcp-server-git", "--repository", ".")).toEqual([
      "pypi",
      "mcp-server-git==0.6.2",
      "mcp-server-git",
      "pinned",
      ["--repository", "."],
    ]);
    expect(l("uvx", "ruff@0.3.0")).toEqual(["pypi", "ruff@0.3.0", "ruff", "pinned", []]);
    expect(l("uv", "tool", "run", "pkg>=1")).toEqual(["pypi", "pkg>=1", "pkg", "unpinned", []]);
    expect(l("pipx", "run", "--spec", "pkg[extra]==1.0", "pkg")).toEqual([
      "pypi",
      "pkg[extra]==1.0",
      "pkg",
      "pinned",
      [],
    ]);
    expect(l("python3", "-m", "pip", "install", "a==1", "b")).toEqual(["pip", "b", "b", "unpinned", []]);
    expect(l("cmd", "/c", "npx", "-y", "pkg")).toEqual(["npm", "pkg", "pkg", "unpinned", []]);
    expect(l("node", "/opt/server.js")).toEqual([
      "other",
      undefined,
      undefined,
      undefined,
      ["/opt/server.js"],
    ]);
  });

  it("reads docker run's flags and image", () => {
    const x = readLaunch("docker", [
      "run",
      "-i",
      "--rm",
      "-e",
      "TOKEN",
      "-v/:/host",
      "--network=host",
      "--mount",
      "type=bind,src=/,dst=/h",
      "img:1.0",
      "serve",
      "-v",
    ]);
    expect([x.kind, x.spec, x.pkg, x.pin, x.serverArgs]).toEqual([
      "container",
      "img:1.0",
      "img",
      "tagged",
      ["serve", "-v"],
    ]);
    expect(x.flags).toEqual([
      ["-i", undefined],
      ["--rm", undefined],
      ["-e", "TOKEN"],
      ["-v", "/:/host"],
      ["--network", "host"],
      ["--mount", "type=bind,src=/,dst=/h"],
    ]);
  });

  it("pins", () => {
    expect(npmPin("@scope/name")).toEqual({ pkg: "@scope/name", pin: "unpinned" });
    expect(npmPin("@scope/name@1.0.0")).toEqual({ pkg: "@scope/name", pin: "pinned" });
    expect(npmPin("github:user/repo")).toEqual({ pkg: "github:user/repo", pin: "unpinned" });
    expect(npmPin(`github:user/repo#${"a".repeat(40)}`).pin).toEqual("pinned");
    expect(pyPin("pkg==1.2").pin).toEqual("pinned");
    expect(pyPin("pkg~=1.2").pin).toEqual("unpinned");
    expect(pyPin("pkg@latest").pin).toEqual("unpinned");
    expect(imagePin("img")).toEqual("unpinned");
    expect(imagePin("img:latest")).toEqual("unpinned");
    expect(imagePin("localhost:5000/img")).toEqual("unpinned");
    expect(imagePin("localhost:5000/img:2")).toEqual("tagged");
    expect(imagePin(`img@sha256:${"0".repeat(64)}`)).toEqual("pinned");
  });
});

describe("host paths", () => {
  const sc = {
    ctx: { home: "/home/u", root: "/home/u/p", systemRoot: "/", credentialPaths: [".config/app/token.json"] },
  };
  it("tells broad paths from narrow ones", () => {
    const b = (p: string, container = false) => broadHostPath(p, sc, container);
    expect(b("/")).toBe("the whole filesystem");
    expect(b("//")).toBe("the whole filesystem");
    expect(b("~")).toBe("the home directory");
    expect(b("$HOME/")).toBe("the home directory");
    expect(b("${HOME}")).toBe("the home directory");
    expect(b("/home")).toBe("a folder holding the home directory");
    expect(b("~/.ssh")).toBe("credentials (~/.ssh)");
    expect(b("/home/u/.aws/credentials")).toBe("credentials (~/.aws)");
    expect(b("~/.config/gcloud/")).toBe("credentials (~/.config/gcloud)");
    expect(b("~/.config")).toBe("a folder holding credentials (~/.config/app/token.json)");
    expect(b("/etc")).toBe("a system folder (/etc)");
    expect(b("/var/run/docker.sock", true)).toBe("the container engine's socket: control of the host");
    expect(b("/var/run/docker.sock")).toBeUndefined();
    expect(b("~/projects/site")).toBeUndefined();
    expect(b("./docs")).toBeUndefined();
    expect(b("${workspaceFolder}")).toBeUndefined();
    expect(b("/home/u/p/../p/docs")).toBeUndefined();
    expect(b("/home/u/p/../../u")).toBe("the home directory");
  });
});

describe("shown texts", () => {
  it("never show a credential of a launcher or URL", () => {
    const token = "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";
    expect(
      shownLauncher({
        command: "server",
        args: ["--token", "opaqueValue1", `--api-key=${token}`, token, "--db", "./x.db"],
      }),
    ).toBe("server --token … --api-key=… 'ghp_…(40)' --db ./x.db");
    expect(
      shownUrl(
        "https://user:pa55word@mcp.example.com:8443/mcp/k7Q2mZ9xR4vT8nB3wL6yP1cF5hJ0sD2g/sse?api_key=abc&x=1#frag",
      ),
    ).toBe("https://mcp.example.com:8443/mcp/k7Q2…(32)/sse?api_key=…&x=…");
    expect(shownUrl("not a url ?token=secret")).toBe("not a url ");
  });
});

describe("URL checks", () => {
  const server = (url: string) =>
    `{ "mcpServers": { "s": { "type": "http", "url": ${JSON.stringify(url)} } } }\n`;
  const rules = async (url: string) =>
    (await mcpFiles({ "./.mcp.json": server(url) })).findings
      .map((f) => f.ruleId)
      .filter((r) => r.startsWith("mcp-"));
  it("plain http except loopback; credentials in user info, query and path", async () => {
    expect(await rules("http://mcp.example.com/mcp")).toEqual(["mcp-remote-plain-http"]);
    expect(await rules("http://localhost:3000/mcp")).toEqual([]);
    expect(await rules("http://127.0.0.1:3000/mcp")).toEqual([]);
    expect(await rules("http://[::1]:3000/mcp")).toEqual([]);
    expect(await rules("https://mcp.example.com/mcp")).toEqual([]);
    expect(await rules("https://bot:Zx9Qw7Er5Ty3@mcp.example.com/mcp")).toEqual([
      "mcp-server-receives-secret",
      "mcp-url-token",
    ]);
    expect(await rules("https://mcp.example.com/mcp?token=Zx9Qw7Er5Ty3Ui1O")).toEqual([
      "mcp-server-receives-secret",
      "mcp-url-token",
    ]);
    expect(await rules("https://mcp.example.com/mcp?token=${env:TOKEN}")).toEqual([]);
    expect(await rules("https://mcp.example.com/mcp?page=2&lang=en")).toEqual([]);
    expect(await rules("https://mcp.example.com/v1/projects/my-project-name/mcp")).toEqual([]);
  });
});

describe("the gate's verdict", () => {
  it("asks the judge about every stdio launcher, as a shell reads it, in the project", async () => {
    const judge = recordingJudge();
    const r = await mcpFiles(
      {
        "./.mcp.json": `{ "mcpServers": { "a": { "command": "node", "args": ["server.js", "it's"] }, "b": { "type": "http", "url": "https://b.example.com" } } }\n`,
      },
      { judge },
    );
    expect(judge.calls).toEqual([{ command: "node server.js 'it'\\''s'", cwd: r.root }]);
  });

  it("reports what the gate would stop, but not a pinned runner's own package install", async () => {
    const r = await mcpFiles({
      "./.mcp.json": `{ "mcpServers": {
  "pinned": { "command": "npx", "args": ["-y", "pkg@1.0.0"] },
  "wrapped": { "command": "sh", "args": ["-c", "npx -y pkg@1.0.0"] },
  "decoded": { "command": "sh", "args": ["-c", "echo cm0gLXJmIH4K | base64 -d | sh"] }
} }
`,
    });
    expect(r.findings.map((f) => [f.location.name, f.ruleId])).toEqual([
      ["wrapped", "mcp-launcher-gate"],
      ["decoded", "mcp-launcher-gate"],
    ]);
    const decoded = r.findings.find((f) => f.location.name === "decoded")!;
    expect(decoded.fix?.params?.decision).toBe("ask");
    expect(decoded.title).toMatch(
      /^MCP server "decoded" launcher is one the approval gate would stop to ask about \(/,
    );
  });
});

describe("egressProblems", () => {
  const servers = [
    { client: "cursor", name: "a", file: "/h/.cursor/mcp.json", hosts: ["mcp.linear.app"], disabled: false },
    {
      client: "cursor",
      name: "b",
      file: "/h/.cursor/mcp.json",
      hosts: ["api.github.com", "registry.npmjs.org"],
      disabled: false,
    },
    { client: "cursor", name: "off", file: "/h/.cursor/mcp.json", hosts: ["x.example.com"], disabled: true },
    { client: "cursor", name: "local", file: "/h/.cursor/mcp.json", hosts: [], disabled: false },
  ];
  it("open egress: every active server that needs a host can reach any", () => {
    expect(
      egressProblems(servers, { posture: "open" }).map((p) => [p.check, p.subject, p.fixParams?.hosts]),
    ).toEqual([
      ["mcp-egress-open", "a", ["mcp.linear.app"]],
      ["mcp-egress-open", "b", ["api.github.com", "registry.npmjs.org"]],
    ]);
  });
  it("a proxy's allowlist: the hosts it does not hold (exact, .suffix, *.suffix)", () => {
    const p = egressProblems(servers, {
      posture: "kernel-enforced-with-proxy",
      allowlist: ["*.github.com", ".linear.app"],
    });
    expect(p.map((x) => [x.check, x.subject, x.fixParams?.hosts])).toEqual([
      ["mcp-egress-blocked", "b", ["registry.npmjs.org"]],
    ]);
    expect(egressProblems(servers, { posture: "kernel-enforced-with-proxy" })).toEqual([]);
  });
  it("no proxy: every needed host is refused; unknown: nothing", () => {
    expect(egressProblems(servers, { posture: "kernel-enforced-no-proxy" }).map((x) => x.subject)).toEqual([
      "a",
      "b",
    ]);
    expect(egressProblems(servers, { posture: "unknown" })).toEqual([]);
  });
});
