// Recognises `agent-audit gate hook <runtime> [flags]` without loading anything: bin.ts asks this
// first, and only a plain hook call (no --help) takes the fast path.

export interface HookArgs {
  runtime: string;
  config?: string;
  log?: string | false;
  approveAllowed: boolean;
  /** Flags it does not know: the hook blocks with a usage message. */
  unknown: string[];
}

/** The hook's arguments, or undefined when this is not a hook call (or asks for help). */
export function hookArgs(argv: readonly string[]): HookArgs | undefined {
  if (argv[0] !== "gate" || argv[1] !== "hook") return undefined;
  const rest = argv.slice(2);
  if (rest.some((a) => a === "-h" || a === "--help")) return undefined;
  const out: HookArgs = { runtime: "", approveAllowed: false, unknown: [] };
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i]!;
    const eq = a.indexOf("=");
    const key = a.startsWith("--") && eq > 0 ? a.slice(0, eq) : a;
    const inline = key !== a ? a.slice(eq + 1) : undefined;
    const value = () => inline ?? rest[++i];
    if (key === "--config") {
      const v = value();
      if (v === undefined || v === "") out.unknown.push("--config (needs a file)");
      else out.config = v;
    } else if (key === "--log") {
      const v = value();
      if (v === undefined || v === "") out.unknown.push("--log (needs a file)");
      else out.log = v;
    } else if (a === "--no-log") out.log = false;
    else if (a === "--approve-allowed") out.approveAllowed = true;
    else if (!a.startsWith("-") && !out.runtime) out.runtime = a;
    else out.unknown.push(a);
  }
  return out;
}
