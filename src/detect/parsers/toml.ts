import { toml } from "../../util/lazy.js";
import { detection, type ParseInput, type ParseResult } from "./common.js";
import { structuredSecrets } from "./json.js";

// TOML credential files: cargo `credentials.toml` (`[registry] token`, `[registries.<name>] token`:
// https://doc.rust-lang.org/cargo/reference/config.html#credentials) and Codex `config.toml`
// (`[mcp_servers.<name>]` `env` and `http_headers`: https://github.com/openai/codex/blob/main/docs/config.md).

export function parseToml(input: ParseInput): ParseResult {
  let doc: unknown;
  try {
    doc = toml().parse(input.text);
  } catch {
    return { detections: [], malformed: "not valid TOML" };
  }
  return { detections: structuredSecrets(doc, input.text, { mcp: true }).map((f) => detection(input, f)) };
}
