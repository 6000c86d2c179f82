import { isAbsolute, join, posix } from "node:path";
import { preview } from "../../../contract/finding.js";
import type { EgressPosture } from "../../../contract/types.js";
import { looksRandom } from "../../../detect/randomness.js";
import { redactText } from "../../../detect/redact.js";
import { escapeControls } from "../../../util/controls.js";
import { shellQuote } from "../../../util/shell-quote.js";
import type { InspectContext } from "../types.js";
import type { CommandJudge, InventorySecret, McpProblem, McpServer, McpValue } from "./types.js";

// Per-server problems of MCP servers (issue 16): what a server's launcher runs and fetches, what it
// can reach on the host, how it talks, which secrets of the inventory it receives, and which hosts
// it needs. Everything is judged from the config as data: nothing is started, resolved or fetched.
// Launcher commands are classified by the gate's engine (the injected CommandJudge), never by a
// regular expression; the structural checks here (pinning, docker flags, paths) read argv tokens.

/** Package runners that fetch a package from a registry when the server starts. */
const NPM_RUNNERS = new Set(["npx", "bunx", "pnpx"]);
/** Runners spelled as a subcommand: `npm exec`, `npm x`, `pnpm dlx`, `yarn dlx`, `bun x`. */
const NPM_SUBRUNNERS: Record<string, string[]> = {
  npm: ["exec", "x"],
  pnpm: ["dlx"],
  yarn: ["dlx"],
  bun: ["x"],
};
const PY_RUNNERS = new Set(["uvx"]);
const CONTAINER_ENGINES = new Set(["docker", "podman", "nerdctl"]);

/** npx / npm exec flags that take a value (the next argument). */
const NPX_VALUE_FLAGS = new Set([
  "-p",
  "--package",
  "-c",
  "--call",
  "--registry",
  "--cache",
  "--userconfig",
  "-w",
  "--workspace",
]);
/** uvx / pipx flags that take a value. */
const PY_VALUE_FLAGS = new Set([
  "--from",
  "--with",
  "--with-requirements",
  "--with-editable",
  "--python",
  "-p",
  "--index",
  "--index-url",
  "-i",
  "--extra-index-url",
  "--default-index",
  "--find-links",
  "-f",
  "--spec",
  "--pip-args",
  "--directory",
  "--project",
  "--env-file",
  "--constraints",
  "-c",
  "--overrides",
]);
/** docker/podman run flags that take a value (the next argument unless written `--flag=value`). */
const DOCKER_VALUE_FLAGS = new Set([
  "-v",
  "--volume",
  "--mount",
  "-e",
  "--env",
  "--env-file",
  "--network",
  "--net",
  "-p",
  "--publish",
  "--name",
  "-w",
  "--workdir",
  "-u",
  "--user",
  "--entrypoint",
  "--pull",
  "--platform",
  "-l",
  "--label",
  "--add-host",
  "--cap-add",
  "--cap-drop",
  "--device",
  "--security-opt",
  "--ipc",
  "--pid",
  "--uts",
  "--userns",
  "--cgroupns",
  "-h",
  "--hostname",
  "-m",
  "--memory",
  "--cpus",
  "--restart",
  "--log-driver",
  "--log-opt",
  "--tmpfs",
  "--ulimit",
  "--dns",
  "--gpus",
  "--runtime",
  "--cidfile",
  "--group-add",
  "--stop-signal",
  "--stop-timeout",
  "--shm-size",
  "--volumes-from",
  "--label-file",
  "--mac-address",
  "--ip",
  "--ip6",
  "--network-alias",
  "--health-cmd",
  "--health-interval",
  "--device-cgroup-rule",
  "--annotation",
  "--attach",
  "-a",
  "--cpuset-cpus",
  "--memory-swap",
  "--pids-limit",
  "--sysctl",
  "--storage-opt",
  "--expose",
  "--link",
  "--detach-keys",
]);

/** docker/podman run one-letter flags that take a value. */
const SHORT_VALUE_FLAGS = new Set(["v", "e", "p", "w", "u", "l", "m", "h", "a", "c"]);

/**
 * MCP servers whose tools run shell commands or code on the host (their own documentation says so):
 * a model that can call them runs anything. Kept small and exact: a package name, without version.
 */
export const EXEC_SERVERS: readonly string[] = [
  "mcp-shell-server", // PyPI, tumf/mcp-shell-server: execute_command
  "mcp-server-shell", // PyPI: run shell commands
  "cli-mcp-server", // PyPI, MladenSU/cli-mcp-server: run_command
  "mcp-server-commands", // npm, g0t4/mcp-server-commands: run_command, run_script
  "@wonderwhy-er/desktop-commander", // npm: start_process, execute terminal commands
  "super-shell-mcp", // npm: execute_command
  "@mako10k/mcp-shell-server", // npm: shell_execute
  "mcp-server-code-runner", // npm, formulahendry/mcp-server-code-runner: run-code
  "iterm-mcp", // npm: write_to_terminal
];

/** MCP servers that read and write the folders given as their arguments. */
export const FILESYSTEM_SERVERS: readonly string[] = [
  "@modelcontextprotocol/server-filesystem",
  "mcp-server-filesystem",
];

/** Launchers that bridge a stdio client to a remote server named by a URL argument. */
const REMOTE_BRIDGES = new Set(["mcp-remote", "supergateway"]);

/** Credential folders and files under the home (home-relative); a server given one reads credentials. */
export const CREDENTIAL_FOLDERS: readonly string[] = [
  ".ssh",
  ".aws",
  ".config/gcloud",
  ".kube",
  ".docker",
  ".gnupg",
  ".azure",
  ".config/gh",
  ".password-store",
  ".netrc",
  ".npmrc",
  ".pypirc",
  ".git-credentials",
  ".codex",
  ".claude",
  ".gemini",
];

/**
 * Inventory rules whose secret is broad by its kind alone: the same judgements the credential-scope
 * checks (rules/scope) make from the rule id, without the secret's value.
 */
export const BROAD_TOKENS: Readonly<Record<string, string>> = {
  "github-pat-classic":
    "a GitHub classic personal access token (its scopes reach every repository of its user)",
  "github-oauth-token": "a GitHub OAuth token (its user's login scopes over every repository)",
  "aws-access-key-id": "a long-lived AWS IAM user access key",
  "anthropic-admin-key": "an Anthropic Admin API key (manages the whole organization)",
  "google-service-account-key": "a Google service-account key (long-lived, the account's every role)",
  "cloudflare-scannable-global-api-key": "a Cloudflare Global API key (the whole account)",
  "slack-user-token": "a Slack user token (acts as the user everywhere they can)",
};

/** Registry hosts a runner fetches from when the server starts. */
const NPM_HOSTS = ["registry.npmjs.org"];
const PYPI_HOSTS = ["pypi.org", "files.pythonhosted.org"];
const DOCKER_HUB_HOSTS = ["registry-1.docker.io", "auth.docker.io", "production.cloudflare.docker.com"];

/** Per-run context for the per-server checks. */
export interface ServerContext {
  ctx: Pick<InspectContext, "home" | "root" | "systemRoot" | "credentialPaths">;
  judge: CommandJudge;
  secrets: readonly InventorySecret[];
  /**
   * Servers whose every tool runs without asking, by a setting outside the server's entry (Claude
   * Code `permissions.allow` "mcp__<server>"): client → server name → where (file and key).
   */
  approvals?: ReadonlyMap<string, ReadonlyMap<string, { file: string; key: string }>>;
}

/** What a launcher runs, read from argv: the runner, the package and its pinning, docker's flags. */
export interface Launch {
  /** The program's base name (`/usr/bin/npx` → npx). */
  program: string;
  kind: "npm" | "pypi" | "pip" | "container" | "other";
  /** The package (npm, PyPI) or the image (containers), as written. */
  spec?: string;
  /** The package name without its version. */
  pkg?: string;
  /** pinned: an exact version or digest; tagged: an image tag other than latest; local: a path. */
  pin?: "pinned" | "unpinned" | "tagged" | "local";
  /** The arguments the server itself is given (after the package or the image). */
  serverArgs: string[];
  /** Containers: the run flags, as [flag, value]. */
  flags: [string, string | undefined][];
  /**
   * The first unpinned package among the others the runner fetches beside `spec` (a second `npx -p`,
   * `uvx --with`), which makes `pin` unpinned while `spec`/`pkg` still name the server's package.
   */
  unpinned?: string;
}

/** The program of a command: its base name. */
function programOf(command: string): string {
  const base = command.slice(command.lastIndexOf("/") + 1);
  return base.replace(/\.(exe|cmd|bat)$/i, "").toLowerCase();
}

/** Reads the launcher's argv. `cmd /c <argv>` (a Windows config copied over) is seen through. */
export function readLaunch(command: string, args: readonly string[]): Launch {
  return readArgv(command, args, 0);
}

function readArgv(command: string, args: readonly string[], depth: number): Launch {
  let program = programOf(command);
  let rest = [...args];
  if (program === "cmd" && /^\/c$/i.test(rest[0] ?? "") && rest.length > 1) {
    program = programOf(rest[1]!);
    rest = rest.slice(2);
  }
  // `env [-i] [-u NAME] [NAME=value ...] program args`: the program is what starts.
  if (program === "env" && depth < 4) {
    const at = envProgram(rest);
    if (at !== undefined) return readArgv(rest[at]!, rest.slice(at + 1), depth + 1);
  }
  const sub = NPM_SUBRUNNERS[program];
  const subAt = sub ? subcommandAt(rest, sub) : -1;
  if (NPM_RUNNERS.has(program) || subAt >= 0)
    return npmLaunch(program, subAt >= 0 ? rest.slice(subAt + 1) : rest);
  if (PY_RUNNERS.has(program)) return pyLaunch(program, rest);
  if (program === "uv") {
    const at = subcommandAt(rest, ["tool", "run", "pip"]);
    if (rest[at] === "tool" && rest[at + 1] === "run") return pyLaunch(program, rest.slice(at + 2));
    if (rest[at] === "run") {
      const withRun = uvRun(program, rest.slice(at + 1));
      if (withRun) return withRun;
    }
  }
  if (program === "pipx") {
    const at = subcommandAt(rest, ["run"]);
    if (at >= 0) return pyLaunch(program, rest.slice(at + 1));
  }
  if (CONTAINER_ENGINES.has(program)) {
    const at = subcommandAt(rest, ["run", "container"]);
    if (rest[at] === "run") return containerLaunch(program, rest.slice(at + 1));
    if (rest[at] === "container" && rest[at + 1] === "run")
      return containerLaunch(program, rest.slice(at + 2));
  }
  const pip = pipInstall(program, rest);
  if (pip) return pip;
  return { program, kind: "other", serverArgs: rest, flags: [] };
}

/**
 * Where a subcommand stands after the tool's global options (`npm --yes exec`, `docker --context x
 * run`, `podman --remote run`), or -1. A word right after an option without `=` is read as that
 * option's value, so an unknown option that takes one does not hide the subcommand.
 */
function subcommandAt(args: readonly string[], subs: readonly string[]): number {
  for (let i = 0; i < args.length && i < 32; i++) {
    const a = args[i]!;
    if (a === "--") return -1;
    if (subs.includes(a)) return i;
    if (a.startsWith("-")) continue;
    const prev = args[i - 1];
    if (prev?.startsWith("-") && !prev.includes("=")) continue;
    return -1;
  }
  return -1;
}

/** The index of the program `env` starts, past its options and NAME=value assignments. */
function envProgram(args: readonly string[]): number | undefined {
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === "--") return i + 1 < args.length ? i + 1 : undefined;
    if (a === "-u" || a === "--unset" || a === "-C" || a === "--chdir") {
      i++;
      continue;
    }
    if (a.startsWith("-")) continue;
    if (/^[A-Za-z_][A-Za-z0-9_]*=/.test(a)) continue;
    return i;
  }
  return undefined;
}
/**
 * Walks a package runner's leading options: those in `valueFlags` take a value (after `=` or as the
 * next argument), handed to `onValue`. Returns the index of the first operand (past a `--`).
 */
function leadingOptions(
  args: readonly string[],
  valueFlags: ReadonlySet<string>,
  onValue: (name: string, value: string) => void,
): number {
  let i = 0;
  for (; i < args.length; i++) {
    const a = args[i]!;
    if (a === "--") return i + 1;
    if (!a.startsWith("-")) break;
    const eq = a.indexOf("=");
    const name = eq > 0 ? a.slice(0, eq) : a;
    if (valueFlags.has(name)) {
      const v = eq > 0 ? a.slice(eq + 1) : args[++i];
      if (v !== undefined) onValue(name, v);
    }
  }
  return i;
}

function npmLaunch(program: string, args: string[]): Launch {
  let pkgFlag: string | undefined;
  const packages: string[] = [];
  const i = leadingOptions(args, NPX_VALUE_FLAGS, (name, v) => {
    if (name === "-p" || name === "--package") {
      pkgFlag ??= v;
      packages.push(v);
    }
  });
  const first = args[i];
  const spec = pkgFlag ?? first;
  const serverArgs = args.slice(i + 1);
  if (spec === undefined) return { program, kind: "npm", serverArgs: [], flags: [] };
  const { pkg, pin } = npmPin(spec);
  return withOthers({ program, kind: "npm", spec, pkg, pin, serverArgs, flags: [] }, packages, npmPin);
}

/** Marks a launch unpinned when another package it fetches (a second -p, a --with) is. */
function withOthers(
  launch: Launch,
  others: readonly string[],
  pinOf: (spec: string) => { pin: Launch["pin"] },
): Launch {
  if (launch.pin === "unpinned") return launch;
  const bad = others.find((o) => o !== launch.spec && pinOf(o).pin === "unpinned");
  return bad === undefined ? launch : { ...launch, pin: "unpinned", unpinned: bad };
}

/** `name@1.2.3` pinned; `name`, `name@latest`, `name@^1`, a tag: unpinned; a path or file: local. */
export function npmPin(spec: string): { pkg: string; pin: Launch["pin"] } {
  if (/^(\.{0,2}\/|~\/|file:)/.test(spec) || /\.tgz$/.test(spec)) return { pkg: spec, pin: "local" };
  // git / URL specs: pinned only with a full commit hash.
  if (/^(git\+|git:|github:|https?:)/.test(spec))
    return { pkg: spec, pin: /#[0-9a-f]{40}$/i.test(spec) ? "pinned" : "unpinned" };
  const at = spec.indexOf("@", spec.startsWith("@") ? 1 : 0);
  if (at < 0) return { pkg: spec, pin: "unpinned" };
  const pkg = spec.slice(0, at);
  const version = spec.slice(at + 1);
  return { pkg, pin: /^v?\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.-]+)?$/.test(version) ? "pinned" : "unpinned" };
}

function pyLaunch(program: string, args: string[]): Launch {
  let from: string | undefined;
  const withs: string[] = [];
  const i = leadingOptions(args, PY_VALUE_FLAGS, (name, v) => {
    if (name === "--from" || name === "--spec") from ??= v;
    if (name === "--with") withs.push(...withList(v));
  });
  const first = args[i];
  const spec = from ?? first;
  const serverArgs = args.slice(i + 1);
  if (spec === undefined) return { program, kind: "pypi", serverArgs: [], flags: [] };
  const { pkg, pin } = pyPin(spec);
  return withOthers({ program, kind: "pypi", spec, pkg, pin, serverArgs, flags: [] }, withs, pyPin);
}

/** `--with a,b` (uv splits on commas) as its packages. */
function withList(v: string): string[] {
  return v
    .split(",")
    .map((x) => x.trim())
    .filter((x) => x !== "")
    .slice(0, 64);
}

/**
 * `uv run --with pkg cmd`: uv installs the --with packages at start (then runs cmd); without one,
 * `uv run` runs a local script or project: undefined.
 */
function uvRun(program: string, args: string[]): Launch | undefined {
  const withs: string[] = [];
  let i = 0;
  for (; i < args.length; i++) {
    const a = args[i]!;
    if (a === "--") {
      i++;
      break;
    }
    if (!a.startsWith("-")) break;
    const eq = a.indexOf("=");
    const name = eq > 0 ? a.slice(0, eq) : a;
    if (PY_VALUE_FLAGS.has(name)) {
      const v = eq > 0 ? a.slice(eq + 1) : args[++i];
      if (name === "--with" && v !== undefined) withs.push(...withList(v));
    }
  }
  if (!withs.length) return undefined;
  const spec = withs.find((w) => pyPin(w).pin === "unpinned") ?? withs[0]!;
  const { pkg, pin } = pyPin(spec);
  return { program, kind: "pypi", spec, pkg, pin, serverArgs: args.slice(i + 1), flags: [] };
}

/** `name==1.2` or `name@1.2` (uv) pinned; bare, ranges, `@latest`: unpinned; a path: local. */
export function pyPin(spec: string): { pkg: string; pin: Launch["pin"] } {
  if (/^(\.{0,2}\/|~\/|file:)/.test(spec) || /\.(whl|tar\.gz|zip)$/.test(spec))
    return { pkg: spec, pin: "local" };
  if (/^(git\+|https?:)/.test(spec))
    return { pkg: spec, pin: /@[0-9a-f]{40}$/i.test(spec) ? "pinned" : "unpinned" };
  const m = /^([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?(.*)$/.exec(spec);
  if (!m) return { pkg: spec, pin: "unpinned" };
  const pkg = m[1]!;
  const rest = m[3]!.trim();
  if (/^===?\s*[0-9][0-9A-Za-z.+!-]*$/.test(rest)) return { pkg, pin: "pinned" };
  if (/^@\s*[0-9][0-9A-Za-z.+!-]*$/.test(rest)) return { pkg, pin: "pinned" };
  return { pkg, pin: "unpinned" };
}

/** `pip install ...`, `python -m pip install ...`, `uv pip install ...`: a package installed at start. */
function pipInstall(program: string, args: string[]): Launch | undefined {
  let rest = args;
  if (/^python[0-9.]*$/.test(program) && rest[0] === "-m" && /^pip[0-9.]*$/.test(rest[1] ?? ""))
    rest = rest.slice(2);
  else if (program === "uv" && rest[0] === "pip") rest = rest.slice(1);
  else if (!/^pip[0-9.]*$/.test(program)) return undefined;
  if (rest[0] !== "install") return undefined;
  const pkgs = rest.slice(1).filter((a) => !a.startsWith("-"));
  const unpinned = pkgs.find((p) => pyPin(p).pin === "unpinned");
  const spec = unpinned ?? pkgs[0];
  return {
    program,
    kind: "pip",
    ...(spec !== undefined ? { spec, pkg: pyPin(spec).pkg, pin: unpinned ? "unpinned" : "pinned" } : {}),
    serverArgs: [],
    flags: [],
  };
}

function containerLaunch(program: string, args: string[]): Launch {
  const flags: [string, string | undefined][] = [];
  let i = 0;
  for (; i < args.length; i++) {
    const a = args[i]!;
    if (a === "--") {
      i++;
      break;
    }
    if (!a.startsWith("-") || a === "-") break;
    const eq = a.indexOf("=");
    if (eq > 0) {
      flags.push([a.slice(0, eq), a.slice(eq + 1)]);
      continue;
    }
    if (DOCKER_VALUE_FLAGS.has(a)) {
      flags.push([a, args[++i]]);
      continue;
    }
    // Short flags combined (`-it`), glued to their value (`-v/:/host`), or both (`-itv /:/h`): each
    // letter a flag; the first one that takes a value takes the rest of the word, or the next one.
    if (!a.startsWith("--") && a.length > 2) {
      for (let k = 1; k < a.length; k++) {
        const letter = a[k]!;
        if (SHORT_VALUE_FLAGS.has(letter)) {
          flags.push([`-${letter}`, k + 1 < a.length ? a.slice(k + 1) : args[++i]]);
          break;
        }
        flags.push([`-${letter}`, undefined]);
      }
      continue;
    }
    flags.push([a, undefined]);
  }
  const image = args[i];
  const serverArgs = args.slice(i + 1);
  if (image === undefined) return { program, kind: "container", serverArgs: [], flags };
  return {
    program,
    kind: "container",
    spec: image,
    pkg: imageName(image),
    pin: imagePin(image),
    serverArgs,
    flags,
  };
}

function imageName(image: string): string {
  const at = image.indexOf("@");
  const noDigest = at >= 0 ? image.slice(0, at) : image;
  const slash = noDigest.lastIndexOf("/");
  const colon = noDigest.lastIndexOf(":");
  return colon > slash ? noDigest.slice(0, colon) : noDigest;
}

/** `@sha256:` pinned; a tag other than latest: tagged; no tag or latest: unpinned. */
export function imagePin(image: string): Launch["pin"] {
  if (/@sha256:[0-9a-f]{64}$/i.test(image)) return "pinned";
  const slash = image.lastIndexOf("/");
  const colon = image.lastIndexOf(":");
  if (colon <= slash) return "unpinned";
  return image.slice(colon + 1) === "latest" ? "unpinned" : "tagged";
}

/** The registry host of an image (Docker Hub's hosts when none is named). */
function imageHosts(image: string): string[] {
  const first = image.split("/")[0]!;
  if (image.includes("/") && (first.includes(".") || first.includes(":") || first === "localhost"))
    return [first.replace(/:\d+$/, "")];
  return DOCKER_HUB_HOSTS;
}

/** The command line the server is started with, as a shell reads it (for the gate's judge). */
export function launcherText(server: Pick<McpServer, "command" | "args">): string {
  return [server.command ?? "", ...server.args].map(shellQuote).join(" ");
}

/** How long a shown text may be. */
const SHOWN_MAX = 160;

/**
 * A text from the config, for titles and views: secrets the content rules know masked, URL userinfo
 * removed, generated-looking runs masked, control characters escaped, cut at SHOWN_MAX.
 */
export function shown(text: string, max = SHOWN_MAX): string {
  const cut = text.length > 4096 ? text.slice(0, 4096) : text;
  const out = escapeControls(maskRuns(redactText(cut)));
  return out.length > max ? `${out.slice(0, max)}…` : out;
}

/**
 * Runs of token characters that look generated, masked. Unlike the redactor's maskRandomRuns, a run
 * stops at `/`, `=`, `.`, `:` and `@`, so a key in a URL path (`/mcp/<key>/sse`) is judged alone and a
 * pinned spec (`pkg==1.2.3`) is not one run.
 */
function maskRuns(text: string): string {
  return text.replace(/[A-Za-z0-9+_-]{16,}/g, (run) => (looksRandom(run, 16) ? preview(run) : run));
}

/** A server or key name for a title: quoted. */
export function shownName(name: string): string {
  return JSON.stringify(shown(name, 64));
}

/** Words that make a flag's next argument (or `=value`) a credential: masked whole in a shown launcher. */
const SECRET_WORD =
  /token|secret|password|passwd|api[_-]?key|apikey|auth|credential|private[_-]?key|access[_-]?key/i;

/**
 * A flag naming a credential (`--api-key`, `--github-token`). Tested in two linear steps on a
 * bounded name: one pattern with `*` on both sides of the words backtracked quadratically over a
 * 16 KiB argument (seconds per config).
 */
const SECRET_FLAG = {
  test: (name: string): boolean =>
    name.length <= 128 && /^--?[A-Za-z0-9_-]+$/.test(name) && SECRET_WORD.test(name),
};

/** The launcher for a view: each argument shown(), the value of a credential flag masked whole. */
export function shownLauncher(server: Pick<McpServer, "command" | "args">): string {
  const parts: string[] = [];
  const argv = [server.command ?? "", ...server.args];
  for (let i = 0; i < argv.length && parts.join(" ").length < 2048; i++) {
    const a = argv[i]!;
    const eq = a.indexOf("=");
    if (eq > 0 && SECRET_FLAG.test(a.slice(0, eq))) {
      parts.push(`${shellQuote(a.slice(0, eq))}=…`);
      continue;
    }
    parts.push(shellQuote(shown(a, 256)));
    if (SECRET_FLAG.test(a) && i + 1 < argv.length && !argv[i + 1]!.startsWith("-")) {
      parts.push("…");
      i++;
    }
  }
  return parts.join(" ");
}

/** A URL for a view: no userinfo, query values and fragment replaced by `…`, path runs masked. */
export function shownUrl(url: string): string {
  const u = parseUrl(url);
  if (!u) return shown(url.replace(/[?#].*$/s, ""), 256);
  const query = u.query
    ? `?${u.query
        .split("&")
        .map((p) => `${p.split("=")[0]}=…`)
        .join("&")}`
    : "";
  return shown(`${u.scheme}://${u.host}${u.port ? `:${u.port}` : ""}${u.path}${query}`, 256);
}

interface Url {
  scheme: string;
  userinfo: string;
  host: string;
  port: string;
  path: string;
  query: string;
}

/** A URL's parts, linearly, without WHATWG normalisation (which would hide what is written). */
export function parseUrl(url: string): Url | undefined {
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/?#]*)([^?#]*)(?:\?([^#]*))?/.exec(url.trim());
  if (!m) return undefined;
  const authority = m[2]!;
  const at = authority.lastIndexOf("@");
  const userinfo = at >= 0 ? authority.slice(0, at) : "";
  const hostport = at >= 0 ? authority.slice(at + 1) : authority;
  const hp = /^(\[[^\]]*\]|[^:]*)(?::(.*))?$/.exec(hostport)!;
  return {
    scheme: m[1]!.toLowerCase(),
    userinfo,
    host: hp[1]!.toLowerCase(),
    port: hp[2] ?? "",
    path: m[3]!,
    query: m[4] ?? "",
  };
}

function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, "");
  return h === "localhost" || h.endsWith(".localhost") || /^127\.\d+\.\d+\.\d+$/.test(h) || h === "::1";
}

/** The URLs a server talks to: its own (http, sse), or a bridge's URL argument (mcp-remote). */
function urlsOf(server: McpServer, launch: Launch | undefined): { url: string; key: string }[] {
  if (server.url !== undefined) return [{ url: server.url, key: "url" }];
  if (launch?.pkg && REMOTE_BRIDGES.has(launch.pkg))
    return launch.serverArgs.filter((a) => /^https?:\/\//i.test(a)).map((url) => ({ url, key: "args" }));
  return [];
}

/** The hosts a server needs: its URL's host; the registry a launcher fetches from at start. */
export function serverHosts(server: McpServer): string[] {
  const hosts = new Set<string>();
  const launch =
    server.transport === "stdio" && server.command ? readLaunch(server.command, server.args) : undefined;
  for (const { url } of urlsOf(server, launch)) {
    const u = parseUrl(url);
    if (u?.host && !/[$%{}]/.test(u.host)) hosts.add(u.host.replace(/^\[|\]$/g, ""));
  }
  if (launch?.pin !== "local") {
    if (launch?.kind === "npm") for (const h of NPM_HOSTS) hosts.add(h);
    if (launch?.kind === "pypi" || launch?.kind === "pip") for (const h of PYPI_HOSTS) hosts.add(h);
    if (launch?.kind === "container" && launch.spec && !pullNever(launch))
      for (const h of imageHosts(launch.spec)) hosts.add(h);
  }
  return [...hosts].filter((h) => !isLoopback(h)).sort();
}

function pullNever(launch: Launch): boolean {
  return launch.flags.some(([f, v]) => f === "--pull" && v === "never");
}

/** The active definition: neither disabled nor overridden by another scope. */
export function isActive(server: Pick<McpServer, "disabled" | "overriddenBy">): boolean {
  return !server.disabled && server.overriddenBy === undefined;
}

/** Every per-server problem of one server. */
export function serverProblems(server: McpServer, sc: ServerContext): McpProblem[] {
  const out: McpProblem[] = [];
  const base = {
    file: server.file.abs,
    subject: server.name,
    ...(server.line !== undefined ? { line: server.line } : {}),
  };
  const name = shownName(server.name);
  const push = (p: Omit<McpProblem, "file" | "subject"> & { line?: number }) =>
    out.push({
      ...base,
      ...p,
      fixParams: { file: server.file.abs, server: shown(server.name, 128), ...(p.fixParams ?? {}) },
    });
  const launch =
    server.transport === "stdio" && server.command !== undefined
      ? readLaunch(server.command, server.args)
      : undefined;

  if (launch) launcherProblems(server, launch, sc, name, push);
  reachProblems(server, launch, sc, name, push);
  transportProblems(server, launch, name, push);
  secretProblems(server, sc, name, push);
  return out;
}

type Push = (p: Omit<McpProblem, "file" | "subject"> & { line?: number }) => void;

function launcherProblems(
  server: McpServer,
  launch: Launch,
  sc: ServerContext,
  name: string,
  push: Push,
): void {
  const fetched = launch.unpinned ?? launch.spec ?? "";
  const what =
    launch.kind === "npm" || launch.kind === "pypi"
      ? `${launch.program} ${shown(fetched, 96)}`
      : launch.kind === "pip"
        ? `pip install ${shown(fetched, 96)}`
        : "";
  // Unpinned packages.
  if (
    (launch.kind === "npm" || launch.kind === "pypi" || launch.kind === "pip") &&
    launch.pin === "unpinned" &&
    launch.spec
  ) {
    const latest = /@latest$/i.test(fetched);
    push({
      check: "mcp-launcher-unpinned",
      title: `MCP server ${name} fetches ${latest ? "the latest release of a package" : "an unpinned package"} at every start (${what})`,
      detail: fetched,
      fixParams: {
        runner: launch.program,
        package: shown(launch.unpinned ?? launch.pkg ?? launch.spec, 128),
      },
    });
  }
  // Containers.
  if (launch.kind === "container") containerProblems(launch, sc, name, push);

  // The gate's verdict on the whole command line. What the structural checks above already report
  // (a package runner installing its package, a container's privileges) is not reported twice.
  const cwd = server.cwd && isAbsolute(server.cwd) ? server.cwd : sc.ctx.root;
  let verdict: ReturnType<CommandJudge>;
  try {
    verdict = sc.judge(launcherText(server), cwd);
  } catch {
    verdict = { decision: "ask", rules: [], reason: "the gate could not judge it", categories: [] };
  }
  if (verdict.decision === "allow") return;
  const expected = new Set<string>();
  if (launch.kind === "npm" || launch.kind === "pypi" || launch.kind === "pip")
    expected.add("package-install");
  if (launch.kind === "container") expected.add("privilege");
  const unexpected = verdict.categories.filter((c) => !expected.has(c));
  if (verdict.categories.length && !unexpected.length) return;
  const rules = verdict.rules.slice(0, 8);
  push({
    check: "mcp-launcher-gate",
    title: `MCP server ${name} launcher is one the approval gate would ${verdict.decision === "deny" ? "deny" : "stop to ask about"} (${(unexpected.length ? unexpected : rules).join(", ") || "unjudgeable"}): ${shown(verdict.reason, 120)}`,
    detail: rules.join(","),
    fixParams: { decision: verdict.decision, rules, categories: [...verdict.categories] },
  });
}

function containerProblems(launch: Launch, sc: ServerContext, name: string, push: Push): void {
  const privileged: string[] = [];
  const mounts: string[] = [];
  let hostNetwork = false;
  for (const [flag, value] of launch.flags) {
    const v = value ?? "";
    if (flag === "--privileged" && value !== "false") privileged.push("--privileged");
    else if (flag === "--cap-add" && /^(ALL|SYS_ADMIN|SYS_PTRACE|SYS_MODULE|DAC_READ_SEARCH)$/i.test(v))
      privileged.push(`--cap-add ${v.toUpperCase()}`);
    else if (
      (flag === "--pid" || flag === "--ipc" || flag === "--userns" || flag === "--uts") &&
      v === "host"
    )
      privileged.push(`${flag} host`);
    else if (flag === "--security-opt" && /(seccomp|apparmor|label)[=:]unconfined|label[=:]disable/i.test(v))
      privileged.push(`--security-opt ${shown(v, 40)}`);
    else if ((flag === "--network" || flag === "--net") && v === "host") hostNetwork = true;
    else if (flag === "-v" || flag === "--volume") {
      const src = v.split(":")[0] ?? "";
      const why = broadHostPath(src, sc, true);
      if (why) mounts.push(`${shown(src, 64)} (${why})`);
    } else if (flag === "--mount") {
      const src = /(?:^|,)(?:source|src)=([^,]*)/.exec(v)?.[1];
      if (src !== undefined && /(?:^|,)type=bind(?:,|$)/.test(v)) {
        const why = broadHostPath(src, sc, true);
        if (why) mounts.push(`${shown(src, 64)} (${why})`);
      }
    }
  }
  if (privileged.length)
    push({
      check: "mcp-docker-privileged",
      title: `MCP server ${name} runs its container with host privileges (${privileged.join(", ")})`,
      detail: privileged.join(","),
      fixParams: { flags: privileged },
    });
  if (mounts.length)
    push({
      check: "mcp-docker-host-mount",
      title: `MCP server ${name} mounts ${mounts.join(", ")} into its container`,
      detail: mounts.join(","),
      fixParams: { mounts },
    });
  if (hostNetwork)
    push({
      check: "mcp-docker-host-network",
      title: `MCP server ${name} runs its container on the host's network (--network host)`,
    });
  if (launch.spec && launch.pin === "unpinned" && !/[$]/.test(launch.spec))
    push({
      check: "mcp-docker-image-unpinned",
      title: `MCP server ${name} runs image ${shown(launch.spec, 96)} ${/:latest$/.test(launch.spec) ? "by the latest tag" : "without a tag or digest"}: whatever it points to at the next pull`,
      detail: launch.spec,
      fixParams: { image: shown(launch.pkg ?? launch.spec, 128) },
    });
}

/**
 * Why a host path is too broad to hand to a server: the root, the home (or a folder holding it),
 * a credential folder, a folder holding a credential the inventory found, or the container
 * engine's socket. undefined when it is narrow, relative, or unknown (a reference to anything
 * other than the home).
 */
export function broadHostPath(
  raw: string,
  sc: Pick<ServerContext, "ctx">,
  container = false,
): string | undefined {
  const p = hostPath(raw, sc.ctx);
  if (p === undefined) return undefined;
  if (p === "/") return "the whole filesystem";
  if (
    container &&
    /^\/(var\/)?run\/(docker|podman|containerd)(\/[^/]*)?\.sock$|^\/(var\/)?run\/docker\.sock$/.test(p)
  )
    return "the container engine's socket: control of the host";
  const home = posix.normalize(sc.ctx.home);
  if (p === home) return "the home directory";
  if (home.startsWith(`${p}/`)) return "a folder holding the home directory";
  if (p.startsWith(`${home}/`)) {
    const rel = p.slice(home.length + 1);
    for (const c of CREDENTIAL_FOLDERS)
      if (rel === c || rel.startsWith(`${c}/`)) return `credentials (~/${c})`;
    for (const c of sc.ctx.credentialPaths)
      if (c.startsWith(`${rel}/`)) return `a folder holding credentials (~/${shown(c, 64)})`;
  }
  if (/^\/(etc|root|proc|sys|dev|boot|var\/run|run)$/.test(p) || /^\/(home|Users)$/.test(p))
    return `a system folder (${p})`;
  return undefined;
}

/** A path argument as the host sees it: `~`, `$HOME`, `${HOME}`, `${userHome}` expanded; else undefined. */
function hostPath(raw: string, ctx: Pick<InspectContext, "home" | "root">): string | undefined {
  let p = raw.trim();
  if (p === "") return undefined;
  const home = ctx.home;
  p = p.replace(/^(~|\$HOME|\$\{HOME\}|\$\{userHome\}|\$\{env:HOME\})(?=\/|$)/, home);
  if (/[$%]/.test(p)) return undefined;
  if (!p.startsWith("/")) return undefined;
  const n = posix.normalize(p);
  return n.length > 1 ? n.replace(/\/+$/, "") : n;
}

function reachProblems(
  server: McpServer,
  launch: Launch | undefined,
  sc: ServerContext,
  name: string,
  push: Push,
): void {
  // Filesystem servers: every path argument is a root they may read and write.
  const pkg = launch?.pkg;
  const broad: string[] = [];
  if (launch && pkg && FILESYSTEM_SERVERS.includes(pkg)) {
    for (const a of launch.serverArgs) {
      if (a.startsWith("-")) continue;
      const why = broadHostPath(a, sc);
      if (why) broad.push(`${shown(a, 64)} (${why})`);
    }
  } else if (launch) {
    // Any other server given a credential folder by path.
    for (const a of launch.kind === "container" ? [] : server.args) {
      const value = a.includes("=") && a.startsWith("-") ? a.slice(a.indexOf("=") + 1) : a;
      const why = broadHostPath(value, sc);
      if (why?.startsWith("credentials")) broad.push(`${shown(value, 64)} (${why})`);
    }
  }
  if (broad.length)
    push({
      check: "mcp-filesystem-broad",
      title: `MCP server ${name} is given ${broad.join(", ")}`,
      detail: broad.join(","),
      fixParams: { paths: broad },
    });

  // Servers that run commands, with every tool call approved in advance.
  const exec = launch && pkg !== undefined && EXEC_SERVERS.includes(pkg);
  // Claude Code names an MCP tool mcp__<server>__<tool>, the server's name with every character
  // other than letters, digits, `_` and `-` replaced by `_`.
  const approval = sc.approvals
    ?.get(server.client)
    ?.get(server.client === "claude-code" ? server.name.replace(/[^A-Za-z0-9_-]/g, "_") : server.name);
  const trusted =
    server.trust === true
      ? `trust: true in its ${server.client} entry`
      : approval
        ? `${shown(approval.key, 80)} in ${approval.file}`
        : undefined;
  if (trusted)
    push({
      check: exec ? "mcp-exec-server-unapproved" : "mcp-server-auto-approved",
      title: exec
        ? `MCP server ${name} runs shell commands (${shown(pkg ?? "", 64)}) and every call is approved in advance (${trusted})`
        : `Every tool of MCP server ${name} runs without asking (${trusted})`,
      fixParams: { approval: trusted },
    });
}

function transportProblems(server: McpServer, launch: Launch | undefined, name: string, push: Push): void {
  for (const { url } of urlsOf(server, launch)) {
    const u = parseUrl(url);
    if (!u) continue;
    if (u.scheme === "http" && !isLoopback(u.host) && !/[$%{}]/.test(u.host))
      push({
        check: "mcp-remote-plain-http",
        title: `MCP server ${name} talks to ${shown(u.host, 80)} over plain http:// (its requests, tokens included, cross the network unencrypted)`,
        detail: u.host,
        fixParams: { host: shown(u.host, 128) },
      });
    const where = urlToken(u);
    if (where)
      push({
        check: "mcp-url-token",
        title: `MCP server ${name} URL carries a credential in its ${where} (${shownUrl(url)}): URLs end up in logs and proxies`,
        detail: where,
      });
  }
}

/** Query parameter names that carry a credential. */
const TOKEN_PARAM =
  /^(?:.*[_-])?(?:token|key|apikey|api_key|secret|password|passwd|pwd|auth|authorization|sig|signature|access[_-]?token|code|session|jwt|bearer)$/i;

/** Where a URL holds a credential: userinfo, query, path; undefined when it holds none. */
function urlToken(u: Url): string | undefined {
  if (u.userinfo) {
    const colon = u.userinfo.indexOf(":");
    const pass = colon >= 0 ? u.userinfo.slice(colon + 1) : u.userinfo;
    if (pass.length >= 4 && !/^(password|pass|secret|x+|\*+)$/i.test(pass)) return "user info";
  }
  for (const pair of u.query.split("&")) {
    const eq = pair.indexOf("=");
    if (eq <= 0) continue;
    const k = decode(pair.slice(0, eq));
    const v = decode(pair.slice(eq + 1));
    // A reference (`${env:TOKEN}`, `$TOKEN`) is expanded by the client: no credential is written here.
    if (TOKEN_PARAM.test(k) && v.length >= 8 && !v.includes("$") && !/^(x+|\*+|<[^>]*>|your[_-].*)$/i.test(v))
      return `query (${shown(k, 32)}=)`;
  }
  for (const seg of u.path.split("/")) {
    const s = decode(seg);
    if (s.length >= 20 && !s.includes("$") && (looksRandom(s, 20) || redactText(s) !== s)) return "path";
  }
  if (redactText(`${u.path}?${u.query}`) !== `${u.path}?${u.query}`) return "path or query";
  return undefined;
}

function decode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

function secretProblems(server: McpServer, sc: ServerContext, name: string, push: Push): void {
  const linked = linkSecrets(server, sc);
  if (!linked.length) return;
  const fps = linked.map((l) => l.secret.fingerprint);
  const where = [...new Set(linked.map((l) => l.via))].slice(0, 6).join(", ");
  push({
    check: "mcp-server-receives-secret",
    title: `MCP server ${name} receives ${linked.length === 1 ? "a secret" : `${linked.length} secrets`} the inventory found (${where})`,
    secrets: fps,
    fixParams: { secrets: fps },
  });
  const broad = linked.filter((l) => BROAD_TOKENS[l.secret.ruleId] !== undefined);
  if (broad.length) {
    const kinds = [...new Set(broad.map((l) => BROAD_TOKENS[l.secret.ruleId]!))];
    const bfps = broad.map((l) => l.secret.fingerprint);
    push({
      check: "mcp-server-broad-token",
      title: `MCP server ${name} is given ${kinds.join("; ")}`,
      secrets: bfps,
      fixParams: { secrets: bfps, rules: [...new Set(broad.map((l) => l.secret.ruleId))] },
    });
  }
}

/** An inventory secret a server receives, and through which value (for the title). */
interface Link {
  secret: InventorySecret;
  via: string;
}

/**
 * The inventory secrets a server receives: a literal in its env, headers, URL or arguments (the
 * inventory's finding at the same file and line), and each `${VAR}` it is given (the inventory's
 * env finding of that name).
 */
export function linkSecrets(server: McpServer, sc: ServerContext): Link[] {
  const out = new Map<string, Link>();
  const abs = server.file.abs;
  const lines = new Map<number, string>();
  // On the line of the server's own name (a one-line file, a TOML inline table) other servers'
  // values may sit too: there a value is linked only when it looks like a secret itself.
  const addLine = (line: number | undefined, via: string, raw: string) => {
    if (line === undefined || lines.has(line)) return;
    if (line === server.line && !looksSecret(raw)) return;
    lines.set(line, via);
  };
  const values: [McpValue, string][] = [
    ...server.env.map((v) => [v, "env"] as [McpValue, string]),
    ...server.headers.map((v) => [v, "header"] as [McpValue, string]),
  ];
  for (const [v, kind] of values) if (v.literal) addLine(v.line, `${kind} ${shownName(v.key)}`, v.raw);
  for (const l of valueLines(server)) addLine(l.line, l.via, l.raw);
  const vars = new Map<string, string>();
  for (const [v, kind] of values)
    for (const n of v.vars)
      if (!vars.has(n)) vars.set(n, `${kind} ${shownName(v.key)} from $${shown(n, 64)}`);
  for (const s of sc.secrets) {
    if (out.has(s.fingerprint)) continue;
    if (s.source === "env" || s.source === "process") {
      if (s.name && vars.has(s.name)) out.set(s.fingerprint, { secret: s, via: vars.get(s.name)! });
      continue;
    }
    if (s.path === undefined || s.line === undefined) continue;
    const p =
      s.source === "home"
        ? join(sc.ctx.home, s.path)
        : s.source === "tree"
          ? join(sc.ctx.root, s.path)
          : s.path;
    if (p !== abs) continue;
    const via = lines.get(s.line);
    if (via) out.set(s.fingerprint, { secret: s, via });
  }
  return [...out.values()];
}

/** Lines of the server's URL and arguments (literal secrets there are the inventory's too). */
function valueLines(server: McpServer): { line: number; via: string; raw: string }[] {
  const out: { line: number; via: string; raw: string }[] = [];
  const path = keyPathOf(server);
  if (!path) return out;
  const f = server.file;
  for (const k of ["url", "serverUrl", "httpUrl"]) {
    const l = f.lineOf([...path, k]);
    if (l !== undefined) out.push({ line: l, via: "its URL", raw: server.url ?? "" });
  }
  server.args.forEach((a, i) => {
    const l = f.lineOf([...path, "args", i]);
    if (l !== undefined) out.push({ line: l, via: "an argument", raw: a });
  });
  return out;
}

/** Whether a value holds what the content rules or the randomness test call a secret. */
function looksSecret(raw: string): boolean {
  const cut = raw.length > 4096 ? raw.slice(0, 4096) : raw;
  return redactText(cut) !== cut || maskRuns(cut) !== cut;
}

/** The key path of the server's entry (the discovery's key, split back). */
function keyPathOf(server: McpServer): (string | number)[] | undefined {
  // Keys are joined with "."; names and project paths may hold dots, so the path is rebuilt from
  // the known prefixes and the name.
  const name = server.name;
  if (!server.key.endsWith(`.${name}`)) return undefined;
  const prefix = server.key.slice(0, -name.length - 1);
  for (const top of ["mcpServers", "servers", "mcp_servers"]) if (prefix === top) return [top, name];
  if (prefix.startsWith("projects.") && prefix.endsWith(".mcpServers"))
    return ["projects", prefix.slice("projects.".length, -".mcpServers".length), "mcpServers", name];
  return undefined;
}

/** A server as egressProblems needs it (an McpServerView or an McpServer with its hosts). */
export interface EgressServer {
  client: string;
  name: string;
  file: string;
  hosts: readonly string[];
  disabled: boolean;
  overriddenBy?: string;
  line?: number;
}

/**
 * Step 3 for MCP servers (pure): with open egress (or a proxy that can be bypassed) every active
 * server can reach any host, not only those it needs; with egress enforced, a needed host missing
 * from the proxy's allowlist (or no proxy at all) keeps the server from working. Unknown posture:
 * nothing.
 */
export function egressProblems(
  servers: readonly EgressServer[],
  opts: { posture: EgressPosture; allowlist?: readonly string[] },
): McpProblem[] {
  const out: McpProblem[] = [];
  for (const s of servers) {
    if (s.disabled || s.overriddenBy !== undefined || !s.hosts.length) continue;
    const name = shownName(s.name);
    const hosts = s.hosts.map((h) => shown(h, 128));
    const base = { file: s.file, subject: s.name, ...(s.line !== undefined ? { line: s.line } : {}) };
    if (opts.posture === "open" || opts.posture === "proxy-bypassable") {
      out.push({
        ...base,
        check: "mcp-egress-open",
        title: `MCP server ${name} (${s.client}) needs ${hosts.join(", ")} but can reach any host (egress ${opts.posture === "open" ? "open" : "proxy can be bypassed"})`,
        fixParams: { file: s.file, server: shown(s.name, 128), client: s.client, hosts },
      });
      continue;
    }
    let missing: string[] = [];
    if (opts.posture === "kernel-enforced-no-proxy") missing = hosts;
    else if (opts.posture === "kernel-enforced-with-proxy" && opts.allowlist)
      missing = s.hosts.filter((h) => !allowed(h, opts.allowlist!)).map((h) => shown(h, 128));
    if (missing.length)
      out.push({
        ...base,
        check: "mcp-egress-blocked",
        title: `MCP server ${name} (${s.client}) needs ${missing.join(", ")}, which the egress ${opts.posture === "kernel-enforced-no-proxy" ? "policy refuses (no proxy)" : "proxy's allowlist does not hold"}`,
        detail: missing.join(","),
        fixParams: { file: s.file, server: shown(s.name, 128), client: s.client, hosts: missing },
      });
  }
  return out;
}

/** Whether an allowlist entry admits a host: exact, `.suffix`, or `*.suffix`. */
function allowed(host: string, list: readonly string[]): boolean {
  const h = host.toLowerCase();
  for (const raw of list) {
    const e = raw.toLowerCase().trim();
    if (e === h || e === "*") return true;
    const suffix = e.startsWith("*.") ? e.slice(1) : e.startsWith(".") ? e : undefined;
    if (suffix && (h.endsWith(suffix) || h === suffix.slice(1))) return true;
  }
  return false;
}
