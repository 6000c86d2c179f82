import {
  detection,
  type Found,
  isPlaceholder,
  type ParseInput,
  type ParseResult,
  uniqueBySecret,
} from "./common.js";

// ~/.pgpass (https://www.postgresql.org/docs/current/libpq-pgpass.html):
// `hostname:port:database:username:password`, `\:` and `\\` escape a colon and a backslash,
// `#` starts a comment. The fifth field is the password.

function fields(line: string): string[] {
  const out: string[] = [];
  let cur = "";
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === "\\" && i + 1 < line.length) {
      cur += line[++i];
    } else if (c === ":" && out.length < 4) {
      out.push(cur);
      cur = "";
    } else cur += c;
  }
  out.push(cur);
  return out;
}

export function parsePgpass(input: ParseInput): ParseResult {
  const found: Found[] = [];
  const bad: number[] = [];
  const lines = input.text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === "" || line.trimStart().startsWith("#")) continue;
    const f = fields(line);
    if (f.length < 5) {
      bad.push(i + 1);
      continue;
    }
    const password = f[4]!;
    if (password === "" || isPlaceholder(password)) continue;
    found.push({ secret: password, type: "password", name: `${f[0]}:${f[1]}:${f[2]}:${f[3]}`, line: i + 1 });
  }
  const detections = uniqueBySecret(found).map((f) => detection(input, f));
  // libpq ignores a line without five fields; the file is still text-scanned (a password may sit
  // on a line someone broke). Line numbers only: the line itself may hold the password.
  if (bad.length === 0) return { detections };
  const where = bad.length === 1 ? `line ${bad[0]}` : `${bad.length} lines, first ${bad[0]}`;
  return { detections, malformed: `not valid pgpass (${where}: not host:port:database:user:password)` };
}
