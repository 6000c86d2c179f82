import {
  detection,
  type Found,
  isPlaceholder,
  type ParseInput,
  type ParseResult,
  uniqueBySecret,
} from "./common.js";

// ~/.git-credentials, written by `git credential-store`
// (https://git-scm.com/docs/git-credential-store#_storage_format): one URL per line,
// `https://user:password@host[/path]`, with the user and password percent-encoded.

// The password runs to the LAST "@" of the authority: a hand-written `u:p@ss@host` keeps "p@ss"
// whole instead of leaking "ss" into the host name that is reported as the location.
const LINE_RE = /^[a-z][a-z0-9+.-]*:\/\/([^:@/\s]*):([^/\s]+)@([^@/\s]+)/i;

function decode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

export function parseGitCredentials(input: ParseInput): ParseResult {
  const found: Found[] = [];
  const lines = input.text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const m = LINE_RE.exec(lines[i]!.trim());
    if (!m) continue;
    const secret = decode(m[2]!);
    if (isPlaceholder(secret)) continue;
    found.push({ secret, type: "token", name: m[3]!, line: i + 1 });
  }
  return { detections: uniqueBySecret(found).map((f) => detection(input, f)) };
}
