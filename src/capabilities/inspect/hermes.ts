import { join } from "node:path";
import { yaml } from "../../util/lazy.js";
import { envConfigDir } from "./env-dir.js";
import { markedRuntime } from "./markers.js";
import { ConfigReader, getAt, isRecord, type LoadedConfig, strs } from "./read.js";
import type { InspectContext, Problem, RuntimeInspector, RuntimeResult } from "./types.js";

// Hermes Agent (NousResearch/hermes-agent), issue 10. Hermes reads one user config,
// `~/.hermes/config.yaml` (`$HERMES_HOME/config.yaml` when that is set), with PyYAML, so YAML 1.1
// typing applies: a bare `mode: off` is the boolean false, which Hermes reads as "off"
// (tools/approval.py _normalize_approval_mode). It loads `~/.hermes/.env` into its environment,
// where HERMES_YOLO_MODE switches every approval off (frozen at import). The dangerous-command gate:
// `approvals.mode` manual | smart | off (absent: manual; an unknown string: manual; true: manual;
// false: off), `approvals.cron_mode` / `single_query_mode` / `unattended_mode` deny | approve
// ("approve", "off", "allow", "yes" as strings approve; anything else denies), `approvals.deny`
// (hard-deny rules), `command_allowlist` (permanent approvals: an exact command, an fnmatch glob,
// or a dangerous-pattern key such as "recursive delete"). The sandbox: `terminal.backend`
// local (default) | ssh | docker | singularity | modal | daytona | vercel_sandbox.

const TRUTHY = new Set(["1", "true", "yes", "on"]);
/** Strings that make a cron / single-query / unattended approval mode auto-approve. */
const AUTO_APPROVE = new Set(["approve", "off", "allow", "yes"]);
/** Container backends: Hermes skips its approval layer there, the container is the boundary. */
const CONTAINERS = new Set(["docker", "singularity", "modal", "daytona", "vercel_sandbox"]);
/** A command_allowlist with more entries than this is too large to review. */
export const ALLOWLIST_MAX = 20;

/**
 * First words that make a glob entry of command_allowlist broad: shells and interpreters (any
 * script), privilege, network fetchers, deletion, package managers and remote shells.
 */
const BROAD_FIRST_WORDS = new Set([
  "sh",
  "bash",
  "zsh",
  "ksh",
  "dash",
  "fish",
  "env",
  "eval",
  "exec",
  "xargs",
  "python",
  "python2",
  "python3",
  "node",
  "deno",
  "bun",
  "perl",
  "ruby",
  "php",
  "lua",
  "sudo",
  "su",
  "doas",
  "curl",
  "wget",
  "nc",
  "ncat",
  "socat",
  "ssh",
  "scp",
  "rsync",
  "rm",
  "dd",
  "chmod",
  "chown",
  "find",
  "git",
  "npm",
  "npx",
  "pnpm",
  "yarn",
  "pip",
  "pip3",
  "uv",
  "brew",
  "apt",
  "apt-get",
  "docker",
  "podman",
  "kubectl",
]);

/** Second words that make a package manager or container tool approve installs or arbitrary runs. */
const BROAD_VERBS = new Set(["install", "i", "add", "run", "exec", "x", "dlx"]);

/**
 * Dangerous-pattern keys (the descriptions Hermes stores when a person answers "always", lowercased)
 * that approve a whole dangerous category for every command: deletes, remote code piped to a
 * shell, shell or interpreter strings, writes over system or credential files, privilege.
 */
const BROAD_PATTERN_KEYS = new Set([
  "recursive delete",
  "recursive delete (long flag)",
  "delete in root path",
  "xargs with rm",
  "find -exec rm",
  "find -delete",
  "pipe remote content to shell",
  "execute remote script via process substitution",
  "execute remote content via command substitution",
  "shell command via -c/-lc flag",
  "script execution via -e/-c flag",
  "script execution via heredoc",
  "overwrite system file via tee",
  "overwrite system file via redirection",
  "overwrite system config",
  "overwrite project env/config via tee",
  "overwrite project env/config via redirection",
  "sudo with privilege flag (stdin/askpass/shell/list)",
]);

export const hermes: RuntimeInspector = {
  id: "hermes",
  name: "Hermes Agent",
  lookedFor: ["~/.hermes/config.yaml", "~/.hermes/.env (HERMES_YOLO_MODE)"],
  inspect,
};

async function inspect(ctx: InspectContext): Promise<RuntimeResult> {
  const problems: Problem[] = [];
  // YOLO: the agent's environment, or ~/.hermes/.env (Hermes loads it into its environment).
  const yoloEnv = yoloInEnv(ctx);
  if (yoloEnv)
    problems.push({
      check: "hermes-yolo-mode",
      key: "HERMES_YOLO_MODE",
      subject: "env",
      title: "HERMES_YOLO_MODE is set in the agent's environment: every approval is skipped",
    });
  if (!ctx.origins.has("home")) return absent(problems, yoloEnv || markedRuntime(ctx.env, "hermes"));
  const { dir, moved } = envConfigDir(ctx, "HERMES_HOME", join(ctx.home, ".hermes"));
  const base = moved ? { base: dir } : {};
  const label = moved ? "$HERMES_HOME" : "~/.hermes";
  const config = await ctx.read.load({
    abs: join(dir, "config.yaml"),
    scope: "user",
    origin: "home",
    format: "yaml",
    ...base,
  });
  const dotenv = await ctx.read.load({
    abs: join(dir, ".env"),
    scope: "env",
    origin: "home",
    format: "text",
    ...base,
  });
  const files = [config, dotenv].filter((f): f is LoadedConfig => f !== undefined);

  const yoloFile = dotenv?.ok ? dotenvValue(dotenv.text, "HERMES_YOLO_MODE") : undefined;
  const yoloFromFile = yoloFile !== undefined && TRUTHY.has(yoloFile.trim().toLowerCase());
  if (yoloFromFile && dotenv)
    problems.push({
      check: "hermes-yolo-mode",
      file: dotenv,
      key: "HERMES_YOLO_MODE",
      subject: "dotenv",
      title: `HERMES_YOLO_MODE is set in ${label}/.env: every approval is skipped`,
    });

  const present = files.length > 0 || yoloEnv || markedRuntime(ctx.env, "hermes");
  if (!present) return absent(problems, false);
  const view = files.map(ConfigReader.view);
  const yoloDetail = yoloEnv
    ? "HERMES_YOLO_MODE in the agent's environment"
    : yoloFromFile
      ? `HERMES_YOLO_MODE in ${label}/.env`
      : undefined;

  if (config && !config.ok) {
    const why = `${label}/config.yaml could not be read or parsed`;
    return {
      present,
      files: view,
      problems,
      gate: yoloDetail ? { status: "off", detail: yoloDetail } : { status: "unknown", detail: why },
      sandbox: { status: "unknown", detail: why },
    };
  }

  // A document that is not a mapping (a list, a string): what Hermes makes of it is not known, so
  // the gate is not judged from its defaults (issue 10 review: it read as the defaults, silently).
  if (config && config.value !== null && config.value !== undefined && !isRecord(config.value)) {
    ctx.read.issue(config.abs, "not inspected: the top level is not a mapping of settings");
    const why = `${label}/config.yaml is not a mapping of settings`;
    return {
      present,
      files: view,
      problems,
      gate: yoloDetail ? { status: "off", detail: yoloDetail } : { status: "unknown", detail: why },
      sandbox: { status: "unknown", detail: why },
    };
  }

  // No config file: Hermes runs on its defaults (manual approvals, local backend).
  const cfg = config ? asHermesReadsIt(config) : undefined;
  const read = ctx.read;
  const approvals = cfg ? approvalsOf(read, cfg) : undefined;
  const at = (key: string) => (approvals ? getAt(approvals, [key]) : undefined);
  const gaps: string[] = [];

  // approvals.mode
  const mode = approvalMode(read, cfg, at("mode"));
  if (mode === "off" && cfg)
    problems.push({ check: "hermes-approvals-off", file: cfg, key: "approvals.mode" });

  // cron_mode, single_query_mode, unattended_mode
  if (autoApproves(at("cron_mode")) && cfg) {
    problems.push({ check: "hermes-cron-auto-approve", file: cfg, key: "approvals.cron_mode" });
    gaps.push("approvals.cron_mode approve");
  }
  for (const key of ["single_query_mode", "unattended_mode"]) {
    if (autoApproves(at(key)) && cfg) {
      problems.push({
        check: "hermes-unattended-auto-approve",
        file: cfg,
        key: `approvals.${key}`,
        subject: key,
      });
      gaps.push(`approvals.${key} approve`);
    }
  }

  // approvals.deny
  const deny = cfg && approvals ? listAt(read, cfg, approvals, ["approvals", "deny"]) : [];
  if (!deny.some((d) => d.trim() !== "")) {
    if (cfg) problems.push({ check: "hermes-no-deny-rules", file: cfg, key: "approvals.deny" });
    gaps.push("no approvals.deny rules");
  }

  // command_allowlist
  // An empty `command_allowlist:` is null, which Hermes reads as no entries.
  const allow =
    cfg && getAt(cfg.value, ["command_allowlist"]) !== null ? strs(read, cfg, ["command_allowlist"]) : [];
  let broad = 0;
  allow.forEach((entry, i) => {
    const why = broadEntry(entry);
    if (why && cfg) {
      broad++;
      problems.push({
        check: "hermes-allowlist-broad-entry",
        file: cfg,
        key: `command_allowlist[${i}]`,
        subject: entry,
        title: `command_allowlist entry ${i + 1} ${why}`,
      });
    }
  });
  if (broad) gaps.push("broad command_allowlist entries");
  if (allow.length > ALLOWLIST_MAX && cfg) {
    problems.push({
      check: "hermes-allowlist-large",
      file: cfg,
      key: "command_allowlist",
      title: `command_allowlist holds ${allow.length} permanent approvals (more than ${ALLOWLIST_MAX})`,
    });
    gaps.push(`${allow.length} command_allowlist entries`);
  }

  // terminal.backend and the egress proxy
  const sandbox = backendOf(read, cfg, problems);
  const proxyOn = cfg ? getAt(cfg.value, ["proxy", "enabled"]) === true : false;
  if (!proxyOn && cfg) problems.push({ check: "hermes-no-egress-proxy", file: cfg, key: "proxy.enabled" });

  const where = cfg ? `${label}/config.yaml` : "Hermes defaults (no config.yaml)";
  let gate: RuntimeResult["gate"];
  if (yoloDetail) gate = { status: "off", detail: yoloDetail };
  else if (dotenv && !dotenv.ok)
    // HERMES_YOLO_MODE may be set in the file that could not be read.
    gate = { status: "unknown", detail: `${label}/.env could not be read (HERMES_YOLO_MODE unknown)` };
  else if (mode === "off") gate = { status: "off", detail: `approvals.mode off in ${where}` };
  else if (gaps.length)
    gate = { status: "partial", detail: `approvals.mode ${mode}, but ${gaps.join(", ")} (${where})` };
  else gate = { status: "covered", detail: `approvals.mode ${mode}, cron denies, deny rules set (${where})` };
  return { present, files: view, problems, gate, sandbox };
}

/** Nothing read (no file found, or the home source is off): only the environment speaks. */
function absent(problems: Problem[], present: boolean): RuntimeResult {
  const yolo = problems.length > 0;
  return {
    present,
    files: [],
    problems,
    gate: yolo
      ? { status: "off", detail: "HERMES_YOLO_MODE in the agent's environment" }
      : { status: "unknown", detail: "no Hermes config read" },
    sandbox: { status: "unknown", detail: "no Hermes config read" },
  };
}

function yoloInEnv(ctx: InspectContext): boolean {
  const v = ctx.env && Object.hasOwn(ctx.env, "HERMES_YOLO_MODE") ? ctx.env.HERMES_YOLO_MODE : undefined;
  return v !== undefined && TRUTHY.has(v.trim().toLowerCase());
}

/**
 * The value of one key of a dotenv file (python-dotenv's common syntax: `KEY=VALUE`, `export KEY=`,
 * quotes, `#` comments; the last assignment wins). Only that key is looked at; no other value of
 * the file is ever kept.
 */
export function dotenvValue(text: string, name: string): string | undefined {
  let found: string | undefined;
  for (const raw of text.split(/\r?\n/)) {
    const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.]*)\s*=\s*(.*)$/.exec(raw);
    if (!m || m[1] !== name) continue;
    let v = m[2]!;
    const q = v[0];
    if (q === '"' || q === "'") {
      const end = v.indexOf(q, 1);
      v = end > 0 ? v.slice(1, end) : v.slice(1);
    } else {
      const hash = v.search(/\s#/);
      if (hash >= 0) v = v.slice(0, hash);
      v = v.trim();
    }
    found = v;
  }
  return found;
}

/**
 * The config as Hermes reads it: PyYAML, YAML 1.1 (`off`, `no`, `yes`, `on` are booleans). The
 * reader already parsed it as YAML 1.2 with bounds (aliases, depth, size); the same text parses to
 * the same shape under 1.1, only scalars are typed differently. Lines come from the first parse.
 */
function asHermesReadsIt(file: LoadedConfig): LoadedConfig {
  try {
    const doc = yaml().parseDocument(file.text, { version: "1.1", uniqueKeys: false, prettyErrors: false });
    if (doc.errors.length) return file;
    return { ...file, value: doc.toJS({ maxAliasCount: 100 }) };
  } catch {
    return file;
  }
}

/** The approvals mapping; null (an empty `approvals:`) reads as none; another type is an issue. */
function approvalsOf(read: ConfigReader, file: LoadedConfig): Record<string, unknown> | undefined {
  const v = getAt(file.value, ["approvals"]);
  if (v === undefined || v === null) return undefined;
  if (isRecord(v)) return v;
  read.typeIssue(file, ["approvals"], "a mapping", v);
  return undefined;
}

/** A list of strings under approvals (null reads as empty). */
function listAt(
  read: ConfigReader,
  file: LoadedConfig,
  approvals: Record<string, unknown>,
  path: string[],
): string[] {
  const v = getAt(approvals, path.slice(1));
  if (v === undefined || v === null) return [];
  return strs(read, file, path);
}

/** approvals.mode the way Hermes normalises it. */
function approvalMode(
  read: ConfigReader,
  file: LoadedConfig | undefined,
  v: unknown,
): "manual" | "smart" | "off" {
  if (v === undefined || v === null) return "manual";
  if (typeof v === "boolean") return v ? "manual" : "off";
  if (typeof v === "string") {
    const m = v.trim().toLowerCase();
    if (m === "manual" || m === "smart" || m === "off" || m === "") return m === "" ? "manual" : m;
    if (file)
      read.issue(
        file.abs,
        `${lineText(file, ["approvals", "mode"])}approvals.mode: not manual, smart or off (Hermes falls back to manual)`,
      );
    return "manual";
  }
  if (file) read.typeIssue(file, ["approvals", "mode"], "manual, smart or off", v);
  return "manual";
}

function lineText(file: LoadedConfig, path: (string | number)[]): string {
  const line = file.lineOf(path);
  return line ? `line ${line}: ` : "";
}

/** cron_mode and the like: Hermes lowercases str(value); only these strings approve. */
function autoApproves(v: unknown): boolean {
  return typeof v === "string" && AUTO_APPROVE.has(v.trim().toLowerCase());
}

/**
 * Why a command_allowlist entry is broad, or undefined. Hermes matches an entry as the exact
 * command text, as an fnmatch glob when it holds `*`, `?` or `[`, or as a dangerous-pattern key.
 * Exact command text matches that one command only, so it is never broad.
 */
export function broadEntry(raw: string): string | undefined {
  const entry = raw.trim();
  if (!entry) return undefined;
  const lower = entry.toLowerCase();
  if (BROAD_PATTERN_KEYS.has(lower) || /^pipe .*to shell\b/.test(lower))
    return "approves a whole dangerous-command category for every command";
  const glob = entry.search(/[*?[]/);
  if (glob < 0) return undefined;
  const prefix = entry.slice(0, glob);
  const words = prefix.split(/\s+/).filter(Boolean);
  const firstDone = words.length > 1 || /\s$/.test(prefix);
  const first = (words[0] ?? "").replace(/^.*\//, "").toLowerCase();
  if (!firstDone) {
    // The glob is inside the first word: `*`, `py*`, `/usr/bin/*`.
    if (!first || [...BROAD_FIRST_WORDS].some((w) => w.startsWith(first)))
      return "is a wildcard that matches any command, or a shell, interpreter or privileged command";
    return undefined;
  }
  if (!BROAD_FIRST_WORDS.has(first)) return undefined;
  const rest = words.slice(1);
  if (rest.every((w) => w.startsWith("-")))
    return "approves any arguments to a shell, interpreter, fetcher, deletion or privileged command";
  if (BROAD_VERBS.has((rest[0] ?? "").toLowerCase()) && rest.slice(1).every((w) => w.startsWith("-")))
    return "approves any package install or container run";
  return undefined;
}

/** terminal.backend → the sandbox status (and the local-backend problem). */
function backendOf(
  read: ConfigReader,
  file: LoadedConfig | undefined,
  problems: Problem[],
): RuntimeResult["sandbox"] {
  let backend = "local";
  const v = file ? getAt(file.value, ["terminal", "backend"]) : undefined;
  const terminal = file ? getAt(file.value, ["terminal"]) : undefined;
  if (file && terminal !== undefined && terminal !== null && !isRecord(terminal))
    read.typeIssue(file, ["terminal"], "a mapping", terminal);
  else if (file && v !== undefined && v !== null && typeof v !== "string")
    read.typeIssue(file, ["terminal", "backend"], "a string", v);
  else if (typeof v === "string" && v.trim()) backend = v.trim().toLowerCase();
  if (backend === "local") {
    if (file) problems.push({ check: "hermes-local-backend", file, key: "terminal.backend" });
    return { status: "off", detail: "terminal.backend local: commands run on the host, no container" };
  }
  if (backend === "ssh")
    return { status: "weak", detail: "terminal.backend ssh: commands run unconfined on the remote host" };
  if (backend === "docker") {
    const mount = getAt(file?.value, ["terminal", "docker_mount_cwd_to_workspace"]) === true;
    const vols = getAt(file?.value, ["terminal", "docker_volumes"]);
    if (mount || (Array.isArray(vols) && vols.length > 0))
      return {
        status: "weak",
        detail:
          "terminal.backend docker with host paths mounted (docker_mount_cwd_to_workspace or docker_volumes)",
      };
    return { status: "on", detail: "terminal.backend docker" };
  }
  if (CONTAINERS.has(backend)) return { status: "on", detail: `terminal.backend ${backend}` };
  return { status: "unknown", detail: "terminal.backend is not a backend agent-audit knows" };
}
