// Types of test/bench/peer-suites-lib.mjs, for test/bench/peer-suites-lib.test.ts.
export const SECRETLINT_EXCLUDED: Map<string, string>;
export interface Span {
  start: number;
  end: number;
  messageId: string;
}
export function secretlintCase(
  dirName: string,
  output: unknown,
  rc?: unknown,
): { input: string | undefined; kind: "ng" | "ok"; prefixless: boolean; byOption: boolean; spans: Span[] };
/** A line-less (whole-file) finding hits every span. */
export function spanHit(span: Span, line: number | undefined): boolean;
export function tokenizeGo(src: string): { t: "str" | "rune" | "id" | "num" | "p"; v: string }[];
export function decodeGoEscapes(body: string): string;
export interface GoSample {
  value: string;
  path?: string;
}
export function gitleaksCases(src: string): {
  ruleId: string;
  fn: string;
  tps: GoSample[];
  fps: GoSample[];
  generated: { tps: number; fps: number };
}[];
export function redact(value: string): string;
export function safeRelPath(p: string, fallback: string): string;
