import { createRequire } from "node:module";

// Heavy dependencies loaded on first use, not at start-up: zod (~45 ms to import) validates only a
// config file, a baseline or an edited rule; yaml (~25 ms) parses only YAML files met in a scan, a
// config file or a targets file. Every scan pays start-up, and the gate hook runs once per command.
// They are required synchronously through their CommonJS builds, and always through these
// functions, so a process never holds two copies of one library (zod's `instanceof` checks).

const require = createRequire(import.meta.url);

/** A module required on the first call of the returned function, and kept. */
function onFirstUse<T>(id: string): () => T {
  let module: T | undefined;
  return () => {
    module ??= require(id) as T;
    return module;
  };
}

/** The `zod` module. */
export const zod = onFirstUse<typeof import("zod")>("zod");

/** The `yaml` module. */
export const yaml = onFirstUse<typeof import("yaml")>("yaml");

/** The `smol-toml` module. */
export const toml = onFirstUse<typeof import("smol-toml")>("smol-toml");

/**
 * `node:crypto` and `node:zlib`, for code on a scan thread's start-up path that needs them only
 * now and then (a PKCS#12 file, a checksum check, a rule file hashed at load): each costs a
 * thread about 4 ms to load, and a scan worker (sources/scan-worker.ts) is on the clock from its
 * first line (issue 15).
 */
export const nodeCrypto = onFirstUse<typeof import("node:crypto")>("node:crypto");

/** See nodeCrypto. */
export const nodeZlib = onFirstUse<typeof import("node:zlib")>("node:zlib");

/** The `jsonc-parser` module (agent runtime configs: positions of JSON errors and keys). */
export const jsonc = onFirstUse<typeof import("jsonc-parser")>("jsonc-parser");
