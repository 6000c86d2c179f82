import fc from "fast-check";

// Shared pieces of the property-based tests of issue 8 ("Then, by construction"): fake tokens built
// at run time (the repository holds no real-looking token), the leak check, generators of hostile
// and near-valid files of every format the parsers read, and a work counter that measures linear
// time by operations, never by the clock.

const ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/** A string of `n` characters drawn from `chars`. */
export const charsOf = (chars: string, n: number) =>
  fc.string({ unit: fc.constantFrom(...chars.split("")), minLength: n, maxLength: n });

/** A GitHub-classic-PAT-like token (`ghp_` + 36 alphanumerics), its prefix assembled at run time. */
export const ghToken = charsOf(ALNUM, 36).map((s) => ["gh", "p_"].join("") + s);
/** An AWS-access-key-id-like token (`AKIA` + 16 base32 capitals), its prefix assembled at run time. */
export const awsToken = charsOf(BASE32, 16).map((s) => ["AK", "IA"].join("") + s);
/** Either kind of fake token. */
export const token = fc.oneof(ghToken, awsToken);

/**
 * Whether `out` shows `secret`: the whole of it, or any 8 characters of it past the first 4 (the
 * first 4 are what a preview may show; shared/DESIGN.md).
 */
export function leaks(out: string, secret: string): boolean {
  if (out.includes(secret)) return true;
  for (let i = 4; i + 8 <= secret.length; i++) if (out.includes(secret.slice(i, i + 8))) return true;
  return false;
}

/** Characters that may stand next to a planted token and still leave it a token (word boundaries and joiners). */
export const SEPARATORS = [
  " ",
  "\n",
  "\t",
  "_",
  "-",
  ".",
  "/",
  ":",
  "=",
  '"',
  "'",
  "[",
  "]",
  "#",
  ";",
  ",",
  "@",
];
export const separator = fc.constantFrom(...SEPARATORS);

/** `text` with `t` inserted at `at` (taken modulo the length + 1), framed by `before` and `after`. */
export function plant(text: string, t: string, at: number, before = "", after = ""): string {
  const i = at % (text.length + 1);
  return text.slice(0, i) + before + t + after + text.slice(i);
}

// ---------------------------------------------------------------------------------------------
// Generators of near-valid files, one per format family: valid documents, then a few edits.

const word = fc.string({
  unit: fc.constantFrom(..."abcdefghijklmnopqrstuvwxyz_-.".split("")),
  minLength: 1,
  maxLength: 10,
});
const secretKey = fc.constantFrom(
  "password",
  "passwd",
  "aws_secret_access_key",
  "aws_session_token",
  "token",
  "api_key",
  "client_secret",
  "refresh_token",
  "_authToken",
  "_auth",
  "_password",
  "private_key",
);
const key = fc.oneof(word, secretKey);
/** A value: short words, random-looking runs, odd characters, quotes and comment starters. */
const value = fc.oneof(
  word,
  charsOf(ALNUM, 24),
  fc.string({ maxLength: 20 }),
  fc.constantFrom(
    "",
    '"',
    "'",
    "`",
    "#",
    ";",
    "\\",
    ["$", "{X}"].join(""),
    "<changeme>",
    "yes",
    "{}",
    '{"token":"x"}',
  ),
);
const sp = fc.constantFrom("", " ", "  ", "\t");
const eol = fc.constantFrom("\n", "\r\n", "\r");

export const iniText = fc
  .array(
    fc.oneof(
      fc.tuple(sp, word).map(([s, w]) => `${s}[${w}]`),
      fc.tuple(sp, key, sp, fc.constantFrom("=", ":"), sp, value).map((p) => p.join("")),
      fc.tuple(fc.constantFrom("#", ";"), fc.string({ maxLength: 20 })).map(([c, s]) => c + s),
      fc.tuple(fc.constantFrom("  ", "\t"), key, fc.constant(" = "), value).map((p) => p.join("")),
      fc.constantFrom("", "!include /etc/x", "skip-external-locking"),
    ),
    { maxLength: 12 },
  )
  .chain((lines) => fc.tuple(fc.constant(lines), eol))
  .map(([lines, e]) => lines.join(e));

export const jsonText = fc
  .oneof(
    fc.jsonValue({ maxDepth: 4 }),
    fc.dictionary(key, fc.oneof(value, fc.dictionary(key, value, { maxKeys: 3 })), { maxKeys: 6 }),
    fc.tuple(word, fc.dictionary(key, value, { maxKeys: 3 })).map(([name, env]) => ({
      mcpServers: { [name]: { command: "x", env, headers: env, args: ["--token", "v"] } },
    })),
    fc
      .dictionary(word, fc.record({ auth: value, identitytoken: value }), { maxKeys: 3 })
      .map((auths) => ({ auths })),
  )
  .chain((v) => fc.tuple(fc.constant(v), fc.constantFrom(0, 2)))
  .map(([v, indent]) => JSON.stringify(v, null, indent));

export const yamlText = fc
  .array(
    fc.oneof(
      fc.tuple(key, value).map(([k, v]) => `${k}: ${v}`),
      fc.tuple(key, word, value).map(([k, a, v]) => `${k}: &${a || "a"} ${v}`),
      fc.tuple(key, word).map(([k, a]) => `${k}: *${a || "a"}`),
      fc.tuple(word).map(([a]) => `<<: *${a || "a"}`),
      fc.tuple(key, value).map(([k, v]) => `  - ${k}: ${v}`),
      fc.constantFrom(
        "---",
        "users:",
        "- name: u",
        "  user:",
        "    token: x",
        "...",
        "# c",
        "a: [*a, *a, *a]",
      ),
    ),
    { maxLength: 12 },
  )
  .map((lines) => lines.join("\n"));

export const tomlText = fc
  .array(
    fc.oneof(
      word.map((w) => `[${w}]`),
      word.map((w) => `[mcp_servers.${w}]`),
      fc.tuple(key, value).map(([k, v]) => `${k} = ${JSON.stringify(v)}`),
      fc.tuple(key, value).map(([k, v]) => `${k} = '${v}'`),
      fc
        .tuple(fc.dictionary(key, value, { maxKeys: 2 }))
        .map(([d]) => `env = ${JSON.stringify(d).replace(/":/g, '"=')}`),
    ),
    { maxLength: 10 },
  )
  .map((lines) => lines.join("\n"));

export const netrcText = fc
  .array(
    fc.oneof(
      fc.constantFrom(
        "machine",
        "login",
        "password",
        "passwd",
        "account",
        "port",
        "default",
        "macdef",
        "#",
        "\n",
        "\n\n",
      ),
      word,
      value.map((v) => `"${v.replace(/["\\]/g, "\\$&")}"`),
      value,
    ),
    { maxLength: 20 },
  )
  .map((tokens) => tokens.join(" "));

export const npmrcText = fc
  .array(
    fc.oneof(
      fc.tuple(word, value).map(([h, v]) => `//${h}/:_authToken=${v}`),
      fc.tuple(value).map(([v]) => `_auth=${Buffer.from(`u:${v}`).toString("base64")}`),
      fc.tuple(word, value).map(([h, v]) => `//${h}/:_password=${Buffer.from(v).toString("base64")}`),
      fc.tuple(key, value).map(([k, v]) => `${k}=${v}`),
      fc.constantFrom("registry=https://r.example/", "; c", "# c", "email=a@b"),
    ),
    { maxLength: 10 },
  )
  .map((lines) => lines.join("\n"));

export const xmlText = fc
  .array(
    fc.oneof(
      fc
        .tuple(fc.constantFrom("password", "passphrase", "id", "username"), value)
        .map(([t, v]) => `<${t}>${v}</${t}>`),
      fc
        .tuple(fc.constantFrom("password", "passphrase"), value)
        .map(([t, v]) => `<${t}><![CDATA[${v}]]></${t}>`),
      value.map((v) => `<add key="ClearTextPassword" value="${v}"/>`),
      fc.constantFrom("<server>", "</server>", "<!-- c -->", "<![CDATA[", "]]>", "&amp;", "&lt;"),
    ),
    { maxLength: 10 },
  )
  .chain((parts) => fc.tuple(fc.constant(parts), fc.constantFrom("", '<?xml version="1.0"?>\n')))
  .map(([parts, head]) => `${head}<settings><servers>${parts.join("\n")}</servers></settings>`);

export const dotenvText = fc
  .array(
    fc.oneof(
      fc
        .tuple(
          fc.constantFrom("", "export ", "  export\t"),
          key,
          sp,
          fc.constantFrom("=", ": "),
          sp,
          value,
          fc.constantFrom("", '"', "'", "`"),
        )
        .map(([ex, k, s1, eq, s2, v, q]) => `${ex}${k.toUpperCase()}${s1}${eq}${s2}${q}${v}${q}`),
      fc.tuple(key, value, fc.string({ maxLength: 10 })).map(([k, v, c]) => `${k}=${v} # ${c}`),
      fc.tuple(key, value, value).map(([k, a, b]) => `${k}="${a}\n${b}"`),
      fc.constantFrom("# comment", "", "   ", "export", "=x", "A=\\", 'B="\\"'),
    ),
    { maxLength: 12 },
  )
  .chain((lines) => fc.tuple(fc.constant(lines), eol))
  .map(([lines, e]) => lines.join(e));

export const pemText = fc
  .tuple(
    fc.constantFrom(
      "PRIVATE KEY",
      "RSA PRIVATE KEY",
      "OPENSSH PRIVATE KEY",
      "ENCRYPTED PRIVATE KEY",
      "EC PRIVATE KEY",
    ),
    fc.base64String({ maxLength: 80 }),
    fc.boolean(),
    fc.constantFrom("", "Proc-Type: 4,ENCRYPTED\n", "PuTTY-User-Key-File-2: ssh-rsa\nEncryption: none\n"),
  )
  .map(
    ([label, body, end, extra]) =>
      `${extra}-----BEGIN ${label}-----\n${body}\n${end ? `-----END ${label}-----\n` : ""}`,
  );

export const lineFormats = fc
  .array(
    fc.oneof(
      fc.tuple(word, value).map(([u, p]) => `https://${u}:${p}@host.example/x`),
      fc.tuple(word, word, value).map(([h, u, p]) => `${h}:5432:*:${u}:${p.replace(/[:\\]/g, "\\$&")}`),
      charsOf(ALNUM, 40),
      fc.constantFrom("# c", "", "AGE-SECRET-KEY-1QQQ", "a\\:b:c"),
    ),
    { maxLength: 8 },
  )
  .map((lines) => lines.join("\n"));

/** One edit of a near-valid file: delete a few characters at a position and insert a few. */
const edit = fc.record({
  at: fc.nat(),
  del: fc.nat({ max: 3 }),
  ins: fc.oneof(
    fc.string({ unit: "binary", maxLength: 3 }),
    fc.constantFrom(
      '"',
      "'",
      "`",
      "[",
      "]",
      "{",
      "}",
      ":",
      "=",
      "\n",
      "\\",
      "&",
      "*",
      "<![CDATA[",
      "]]>",
      "\0",
      "\u001b[2J",
      "\uFEFF",
      "\uD800",
    ),
  ),
});

/** `base` documents damaged by up to 3 edits (none, sometimes: the valid document itself). */
export function nearValid(base: fc.Arbitrary<string>): fc.Arbitrary<string> {
  return fc.tuple(base, fc.array(edit, { maxLength: 3 })).map(([text, edits]) => {
    let t = text;
    for (const e of edits) {
      const i = e.at % (t.length + 1);
      t = t.slice(0, i) + e.ins + t.slice(i + e.del);
    }
    return t;
  });
}

/** Every format family, near-valid. */
export const anyFormat = fc.oneof(
  ...[
    iniText,
    jsonText,
    yamlText,
    tomlText,
    netrcText,
    npmrcText,
    xmlText,
    dotenvText,
    pemText,
    lineFormats,
  ].map(nearValid),
);

/** Arbitrary bytes and strings: binary strings, bytes read as latin1 and as UTF-8 (with U+FFFD), UTF-16. */
export const arbitraryText = fc.oneof(
  fc.string({ unit: "binary", maxLength: 200 }),
  fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b).toString("latin1")),
  fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b).toString("utf8")),
  fc.string({ unit: "grapheme", maxLength: 50 }).map((s) => Buffer.from(s, "utf16le").toString("latin1")),
);

/** Hostile input of any kind: arbitrary text, or a near-valid file of any format. */
export const hostileText = fc.oneof(arbitraryText, anyFormat);

// ---------------------------------------------------------------------------------------------
// Work counting (issue 8: linear time, shown by operation counts). The count: characters the
// string built-ins called from JavaScript examine (as test/detectors/content-linear.test.ts counts
// them; a slice costs only what is copied), plus, for each regex exec (every regex method goes
// through exec once it is patched), one operation and the characters between where the search
// starts and where it ends. Backtracking inside one exec is not visible here: that part is the
// regexes' own (see the recheck test of the dotenv package's regex).

type StrMethod =
  | "indexOf"
  | "lastIndexOf"
  | "slice"
  | "substring"
  | "includes"
  | "toLowerCase"
  | "toUpperCase"
  | "trim"
  | "split";

export function countWork<T>(fn: () => T): { result: T; work: number } {
  const proto = String.prototype as unknown as Record<StrMethod, (...a: unknown[]) => unknown>;
  const saved = {} as Record<StrMethod, (...a: unknown[]) => unknown>;
  let work = 0;
  let depth = 0;
  const cost: Record<StrMethod, (s: string, args: unknown[], r: unknown) => number> = {
    indexOf: (s, [needle, from], r) => {
      const f = Math.max(0, Number(from ?? 0) || 0);
      return (r as number) === -1 ? s.length - f : (r as number) - f + String(needle).length;
    },
    lastIndexOf: (s, [, from], r) => {
      const f = from === undefined ? s.length : Number(from);
      return (r as number) === -1 ? f : f - (r as number);
    },
    // V8 makes a slice of 13 characters or more a view of its parent, in constant time (the yaml
    // package takes one from the document's start for every quoted scalar): its cost is counted
    // where its characters are examined, not here.
    slice: (_s, _a, r) => Math.min((r as string).length, 13),
    substring: (_s, _a, r) => Math.min((r as string).length, 13),
    includes: (s) => s.length,
    toLowerCase: (s) => s.length,
    toUpperCase: (s) => s.length,
    trim: (s) => s.length,
    split: (s) => s.length,
  };
  for (const m of Object.keys(cost) as StrMethod[]) {
    const orig = proto[m]!;
    saved[m] = orig;
    proto[m] = function (this: string, ...args: unknown[]) {
      const r = orig.apply(this, args);
      // Built-ins calling built-ins (split through exec) are counted once, at the outer call.
      if (depth === 0) work += cost[m](String(this), args, r);
      return r;
    };
  }
  const rproto = RegExp.prototype;
  const exec = rproto.exec;
  rproto.exec = function (this: RegExp, s: string) {
    const start = this.global || this.sticky ? this.lastIndex : 0;
    depth++;
    let r: RegExpExecArray | null;
    try {
      r = exec.call(this, s);
    } finally {
      depth--;
    }
    const str = String(s);
    work += 1 + (r ? r.index + r[0].length - start : this.sticky ? 0 : str.length - start);
    return r;
  };
  try {
    return { result: fn(), work };
  } finally {
    for (const m of Object.keys(saved) as StrMethod[]) proto[m] = saved[m]!;
    rproto.exec = exec;
  }
}

/** A deterministic random-looking value (mixed case, digits), distinct for each (seed, i). */
export function distinctValue(seed: number, i: number, n = 24): string {
  let s = (seed ^ Math.imul(i + 1, 0x9e3779b1)) >>> 0 || 1;
  let out = "";
  for (let j = 0; j < n; j++) {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    out += ALNUM[s % ALNUM.length];
  }
  // Ends in a digit, an upper- and a lower-case letter: every randomness gate reads it as generated.
  return `${out}7Qz`;
}

/**
 * The most work 4n units may cost given what n units cost: 4 times, plus 4 units' worth. An affine
 * cost a*n + b fits whatever the sign of b within a few units (the last unit of a document may end
 * a match the others only start); a per-unit pass over the whole input costs 16 times.
 */
export function linearBound(smallWork: number, n: number): number {
  return 4 * smallWork + Math.ceil((4 * smallWork) / n);
}
