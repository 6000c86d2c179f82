import type { SourceName } from "../contract/types.js";
import type { Located, SourceContext } from "./context.js";
import { scanMounts } from "./mounts.js";
import { scanProcesses } from "./processes.js";
import { scanSockets } from "./sockets.js";

/**
 * Sources beyond env/home/tree: mounted secrets, sockets, other processes' environments. `system`
 * (the agent runtimes' system-wide configs under /etc) is read by the runtime inspectors only.
 */
export const SOURCE_EXTRA: Record<
  Exclude<SourceName, "env" | "home" | "tree" | "system">,
  (ctx: SourceContext) => Promise<Located[]>
> = {
  mounts: scanMounts,
  sockets: scanSockets,
  processes: scanProcesses,
};
