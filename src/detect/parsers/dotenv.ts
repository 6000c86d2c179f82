import { isKeyChar, parseDotenvVars } from "../env-text.js";
import {
  detection,
  envJudge,
  type Found,
  type JudgedEnv,
  type ParseInput,
  type ParseResult,
  TextLocator,
} from "./common.js";

// dotenv files (KEY=VALUE, https://github.com/motdotla/dotenv#what-rules-does-the-parsing-engine-follow),
// read with parseDotenvVars (src/detect/env-text.ts: the dotenv package's rules in one linear pass; the
// package's own line regex backtracks quadratically over blank lines, issue 8) and judged variable
// by variable exactly like the agent's environment (src/detect/env.ts), so `.env` and the process
// environment give the same answer.

export function parseDotenvFile(input: ParseInput): ParseResult {
  // The variables in the order of parseDotenvText's record (Object.entries order), as a Map.
  const vars = parseDotenvVars(input.text);
  const judge = envJudge();
  const names: string[] = [];
  const judged: JudgedEnv[] = [];
  vars.forEach((value, name) => {
    for (const j of judge(name, value)) {
      names.push(name);
      judged.push(j);
    }
  });
  if (judged.length === 0) return { detections: [] };
  // Only for secrets: where each of their variables is declared, from one pass over the lines.
  const decls = declarations(input.text, new Set(names));
  const loc = new TextLocator(input.text);
  const found: Found[] = judged.map((j, k) => ({
    secret: j.secret,
    type: j.type,
    viaRuleId: j.ruleId,
    name: names[k]!,
    line: loc.line(j.secret, decls.get(names[k]!)),
    ...(j.provider !== "generic" ? { provider: j.provider } : {}),
  }));
  return { detections: found.map((f) => detection(input, f)) };
}

/** A space or a tab, by char code. */
const isBlank = (c: number) => c === 0x20 || c === 0x09;
/**
 * Offset of the last declaration of each wanted variable (`[blanks][export blanks]KEY[blanks](=|:)` at a
 * line start: the last one is the value parseDotenvText keeps), so that a secret's line is looked up
 * from its own declaration rather than from an earlier comment or variable that holds the same text.
 * One pass over the text, each character looked at a bounded number of times (issue 8: the former
 * code built and ran one RegExp over the whole text per variable).
 */
function declarations(text: string, wanted: ReadonlySet<string>): Map<string, number> {
  const out = new Map<string, number>();
  // A key is sliced and looked up only when some wanted name has its length.
  const lengths = new Set<number>();
  for (const name of wanted) lengths.add(name.length);
  const n = text.length;
  let i = 0;
  while (i < n) {
    const nl = text.indexOf("\n", i);
    const end = nl === -1 ? n : nl;
    let p = i;
    while (p < end && isBlank(text.charCodeAt(p))) p++;
    if (text.startsWith("export", p) && isBlank(text.charCodeAt(p + 6))) {
      p += 6;
      while (p < end && isBlank(text.charCodeAt(p))) p++;
    }
    const keyStart = p;
    while (p < end && isKeyChar(text.charCodeAt(p))) p++;
    const keyEnd = p;
    while (p < end && isBlank(text.charCodeAt(p))) p++;
    if (
      keyEnd !== keyStart &&
      (text.charCodeAt(p) === 0x3d || text.charCodeAt(p) === 0x3a) &&
      lengths.has(keyEnd - keyStart)
    ) {
      const key = text.slice(keyStart, keyEnd);
      if (wanted.has(key)) out.set(key, keyStart);
    }
    i = end + 1;
  }
  return out;
}
