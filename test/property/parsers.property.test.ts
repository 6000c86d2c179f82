import fc from "fast-check";
import { checkSync } from "recheck";
import { describe, expect, it } from "vitest";
import { isPlaceholder } from "../../src/detect/parsers/common.js";
import { PARSERS, type ParseResult } from "../../src/detect/parsers/index.js";
import { looksRandom } from "../../src/detect/randomness.js";
import { redactText } from "../../src/detect/redact.js";
import { defaultRules } from "../../src/rules/catalog.js";
import {
  countWork,
  distinctValue,
  hostileText,
  leaks,
  linearBound,
  plant,
  separator,
  token,
} from "./support.js";

// Issue 8, "Then, by construction": every structural parser (src/detect/parsers/index.ts) takes
// whatever the agent wrote. Arbitrary bytes never throw out of it, a planted token never reaches a
// string meant for output, the work stays linear in the input, and a secret planted in a valid
// file comes back exactly.

const RULE = {
  id: "test-path-rule",
  provider: "test",
  title: "A credential file",
  severity: "high" as const,
  remediation: "Remove it.",
};

function run(name: string, text: string): ParseResult {
  return PARSERS[name]!({ text, path: "dir/file", rule: RULE });
}

/** Every string of a parse result meant for output (never detection.secret, the raw value by design). */
function printable(r: ParseResult): string[] {
  const out: string[] = [];
  if (r.malformed !== undefined) out.push(r.malformed);
  for (const d of r.detections) {
    out.push(...[d.ruleId, d.provider, d.type, d.severity, d.title, d.remediation].map(String));
    if (d.kind) out.push(d.kind);
    if (d.viaRuleId) out.push(d.viaRuleId);
    if (d.identityPath) out.push(d.identityPath);
    // A key path holds the file's own keys: the output boundary (src/render/sanitize.ts, Redactor)
    // redacts it, as every name from the audited world. What is printed is its redaction.
    if (d.name !== undefined) out.push(redactText(d.name));
  }
  return out;
}

const NAMES = Object.keys(PARSERS).sort();
/**
 * The parsers that read text. `pkcs12` reads a key store's bytes (a DER reader, no regex): its
 * linear work on floods and its fast-check property over random bytes are in
 * test/detect/pkcs12.test.ts; the text properties below (never throws, prototype keys, no planted
 * token printed) still run over it.
 */
const TEXT_NAMES = NAMES.filter((n) => n !== "pkcs12");

describe("structural parsers: arbitrary input never throws (issue 8)", () => {
  for (const name of NAMES) {
    it(name, () => {
      fc.assert(
        fc.property(hostileText, (text) => {
          const r = run(name, text);
          expect(Array.isArray(r.detections)).toBe(true);
          if (r.malformed !== undefined) {
            expect(typeof r.malformed).toBe("string");
            expect(r.malformed).not.toMatch(/[\r\n]/);
          }
          for (const d of r.detections) {
            expect(typeof d.secret).toBe("string");
            if (d.line !== undefined) expect(Number.isInteger(d.line) && d.line >= 1).toBe(true);
          }
        }),
        { numRuns: 200 },
      );
    });
  }
});

describe("structural parsers: keys named like Object.prototype members (issue 8)", () => {
  // Every key is read like any other: a key named like a member of Object.prototype never finds it.
  for (const name of NAMES) {
    it(name, () => {
      fc.assert(
        fc.property(
          fc.constantFrom(
            "__proto__",
            "constructor",
            "toString",
            "hasOwnProperty",
            "valueOf",
            "__defineGetter__",
          ),
          hostileText,
          fc.nat(),
          (k, text, at) => {
            const r = run(name, plant(text, `\n${k} = Xk3lPq9vZ2mN8rT1\n`, at));
            for (const d of r.detections) {
              for (const f of [d.ruleId, d.provider, d.type, d.severity, d.title, d.remediation, d.secret])
                expect(typeof f).toBe("string");
            }
          },
        ),
        { numRuns: 100 },
      );
    });
  }
});

describe("structural parsers: a planted token is never printed (issue 8)", () => {
  for (const name of NAMES) {
    it(name, () => {
      fc.assert(
        fc.property(hostileText, token, fc.nat(), separator, separator, (text, t, at, before, after) => {
          const r = run(name, plant(text, t, at, before, after));
          for (const s of printable(r)) expect(leaks(s, t), JSON.stringify(s)).toBe(false);
        }),
        { numRuns: 200 },
      );
    });
  }
});

// The unit of each format that makes a detection, `v` its distinct value and `i` its index; `wrap`
// closes the document; `noise` what may follow a unit and leave the document valid (a `# c` line is
// no JSON, a leading blank indents the next YAML line). Repeating the unit n and 4n times must cost
// at most 4 times the work, give or take a few units (linearBound: an affine cost does; a
// per-secret pass over the text costs 16 times).
const NOISE = ["", "\n", "# c\n", " "];
const JSON_NOISE = ["", "\n", " ", "\n  "];
const YAML_NOISE = ["", "\n", "# c\n"];
const UNITS: Record<
  string,
  { unit: (v: string, i: string) => string; wrap?: (body: string[]) => string; noise?: string[] }
> = {
  ini: { unit: (v, i) => `[s${i}]\npassword = ${v}\n` },
  "my-cnf": { unit: (v, i) => `[client${i}]\npassword=${v}\n` },
  properties: { unit: (v, i) => `repo_${i}_password=${v}\n` },
  json: { unit: (v, i) => `"password_${i}": "${v}"`, wrap: (b) => `{${b.join(",")}}`, noise: JSON_NOISE },
  "mcp-json": {
    unit: (v, i) => `"s${i}": {"env": {"API_TOKEN": "${v}"}}`,
    wrap: (b) => `{"mcpServers": {${b.join(",")}}}`,
    noise: JSON_NOISE,
  },
  yaml: { unit: (v, i) => `password_${i}: ${v}\n`, noise: YAML_NOISE },
  toml: { unit: (v, i) => `password_${i} = "${v}"\n` },
  kubeconfig: {
    unit: (v, i) => `- name: u${i}\n  user:\n    token: ${v}\n`,
    wrap: (b) => `users:\n${b.join("")}`,
    noise: YAML_NOISE,
  },
  "docker-config": {
    unit: (v, i) => `"r${i}.example": {"auth": "${Buffer.from(`u:${v}`).toString("base64")}"}`,
    wrap: (b) => `{"auths": {${b.join(",")}}}`,
    noise: JSON_NOISE,
  },
  netrc: { unit: (v, i) => `machine h${i} login u password ${v}\n` },
  npmrc: { unit: (v, i) => `//r${i}.example/:_authToken=${v}\n` },
  "git-credentials": { unit: (v, i) => `https://u:${v}@h${i}.example\n` },
  pem: {
    unit: (v) =>
      `-----BEGIN PRIVATE KEY-----\n${Buffer.from(v.repeat(3)).toString("base64")}\n-----END PRIVATE KEY-----\n`,
  },
  dotenv: { unit: (v, i) => `API_TOKEN_${i}=${v}\n` },
  // The legacy ENV form, then a continued one (issue 15).
  dockerfile: { unit: (v, i) => `ENV API_TOKEN_${i} ${v}\nENV A_${i}=1 \\\n  B_${i}=2\n` },
  pgpass: { unit: (v, i) => `h${i}:5432:*:u:${v}\n` },
  presence: { unit: (v) => `${v}\n` },
  xml: {
    unit: (v) => `<server><password>${v}</password></server>\n`,
    wrap: (b) => `<settings>${b.join("")}</settings>`,
  },
  "token-file": { unit: (v) => `${v}\n` },
};

// Every parser looks its secrets' lines up through one line index and a cursor (issue 8): no pass
// over the whole text per secret.
describe("structural parsers: work is linear in the input (issue 8)", () => {
  it("every parser has a unit", () => expect(Object.keys(UNITS).sort()).toEqual(TEXT_NAMES));
  for (const name of TEXT_NAMES) {
    it(name, () => {
      const u = UNITS[name]!;
      const doc = (seed: number, n: number, noise: string) => {
        // Fixed-width indices: every unit has the same length, so n and 4n units are exactly 1:4 in size.
        const body = Array.from(
          { length: n },
          (_, i) => u.unit(distinctValue(seed, i), String(i).padStart(6, "0")) + noise,
        );
        return u.wrap ? u.wrap(body) : body.join("");
      };
      fc.assert(
        fc.property(
          fc.integer(),
          fc.integer({ min: 100, max: 200 }),
          fc.constantFrom(...(u.noise ?? NOISE)),
          (seed, n, noise) => {
            const small = countWork(() => run(name, doc(seed, n, noise)));
            const big = countWork(() => run(name, doc(seed, 4 * n, noise)));
            // One detection per unit (a presence file is one finding whatever it holds): exact.
            const per = (k: number) => (name === "presence" ? 1 : k);
            expect(small.result.detections).toHaveLength(per(n));
            expect(big.result.detections).toHaveLength(per(4 * n));
            expect(big.work, `work ${small.work} -> ${big.work}`).toBeLessThanOrEqual(
              linearBound(small.work, n),
            );
          },
        ),
        { numRuns: 8 },
      );
    });
  }
});

// Round trip: a secret planted in a valid file of benign entries is found, exactly, and only it.
const benignValue = fc.constantFrom("us-east-1", "yes", "json", "main", "42", "alice");
const benignKey = fc.constantFrom("region", "output", "name", "user", "color", "retries");
/** A generated-looking secret of 16 to 40 characters, symbols included (every parser's gate accepts it). */
const password = fc
  .string({
    unit: fc.constantFrom(..."abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789!%+,.@^~".split("")),
    minLength: 16,
    maxLength: 40,
  })
  .filter((s) => looksRandom(s, 16) && !isPlaceholder(s));

describe("structural parsers: a planted secret comes back exactly (issue 8 round trip)", () => {
  it("dotenv: quoted or not, with export and comments", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(benignKey, benignValue), { maxLength: 6 }),
        fc.nat(),
        fc.constantFrom("API_TOKEN", "DB_PASSWORD", "CLIENT_SECRET"),
        password,
        fc.constantFrom("", "export "),
        fc.constantFrom("", '"', "'"),
        fc.constantFrom("", " # note"),
        (benign, at, k, v, ex, q, comment) => {
          const lines = benign.map(([bk, bv]) => `${bk.toUpperCase()}=${bv}`);
          lines.splice(at % (lines.length + 1), 0, `${ex}${k}=${q}${v}${q}${comment}`);
          const r = run("dotenv", `${lines.join("\n")}\n`);
          expect(r.malformed).toBeUndefined();
          expect(r.detections.map((d) => d.secret)).toEqual([v]);
          expect(r.detections[0]!.name).toBe(k);
        },
      ),
      { numRuns: 200 },
    );
  });

  it("ini: sections, `=` or `:`, quoted values", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(benignKey, benignValue), { maxLength: 6 }),
        fc.nat(),
        fc.constantFrom("password", "aws_secret_access_key", "client_secret"),
        password,
        fc.constantFrom(" = ", "=", ": "),
        fc.constantFrom("", '"'),
        (benign, at, k, v, eq, q) => {
          const lines = ["[default]", ...benign.map(([bk, bv]) => `${bk} = ${bv}`)];
          lines.splice(1 + (at % lines.length), 0, `${k}${eq}${q}${v}${q}`);
          const r = run("ini", `${lines.join("\n")}\n`);
          expect(r.malformed).toBeUndefined();
          expect(r.detections.map((d) => d.secret)).toEqual([v]);
          expect(r.detections[0]!.name).toBe(`default.${k}`);
        },
      ),
      { numRuns: 200 },
    );
  });

  // Issue 8 item 11: an INI inline `; comment` is not part of the secret.
  it("ini: an inline comment is not part of the value", () => {
    fc.assert(
      fc.property(password, fc.constantFrom(" ; note", " # note", "\t; x"), (v, comment) => {
        const r = run("ini", `[default]\npassword = ${v}${comment}\n`);
        expect(r.detections.map((d) => d.secret)).toEqual([v]);
      }),
      { numRuns: 100 },
    );
  });

  it("netrc: plain or quoted tokens, on one line or several", () => {
    fc.assert(
      fc.property(
        password,
        fc.constantFrom("machine", "default"),
        fc.constantFrom(" ", "\n", "\n\t"),
        fc.boolean(),
        fc.array(fc.constantFrom("machine other.example login bob password", "# comment"), { maxLength: 2 }),
        (v, head, sepr, quoted, prefix) => {
          const pw = quoted ? `"${v.replace(/["\\]/g, "\\$&")}"` : v;
          const host = head === "machine" ? "machine h.example" : "default";
          const lines = prefix.map((p) => (p.endsWith("password") ? `${p} hunter2x` : p));
          const text = `${lines.join("\n")}\n${host}${sepr}login alice${sepr}password ${pw}\n`;
          const r = run("netrc", text);
          const mine = r.detections.filter((d) => d.secret === v);
          expect(mine).toHaveLength(1);
          expect(mine[0]!.name).toBe(`${head === "machine" ? "h.example" : "default"}.password`);
          expect(r.detections.map((d) => d.secret).sort()).toEqual(
            [v, ...(prefix.some((p) => p.endsWith("password")) ? ["hunter2x"] : [])].sort(),
          );
        },
      ),
      { numRuns: 200 },
    );
  });

  it("npmrc: _authToken, _password (base64), _auth (base64 user:pass)", () => {
    fc.assert(
      fc.property(
        password,
        fc.constantFrom("authToken", "password", "auth"),
        fc.array(fc.constantFrom("registry=https://r.example/", "; comment", "save-exact=true"), {
          maxLength: 3,
        }),
        (v, kind, benign) => {
          const line =
            kind === "authToken"
              ? `//r.example/:_authToken=${v}`
              : kind === "password"
                ? `//r.example/:_password=${Buffer.from(v).toString("base64")}`
                : `_auth=${Buffer.from(`alice:${v}`).toString("base64")}`;
          const r = run("npmrc", [...benign, line].join("\n"));
          expect(r.malformed).toBeUndefined();
          expect(r.detections.map((d) => d.secret)).toEqual([v]);
        },
      ),
      { numRuns: 200 },
    );
  });
});

// The work counter cannot see backtracking inside one regex exec. For the dotenv parser (the dotenv
// package's line regex backtracked quadratically over blank lines; parseDotenvText replaced it), the
// regexes it runs over the file's text are checked with recheck (a ReDoS checker; fuzzing with a
// fixed seed): the packaged content rules are excluded (the rules test checks them), whatever else
// runs must not be polynomial.
describe("structural parsers: no regex they run over the text backtracks polynomially (issue 8)", () => {
  // Guarantee: every regex a parser runs over a file's text or its lines (longer than 40
  // characters: the short per-value gates are left out) is judged linear by recheck. The packaged
  // content rules and placeholders are the rules test's (test/detectors/rules.test.ts).
  const rules = defaultRules();
  const known = new Set(
    [...rules.content.flatMap((r) => [r.regex, r.anchored, ...r.allow]), ...rules.placeholders]
      .filter((r): r is RegExp => r !== undefined)
      .map((r) => r.source),
  );
  const verdicts = new Map<string, string>();
  for (const name of TEXT_NAMES) {
    it(name, () => {
      const u = UNITS[name]!;
      const units = [0, 1, 2].map((i) => u.unit(distinctValue(1, i, 48), String(i).padStart(6, "0")));
      const doc = `${u.wrap ? u.wrap(units) : units.join("")}# a comment line of some length, so that line regexes show\n`;
      const seen = new Map<string, string>();
      const exec = RegExp.prototype.exec;
      RegExp.prototype.exec = function (this: RegExp, s: string) {
        if (String(s).length > 40 && !known.has(this.source)) seen.set(this.source, this.flags);
        return exec.call(this, s);
      };
      try {
        run(name, doc);
      } finally {
        RegExp.prototype.exec = exec;
      }
      const polynomial: string[] = [];
      for (const [source, flags] of seen) {
        const key = `/${source}/${flags}`;
        let v = verdicts.get(key);
        if (v === undefined) {
          v = checkSync(source, flags, { checker: "fuzz", randomSeed: 1, timeout: 10_000 }).status;
          verdicts.set(key, v);
        }
        if (v === "vulnerable") polynomial.push(key);
      }
      expect(polynomial).toEqual([]);
    }, 20_000);
  }
});
