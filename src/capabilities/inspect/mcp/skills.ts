import { hash } from "node:crypto";
import { lstat } from "node:fs/promises";
import { basename, extname, join, relative } from "node:path";
import { envConfigDir } from "../env-dir.js";
import { isRecord, type LoadedConfig, parseConfig } from "../read.js";
import type { InspectContext, Origin } from "../types.js";
import { describeRun, findHiddenRuns, type HiddenRun } from "./hidden.js";
import { shown } from "./servers.js";
import type { CommandJudge, McpProblem } from "./types.js";

// Skills and instruction files (issue 16): text the agent loads and obeys. Found where the runtimes
// look for them, read as data (bounded, regular files only, confined, never run), and checked for
// hidden characters, commands the gate would stop (judged by the gate's own engine, injected as a
// CommandJudge), and prose that tells the agent to read credential files or send data out.
//
// Where (Linux; each verified against the runtime's docs or, for plugins, its install layout):
// - skills, a folder with SKILL.md (YAML front matter: name, description) and optional files:
//   Claude Code `~/.claude/skills/<n>/` ($CLAUDE_CONFIG_DIR moves ~/.claude), project
//   `.claude/skills/<n>/`, installed plugins `~/.claude/plugins/cache/<marketplace>/<plugin>/<version>/skills/<n>/`;
//   Codex and other Agent Skills readers `~/.agents/skills/<n>/`, `.agents/skills/<n>/`,
//   `$CODEX_HOME/skills/<n>/` (older Codex) and the admin `/etc/codex/skills/<n>/`;
// - instruction files loaded into every session: `CLAUDE.md`, `CLAUDE.local.md`, `.claude/CLAUDE.md`,
//   `~/.claude/CLAUDE.md`, managed `/etc/claude-code/CLAUDE.md`; `AGENTS.md`, `$CODEX_HOME/AGENTS.md`;
//   `GEMINI.md`, `~/.gemini/GEMINI.md`; `.cursorrules`, `.cursor/rules/*.mdc`; `.windsurfrules`,
//   `.windsurf/rules/*.md`, `~/.codeium/windsurf/memories/global_rules.md`;
//   `.github/copilot-instructions.md`, `.github/instructions/*.instructions.md`.
// Only the project root's instruction files are read (not those of subfolders).

export interface SkillRecord {
  kind: "skill" | "instructions";
  /** SKILL.md or the instruction file (absolute). */
  file: string;
  name: string;
  /** Bundled script files read (skills). */
  scripts: number;
}

export const SKILL_LIMITS = {
  /** Skills read in all (every root together). */
  maxSkills: 512,
  /** Files read in one skill folder (SKILL.md, references, scripts). */
  maxFilesPerSkill: 64,
  /** Folder depth walked inside a skill (`scripts/lib/x.sh` is depth 2). */
  maxDepth: 2,
  /** Commands judged per file; the rest is an issue. */
  maxCommandsPerFile: 400,
  /** Problems reported per file and check; the rest is an issue. */
  maxProblemsPerCheck: 50,
  /** Longest front matter parsed. */
  maxFrontMatter: 64 * 1024,
  /** Longest command (or inline code span) given to the judge. */
  maxCommandChars: 8 * 1024,
} as const;

/** The gate's categories a command found in a skill or instruction file is reported for. */
export const REPORTED_CATEGORIES: ReadonlySet<string> = new Set([
  "remote-code",
  "exfiltration",
  "credential-access",
  "obfuscation",
  "persistence",
  "privilege",
  "destructive",
]);

/**
 * Gate rules that say only that a text is not a plain command (prose, a placeholder, pseudo-code,
 * `$EDITOR`): in documentation they are noise. Hidden characters are reported by their own check.
 */
const NOISE_RULES: ReadonlySet<string> = new Set([
  "gate-unparseable",
  "gate-too-large",
  "gate-too-complex",
  "gate-hidden-characters",
  "gate-dynamic-command",
]);
/** The gate's obfuscation rules that remain meaningful in documentation. */
const OBFUSCATION_RULES: ReadonlySet<string> = new Set([
  "gate-dynamic-payload",
  "gate-decode-to-shell",
  "gate-stdin-to-shell",
  "gate-opaque-code",
  "gate-exec-option",
]);

const SHELL_LANGS = new Set([
  "",
  "sh",
  "bash",
  "shell",
  "console",
  "zsh",
  "ksh",
  "dash",
  "terminal",
  "shellsession",
  "shell-session",
  "shell-script",
  "sh-session",
]);
const PROMPT_LANGS = new Set(["console", "terminal", "shellsession", "shell-session", "sh-session"]);

const TEXT_EXT = new Set([".md", ".mdx", ".markdown", ".txt", ".mdc"]);
const SHELL_EXT = new Set([".sh", ".bash", ".zsh", ".ksh", ".dash"]);
const SCRIPT_EXT = new Set([
  ".py",
  ".js",
  ".mjs",
  ".cjs",
  ".ts",
  ".rb",
  ".pl",
  ".ps1",
  ".php",
  ".lua",
  ...SHELL_EXT,
]);

interface SkillRoot {
  dir: string;
  origin: Origin;
  scope: string;
  base?: string;
}

interface InstructionFile {
  abs: string;
  origin: Origin;
  scope: string;
  base?: string;
}

export async function inspectSkills(
  ctx: InspectContext,
  judge: CommandJudge,
): Promise<{ skills: SkillRecord[]; problems: McpProblem[] }> {
  const skills: SkillRecord[] = [];
  const problems: McpProblem[] = [];
  const { roots, files, dirs, plugins } = locations(ctx);

  for (const f of files) {
    const loaded = await ctx.read.load({ ...f, format: "text" });
    if (loaded?.ok) checkInstructions(ctx, judge, loaded, skills, problems);
  }
  for (const d of dirs) {
    for (const abs of await ctx.read.list(d.dir, d.suffix)) {
      const loaded = await ctx.read.load({ abs, origin: d.origin, scope: d.scope, format: "text" });
      if (loaded?.ok) checkInstructions(ctx, judge, loaded, skills, problems);
    }
  }
  for (const p of plugins) {
    // ~/.claude/plugins/cache/<marketplace>/<plugin>/<version>/skills
    for (const market of await ctx.read.list(p.dir, "")) {
      for (const plugin of await ctx.read.list(market, "")) {
        for (const version of await ctx.read.list(plugin, "")) {
          roots.push({ ...p, dir: join(version, "skills"), scope: "plugin" });
        }
      }
    }
  }
  let count = 0;
  for (const root of roots) {
    for (const folder of await ctx.read.list(root.dir, "")) {
      if (count >= SKILL_LIMITS.maxSkills) {
        ctx.read.issue(
          root.dir,
          `skipped: more than ${SKILL_LIMITS.maxSkills} skills in all (the rest not read)`,
        );
        break;
      }
      const spec = { origin: root.origin, scope: root.scope, ...(root.base ? { base: root.base } : {}) };
      const md = await ctx.read.load({ abs: join(folder, "SKILL.md"), ...spec, format: "text" });
      if (!md) continue;
      count++;
      if (!md.ok) continue;
      await checkSkill(ctx, judge, folder, md, spec, skills, problems);
    }
  }
  return { skills, problems };
}

function locations(ctx: InspectContext) {
  const roots: SkillRoot[] = [];
  const files: InstructionFile[] = [];
  const dirs: { dir: string; suffix: string; origin: Origin; scope: string }[] = [];
  const plugins: SkillRoot[] = [];
  const { home, root, systemRoot } = ctx;
  if (ctx.origins.has("home")) {
    const claude = envConfigDir(ctx, "CLAUDE_CONFIG_DIR", join(home, ".claude"));
    const claudeBase = claude.moved ? { base: claude.dir } : {};
    const codex = envConfigDir(ctx, "CODEX_HOME", join(home, ".codex"));
    const codexBase = codex.moved ? { base: codex.dir } : {};
    roots.push(
      { dir: join(claude.dir, "skills"), origin: "home", scope: "user", ...claudeBase },
      { dir: join(home, ".agents", "skills"), origin: "home", scope: "user" },
      { dir: join(codex.dir, "skills"), origin: "home", scope: "user", ...codexBase },
    );
    plugins.push({
      dir: join(claude.dir, "plugins", "cache"),
      origin: "home",
      scope: "plugin",
      ...claudeBase,
    });
    files.push(
      { abs: join(claude.dir, "CLAUDE.md"), origin: "home", scope: "user", ...claudeBase },
      { abs: join(codex.dir, "AGENTS.md"), origin: "home", scope: "user", ...codexBase },
      { abs: join(home, ".gemini", "GEMINI.md"), origin: "home", scope: "user" },
      {
        abs: join(home, ".codeium", "windsurf", "memories", "global_rules.md"),
        origin: "home",
        scope: "user",
      },
    );
  }
  if (ctx.origins.has("tree")) {
    roots.push(
      { dir: join(root, ".claude", "skills"), origin: "tree", scope: "project" },
      { dir: join(root, ".agents", "skills"), origin: "tree", scope: "project" },
    );
    for (const name of [
      "CLAUDE.md",
      "CLAUDE.local.md",
      ".claude/CLAUDE.md",
      "AGENTS.md",
      "GEMINI.md",
      ".cursorrules",
      ".windsurfrules",
      ".github/copilot-instructions.md",
    ])
      files.push({ abs: join(root, name), origin: "tree", scope: "project" });
    dirs.push(
      { dir: join(root, ".cursor", "rules"), suffix: ".mdc", origin: "tree", scope: "project" },
      { dir: join(root, ".windsurf", "rules"), suffix: ".md", origin: "tree", scope: "project" },
      {
        dir: join(root, ".github", "instructions"),
        suffix: ".instructions.md",
        origin: "tree",
        scope: "project",
      },
    );
  }
  if (ctx.origins.has("system")) {
    files.push({
      abs: join(systemRoot, "etc", "claude-code", "CLAUDE.md"),
      origin: "system",
      scope: "managed",
    });
    roots.push({ dir: join(systemRoot, "etc", "codex", "skills"), origin: "system", scope: "admin" });
  }
  return { roots, files, dirs, plugins };
}

/** How an instruction file is named in titles: its path under the project or home, else its name. */
function instructionLabel(ctx: InspectContext, abs: string): string {
  for (const [base, prefix] of [
    [ctx.root, ""],
    [ctx.home, "~/"],
  ] as const) {
    const rel = relative(base, abs);
    if (rel && !rel.startsWith("..") && !rel.startsWith("/")) return safeLabel(`${prefix}${rel}`, 120);
  }
  return safeLabel(basename(abs), 120);
}

function checkInstructions(
  ctx: InspectContext,
  judge: CommandJudge,
  file: LoadedConfig,
  skills: SkillRecord[],
  problems: McpProblem[],
): void {
  const label = instructionLabel(ctx, file.abs);
  skills.push({ kind: "instructions", file: file.abs, name: label, scripts: 0 });
  const t = new TextCheck(ctx, judge, problems, {
    kind: "instructions",
    file: file.abs,
    subject: label,
    what: label,
    fixParams: { file: file.abs, instructions: label },
  });
  t.markdown(file.text);
  t.finish();
}

async function checkSkill(
  ctx: InspectContext,
  judge: CommandJudge,
  folder: string,
  md: LoadedConfig,
  spec: { origin: Origin; scope: string; base?: string },
  skills: SkillRecord[],
  problems: McpProblem[],
): Promise<void> {
  const name = skillName(ctx, md) ?? safeLabel(basename(folder));
  const record: SkillRecord = { kind: "skill", file: md.abs, name, scripts: 0 };
  skills.push(record);
  const base = { kind: "skill" as const, subject: name, fixParams: { skill: name } };
  const main = new TextCheck(ctx, judge, problems, {
    ...base,
    file: md.abs,
    what: `Skill "${name}"`,
    fixParams: { file: md.abs, skill: name },
  });
  main.markdown(md.text);
  main.finish();

  // The folder's other files: references the model loads, scripts it may run.
  let files = 0;
  const walk = async (dir: string, depth: number): Promise<void> => {
    for (const abs of await ctx.read.list(dir, "")) {
      if (files >= SKILL_LIMITS.maxFilesPerSkill) {
        ctx.read.issue(
          folder,
          `skipped: more than ${SKILL_LIMITS.maxFilesPerSkill} files in the skill (the rest not read)`,
        );
        return;
      }
      let st: Awaited<ReturnType<typeof lstat>>;
      try {
        st = await lstat(abs);
      } catch {
        continue;
      }
      if (st.isDirectory()) {
        if (depth < SKILL_LIMITS.maxDepth) await walk(abs, depth + 1);
        else
          ctx.read.issue(
            folder,
            `skipped: folder ${safeLabel(relative(folder, abs), 120)} of the skill is deeper than ${SKILL_LIMITS.maxDepth} levels (its files not read)`,
          );
        continue;
      }
      if (!st.isFile() && !st.isSymbolicLink()) continue;
      if (abs === md.abs) continue;
      const ext = extname(abs).toLowerCase();
      const isText = TEXT_EXT.has(ext);
      if (!isText && !SCRIPT_EXT.has(ext) && ext !== "") continue;
      files++;
      const loaded = await ctx.read.load({ abs, ...spec, format: "text" });
      if (!loaded?.ok) continue;
      const rel = safeLabel(relative(folder, abs), 120);
      const t = new TextCheck(ctx, judge, problems, {
        ...base,
        file: abs,
        what: `Skill "${name}" file ${rel}`,
        fixParams: { file: abs, skill: name },
      });
      if (isText) t.markdown(loaded.text);
      else {
        const shell = SHELL_EXT.has(ext) || isShellShebang(loaded.text);
        if (ext === "" && !shell && !loaded.text.startsWith("#!")) {
          // A file without an extension or a shebang: data, checked for hidden characters only.
          t.hidden(loaded.text);
        } else {
          record.scripts++;
          t.what = `Skill "${name}" script ${rel}`;
          if (shell) t.shellScript(loaded.text);
          else t.code(loaded.text);
        }
      }
      t.finish();
    }
  };
  await walk(folder, 0);
}

function isShellShebang(text: string): boolean {
  if (!text.startsWith("#!")) return false;
  const nl = text.indexOf("\n");
  const first = text.slice(2, nl < 0 ? Math.min(text.length, 200) : Math.min(nl, 200));
  const ws = first.trim().split(/[ \t]+/);
  const prog = basename(ws[0] ?? "");
  const interp = prog === "env" ? basename(ws.find((w, i) => i > 0 && !w.startsWith("-")) ?? "") : prog;
  return ["sh", "bash", "zsh", "dash", "ksh", "mksh", "ash"].includes(interp);
}

/** The front matter's `name`, made printable; undefined when there is none. */
function skillName(ctx: InspectContext, md: LoadedConfig): string | undefined {
  const fm = frontMatter(md.text);
  if (fm === undefined) return undefined;
  if (fm.length > SKILL_LIMITS.maxFrontMatter) {
    ctx.read.issue(md.abs, `front matter not parsed: over ${SKILL_LIMITS.maxFrontMatter} characters`);
    return undefined;
  }
  const parsed = parseConfig({ abs: md.abs, scope: md.scope, origin: md.origin, format: "yaml" }, fm, (m) =>
    ctx.read.issue(md.abs, `front matter ${m}`),
  );
  const name = parsed.ok && isRecord(parsed.value) ? parsed.value.name : undefined;
  return typeof name === "string" && name.trim() ? safeLabel(name.trim()) : undefined;
}

/** The YAML between a first line `---` and the next line `---` (or `...`), or undefined. */
function frontMatter(text: string): string | undefined {
  if (!text.startsWith("---")) return undefined;
  const first = text.indexOf("\n");
  if (first < 0 || text.slice(3, first).trim() !== "") return undefined;
  for (let start = first + 1; start < text.length; ) {
    const nl = text.indexOf("\n", start);
    const end = nl < 0 ? text.length : nl;
    const line = text.slice(start, end).replace(/\r$/, "");
    if (line === "---" || line === "...") return text.slice(first + 1, start);
    if (nl < 0) break;
    start = nl + 1;
  }
  return undefined;
}

interface TextTarget {
  kind: "skill" | "instructions";
  file: string;
  subject: string;
  /** How titles name the text: `Skill "x"`, `Skill "x" script scripts/a.sh`, `CLAUDE.md`. */
  what: string;
  fixParams: Record<string, string>;
}

interface Flagged {
  decision: string;
  rules: string[];
  categories: string[];
}

/** The checks of one text (a SKILL.md, a reference, a script, an instruction file), collecting problems. */
class TextCheck {
  what: string;
  private script = false;
  private judged = 0;
  private readonly counts = new Map<string, number>();
  private readonly details = new Map<string, number>();
  private readonly commandLines = new Set<number>();

  constructor(
    private readonly ctx: InspectContext,
    private readonly judge: CommandJudge,
    private readonly problems: McpProblem[],
    private readonly target: TextTarget,
  ) {
    this.what = target.what;
  }

  private get prefix(): string {
    return this.target.kind === "skill" ? "skill" : "instructions";
  }

  private add(
    check: string,
    line: number,
    title: string,
    detail: string,
    extra: McpProblem["fixParams"] = {},
  ): void {
    const n = (this.counts.get(check) ?? 0) + 1;
    this.counts.set(check, n);
    if (n > SKILL_LIMITS.maxProblemsPerCheck) {
      if (n === SKILL_LIMITS.maxProblemsPerCheck + 1)
        this.ctx.read.issue(
          this.target.file,
          `${check}: more than ${SKILL_LIMITS.maxProblemsPerCheck} problems in this file (the rest not listed)`,
        );
      return;
    }
    // Identity without the line (a finding keeps its fingerprint when text above it moves); a repeat
    // of the same text in one file is told apart by its ordinal.
    const seen = (this.details.get(`${check}\0${detail}`) ?? 0) + 1;
    this.details.set(`${check}\0${detail}`, seen);
    this.problems.push({
      check,
      file: this.target.file,
      line,
      subject: this.target.subject,
      title,
      detail: seen > 1 ? `${detail}#${seen}` : detail,
      fixParams: { ...this.target.fixParams, ...extra },
    });
  }

  /** Hidden characters: one problem per line that holds any. */
  hidden(text: string): void {
    const byLine = new Map<number, HiddenRun[]>();
    for (const run of findHiddenRuns(text)) {
      const list = byLine.get(run.line);
      if (list) list.push(run);
      else byLine.set(run.line, [run]);
    }
    for (const [line, runs] of byLine) {
      const first = runs[0]!;
      const total = runs.reduce((n, r) => n + r.codePoints.length, 0);
      const more =
        runs.length > 1 ? ` and ${runs.length - 1} more run(s) (${total} characters on the line)` : "";
      const codes = runs
        .flatMap((r) => r.codePoints)
        .slice(0, 64)
        .map((c) => c.toString(16))
        .join(",");
      this.add(
        `${this.prefix}-hidden-characters`,
        line,
        `${this.what} hides characters at line ${line}, column ${first.column}: ${describeRun(first)}${more}`,
        `hidden:${codes}:${first.decoded ?? ""}`,
        { characters: total },
      );
    }
  }

  /** Markdown (SKILL.md, references, instruction files): hidden characters, code blocks, inline commands, prose. */
  markdown(text: string): void {
    this.hidden(text);
    const lines = splitLines(text);
    let fence: { char: string; len: number; lang: string; lines: { n: number; text: string }[] } | undefined;
    // Inside an HTML comment: hidden when the Markdown is rendered, read by the model all the same.
    let comment = false;
    for (let i = 0; i < lines.length; i++) {
      let line = lines[i]!;
      const n = i + 1;
      if (fence) {
        if (closesFence(line, fence.char, fence.len)) {
          this.block(fence.lang, fence.lines);
          fence = undefined;
        } else if (SHELL_LANGS.has(fence.lang)) fence.lines.push({ n, text: line });
        else this.codeLine(n, line);
        continue;
      }
      const wasComment = comment;
      comment = commentState(line, comment);
      if (wasComment || comment || line.includes("<!--")) {
        // A line of a comment is judged whole as a command (`<!--` and `-->` taken out), then as prose.
        line = line.replaceAll("<!--", " ").replaceAll("-->", " ");
        const body = line.trim();
        const f =
          body.length <= SKILL_LIMITS.maxCommandChars && /\s/.test(body)
            ? this.verdict(body)?.flagged
            : undefined;
        if (f) {
          this.report(n, body, f);
          continue;
        }
      } else {
        const open = opensFence(line);
        if (open) {
          fence = { ...open, lines: [] };
          continue;
        }
      }
      this.inlineCommands(n, line);
      if (!this.commandLines.has(n)) this.prose(n, line);
    }
    if (fence) this.block(fence.lang, fence.lines);
  }

  /** A bundled shell script: judged whole and line by line. */
  shellScript(text: string): void {
    this.script = true;
    this.hidden(text);
    const lines = splitLines(text).map((t, i) => ({ n: i + 1, text: t }));
    this.commands(logicalCommands(lines, false), text);
  }

  /** A bundled script in another language: hidden characters and credential files it names. */
  code(text: string): void {
    this.script = true;
    this.hidden(text);
    const lines = splitLines(text);
    for (let i = 0; i < lines.length; i++) this.codeLine(i + 1, lines[i]!);
  }

  finish(): void {
    if (this.judged > SKILL_LIMITS.maxCommandsPerFile)
      this.ctx.read.issue(
        this.target.file,
        `commands not all judged: more than ${SKILL_LIMITS.maxCommandsPerFile} in this file (the rest not checked)`,
      );
  }

  private block(lang: string, lines: { n: number; text: string }[]): void {
    const cmds = logicalCommands(lines, PROMPT_LANGS.has(lang) || lines.some((l) => /^\s*\$ /.test(l.text)));
    if (cmds.length) this.commands(cmds, cmds.map((c) => c.text).join("\n"));
  }

  /**
   * Judges each command, and the whole (what one line sets up another runs: a download, then its
   * execution). When the whole parses, a line is reported only for rules the whole confirms (a
   * here-document's body is data, not commands); rules only the whole shows go to the first line.
   */
  private commands(cmds: { n: number; text: string }[], whole: string): void {
    if (!cmds.length) return;
    const all = cmds.length > 1 ? this.verdict(whole) : undefined;
    const covered = new Set<string>();
    for (const c of cmds) {
      const v = this.verdict(c.text);
      let f = v?.flagged;
      if (f && all?.parsed) {
        const allowed = new Set(all.flagged?.rules ?? []);
        const rules = f.rules.filter((r) => allowed.has(r));
        f = rules.length === f.rules.length ? f : rules.length ? { ...f, rules, categories: [] } : undefined;
      }
      if (!f) continue;
      for (const r of f.rules) covered.add(r);
      this.report(c.n, c.text, f);
    }
    // Rules only the whole shows: reported at the line that completes them, found by bisecting the
    // prefixes (the first prefix whose verdict holds the rule), a few judge calls per rule.
    let residual = (all?.flagged?.rules ?? []).filter((r) => !covered.has(r));
    while (residual.length && all?.flagged) {
      let lo = 0;
      let hi = cmds.length - 1;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        const v = this.verdict(prefixText(cmds, mid));
        if (v?.flagged?.rules.some((r) => residual.includes(r))) hi = mid;
        else lo = mid + 1;
      }
      const at = this.verdict(prefixText(cmds, lo))?.flagged?.rules.filter((r) => residual.includes(r)) ?? [];
      const rules = at.length ? at : residual;
      this.report(cmds[lo]!.n, prefixText(cmds, lo), { ...all.flagged, rules, categories: [] });
      residual = residual.filter((r) => !rules.includes(r));
    }
  }

  private verdict(command: string): { flagged?: Flagged; parsed: boolean } | undefined {
    if (++this.judged > SKILL_LIMITS.maxCommandsPerFile) return undefined;
    if (command.length > SKILL_LIMITS.maxCommandChars * 32) return { parsed: false };
    const v = this.judge(command, this.ctx.root);
    const parsed = !v.rules.includes("gate-unparseable") && !v.rules.includes("gate-too-large");
    if (v.decision === "allow") return { parsed };
    const rules = v.rules.filter((r) => !NOISE_RULES.has(r));
    let categories = v.categories.filter((c) => REPORTED_CATEGORIES.has(c));
    if (!rules.some((r) => OBFUSCATION_RULES.has(r)))
      categories = categories.filter((c) => c !== "obfuscation");
    if (!rules.length || !categories.length) return { parsed };
    return { parsed, flagged: { decision: v.decision, rules, categories } };
  }

  private report(line: number, command: string, f: Flagged): void {
    this.commandLines.add(line);
    const check =
      this.target.kind === "instructions"
        ? "instructions-risky-command"
        : this.script
          ? "skill-script-risky-command"
          : "skill-risky-command";
    const how = f.decision === "deny" ? "would deny" : "would hold for approval";
    this.add(
      check,
      line,
      `${this.what} has a command at line ${line} the gate ${how} (${f.categories.length ? `${f.categories.join(", ")}: ` : ""}${f.rules.join(", ")})`,
      `command:${shortHash(command)}`,
      { decision: f.decision, rules: f.rules, categories: f.categories },
    );
  }

  /** Inline code spans that read as commands (`curl ... | sh`), judged. */
  private inlineCommands(n: number, line: string): void {
    for (const span of inlineSpans(line)) {
      const s = span.trim();
      if (s.length > SKILL_LIMITS.maxCommandChars || !/\s/.test(s)) continue;
      const c = s.charCodeAt(0);
      const starts =
        (c >= 0x61 && c <= 0x7a) ||
        (c >= 0x41 && c <= 0x5a) ||
        c === 0x2e ||
        c === 0x2f ||
        c === 0x7e ||
        c === 0x24;
      if (!starts) continue;
      const f = this.verdict(s.startsWith("$ ") ? s.slice(2) : s)?.flagged;
      if (f) this.report(n, s, f);
    }
  }

  /** A line of prose: a command written out in it (curl, wget), credential reads, data sent out. */
  private prose(n: number, line: string): void {
    const lower = line.toLowerCase();
    if (lower.length > 64 * 1024) return;
    // A network command written as prose ("then run curl -d @~/.aws/credentials https://…"): the judge decides.
    for (const tool of ["curl ", "wget "]) {
      const at = wordAt(lower, tool);
      if (at < 0) continue;
      let cmd = proseCommand(line.slice(at, at + SKILL_LIMITS.maxCommandChars));
      while (cmd.endsWith(".") || cmd.endsWith("`") || cmd.endsWith("*")) cmd = cmd.slice(0, -1);
      const f = this.verdict(cmd)?.flagged;
      if (f) {
        this.report(n, cmd, f);
        return;
      }
    }
    const ws = words(lower);
    const cred = credentialIn(lower);
    const dest = destinationIn(lower, ws);
    if (dest !== undefined && firstUnnegated(ws, SEND_VERBS) >= 0) {
      const what = cred ?? ws.find((w) => SENSITIVE_NOUNS.has(w));
      if (what !== undefined) {
        this.add(
          `${this.prefix}-sends-data-out`,
          n,
          `${this.what} tells the agent to send ${what} to ${dest} (line ${n})`,
          `send:${what}:${dest}`,
          { host: dest },
        );
        return;
      }
    }
    if (cred !== undefined && firstUnnegated(ws, READ_VERBS) >= 0) {
      this.add(
        `${this.prefix}-reads-credentials`,
        n,
        `${this.what} tells the agent to read ${cred} (line ${n})`,
        `read:${cred}`,
        { path: cred },
      );
    }
  }

  /**
   * A line of code (a script, a non-shell code block): a shell command in one of its strings
   * (`os.system("curl … | sh")`) is judged; a credential file it names is read by it.
   */
  private codeLine(n: number, line: string): void {
    if (line.length > 64 * 1024) return;
    const lower = line.toLowerCase();
    for (const tool of ["curl ", "wget "]) {
      const at = wordAt(lower, tool);
      if (at < 0) continue;
      const cmd = proseCommand(untilQuote(line.slice(at, at + SKILL_LIMITS.maxCommandChars)));
      const f = this.verdict(cmd)?.flagged;
      if (f) {
        this.report(n, cmd, f);
        return;
      }
    }
    const cred = credentialIn(lower);
    if (cred === undefined) return;
    this.add(
      `${this.prefix}-reads-credentials`,
      n,
      `${this.what} has code that reads ${cred} (line ${n})`,
      `code:${cred}`,
      { path: cred },
    );
  }
}

/** Whether a line ends inside an HTML comment, given whether it starts in one. Linear. */
function commentState(line: string, inside: boolean): boolean {
  let i = 0;
  let state = inside;
  for (;;) {
    const at = line.indexOf(state ? "-->" : "<!--", i);
    if (at < 0) return state;
    i = at + (state ? 3 : 4);
    state = !state;
  }
}

/** A command in a string of code: up to the first quote that would end the string. */
function untilQuote(text: string): string {
  let end = text.length;
  for (const q of ['"', "'", "`"]) {
    const i = text.indexOf(q);
    if (i >= 0 && i < end) end = i;
  }
  return text.slice(0, end);
}

function splitLines(text: string): string[] {
  return text.split("\n").map((l) => (l.endsWith("\r") ? l.slice(0, -1) : l));
}

/** A fence opener: ``` or ~~~ (3 or more), then the info string; its first word is the language. */
function opensFence(line: string): { char: string; len: number; lang: string } | undefined {
  const t = line.trimStart();
  const char = t[0];
  if (char !== "`" && char !== "~") return undefined;
  let len = 0;
  while (t[len] === char) len++;
  if (len < 3) return undefined;
  const info = t.slice(len).trim();
  if (char === "`" && info.includes("`")) return undefined;
  const first = info.split(/[\s{},]/, 1)[0] ?? "";
  const lang = first.replace(/^[.{]+/, "").toLowerCase();
  return { char, len, lang };
}

function closesFence(line: string, char: string, len: number): boolean {
  const t = line.trim();
  if (t.length < len) return false;
  for (let i = 0; i < t.length; i++) if (t[i] !== char) return false;
  return true;
}

/**
 * The commands of a block or script, one per logical line: continuation lines (`\` at the end)
 * joined, comments and blank lines skipped; with prompts, only `$ ` lines (the rest is output).
 */
function logicalCommands(
  lines: { n: number; text: string }[],
  prompts: boolean,
): { n: number; text: string }[] {
  const out: { n: number; text: string }[] = [];
  for (let i = 0; i < lines.length; i++) {
    let t = lines[i]!.text.trim();
    const n = lines[i]!.n;
    if (prompts) {
      if (!t.startsWith("$ ")) continue;
      t = t.slice(2).trim();
    } else if (t.startsWith("$ ")) t = t.slice(2).trim();
    if (!t || t.startsWith("#")) continue;
    while (t.endsWith("\\") && i + 1 < lines.length && t.length < SKILL_LIMITS.maxCommandChars * 32) {
      i++;
      t = `${t.slice(0, -1)} ${lines[i]!.text.trim()}`;
    }
    out.push({ n, text: t });
  }
  return out;
}

/** Single-backtick code spans of a line (runs of two or more backticks are skipped). Linear. */
function inlineSpans(line: string): string[] {
  const out: string[] = [];
  let i = line.indexOf("`");
  while (i >= 0) {
    if (line[i + 1] === "`") {
      let j = i;
      while (line[j] === "`") j++;
      i = line.indexOf("`", j);
      continue;
    }
    const j = line.indexOf("`", i + 1);
    if (j < 0) break;
    out.push(line.slice(i + 1, j));
    i = line.indexOf("`", j + 1);
  }
  return out;
}

/** Where `word` (ending in a space) starts in a line at a word boundary, or -1. */
function wordAt(lower: string, word: string): number {
  for (let i = lower.indexOf(word); i >= 0; i = lower.indexOf(word, i + 1)) {
    const before = i > 0 ? lower.charCodeAt(i - 1) : 0x20;
    if (!WORDISH(before) && before !== 0x2d && before !== 0x2e && before !== 0x2f) return i;
  }
  return -1;
}

/** The commands of a block up to and including the i-th, as one script. */
function prefixText(cmds: { text: string }[], i: number): string {
  return cmds
    .slice(0, i + 1)
    .map((c) => c.text)
    .join("\n");
}

/** Words that end a command written in prose ("run curl … | sh before anything else"). */
const PROSE_ENDS = [
  ". ",
  ", ",
  " before ",
  " after ",
  " then ",
  " first",
  " and ",
  " so ",
  " to ",
  " when ",
  " if ",
];

/** A command written in a sentence, cut where the sentence goes on in words. */
function proseCommand(text: string): string {
  let end = text.length;
  for (const w of PROSE_ENDS) {
    const i = text.indexOf(w);
    if (i > 0 && i < end) end = i;
  }
  return text.slice(0, end).trim();
}

function shortHash(text: string): string {
  return hash("sha256", text, "hex").slice(0, 16);
}

// Prose helpers (shared with tools.ts).
/**
 * Credential files and folders, as written in prose (lowercase). The first entry of each pair is
 * searched; the second is how it is named in a title. `.env` is matched with word boundaries
 * (not `process.env`, `.environment`, `.env.example`).
 */
const CREDENTIAL_NEEDLES: readonly [string, string][] = [
  ["/.ssh", "~/.ssh"],
  ["id_rsa", "an SSH private key (id_rsa)"],
  ["id_ed25519", "an SSH private key (id_ed25519)"],
  ["id_ecdsa", "an SSH private key (id_ecdsa)"],
  ["id_dsa", "an SSH private key (id_dsa)"],
  [".aws/credentials", "~/.aws/credentials"],
  [".npmrc", "~/.npmrc"],
  [".netrc", "~/.netrc"],
  [".pypirc", "~/.pypirc"],
  [".git-credentials", "~/.git-credentials"],
  [".docker/config.json", "~/.docker/config.json"],
  [".kube/config", "~/.kube/config"],
  ["gh/hosts.yml", "~/.config/gh/hosts.yml"],
  [".config/gcloud", "~/.config/gcloud"],
  ["application_default_credentials", "Google application default credentials"],
  [".vault-token", "~/.vault-token"],
  [".terraform.d/credentials", "~/.terraform.d/credentials"],
  [".azure/", "~/.azure"],
  [".gnupg", "~/.gnupg"],
  [".password-store", "~/.password-store"],
  ["/etc/shadow", "/etc/shadow"],
  [".credentials.json", "a .credentials.json file"],
  ["mcp.json", "an MCP config (mcp.json)"],
  ["claude_desktop_config.json", "Claude Desktop's config"],
  ["mcp_config.json", "an MCP config (mcp_config.json)"],
];

const WORDISH = (c: number) =>
  (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39) || c === 0x5f;

/** The first credential path a (lowercased) text names, as a title names it; undefined if none. */
export function credentialIn(lower: string): string | undefined {
  for (const [needle, name] of CREDENTIAL_NEEDLES) if (lower.includes(needle)) return name;
  // `.env`, `.env.local`, `.env.production`; not `.env.example` / `.sample` / `.template` / `.dist`.
  for (let i = lower.indexOf(".env"); i >= 0; i = lower.indexOf(".env", i + 1)) {
    const before = i > 0 ? lower.charCodeAt(i - 1) : 0x20;
    const after = lower.charCodeAt(i + 4);
    if (WORDISH(before) || (i + 4 < lower.length && WORDISH(after))) continue;
    if (after === 0x2e) {
      const rest = lower.slice(i + 5, i + 14);
      if (
        rest.startsWith("example") ||
        rest.startsWith("sample") ||
        rest.startsWith("template") ||
        rest.startsWith("dist")
      )
        continue;
    }
    return "a .env file";
  }
  return undefined;
}

/** The words of a lowercased line: letters, digits and the characters of paths, URLs and contractions. */
export function words(lower: string): string[] {
  const out: string[] = [];
  let start = -1;
  for (let i = 0; i <= lower.length; i++) {
    const c = i < lower.length ? lower.charCodeAt(i) : 0x20;
    const keep =
      (c >= 0x61 && c <= 0x7a) ||
      (c >= 0x30 && c <= 0x39) ||
      c === 0x27 || // '
      c === 0x2019 || // ’
      c === 0x5f ||
      c === 0x2d ||
      c === 0x2e ||
      c === 0x2f ||
      c === 0x7e ||
      c === 0x40 ||
      c === 0x24 ||
      c === 0x3a ||
      c === 0x3d ||
      c >= 0x80;
    if (keep) {
      if (start < 0) start = i;
    } else if (start >= 0) {
      let w = lower.slice(start, i);
      // A word's trailing sentence punctuation is not part of it (`~/.ssh.` ends a sentence).
      while (w.length > 1 && (w.endsWith(".") || w.endsWith(":") || w.endsWith("'"))) w = w.slice(0, -1);
      out.push(w.replace(/\u2019/g, "'"));
      start = -1;
    }
  }
  return out;
}

const NEGATORS = new Set([
  "never",
  "not",
  "don't",
  "dont",
  "doesn't",
  "avoid",
  "no",
  "without",
  "cannot",
  "can't",
  "mustn't",
  "shouldn't",
  "won't",
  "refuse",
  "forbidden",
  "prohibited",
  "nor",
]);

/** Whether the word at i is negated: a negator among the 3 words before it. */
export function negated(ws: readonly string[], i: number): boolean {
  for (let k = Math.max(0, i - 3); k < i; k++) if (NEGATORS.has(ws[k]!)) return true;
  return false;
}

/** The index of the first word of `set` that is not negated, or -1. */
export function firstUnnegated(ws: readonly string[], set: ReadonlySet<string>): number {
  for (let i = 0; i < ws.length; i++) if (set.has(ws[i]!) && !negated(ws, i)) return i;
  return -1;
}

/** Verbs that make the agent read or hand over a file's contents. */
export const READ_VERBS = new Set([
  "read",
  "reads",
  "reading",
  "cat",
  "print",
  "prints",
  "show",
  "display",
  "output",
  "dump",
  "dumps",
  "send",
  "sends",
  "upload",
  "uploads",
  "post",
  "include",
  "includes",
  "attach",
  "paste",
  "collect",
  "gather",
  "grab",
  "extract",
  "exfiltrate",
  "base64",
  "encode",
  "echo",
  "summarize",
  "summarise",
  "leak",
  "share",
  "contents",
  "content",
  "pass",
]);

/** Verbs that send something to another party. */
export const SEND_VERBS = new Set([
  "send",
  "sends",
  "sending",
  "post",
  "posts",
  "upload",
  "uploads",
  "submit",
  "forward",
  "transmit",
  "exfiltrate",
  "share",
  "beacon",
  "curl",
  "wget",
]);

/** What is worth stealing, as prose names it. */
export const SENSITIVE_NOUNS = new Set([
  "secret",
  "secrets",
  "token",
  "tokens",
  "credential",
  "credentials",
  "password",
  "passwords",
  "key",
  "keys",
  "environment",
  "env",
  "history",
  "conversation",
  "cookies",
  "contents",
  "content",
]);

/**
 * The host a line sends to: of its first http(s) URL (user info dropped) or e-mail address;
 * only [a-z0-9.-] kept, at most 100 characters. Undefined when the line names neither.
 */
export function destinationIn(lower: string, ws: readonly string[]): string | undefined {
  const u = lower.indexOf("://");
  if (u >= 4 && (lower.startsWith("http", u - 4) || lower.startsWith("https", u - 5))) {
    let end = u + 3;
    while (end < lower.length && end - u < 300) {
      const c = lower.charCodeAt(end);
      if (
        c === 0x2f ||
        c === 0x3f ||
        c === 0x23 ||
        c <= 0x20 ||
        c === 0x29 ||
        c === 0x60 ||
        c === 0x22 ||
        c === 0x27
      )
        break;
      end++;
    }
    let host = lower.slice(u + 3, end);
    const at = host.lastIndexOf("@");
    if (at >= 0) host = host.slice(at + 1);
    const colon = host.indexOf(":");
    if (colon >= 0) host = host.slice(0, colon);
    return cleanHost(host);
  }
  for (const w of ws) {
    const at = w.indexOf("@");
    if (at > 0 && w.indexOf(".", at) > at + 1 && !w.startsWith("@")) return cleanHost(w.slice(at + 1));
  }
  return undefined;
}

function cleanHost(host: string): string | undefined {
  let out = "";
  for (let i = 0; i < host.length && out.length < 100; i++) {
    const c = host.charCodeAt(i);
    if ((c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === 0x2e || c === 0x2d) out += host[i];
  }
  while (out.endsWith(".")) out = out.slice(0, -1);
  return out.includes(".") ? out : undefined;
}

/** A one-line, printable-ASCII rendering of attacker text for a title, at most `max` characters. */
export function safeLabel(text: string, max = 64): string {
  // Secrets masked over the whole text first (a token cut in two is no longer recognised), then
  // everything but printable ASCII shown as "?", then cut.
  const masked = shown(text.length > 4096 ? text.slice(0, 4096) : text, Number.MAX_SAFE_INTEGER);
  let out = "";
  let n = 0;
  for (const ch of masked) {
    if (++n > max) return `${out}…`;
    const c = ch.codePointAt(0)!;
    out += c >= 0x20 && c < 0x7f && c !== 0x22 ? ch : "?";
  }
  return out;
}
