import type { InspectContext } from "./types.js";

/**
 * Where a config file is, independent of the machine: `~/` under the home, `./` under the project
 * root, `/` under the system root. Findings are identified by it, so a baseline made on one
 * machine (or one checkout) holds on another.
 */
export function portablePath(abs: string, ctx: Pick<InspectContext, "home" | "root" | "systemRoot">): string {
  const under = (base: string) =>
    abs === base || abs.startsWith(base.endsWith("/") ? base : `${base}/`)
      ? abs.slice(base.length).replace(/^\/*/, "")
      : undefined;
  // The closest base wins: a project inside the home is `./`, a home inside the project (--root /,
  // or --root /home) is still `~/`, whichever is nested in which.
  const bases: [string, string][] = [
    [ctx.root, "./"],
    [ctx.home, "~/"],
    ...(ctx.systemRoot === "/" ? [] : ([[ctx.systemRoot, "/"]] as [string, string][])),
  ];
  let best: { rest: string; prefix: string; length: number } | undefined;
  for (const [base, prefix] of bases) {
    const rest = under(base);
    if (rest !== undefined && (!best || base.length > best.length))
      best = { rest, prefix, length: base.length };
  }
  return best ? `${best.prefix}${best.rest}` : abs;
}
