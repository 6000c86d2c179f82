// Small string tests written as code instead of regular expressions. V8 compiles a regular
// expression on its first runs (to bytecode, then to machine code), and `agent-audit gate hook`
// judges one command per process: each of these cost every hook call about 10-20 µs. Each function
// gives exactly what the regular expression in its comment gives (test/capabilities/gate/chars.test.ts
// compares them on random strings); all run in linear time.

import { posix } from "node:path";

/** /[A-Za-z_]/ on one character (or ""). */
export function isNameStart(c: string): boolean {
  const x = c.charCodeAt(0);
  return (x >= 65 && x <= 90) || (x >= 97 && x <= 122) || x === 95;
}

/** /[A-Za-z0-9_]/ on one character (or ""). */
export function isNameChar(c: string): boolean {
  const x = c.charCodeAt(0);
  return isNameStart(c) || (x >= 48 && x <= 57);
}

/** /[ \t\n]/ */
export function hasBlank(t: string): boolean {
  return t.includes(" ") || t.includes("\t") || t.includes("\n");
}

/** /[*?]/ */
export function hasGlobChar(t: string): boolean {
  return t.includes("*") || t.includes("?");
}

/** /\[[^\]]*\]/: a `[` with a `]` after it. */
export function hasBracketPair(t: string): boolean {
  const open = t.indexOf("[");
  return open !== -1 && t.indexOf("]", open + 1) !== -1;
}

/** /\{[^}]*(,|\.\.)[^}]*\}/: a `{`, then `,` or `..` before the next `}`, which exists. */
export function hasBraceList(t: string): boolean {
  let open = t.indexOf("{");
  while (open !== -1) {
    const close = t.indexOf("}", open + 1);
    if (close === -1) return false;
    // The first `{` before this `}` sees the longest stretch: a later one before it sees less.
    const inner = t.slice(open + 1, close);
    if (inner.includes(",") || inner.includes("..")) return true;
    open = t.indexOf("{", close + 1);
  }
  return false;
}

/** /^pip[0-9.]*$/ */
export function isPipName(name: string): boolean {
  if (!name.startsWith("pip")) return false;
  for (let i = 3; i < name.length; i++) {
    const x = name.charCodeAt(i);
    if (!((x >= 48 && x <= 57) || x === 46)) return false;
  }
  return true;
}

/** /^\.env\.[A-Za-z0-9_-]+$/ */
export function isEnvVariantName(base: string): boolean {
  if (base.length <= 5 || !base.startsWith(".env.")) return false;
  for (let i = 5; i < base.length; i++) {
    const c = base[i]!;
    if (!isNameChar(c) && c !== "-") return false;
  }
  return true;
}

/** `p.replace(/(.)\/+$/, "$1")`: trailing slashes removed, the first character kept (`.` matches no line terminator). */
export function stripTrailingSlashes(p: string): string {
  let k = p.length;
  while (k > 0 && p.charCodeAt(k - 1) === 47) k--;
  if (k === p.length) return p;
  // All slashes: the first one is the kept character ("/" stays "/").
  if (k === 0) return "/";
  const c = p.charCodeAt(k - 1);
  if (c !== 10 && c !== 13 && c !== 0x2028 && c !== 0x2029) return p.slice(0, k);
  // A line terminator before the slashes: the kept character is the first slash, when two or more.
  return p.length - k >= 2 ? p.slice(0, k + 1) : p;
}

/** `base.replace(/[0-9][0-9.]*$/, "")`: the trailing run of digits and dots cut from its first digit. */
export function stripVersionSuffix(base: string): string {
  let k = base.length;
  while (k > 0) {
    const x = base.charCodeAt(k - 1);
    if (!((x >= 48 && x <= 57) || x === 46)) break;
    k--;
  }
  while (k < base.length && base.charCodeAt(k) === 46) k++;
  return base.slice(0, k);
}

function isAsciiLetter(x: number): boolean {
  return (x >= 65 && x <= 90) || (x >= 97 && x <= 122);
}

/** `new RegExp(`^-[a-zA-Z]*${x}$`).test(t)` for one ASCII letter `x`: a short-flag cluster ending in x. */
export function isFlagClusterEnding(t: string, x: string): boolean {
  if (t.length < 2 || t[0] !== "-" || t[t.length - 1] !== x) return false;
  for (let i = 1; i < t.length - 1; i++) if (!isAsciiLetter(t.charCodeAt(i))) return false;
  return true;
}

/**
 * `new RegExp(`^-[a-zA-Z]*${x}(.+)$`).exec(t)?.[1] === "-"` for one ASCII letter `x`: a short-flag
 * cluster whose x takes the attached value `-` (`-sLo-`). Greedy letters before x give the match
 * with the shortest value, so the value is `-` exactly when t is `-`, letters, x, `-`.
 */
export function isFlagClusterDashValue(t: string, x: string): boolean {
  return t.length >= 3 && t[t.length - 1] === "-" && isFlagClusterEnding(t.slice(0, -1), x);
}

/** /^-[A-Za-z0-9]/ */
export function startsWithShortFlag(t: string): boolean {
  if (t[0] !== "-" || t.length < 2) return false;
  const x = t.charCodeAt(1);
  return isAsciiLetter(x) || (x >= 48 && x <= 57);
}

/** /^[a-z]+:\/\//i (without the u flag only ASCII letters match): a URL scheme at the start. */
export function startsWithScheme(t: string): boolean {
  let k = 0;
  while (k < t.length && isAsciiLetter(t.charCodeAt(k))) k++;
  return k > 0 && t.startsWith("://", k);
}

/**
 * An absolute path that posix.normalize would return unchanged and that has no trailing slash: no
 * empty, `.` or `..` segment. Most paths are; checking is cheaper than normalising them (and the
 * hook then never runs node:path's normalize for the first time).
 */
export function isNormalPath(p: string): boolean {
  if (p === "/") return true;
  if (!p.startsWith("/") || p.endsWith("/")) return false;
  return !(
    p.includes("//") ||
    p.includes("/./") ||
    p.includes("/../") ||
    p.endsWith("/.") ||
    p.endsWith("/..")
  );
}

/** posix.normalize(p), without running it on a path it would return unchanged. */
export function normalizePath(p: string): string {
  return isNormalPath(p) ? p : posix.normalize(p);
}
