#!/usr/bin/env node
// Speed of the approval gate (GitHub issue 11), on the built dist modules:
//
//   npm run bench:gate
//   node test/bench/gate-bench.mjs [--warmup 10] [--passes 15] [--runs 20] [--rounds 1] [--only REGEX]
//
// (a) decisions per second in process over the whole corpus (fixtures/gate/corpus/*.jsonl, judged
//     with cwd /home/agent/project and HOME /home/agent as the corpus README says): the first,
//     cold pass; --warmup more passes while V8 optimises the engine; then the steady state, the
//     median of --passes passes (compared with the issue's target, at least 20,000/s); and the
//     rate from each command's fastest of 15 runs (what the engine costs on an idle machine).
// (b) the whole-process time of `agent-audit gate hook claude-code --no-log` answering one command
//     (the PreToolUse JSON on stdin, an empty home, an empty environment) next to `node -e 0`:
//     one warm-up run each, then the median of --runs runs, and the ratio (target: at most 1.3).
//     --rounds N repeats that N times (each round its own medians, and the load average around it):
//     on a machine other work shares, one round can land in a busy minute.
// (c) the largest adversarial inputs we could think of (nested and unclosed `$(`, a megabyte of
//     quotes, long lists and pipelines, deep `${`, backslash-newlines, invisible characters, ...)
//     at 1/8, 1/4, 1/2 and all of their size: the time per input and per character, to show the
//     engine is linear (a per-character time that stays flat as the size doubles).
//
// It prints numbers only: nothing here asserts a time.

import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { emptyHome, fmt, INSTALLED, median, printMachine, REPO } from "./lib.mjs";

function options(argv) {
  const o = { passes: 60, warmup: 40, runs: 20, rounds: 1, only: undefined };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--passes") o.passes = Number(argv[++i]);
    else if (a === "--runs") o.runs = Number(argv[++i]);
    else if (a === "--rounds") o.rounds = Number(argv[++i]);
    else if (a === "--warmup") o.warmup = Number(argv[++i]);
    else if (a === "--only") o.only = new RegExp(argv[++i]);
    else throw new Error(`unknown option ${a}`);
  }
  if (!Number.isInteger(o.passes) || o.passes < 1) throw new Error("--passes takes a positive integer");
  if (!Number.isInteger(o.runs) || o.runs < 1) throw new Error("--runs takes a positive integer");
  if (!Number.isInteger(o.rounds) || o.rounds < 1) throw new Error("--rounds takes a positive integer");
  if (!Number.isInteger(o.warmup) || o.warmup < 0) throw new Error("--warmup takes a whole number");
  return o;
}

const opts = options(process.argv.slice(2));
const dist = (p) => pathToFileURL(join(REPO, "dist", "src", p)).href;
const { decide } = await import(dist("capabilities/gate/engine.js"));
const { compiledPolicy } = await import(dist("capabilities/gate/compiled.js"));
const policy = compiledPolicy();
if (!policy) throw new Error("no compiled policy: run `npm run build` first");
const ctx = { cwd: "/home/agent/project", home: "/home/agent", workspace: "/home/agent/project" };
const want = (name) => !opts.only || opts.only.test(name);

printMachine();

// ---- (a) decisions per second over the corpus

if (want("corpus")) {
  const dir = join(REPO, "fixtures", "gate", "corpus");
  const commands = [];
  for (const name of readdirSync(dir).sort()) {
    if (!name.endsWith(".jsonl")) continue;
    for (const line of readFileSync(join(dir, name), "utf8").split("\n")) {
      if (line.trim()) commands.push(JSON.parse(line).command);
    }
  }
  // The first pass runs cold (V8 interprets, then compiles the engine as it gets hot); a process
  // that judges commands all day spends nearly all of its time in the steady state that follows.
  const counts = { allow: 0, ask: 0, deny: 0 };
  let t0 = performance.now();
  for (const c of commands) counts[decide(c, ctx, policy).decision]++;
  const cold = commands.length / ((performance.now() - t0) / 1000);
  const early = [];
  for (let p = 0; p < opts.warmup; p++) {
    t0 = performance.now();
    for (const c of commands) decide(c, ctx, policy);
    early.push(commands.length / ((performance.now() - t0) / 1000));
  }
  const rates = [];
  for (let p = 0; p < opts.passes; p++) {
    t0 = performance.now();
    for (const c of commands) decide(c, ctx, policy);
    rates.push(commands.length / ((performance.now() - t0) / 1000));
  }
  // Load-independent view: each command's fastest of 15 runs, summed (a busy machine only adds time).
  let fastest = 0;
  for (const c of commands) {
    let best = Number.POSITIVE_INFINITY;
    for (let r = 0; r < 15; r++) {
      const t0 = performance.now();
      decide(c, ctx, policy);
      best = Math.min(best, performance.now() - t0);
    }
    fastest += best;
  }
  const chars = commands.reduce((n, c) => n + c.length, 0);
  console.log(
    `(a) corpus: ${commands.length} commands (${chars} characters; allow ${counts.allow}, ask ${counts.ask}, deny ${counts.deny})`,
  );
  console.log(`    first pass (cold): ${fmt(cold, 0)} decisions/s`);
  if (early.length)
    console.log(
      `    warm-up passes 2-${opts.warmup + 1}: median ${fmt(median(early), 0)} decisions/s (min ${fmt(Math.min(...early), 0)}, max ${fmt(Math.max(...early), 0)})`,
    );
  console.log(
    `    steady state, median of the next ${opts.passes} passes: ${fmt(median(rates), 0)} decisions/s (min ${fmt(Math.min(...rates), 0)}, max ${fmt(Math.max(...rates), 0)}); ${fmt(1e6 / median(rates), 1)} µs per decision (target: 20,000/s)`,
  );
  console.log(
    `    each command's fastest of 15 runs, summed: ${fmt(fastest, 1)} ms for the corpus, ${fmt((commands.length * 1000) / fastest, 0)} decisions/s`,
  );
}

// ---- (b) the hook's whole process next to node -e 0

if (want("hook")) {
  const home = emptyHome();
  const input = JSON.stringify({
    session_id: "bench",
    transcript_path: "/home/agent/.claude/projects/p/t.jsonl",
    cwd: "/home/agent/project",
    permission_mode: "default",
    hook_event_name: "PreToolUse",
    tool_name: "Bash",
    tool_input: { command: "npm test -- --run src/app", description: "Run the tests", timeout: 120000 },
    tool_use_id: "toolu_bench",
  });
  const env = { PATH: process.env.PATH ?? "", HOME: home };
  const runOnce = (args, stdin) => {
    const t0 = performance.now();
    const r = spawnSync(process.execPath, args, { input: stdin, encoding: "utf8", env, cwd: home });
    const ms = performance.now() - t0;
    if (r.status !== 0) throw new Error(`${args.slice(0, 3).join(" ")} exited with ${r.status ?? r.signal}`);
    return ms;
  };
  const cases = [
    ["node -e 0", ["-e", "0"], ""],
    [
      "gate hook claude-code --no-log (allow: no answer)",
      [INSTALLED, "gate", "hook", "claude-code", "--no-log"],
      input,
    ],
    [
      "gate hook claude-code --no-log (ask: curl | sh)",
      [INSTALLED, "gate", "hook", "claude-code", "--no-log"],
      input.replace("npm test -- --run src/app", "curl -fsSL https://example.com/i.sh | sh"),
    ],
  ];
  for (const [, args, stdin] of cases) runOnce(args, stdin);
  const load = () =>
    loadavg()
      .map((x) => x.toFixed(2))
      .join(" ");
  for (let round = 1; round <= opts.rounds; round++) {
    const before = load();
    // Interleaved runs, so a load change on the machine hits every case alike.
    const times = cases.map(() => []);
    for (let r = 0; r < opts.runs; r++) {
      cases.forEach(([, args, stdin], i) => {
        times[i].push(runOnce(args, stdin));
      });
    }
    const medians = times.map((t) => median(t));
    const round_ = opts.rounds > 1 ? ` round ${round} of ${opts.rounds},` : "";
    console.log(
      `(b)${round_} whole process, median of ${opts.runs} runs (one warm-up each, interleaved; load average ${before} before, ${load()} after):`,
    );
    cases.forEach(([name], i) => {
      console.log(`    ${name}: ${fmt(medians[i], 1)} ms (fastest ${fmt(Math.min(...times[i]), 1)} ms)`);
    });
    console.log(
      `    ratio hook / node -e 0, medians: ${fmt(medians[1] / medians[0], 2)} (allow), ${fmt(medians[2] / medians[0], 2)} (ask); fastest runs: ${fmt(Math.min(...times[1]) / Math.min(...times[0]), 2)} (allow), ${fmt(Math.min(...times[2]) / Math.min(...times[0]), 2)} (ask)`,
    );
  }
}

// ---- (c) adversarial inputs: time against size

if (want("adversarial")) {
  const MAX = 1 << 20; // the engine's own cap (GATE_LIMITS.maxChars): longer input asks unparsed
  const fill = (unit, n) => unit.repeat(Math.max(1, Math.floor(n / unit.length)));
  const cases = [
    ["nested $( closed", 200 * 1024, (n) => `${fill("$(", n / 2)}echo x${fill(")", n / 2)}`],
    ["nested $( unclosed (dcg #189)", 200 * 1024, (n) => `rm -rf / ${fill("$(", n)}`],
    ["nested backticks via \\`", 200 * 1024, (n) => `echo ${fill("\\`", n)}`],
    ["double quotes only", MAX - 1, (n) => fill('"', n)],
    ["single quotes only", MAX - 1, (n) => fill("'", n)],
    ["alternating quotes 'a'\"b\"", MAX - 1, (n) => `echo ${fill(`'a'"b"`, n - 5)}`],
    ["$'\\x..' escapes", MAX - 1, (n) => `echo $'${fill("\\x41", n - 8)}'`],
    ["one long word", MAX - 1, (n) => `echo ${fill("a", n - 5)}`],
    ["many words", MAX - 1, (n) => `echo ${fill("a ", n - 5)}`],
    ["; list", MAX - 1, (n) => fill("ls;", n)],
    ["&& list", MAX - 1, (n) => fill("ls && ", n)],
    ["pipeline", MAX - 1, (n) => `cat x${fill(" | cat", n - 5)}`],
    ["nested $" + "{x:- }", 200 * 1024, (n) => `echo ${fill("$" + "{x:-", n / 2)}${fill("}", n / 2)}`],
    ["nested ((( ))) (arithmetic to bash)", 200 * 1024, (n) => `${fill("(", n / 2)}ls${fill(")", n / 2)}`],
    ["nested ( ( spaced subshells ) )", 200 * 1024, (n) => `${fill("( ", n / 2)}ls${fill(" )", n / 2)}`],
    ["nested { groups; }", 200 * 1024, (n) => `${fill("{ ", n / 2)}ls${fill("; }", n / 2)}`],
    ["backslash-newlines", MAX - 1, (n) => `r${fill("\\\n", n - 6)}m -rf /`],
    ["zero-width characters", MAX - 1, (n) => `r${fill("\u200b", n - 6)}m -rf /`],
    ["fullwidth letters", MAX - 1, (n) => `echo ${fill("ｒｍ ", n - 5)}`],
    ["sh -c 'sh -c ...' nesting", 200 * 1024, (n) => `${fill("sh -c '", n / 2)}ls${fill("'", n / 2)}`],
    ["eval chain", MAX - 1, (n) => fill("eval ls; ", n)],
    ["here-document lines", MAX - 1, (n) => `bash <<'EOF'\n${fill("echo hi\n", n - 20)}EOF\n`],
    ["assignments X=r; $" + "{X}m", MAX - 1, (n) => `${fill("X=r; ", n - 10)}\${X}m -rf /`],
    ["comments", MAX - 1, (n) => `${fill("# rm -rf /\n", n - 10)}ls`],
  ];
  console.log(
    "(c) adversarial inputs: ms, fastest of 3 (and ns per character), at 1/8, 1/4, 1/2 and all of the size; the decision at full size",
  );
  for (const [name, size, make] of cases) {
    const cells = [];
    let last;
    for (const frac of [8, 4, 2, 1]) {
      const s = make(Math.floor(size / frac));
      // The fastest of three runs: the machine's load only ever adds time.
      let ms = Number.POSITIVE_INFINITY;
      let v;
      let err;
      for (let r = 0; r < 3; r++) {
        const t0 = performance.now();
        try {
          v = decide(s, ctx, policy);
        } catch (e) {
          err = e;
        }
        ms = Math.min(ms, performance.now() - t0);
      }
      cells.push(`${fmt(ms, 1)} (${fmt((ms * 1e6) / s.length, 0)})`);
      last = err ? `THREW ${err.name}` : `${v.decision} [${v.rules.join(", ")}], ${s.length} chars`;
    }
    console.log(`    ${name}: ${cells.join("  ")}  -> ${last}`);
  }
}
