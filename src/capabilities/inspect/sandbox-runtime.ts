import { lstat } from "node:fs/promises";
import { isAbsolute, join, posix } from "node:path";
import { markedRuntime } from "./markers.js";
import { bool, ConfigReader, getAt, isRecord, type LoadedConfig, num, strs } from "./read.js";
import type { InspectContext, Problem, RuntimeInspector, RuntimeResult } from "./types.js";

// Anthropic sandbox-runtime (`srt`, npm @anthropic-ai/sandbox-runtime), issue 10. The srt CLI
// reads `~/.srt-settings.json`, or the file named by `--settings` (which a config audit cannot
// see). Its zod schema requires `network.allowedDomains` and `network.deniedDomains` (arrays of
// domain patterns: `*.` only as a prefix followed by at least two labels, no scheme, no path;
// deniedDomains also takes a bare "*"). The proxy checks deniedDomains first, then allowedDomains,
// then asks (when a caller such as Claude Code registered an ask callback), else denies;
// `network.strictAllowlist: true` denies without asking. An empty allowedDomains means no
// network. `filesystem.denyRead` is a deny-only read model (everything else is readable),
// `filesystem.allowRead` re-allows inside denied regions, `filesystem.allowWrite` an allow-only
// write model. srt has no command approval of its own: it confines commands, it does not ask.

/** Exfiltration-capable or multi-tenant hosts: anyone can publish or upload there. */
const BROAD_DOMAINS = new Set([
  "github.com",
  "gist.github.com",
  "uploads.github.com",
  "raw.githubusercontent.com",
  "gist.githubusercontent.com",
  "objects.githubusercontent.com",
  "gitlab.com",
  "bitbucket.org",
  "storage.googleapis.com",
  "drive.google.com",
  "docs.google.com",
  "s3.amazonaws.com",
  "pastebin.com",
  "paste.ee",
  "hastebin.com",
  "dpaste.org",
  "ghostbin.com",
  "termbin.com",
  "ix.io",
  "0x0.st",
  "transfer.sh",
  "file.io",
  "webhook.site",
  "requestbin.com",
  "pipedream.net",
  "hooks.slack.com",
  "discord.com",
  "discordapp.com",
  "api.telegram.org",
  "dropbox.com",
  "content.dropboxapi.com",
  "ngrok.io",
  "ngrok-free.app",
  "ngrok.app",
]);
/** Wildcard bases that cover hosts anyone can create or upload to. */
const BROAD_WILDCARD_BASES = new Set([
  "github.com",
  "githubusercontent.com",
  "github.io",
  "gitlab.io",
  "amazonaws.com",
  "s3.amazonaws.com",
  "cloudfront.net",
  "googleapis.com",
  "googleusercontent.com",
  "appspot.com",
  "web.app",
  "firebaseapp.com",
  "blob.core.windows.net",
  "azurewebsites.net",
  "workers.dev",
  "pages.dev",
  "vercel.app",
  "netlify.app",
  "herokuapp.com",
  "ngrok.io",
  "ngrok-free.app",
  "ngrok.app",
  "trycloudflare.com",
  "pipedream.net",
  "repl.co",
  "glitch.me",
  "onrender.com",
  "fly.dev",
  // Two-label public suffixes srt's schema accepts after `*.`: a whole country's commercial names.
  "co.uk",
  "org.uk",
  "com.au",
  "co.jp",
  "com.br",
  "com.cn",
  "co.in",
  "co.nz",
  "co.za",
]);
/** More allowed domains than this is a list nobody reviews. */
export const SRT_DOMAINS_MAX = 50;
/** Standard credential directories, checked when they exist in the home. */
const STANDARD_CREDENTIAL_DIRS = [".ssh", ".aws", ".config/gcloud", ".kube"];
/** Shell start-up files: writing one runs code outside the sandbox at the next login. */
const SHELL_RC = new Set([
  ".bashrc",
  ".bash_profile",
  ".bash_login",
  ".bash_logout",
  ".profile",
  ".zshrc",
  ".zprofile",
  ".zshenv",
  ".zlogin",
  ".config/fish",
  ".config/fish/config.fish",
]);
const DOCKER_SOCKETS = /(?:^|\/)(?:docker|podman|containerd)\.sock$/;

export const sandboxRuntime: RuntimeInspector = {
  id: "sandbox-runtime",
  name: "sandbox-runtime (srt)",
  lookedFor: ["~/.srt-settings.json"],
  inspect,
};

async function inspect(ctx: InspectContext): Promise<RuntimeResult> {
  const marked = markedRuntime(ctx.env, "sandbox-runtime");
  const file = ctx.origins.has("home")
    ? await ctx.read.load({
        abs: join(ctx.home, ".srt-settings.json"),
        scope: "user",
        origin: "home",
        format: "json",
      })
    : undefined;
  if (!file) {
    return {
      present: marked,
      files: [],
      problems: [],
      gate: marked
        ? { status: "none", detail: "srt has no command approval of its own; it confines commands" }
        : { status: "unknown", detail: "no srt settings found" },
      sandbox: marked
        ? {
            status: "unknown",
            detail:
              "SANDBOX_RUNTIME=1: the scan runs inside srt, but its settings (--settings or a library caller) were not found",
          }
        : { status: "unknown", detail: "no srt settings found" },
    };
  }
  const files = [ConfigReader.view(file)];
  const unreadable = {
    present: true,
    files,
    problems: [],
    gate: { status: "unknown" as const, detail: "~/.srt-settings.json could not be read or parsed" },
    sandbox: { status: "unknown" as const, detail: "~/.srt-settings.json could not be read or parsed" },
  };
  if (!file.ok) return unreadable;
  if (!schemaValid(ctx.read, file)) {
    return {
      ...unreadable,
      gate: { status: "unknown", detail: "~/.srt-settings.json fails srt's settings schema (see issues)" },
      sandbox: { status: "unknown", detail: "~/.srt-settings.json fails srt's settings schema (see issues)" },
    };
  }

  const read = ctx.read;
  const problems: Problem[] = [];
  const holes: string[] = [];
  const hole = (what: string) => {
    if (!holes.includes(what)) holes.push(what);
  };

  // Network
  const allowed = strs(read, file, ["network", "allowedDomains"]);
  const denied = strs(read, file, ["network", "deniedDomains"]);
  const denyAll = denied.includes("*");
  const deniedBy = deniedIndex(denied);
  allowed.forEach((d, i) => {
    if (broadDomain(d)) {
      problems.push({
        check: "srt-broad-allowed-domain",
        file,
        key: `network.allowedDomains[${i}]`,
        subject: d.toLowerCase(),
      });
      hole("broad allowedDomains");
    }
    if (!denyAll && deniedBy(d)) {
      problems.push({
        check: "srt-domain-allowed-and-denied",
        file,
        key: `network.allowedDomains[${i}]`,
        subject: d.toLowerCase(),
      });
    }
  });
  if (allowed.length > SRT_DOMAINS_MAX) {
    problems.push({
      check: "srt-allowed-domains-large",
      file,
      key: "network.allowedDomains",
      title: `srt allows ${allowed.length} domains (more than ${SRT_DOMAINS_MAX})`,
    });
    hole("a long allowedDomains list");
  }
  if (denyAll && allowed.length) {
    problems.push({
      check: "srt-deny-all-with-allow",
      file,
      key: `network.deniedDomains[${denied.indexOf("*")}]`,
    });
  }
  if (bool(read, file, ["network", "strictAllowlist"]) !== true && !denyAll)
    problems.push({ check: "srt-strict-allowlist-off", file, key: "network.strictAllowlist" });
  for (const key of ["httpProxyPort", "socksProxyPort"]) {
    if (num(read, file, ["network", key]) !== undefined)
      problems.push({ check: "srt-external-proxy", file, key: `network.${key}`, subject: key });
  }
  if (bool(read, file, ["network", "allowAllUnixSockets"]) === true) {
    problems.push({ check: "srt-unix-sockets-open", file, key: "network.allowAllUnixSockets" });
    hole("all Unix sockets allowed");
  }
  strs(read, file, ["network", "allowUnixSockets"]).forEach((s, i) => {
    if (DOCKER_SOCKETS.test(s.trim())) {
      problems.push({
        check: "srt-unix-sockets-open",
        file,
        key: `network.allowUnixSockets[${i}]`,
        subject: s,
      });
      hole("a container-daemon socket allowed");
    }
  });
  if (bool(read, file, ["network", "allowLocalBinding"]) === true)
    problems.push({ check: "srt-local-binding", file, key: "network.allowLocalBinding" });

  // Top-level weakeners
  if (bool(read, file, ["enableWeakerNestedSandbox"]) === true) {
    problems.push({ check: "srt-weaker-nested-sandbox", file, key: "enableWeakerNestedSandbox" });
    hole("enableWeakerNestedSandbox");
  }
  if (bool(read, file, ["enableWeakerNetworkIsolation"]) === true) {
    problems.push({ check: "srt-weaker-network-isolation", file, key: "enableWeakerNetworkIsolation" });
    hole("enableWeakerNetworkIsolation");
  }
  if (bool(read, file, ["allowAppleEvents"]) === true) {
    problems.push({ check: "srt-allow-apple-events", file, key: "allowAppleEvents" });
    hole("allowAppleEvents");
  }

  // Filesystem
  const disabled = bool(read, file, ["filesystem", "disabled"]) === true;
  if (disabled) {
    problems.push({ check: "srt-filesystem-disabled", file, key: "filesystem.disabled" });
    hole("filesystem.disabled");
  }
  const denyRead = disabled ? [] : strs(read, file, ["filesystem", "denyRead"]);
  const allowRead = disabled ? [] : strs(read, file, ["filesystem", "allowRead"]);
  for (const cred of await credentialPaths(ctx)) {
    const covered =
      denyRead.some((e) => pathCovers(homeRelative(e, ctx.home), cred)) &&
      !allowRead.some((e) => {
        // Re-allowing the credential path, or any part of it, makes it readable again.
        const rel = homeRelative(e, ctx.home);
        return pathCovers(rel, cred) || (rel !== undefined && rel !== "/" && pathCovers(cred, rel));
      });
    if (!covered) {
      problems.push({
        check: "srt-credential-read-allowed",
        file,
        key: "filesystem.denyRead",
        subject: cred,
        title: `~/${cred} is readable inside the srt sandbox (not denied by filesystem.denyRead)`,
        fixParams: { path: `~/${cred}` },
      });
      hole("credentials readable");
    }
  }
  const allowWrite = disabled ? [] : strs(read, file, ["filesystem", "allowWrite"]);
  allowWrite.forEach((e, i) => {
    const why = broadWrite(e, ctx.home);
    if (why) {
      problems.push({
        check: "srt-broad-allow-write",
        file,
        key: `filesystem.allowWrite[${i}]`,
        subject: e,
        title: `filesystem.allowWrite entry ${i + 1} ${why}`,
      });
      hole("broad allowWrite");
    }
  });

  const network = denyAll
    ? 'deniedDomains "*": no network'
    : allowed.length
      ? `${allowed.length} allowed domain${allowed.length === 1 ? "" : "s"}`
      : "allowedDomains empty: no network";
  const sandbox: RuntimeResult["sandbox"] = holes.length
    ? { status: "weak", detail: `${holes.join(", ")} in ~/.srt-settings.json` }
    : { status: "on", detail: `~/.srt-settings.json: ${network}, credential paths denied` };
  return {
    present: true,
    files,
    problems,
    gate: {
      status: "none",
      detail: `srt has no command approval of its own; it confines commands (sandbox ${sandbox.status})`,
    },
    sandbox,
  };
}

/**
 * The keys srt's schema requires, and the domain patterns it accepts: a file that fails them is
 * rejected by srt, so its policy is unknown. Each failure is an issue naming the key and line.
 */
function schemaValid(read: ConfigReader, file: LoadedConfig): boolean {
  let ok = true;
  const fail = (path: (string | number)[], what: string) => {
    // A missing key has no line: name the line of the nearest enclosing key that has one.
    let line: number | undefined;
    for (let n = path.length; n > 0 && line === undefined; n--) line = file.lineOf(path.slice(0, n));
    read.issue(
      file.abs,
      `${line ? `line ${line}: ` : ""}${show(path)}: ${what} (srt's settings schema rejects the file)`,
    );
    ok = false;
  };
  if (!isRecord(file.value)) {
    fail([], "expected an object");
    return false;
  }
  const network = getAt(file.value, ["network"]);
  if (!isRecord(network)) {
    fail(["network"], network === undefined ? "required, missing" : "expected an object");
    return false;
  }
  for (const key of ["allowedDomains", "deniedDomains"]) {
    const v = network[key];
    if (!Array.isArray(v)) {
      fail(["network", key], v === undefined ? "required, missing" : "expected an array of domain patterns");
      continue;
    }
    v.forEach((d, i) => {
      if (typeof d !== "string") fail(["network", key, i], "expected a string");
      else if (!(key === "deniedDomains" && d === "*") && !domainPattern(d))
        fail(["network", key, i], "not a domain pattern srt accepts");
    });
  }
  const fs = getAt(file.value, ["filesystem"]);
  if (fs !== undefined && !isRecord(fs)) fail(["filesystem"], "expected an object");
  return ok;
}

function show(path: (string | number)[]): string {
  return (
    path
      .map((k) => (typeof k === "number" ? `[${k}]` : `.${k.length > 64 ? `${k.slice(0, 64)}…` : k}`))
      .join("")
      .replace(/^\./, "") || "(top level)"
  );
}

/** srt's domainPatternSchema: no scheme or path; `*` only as a `*.` prefix before two labels; a dot or localhost. */
export function domainPattern(d: string): boolean {
  if (!d || d.includes("://") || d.includes("/")) return false;
  const host = d.replace(/:\d{1,5}$/, ""); // host:port, since srt 0.0.68
  if (host.includes(":")) return false;
  if (host === "localhost") return true;
  if (host.startsWith("*.")) {
    const base = host.slice(2);
    return !base.includes("*") && base.split(".").filter(Boolean).length >= 2;
  }
  return !host.includes("*") && host.includes(".");
}

/** Whether an allowed domain pattern is broad (exfiltration-capable or multi-tenant). */
export function broadDomain(raw: string): boolean {
  const d = raw
    .trim()
    .toLowerCase()
    .replace(/:\d{1,5}$/, "")
    .replace(/\.$/, "");
  if (d.startsWith("*.")) {
    const base = d.slice(2);
    return BROAD_WILDCARD_BASES.has(base) || BROAD_DOMAINS.has(base);
  }
  return BROAD_DOMAINS.has(d);
}

/**
 * Whether any denied pattern covers an allowed one (domainCovers), in time linear in the lists'
 * length: exact names and `*.` bases in sets, each allowed name looked up by its suffixes (a
 * pairwise comparison took 13 s on a 1 MiB settings file; issue 10 review).
 */
export function deniedIndex(denied: readonly string[]): (allow: string) => boolean {
  const norm = (d: string) => d.trim().toLowerCase().replace(/\.$/, "");
  const exact = new Set<string>();
  const bases = new Set<string>();
  for (const d of denied) {
    if (d === "*") continue;
    const x = norm(d);
    exact.add(x);
    if (x.startsWith("*.")) bases.add(x.slice(1));
  }
  return (allow) => {
    const a = norm(allow);
    if (exact.has(a)) return true;
    const host = a.startsWith("*.") ? a.slice(1) : a;
    // A host name has at most 253 characters: a longer one matches no pattern but itself.
    if (host.length > 255) return false;
    // Every proper suffix of the host that starts at a dot: ".b.c", ".c".
    for (let i = host.indexOf(".", 1); i >= 0; i = host.indexOf(".", i + 1)) {
      if (bases.has(host.slice(i))) return true;
    }
    return false;
  };
}

/** Whether a denied pattern matches an allowed one (srt matching: `*.base` is subdomains only). */
export function domainCovers(deny: string, allow: string): boolean {
  const x = deny.trim().toLowerCase().replace(/\.$/, "");
  const a = allow.trim().toLowerCase().replace(/\.$/, "");
  if (x === a) return true;
  if (x.startsWith("*.")) {
    const base = x.slice(1); // ".example.com"
    const host = a.startsWith("*.") ? a.slice(1) : a;
    return host.endsWith(base) && host !== base;
  }
  return false;
}

/** The credential paths to check: the inventory's, and the standard directories that exist. */
async function credentialPaths(ctx: InspectContext): Promise<string[]> {
  const out = new Set<string>();
  for (const p of ctx.credentialPaths) {
    const rel = posix.normalize(p.replace(/^~\//, "")).replace(/\/+$/, "");
    if (rel && !rel.startsWith("..") && !isAbsolute(rel)) out.add(rel);
  }
  for (const dir of STANDARD_CREDENTIAL_DIRS) {
    if ([...out].some((p) => p === dir || p.startsWith(`${dir}/`))) continue;
    try {
      await lstat(join(ctx.home, dir));
      out.add(dir);
    } catch {
      // absent: nothing to deny
    }
  }
  return [...out].sort();
}

/**
 * A settings path as a home-relative path ("" for the home itself), "/" for the root (covers
 * everything), or undefined when it is elsewhere or relative (srt resolves those from its working
 * directory, which a config audit does not know). Trailing `/**` and `/*` globs are dropped.
 */
export function homeRelative(entry: string, home: string): string | undefined {
  let e = entry.trim().replace(/\/\*\*?$/, "");
  if (e === "/") return "/";
  if (e === "~" || e === "$HOME") return "";
  if (e.startsWith("~/")) e = e.slice(2);
  else if (e.startsWith("$HOME/")) e = e.slice(6);
  else if (isAbsolute(e)) {
    const h = home.replace(/\/+$/, "");
    if (e === h) return "";
    if (!e.startsWith(`${h}/`)) {
      // An ancestor of the home (/home, /Users) covers all of it.
      return h.startsWith(`${e.replace(/\/+$/, "")}/`) ? "" : undefined;
    }
    e = e.slice(h.length + 1);
  } else return undefined;
  const n = posix.normalize(e).replace(/\/+$/, "");
  if (n === "." || n === "") return "";
  return n.startsWith("..") ? undefined : n;
}

/** Whether a home-relative settings path covers a home-relative credential path. */
function pathCovers(entry: string | undefined, cred: string): boolean {
  if (entry === undefined) return false;
  if (entry === "/" || entry === "") return true;
  return cred === entry || cred.startsWith(`${entry}/`);
}

/** Why an allowWrite entry is broad, or undefined. */
export function broadWrite(entry: string, home: string): string | undefined {
  const rel = homeRelative(entry, home);
  if (rel === "/") return "makes the whole filesystem writable";
  if (rel === "") return "makes the whole home directory writable";
  if (rel === undefined) return undefined;
  if (SHELL_RC.has(rel)) return "makes a shell start-up file writable (code that runs outside the sandbox)";
  if (
    [".ssh", ".aws", ".config", ".config/gcloud", ".kube", ".gnupg", ".docker"].some(
      (d) => d === rel || d.startsWith(`${rel}/`),
    )
  )
    return "makes a credential or configuration directory writable";
  return undefined;
}
