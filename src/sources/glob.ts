/**
 * A gitignore-flavoured glob to RegExp, for exclude patterns in agent-audit.yaml: `*` within a
 * segment, `**` across segments, `?` one character; a pattern without a slash matches at any depth,
 * and a pattern matches a directory and everything under it.
 */
export function globToRegExp(glob: string): RegExp {
  const trimmed = glob.trim().replace(/\/+$/, "");
  // gitignore: a slash at the start or in the middle anchors the pattern at the root.
  const anchored = trimmed.includes("/");
  const g = trimmed.replace(/^\/+/, "");
  // The two commonest shapes, written so the engine searches for their literal instead of trying
  // a `[^/]*` at every segment (issue 15): `*.pem` matches where a segment ends in `.pem`, which
  // is where `.pem` is followed by a slash or the end; `.env.*` where a segment starts with `.env.`.
  if (!anchored) {
    const suffix = /^\*([^*?/]+)$/.exec(g);
    if (suffix) return new RegExp(`${escapeLiteral(suffix[1]!)}(/|$)`);
    const prefix = /^([^*?/]+)\*$/.exec(g);
    if (prefix) return new RegExp(`(^|/)${escapeLiteral(prefix[1]!)}`);
  }
  let re = "";
  for (let i = 0; i < g.length; i++) {
    const c = g[i]!;
    if (c === "*") {
      if (g[i + 1] === "*") {
        i++;
        // `**/` is zero or more whole directories (`**/x` matches `x` and `a/x`, not `ax`).
        if (g[i + 1] === "/") {
          re += "(?:.*/)?";
          i++;
        } else re += ".*";
      } else re += "[^/]*";
    } else if (c === "?") re += "[^/]";
    else re += escapeLiteral(c);
  }
  return new RegExp(`${anchored ? "^" : "(^|/)"}${re}(/|$)`);
}

function escapeLiteral(s: string): string {
  return s.replace(/[.+^${}()|[\]\\]/g, "\\$&");
}

/**
 * One regex that matches where any of `res` matches (globToRegExp's, which hold no backreference
 * and no flag), or undefined for none: one test instead of one per glob for each path of a walk.
 * The globs' common frame is written once: `(?:^|/)(?:a|b|...)(?:/|$)` for those that match at
 * any depth, `^(?:c|d|...)(?:/|$)` for the anchored ones. Joined whole, each alternative began
 * with its own `(^|/)`, and the engine tried every one at every position of every path (issue 15:
 * 30 ms of a 20,000-file walk); framed, only the positions after a slash start an attempt.
 */
export function anyOf(res: readonly RegExp[]): RegExp | undefined {
  if (!res.length) return undefined;
  const deep: string[] = [];
  const rooted: string[] = [];
  const other: string[] = [];
  for (const re of res) {
    const s = re.source;
    if (!s.endsWith(END)) other.push(s);
    else if (s.startsWith(DEEP)) deep.push(s.slice(DEEP.length, -END.length));
    else if (s.startsWith("^")) rooted.push(s.slice(1, -END.length));
    else other.push(s);
  }
  const alternatives = [
    ...(deep.length ? [`(?:^|\\/)(?:${deep.join("|")})(?:\\/|$)`] : []),
    ...(rooted.length ? [`^(?:${rooted.join("|")})(?:\\/|$)`] : []),
    ...other.map((s) => `(?:${s})`),
  ];
  return new RegExp(alternatives.join("|"));
}
/** globToRegExp's frame, as RegExp.prototype.source writes it. */
const DEEP = "(^|\\/)";
const END = "(\\/|$)";
