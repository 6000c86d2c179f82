import { parse } from "dotenv";
import { detection, type Found, findLine, judgeEnv, type ParseInput, type ParseResult } from "./common.js";

// dotenv files (KEY=VALUE, https://github.com/motdotla/dotenv#what-rules-does-the-parsing-engine-follow),
// parsed with the dotenv package and judged variable by variable exactly like the agent's
// environment (src/detectors/env.ts), so `.env` and the process environment give the same answer.

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

export function parseDotenvFile(input: ParseInput): ParseResult {
  const vars = parse(input.text);
  const found: Found[] = [];
  for (const [name, value] of Object.entries(vars)) {
    const judged = judgeEnv(name, value);
    if (judged.length === 0) continue;
    // Only for secrets: one regex per variable is the costly part on big .env files.
    const decl = new RegExp(`^[ \\t]*(export[ \\t]+)?${escapeRegex(name)}[ \\t]*[=:]`, "m").exec(input.text);
    for (const j of judged) {
      found.push({
        secret: j.secret,
        type: j.type,
        viaRuleId: j.ruleId,
        name,
        line: findLine(input.text, j.secret, decl?.index ?? 0),
        ...(j.provider !== "generic" ? { provider: j.provider } : {}),
      });
    }
  }
  return { detections: found.map((f) => detection(input, f)) };
}
