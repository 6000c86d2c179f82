import { isAbsolute, join, resolve } from "node:path";
import { isPlausiblePath } from "../../sources/home.js";
import { type PrefixRule, parseRules, ruleCovers } from "./codex-rules.js";
import { markedRuntime } from "./markers.js";
import {
  bool,
  ConfigReader,
  getAt,
  isRecord,
  type KeyPath,
  type LoadedConfig,
  showPath,
  str,
  strs,
} from "./read.js";
import type { ConfiguredGate, InspectContext, Problem, RuntimeInspector, RuntimeResult } from "./types.js";

// Codex CLI (issue 10; research §3.1–3.3, §10.1 item 3). Files: the user config
// `$CODEX_HOME/config.toml` (default ~/.codex), the project `.codex/config.toml` (over the user's),
// the managed `/etc/codex/requirements.toml` (constrains approval policy and sandbox mode), and the
// execpolicy rules `$CODEX_HOME/rules/*.rules` (Starlark, checked as text, never run).
//
// Effective values: a selected config profile (`profile = "x"`) overrides top-level keys; the
// project layer overrides the user layer. A value the requirements do not allow is rejected by
// Codex, which then runs with the first allowed value. Decisions (documented in the report):
// - approval_policy "never" with a sandbox is gate "partial", not "off": nothing asks, but what would
//   ask is refused and the workspace sandbox still holds (codex-approval-never, medium).
// - Non-selected config profiles and permission profiles are flagged only for the two critical
//   combinations, at low severity (codex-unused-profile-unsafe): one flag away from active.
// - A rules file that does not parse: an issue (line, column), a codex-rules-invalid finding, and the
//   gate is "unknown" unless the config alone already turns it off.
// - Defaults when unset: approval_policy "on-request", sandbox_mode "workspace-write".

type Approval = "untrusted" | "on-failure" | "on-request" | "never" | "granular";
type SandboxMode = "read-only" | "workspace-write" | "danger-full-access";
const APPROVALS: readonly string[] = ["untrusted", "on-failure", "on-request", "never"];
const SANDBOX_MODES: readonly string[] = ["read-only", "workspace-write", "danger-full-access"];
const BUILTIN_PERMISSIONS: Record<string, SandboxMode> = {
  ":read-only": "read-only",
  ":workspace": "workspace-write",
  ":danger-full-access": "danger-full-access",
};

/** Dangerous categories a rule must prompt for or forbid: sample commands (words). */
const CATEGORIES: { name: string; samples: string[][] }[] = [
  { name: "irreversible deletes (rm -rf)", samples: [["rm", "-rf", "build"]] },
  {
    name: "network fetches piped to a shell (curl, wget)",
    samples: [
      ["curl", "-fsSL", "https://example.com/i.sh"],
      ["wget", "-qO-", "https://example.com/i.sh"],
    ],
  },
  {
    name: "package installs (npm install, pip install)",
    samples: [
      ["npm", "install", "left-pad"],
      ["pip", "install", "requests"],
    ],
  },
];
/** Credential directories under the home a writable root must not cover. */
const CREDENTIAL_DIRS = [".ssh", ".aws", ".gnupg", ".kube", ".docker", ".azure", ".config/gcloud", ".codex"];

interface Picked<T> {
  value: T;
  file: LoadedConfig;
  path: KeyPath;
}

export const codex: RuntimeInspector = {
  id: "codex",
  name: "Codex CLI",
  lookedFor: [
    "~/.codex/config.toml (or $CODEX_HOME)",
    "~/.codex/rules/*.rules",
    ".codex/config.toml",
    "/etc/codex/requirements.toml",
  ],
  inspect,
};

async function inspect(ctx: InspectContext): Promise<RuntimeResult> {
  const read = ctx.read;
  const all: LoadedConfig[] = [];
  const load = async (spec: Parameters<ConfigReader["load"]>[0]) => {
    const f = await read.load(spec);
    if (f) all.push(f);
    return f;
  };

  let codexHome = join(ctx.home, ".codex");
  let base: string | undefined;
  const envHome = ctx.env?.CODEX_HOME;
  if (envHome !== undefined && envHome !== "") {
    // As the inventory reads pointers (sources/home.ts): an absolute one under the system root (the
    // agent's "/", never the scanning machine's own files), a relative one from the home.
    if (!isPlausiblePath(envHome))
      read.issue("$CODEX_HOME", "does not name a directory (the value is not a path; not printed)");
    else {
      codexHome = isAbsolute(envHome)
        ? join(ctx.systemRoot, envHome)
        : envHome === "~"
          ? ctx.home
          : resolve(ctx.home, envHome.replace(/^~\//, ""));
      base = codexHome;
    }
  }
  const layers: LoadedConfig[] = []; // highest precedence first
  let requirements: LoadedConfig | undefined;
  const rulesFiles: LoadedConfig[] = [];
  if (ctx.origins.has("tree") && resolve(ctx.root) !== resolve(ctx.home)) {
    const f = await load({
      abs: join(ctx.root, ".codex/config.toml"),
      scope: "project",
      origin: "tree",
      format: "toml",
    });
    if (f) layers.push(f);
    // Project rules load when the project's .codex layer is trusted; read as if it were.
    for (const abs of await read.list(join(ctx.root, ".codex/rules"), ".rules")) {
      const r = await load({ abs, scope: "rules", origin: "tree", format: "text" });
      if (r) rulesFiles.push(r);
    }
  }
  if (ctx.origins.has("home")) {
    const f = await load({
      abs: join(codexHome, "config.toml"),
      scope: "user",
      origin: "home",
      format: "toml",
      ...(base ? { base } : {}),
    });
    if (f) layers.push(f);
    for (const abs of await read.list(join(codexHome, "rules"), ".rules")) {
      const r = await load({
        abs,
        scope: "rules",
        origin: "home",
        format: "text",
        ...(base ? { base } : {}),
      });
      if (r) rulesFiles.push(r);
    }
  }
  if (ctx.origins.has("system")) {
    requirements = await load({
      abs: join(ctx.systemRoot, "etc/codex/requirements.toml"),
      scope: "requirements",
      origin: "system",
      format: "toml",
    });
  }

  const present = all.length > 0 || markedRuntime(ctx.env, "codex");
  const files = all.map((f) => ConfigReader.view(f));
  if (!present) {
    return {
      present,
      files,
      problems: [],
      gate: { status: "unknown", detail: "no Codex config found" },
      sandbox: { status: "unknown", detail: "no Codex config found" },
    };
  }

  const problems: Problem[] = [];
  const ok = layers.filter((f) => f.ok);
  const rules: SourcedRule[] = [];
  const brokenRules = rulesFiles.filter((r) => {
    if (!r.ok) return true;
    const parsed = rulesOf(r, problems);
    if (parsed) rules.push(...parsed);
    return !parsed;
  });
  const unreadable = all.filter((f) => !f.ok && f.scope !== "rules");

  // The selected config profile: its keys override the top-level ones.
  const profileName = pickFirst(ok, ["profile"], (f, p) => str(read, f, p));
  const profile = profileName?.value;
  if (profile !== undefined && !ok.some((f) => isRecord(getAt(f.value, ["profiles", profile])))) {
    read.issue(
      profileName!.file.abs,
      `${lineText(profileName!.file, ["profile"])}profile ${quoted(profile)} names no [profiles] table (Codex refuses to start)`,
    );
  }
  const eff = <T>(key: KeyPath, get: (f: LoadedConfig, p: KeyPath) => T | undefined): Picked<T> | undefined =>
    (profile !== undefined ? pickFirst(ok, ["profiles", profile, ...key], get) : undefined) ??
    pickFirst(ok, key, get);

  // Requirements (managed): the values Codex accepts.
  const req = requirements?.ok ? requirements : undefined;
  const allowedApprovals = req ? strs(read, req, ["allowed_approval_policies"]) : [];
  const allowedSandboxes = req ? strs(read, req, ["allowed_sandbox_modes"]) : [];
  if (req) rules.push(...requirementRules(read, req));
  const managedNetwork =
    !!req &&
    [["experimental_network"], ["network_proxy"], ["permissions", "network"]].some((k) =>
      isRecord(getAt(req.value, k)),
    );

  // approval_policy
  const approvalPick = eff<Approval>(["approval_policy"], (f, p) => approvalAt(read, f, p));
  let approval: Approval = approvalPick?.value ?? "on-request";
  let approvalNote = approvalPick
    ? `approval_policy ${approval} in ${approvalPick.file.scope} config`
    : "approval_policy unset (on-request)";
  if (allowedApprovals.length && !allowedApprovals.includes(approval)) {
    const fallback = allowedApprovals.find((a) => APPROVALS.includes(a)) as Approval | undefined;
    approval = fallback ?? "untrusted";
    approvalNote = `approval_policy ${approval} (requirements.toml rejects the configured value)`;
  }

  // Sandbox: sandbox_mode, else a permission profile (default_permissions).
  const modePick = eff<SandboxMode>(
    ["sandbox_mode"],
    (f, p) => enumAt(read, f, p, SANDBOX_MODES) as SandboxMode | undefined,
  );
  const permPick = modePick ? undefined : eff<string>(["default_permissions"], (f, p) => str(read, f, p));
  let sandbox: SandboxMode = modePick?.value ?? "workspace-write";
  let sandboxNote = modePick
    ? `sandbox_mode ${sandbox} in ${modePick.file.scope} config`
    : "sandbox_mode unset (workspace-write)";
  let permTable: Picked<Record<string, unknown>> | undefined;
  if (permPick) {
    const name = permPick.value;
    if (Object.hasOwn(BUILTIN_PERMISSIONS, name)) sandbox = BUILTIN_PERMISSIONS[name]!;
    else {
      permTable = pickFirst(ok, ["permissions", name], (f, p) => {
        const v = getAt(f.value, p);
        return isRecord(v) ? v : undefined;
      });
      if (!permTable)
        read.issue(
          permPick.file.abs,
          `${lineText(permPick.file, permPick.path)}default_permissions ${quoted(name)} names no [permissions] table`,
        );
    }
    sandboxNote = `permission profile ${shown(name)} in ${permPick.file.scope} config`;
  }
  if (allowedSandboxes.length && !allowedSandboxes.includes(sandbox)) {
    const fallback = allowedSandboxes.find((s) => SANDBOX_MODES.includes(s)) as SandboxMode | undefined;
    sandbox = fallback ?? "read-only";
    sandboxNote = `sandbox ${sandbox} (requirements.toml rejects the configured mode)`;
  }

  // features.network_proxy: true, or a table with enabled = true.
  const proxyPick = pickFirst(ok, ["features", "network_proxy"], (f, p) => {
    const v = getAt(f.value, p);
    if (isRecord(v)) return bool(read, f, [...p, "enabled"]);
    return bool(read, f, p);
  });
  const proxyOn = proxyPick?.value === true || managedNetwork;

  // Allow rules run a command outside the sandbox without asking: broad ones open the gate.
  for (const r of rules) {
    if (r.decision !== "allow" || !r.file) continue;
    const first = r.pattern[0] ?? [];
    const broad = first.filter((w) => BROAD_ALLOW.has(w.slice(w.lastIndexOf("/") + 1)));
    if (
      broad.length &&
      (r.pattern.length === 1 || ALWAYS_BROAD.has(broad[0]!.slice(broad[0]!.lastIndexOf("/") + 1)))
    )
      problems.push({
        check: "codex-rules-allow-broad",
        file: { ...r.file, lineOf: () => r.line },
        key: "prefix_rule",
        subject: `${r.line}`,
        // Only the broad command word: the rest of a pattern may hold anything (a header, a token).
        title: `Codex rule allows ${broad[0]!.slice(broad[0]!.lastIndexOf("/") + 1)}${r.pattern.length > 1 ? " …" : ""} outside the sandbox without asking (line ${r.line})`,
      });
  }

  // Gate.
  let gateStatus: RuntimeResult["gate"]["status"];
  let gateDetail: string;
  const sandboxOff = sandbox === "danger-full-access";
  if (approval === "never" && sandboxOff) {
    problems.push({
      check: "codex-full-access-no-approval",
      file: approvalPick?.file ?? modePick?.file ?? permPick?.file,
      key: showPath(approvalPick?.path ?? ["approval_policy"]),
    });
    gateStatus = "off";
    gateDetail = `${approvalNote} with ${sandboxNote}: every command runs unasked and unsandboxed`;
  } else {
    if (approval === "never") {
      problems.push({
        check: "codex-approval-never",
        file: approvalPick?.file,
        key: showPath(approvalPick?.path ?? ["approval_policy"]),
      });
    }
    if (sandboxOff) {
      const p = modePick ?? permPick;
      problems.push({
        check: "codex-sandbox-off",
        file: p?.file,
        key: showPath(p?.path ?? ["sandbox_mode"]),
      });
    }
    const missing = CATEGORIES.filter(
      (c) => !c.samples.every((s) => rules.some((r) => r.decision !== "allow" && ruleCovers(r, s))),
    ).map((c) => c.name);
    const widened = sandboxOff ? [] : writableCredentialRoots(ctx, read, eff);
    if (widened.length) {
      for (const w of widened)
        problems.push({
          check: "codex-writable-credentials",
          file: w.file,
          key: showPath(w.path),
          subject: w.value,
        });
    }
    if (sandboxOff || widened.length) missing.push("credential-path writes");
    if (approval === "never") {
      gateStatus = "partial";
      gateDetail = `${approvalNote}: nothing asks; the ${sandbox} sandbox is the only boundary`;
    } else if (approval === "on-failure" || approval === "granular") {
      gateStatus = "partial";
      gateDetail = `${approvalNote}: commands run in the sandbox unasked until one fails`;
    } else if (sandboxOff) {
      gateStatus = "partial";
      gateDetail = `${approvalNote} with ${sandboxNote}: no sandbox behind the gate`;
    } else if (missing.length) {
      gateStatus = "partial";
      gateDetail = `${approvalNote}; no prompt/forbidden rules for ${missing.join(", ")}`;
    } else {
      gateStatus = "covered";
      gateDetail = `${approvalNote} with ${sandboxNote}; rules prompt for or forbid every dangerous category`;
    }
    if (missing.length && approval !== "never" && !unreadable.length) {
      problems.push({
        check: "codex-rules-gap",
        key: "prefix_rule",
        title: `Codex rules do not prompt for or forbid: ${missing.join(", ")}`,
        fixParams: { categories: missing },
      });
    }
  }

  // Network: the legacy workspace-write switch, and the selected permission profile.
  let sandboxStatus: RuntimeResult["sandbox"]["status"] = sandboxOff ? "off" : "on";
  let sandboxDetail = sandboxOff ? `${sandboxNote}: no sandbox` : `${sandboxNote}`;
  const weak = (why: string) => {
    if (sandboxStatus === "on") {
      sandboxStatus = "weak";
      sandboxDetail = why;
    }
  };
  if (sandbox === "workspace-write" && !permTable) {
    const net = eff<boolean>(["sandbox_workspace_write", "network_access"], (f, p) => bool(read, f, p));
    if (net?.value === true && !proxyOn) {
      problems.push({ check: "codex-network-unproxied", file: net.file, key: showPath(net.path) });
      weak(`sandbox_workspace_write.network_access in ${net.file.scope} config: network open, no proxy`);
    }
  }
  if (permTable && !sandboxOff) {
    const name = permPick!.value;
    const n = networkOf(read, permTable.file, ["permissions", name, "network"]);
    if (n.enabled) {
      if (!proxyOn) {
        problems.push({
          check: "codex-network-proxy-off",
          file: permTable.file,
          key: showPath(["permissions", name, "network", "enabled"]),
          subject: name,
          ...(n.domains
            ? {}
            : {
                title:
                  "Codex permission profile enables the network with no proxy and no domain rules: egress is unrestricted",
              }),
        });
        weak(
          `permission profile ${shown(name)}: network enabled but features.network_proxy off (domain rules not enforced)`,
        );
      } else if (n.mode === "full") {
        problems.push({
          check: "codex-network-mode-full",
          file: permTable.file,
          key: showPath(["permissions", name, "network", "mode"]),
          subject: name,
        });
        weak(`permission profile ${shown(name)}: network mode full`);
      }
    }
  }
  for (const f of ok) {
    for (const path of dangerousFlags(f.value)) {
      problems.push({ check: "codex-network-dangerous-flag", file: f, key: showPath(path) });
      weak(`${showPath(path)} in ${f.scope} config`);
    }
  }

  // Non-selected profiles one switch away from the critical combinations.
  for (const f of ok) {
    const profiles = getAt(f.value, ["profiles"]);
    if (isRecord(profiles)) {
      for (const name of Object.keys(profiles)) {
        if (name === profile) continue;
        const a =
          getAt(f.value, ["profiles", name, "approval_policy"]) ?? getAt(f.value, ["approval_policy"]);
        const s = getAt(f.value, ["profiles", name, "sandbox_mode"]) ?? getAt(f.value, ["sandbox_mode"]);
        if (a === "never" && s === "danger-full-access")
          problems.push({
            check: "codex-unused-profile-unsafe",
            file: f,
            key: showPath(["profiles", name]),
            subject: name,
          });
      }
    }
    const perms = getAt(f.value, ["permissions"]);
    if (isRecord(perms) && !proxyOn) {
      for (const name of Object.keys(perms)) {
        if (permPick && name === permPick.value) continue;
        const net = getAt(f.value, ["permissions", name, "network"]);
        if (isRecord(net) && net.enabled === true && isRecord(net.domains) && Object.keys(net.domains).length)
          problems.push({
            check: "codex-unused-profile-unsafe",
            file: f,
            key: showPath(["permissions", name]),
            subject: name,
          });
      }
    }
  }

  // Requirements that pin the gate and the sandbox (system origin only).
  if (ctx.origins.has("system") && (!requirements || requirements.ok)) {
    const pinsApproval = allowedApprovals.length > 0 && !allowedApprovals.includes("never");
    const pinsSandbox = allowedSandboxes.length > 0 && !allowedSandboxes.includes("danger-full-access");
    if (!pinsApproval || !pinsSandbox)
      problems.push({
        check: "codex-requirements-unpinned",
        file: requirements,
        key: pinsApproval ? "allowed_sandbox_modes" : "allowed_approval_policies",
      });
  }

  // Codex loads the project's .codex (config and rules) only in a project the user config marks
  // trusted (openai/codex #9533): an agent could write a strict project layer Codex never applies.
  // Untrusted, a covered gate must hold without it: the same approval and sandbox from the other
  // layers, and rules outside the project covering every category.
  const trusted = ok.some(
    (f) =>
      f.origin === "home" &&
      [ctx.root, resolve(ctx.root)].some((r) => getAt(f.value, ["projects", r, "trust_level"]) === "trusted"),
  );
  if (gateStatus === "covered" && !trusted) {
    const inProject = (f: LoadedConfig | undefined) => f?.origin === "tree";
    const others = ok.filter((f) => !inProject(f));
    const raw = (f: LoadedConfig, p: KeyPath) => getAt(f.value, p);
    const holds = (pick: Picked<unknown> | undefined) =>
      !pick ||
      !inProject(pick.file) ||
      JSON.stringify(pickFirst(others, pick.path, raw)?.value) === JSON.stringify(raw(pick.file, pick.path));
    const ownRules = rules.filter((r) => !inProject(r.file));
    const rulesHold = CATEGORIES.every((c) =>
      c.samples.every((smp) => ownRules.some((r) => r.decision !== "allow" && ruleCovers(r, smp))),
    );
    if (![approvalPick, modePick, permPick, profileName].every(holds) || !rulesHold) {
      gateStatus = "partial";
      gateDetail = `covered only with the project's .codex files, which Codex applies only in a trusted project (the user config has no trust_level = "trusted" for it)`;
    }
  }

  if (unreadable.length || brokenRules.length) {
    const what = [...unreadable, ...brokenRules]
      .map((f) => `${f.scope} ${f.scope === "rules" ? "file" : "config"}`)
      .join(", ");
    if (gateStatus !== "off" || unreadable.length) {
      gateStatus = "unknown";
      gateDetail = `${what} could not be read or parsed (see issues)`;
    }
    if (unreadable.length) {
      sandboxStatus = "unknown";
      sandboxDetail = `${what} could not be read or parsed (see issues)`;
    }
  }
  // What `gate verify` replays through `codex execpolicy check`: every rules file that parses.
  const verifiable = rulesFiles.filter((r) => !brokenRules.includes(r)).map((r) => r.abs);
  const gates: ConfiguredGate[] = verifiable.length
    ? [{ kind: "rules", runtime: "codex", files: verifiable }]
    : [];
  return {
    present,
    files,
    problems,
    gate: { status: gateStatus, detail: gateDetail },
    sandbox: { status: sandboxStatus, detail: sandboxDetail },
    ...(gates.length ? { gates } : {}),
  };
}

/** A prefix rule and the rules file it came from (none for requirements.toml's [rules]). */
type SourcedRule = PrefixRule & { file?: LoadedConfig };

/** Commands that run arbitrary code, reach the network or delete: allowed at all, they are broad. */
const ALWAYS_BROAD = new Set([
  "sh",
  "bash",
  "zsh",
  "dash",
  "ksh",
  "fish",
  "python",
  "python3",
  "node",
  "perl",
  "ruby",
  "php",
  "npx",
  "uvx",
  "curl",
  "wget",
  "rm",
  "sudo",
  "su",
  "env",
  "eval",
  "xargs",
  "dd",
  "ssh",
  "scp",
]);
/** Broad only when allowed whole (`git`, not `git status`). */
const BROAD_ALLOW = new Set([
  ...ALWAYS_BROAD,
  "npm",
  "pnpm",
  "yarn",
  "pip",
  "pip3",
  "uv",
  "git",
  "docker",
  "kubectl",
  "find",
  "make",
  "cargo",
  "go",
]);

/**
 * Managed rules in requirements.toml: `[rules] prefix_rules = [{ pattern = [{ token = "rm" },
 * { any_of = ["-rf", "-fr"] }], decision = "forbidden" }]` (allow is not permitted there). A
 * malformed rule is an issue and is skipped.
 */
function requirementRules(read: ConfigReader, req: LoadedConfig): SourcedRule[] {
  const before = read.issues.length;
  const out = requirementRulesOf(read, req);
  const extra = read.issues.length - before - 20;
  if (extra > 0) {
    read.issues.splice(before + 20);
    read.issue(req.abs, `${extra} more malformed entries not listed`);
  }
  return out;
}

function requirementRulesOf(read: ConfigReader, req: LoadedConfig): SourcedRule[] {
  const list = getAt(req.value, ["rules", "prefix_rules"]);
  if (list === undefined) return [];
  if (!Array.isArray(list)) {
    read.typeIssue(req, ["rules", "prefix_rules"], "an array of tables", list);
    return [];
  }
  const out: SourcedRule[] = [];
  list.forEach((raw, i) => {
    const decision = isRecord(raw) ? raw.decision : undefined;
    const pattern = isRecord(raw) && Array.isArray(raw.pattern) ? raw.pattern : [];
    const positions: string[][] = [];
    for (const t of pattern) {
      if (isRecord(t) && typeof t.token === "string" && t.token) positions.push([t.token]);
      else if (
        isRecord(t) &&
        Array.isArray(t.any_of) &&
        t.any_of.length &&
        t.any_of.every((a) => typeof a === "string" && a)
      )
        positions.push(t.any_of as string[]);
      else break;
    }
    if (
      !positions.length ||
      positions.length !== pattern.length ||
      !["prompt", "prompt-user", "forbidden"].includes(decision as string)
    ) {
      read.issue(
        req.abs,
        `rules.prefix_rules[${i}]: needs pattern = [{ token = "..." } or { any_of = [...] }, ...] and decision = "prompt", "prompt-user" or "forbidden" (skipped)`,
      );
      return;
    }
    out.push({ line: 0, decision: decision === "forbidden" ? "forbidden" : "prompt", pattern: positions });
  });
  return out;
}

/** The first layer (highest precedence) that sets a key, read with a typed accessor. */
function pickFirst<T>(
  layers: LoadedConfig[],
  path: KeyPath,
  get: (f: LoadedConfig, p: KeyPath) => T | undefined,
): Picked<T> | undefined {
  for (const f of layers) {
    if (getAt(f.value, path) === undefined) continue;
    const value = get(f, path);
    if (value !== undefined) return { value, file: f, path };
  }
  return undefined;
}

function approvalAt(read: ConfigReader, f: LoadedConfig, p: KeyPath): Approval | undefined {
  const v = getAt(f.value, p);
  if (isRecord(v) && Object.hasOwn(v, "granular")) return "granular";
  return enumAt(read, f, p, APPROVALS) as Approval | undefined;
}

function enumAt(
  read: ConfigReader,
  f: LoadedConfig,
  p: KeyPath,
  allowed: readonly string[],
): string | undefined {
  const v = str(read, f, p);
  if (v === undefined) return undefined;
  if (allowed.includes(v)) return v;
  read.issue(
    f.abs,
    `${lineText(f, p)}${showPath(p)}: ${quoted(v)} is not one of ${allowed.join(", ")} (ignored; Codex refuses to start with it)`,
  );
  return undefined;
}

function networkOf(
  read: ConfigReader,
  f: LoadedConfig,
  p: KeyPath,
): { enabled: boolean; domains: boolean; mode?: string } {
  const enabled = bool(read, f, [...p, "enabled"]) === true;
  const mode = str(read, f, [...p, "mode"]);
  const domains = getAt(f.value, [...p, "domains"]);
  return {
    enabled,
    domains: isRecord(domains) && Object.keys(domains).length > 0,
    ...(mode !== undefined ? { mode } : {}),
  };
}

/** Key paths of `dangerously_allow_*` switches set to true anywhere in a config. */
function dangerousFlags(value: unknown): KeyPath[] {
  const out: KeyPath[] = [];
  const stack: [unknown, (string | number)[]][] = [[value, []]];
  let seen = 0;
  while (stack.length && seen++ < 10_000) {
    const [v, path] = stack.pop()!;
    if (!isRecord(v)) continue;
    for (const [k, child] of Object.entries(v)) {
      if (k.startsWith("dangerously_allow_") && child === true) out.push([...path, k]);
      else if (isRecord(child)) stack.push([child, [...path, k]]);
    }
  }
  return out.sort((a, b) => (showPath(a) < showPath(b) ? -1 : 1));
}

/** Writable roots of the workspace-write sandbox that cover the home or a credential directory. */
function writableCredentialRoots(
  ctx: InspectContext,
  read: ConfigReader,
  eff: <T>(key: KeyPath, get: (f: LoadedConfig, p: KeyPath) => T | undefined) => Picked<T> | undefined,
): Picked<string>[] {
  const roots = eff<string[]>(["sandbox_workspace_write", "writable_roots"], (f, p) => strs(read, f, p));
  if (!roots) return [];
  const creds = [...CREDENTIAL_DIRS, ...ctx.credentialPaths].map((c) => join(ctx.home, c));
  const out: Picked<string>[] = [];
  roots.value.forEach((raw, i) => {
    const abs = raw === "~" ? ctx.home : raw.startsWith("~/") ? join(ctx.home, raw.slice(2)) : raw;
    const dir = abs.replace(/\/+$/, "") || "/";
    const covers = (c: string) => dir === "/" || c === dir || c.startsWith(`${dir}/`);
    if (isAbsolute(abs) && creds.some(covers))
      out.push({ value: raw, file: roots.file, path: [...roots.path, i] });
  });
  return out;
}

/**
 * Parses one rules file. One that does not parse is a codex-rules-invalid finding whose title and
 * line give the position (not a reader issue: the file was read; it is the rules that are broken,
 * and the finding carries the fix).
 */
function rulesOf(file: LoadedConfig, problems: Problem[]): SourcedRule[] | undefined {
  const parsed = parseRules(file.text);
  if (parsed.ok) return parsed.rules.map((r) => ({ ...r, file }));
  problems.push({
    check: "codex-rules-invalid",
    file: { ...file, lineOf: () => parsed.line },
    key: "prefix_rule",
    title: `Codex rules file does not parse at line ${parsed.line}, column ${parsed.column}: ${parsed.reason}; Codex does not apply its rules`,
  });
  return undefined;
}

function lineText(f: LoadedConfig, p: KeyPath): string {
  const line = f.lineOf(p);
  return line ? `line ${line}: ` : "";
}

/**
 * A value from the file, for a message: quoted only when it looks like a name or an enum value
 * (lowercase letters, digits after the first letter, `-`, `_`, at most 24 characters), so a secret
 * written where a name belongs is never printed.
 */
function shown(s: string): string {
  return /^[a-z][a-z0-9_-]{0,23}$/.test(s) && !/\d{4}/.test(s) ? s : "(a value not printed)";
}

function quoted(s: string): string {
  const v = shown(s);
  return v === s ? `"${s}"` : v;
}
