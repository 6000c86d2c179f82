import {
  detection,
  type Found,
  isPlaceholder,
  type ParseInput,
  type ParseResult,
  uniqueBySecret,
} from "./common.js";

// .netrc / _netrc / .authinfo (https://www.gnu.org/software/inetutils/manual/html_node/The-_002enetrc-file.html):
// whitespace-separated tokens `machine <host> login <user> password <pw> account <acct>`, `default`
// for any other host, and `macdef <name>` whose body runs to the next blank line (skipped). The
// authinfo variant (Emacs auth-source) spells it `machine h login u password p port 443`.
// Double-quoted tokens are accepted, as GNU inetutils and curl do.

interface Token {
  value: string;
  line: number;
}

function tokenize(text: string): Token[] {
  const out: Token[] = [];
  const lines = text.split(/\r?\n/);
  let inMacro = false;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (inMacro) {
      if (line.trim() === "") inMacro = false;
      continue;
    }
    if (line.trimStart().startsWith("#")) continue;
    const re = /"((?:[^"\\]|\\.)*)"|(\S+)/g;
    for (const m of line.matchAll(re)) {
      const value = m[1] !== undefined ? m[1].replace(/\\(.)/g, "$1") : m[2]!;
      out.push({ value, line: i + 1 });
      if (value === "macdef") {
        inMacro = true;
        break; // the macro name is on this line; its body follows
      }
    }
  }
  return out;
}

export function parseNetrc(input: ParseInput): ParseResult {
  const tokens = tokenize(input.text);
  const found: Found[] = [];
  let machine = "default";
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!.value;
    const next = tokens[i + 1];
    if (t === "machine" && next) {
      machine = next.value;
      i++;
    } else if (t === "default") {
      machine = "default";
    } else if ((t === "password" || t === "passwd") && next) {
      if (next.value.length >= 1 && !isPlaceholder(next.value))
        found.push({ secret: next.value, type: "password", name: `${machine}.password`, line: next.line });
      i++;
    } else if ((t === "login" || t === "account" || t === "port") && next) {
      i++; // not secrets: skip the value so it is not read as a keyword
    }
  }
  return { detections: uniqueBySecret(found).map((f) => detection(input, f)) };
}
