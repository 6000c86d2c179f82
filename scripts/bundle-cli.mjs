#!/usr/bin/env node
// Joins the modules of the CLI program (dist/src/cli/main.js and what it imports) and of the scan
// worker (dist/src/sources/scan-worker.js) into a few files in dist/src/bundle/, with esbuild. Node's
// module loader costs about half a millisecond per module (resolve, read, compile, link), and a
// scan loads some 130 of them before it reads a file; the worker, 46 more before it takes a batch
// (issue 15: about 60 ms of every command's start-up, measured with test/bench/startup.mjs).
//
// Run by `npm run build`, after tsc. bin.ts loads dist/src/bundle/main.js when it exists, else the
// separate modules (a partial build). The lazy imports stay lazy (code splitting: each command's
// modules are a chunk of their own), and packages stay outside (node_modules, loaded as before).
// The bundle sits at the same depth as the modules (dist/src/<dir>/), so paths the code builds
// from its own URL (util/paths.ts, util/lazy.ts) resolve the same; the scan pool's worker URL,
// "./scan-worker.js", names the bundled worker beside the chunks; gate/compiled.ts knows the
// bundle's directory.
import { rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const dist = join(root, "dist", "src");
const outdir = join(dist, "bundle");

rmSync(outdir, { recursive: true, force: true });
// `--clean`, the build's first step: the bundle goes before tsc runs, so that a build that stops
// after tsc (or tsc run alone) leaves no bundle of an older program for bin.js to run.
if (process.argv.includes("--clean")) process.exit(0);
const common = {
  bundle: true,
  format: "esm",
  platform: "node",
  target: "node20",
  packages: "external",
  logLevel: "warning",
  metafile: true,
};
// The program: its lazy imports become chunks of their own.
const program = await build({
  ...common,
  entryPoints: [join(dist, "cli", "main.js")],
  entryNames: "[name]",
  outdir,
  splitting: true,
});
// The scan worker: one file, nothing shared with the program's chunks (a worker is a thread of its
// own, which loads its modules anew whatever the main thread holds).
const worker = await build({
  ...common,
  entryPoints: [join(dist, "sources", "scan-worker.js")],
  outfile: join(outdir, "scan-worker.js"),
});
const count = (r) => Object.keys(r.metafile.inputs).length;
console.log(
  `bundle-cli: the program's ${count(program)} modules -> ${Object.keys(program.metafile.outputs).length} files, the scan worker's ${count(worker)} -> 1, in dist/src/bundle`,
);
