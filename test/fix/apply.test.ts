import { execFileSync } from "node:child_process";
import {
  chmodSync,
  chownSync,
  existsSync,
  linkSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  ApplyRefused,
  apply,
  loadManifest,
  planApply,
  type Runner,
  renderDryRun,
  rollback,
} from "../../src/fix/apply.js";
import type { GeneratedFile, InstallSpec } from "../../src/fix/types.js";
import { tempTree } from "../helpers/tmp.js";

// Issue 12, third "Done when" bullet: apply on a fixture home. As root, the fixture home belongs to
// uid 12345, so owner keeping is observable; as another user, the home is that user's and apply runs
// with an injected root identity (fchown to one's own uid is allowed), so the same tests run.

const realRoot = process.getuid?.() === 0;
const ME = process.getuid?.() ?? 0;
const AGENT = realRoot ? 12345 : ME;
const AGENT_GID = realRoot ? 12345 : (process.getgid?.() ?? 0);
/** The identity apply and rollback are given: root, whose uid is the running one. */
const ID = { isRoot: true, uid: ME } as const;

const SETTINGS = `{
  // my own settings
  "model": "opus",
  "permissions": {
    "allow": ["Bash(ls:*)"],
    "deny": ["Read(./secrets/**)"]
  }
}
`;
const CODEX = `# my codex config
model = "o3" # the model I like

[projects."/work"]
trust_level = "trusted"
`;
const HERMES = `# hermes, by hand
model: hermes-3 # keep me
approvals:
  mode: off # too lax
  allow: [ls]
`;

const GEN_SETTINGS = JSON.stringify(
  {
    permissions: { deny: ["Read(~/.aws/**)"] },
    hooks: {
      PreToolUse: [
        { matcher: "*", hooks: [{ type: "command", command: "agent-audit gate hook claude-code" }] },
      ],
    },
  },
  null,
  2,
);
const GEN_CODEX = `approval_policy = "on-request"\nsandbox_mode = "workspace-write"\n\n[sandbox_workspace_write]\nnetwork_access = false\n`;
const GEN_HERMES = "approvals:\n  mode: manual\n  allow: [git status]\n";
const GEN_SRT = '{\n  "network": { "allowedDomains": ["api.anthropic.com"] }\n}\n';
const GEN_NFT =
  "table inet agent_audit {\n  chain output {\n    type filter hook output priority 0; policy drop;\n  }\n}\n";

function gen(path: string, content: string, install: InstallSpec): GeneratedFile {
  return {
    path,
    target: "claude-code",
    content,
    mode: 0o644,
    closes: { steps: [], findings: [] },
    summary: path,
    load: [],
    install,
  };
}

let fx: { dir: string; cleanup: () => void };
let home: string;
let sys: string;
let stateDir: string;
let outside: string;
let calls: string[][];
let failOn: string | undefined;
const runner: Runner = async (argv) => {
  calls.push([...argv]);
  if (failOn !== undefined && argv.join(" ").includes(failOn))
    return { code: 1, stdout: "", stderr: "Error: syntax error\nmore" };
  if (argv[0] === "iptables-save") return { code: 0, stdout: "*filter\nCOMMIT\n", stderr: "" };
  return { code: 0, stdout: "", stderr: "" };
};
const now = () => new Date("2026-12-06T05:30:00.000Z");

function files(): GeneratedFile[] {
  return [
    gen("claude-code/settings.json", GEN_SETTINGS, {
      dest: join(home, ".claude/settings.json"),
      merge: "json",
      privileged: false,
    }),
    gen("codex/config.toml", GEN_CODEX, {
      dest: join(home, ".codex/config.toml"),
      merge: "toml",
      privileged: false,
    }),
    gen("hermes/config.yaml", GEN_HERMES, {
      dest: join(home, ".hermes/config.yaml"),
      merge: "yaml",
      privileged: false,
    }),
    gen("sandbox-runtime/srt-settings.json", GEN_SRT, {
      dest: join(home, ".config/srt/settings.json"),
      merge: "json",
      privileged: false,
      mode: 0o600,
    }),
    gen("nftables.nft", GEN_NFT, {
      dest: join(sys, "etc/nftables.d/agent-audit.nft"),
      merge: "replace",
      privileged: true,
      activate: "nftables",
    }),
  ];
}
const opts = () => ({ home, roots: [sys] });

/** Every file under a directory with its bytes, mode and owner (a snapshot to compare after rollback). */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string): void => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      const st = lstatSync(p);
      const meta = `${(st.mode & 0o7777).toString(8)} ${st.uid}:${st.gid}`;
      if (st.isDirectory()) {
        out[p] = `dir ${meta}`;
        walk(p);
      } else out[p] = `${meta} ${st.isFile() ? readFileSync(p, "utf8") : "special"}`;
    }
  };
  walk(dir);
  return out;
}

beforeEach(() => {
  fx = tempTree({
    "home/.claude/settings.json": SETTINGS,
    "home/.codex/config.toml": CODEX,
    "home/.hermes/config.yaml": HERMES,
    "sys/etc/nftables.d/.keep": "",
    "outside/shadow": "root:secret-hash:1:0:99999:7:::\n",
  });
  home = join(fx.dir, "home");
  sys = join(fx.dir, "sys");
  outside = join(fx.dir, "outside/shadow");
  stateDir = join(fx.dir, "state");
  calls = [];
  failOn = undefined;
  chmodSync(home, 0o700);
  for (const p of ["home", "home/.claude", "home/.codex", "home/.hermes"])
    chownSync(join(fx.dir, p), AGENT, AGENT_GID);
  for (const [p, mode] of [
    [".claude/settings.json", 0o600],
    [".codex/config.toml", 0o640],
    [".hermes/config.yaml", 0o644],
  ] as const) {
    chownSync(join(home, p), AGENT, AGENT_GID);
    chmodSync(join(home, p), mode);
  }
});
afterEach(() => fx.cleanup());

describe("apply on a fixture home", () => {
  it("merges keeping the user's keys and comments, owner and mode; creates new files owned by the home's owner", async () => {
    const plan = await planApply(files(), opts());
    expect(plan.entries.map((e) => [e.path, e.action, e.refusals, e.notes])).toEqual([
      ["claude-code/settings.json", "update", [], []],
      ["codex/config.toml", "update", [], []],
      ["hermes/config.yaml", "update", [], []],
      ["sandbox-runtime/srt-settings.json", "create", [], []],
      ["nftables.nft", "create", [], []],
    ]);
    const res = await apply(plan, { stateDir, runner, now, ...ID });
    expect(res.status).toBe("applied");
    expect(readFileSync(join(home, ".claude/settings.json"), "utf8")).toBe(`{
  // my own settings
  "model": "opus",
  "permissions": {
    "allow": ["Bash(ls:*)"],
    "deny": [
      "Read(./secrets/**)",
      "Read(~/.aws/**)"
    ]
  },
  "hooks": {
    "PreToolUse": [
      {
        "matcher": "*",
        "hooks": [
          {
            "type": "command",
            "command": "agent-audit gate hook claude-code"
          }
        ]
      }
    ]
  }
}
`);
    expect(readFileSync(join(home, ".codex/config.toml"), "utf8")).toBe(`# my codex config
model = "o3" # the model I like
approval_policy = "on-request"
sandbox_mode = "workspace-write"

[projects."/work"]
trust_level = "trusted"

[sandbox_workspace_write]
network_access = false
`);
    expect(readFileSync(join(home, ".hermes/config.yaml"), "utf8")).toBe(`# hermes, by hand
model: hermes-3 # keep me
approvals:
  mode: manual # too lax
  allow: [ ls, git status ]
`);
    const st = (p: string) => {
      const s = statSync(join(home, p));
      return [(s.mode & 0o7777).toString(8), s.uid, s.gid];
    };
    expect(st(".claude/settings.json")).toEqual(["600", AGENT, AGENT_GID]);
    expect(st(".codex/config.toml")).toEqual(["640", AGENT, AGENT_GID]);
    expect(st(".hermes/config.yaml")).toEqual(["644", AGENT, AGENT_GID]);
    expect(st(".config")).toEqual(["700", AGENT, AGENT_GID]);
    expect(st(".config/srt")).toEqual(["700", AGENT, AGENT_GID]);
    expect(st(".config/srt/settings.json")).toEqual(["600", AGENT, AGENT_GID]);
    expect(calls).toEqual([["nft", "-f", join(sys, "etc/nftables.d/agent-audit.nft")]]);

    const m = res.manifest!;
    expect(res.manifestPath).toBe(join(stateDir, "20261206T053000Z/manifest.json"));
    expect(await loadManifest(res.manifestPath!)).toEqual(m);
    expect(m.complete).toBe(true);
    expect(m.status).toBe("applied");
    expect(m.entries.map((e) => [e.n, e.existed, e.backup, e.state, e.before?.mode, e.createdDirs])).toEqual([
      [0, true, "backup/0", "written", 0o600, []],
      [1, true, "backup/1", "written", 0o640, []],
      [2, true, "backup/2", "written", 0o644, []],
      [3, false, null, "written", undefined, [join(home, ".config"), join(home, ".config/srt")]],
      [4, false, null, "written", undefined, []],
    ]);
    expect(m.entries[4]!.activation).toEqual({
      kind: "nftables",
      run: [["nft", "-f", join(sys, "etc/nftables.d/agent-audit.nft")]],
      undo: [["nft", "delete", "table", "inet", "agent_audit"]],
      state: "done",
    });
    expect(readFileSync(join(stateDir, "20261206T053000Z/backup/0"), "utf8")).toBe(SETTINGS);
    expect((statSync(join(stateDir, "20261206T053000Z")).mode & 0o777).toString(8)).toBe("700");
    expect((statSync(join(stateDir, "20261206T053000Z/backup/0")).mode & 0o777).toString(8)).toBe("600");
  });

  it("is idempotent: a second plan is all unchanged and a second apply writes nothing, no manifest", async () => {
    await apply(await planApply(files(), opts()), { stateDir, runner, now, ...ID });
    const after = snapshot(fx.dir);
    const again = await planApply(files(), opts());
    expect(again.entries.map((e) => e.action)).toEqual([
      "unchanged",
      "unchanged",
      "unchanged",
      "unchanged",
      "unchanged",
    ]);
    expect(renderDryRun(again)).toBe("");
    calls = [];
    const res = await apply(again, {
      stateDir,
      runner,
      now: () => new Date("2026-12-06T06:00:00Z"),
      ...ID,
    });
    expect(res).toEqual({ status: "unchanged", manifestPath: null, manifest: null, activations: [] });
    expect(calls).toEqual([]);
    expect(snapshot(fx.dir)).toEqual(after);
    expect(readdirSync(stateDir)).toEqual(["20261206T053000Z"]);
  });

  it("rollback restores every file byte for byte with owner and mode, removes what it created, undoes the load; twice is a no-op", async () => {
    const before = snapshot(fx.dir);
    const res = await apply(await planApply(files(), opts()), { stateDir, runner, now, ...ID });
    calls = [];
    const rb = await rollback({ stateDir }, { runner, now, ...ID });
    expect(rb.done).toBe(true);
    expect(rb.ok).toBe(true);
    expect(rb.manifestPath).toBe(res.manifestPath);
    expect(rb.entries.map((e) => [e.dest.slice(fx.dir.length), e.action])).toEqual([
      ["/sys/etc/nftables.d/agent-audit.nft", "deleted"],
      ["/home/.config/srt/settings.json", "deleted"],
      ["/home/.hermes/config.yaml", "restored"],
      ["/home/.codex/config.toml", "restored"],
      ["/home/.claude/settings.json", "restored"],
    ]);
    expect(rb.removedDirs).toEqual([join(home, ".config/srt"), join(home, ".config")]);
    expect(calls).toEqual([["nft", "delete", "table", "inet", "agent_audit"]]);
    const restored = snapshot(fx.dir);
    for (const k of Object.keys(restored)) if (k.startsWith(stateDir)) delete restored[k];
    expect(restored).toEqual(before);

    calls = [];
    const second = await rollback(res.manifestPath!, { runner, now, ...ID });
    expect(second.entries.map((e) => e.action)).toEqual([
      "already",
      "already",
      "already",
      "already",
      "already",
    ]);
    expect(second.activations).toEqual([]);
    expect(calls).toEqual([]);
  });

  it("recovers a crash after the 2nd file was written with a rollback of the incomplete manifest", async () => {
    const before = snapshot(fx.dir);
    let written = 0;
    const crash = new Error("killed");
    await expect(
      apply(await planApply(files(), opts()), {
        stateDir,
        runner,
        now,
        ...ID,
        afterWrite: () => {
          written++;
          if (written === 2) throw crash;
        },
      }),
    ).rejects.toBe(crash);
    const mpath = join(stateDir, "20261206T053000Z/manifest.json");
    const m = await loadManifest(mpath);
    expect([m.complete, m.status, m.rolledBack]).toEqual([false, "applying", null]);
    expect(m.entries.map((e) => e.state)).toEqual(["written", "written", "pending", "pending", "pending"]);
    expect(m.entries[4]!.activation!.state).toBe("pending");
    expect(readFileSync(join(home, ".hermes/config.yaml"), "utf8")).toBe(HERMES); // not reached
    expect(readFileSync(join(home, ".codex/config.toml"), "utf8")).not.toBe(CODEX);
    expect(calls).toEqual([]);

    const rb = await rollback(mpath, { runner, now, ...ID });
    expect(rb.entries.map((e) => e.action)).toEqual([
      "already",
      "already",
      "already",
      "restored",
      "restored",
    ]);
    expect(calls).toEqual([]);
    const restored = snapshot(fx.dir);
    for (const k of Object.keys(restored)) if (k.startsWith(stateDir)) delete restored[k];
    expect(restored).toEqual(before);
    expect((await loadManifest(mpath)).rolledBack).toEqual({
      at: "2026-12-06T05:30:00.000Z",
      complete: true,
    });
  });

  it("a file changed by someone else during the apply stops it: what was written is rolled back, that file left as they made it", async () => {
    let n = 0;
    const res = await apply(await planApply(files(), opts()), {
      stateDir,
      runner,
      now,
      ...ID,
      afterWrite: () => {
        if (++n === 2) writeFileSync(join(home, ".hermes/config.yaml"), "model: theirs\n");
      },
    });
    expect(res.status).toBe("rolled-back");
    expect(res.failure).toBe(`${home}/.hermes/config.yaml changed since the plan was made`);
    expect(res.rollback!.entries.map((e) => [e.dest.slice(fx.dir.length), e.action, e.reason])).toEqual([
      ["/sys/etc/nftables.d/agent-audit.nft", "already", undefined],
      ["/home/.config/srt/settings.json", "already", undefined],
      [
        "/home/.hermes/config.yaml",
        "untouched",
        `${home}/.hermes/config.yaml was not written by the apply and changed since`,
      ],
      ["/home/.codex/config.toml", "restored", undefined],
      ["/home/.claude/settings.json", "restored", undefined],
    ]);
    expect(readFileSync(join(home, ".hermes/config.yaml"), "utf8")).toBe("model: theirs\n");
    expect(readFileSync(join(home, ".codex/config.toml"), "utf8")).toBe(CODEX);
    expect(readFileSync(join(home, ".claude/settings.json"), "utf8")).toBe(SETTINGS);
    expect(calls).toEqual([]);
  });

  it("rolls everything back when an activation fails, and says which", async () => {
    const before = snapshot(fx.dir);
    failOn = "nft -f";
    const res = await apply(await planApply(files(), opts()), { stateDir, runner, now, ...ID });
    expect(res.status).toBe("rolled-back");
    expect(res.failure).toBe(
      `nft -f ${join(sys, "etc/nftables.d/agent-audit.nft")} exited with 1: Error: syntax error`,
    );
    expect(res.rollback!.ok).toBe(true);
    expect(res.manifest!.status).toBe("failed");
    expect(res.manifest!.complete).toBe(false);
    expect(res.manifest!.entries[4]!.activation!.state).toBe("failed");
    // nft -f is atomic: a failed load left nothing to undo.
    expect(calls).toEqual([["nft", "-f", join(sys, "etc/nftables.d/agent-audit.nft")]]);
    const restored = snapshot(fx.dir);
    for (const k of Object.keys(restored)) if (k.startsWith(stateDir)) delete restored[k];
    expect(restored).toEqual(before);
  });

  it("a command that cannot run is a failed activation: rolled back, with the reason", async () => {
    const missing: Runner = async (argv) => {
      calls.push([...argv]);
      throw Object.assign(new Error("spawn nft ENOENT"), { code: "ENOENT" });
    };
    const res = await apply(await planApply(files(), opts()), {
      stateDir,
      runner: missing,
      now,
      ...ID,
    });
    expect(res.status).toBe("rolled-back");
    expect(res.failure).toBe(
      `nft -f ${join(sys, "etc/nftables.d/agent-audit.nft")} exited with 127: could not run: ENOENT`,
    );
    expect(readFileSync(join(home, ".claude/settings.json"), "utf8")).toBe(SETTINGS);
  });

  it("snapshots iptables before loading and restores that snapshot on rollback; squid is parsed then reconfigured", async () => {
    const fs = [
      gen("iptables.rules", "*filter\n:OUTPUT DROP [0:0]\nCOMMIT\n", {
        dest: join(sys, "etc/iptables/rules.v4"),
        merge: "replace",
        privileged: true,
        activate: "iptables",
      }),
      gen("squid.conf", "http_access deny all\n", {
        dest: join(sys, "etc/squid/squid.conf"),
        merge: "replace",
        privileged: true,
        activate: "squid",
      }),
    ];
    mkdirSync(join(sys, "etc/squid"));
    writeFileSync(join(sys, "etc/squid/squid.conf"), "http_access allow all\n");
    const res = await apply(await planApply(fs, opts()), { stateDir, runner, now, ...ID });
    const snap = join(stateDir, "20261206T053000Z/activation-0.rules");
    const squidConf = join(sys, "etc/squid/squid.conf");
    expect(calls).toEqual([
      ["iptables-save"],
      ["iptables-restore", join(sys, "etc/iptables/rules.v4")],
      ["squid", "-k", "parse", "-f", squidConf],
      ["squid", "-k", "check", "-f", squidConf],
      ["squid", "-k", "reconfigure", "-f", squidConf],
    ]);
    expect(readFileSync(snap, "utf8")).toBe("*filter\nCOMMIT\n");
    expect(res.manifest!.entries[0]!.activation!.undo).toEqual([["iptables-restore", snap]]);
    calls = [];
    await rollback(res.manifestPath!, { runner, now, ...ID });
    expect(calls).toEqual([
      ["squid", "-k", "parse", "-f", squidConf],
      ["squid", "-k", "check", "-f", squidConf],
      ["squid", "-k", "reconfigure", "-f", squidConf],
      ["iptables-restore", snap],
    ]);
    expect(readFileSync(squidConf, "utf8")).toBe("http_access allow all\n");
    expect(existsSync(join(sys, "etc/iptables"))).toBe(false);
  });

  it("rollback refuses a destination changed since the apply unless forced", async () => {
    const res = await apply(await planApply(files(), opts()), { stateDir, runner, now, ...ID });
    writeFileSync(join(home, ".codex/config.toml"), "model = 'edited later'\n");
    const beforeRb = snapshot(home);
    const rb = await rollback(res.manifestPath!, { runner, now, ...ID });
    expect(rb.done).toBe(false);
    expect(rb.ok).toBe(false);
    expect(rb.entries.filter((e) => e.action === "refused")).toEqual([
      {
        dest: join(home, ".codex/config.toml"),
        action: "refused",
        reason: `${join(home, ".codex/config.toml")} changed since the apply (its sha256 is neither the one before nor the one written); force restores it anyway`,
      },
    ]);
    expect(snapshot(home)).toEqual(beforeRb);
    const forced = await rollback(res.manifestPath!, { runner, now, ...ID, force: true });
    expect(forced.done).toBe(true);
    expect(readFileSync(join(home, ".codex/config.toml"), "utf8")).toBe(CODEX);
  });

  it("--dry-run: the exact diff of a merge and of a new file", async () => {
    const plan = await planApply(files().slice(2, 4), opts());
    expect(renderDryRun(plan)).toBe(`--- ${home}/.hermes/config.yaml
+++ ${home}/.hermes/config.yaml
@@ -1,5 +1,5 @@
 # hermes, by hand
 model: hermes-3 # keep me
 approvals:
-  mode: off # too lax
-  allow: [ls]
+  mode: manual # too lax
+  allow: [ ls, git status ]
--- /dev/null
+++ ${home}/.config/srt/settings.json
@@ -0,0 +1,3 @@
+{
+  "network": { "allowedDomains": ["api.anthropic.com"] }
+}
`);
  });

  it("--dry-run masks a secret on the lines of the user's file it shows", async () => {
    const key = `sk-ant-api03-${"Zq7xR2mK9pL4vT8wN3bY6cH1jF5gD0sA".repeat(3)}-AbCdEfAA`;
    writeFileSync(join(home, ".hermes/config.yaml"), `api_key: ${key}\nmodel: hermes-3\n`);
    const text = renderDryRun(await planApply(files().slice(2, 3), opts()));
    expect(text).not.toContain(key);
    expect(text).toContain(" api_key: sk-a…(118)\n");
    expect(text).toContain("+approvals:");
  });

  describe("refuses, with the reason, a destination that is not what it seems, and writes nothing anywhere", () => {
    async function refused(expected: string[]): Promise<void> {
      const before = snapshot(fx.dir);
      const plan = await planApply(files(), opts());
      expect(plan.entries.flatMap((e) => e.refusals)).toEqual(expected);
      const err = await apply(plan, { stateDir, runner, now, ...ID }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ApplyRefused);
      expect((err as ApplyRefused).reasons).toEqual(expected);
      expect(snapshot(fx.dir)).toEqual(before);
      expect(existsSync(stateDir)).toBe(false);
      expect(calls).toEqual([]);
      expect(readFileSync(outside, "utf8")).toBe("root:secret-hash:1:0:99999:7:::\n");
    }

    it("a symlink at ~/.claude/settings.json to a file outside", async () => {
      unlinkSync(join(home, ".claude/settings.json"));
      symlinkSync(outside, join(home, ".claude/settings.json"));
      await refused([`${home}/.claude/settings.json is a symbolic link`]);
    });

    it("a symlinked ~/.claude directory", async () => {
      const real = join(fx.dir, "outside/claude");
      mkdirSync(real);
      writeFileSync(join(real, "settings.json"), SETTINGS);
      execFileSync("rm", ["-r", join(home, ".claude")]);
      symlinkSync(real, join(home, ".claude"));
      await refused([`${home}/.claude is a symbolic link`]);
    });

    it("a hard-linked file", async () => {
      unlinkSync(join(home, ".claude/settings.json"));
      linkSync(outside, join(home, ".claude/settings.json"));
      await refused([`${home}/.claude/settings.json has 2 hard links`]);
    });

    it("a FIFO at the destination", async () => {
      unlinkSync(join(home, ".claude/settings.json"));
      execFileSync("mkfifo", [join(home, ".claude/settings.json")]);
      await refused([`${home}/.claude/settings.json is a FIFO, not a regular file`]);
    });

    it("a file where a directory should be", async () => {
      writeFileSync(join(home, ".config"), "x");
      await refused([`${home}/.config is not a directory`]);
    });

    it("a file that is not valid JSON", async () => {
      writeFileSync(join(home, ".claude/settings.json"), "{ nope");
      await refused([`${home}/.claude/settings.json is not valid JSON (comments allowed)`]);
    });
  });

  it("refuses a privileged entry without root, with every reason, before writing anything", async () => {
    const before = snapshot(fx.dir);
    const plan = await planApply(files(), opts());
    const err = await apply(plan, { stateDir, runner, now, isRoot: false }).catch((e: unknown) => e);
    expect((err as ApplyRefused).reasons).toEqual([
      `${sys}/etc/nftables.d/agent-audit.nft is a system path: applying it needs root`,
    ]);
    expect((err as Error).message).toBe(
      `apply refused: ${sys}/etc/nftables.d/agent-audit.nft is a system path: applying it needs root`,
    );
    expect(snapshot(fx.dir)).toEqual(before);
    expect(existsSync(stateDir)).toBe(false);
  });

  it("root does not trust a manifest another user could have written; refuses a state directory in the home", async () => {
    const res = await apply(await planApply(files(), opts()), { stateDir, runner, now, ...ID });
    chmodSync(res.manifestPath!, 0o666);
    await expect(rollback(res.manifestPath!, { runner, now, ...ID })).rejects.toThrow(
      `${res.manifestPath} is not owned by the running user or is writable by others: refusing to trust it`,
    );
    chmodSync(res.manifestPath!, 0o600);
    if (realRoot) {
      chownSync(res.manifestPath!, AGENT, AGENT_GID);
      await expect(rollback(res.manifestPath!, { runner, now, ...ID })).rejects.toThrow(
        "refusing to trust it",
      );
    }
    const err = await apply(await planApply(files().slice(0, 1), opts()), {
      stateDir: join(home, ".state"),
      runner,
      now,
      ...ID,
    }).catch((e: unknown) => e);
    expect((err as ApplyRefused).reasons).toEqual([
      `the state directory ${home}/.state is inside ${home}, where the agent can write`,
    ]);
  });

  it("without root, refuses to replace a file another user owns", async () => {
    const plan = await planApply(files().slice(0, 1), opts());
    const err = await apply(plan, { stateDir, runner, now, isRoot: false, uid: 4242 }).catch(
      (e: unknown) => e,
    );
    expect((err as ApplyRefused).reasons).toEqual([
      `${home}/.claude/settings.json is owned by uid ${AGENT}: only root can replace it keeping its owner`,
    ]);
  });

  it("a file the user cannot read is refused with the reason; a file owned by another user is noted, its owner kept", async () => {
    if (realRoot) {
      chownSync(join(home, ".codex/config.toml"), 4242, 4343);
      const plan = await planApply(files(), opts());
      expect(plan.entries[1]!.notes).toEqual([
        `${home}/.codex/config.toml is owned by 4242:4343, not by its directory's owner ${AGENT}:${AGENT_GID}; its owner is kept`,
      ]);
      await apply(plan, { stateDir, runner, now, ...ID });
      const st = statSync(join(home, ".codex/config.toml"));
      expect([st.uid, st.gid]).toEqual([4242, 4343]);
    } else {
      chmodSync(join(home, ".codex"), 0o000);
      const plan = await planApply(files(), opts());
      chmodSync(join(home, ".codex"), 0o755);
      expect(plan.entries[1]!.refusals).toEqual([
        `${home}/.codex/config.toml cannot be read: permission denied (EACCES)`,
      ]);
    }
  });

  it("refuses a plan whose destination changed after it was made", async () => {
    const plan = await planApply(files(), opts());
    writeFileSync(join(home, ".hermes/config.yaml"), "model: other\n");
    const err = await apply(plan, { stateDir, runner, now, ...ID }).catch((e: unknown) => e);
    expect((err as ApplyRefused).reasons).toEqual([
      `${home}/.hermes/config.yaml changed since the plan was made`,
    ]);
    expect(existsSync(stateDir)).toBe(false);
  });
});
