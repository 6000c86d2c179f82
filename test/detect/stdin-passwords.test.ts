// biome-ignore-all lint/suspicious/noTemplateCurlyInString: shell references are written as ${X}, which these strings hold as data
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ContentScanner } from "../../src/detect/content.js";
import { defaultRules } from "../../src/rules/catalog.js";
import { inventory } from "../helpers/inventory.js";
import { findingRows, noLeakInEveryFormat, sandboxArgs } from "../helpers/leaks.js";
import { floodTable, foundBy, lineTable, type Row } from "../helpers/rule-table.js";
import { tempTree } from "../helpers/tmp.js";

// Issue 15, credentials on command lines: a secret written into the standard input of the command
// that reads it (`echo S3cret | docker login --password-stdin`, `| sudo -S`, `| gh auth login
// --with-token`) and an account password set with chpasswd (`echo 'user:S3cret' | chpasswd`, common
// in Dockerfiles). Each line is scanned with the whole catalog and deduplicated as a file's
// detections are; the exact [rule id, secret] list is asserted. All values are fake.
const rules = defaultRules();
const scanner = new ContentScanner(rules);
const found = foundBy(scanner);
const PW = "Xq7vLm2Rt5Wp";
const KEY = "Zq8Lm2Xw7Rt5Yp8Nc4Vb6Hj1";
const S = "cmdline-stdin-password";
const C = "cmdline-chpasswd";

describe("cmdline-stdin-password and cmdline-chpasswd: exact results", () => {
  const MATCH: Row[] = [
    [`echo ${PW} | docker login -u ci --password-stdin registry.internal`, [[S, PW]]],
    [`echo "${PW}" | docker login --username ci --password-stdin`, [[S, PW]]],
    [`echo '${PW}'|docker login --password-stdin`, [[S, PW]]],
    [`echo -n ${PW} | podman login -u robot --password-stdin quay.io`, [[S, PW]]],
    [`echo -ne "${PW}" | nerdctl login --password-stdin -u x r.internal`, [[S, PW]]],
    [`printf '%s' '${PW}' | helm registry login r.internal -u ci --password-stdin`, [[S, PW]]],
    [`printf "%s\\n" ${PW} | oras login r.internal -u ci --password-stdin`, [[S, PW]]],
    [`printf ${PW} | skopeo login --password-stdin -u ci r.internal`, [[S, PW]]],
    [`echo ${PW} | crane auth login r.internal -u ci --password-stdin`, [[S, PW]]],
    [`echo ${KEY} | gh auth login --with-token`, [[S, KEY]]],
    [`echo ${PW} | sudo docker login -u ci --password-stdin`, [[S, PW]]],
    [`echo ${PW} | sudo -E /usr/bin/docker login -u ci --password-stdin`, [[S, PW]]],
    [`echo ${PW} | sudo -S apt-get install -y jq`, [[S, PW]]],
    [`echo ${PW} | sudo -kS whoami`, [[S, PW]]],
    [`echo ${PW} | sudo --stdin whoami`, [[S, PW]]],
    [`  - echo ${PW} | docker login -u ci --password-stdin`, [[S, PW]]],
    [`RUN echo '${PW}' | docker login -u ci --password-stdin && docker pull x`, [[S, PW]]],
    [`RUN echo 'deploy:${PW}' | chpasswd`, [[C, PW]]],
    [`echo "app:${PW}" | sudo chpasswd`, [[C, PW]]],
    [`echo app:${PW} | /usr/sbin/chpasswd`, [[C, PW]]],
    [`printf '%s\\n' 'svc:${PW}' | chpasswd`, [[C, PW]]],
    [`echo "deploy:${PW}" | chpasswd -c SHA512`, [[C, PW]]],
    [`echo "deploy:Tz8#kLm2Qw9v" | chpasswd`, [[C, "Tz8#kLm2Qw9v"]]],
  ];
  const NO_MATCH = [
    // References: the value is filled in at run time.
    'echo "$REGISTRY_PASSWORD" | docker login -u ci --password-stdin registry.internal',
    "echo $CR_PAT | docker login ghcr.io -u USERNAME --password-stdin",
    "echo ${{ secrets.GITHUB_TOKEN }} | docker login ghcr.io -u $ --password-stdin",
    'echo "${DOCKER_PASSWORD}" | docker login -u "${DOCKER_USERNAME}" --password-stdin',
    "echo $(cat /run/secrets/pw) | docker login --password-stdin",
    "echo %REGISTRY_PW% | docker login --password-stdin",
    'echo "app:$APP_PASSWORD" | chpasswd',
    "echo app:${APP_PASSWORD} | chpasswd",
    // Files and other commands in between.
    "cat ~/my_password.txt | docker login --username foo --password-stdin",
    `echo ${PW} | base64 -d | docker login -u ci --password-stdin`,
    `echo ${PW} | tee /tmp/x`,
    `echo ${PW} | docker login -u ci -p-`,
    `echo ${PW} | docker logout`,
    `echo ${PW} | sudo -s`,
    `echo ${PW} | sudo tee /etc/x`,
    // Defaults, placeholders and documentation words.
    "echo vagrant | sudo -S whoami",
    "echo password | sudo -S whoami",
    "echo <password> | docker login --password-stdin",
    "echo YOUR_TOKEN | gh auth login --with-token",
    "RUN echo 'root:root' | chpasswd",
    "RUN echo 'root:docker' | chpasswd",
    'echo "user:password" | chpasswd',
    "echo 'jenkins:jenkins' | chpasswd",
    // Hashes for chpasswd -e, a missing user.
    "echo 'app:$6$rounds=5000$salt$hash' | chpasswd -e",
    `echo "deploy:${PW}" | chpasswd --encrypted`,
    `echo "deploy:${PW}" | chpasswd -me`,
    `echo ":${PW}" | chpasswd`,
    // Prose and other tools.
    "echo Done | docker login --help",
    "echo 'login with --password-stdin' | less",
  ];
  lineTable(found, MATCH, NO_MATCH);
});

describe("the two rules on 1 MB floods (issue 8)", () => {
  floodTable(
    scanner,
    rules,
    [
      [S, "echo "],
      [S, `echo ${PW} | `],
      [S, `echo ${PW} | sudo `],
      [S, `echo ${PW} | docker login -u a -u a -u a -u a -u a -u a `],
      [S, "printf '%s' "],
      [C, `echo a:${PW} | `],
      [C, `echo a:${PW} | sudo `],
      [C, "echo a:"],
    ],
    24,
  );
});

describe("a Dockerfile and a CI script, through the inventory", () => {
  const t = tempTree({
    "repo/Dockerfile": [
      "FROM ubuntu:24.04",
      "RUN useradd -m deploy \\",
      `  && echo 'deploy:${PW}' | chpasswd`,
    ].join("\n"),
    "repo/ci/publish.sh": [
      "#!/bin/sh",
      "set -eu",
      `echo ${KEY} | docker login -u ci --password-stdin registry.internal`,
      'echo "$CI_JOB_TOKEN" | docker login -u gitlab-ci-token --password-stdin "$CI_REGISTRY"',
    ].join("\n"),
    "home/.keep": "",
    "system/.keep": "",
  });
  afterAll(() => t.cleanup());
  const root = join(t.dir, "repo");
  const home = join(t.dir, "home");
  it("reports each literal at its line, with its rule and severity", async () => {
    const res = await inventory({ sources: ["tree"], home, root, systemRoot: join(t.dir, "system") });
    expect(findingRows(res.findings)).toEqual([
      `tree Dockerfile:3 ${C} high`,
      `tree ci/publish.sh:3 ${S} high`,
    ]);
    expect(res.issues).toEqual([]);
  });
  describe("no value in any output", () => {
    noLeakInEveryFormat(sandboxArgs(home, root, join(t.dir, "system")), { PW, KEY });
  });
});
