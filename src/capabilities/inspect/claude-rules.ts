import { realpath, stat } from "node:fs/promises";
import { isAbsolute, join } from "node:path";

// Claude Code's matching rules as agent-audit needs them (issue 10): permission rules
// (`Bash(npm install *)`, `Read(~/.ssh/**)`), hook matchers, and whether a hook command resolves to
// an executable. Everything here reads data; nothing is run. Sources: docs permissions.md and
// hooks.md (research egress-approval.md §2.3, §2.5).

/** A permission rule split into its tool and its content (`Bash(npm run *)` → Bash, `npm run *`). */
export interface ParsedRule {
  tool: string;
  /** undefined: the bare tool name (every use of the tool). */
  content: string | undefined;
}

export function parseRule(rule: string): ParsedRule | undefined {
  const m = /^\s*([A-Za-z0-9_]+)\s*(?:\(([\s\S]*)\))?\s*$/.exec(rule);
  if (!m) return undefined;
  return { tool: m[1]!, content: m[2] };
}

/** The rule covers every use of its tool: `Bash`, `Bash()`, `Bash(*)`, `Bash(:*)`. */
export function coversWholeTool(rule: ParsedRule): boolean {
  if (rule.content === undefined) return true;
  const c = rule.content.trim();
  return c === "" || c === "*" || c === ":*" || c === "**";
}

/**
 * A shared bound on pattern matching: a settings file may hold thousands of long wildcard rules
 * (the agent can write it), and each is tried against a few commands and paths. Every step of the
 * matcher counts; once the budget is spent nothing more matches and `exhausted` says so.
 */
export class MatchBudget {
  steps = 0;
  exhausted = false;
  constructor(readonly max = 20_000_000) {}
  spend(n: number): boolean {
    this.steps += n;
    if (this.steps > this.max) this.exhausted = true;
    return !this.exhausted;
  }
}

/**
 * A glob token: a literal character, `?` (one non-slash), `*` (a non-slash run), `**` (anything),
 * or `**` followed by a slash (zero or more directories).
 */
type Token = string | { any: "one" | "run" | "all" | "dirs" };

/**
 * Whether a token list matches a text, by walking the set of reachable positions (no
 * backtracking, so no pattern is exponential): time is tokens x text length, charged to the
 * budget. `prefix`: a match of a leading part that ends at a `/` also counts (a directory pattern
 * covers what is under it).
 */
function tokensMatch(tokens: Token[], text: string, budget: MatchBudget, prefix: boolean): boolean {
  const n = text.length;
  if (!budget.spend((tokens.length + 1) * (n + 1))) return false;
  let cur = new Uint8Array(n + 1);
  let next = new Uint8Array(n + 1);
  cur[0] = 1;
  for (const t of tokens) {
    next.fill(0);
    let alive = 0;
    if (typeof t === "string") {
      for (let i = 0; i < n; i++) if (cur[i] && text[i] === t) alive = next[i + 1] = 1;
    } else if (t.any === "one") {
      for (let i = 0; i < n; i++) if (cur[i] && text[i] !== "/") alive = next[i + 1] = 1;
    } else if (t.any === "run") {
      for (let i = 0; i <= n; i++)
        if (cur[i] || (i > 0 && next[i - 1] && text[i - 1] !== "/")) alive = next[i] = 1;
    } else if (t.any === "all") {
      for (let i = 0; i <= n; i++) if (cur[i] || (i > 0 && next[i - 1])) alive = next[i] = 1;
    } else {
      let seen = false;
      for (let i = 0; i <= n; i++) {
        if (cur[i] || (seen && text[i - 1] === "/")) alive = next[i] = 1;
        if (cur[i]) seen = true;
      }
    }
    if (!alive) return false;
    [cur, next] = [next, cur];
  }
  if (cur[n]) return true;
  if (prefix) for (let i = 1; i < n; i++) if (cur[i] && text[i] === "/") return true;
  return false;
}

/** Longest rule content matched; a longer one is not a rule a person wrote and matches nothing. */
export const RULE_MAX = 512;

const bashTokens = new Map<string, Token[]>();
/** A Bash pattern's tokens: `*` matches anything, spaces included. */
function bashPattern(p: string): Token[] {
  let t = bashTokens.get(p);
  if (!t) {
    t = [...p].map((c) => (c === "*" ? { any: "all" as const } : c));
    if (bashTokens.size > 4096) bashTokens.clear();
    bashTokens.set(p, t);
  }
  return t;
}

/**
 * Whether a Bash rule's content matches a command (one simple command, no wrappers): `:*` at the
 * end is a prefix match (legacy), `*` matches anything (spaces included), and a trailing ` *`
 * also matches the bare command (`ls *` matches `ls` and `ls -la`, not `lsof`).
 */
export function bashRuleMatches(rule: ParsedRule, command: string, budget = new MatchBudget()): boolean {
  if (rule.tool !== "Bash") return false;
  if (coversWholeTool(rule)) return true;
  if (budget.exhausted) return false;
  const pattern = rule.content!.trim();
  if (pattern.length > RULE_MAX) return false;
  // Parameter rules (`Bash(run_in_background:true)`) constrain a parameter, not the command.
  if (/^[a-z_]+:(true|false|\S+)$/i.test(pattern) && !pattern.endsWith(":*")) return false;
  const alternatives: string[] = [];
  if (pattern.endsWith(":*")) {
    const head = pattern.slice(0, -2);
    alternatives.push(head, `${head} *`, `${head}:*`);
  } else if (pattern.endsWith(" *")) alternatives.push(pattern.slice(0, -2), pattern);
  else alternatives.push(pattern);
  return alternatives.some((a) => tokensMatch(bashPattern(a), command, budget, false));
}

/** Where relative permission-rule paths are anchored. */
export interface PathBases {
  home: string;
  /** The working directory (the project root). */
  root: string;
  /** `/path` is relative to the settings source: ~/.claude for user settings, the project for the others. */
  source: string;
}

/**
 * Whether a Read or Edit rule's gitignore-style path pattern covers a file: the pattern matches the
 * file or one of its parent directories. `~/x` is under the home, `//x` is absolute, `/x` is under
 * the settings source, `./x` and `x/y` are under the working directory, and a bare name (`.env`)
 * matches at any depth under it.
 */
export function pathRuleCovers(
  rule: ParsedRule,
  tool: string,
  file: string,
  bases: PathBases,
  budget = new MatchBudget(),
): boolean {
  return pathRule(rule, tool, bases)?.(file, budget) ?? false;
}

/** Tests whether a compiled path rule covers a file. */
export type PathMatcher = (file: string, budget: MatchBudget) => boolean;

/** A Read or Edit rule compiled once (see pathRuleCovers); undefined when it is not a rule of `tool`. */
export function pathRule(rule: ParsedRule, tool: string, bases: PathBases): PathMatcher | undefined {
  if (rule.tool !== tool) return undefined;
  if (coversWholeTool(rule)) return () => true;
  let p = rule.content!.trim();
  if (p.length > RULE_MAX) return undefined;
  let anchored: string;
  if (p.startsWith("~/")) anchored = bases.home + p.slice(1);
  else if (p.startsWith("//")) anchored = p.slice(1);
  else if (p.startsWith("/")) anchored = bases.source + p;
  else {
    if (p.startsWith("./")) p = p.slice(2);
    const slash = p.replace(/\/+$/, "").includes("/");
    anchored = slash ? `${bases.root}/${p}` : `${bases.root}/**/${p}`;
  }
  anchored = anchored.replace(/\/+$/, "");
  const wild = anchored.search(/[*?]/);
  const literal = wild < 0 ? anchored : anchored.slice(0, wild);
  const tokens = globTokens(anchored);
  // The literal part before the first wildcard must lead to the file (or a directory above it).
  return (file, budget) =>
    !budget.exhausted && file.startsWith(literal) && tokensMatch(tokens, file, budget, true);
}

/** A gitignore-style glob's tokens. */
function globTokens(glob: string): Token[] {
  const out: Token[] = [];
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === "*" && glob[i + 1] === "*") {
      if (glob[i + 2] === "/") {
        out.push({ any: "dirs" });
        i += 2;
      } else {
        out.push({ any: "all" });
        i += 1;
      }
    } else if (c === "*") out.push({ any: "run" });
    else if (c === "?") out.push({ any: "one" });
    else out.push(c);
  }
  return out;
}

/** Longest hook matcher tried as a regular expression. */
export const MATCHER_MAX = 512;

/**
 * Whether a hook matcher selects a tool: `*`, `""` or none match every tool; a value made only of
 * letters, digits, `_`, `-`, spaces, `,` and `|` is an exact name or a list; anything else is an
 * unanchored JavaScript regular expression, tried here only against the tool's name.
 * "invalid": not a regular expression the runtime can compile (the hook never runs).
 */
export function matcherSelects(matcher: string | undefined, tool: string): boolean | "invalid" {
  if (matcher === undefined || matcher === "" || matcher === "*") return true;
  if (/^[A-Za-z0-9_ ,|-]+$/.test(matcher))
    return matcher
      .split(/[,|]/)
      .map((s) => s.trim())
      .includes(tool);
  if (matcher.length > MATCHER_MAX) return "invalid";
  try {
    return new RegExp(matcher).test(tool);
  } catch {
    return "invalid";
  }
}

/** Where a hook command's executable is looked for. */
export interface ResolveContext {
  home: string;
  root: string;
  systemRoot: string;
  env: Readonly<Record<string, string>> | undefined;
}

export type Resolution =
  | { status: "ok"; path: string }
  | { status: "missing"; word: string; why: string }
  | { status: "unverifiable"; word: string; why: string }
  /** Runs, but never blocks (`true`, `exit 0`). */
  | { status: "noop"; word: string; why: string };

/** Shell builtins that are a complete hook command (`exit 2` blocks everything). */
const BUILTINS = new Set([":", "true", "false", "exit", "echo", "printf", "test", "[", "read"]);
/** Programs that run the program named after their options and assignments. */
const WRAPPERS = new Set(["env", "nohup", "command"]);
/** Shells that exit 127 when the script they are given does not exist. */
const SHELLS = new Set(["sh", "bash", "zsh", "dash", "ksh"]);

/**
 * Whether a hook command (run by a shell) resolves to an executable: its first word (after
 * `VAR=value` assignments and `exec`) must be an executable regular file (`~`, `$HOME` under the
 * home, `$CLAUDE_PROJECT_DIR` and relative paths under the project, absolute paths under the
 * system root), or a bare name found on the agent's PATH. A shell given a script (`bash x.sh`)
 * also needs the script. `args` set: the command is the executable itself (exec form).
 */
export async function resolveHookCommand(
  command: string,
  execForm: boolean,
  ctx: ResolveContext,
  depth = 0,
): Promise<Resolution> {
  // `gate || exit 2`: whatever goes wrong with the gate (missing: 127, a crash: 1) becomes exit 2,
  // which blocks. The wrapper makes a hook fail closed, so a gate that cannot be found or verified
  // still stops every call rather than letting it through.
  const trimmed = command.trimEnd();
  const bar = trimmed.lastIndexOf("||");
  if (!execForm && bar > 0 && /^\|\|\s*exit\s+2$/.test(trimmed.slice(bar))) {
    const gate = trimmed.slice(0, bar);
    if (statusOperator(gate) === undefined) {
      const g = await resolveFirst(gate, false, ctx, depth);
      if (g.status === "noop") return g;
      return { status: "ok", path: g.status === "ok" ? g.path : g.word };
    }
  }
  const r = await resolveFirst(command, execForm, ctx, depth);
  if (r.status !== "ok" || execForm) return r;
  // `gate; exit 0`, `gate || true`, `gate | tee log`, `gate &`, a second line: the hook's exit
  // status is not the gate's, so a block (exit 2) can be turned into a pass.
  const op = statusOperator(command);
  return op
    ? {
        status: "unverifiable",
        word: command.slice(0, 80),
        why: `its exit status is not its first command's (${op} follows it), so a block can be lost`,
      }
    : r;
}

async function resolveFirst(
  command: string,
  execForm: boolean,
  ctx: ResolveContext,
  depth: number,
): Promise<Resolution> {
  const words = execForm ? [literalWord(command, ctx)] : shellWords(command, ctx, 8);
  let i = 0;
  while (i < words.length && words[i] !== null && /^[A-Za-z_][A-Za-z0-9_]*=/.test(words[i]!)) i++;
  if (words[i] === "exec") i++;
  const first = words[i];
  if (first === undefined) return { status: "missing", word: "", why: "the command is empty" };
  if (first === null)
    return {
      status: "unverifiable",
      word: command.slice(0, 80),
      why: "its first word is computed ($VAR or $(...)) and cannot be resolved statically",
    };
  if (!first.includes("/") && BUILTINS.has(first)) {
    // Only exit 2 (or a deny decision on stdout) blocks: `true`, `:`, `exit 0` let every call through.
    if (first === "exit" && words[i + 1] === "2") return { status: "ok", path: first };
    if (first === "echo" || first === "printf")
      return {
        status: "unverifiable",
        word: first,
        why: `the shell builtin ${first} answers without reading the call`,
      };
    return {
      status: "noop",
      word: first,
      why: `the shell builtin ${first === "exit" ? `exit ${words[i + 1] ?? ""}`.trim() : first} never blocks (only exit 2 does): every call goes through`,
    };
  }
  const exe = await findExecutable(first, ctx);
  if (exe.status !== "ok") return exe;
  // The name as written, and the file it links to (`~/bin/gate -> /bin/true` is `true`).
  const real = await realpath(exe.path).catch(() => exe.path);
  const names = [first, real].map((p) => p.replace(/^.*\//, ""));
  const base =
    names.find((n) => n === "true" || n === "false" || WRAPPERS.has(n) || SHELLS.has(n)) ?? names[0]!;
  if (base === "true" || base === "false")
    return {
      status: "noop",
      word: first,
      why: `${base} never blocks (only exit 2 does): every call goes through`,
    };
  if (WRAPPERS.has(base)) {
    // `env X=1 gate`, `nohup gate`: the program they run must resolve too.
    const k = words.findIndex(
      (w, j) => j > i && (w === null || !(w.startsWith("-") || /^[A-Za-z_][A-Za-z0-9_]*=/.test(w))),
    );
    const next = k < 0 ? undefined : words[k];
    if (next === null)
      return {
        status: "unverifiable",
        word: base,
        why: `the program ${base} runs is computed and cannot be resolved`,
      };
    if (next === undefined)
      return { status: "noop", word: base, why: `${base} runs nothing here and never blocks` };
    if (depth >= 2) return { status: "unverifiable", word: base, why: "wrappers nested too deep to resolve" };
    return resolveFirst(
      words
        .slice(k)
        .map((w) => shellQuote(w!))
        .join(" "),
      false,
      ctx,
      depth + 1,
    );
  }
  if (SHELLS.has(base)) {
    const rest = words.slice(i + 1);
    const at = rest.findIndex((w) => w === null || !w.startsWith("-"));
    const script = at < 0 ? undefined : rest[at];
    // `bash -c '<command>'`: the string is the command the shell runs.
    const dashC = rest.slice(0, at < 0 ? rest.length : at).some((w) => /^-[a-z]*c[a-z]*$/.test(w!));
    if (dashC && typeof script === "string") {
      if (depth >= 2) return { status: "unverifiable", word: base, why: "shells nested too deep to resolve" };
      return resolveHookCommand(script, false, ctx, depth + 1);
    }
    if (script === undefined && !dashC)
      return {
        status: "noop",
        word: base,
        why: `${base} without a script runs the hook's JSON input as commands, fails and never blocks`,
      };
    if (script === null)
      return {
        status: "unverifiable",
        word: base,
        why: "its script path is computed and cannot be resolved",
      };
    if (script?.includes("/")) {
      const at = placeOf(script, ctx);
      const st = await stat(at).catch(() => undefined);
      if (!st?.isFile())
        return {
          status: "missing",
          word: script,
          why: `${base} is given a script that does not exist (exit 127)`,
        };
    }
  }
  return exe;
}

async function findExecutable(word: string, ctx: ResolveContext): Promise<Resolution> {
  if (word.includes("/")) {
    const at = placeOf(word, ctx);
    return (await isExecutable(at))
      ? { status: "ok", path: at }
      : {
          status: "missing",
          word,
          why: "not an executable regular file (the hook exits 127 and fails open)",
        };
  }
  const path = ctx.env && Object.hasOwn(ctx.env, "PATH") ? ctx.env.PATH : undefined;
  if (path === undefined)
    return {
      status: "unverifiable",
      word,
      why: "a bare command name, and the agent's PATH is not known (give --environ)",
    };
  for (const dir of path.split(":").slice(0, 64)) {
    if (!isAbsolute(dir)) continue;
    const at = placeOf(join(dir, word), ctx);
    if (await isExecutable(at)) return { status: "ok", path: at };
  }
  return {
    status: "missing",
    word,
    why: "not found on the agent's PATH (the hook exits 127 and fails open)",
  };
}

/**
 * The first unquoted operator that makes a command's exit status another command's: `;`, `|`,
 * `||`, `&` (background) or a line break. `&&` keeps a block (exit 2 stops the list); `>&`,
 * `&>` and `<&` are redirections. Undefined when there is none.
 */
export function statusOperator(command: string): string | undefined {
  const n = Math.min(command.length, 4096);
  let i = 0;
  while (i < n) {
    const c = command[i]!;
    if (c === "\\") i += 2;
    else if (c === "'") {
      const end = command.indexOf("'", i + 1);
      i = end < 0 ? n : end + 1;
    } else if (c === '"') {
      let j = i + 1;
      while (j < n && command[j] !== '"') j += command[j] === "\\" ? 2 : 1;
      i = j + 1;
    } else if (c === "#" && (i === 0 || /\s/.test(command[i - 1]!))) {
      const end = command.indexOf("\n", i);
      if (end < 0) return undefined;
      i = end;
    } else if (c === "\n" || c === "\r") {
      if (command.slice(i).trim() !== "") return "a line break";
      return undefined;
    } else if (c === ";") return "`;`";
    else if (c === "|") return command[i + 1] === "|" ? "`||`" : "`|`";
    else if (c === "&") {
      if (command[i + 1] === "&") i += 2;
      else if (command[i - 1] === ">" || command[i - 1] === "<" || command[i + 1] === ">") i++;
      else return "`&`";
    } else i++;
  }
  return command.length > n ? `more than ${n} characters` : undefined;
}

/** A word quoted for shellWords to read back as itself. */
function shellQuote(w: string): string {
  return `'${w.replace(/'/g, "'\\''")}'`;
}

/** An absolute path of the audited system (under --system-root unless it is under the home or project). */
function placeOf(p: string, ctx: ResolveContext): string {
  if (!isAbsolute(p)) return join(ctx.root, p);
  const under = (base: string) => p === base || p.startsWith(`${base}/`);
  if (under(ctx.home) || under(ctx.root) || ctx.systemRoot === "/") return p;
  return join(ctx.systemRoot, p);
}

async function isExecutable(p: string): Promise<boolean> {
  const st = await stat(p).catch(() => undefined);
  return !!st && st.isFile() && (st.mode & 0o111) !== 0;
}

function literalWord(command: string, ctx: ResolveContext): string | null {
  return expandVars(command.trim(), ctx) ?? null;
}

/** `~/x`, `$HOME/x`, `${CLAUDE_PROJECT_DIR}/x`: the variables a hook path may hold; others are unknown. */
function expandVars(word: string, ctx: ResolveContext, tilde = true): string | undefined {
  let w = word;
  if (tilde && (w === "~" || w.startsWith("~/"))) w = ctx.home + w.slice(1);
  let unknown = false;
  w = w.replace(/\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))/g, (_, a, b) => {
    const v = knownVar(a ?? b, ctx);
    if (v === undefined) unknown = true;
    return v ?? "";
  });
  return unknown || w.includes("$") || w.includes("`") ? undefined : w;
}

function knownVar(name: string, ctx: ResolveContext): string | undefined {
  if (name === "HOME") return ctx.home;
  if (name === "CLAUDE_PROJECT_DIR") return ctx.root;
  return undefined;
}

/**
 * The first `max` words of a shell command, quotes removed and the variables above expanded; a
 * word that holds anything else computed (`$OTHER`, `$(...)`, backquotes) is null. Parsing stops
 * at an unquoted operator (`;`, `|`, `&`, `<`, `>`, parentheses).
 */
export function shellWords(command: string, ctx: ResolveContext, max: number): (string | null)[] {
  const words: (string | null)[] = [];
  let i = 0;
  const n = Math.min(command.length, 4096);
  while (words.length < max) {
    while (i < n && /\s/.test(command[i]!)) i++;
    if (i >= n || /[;|&<>()]/.test(command[i]!)) break;
    let word = "";
    let dynamic = false;
    let startsTilde = command[i] === "~";
    while (i < n && !/[\s;|&<>()]/.test(command[i]!)) {
      const c = command[i]!;
      if (c === "'") {
        const end = command.indexOf("'", i + 1);
        word += command.slice(i + 1, end < 0 ? n : end);
        i = end < 0 ? n : end + 1;
      } else if (c === '"') {
        let j = i + 1;
        let part = "";
        while (j < n && command[j] !== '"') {
          if (command[j] === "\\" && j + 1 < n) {
            part += command[j + 1];
            j += 2;
          } else part += command[j++];
        }
        const expanded = expandVars(part, ctx, false);
        if (expanded === undefined) dynamic = true;
        else word += expanded;
        i = j + 1;
      } else if (c === "`") {
        // Command substitution: computed, whatever it holds.
        const end = command.indexOf("`", i + 1);
        dynamic = true;
        i = end < 0 ? n : end + 1;
      } else if (c === "\\") {
        word += command[i + 1] ?? "";
        i += 2;
      } else {
        let j = i;
        while (j < n && !/[\s;|&<>()'"`\\]/.test(command[j]!)) j++;
        const part = command.slice(i, j);
        const expanded = expandVars(part, ctx, startsTilde);
        if (expanded === undefined) dynamic = true;
        else word += expanded;
        i = j;
      }
      startsTilde = false;
    }
    words.push(dynamic ? null : word);
  }
  return words;
}

/**
 * Why an allowed sandbox domain is broad, or undefined: a wildcard over everything or over a whole
 * top-level domain, or a host anyone can publish to (code hosting, object storage, paste sites,
 * tunnels, webhooks), which makes the allowlist an exfiltration channel.
 */
export function broadDomain(raw: string): string | undefined {
  const d = raw.trim().toLowerCase().replace(/\.$/, "");
  if (d === "*" || d === "*.*" || d === "**" || d === "") return "matches every domain";
  if (/^\*\.[^.]+$/.test(d) || /^\*\.(co|com|org|net|gov|ac)\.[a-z]{2}$/.test(d))
    return "matches every domain under a top-level domain";
  const host = d.replace(/^\*\./, "");
  for (const [suffix, why] of PUBLISHABLE) {
    if (host === suffix || host.endsWith(`.${suffix}`) || (d.startsWith("*.") && suffix.endsWith(`.${host}`)))
      return why;
  }
  return undefined;
}

const CODE = "hosts content anyone can publish (code hosting): a channel out, and in";
const STORAGE = "is shared cloud storage anyone can write to: a channel out";
const PASTE = "is a paste, file-drop, tunnel or webhook service: a channel out";
const PUBLISHABLE: [string, string][] = [
  ["github.com", CODE],
  ["githubusercontent.com", CODE],
  ["gitlab.com", CODE],
  ["bitbucket.org", CODE],
  ["amazonaws.com", STORAGE],
  ["storage.googleapis.com", STORAGE],
  ["blob.core.windows.net", STORAGE],
  ["cloudfront.net", STORAGE],
  ["r2.dev", STORAGE],
  ["dropbox.com", STORAGE],
  ["pastebin.com", PASTE],
  ["paste.ee", PASTE],
  ["hastebin.com", PASTE],
  ["transfer.sh", PASTE],
  ["file.io", PASTE],
  ["0x0.st", PASTE],
  ["ngrok.io", PASTE],
  ["ngrok-free.app", PASTE],
  ["webhook.site", PASTE],
  ["requestbin.com", PASTE],
  ["pipedream.net", PASTE],
  ["workers.dev", PASTE],
  ["discord.com", PASTE],
  ["api.telegram.org", PASTE],
];
