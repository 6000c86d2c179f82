import type { Parser } from "./common.js";
import { parseDockerConfig } from "./docker-config.js";
import { parseDockerfile } from "./dockerfile.js";
import { parseDotenvFile } from "./dotenv.js";
import { parseGitCredentials } from "./git-credentials.js";
import { parseIni } from "./ini.js";
import { parseJson, parseMcpJson } from "./json.js";
import { parseKubeconfig } from "./kubeconfig.js";
import { parseNetrc } from "./netrc.js";
import { parseNpmrc } from "./npmrc.js";
import { parsePem } from "./pem.js";
import { parsePgpass } from "./pgpass.js";
import { parsePkcs12 } from "./pkcs12.js";
import { parsePresence } from "./presence.js";
import { parseTokenFile } from "./token-file.js";
import { parseToml } from "./toml.js";
import { parseXml } from "./xml.js";
import { parseYaml } from "./yaml.js";

export type { ParseInput, ParseResult, Parser } from "./common.js";

/**
 * The structural parsers, by the name a path rule gives in `parser:` (rules/paths/*.yaml). "text"
 * (content rules only) is not a parser: src/sources/files.ts handles it. A new parser is a module
 * in this folder plus one line here; test/detectors/parsers/catalog.test.ts checks that every path
 * rule names a registered parser.
 */
export const PARSERS: Record<string, Parser> = {
  ini: parseIni,
  // my.cnf is INI with bare flags and !include lines, which the INI reader accepts; `#` starts a
  // comment anywhere (issue 8).
  "my-cnf": (input) => parseIni(input, "my-cnf"),
  // Java properties (gradle.properties): `key=value` / `key: value` lines without sections,
  // backslash continuations and escapes, no inline comments (issue 8).
  properties: (input) => parseIni(input, "properties"),
  json: parseJson,
  "mcp-json": parseMcpJson,
  yaml: parseYaml,
  toml: parseToml,
  kubeconfig: parseKubeconfig,
  "docker-config": parseDockerConfig,
  // Dockerfiles: ENV and ARG variables, judged like the environment (issue 15).
  dockerfile: parseDockerfile,
  netrc: parseNetrc,
  npmrc: parseNpmrc,
  "git-credentials": parseGitCredentials,
  pem: parsePem,
  dotenv: parseDotenvFile,
  pgpass: parsePgpass,
  presence: parsePresence,
  // PKCS#12 key stores (.p12 / .pfx): binary, judged from ParseInput.bytes (issue 15).
  pkcs12: parsePkcs12,
  xml: parseXml,
  "token-file": parseTokenFile,
};
