/**
 * A JSON-like value with every string through `f`, except under the keys in `skip`: a new value.
 * Used to redact (detect/redact.ts) and escape (render/sanitize.ts) whole reports.
 */
export function mapStrings<T>(value: T, f: (s: string) => string, skip: ReadonlySet<string>): T {
  // Plain loops (no Object.entries pairs): a report can hold 24k findings per MB scanned (issue 8).
  const walk = (v: unknown): unknown => {
    if (typeof v === "string") return f(v);
    if (Array.isArray(v)) {
      const out = new Array<unknown>(v.length);
      for (let i = 0; i < v.length; i++) out[i] = walk(v[i]);
      return out;
    }
    if (v !== null && typeof v === "object") {
      const out: Record<string, unknown> = {};
      for (const k of Object.keys(v)) {
        const x = (v as Record<string, unknown>)[k];
        out[k] = skip.has(k) ? x : walk(x);
      }
      return out;
    }
    return v;
  };
  return walk(value) as T;
}
