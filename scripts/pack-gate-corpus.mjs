#!/usr/bin/env node
// Stores the gate's command corpus (fixtures/gate/corpus/{dangerous,benign}.jsonl) as
// dist/gate-corpus.json, which `agent-audit gate verify` replays (issue 11): fixtures/ is not part
// of the package. Run by `npm run build`, after tsc. A bad line fails the build with its place.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { GATE_CORPUS_FILE } from "../dist/src/app/gate-verify.js";
import { parseCorpus } from "../dist/src/capabilities/gate/verify.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const cases = ["dangerous.jsonl", "benign.jsonl"].flatMap((f) =>
  parseCorpus(readFileSync(join(root, "fixtures", "gate", "corpus", f), "utf8"), `fixtures/gate/corpus/${f}`),
);
mkdirSync(join(root, "dist"), { recursive: true });
writeFileSync(join(root, "dist", GATE_CORPUS_FILE), JSON.stringify({ cases }));
