import { join } from "node:path";
import { maskTokens } from "../../detect/echo.js";
import {
  bashRuleMatches,
  broadDomain,
  coversWholeTool,
  MatchBudget,
  matcherSelects,
  type ParsedRule,
  type PathMatcher,
  parseRule,
  pathRule,
  type Resolution,
  resolveHookCommand,
} from "./claude-rules.js";
import { envConfigDir } from "./env-dir.js";
import { markedRuntime } from "./markers.js";
import {
  bool,
  ConfigReader,
  getAt,
  isRecord,
  type KeyPath,
  type LoadedConfig,
  num,
  obj,
  str,
  strs,
} from "./read.js";
import type { ConfiguredGate, InspectContext, Problem, RuntimeInspector, RuntimeResult } from "./types.js";

// Claude Code (issue 10). Settings files, lowest precedence first: user `~/.claude/settings.json`
// (`$CLAUDE_CONFIG_DIR/settings.json`), project `.claude/settings.json`, local
// `.claude/settings.local.json`, managed `/etc/claude-code/managed-settings.json` then
// `managed-settings.d/*.json` in name order. Strict JSON. The effective settings follow the
// runtime's merge: arrays (permission rules, sandbox lists, hooks) merge across every scope; a
// scalar comes from the highest scope that sets it; among rules deny beats ask beats allow.
// Managed-only keys count from managed settings only; `strictAllowlist` is ignored in project and
// local settings. `~/.claude.json` holds per-project state and MCP servers, never permissions.
// Research: ../shared/research/egress-approval.md §2.2-2.5, §10.1.

type Scope = "user" | "project" | "local" | "managed";

/** A value and where it is written. */
interface At<T> {
  value: T;
  file: LoadedConfig;
  key: string;
}

interface Hook {
  event: string;
  /** Its matcher group's index under hooks.<event>. */
  group: number;
  matcher: string | undefined;
  type: string | undefined;
  command: string | undefined;
  execForm: boolean;
  /** The exec form's arguments (strings only). */
  args: string[] | undefined;
  timeout: number | undefined;
  async: boolean;
  narrowed: boolean;
  file: LoadedConfig;
  scope: Scope;
  /** hooks.PreToolUse[0].hooks[1] */
  key: string;
}

/** What one settings file says, read once (type issues recorded once). */
interface Layer {
  file: LoadedConfig;
  scope: Scope;
  scalars: Map<string, At<unknown>>;
  lists: Map<string, At<string>[]>;
  hooks: Hook[];
}

/** Scalars read from settings files: key path → the expected type. */
const SCALARS: [string, "string" | "boolean" | "number"][] = [
  ["permissions.defaultMode", "string"],
  ["permissions.disableBypassPermissionsMode", "string"],
  ["allowManagedPermissionRulesOnly", "boolean"],
  ["allowManagedHooksOnly", "boolean"],
  ["disableAllHooks", "boolean"],
  ["sandbox.enabled", "boolean"],
  ["sandbox.failIfUnavailable", "boolean"],
  ["sandbox.allowUnsandboxedCommands", "boolean"],
  ["sandbox.enableWeakerNestedSandbox", "boolean"],
  ["sandbox.enableWeakerNetworkIsolation", "boolean"],
  ["sandbox.network.allowAllUnixSockets", "boolean"],
  ["sandbox.network.allowManagedDomainsOnly", "boolean"],
  ["sandbox.network.strictAllowlist", "boolean"],
  ["sandbox.filesystem.allowManagedReadPathsOnly", "boolean"],
  ["allowManagedMcpServersOnly", "boolean"],
];
/** Arrays of strings that merge across scopes. */
const LISTS = [
  "permissions.allow",
  "permissions.ask",
  "permissions.deny",
  "sandbox.excludedCommands",
  "sandbox.network.allowedDomains",
  "sandbox.network.allowUnixSockets",
];
/** Objects whose wrong type hides their keys (an issue, then read as unset). */
const OBJECTS = ["permissions", "sandbox", "sandbox.network", "sandbox.filesystem", "hooks"];

/** Keys honoured only in managed settings. */
const MANAGED_ONLY = [
  "allowManagedPermissionRulesOnly",
  "allowManagedHooksOnly",
  "allowManagedMcpServersOnly",
  "sandbox.network.allowManagedDomainsOnly",
  "sandbox.filesystem.allowManagedReadPathsOnly",
  "strictKnownMarketplaces",
];
/** Keys ignored in project and local settings. */
const NOT_IN_PROJECT = ["sandbox.network.strictAllowlist"];

const MODES = [
  "acceptEdits",
  "bypassPermissions",
  "default",
  "delegate",
  "dontAsk",
  "plan",
  "auto",
  "manual",
];

/** Longest timeout (seconds) a gate hook should have: a hook that times out lets the call through. */
export const HOOK_TIMEOUT_MAX = 30;
/** Shortest timeout (seconds) a gate hook can answer in: 0, negative or less times out at once. */
export const HOOK_TIMEOUT_MIN = 1;
/** Most credential paths of the inventory judged against the Read deny rules. */
export const CREDENTIALS_MAX = 64;
/** Most PreToolUse hook handlers inspected (each command is resolved with a few stat calls). */
export const HOOKS_MAX = 256;
/** Claude Code's default timeout for command hooks, in seconds. */
const HOOK_TIMEOUT_DEFAULT = 600;

/** The dangerous categories a gate must ask about or deny, with the commands that stand for them. */
const CATEGORIES: { id: string; label: string; commands: string[][] }[] = [
  {
    id: "package-installs",
    label: "package installs",
    commands: [["npm install left-pad", "pip install requests"]],
  },
  {
    id: "network-fetch-to-shell",
    label: "network fetches piped to a shell",
    // Either side of `curl … | sh`: the fetchers, or the shells that run what they fetch.
    commands: [
      ["curl -fsSL https://get.example.com/install.sh", "wget -qO- https://get.example.com/install.sh"],
      ["sh", "bash"],
    ],
  },
  { id: "irreversible-deletes", label: "irreversible deletes", commands: [["rm -rf build"]] },
];
/** Credential-path writes: Edit rules (which also judge Bash output redirects) over these files. */
const CREDENTIAL_WRITES = [".ssh/authorized_keys", ".aws/credentials"];

/**
 * Credential locations a Read deny should cover: as shown, a file standing for it (home-relative,
 * or ./ for the project), and the deny rule that covers it.
 */
const STANDARD_CREDENTIALS: [string, string, string][] = [
  ["~/.ssh", ".ssh/id_ed25519", "Read(~/.ssh/**)"],
  ["~/.aws", ".aws/credentials", "Read(~/.aws/**)"],
  ["~/.config/gcloud", ".config/gcloud/application_default_credentials.json", "Read(~/.config/gcloud/**)"],
  ["~/.kube", ".kube/config", "Read(~/.kube/**)"],
  ["~/.docker/config.json", ".docker/config.json", "Read(~/.docker/config.json)"],
  ["~/.npmrc", ".npmrc", "Read(~/.npmrc)"],
  ["~/.netrc", ".netrc", "Read(~/.netrc)"],
  ["./.env", "./.env", "Read(./.env)"],
];

export const claudeCode: RuntimeInspector = {
  id: "claude-code",
  name: "Claude Code",
  lookedFor: [
    "~/.claude/settings.json",
    "~/.claude.json",
    ".claude/settings.json",
    ".claude/settings.local.json",
    "/etc/claude-code/managed-settings.json",
    "/etc/claude-code/managed-settings.d/*.json",
  ],
  inspect,
};

async function inspect(ctx: InspectContext): Promise<RuntimeResult> {
  const read = ctx.read;
  // CLAUDE_CONFIG_DIR is the agent's: an absolute one lies under the system root (never the scanning
  // machine's own file), a relative one is read from the home, as the runtime would (it was ignored:
  // the agent could point it at a bypass config while the audit read a safe ~/.claude).
  const { dir: userDir, moved } = envConfigDir(ctx, "CLAUDE_CONFIG_DIR", join(ctx.home, ".claude"));
  const userBase = moved ? { base: userDir } : {};
  const userSettingsPath = join(userDir, "settings.json");
  const statePath = moved ? join(userDir, ".claude.json") : join(ctx.home, ".claude.json");

  const settings: { file: LoadedConfig; scope: Scope }[] = [];
  let state: LoadedConfig | undefined;
  const add = (file: LoadedConfig | undefined, scope: Scope) => {
    if (file) settings.push({ file, scope });
  };
  if (ctx.origins.has("home")) {
    add(
      await read.load({ abs: userSettingsPath, scope: "user", origin: "home", format: "json", ...userBase }),
      "user",
    );
    state = await read.load({ abs: statePath, scope: "state", origin: "home", format: "json", ...userBase });
  }
  if (ctx.origins.has("tree")) {
    const dir = join(ctx.root, ".claude");
    add(
      await read.load({ abs: join(dir, "settings.json"), scope: "project", origin: "tree", format: "json" }),
      "project",
    );
    add(
      await read.load({
        abs: join(dir, "settings.local.json"),
        scope: "local",
        origin: "tree",
        format: "json",
      }),
      "local",
    );
  }
  if (ctx.origins.has("system")) {
    const dir = join(ctx.systemRoot, "etc/claude-code");
    const managed = [
      join(dir, "managed-settings.json"),
      ...(await read.list(join(dir, "managed-settings.d"), ".json")),
    ];
    for (const abs of managed)
      add(await read.load({ abs, scope: "managed", origin: "system", format: "json" }), "managed");
  }

  const files = [...settings.map((s) => s.file), ...(state ? [state] : [])];
  const present = files.length > 0 || markedRuntime(ctx.env, "claude-code");
  if (!present)
    return {
      present: false,
      files: [],
      problems: [],
      gate: { status: "unknown", detail: "no Claude Code settings found" },
      sandbox: { status: "unknown", detail: "no Claude Code settings found" },
    };

  const problems: Problem[] = [];
  const issuesBefore = read.issues.length;
  const layers = settings.filter((s) => s.file.ok).map((s) => readLayer(read, s.file, s.scope, problems));
  if (state?.ok) stateProblems(state, problems);
  const typeIssues = read.issues.length > issuesBefore;

  // Where a missing key should be set: managed settings when there are any, else the user's.
  const target =
    layers.find((l) => l.scope === "managed") ?? layers.find((l) => l.scope === "user") ?? layers[0];
  const missing = (key: string): Pick<Problem, "file" | "key" | "fixParams"> =>
    target ? { file: target.file, key } : { key, fixParams: { file: userSettingsPath } };
  // Problems about a key that no file sets: reported only when every settings file was read (a
  // file that could not be read may set it; the verdict is then unknown, with an issue).
  const absent: Problem[] = [];

  const eff = effective(layers);
  const where = (a: At<unknown> | undefined) => (a ? `${a.file.scope} settings` : "defaults");

  // Bypass mode.
  const mode = eff.scalar<string>("permissions.defaultMode");
  const bypassDisabled = eff.anyScope("permissions.disableBypassPermissionsMode", (v) => v === "disable");
  const bypassOn = mode?.value === "bypassPermissions" && !bypassDisabled;
  if (bypassOn && mode)
    problems.push({ check: "claude-bypass-permissions-mode", file: mode.file, key: mode.key });
  if (!bypassDisabled)
    absent.push({
      check: "claude-bypass-not-disabled",
      ...missing("permissions.disableBypassPermissionsMode"),
    });

  // Permission rules (managed only, with allowManagedPermissionRulesOnly).
  const managedRulesOnly = eff.managed("allowManagedPermissionRulesOnly") === true;
  const rules = (list: string) =>
    eff
      .list(`permissions.${list}`)
      .filter((r) => !managedRulesOnly || r.file.scope === "managed")
      .map((r) => ({ ...r, rule: parseRule(r.value) }));
  const allow = rules("allow");
  const gating = [...rules("deny"), ...rules("ask")];
  const deny = rules("deny");

  // Hooks (managed only, with allowManagedHooksOnly; disableAllHooks).
  const hooks = effectiveHooks(layers, eff);
  const pre = hooks.filter((h) => h.event === "PreToolUse");
  const hookProblems = await inspectHooks(pre, ctx, problems);
  const bashHooks = pre.filter(
    (h) => h.selectsBash && !h.hook.async && !h.hook.narrowed && h.hook.type === "command",
  );
  const soundHook = bashHooks.some((h) => {
    const timeout = h.hook.timeout ?? HOOK_TIMEOUT_DEFAULT;
    return h.resolution?.status === "ok" && timeout >= HOOK_TIMEOUT_MIN && timeout <= HOOK_TIMEOUT_MAX;
  });
  const workingHook = bashHooks.some((h) => h.resolution?.status === "ok");
  // What `gate verify` replays: every synchronous command hook on every Bash call, broken or not.
  const gates: ConfiguredGate[] = bashHooks.flatMap((h) =>
    h.hook.command === undefined
      ? []
      : [
          {
            kind: "hook" as const,
            runtime: "claude-code" as const,
            command: h.hook.command,
            ...(h.hook.execForm && h.hook.args ? { args: h.hook.args } : {}),
            timeoutMs: (h.hook.timeout ?? HOOK_TIMEOUT_DEFAULT) * 1000,
            file: h.hook.file.abs,
            key: h.hook.key,
          },
        ],
  );
  // A PreToolUse hook on Bash that is not a full gate, and why (for the no-gate finding's title).
  const partialHook = pre.find((h) => h.selectsBash);
  const notAGate = !partialHook
    ? "No PreToolUse hook on Bash"
    : partialHook.hook.async
      ? "No synchronous PreToolUse hook on Bash (the one there runs asynchronously)"
      : partialHook.hook.narrowed
        ? "No PreToolUse hook on every Bash command (the one there has an `if` filter)"
        : `No PreToolUse command hook on Bash (the one there is of type ${partialHook.hook.type ?? "unset"}, whose failures cannot be verified)`;
  if (!bashHooks.length) {
    const after = hooks.filter(
      (h) =>
        h.event !== "PreToolUse" && h.hook.matcher && !["*", ""].includes(h.hook.matcher) && h.selectsBash,
    );
    for (const h of after)
      problems.push({
        check: "claude-hook-non-blocking",
        file: h.hook.file,
        key: h.hook.key,
        subject: h.hook.command ?? h.hook.type ?? "",
        title: `A ${h.hook.event} hook on Bash runs after the command and cannot block it; no PreToolUse hook gates Bash`,
      });
  }

  // Allow rules that approve every Bash command.
  const allowAll = allow.filter((r) => r.rule?.tool === "Bash" && coversWholeTool(r.rule));
  for (const r of allowAll)
    problems.push({ check: "claude-allow-all-bash", file: r.file, key: r.key, subject: r.value });

  // The dangerous categories: ask or deny rules, or a sound PreToolUse hook on Bash.
  const gateRules = gating.map((r) => r.rule).filter((r): r is ParsedRule => r !== undefined);
  const bases = { home: ctx.home, root: ctx.root };
  const budget = new MatchBudget();
  const compiled = (list: { rule: ParsedRule | undefined; file: LoadedConfig }[], tool: string) =>
    list
      .map((r) => r.rule && pathRule(r.rule, tool, { ...bases, source: sourceDir(r.file, userDir, ctx) }))
      .filter((m): m is PathMatcher => m !== undefined);
  const uncovered: string[] = [];
  for (const c of CATEGORIES) {
    const covered = c.commands.some((set) =>
      set.every((cmd) => gateRules.some((r) => bashRuleMatches(r, cmd, budget))),
    );
    if (!covered) uncovered.push(c.label);
  }
  const bashAll = gateRules.some((r) => r.tool === "Bash" && coversWholeTool(r));
  const writesCovered =
    bashAll ||
    CREDENTIAL_WRITES.every((f) => compiled(gating, "Edit").some((m) => m(join(ctx.home, f), budget)));
  if (!writesCovered) uncovered.unshift("credential-path writes");
  const categoriesOpen = soundHook ? [] : uncovered;
  if (uncovered.length && !bashHooks.length) {
    absent.push({
      check: "claude-no-bash-gate",
      ...missing("permissions.deny"),
      title: `${notAGate}, and no ask or deny rule covers: ${uncovered.join(", ")}`,
      fixParams: { ...(target ? {} : { file: userSettingsPath }), categories: uncovered },
    });
  }

  // Credential paths readable: no Read deny covers them.
  const standard = new Set(STANDARD_CREDENTIALS.map(([, probe]) => probe));
  const probes = [
    ...STANDARD_CREDENTIALS,
    ...ctx.credentialPaths
      .slice(0, CREDENTIALS_MAX)
      .filter((p) => !standard.has(p))
      .map((p): [string, string, string] => [`~/${p}`, p, `Read(~/${p})`]),
  ];
  const readable: string[] = [];
  const denyRules: string[] = [];
  const readDenies = compiled(deny, "Read");
  for (const [shown, probe, rule] of probes) {
    const abs = probe.startsWith("./") ? join(ctx.root, probe) : join(ctx.home, probe);
    const denied = readDenies.some((m) => m(abs, budget));
    // A found file under a standard location already listed is named once, by the location.
    if (denied || readable.some((s) => shown.startsWith(`${s}/`))) continue;
    readable.push(shown);
    denyRules.push(rule);
  }
  if (readable.length)
    absent.push({
      check: "claude-credential-read-unprotected",
      ...missing("permissions.deny"),
      title: `No Read deny rule covers ${readable.slice(0, 6).join(", ")}${readable.length > 6 ? ` and ${readable.length - 6} more` : ""}`,
      fixParams: {
        ...(target ? {} : { file: userSettingsPath }),
        paths: readable,
        deny: denyRules,
      },
    });

  // The sandbox.
  const enabled = eff.scalar<boolean>("sandbox.enabled");
  const sandboxOn = enabled?.value === true;
  const holes: string[] = [];
  if (!sandboxOn)
    (enabled ? problems : absent).push({
      check: "claude-sandbox-disabled",
      ...(enabled ? { file: enabled.file, key: enabled.key } : missing("sandbox.enabled")),
    });
  if (sandboxOn) {
    const fail = eff.scalar<boolean>("sandbox.failIfUnavailable");
    if (fail?.value !== true) {
      (fail ? problems : absent).push({
        check: "claude-sandbox-fail-open",
        ...(fail ? { file: fail.file, key: fail.key } : missing("sandbox.failIfUnavailable")),
      });
      holes.push("failIfUnavailable not true");
    }
    const unsandboxed = eff.scalar<boolean>("sandbox.allowUnsandboxedCommands");
    if (unsandboxed?.value !== false) {
      (unsandboxed ? problems : absent).push({
        check: "claude-sandbox-unsandboxed-commands",
        ...(unsandboxed
          ? { file: unsandboxed.file, key: unsandboxed.key }
          : missing("sandbox.allowUnsandboxedCommands")),
      });
      holes.push("allowUnsandboxedCommands not false");
    }
  }
  for (const e of eff.list("sandbox.excludedCommands")) {
    problems.push({ check: "claude-sandbox-excluded-commands", file: e.file, key: e.key, subject: e.value });
    if (!holes.includes("excludedCommands")) holes.push("excludedCommands");
  }
  const managedDomainsOnly = eff.managed("sandbox.network.allowManagedDomainsOnly") === true;
  for (const d of eff.list("sandbox.network.allowedDomains")) {
    if (managedDomainsOnly && d.file.scope !== "managed") continue;
    const why = broadDomain(d.value);
    if (why)
      problems.push({
        check: "claude-sandbox-broad-domain",
        file: d.file,
        key: d.key,
        subject: d.value,
        title: `Sandbox allowed domain ${shown(d.value)} ${why}`,
        fixParams: { domain: d.value },
      });
  }
  const allSockets = eff.scalar<boolean>("sandbox.network.allowAllUnixSockets");
  if (allSockets?.value === true) {
    problems.push({ check: "claude-sandbox-unix-sockets", file: allSockets.file, key: allSockets.key });
    holes.push("allowAllUnixSockets");
  }
  for (const s of eff.list("sandbox.network.allowUnixSockets")) {
    if (!/docker\.sock$|podman\.sock$|containerd\.sock$/.test(s.value)) continue;
    problems.push({ check: "claude-sandbox-unix-sockets", file: s.file, key: s.key, subject: s.value });
    holes.push("a container engine socket");
  }
  for (const key of ["sandbox.enableWeakerNestedSandbox", "sandbox.enableWeakerNetworkIsolation"]) {
    const v = eff.scalar<boolean>(key);
    if (v?.value !== true) continue;
    problems.push({
      check: "claude-sandbox-weaker-isolation",
      file: v.file,
      key: v.key,
      title: `${key.slice("sandbox.".length)} is true: the sandbox is weakened`,
    });
    holes.push(key.slice("sandbox.".length));
  }

  if (budget.exhausted)
    read.issue(
      (target ?? layers[0])?.file.abs ?? userSettingsPath,
      "permission rules too many or too complex to evaluate in full: rules past the matching budget were not considered",
    );

  // The verdicts.
  const view = files.map(ConfigReader.view);
  const broken = settings.filter((s) => !s.file.ok);
  if (!broken.length) problems.push(...absent);
  if (broken.length) {
    const names = broken.map((b) => `${b.scope} settings`).join(", ");
    return {
      present,
      files: view,
      problems,
      gate: { status: "unknown", detail: `${names} could not be read or parsed` },
      sandbox: { status: "unknown", detail: `${names} could not be read or parsed` },
      gates,
    };
  }
  let gate: RuntimeResult["gate"];
  if (bypassOn && mode)
    gate = { status: "off", detail: `permissions.defaultMode bypassPermissions in ${where(mode)}` };
  else if (allowAll.length && !workingHook)
    gate = {
      status: "off",
      detail: `${allowAll[0]!.key} approves every Bash command in ${where(allowAll[0])}, and no PreToolUse hook gates Bash`,
    };
  else {
    const gaps: string[] = [];
    if (!bypassDisabled) gaps.push("bypass mode not disabled");
    if (categoriesOpen.length) gaps.push(`no ask or deny for ${categoriesOpen.join(", ")}`);
    if (hookProblems) gaps.push("a PreToolUse hook can fail open");
    if (typeIssues) gaps.push("settings with wrong-typed keys (see issues)");
    if (budget.exhausted) gaps.push("permission rules too many or too complex to evaluate (see issues)");
    gate = gaps.length
      ? { status: "partial", detail: gaps.join("; ") }
      : {
          status: "covered",
          detail: soundHook
            ? "bypass disabled; a PreToolUse hook gates Bash"
            : "bypass disabled; ask or deny rules cover every dangerous category",
        };
  }
  let sandbox: RuntimeResult["sandbox"];
  if (!sandboxOn)
    sandbox = {
      status: "off",
      detail: enabled
        ? `sandbox.enabled false in ${where(enabled)}`
        : "sandbox.enabled not set (off by default)",
    };
  else if (holes.length) sandbox = { status: "weak", detail: `sandbox enabled, but ${holes.join(", ")}` };
  else
    sandbox = {
      status: "on",
      detail: `sandbox enabled, fails closed, no unsandboxed commands (${where(enabled)})`,
    };
  return { present, files: view, problems, gate, sandbox, gates };
}

/** A command as written, quoted and cut to 120 characters (renderers escape control characters). */
/** A command or domain from the file, for a title: tokens that could be secrets masked, then cut at 120. */
function shown(command: string): string {
  const masked = maskTokens(command.length > 4096 ? command.slice(0, 4096) : command);
  return JSON.stringify(masked.length > 120 ? `${masked.slice(0, 120)}…` : masked);
}

/** `/path` in a permission rule is relative to the settings source. */
function sourceDir(file: LoadedConfig, userDir: string, ctx: InspectContext): string {
  return file.scope === "user" ? userDir : ctx.root;
}

function split(key: string): string[] {
  return key.split(".");
}

/** Reads one settings file: its scalars, lists and hooks, each once; misplaced keys become problems. */
function readLayer(read: ConfigReader, file: LoadedConfig, scope: Scope, problems: Problem[]): Layer {
  const layer: Layer = { file, scope, scalars: new Map(), lists: new Map(), hooks: [] };
  if (!isRecord(file.value)) {
    read.typeIssue(file, [], "an object", file.value);
    return layer;
  }
  const badParent = new Set<string>();
  for (const o of OBJECTS) {
    if ([...badParent].some((b) => o.startsWith(`${b}.`))) continue;
    if (getAt(file.value, split(o)) !== undefined && obj(read, file, split(o)) === undefined)
      badParent.add(o);
  }
  const reachable = (key: string) => ![...badParent].some((b) => key.startsWith(`${b}.`));
  for (const [key, type] of SCALARS) {
    if (!reachable(key)) continue;
    const path = split(key);
    const v =
      type === "string"
        ? str(read, file, path)
        : type === "boolean"
          ? bool(read, file, path)
          : num(read, file, path);
    if (v === undefined) continue;
    if (key === "permissions.defaultMode" && !MODES.includes(v as string)) {
      read.issue(
        file.abs,
        `${lineText(file, path)}${key}: not a permission mode Claude Code knows (ignored)`,
      );
      continue;
    }
    layer.scalars.set(key, { value: v, file, key });
  }
  for (const key of LISTS) {
    if (!reachable(key)) continue;
    const raw = getAt(file.value, split(key));
    const values = strs(read, file, split(key));
    if (!Array.isArray(raw)) continue;
    const entries: At<string>[] = [];
    raw.forEach((item, i) => {
      if (typeof item === "string") entries.push({ value: item, file, key: `${key}[${i}]` });
    });
    if (values.length) layer.lists.set(key, entries);
  }
  if (!badParent.has("hooks")) layer.hooks = readHooks(read, file, scope);

  // Keys the runtime ignores in this scope.
  const ignored = (key: string, why: string) => {
    const v = getAt(file.value, split(key));
    if (v === undefined || v === false || v === null) return;
    problems.push({
      check: "claude-ignored-scope-key",
      file,
      key,
      title: `${key} in ${scope} settings is ignored: ${why}`,
    });
  };
  if (scope !== "managed")
    for (const key of MANAGED_ONLY) ignored(key, "Claude Code honours it only in managed settings");
  if (scope === "project" || scope === "local")
    for (const key of NOT_IN_PROJECT) ignored(key, "Claude Code honours it only in user or managed settings");
  return layer;
}

function lineText(file: LoadedConfig, path: KeyPath): string {
  const line = file.lineOf(path);
  return line ? `line ${line}: ` : "";
}

/** hooks.<Event>[i].hooks[j]: every handler, with type issues for the wrong shapes. */
function readHooks(read: ConfigReader, file: LoadedConfig, scope: Scope): Hook[] {
  const out: Hook[] = [];
  const hooks = getAt(file.value, ["hooks"]);
  if (!isRecord(hooks)) return out;
  for (const event of Object.keys(hooks)) {
    const groups = hooks[event];
    if (!Array.isArray(groups)) {
      read.typeIssue(file, ["hooks", event], "an array of matcher groups", groups);
      continue;
    }
    groups.forEach((group, i) => {
      const gPath = ["hooks", event, i];
      if (!isRecord(group)) {
        read.typeIssue(file, gPath, "an object with matcher and hooks", group);
        return;
      }
      const matcher = str(read, file, [...gPath, "matcher"]);
      const handlers = getAt(group, ["hooks"]);
      if (!Array.isArray(handlers)) {
        read.typeIssue(file, [...gPath, "hooks"], "an array of hook handlers", handlers);
        return;
      }
      handlers.forEach((h, j) => {
        const hPath = [...gPath, "hooks", j];
        if (!isRecord(h)) {
          read.typeIssue(file, hPath, "a hook handler object", h);
          return;
        }
        const args = getAt(h, ["args"]);
        out.push({
          event,
          group: i,
          matcher,
          type: str(read, file, [...hPath, "type"]),
          command: str(read, file, [...hPath, "command"]),
          execForm: Array.isArray(args),
          args: Array.isArray(args) ? args.filter((a): a is string => typeof a === "string") : undefined,
          timeout: num(read, file, [...hPath, "timeout"]),
          async:
            bool(read, file, [...hPath, "async"]) === true ||
            bool(read, file, [...hPath, "asyncRewake"]) === true,
          narrowed: str(read, file, [...hPath, "if"]) !== undefined,
          file,
          scope,
          key: `hooks.${event}[${i}].hooks[${j}]`,
        });
      });
    });
  }
  return out;
}

/** Security keys in ~/.claude.json, where Claude Code never reads them as settings. */
function stateProblems(state: LoadedConfig, problems: Problem[]): void {
  if (!isRecord(state.value)) return;
  for (const key of ["permissions", "hooks", "sandbox"]) {
    if (!Object.hasOwn(state.value, key)) continue;
    problems.push({
      check: "claude-ignored-scope-key",
      file: state,
      key,
      title: `${key} in ~/.claude.json is ignored: Claude Code reads it only from settings files`,
    });
  }
}

/** The merged view over the layers (lowest precedence first). */
function effective(layers: Layer[]) {
  return {
    /** A scalar from the highest scope that sets it (managed-only keys from managed only). */
    scalar<T>(key: string): At<T> | undefined {
      const managedOnly = MANAGED_ONLY.includes(key);
      const projectIgnored = NOT_IN_PROJECT.includes(key);
      let found: At<unknown> | undefined;
      for (const l of layers) {
        if (managedOnly && l.scope !== "managed") continue;
        if (projectIgnored && (l.scope === "project" || l.scope === "local")) continue;
        const v = l.scalars.get(key);
        if (v) found = v;
      }
      return found as At<T> | undefined;
    },
    managed(key: string): unknown {
      let v: unknown;
      for (const l of layers) if (l.scope === "managed" && l.scalars.has(key)) v = l.scalars.get(key)!.value;
      return v;
    },
    anyScope(key: string, test: (v: unknown) => boolean): boolean {
      return layers.some((l) => l.scalars.has(key) && test(l.scalars.get(key)!.value));
    },
    /** Every entry of a list, from every scope. */
    list(key: string): At<string>[] {
      return layers.flatMap((l) => l.lists.get(key) ?? []);
    },
  };
}

/**
 * The hooks that run: every scope's, unless managed settings allow only managed hooks
 * (allowManagedHooksOnly) or disable them all; disableAllHooks elsewhere leaves managed hooks on.
 */
interface HookEntry {
  hook: Hook;
  event: string;
  selectsBash: boolean;
  resolution?: Resolution;
}

function effectiveHooks(layers: Layer[], eff: ReturnType<typeof effective>): HookEntry[] {
  const managedDisable = eff.managed("disableAllHooks") === true;
  if (managedDisable) return [];
  const managedOnly = eff.managed("allowManagedHooksOnly") === true;
  let userDisable = false;
  for (const l of layers)
    if (l.scope !== "managed" && l.scalars.has("disableAllHooks"))
      userDisable = l.scalars.get("disableAllHooks")!.value === true;
  return layers
    .filter((l) => l.scope === "managed" || !(managedOnly || userDisable))
    .flatMap((l) => l.hooks)
    .map((hook) => ({ hook, event: hook.event, selectsBash: matcherSelects(hook.matcher, "Bash") === true }));
}

/** Problems of the PreToolUse hooks; whether any was found. Resolutions are kept on the entries. */
async function inspectHooks(pre: HookEntry[], ctx: InspectContext, problems: Problem[]): Promise<boolean> {
  let found = false;
  if (pre.length > HOOKS_MAX) {
    found = true;
    ctx.read.issue(
      pre[HOOKS_MAX]!.hook.file.abs,
      `skipped: ${pre.length - HOOKS_MAX} of ${pre.length} PreToolUse hook handlers not inspected (at most ${HOOKS_MAX})`,
    );
  }
  for (const entry of pre.slice(0, HOOKS_MAX)) {
    const h = entry.hook;
    const subject = h.command ?? h.type ?? "";
    if (matcherSelects(h.matcher, "Bash") === "invalid") {
      ctx.read.issue(
        h.file.abs,
        `${lineText(h.file, ["hooks", h.event, h.group, "matcher"])}hooks.${h.event}[${h.group}].matcher: not a regular expression Claude Code can use (the hook never runs)`,
      );
    }
    if (h.async && entry.selectsBash) {
      found = true;
      problems.push({
        check: "claude-hook-non-blocking",
        file: h.file,
        key: h.key,
        subject,
        title: "A PreToolUse hook on Bash runs asynchronously (async) and cannot block the command",
      });
    }
    if (h.type !== "command" || h.command === undefined) continue;
    entry.resolution = await resolveHookCommand(h.command, h.execForm, ctx);
    const r = entry.resolution;
    if (r.status === "missing") {
      found = true;
      problems.push({
        check: "claude-hook-command-unresolved",
        file: h.file,
        key: `${h.key}.command`,
        subject,
        title: `PreToolUse hook command ${shown(h.command)} does not resolve: ${r.why}`,
        fixParams: { command: maskTokens(h.command.slice(0, 500)) },
      });
    } else if (r.status === "noop") {
      found = true;
      problems.push({
        check: "claude-hook-command-unresolved",
        file: h.file,
        key: `${h.key}.command`,
        subject,
        title: `PreToolUse hook command ${shown(h.command)} is no gate: ${r.why}`,
        fixParams: { command: maskTokens(h.command.slice(0, 500)) },
      });
    } else if (r.status === "unverifiable") {
      found = true;
      problems.push({
        check: "claude-hook-command-unverifiable",
        file: h.file,
        key: `${h.key}.command`,
        subject,
        title: `PreToolUse hook command ${shown(h.command)} cannot be verified: ${r.why}`,
        fixParams: { command: maskTokens(h.command.slice(0, 500)) },
      });
    }
    const timeout = h.timeout ?? HOOK_TIMEOUT_DEFAULT;
    if (timeout < HOOK_TIMEOUT_MIN) {
      // 0, negative or a fraction of a second: the hook times out before it answers, and a
      // timed-out hook lets the call through.
      found = true;
      problems.push({
        check: "claude-hook-timeout",
        file: h.file,
        key: `${h.key}.timeout`,
        subject,
        title: `PreToolUse hook timeout is ${h.timeout} s (under ${HOOK_TIMEOUT_MIN} s; a hook that times out lets the call through)`,
        fixParams: { timeout: HOOK_TIMEOUT_MAX },
      });
    } else if (timeout > HOOK_TIMEOUT_MAX) {
      found = true;
      problems.push({
        check: "claude-hook-timeout",
        file: h.file,
        key: `${h.key}.timeout`,
        subject,
        title:
          h.timeout === undefined
            ? `PreToolUse hook has no timeout (the default is ${HOOK_TIMEOUT_DEFAULT} s; a hook that times out lets the call through)`
            : `PreToolUse hook timeout is ${h.timeout} s (over ${HOOK_TIMEOUT_MAX} s; a hook that times out lets the call through)`,
        fixParams: { timeout: HOOK_TIMEOUT_MAX },
      });
    }
  }
  return found;
}
