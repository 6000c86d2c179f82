import { parseDotenvText } from "../env-text.js";
import { detection, type Found, judgeEnv, type ParseInput, type ParseResult, TextLocator } from "./common.js";

// dotenv files (KEY=VALUE, https://github.com/motdotla/dotenv#what-rules-does-the-parsing-engine-follow),
// read with parseDotenvText (src/sources/env.ts: the dotenv package's rules in one linear pass; the
// package's own line regex backtracks quadratically over blank lines, issue 8) and judged variable
// by variable exactly like the agent's environment (src/detect/env.ts), so `.env` and the process
// environment give the same answer.

export function parseDotenvFile(input: ParseInput): ParseResult {
  const vars = parseDotenvText(input.text);
  const loc = new TextLocator(input.text);
  let decls: Map<string, number> | undefined;
  const found: Found[] = [];
  for (const [name, value] of Object.entries(vars)) {
    const judged = judgeEnv(name, value);
    if (judged.length === 0) continue;
    // Only for secrets: where each variable is declared, from one pass over the lines.
    decls ??= declarations(input.text);
    const from = decls.get(name);
    for (const j of judged) {
      found.push({
        secret: j.secret,
        type: j.type,
        viaRuleId: j.ruleId,
        name,
        line: loc.line(j.secret, from),
        ...(j.provider !== "generic" ? { provider: j.provider } : {}),
      });
    }
  }
  return { detections: found.map((f) => detection(input, f)) };
}

const isBlank = (c: string | undefined) => c === " " || c === "\t";
/** As parseDotenvText reads keys: letters, digits, `_`, `.` and `-`. */
function isKeyChar(c: number): boolean {
  return (
    (c >= 0x30 && c <= 0x39) ||
    (c >= 0x41 && c <= 0x5a) ||
    (c >= 0x61 && c <= 0x7a) ||
    c === 0x5f ||
    c === 0x2e ||
    c === 0x2d
  );
}

/**
 * Offset of the last declaration of each variable (`[blanks][export blanks]KEY[blanks](=|:)` at a
 * line start: the last one is the value parseDotenvText keeps), so that a secret's line is looked up
 * from its own declaration rather than from an earlier comment or variable that holds the same text.
 * One pass over the text, each character looked at a bounded number of times (issue 8: the former
 * code built and ran one RegExp over the whole text per variable).
 */
function declarations(text: string): Map<string, number> {
  const out = new Map<string, number>();
  const n = text.length;
  let i = 0;
  while (i < n) {
    const nl = text.indexOf("\n", i);
    const end = nl === -1 ? n : nl;
    let p = i;
    while (p < end && isBlank(text[p])) p++;
    if (text.startsWith("export", p) && isBlank(text[p + 6])) {
      p += 6;
      while (p < end && isBlank(text[p])) p++;
    }
    const keyStart = p;
    while (p < end && isKeyChar(text.charCodeAt(p))) p++;
    const key = text.slice(keyStart, p);
    while (p < end && isBlank(text[p])) p++;
    if (key !== "" && (text[p] === "=" || text[p] === ":")) out.set(key, keyStart);
    i = end + 1;
  }
  return out;
}
