import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { Ajv } from "ajv";
import formats from "ajv-formats";
import { afterAll, describe, expect, it } from "vitest";
import { readPolicyDir } from "../../src/capabilities/gate/load.js";
import { runInspect } from "../../src/capabilities/inspect/index.js";
import type { AuditReport, RuntimeView } from "../../src/contract/types.js";
import { mergeText } from "../../src/fix/merge.js";
import { claudeSettings } from "../../src/fix/runtimes/claude-code.js";
import { COMMAND_PREFIXES } from "../../src/fix/runtimes/commands.js";
import { credentialLocations, domainPatterns } from "../../src/fix/runtimes/common.js";
import { RUNTIME_GENERATORS } from "../../src/fix/runtimes/index.js";
import { reportPrefixes } from "../../src/fix/runtimes/report-prefixes.js";
import type { FixOptions, GeneratedFile } from "../../src/fix/types.js";
import { finding, goldenMismatches, runtimeOptions, runtimeReport } from "./runtime-fixtures.js";

// The agent-runtime generators of `agent-audit fix` (issue 12): golden files, the Claude Code schema,
// and the strongest check: the generated files put where --apply puts them, in an empty home, read by
// the real inspectors, leave no finding of the checks they answer, and the gate and sandbox come
// out as the runtime enforces them. Which report findings each file answers is asserted exactly.

const RUNTIMES = ["claude-code", "codex", "gemini", "hermes", "sandbox-runtime"] as const;

function generate(
  report: AuditReport = runtimeReport(),
  opts: FixOptions = runtimeOptions(),
): GeneratedFile[] {
  return RUNTIMES.flatMap((t) => RUNTIME_GENERATORS[t]!(report, opts));
}

function file(files: GeneratedFile[], path: string): GeneratedFile {
  const f = files.find((x) => x.path === path);
  if (!f) throw new Error(`no ${path}`);
  return f;
}

const tmp = mkdtempSync(join(tmpdir(), "agent-audit-fix-runtimes-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
let n = 0;

/** A fresh home and root with the files installed where --apply would put them (extra files first). */
function installed(files: GeneratedFile[], extra: Record<string, string> = {}) {
  const base = join(tmp, `h${n++}`);
  const home = join(base, "home");
  const root = join(base, "work");
  mkdirSync(root, { recursive: true });
  mkdirSync(home, { recursive: true });
  for (const [rel, text] of Object.entries(extra)) {
    mkdirSync(dirname(join(home, rel)), { recursive: true });
    writeFileSync(join(home, rel), text);
  }
  for (const f of files) {
    const dest = f.install!.dest.replace(runtimeOptions().home, home);
    mkdirSync(dirname(dest), { recursive: true });
    writeFileSync(dest, f.content);
  }
  return { home, root };
}

async function inspect(home: string, root: string, credentialPaths: string[] = []) {
  return runInspect({
    home,
    root,
    systemRoot: join(home, "..", "no-system"),
    origins: new Set(["home", "tree"]),
    env: { PATH: "/usr/bin:/bin" },
    credentialPaths,
  });
}

function view(r: Awaited<ReturnType<typeof inspect>>, id: string): RuntimeView {
  return r.agents.runtimes.find((x) => x.runtime === id)!;
}

/** The home-relative credential paths of the report (what the scan gives the inspectors). */
const CREDS = runtimeReport()
  .findings.filter((f) => f.location.source === "home" && f.location.path && !f.location.path.includes(".."))
  .map((f) => f.location.path!)
  .filter((p) => !/[*[\]]/.test(p));

describe("agent-runtime generators: files", () => {
  it("every file is byte for byte its golden copy", () => {
    expect(goldenMismatches(generate())).toEqual([]);
  });

  it("paths, targets, modes, install destinations, steps and answered findings", () => {
    expect(
      generate().map((f) => [
        f.path,
        f.target,
        f.mode,
        `${f.install?.dest} ${f.install?.merge} ${f.install?.privileged}`,
        f.closes.steps,
        f.closes.findings,
      ]),
    ).toEqual([
      [
        "claude-code/settings.json",
        "claude-code",
        0o644,
        "/home/agent/.claude/settings.json json false",
        ["egress-proxy", "approval-gate"],
        ["cc-bypass", "cc-nogate", "cc-sbx-user"],
      ],
      [
        "codex/config.toml",
        "codex",
        0o644,
        "/home/agent/.codex/config.toml toml false",
        ["approval-gate"],
        ["cx-full"],
      ],
      [
        "codex/agent-audit.rules",
        "codex",
        0o644,
        "/home/agent/.codex/rules/agent-audit.rules replace false",
        ["approval-gate"],
        ["cx-gap"],
      ],
      [
        "gemini/agent-audit.toml",
        "gemini",
        0o644,
        "/home/agent/.gemini/policies/agent-audit.toml replace false",
        ["approval-gate"],
        ["gm-gap"],
      ],
      [
        "hermes/config.yaml",
        "hermes",
        0o644,
        "/home/agent/.hermes/config.yaml yaml false",
        ["approval-gate"],
        ["hm-off"],
      ],
      [
        "sandbox-runtime/srt-settings.json",
        "sandbox-runtime",
        0o644,
        "/home/agent/.srt-settings.json json false",
        ["egress-proxy", "approval-gate"],
        ["srt-strict", "srt-cred", "srt-all-sockets"],
      ],
    ]);
  });

  it("the load steps name what the files leave to be fixed by hand", () => {
    const files = generate();
    const byHand = (p: string) => file(files, p).load.find((l) => l.startsWith("Not answered"));
    expect(byHand("claude-code/settings.json")).toBe(
      "Not answered by this file (fix by hand, see the findings): claude-allow-all-bash, claude-credential-read-unprotected, claude-sandbox-excluded-commands, claude-sandbox-fail-open.",
    );
    expect(byHand("codex/config.toml")).toBe(
      "Not answered by these files (fix by hand, see the findings): codex-requirements-unpinned, codex-rules-invalid, codex-sandbox-off.",
    );
    expect(byHand("gemini/agent-audit.toml")).toBe(
      "Not answered by this file (fix by hand, see the findings): gemini-yolo-available.",
    );
    expect(byHand("hermes/config.yaml")).toBe(
      "Not answered by this file (fix by hand, see the findings): hermes-local-backend, hermes-yolo-mode.",
    );
    expect(byHand("sandbox-runtime/srt-settings.json")).toBe(
      "Not answered by this file (fix by hand, see the findings): srt-broad-allowed-domain, srt-credential-read-allowed, srt-unix-sockets-open.",
    );
  });

  it("credential reads are answered only when every credential path could be written as a rule", () => {
    const clean = runtimeReport();
    clean.findings = clean.findings.filter((f) => !["home-odd", "home-up"].includes(f.fingerprint));
    const [claude] = RUNTIME_GENERATORS["claude-code"]!(clean, runtimeOptions());
    expect(claude!.closes.findings).toEqual(["cc-bypass", "cc-nogate", "cc-creds", "cc-sbx-user"]);
    expect(claude!.load.some((l) => l.startsWith("Credential paths with unusual characters"))).toBe(false);
    const [dirty] = RUNTIME_GENERATORS["claude-code"]!(runtimeReport(), runtimeOptions());
    expect(dirty!.load).toContain("Credential paths with unusual characters not written as deny rules: 2.");
  });

  it("credential locations: the standard ones, then the inventory's outside them; odd and escaping paths skipped", () => {
    expect(credentialLocations(runtimeReport())).toEqual({
      home: [
        ".ssh",
        ".aws",
        ".config/gcloud",
        ".kube",
        ".docker/config.json",
        ".npmrc",
        ".netrc",
        ".config/gh/hosts.yml",
        ".password-store",
        "keys/ci-deployer.json",
      ],
      tree: [".env", "certs/server.key"],
      skipped: 2,
    });
  });

  it("the allowlist as sandbox domains: apex and *. for subdomains; names a sandbox rejects left out", () => {
    expect(
      domainPatterns([
        { host: "pypi.org", subdomains: true, reason: "" },
        { host: "api.anthropic.com", subdomains: false, reason: "" },
        { host: "intranet", subdomains: false, reason: "" },
        { host: "10.0.0.1", subdomains: false, reason: "" },
      ]),
    ).toEqual({
      domains: ["pypi.org", "*.pypi.org", "api.anthropic.com"],
      rejected: ["intranet", "10.0.0.1"],
    });
  });
});

describe("Claude Code settings", () => {
  const ajv = new Ajv({ strict: false, allErrors: true });
  const addFormats = (formats as unknown as { default?: typeof formats }).default ?? formats;
  (addFormats as unknown as (a: Ajv) => void)(ajv);
  const validate = ajv.compile(
    JSON.parse(readFileSync(resolve("test/schemas/claude-code-settings.schema.json"), "utf8")),
  );

  it("validates against the Claude Code settings schema (also with a quoted gate path and an empty allowlist)", () => {
    for (const opts of [
      runtimeOptions(),
      runtimeOptions({ gateCommand: "/opt/agent audit/bin/agent-audit", allowlist: [] }),
    ]) {
      const settings = JSON.parse(file(generate(runtimeReport(), opts), "claude-code/settings.json").content);
      expect(validate(settings) ? [] : validate.errors).toEqual([]);
    }
  });

  it("the hook is the README's install line, shell-quoted", () => {
    const hook = (gateCommand: string) =>
      (
        claudeSettings(runtimeReport(), runtimeOptions({ gateCommand })) as {
          hooks: { PreToolUse: unknown[] };
        }
      ).hooks.PreToolUse;
    expect(hook("agent-audit")).toEqual([
      {
        matcher: "Bash",
        hooks: [{ type: "command", command: "agent-audit gate hook claude-code || exit 2", timeout: 30 }],
      },
    ]);
    expect(JSON.stringify(hook("/opt/my tools/agent-audit"))).toContain(
      `"command":"'/opt/my tools/agent-audit' gate hook claude-code || exit 2"`,
    );
  });

  it("round trip: the inspector finds the gate covered and the sandbox on, and no gate or sandbox finding", async () => {
    const { home, root } = installed([file(generate(), "claude-code/settings.json")]);
    const r = await inspect(home, root, CREDS);
    const v = view(r, "claude-code");
    expect(v.gate).toEqual({ status: "covered", detail: "bypass disabled; a PreToolUse hook gates Bash" });
    expect(v.sandbox.status).toBe("on");
    expect(r.findings.filter((f) => f.fix?.params?.runtime === "claude-code").map((f) => f.ruleId)).toEqual(
      [],
    );
    expect(r.issues).toEqual([]);
  });

  it("round trip with a broad allowed host: the inspector flags it (the allowlist is the operator's)", async () => {
    const opts = runtimeOptions({
      allowlist: [{ host: "api.github.com", subdomains: false, reason: "GITHUB_TOKEN" }],
    });
    const { home, root } = installed([file(generate(runtimeReport(), opts), "claude-code/settings.json")]);
    const r = await inspect(home, root, CREDS);
    expect(r.findings.filter((f) => f.fix?.params?.runtime === "claude-code").map((f) => f.ruleId)).toEqual([
      "claude-sandbox-broad-domain",
    ]);
    expect(view(r, "claude-code").gate.status).toBe("covered");
  });
});

describe("Codex, Gemini CLI, Hermes, sandbox-runtime: round trip through the inspectors", () => {
  it("Codex: gate covered, sandbox on, no finding", async () => {
    const files = generate();
    const { home, root } = installed([
      file(files, "codex/config.toml"),
      file(files, "codex/agent-audit.rules"),
    ]);
    const r = await inspect(home, root, CREDS);
    const v = view(r, "codex");
    expect(v.gate.status).toBe("covered");
    expect(v.gate.detail).toBe(
      "approval_policy on-request in user config with sandbox_mode workspace-write in user config; rules prompt for or forbid every dangerous category",
    );
    expect(v.sandbox).toEqual({ status: "on", detail: "sandbox_mode workspace-write in user config" });
    expect(r.findings.filter((f) => f.fix?.params?.runtime === "codex").map((f) => f.ruleId)).toEqual([]);
    expect(r.issues).toEqual([]);
  });

  it("Gemini CLI: the policy closes the gap; YOLO and the sandbox stay with settings.json (then covered)", async () => {
    const policy = file(generate(), "gemini/agent-audit.toml");
    const alone = installed([policy]);
    const r1 = await inspect(alone.home, alone.root, CREDS);
    expect(r1.findings.filter((f) => f.fix?.params?.runtime === "gemini-cli").map((f) => f.ruleId)).toEqual([
      "gemini-yolo-available",
      "gemini-sandbox-off",
    ]);
    expect(view(r1, "gemini-cli").gate.status).toBe("partial");
    const withSettings = installed([policy], {
      ".gemini/settings.json": JSON.stringify({
        security: { disableYoloMode: true },
        tools: { sandbox: "docker" },
      }),
    });
    const r2 = await inspect(withSettings.home, withSettings.root, CREDS);
    expect(view(r2, "gemini-cli").gate).toEqual({
      status: "covered",
      detail: "YOLO disabled; deny/ask_user policies win for every dangerous category",
    });
    expect(view(r2, "gemini-cli").sandbox.status).toBe("on");
    expect(r2.findings.filter((f) => f.fix?.params?.runtime === "gemini-cli").map((f) => f.ruleId)).toEqual(
      [],
    );
    expect(r2.issues).toEqual([]);
  });

  it("Hermes: gate covered; the local backend stays (a container backend is the operator's choice)", async () => {
    const { home, root } = installed([file(generate(), "hermes/config.yaml")]);
    const r = await inspect(home, root, CREDS);
    expect(view(r, "hermes").gate.status).toBe("covered");
    expect(r.findings.filter((f) => f.fix?.params?.runtime === "hermes").map((f) => f.ruleId)).toEqual([
      "hermes-local-backend",
      "hermes-no-egress-proxy",
    ]);
    expect(r.issues).toEqual([]);
  });

  it("sandbox-runtime: sandbox on with every credential path denied, no finding", async () => {
    const { home, root } = installed([file(generate(), "sandbox-runtime/srt-settings.json")], {
      ".ssh/id_ed25519": "x",
      ".aws/credentials": "x",
      ".kube/config-staging": "x",
    });
    const r = await inspect(home, root, CREDS);
    const v = view(r, "sandbox-runtime");
    expect(v.sandbox).toEqual({
      status: "on",
      detail: "~/.srt-settings.json: 4 allowed domains, credential paths denied",
    });
    expect(v.gate.status).toBe("none");
    expect(
      r.findings.filter((f) => f.fix?.params?.runtime === "sandbox-runtime").map((f) => f.ruleId),
    ).toEqual([]);
    expect(r.issues).toEqual([]);
  });
});

describe("the command prefixes come from rules/gate", () => {
  it("every prefix names a gate rule of the same decision (deny: forbidden, ask: prompt), or says why it is milder", () => {
    const policy = readPolicyDir(resolve("rules/gate"));
    const decisions = new Map(policy.rules.map((r) => [r.id, r.decision]));
    const all = [...COMMAND_PREFIXES, ...reportPrefixes(runtimeReport(), "/home/agent")];
    expect(all.length).toBe(55);
    const wrong = all
      .filter((p) => decisions.get(p.gate) !== (p.decision === "forbidden" ? "deny" : "ask") && !p.milder)
      .map((p) => `${p.gate} ${p.decision}`);
    expect(wrong).toEqual([]);
    expect(
      COMMAND_PREFIXES.filter((p) => p.milder).map((p) => [p.gate, decisions.get(p.gate), p.decision]),
    ).toEqual([["gate-filesystem-format", "deny", "prompt"]]);
    expect(COMMAND_PREFIXES.length).toBe(53);
  });
});

describe("no secret value reaches a generated file", () => {
  const SECRETS = [
    `ghp_${"Zq7Xw2Lm9Pv4Rt8Ks1Nb6Hc3Yd5Fg0Jk2Ma"}`,
    `sk-ant-api03-${"Qm4Xr8Tz2Lw6Np0Vb3Hs7Kd1Fg5Jc9Ye"}`,
    `AKIA${"QX7RZ2LM9PV4RT8K"}`,
    `xoxb-${"123456789012-1234567890123-Zq7Xw2Lm9Pv4Rt8Ks1Nb6Hc3"}`,
  ];
  function planted(): AuditReport {
    const report = runtimeReport();
    report.findings = report.findings.map((f, i) => {
      const s = SECRETS[i % SECRETS.length]!;
      return {
        ...f,
        title: `${f.title} ${s}`,
        remediation: `${f.remediation} (value ${s})`,
        ...(f.secret ? { secret: { ...f.secret, preview: s } } : {}),
        ...(f.fix ? { fix: { ...f.fix, params: { ...f.fix.params, domain: s, command: `${s} gate` } } } : {}),
        ...(f.location.source === "agent-config" ? { location: { ...f.location, name: s } } : {}),
      };
    });
    // An env finding whose "name" is a token, and one whose remediation holds one.
    report.findings.push(
      finding({
        fingerprint: "env-odd",
        ruleId: "generic-secret",
        location: { source: "env", name: SECRETS[2]! },
      }),
    );
    return report;
  }

  it("titles, previews, remediations, fix parameters and token-shaped names never appear in any file", () => {
    const all = Object.values(RUNTIME_GENERATORS).flatMap((g) => g!(planted(), runtimeOptions()));
    expect(all.map((f) => f.path)).toEqual([
      "claude-code/settings.json",
      "codex/config.toml",
      "codex/agent-audit.rules",
      "gemini/agent-audit.toml",
      "hermes/config.yaml",
      "sandbox-runtime/srt-settings.json",
      "agent-env.sh",
    ]);
    const leaks = all.flatMap((f) =>
      SECRETS.filter((s) => [f.content, f.summary, ...f.load].some((t) => t.includes(s))).map(
        (s) => `${f.path}: ${s.slice(0, 4)}`,
      ),
    );
    expect(leaks).toEqual([]);
    // The env finding named by a token is listed by its length.
    expect(all.at(-1)!.content).toContain("#   <20 characters, not shown>: removed");
  });
});

describe("merged over the unsafe fixtures: every finding a file claims to answer is gone", () => {
  // fixtures/runtimes/<runtime>/unsafe (home and tree) copied, inspected (the report), the files
  // generated for that home and merged in as --apply merges them (src/fix/merge.ts), inspected again.
  // What each file answers, and what is left: keys in the project or managed scope (above the
  // user's), entries of lists the merge unions, and settings these files do not own.
  const cases: [string, (typeof RUNTIMES)[number], { claimed: string[]; left: string[] }][] = [
    [
      "claude-code",
      "claude-code",
      {
        claimed: [
          "claude-bypass-not-disabled",
          "claude-bypass-permissions-mode",
          "claude-credential-read-unprotected",
          "claude-sandbox-disabled",
        ],
        left: [
          "claude-allow-all-bash",
          "claude-hook-command-unresolved",
          "claude-hook-timeout",
          "claude-ignored-scope-key",
          "claude-sandbox-broad-domain",
          "claude-sandbox-excluded-commands",
          "claude-sandbox-unix-sockets",
        ],
      },
    ],
    [
      "codex",
      "codex",
      {
        claimed: [],
        left: [
          "codex-full-access-no-approval",
          "codex-network-dangerous-flag",
          "codex-rules-invalid",
          "codex-unused-profile-unsafe",
        ],
      },
    ],
    [
      "gemini-cli",
      "gemini",
      {
        claimed: [],
        left: [
          "gemini-auto-edit",
          "gemini-policy-ignored",
          "gemini-sandbox-network",
          "gemini-seatbelt-open",
          "gemini-shell-allowed-broad",
          "gemini-shell-auto-allowed",
          "gemini-tools-exclude",
          "gemini-yolo-available",
        ],
      },
    ],
    [
      "hermes",
      "hermes",
      {
        claimed: ["hermes-approvals-off", "hermes-cron-auto-approve", "hermes-no-deny-rules"],
        left: [
          "hermes-allowlist-broad-entry",
          "hermes-local-backend",
          "hermes-no-egress-proxy",
          "hermes-yolo-mode",
        ],
      },
    ],
    [
      "sandbox-runtime",
      "sandbox-runtime",
      {
        claimed: [
          "srt-credential-read-allowed",
          "srt-local-binding",
          "srt-strict-allowlist-off",
          "srt-weaker-nested-sandbox",
        ],
        left: [
          "srt-broad-allow-write",
          "srt-broad-allowed-domain",
          "srt-domain-allowed-and-denied",
          "srt-external-proxy",
          "srt-unix-sockets-open",
        ],
      },
    ],
  ];
  for (const [fixture, target, remaining] of cases) {
    it(`${fixture}: the answered findings are gone, the others stay`, async () => {
      const base = join(tmp, `m${n++}`);
      const home = join(base, "home");
      const root = join(base, "work");
      mkdirSync(root, { recursive: true });
      const src = resolve("fixtures/runtimes", fixture, "unsafe");
      cpSync(join(src, "home"), home, { recursive: true });
      if (existsSync(join(src, "tree"))) cpSync(join(src, "tree"), root, { recursive: true });
      const before = await inspect(home, root);
      const report = { ...runtimeReport(), findings: before.findings };
      const files = RUNTIME_GENERATORS[target]!(report, runtimeOptions({ home, root }));
      for (const f of files) {
        const dest = f.install!.dest;
        const current = existsSync(dest) ? readFileSync(dest, "utf8") : "";
        mkdirSync(dirname(dest), { recursive: true });
        writeFileSync(dest, mergeText(f.install!.merge, current, f.content).text);
      }
      const after = await inspect(home, root);
      const left = new Set(after.findings.map((f) => f.fingerprint));
      const claimed = files.flatMap((f) => f.closes.findings);
      expect(claimed.filter((fp) => left.has(fp))).toEqual([]);
      const runtimeId = target === "gemini" ? "gemini-cli" : target;
      const ids = (list: typeof before.findings) =>
        [...new Set(list.filter((f) => f.fix?.params?.runtime === runtimeId).map((f) => f.ruleId))].sort();
      const claimedIds = [
        ...new Set(before.findings.filter((f) => claimed.includes(f.fingerprint)).map((f) => f.ruleId)),
      ].sort();
      expect({ claimed: claimedIds, left: ids(after.findings) }).toEqual(remaining);
    });
  }
});
