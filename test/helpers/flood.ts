import { join } from "node:path";

// Distinct generic secrets for flood tests, and the command line of a tree-only scan of a temp
// sandbox laid out as <dir>/work (the root) and <dir>/home.

const FIXED = "Kq7Wn2Xr9";
// The varying part uses no character of the fixed part, so every value has entropy enough for the
// generic rule's randomness gate (at worst four equal characters of thirteen).
const ALPHABET = [..."ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"]
  .filter((c) => !FIXED.includes(c))
  .join("");

/** The i-th distinct value the generic password rule reports (`pwd=<value>`), 13 characters. */
export function passwordValue(i: number): string {
  let v = FIXED;
  for (let k = 0, x = i; k < 4; k++, x = Math.floor(x / ALPHABET.length)) v += ALPHABET[x % ALPHABET.length];
  return v;
}

/** `--root <dir>/work --home <dir>/home`, no environment, the tree only, no progress; then `more`. */
export function treeScanArgs(dir: string, ...more: string[]): string[] {
  return [
    "--root",
    join(dir, "work"),
    "--home",
    join(dir, "home"),
    "--no-env",
    "--sources",
    "tree",
    "--no-progress",
    ...more,
  ];
}
