import { crc32 } from "node:zlib";
import { afterEach, describe, expect, it, vi } from "vitest";
import { commanderMessage } from "../../src/cli/program.js";
import { ContentScanner } from "../../src/detect/content.js";
import {
  MIN_KNOWN_SECRET,
  Redactor,
  redactCredentials,
  redactReport,
  redactText,
  stripUrlUserinfo,
  withRedactor,
} from "../../src/detect/redact.js";
import { base62 } from "../../src/detect/validators.js";
import { STEP_INFO } from "../../src/render/labels.js";
import { defaultRules } from "../../src/rules/catalog.js";
import { escapeControls, escapeJsonControls, escapeStreamControls } from "../../src/util/controls.js";
import { handReport } from "../render/report-fixture.js";

// The redactor and the control-character escapes of issue 8, unit by unit. Tokens are built here.
const body = "Rk8aQ2mZxL5pW9cV3nT7yB4hJ6dF1s";
const GHP = `ghp_${body}${base62(crc32(Buffer.from(body, "ascii")), 6)}`;
const AWS = ["AKIA", "Q7ZXJ2M4LW5RT6YP"].join("");

afterEach(() => vi.restoreAllMocks());

describe("Redactor.redact: a field from the audited world", () => {
  const r = new Redactor();

  it("masks a token embedded in a name by `_` or `-` (the issue's MY_<token>_TOKEN)", () => {
    expect(r.redact(`MY_${GHP}_TOKEN`)).toBe("MY_ghp_…(40)_TOKEN");
    expect(r.redact(`key-${AWS}_backup.env`)).toBe("key-AKIA…(20)_backup.env");
    expect(r.redact(`dir/${GHP}/x`)).toBe("dir/ghp_…(40)/x");
    expect(r.redact(`${AWS}-${GHP}`)).toBe("AKIA…(20)-ghp_…(40)");
  });

  it("leaves a name with a token joined by a letter alone (not a token boundary), and plain paths", () => {
    for (const plain of ["src/app/token_store.ts", ".config/gh/hosts.yml", "MY_TOKEN", "a-b_c.d"])
      expect(r.redact(plain)).toBe(plain);
  });

  it("strips URL userinfo whatever the password holds: quotes, spaces, @, /", () => {
    expect(r.redact(`https://user:pa"ss word@registry.example/x`)).toBe("https://registry.example/x");
    expect(r.redact(`x https://u:it's a/b@c@h:1 y`)).toBe("x https://h:1 y");
    expect(r.redact("//u:p w@h and https://v:q@k")).toBe("//k");
    expect(r.redact("DB=u:secret9@db.internal")).toBe("DB=db.internal");
    expect(r.redact("a\nhttps://u:p q@h\nb")).toBe("a\nhttps://h\nb");
  });

  it("keeps a documentation placeholder as userinfo, and every text agent-audit writes itself", () => {
    expect(r.redact("Password in a URL (scheme://user:password@host)")).toBe(
      "Password in a URL (scheme://user:password@host)",
    );
    const rules = defaultRules();
    const texts = [
      ...rules.content.flatMap((x) => [x.title, x.remediation]),
      ...rules.env.flatMap((x) => [x.title, x.remediation]),
      ...rules.paths.flatMap((x) => [x.title, x.remediation]),
      ...Object.values(STEP_INFO).flatMap((s) => [s.title, s.passesWhen, s.remediation]),
    ];
    expect(texts).toContain("Password in a URL (scheme://user:password@host)");
    expect(texts.filter((t) => r.redact(t) !== t)).toEqual([]);
  });

  it("masks every known value of the run, of 8 characters or more", () => {
    const k = new Redactor();
    k.add("Xq7#Lm2!vR9$wZ4k");
    k.add("short12");
    expect(k.size).toBe(1);
    expect(k.redact("dir/Xq7#Lm2!vR9$wZ4k.env")).toBe("dir/Xq7#…(16).env");
    expect(k.redact("short12.txt")).toBe("short12.txt");
    expect(MIN_KNOWN_SECRET).toBe(8);
  });

  it("fails closed past its search bound: a keyword flood masks the whole string", () => {
    const flood = `${"_ghp_x".repeat(200)}_${GHP}`;
    const scan = vi.spyOn(ContentScanner.prototype, "scan");
    expect(new Redactor().redact(flood)).toBe(`_ghp…(${flood.length})`);
    // 1 plain scan, then 64 keyword occurrences of 16 cuts each; the 65th occurrence stops it.
    expect(scan.mock.calls.length).toBe(1 + 64 * 16);
    expect(scan.mock.calls.every(([text]) => text.length <= 512 + 2 || text === flood)).toBe(true);
  });

  it("is memoized: a repeated field costs one map lookup", () => {
    const m = new Redactor();
    const scan = vi.spyOn(ContentScanner.prototype, "scan");
    m.redact(`MY_${GHP}_TOKEN`);
    const first = scan.mock.calls.length;
    for (let i = 0; i < 100; i++) m.redact(`MY_${GHP}_TOKEN`);
    expect(scan.mock.calls.length).toBe(first);
  });
});

describe("Redactor.scrub: the last line of a written text", () => {
  it("masks a known value raw and as each format escapes it", () => {
    const k = new Redactor();
    const secret = `q"8<Zr>&v2|L_p\x1b`;
    k.add(secret);
    const forms = [
      secret,
      JSON.stringify(secret).slice(1, -1),
      "q&quot;8&lt;Zr&gt;&amp;v2|L_p\x1b",
      'q"8\\<Zr\\>\\&v2\\|L\\_p\x1b',
      'q"8<Zr>&v2\\|L_p\x1b',
      'q"8<Zr>&v2|L_p\\x1b',
    ];
    for (const f of forms) expect(k.scrub(`a ${f} b`), f).toBe("a …(15) b");
  });

  it("masks the longer of two values sharing a start, and leaves other text as it is", () => {
    const k = new Redactor();
    k.add("Abcdefgh12345678");
    k.add("Abcdefgh12345678XYZ");
    expect(k.scrub("Abcdefgh12345678XYZ Abcdefgh12345678 Abcdefgh")).toBe("Abcd…(19) Abcd…(16) Abcdefgh");
  });
});

describe("redactText: error messages", () => {
  it("masks what the content rules find and URL userinfo, and in a run, the run's secrets", async () => {
    expect(redactText(`unknown key "${GHP}"`)).toBe('unknown key "ghp_…(40)"');
    expect(redactText("proxy http://u:p w@h:8080 refused")).toBe("proxy http://h:8080 refused");
    expect(redactText("value Xq7#Lm2!vR9$wZ4k")).toBe("value Xq7#Lm2!vR9$wZ4k");
    const run = new Redactor();
    run.add("Xq7#Lm2!vR9$wZ4k");
    await withRedactor(run, async () => {
      await Promise.resolve();
      expect(redactText("value Xq7#Lm2!vR9$wZ4k")).toBe("value Xq7#…(16)");
    });
  });
});

describe("redactReport", () => {
  it("redacts audited-world fields and leaves fingerprints and our own fields alone", () => {
    const report = handReport();
    const f = report.findings[0]!;
    f.location = { source: "env", name: `MY_${GHP}_TOKEN` };
    report.issues = [{ where: `${AWS}.json`, message: "not valid JSON; scanned as text" }];
    report.target = { ...report.target, root: `/tmp/${GHP}` };
    const out = redactReport(report, new Redactor());
    expect(out.findings[0]!.location.name).toBe("MY_ghp_…(40)_TOKEN");
    expect(out.findings[0]!.fingerprint).toBe(f.fingerprint);
    expect(out.issues).toEqual([{ where: "AKIA…(20).json", message: "not valid JSON; scanned as text" }]);
    expect(out.target.root).toBe("/tmp/ghp_…(40)");
    expect(report.findings[0]!.location.name).toBe(`MY_${GHP}_TOKEN`);
    expect(redactReport(out, new Redactor())).toEqual(out);
  });
});

describe("stripUrlUserinfo and redactCredentials", () => {
  it("linear forms: one pass per line and per token", () => {
    expect(stripUrlUserinfo("no at sign //x")).toBe("no at sign //x");
    expect(stripUrlUserinfo("mail me@host.example")).toBe("mail me@host.example");
    expect(redactCredentials("--proxy=http://u:pw@h:1 x")).toBe("--proxy=http://h:1 x");
    expect(redactCredentials("a:b c@d")).toBe("a:b c@d");
  });
});

describe("control characters", () => {
  it("escapeControls: every C0, DEL, C1, bidi control and separator, visibly", () => {
    expect(escapeControls("a\x1b[2A\x1b[2Kb")).toBe("a\\x1b[2A\\x1b[2Kb");
    expect(escapeControls("\x1b]8;;http://x\x07L\x1b]8;;\x07")).toBe("\\x1b]8;;http://x\\x07L\\x1b]8;;\\x07");
    expect(escapeControls("\r\n\t\x00\x7f\x9b")).toBe("\\r\\n\\t\\x00\\x7f\\x9b");
    // Invisible characters a name can hide a letter behind (red-team finding, issue 8).
    expect(escapeControls("a\u200bb\u200dc\u2060d\ufeffe")).toBe("a\\u200bb\\u200dc\\u2060d\\ufeffe");
    expect(escapeJsonControls('"a\ufeffb"')).toBe('"a\\ufeffb"');
    expect(escapeControls("\u202a\u202e\u2066\u2069\u200e\u200f\u061c\u2028\u2029")).toBe(
      "\\u202a\\u202e\\u2066\\u2069\\u200e\\u200f\\u061c\\u2028\\u2029",
    );
    expect(escapeControls("plain … ✓ é 日本")).toBe("plain … ✓ é 日本");
  });

  it("escapeStreamControls keeps newlines, SGR colours and the progress erase, escapes the rest", () => {
    expect(escapeStreamControls("\x1b[31mred\x1b[39m\n\r\x1b[2Kscanning")).toBe(
      "\x1b[31mred\x1b[39m\n\r\x1b[2Kscanning",
    );
    expect(escapeStreamControls("a\x1b[2Ab\rc\x07\n")).toBe("a\\x1b[2Ab\\rc\\x07\n");
  });

  it("escapeJsonControls: same data to a parser, no raw C1 or bidi on the wire", () => {
    const value = { k: "a\u202eb\u009bc\u2028d\u007f" };
    const json = escapeJsonControls(JSON.stringify(value));
    expect(json).toBe('{"k":"a\\u202eb\\u009bc\\u2028d\\u007f"}');
    expect(JSON.parse(json)).toEqual(value);
  });
});

describe("commanderMessage: commander's errors never echo a value", () => {
  const argv = ["scan", "--fail-on", "SECRETVALUE", "--pass=SECRETVALUE"];
  it("an invalid option value names the option and what it accepts", () => {
    expect(
      commanderMessage(
        "error: option '--fail-on <severity>' argument 'SECRET' VALUE' is invalid. must be one of a, b\n",
        argv,
      ),
    ).toBe("error: option '--fail-on <severity>': invalid value. must be one of a, b\n");
  });
  it("an unknown option or command is named by its position", () => {
    expect(commanderMessage("error: unknown option '--pass=SECRETVALUE'\n", argv)).toBe(
      "error: unknown option (argument 4)\n",
    );
    expect(commanderMessage("error: unknown option '--formt'\n(Did you mean --format?)\n", ["--formt"])).toBe(
      "error: unknown option '--formt' (argument 1)\n(Did you mean --format?)\n",
    );
    expect(commanderMessage("error: unknown command 'SECRETVALUE'\n", ["SECRETVALUE"])).toBe(
      "error: unknown command (argument 1)\n",
    );
  });
  it("other messages pass as they are", () => {
    expect(
      commanderMessage("error: too many arguments for 'scan'. Expected 0 arguments but got 1.\n", argv),
    ).toBe("error: too many arguments for 'scan'. Expected 0 arguments but got 1.\n");
  });
});
