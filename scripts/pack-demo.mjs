#!/usr/bin/env node
// Stores the demo sandbox (fixtures/demo) as dist/demo-sandbox.json, which `scan --demo` writes out
// to a temporary directory: npm leaves dotfiles such as .npmrc and .env and node_modules/ out of a
// package, the archive keeps them (issue 9). Run by `npm run build`, after tsc.
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { archiveDir, DEMO_ARCHIVE } from "../dist/src/app/demo.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
mkdirSync(join(root, "dist"), { recursive: true });
writeFileSync(join(root, "dist", DEMO_ARCHIVE), JSON.stringify(archiveDir(join(root, "fixtures", "demo"))));
