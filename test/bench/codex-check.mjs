// Judging a gate corpus with the real `codex execpolicy check` (issue 12), shared by
// test/bench/codex-rules.mjs and test/fix/codex-execpolicy.test.ts. Each distinct command (argv) is
// checked once, with at most `concurrency` codex processes at a time; a case takes the strictest
// decision of its commands (forbidden: deny, prompt: ask; none matched: allow), as
// src/capabilities/gate/verify.ts verifyCodexRules does, which checks every case's commands anew.

import { spawn } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";

/**
 * The codex binary of the @openai/codex devDependency: its native binary when the platform package
 * holds one (the node wrapper costs about 100 ms a call), else node_modules/.bin/codex; undefined
 * when neither exists.
 */
export function codexBinary(repo) {
  const scope = join(repo, "node_modules", "@openai");
  if (existsSync(scope)) {
    for (const pkg of readdirSync(scope)
      .filter((n) => n.startsWith("codex-"))
      .sort()) {
      const vendor = join(scope, pkg, "vendor");
      if (!existsSync(vendor)) continue;
      for (const triple of readdirSync(vendor).sort()) {
        const bin = join(vendor, triple, "bin", "codex");
        if (existsSync(bin)) return bin;
      }
    }
  }
  const wrapper = join(repo, "node_modules", ".bin", "codex");
  return existsSync(wrapper) ? wrapper : undefined;
}

const DECISIONS = { forbidden: "deny", prompt: "ask", allow: "allow" };
const RANK = { allow: 0, ask: 1, deny: 2 };

function check(bin, rules, argv, home) {
  return new Promise((resolve) => {
    const args = ["execpolicy", "check", ...rules.flatMap((r) => ["--rules", r]), "--", ...argv];
    const child = spawn(bin, args, {
      cwd: home,
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: home, CODEX_HOME: home },
      stdio: ["ignore", "pipe", "ignore"],
    });
    let out = "";
    child.stdout.on("data", (d) => {
      out += d;
    });
    child.on("error", () => resolve("error"));
    child.on("close", (code) => {
      if (code !== 0) return resolve("error");
      try {
        const v = JSON.parse(out);
        resolve(v.decision === undefined ? undefined : (DECISIONS[v.decision] ?? "error"));
      } catch {
        resolve("error");
      }
    });
  });
}

/**
 * Judges every case: `codexCommands` splits a shell string into the argv lists Codex checks.
 * Returns one { decision, outcome } per case (outcome rule, unmatched or error) and the number of
 * codex calls made.
 */
export async function judgeCorpus(cases, { bin, rules, home, codexCommands, concurrency = 8 }) {
  const perCase = cases.map((c) => codexCommands(c.command));
  const unique = new Map();
  for (const list of perCase) for (const argv of list) unique.set(JSON.stringify(argv), argv);
  const keys = [...unique.keys()];
  const results = new Map();
  let next = 0;
  const worker = async () => {
    while (next < keys.length) {
      const k = keys[next++];
      results.set(k, await check(bin, rules, unique.get(k), home));
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, keys.length)) }, worker));
  const judged = perCase.map((list) => {
    let decision;
    for (const argv of list) {
      const d = results.get(JSON.stringify(argv));
      if (d === "error") return { decision: "allow", outcome: "error" };
      if (d && (!decision || RANK[d] > RANK[decision])) decision = d;
    }
    return decision ? { decision, outcome: "rule" } : { decision: "allow", outcome: "unmatched" };
  });
  return { judged, calls: keys.length };
}
