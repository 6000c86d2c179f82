import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { agentEnvScript, generateEnv, UnsafeProxyUrlError } from "../../src/fix/runtimes/env.js";
import { shellQuote } from "../../src/util/shell-quote.js";
import { goldenMismatches, runtimeOptions, runtimeReport } from "./runtime-fixtures.js";

// agent-env.sh (issue 12): the golden file, and the script run for real with /bin/sh and `env` as
// the command in a planted environment: exactly the kept and proxy variables come out.

const tmp = mkdtempSync(join(tmpdir(), "agent-audit-fix-env-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const FAKE_GITHUB = `ghp_${"Zq7Xw2Lm9Pv4Rt8Ks1Nb6Hc3Yd5Fg0Jk2Ma"}`;

function script(): string {
  const at = join(tmp, "agent-env.sh");
  writeFileSync(at, generateEnv(runtimeReport(), runtimeOptions())[0]!.content, { mode: 0o755 });
  return at;
}

function run(args: string[], env: Record<string, string>) {
  const r = spawnSync("/bin/sh", [script(), ...args], { env, encoding: "utf8" });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const PLANTED = {
  HOME: "/home/agent",
  PATH: "/usr/bin:/bin",
  USER: "agent",
  LANG: "C.UTF-8",
  TERM: "xterm-256color",
  GITHUB_TOKEN: FAKE_GITHUB,
  ANTHROPIC_API_KEY: "sk-ant-fake-not-a-key-0000000000000000",
  HTTPS_PROXY: "http://user:hunter2@evil.example:8080",
  no_proxy: "*",
  NODE_OPTIONS: "--require /tmp/evil.js",
  HERMES_YOLO_MODE: "1",
};

describe("agent-env.sh", () => {
  it("is byte for byte its golden copy, mode 0755, never installed", () => {
    const files = generateEnv(runtimeReport(), runtimeOptions());
    expect(goldenMismatches(files)).toEqual([]);
    expect(files.map((f) => [f.path, f.target, f.mode, f.install, f.closes])).toEqual([
      [
        "agent-env.sh",
        "env",
        0o755,
        undefined,
        {
          steps: ["egress-proxy", "credential-scope"],
          findings: ["env-anthropic", "env-github", "env-github-scope", "env-proxy", "hm-yolo-env"],
        },
      ],
    ]);
  });

  it("lists the secret-holding variables by name with their remediation, no value", () => {
    const text = agentEnvScript(runtimeReport(), runtimeOptions().proxy);
    const lines = text.split("\n");
    const from = lines.indexOf("# Secret-holding variables the audit found in the environment:");
    const comment = lines.slice(from + 1).filter((l) => l.startsWith("#   "));
    expect(comment).toEqual([
      "#   ANTHROPIC_API_KEY: removed",
      "#     Rotate the key and keep it out of the agent's environment; give the agent a scoped key.",
      "#   GITHUB_TOKEN: removed",
      "#     Revoke the token; use a fine-grained token limited to the agent's repositories.",
      "#     Use a fine-grained personal access token (github_pat_) limited to the agent's repositories.",
      "#   HTTPS_PROXY: replaced by the proxy",
      "#     Take the password out of the proxy URL.",
    ]);
  });

  it("run with env as the command: exactly the kept variables and the proxy variables", () => {
    const r = run(["env"], PLANTED);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout.split("\n").filter(Boolean).sort()).toEqual([
      "HOME=/home/agent",
      "HTTPS_PROXY=http://127.0.0.1:3128",
      "HTTP_PROXY=http://127.0.0.1:3128",
      "LANG=C.UTF-8",
      "NO_PROXY=localhost,127.0.0.1,::1",
      "PATH=/usr/bin:/bin",
      "TERM=xterm-256color",
      "USER=agent",
      "http_proxy=http://127.0.0.1:3128",
      "https_proxy=http://127.0.0.1:3128",
      "no_proxy=localhost,127.0.0.1,::1",
    ]);
  });

  it("an unset kept variable stays unset (not empty); arguments pass through intact", () => {
    const r = run(["/bin/sh", "-c", 'env; printf "<%s>\\n" "$@"', "x", "a b", "c'd", "$HOME"], {
      PATH: "/usr/bin:/bin",
      GITHUB_TOKEN: FAKE_GITHUB,
    });
    expect(r.status).toBe(0);
    const lines = r.stdout.split("\n").filter(Boolean);
    expect(lines.filter((l) => !l.startsWith("<")).sort()).toEqual(
      [
        "HTTPS_PROXY=http://127.0.0.1:3128",
        "HTTP_PROXY=http://127.0.0.1:3128",
        "NO_PROXY=localhost,127.0.0.1,::1",
        "PATH=/usr/bin:/bin",
        "PWD=" + process.cwd(),
        "http_proxy=http://127.0.0.1:3128",
        "https_proxy=http://127.0.0.1:3128",
        "no_proxy=localhost,127.0.0.1,::1",
      ].sort(),
    );
    expect(lines.filter((l) => l.startsWith("<"))).toEqual(["<a b>", "<c'd>", "<$HOME>"]);
  });

  it("refuses no command, and a command with = (env would read it as a variable)", () => {
    expect(run([], PLANTED)).toEqual({
      status: 64,
      stdout: "",
      stderr: "usage: agent-env.sh COMMAND [ARGS...]\n",
    });
    expect(run(["GITHUB_TOKEN=x", "env"], PLANTED)).toEqual({
      status: 64,
      stdout: "",
      stderr: 'agent-env.sh: the command must not contain "=" (env would read it as a variable)\n',
    });
  });

  it("refuses a proxy URL outside the safe set, without repeating it", () => {
    for (const url of [
      "http://user:hunter2@127.0.0.1:3128",
      "http://127.0.0.1:3128/$(reboot)",
      "http://127.0.0.1:3128'; reboot; '",
      "socks5://127.0.0.1:1080",
      "http://127.0.0.1:3128\nreboot",
      "http://proxy.internal:3128/path",
    ]) {
      const call = () => agentEnvScript(runtimeReport(), { url, host: "127.0.0.1", port: 3128 });
      expect(call).toThrow(UnsafeProxyUrlError);
      expect(call).toThrow(
        "agent-env.sh: the proxy URL must be http:// or https:// with a host and a port only (no user, password, path or unusual characters)",
      );
    }
    for (const url of ["http://127.0.0.1:3128", "http://[::1]:3128/", "https://proxy.internal:8443"])
      expect(agentEnvScript(runtimeReport(), { url, host: "x", port: 1 })).toContain(
        `PROXY=${shellQuote(url)}\n`,
      );
  });
});
