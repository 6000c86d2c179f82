import {
  acceptValue,
  classifyKey,
  detection,
  type Found,
  isPlaceholder,
  type ParseInput,
  type ParseResult,
  uniqueBySecret,
  walkKeys,
} from "./common.js";

// INI and Java-properties style files: ~/.aws/credentials and config
// (https://docs.aws.amazon.com/cli/latest/userguide/cli-configure-files.html), ~/.pypirc, ~/.my.cnf,
// ~/.s3cfg, ~/.boto, rclone.conf, ~/.databrickscfg, ~/.oci/config, gradle.properties.
// Hand-written rather than the `ini` package because findings need line numbers and the format
// family needs a few leniencies (AWS nested sub-sections, my.cnf bare flags and !include lines).

export interface IniEntry {
  section: string;
  key: string;
  value: string;
  /** 1-based line of the key. */
  line: number;
}

/**
 * Entries of an INI-like file, or undefined when a line is none of: section, key=value, key: value,
 * flag, comment. `colon: false` for formats whose keys contain colons (npmrc `//host/:_authToken`).
 */
export function readIni(text: string, opts: { colon?: boolean } = {}): IniEntry[] | undefined {
  const kvRe = opts.colon === false ? /^([^=\s][^=]*?)\s*=\s*(.*)$/ : /^([^=:\s][^=:]*?)\s*[=:]\s*(.*)$/;
  const out: IniEntry[] = [];
  let section = "";
  let nested = ""; // AWS config: `s3 =` followed by indented `key = value` lines
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!;
    const line = raw.trim();
    if (line === "" || line.startsWith("#") || line.startsWith(";")) continue;
    if (line.startsWith("!")) continue; // my.cnf !include / !includedir
    const sec = /^\[([^\]]*)\]\s*([#;].*)?$/.exec(line);
    if (sec) {
      section = sec[1]!.trim();
      nested = "";
      continue;
    }
    const indented = /^\s/.test(raw);
    const kv = kvRe.exec(line);
    if (kv) {
      const key = kv[1]!.trim();
      const value = unquote(kv[2]!.trim());
      if (!indented) nested = value === "" ? key : "";
      out.push({ section, key: indented && nested ? `${nested}.${key}` : key, value, line: i + 1 });
      continue;
    }
    if (/^[\w.-]+$/.test(line)) continue; // a bare flag (my.cnf `skip-external-locking`) or a properties key without value
    if (indented) continue; // a continuation line of a multi-line value
    return undefined;
  }
  return out;
}

function unquote(v: string): string {
  const m = /^(["'])(.*)\1$/.exec(v);
  return m ? m[2]! : v;
}

/** Keys whose names are AWS's own (botocore's config variable names): provider and type are known. */
const AWS_KEYS: Record<string, string> = {
  aws_secret_access_key: "secret-access-key",
  aws_session_token: "session-token",
  aws_security_token: "session-token",
};

export function parseIni(input: ParseInput): ParseResult {
  const entries = readIni(input.text);
  if (!entries) return { detections: [], malformed: "not valid INI" };
  const found: Found[] = [];
  for (const e of entries) {
    const name = e.section ? `${e.section}.${e.key}` : e.key;
    const aws = AWS_KEYS[e.key.toLowerCase()];
    if (aws) {
      if (e.value && !isPlaceholder(e.value) && e.value.length >= 16)
        found.push({ secret: e.value, type: aws, name, line: e.line, provider: "aws" });
      continue;
    }
    // rclone keeps OAuth tokens as a JSON object on one line: walk it for the tokens inside.
    if (e.value.startsWith("{")) {
      const inner = tryJson(e.value);
      if (inner !== undefined) {
        walkKeys(inner, (f) => {
          found.push({ secret: f.value, type: f.type, name: `${name}.${f.path}`, line: e.line });
        });
        continue;
      }
    }
    const type = classifyKey(e.key);
    if (type && acceptValue(type, e.value)) found.push({ secret: e.value, type, name, line: e.line });
  }
  return { detections: uniqueBySecret(found).map((f) => detection(input, f)) };
}

function tryJson(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return undefined;
  }
}
