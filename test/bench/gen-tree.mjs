#!/usr/bin/env node
// Generates a deterministic working tree for the scan benchmarks (GitHub issues 2 and 3).
//
//   node test/bench/gen-tree.mjs [--preset issue2|issue3|tokens] [--files N] [--mb M] [--seed S] [--out DIR]
//
// The same parameters always give the same bytes (seeded PRNG, no clock, no Math.random). A tree
// that already exists with the same parameters is reused: its manifest (DIR.manifest.json, kept
// beside the tree so the scanners never see it) records the parameters and the totals.
//
// Content: source-like code in five languages, config files (YAML, INI, TOML, .env), markdown,
// JSON, one large log file (over the 8 MiB whole-read threshold, so the chunked read path runs)
// and binary files (random bytes, ~15% NULs). A few dozen fake secrets are planted at known places.
// node_modules/ and .git/ hold more files, secrets included; both scanners skip them, and they are
// not counted in the totals. Generated trees live under test/bench/.work/ (gitignored).
//
// The `tokens` preset (issue 15) is code written around language models: the same kinds of files,
// but about one identifier in 15 names a rule keyword (`token` in token counts, tokenizers and
// max_tokens, `password` in password hints and reset flows) and some lines are typical LLM-client
// calls (`max_tokens=1024`, `usage["prompt_tokens"]`). The other presets' bytes are unchanged.

import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { crc32 } from "node:zlib";

/** A hash of this script: any change to the generator rebuilds stale trees. */
const GENERATOR_VERSION = createHash("sha256")
  .update(readFileSync(fileURLToPath(import.meta.url)))
  .digest("hex")
  .slice(0, 12);
const PRESETS = {
  issue2: { files: 10_000, mb: 100 },
  issue3: { files: 20_000, mb: 200 },
  tokens: { files: 20_000, mb: 181, vocab: "tokens" },
};
export const WORK_DIR = join(dirname(fileURLToPath(import.meta.url)), ".work");

// sfc32: a small, fast, well-distributed 32-bit PRNG (PractRand-tested); seeded via splitmix32.
function makeRng(seed) {
  let s = seed >>> 0;
  const split = () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
  let a = split();
  let b = split();
  let c = split();
  let d = split();
  const u32 = () => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return t >>> 0;
  };
  for (let i = 0; i < 12; i++) u32();
  const rng = {
    u32,
    float: () => u32() / 4294967296,
    int: (n) => Math.floor((u32() / 4294967296) * n),
    pick: (arr) => arr[Math.floor((u32() / 4294967296) * arr.length)],
    chance: (p) => u32() / 4294967296 < p,
    /** Standard normal (Box-Muller). */
    normal: () => {
      const u = (u32() + 1) / 4294967297;
      const v = u32() / 4294967296;
      return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    },
    chars: (alphabet, n) => {
      let s = "";
      for (let i = 0; i < n; i++) s += alphabet[Math.floor((u32() / 4294967296) * alphabet.length)];
      return s;
    },
  };
  return rng;
}

const UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const LOWER = "abcdefghijklmnopqrstuvwxyz";
const DIGITS = "0123456789";
const BASE62 = DIGITS + UPPER + LOWER;
const BASE32 = `${UPPER}234567`;
const HEX = "0123456789abcdef";

function base62(n, width) {
  let out = "";
  let v = n;
  while (v > 0) {
    out = BASE62[v % 62] + out;
    v = Math.floor(v / 62);
  }
  return out.padStart(width, "0");
}

// Fake secrets in the shapes the rules in rules/secrets/ describe (and a few that later rules will
// cover). Prefixes are split so this file itself never matches a rule.
const SECRET_SHAPES = [
  {
    name: "aws-access-key-id",
    make: (r) => `AK${"IA"}${r.chars(BASE32, 16)}`,
    line: (s) => `aws_access_key_id = ${s}`,
  },
  {
    name: "github-pat-classic",
    make: (r) => {
      const body = r.chars(BASE62, 30);
      return `gh${"p_"}${body}${base62(crc32(Buffer.from(body, "ascii")), 6)}`;
    },
    line: (s) => `GITHUB_TOKEN=${s}`,
  },
  {
    name: "generic-password-assignment",
    make: (r) => r.chars(`${BASE62}!#%&*+-`, 20),
    line: (s) => `db_password = "${s}"`,
  },
  {
    name: "slack-bot-token",
    make: (r) => `xox${"b"}-${r.chars(DIGITS, 12)}-${r.chars(DIGITS, 13)}-${r.chars(BASE62, 24)}`,
    line: (s) => `SLACK_BOT_TOKEN: ${s}`,
  },
  {
    name: "stripe-secret-key",
    make: (r) => `sk_${"live"}_${r.chars(BASE62, 99)}`,
    line: (s) => `stripe.api_key = "${s}"`,
  },
  {
    name: "google-api-key",
    make: (r) => `AI${"za"}Sy${r.chars(`${BASE62}_-`, 33)}`,
    line: (s) => `"apiKey": "${s}",`,
  },
  {
    name: "npm-access-token",
    make: (r) => {
      const body = r.chars(BASE62, 30);
      return `np${"m_"}${body}${base62(crc32(Buffer.from(body, "ascii")), 6)}`;
    },
    line: (s) => `//registry.npmjs.org/:_authToken=${s}`,
  },
  {
    name: "gitlab-pat",
    make: (r) => `gl${"pat"}-${r.chars(`${BASE62}_-`, 20)}`,
    line: (s) => `GITLAB_TOKEN=${s}`,
  },
  {
    name: "anthropic-api-key",
    make: (r) => `sk-${"ant"}-api03-${r.chars(`${BASE62}_-`, 93)}AA`,
    line: (s) => `ANTHROPIC_API_KEY=${s}`,
  },
  {
    name: "openai-api-key",
    make: (r) => `sk-${"proj"}-${r.chars(BASE62, 20)}T3Blbk${"FJ"}${r.chars(BASE62, 20)}`,
    line: (s) => `OPENAI_API_KEY="${s}"`,
  },
  {
    name: "private-key",
    make: (r) => {
      const lines = [];
      for (let i = 0; i < 25; i++) lines.push(r.chars(`${BASE62}+/`, 64));
      return lines.join("\n");
    },
    line: (s) => `-----BEGIN ${"RSA PRIVATE"} KEY-----\n${s}\n-----END RSA PRIVATE KEY-----`,
  },
];
const PLANTED_SECRETS = 48;

// Vocabulary for source-like text. A few identifiers use rule keywords on purpose (token,
// password, secret, key, auth): real code mentions them, about one identifier in 60 here.
const SENSITIVE = ["token", "password", "secret", "apiKey", "auth", "credentials", "accessKey"];
const WORDS = (
  "user account request response handler config options value result error data item list map " +
  "index count total buffer stream reader writer client server session cache store queue event " +
  "message payload header body status context logger metrics timer retry limit offset page size " +
  "path file name type node tree parent child state props model view controller service factory " +
  "id url host port timeout version build deploy release"
).split(" ");
const TYPES = ["string", "number", "boolean", "Buffer", "Map<string, number>", "Promise<void>", "unknown"];
const COMMENTS = [
  "TODO: handle the retry case",
  "keep this in sync with the schema",
  "see the design doc for why",
  "NOTE: order matters here",
  "fast path: nothing to do",
  "the cache is invalidated on write",
  "FIXME: this allocates per call",
  "Déjà vu: the upstream API returns 204 here — ünïcode in comments is normal",
];

// The `tokens` vocabulary (issue 15): identifiers of code around language models and login flows.
// ident() draws one of these for one identifier in 20, on top of the one in 60 above: about one in 15.
const DENSE = (
  "tokenCount maxTokens max_tokens tokenizer tokenizers promptTokens prompt_tokens completionTokens " +
  "completion_tokens inputTokens outputTokens totalTokens total_tokens tokenLimit tokenBudget countTokens " +
  "tokenize detokenize tokenIds token_ids specialTokens padToken eos_token bosToken nextToken tokens " +
  "token passwordHint password_hint passwordReset resetPassword reset_password passwordStrength newPassword " +
  "confirmPassword forgotPassword passwordPolicy hashPassword password_hash passwordResetToken " +
  "min_password_length passwordField showPassword secretManager"
).split(" ");
/** The vocabulary in use: "default", or "tokens" for the keyword-dense preset (set by generateTree). */
let vocab = "default";

function ident(r) {
  if (vocab === "tokens" && r.chance(1 / 20)) return r.pick(DENSE);
  if (r.chance(1 / 60)) return `${r.pick(WORDS)}${r.pick(SENSITIVE).replace(/^./, (c) => c.toUpperCase())}`;
  const a = r.pick(WORDS);
  if (r.chance(0.5)) return a;
  const b = r.pick(WORDS);
  return a + b[0].toUpperCase() + b.slice(1);
}

const LANGS = {
  ts: (r, ind) => {
    switch (r.int(9)) {
      case 0:
        return `${ind}const ${ident(r)}: ${r.pick(TYPES)} = ${ident(r)}(${ident(r)}, ${r.int(1000)});`;
      case 1:
        return `${ind}if (${ident(r)}.${ident(r)} === ${r.int(100)}) return ${ident(r)};`;
      case 2:
        return `${ind}// ${r.pick(COMMENTS)}`;
      case 3:
        return `${ind}export function ${ident(r)}(${ident(r)}: ${r.pick(TYPES)}): ${r.pick(TYPES)} {`;
      case 4:
        return `${ind}await this.${ident(r)}.${ident(r)}({ ${ident(r)}, ${ident(r)}: "${r.pick(WORDS)}" });`;
      case 5:
        return `${ind}for (const ${ident(r)} of ${ident(r)}) ${ident(r)}.push(${ident(r)});`;
      case 6:
        return `${ind}}`;
      case 7:
        return `${ind}import { ${ident(r)} } from "./${r.pick(WORDS)}/${r.pick(WORDS)}.js";`;
      default:
        return `${ind}throw new Error(\`${r.pick(WORDS)} ${r.pick(WORDS)} failed: \${${ident(r)}}\`);`;
    }
  },
  py: (r, ind) => {
    switch (r.int(7)) {
      case 0:
        return `${ind}${ident(r)} = ${ident(r)}(${ident(r)}, ${r.int(1000)})`;
      case 1:
        return `${ind}def ${ident(r)}(self, ${ident(r)}, ${ident(r)}=None):`;
      case 2:
        return `${ind}# ${r.pick(COMMENTS)}`;
      case 3:
        return `${ind}if ${ident(r)} is not None and ${ident(r)} > ${r.int(50)}:`;
      case 4:
        return `${ind}return {"${r.pick(WORDS)}": ${ident(r)}, "${r.pick(WORDS)}": ${r.int(9)}}`;
      case 5:
        return `${ind}logger.debug("%s ${r.pick(WORDS)}", ${ident(r)})`;
      default:
        return `${ind}from ${r.pick(WORDS)}.${r.pick(WORDS)} import ${ident(r)}`;
    }
  },
  go: (r, ind) => {
    switch (r.int(6)) {
      case 0:
        return `${ind}${ident(r)}, err := ${ident(r)}.${ident(r)}(ctx, ${ident(r)})`;
      case 1:
        return `${ind}if err != nil {\n${ind}\treturn nil, fmt.Errorf("${r.pick(WORDS)}: %w", err)\n${ind}}`;
      case 2:
        return `${ind}// ${r.pick(COMMENTS)}`;
      case 3:
        return `${ind}func (s *${ident(r)}) ${ident(r)}(${ident(r)} ${r.pick(["string", "int", "[]byte"])}) error {`;
      case 4:
        return `${ind}${ident(r)} := make(map[string]int, ${r.int(64)})`;
      default:
        return `${ind}}`;
    }
  },
  java: (r, ind) => {
    switch (r.int(6)) {
      case 0:
        return `${ind}private final ${r.pick(["String", "int", "long", "List<String>"])} ${ident(r)};`;
      case 1:
        return `${ind}public ${r.pick(["void", "String", "boolean"])} ${ident(r)}(${r.pick(["String", "int"])} ${ident(r)}) {`;
      case 2:
        return `${ind}/* ${r.pick(COMMENTS)} */`;
      case 3:
        return `${ind}${ident(r)}.${ident(r)}(${ident(r)}.get${r.pick(WORDS)}());`;
      case 4:
        return `${ind}return ${ident(r)} != null ? ${ident(r)} : ${r.int(10)};`;
      default:
        return `${ind}}`;
    }
  },
  js: (r, ind) => {
    switch (r.int(6)) {
      case 0:
        return `${ind}const ${ident(r)} = require("${r.pick(WORDS)}");`;
      case 1:
        return `${ind}module.exports.${ident(r)} = function (${ident(r)}, ${ident(r)}) {`;
      case 2:
        return `${ind}// ${r.pick(COMMENTS)}`;
      case 3:
        return `${ind}${ident(r)}.on("${r.pick(WORDS)}", (${ident(r)}) => ${ident(r)}(${ident(r)}));`;
      case 4:
        return `${ind}let ${ident(r)} = ${ident(r)}[${r.int(20)}] || ${r.int(100)};`;
      default:
        return `${ind}};`;
    }
  },
};

// Lines of LLM-client code for the `tokens` preset: keywords followed by assignments, calls, indexing.
const LLM_LINES = [
  (r, ind) =>
    `${ind}response = client.messages.create(model=model, max_tokens=${r.int(8192)}, messages=messages)`,
  (r, ind) => `${ind}const maxTokens = options.maxTokens ?? ${r.int(8192)};`,
  (r, ind) => `${ind}total = usage["prompt_tokens"] + usage["completion_tokens"]  # ${r.pick(COMMENTS)}`,
  (r, ind) => `${ind}tokens = tokenizer.encode(${ident(r)}, add_special_tokens=False)`,
  (r, ind) =>
    `${ind}if (tokenCount + ${ident(r)}.length > tokenLimit) throw new Error("token budget exceeded");`,
  (r, ind) => `${ind}"max_tokens": ${r.int(4096)}, "temperature": 0.${r.int(10)},`,
  (_r, ind) => `${ind}password_hint = form.cleaned_data.get("password_hint", "")`,
  (r, ind) =>
    `${ind}await sendPasswordResetEmail(user.email, { resetToken: ${ident(r)}, expiresIn: ${r.int(3600)} });`,
  (r, ind) => `${ind}tokenizer = AutoTokenizer.from_pretrained("${r.pick(WORDS)}-${r.pick(WORDS)}")`,
  (r, ind) => `${ind}// count tokens before sending: the ${r.pick(WORDS)} token limit is ${r.int(200000)}`,
];

function codeLine(r, lang) {
  if (vocab === "tokens" && r.chance(0.12)) return r.pick(LLM_LINES)(r, "  ".repeat(r.int(4)));
  return LANGS[lang](r, "  ".repeat(r.int(4)));
}

function configLine(r, kind) {
  const k = ident(r);
  const v = r.pick([
    String(r.int(10000)),
    r.pick(WORDS),
    `${r.pick(WORDS)}-${r.pick(WORDS)}.internal`,
    `/var/lib/${r.pick(WORDS)}/${r.pick(WORDS)}`,
    r.chance(0.5) ? "true" : "false",
    `\${${r.pick(WORDS).toUpperCase()}_${r.pick(WORDS).toUpperCase()}}`,
  ]);
  switch (kind) {
    case "yaml":
      return `${"  ".repeat(r.int(3))}${k}: ${v}`;
    case "ini":
      return r.chance(0.08) ? `[${r.pick(WORDS)}]` : `${k} = ${v}`;
    case "toml":
      return r.chance(0.08) ? `[${r.pick(WORDS)}.${r.pick(WORDS)}]` : `${k} = "${v}"`;
    default:
      return `${k.toUpperCase()}=${v}`;
  }
}

function markdownLine(r) {
  switch (r.int(6)) {
    case 0:
      return `## ${r.pick(WORDS)} ${r.pick(WORDS)}`;
    case 1:
      return `- ${Array.from({ length: 6 + r.int(8) }, () => r.pick(WORDS)).join(" ")}.`;
    case 2:
      return "";
    case 3:
      return `See [${r.pick(WORDS)}](https://example.com/${r.pick(WORDS)}/${r.pick(WORDS)}) for the ${r.pick(WORDS)}.`;
    default:
      return Array.from({ length: 10 + r.int(15) }, () => r.pick(WORDS)).join(" ");
  }
}

function jsonLine(r) {
  const k = ident(r);
  switch (r.int(4)) {
    case 0:
      return `  "${k}": ${r.int(100000)},`;
    case 1:
      return `  "${k}": "${r.pick(WORDS)} ${r.pick(WORDS)}",`;
    case 2:
      return `  "${k}": [${r.int(9)}, ${r.int(9)}, ${r.int(9)}],`;
    default:
      return `  "${k}": { "${r.pick(WORDS)}": ${r.chance(0.5)} },`;
  }
}

function logLine(r, i) {
  const ts = `2025-01-${String(1 + (i % 28)).padStart(2, "0")}T${String(i % 24).padStart(2, "0")}:${String(i % 60).padStart(2, "0")}:00Z`;
  return `${ts} ${r.pick(["INFO", "DEBUG", "WARN"])} ${r.pick(WORDS)} ${ident(r)} took=${r.int(900)}ms id=${r.chars(HEX, 16)}`;
}

const KINDS = [
  // [kind, extension, weight in files]
  ["code", "ts", 18],
  ["code", "py", 10],
  ["code", "go", 8],
  ["code", "java", 8],
  ["code", "js", 10],
  ["config", "yaml", 5],
  ["config", "ini", 2],
  ["config", "toml", 2],
  ["config", "env", 1],
  ["md", "md", 10],
  ["json", "json", 11],
  ["binary", "bin", 15],
];
const BINARY_EXT = ["png", "jar", "so", "woff2", "bin", "pyc"];
const KIND_TOTAL = KINDS.reduce((s, k) => s + k[2], 0);

function pickKind(r) {
  let x = r.int(KIND_TOTAL);
  for (const k of KINDS) {
    if (x < k[2]) return k;
    x -= k[2];
  }
  return KINDS[0];
}

/** Text of about `size` bytes made of lines from `gen`; `plant` lines go at fixed positions. */
function textOf(r, size, gen, plant = []) {
  const lines = [];
  let n = 0;
  let i = 0;
  const at = plant.map((p, k) => ({ p, k, at: Math.floor(((k + 1) / (plant.length + 1)) * size) }));
  while (n < size) {
    while (at.length && n >= at[0].at) {
      const s = at.shift().p;
      lines.push(s);
      n += s.length + 1;
    }
    const line = gen(r, i++);
    lines.push(line);
    n += line.length + 1;
  }
  for (const a of at) lines.push(a.p);
  return `${lines.join("\n")}\n`;
}

function binaryOf(r, size) {
  const buf = Buffer.allocUnsafe(size);
  let i = 0;
  // ~15% NUL bytes, like real executables and archives; the rest uniform.
  while (i + 4 <= size) {
    const v = r.u32();
    buf.writeUInt32LE(v, i);
    i += 4;
  }
  while (i < size) buf[i++] = r.u32() & 0xff;
  for (let j = 0; j < size; j++) if ((buf[j] & 0x3f) < 10) buf[j] = 0;
  return buf;
}

const DIR_NAMES = [
  "src",
  "lib",
  "pkg",
  "internal",
  "app",
  "api",
  "core",
  "util",
  "services",
  "web",
  "cmd",
  "docs",
  "config",
  "test",
  "scripts",
  "modules",
  "handlers",
  "models",
];

function makeDirs(r, count) {
  // A tree of directories up to 5 deep; each file goes into one at random.
  const dirs = [""];
  while (dirs.length < count) {
    const parent = r.pick(dirs);
    if (parent.split("/").length >= 5) continue;
    const name = `${r.pick(DIR_NAMES)}${r.chance(0.5) ? `-${r.pick(WORDS)}` : ""}`;
    const d = parent ? `${parent}/${name}` : name;
    if (!dirs.includes(d)) dirs.push(d);
  }
  return dirs;
}

export function parseArgs(argv) {
  const opts = { preset: "issue3", seed: 42, out: undefined, files: undefined, mb: undefined, force: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => argv[++i];
    if (a === "--preset") opts.preset = next();
    else if (a === "--files") opts.files = Number(next());
    else if (a === "--mb") opts.mb = Number(next());
    else if (a === "--seed") opts.seed = Number(next());
    else if (a === "--out") opts.out = next();
    else if (a === "--force") opts.force = true;
    else throw new Error(`unknown argument ${a}`);
  }
  const p = PRESETS[opts.preset];
  if (!p) throw new Error(`unknown preset ${opts.preset}; use ${Object.keys(PRESETS).join(", ")}`);
  opts.files ??= p.files;
  opts.mb ??= p.mb;
  opts.vocab = p.vocab ?? "default";
  const suffix = opts.vocab === "default" ? "" : `-${opts.vocab}`;
  opts.out = resolve(opts.out ?? join(WORK_DIR, `tree-${opts.files}-${opts.mb}mb-s${opts.seed}${suffix}`));
  return opts;
}

/**
 * Generates (or reuses) the tree and returns its manifest: { dir, files, bytes, textFiles,
 * binaryFiles, planted: [{ path, line, shape }], skipped: { files, bytes } }.
 */
export function generateTree({ files, mb, seed, out, force = false, vocab: v = "default" }, log = () => {}) {
  const params = { generator: GENERATOR_VERSION, files, mb, seed, ...(v === "default" ? {} : { vocab: v }) };
  const manifestPath = `${out}.manifest.json`;
  if (!force && existsSync(manifestPath) && existsSync(out)) {
    const m = JSON.parse(readFileSync(manifestPath, "utf8"));
    if (JSON.stringify(m.params) === JSON.stringify(params)) {
      log(`reusing ${out} (${m.files} files, ${(m.bytes / 1e6).toFixed(1)} MB)`);
      return m;
    }
  }
  log(
    `generating ${out}: ${files} files, ${mb} MB, seed ${seed}${v === "default" ? "" : `, ${v} vocabulary`}`,
  );
  vocab = v;
  rmSync(out, { recursive: true, force: true });
  rmSync(manifestPath, { force: true });
  const r = makeRng(seed);
  const totalBytes = mb * 1_000_000;
  const dirs = makeDirs(r, Math.max(8, Math.round(files / 40)));

  // One large log file (9 MB: over the whole-read threshold, under the default 10 MiB cap).
  const bigBytes = Math.min(9_000_000, Math.floor(totalBytes * 0.08));
  const plan = [{ kind: "log", ext: "log", weight: 0, size: bigBytes, path: "logs/app.log" }];
  // Log-normal sizes (most files a few KB, a long tail), scaled to the byte budget.
  const rest = [];
  for (let i = 1; i < files; i++) {
    const [kind, ext] = pickKind(r);
    const dir = r.pick(dirs);
    const base = `${ident(r)}-${i}.${kind === "binary" ? r.pick(BINARY_EXT) : ext === "env" ? "env" : ext}`;
    rest.push({ kind, ext, weight: Math.exp(r.normal() * 1.1), path: dir ? `${dir}/${base}` : base });
  }
  const budget = totalBytes - bigBytes;
  const wsum = rest.reduce((s, f) => s + f.weight, 0);
  let assigned = 0;
  for (const f of rest) {
    f.size = Math.max(64, Math.min(4_000_000, Math.round((f.weight / wsum) * budget)));
    assigned += f.size;
  }
  // Spread the rounding and clamping error over the files so the total is exact.
  let diff = budget - assigned;
  for (let i = 0; diff !== 0; i = (i + 1) % rest.length) {
    const step = Math.sign(diff) * Math.min(Math.abs(diff), 4096);
    if (rest[i].size + step >= 64) {
      rest[i].size += step;
      diff -= step;
    }
  }
  plan.push(...rest);

  // Plant the secrets in text files spread across the plan.
  const textIdx = plan.map((f, i) => (f.kind === "binary" ? -1 : i)).filter((i) => i >= 0);
  const plantsByFile = new Map();
  for (let k = 0; k < PLANTED_SECRETS; k++) {
    const shape = SECRET_SHAPES[k % SECRET_SHAPES.length];
    const idx = textIdx[Math.floor(((k + 0.5) / PLANTED_SECRETS) * textIdx.length)];
    const list = plantsByFile.get(idx) ?? [];
    list.push({ shape: shape.name, text: shape.line(shape.make(r)) });
    plantsByFile.set(idx, list);
  }

  let written = 0;
  let textFiles = 0;
  let binaryFiles = 0;
  const planted = [];
  const made = new Set();
  const write = (rel, data) => {
    const abs = join(out, rel);
    const d = dirname(abs);
    if (!made.has(d)) {
      mkdirSync(d, { recursive: true });
      made.add(d);
    }
    writeFileSync(abs, data);
  };
  for (let i = 0; i < plan.length; i++) {
    const f = plan[i];
    const plants = plantsByFile.get(i) ?? [];
    let data;
    if (f.kind === "binary") {
      data = binaryOf(r, f.size);
      binaryFiles++;
    } else {
      const gen =
        f.kind === "code"
          ? (rr) => codeLine(rr, f.ext)
          : f.kind === "config"
            ? (rr) => configLine(rr, f.ext)
            : f.kind === "md"
              ? markdownLine
              : f.kind === "json"
                ? jsonLine
                : logLine;
      // Cut to the planned size (the generator overshoots by at most one line); keep planted lines.
      let text = textOf(
        r,
        f.size,
        gen,
        plants.map((p) => p.text),
      );
      if (!plants.length && text.length > f.size) text = `${text.slice(0, f.size - 1)}\n`;
      data = Buffer.from(text, "utf8");
      for (const p of plants) {
        const at = text.indexOf(p.text);
        const line = text.slice(0, at).split("\n").length;
        planted.push({ path: f.path, line, shape: p.shape });
      }
      textFiles++;
    }
    write(f.path, data);
    written += data.length;
    if (i % 2000 === 0) log(`  ${i}/${plan.length} files, ${(written / 1e6).toFixed(0)} MB`);
  }

  // Dependency and VCS folders: skipped by both scanners, so not counted; secrets inside prove it.
  let skippedFiles = 0;
  let skippedBytes = 0;
  const skipCount = Math.max(20, Math.round(files / 50));
  for (let i = 0; i < skipCount; i++) {
    const inGit = i % 3 === 0;
    const rel = inGit
      ? `.git/objects/${r.chars(HEX, 2)}/${r.chars(HEX, 38)}`
      : `node_modules/${r.pick(WORDS)}-${r.pick(WORDS)}/lib/${ident(r)}-${i}.js`;
    const shape = SECRET_SHAPES[i % 2];
    const data = inGit
      ? binaryOf(r, 200 + r.int(4000))
      : Buffer.from(textOf(r, 500 + r.int(20000), (rr) => codeLine(rr, "js"), [shape.line(shape.make(r))]));
    write(rel, data);
    skippedFiles++;
    skippedBytes += data.length;
  }
  write(".git/HEAD", "ref: refs/heads/main\n");
  skippedFiles++;
  skippedBytes += 21;

  const manifest = {
    params,
    dir: out,
    files: plan.length,
    bytes: written,
    textFiles,
    binaryFiles,
    planted: planted.sort((a, b) => a.path.localeCompare(b.path) || a.line - b.line),
    skipped: { dirs: ["node_modules", ".git"], files: skippedFiles, bytes: skippedBytes },
  };
  manifest.digest = createHash("sha256").update(JSON.stringify(manifest.planted)).digest("hex").slice(0, 16);
  writeFileSync(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);
  log(
    `done: ${manifest.files} files, ${(written / 1e6).toFixed(1)} MB (${binaryFiles} binary), ${planted.length} planted secrets`,
  );
  return manifest;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const opts = parseArgs(process.argv.slice(2));
  const t0 = performance.now();
  const m = generateTree(opts, (s) => console.error(s));
  console.error(`(${((performance.now() - t0) / 1000).toFixed(1)} s)`);
  console.log(m.dir);
}
