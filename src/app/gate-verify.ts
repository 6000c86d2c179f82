// `agent-audit gate verify` (issue 11, app layer): replays the corpus of dangerous and benign
// commands through (a) agent-audit's own policy, (b) every hook a runtime runs before its shell
// tool that the inspectors find (Claude Code PreToolUse on Bash, Gemini CLI BeforeTool), spawned as
// the runtime spawns it and judged as the runtime judges it, and (c) Codex rules files through
// `codex execpolicy check` when the Codex CLI is installed. Returns the catch rate per category and
// the false alarms; `scan --verify-gates` turns a gate's misses into step-5 findings.
//
// The hook commands come from agent-writable config: verify runs them exactly as the runtime would
// on every tool call (same stdin, a minimal environment: PATH, HOME and the locale), nothing more.

import { accessSync, constants, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, isAbsolute, join, resolve } from "node:path";
import type { GateContext, Verdict } from "../capabilities/gate/types.js";
import {
  type CorpusCase,
  failedOpen,
  type GateScore,
  type HookRun,
  type Judged,
  parseCorpus,
  scoreGate,
  verifyCodexRules,
  verifyHook,
} from "../capabilities/gate/verify.js";
import { runInspect } from "../capabilities/inspect/index.js";
import type { ConfiguredGate, Origin } from "../capabilities/inspect/types.js";
import { makeFinding } from "../contract/finding.js";
import type { Finding, RuntimeId, SourceName } from "../contract/types.js";
import { maskTokens } from "../detect/echo.js";
import { CODE_RULES } from "../rules/code.js";
import { UsageError } from "../util/errors.js";
import { packageRoot } from "../util/paths.js";

/** The built corpus (scripts/pack-gate-corpus.mjs copies fixtures/gate/corpus/*.jsonl into it). */
export const GATE_CORPUS_FILE = "gate-corpus.json";
/** Where the corpus's commands are judged (fixtures/gate/corpus/README.md). */
export const CORPUS_CONTEXT: GateContext = { cwd: "/home/agent/project", home: "/home/agent" };

/** Most hooks replayed in one run (each is spawned once per corpus command); the rest are counted. */
export const VERIFY_HOOKS_MAX = 32;

/** agent-audit's own policy: one command in, a verdict out. */
export type PolicyFn = (command: string, ctx: GateContext) => Verdict;

export interface GateVerifyRequest {
  home?: string;
  root?: string;
  systemRoot: string;
  /** Which config origins the inspectors read (home, tree, system; default all). */
  sources?: SourceName[];
  /** Extra corpus files (JSON lines, the built-in corpus's format). */
  corpus?: string[];
  /** false: only the --corpus files. */
  builtin?: boolean;
  /** Longest a hook may take per case (default 10 s; the hook's own timeout when shorter). */
  timeoutCapMs?: number;
  /** Cases run at once per gate. */
  concurrency?: number;
  /** Our policy (default: the engine's decide with the built-in policy, adjusted by `config`). */
  policy?: PolicyFn;
  /** agent-audit.yaml whose `gate:` section (decisions, allow) adjusts our policy, as `gate hook --config` does. */
  config?: string;
  /** The codex binary; false: do not check Codex rules; default: `codex` on PATH. */
  codexBin?: string | false;
}

export interface VerifyContext {
  cwd: string;
  env: Record<string, string | undefined>;
  homedir: string;
}

/** One gate's result. */
export interface VerifiedGate {
  kind: "policy" | "hook" | "rules";
  runtime: RuntimeId | "agent-audit";
  /** What is shown: the policy, the hook command (tokens masked), or the rules files. */
  name: string;
  /** The settings file and key of a hook; the rules files of Codex. */
  file?: string;
  key?: string;
  files?: string[];
  timeoutMs?: number;
  score: GateScore;
  /** The dangerous categories with at least one miss, in corpus order. */
  missedCategories: string[];
  /** The gate failed open (an error, a timeout, a missing program) on at least one case. */
  failsOpen: boolean;
  /** Median and longest time per case, in milliseconds. */
  medianMs: number;
  maxMs: number;
}

export interface GateVerifyResult {
  corpus: { cases: number; dangerous: number; benign: number; files: string[] };
  /** agent-audit's own policy. */
  policy: VerifiedGate;
  /** Every configured gate found, in inspector order. */
  gates: VerifiedGate[];
  /** Codex: checked, or why not. */
  codex: "checked" | "no-rules" | "not-installed" | "skipped";
  /** Hooks found but not replayed: past VERIFY_HOOKS_MAX. */
  notVerified: number;
  /** Every configured gate and our policy caught every dangerous case. */
  ok: boolean;
}

/** The built-in corpus: dist/gate-corpus.json when built, else the fixtures (a checkout under test). */
export function builtinCorpus(): CorpusCase[] {
  const built = join(packageRoot(), "dist", GATE_CORPUS_FILE);
  if (existsSync(built)) return (JSON.parse(readFileSync(built, "utf8")) as { cases: CorpusCase[] }).cases;
  const dir = join(packageRoot(), "fixtures", "gate", "corpus");
  return ["dangerous.jsonl", "benign.jsonl"].flatMap((f) =>
    parseCorpus(readFileSync(join(dir, f), "utf8"), `fixtures/gate/corpus/${f}`),
  );
}

/** The built-in corpus (unless builtin is false) and the --corpus files. */
export function loadCorpus(
  request: Pick<GateVerifyRequest, "corpus" | "builtin">,
  cwd: string,
): { cases: CorpusCase[]; files: string[] } {
  const cases = request.builtin === false ? [] : builtinCorpus();
  const files: string[] = request.builtin === false ? [] : ["(built-in)"];
  for (const f of request.corpus ?? []) {
    const abs = resolve(cwd, f);
    let text: string;
    try {
      text = readFileSync(abs, "utf8");
    } catch {
      throw new UsageError(`--corpus ${abs}: cannot read it`, "give a JSON-lines file");
    }
    try {
      cases.push(...parseCorpus(text, abs));
    } catch (e) {
      throw new UsageError(
        `--corpus ${(e as Error).message}`,
        'one {"command": "...", "category": "..."} per line',
      );
    }
    files.push(abs);
  }
  if (!cases.length) throw new UsageError("the corpus is empty", "give --corpus FILE with at least one line");
  return { cases, files };
}

/**
 * The default policy: what `gate check` and `gate hook` answer with the same --config (the built-in
 * policy, with the config's gate: decisions and allow entries), never writing a decision log.
 */
async function defaultPolicy(config: string | undefined, ctx: VerifyContext): Promise<PolicyFn> {
  const { GateConfigError, gateCheck, gateSetup } = await import("./gate.js");
  let setup: Awaited<ReturnType<typeof gateSetup>>;
  try {
    setup = await gateSetup({
      ...(config !== undefined ? { configPath: resolve(ctx.cwd, config) } : {}),
      logPath: false,
      env: ctx.env,
      home: ctx.homedir,
    });
  } catch (e) {
    if (e instanceof GateConfigError) throw new UsageError(e.message, e.hint);
    throw e;
  }
  return (command, c) => gateCheck(command, c, setup);
}

/** Our policy over the corpus: a throw is an `ask` (the engine fails closed; so does its judge). */
function runPolicy(policy: PolicyFn, cases: readonly CorpusCase[]): Judged[] {
  return cases.map((c) => {
    const started = performance.now();
    let decision: Judged["decision"];
    try {
      decision = policy(c.command, CORPUS_CONTEXT).decision;
    } catch {
      return { decision: "ask", outcome: "error", ms: performance.now() - started };
    }
    return { decision, outcome: "verdict", ms: performance.now() - started };
  });
}

/** Finds an executable `codex` on the PATH given. */
export function findOnPath(name: string, path: string | undefined): string | undefined {
  for (const dir of (path ?? "").split(delimiter)) {
    if (!dir || !isAbsolute(dir)) continue;
    const p = join(dir, name);
    try {
      if (statSync(p).isFile()) {
        accessSync(p, constants.X_OK);
        return p;
      }
    } catch {
      // Not here.
    }
  }
  return undefined;
}

function existingDir(path: string, what: string): string {
  let ok = false;
  try {
    ok = statSync(path).isDirectory();
  } catch {
    throw new UsageError(`${what} ${path}: no such directory`, `pass an existing directory to ${what}`);
  }
  if (!ok) throw new UsageError(`${what} ${path}: not a directory`, `pass a directory to ${what}`);
  return path;
}

/** The gates found on the machine, and where and how they run. */
export interface GateTarget {
  home: string;
  root: string;
  /** The environment of the hooks: PATH, HOME and the locale of the auditor's (no secret). */
  env: Record<string, string>;
}

/** The hook's environment: PATH, the locale and TMPDIR from ours, HOME the audited home. */
export function hookEnv(env: Record<string, string | undefined>, home: string): Record<string, string> {
  const out: Record<string, string> = { PATH: env.PATH ?? "/usr/local/bin:/usr/bin:/bin", HOME: home };
  for (const k of ["LANG", "LC_ALL", "TMPDIR"]) if (env[k] !== undefined) out[k] = env[k]!;
  return out;
}

/**
 * Verifies configured gates over the corpus: each hook, and Codex's rules when the binary is there.
 * Shared by `gate verify` and `scan --verify-gates`.
 */
export async function verifyConfigured(
  gates: readonly ConfiguredGate[],
  cases: readonly CorpusCase[],
  target: GateTarget,
  opts: Pick<GateVerifyRequest, "timeoutCapMs" | "concurrency" | "codexBin">,
): Promise<{ gates: VerifiedGate[]; codex: GateVerifyResult["codex"]; notVerified: number }> {
  const run: HookRun = {
    cwd: target.root,
    env: target.env,
    ...(opts.timeoutCapMs !== undefined ? { timeoutCapMs: opts.timeoutCapMs } : {}),
    ...(opts.concurrency !== undefined ? { concurrency: opts.concurrency } : {}),
  };
  const out: VerifiedGate[] = [];
  let codex: GateVerifyResult["codex"] = "no-rules";
  // The runtimes run identical handlers once (Claude Code deduplicates them across settings files).
  const seen = new Set<string>();
  let notVerified = 0;
  for (const g of gates) {
    if (g.kind === "hook") {
      if (g.runtime !== "claude-code" && g.runtime !== "gemini-cli") continue;
      const identity = JSON.stringify([g.runtime, g.command, g.args ?? null]);
      if (seen.has(identity)) continue;
      seen.add(identity);
      if (seen.size > VERIFY_HOOKS_MAX) {
        notVerified++;
        continue;
      }
      const judged = await verifyHook(
        {
          runtime: g.runtime,
          command: g.command,
          ...(g.args ? { args: g.args } : {}),
          timeoutMs: g.timeoutMs,
        },
        cases,
        run,
      );
      out.push(
        verified(cases, judged, {
          kind: "hook",
          runtime: g.runtime,
          name: maskTokens(g.command),
          file: g.file,
          key: g.key,
          timeoutMs: g.timeoutMs,
        }),
      );
      continue;
    }
    const bin = opts.codexBin === false ? undefined : (opts.codexBin ?? findOnPath("codex", target.env.PATH));
    if (opts.codexBin === false) {
      codex = "skipped";
      continue;
    }
    if (!bin) {
      codex = "not-installed";
      continue;
    }
    // Codex reads its own config from CODEX_HOME: an empty one, never the machine's.
    const codexHome = mkdtempSync(join(tmpdir(), "agent-audit-codex-"));
    try {
      const judged = await verifyCodexRules(cases, {
        bin,
        rules: g.files,
        env: { ...target.env, CODEX_HOME: codexHome },
        cwd: target.root,
        ...(opts.concurrency !== undefined ? { concurrency: opts.concurrency } : {}),
      });
      out.push(
        verified(cases, judged, { kind: "rules", runtime: g.runtime, name: "Codex rules", files: g.files }),
      );
      codex = "checked";
    } finally {
      rmSync(codexHome, { recursive: true, force: true });
    }
  }
  return { gates: out, codex, notVerified };
}

function verified(
  cases: readonly CorpusCase[],
  judged: readonly Judged[],
  what: Pick<VerifiedGate, "kind" | "runtime" | "name" | "file" | "key" | "files" | "timeoutMs">,
): VerifiedGate {
  const score = scoreGate(cases, judged);
  const ms = judged
    .filter((j) => j.outcome !== "not-run")
    .map((j) => j.ms)
    .sort((a, b) => a - b);
  return {
    ...what,
    score,
    missedCategories: score.categories.filter((c) => c.missed > 0).map((c) => c.category),
    failsOpen: judged.some(failedOpen),
    medianMs: ms.length ? Math.round(ms[Math.floor((ms.length - 1) / 2)]!) : 0,
    maxMs: ms.length ? Math.round(ms[ms.length - 1]!) : 0,
  };
}

/** The origins of runtime configs a set of sources reads (home, tree, system). */
function originsOf(sources: readonly SourceName[] | undefined): Set<Origin> {
  const all: Origin[] = ["home", "tree", "system"];
  if (!sources) return new Set(all);
  return new Set(all.filter((o) => sources.includes(o)));
}

/** Runs `gate verify`. */
export async function runGateVerify(
  request: GateVerifyRequest,
  ctx: VerifyContext,
): Promise<GateVerifyResult> {
  const home = existingDir(resolve(ctx.cwd, request.home ?? ctx.homedir), "--home");
  const root = existingDir(resolve(ctx.cwd, request.root ?? "."), "--root");
  const systemRoot = existingDir(resolve(ctx.cwd, request.systemRoot), "--system-root");
  const { cases, files } = loadCorpus(request, ctx.cwd);
  const policyFn = request.policy ?? (await defaultPolicy(request.config, ctx));
  const policy = verified(cases, runPolicy(policyFn, cases), {
    kind: "policy",
    runtime: "agent-audit",
    name:
      request.config === undefined
        ? "agent-audit built-in policy"
        : `agent-audit policy with ${resolve(ctx.cwd, request.config)}`,
  });
  const inspected = await runInspect({ home, root, systemRoot, origins: originsOf(request.sources) });
  const { gates, codex, notVerified } = await verifyConfigured(
    inspected.gates,
    cases,
    { home, root, env: hookEnv(ctx.env, home) },
    request,
  );
  const dangerous = cases.filter((c) => c.category !== "benign").length;
  return {
    corpus: { cases: cases.length, dangerous, benign: cases.length - dangerous, files },
    policy,
    gates,
    codex,
    notVerified,
    // A hook that was not replayed is not known to catch anything.
    ok: notVerified === 0 && [policy, ...gates].every((g) => g.score.dangerous.missed === 0),
  };
}

/**
 * Step-5 findings from verified gates (`scan --verify-gates`): `gate-verify-miss` for a gate that
 * let a dangerous category through, `gate-verify-fails-open` for one that failed open (an error, a
 * timeout, a missing program). Identified by the gate's file and key (portable), not the machine.
 */
export function verifyFindings(
  gates: readonly VerifiedGate[],
  portable: (abs: string) => string,
  accepted?: ReadonlySet<string>,
): Finding[] {
  const out: Finding[] = [];
  for (const g of gates) {
    const where = g.file ? `${portable(g.file)} ${g.key}` : (g.files ?? []).map(portable).join(", ");
    const identity = g.file ? portable(g.file) : `(${g.runtime})`;
    const subject = `${g.runtime}\0${g.key ?? ""}\0${g.name}`;
    const location = {
      source: "agent-config" as const,
      ...(g.file ? { path: g.file } : g.files?.[0] ? { path: g.files[0] } : {}),
      ...(g.key ? { name: g.key } : {}),
    };
    const label =
      g.kind === "hook" ? `hook ${JSON.stringify(g.name.slice(0, 120))} (${where})` : `${g.name} (${where})`;
    if (g.missedCategories.length) {
      const rule = CODE_RULES["gate-verify-miss"];
      const counts = g.score.categories
        .filter((c) => c.missed > 0)
        .map((c) => `${c.category} ${c.missed}/${c.total}`)
        .join(", ");
      out.push(
        makeFinding({
          ruleId: rule.id,
          control: rule.control,
          kind: rule.kind,
          severity: rule.severity,
          title: `The ${g.runtime} ${label} lets dangerous commands through: ${counts} missed`,
          remediation: rule.remediation,
          fix: {
            target: "gate-rules",
            params: {
              runtime: g.runtime,
              ...(g.file ? { file: g.file } : {}),
              categories: g.missedCategories,
            },
          },
          location,
          identityPath: identity,
          subject: `${subject}\0miss`,
          ...(accepted ? { accepted } : {}),
        }),
      );
    }
    if (g.failsOpen) {
      const rule = CODE_RULES["gate-verify-fails-open"];
      const how = Object.entries(g.score.failedOpen)
        .map(([o, n]) => `${o} ${n}`)
        .join(", ");
      out.push(
        makeFinding({
          ruleId: rule.id,
          control: rule.control,
          kind: rule.kind,
          severity: rule.severity,
          title: `The ${g.runtime} ${label} fails open: ${how} of ${g.score.dangerous.total + g.score.benign.total} cases let through by a broken gate`,
          remediation: rule.remediation,
          fix: { target: "gate-rules", params: { runtime: g.runtime, ...(g.file ? { file: g.file } : {}) } },
          location,
          identityPath: identity,
          subject: `${subject}\0open`,
          ...(accepted ? { accepted } : {}),
        }),
      );
    }
  }
  return out;
}
