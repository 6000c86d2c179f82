// Pure helpers of the peer suites benchmark (test/bench/peer-suites.mjs, issue 15): read the
// expected results of secretlint's rule snapshots, extract the string literals of gitleaks' rule
// tests (tps / fps) from its Go source, and redact what is printed. No file system access here
// except through the callers' arguments, so test/unit/peer-suites-lib.test.ts runs without the
// peers' checkouts.

/** Secretlint rule packages whose snapshots are not secret detection cases. */
export const SECRETLINT_EXCLUDED = new Map([
  ["secretlint-rule-preset-recommend", "a preset: copies of the rule packages' snapshots"],
  ["secretlint-rule-preset-canary", "a preset: copies of the rule packages' snapshots"],
  ["secretlint-rule-example", "the example rule of the rule-writing guide (flags the word 'secret')"],
  ["secretlint-rule-pattern", "user-configured patterns: the cases test the options, not a format"],
  [
    "secretlint-rule-filter-comments",
    "secretlint-disable comments, tested with a configured pattern on the text 'THIS IS SECRET'",
  ],
  ["secretlint-rule-no-dotenv", "a policy on file names (.env files), not on content"],
  ["secretlint-rule-no-homedir", "a policy on home-directory paths in content, not a secret"],
  ["secretlint-rule-no-k8s-kind-secret", "a policy on Kubernetes manifests of kind Secret"],
]);

/**
 * What a secretlint snapshot directory expects, from its output.json (already parsed): the input
 * file (the name in `filePath`, relative to the snapshot directory), its class and the expected
 * lines. A directory named `ng.*` must be reported, `ok.*` must not; a directory with neither prefix
 * (the privatekey and npm packages name theirs after the case) is `ng` when its output lists a
 * message and `ok` otherwise, and is marked `prefixless`. Each expected message is one line span
 * (1-based, start..end; a PEM block spans several lines). `rc` is the case's .secretlintrc.json
 * (parsed) when it has one: an `ok` case that is ok only because an option allows the value or
 * turns a check off (`allows`, `enableIDScanRule: false`) is marked `byOption` (a user's own
 * exception, which agent-audit's baseline plays; it is not a detection case).
 */
export function secretlintCase(dirName, output, rc) {
  const m = /^\[SNAPSHOT\]\/(.+)$/.exec(String(output.filePath ?? ""));
  const rel = m ? m[1] : "";
  const prefix = `${dirName}/`;
  const input = rel.startsWith(prefix) ? rel.slice(prefix.length) : undefined;
  const messages = Array.isArray(output.messages) ? output.messages : [];
  const spans = [];
  const seen = new Set();
  for (const msg of messages) {
    const start = msg?.loc?.start?.line;
    const end = msg?.loc?.end?.line ?? start;
    if (!Number.isInteger(start) || seen.has(start)) continue;
    seen.add(start);
    spans.push({ start, end: Math.max(start, end), messageId: msg.messageId ?? msg.ruleId ?? "" });
  }
  spans.sort((a, b) => a.start - b.start);
  let kind;
  let prefixless = false;
  if (dirName.startsWith("ng.")) kind = "ng";
  else if (dirName.startsWith("ok.")) kind = "ok";
  else {
    prefixless = true;
    kind = spans.length ? "ng" : "ok";
  }
  return { input, kind, prefixless, byOption: kind === "ok" && optionMakesOk(rc), spans };
}

function optionMakesOk(rc) {
  for (const rule of Array.isArray(rc?.rules) ? rc.rules : []) {
    const o = rule?.options;
    if (o === null || typeof o !== "object") continue;
    if (Array.isArray(o.allows) && o.allows.length) return true;
    if (Object.values(o).some((v) => v === false)) return true;
  }
  return false;
}

/**
 * True when a finding at `line` (1-based) reports the span. A finding without a line is about the
 * whole file (a PKCS#12 key store judged by the pkcs12 parser, a presence finding): it reports every
 * span of its file (secretlint reports a binary file's finding over the file's whole range).
 */
export const spanHit = (span, line) =>
  line === undefined || line === null || (line >= span.start && line <= span.end);

// --- Go source: gitleaks' rule tests -----------------------------------------------------------

/** Tokens of Go source: strings (decoded), identifiers (with dots), numbers and punctuation. */
export function tokenizeGo(src) {
  const out = [];
  let i = 0;
  const n = src.length;
  while (i < n) {
    const c = src[i];
    if (c === " " || c === "\t" || c === "\r" || c === "\n") {
      i++;
    } else if (c === "/" && src[i + 1] === "/") {
      while (i < n && src[i] !== "\n") i++;
    } else if (c === "/" && src[i + 1] === "*") {
      const e = src.indexOf("*/", i + 2);
      i = e === -1 ? n : e + 2;
    } else if (c === "`") {
      const e = src.indexOf("`", i + 1);
      const end = e === -1 ? n : e;
      out.push({ t: "str", v: src.slice(i + 1, end).replaceAll("\r", "") });
      i = end + 1;
    } else if (c === '"' || c === "'") {
      let j = i + 1;
      while (j < n && src[j] !== c && src[j] !== "\n") j += src[j] === "\\" ? 2 : 1;
      const body = src.slice(i + 1, j);
      out.push(c === '"' ? { t: "str", v: decodeGoEscapes(body) } : { t: "rune", v: body });
      i = j + 1;
    } else if (/[A-Za-z_]/.test(c)) {
      let j = i + 1;
      // A selector (utils.Validate) stays one identifier; `list...` is the identifier, then `...`.
      while (j < n && (/[A-Za-z0-9_]/.test(src[j]) || (src[j] === "." && /[A-Za-z_]/.test(src[j + 1] ?? ""))))
        j++;
      out.push({ t: "id", v: src.slice(i, j) });
      i = j;
    } else if (/[0-9]/.test(c)) {
      let j = i + 1;
      while (j < n && /[0-9A-Za-z_.]/.test(src[j])) j++;
      out.push({ t: "num", v: src.slice(i, j) });
      i = j;
    } else {
      const three = src.slice(i, i + 3);
      const two = src.slice(i, i + 2);
      const p = three === "..." ? three : [":=", "==", "!=", "&&", "||", "+=", "<-"].includes(two) ? two : c;
      out.push({ t: "p", v: p });
      i += p.length;
    }
  }
  return out;
}

/** Decodes the body of a Go interpreted string literal ("..."). */
export function decodeGoEscapes(body) {
  let out = "";
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c !== "\\") {
      out += c;
      continue;
    }
    const e = body[++i];
    const simple = {
      a: "\x07",
      b: "\b",
      f: "\f",
      n: "\n",
      r: "\r",
      t: "\t",
      v: "\v",
      "\\": "\\",
      '"': '"',
      "'": "'",
    };
    if (e in simple) out += simple[e];
    else if (e === "x") {
      out += String.fromCharCode(Number.parseInt(body.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (e === "u" || e === "U") {
      const len = e === "u" ? 4 : 8;
      out += String.fromCodePoint(Number.parseInt(body.slice(i + 1, i + 1 + len), 16));
      i += len;
    } else if (/[0-7]/.test(e)) {
      out += String.fromCharCode(Number.parseInt(body.slice(i, i + 3), 8));
      i += 2;
    } else out += `\\${e}`;
  }
  return out;
}

const GEN = { k: "gen" }; // a value built by code (a generator call, a variable we do not follow)

/**
 * A tiny expression evaluator over Go tokens, enough for gitleaks' test lists: string literals and
 * their `+` concatenations, `[]string{...}`, `map[string]string{...}` (path -> content),
 * `append(list, items...)`, and names of lists already known. Anything else is GEN: a sample built
 * by code (utils.GenerateSampleSecrets, secrets.NewSecret, fmt.Sprintf, a loop variable ...).
 * Values: {k:"str", v} | {k:"list", items: [{value?, path?, generated?}]} | GEN.
 */
class Evaluator {
  constructor(tokens, scope) {
    this.tk = tokens;
    this.i = 0;
    this.scope = scope;
  }
  peek(o = 0) {
    return this.tk[this.i + o];
  }
  is(v, o = 0) {
    const t = this.peek(o);
    return t !== undefined && t.t === "p" && t.v === v;
  }
  /** Skips a balanced group starting at an opening bracket. */
  skipGroup() {
    const open = this.peek().v;
    const close = { "(": ")", "[": "]", "{": "}" }[open];
    let depth = 0;
    for (; this.i < this.tk.length; this.i++) {
      const t = this.tk[this.i];
      if (t.t !== "p") continue;
      if (t.v === open) depth++;
      else if (t.v === close && --depth === 0) {
        this.i++;
        return;
      }
    }
  }
  expr() {
    let v = this.primary();
    while (this.is("+")) {
      this.i++;
      const r = this.primary();
      v = v.k === "str" && r.k === "str" ? { k: "str", v: v.v + r.v } : GEN;
    }
    return v;
  }
  primary() {
    const t = this.peek();
    if (t === undefined) return GEN;
    if (t.t === "str") {
      this.i++;
      return { k: "str", v: t.v };
    }
    if (t.t === "p" && t.v === "(") {
      this.i++;
      const v = this.expr();
      if (this.is(")")) this.i++;
      return v;
    }
    if (t.t === "p" && t.v === "[" && this.is("]", 1) && this.peek(2)?.v === "string" && this.is("{", 3)) {
      this.i += 3;
      return this.list();
    }
    if (t.t === "id" && t.v === "map" && this.is("[", 1)) {
      // map[string]string{ "path": content, ... }
      while (this.i < this.tk.length && !this.is("{")) this.i++;
      return this.map();
    }
    if (t.t === "id" && t.v === "append" && this.is("(", 1)) {
      this.i += 2;
      return this.append();
    }
    if (t.t === "id") {
      this.i++;
      if (this.is("(")) {
        this.skipGroup(); // a call: code builds the sample
        return GEN;
      }
      if (this.is("[")) this.skipGroup();
      return this.scope.get(t.v) ?? GEN;
    }
    this.i++;
    return GEN;
  }
  /** After `[]string{`: elements to the matching `}`. */
  list() {
    this.i++; // {
    const items = [];
    while (this.i < this.tk.length && !this.is("}")) {
      const start = this.i;
      const v = this.expr();
      items.push(v.k === "str" ? { value: v.v } : { generated: true });
      this.toSeparator(start);
      if (this.is(",")) this.i++;
    }
    this.i++; // }
    return { k: "list", items };
  }
  map() {
    this.i++; // {
    const items = [];
    while (this.i < this.tk.length && !this.is("}")) {
      const start = this.i;
      const key = this.expr();
      if (this.is(":")) this.i++;
      const v = this.expr();
      if (key.k === "str" && v.k === "str") items.push({ path: key.v, value: v.v });
      else items.push({ generated: true });
      this.toSeparator(start);
      if (this.is(",")) this.i++;
    }
    this.i++; // }
    return { k: "list", items };
  }
  /** Skips what an element expression did not consume (an unknown construct) to `,` or `}`. */
  toSeparator(start) {
    if (this.i === start) this.i++;
    while (this.i < this.tk.length && !this.is(",") && !this.is("}")) {
      const t = this.peek();
      if (t.t === "p" && ["(", "[", "{"].includes(t.v)) this.skipGroup();
      else this.i++;
    }
  }
  /** After `append(`: the first list, then items or `list...`, to the matching `)`. */
  append() {
    const items = [];
    let first = true;
    while (this.i < this.tk.length && !this.is(")")) {
      const start = this.i;
      const v = this.expr();
      const spread = this.is("...");
      if (spread) this.i++;
      if (first || spread) {
        if (v.k === "list") items.push(...v.items);
        else items.push({ generated: true });
      } else items.push(v.k === "str" ? { value: v.v } : { generated: true });
      first = false;
      while (this.i < this.tk.length && !this.is(",") && !this.is(")")) {
        if (this.i === start) break;
        const t = this.peek();
        if (t.t === "p" && ["(", "[", "{"].includes(t.v)) this.skipGroup();
        else this.i++;
      }
      if (this.is(",")) this.i++;
    }
    this.i++; // )
    return { k: "list", items };
  }
}

const TEST_LISTS = new Set(["tps", "fps"]);

/**
 * The test cases of one gitleaks rules/*.go file: for each function that sets a `RuleID`, the
 * string literals its `tps` (true positives: must be found) and `fps` (false positives: must not)
 * end up holding, in order. Package-level `var name = []string{...}` lists are followed when a
 * function appends or assigns them. Entries built by code (generator calls) are counted in
 * `generated` and not returned. A map entry keeps its path (gitleaks validates it with that file
 * name). Returns [{ruleId, fn, tps: [{value, path?}], fps: [...], generated: {tps, fps}}].
 */
export function gitleaksCases(src) {
  const tk = tokenizeGo(src);
  const pkg = new Map();
  const rules = [];
  let depth = 0;
  for (let i = 0; i < tk.length; i++) {
    const t = tk[i];
    if (t.t === "p" && (t.v === "{" || t.v === "(")) depth++;
    else if (t.t === "p" && (t.v === "}" || t.v === ")")) depth--;
    else if (depth === 0 && t.t === "id" && t.v === "var" && tk[i + 1]?.t === "id" && tk[i + 2]?.v === "=") {
      const ev = new Evaluator(tk, pkg);
      ev.i = i + 3;
      const v = ev.expr();
      if (v.k === "list") pkg.set(tk[i + 1].v, v);
      i = ev.i - 1;
    } else if (depth === 0 && t.t === "id" && t.v === "func") {
      // func Name(...) ... { body }
      let j = i + 1;
      while (j < tk.length && !(tk[j].t === "p" && tk[j].v === "{")) j++;
      let d = 0;
      let k = j;
      for (; k < tk.length; k++) {
        if (tk[k].t !== "p") continue;
        if (tk[k].v === "{") d++;
        else if (tk[k].v === "}" && --d === 0) break;
      }
      const rule = ruleOfBody(tk.slice(j + 1, k), pkg);
      if (rule) rules.push({ ...rule, fn: tk[i + 1]?.v ?? "" });
      i = k;
    }
  }
  return rules;
}

function ruleOfBody(body, pkg) {
  let ruleId;
  for (let i = 0; i + 2 < body.length; i++) {
    if (body[i].t === "id" && body[i].v === "RuleID" && body[i + 1].v === ":" && body[i + 2].t === "str") {
      ruleId = body[i + 2].v;
      break;
    }
  }
  if (ruleId === undefined) return undefined;
  const scope = new Map(pkg);
  const generated = { tps: 0, fps: 0 };
  for (let i = 0; i < body.length; i++) {
    const t = body[i];
    const next = body[i + 1];
    if (t.t !== "id" || !TEST_LISTS.has(t.v) || next?.t !== "p" || (next.v !== ":=" && next.v !== "="))
      continue;
    if (i > 0 && body[i - 1].t === "p" && body[i - 1].v === ".") continue;
    const ev = new Evaluator(body, scope);
    ev.i = i + 2;
    const v = ev.expr();
    const items = v.k === "list" ? v.items : [{ generated: true }];
    // Counts what this statement added that code builds (an earlier list re-appended is not new).
    const before = scope.get(t.v)?.items ?? [];
    const added = items.filter((it) => !before.includes(it));
    generated[t.v] += added.filter((it) => it.generated).length;
    scope.set(t.v, { k: "list", items });
    i = ev.i - 1;
  }
  const keep = (name) =>
    (scope.get(name)?.items ?? [])
      .filter((it) => !it.generated)
      .map((it) => (it.path === undefined ? { value: it.value } : { value: it.value, path: it.path }));
  return { ruleId, tps: keep("tps"), fps: keep("fps"), generated };
}

// --- printing ----------------------------------------------------------------------------------

/** What may be printed of a sample: its first 4 characters (control characters escaped) and length. */
export function redact(value) {
  const s = String(value);
  const head = [...s.slice(0, 4)].map((c) =>
    /[\x00-\x1f\x7f]/.test(c) ? `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}` : c,
  );
  return `${head.join("")}…(${s.length})`;
}

/** A relative path that stays inside its folder: no `..`, no absolute start, no empty segment. */
export function safeRelPath(p, fallback) {
  const parts = String(p)
    .split(/[\\/]+/)
    .filter((s) => s !== "" && s !== "." && s !== "..")
    .map((s) => s.replace(/[\x00-\x1f]/g, "_"));
  return parts.length ? parts.join("/") : fallback;
}
