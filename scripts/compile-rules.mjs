#!/usr/bin/env node
// Stores every rules/**/*.yaml parsed, keyed by absolute path with its mtime and size, in
// dist/rules-cache.json: src/detectors/rules.ts uses an entry only while the file is unchanged.
// Run by `npm run build`; the rules are still validated at every load.
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const files = {};
const walk = (dir) => {
  for (const ent of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, ent.name);
    if (ent.isDirectory()) walk(p);
    else if (ent.name.endsWith(".yaml")) {
      const st = statSync(p);
      try {
        files[p] = { mtimeMs: st.mtimeMs, size: st.size, data: parse(readFileSync(p, "utf8")) };
      } catch {
        // Invalid YAML stays out of the cache: the loader reports it with its file name.
      }
    }
  }
};
walk(join(root, "rules"));
mkdirSync(join(root, "dist"), { recursive: true });
writeFileSync(join(root, "dist", "rules-cache.json"), JSON.stringify({ version: 1, files }));
