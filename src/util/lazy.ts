import { createRequire } from "node:module";

// Heavy dependencies loaded on first use, not at start-up: zod (~45 ms to import) validates only a
// config file, a baseline or an edited rule; yaml (~25 ms) parses only YAML files met in a scan, a
// config file or a targets file. Every scan pays start-up, and the gate hook runs once per command.
// They are required synchronously through their CommonJS builds, and always through these
// functions, so a process never holds two copies of one library (zod's `instanceof` checks).

const require = createRequire(import.meta.url);

let zodModule: typeof import("zod") | undefined;
let yamlModule: typeof import("yaml") | undefined;
let tomlModule: typeof import("smol-toml") | undefined;
let jsoncModule: typeof import("jsonc-parser") | undefined;

/** The `zod` module. */
export function zod(): typeof import("zod") {
  zodModule ??= require("zod") as typeof import("zod");
  return zodModule;
}

/** The `yaml` module. */
export function yaml(): typeof import("yaml") {
  yamlModule ??= require("yaml") as typeof import("yaml");
  return yamlModule;
}

/** The `smol-toml` module. */
export function toml(): typeof import("smol-toml") {
  tomlModule ??= require("smol-toml") as typeof import("smol-toml");
  return tomlModule;
}

let cryptoModule: typeof import("node:crypto") | undefined;
let zlibModule: typeof import("node:zlib") | undefined;

/**
 * `node:crypto` and `node:zlib`, for code on a scan thread's start-up path that needs them only
 * now and then (a PKCS#12 file, a checksum check, a rule file hashed at load): each costs a
 * thread about 4 ms to load, and a scan worker (sources/scan-worker.ts) is on the clock from its
 * first line (issue 15).
 */
export function nodeCrypto(): typeof import("node:crypto") {
  cryptoModule ??= require("node:crypto") as typeof import("node:crypto");
  return cryptoModule;
}

/** See nodeCrypto. */
export function nodeZlib(): typeof import("node:zlib") {
  zlibModule ??= require("node:zlib") as typeof import("node:zlib");
  return zlibModule;
}

/** The `jsonc-parser` module (agent runtime configs: positions of JSON errors and keys). */
export function jsonc(): typeof import("jsonc-parser") {
  jsoncModule ??= require("jsonc-parser") as typeof import("jsonc-parser");
  return jsoncModule;
}
