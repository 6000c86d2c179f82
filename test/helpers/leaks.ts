/**
 * The names of the planted values that a CLI run's output shows: the whole value, or any 8
 * characters of it past its first 4 (the report's preview shows those 4 and the length, nothing
 * more). Shared by the end-to-end no-leak tests of the detection rules.
 */
export function leakedValues(
  r: { stdout: string; stderr: string },
  values: Record<string, string>,
): string[] {
  const shown = (s: string) => r.stdout.includes(s) || r.stderr.includes(s);
  return Object.entries(values)
    .filter(([, v]) => {
      for (let i = 4; i + 8 <= v.length; i++) if (shown(v.slice(i, i + 8))) return true;
      return shown(v);
    })
    .map(([k]) => k);
}
