/** Edit distance (insertions, deletions, substitutions) between two strings; two-row dynamic programming. */
export function levenshtein(a: string, b: string): number {
  if (a === b) return 0;
  if (a.length === 0) return b.length;
  if (b.length === 0) return a.length;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + cost);
    }
    prev = cur;
  }
  return prev[b.length]!;
}

/**
 * The known name a typo most likely meant: within edit distance 2, or a prefix either way
 * (`excl` → `exclude`, `allowedHostsList` → `allowedHosts`). Case is ignored. Ties go to the
 * alphabetically first name, so the hint is deterministic. Undefined when nothing is close.
 */
export function didYouMean(input: string, known: Iterable<string>): string | undefined {
  const needle = input.toLowerCase();
  let best: { name: string; score: number } | undefined;
  for (const name of known) {
    const hay = name.toLowerCase();
    // Lengths more than 2 apart are more than 2 edits apart: no table is filled for them, so a
    // hostile config's 3,000-character rule ids cost a length check per known name, not 3,000 x 40
    // cells each (issue 9 review: 80 such ids in one config took 10 s).
    const distance = Math.abs(needle.length - hay.length) > 2 ? 3 : levenshtein(needle, hay);
    const prefix = needle.length >= 2 && (hay.startsWith(needle) || needle.startsWith(hay));
    if (distance > 2 && !prefix) continue;
    // One edit beats a prefix match (`base` means `baseline`, not `gate`), which beats two edits;
    // prefix matches rank by how much they leave out.
    const score = distance <= 1 ? distance : prefix ? 2 + Math.abs(hay.length - needle.length) / 1000 : 3;
    if (!best || score < best.score || (score === best.score && name < best.name)) best = { name, score };
  }
  return best?.name;
}

/** ` (did you mean "x"?)`, or "" when nothing is close. */
export function hint(input: string, known: Iterable<string>): string {
  const m = didYouMean(input, known);
  return m ? ` (did you mean "${m}"?)` : "";
}
