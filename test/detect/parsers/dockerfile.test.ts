// biome-ignore-all lint/suspicious/noTemplateCurlyInString: Dockerfiles write build variables as ${X}, which these strings hold as data
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
import { findingRows, leakedValues, noLeakInEveryFormat } from "../../helpers/leaks.js";
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
  it('takes quotes off, escapes inside double quotes only before " $ and itself', () => {
    expect(dockerWords(`A="x y" B='a\\b' C=p\\ q D="s\\"t\\n"`)).toEqual([
      { word: "A=x y", expands: false },
      { word: "B=a\\b", expands: false },
      { word: "C=p q", expands: false },
      { word: 'D=s"t\\n', expands: false },
    ]);
  });
  it("marks an expansion ($NAME, ${NAME}) outside single quotes, not an escaped or single-quoted $", () => {
    expect(dockerWords(`A=$B C="\${D}" E='$F' G=\\$H I=a$`).map((w) => w.expands)).toEqual([
      true,
      true,
      false,
      false,
      false,
    ]);
  });
  it("ENV's two forms, ARG with and without a default, ONBUILD ENV, other instructions", () => {
    expect(dockerVariables(`ENV TOKEN ${KEY} and more`)).toEqual([
      { name: "TOKEN", value: `${KEY} and more`, expands: false },
    ]);
    expect(dockerVariables(`env A=1 B="${PW}"`)).toEqual([
      { name: "A", value: "1", expands: false },
      { name: "B", value: PW, expands: false },
    ]);
    expect(dockerVariables(`ARG NPM_TOKEN=${KEY} OTHER`)).toEqual([
      { name: "NPM_TOKEN", value: KEY, expands: false },
    ]);
    expect(dockerVariables("ARG NPM_TOKEN")).toEqual([]);
    expect(dockerVariables(`ONBUILD ENV API_KEY ${KEY}`)).toEqual([
      { name: "API_KEY", value: KEY, expands: false },
    ]);
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
      `RUN <<EOF`,
      `ENV SECRET_KEY ${KEY}`,
      `EOF`,
    ].join("\n");
    expect(parse(text)).toEqual([]);
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
    noLeakInEveryFormat(
      [
        "--home",
        home,
        "--root",
        root,
        "--system-root",
        join(t.dir, "system"),
        "--no-env",
        "--sources",
        "tree",
      ],
      { PW, KEY, KEY2, KEY3, GHP },
    );
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
    // An unterminated heredoc swallows the rest, as it does for the builder.
    expect(time(`RUN <<EOF\nENV TOKEN ${KEY}\n`).out).toEqual([]);
  });
});
