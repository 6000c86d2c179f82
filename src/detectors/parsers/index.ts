import type { Detection } from "../types.js";

/** What a structural parser gets: the file's text and where it came from. */
export interface ParseInput {
  text: string;
  /** Path as reported (relative to home/root, or absolute). */
  path: string;
  /** The path rule that selected the file (its provider, severity, remediation), if any. */
  rule?: {
    id: string;
    provider: string;
    title: string;
    severity: Detection["severity"];
    remediation: string;
  };
}

export interface ParseResult {
  detections: Detection[];
  /** Set when the file could not be parsed as its format; the caller records an issue and text-scans it. */
  malformed?: string;
}

export type Parser = (input: ParseInput) => ParseResult;

/** Filled by the parser modules (registered in parsers/registry.ts). */
export const PARSERS: Record<string, Parser> = {};

/** 1-based line of the first occurrence of `needle` in `text` at or after `from`, or undefined. */
export function lineOfValue(text: string, needle: string, from = 0): number | undefined {
  const i = text.indexOf(needle, from);
  if (i < 0) return undefined;
  let line = 1;
  for (let j = text.indexOf("\n"); j !== -1 && j < i; j = text.indexOf("\n", j + 1)) line++;
  return line;
}
