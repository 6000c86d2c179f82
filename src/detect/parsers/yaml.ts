import { yaml } from "../../util/lazy.js";
import { detection, type ParseInput, type ParseResult } from "./common.js";
import { structuredSecrets } from "./json.js";

// YAML credential files, read by key name: gh `hosts.yml` (`oauth_token`, written when gh cannot
// use the keyring: https://cli.github.com/manual/gh_auth_login), glab `config.yml` (`token`),
// `~/.yarnrc.yml` (`npmAuthToken`: https://yarnpkg.com/configuration/yarnrc#npmAuthToken),
// doctl `config.yaml` (`access-token`), `~/.gem/credentials` (`:rubygems_api_key:`).

/** The documents of a YAML stream as plain values, or undefined when the text is not valid YAML. */
export function parseYamlText(text: string): unknown[] | undefined {
  try {
    const docs = yaml().parseAllDocuments(text, { uniqueKeys: false });
    if (!Array.isArray(docs)) return [];
    const out: unknown[] = [];
    for (const d of docs) {
      if (d.errors.length) return undefined;
      out.push(d.toJS({ maxAliasCount: 100 }));
    }
    return out;
  } catch {
    return undefined;
  }
}

export function parseYaml(input: ParseInput): ParseResult {
  const docs = parseYamlText(input.text);
  if (!docs) return { detections: [], malformed: "not valid YAML" };
  return {
    detections: structuredSecrets(docs.length === 1 ? docs[0] : docs, input.text, { mcp: true }).map((f) =>
      detection(input, f),
    ),
  };
}
