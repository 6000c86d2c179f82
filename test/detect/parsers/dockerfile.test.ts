// biome-ignore-all lint/suspicious/noTemplateCurlyInString: Dockerfiles write build variables as ${X}, which these strings hold as data
import { execFileSync } from "node:child_process";
import { symlinkSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runParser } from "../../../src/detect/parsers/common.js";
import {
  dockerInstructions,
  dockerVariables,
  dockerWords,
  parseDockerfile,
} from "../../../src/detect/parsers/dockerfile.js";
import { defaultRules } from "../../../src/rules/catalog.js";
import type { Detection } from "../../../src/rules/types.js";
import { cli } from "../../helpers/cli.js";
import { githubToken } from "../../helpers/hostile.js";
import { inventory } from "../../helpers/inventory.js";
import { findingRows, leakedValues, noLeakInEveryFormat, sandboxArgs } from "../../helpers/leaks.js";
import { tempTree } from "../../helpers/tmp.js";

// Issue 15, command lines and Dockerfiles: an ENV or ARG of a Dockerfile is a variable of the image
// or the build, judged like the agent's environment (src/detect/parsers/dockerfile.ts), in the
// legacy `ENV NAME value` form too, which no content rule reads. All values are fake.
const PW = "Xq7vLm2Rt5Wp";
const KEY = "Zq8Lm2Xw7Rt5Yp8Nc4Vb6Hj1";
const KEY2 = "Tz7Kq2Wn9Xr4Vb8Lm3PdQ6sF";
const KEY3 = "Rk3mQ8vZ2pL7xY9wBn4Cs6Dt";
// A GitHub classic token with a valid checksum, made at run time (no token in the repository).
const GHP = githubToken("ghp", 15);
const rules = defaultRules();

const rows = (ds: Detection[]) => ds.map((d) => [d.line, d.name, d.viaRuleId, d.type, d.secret]);
const parse = (text: string) =>
  rows(runParser(parseDockerfile, { text, path: "Dockerfile" }, rules).detections);

describe("dockerInstructions: the builder's lines", () => {
  it("joins continuations, drops comment and empty lines inside an instruction, keeps offsets", () => {
    const text = "FROM x\nENV A=1 \\\n  # note\n\n  B=2\nRUN echo \\  \n  hi\n";
    expect(dockerInstructions(text)).toEqual({
      escape: "\\",
      instructions: [
        { text: "FROM x", offset: 0 },
        { text: "ENV A=1   B=2", offset: 7 },
        { text: "RUN echo   hi", offset: 33 },
      ],
    });
  });
  it("reads the escape directive (a backtick), at the top only", () => {
    const text = "# escape=`\nFROM x\nENV A=1 `\n  B=2\n";
    expect(dockerInstructions(text).instructions.map((i) => i.text)).toEqual(["FROM x", "ENV A=1   B=2"]);
    expect(dockerInstructions("FROM x\n# escape=`\nENV A=1 `\n").instructions.map((i) => i.text)).toEqual([
      "FROM x",
      "ENV A=1 `",
    ]);
  });
  it("skips heredoc bodies (<<EOF, <<-EOF with tabs, quoted), not here-strings (<<<)", () => {
    const text = [
      "RUN <<EOF",
      "ENV HIDDEN=1",
      "EOF",
      'COPY <<-"END" /x',
      "\tENV HIDDEN2=1",
      "\tEND",
      "RUN cat <<<word",
      "ENV SEEN=1",
    ].join("\n");
    expect(dockerInstructions(text).instructions.map((i) => i.text)).toEqual([
      "RUN <<EOF",
      'COPY <<-"END" /x',
      "RUN cat <<<word",
      "ENV SEEN=1",
    ]);
  });
  it("CRLF line ends", () => {
    expect(dockerInstructions("FROM x\r\nENV A=1 \\\r\n  B=2\r\n").instructions.map((i) => i.text)).toEqual([
      "FROM x",
      "ENV A=1   B=2",
    ]);
  });
});

describe("dockerWords and dockerVariables", () => {
  const w = (word: string, literal = word, expands = false, quotedStart = false) => ({
    word,
    literal,
    expands,
    quotedStart,
  });
  it("takes quotes off, escapes inside double quotes only before a quote, $ and itself", () => {
    expect(dockerWords(`A="x y" B='a\\b' C=p\\ q D="s\\"t\\n" "E"=1`)).toEqual([
      w("A=x y"),
      w("B=a\\b"),
      w("C=p q"),
      w('D=s"t\\n'),
      w("E=1", "E=1", false, true),
    ]);
  });
  it("reads a build variable as unset ($NAME and ${NAME} empty, ${NAME:-w} and ${NAME:+w} as w), not a single-quoted or escaped $", () => {
    expect(dockerWords("A=$B C=\"${D}x\" E='$F' G=\\$H I=a$ J=${K:-dflt} L=${M:+alt} N=${O-p}")).toEqual([
      w("A=$B", "A=", true),
      w("C=${D}x", "C=x", true),
      w("E=$F"),
      w("G=$H"),
      w("I=a$"),
      w("J=${K:-dflt}", "J=dflt", true),
      w("L=${M:+alt}", "L=alt", true),
      w("N=${O-p}", "N=p", true),
    ]);
  });
  it("ENV's two forms, ARG with and without a default, ONBUILD ENV, other instructions", () => {
    const v = (name: string, value: string, literal = value, expands = false) => ({
      name,
      value,
      literal,
      expands,
    });
    expect(dockerVariables(`ENV TOKEN ${KEY} and more`)).toEqual([v("TOKEN", `${KEY} and more`)]);
    expect(dockerVariables(`env A=1 B="${PW}"`)).toEqual([v("A", "1"), v("B", PW)]);
    expect(dockerVariables(`ARG NPM_TOKEN=${KEY} OTHER`)).toEqual([v("NPM_TOKEN", KEY)]);
    expect(dockerVariables("ARG NPM_TOKEN")).toEqual([]);
    expect(dockerVariables(`ONBUILD ENV API_KEY ${KEY}`)).toEqual([v("API_KEY", KEY)]);
    expect(dockerVariables("ENV URL=https://${HOST}/x")).toEqual([
      v("URL", "https://${HOST}/x", "https:///x", true),
    ]);
    expect(dockerVariables(`ENV "A B"=1 TOKEN=${KEY}`)).toEqual([v("A B", "1"), v("TOKEN", KEY)]);
    expect(dockerVariables(`RUN ENV=1 TOKEN=${KEY} make`)).toEqual([]);
    expect(dockerVariables("ENV")).toEqual([]);
    expect(dockerVariables("ENV LONELY")).toEqual([]);
  });
});

describe("parseDockerfile: exact findings", () => {
  it("a Dockerfile with secrets in both ENV forms, ARG defaults and continued lines", () => {
    const text = [
      "# syntax=docker/dockerfile:1",
      "FROM node:20 AS build",
      `ENV API_TOKEN ${KEY}`,
      `ENV PGPASSWORD ${PW}`,
      "ENV NODE_ENV=production \\",
      "    # the service's key",
      `    SERVICE_API_KEY="${KEY2}"`,
      `ARG NPM_TOKEN=${KEY3}`,
      `onbuild env DB_PASSWORD='${PW}9'`,
    ].join("\n");
    expect(parse(text)).toEqual([
      [3, "API_TOKEN", "generic-secret-name", "secret", KEY],
      [4, "PGPASSWORD", "database-client-password-env", "password", PW],
      [7, "SERVICE_API_KEY", "generic-secret-name", "secret", KEY2],
      [8, "NPM_TOKEN", "npm-token", "access-token", KEY3],
      [9, "DB_PASSWORD", "generic-secret-name", "secret", `${PW}9`],
    ]);
  });
  it("references, placeholders, paths and ordinary settings give nothing", () => {
    const text = [
      "FROM python:3.12",
      "ENV PATH=/usr/local/bin:$PATH",
      "ENV NODE_ENV production",
      "ARG NPM_TOKEN",
      "ENV NPM_TOKEN=${NPM_TOKEN}",
      "ENV TOKEN $NPM_TOKEN",
      'ENV API_KEY="prefix-${KEY}-suffix"',
      "ENV API_KEY=changeme",
      "ENV PASSWORD_FILE=/run/secrets/db_password",
      "ENV GITHUB_TOKEN_NAME=deploy-bot",
      "ENV TOKENIZERS_PARALLELISM false",
      "ENV PGPASSWORD=changeme",
      "RUN --mount=type=secret,id=npm,env=NPM_TOKEN npm ci",
    ].join("\n");
    expect(parse(text)).toEqual([]);
  });
  it("a heredoc's body is data for the builder, and read as well: a secret there is in the file", () => {
    const text = ["FROM x", "RUN <<EOF", `ENV SECRET_KEY ${KEY}`, "EOF", `ENV API_TOKEN=${KEY2}`].join("\n");
    expect(parse(text)).toEqual([
      [3, "SECRET_KEY", "generic-secret-name", "secret", KEY],
      [5, "API_TOKEN", "generic-secret-name", "secret", KEY2],
    ]);
  });
  it("a build variable is read unset: empty, or its default; the literal left is judged", () => {
    const text = [
      `ENV API_TOKEN=${KEY}\${EMPTY}`,
      `ARG SERVICE_TOKEN=\${X:-${KEY2}}`,
      `ENV DATABASE_URL=postgres://admin:${PW}@\${DB_HOST}:5432/app`,
      `ENV SECRET_KEY ${KEY3} # the prod key`,
    ].join("\n");
    expect(parse(text)).toEqual([
      [1, "API_TOKEN", "generic-secret-name", "secret", KEY],
      [2, "SERVICE_TOKEN", "generic-secret-name", "secret", KEY2],
      [3, "DATABASE_URL", "database-url", "connection-string", PW],
      [4, "SECRET_KEY", "generic-secret-name", "secret", KEY3],
    ]);
  });
});

describe("a Dockerfile in the working tree, through the inventory", () => {
  const df = [
    "FROM node:20",
    `ENV API_TOKEN ${KEY}`,
    `ENV DB_PASSWORD=${PW}`,
    `ENV GH_TOKEN ${GHP}`,
    "ENV NODE_ENV production",
  ].join("\n");
  const t = tempTree({
    "repo/Dockerfile": df,
    "repo/docker/Dockerfile.prod": `FROM x\nENV PGPASSWORD ${PW}\n`,
    "repo/docker/api.dockerfile": `FROM x\nARG SENTRY_AUTH_TOKEN=${KEY2}\n`,
    "repo/Containerfile": `FROM x\nENV SECRET_KEY_BASE "${KEY3}"\n`,
    "repo/notes/dockerfile-tips.md": `ENV API_TOKEN ${KEY}\n`,
    "home/.keep": "",
    "system/.keep": "",
  });
  afterAll(() => t.cleanup());
  const root = join(t.dir, "repo");
  const home = join(t.dir, "home");
  it("reports each variable once, at its line, with the Dockerfile rule or a provider's own", async () => {
    const res = await inventory({ sources: ["tree"], home, root, systemRoot: join(t.dir, "system") });
    expect(findingRows(res.findings)).toEqual([
      "tree Containerfile:2 tree-dockerfile high",
      "tree Dockerfile:2 tree-dockerfile high",
      "tree Dockerfile:3 tree-dockerfile high",
      "tree Dockerfile:4 github-pat-classic critical",
      "tree docker/Dockerfile.prod:2 tree-dockerfile high",
      "tree docker/api.dockerfile:2 tree-dockerfile high",
    ]);
    // The legacy form in a Markdown file is not an instruction of any Dockerfile.
    expect(res.findings.filter((f) => f.location.path?.endsWith(".md"))).toEqual([]);
    expect(res.issues).toEqual([]);
    const names = res.findings
      .filter((f) => f.ruleId === "tree-dockerfile")
      .map((f) => `${f.location.path}:${f.location.name}`)
      .sort();
    expect(names).toEqual([
      "Containerfile:SECRET_KEY_BASE",
      "Dockerfile:API_TOKEN",
      "Dockerfile:DB_PASSWORD",
      "docker/Dockerfile.prod:PGPASSWORD",
      "docker/api.dockerfile:SENTRY_AUTH_TOKEN",
    ]);
  });
  it("a disabled env rule disables the Dockerfile finding it judged", async () => {
    const cfg = tempTree({ "agent-audit.yaml": "rules:\n  disable: [database-client-password-env]\n" });
    try {
      const r = await cli([
        "scan",
        "--root",
        join(root, "docker"),
        "--home",
        home,
        "--no-env",
        "--sources",
        "tree",
        "--config",
        join(cfg.dir, "agent-audit.yaml"),
        "--format",
        "json",
        "--exit-zero",
        "--no-progress",
      ]);
      expect(r.code).toBe(0);
      const found = JSON.parse(r.stdout).findings.map(
        (f: { ruleId: string; location: { path: string } }) => `${f.location.path} ${f.ruleId}`,
      );
      expect(found).toEqual(["api.dockerfile tree-dockerfile"]);
      expect(leakedValues(r, { PW, KEY2 })).toEqual([]);
    } finally {
      cfg.cleanup();
    }
  });
  describe("no value in any output", () => {
    noLeakInEveryFormat(sandboxArgs(home, root, join(t.dir, "system")), { PW, KEY, KEY2, KEY3, GHP });
  });
});

describe("the environment: a database client's password variable", () => {
  const t = tempTree({ "agent.env": `PGPASSWORD=${PW}\nSSHPASS=${PW}x\nPGPASSFILE=/home/a/.pgpass\n` });
  afterAll(() => t.cleanup());
  it("PGPASSWORD and SSHPASS in the agent's environment are reported", async () => {
    const r = await cli([
      "scan",
      "--environ",
      join(t.dir, "agent.env"),
      "--sources",
      "env",
      "--home",
      t.dir,
      "--root",
      t.dir,
      "--format",
      "json",
      "--exit-zero",
      "--no-progress",
    ]);
    expect(r.code).toBe(0);
    const found = JSON.parse(r.stdout).findings.map(
      (f: { ruleId: string; severity: string; location: { name: string } }) =>
        `${f.location.name} ${f.ruleId} ${f.severity}`,
    );
    expect(found).toEqual([
      "PGPASSWORD database-client-password-env high",
      "SSHPASS database-client-password-env high",
    ]);
    expect(leakedValues(r, { PW })).toEqual([]);
  });
});

describe("hostile Dockerfiles: linear, bounded", () => {
  const time = (text: string) => ({ out: parse(text) });
  it("floods of continuations, heredoc markers, quotes and dollars parse with exact results", () => {
    const n = 200_000;
    expect(time(`ENV A=1 ${"\\\n".repeat(n)}B=2`).out).toEqual([]);
    expect(time(`RUN ${"<<".repeat(n)}\nENV TOKEN ${KEY}`).out).toEqual([
      [2, "TOKEN", "generic-secret-name", "secret", KEY],
    ]);
    expect(time(`ENV ${'"'.repeat(n)}`).out).toEqual([]);
    expect(time(`ENV A=${"$".repeat(n)}`).out).toEqual([]);
    expect(time(`ENV ${"A=1 ".repeat(n)}TOKEN=${KEY}`).out).toEqual([
      [1, "TOKEN", "generic-secret-name", "secret", KEY],
    ]);
    // An unterminated heredoc hides nothing: BuildKit rejects the file, older builders read on.
    expect(time(`RUN <<EOF\nENV TOKEN ${KEY}\n`).out).toEqual([
      [2, "TOKEN", "generic-secret-name", "secret", KEY],
    ]);
    // Many heredocs in one instruction, each closed: one step per line (no shift of a long array).
    expect(time(`RUN ${"<<A ".repeat(n / 4)}\n${"A\n".repeat(n / 4)}ENV TOKEN ${KEY}`).out).toEqual([
      [n / 4 + 2, "TOKEN", "generic-secret-name", "secret", KEY],
    ]);
  });
});

describe("hostile Dockerfiles on disk: a FIFO, a link out of the tree, control characters in a name", () => {
  const t = tempTree({
    "out/Dockerfile": `FROM x\nENV API_TOKEN ${KEY}\n`,
    "repo/app.dockerfile": `FROM x\nENV A\u001b[31m_TOKEN ${KEY2}\n`,
    "home/.keep": "",
    "system/.keep": "",
  });
  execFileSync("mkfifo", [join(t.dir, "repo", "Dockerfile")]);
  symlinkSync(join(t.dir, "out", "Dockerfile"), join(t.dir, "repo", "Containerfile"));
  afterAll(() => t.cleanup());
  const args = sandboxArgs(join(t.dir, "home"), join(t.dir, "repo"), join(t.dir, "system"));
  it("skips the FIFO unopened (an issue), reads the link's target as the agent would, escapes the name", async () => {
    const r = await cli(["scan", ...args, "--exit-zero", "--no-progress", "--format", "table"]);
    expect(r.code).toBe(0);
    const rows = r.stdout.split("\n").filter((l) => l.includes("[tree-dockerfile]"));
    expect(rows.map((l) => l.replace(/^.*\[tree-dockerfile\]\s+/, ""))).toEqual([
      "Containerfile API_TOKEN",
      "app.dockerfile A\\x1b[31m_TOKEN",
    ]);
    expect(r.stdout).toContain("Dockerfile: skipped: a FIFO (never opened)");
    expect(/[\u0000-\u0008\u000b-\u001f\u007f]/.test(r.stdout + r.stderr)).toBe(false);
    expect(leakedValues(r, { KEY, KEY2 })).toEqual([]);
  });
});
