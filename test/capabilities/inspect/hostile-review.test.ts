import { symlinkSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { INSPECTORS, portablePath, runInspect } from "../../../src/capabilities/inspect/index.js";
import {
  ConfigReader,
  type ConfigSpec,
  MAX_TYPE_ISSUES,
  parseConfig,
  strs,
} from "../../../src/capabilities/inspect/read.js";
import { runtimeSandbox } from "../../helpers/runtime.js";
import { tempTree } from "../../helpers/tmp.js";

// Hostile review of the runtime inspection (issue 10): the agent under audit writes every config
// the inspectors read, its environment and its home. Each test below failed before the fix named
// in it. The "OPEN:" block holds defects of runtime modules (hermes.ts, sandbox-runtime.ts,
// claude-code.ts) that are reported to their owners and still fail.

const spec = (format: ConfigSpec["format"], abs = "/x"): ConfigSpec => ({
  abs,
  scope: "user",
  origin: "home",
  format,
});
function parse(format: ConfigSpec["format"], text: string) {
  const issues: string[] = [];
  const file = parseConfig(spec(format), text, (m) => issues.push(m));
  return { file, issues };
}
const MIB = 1024 * 1024;

describe("hostile review: the config reader (read.ts)", () => {
  it("a JSON string cut by a line break does not hide a bracket flood from the depth guard (was: stack overflow escaped)", () => {
    // jsonc-parser ends an unterminated string at a line break and reads on; the guard skipped to
    // the end of the text looking for the closing quote, so the parser recursed a million levels.
    for (const [format, br] of [
      ["json", "\n"],
      ["json", "\r"],
      ["jsonc", "\n"],
    ] as const) {
      const r = parse(format, `["${br}${"[".repeat(MIB - 16)}`);
      expect(r.file.ok).toBe(false);
      expect(r.issues).toEqual([
        br === "\n"
          ? "not parsed: nested deeper than 64 levels at line 2, column 64"
          : "not parsed: nested deeper than 64 levels at line 1, column 67",
      ]);
    }
  });

  it("a deep YAML block sequence parsed again and again never aborts the process (was: fatal V8 error)", () => {
    // yaml recurses per level and relies on catching the stack overflow; a regular expression
    // compiled near the stack limit made V8 abort the process (uncatchable) on the second parse.
    const text = `${"- ".repeat(3000)}x`;
    for (let i = 0; i < 3; i++) {
      const r = parse("yaml", text);
      expect(r.file.ok).toBe(false);
      expect(r.issues).toEqual(["not parsed: nested deeper than 64 levels"]);
    }
    const flow = parse("yaml", `a: ${"[".repeat(2000)}`);
    expect(flow.issues).toEqual(["not parsed: nested deeper than 64 levels"]);
  });

  it("256 KiB of YAML quotes, anchors or tags is refused at once (was: 100-180 s in the composer)", () => {
    for (const unit of ['"', "&a ", "*a ", "!a "]) {
      const r = parse("yaml", unit.repeat(Math.floor((256 * 1024 - 16) / unit.length)));
      expect(r.file.ok).toBe(false);
      expect(r.issues).toEqual(["not parsed: line 1: too many anchors, tags or indicators on one value"]);
    }
  });

  it("a YAML file with deep indentation, or two documents, is refused before it is composed", () => {
    expect(parse("yaml", `a:\n${" ".repeat(300)}b: 1\n`).issues).toEqual([
      "not parsed: line 2: indented more than 256 columns",
    ]);
    expect(parse("yaml", "approvals:\n  mode: manual\n---\napprovals:\n  mode: off\n").issues).toEqual([
      "not parsed: line 3: more than one YAML document",
    ]);
  });

  it("a UTF-16 YAML config is an issue, not one string that leaves the runtime's defaults in force (was: ok)", async () => {
    const src = "approvals:\n  mode: off\n";
    const le = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(src, "utf16le")]);
    const r = parse("yaml", le.toString("utf8"));
    expect(r.file.ok).toBe(false);
    expect(r.issues).toEqual([
      "not valid YAML at line 1, column 4: a NUL character (a UTF-16 or binary file is not read)",
    ]);
    // Through the Hermes inspector: the gate is unknown, never "partial" on assumed defaults.
    const s = runtimeSandbox({ "~/.hermes/config.yaml": le });
    try {
      const res = await runInspect({
        home: s.home,
        root: s.root,
        systemRoot: s.system,
        origins: new Set(["home", "tree", "system"]),
        inspectors: INSPECTORS.filter((i) => i.id === "hermes"),
      });
      const view = res.agents.runtimes[0]!;
      expect(view.gate.status).toBe("unknown");
      expect(res.issues).toEqual([
        {
          where: join(s.home, ".hermes/config.yaml"),
          message:
            "not valid YAML at line 1, column 4: a NUL character (a UTF-16 or binary file is not read)",
        },
      ]);
    } finally {
      s.cleanup();
    }
  });

  it("TOML key lines come from one index per file (was: the whole file split once per lookup, minutes)", () => {
    let text = "";
    for (let i = 0; text.length < MIB - 64; i++) text += `[profiles.p${i}]\nx = 1\n`;
    const r = parse("toml", text);
    expect(r.file.ok).toBe(true);
    const n = Object.keys((r.file.value as { profiles: object }).profiles).length;
    for (let i = 0; i < n; i++) expect(r.file.lineOf(["profiles", `p${i}`, "x"])).toBe(2 * i + 2);
    expect(r.file.lineOf(["profiles", "p0", "y"])).toBeUndefined();
    expect(r.file.lineOf(["x"])).toBeUndefined();
  });

  it("wrong-typed items are listed up to MAX_TYPE_ISSUES per file (was: one issue per item, 350,000 for one array)", () => {
    let text = "[sandbox_workspace_write]\nwritable_roots = [\n";
    while (text.length < MIB - 16) text += "1,\n";
    const read = new ConfigReader({ home: "/h", tree: "/r", system: "/" });
    const r = parse("toml", `${text}]\n`);
    expect(strs(read, r.file, ["sandbox_workspace_write", "writable_roots"])).toEqual([]);
    expect(read.issues).toHaveLength(MAX_TYPE_ISSUES + 1);
    expect(read.issues[0]).toEqual({
      where: "/x",
      message:
        "line 2: sandbox_workspace_write.writable_roots[0]: expected a string, found a number (ignored, as the runtime would reject or ignore it)",
    });
    expect(read.issues[MAX_TYPE_ISSUES]).toEqual({
      where: "/x",
      message:
        "more values of the wrong type not listed (over 50; each is ignored, as the runtime would reject or ignore it)",
    });
  });

  it("under --system-root, a config directory named by the agent's environment cannot lead out of the scanned dirs (was: read the scanning machine's file)", async () => {
    const t = tempTree({
      "H/.keep": "",
      "R/.keep": "",
      "S/.keep": "",
      "outside/config.yaml": "approvals:\n  mode: off\n",
      "H/alt/config.yaml": "approvals:\n  mode: manual\n",
    });
    try {
      const bases = { home: join(t.dir, "H"), tree: join(t.dir, "R"), system: join(t.dir, "S") };
      const read = new ConfigReader(bases);
      const outside = join(t.dir, "outside");
      const f = await read.load({ ...spec("yaml", join(outside, "config.yaml")), base: outside });
      expect(f?.ok).toBe(false);
      expect(read.issues).toEqual([
        {
          where: join(outside, "config.yaml"),
          message:
            "skipped: the directory the agent's environment names for it leads outside the home, the project and the system root (--system-root)",
        },
      ]);
      // "/" and /proc/self are outside too.
      for (const dir of ["/", "/proc/self"]) {
        const g = await read.load({ ...spec("yaml", join(dir, "config.yaml")), base: dir });
        expect(g?.ok).toBe(false);
      }
      // A directory that does not exist holds no config.
      expect(
        await read.load({ ...spec("yaml", join(t.dir, "none/config.yaml")), base: join(t.dir, "none") }),
      ).toBeUndefined();
      // Inside the home: read.
      const alt = join(t.dir, "H/alt");
      const ok = await read.load({ ...spec("yaml", join(alt, "config.yaml")), base: alt });
      expect(ok?.ok).toBe(true);
      // Auditing the live machine (system root "/"): the agent's own absolute path is read.
      const live = new ConfigReader({ ...bases, system: "/" });
      const h = await live.load({ ...spec("yaml", join(outside, "config.yaml")), base: outside });
      expect(h?.ok).toBe(true);
      expect(live.issues).toEqual([]);
    } finally {
      t.cleanup();
    }
  });
});

describe("hostile review: listing config directories (read.ts)", () => {
  it("under --system-root, a config directory linked out of the scanned dirs is not listed (was: the scanning machine's file names in issues)", async () => {
    const t = tempTree({ "H/.keep": "", "R/.keep": "", "S/.keep": "", "outside/secret-name.rules": "x" });
    try {
      symlinkSync(join(t.dir, "outside"), join(t.dir, "H/rules"));
      const bases = { home: join(t.dir, "H"), tree: join(t.dir, "R"), system: join(t.dir, "S") };
      const read = new ConfigReader(bases);
      expect(await read.list(join(t.dir, "H/rules"), ".rules")).toEqual([]);
      expect(read.issues).toEqual([
        {
          where: join(t.dir, "H/rules"),
          message: "skipped: leads outside the home, the project and the system root (--system-root)",
        },
      ]);
      // The live machine (system root "/"): listed; each file's own read is still confined.
      const live = new ConfigReader({ ...bases, system: "/" });
      expect(await live.list(join(t.dir, "H/rules"), ".rules")).toEqual([
        join(t.dir, "H/rules/secret-name.rules"),
      ]);
      expect(await read.list(join(t.dir, "H/none"), ".rules")).toEqual([]);
      expect(read.issues).toHaveLength(1);
    } finally {
      t.cleanup();
    }
  });
});

describe("hostile review: runInspect (index.ts)", () => {
  it("portablePath names a file by its closest base (was: every home file ./-relative under --root / or --root /home)", () => {
    const ctx = { home: "/home/u", root: "/", systemRoot: "/" };
    expect(portablePath("/home/u/.claude/settings.json", ctx)).toBe("~/.claude/settings.json");
    expect(portablePath("/home/u/.claude/settings.json", { ...ctx, root: "/home" })).toBe(
      "~/.claude/settings.json",
    );
    expect(portablePath("/home/u/p/.claude/settings.json", { ...ctx, root: "/home/u/p" })).toBe(
      "./.claude/settings.json",
    );
    expect(portablePath("/etc/codex/requirements.toml", { ...ctx, root: "/home/u/p" })).toBe(
      "/etc/codex/requirements.toml",
    );
    expect(
      portablePath("/img/etc/x.json", { home: "/img/home/u", root: "/img/srv", systemRoot: "/img" }),
    ).toBe("/etc/x.json");
    expect(
      portablePath("/img/home/u/.x", { home: "/img/home/u", root: "/img/srv", systemRoot: "/img" }),
    ).toBe("~/.x");
  });
});

describe("runtime modules (found in review, fixed)", () => {
  // No timing assertion: the test's own timeout is the hang guard (it took 13-20 s before).
  it("sandbox-runtime: allowedDomains x deniedDomains is not compared pairwise", async () => {
    const allowed: string[] = [];
    const denied: string[] = [];
    let size = 0;
    while (size < MIB / 2 - 100) {
      const a = `a${allowed.length}.example.com`;
      allowed.push(a);
      denied.push(`d${denied.length}.example.org`);
      size += 2 * (a.length + 3);
    }
    const s = runtimeSandbox({
      "~/.srt-settings.json": JSON.stringify({
        network: { allowedDomains: allowed, deniedDomains: denied, strictAllowlist: true },
      }),
    });
    try {
      const res = await runInspect({
        home: s.home,
        root: s.root,
        systemRoot: s.system,
        origins: new Set(["home"]),
        inspectors: INSPECTORS.filter((i) => i.id === "sandbox-runtime"),
      });
      expect(res.findings.map((f) => f.ruleId)).toEqual(["srt-allowed-domains-large"]);
    } finally {
      s.cleanup();
    }
  }, 10_000);

  it("hermes: a config.yaml whose top level is not a mapping is an issue, its gate unknown", async () => {
    const s = runtimeSandbox({ "~/.hermes/config.yaml": "- approvals:\n    mode: off\n" });
    try {
      const res = await runInspect({
        home: s.home,
        root: s.root,
        systemRoot: s.system,
        origins: new Set(["home"]),
        inspectors: INSPECTORS.filter((i) => i.id === "hermes"),
      });
      expect(res.agents.runtimes[0]!.gate.status).toBe("unknown");
      expect(res.issues.map((i) => i.where)).toEqual([join(s.home, ".hermes/config.yaml")]);
    } finally {
      s.cleanup();
    }
  });

  it("hermes: an absolute HERMES_HOME is read under --system-root (as CODEX_HOME is)", async () => {
    const s = runtimeSandbox({
      "/opt/hermes/config.yaml": "approvals:\n  mode: 'off'\n",
    });
    try {
      const res = await runInspect({
        home: s.home,
        root: s.root,
        systemRoot: s.system,
        origins: new Set(["home"]),
        env: { HERMES_HOME: "/opt/hermes" },
        inspectors: INSPECTORS.filter((i) => i.id === "hermes"),
      });
      expect(res.agents.runtimes[0]!.gate.status).toBe("off");
      expect(res.findings.map((f) => f.ruleId)).toContain("hermes-approvals-off");
    } finally {
      s.cleanup();
    }
  });

  it("claude-code: an absolute CLAUDE_CONFIG_DIR is read under --system-root (as CODEX_HOME is)", async () => {
    const s = runtimeSandbox({
      "/opt/claude/settings.json": JSON.stringify({ permissions: { defaultMode: "bypassPermissions" } }),
    });
    try {
      const res = await runInspect({
        home: s.home,
        root: s.root,
        systemRoot: s.system,
        origins: new Set(["home"]),
        env: { CLAUDE_CONFIG_DIR: "/opt/claude" },
        inspectors: INSPECTORS.filter((i) => i.id === "claude-code"),
      });
      expect(res.agents.runtimes[0]!.gate.status).toBe("off");
    } finally {
      s.cleanup();
    }
  });
});
