import { describe, expect, it } from "vitest";
import { builtinPolicy } from "../../../src/capabilities/gate/load.js";
import { classifyPath, type PathClass, usableWorkspace } from "../../../src/capabilities/gate/paths.js";
import type { GateContext } from "../../../src/capabilities/gate/types.js";

// What a path is to the gate (issue 11): every class of rules/gate/paths.yaml, as exact sets, with
// HOME=/home/agent and the workspace /home/agent/project (the corpus README's setting).

const data = builtinPolicy().paths;
const CTX: GateContext = { cwd: "/home/agent/project", home: "/home/agent" };

const classes = (abs: string, ctx: GateContext = CTX) =>
  classifyPath(abs, ctx, data, usableWorkspace(ctx, data));

describe("usableWorkspace", () => {
  const cases: [GateContext, string | undefined][] = [
    [CTX, "/home/agent/project"],
    [{ ...CTX, workspace: "/home/agent/project/sub/.." }, "/home/agent/project"],
    [{ ...CTX, workspace: "/srv2/app" }, "/srv2/app"],
    [{ ...CTX, workspace: "/tmp/work" }, "/tmp/work"],
    [{ ...CTX, workspace: "/var/tmp/w" }, "/var/tmp/w"],
    [{ ...CTX, workspace: "/dev/shm/w" }, "/dev/shm/w"],
    [{ ...CTX, workspace: "/" }, undefined],
    [{ ...CTX, workspace: "/home/agent" }, undefined],
    [{ ...CTX, workspace: "/home" }, undefined],
    [{ ...CTX, workspace: "/home/agent/project/../.." }, undefined],
    [{ ...CTX, workspace: "/etc" }, undefined],
    [{ ...CTX, workspace: "/etc/app" }, undefined],
    [{ ...CTX, workspace: "/usr/src/project" }, undefined],
    [{ ...CTX, workspace: "/var/www/site" }, undefined],
    [{ ...CTX, workspace: "project" }, undefined],
    [{ cwd: "/", home: "/home/agent" }, undefined],
    [{ cwd: "/home/agent", home: "/home/agent" }, undefined],
    [{ cwd: "/root", home: "/root" }, undefined],
    [{ cwd: "/root/app", home: "/root" }, undefined],
    [{ cwd: "/home/other/app", home: "/home/agent" }, "/home/other/app"],
  ];
  it.each(cases)("%j is %j", (ctx, want) => {
    expect(usableWorkspace(ctx, data)).toBe(want);
  });
});

describe("classifyPath", () => {
  const cases: [string, PathClass[]][] = [
    // root and home (an ancestor of the home counts as the home: deleting it deletes the home)
    ["/", ["root", "home", "critical", "outside"]],
    ["/home/agent", ["home", "critical", "outside"]],
    ["/home/agent/", ["home", "critical", "outside"]],
    ["/home", ["home", "critical", "outside"]],
    ["/home/agent/project/../..", ["home", "critical", "outside"]],
    ["//", ["root", "home", "critical", "outside"]],
    // system dirs: critical for the dir itself and one level below
    ["/etc", ["system", "critical", "outside"]],
    ["/usr", ["system", "critical", "outside"]],
    ["/usr/bin", ["system", "critical", "outside"]],
    ["/usr/local/share/x", ["system", "outside"]],
    ["/etc/hosts", ["system", "critical", "outside"]],
    ["/opt/app/cache", ["system", "outside"]],
    ["/Library", ["system", "critical", "outside"]],
    // devices and network pseudo-files
    ["/dev/sda", ["system", "critical", "device", "outside"]],
    ["/dev/nvme0n1p1", ["system", "critical", "device", "outside"]],
    ["/dev/mapper/root", ["system", "device", "outside"]],
    // bash's socket paths: a network endpoint, not a file under /dev.
    ["/dev/tcp/203.0.113.5/4444", ["network"]],
    ["/dev/udp/203.0.113.5/53", ["network"]],
    ["/dev/null", []],
    ["/dev/stdout", []],
    ["/dev/fd/3", []],
    ["/proc/self/fd/1", []],
    // credentials
    ["/home/agent/.ssh", ["credential", "outside"]],
    ["/home/agent/.ssh/id_rsa", ["credential", "outside"]],
    ["/home/agent/.aws/credentials", ["credential", "outside"]],
    ["/home/agent/.docker/config.json", ["credential", "outside"]],
    ["/home/agent/.docker/other.json", ["outside"]],
    ["/home/agent/.config/gh/hosts.yml", ["credential", "outside"]],
    ["/home/agent/.env", ["credential", "secret-file", "outside"]],
    ["/etc/shadow", ["system", "critical", "credential", "outside"]],
    ["/etc/ssh", ["system", "critical", "credential", "outside"]],
    ["/etc/ssh/sshd_config", ["system", "credential", "outside"]],
    ["/root/.bashrc", ["system", "critical", "credential", "outside"]],
    ["/proc/self/environ", ["system", "credential", "outside"]],
    ["/run/secrets/db", ["system", "credential", "outside"]],
    ["/srv/keys/id_ed25519", ["system", "credential", "outside"]],
    ["/home/agent/other/credentials.json", ["credential", "outside"]],
    // secret files: routine in the workspace, a credential elsewhere
    ["/home/agent/project/.env", ["secret-file", "workspace"]],
    ["/home/agent/project/.env.local", ["secret-file", "workspace"]],
    ["/home/agent/project/.env.ci", ["secret-file", "workspace"]],
    ["/home/agent/project/config/secrets.yaml", ["secret-file", "workspace"]],
    ["/home/agent/project/.env.example", ["workspace"]],
    ["/home/agent/project/.env.sample", ["workspace"]],
    ["/home/agent/other/.env", ["secret-file", "credential", "outside"]],
    ["/tmp/.env.production", ["secret-file", "temp", "outside", "credential"]],
    ["/home/agent/project/keys/id_rsa", ["workspace"]],
    ["/home/agent/project/credentials.json", ["workspace"]],
    // persistence
    ["/home/agent/.bashrc", ["persistence", "outside"]],
    ["/home/agent/.zshrc", ["persistence", "outside"]],
    ["/home/agent/.ssh/authorized_keys", ["credential", "persistence", "outside"]],
    ["/home/agent/.npmrc", ["credential", "persistence", "outside"]],
    ["/home/agent/.config/systemd/user/x.service", ["persistence", "outside"]],
    ["/home/agent/.local/bin/git", ["persistence", "outside"]],
    ["/home/agent/bin/ls", ["persistence", "outside"]],
    ["/home/agent/Library/LaunchAgents/x.plist", ["persistence", "outside"]],
    ["/etc/cron.d/job", ["system", "persistence", "outside"]],
    ["/etc/crontab", ["system", "critical", "persistence", "outside"]],
    ["/usr/local/bin/tool", ["system", "persistence", "outside"]],
    ["/etc/sudoers.d/agent", ["system", "credential", "persistence", "outside"]],
    ["/etc/ld.so.preload", ["system", "critical", "persistence", "outside"]],
    // the agent's own config, in the home and in the workspace
    ["/home/agent/.claude/settings.json", ["agent-config", "outside"]],
    ["/home/agent/.claude/.credentials.json", ["credential", "agent-config", "outside"]],
    ["/home/agent/.codex/config.toml", ["agent-config", "outside"]],
    ["/home/agent/.codex/auth.json", ["credential", "agent-config", "outside"]],
    ["/home/agent/.claude.json", ["agent-config", "outside"]],
    ["/home/agent/project/.claude/settings.json", ["agent-config", "workspace"]],
    ["/home/agent/project/.mcp.json", ["agent-config", "workspace"]],
    ["/home/agent/project/CLAUDE.md", ["agent-config", "workspace"]],
    ["/home/agent/project/AGENTS.md", ["agent-config", "workspace"]],
    ["/home/agent/project/.vscode/settings.json", ["agent-config", "workspace"]],
    ["/home/agent/project/.vscode/launch.json", ["workspace"]],
    ["/home/agent/project/docs/CLAUDE.md", ["workspace"]],
    // temp: outside the workspace, but not a system dir
    ["/tmp", ["temp", "outside"]],
    ["/tmp/x", ["temp", "outside"]],
    ["/var/tmp", ["temp", "outside"]],
    ["/var/tmp/build/out", ["temp", "outside"]],
    ["/dev/shm/x", ["temp", "outside"]],
    // the workspace and its root
    ["/home/agent/project", ["workspace", "workspace-root"]],
    ["/home/agent/project/", ["workspace", "workspace-root"]],
    ["/home/agent/project/src/app.ts", ["workspace"]],
    ["/home/agent/project/./src/../build", ["workspace"]],
    ["/home/agent/project-other/x", ["outside"]],
    ["/home/agent/projects", ["outside"]],
    // elsewhere
    ["/home/agent/notes.txt", ["outside"]],
    ["/home/agent/project/../other/x", ["outside"]],
    ["/home/other/file", ["outside"]],
    ["/mnt/data/file", ["outside"]],
  ];
  it.each(cases)("%s", (abs, want) => {
    expect(classes(abs)).toEqual(new Set(want));
  });

  it("a workspace in temp space is the workspace, not temp", () => {
    const ctx = { cwd: "/tmp/work", home: "/home/agent" };
    expect(classes("/tmp/work/build", ctx)).toEqual(new Set(["workspace"]));
    expect(classes("/tmp/work", ctx)).toEqual(new Set(["workspace", "workspace-root"]));
    expect(classes("/tmp/other", ctx)).toEqual(new Set(["temp", "outside"]));
  });

  it("without a usable workspace nothing is workspace", () => {
    for (const workspace of ["/", "/home/agent", "/etc"]) {
      const ctx = { ...CTX, workspace };
      expect(usableWorkspace(ctx, data)).toBeUndefined();
      expect(classes("/home/agent/project/src/a.ts", ctx)).toEqual(new Set(["outside"]));
      expect(classes("/home/agent/project/.env", ctx)).toEqual(
        new Set(["secret-file", "credential", "outside"]),
      );
      expect(classes("/home/agent/project/CLAUDE.md", ctx)).toEqual(new Set(["outside"]));
    }
  });

  it("a home outside /home is still the home", () => {
    const ctx = { cwd: "/srv2/app", home: "/Users/agent" };
    expect(classes("/Users/agent", ctx)).toEqual(new Set(["home", "critical", "outside"]));
    expect(classes("/Users/agent/.ssh/id_rsa", ctx)).toEqual(new Set(["credential", "outside"]));
    expect(classes("/Users/agent/Library/LaunchAgents/a.plist", ctx)).toEqual(
      new Set(["persistence", "outside"]),
    );
    expect(classes("/home/agent/.ssh/config", ctx)).toEqual(new Set(["outside"]));
  });
});
