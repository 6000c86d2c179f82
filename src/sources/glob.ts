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
    else re += c.replace(/[.+^${}()|[\]\\]/g, "\\$&");
  }
  return new RegExp(`${anchored ? "^" : "(^|/)"}${re}(/|$)`);
}

/**
 * One regex that matches where any of `res` matches (globToRegExp's, which hold no backreference
 * and no flag), or undefined for none: one test instead of one per glob for each path of a walk.
 */
export function anyOf(res: readonly RegExp[]): RegExp | undefined {
  return res.length ? new RegExp(res.map((re) => `(?:${re.source})`).join("|")) : undefined;
}
