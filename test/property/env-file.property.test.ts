import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse as dotenvParse } from "dotenv";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { parseDotenvText, parseEnvDump } from "../../src/detect/env-text.js";
import { redactText } from "../../src/detect/redact.js";
import { readEnvFile } from "../../src/sources/env.js";
import { UsageError } from "../../src/util/errors.js";
import {
  arbitraryText,
  countWork,
  dotenvText,
  leaks,
  linearBound,
  nearValid,
  plant,
  separator,
  token,
} from "./support.js";

// Issue 8, "Then, by construction": the environment file (--environ, /proc/PID/environ) is the
// agent's. Whatever its bytes, the reader returns variables and never throws; a token in a
// variable's name is redacted where the name is printed; every variable comes back exactly; the
// work is linear in the size.

const dir = mkdtempSync(join(tmpdir(), "agent-audit-envprop-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const bytes = fc.oneof(
  fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)),
  fc.oneof(arbitraryText, nearValid(dotenvText)).map((s) => Buffer.from(s, "utf8")),
  nearValid(dotenvText).map((s) => Buffer.from(s.replace(/\n/g, "\0"), "utf8")),
);

function checkShape(env: Record<string, string>): void {
  for (const [k, v] of Object.entries(env)) {
    expect(typeof k).toBe("string");
    expect(typeof v).toBe("string");
  }
}

describe("environment file reader: arbitrary bytes (issue 8)", () => {
  it("parseEnvDump never throws and returns string variables", () => {
    fc.assert(
      fc.property(bytes, (b) => checkShape(parseEnvDump(b))),
      { numRuns: 300 },
    );
  });

  it("readEnvFile reads any regular file as data, exactly as parseEnvDump", async () => {
    await fc.assert(
      fc.asyncProperty(bytes, async (b) => {
        const file = join(dir, "environ");
        writeFileSync(file, b);
        expect(await readEnvFile(file)).toEqual(parseEnvDump(b));
      }),
      { numRuns: 100 },
    );
  });

  it("a file it cannot read is one UsageError line that names no content", async () => {
    const fifo = join(dir, "fifo");
    execFileSync("mkfifo", [fifo]);
    for (const path of [join(dir, "missing"), dir, fifo]) {
      const err = await readEnvFile(path).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(UsageError);
      expect((err as Error).message).not.toMatch(/[\r\n]/);
    }
  });
});

// Names of variables: any bytes but NUL and "=", not empty; `__proto__` and friends included.
const envName = fc.oneof(
  fc
    .string({ unit: "binary", minLength: 1, maxLength: 12 })
    .filter((s) => !/[=\0\uFFFD]/.test(s) && !/[\uD800-\uDFFF]/.test(s)),
  fc.constantFrom("__proto__", "constructor", "toString", "hasOwnProperty", "PATH", "GITHUB_TOKEN"),
);
const envValue = fc.string({ unit: "binary", maxLength: 30 }).filter((s) => !/[\0\uD800-\uDFFF]/.test(s));

describe("environment file reader: round trip (issue 8)", () => {
  it("NUL-separated (/proc/PID/environ): every variable exactly, the last of a repeated name", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(envName, envValue), { minLength: 1, maxLength: 10 }), (vars) => {
        const buf = Buffer.from(vars.map(([k, v]) => `${k}=${v}\0`).join(""), "utf8");
        const expected: Record<string, string> = Object.create(null);
        for (const [k, v] of vars) expected[k] = v;
        const got = parseEnvDump(buf);
        expect(Object.keys(got).sort()).toEqual(Object.keys(expected).sort());
        for (const k of Object.keys(expected)) expect(got[k]).toBe(expected[k]);
      }),
      { numRuns: 300 },
    );
  });

  const dotenvName = fc.oneof(
    fc.string({ unit: fc.constantFrom(..."ABCXYZ_abc019.-".split("")), minLength: 1, maxLength: 12 }),
    fc.constantFrom("__proto__", "constructor", "GITHUB_TOKEN"),
  );
  // Values as each quoting can carry them whole (a quoted value cannot end in a backslash: it would
  // escape the closing quote, in dotenv as here).
  const printable = fc.string({
    unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
    maxLength: 30,
  });
  const entry = fc.oneof(
    printable
      .map((v) => v.trim())
      .filter((v) => !/[\s]#/.test(v) && !v.startsWith("#") && !/^["'`]/.test(v))
      .map((v) => ({ value: v, written: v })),
    printable
      .filter((v) => !v.includes("'") && !v.endsWith("\\"))
      .map((v) => ({ value: v, written: `'${v}'` })),
    printable
      .filter((v) => !/["\\]/.test(v))
      .chain((v) =>
        fc.constantFrom({ value: v, written: `"${v}"` }, { value: `${v}\n${v}`, written: `"${v}\\n${v}"` }),
      ),
    fc
      .tuple(printable, printable)
      .filter(([a, b]) => !`${a}${b}`.includes("`") && !b.endsWith("\\"))
      .map(([a, b]) => ({ value: `${a}\n${b}`, written: `\`${a}\n${b}\`` })),
  );

  it("KEY=VALUE lines: quotes, export, `:`, comments, CRLF: every variable exactly", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(
            dotenvName,
            entry,
            fc.constantFrom("", "export ", "  "),
            fc.constantFrom("=", " = ", ": "),
            fc.constantFrom("", " # c", "  #"),
          ),
          { minLength: 1, maxLength: 8 },
        ),
        fc.constantFrom("\n", "\r\n", "\n\n", "\n# comment\n"),
        (vars, eol) => {
          const lines = vars.map(([k, e, ex, eq, c]) => {
            // A comment after an unquoted value that is empty would be read as the value's end: fine, it is.
            return `${ex}${k}${eq}${e.written}${c}`;
          });
          const expected: Record<string, string> = Object.create(null);
          for (const [k, e] of vars) expected[k] = e.value;
          const got = parseEnvDump(Buffer.from(lines.join(eol), "utf8"));
          expect({ ...got }).toEqual({ ...expected });
        },
      ),
      { numRuns: 300 },
    );
  });

  it("reads well-formed files as the dotenv package does (where dotenv is not lossy)", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(
            fc.string({ unit: fc.constantFrom(..."ABC_x1".split("")), minLength: 1, maxLength: 6 }),
            entry,
          ),
          {
            maxLength: 8,
          },
        ),
        (vars) => {
          const text = vars.map(([k, e]) => `${k}=${e.written}`).join("\n");
          // dotenv cuts an unquoted value at any `#`: those are the deliberate difference (a password may hold one).
          fc.pre(!vars.some(([, e]) => e.written.includes("#") && !/^["'`]/.test(e.written)));
          expect({ ...parseDotenvText(text) }).toEqual({ ...dotenvParse(text) });
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe("environment file reader: a token in a name is not printed (issue 8)", () => {
  it("names with a planted token redact it", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          nearValid(dotenvText),
          fc.array(fc.tuple(envName, envValue)).map((v) => v.map(([k, x]) => `${k}=${x}`).join("\0")),
        ),
        token,
        fc.nat(),
        separator,
        separator,
        (text, t, at, before, after) => {
          const env = parseEnvDump(Buffer.from(plant(text, t, at, before, after), "utf8"));
          for (const name of Object.keys(env)) expect(leaks(redactText(name), t), name).toBe(false);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe("environment file reader: linear work (issue 8)", () => {
  // Adversarial units: blank-line floods (the dotenv package's regex backtracked over them), open
  // quotes of each kind, escaped quotes, `export` and separators without keys.
  const unit = fc.oneof(
    fc.constantFrom(
      "\n",
      " \n",
      "\t\n",
      "\r\n",
      "'",
      '"',
      "`",
      '\\"',
      "A='\n",
      'A="x\n',
      "A=`\n",
      "export ",
      "export\n",
      "=\n",
      "A=#\n",
      "A: \n",
      "#\n",
    ),
    fc.string({ unit: fc.constantFrom(..." \t\n=:'\"`#\\Aex".split("")), minLength: 1, maxLength: 6 }),
  );
  it("n and 4n repetitions of one unit: at most 4 times the work", () => {
    fc.assert(
      fc.property(
        unit,
        fc.constantFrom("", "x", 'A="', "B='"),
        fc.integer({ min: 300, max: 600 }),
        (u, tail, n) => {
          const doc = (k: number) => Buffer.from(u.repeat(k) + tail, "utf8");
          const small = countWork(() => parseEnvDump(doc(n)));
          const big = countWork(() => parseEnvDump(doc(4 * n)));
          expect(big.work, `work ${small.work} -> ${big.work}`).toBeLessThanOrEqual(
            linearBound(small.work, n),
          );
          // Variables are bounded by the lines (or NUL entries): linear.
          expect(Object.keys(big.result).length).toBeLessThanOrEqual(4 * n * u.length + tail.length);
        },
      ),
      { numRuns: 60 },
    );
  });

  it("the blank-line flood of issue 8 reads in one pass (40,000 newlines before one word)", () => {
    const small = countWork(() => parseEnvDump(Buffer.from(`${"\n".repeat(10_000)}x=1`)));
    const big = countWork(() => parseEnvDump(Buffer.from(`${"\n".repeat(40_000)}x=1`)));
    expect({ ...big.result }).toEqual({ x: "1" });
    expect(big.work).toBeLessThanOrEqual(linearBound(small.work, 10_000));
  });
});
