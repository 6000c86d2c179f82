import { InvalidArgumentError } from "commander";
import { SEVERITIES, type Severity, SOURCE_NAMES, type SourceName } from "../core/types.js";

export function parseSeverity(v: string): Severity {
  if ((SEVERITIES as readonly string[]).includes(v)) return v as Severity;
  throw new InvalidArgumentError(`must be one of ${SEVERITIES.join(", ")}`);
}

export function parseSources(v: string): SourceName[] {
  const parts = v
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  if (parts.length === 0)
    throw new InvalidArgumentError(`must list at least one of ${SOURCE_NAMES.join(", ")}`);
  for (const p of parts) {
    if (!(SOURCE_NAMES as readonly string[]).includes(p)) {
      // The value is not echoed: it may be anything, a pasted secret too (issue 8).
      throw new InvalidArgumentError(`unknown source; choose from ${SOURCE_NAMES.join(", ")}`);
    }
  }
  return [...new Set(parts)] as SourceName[];
}

/** Sizes as bytes, or with a k/M/G suffix (powers of 1024). */
export function parseSize(v: string): number {
  const m = /^(\d+)\s*([kKmMgG]i?[bB]?)?$/.exec(v.trim());
  if (!m) throw new InvalidArgumentError("must be a size such as 1048576, 512k or 10M");
  const unit = (m[2] ?? "").toLowerCase()[0];
  const mult = unit === "k" ? 1024 : unit === "m" ? 1024 ** 2 : unit === "g" ? 1024 ** 3 : 1;
  return Number(m[1]) * mult;
}

export function parsePositiveInt(v: string): number {
  if (!/^\d+$/.test(v) || Number(v) <= 0) throw new InvalidArgumentError("must be a positive integer");
  return Number(v);
}

export function collect(v: string, prev: string[] = []): string[] {
  return [...prev, v];
}

/** `--workers`: a count (0 = none) or "auto". */
export function parseWorkers(v: string): number | "auto" {
  if (v === "auto") return "auto";
  if (!/^\d+$/.test(v) || Number(v) > 64)
    throw new InvalidArgumentError('must be "auto" or a number from 0 to 64');
  return Number(v);
}
