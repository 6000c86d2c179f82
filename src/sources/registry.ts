import type { SourceName } from "../core/types.js";
import type { Located, SourceContext } from "./context.js";

/**
 * Sources beyond env/home/tree: mounted secrets, sockets, other processes' environments.
 * Filled in by their modules; a source missing here records an issue and yields nothing.
 */
export const SOURCE_EXTRA: Record<
  Exclude<SourceName, "env" | "home" | "tree">,
  (ctx: SourceContext) => Promise<Located[]>
> = {
  mounts: async () => [],
  sockets: async () => [],
  processes: async () => [],
};
