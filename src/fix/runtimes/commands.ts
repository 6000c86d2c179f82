// The dangerous command prefixes the runtime rule files (Codex execpolicy rules, Gemini CLI policy,
// Hermes deny list) are built from: the rules of rules/gate that a command prefix can express, each
// with the gate rule it comes from. A prefix rule sees argv words only, so it cannot express what
// the gate judges from paths, pipes or flags later in the command (`curl … | sh`, writes outside the
// workspace, `npm install` with or without a package): those become broader prefixes (every curl,
// every `npm install`) or are left out. `deny` rules of the gate become `forbidden`; `ask` rules
// become `prompt`. test/fix/runtimes.test.ts checks every gate id and decision against rules/gate.

export type PrefixDecision = "forbidden" | "prompt";

export interface CommandPrefix {
  /** argv words; a list at a position is its alternatives. */
  pattern: (string | string[])[];
  decision: PrefixDecision;
  /** The rules/gate rule this stands for. */
  gate: string;
  /** Why (the justification Codex shows). */
  why: string;
  /** Set when the decision is milder than the gate's, and why a prefix rule cannot match the gate. */
  milder?: string;
}

const RECURSIVE = ["-rf", "-fr", "-Rf", "-fR", "-r", "-R", "--recursive"];
/** Targets of gate-rm-critical written as plain words (globs are left to the gate). */
const CRITICAL_TARGETS = [
  "/",
  "~",
  "~/",
  "$HOME",
  "/etc",
  "/usr",
  "/var",
  "/home",
  "/bin",
  "/boot",
  "/lib",
  "/root",
];

const FORMAT = [
  "mkfs",
  "mkfs.ext2",
  "mkfs.ext3",
  "mkfs.ext4",
  "mkfs.xfs",
  "mkfs.btrfs",
  "mkfs.vfat",
  "mkfs.fat",
];
const FORMAT2 = [
  "mkfs.msdos",
  "mkfs.ntfs",
  "mkfs.exfat",
  "mkfs.f2fs",
  "mke2fs",
  "mkswap",
  "wipefs",
  "blkdiscard",
];
const SYS_PKG = [
  "apt",
  "apt-get",
  "aptitude",
  "yum",
  "dnf",
  "zypper",
  "brew",
  "port",
  "snap",
  "flatpak",
  "pkg",
  "emerge",
];
const SYS_PKG_VERBS = [
  "install",
  "reinstall",
  "remove",
  "purge",
  "uninstall",
  "upgrade",
  "dist-upgrade",
  "autoremove",
];
const PRIVILEGE = ["sudo", "doas", "su", "pkexec", "run0", "runuser", "sg", "chroot", "sudoedit", "visudo"];
const FIREWALL = [
  "iptables",
  "ip6tables",
  "iptables-legacy",
  "iptables-nft",
  "ip6tables-legacy",
  "ip6tables-nft",
  "iptables-restore",
  "ip6tables-restore",
  "ufw",
  "firewall-cmd",
  "pfctl",
  "ebtables",
  "arptables",
  "ipset",
];
const USERS = ["useradd", "usermod", "userdel", "groupadd", "groupmod", "groupdel", "passwd", "chpasswd"];
const USERS2 = ["adduser", "deluser", "gpasswd", "chsh"];

export const COMMAND_PREFIXES: readonly CommandPrefix[] = [
  // destructive
  {
    pattern: ["rm", RECURSIVE, CRITICAL_TARGETS],
    decision: "forbidden",
    gate: "gate-rm-critical",
    why: "a recursive delete of the filesystem root, the home or a system directory cannot be undone",
  },
  {
    pattern: ["rm", [...RECURSIVE, "-f", "--force"]],
    decision: "prompt",
    gate: "gate-delete-outside-workspace",
    why: "a forced or recursive delete: a person checks what it removes",
  },
  {
    pattern: [[...FORMAT, ...FORMAT2, "newfs", "sgdisk", "diskpart"]],
    decision: "forbidden",
    gate: "gate-filesystem-format",
    why: "formatting or wiping a disk destroys everything on it",
  },
  {
    pattern: [["fdisk", "sfdisk", "parted", "diskutil"]],
    decision: "prompt",
    gate: "gate-filesystem-format",
    why: "partitioning tools can destroy a disk (their list mode is harmless; a person tells)",
    milder: "the gate denies them except with -l/--list, an exception a prefix rule cannot express",
  },
  {
    pattern: [["shutdown", "reboot", "halt", "poweroff", "kexec"]],
    decision: "forbidden",
    gate: "gate-shutdown",
    why: "stops or restarts the machine",
  },
  {
    pattern: [
      "systemctl",
      ["poweroff", "reboot", "halt", "kexec", "suspend", "hibernate", "rescue", "emergency"],
    ],
    decision: "forbidden",
    gate: "gate-shutdown",
    why: "stops or restarts the machine",
  },
  {
    pattern: [
      ["init", "telinit"],
      ["0", "6", "1", "S", "s"],
    ],
    decision: "forbidden",
    gate: "gate-shutdown",
    why: "changes the runlevel (halts or reboots the machine)",
  },
  {
    pattern: ["git", "reset", ["--hard", "--merge", "--keep"]],
    decision: "prompt",
    gate: "gate-git-discard",
    why: "throws away uncommitted work",
  },
  {
    pattern: ["git", "clean", ["-f", "-fd", "-df", "-fdx", "-xdf", "-fx", "-xf", "--force"]],
    decision: "prompt",
    gate: "gate-git-discard",
    why: "deletes untracked files",
  },
  {
    pattern: ["git", "push", ["-f", "--force", "--force-with-lease", "--delete", "-d", "--mirror"]],
    decision: "prompt",
    gate: "gate-git-discard",
    why: "rewrites or deletes remote history",
  },
  {
    pattern: [["dropdb", "dropuser"]],
    decision: "prompt",
    gate: "gate-database-drop",
    why: "drops a database or a role",
  },
  {
    pattern: [["killall5"]],
    decision: "prompt",
    gate: "gate-kill-all",
    why: "kills every process",
  },
  {
    pattern: [
      ["pkill", "killall"],
      ["-9", "-KILL", "-u", "-r"],
    ],
    decision: "prompt",
    gate: "gate-kill-all",
    why: "kills processes by pattern or user",
  },
  // network fetches (the gate asks when what they fetch runs; a prefix cannot see the pipe)
  {
    pattern: [["curl", "wget"]],
    decision: "prompt",
    gate: "gate-fetch-to-shell",
    why: "a network fetch (what it downloads may run as code, and it can send data out)",
  },
  {
    pattern: [["nc", "ncat", "netcat", "socat"]],
    decision: "prompt",
    gate: "gate-reverse-shell",
    why: "a raw network connection (a reverse shell or a channel out)",
  },
  {
    pattern: ["env", ["-i", "--ignore-environment"]],
    decision: "prompt",
    gate: "gate-proxy-bypass",
    why: "runs a command without the proxy variables",
  },
  // package installs
  {
    pattern: [
      ["npm", "pnpm", "bun"],
      ["install", "i", "add"],
    ],
    decision: "prompt",
    gate: "gate-package-add",
    why: "installs packages (their install scripts run)",
  },
  {
    pattern: ["yarn", ["add", "global", "dlx"]],
    decision: "prompt",
    gate: "gate-package-add",
    why: "installs packages (their install scripts run)",
  },
  {
    pattern: ["pnpm", "dlx"],
    decision: "prompt",
    gate: "gate-package-add",
    why: "downloads and runs a package",
  },
  {
    pattern: ["npx", ["-y", "--yes", "-p", "--package"]],
    decision: "prompt",
    gate: "gate-package-add",
    why: "downloads and runs a package",
  },
  {
    pattern: [["bunx", "uvx", "pipx", "pnpx", "cpan", "cpanm"]],
    decision: "prompt",
    gate: "gate-package-add",
    why: "downloads and runs or installs a package",
  },
  {
    pattern: [
      ["pip", "pip3"],
      ["install", "download"],
    ],
    decision: "prompt",
    gate: "gate-package-add",
    why: "installs packages (setup code runs)",
  },
  {
    pattern: ["uv", "pip", "install"],
    decision: "prompt",
    gate: "gate-package-add",
    why: "installs packages (setup code runs)",
  },
  {
    pattern: ["uv", ["add", "tool"]],
    decision: "prompt",
    gate: "gate-package-add",
    why: "installs packages",
  },
  {
    pattern: [["poetry", "pdm", "hatch", "rye"], "add"],
    decision: "prompt",
    gate: "gate-package-add",
    why: "installs packages",
  },
  {
    pattern: [
      ["conda", "mamba", "micromamba"],
      ["install", "create"],
    ],
    decision: "prompt",
    gate: "gate-package-add",
    why: "installs packages",
  },
  {
    pattern: ["cargo", ["install", "add", "binstall"]],
    decision: "prompt",
    gate: "gate-package-add",
    why: "installs crates (build scripts run)",
  },
  {
    pattern: ["go", ["install", "get"]],
    decision: "prompt",
    gate: "gate-package-add",
    why: "installs modules",
  },
  {
    pattern: ["gem", "install"],
    decision: "prompt",
    gate: "gate-package-add",
    why: "installs gems",
  },
  {
    pattern: ["composer", ["require", "global"]],
    decision: "prompt",
    gate: "gate-package-add",
    why: "installs packages",
  },
  {
    pattern: [SYS_PKG, SYS_PKG_VERBS],
    decision: "prompt",
    gate: "gate-system-package",
    why: "installs or removes system packages",
  },
  {
    pattern: ["apk", ["add", "del"]],
    decision: "prompt",
    gate: "gate-system-package",
    why: "installs or removes system packages",
  },
  {
    pattern: [
      ["pacman", "yay", "paru"],
      ["-S", "-R", "-U"],
    ],
    decision: "prompt",
    gate: "gate-system-package",
    why: "installs or removes system packages",
  },
  {
    pattern: [
      ["dpkg", "rpm"],
      ["-i", "-U", "--install", "-e", "--erase", "--purge", "-r"],
    ],
    decision: "prompt",
    gate: "gate-system-package",
    why: "installs or removes system packages",
  },
  // privilege and the system
  {
    pattern: [PRIVILEGE],
    decision: "prompt",
    gate: "gate-privilege-escalation",
    why: "runs a command with other privileges",
  },
  {
    pattern: [FIREWALL],
    decision: "prompt",
    gate: "gate-firewall-change",
    why: "changes the firewall (the egress control)",
  },
  {
    pattern: ["nft", ["add", "delete", "flush", "insert", "replace", "create", "destroy", "-f"]],
    decision: "prompt",
    gate: "gate-firewall-change",
    why: "changes the firewall (the egress control)",
  },
  {
    pattern: [[...USERS, ...USERS2]],
    decision: "prompt",
    gate: "gate-user-change",
    why: "changes accounts or passwords",
  },
  {
    pattern: ["setcap"],
    decision: "prompt",
    gate: "gate-setuid",
    why: "grants file capabilities",
  },
  // persistence
  {
    pattern: [["at", "batch", "systemd-run"]],
    decision: "prompt",
    gate: "gate-scheduled-task",
    why: "schedules a command to run later",
  },
  {
    pattern: ["crontab", ["-e", "-r", "-i", "-"]],
    decision: "prompt",
    gate: "gate-scheduled-task",
    why: "changes scheduled commands",
  },
  {
    pattern: [
      "systemctl",
      [
        "enable",
        "link",
        "edit",
        "set-default",
        "preset",
        "daemon-reload",
        "reenable",
        "add-wants",
        "add-requires",
      ],
    ],
    decision: "prompt",
    gate: "gate-scheduled-task",
    why: "installs a service that runs later",
  },
  {
    pattern: ["launchctl", ["load", "bootstrap", "enable", "submit"]],
    decision: "prompt",
    gate: "gate-scheduled-task",
    why: "installs a job that runs later",
  },
  {
    pattern: ["ssh-copy-id"],
    decision: "prompt",
    gate: "gate-ssh-key-install",
    why: "installs an SSH key on another host",
  },
  // credentials
  {
    pattern: ["gh", "auth", ["token", "login", "setup-git", "refresh"]],
    decision: "prompt",
    gate: "gate-credential-command",
    why: "prints or changes a GitHub credential",
  },
  {
    pattern: ["aws", "configure", ["get", "export-credentials", "set", "import"]],
    decision: "prompt",
    gate: "gate-credential-command",
    why: "prints or changes AWS credentials",
  },
  {
    pattern: ["aws", "sts", ["get-session-token", "assume-role", "get-federation-token"]],
    decision: "prompt",
    gate: "gate-credential-command",
    why: "mints AWS credentials",
  },
  {
    pattern: ["aws", "ecr", "get-login-password"],
    decision: "prompt",
    gate: "gate-credential-command",
    why: "prints a registry password",
  },
  {
    pattern: [["kubectl", "oc"], "config", "view", "--raw"],
    decision: "prompt",
    gate: "gate-credential-command",
    why: "prints cluster credentials",
  },
  {
    pattern: ["git", "credential", "fill"],
    decision: "prompt",
    gate: "gate-credential-command",
    why: "prints a stored git credential",
  },
  {
    pattern: ["vault", ["read", "kv", "token"]],
    decision: "prompt",
    gate: "gate-credential-command",
    why: "reads secrets from Vault",
  },
  {
    pattern: ["npm", "token"],
    decision: "prompt",
    gate: "gate-credential-command",
    why: "lists or creates npm tokens",
  },
  {
    pattern: [["docker", "podman", "helm"], "login"],
    decision: "prompt",
    gate: "gate-credential-write",
    why: "stores a registry credential",
  },
];

/** Every concrete word sequence of a pattern (the product of its alternatives). */
export function expand(pattern: readonly (string | readonly string[])[]): string[][] {
  let out: string[][] = [[]];
  for (const pos of pattern) {
    const alts = typeof pos === "string" ? [pos] : pos;
    out = out.flatMap((prefix) => alts.map((a) => [...prefix, a]));
  }
  return out;
}

/** The pattern's first alternatives: one command it matches. */
export function firstWords(pattern: readonly (string | readonly string[])[]): string[] {
  return pattern.map((pos) => (typeof pos === "string" ? pos : pos[0]!));
}

/** Programs that print or copy a file named as their first argument. */
const READERS = [
  "cat",
  "less",
  "more",
  "head",
  "tail",
  "tac",
  "nl",
  "strings",
  "base64",
  "xxd",
  "od",
  "cp",
  "scp",
];
/** Well-known credential files (home-relative), read by name. */
const CREDENTIAL_FILES = [
  ".ssh/id_rsa",
  ".ssh/id_ed25519",
  ".ssh/id_ecdsa",
  ".aws/credentials",
  ".aws/config",
  ".kube/config",
  ".docker/config.json",
  ".npmrc",
  ".netrc",
  ".git-credentials",
  ".pypirc",
  ".pgpass",
  ".vault-token",
  ".config/gh/hosts.yml",
  ".config/gcloud/application_default_credentials.json",
];

/**
 * gate-credential-read as a prefix rule: a reader (also by /bin and /usr/bin path) whose first
 * argument names a credential file, written `~/x` or `<home>/x`: the well-known files and the
 * home-relative paths the inventory found; tree paths as `x` and `./x`. Exact words only: a prefix
 * rule cannot follow `$HOME`, quotes or a later argument.
 */
export function credentialReadPrefix(
  homeFiles: readonly string[],
  treeFiles: readonly string[],
  home: string,
): CommandPrefix {
  const files = [...new Set([...CREDENTIAL_FILES, ...homeFiles])];
  const h = home.replace(/\/+$/, "");
  const targets = [
    ...files.flatMap((f) => [`~/${f}`, `${h}/${f}`]),
    ...[...new Set(treeFiles)].flatMap((f) => [f, `./${f}`]),
  ];
  const readers = READERS.flatMap((r) => [r, `/bin/${r}`, `/usr/bin/${r}`]);
  return {
    pattern: [readers, [...new Set(targets)]],
    decision: "prompt",
    gate: "gate-credential-read",
    why: "reads or copies a credential file",
  };
}

/** gate-secret-print as a prefix rule: printenv of the secret-holding variables the inventory found. */
export function secretPrintPrefix(names: readonly string[]): CommandPrefix | undefined {
  const valid = [...new Set(names.filter((n) => /^[A-Za-z_][A-Za-z0-9_]{0,127}$/.test(n)))].sort();
  if (!valid.length) return undefined;
  return {
    pattern: ["printenv", valid],
    decision: "prompt",
    gate: "gate-secret-print",
    why: "prints a secret-holding environment variable",
  };
}
