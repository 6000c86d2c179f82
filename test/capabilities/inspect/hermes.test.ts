import { execFileSync } from "node:child_process";
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { broadEntry, dotenvValue, hermes } from "../../../src/capabilities/inspect/hermes.js";
import { runInspect } from "../../../src/capabilities/inspect/index.js";
import type { RuntimeView } from "../../../src/contract/types.js";
import { inspectFiles, runtimeSandbox } from "../../helpers/runtime.js";

// The Hermes Agent inspector (issue 10) over the fixture sets and hostile inputs.

const FIXTURES = join(import.meta.dirname, "../../../fixtures/runtimes/hermes");
const CONFIG = "~/.hermes/config.yaml";

async function fixture(name: "safe" | "unsafe", env?: Record<string, string>) {
  const dir = join(FIXTURES, name);
  return runInspect({
    home: join(dir, "home"),
    root: join(dir, "tree"),
    systemRoot: join(dir, "system"),
    origins: new Set(["home", "tree", "system"]),
    ...(env ? { env } : {}),
    inspectors: [hermes],
  });
}

const ids = (r: { findings: { ruleId: string }[] }) => r.findings.map((f) => f.ruleId).sort();
const view = (r: { agents: { runtimes: RuntimeView[] } }) => r.agents.runtimes[0]!;
const messages = (r: { issues: { message: string }[] }) => r.issues.map((i) => i.message);
const home = (text: string, env?: Record<string, string>) =>
  inspectFiles({ [CONFIG]: text }, { runtime: "hermes", ...(env ? { env } : {}) });

describe("Hermes fixtures", () => {
  it("safe: smart mode, cron denies, deny rules, docker backend with iron-proxy: covered, no findings", async () => {
    const r = await fixture("safe");
    expect(r.issues).toEqual([]);
    expect(ids(r)).toEqual([]);
    const v = r.agents.runtimes[0]!;
    expect(v.present).toBe(true);
    expect(v.files.map((f) => `${f.scope}:${f.ok}`)).toEqual(["user:true", "env:true"]);
    expect(v.gate).toEqual({
      status: "covered",
      detail: "approvals.mode smart, cron denies, deny rules set (~/.hermes/config.yaml)",
    });
    expect(v.sandbox).toEqual({ status: "on", detail: "terminal.backend docker" });
    expect(r.step.status).toBe("pass");
  });

  it("unsafe: YOLO in .env, mode off, cron approves, broad allowlist, local backend: gate off, step fails", async () => {
    const r = await fixture("unsafe");
    expect(r.issues).toEqual([]);
    expect(ids(r)).toEqual([
      "hermes-allowlist-broad-entry",
      "hermes-allowlist-broad-entry",
      "hermes-approvals-off",
      "hermes-cron-auto-approve",
      "hermes-local-backend",
      "hermes-no-deny-rules",
      "hermes-no-egress-proxy",
      "hermes-yolo-mode",
    ]);
    const v = r.agents.runtimes[0]!;
    expect(v.gate).toEqual({ status: "off", detail: "HERMES_YOLO_MODE in ~/.hermes/.env" });
    expect(v.sandbox).toEqual({
      status: "off",
      detail: "terminal.backend local: commands run on the host, no container",
    });
    expect(r.step.status).toBe("fail");
    const off = r.findings.find((f) => f.ruleId === "hermes-approvals-off")!;
    expect(off.location).toMatchObject({ name: "approvals.mode", line: 15 });
    expect(off.severity).toBe("critical");
    const broad = r.findings.filter((f) => f.ruleId === "hermes-allowlist-broad-entry");
    expect(broad.map((f) => [f.location.name, f.location.line, f.title])).toEqual(
      expect.arrayContaining([
        [
          "command_allowlist[0]",
          20,
          "command_allowlist entry 1 approves a whole dangerous-command category for every command",
        ],
        [
          "command_allowlist[1]",
          21,
          "command_allowlist entry 2 approves any arguments to a shell, interpreter, fetcher, deletion or privileged command",
        ],
      ]),
    );
    const yolo = r.findings.find((f) => f.ruleId === "hermes-yolo-mode")!;
    expect(yolo.location.path).toBe(join(FIXTURES, "unsafe/home/.hermes/.env"));
  });

  it("no secret from ~/.hermes/.env appears in the result", async () => {
    for (const name of ["safe", "unsafe"] as const) {
      const out = JSON.stringify(await fixture(name));
      expect(out).not.toContain("FIXTUREFAKE");
      expect(out).not.toContain("OPENROUTER_API_KEY");
    }
  });

  it("YOLO in the agent's environment switches the safe setup's gate off", async () => {
    const r = await fixture("safe", { HERMES_YOLO_MODE: "true" });
    expect(ids(r)).toEqual(["hermes-yolo-mode"]);
    expect(view(r).gate).toEqual({ status: "off", detail: "HERMES_YOLO_MODE in the agent's environment" });
    expect(r.findings[0]!.location).toEqual({ source: "agent-config", name: "HERMES_YOLO_MODE" });
    expect(r.step.status).toBe("fail");
  });

  it("YOLO in the environment without any Hermes file: present, gate off", async () => {
    const r = await inspectFiles({}, { runtime: "hermes", env: { HERMES_YOLO_MODE: "1" } });
    expect(ids(r)).toEqual(["hermes-yolo-mode"]);
    expect(view(r).present).toBe(true);
    expect(view(r).gate.status).toBe("off");
  });

  it("nothing found: not present, step warns naming what was looked for", async () => {
    const r = await inspectFiles({}, { runtime: "hermes", env: { HERMES_YOLO_MODE: "0" } });
    expect(view(r).present).toBe(false);
    expect(r.findings).toEqual([]);
    expect(r.step).toMatchObject({
      status: "warn",
      summary:
        "no agent runtime config found; looked for Hermes Agent (~/.hermes/config.yaml, ~/.hermes/.env (HERMES_YOLO_MODE))",
    });
  });

  it("the home source left out: nothing read", async () => {
    const r = await inspectFiles(
      { [CONFIG]: "approvals:\n  mode: off\n" },
      { runtime: "hermes", origins: ["tree"] },
    );
    expect(r.findings).toEqual([]);
    expect(view(r).present).toBe(false);
  });

  it("HERMES_HOME moves the config", async () => {
    const s = runtimeSandbox({ "~/profiles/work/config.yaml": "approvals:\n  mode: 'off'\n" });
    try {
      const r = await runInspect({
        home: s.home,
        root: s.root,
        systemRoot: s.system,
        origins: new Set(["home"]),
        env: { HERMES_HOME: "~/profiles/work" },
        inspectors: [hermes],
      });
      expect(ids(r)).toContain("hermes-approvals-off");
      expect(r.findings[0]!.location.path).toBe(join(s.home, "profiles/work/config.yaml"));
    } finally {
      s.cleanup();
    }
  });

  it("partial gate: manual mode but no deny rules", async () => {
    const r = await home(
      "approvals:\n  mode: manual\nterminal:\n  backend: docker\nproxy:\n  enabled: true\n",
    );
    expect(ids(r)).toEqual(["hermes-no-deny-rules"]);
    expect(view(r).gate).toEqual({
      status: "partial",
      detail: "approvals.mode manual, but no approvals.deny rules (~/.hermes/config.yaml)",
    });
    expect(r.step.status).toBe("warn");
  });

  it("docker with host paths mounted is a weak sandbox; ssh is weak; an unknown backend is unknown", async () => {
    const mounted = await home(
      "terminal:\n  backend: docker\n  docker_volumes:\n    - /home/me/src:/workspace\n",
    );
    expect(view(mounted).sandbox.status).toBe("weak");
    const ssh = await home("terminal:\n  backend: ssh\n  ssh_host: build.example.com\n");
    expect(view(ssh).sandbox).toEqual({
      status: "weak",
      detail: "terminal.backend ssh: commands run unconfined on the remote host",
    });
    const other = await home("terminal:\n  backend: quantum\n");
    expect(view(other).sandbox).toEqual({
      status: "unknown",
      detail: "terminal.backend is not a backend agent-audit knows",
    });
  });

  it("YAML 1.1 as Hermes reads it: bare off/no are false (mode off, cron denies), quoted 'off' approves cron", async () => {
    const bare = await home("approvals:\n  mode: no\n  cron_mode: off\n");
    expect(ids(bare)).toContain("hermes-approvals-off");
    expect(ids(bare)).not.toContain("hermes-cron-auto-approve");
    const quoted = await home('approvals:\n  mode: "manual"\n  cron_mode: "off"\n');
    expect(ids(quoted)).toContain("hermes-cron-auto-approve");
    expect(ids(quoted)).not.toContain("hermes-approvals-off");
    const on = await home("approvals:\n  mode: yes\n");
    expect(view(on).gate.status).toBe("partial");
  });

  it("an absurd approvals.timeout is not a fail-open and is not flagged", async () => {
    const r = await home(
      "approvals:\n  mode: manual\n  timeout: 99999999\n  deny: ['sudo *']\nterminal:\n  backend: modal\nproxy:\n  enabled: true\n",
    );
    expect(r.issues).toEqual([]);
    expect(ids(r)).toEqual([]);
    expect(view(r).gate.status).toBe("covered");
  });
});

describe("Hermes hostile input", () => {
  it("bad YAML: an issue with line and column, gate unknown (never a pass)", async () => {
    const r = await home("approvals:\n  mode: manual\n deny: [\n");
    expect(messages(r)).toEqual(["not valid YAML at line 3, column 1: BAD_INDENT"]);
    expect(r.findings).toEqual([]);
    expect(view(r).gate).toEqual({
      status: "unknown",
      detail: "~/.hermes/config.yaml could not be read or parsed",
    });
    expect(r.step.status).toBe("error");
  });

  it("a YAML alias bomb ends quickly with an issue", async () => {
    const lines = ['a: &a ["x","x","x","x","x","x","x","x","x"]'];
    for (let i = 1; i < 10; i++) {
      const prev = String.fromCharCode(96 + i);
      const cur = String.fromCharCode(97 + i);
      lines.push(`${cur}: &${cur} [${Array(9).fill(`*${prev}`).join(",")}]`);
    }
    lines.push("approvals:\n  mode: manual");
    const r = await home(`${lines.join("\n")}\n`);
    expect(messages(r)).toEqual(["not valid YAML: aliases expand too far or the document is malformed"]);
    expect(view(r).gate.status).toBe("unknown");
  });

  it("wrong types: type issues, read as unset (never a pass)", async () => {
    const list = await home("approvals:\n  - off\ncommand_allowlist: bash\n");
    expect(messages(list)).toEqual([
      "line 2: approvals: expected a mapping, found an array (ignored, as the runtime would reject or ignore it)",
      "line 3: command_allowlist: expected an array of strings, found a string (ignored, as the runtime would reject or ignore it)",
    ]);
    expect(ids(list)).toEqual(["hermes-local-backend", "hermes-no-deny-rules", "hermes-no-egress-proxy"]);
    expect(view(list).gate.status).toBe("partial");
    const num = await home("approvals:\n  mode: 3\n  deny: ['sudo *']\nterminal: docker\n");
    expect(messages(num)).toEqual([
      "line 2: approvals.mode: expected manual, smart or off, found a number (ignored, as the runtime would reject or ignore it)",
      "line 4: terminal: expected a mapping, found a string (ignored, as the runtime would reject or ignore it)",
    ]);
    expect(view(num).gate.status).toBe("covered");
    expect(view(num).sandbox.status).toBe("off");
    const empty = await home("approvals:\ncommand_allowlist:\nterminal:\nproxy:\n");
    expect(empty.issues).toEqual([]);
    expect(ids(empty)).toEqual(["hermes-local-backend", "hermes-no-deny-rules", "hermes-no-egress-proxy"]);
    const unknownMode = await home("approvals:\n  mode: auto\n");
    expect(messages(unknownMode)).toEqual([
      "line 2: approvals.mode: not manual, smart or off (Hermes falls back to manual)",
    ]);
  });

  it("a FIFO config is skipped, not opened for reading", async () => {
    const s = runtimeSandbox({});
    try {
      mkdirSync(join(s.home, ".hermes"));
      execFileSync("mkfifo", [join(s.home, ".hermes/config.yaml")]);
      const r = await runInspect({
        home: s.home,
        root: s.root,
        systemRoot: s.system,
        origins: new Set(["home"]),
        inspectors: [hermes],
      });
      expect(r.issues).toEqual([
        { where: join(s.home, ".hermes/config.yaml"), message: "skipped: is a FIFO, not a regular file" },
      ]);
      expect(r.agents.runtimes[0]!.gate.status).toBe("unknown");
    } finally {
      s.cleanup();
    }
  });

  it("a symlink out of the home is not followed", async () => {
    const s = runtimeSandbox({});
    try {
      mkdirSync(join(s.home, ".hermes"));
      writeFileSync(join(s.dir, "elsewhere.yaml"), "approvals:\n  mode: off\n");
      symlinkSync(join(s.dir, "elsewhere.yaml"), join(s.home, ".hermes/config.yaml"));
      const r = await runInspect({
        home: s.home,
        root: s.root,
        systemRoot: s.system,
        origins: new Set(["home"]),
        inspectors: [hermes],
      });
      expect(messages(r)).toEqual([
        "skipped: leads outside the home directory (a symlink); the runtime follows it, so inspect its target by hand",
      ]);
      expect(r.findings).toEqual([]);
      expect(r.agents.runtimes[0]!.gate.status).toBe("unknown");
    } finally {
      s.cleanup();
    }
  });

  it("a huge file is skipped", async () => {
    const r = await home(`# ${"x".repeat(256 * 1024 + 10)}\n`);
    expect(messages(r)).toEqual(["skipped: is 262157 bytes, over the 262144-byte limit"]);
    expect(view(r).gate.status).toBe("unknown");
  });

  it("deep nesting is refused", async () => {
    const r = await home(`approvals: ${"[".repeat(100)}${"]".repeat(100)}\n`);
    expect(messages(r)).toEqual(["not parsed: nested deeper than 64 levels"]);
    expect(view(r).gate.status).toBe("unknown");
  });

  it("control characters in command_allowlist entries stay data: never in titles", async () => {
    const r = await home('command_allowlist:\n  - "bash *\\e[2J\\a"\n  - "* \\e]0;pwned\\a"\n');
    expect(r.issues).toEqual([]);
    const broad = r.findings.filter((f) => f.ruleId === "hermes-allowlist-broad-entry");
    expect(broad.map((f) => f.location.name).sort()).toEqual([
      "command_allowlist[0]",
      "command_allowlist[1]",
    ]);
    for (const f of r.findings) expect(f.title).not.toMatch(/[\u0000-\u001f]/);
  });
});

describe("Hermes helpers", () => {
  it("broadEntry: globs over shells, interpreters, fetchers, deletes; pattern keys; never exact text", () => {
    const broad = [
      "*",
      "* *",
      "py*",
      "bash *",
      "sh -c *",
      "python3 -c *",
      "/usr/bin/sudo *",
      "curl *",
      "rm -rf *",
      "pip install *",
      "docker run *",
      "recursive delete",
      "pipe remote content to shell",
      "Shell command via -c/-lc flag",
    ];
    const narrow = [
      "bash",
      "sh -c",
      "sudo systemctl restart nginx",
      "git status *",
      "podman ps *",
      "ls*",
      "npm test",
      "",
    ];
    expect(broad.filter((e) => !broadEntry(e))).toEqual([]);
    expect(narrow.filter((e) => broadEntry(e))).toEqual([]);
  });

  it("dotenvValue: the last assignment of one key, quotes and comments stripped", () => {
    const text = "A=1\nHERMES_YOLO_MODE=0\n# HERMES_YOLO_MODE=1\nexport HERMES_YOLO_MODE='on' # x\n";
    expect(dotenvValue(text, "HERMES_YOLO_MODE")).toBe("on");
    expect(dotenvValue("HERMES_YOLO_MODE = yes # comment\r\n", "HERMES_YOLO_MODE")).toBe("yes");
    expect(dotenvValue("HERMES_YOLO_MODEX=1\n", "HERMES_YOLO_MODE")).toBeUndefined();
  });
});

describe("Hermes .env that cannot be read", () => {
  it("a FIFO .env leaves HERMES_YOLO_MODE unknown: gate unknown", async () => {
    const s = runtimeSandbox({
      "~/.hermes/config.yaml":
        "approvals:\n  mode: manual\n  deny: ['sudo *']\nterminal:\n  backend: docker\n",
    });
    try {
      execFileSync("mkfifo", [join(s.home, ".hermes/.env")]);
      const r = await runInspect({
        home: s.home,
        root: s.root,
        systemRoot: s.system,
        origins: new Set(["home"]),
        inspectors: [hermes],
      });
      expect(messages(r)).toEqual(["skipped: is a FIFO, not a regular file"]);
      expect(view(r).gate).toEqual({
        status: "unknown",
        detail: "~/.hermes/.env could not be read (HERMES_YOLO_MODE unknown)",
      });
      expect(view(r).sandbox.status).toBe("on");
    } finally {
      s.cleanup();
    }
  });
});
