// The gate's engine: normalise, parse, resolve what would run, and judge it against the policy.
// What runs is found the way the shell finds it: paths stripped to the program, leading assignments
// applied, wrappers (sudo, env, timeout, xargs, find -exec, ...) seen through, and carriers (sh -c,
// eval, source, here-documents, interpreter one-liners) parsed in turn. Whatever cannot be known
// before it runs (a verb built from a variable or a substitution, a payload decoded into a shell)
// asks. Work is bounded: a budget on the commands judged, a cap on carrier depth.

import { posix } from "node:path";
import type { Command, Part, Redirect, Script, Word } from "./ast.js";
import {
  hasBlank,
  hasBraceList,
  hasBracketPair,
  hasGlobChar,
  isFlagClusterDashValue,
  isFlagClusterEnding,
  isNormalPath,
  isPipName,
  startsWithScheme,
  startsWithShortFlag,
  stripTrailingSlashes,
} from "./chars.js";
import { type InterpLang, interpreterOf, scanInterpreterCode } from "./interp.js";
import { normalizeCommand } from "./normalize.js";
import { ParseError, parseHeredocBody, parseScript } from "./parse.js";
import { classifyPath, globClasses, type PathClass, type PathRef, usableWorkspace } from "./paths.js";
import {
  buildRuleIndex,
  type CompiledMatch,
  compileMatch,
  type Exec,
  execHas,
  type GatePolicy,
  type GateRule,
  indexFits,
  type Match,
  namesInclude,
  type RuleIndexData,
  type StdinKind,
} from "./policy.js";
import {
  type Decision,
  GATE_CATEGORIES,
  type GateCategory,
  type GateContext,
  strongest,
  type Verdict,
} from "./types.js";

export const GATE_LIMITS = {
  /** Longest command judged; a longer one asks unparsed (agents' heredocs that write files stay well under it). */
  maxChars: 256 * 1024,
  /** Most commands judged, counting every carrier payload, alias, function and loop pass. */
  maxWork: 20_000,
  /** Deepest carrier nesting (`bash -c "eval '...'"`). */
  maxCarrierDepth: 12,
  /** Most wrappers, carriers and substitutions one command is found through (`sudo timeout 5 nice ...`). */
  maxVia: 32,
  /** Most symbolic links one command may make and still be judged (each path is checked against all). */
  maxLinks: 64,
  /** Longest variable value followed; a longer one is unknown. */
  maxValue: 64 * 1024,
  /** Most text parsed in all (the command and every payload carried out of it). */
  maxParsed: 2 * 1024 * 1024,
};

/** The engine's own rules (declared in rules/gate/engine.yaml with their reasons and examples). */
export const ENGINE_RULES = [
  "gate-unparseable",
  "gate-too-large",
  "gate-too-complex",
  "gate-hidden-characters",
  "gate-dynamic-command",
  "gate-dynamic-payload",
  "gate-decode-to-shell",
  "gate-stdin-to-shell",
  "gate-fetch-to-shell",
  "gate-run-written-file",
  "gate-download-exec",
  "gate-fork-bomb",
  "gate-run-scratch-script",
  "gate-opaque-code",
] as const;
export type EngineRule = (typeof ENGINE_RULES)[number];

const SHELLS = new Set([
  "sh",
  "bash",
  "zsh",
  "dash",
  "ksh",
  "mksh",
  "ash",
  "rbash",
  "fish",
  "yash",
  "posh",
  "tcsh",
  "csh",
]);
const FETCHERS = new Set([
  "curl",
  "wget",
  "http",
  "https",
  "xh",
  "xhs",
  "aria2c",
  "fetch",
  "lwp-request",
  "GET",
]);
const NETWORK = new Set([
  ...FETCHERS,
  "nc",
  "ncat",
  "netcat",
  "socat",
  "telnet",
  "ssh",
  "scp",
  "sftp",
  "rsync",
  "ftp",
  "tftp",
  "lftp",
  "openssl",
  "gh",
  "aws",
  "gcloud",
  "gsutil",
  "az",
  "rclone",
  "smbclient",
  "mail",
  "sendmail",
  "mutt",
  "dig",
  "nslookup",
  "host",
  "ping",
]);
const ENV_DUMPERS = new Set(["env", "printenv", "set", "export", "declare", "typeset", "compgen"]);
const DELETERS = new Set(["rm", "rmdir", "unlink", "shred", "srm", "wipe"]);
/** Database clients: SQL piped to them counts like SQL given with -c or -e. */
const DB_CLIENTS = new Set([
  "psql",
  "mysql",
  "mariadb",
  "sqlite3",
  "mongo",
  "mongosh",
  "redis-cli",
  "clickhouse-client",
  "cqlsh",
  "sqlcmd",
  "duckdb",
]);
/** Interpreters the gate cannot read: inline code (or code on stdin) for them asks. */
const OPAQUE_CODE: Record<string, string[]> = {
  lua: ["-e"],
  luajit: ["-e"],
  osascript: ["-e"],
  tclsh: ["-c"],
  wish: ["-c"],
  pwsh: ["-c", "-Command", "-command", "-EncodedCommand", "-encodedcommand", "-e", "-ec", "-enc"],
  powershell: ["-c", "-Command", "-command", "-EncodedCommand", "-encodedcommand", "-e", "-ec", "-enc"],
  xonsh: ["-c"],
  Rscript: ["-e"],
  R: ["-e"],
  julia: ["-e", "--eval"],
  racket: ["-e", "--eval"],
  guile: ["-c"],
  elixir: ["-e"],
  erl: ["-eval"],
  groovy: ["-e"],
  scala: ["-e"],
  swift: ["-e"],
  jshell: [],
  dotnet: ["script", "eval", "fsi"],
  csi: [],
  clojure: ["-e"],
  bb: ["-e"],
  nu: ["-c", "--commands"],
  expect: ["-c"],
  dc: ["-e", "--expression"],
  gnuplot: ["-e"],
  lftp: ["-c"],
  sbcl: ["--eval"],
  kotlinc: ["-e"],
  kotlin: ["-e"],
  zx: [],
  "nix-instantiate": ["--eval"],
  elvish: ["-c"],
};

/** Programs that run no project code: routine after a file was written in the same command. */
const AFTER_WRITE_OK = new Set([
  "cat",
  "ls",
  "echo",
  "printf",
  "head",
  "tail",
  "wc",
  "grep",
  "egrep",
  "fgrep",
  "rg",
  "diff",
  "cmp",
  "stat",
  "file",
  "chmod",
  "chown",
  "mkdir",
  "touch",
  "cp",
  "mv",
  "rm",
  "ln",
  "git",
  "true",
  "false",
  "test",
  "[",
  "[[",
  "cd",
  "pwd",
  "sort",
  "uniq",
  "cut",
  "tr",
  "jq",
  "tee",
  "find",
  "xargs",
  "md5sum",
  "sha1sum",
  "sha256sum",
  "base64",
  "date",
  "sleep",
  "exit",
  "return",
  "export",
  "set",
  "unset",
  "local",
  "declare",
  "read",
  "wait",
  "basename",
  "dirname",
  "realpath",
  "readlink",
  "du",
  "df",
  "column",
  "nl",
  "od",
  "xxd",
  "hexdump",
  "strings",
  "tar",
  "zip",
  "unzip",
  "gzip",
  "gunzip",
  "which",
  "type",
  "command",
  "env",
  "time",
  "timeout",
  "nice",
  "",
]);

/** Files a project tool loads and runs (test configs, build files, scripts, package manifests). */
const CODE_FILE =
  /(\.(sh|bash|zsh|py|pyw|js|mjs|cjs|ts|mts|cts|jsx|tsx|rb|pl|pm|php|lua|mk|sql|ed|exp|awk|sed|vim|cmake|go|rs|java|kt|gradle|pyc|so|dylib|node)$|^(CMakeLists\.txt|\.pre-commit-config\.yaml|Taskfile\.ya?ml|Procfile|Dockerfile|docker-compose\.ya?ml|compose\.ya?ml|\.gitlab-ci\.yml|Vagrantfile|Brewfile)$|^(package\.json|Makefile|makefile|GNUmakefile|justfile|Justfile|Rakefile|Gemfile|setup\.py|setup\.cfg|pyproject\.toml|tox\.ini|noxfile\.py|conftest\.py|build\.gradle|build\.rs|Cargo\.toml|pom\.xml|\.npmrc|\.yarnrc\.yml|\.envrc)$)/;
/** Tools that run project code: after a code file was written in the same command, what runs is what was written. */
const RUNNERS: Record<string, string[] | true> = {
  npm: [
    "run",
    "run-script",
    "rum",
    "urn",
    "test",
    "t",
    "tst",
    "start",
    "restart",
    "stop",
    "exec",
    "x",
    "install",
    "i",
    "ci",
    "rebuild",
    "pack",
    "publish",
  ],
  yarn: true,
  pnpm: ["run", "test", "t", "start", "exec", "install", "i", "add", "dlx", "rebuild"],
  bun: ["run", "test", "start", "x", "install", "i"],
  npx: true,
  make: true,
  gmake: true,
  just: true,
  rake: true,
  pytest: true,
  "py.test": true,
  tox: true,
  nox: true,
  jest: true,
  vitest: true,
  mocha: true,
  cargo: ["run", "test", "build", "bench", "check"],
  go: ["run", "test", "generate", "build"],
  gradle: true,
  gradlew: true,
  mvn: true,
  bundle: ["exec"],
  poetry: ["run", "install"],
  uv: ["run", "sync"],
  pip: ["install"],
  pip3: ["install"],
  configure: true,
};
/** Options whose value is a directory or file the command writes into. */
const WRITE_OPTS: Record<string, string[]> = {
  tar: ["-C", "--directory"],
  gtar: ["-C", "--directory"],
  bsdtar: ["-C", "--directory"],
  unzip: ["-d"],
  cp: ["-t", "--target-directory"],
  mv: ["-t", "--target-directory"],
  install: ["-t", "--target-directory"],
  ln: ["-t", "--target-directory"],
  wget: ["-P", "--directory-prefix"],
  curl: ["--output-dir"],

  patch: ["-o", "--output", "-d", "--directory"],
  sort: ["-o", "--output"],
};
const LAST_WRITTEN = new Set(["cp", "install", "rsync", "scp", "ln", "mv", "ditto", "sftp"]);
const ALL_WRITTEN = new Set(["tee", "touch", "mkdir", "truncate", "mkfifo", "mknod", "sponge"]);
const MODE_FIRST = new Set(["chmod", "chown", "chgrp", "chattr", "setfacl"]);
const SECRET_NAME =
  /(SECRET|TOKEN|PASSW(OR)?D|API_?KEY|ACCESS_?KEY|PRIVATE_?KEY|CREDENTIAL|_AUTH|SESSION_KEY|_PAT$|^PAT_)/i;
const HOME_VARS = new Set(["HOME"]);
/** Variables whose value a program runs as a command. */
const COMMAND_VARS = new Set([
  "GIT_ASKPASS",
  "SSH_ASKPASS",
  "SUDO_ASKPASS",
  "GIT_SSH_COMMAND",
  "GIT_PROXY_COMMAND",
  "GIT_EXTERNAL_DIFF",
  "PAGER",
  "GIT_PAGER",
  "MANPAGER",
  "SYSTEMD_PAGER",
  "EDITOR",
  "VISUAL",
  "GIT_EDITOR",
  "GIT_SEQUENCE_EDITOR",
  "FCEDIT",
  "PROMPT_COMMAND",
  "LESSOPEN",
  "LESSCLOSE",
  "BROWSER",
]);
const AWKS = new Set(["awk", "gawk", "mawk", "nawk", "busybox-awk"]);

/** Wrappers: programs that run the rest of their arguments as a command. */
interface WrapperSpec {
  /** Options that take the next argument as a value. */
  value: string[];
  /** Options whose value is a shell command string (`npx -c 'cmd'`). */
  shell?: string[];
  /** Positionals before the command (timeout's DURATION, chroot's NEWROOT). */
  skip?: number;
}
const WRAPPERS: Record<string, WrapperSpec> = {
  sudo: {
    value: [
      "-u",
      "-g",
      "-C",
      "-D",
      "-h",
      "-p",
      "-r",
      "-t",
      "-U",
      "-T",
      "-R",
      "--user",
      "--group",
      "--close-from",
      "--chdir",
      "--host",
      "--prompt",
      "--role",
      "--type",
      "--other-user",
      "--command-timeout",
      "--chroot",
    ],
  },
  doas: { value: ["-u", "-C"] },
  pkexec: { value: ["--user"] },
  run0: { value: ["-u", "--user", "-g", "--group", "--chdir", "-D"] },
  env: { value: ["-u", "--unset", "-C", "--chdir", "-S", "--split-string", "-P"] },
  command: { value: [] },
  builtin: { value: [] },
  exec: { value: ["-a"] },
  nohup: { value: [] },
  nice: { value: ["-n", "--adjustment"] },
  ionice: { value: ["-c", "-n", "-p", "-P", "-u", "--class", "--classdata"] },
  timeout: { value: ["-s", "-k", "--signal", "--kill-after"], skip: 1 },
  gtimeout: { value: ["-s", "-k", "--signal", "--kill-after"], skip: 1 },
  stdbuf: { value: ["-i", "-o", "-e", "--input", "--output", "--error"] },
  setsid: { value: [] },
  time: { value: ["-f", "-o", "--format", "--output"] },
  chrt: { value: [], skip: 1 },
  taskset: { value: [], skip: 1 },
  flock: { value: ["-w", "-E", "--timeout", "--conflict-exit-code"], skip: 1 },
  unbuffer: { value: [] },
  caffeinate: { value: ["-t", "-w"] },
  chroot: { value: ["--userspec", "--groups"], skip: 1 },
  strace: { value: ["-o", "-e", "-p", "-s", "-u", "-E", "-a", "-b", "-I", "-O", "-S", "-X", "-P"] },
  ltrace: { value: ["-o", "-e", "-p", "-s", "-u", "-a", "-n"] },
  xargs: {
    value: [
      "-I",
      "-n",
      "-L",
      "-l",
      "-P",
      "-d",
      "-E",
      "-e",
      "-s",
      "-a",
      "--max-args",
      "--max-lines",
      "--max-procs",
      "--delimiter",
      "--eof",
      "--arg-file",
      "--replace",
      "--max-chars",
      "--process-slot-var",
    ],
  },
  busybox: { value: [] },
  toybox: { value: [] },
  doppler: { value: [] },
  dotenv: { value: ["-e", "-c", "-v"] },
  proxychains: { value: ["-f"] },
  proxychains4: { value: ["-f"] },
  torsocks: { value: ["-u", "-p", "-a", "-P"] },
  tsocks: { value: [] },
  "xvfb-run": {
    value: [
      "-n",
      "--server-num",
      "-e",
      "--error-file",
      "-f",
      "--auth-file",
      "-p",
      "--xauth-protocol",
      "-s",
      "--server-args",
    ],
  },
  firejail: { value: [] },
  unshare: { value: ["-S", "-G", "--setuid", "--setgid", "-R", "--root", "-w", "--wd"] },
  nsenter: { value: ["-t", "--target", "-S", "-G", "--setuid", "--setgid", "-r", "-w"] },
  setpriv: {
    value: [
      "--reuid",
      "--regid",
      "--groups",
      "--inh-caps",
      "--ambient-caps",
      "--bounding-set",
      "--securebits",
      "--selinux-label",
      "--apparmor-profile",
    ],
  },
  gosu: { value: [], skip: 1 },
  "su-exec": { value: [], skip: 1 },
  faketime: { value: ["-m", "-f"], skip: 1 },
  valgrind: { value: [] },
  catchsegv: { value: [] },
  "ssh-agent": { value: ["-a", "-E", "-t", "-P"] },
  "dbus-launch": { value: [] },
  tini: { value: ["-s", "-p", "-e"] },
  "dumb-init": { value: [] },
  entr: { value: [] },
  watchexec: {
    value: [
      "-w",
      "--watch",
      "-e",
      "--exts",
      "-f",
      "--filter",
      "-i",
      "--ignore",
      "-d",
      "--debounce",
      "-s",
      "--signal",
      "--shell",
    ],
  },
  cgexec: { value: ["-g"] },
  runcon: { value: ["-u", "-r", "-t", "-l"], skip: 0 },
  "aws-vault": { value: ["-d", "--duration", "--region", "--mfa-token"] },
  op: { value: ["--env-file"] },
  with: { value: [] },
  npx: {
    value: ["-p", "--package", "--cache", "--registry", "--userconfig", "-w", "--workspace", "-c", "--call"],
    shell: ["-c", "--call"],
  },
  bunx: { value: ["-p", "--package"] },
  pnpx: { value: [] },
  chronic: { value: [] },
  ifne: { value: [] },
  lckdo: { value: ["-w", "-W"], skip: 1 },
  corepack: { value: [] },
  screen: { value: ["-S", "-c", "-e", "-h", "-p", "-T", "-t", "-L", "-Logfile", "-X", "-s"] },
  parallel: {
    value: [
      "-j",
      "--jobs",
      "-S",
      "--sshlogin",
      "--delay",
      "--timeout",
      "--joblog",
      "-a",
      "--arg-file",
      "--tmpdir",
      "-d",
      "--delimiter",
      "-I",
      "--results",
    ],
  },
  uvx: { value: ["--from", "--with", "-p", "--python", "--index-url"] },
  pipx: { value: ["--spec", "--python", "--index-url", "--pip-args"] },
};
/** Programs whose subcommand runs the rest as a command (`npm exec -- x`, `uv run x`, `bundle exec x`). */
const SUB_WRAPPERS: Record<string, { subs: string[]; value: string[]; skip?: number }> = {
  npm: { subs: ["exec", "x"], value: ["-p", "--package", "-w", "--workspace", "--prefix"] },
  pnpm: { subs: ["exec", "dlx"], value: ["-C", "--dir", "--filter", "-F"] },
  yarn: { subs: ["exec", "dlx"], value: ["-p", "--package"] },
  bun: { subs: ["x"], value: [] },
  uv: {
    subs: ["run", "tool"],
    value: ["--with", "--python", "-p", "--directory", "--project", "--from", "--index-url", "--env-file"],
  },
  poetry: { subs: ["run"], value: ["-C", "--directory"] },
  bundle: { subs: ["exec"], value: ["--gemfile"] },
  pipenv: { subs: ["run"], value: [] },
  pdm: { subs: ["run"], value: ["-p", "--project"] },
  hatch: { subs: ["run"], value: ["-e", "--env"] },
  rye: { subs: ["run"], value: [] },
  conda: { subs: ["run"], value: ["-n", "--name", "-p", "--prefix"] },
  mamba: { subs: ["run"], value: ["-n", "--name", "-p", "--prefix"] },
  micromamba: { subs: ["run"], value: ["-n", "--name", "-p", "--prefix"] },
  mise: { subs: ["exec", "x"], value: [] },
  asdf: { subs: ["exec"], value: [] },
  direnv: { subs: ["exec"], value: [], skip: 1 },
  pixi: { subs: ["run", "exec"], value: ["-e", "--environment"] },
  nix: { subs: ["run", "shell", "develop"], value: [] },
  devbox: { subs: ["run"], value: ["-c", "--config"] },
  perf: {
    subs: ["record", "stat", "trace", "top"],
    value: ["-o", "--output", "-e", "--event", "-p", "--pid"],
  },
};
/** Wrappers that take `-c STRING` as a shell command (su, runuser, flock, script). */
const C_STRING = new Set(["su", "runuser", "sg", "flock", "script"]);
/** Global options with a value, per program, skipped to find the subcommand. */
const VALUE_OPTS: Record<string, string[]> = {
  git: [
    "-C",
    "-c",
    "--git-dir",
    "--work-tree",
    "--namespace",
    "--exec-path",
    "--config-env",
    "--super-prefix",
  ],
  npm: ["--prefix", "-w", "--workspace", "--registry", "--userconfig", "--cache", "-C"],
  pnpm: ["-C", "--dir", "--filter", "-F"],
  yarn: ["--cwd"],
  docker: ["-H", "--host", "--context", "-c", "--config", "-l", "--log-level"],
  podman: ["--url", "--connection", "-c", "--root", "--runroot"],
  kubectl: ["-n", "--namespace", "--context", "--kubeconfig", "-s", "--server", "--cluster", "--user"],
  pip: [
    "-r",
    "--requirement",
    "-c",
    "--constraint",
    "-e",
    "--editable",
    "-i",
    "--index-url",
    "--extra-index-url",
    "-t",
    "--target",
    "-f",
    "--find-links",
    "--prefix",
    "--root",
    "--src",
    "--log",
    "--cache-dir",
    "--python",
    "--platform",
    "--python-version",
    "--upgrade-strategy",
    "--progress-bar",
  ],
  "apt-get": ["-o", "-t", "-c", "--target-release", "--option", "--config-file"],
  apt: ["-o", "-t", "-c", "--target-release", "--option"],
  uv: [
    "--directory",
    "--project",
    "-p",
    "--python",
    "-r",
    "--requirement",
    "-c",
    "--constraint",
    "--index-url",
    "--extra-index-url",
  ],
  cargo: ["--manifest-path", "-Z", "--config", "--color", "-C"],
  go: ["-C"],
  systemctl: ["-H", "--host", "-M", "--machine", "-t", "--type", "-p", "--property", "--state"],
  cp: ["-t", "--target-directory", "-S", "--suffix"],
  mv: ["-t", "--target-directory", "-S", "--suffix"],
  install: ["-t", "--target-directory", "-m", "--mode", "-o", "--owner", "-g", "--group", "-S", "--suffix"],
  ln: ["-t", "--target-directory", "-S", "--suffix"],
  tar: ["-C", "--directory", "-T", "--files-from", "-X", "--exclude-from"],
  unzip: ["-d", "-x"],
};
VALUE_OPTS.pip3 = VALUE_OPTS.pip!;

/** A word's value, as far as it is known before the command runs. */
interface Val {
  /** The text; undefined when a part is only known at run time. */
  text?: string;
  /** The static text before the first run-time part (for paths: `./build/$X`). */
  prefix: string;
  /** Unquoted glob or brace characters. */
  glob: boolean;
  brace: boolean;
  /** A process substitution's body (the word is a /dev/fd path to its output), and what it outputs. */
  procsub?: Script;
  procOut?: Out;
  /** What the word's command substitutions produce (the last one's output). */
  subOut?: StdinKind;
  /** Secret-looking environment names it expands. */
  secrets: string[];
  /** The word as written (for alias and `watch` re-parsing). */
  raw: string;
  /** It started with an unquoted literal (alias expansion applies). */
  plain: boolean;
  /** It holds an unquoted expansion: the shell splits its value into words on $IFS. */
  split?: boolean;
}

interface Env {
  vars: Map<string, string | undefined>;
  aliases: Map<string, string>;
  funcs: Set<string>;
  /** Paths written earlier in this command (and whether a download wrote them). */
  written: Map<string, "fetch" | "write">;
  /** The current directory; undefined once a `cd` went somewhere unknown. */
  cwd?: string;
  /** Variables whose value came from a secret (`K=$AWS_SECRET_ACCESS_KEY`): `$K` is a secret too. */
  secretVars: Set<string>;
  /** `declare -n` references. */
  namerefs: Map<string, string>;
  /** Symbolic links this command creates (link -> target), followed when paths are judged. */
  links: Map<string, string>;
  /** Directories filled from the network in this command (`git clone`, `curl | tar x`). */
  fetchedDirs: Set<string>;
  /** Files written from credentials in this command (an archive of ~/.ssh is a credential too). */
  tainted: Set<string>;
  /** `shopt -s dotglob` (or globstar's `**`): globs match dotfiles too. */
  dotglob?: boolean;
  /** Code or config files a tool loads, written in this command and not judged by their content. */
  codeFiles: Map<string, "fetch" | "write">;
}

/** What a command sends to its standard output, as the next stage's stdin. */
interface Out {
  kind: StdinKind;
  text?: string;
}

interface Frame {
  env: Env;
  stdin: Out;
  depth: number;
  via: string[];
}

const NONE: Out = { kind: "none" };

/** One rule hit: which rule, and the command it was raised on (for allow rules). */
interface Hit {
  id: string;
  exec?: Exec;
}

/** Decides allow / ask / deny for one shell command string. Never throws. */
// The tables above are looked up by program and option names the command chooses: without a
// prototype, `valueOf`, `constructor` or `__proto__` finds nothing there (it found Object.prototype's
// members, which made `valueOf rm -rf /` a "wrapper").
for (const t of [OPAQUE_CODE, RUNNERS, WRITE_OPTS, WRAPPERS, SUB_WRAPPERS, VALUE_OPTS])
  Object.setPrototypeOf(t, null);

export function decide(command: string, ctx: GateContext, policy: GatePolicy): Verdict {
  try {
    return new Judge(ctx, policy).run(command);
  } catch (err) {
    // A defect in the engine must not let a command through.
    return verdictOf(policy, [{ id: "gate-unparseable" }], `the gate failed: ${(err as Error).name}`);
  }
}

class Judge {
  private hits: Hit[] = [];
  private work = 0;
  private parsed = 0;
  private readonly ws: string | undefined;

  private readonly ctx: GateContext;

  constructor(
    ctx: GateContext,
    private readonly policy: GatePolicy,
  ) {
    // `/home/agent/` is `/home/agent`: every comparison below is on normalised paths without a trailing slash.
    const clean = (p: string) => (isNormalPath(p) ? p : stripTrailingSlashes(posix.normalize(p)));
    // A home that is not an absolute path (HOME="" or relative) is unknown: `~` is then no place the
    // workspace could contain, and credential paths under it still count as credentials.
    const home = ctx.home.startsWith("/") ? clean(ctx.home) : "/nonexistent-home";
    this.ctx = { cwd: clean(ctx.cwd), home };
    if (ctx.workspace !== undefined) this.ctx.workspace = clean(ctx.workspace);
    this.ws = usableWorkspace(this.ctx, policy.paths);
  }

  run(command: string): Verdict {
    if (command.length > GATE_LIMITS.maxChars) return verdictOf(this.policy, [{ id: "gate-too-large" }]);
    // Normalised once: the hidden-character check and the text judged come from the same pass.
    const normal = normalizeCommand(command);
    if (normal.hidden) this.raise("gate-hidden-characters");
    for (const text of [normal.text]) {
      const env: Env = {
        vars: new Map(),
        aliases: new Map(),
        funcs: new Set(),
        written: new Map(),
        cwd: this.ctx.cwd,
        secretVars: new Set(),
        namerefs: new Map(),
        links: new Map(),
        fetchedDirs: new Set(),
        codeFiles: new Map(),
        tainted: new Set(),
      };
      try {
        this.script(parseScript(text), { env, stdin: NONE, depth: 0, via: [] });
      } catch (err) {
        if (err instanceof ParseError) this.raise("gate-unparseable");
        else if (err instanceof Budget) this.raise("gate-too-complex");
        else throw err;
      }
    }
    return verdictOf(this.policy, this.hits);
  }

  private raise(id: EngineRule, exec?: Exec): void {
    this.hits.push({ id, exec });
  }

  /** A file written (or downloaded) in this command runs: what runs is not what the gate read. */
  private raiseWritten(how: "fetch" | "write"): void {
    this.raise(how === "fetch" ? "gate-download-exec" : "gate-run-written-file");
  }

  /** Judges a payload word: its text as a command when known, else a run-time payload. */
  private carryVal(v: Val | undefined, f: Frame): void {
    if (v?.text !== undefined) this.carry(v.text, f);
    else if (v) this.dynamicPayload([v]);
  }

  private tick(): void {
    if (++this.work > GATE_LIMITS.maxWork) throw new Budget();
  }

  // ---- walking the tree

  private script(s: Script, f: Frame): Out {
    let out: Out = NONE;
    for (const item of s.items) out = this.pipeline(item.pipeline.commands, f);
    return out;
  }

  private pipeline(cmds: Command[], f: Frame): Out {
    let stdin = f.stdin;
    let out: Out = NONE;
    for (const c of cmds) {
      out = this.command(c, { ...f, stdin });
      stdin = out;
    }
    return out;
  }

  private command(c: Command, f: Frame): Out {
    this.tick();
    switch (c.type) {
      case "simple":
        return this.simple(c.assigns, c.words, c.redirects, f);
      case "subshell":
      case "group": {
        const red = this.redirects(c.redirects, f);
        const out = this.script(c.body, { ...f, stdin: red.stdin ?? f.stdin });
        // `{ ...; } > x.sh`: the group's output is written.
        if (red.writes.length) this.judge({ ...this.execOf("", [], f, emptyExtra()), writes: red.writes });
        for (const w of red.writes) if (w.abs) this.remember(w.abs, "write", f);
        return out;
      }
      case "if": {
        this.redirects(c.redirects, f);
        let out: Out = NONE;
        for (const cl of c.clauses) {
          this.script(cl.cond, f);
          out = this.script(cl.body, f);
        }
        if (c.orElse) out = this.script(c.orElse, f);
        return out;
      }
      case "loop": {
        const stdin = this.redirects(c.redirects, f).stdin ?? f.stdin;
        this.script(c.cond, { ...f, stdin });
        return this.script(c.body, { ...f, stdin });
      }
      case "for": {
        const stdin = this.redirects(c.redirects, f).stdin ?? f.stdin;
        const values = (c.items ?? []).map((w) => this.value(w, f));
        const fixed = values.every((v) => v.text !== undefined && !v.glob && !v.brace) && values.length <= 8;
        if (c.name && fixed && values.length) {
          let out: Out = NONE;
          for (const v of values) {
            f.env.vars.set(c.name, v.text);
            out = this.script(c.body, { ...f, stdin });
          }
          return out;
        }
        if (c.name) f.env.vars.set(c.name, undefined);
        return this.script(c.body, { ...f, stdin });
      }
      case "case": {
        this.redirects(c.redirects, f);
        this.value(c.word, f);
        let out: Out = NONE;
        for (const arm of c.arms) {
          for (const p of arm.patterns) this.value(p, f);
          out = this.script(arm.body, f);
        }
        return out;
      }
      case "function": {
        f.env.funcs.add(c.name);
        // A function body is judged where it is defined: it is there to be called.
        if (callsItself(c.name, c.body)) this.raise("gate-fork-bomb");
        this.command(c.body, f);
        return NONE;
      }
      case "test":
        this.redirects(c.redirects, f);
        for (const w of c.words) this.value(w, f);
        return NONE;
      case "arith": {
        this.redirects(c.redirects, f);
        // bash evaluates `(( ... ))`; dash (often /bin/sh) runs it as two nested subshells. When the
        // text parses as commands, judge them too.
        let inner: Script | undefined;
        // Each nested `((` would parse its text again: count it against the parse budget (linear).
        this.parsed += c.raw.length;
        if (this.parsed > GATE_LIMITS.maxParsed) throw new Budget();
        try {
          inner = parseScript(c.raw);
        } catch {
          inner = undefined;
        }
        if (inner) this.script(inner, f);
        return NONE;
      }
    }
  }

  /** Evaluates a word, judging every substitution in it (they run). */
  private value(w: Word, f: Frame): Val {
    let text: string | undefined = "";
    let prefix = "";
    let glob = false;
    let brace = false;
    let procsub: Script | undefined;
    let procOut: Out | undefined;
    let split = false;
    let subOut: StdinKind | undefined;
    const secrets: string[] = [];
    const parts = w.parts;
    const plain = parts[0]?.type === "lit" && !parts[0].quoted;
    const add = (s: string | undefined) => {
      if (text === undefined) return;
      // A value that grows past the cap (`x=$x$x` doubling) is unknown, not exponential.
      if (s === undefined || text.length + s.length > GATE_LIMITS.maxValue) {
        prefix = text;
        text = undefined;
      } else text += s;
    };
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i]!;
      switch (p.type) {
        case "lit": {
          let v = p.value;
          // `x='a[$(cmd)]'`: bash runs the subscript's substitution when the text is used in arithmetic,
          // `[[ -v ]]`, `printf -v`, `read`: judge it as if it ran.
          if (p.quoted && v.includes("[") && (v.includes("$(") || v.includes("`"))) this.latent(v, f);
          if (!p.quoted) {
            if (i === 0 && v.startsWith("~")) {
              const t = this.tilde(v, f);
              if (t === undefined) {
                add(undefined);
                break;
              }
              v = t;
            }
            if (hasGlobChar(v) || hasBracketPair(v)) glob = true;
            if (hasBraceList(v)) brace = true;
          }
          add(v);
          break;
        }
        case "param": {
          if (!p.quoted) split = true;
          // `${v@P}` expands $v's value as a prompt: its substitutions run.
          if (p.op.endsWith("@P")) {
            const val = this.param(p.name, f);
            if (val === undefined) this.raise("gate-dynamic-payload");
            else this.latent(val, f);
          }
          if (SECRET_NAME.test(p.name) || f.env.secretVars.has(p.name)) secrets.push(p.name);
          add(p.op ? undefined : this.param(p.name, f));
          break;
        }
        case "cmdsub":
          if (!p.quoted) split = true;
          subOut = this.script(p.body, { ...f, stdin: NONE, via: [...f.via, "$()"] }).kind;
          add(undefined);
          break;
        case "procsub":
          // `>(sh)` reads whatever the command writes into it: data the gate does not know.
          procOut = this.script(p.body, {
            ...f,
            stdin: p.dir === ">" ? { kind: "data" } : NONE,
            via: [...f.via, `${p.dir}()`],
          });
          procsub = p.body;
          add("/dev/fd/63");
          break;
        case "arith":
          add(undefined);
          break;
      }
    }
    if (text !== undefined) prefix = text;
    // Quoted text holding blanks does not split: only then is splitting the whole text exact.
    const quotedBlank = parts.some((p) => p.type === "lit" && p.quoted && hasBlank(p.value));
    return {
      text,
      prefix,
      glob,
      brace,
      procsub,
      procOut,
      subOut,
      secrets,
      raw: w.raw,
      plain,
      split: split && !quotedBlank,
    };
  }

  private tilde(v: string, f?: Frame): string | undefined {
    const slash = v.indexOf("/");
    const user = slash === -1 ? v.slice(1) : v.slice(1, slash);
    const rest = slash === -1 ? "" : v.slice(slash);
    if (user === "") return this.ctx.home + rest;
    // `~+` is $PWD, `~-` is $OLDPWD (not known here).
    if (user === "+") {
      // bash reads $PWD for `~+` (an assignment to PWD moves it).
      const pwd =
        f === undefined
          ? this.ctx.cwd
          : f.env.vars.has("PWD") || f.env.namerefs.size
            ? this.param("PWD", f)
            : f.env.cwd;
      return pwd === undefined ? undefined : pwd + rest;
    }
    if (user === "-") return undefined;
    if (user === "root") return `/root${rest}`;
    if (/^[a-z_][a-z0-9_-]*$/.test(user)) return `/home/${user}${rest}`;
    return v;
  }

  private param(name: string, f: Frame, depth = 0): string | undefined {
    // `declare -n r=x`: $r is $x.
    const ref = f.env.namerefs.get(name);
    if (ref !== undefined) return depth > 8 ? undefined : this.param(ref, f, depth + 1);
    if (f.env.vars.has(name)) return f.env.vars.get(name);
    if (HOME_VARS.has(name)) return this.ctx.home;
    if (name === "IFS") return " \t\n";
    if (name === "PWD") return f.env.cwd;
    return undefined;
  }

  /** Applies redirections: output targets are writes, input targets reads; returns the stdin they give. */
  private redirects(rs: Redirect[], f: Frame): { stdin?: Out; writes: PathRef[]; reads: PathRef[] } {
    let stdin: Out | undefined;
    const writes: PathRef[] = [];
    const reads: PathRef[] = [];
    for (const r of rs) {
      if (r.heredoc) {
        const body = r.heredoc.body;
        if (r.heredoc.quoted) stdin = { kind: "text", text: body };
        else {
          const parts = parseHeredocBody(body);
          const v = this.value({ parts, raw: body }, f);
          stdin =
            v.text === undefined
              ? { kind: v.subOut === "fetch" ? "fetch" : "data" }
              : { kind: "text", text: v.text };
        }
        continue;
      }
      const v = this.value(r.target, f);
      if (r.op === "<<<") {
        stdin =
          v.text === undefined
            ? { kind: v.subOut === "fetch" ? "fetch" : "data" }
            : { kind: "text", text: v.text };
        continue;
      }
      if ((r.op === ">&" || r.op === "<&") && /^(\d+|-)$/.test(v.text ?? "")) continue;
      if (r.op === "<" && v.procOut) {
        stdin =
          v.procOut.kind === "text" || v.procOut.kind === "fetch" || v.procOut.kind === "decoder"
            ? v.procOut
            : { kind: "data" };
        continue;
      }
      const ref = this.path(v, f);
      if (r.op === "<") {
        reads.push(ref);
        stdin =
          ref.classes.size === 0
            ? NONE
            : ref.classes.has("credential") || ref.classes.has("secret-file")
              ? { kind: "credential" }
              : { kind: "file", text: ref.abs };
      } else if (r.op === "<>") {
        reads.push(ref);
        writes.push(ref);
      } else writes.push(ref);
    }
    return { stdin, writes, reads };
  }

  private path(v: Val, f: Frame): PathRef {
    const data = this.policy.paths;
    if (v.procsub) return { abs: undefined, classes: new Set(), text: v.raw };
    const cwd = f.env.cwd;
    const text = v.text;
    if (text !== undefined && v.brace) {
      // `{~,x}`, `~/{.aws,x}/credentials`: each alternative is a path (tilde expansion follows braces).
      const alts = braceExpand(text);
      if (alts) {
        const classes = new Set<PathClass>();
        let abs: string | undefined;
        for (const alt of alts) {
          const t = alt.startsWith("~") ? this.tilde(alt, f) : alt;
          const ref =
            t === undefined
              ? { abs: undefined, classes: new Set<PathClass>(["dynamic"]), text: v.raw }
              : this.path(
                  { ...v, text: t, prefix: t, brace: false, glob: hasGlobChar(t) || hasBracketPair(t) },
                  f,
                );
          for (const c of ref.classes) classes.add(c);
          abs ??= ref.abs;
        }
        return { abs, classes, text: v.raw };
      }
    }
    if (text === undefined || v.glob || v.brace) {
      // Known up to a directory: judge that directory (`./build/$X` and `*.o` are in the workspace, `$X` is not known).
      let dir: string | undefined;
      if (text !== undefined) {
        const cut = firstGlobDir(text);
        dir = cut === -1 ? "." : cut === 0 ? "/" : text.slice(0, cut);
      } else {
        // `/proc/$$/environ`: another process's environment, whatever the pid.
        if (v.prefix.startsWith("/proc/") && /\/environ["']?$/.test(v.raw))
          return {
            abs: undefined,
            classes: new Set<PathClass>(["credential", "system", "outside"]),
            text: v.raw,
          };
        const cut = v.prefix.lastIndexOf("/");
        dir = cut === -1 ? undefined : cut === 0 ? "/" : v.prefix.slice(0, cut);
      }
      const abs = dir === undefined ? undefined : this.followLinks(resolveAbs(dir, cwd), f);
      if (abs === undefined) return { abs: undefined, classes: new Set(["dynamic"]), text: v.raw };
      const classes = classifyPath(abs, this.ctx, data, this.ws);
      // What the pattern could match: `~/.ss?/id_rsa` is a credential, `/home/*` a home.
      if (text !== undefined && v.glob) {
        const pattern = this.followLinks(resolveAbs(text, cwd), f);
        if (pattern)
          for (const c of globClasses(pattern, this.ctx, data, this.ws, f.env.dotglob)) classes.add(c);
      }
      // An unknown name inside a directory: outside the workspace it may be anything in there.
      if (!classes.has("workspace")) classes.add("dynamic");
      classes.delete("workspace-root");
      if (abs === "/" || classes.has("home") || data.system.includes(abs)) classes.add("critical");
      return { abs, classes, text: v.raw };
    }
    const abs = this.followLinks(
      f.env.links.size ? this.resolveThroughLinks(text, cwd, f) : resolveAbs(text, cwd),
      f,
    );
    if (abs === undefined) {
      // The directory is unknown (`cd "$X"`, CDPATH), the name is not: `id_rsa` is a key wherever it is.
      const base = posix.basename(text);
      const named = data.credential.names.includes(base) || data.secretFile.names.includes(base);
      return {
        abs: undefined,
        classes: new Set<PathClass>(named ? ["dynamic", "credential"] : ["dynamic"]),
        text: v.raw,
      };
    }
    const classes = classifyPath(abs, this.ctx, data, this.ws);
    if (f.env.tainted.has(abs)) classes.add("credential");
    return { abs, classes, text: v.raw };
  }

  /** Resolves a path one segment at a time, through the links made in this command (`up/../x` with up -> ..). */
  private resolveThroughLinks(text: string, cwd: string | undefined, f: Frame): string | undefined {
    if (!text.startsWith("/") && cwd === undefined) return undefined;
    let cur = text.startsWith("/") ? "/" : cwd!;
    let hops = 0;
    for (const seg of text.split("/")) {
      if (seg === "" || seg === ".") continue;
      if (seg === "..") cur = posix.dirname(cur);
      else {
        cur = posix.join(cur, seg);
        const target = f.env.links.get(cur);
        if (target !== undefined && ++hops <= 16)
          cur = posix.normalize(target.startsWith("/") ? target : posix.join(posix.dirname(cur), target));
      }
    }
    return cur;
  }

  /** A path through the symbolic links this command made (`ln -s ~ h; rm -rf h/.ssh`). */
  private followLinks(abs: string | undefined, f: Frame): string | undefined {
    if (abs === undefined || !f.env.links.size) return abs;
    if (f.env.links.size > GATE_LIMITS.maxLinks) throw new Budget();
    let p = abs;
    for (let hop = 0; hop < 8; hop++) {
      let moved = false;
      for (const [link, target] of f.env.links) {
        if (p === link || p.startsWith(`${link}/`)) {
          p = posix.normalize(target + p.slice(link.length));
          moved = true;
          break;
        }
      }
      if (!moved) return p;
    }
    return p;
  }

  // ---- simple commands

  private simple(
    assigns: { name: string; value?: Word; array?: Word[]; append: boolean }[],
    words: Word[],
    rs: Redirect[],
    f: Frame,
  ): Out {
    const env = f.env;
    const assigned: { name: string; empty: boolean }[] = [];
    const secrets: string[] = [];
    const values = new Map<string, string | undefined>();
    for (const a0 of assigns) {
      // `declare -n r=IFS; r=,` assigns IFS.
      const target = this.refTarget(a0.name, f);
      const a = target === a0.name ? a0 : { ...a0, name: target };
      const vals = a.array ? a.array.map((w) => this.value(w, f)) : a.value ? [this.value(a.value, f)] : [];
      for (const v of vals) secrets.push(...v.secrets);
      // Taint: a variable holding a secret makes its later expansions secret references too.
      if (vals.some((v) => v.secrets.length)) env.secretVars.add(a.name);
      const v = vals[0];
      const text = a.array || a.append ? undefined : v === undefined ? "" : v.text;
      values.set(a.name, text);
      assigned.push({ name: a.name, empty: text === "" });
      this.assignedCode(a.name, text, f);
    }
    const red = this.redirects(rs, f);
    const stdin = red.stdin ?? f.stdin;
    if (!words.length) {
      for (const [k, v] of values) env.vars.set(k, v);
      this.judge(
        this.execOf(
          "",
          [],
          { ...f, stdin },
          { assigns: assigned, writes: red.writes, reads: red.reads, secrets },
        ),
      );
      return NONE;
    }
    const argv = this.splitWords(
      words.map((w) => this.value(w, f)),
      f,
    );
    // Assignments before a command are in its environment only; their values may still name a path.
    const out = this.runArgv(
      argv,
      { ...f, stdin },
      { assigns: assigned, writes: red.writes, reads: red.reads, secrets, values },
    );
    if (out.kind === "text" && out.text !== undefined)
      for (const w of red.writes)
        if (w.abs && f.env.codeFiles.get(w.abs) === "write") this.judgeContent(w.abs, out.text, f);
    return out;
  }

  /** Runs fn with the command's own assignments in effect (a builtin that evaluates code sees them). */
  private withValues<T>(extra: Extra, f: Frame, fn: () => T): T {
    if (!extra.values?.size) return fn();
    const saved = new Map(
      [...extra.values.keys()].map((k) => [k, f.env.vars.has(k) ? f.env.vars.get(k) : null] as const),
    );
    for (const [k, v] of extra.values) f.env.vars.set(k, v);
    try {
      return fn();
    } finally {
      for (const [k, v] of saved) {
        if (v === null) f.env.vars.delete(k);
        else f.env.vars.set(k, v);
      }
    }
  }

  /** The variable a name refers to through `declare -n` references. */
  private refTarget(name: string, f: Frame): string {
    let n = name;
    for (let i = 0; i < 8; i++) {
      const t = f.env.namerefs.get(n);
      if (t === undefined) return n;
      n = t;
    }
    return n;
  }

  /** Field splitting of unquoted expansions on $IFS (`CMD="rm -rf /"; $CMD` runs rm with two operands). */
  private splitWords(argv: Val[], f: Frame): Val[] {
    if (!argv.some((v) => v.split)) return argv;
    const ifs = f.env.vars.has("IFS") ? f.env.vars.get("IFS") : " \t\n";
    const out: Val[] = [];
    for (const v of argv) {
      if (!v.split || v.text === undefined) {
        out.push(v);
        continue;
      }
      if (ifs === undefined) {
        // $IFS was set to something unknown: the words are unknown.
        out.push({ ...v, text: undefined, prefix: "" });
        continue;
      }
      if (ifs === "") {
        out.push(v);
        continue;
      }
      let word = "";
      const words: string[] = [];
      for (const ch of v.text) {
        if (ifs.includes(ch)) {
          if (word) words.push(word);
          word = "";
        } else word += ch;
      }
      if (word) words.push(word);
      for (const w of words.slice(0, 256))
        out.push({ ...literal(w), secrets: v.secrets, raw: v.raw, glob: hasGlobChar(w) });
    }
    return out;
  }

  /** Runs one argv: sees through aliases, wrappers and carriers, and judges what runs. */
  private runArgv(argv: Val[], f: Frame, extra: Extra): Out {
    this.tick();
    // Each wrapper level copies its argument list: a cap keeps nested wrappers linear.
    if (f.via.length > GATE_LIMITS.maxVia) throw new Budget();
    const verb = argv[0];
    if (!verb) {
      this.judge(this.execOf("", [], f, extra));
      return NONE;
    }
    if (verb.text === undefined || verb.brace || verb.glob) {
      this.raise("gate-dynamic-command");
      if (verb.subOut === "fetch") this.raise("gate-fetch-to-shell");
      this.judge(this.execOf("", argv.slice(1), f, extra));
      return { kind: "data" };
    }
    if (hasBlank(verb.text) || verb.text === "") {
      // No program has such a name: the text was meant to be split by something the gate did not follow.
      this.raise("gate-dynamic-command");
      return { kind: "data" };
    }
    const isPath = verb.text.includes("/");
    const name = canonicalName(isPath ? posix.basename(verb.text) : verb.text);
    if (isPath) {
      const abs = resolveAbs(verb.text, f.env.cwd);
      const how = abs === undefined ? undefined : f.env.written.get(abs);
      if (how) this.raiseWritten(how);
      else if (abs !== undefined) {
        this.scratchScript(abs);
        this.fetchedScript(abs, f);
      }
    }
    if (!isPath && verb.plain && f.env.aliases.has(name) && !f.via.includes(`alias:${name}`)) {
      const body = `${f.env.aliases.get(name)} ${argv
        .slice(1)
        .map((a) => a.raw)
        .join(" ")}`;
      return this.carry(body, { ...f, via: [...f.via, `alias:${name}`] });
    }
    const args = argv.slice(1);
    const via = [...f.via, name];
    const wc = this.writtenCode(f);
    if (wc && !AFTER_WRITE_OK.has(name)) this.raiseWritten(wc);

    // -- builtins that change the shell's state
    if (name === "cd" || name === "pushd") {
      const target = args.find((a) => !a.text?.startsWith("-"));
      // With $CDPATH set, a relative target may be found in any of its directories.
      const cdpath = f.env.vars.has("CDPATH") || extra.assigns.some((a) => a.name === "CDPATH");
      if (cdpath && target?.text !== undefined && !/^\.{0,2}\//.test(target.text)) {
        f.env.cwd = undefined;
        return NONE;
      }
      if (!target) f.env.cwd = name === "cd" ? this.ctx.home : f.env.cwd;
      else
        f.env.cwd = target.text === undefined || target.glob ? undefined : resolveAbs(target.text, f.env.cwd);
      return NONE;
    }
    if (name === "popd") {
      f.env.cwd = undefined;
      return NONE;
    }
    if (name === "alias") {
      for (const a of args) {
        if (a.text === undefined) {
          this.raise("gate-dynamic-command");
          continue;
        }
        const eq = a.text.indexOf("=");
        if (eq > 0) {
          const value = a.text.slice(eq + 1);
          f.env.aliases.set(a.text.slice(0, eq), value);
          // Judged where it is defined, as if run: it is there to be used.
          this.carry(value, { ...f, via: [...f.via, `alias:${a.text.slice(0, eq)}`] });
        }
      }
      return NONE;
    }
    if (
      name === "printf" ||
      name === "read" ||
      name === "mapfile" ||
      name === "readarray" ||
      name === "getopts"
    ) {
      // They assign variables from run-time data: those become unknown (IFS and CDPATH among them).
      const targets: string[] = [];
      for (let i = 0; i < args.length; i++) {
        const t = args[i]!.text;
        if (name === "printf" && t === "-v") targets.push(args[i + 1]?.text ?? "(dynamic)");
        else if (name !== "printf" && t !== undefined && /^[A-Za-z_][A-Za-z0-9_]*$/.test(t)) targets.push(t);
      }
      // `printf -v X ,` (a format with no directives) and `read X <<< ,` give a known value.
      let known: string | undefined;
      const vi = args.findIndex((a) => a.text === "-v");
      const fmt = name === "printf" && vi !== -1 ? args[vi + 2]?.text : undefined;
      if (fmt !== undefined && !fmt.includes("%") && !fmt.includes("\\") && args.length === vi + 3)
        known = fmt;
      if (
        name === "read" &&
        targets.length === 1 &&
        f.stdin.kind === "text" &&
        !args.some((a) => a.text?.startsWith("-"))
      )
        known = (f.stdin.text ?? "").split("\n")[0]!.replace(/^[ \t]+|[ \t]+$/g, "");
      for (const n of targets) {
        const t = this.refTarget(n, f);
        f.env.vars.set(t, targets.length === 1 ? known : undefined);
        if (t === "(dynamic)") f.env.vars.set("IFS", undefined);
      }
    }
    if (
      name === "shopt" &&
      args.some((a) => a.text === "-s") &&
      args.some((a) => a.text === "dotglob" || a.text === "globstar")
    )
      f.env.dotglob = true;
    if (name === "unset") {
      // A name only known at run time may be any variable (the proxy's among them).
      const names = args.filter((a) => !a.text?.startsWith("-")).map((a) => a.text ?? "(dynamic)");
      for (const n of names) f.env.vars.delete(n);
      this.judge(this.execOf(name, args, f, { ...extra, unsets: names }));
      return NONE;
    }
    if (
      name === "export" ||
      name === "declare" ||
      name === "typeset" ||
      name === "local" ||
      name === "readonly"
    ) {
      const assigned = [...extra.assigns];
      // `export -n X`, `declare +x X`: X leaves the environment of every later command.
      const unexport =
        args.some((a) => a.text === "-n" && name === "export") || args.some((a) => a.text === "+x");
      const unsets = unexport
        ? args.filter((a) => !/^[-+]/.test(a.text ?? "-")).map((a) => a.text!.split("=")[0]!)
        : [];
      const nameref = name !== "export" && args.some((a) => /^-[a-zA-Z]*n/.test(a.text ?? ""));
      for (const a of args) {
        const eq = a.text?.indexOf("=") ?? -1;
        if (a.text !== undefined && eq > 0 && /^[A-Za-z_][A-Za-z0-9_]*$/.test(a.text.slice(0, eq))) {
          const k = a.text.slice(0, eq);
          const v = a.text.slice(eq + 1);
          if (nameref) f.env.namerefs.set(k, v);
          else f.env.vars.set(k, v);
          assigned.push({ name: k, empty: v === "" });
          this.assignedCode(k, v, f);
        } else if (a.text === undefined) {
          const k = /^([A-Za-z_][A-Za-z0-9_]*)=/.exec(a.prefix)?.[1];
          if (k) {
            f.env.vars.set(k, undefined);
            assigned.push({ name: k, empty: false });
            this.assignedCode(k, undefined, f);
          }
        }
      }
      const printing = args.every((a) => a.text?.startsWith("-"));
      this.judge(this.execOf(name, args, f, { ...extra, assigns: assigned, unsets }));
      return printing ? { kind: "environ" } : NONE;
    }

    // -- carriers: a shell, eval, source, an interpreter, trap, a remote shell
    if (SHELLS.has(name)) return this.shell(name, args, f, extra);
    if (name === "trap") {
      // `trap 'cmd' EXIT`: the action runs later, in this shell.
      this.judge(this.execOf(name, args, f, extra));
      const action = args.find((a) => a.text !== "--" && !/^-[lp]$/.test(a.text ?? ""));
      if (!action || action.text === "-" || action.text === "" || args.length < 2) return NONE;
      if (action.text !== undefined) return this.carry(action.text, { ...f, via });
      this.dynamicPayload([action]);
      return NONE;
    }
    if (name === "ssh" || name === "autossh") {
      // `ssh host 'cmd'`: the command runs on the host (maybe this one); judge it as if here.
      const exec = this.execOf(name, args, f, extra);
      this.judge(exec);
      const sshValue = "bcDEeFIiJLlmOoPpQRSWw";
      let i = 0;
      while (i < args.length && args[i]!.text?.startsWith("-")) {
        const a = args[i]!.text!;
        i += a.length === 2 && sshValue.includes(a[1]!) ? 2 : 1;
      }
      const rest = args.slice(i + 1);
      if (!rest.length) return { kind: "data" };
      if (rest.every((a) => a.text !== undefined))
        this.carry(rest.map((a) => a.text).join(" "), { ...f, via });
      else this.dynamicPayload(rest);
      return { kind: "data" };
    }
    if (name === "eval") {
      this.judge(this.execOf(name, [], f, extra));
      if (args.every((a) => a.text !== undefined))
        return this.withValues(extra, f, () => this.carry(args.map((a) => a.text).join(" "), { ...f, via }));
      this.dynamicPayload(args);
      return { kind: "data" };
    }
    if (name === "source" || name === ".") {
      this.judge(this.execOf(name, args, f, extra));
      const file = args[0];
      if (file) this.scriptFile(file, f, "shell");
      return NONE;
    }
    if (name === "nix-shell" || (name === "nix" && args[0]?.text === "develop")) {
      this.judge(this.execOf(name, args, f, extra));
      for (let i = 0; i < args.length; i++) {
        const t = args[i]!.text;
        if (t === "--run" || t === "--command" || (name === "nix" && (t === "-c" || t === "--command"))) {
          const rest = name === "nix" ? args.slice(i + 1) : args.slice(i + 1, i + 2);
          if (rest.every((a) => a.text !== undefined))
            this.carry(rest.map((a) => a.text).join(" "), { ...f, via });
          else this.dynamicPayload(rest);
          return { kind: "data" };
        }
      }
      return NONE;
    }
    if (name === "deno" && args[0]?.text === "eval") {
      this.judge(this.execOf(name, args, f, extra));
      const code = args.slice(1).find((a) => !a.text?.startsWith("-"));
      if (code?.text !== undefined) this.code("node", code.text, f, via);
      else if (code) this.dynamicPayload([code]);
      return { kind: "data" };
    }
    const lang = interpreterOf(name);
    if (lang) return this.interpreter(name, lang, args, f, extra);

    // -- wrappers: judge the wrapper itself, then what it runs
    if (C_STRING.has(name)) {
      const ci = args.findIndex(
        (a) => a.text === "-c" || a.text === "--command" || /^-[a-zA-Z]*c$/.test(a.text ?? ""),
      );
      this.judge(this.execOf(name, ci === -1 ? args.slice(0, 1) : args.slice(0, ci + 2), f, extra));
      if (ci !== -1) {
        const payload = args[ci + 1];
        if (payload?.text !== undefined) return this.carry(payload.text, { ...f, via });
        if (payload) this.dynamicPayload([payload]);
        return { kind: "data" };
      }
      if (name !== "flock") return NONE;
    }
    if (name === "command") {
      // `command -v x` looks x up; the options end at the first operand (`command rm -v` runs rm).
      const opts = args.slice(
        0,
        Math.max(
          0,
          args.findIndex((a) => !a.text?.startsWith("-")),
        ),
      );
      if (opts.some((a) => /^-[pvV]*[vV][pvV]*$/.test(a.text ?? ""))) return { kind: "data" };
    }
    if (name === "find") return this.find(args, f, extra);
    if (name === "tmux") {
      // new / new-window / split-window / run-shell / respawn-*: the last argument is a shell command; send-keys types one.
      this.judge(this.execOf(name, args, f, extra));
      const ci = args.findIndex((a) => a.text === "-c");
      if (ci !== -1 && args.slice(0, ci).every((a) => a.text?.startsWith("-"))) {
        // `tmux -c 'cmd'` runs the command with the default shell.
        const p = args[ci + 1];
        this.carryVal(p, { ...f, stdin: NONE, via });
        return NONE;
      }
      const sub = args.find((a) => !a.text?.startsWith("-"))?.text ?? "";
      if (/^(pipe-pane|pipep|if-shell|if)$/.test(sub)) {
        const rest = args
          .slice(args.findIndex((x) => x.text === sub) + 1)
          .filter((a) => !a.text?.startsWith("-"));
        for (const [k, a] of rest.entries()) {
          if (a.text === undefined) {
            this.dynamicPayload([a]);
            continue;
          }
          this.carry(a.text, { ...f, stdin: NONE, via });
          // if-shell's second and third arguments are tmux commands (`run-shell "..."`).
          if (sub.startsWith("if") && k > 0) this.carry(`tmux ${a.text}`, { ...f, stdin: NONE, via });
        }
        return NONE;
      }
      if (
        /^(new|new-session|neww|new-window|splitw|split-window|run|run-shell|respawnp|respawn-pane|respawnw|respawn-window|send|send-keys|display-popup|popup)$/.test(
          sub,
        )
      ) {
        // The command is what follows the subcommand's options (`new -s x -- rm -rf ~`), joined.
        const si = args.findIndex((a) => a.text === sub);
        let j = si + 1;
        while (j < args.length && args[j]!.text?.startsWith("-") && args[j]!.text !== "--")
          j += /^-[sntcxyeFfCEPSlwhpRTtb]$/.test(args[j]!.text!) ? 2 : 1;
        if (args[j]?.text === "--") j++;
        const restArgs = args.slice(j);
        const last =
          restArgs.length > 1 && restArgs.every((a) => a.text !== undefined)
            ? literal(restArgs.map((a) => a.text).join(" "))
            : (restArgs[0] ?? args[args.length - 1]!);
        const keys = sub.startsWith("send")
          ? args
              .slice(args.findIndex((a) => a.text === sub) + 1)
              .filter((a) => !a.text?.startsWith("-") && !/^(Enter|C-m|KPEnter)$/.test(a.text ?? ""))
          : [last];
        for (const k of keys) {
          if (k.text === sub || k.text?.startsWith("-")) continue;
          this.carryVal(k, { ...f, stdin: NONE, via });
        }
      }
      return NONE;
    }
    if (name === "watch") return this.watch(args, f, extra);
    const spec = WRAPPERS[name] ?? (C_STRING.has(name) ? { value: ["-w", "-E"], skip: 1 } : undefined);
    if (spec) {
      const { inner, flags, assigns, unsets, split, chdir } = this.unwrap(name, args, spec);
      this.judge(
        this.execOf(name, args.slice(0, args.length - inner.length), f, { ...extra, unsets }, flags),
      );
      if (split !== undefined) {
        return this.carry([split, ...inner.map((a) => a.raw)].join(" "), { ...f, via });
      }
      if (!inner.length) {
        if (name === "env" || name === "printenv") return { kind: "environ" };
        return NONE;
      }
      const more: Extra = { ...extra, assigns: [...extra.assigns, ...assigns] };
      for (const a of assigns) this.assignedCode(a.name, a.value, f);
      if (name === "npx" && /^(@[^/@\s]+\/)?[^@\s]+@./.test(inner[0]?.text ?? ""))
        this.hits.push({ id: "gate-package-add" });
      if (name === "xargs") {
        // xargs appends what it reads on stdin: the words of a known text, else operands nobody knows yet.
        const replace = flags.find(
          (x) => x.startsWith("-I") || x.startsWith("--replace") || x.startsWith("-i"),
        );
        if (replace) {
          const token =
            replace === "-I"
              ? (args[args.findIndex((a) => a.text === "-I") + 1]?.text ?? "{}")
              : replace.startsWith("-I")
                ? replace.slice(2)
                : "{}";
          const swapped = inner.map((a) =>
            a.text?.includes(token) ? { ...dynamicVal(a.raw), subOut: f.stdin.kind } : a,
          );
          return this.runArgv(swapped, { ...f, stdin: NONE, via }, more);
        }
        if (f.stdin.kind === "text" && f.stdin.text !== undefined) {
          const words = f.stdin.text.split(/\s+/).filter(Boolean).slice(0, 64).map(literal);
          return this.runArgv([...inner, ...words], { ...f, stdin: NONE, via }, more);
        }
        const dyn: Val = dynamicVal("ARGS");
        return this.runArgv([...inner, dyn], { ...f, stdin: NONE, via }, more);
      }
      if (chdir !== undefined) {
        // `env -C / rm -rf etc`: the command runs in another directory.
        const saved = f.env.cwd;
        f.env.cwd = resolveAbs(chdir, saved);
        try {
          return this.runArgv(inner, { ...f, via }, more);
        } finally {
          f.env.cwd = saved;
        }
      }
      return this.runArgv(inner, { ...f, via }, more);
    }
    const sub = SUB_WRAPPERS[name];
    if (sub) {
      // `npm exec -- rm`, `uv run rm`, `bundle exec rm`: the program is judged itself, then what it runs.
      let i = 0;
      while (i < args.length && args[i]!.text?.startsWith("-"))
        i += sub.value.includes(args[i]!.text!) ? 2 : 1;
      if (args[i] && sub.subs.includes(args[i]!.text ?? "")) {
        let j = i + 1;
        while (j < args.length && args[j]!.text?.startsWith("-") && args[j]!.text !== "--") {
          const a = args[j]!.text!;
          if (a === "-c" || a === "--call") {
            const payload = args[j + 1];
            if (payload?.text !== undefined) return this.carry(payload.text, { ...f, via });
            if (payload) this.dynamicPayload([payload]);
            return { kind: "data" };
          }
          j += sub.value.includes(a) ? 2 : 1;
        }
        // The program itself, with its options (`npm exec --package=x`), is judged too.
        this.judge(this.execOf(name, args.slice(0, j), f, extra));
        if (args[j]?.text === "--") j++;
        j += sub.skip ?? 0;
        const inner = args.slice(j);
        if (inner.length) return this.runArgv(inner, { ...f, via }, extra);
        return NONE;
      }
    }
    const exec = this.execOf(name, args, f, extra);
    this.judge(exec);
    this.runsWritten(name, exec, f);
    if (AWKS.has(name)) this.awk(args, f, via);
    if (name === "git") this.gitCarriers(exec, args, f, via);
    if ((name === "make" || name === "gmake") && exec.flags.size) {
      for (let i = 0; i < args.length; i++) {
        const t = args[i]!.text;
        const text =
          t === "--eval" || t === "-E"
            ? args[i + 1]?.text
            : t?.startsWith("--eval=")
              ? t.slice(7)
              : undefined;
        if (text !== undefined) this.carry(text.replace(/^[^:\n]*::?/, ""), { ...f, via });
      }
    }
    if ((name === "ed" || name === "ex") && f.stdin.kind === "text") {
      // ed runs `!cmd` lines, and writes its file.
      for (const line of (f.stdin.text ?? "").split("\n").slice(0, 256))
        if (line.startsWith("!")) this.carry(line.slice(1), { ...f, stdin: NONE, via });
        else {
          const m = /^[0-9,.$;'a-z+-]*[wWreE]\s*!(.*)$/.exec(line);
          if (m) this.carry(m[1]!, { ...f, stdin: NONE, via });
        }
      this.judge({ ...exec, writes: exec.reads, reads: [] });
    }
    const lftpC = name === "lftp" ? args[args.findIndex((a) => a.text === "-c") + 1]?.text : undefined;
    if (
      (name === "sftp" || name === "ftp" || name === "lftp") &&
      (f.stdin.kind === "text" || lftpC !== undefined)
    ) {
      // Batch commands on stdin (or lftp -c): `put FILE` sends a file out, `!cmd` runs a command here.
      const reads: PathRef[] = [];
      const batch = lftpC !== undefined && args.some((a) => a.text === "-c") ? lftpC : (f.stdin.text ?? "");
      for (const line of batch.split(/[\n;]/).slice(0, 256)) {
        const m = /^\s*m?put\s+(\S+)/.exec(line);
        if (m) reads.push(this.path(literal(expandHomeLiteral(m[1]!, this.ctx.home)), f));
        if (line.trimStart().startsWith("!"))
          this.carry(line.trimStart().slice(1), { ...f, stdin: NONE, via });
      }
      if (reads.length) this.judge({ ...exec, reads });
    }
    const opaque = OPAQUE_CODE[name];
    if (opaque) {
      const inline = args.some(
        (a) =>
          opaque.includes(a.text ?? "") || opaque.some((o) => o.length > 2 && a.text?.startsWith(`${o}=`)),
      );
      const fromStdin = f.stdin.kind !== "none" && !args.some((a) => !a.text?.startsWith("-"));
      if (inline || fromStdin) this.raise("gate-opaque-code");
    }
    if (name === "sed" || name === "gsed") this.sedScript(args, exec, f);
    if ((name === "make" || name === "gmake") && exec.flags.size) {
      const fi = args.findIndex((a) => a.text === "-f" || a.text === "--file" || a.text === "--makefile");
      if (fi !== -1 && args[fi + 1]) this.scriptFile(args[fi + 1]!, f, "shell");
    }
    return this.outOf(name, args, exec, f.stdin);
  }

  /** git subcommands that run a command string: rebase -x, submodule foreach, bisect run, difftool -x, filter-branch. */
  private gitCarriers(exec: Exec, args: Val[], f: Frame, via: string[]): void {
    const sub = exec.positionals[0];
    const after = (opts: string[]) => {
      for (let i = 0; i < args.length; i++) {
        const t = args[i]!.text;
        if (t === undefined) continue;
        if (opts.includes(t)) {
          const v = args[i + 1];
          this.carryVal(v, { ...f, stdin: NONE, via });
        }
        for (const o of opts)
          if (o.startsWith("--") && t.startsWith(`${o}=`))
            this.carry(t.slice(o.length + 1), { ...f, stdin: NONE, via });
      }
    };
    if (sub === "rebase") {
      after(["-x", "--exec"]);
      // `-ix CMD`: a cluster ending in x takes the next argument.
      for (let i = 0; i < args.length; i++)
        if (/^-[a-zA-Z]+x$/.test(args[i]!.text ?? "") && args[i + 1]?.text !== undefined)
          this.carry(args[i + 1]!.text!, { ...f, stdin: NONE, via });
    } else if (sub === "clone" || sub === "fetch" || sub === "pull" || sub === "ls-remote")
      after(["-u", "--upload-pack"]);
    else if (sub === "difftool" || sub === "mergetool") after(["-x", "--extcmd", "-t", "--tool"]);
    else if (sub === "filter-branch")
      after([
        "--env-filter",
        "--tree-filter",
        "--index-filter",
        "--parent-filter",
        "--msg-filter",
        "--commit-filter",
        "--tag-name-filter",
      ]);
    else if (sub === "submodule" && exec.positionals.includes("foreach")) {
      const i = args.findIndex((a) => a.text === "foreach");
      const rest = args
        .slice(i + 1)
        .filter((a) => a.text !== "--recursive" && a.text !== "-q" && a.text !== "--quiet");
      if (rest.every((a) => a.text !== undefined))
        this.carry(rest.map((a) => a.text).join(" "), { ...f, stdin: NONE, via });
      else this.dynamicPayload(rest);
    } else if (sub === "bisect" && exec.positionals[1] === "run") {
      const i = args.findIndex((a) => a.text === "run");
      const rest = args.slice(i + 1);
      if (rest.length) this.runArgv(rest, { ...f, stdin: NONE, via }, emptyExtra());
    }
  }

  /** `npm run x` after writing package.json, `make` after writing a Makefile: the file runs. */
  private runsWritten(name: string, exec: Exec, f: Frame): void {
    const cwd = f.env.cwd;
    if (cwd === undefined) return;
    const files =
      name === "npm" || name === "yarn" || name === "pnpm" || name === "bun"
        ? ["package.json"]
        : name === "make" || name === "gmake"
          ? ["Makefile", "makefile", "GNUmakefile"]
          : name === "just"
            ? ["justfile", "Justfile"]
            : [];
    for (const file of files) {
      const how = f.env.written.get(posix.join(cwd, file));
      if (how) this.raiseWritten(how);
    }
    // A fetched directory (`git clone x && cd x && make`), or a code file written in this command.
    const spec = RUNNERS[name];
    const runs = spec === true || spec?.includes(exec.positionals[0] ?? "") === true;
    if (runs || (name === "npm" && exec.positionals.length === 0)) {
      if ([...f.env.fetchedDirs].some((d) => cwd === d || cwd.startsWith(`${d}/`)))
        this.raise("gate-download-exec");
    }
    // `npm pkg set scripts.x=...`, `npm set-script`: package.json is written.
    if (
      name === "npm" &&
      (exec.positionals[0] === "set-script" ||
        (exec.positionals[0] === "pkg" && ["set", "delete"].includes(exec.positionals[1] ?? "")))
    )
      this.remember(posix.join(cwd, "package.json"), "write", f);
  }

  /** awk: `system("...")`, `"cmd" | getline`, `print | "cmd"` run shell commands. */
  private awk(args: Val[], f: Frame, via: string[]): void {
    let i = 0;
    while (i < args.length && args[i]!.text?.startsWith("-")) {
      const a = args[i]!.text!;
      if (a === "-f" || a === "--file") {
        const src = args[i + 1]?.text;
        if ((src === "/dev/stdin" || src === "-") && f.stdin.kind === "text") {
          this.awk([literal(f.stdin.text ?? "")], { ...f, stdin: NONE }, via);
        } else if (src === "/dev/stdin" || src === "-") this.raise("gate-stdin-to-shell");
        else if (args[i + 1]) this.scriptFile(args[i + 1]!, f, "shell");
        return;
      }
      i += a === "-F" || a === "-v" || a === "--assign" || a === "--field-separator" ? 2 : 1;
    }
    const prog = args[i];
    if (!prog) return;
    if (prog.text === undefined) {
      this.dynamicPayload([prog]);
      return;
    }
    const code = prog.text;
    // `print "x" > "/home/agent/.bashrc"`: awk writes the file.
    const writes = [...code.matchAll(/(?:print|printf)[^;}\n]*?>>?\s*"([^"]+)"/g)].map((m) =>
      this.path(literal(m[1]!), f),
    );
    if (writes.length) this.judge({ ...this.execOf("awk", [], f, emptyExtra()), writes });
    for (const w of writes) if (w.abs) this.remember(w.abs, "write", f);
    if (!/system\s*\(|\|\s*getline|\|&|print[^;}\n]*\|/.test(code)) return;
    const literals = [...code.matchAll(/"((?:[^"\\\n]|\\.)*)"/g)].map((m) => m[1]!.replace(/\\(.)/g, "$1"));
    if (!literals.length) this.raise("gate-dynamic-payload");
    for (const l of literals.slice(0, 32)) this.carry(l, { ...f, stdin: { kind: "data" }, via });
    if (/system\s*\(\s*[^"\s]/.test(code)) this.raise("gate-dynamic-payload");
  }

  /** sed: the `e` command and the `e` flag run shell commands (GNU); `w FILE` writes a file. */
  private sedScript(args: Val[], exec: Exec, f: Frame): void {
    const scripts: Val[] = [];
    let explicit = false;
    for (let i = 0; i < args.length; i++) {
      const a = args[i]!.text;
      if (a === "-e" || a === "--expression") {
        explicit = true;
        if (args[i + 1]) scripts.push(args[i + 1]!);
        i++;
      } else if (a?.startsWith("--expression=")) {
        explicit = true;
        scripts.push(literal(a.slice(13)));
      }
    }
    if (!explicit) {
      const first = args.find((a) => !a.text?.startsWith("-"));
      if (first) scripts.push(first);
    }
    for (const sc of scripts) {
      if (sc.text === undefined) continue;
      const t = sc.text;
      if (/(^|[\s;{}\d$/!])e(\s|;|$)/.test(t) || /\/[gpiImM0-9w]*e[gpiImM0-9]*(\s|;|}|$)/.test(t))
        this.raise("gate-dynamic-payload");
      for (const m of t.matchAll(/(?:^|[\s;{}\d$/!])[wW]\s+([^\s;}]+)/g))
        exec.writes.push(this.path(literal(expandHomeLiteral(m[1]!, this.ctx.home)), f));
      for (const m of t.matchAll(/(?:^|[\s;{}\d$/!])[rR]\s+([^\s;}]+)/g))
        exec.reads.push(this.path(literal(expandHomeLiteral(m[1]!, this.ctx.home)), f));
    }
    if (exec.writes.length || exec.reads.length) this.judge(exec);
    for (const w of exec.writes) if (w.abs) this.remember(w.abs, "write", f);
  }

  /** What a command writes to stdout, for the next stage. */
  private outOf(name: string, args: Val[], exec: Exec, stdin: Out): Out {
    if (FETCHERS.has(name)) {
      if (fetchToStdout(name, args)) return { kind: "fetch" };
      const toFile =
        name === "curl"
          ? exec.flags.has("-o") ||
            exec.flags.has("--output") ||
            exec.flags.has("-O") ||
            exec.flags.has("--remote-name")
          : name === "wget"
            ? !args.some(
                (a) =>
                  a.text === "-" || a.text === "-O-" || a.text === "-qO-" || a.text === "--output-document=-",
              )
            : false;
      if (!toFile) return { kind: "fetch" };
      return NONE;
    }
    if (isDecoder(name, exec, args)) return { kind: "decoder" };
    if (name === "echo" || name === "printf") {
      if (args.every((a) => a.text !== undefined)) {
        const texts = args.map((a) => a.text!);
        if (name === "echo") {
          const flags = texts.filter((x) => /^-[neE]+$/.test(x));
          const rest = texts.slice(flags.length);
          if (flags.some((x) => x.includes("e")) && rest.some((x) => x.includes("\\")))
            return { kind: "decoder" };
          return { kind: "text", text: rest.join(" ") };
        }
        const fmt = texts[0] ?? "";
        if (/\\[0-7xuU]|%b/.test(fmt)) return { kind: "decoder" };
        if (!fmt.includes("%") || fmt === "%s" || fmt === "%s\\n") {
          return {
            kind: "text",
            text: fmt.includes("%") ? texts.slice(1).join("") : fmt.replace(/\\n/g, "\n"),
          };
        }
      }
      return { kind: "data" };
    }
    if (ENV_DUMPERS.has(name) && exec.positionals.length === 0) return { kind: "environ" };
    if (
      exec.reads.some(
        (r) => r.classes.has("credential") || r.classes.has("secret-file") || r.classes.has("home"),
      )
    )
      return { kind: "credential" };
    // `cat <<EOF | sh`: cat passes a known text through.
    if (
      stdin.kind === "text" &&
      (name === "cat" || name === "tee") &&
      (name === "tee" || exec.positionals.length === 0)
    )
      return stdin;
    if (exec.stdin === "fetch" && (name === "tee" || name === "cat")) return { kind: "fetch" };
    if (exec.stdin === "decoder" && (name === "tee" || name === "cat")) return { kind: "decoder" };
    if (
      (exec.stdin === "credential" || exec.stdin === "environ") &&
      ["tee", "cat", "base64", "gzip", "xxd", "tr", "sed", "awk", "grep", "head", "tail", "sort"].includes(
        name,
      )
    )
      return { kind: exec.stdin };
    return { kind: "data" };
  }

  /** Options of a wrapper, then the command it runs. */
  private unwrap(
    name: string,
    args: Val[],
    spec: WrapperSpec,
  ): {
    inner: Val[];
    flags: string[];
    assigns: { name: string; empty: boolean; value?: string }[];
    unsets: string[];
    split?: string;
    chdir?: string;
  } {
    let chdir: string | undefined;
    const flags: string[] = [];
    const assigns: { name: string; empty: boolean; value?: string }[] = [];
    const unsets: string[] = [];
    let split: string | undefined;
    let i = 0;
    while (i < args.length) {
      const a = args[i]!.text;
      if (a === undefined) break;
      if (a === "--") {
        i++;
        break;
      }
      if (name === "env" && /^[A-Za-z_][A-Za-z0-9_]*=/.test(a)) {
        const eq = a.indexOf("=");
        assigns.push({ name: a.slice(0, eq), empty: eq === a.length - 1, value: a.slice(eq + 1) });
        i++;
        continue;
      }
      if (name === "env" && a === "-") {
        // `env -` is `env -i`: an empty environment (the proxy settings go too).
        flags.push("-i");
        i++;
        continue;
      }
      if (!a.startsWith("-") || a === "-") break;
      const eq = a.indexOf("=");
      const key = a.startsWith("--") && eq > 0 ? a.slice(0, eq) : a;
      flags.push(key);
      // A cluster whose last letter takes a value (`screen -dmS name`, `sudo -nu root`).
      const takes =
        spec.value.includes(key) || (/^-[a-zA-Z]{2,}$/.test(a) && spec.value.includes(`-${a[a.length - 1]}`));
      const val = takes ? (key !== a ? a.slice(eq + 1) : args[i + 1]?.text) : undefined;
      if (name === "env" && (key === "-u" || key === "--unset") && val !== undefined) unsets.push(val);
      if (
        ((name === "env" && (key === "-C" || key === "--chdir")) ||
          ((name === "sudo" || name === "run0") && (key === "-D" || key === "--chdir"))) &&
        val !== undefined
      )
        chdir = val;
      if (spec.shell?.includes(key)) {
        split = val ?? "";
        i += key !== a ? 1 : 2;
        return { inner: args.slice(i), flags, assigns, unsets, split, chdir };
      }
      if (name === "env" && (key === "-S" || key === "--split-string")) {
        split = val ?? "";
        i += key !== a ? 1 : 2;
        return { inner: args.slice(i), flags, assigns, unsets, split, chdir };
      }
      if (name === "env" && /^-[^-]*u./.test(a) && !takes) unsets.push(a.slice(a.indexOf("u") + 1));
      if (name === "env" && /^-[^-]*S./.test(a) && !takes) {
        return { inner: args.slice(i + 1), flags, assigns, unsets, split: a.slice(a.indexOf("S") + 1) };
      }
      i += takes && key === a ? 2 : 1;
    }
    for (let k = 0; k < (spec.skip ?? 0) && i < args.length; k++) i++;
    return { inner: args.slice(i), flags, assigns, unsets, split, chdir };
  }

  private carry(text: string, f: Frame): Out {
    if (f.depth >= GATE_LIMITS.maxCarrierDepth) throw new Budget();
    this.parsed += text.length;
    if (this.parsed > GATE_LIMITS.maxParsed) throw new Budget();
    let out: Out = NONE;
    variants(text).forEach((v, i) => {
      const o = this.script(parseScript(v), { ...f, depth: f.depth + 1 });
      if (i === 0) out = o;
    });
    return out;
  }

  private dynamicPayload(args: Val[]): void {
    this.raise("gate-dynamic-payload");
    if (args.some((a) => a.subOut === "fetch")) this.raise("gate-fetch-to-shell");
    if (args.some((a) => a.subOut === "decoder")) this.raise("gate-decode-to-shell");
  }

  /** A shell: `-c STRING`, a script file, or a script on stdin. */
  private shell(name: string, args: Val[], f: Frame, extra: Extra): Out {
    const via = [...f.via, name];
    this.judge(this.execOf(name, args, f, extra));
    let i = 0;
    let cflag = false;
    let stdinMode = false;
    while (i < args.length) {
      const a = args[i]!.text;
      if (a === undefined) break;
      if (a === "--" || a === "-") {
        i++;
        if (a === "-") stdinMode = true;
        break;
      }
      if (/^[-+][A-Za-z]/.test(a) && !a.startsWith("--")) {
        if (a.slice(1).includes("c")) cflag = true;
        if (a.slice(1).includes("s")) stdinMode = true;
        i += a === "-o" || a === "+o" || a === "-O" || a === "+O" ? 2 : 1;
        continue;
      }
      if (a.startsWith("--")) {
        i += a === "--rcfile" || a === "--init-file" ? 2 : 1;
        continue;
      }
      break;
    }
    if (cflag) {
      const payload = args[i];
      if (!payload) return NONE;
      if (payload.text !== undefined) return this.carry(payload.text, { ...f, stdin: f.stdin, via });
      this.dynamicPayload([payload]);
      return { kind: "data" };
    }
    const file = args[i];
    if (file && !stdinMode) {
      this.scriptFile(file, f, "shell");
      return { kind: "data" };
    }
    return this.fromStdin(f, via, (text) => this.carry(text, { ...f, stdin: NONE, via }));
  }

  /** A program reads code from its stdin: judge it by what flows in. */
  private fromStdin(f: Frame, via: string[], ofText: (text: string) => Out): Out {
    switch (f.stdin.kind) {
      case "none":
        return NONE;
      case "text":
        return ofText(f.stdin.text ?? "");
      case "fetch":
        this.raise("gate-fetch-to-shell");
        return { kind: "data" };
      case "decoder":
        this.raise("gate-decode-to-shell");
        return { kind: "data" };
      case "file": {
        // `bash < script.sh`: like `bash script.sh`.
        const how = f.stdin.text === undefined ? undefined : f.env.written.get(f.stdin.text);
        if (how) this.raiseWritten(how);
        return { kind: "data" };
      }
      default:
        void via;
        this.raise("gate-stdin-to-shell");
        return { kind: "data" };
    }
  }

  /** A script file given to a shell, `source` or an interpreter. */
  private scriptFile(file: Val, f: Frame, _kind: "shell" | InterpLang): void {
    if (file.procsub) {
      const out = this.script(file.procsub, { ...f, stdin: NONE });
      if (out.kind === "fetch") this.raise("gate-fetch-to-shell");
      else if (out.kind === "decoder") this.raise("gate-decode-to-shell");
      else if (out.kind === "text") this.carry(out.text ?? "", f);
      else this.raise("gate-dynamic-payload");
      return;
    }
    if (file.text === undefined) {
      this.dynamicPayload([file]);
      return;
    }
    if (
      file.text === "/dev/stdin" ||
      file.text === "-" ||
      file.text === "/proc/self/fd/0" ||
      file.text === "/dev/fd/0"
    ) {
      this.fromStdin(f, f.via, (text) => this.carry(text, { ...f, stdin: NONE }));
      return;
    }
    const abs = resolveAbs(file.text, f.env.cwd);
    const how = abs === undefined ? undefined : f.env.written.get(abs);
    if (how) this.raiseWritten(how);
    else if (abs !== undefined) {
      this.scratchScript(abs);
      this.fetchedScript(abs, f);
    }
  }

  /** Command substitutions inside a text that bash expands later (subscripts, prompt strings). */
  private latent(text: string, f: Frame): void {
    let parts: Part[];
    try {
      parts = parseHeredocBody(text);
    } catch {
      this.raise("gate-dynamic-payload");
      return;
    }
    for (const p of parts)
      if (p.type === "cmdsub") this.script(p.body, { ...f, stdin: NONE, via: [...f.via, "$()"] });
  }

  /** A program or script under a directory filled from the network in this command. */
  private fetchedScript(abs: string, f: Frame): void {
    if ([...f.env.fetchedDirs].some((d) => abs.startsWith(`${d}/`))) this.raise("gate-download-exec");
  }

  /** A program or script run from scratch or download space, where droppers land. */
  private scratchScript(abs: string): void {
    const classes = classifyPath(abs, this.ctx, this.policy.paths, this.ws);
    const downloads = abs.startsWith(`${this.ctx.home}/Downloads/`);
    if ((classes.has("temp") && !classes.has("workspace")) || downloads)
      this.raise("gate-run-scratch-script");
  }

  /** Variables whose value is a command a program runs (`GIT_SSH_COMMAND`, `PAGER`, `PROMPT_COMMAND`, ...). */
  private assignedCode(name: string, value: string | undefined, f: Frame): void {
    if (name === "PATH" && f.env.written.size) this.raise("gate-run-written-file");
    if (
      name === "NODE_OPTIONS" &&
      value !== undefined &&
      /(^|\s)(-r|--require|--import|--loader|--experimental-loader)\b/.test(value)
    )
      this.hits.push({ id: "gate-code-injection-env" });
    if (!COMMAND_VARS.has(name)) return;
    if (value === undefined) {
      this.raise("gate-dynamic-payload");
      return;
    }
    const cmd = name.startsWith("LESS") ? value.replace(/^\s*\|+/, "").replace(/%s/g, "f") : value;
    if (cmd.trim()) this.carry(cmd, { ...f, stdin: NONE, via: [...f.via, `$${name}`] });
  }

  /** An interpreter: a one-liner, a script file, a module, or code on stdin. */
  private interpreter(name: string, lang: InterpLang, args: Val[], f: Frame, extra: Extra): Out {
    const via = [...f.via, name];
    const codeFlags: Record<InterpLang, string[]> = {
      python: ["-c"],
      node: ["-e", "--eval", "-p", "--print"],
      perl: ["-e", "-E"],
      ruby: ["-e"],
      php: ["-r"],
    };
    const valueFlags: Record<InterpLang, string[]> = {
      python: ["-W", "-X", "--check-hash-based-pycs"],
      node: ["-r", "--require", "--import", "--loader", "--input-type", "--env-file", "--conditions", "-C"],
      perl: ["-I", "-M", "-m"],
      ruby: ["-r", "-I", "-C", "-E"],
      php: ["-d", "-c", "-f"],
    };
    const exec = this.execOf(name, args, f, extra);
    let i = 0;
    const codes: Val[] = [];
    let file: Val | undefined;
    let module: number | undefined;
    while (i < args.length) {
      const a = args[i]!.text;
      if (a === undefined) {
        file = args[i];
        break;
      }
      if (a === "--") {
        i++;
        file = args[i];
        break;
      }
      if (a === "-") break;
      if (!a.startsWith("-")) {
        file = args[i];
        break;
      }
      if (codeFlags[lang].includes(a)) {
        if (args[i + 1]) codes.push(args[i + 1]!);
        i += 2;
        if (lang === "python" || lang === "php") break;
        continue;
      }
      if (lang === "python" && a === "-m") {
        module = i + 1;
        break;
      }
      // Clustered short flags: perl -ne CODE, ruby -pe CODE, python -uc CODE.
      if (/^-[A-Za-z]+$/.test(a) && a.length > 2) {
        const last = `-${a[a.length - 1]}`;
        if (codeFlags[lang].includes(last)) {
          if (args[i + 1]) codes.push(args[i + 1]!);
          i += 2;
          continue;
        }
        if ((lang === "perl" || lang === "ruby") && a.includes("i")) exec.flags.add("-i");
      }
      if ((lang === "perl" || lang === "ruby") && a.startsWith("-i")) exec.flags.add("-i");
      i += valueFlags[lang].includes(a) ? 2 : 1;
    }
    if (module !== undefined) {
      const mod = args[module];
      if (!mod) return NONE;
      if (mod.text === undefined) {
        this.dynamicPayload([mod]);
        return { kind: "data" };
      }
      return this.runArgv(args.slice(module), { ...f, via }, extra);
    }
    if (exec.flags.has("-i") && (lang === "perl" || lang === "ruby")) {
      // In-place edits: the file operands after the code are written.
      const files = args.slice(i).filter((a) => a !== file || codes.length > 0);
      for (const a of files) exec.writes.push(this.path(a, f));
    }
    this.judge(exec);
    for (const c of codes) {
      if (c.text === undefined) this.dynamicPayload([c]);
      else this.code(lang, c.text, f, via);
    }
    if (codes.length) return { kind: "data" };
    if (file) {
      if (lang === "node" && file.text !== undefined && /^https?:/.test(file.text))
        this.raise("gate-fetch-to-shell");
      this.scriptFile(file, f, lang);
      return { kind: "data" };
    }
    return this.fromStdin(f, via, (text) => {
      this.code(lang, text, f, via);
      return { kind: "data" };
    });
  }

  /** Interpreter code, read as data: what it spawns, deletes, writes, reads and sends. */
  private code(lang: InterpLang, code: string, f: Frame, via: string[]): void {
    const facts = scanInterpreterCode(lang, code);
    for (const sh of facts.shell) this.carry(sh, { ...f, stdin: NONE, via });
    if (facts.dynamicSpawn || facts.dynamicDelete) this.raise("gate-dynamic-payload");
    if (facts.evaluates && (facts.network || /\bhttps?:\/\//.test(code))) this.raise("gate-fetch-to-shell");
    const ref = (p: string) => this.path(literal(p), f);
    // Code that builds paths from the home directory (HOME + '/.npmrc'): judge `/x` literals under it too.
    const home = this.ctx.home;
    const usesHome =
      facts.envNames.includes("HOME") || /homedir|expanduser|Path\.home|Dir\.home|USERPROFILE/.test(code);
    const withHome = (ps: string[]) =>
      ps.flatMap((p) => {
        const e = expandHomeLiteral(p, home);
        return usesHome && e.startsWith("/") && !e.startsWith(home) ? [e, home + e] : [e];
      });
    if (facts.evaluates && facts.shell.some((sh) => /\b(curl|wget|fetch)\b/.test(sh)))
      this.raise("gate-fetch-to-shell");
    // A process or eval facility named, but no call the scan could read (`cp["ex"+"ecSync"]`,
    // `$f="sys"."tem"; $f(...)`, `getattr(os, n)`): the call is built at run time.
    const processApi =
      /child_process|subprocess|os\.system|os\.popen|os\.exec|Process\.spawn|IO\.popen|Kernel\.|proc_open|shell_exec|passthru|Bun\.spawn|Deno\.Command|globalThis\s*\[|\beval\b|getattr\s*\(|__import__/.test(
        code,
      );
    const computedCall = /\[\s*["'`][^\]]*["'`]\s*\+|\$[A-Za-z_]\w*\s*\(|\[[A-Za-z_$][\w$]*\]\s*\(/.test(
      code,
    );
    if (processApi && computedCall && !facts.shell.length && !facts.dynamicSpawn)
      this.raise("gate-dynamic-payload");
    // PHP calls a function named by a variable (`$f="sys"."tem"; $f(...)`): what runs is built at run time.
    if (lang === "php" && /\$[A-Za-z_]\w*\s*\(/.test(code)) this.raise("gate-dynamic-payload");
    // eval of code built at run time: decoded (base64, hex, pack) or otherwise not a literal the scan read.
    if (facts.evaluates && !facts.network && !/\bhttps?:\/\//.test(code)) {
      if (
        /b64decode|b32decode|atob\s*\(|Buffer\.from|fromhex|unhexlify|base64_decode|hex2bin|gzinflate|str_rot13|\bpack\b|unpack|decode\s*\(|codecs\.|decompress|fromCharCode|String\.fromCodePoint/.test(
          code,
        )
      )
        this.raise("gate-decode-to-shell");
      else this.raise("gate-dynamic-payload");
    }
    // Sensitive home files named in code that builds home paths (homedir() + "/.bashrc", `${HOME}/.ssh`).
    const homeNamed: string[] = [];
    if (
      usesHome ||
      /\$ENV\{HOME\}|ENV\[["']HOME|getenv\(["']HOME|process\.env\.HOME|\$\{HOME\}|\$HOME/.test(code)
    ) {
      const data = this.policy.paths;
      for (const e of [...data.credential.home, ...data.persistence.home, ...data.agentConfig.home]) {
        const name = e.replace(/\/$/, "");
        if (name.length > 2 && code.includes(name)) homeNamed.push(posix.join(home, name));
      }
    }
    const writesCode =
      facts.writes.length > 0 ||
      facts.deletes.length > 0 ||
      /write|append|open\s*\(|>>|unlink|rmtree|remove/i.test(code);
    const reverse =
      facts.network &&
      (facts.shell.length > 0 || facts.dynamicSpawn || /\b(pty\.spawn|dup2|fsockopen|os\.exec)/.test(code));
    const secretNames = facts.envNames.filter((n) => SECRET_NAME.test(n));
    if (facts.readsEnv && facts.envNames.length === 0) secretNames.push("(environment)");
    const exec: Exec = {
      name: lang,
      flags: new Set(["-r", "-f"]),
      positionals: [],
      text: "",
      deletes: [
        ...withHome(facts.deletes),
        ...(facts.deletes.length || /rmtree|unlink|remove|rm_rf|rmSync/.test(code) ? homeNamed : []),
      ].map(ref),
      writes: [...withHome(facts.writes), ...(writesCode ? homeNamed : [])].map(ref),
      reads: [
        ...withHome(facts.paths).map(ref),
        ...homeNamed.map(ref),
        ...(reverse ? [{ abs: undefined, classes: new Set<PathClass>(["network"]), text: "socket" }] : []),
      ],
      stdin: "none",
      assigns: [],
      unsets: [],
      secretRefs: secretNames,
      via,
      net: facts.network,
    };
    this.judge(exec);
    for (const w of exec.writes) if (w.abs) this.remember(w.abs, "write", f);
  }

  /** find: its roots, then -delete and -exec (whose command runs once per match). */
  private find(args: Val[], f: Frame, extra: Extra): Out {
    const via = [...f.via, "find"];
    let i = 0;
    // Options before the roots: -L follows symbolic links (into whatever they point at).
    let follow = false;
    while (i < args.length && /^-([HLP]|O\d?|D)$/.test(args[i]!.text ?? "")) {
      if (args[i]!.text === "-L") follow = true;
      i += args[i]!.text === "-D" ? 2 : 1;
    }
    const roots: Val[] = [];
    while (i < args.length && args[i]!.text !== undefined && !/^[-(!]/.test(args[i]!.text!))
      roots.push(args[i++]!);
    if (i < args.length && args[i]!.text === undefined) roots.push(args[i++]!);
    const exec = this.execOf("find", [], f, extra);
    exec.reads.push(...roots.map((r) => this.path(r, f)));
    if (follow && f.env.links.size) {
      // With -L the links under a root are walked into: their targets are roots too.
      const rootAbs = (roots.length ? roots : [literal(".")]).map((r) => resolveAbs(r.text ?? "", f.env.cwd));
      for (const [link, target] of f.env.links)
        if (rootAbs.some((r) => r !== undefined && (link === r || link.startsWith(`${r}/`))))
          roots.push(literal(target));
    }
    if (!roots.length) exec.reads.push(this.path(literal("."), f));
    for (let j = i; j < args.length; j++) {
      const a = args[j]!.text;
      if (a === "-delete") {
        exec.flags.add("-delete");
        exec.flags.add("-r");
        // It deletes what matches under its roots, not the roots themselves.
        for (const r of roots.length ? roots : [literal(".")]) {
          const ref = this.path(r, f);
          ref.classes.delete("workspace-root");
          exec.deletes.push(ref);
        }
      }
      if (a === "-fprint" || a === "-fprint0" || a === "-fls" || a === "-fprintf") {
        const target = args[j + 1];
        if (target) exec.writes.push(this.path(target, f));
      }
      if (a === "-exec" || a === "-execdir" || a === "-ok" || a === "-okdir") {
        let k = j + 1;
        const inner: Val[] = [];
        while (k < args.length && args[k]!.text !== ";" && args[k]!.text !== "+") {
          const v = args[k]!;
          // `{}` is each match: a path under find's root when there is one root, else unknown.
          const root = roots.length === 1 ? roots[0]!.text : roots.length === 0 ? "." : undefined;
          inner.push(
            v.text?.includes("{}")
              ? { ...dynamicVal(v.raw), prefix: root === undefined ? "" : `${root.replace(/\/+$/, "")}/` }
              : v,
          );
          k++;
        }
        if (inner.length) this.runArgv(inner, { ...f, stdin: NONE, via }, emptyExtra());
        j = k;
      }
    }
    this.judge(exec);
    return { kind: "data" };
  }

  /** watch: the rest of the line is a shell command (or, with -x, an argv). */
  private watch(args: Val[], f: Frame, extra: Extra): Out {
    const via = [...f.via, "watch"];
    this.judge(this.execOf("watch", [], f, extra));
    const value = new Set(["-n", "--interval", "-d", "-q", "--equexit", "--differences", "-s", "--shell"]);
    let i = 0;
    let execForm = false;
    while (i < args.length) {
      const a = args[i]!.text;
      if (a === undefined || !a.startsWith("-")) break;
      if (a === "-x" || a === "--exec") execForm = true;
      i += value.has(a) && a !== "-d" ? 2 : 1;
    }
    const rest = args.slice(i);
    if (!rest.length) return NONE;
    if (execForm) return this.runArgv(rest, { ...f, via }, emptyExtra());
    if (rest.every((a) => a.text !== undefined))
      return this.carry(rest.map((a) => a.text).join(" "), { ...f, via });
    this.dynamicPayload(rest);
    return { kind: "data" };
  }

  // ---- facts and judgement

  /** The facts about one command: its flags, operands, what it deletes, writes and reads. */
  private execOf(name: string, args: Val[], f: Frame, extra: Extra, extraFlags: string[] = []): Exec {
    const flags = new Set<string>(extraFlags);
    const positionals: (string | undefined)[] = [];
    const operands: Val[] = [];
    const atRefs: Val[] = [];
    const secrets = [...extra.secrets];
    const globals = VALUE_OPTS[name];
    let endOpts = false;
    for (let i = 0; i < args.length; i++) {
      const a = args[i]!;
      secrets.push(...a.secrets);
      // `dig $(base64 < ~/.aws/credentials).x`: the output of a credential read in an argument.
      if (a.subOut === "credential" || a.subOut === "environ") secrets.push("(credential output)");
      const t = a.text;
      if (t !== undefined && !endOpts && t === "--") {
        endOpts = true;
        continue;
      }
      if (t !== undefined && !endOpts && t.length > 1 && t.startsWith("-")) {
        if (t.startsWith("--")) {
          const eq = t.indexOf("=");
          flags.add(eq > 0 ? t.slice(0, eq) : t);
          if (eq > 0) {
            const v = t.slice(eq + 1);
            if (v.startsWith("@")) atRefs.push(literal(v.slice(1)));
            else if (
              (v.includes("/") || v.startsWith("~") || v.startsWith(".")) &&
              !WRITE_OPTS[name]?.includes(t.slice(0, eq))
            )
              operands.push({ ...a, text: v, prefix: v });
          }
          if (globals?.includes(t)) i++;
        } else if (startsWithShortFlag(t)) {
          for (const ch of t.slice(1)) flags.add(`-${ch}`);
          if (globals?.includes(t)) i++;
        } else flags.add(t);
        continue;
      }
      if (t?.startsWith("@") && t.length > 1) atRefs.push({ ...a, text: t.slice(1), prefix: t.slice(1) });
      const at = t?.indexOf("=@") ?? -1;
      if (t !== undefined && at > 0) atRefs.push({ ...a, text: t.slice(at + 2), prefix: t.slice(at + 2) });
      if (t !== undefined && (t.startsWith("of=") || t.startsWith("if="))) {
        const p = { ...a, text: t.slice(3), prefix: t.slice(3) };
        if (t.startsWith("of=")) extra = { ...extra, writes: [...extra.writes, this.path(p, f)] };
        else atRefs.push(p);
        continue;
      }
      positionals.push(t);
      operands.push(a);
    }
    // Values of value-taking flags are not packages or paths, but for the roles below keep them as operands.
    const deletes: PathRef[] = [];
    const writes: PathRef[] = [...extra.writes];
    const reads: PathRef[] = [...extra.reads];
    // At most 1024 operands are classified one by one; more are one unknown path.
    const refs = operands.slice(0, 1024).map((o) => this.path(o, f));
    if (operands.length > 1024)
      refs.push({ abs: undefined, classes: new Set<PathClass>(["dynamic"]), text: "..." });
    const isNet = NETWORK.has(name);
    if (
      (name === "tar" || name === "gtar" || name === "bsdtar") &&
      (flags.has("-c") || flags.has("--create") || /^[a-z]*c[a-z]*f$/.test(args[0]?.text ?? ""))
    ) {
      // `tar czf x.tgz ~`: the archive after -f (or in a bundled first word) is written.
      for (let i = 0; i < args.length; i++) {
        const t = args[i]!.text ?? "";
        if ((/^-?[a-zA-Z]*f$/.test(t) && !t.startsWith("--")) || t === "--file") {
          if (args[i + 1]?.text !== undefined && args[i + 1]!.text !== "-")
            writes.push(this.path(args[i + 1]!, f));
          break;
        }
        if (t.startsWith("--file=")) {
          writes.push(this.path(literal(t.slice(7)), f));
          break;
        }
      }
    }
    const destOpts = WRITE_OPTS[name];
    if (destOpts) {
      for (let i = 0; i < args.length; i++) {
        const t = args[i]!.text;
        if (t === undefined) continue;
        const eq = t.indexOf("=");
        if (destOpts.includes(t) && args[i + 1]) {
          const dir = this.path(args[i + 1]!, f);
          writes.push(dir);
          // `cp -t ~/.ssh authorized_keys`: the operands land in the directory under their own names.
          if ((t === "-t" || t === "--target-directory") && dir.abs !== undefined)
            for (const o of operands)
              if (o.text !== undefined)
                writes.push(this.path(literal(posix.join(dir.abs, posix.basename(o.text))), f));
        } else if (eq > 0 && destOpts.includes(t.slice(0, eq))) {
          const dir = this.path(literal(t.slice(eq + 1)), f);
          writes.push(dir);
          if (t.startsWith("--target-directory=") && dir.abs !== undefined)
            for (const o of operands)
              if (o.text !== undefined)
                writes.push(this.path(literal(posix.join(dir.abs, posix.basename(o.text))), f));
        }
      }
    }
    if (
      name === "rsync" &&
      [...flags].some((x) => x.startsWith("--delete") || x === "--remove-source-files")
    ) {
      const dest = operands[operands.length - 1];
      if (dest && !/^[^/]*:/.test(dest.text ?? "")) deletes.push(this.path(dest, f));
    }
    if (DELETERS.has(name)) deletes.push(...refs);
    else if (name === "mv" && refs.length >= 2) {
      deletes.push(...refs.slice(0, -1));
      writes.push(refs[refs.length - 1]!);
    } else if (LAST_WRITTEN.has(name) && refs.length >= 2) {
      reads.push(...refs.slice(0, -1));
      const dest = refs[refs.length - 1]!;
      const destText = operands[operands.length - 1]!.text ?? "";
      if (!(name === "scp" || name === "rsync") || !/^[^/]*:/.test(destText)) {
        writes.push(dest);
        // Into a directory (`cp -r /tmp/evil/.claude .`): each source lands under its own name.
        if (
          name !== "ln" &&
          dest.abs !== undefined &&
          (/^\.{1,2}\/?$/.test(destText) || destText.endsWith("/"))
        ) {
          for (const src of operands.slice(0, -1)) {
            const base = src.text === undefined ? undefined : posix.basename(src.text.replace(/^[^/]*:/, ""));
            if (base && base !== "." && base !== "..")
              writes.push(this.path(literal(posix.join(dest.abs, base)), f));
          }
        }
      }
    } else if (name === "ln" && refs.length === 1) reads.push(...refs);
    else if (ALL_WRITTEN.has(name)) writes.push(...refs);
    else if (MODE_FIRST.has(name)) writes.push(...refs.slice(1));
    else if (
      (name === "sed" || name === "perl" || name === "ruby") &&
      (flags.has("-i") || [...flags].some((x) => x.startsWith("--in-place")))
    ) {
      const explicit = flags.has("-e") || flags.has("-f") || flags.has("--expression");
      writes.push(...(explicit ? refs : refs.slice(1)));
    } else if (!isNet || !startsWithScheme(operands[0]?.text ?? "")) reads.push(...refs);
    const lnDir =
      name === "ln" ? args.findIndex((a) => a.text === "-t" || a.text === "--target-directory") : -1;
    if (lnDir !== -1 && (flags.has("-s") || flags.has("--symbolic")) && args[lnDir + 1]?.text !== undefined) {
      // `ln -s ~ -t d`: each target is linked into d under its own name.
      const dir = resolveAbs(args[lnDir + 1]!.text!, f.env.cwd);
      for (const o of operands)
        if (dir !== undefined && o.text !== undefined)
          f.env.links.set(posix.join(dir, posix.basename(o.text)), expandHomeLiteral(o.text, this.ctx.home));
    } else if (name === "ln" && (flags.has("-s") || flags.has("--symbolic")) && operands.length >= 2) {
      const target = operands[0]!.text;
      const link = refs[refs.length - 1];
      const cwd = f.env.cwd;
      if (target !== undefined && link?.abs !== undefined) {
        const t = target.startsWith("/")
          ? posix.normalize(target)
          : target.startsWith("~")
            ? expandHomeLiteral(target, this.ctx.home)
            : cwd === undefined
              ? undefined
              : posix.join(posix.dirname(link.abs), target);
        if (t !== undefined) f.env.links.set(link.abs, t);
      }
    }
    if (name === "curl" || name === "wget") {
      const outFlags = name === "curl" ? ["-o", "--output"] : ["-O", "--output-document"];
      for (let i = 0; i < args.length; i++) {
        const t = args[i]!.text;
        if (t === undefined) continue;
        const long = outFlags.find((o) => o.startsWith("--") && t.startsWith(`${o}=`));
        if (long) writes.push(this.path({ ...args[i]!, text: t.slice(long.length + 1), prefix: "" }, f));
        else if (outFlags.includes(t) && args[i + 1]) writes.push(this.path(args[i + 1]!, f));
        else if (name === "curl" && /^-[a-zA-Z]*o$/.test(t) && args[i + 1])
          writes.push(this.path(args[i + 1]!, f));
        else if (name === "curl" && /^-[a-zA-Z]*o.+/.test(t) && !t.startsWith("--"))
          writes.push(this.path(literal(t.slice(t.indexOf("o") + 1)), f));
        else if (name === "wget" && /^-[a-zA-Z]*O$/.test(t) && args[i + 1])
          writes.push(this.path(args[i + 1]!, f));
        else if (name === "wget" && /^-[a-zA-Z]*O.+/.test(t) && t !== "-O-" && !t.endsWith("O-")) {
          const v = t.slice(t.indexOf("O") + 1);
          writes.push(this.path(literal(v), f));
        }
      }
      const url = operands.find((o) => o.text !== undefined && !o.text.startsWith("-"))?.text;
      const remoteName =
        name === "curl"
          ? flags.has("-O") || flags.has("--remote-name")
          : !writes.length &&
            !args.some((a) => /^-[a-zA-Z]*O/.test(a.text ?? "") || a.text?.startsWith("--output-document"));
      if (url && remoteName) {
        const base = posix.basename(url.replace(/[?#].*$/, "")) || "index.html";
        writes.push(this.path(literal(base), f));
      }
    }
    // `@~/x` is not expanded by the shell, but judge it as the home path it names (the safe mistake).
    for (const r of atRefs) {
      const t = r.text === undefined ? undefined : expandHomeLiteral(r.text, this.ctx.home);
      reads.push(this.path(t === r.text ? r : { ...r, text: t, prefix: t ?? "" }, f));
    }
    const sqlIn = DB_CLIENTS.has(name) && f.stdin.kind === "text" ? ` ${f.stdin.text ?? ""}` : "";
    const text = [...args.map((a) => a.text ?? ""), sqlIn].join(" ").toLowerCase();
    if (name === "printenv")
      for (const p of positionals) if (p !== undefined && SECRET_NAME.test(p)) secrets.push(p);
    const exec: Exec = {
      name,
      flags,
      positionals,
      text: ` ${text} `,
      deletes,
      writes,
      reads,
      stdin: f.stdin.kind,
      assigns: extra.assigns,
      unsets: extra.unsets ?? [],
      secretRefs: secrets,
      via: f.via,
      net: isNet,
    };
    if (name === "aria2c") {
      const url = operands.find((o) => o.text !== undefined && !o.text.startsWith("-"))?.text;
      if (url) writes.push(this.path(literal(posix.basename(url.replace(/[?#].*$/, "")) || "index.html"), f));
    }
    // Remember what this command writes: running it later in the same line is script indirection.
    // chmod, touch and mkdir change no content: `chmod +x x && ./x` runs what was there before.
    const remote =
      (name === "scp" || name === "rsync" || name === "sftp") &&
      operands.some((o) => /^[^/]*:/.test(o.text ?? ""));
    const how = FETCHERS.has(name) || remote || f.stdin.kind === "fetch" ? "fetch" : "write";
    if (!MODE_FIRST.has(name) && name !== "touch" && name !== "mkdir")
      for (const w of writes) if (w.abs) this.remember(w.abs, how, f);
    // A file made from credentials or the whole home (`tar czf x.tgz ~`) is itself a credential.
    if (
      reads.some((r) => r.classes.has("credential") || r.classes.has("secret-file") || r.classes.has("home"))
    )
      for (const w of writes) if (w.abs) f.env.tainted.add(w.abs);
    // An archive extracted from a download, or a clone: everything under its directory came from the network.
    if (
      (name === "tar" || name === "unzip" || name === "bsdtar" || name === "7z") &&
      this.fromNetwork(f, refs)
    ) {
      const into = writes.find((w) => w.abs)?.abs ?? f.env.cwd;
      if (into) f.env.fetchedDirs.add(into);
    }
    const cloneAt =
      name === "gh" && positionals[0] === "repo" && positionals[1] === "clone"
        ? 2
        : (name === "svn" && ["checkout", "co", "export"].includes(positionals[0] ?? "")) ||
            (name === "hg" && positionals[0] === "clone")
          ? 1
          : undefined;
    if (cloneAt !== undefined && f.env.cwd !== undefined) {
      const url = positionals[cloneAt];
      const dir =
        positionals[cloneAt + 1] ??
        (url ? posix.basename(url.replace(/\/+$/, "")).replace(/\.git$/, "") : undefined);
      if (dir) f.env.fetchedDirs.add(resolveAbs(dir, f.env.cwd)!);
    }
    if (name === "npm" && positionals[0] === "pack" && f.env.cwd !== undefined)
      f.env.fetchedDirs.add(posix.join(f.env.cwd, "(packed)"));
    if (
      name === "git" &&
      (positionals[0] === "clone" || positionals[0] === "pull" || positionals[0] === "fetch")
    ) {
      const cwd = f.env.cwd;
      if (positionals[0] === "clone" && cwd !== undefined) {
        const url = positionals[1];
        const dir =
          positionals[2] ?? (url ? posix.basename(url.replace(/\/+$/, "")).replace(/\.git$/, "") : undefined);
        if (dir) f.env.fetchedDirs.add(resolveAbs(dir, cwd)!);
      } else if (cwd !== undefined) f.env.fetchedDirs.add(cwd);
    }
    return exec;
  }

  /** Records a file this command writes, and whether it is code (run later, it is what was written). */
  private remember(abs: string, how: "fetch" | "write", f: Frame): void {
    f.env.written.set(abs, f.env.written.get(abs) === "fetch" ? "fetch" : how);
    if (how === "fetch") f.env.fetchedDirs.add(abs);
    if (
      CODE_FILE.test(posix.basename(abs)) ||
      /\/(scripts|bin|node_modules|site-packages|\.venv|vendor|\.github)\//.test(abs)
    )
      f.env.codeFiles.set(abs, f.env.codeFiles.get(abs) === "fetch" ? "fetch" : how);
  }

  /** Whether a tool run now may run code written (or downloaded) earlier in this command. */
  private writtenCode(f: Frame): "fetch" | "write" | undefined {
    if (f.env.fetchedDirs.size || [...f.env.codeFiles.values()].includes("fetch")) return "fetch";
    return f.env.codeFiles.size ? "write" : undefined;
  }

  /**
   * A code file written from a known text (`cat > x.py <<'EOF'`, `echo '...' > x.sh`): judge the
   * text as code of its kind, now; it then no longer counts as unseen code.
   */
  private judgeContent(abs: string, text: string, f: Frame): void {
    // Judged now, by its text: no longer unseen code (removed first, so its own judgement is not an indirection).
    const before = f.env.codeFiles.get(abs);
    f.env.codeFiles.delete(abs);
    const written = f.env.written.get(abs);
    f.env.written.delete(abs);
    const base = posix.basename(abs);
    const ext = base.includes(".") ? base.slice(base.lastIndexOf(".") + 1) : "";
    const lang: InterpLang | "shell" | undefined =
      ext === "sh" || ext === "bash" || ext === "zsh" || (ext === "" && /^#!.*\b(ba|z|da|k)?sh\b/.test(text))
        ? "shell"
        : ext === "py"
          ? "python"
          : ["js", "mjs", "cjs", "ts", "mts", "cts"].includes(ext)
            ? "node"
            : ext === "rb"
              ? "ruby"
              : ext === "pl" || ext === "pm"
                ? "perl"
                : ext === "php"
                  ? "php"
                  : undefined;
    if (lang === undefined) {
      const restore = () => {
        if (before) f.env.codeFiles.set(abs, before);
        if (written) f.env.written.set(abs, written);
      };
      if (base !== "package.json") {
        restore();
        return;
      }
      // Its scripts are shell commands that npm runs.
      let scripts: unknown;
      try {
        scripts = (JSON.parse(text) as { scripts?: unknown }).scripts;
      } catch {
        restore();
        return;
      }
      if (scripts !== undefined && (typeof scripts !== "object" || scripts === null)) {
        restore();
        return;
      }
      const values = Object.values((scripts ?? {}) as Record<string, unknown>);
      if (values.some((v) => typeof v !== "string")) {
        restore();
        return;
      }
      for (const v of values) this.carry(v as string, { ...f, stdin: NONE });
    } else if (lang === "shell") this.carry(text, { ...f, stdin: NONE });
    else this.code(lang, text, f, f.via);
  }

  /** Whether stdin or an operand of this command came from the network in this command line. */
  private fromNetwork(f: Frame, refs: PathRef[]): boolean {
    return (
      f.stdin.kind === "fetch" ||
      refs.some((r) => r.abs !== undefined && f.env.written.get(r.abs) === "fetch")
    );
  }

  /** Matches the policy's rules against one command. */
  private judge(exec: Exec): void {
    // Only the rules that can match this program (those naming it, and those naming none), and of
    // those only the ones whose needed facts this command has (matchNeeds): the rest cannot match.
    const has = execHas(exec);
    for (const rule of rulesFor(this.policy, exec.name)) {
      if ((rule.needs & has) === rule.needs && rule.test(exec)) this.hits.push({ id: rule.id, exec });
    }
  }
}

/** A rule with its matcher, compiled on first use (the hook judges one command: most rules never run). */
class IndexedRule {
  private compiled: CompiledMatch | undefined;
  constructor(
    readonly id: string,
    private readonly match: Match,
    /** The NEED bits every command it matches has (see matchNeeds). */
    readonly needs: number,
  ) {}
  test(e: Exec): boolean {
    this.compiled ??= compileMatch(this.match);
    return this.compiled.test(e);
  }
}

/** The policy's rule index (precomputed by the build, else computed here once) and the lists made from it. */
class RuleIndex {
  private readonly built: (IndexedRule | undefined)[] = [];
  /** Per program name, the rules that can match it, in the policy's order (filled as names are seen). */
  private readonly byName = new Map<string, IndexedRule[]>();
  /** The rules that can match any program. */
  private readonly general: IndexedRule[];

  constructor(
    private readonly rules: readonly GateRule[],
    private readonly data: RuleIndexData,
  ) {
    this.general = data.general.map((i) => this.rule(i));
  }

  private rule(i: number): IndexedRule {
    let r = this.built[i];
    if (!r) {
      const g = this.rules[i]!;
      r = new IndexedRule(g.id, g.match!, this.data.needs[i]!);
      this.built[i] = r;
    }
    return r;
  }

  for(name: string): IndexedRule[] {
    let list = this.byName.get(name);
    if (list) return list;
    const named: number[] = [];
    for (const i of this.data.named) if (namesInclude(this.rules[i]!.match!, name)) named.push(i);
    if (!named.length) {
      // Only names some rule names get a list of their own; the rest share the general one.
      list = this.general;
    } else {
      // Both ascending: merged, the policy's order.
      list = [];
      const g = this.data.general;
      let a = 0;
      let b = 0;
      while (a < g.length || b < named.length) {
        if (b >= named.length || (a < g.length && g[a]! < named[b]!)) list.push(this.rule(g[a++]!));
        else list.push(this.rule(named[b++]!));
      }
    }
    // Program names come from the command: a long-running process keeps a bounded number.
    if (this.byName.size >= BY_NAME_MAX) this.byName.clear();
    this.byName.set(name, list);
    return list;
  }
}

const ruleIndexCache = new WeakMap<GatePolicy, RuleIndex>();
const BY_NAME_MAX = 4096;

function rulesFor(policy: GatePolicy, name: string): IndexedRule[] {
  let index = ruleIndexCache.get(policy);
  if (!index) {
    const data = indexFits(policy.index, policy.rules) ? policy.index! : buildRuleIndex(policy.rules);
    index = new RuleIndex(policy.rules, data);
    ruleIndexCache.set(policy, index);
  }
  return index.for(name);
}

interface Extra {
  assigns: { name: string; empty: boolean }[];
  /** Values of the assignments before the command (`IFS=, eval ...` sees them). */
  values?: Map<string, string | undefined>;
  writes: PathRef[];
  reads: PathRef[];
  secrets: string[];
  unsets?: string[];
}

const emptyExtra = (): Extra => ({ assigns: [], writes: [], reads: [], secrets: [] });

class Budget extends Error {}

/** The text to judge (normalize.ts: compatibility word characters read as ASCII, never as syntax). */
function variants(raw: string): string[] {
  return [normalizeCommand(raw).text];
}

/**
 * Brace expansion of `{a,b}` (nested, and several groups), at most 64 results; undefined when the
 * text has no comma group or more results (then the path stays unknown).
 */
export function braceExpand(text: string, max = 64): string[] | undefined {
  const open = findBraceGroup(text);
  if (!open) return undefined;
  const out: string[] = [];
  const walk = (t: string, budget: { n: number }): boolean => {
    const g = findBraceGroup(t);
    if (!g) {
      out.push(t);
      return out.length <= max;
    }
    for (const alt of g.alts) {
      if (++budget.n > max * 8) return false;
      if (!walk(t.slice(0, g.start) + alt + t.slice(g.end + 1), budget)) return false;
    }
    return true;
  };
  return walk(text, { n: 0 }) ? out : undefined;
}

/** The first `{...}` holding a top-level comma: its span and alternatives. */
function findBraceGroup(t: string): { start: number; end: number; alts: string[] } | undefined {
  for (let start = t.indexOf("{"); start !== -1 && start < 4096; start = t.indexOf("{", start + 1)) {
    let depth = 0;
    const cuts: number[] = [];
    for (let i = start; i < t.length && i < start + 4096; i++) {
      const c = t[i];
      if (c === "{") depth++;
      else if (c === "}") {
        depth--;
        if (depth === 0) {
          if (!cuts.length) break;
          const bounds = [start, ...cuts, i];
          const alts = bounds.slice(0, -1).map((b, k) => t.slice(b + 1, bounds[k + 1]));
          return { start, end: i, alts };
        }
      } else if (c === "," && depth === 1) cuts.push(i);
    }
  }
  return undefined;
}

// Every Val has every key, in the order value() builds them: one object shape keeps the engine's
// property reads monomorphic (optional keys left out made V8 deoptimise the hot paths).
function literal(text: string): Val {
  return mkVal(text, text, text);
}

function dynamicVal(raw: string): Val {
  return mkVal(undefined, "", raw);
}

function mkVal(text: string | undefined, prefix: string, raw: string): Val {
  return {
    text,
    prefix,
    glob: false,
    brace: false,
    procsub: undefined,
    procOut: undefined,
    subOut: undefined,
    secrets: [],
    raw,
    plain: false,
    split: undefined,
  };
}

function expandHomeLiteral(p: string, home: string): string {
  return p === "~" ? home : p.startsWith("~/") ? home + p.slice(1) : p;
}

function resolveAbs(text: string, cwd: string | undefined): string | undefined {
  if (text.startsWith("/")) return isNormalPath(text) ? text : posix.normalize(text);
  if (cwd === undefined) return undefined;
  if (text !== "" && isNormalPath(cwd) && isNormalPath(`/${text}`))
    return cwd === "/" ? `/${text}` : `${cwd}/${text}`;
  return posix.normalize(posix.join(cwd, text));
}

export { isNormalPath };

/** The length of the directory part before the first glob or brace character (`/etc/*` -> 4, i.e. `/etc`). */
function firstGlobDir(p: string): number {
  let i = 0;
  while (i < p.length && !"*?[{".includes(p[i]!)) i++;
  return p.lastIndexOf("/", i);
}

/** `curl -o-`, `curl --output -`, `curl -o /dev/stdout`, `wget -O /dev/stdout`: the download goes to stdout. */
function fetchToStdout(name: string, args: Val[]): boolean {
  const opts = name === "curl" ? ["-o", "--output"] : name === "wget" ? ["-O", "--output-document"] : [];
  const stdout = (v: string | undefined) =>
    v === "-" || v === "/dev/stdout" || v === "/dev/fd/1" || v === "/proc/self/fd/1";
  for (let i = 0; i < args.length; i++) {
    const t = args[i]!.text;
    if (t === undefined) continue;
    if (opts.includes(t) && stdout(args[i + 1]?.text)) return true;
    for (const o of opts) {
      if (o.startsWith("--") && t.startsWith(`${o}=`) && stdout(t.slice(o.length + 1))) return true;
      if (!o.startsWith("--") && isFlagClusterDashValue(t, o[1]!)) return true;
      if (!o.startsWith("--") && isFlagClusterEnding(t, o[1]!) && stdout(args[i + 1]?.text)) return true;
    }
  }
  return false;
}

/** One name per tool: `pip3.12` is pip, `py` (the Windows launcher) is python. */
function canonicalName(name: string): string {
  if (isPipName(name)) return name === "pip3" ? "pip3" : "pip";
  if (name === "py") return "python";
  return name;
}

function isDecoder(name: string, exec: Exec, args: Val[]): boolean {
  const f = exec.flags;
  if (["base64", "base32", "basenc", "gbase64"].includes(name))
    return f.has("-d") || f.has("--decode") || f.has("-D");
  if (name === "xxd") return f.has("-r") || f.has("--revert");
  if (name === "openssl")
    return f.has("-d") || exec.positionals.includes("base64") || exec.positionals.includes("enc");
  if (
    [
      "uudecode",
      "zcat",
      "gunzip",
      "bzcat",
      "xzcat",
      "unxz",
      "zstdcat",
      "lzcat",
      "rev",
      "tr",
      "uncompress",
    ].includes(name)
  )
    return true;
  if (["gzip", "bzip2", "xz", "zstd"].includes(name)) return f.has("-d") || f.has("--decompress");
  void args;
  return false;
}

function callsItself(name: string, body: Command): boolean {
  // A function whose body runs its own name (`:(){ :|:& };:`): a fork bomb.
  const seen = JSON.stringify(body);
  return seen.includes(`{"type":"lit","value":${JSON.stringify(name)},"quoted":false}`);
}

/** Turns rule hits into a verdict: overrides applied, allow rules waiving asks on the commands they match. */
export function verdictOf(policy: GatePolicy, hits: Hit[], note?: string): Verdict {
  // Nothing matched: the plain allow (below, with no hits, `ranked` is empty), without the id map.
  if (!hits.length) return { decision: "allow", rules: [], reason: "no rule matched", categories: [] };
  const byId = ruleIndex(policy);
  const found = new Map<string, Decision>();
  for (const h of hits) {
    const rule = byId.get(h.id);
    let d: Decision = policy.decisions?.[h.id] ?? rule?.decision ?? "ask";
    if (d === "ask" && h.exec && policy.allow?.some((m) => compileMatch(m).test(h.exec!))) d = "allow";
    const prev = found.get(h.id);
    found.set(h.id, prev ? strongest(prev, d) : d);
  }
  const ranked = [...found.entries()]
    .filter(([, d]) => d !== "allow")
    .sort((a, b) => (a[1] === b[1] ? (a[0] < b[0] ? -1 : 1) : a[1] === "deny" ? -1 : 1));
  if (!ranked.length) return { decision: "allow", rules: [], reason: "no rule matched", categories: [] };
  const top = byId.get(ranked[0]![0]);
  const categories: GateCategory[] = [];
  for (const [id] of ranked) {
    const c = byId.get(id)?.category ?? "obfuscation";
    if (!categories.includes(c)) categories.push(c);
  }
  return {
    decision: ranked[0]![1],
    rules: ranked.map(([id]) => id),
    reason: (top?.reason ?? "the gate could not judge this command") + (note ? ` (${note})` : ""),
    categories: categories.filter((c) => GATE_CATEGORIES.includes(c)),
  };
}

const indexCache = new WeakMap<GatePolicy, Map<string, GateRule>>();
function ruleIndex(policy: GatePolicy): Map<string, GateRule> {
  let m = indexCache.get(policy);
  if (!m) {
    m = new Map(policy.rules.map((r) => [r.id, r]));
    indexCache.set(policy, m);
  }
  return m;
}
