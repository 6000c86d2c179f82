import { execFileSync } from "node:child_process";
import { symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runInspect } from "../../../src/capabilities/inspect/index.js";
import {
  broadDomain,
  broadWrite,
  domainCovers,
  domainPattern,
  homeRelative,
  sandboxRuntime,
} from "../../../src/capabilities/inspect/sandbox-runtime.js";
import type { RuntimeView } from "../../../src/contract/types.js";
import { inspectFiles, runtimeSandbox } from "../../helpers/runtime.js";

// The sandbox-runtime (srt) inspector (issue 10) over the fixture sets and hostile inputs.

const FIXTURES = join(import.meta.dirname, "../../../fixtures/runtimes/sandbox-runtime");
const SETTINGS = "~/.srt-settings.json";

async function fixture(name: "safe" | "unsafe", credentialPaths: string[] = []) {
  const dir = join(FIXTURES, name);
  return runInspect({
    home: join(dir, "home"),
    root: join(dir, "tree"),
    systemRoot: join(dir, "system"),
    origins: new Set(["home", "tree", "system"]),
    credentialPaths,
    inspectors: [sandboxRuntime],
  });
}

const ids = (r: { findings: { ruleId: string }[] }) => r.findings.map((f) => f.ruleId).sort();
const view = (r: { agents: { runtimes: RuntimeView[] } }) => r.agents.runtimes[0]!;
const messages = (r: { issues: { message: string }[] }) => r.issues.map((i) => i.message);
const settings = (text: string, opts: { credentialPaths?: string[]; files?: Record<string, string> } = {}) =>
  inspectFiles(
    { [SETTINGS]: text, ...(opts.files ?? {}) },
    { runtime: "sandbox-runtime", credentialPaths: opts.credentialPaths ?? [] },
  );
const valid = (
  network: string,
  filesystem = '"denyRead": [], "allowWrite": [], "denyWrite": []',
  extra = "",
) => `{\n  "network": {${network}},\n  "filesystem": {${filesystem}}${extra}\n}\n`;

describe("srt fixtures", () => {
  it("safe: strict allowlist of package hosts, credentials denied: sandbox on, gate none (srt has no approvals)", async () => {
    const r = await fixture("safe", [".aws/credentials", ".ssh/config"]);
    expect(r.issues).toEqual([]);
    expect(ids(r)).toEqual([]);
    const v = view(r);
    expect(v.present).toBe(true);
    expect(v.files.map((f) => `${f.scope}:${f.ok}`)).toEqual(["user:true"]);
    expect(v.sandbox).toEqual({
      status: "on",
      detail: "~/.srt-settings.json: 4 allowed domains, credential paths denied",
    });
    expect(v.gate).toEqual({
      status: "none",
      detail: "srt has no command approval of its own; it confines commands (sandbox on)",
    });
    expect(r.step.status).toBe("warn");
  });

  it("unsafe: broad domains, docker.sock, local binding, external proxy, weak nesting, ~ writable, ~/.ssh readable", async () => {
    const r = await fixture("unsafe", [".aws/credentials"]);
    expect(r.issues).toEqual([]);
    expect(ids(r)).toEqual([
      "srt-broad-allow-write",
      "srt-broad-allowed-domain",
      "srt-broad-allowed-domain",
      "srt-credential-read-allowed",
      "srt-domain-allowed-and-denied",
      "srt-external-proxy",
      "srt-local-binding",
      "srt-strict-allowlist-off",
      "srt-unix-sockets-open",
      "srt-weaker-nested-sandbox",
    ]);
    const v = view(r);
    expect(v.sandbox).toEqual({
      status: "weak",
      detail:
        "broad allowedDomains, a container-daemon socket allowed, enableWeakerNestedSandbox, credentials readable, broad allowWrite in ~/.srt-settings.json",
    });
    expect(v.gate.status).toBe("none");
    const cred = r.findings.find((f) => f.ruleId === "srt-credential-read-allowed")!;
    expect(cred.title).toBe("~/.ssh is readable inside the srt sandbox (not denied by filesystem.denyRead)");
    expect(cred.location).toMatchObject({ name: "filesystem.denyRead", line: 10 });
    expect(cred.fix?.params).toMatchObject({ path: "~/.ssh", runtime: "sandbox-runtime" });
    const domains = r.findings
      .filter((f) => f.ruleId === "srt-broad-allowed-domain")
      .map((f) => [f.location.name, f.location.line]);
    expect(domains.sort()).toEqual([
      ["network.allowedDomains[1]", 3],
      ["network.allowedDomains[2]", 3],
    ]);
  });

  it("an inventory credential outside the denied directories is reported", async () => {
    const r = await fixture("safe", [".docker/config.json", ".ssh/id_ed25519"]);
    expect(ids(r)).toEqual(["srt-credential-read-allowed"]);
    expect(r.findings[0]!.title).toBe(
      "~/.docker/config.json is readable inside the srt sandbox (not denied by filesystem.denyRead)",
    );
    expect(view(r).sandbox.status).toBe("weak");
  });

  it("SANDBOX_RUNTIME=1 without a settings file: present, sandbox unknown", async () => {
    const r = await inspectFiles({}, { runtime: "sandbox-runtime", env: { SANDBOX_RUNTIME: "1" } });
    expect(view(r).present).toBe(true);
    expect(view(r).sandbox.status).toBe("unknown");
    expect(view(r).gate.status).toBe("none");
    expect(r.findings).toEqual([]);
  });

  it("nothing found: not present", async () => {
    const r = await inspectFiles({}, { runtime: "sandbox-runtime" });
    expect(view(r).present).toBe(false);
    expect(r.step).toMatchObject({
      status: "warn",
      summary: "no agent runtime config found; looked for sandbox-runtime (srt) (~/.srt-settings.json)",
    });
  });

  it("an empty allowedDomains is no network, not broad", async () => {
    const r = await settings(valid('"allowedDomains": [], "deniedDomains": [], "strictAllowlist": true'));
    expect(r.issues).toEqual([]);
    expect(ids(r)).toEqual([]);
    expect(view(r).sandbox).toEqual({
      status: "on",
      detail: "~/.srt-settings.json: allowedDomains empty: no network, credential paths denied",
    });
  });

  it('deniedDomains ["*"] with allow entries is a conflict (blocks everything), not a hole', async () => {
    const r = await settings(valid('"allowedDomains": ["api.anthropic.com"], "deniedDomains": ["*"]'));
    expect(ids(r)).toEqual(["srt-deny-all-with-allow"]);
    expect(r.findings[0]!.location.name).toBe("network.deniedDomains[0]");
    expect(view(r).sandbox.status).toBe("on");
  });

  it("filesystem.disabled ignores denyRead: credentials are readable", async () => {
    const r = await settings(
      valid(
        '"allowedDomains": [], "deniedDomains": [], "strictAllowlist": true',
        '"disabled": true, "denyRead": ["~/.ssh"], "allowWrite": [], "denyWrite": []',
      ),
      { files: { "~/.ssh/known_hosts": "" } },
    );
    expect(ids(r)).toEqual(["srt-credential-read-allowed", "srt-filesystem-disabled"]);
  });
});

describe("srt hostile input", () => {
  it("bad JSON: an issue with line and column, statuses unknown", async () => {
    const r = await settings('{\n  "network": { "allowedDomains": [,] }\n}\n');
    expect(messages(r)).toEqual(["not valid JSON at line 2, column 35: ValueExpected"]);
    expect(r.findings).toEqual([]);
    expect(view(r).gate).toEqual({
      status: "unknown",
      detail: "~/.srt-settings.json could not be read or parsed",
    });
    expect(r.step.status).toBe("error");
  });

  it("missing required keys and domain patterns srt rejects: issues, statuses unknown, no findings", async () => {
    const missing = await settings('{\n  "network": {\n    "allowedDomains": ["github.com"]\n  }\n}\n');
    expect(messages(missing)).toEqual([
      "line 2: network.deniedDomains: required, missing (srt's settings schema rejects the file)",
    ]);
    expect(missing.findings).toEqual([]);
    expect(view(missing).sandbox).toEqual({
      status: "unknown",
      detail: "~/.srt-settings.json fails srt's settings schema (see issues)",
    });
    expect(view(missing).gate.status).toBe("unknown");
    const star = await settings(
      valid('\n"allowedDomains": ["*", "https://x.example.com/", "*.com"],\n"deniedDomains": [3]'),
    );
    expect(messages(star)).toEqual([
      "line 3: network.allowedDomains[0]: not a domain pattern srt accepts (srt's settings schema rejects the file)",
      "line 3: network.allowedDomains[1]: not a domain pattern srt accepts (srt's settings schema rejects the file)",
      "line 3: network.allowedDomains[2]: not a domain pattern srt accepts (srt's settings schema rejects the file)",
      "line 4: network.deniedDomains[0]: expected a string (srt's settings schema rejects the file)",
    ]);
    const noNetwork = await settings('{ "filesystem": {} }');
    expect(messages(noNetwork)).toEqual([
      "network: required, missing (srt's settings schema rejects the file)",
    ]);
    const notObject = await settings("[]");
    expect(messages(notObject)).toEqual([
      "(top level): expected an object (srt's settings schema rejects the file)",
    ]);
  });

  it("wrong types elsewhere: type issues, read as unset", async () => {
    const r = await settings(
      valid(
        '"allowedDomains": [], "deniedDomains": [], "strictAllowlist": "yes", "allowAllUnixSockets": 1',
        '"denyRead": "~/.ssh", "allowWrite": [], "denyWrite": []',
      ),
      { files: { "~/.ssh/known_hosts": "" } },
    );
    expect(messages(r)).toEqual([
      "line 2: network.strictAllowlist: expected true or false, found a string (ignored, as the runtime would reject or ignore it)",
      "line 2: network.allowAllUnixSockets: expected true or false, found a number (ignored, as the runtime would reject or ignore it)",
      "line 3: filesystem.denyRead: expected an array of strings, found a string (ignored, as the runtime would reject or ignore it)",
    ]);
    expect(ids(r)).toEqual(["srt-credential-read-allowed", "srt-strict-allowlist-off"]);
  });

  it("a FIFO settings file is skipped, not opened for reading", async () => {
    const s = runtimeSandbox({});
    try {
      execFileSync("mkfifo", [join(s.home, ".srt-settings.json")]);
      const r = await runInspect({
        home: s.home,
        root: s.root,
        systemRoot: s.system,
        origins: new Set(["home"]),
        inspectors: [sandboxRuntime],
      });
      expect(r.issues).toEqual([
        { where: join(s.home, ".srt-settings.json"), message: "skipped: is a FIFO, not a regular file" },
      ]);
      expect(view(r).gate.status).toBe("unknown");
    } finally {
      s.cleanup();
    }
  });

  it("a symlink out of the home is not followed", async () => {
    const s = runtimeSandbox({});
    try {
      writeFileSync(
        join(s.dir, "elsewhere.json"),
        valid('"allowedDomains": ["github.com"], "deniedDomains": []'),
      );
      symlinkSync(join(s.dir, "elsewhere.json"), join(s.home, ".srt-settings.json"));
      const r = await runInspect({
        home: s.home,
        root: s.root,
        systemRoot: s.system,
        origins: new Set(["home"]),
        inspectors: [sandboxRuntime],
      });
      expect(messages(r)).toEqual([
        "skipped: leads outside the home directory (a symlink); the runtime follows it, so inspect its target by hand",
      ]);
      expect(r.findings).toEqual([]);
      expect(view(r).sandbox.status).toBe("unknown");
    } finally {
      s.cleanup();
    }
  });

  it("a huge file is skipped", async () => {
    const r = await settings(
      valid(`"allowedDomains": [], "deniedDomains": [], "pad": "${"x".repeat(1024 * 1024)}"`),
    );
    expect(messages(r)).toEqual(["skipped: is 1048717 bytes, over the 1048576-byte limit"]);
    expect(view(r).gate.status).toBe("unknown");
  });

  it("deep nesting is refused with its position", async () => {
    const r = await settings(`{"network": ${"[".repeat(100)}${"]".repeat(100)}}`);
    expect(messages(r)).toEqual(["not parsed: nested deeper than 64 levels at line 1, column 76"]);
    expect(view(r).gate.status).toBe("unknown");
  });

  it("control characters in domains and paths stay data: never in titles", async () => {
    const r = await settings(
      valid(
        '"allowedDomains": ["evil.com\\u0000.github.com", "*.githubusercontent.com\\u001b[2J"], "deniedDomains": [], "allowUnixSockets": ["/run/\\u001b[2J/docker.sock"]',
        '"denyRead": [], "allowWrite": ["~/\\u001b]0;t\\u0007"], "denyWrite": []',
      ),
    );
    expect(r.issues).toEqual([]);
    for (const f of r.findings) expect(f.title).not.toMatch(/[\u0000-\u001f]/);
    expect(ids(r)).toEqual(["srt-strict-allowlist-off", "srt-unix-sockets-open"]);
    expect(r.findings.find((f) => f.ruleId === "srt-unix-sockets-open")!.location.name).toBe(
      "network.allowUnixSockets[0]",
    );
  });
});

describe("srt helpers", () => {
  it("domainPattern follows srt's schema", () => {
    expect(
      ["github.com", "*.github.com", "localhost", "api.example.com:8443"].filter((d) => !domainPattern(d)),
    ).toEqual([]);
    expect(
      ["*", "*.com", "com", "https://a.com", "a.com/x", "a.*.com", ""].filter((d) => domainPattern(d)),
    ).toEqual([]);
  });

  it("broadDomain, domainCovers", () => {
    expect(
      [
        "github.com",
        "*.github.com",
        "*.githubusercontent.com",
        "*.amazonaws.com",
        "storage.googleapis.com",
        "Pastebin.com.",
      ].filter((d) => !broadDomain(d)),
    ).toEqual([]);
    expect(
      ["registry.npmjs.org", "api.github.com", "api.anthropic.com", "*.npmjs.org"].filter((d) =>
        broadDomain(d),
      ),
    ).toEqual([]);
    expect(domainCovers("*.github.com", "api.github.com")).toBe(true);
    expect(domainCovers("*.github.com", "github.com")).toBe(false);
    expect(domainCovers("*.github.com", "*.api.github.com")).toBe(true);
    expect(domainCovers("GitHub.com", "github.com")).toBe(true);
  });

  it("homeRelative and broadWrite", () => {
    const home = "/home/me";
    expect(
      ["~", "~/", "$HOME", "/home/me", "/home", "~/.ssh/**", "/etc", "./x", "/"].map((e) =>
        homeRelative(e, home),
      ),
    ).toEqual(["", "", "", "", "", ".ssh", undefined, undefined, "/"]);
    expect(
      ["~", "/", "~/.zshrc", "~/.config", "/home/me/.ssh", "/home"].filter((e) => !broadWrite(e, home)),
    ).toEqual([]);
    expect([".", "/tmp", "~/projects/app", "~/.config/app"].filter((e) => broadWrite(e, home))).toEqual([]);
  });
});

describe("deniedIndex", () => {
  it("agrees with a pairwise domainCovers on arbitrary lists", async () => {
    const { deniedIndex, domainCovers } = await import(
      "../../../src/capabilities/inspect/sandbox-runtime.js"
    );
    const fc = (await import("fast-check")).default;
    const label = fc.constantFrom("a", "b", "example", "com", "*", "");
    const domain = fc.array(label, { minLength: 1, maxLength: 4 }).map((ls) => ls.join("."));
    fc.assert(
      fc.property(fc.array(domain, { maxLength: 6 }), domain, (denied, allow) => {
        const pairwise = denied.some((x) => x !== "*" && domainCovers(x, allow));
        expect(deniedIndex(denied)(allow)).toBe(pairwise);
      }),
      { numRuns: 2000 },
    );
  });
});
