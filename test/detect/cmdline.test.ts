import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ContentScanner } from "../../src/detect/content.js";
import { defaultRules } from "../../src/rules/catalog.js";
import { inventory } from "../helpers/inventory.js";
import { findingRows, noLeakInEveryFormat, sandboxArgs } from "../helpers/leaks.js";
import { flood, floodTable, foundBy, lineTable, type Row, ruleOf } from "../helpers/rule-table.js";
import { tempTree } from "../helpers/tmp.js";

// Issue 15: credentials on command lines (shell histories, scripts, Makefiles, CI files,
// Dockerfiles). Each line is scanned with the whole catalog and its detections deduplicated per
// secret as a scanned file's are (a provider rule outranks a generic one), and the exact result is
// asserted: [rule id, secret] for every finding, [] when nothing may be reported. All values are fake.
const rules = defaultRules();
const scanner = new ContentScanner(rules);
const PW = "Xq7vLm2Rt5Wp";
const PW2 = "Tz8#kLm2Qw9v";
const found = foundBy(scanner);

const MATCH: Row[] = [
  // mysql family: -p only attached, --password only with =.
  [`mysql -h db.internal -u app -p${PW} app_prod`, [["cmdline-mysql-password", PW]]],
  [`mysql -uroot -p'${PW2}' -e 'show databases'`, [["cmdline-mysql-password", PW2]]],
  [`mysqldump --user=backup --password=${PW} --all-databases > all.sql`, [["cmdline-mysql-password", PW]]],
  [`mysqladmin -u root --password="${PW2}" status`, [["cmdline-mysql-password", PW2]]],
  [
    `docker exec -i db mariadb-dump -uroot -p"${PW}" shop | gzip > shop.sql.gz`,
    [["cmdline-mysql-password", PW]],
  ],
  [`mysql -u app \\\n  -p${PW} app_prod`, [["cmdline-mysql-password", PW]]],
  [`mysql.exe -u app --pass=${PW}`, [["cmdline-mysql-password", PW]]],
  // PGPASSWORD and friends set for one command.
  [`PGPASSWORD=${PW} psql -h db.internal -U app app_prod`, [["cmdline-password-env-prefix", PW]]],
  [
    `PGPASSWORD='${PW2}' PGSSLMODE=require pg_dump -h db -U app shop > shop.sql`,
    [["cmdline-password-env-prefix", PW2]],
  ],
  [`env PGPASSWORD="${PW}" /usr/bin/psql -h db -c 'select 1'`, [["cmdline-password-env-prefix", PW]]],
  [`MYSQL_PWD=${PW} mysqldump -u backup shop`, [["cmdline-password-env-prefix", PW]]],
  [`REDISCLI_AUTH=${PW} redis-cli -h cache info`, [["cmdline-password-env-prefix", PW]]],
  [`SSHPASS=${PW} sshpass -e ssh deploy@10.0.0.5`, [["cmdline-password-env-prefix", PW]]],
  // curl -u / --user / -U / --proxy-user: the part after the first colon.
  [`curl -fsS -u deploy:${PW} https://nexus.internal/app.tgz -o app.tgz`, [["cmdline-curl-user", PW]]],
  [
    `curl --user 'ci-bot:${PW2}' -X POST https://jenkins.internal/job/app/build`,
    [["cmdline-curl-user", PW2]],
  ],
  [`curl -uadmin2:${PW} https://es.internal:9200/_cat/indices`, [["cmdline-curl-user", PW]]],
  [`curl -x http://proxy:3128 --proxy-user "ops:${PW}" https://example.com/`, [["cmdline-curl-user", PW]]],
  [`curl -U ops:${PW2} -x proxy:3128 https://example.com/`, [["cmdline-curl-user", PW2]]],
  [`curl -s "https://x.internal/api?a=1&b=2" -u svc:${PW}`, [["cmdline-curl-user", PW]]],
  // wget
  [`wget --user=deploy --password=${PW} https://files.internal/app.tgz`, [["cmdline-wget-password", PW]]],
  [`wget --http-user ci --http-password '${PW2}' https://files.internal/`, [["cmdline-wget-password", PW2]]],
  [`wget --ftp-user=ops --ftp-passwd=${PW} ftp://files.internal/x`, [["cmdline-wget-password", PW]]],
  // sshpass -p: its own -p, never the -p of the command it runs.
  [`sshpass -p ${PW} ssh -p 2222 deploy@10.0.0.5`, [["cmdline-sshpass", PW]]],
  [`sshpass -v -p'${PW2}' scp app.tgz deploy@host:/srv/`, [["cmdline-sshpass", PW2]]],
  [`sshpass -p"${PW}" rsync -e 'ssh -p 22' -a dist/ host:/srv/`, [["cmdline-sshpass", PW]]],
  // docker login and the other registry clients.
  [`docker login -u deploy -p ${PW} registry.internal:5000`, [["cmdline-registry-login", PW]]],
  [`docker login --username deploy --password ${PW2} ghcr.io`, [["cmdline-registry-login", PW2]]],
  [`podman login --username ci --password='${PW}' quay.io`, [["cmdline-registry-login", PW]]],
  [`helm registry login registry.internal -u ci -p "${PW2}"`, [["cmdline-registry-login", PW2]]],
  // htpasswd -b: the last argument.
  [`htpasswd -bc /etc/nginx/.htpasswd admin2 ${PW}`, [["cmdline-htpasswd", PW]]],
  [`htpasswd -b -B -C 10 /etc/apache2/.htpasswd deploy '${PW2}' && chmod 640 x`, [["cmdline-htpasswd", PW2]]],
  [`htpasswd -nbB ops ${PW} > auth/htpasswd`, [["cmdline-htpasswd", PW]]],
  // redis-cli -a / --pass (-p is the port).
  [`redis-cli -h cache.internal -p 6379 -a ${PW} --no-auth-warning info`, [["cmdline-redis-cli-auth", PW]]],
  [`valkey-cli --user app --pass '${PW2}' ping`, [["cmdline-redis-cli-auth", PW2]]],
  // mongo shells and tools.
  [
    `mongosh --host db.internal -u admin -p ${PW} --authenticationDatabase admin`,
    [["cmdline-mongo-password", PW]],
  ],
  [`mongo shop -u app --password=${PW2}`, [["cmdline-mongo-password", PW2]]],
  [`mongodump --username backup --password '${PW}' --out /backup`, [["cmdline-mongo-password", PW]]],
  // az login (user or service principal).
  [`az login -u ops@contoso.com -p '${PW2}'`, [["cmdline-az-login", PW2]]],
  [
    `az login --service-principal -u 7f3c2a10-5b8e-4d2f-9a61-0c4e8b7d2f13 --password=${PW} --tenant contoso`,
    [["cmdline-az-login", PW]],
  ],
  // Samba clients: -U user%password, --password.
  [`smbclient //fs.corp/finance -U 'CORP\\svc_backup%${PW}' -c 'ls'`, [["cmdline-samba-user", PW]]],
  [`rpcclient -U admin%${PW2} 10.0.0.9`, [["cmdline-samba-user", PW2]]],
  [`smbclient //fs/share --user=ops --password=${PW}`, [["cmdline-samba-user", PW]]],
  // A password in a git remote URL is url-basic-auth's (generic: it must look generated), or the
  // provider's token rule: no command-line rule reports it a second time.
  [`git clone https://deploy:${PW}@git.internal.example.org/team/app.git`, [["url-basic-auth", PW]]],
  [
    "git clone https://ci: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@github.com/org/app.git",
    [["github-pat-classic", "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"]],
  ],
  // PGPASSWORD outside the one-command prefix form is left to the generic assignment rule (medium,
  // and only a value that looks generated).
  [`PGPASSWORD=${PW} make migrate`, [["generic-password-assignment", PW]]],
  [`export PGPASSWORD=${PW}`, [["generic-password-assignment", PW]]],
  ["export PGPASSWORD=Summer2024", []],
  // A documented command in a comment still carries a real value.
  [`# restore: mysql -uroot -p${PW} shop < shop.sql`, [["cmdline-mysql-password", PW]]],
];

const NO_MATCH: string[] = [
  // Prompts: the flag alone, at the end or followed by another flag.
  "mysql -u app -p",
  "mysql -u app -p app_prod",
  "mysql -u app --password app_prod",
  "mongosh -u admin -p --authenticationDatabase admin",
  "mongosh -u admin -p",
  "docker login -u deploy -p",
  "curl -u deploy https://nexus.internal/",
  "smbclient //fs.corp/finance -U svc_backup",
  "htpasswd -c /etc/nginx/.htpasswd admin",
  "wget --user=deploy --ask-password https://files.internal/",
  "redis-cli --askpass -h cache",
  // Standard input and files.
  'echo "$TOKEN" | docker login -u deploy --password-stdin registry.internal',
  "cat ~/.pw | docker login --username deploy --password-stdin",
  "sshpass -f ~/.ssh/pw ssh -p 2222 deploy@host",
  "sshpass -e ssh -p 22 host",
  // References.
  "mysql -u root -p$MYSQL_ROOT_PASSWORD -h db",
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell command, not a template
  'mysql -u root -p"${DB_PASS}" -h db',
  "mysql -u$(DB_USER) -p$(DB_PASS) app",
  "mysql -u root -p$$DB_PASS app",
  "mysql -u root -p%MYSQL_PWD% app",
  "mysql -u root -pMYSQL_ROOT_PASSWORD app",
  'PGPASSWORD="$DB_PASS" psql -h db -U app',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell command, not a template
  "PGPASSWORD=${PGPASS} pg_dump -h db app",
  "docker login -u gitlab-ci-token -p $CI_JOB_TOKEN $CI_REGISTRY",
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell command, not a template
  "docker login -u ${{ secrets.USER }} -p ${{ secrets.TOKEN }} ghcr.io",
  'curl -u "$NEXUS_USER:$NEXUS_PASS" https://nexus.internal/',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell command, not a template
  "curl -u admin:${ADMIN_PASSWORD} https://es.internal:9200/",
  'redis-cli -a "$REDIS_PASSWORD" ping',
  'htpasswd -bc .htpasswd admin "$ADMIN_PW"',
  'smbclient //fs/share -U "svc%$SMB_PASS"',
  "az login --service-principal -u $APP_ID -p $SP_SECRET --tenant $TENANT",
  "wget --password=$FILES_PASS https://files.internal/",
  'sshpass -p "$SSH_PW" ssh host',
  // Masked and placeholder values, documentation words and defaults.
  "docker login -u deploy -p ***** registry.internal",
  "mysql -u app -p<password> app",
  "mysql -u app -p[password] app",
  "mysql -uroot -proot",
  "curl -u user:password https://example.com/",
  "curl -u user:pass https://example.com/",
  "curl --user <user:password> https://example.com/",
  "curl -u api:YOUR_API_KEY https://api.example.com/",
  "sshpass -p mypassword ssh host",
  "redis-cli -a <password> ping",
  "mongosh -u admin -p changeme",
  // -p is a port (or another option) for these tools: not a password.
  "redis-cli -h cache.internal -p 6379 ping",
  "ssh -p 22 deploy@10.0.0.5",
  "docker run -p 8080:80 nginx",
  "docker run -d -p 5432:5432 postgres:16",
  "mysql -h db -P 3306 -u app -p",
  "mongod --port 27017 --dbpath /data/db",
  "scp -P 2222 app.tgz host:/srv/",
  "az login --service-principal -u 7f3c2a10 -p /etc/azure/sp.pem --tenant contoso",
  // The password flag belongs to another command of the line.
  `docker login registry.internal && docker run -p ${PW} app`,
  `mysql -u app shop; grep -p${PW} notes.txt`,
  `curl https://example.com/ | tool -u x:${PW}`,
  // Comments and help text describing the flags.
  "# mysql -p prompts for the password; never write it as -p<password>",
  "  -p, --password[=name] Password to use when connecting to server.",
  "# curl -u, --user <user:password>  Server user and password",
  "# docker login: use --password-stdin, never -p",
  "sshpass -p password ssh host",
];

describe("command-line credentials: exact rule and value per line (issue 15)", () => {
  it("has a table of at least 40 lines", () => {
    expect(MATCH.length + NO_MATCH.length).toBeGreaterThanOrEqual(40);
  });
  lineTable(found, MATCH, NO_MATCH);
});

// Issue 8's floods, for the new rules: 1 MB of a near miss of each finds nothing (the regexes are
// judged linear by recheck in test/rules/rules.test.ts; each keyword start reads at most 128
// characters of its command), and a real command line right after the flood is still found.
const FLOODS: [string, string][] = [
  ["cmdline-mysql-password", "mysql "],
  ["cmdline-mysql-password", "mysql -pab "],
  ["cmdline-mysql-password", `mysql -u ${"a".repeat(4000)} `],
  ["cmdline-password-env-prefix", "PGPASSWORD=abcd "],
  ["cmdline-curl-user", "curl -u "],
  ["cmdline-wget-password", "wget --password= "],
  ["cmdline-sshpass", "sshpass -v "],
  ["cmdline-registry-login", "docker login "],
  ["cmdline-htpasswd", "htpasswd -b "],
  ["cmdline-redis-cli-auth", "redis-cli -a -"],
  ["cmdline-mongo-password", "mongo "],
  ["cmdline-az-login", "az login -p "],
  ["cmdline-samba-user", "smbclient -U a"],
];

describe("command-line rules on 1 MB floods (issue 8, issue 15)", () => {
  floodTable(scanner, rules, FLOODS, 24);
  it("still finds a real command line right after a flood", () => {
    const text = `${flood("mysql ")}\nmysql -u app -p${PW} app\n`;
    const hits = scanner.scan(text, {
      rules: [ruleOf(rules, "cmdline-mysql-password")],
      honourInlineAllows: false,
    });
    expect(hits.map((h) => [h.ruleId, h.secret, h.line])).toEqual([["cmdline-mysql-password", PW, 2]]);
  });
});

// End to end: a fake home's shell histories and a tree's Makefile, Dockerfile, GitLab CI file and
// shell script, through the real inventory (path rules, tree walk, dedupe) and the CLI's reports.
const V = {
  mysqlHistory: "Hk4Lm9Qw2Zx7",
  pgHistory: "Rb5Tn8Vc3Xq1",
  curlHistory: "Wm3Ks7Pd9Lf2",
  sshpassHistory: "Gy6Jr2Nb8Tv4",
  dockerZsh: "Qv8Zs3Lk6Hw1",
  makefile: "Nc7Vb2Xk9Qm4",
  dockerfile: "Pz4Wq8Ld1Ks6",
  gitlabDocker: "Fs9Tk3Mv7Rc2",
  gitlabWget: "Jd2Hx8Qn5Ws3",
  smb: "Lk5Rz9Tb3Yp7",
  az: "Cq6Wv1Ns8Jm4",
  redis: "Vt3Gp7Kx2Nd9",
  mongo: "Bh8Mq4Zr6Wk1",
};
const t = tempTree({
  "home/.bash_history": [
    "ls -la",
    `mysql -h db.internal -u app -p${V.mysqlHistory} app_prod`,
    "mysql -u app -p app_prod",
    `PGPASSWORD=${V.pgHistory} psql -h db.internal -U app`,
    `curl -u deploy:${V.curlHistory} https://nexus.internal/repository/raw/app.tgz`,
    "redis-cli -h cache -p 6379 ping",
    `sshpass -p ${V.sshpassHistory} ssh -p 2222 deploy@10.0.0.5`,
    'echo "$T" | docker login -u ci --password-stdin registry.internal',
    "",
  ].join("\n"),
  // zsh's extended history format: `: <start>:<elapsed>;<command>`.
  "home/.zsh_history": [
    ": 1733480000:0;cd ~/src",
    `: 1733480010:0;docker login -u ci -p ${V.dockerZsh} registry.internal`,
    ": 1733480020:0;docker run -p 8080:80 nginx",
    "",
  ].join("\n"),
  "work/Makefile": [
    "DB_USER ?= app",
    "",
    "migrate:",
    "\tmysql -u$(DB_USER) -p$(DB_PASS) app < schema.sql",
    "seed:",
    `\t@mysql -uroot -p${V.makefile} app < seed.sql`,
    "",
  ].join("\n"),
  "work/Dockerfile": [
    "FROM nginx:1.27",
    "RUN apt-get update && apt-get install -y apache2-utils",
    `RUN htpasswd -bc /etc/nginx/.htpasswd admin2 ${V.dockerfile}`,
    "EXPOSE 80",
    "",
  ].join("\n"),
  "work/.gitlab-ci.yml": [
    "deploy:",
    "  image: docker:27",
    "  script:",
    "    - docker login -u gitlab-ci-token -p $CI_JOB_TOKEN $CI_REGISTRY",
    `    - docker login -u deploy -p "${V.gitlabDocker}" registry.internal:5000`,
    "    - mongosh --host db -u admin -p --authenticationDatabase admin",
    `    - wget --user=ci --password=${V.gitlabWget} https://files.internal/a.tgz`,
    "",
  ].join("\n"),
  "work/scripts/backup.sh": [
    "#!/bin/sh",
    "set -eu",
    "# mysql -p prompts for the password; sshpass -f reads it from a file",
    `smbclient //fs.corp/backup -U 'CORP\\svc_backup%${V.smb}' -c 'put db.sql'`,
    `az login --service-principal -u 7f3c2a10-5b8e-4d2f-9a61-0c4e8b7d2f13 -p ${V.az} --tenant contoso`,
    `redis-cli -h cache -a ${V.redis} --no-auth-warning save`,
    `mongodump --username backup --password=${V.mongo} --out /backup \\`,
    "  --gzip",
    "",
  ].join("\n"),
  "system/.keep": "",
});
afterAll(() => t.cleanup());
const home = join(t.dir, "home");
const root = join(t.dir, "work");

describe("command-line credentials through the inventory (issue 15)", () => {
  it("reports each planted command-line password at its file and line, with its rule and severity", async () => {
    const res = await inventory({ sources: ["home", "tree"], home, root, systemRoot: join(t.dir, "system") });
    const got = findingRows(res.findings);
    expect(got).toEqual([
      "home .bash_history:2 cmdline-mysql-password high",
      "home .bash_history:4 cmdline-password-env-prefix high",
      "home .bash_history:5 cmdline-curl-user high",
      "home .bash_history:7 cmdline-sshpass high",
      "home .zsh_history:2 cmdline-registry-login high",
      "tree .gitlab-ci.yml:5 cmdline-registry-login high",
      "tree .gitlab-ci.yml:7 cmdline-wget-password high",
      "tree Dockerfile:3 cmdline-htpasswd high",
      "tree Makefile:6 cmdline-mysql-password high",
      "tree scripts/backup.sh:4 cmdline-samba-user high",
      "tree scripts/backup.sh:5 cmdline-az-login high",
      "tree scripts/backup.sh:6 cmdline-redis-cli-auth high",
      "tree scripts/backup.sh:7 cmdline-mongo-password high",
    ]);
    expect(res.issues).toEqual([]);
  });

  noLeakInEveryFormat(sandboxArgs(home, root, join(t.dir, "system"), "home,tree"), V, 1);
});
