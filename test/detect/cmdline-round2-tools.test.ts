import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ContentScanner } from "../../src/detect/content.js";
import { defaultRules } from "../../src/rules/catalog.js";
import { inventory } from "../helpers/inventory.js";
import { findingRows, noLeakInEveryFormat, sandboxArgs } from "../helpers/leaks.js";
import { flood, floodTable, foundBy, lineTable, type Row, ruleOf } from "../helpers/rule-table.js";
import { tempTree } from "../helpers/tmp.js";

// Issue 15, second round of "credentials on command lines": the OpenLDAP clients, archive tools,
// SQL Server tools, Oracle logons, lftp and RDP clients. As in cmdline.test.ts, each line is scanned
// with the whole catalog and deduplicated per secret, and the exact [rule id, secret] list is
// asserted ([] when nothing may be reported). All values are fake.
const rules = defaultRules();
const scanner = new ContentScanner(rules);
const PW = "Xq7vLm2Rt5Wp";
const PW2 = "Tz8#kLm2Qw9v";
const NT = "8846f7eaee8fb117ad06bdd830b7586c";
const found = foundBy(scanner);

const MATCH: Row[] = [
  // OpenLDAP clients: -w (separate, attached, after no-argument flags); ldappasswd -a / -s.
  [
    `ldapsearch -x -H ldaps://ldap.corp -D cn=admin,dc=corp,dc=internal -w ${PW} -b dc=corp,dc=internal uid=jdoe`,
    [["cmdline-ldap-password", PW]],
  ],
  [`ldapmodify -x -D cn=admin,dc=corp -w'${PW2}' -f change.ldif`, [["cmdline-ldap-password", PW2]]],
  [`ldapadd -xw ${PW} -D "cn=admin,dc=corp" -f users.ldif`, [["cmdline-ldap-password", PW]]],
  [`ldapwhoami -x -D uid=svc,ou=apps,dc=corp -w"${PW2}"`, [["cmdline-ldap-password", PW2]]],
  [
    `/usr/bin/ldapdelete -H ldap://ldap -D cn=admin,dc=corp -w ${PW} uid=old,dc=corp`,
    [["cmdline-ldap-password", PW]],
  ],
  [`ldappasswd -x -D uid=jdoe,ou=people,dc=corp -W -a ${PW} -s ${PW2}`, [["cmdline-ldap-password", PW]]],
  [
    `ldappasswd -x -D cn=admin,dc=corp -y /etc/ldap.secret -s ${PW2} uid=jdoe,dc=corp`,
    [["cmdline-ldap-password", PW2]],
  ],
  // Archives.
  [`zip -r -P ${PW} backup.zip db/`, [["cmdline-archive-password", PW]]],
  [`zip --password '${PW2}' -r backup.zip db/`, [["cmdline-archive-password", PW2]]],
  [`unzip -o -P "${PW}" release.zip -d /srv/app`, [["cmdline-archive-password", PW]]],
  [`unzip -P${PW2} release.zip`, [["cmdline-archive-password", PW2]]],
  [`7z a -p${PW} -mhe=on secrets.7z keys/`, [["cmdline-archive-password", PW]]],
  [`7za x -p'${PW2}' -o/tmp/out secrets.7z`, [["cmdline-archive-password", PW2]]],
  [`"C:\\Program Files\\7-Zip\\7z.exe" x -p${PW} data.7z`, [["cmdline-archive-password", PW]]],
  [`rar a -hp"${PW}" archive.rar docs/`, [["cmdline-archive-password", PW]]],
  [`unrar x -p${PW2} archive.rar /tmp/out/`, [["cmdline-archive-password", PW2]]],
  // SQL Server tools.
  [`sqlcmd -S db.internal,1433 -U sa -P ${PW} -Q "SELECT 1"`, [["cmdline-sqlserver-password", PW]]],
  [
    `/opt/mssql-tools18/bin/sqlcmd -S localhost -U sa -P'${PW2}' -C -i init.sql`,
    [["cmdline-sqlserver-password", PW2]],
  ],
  [
    `bcp shop.dbo.orders out orders.dat -S db.internal -U app -P ${PW} -c -t ,`,
    [["cmdline-sqlserver-password", PW]],
  ],
  [`osql -S db -U sa -P"${PW2}" -Q "select @@version"`, [["cmdline-sqlserver-password", PW2]]],
  // Oracle logons.
  [`sqlplus -s app/${PW}@db.internal:1521/ORCLPDB1 @scripts/report.sql`, [["cmdline-oracle-connect", PW]]],
  [`sqlplus "sys/${PW2}@prod as sysdba"`, [["cmdline-oracle-connect", PW2]]],
  [`sqlplus -L -M "HTML ON" app/${PW} @q.sql`, [["cmdline-oracle-connect", PW]]],
  [`echo exit | sqlplus -S system/${PW}@//db:1521/XE`, [["cmdline-oracle-connect", PW]]],
  [`expdp userid=system/${PW}@prod directory=DP dumpfile=full.dmp full=y`, [["cmdline-oracle-connect", PW]]],
  [`expdp system/${PW2}@prod schemas=APP directory=DP dumpfile=app.dmp`, [["cmdline-oracle-connect", PW2]]],
  [`impdp \\"sys/${PW}@prod as sysdba\\" directory=DP dumpfile=app.dmp`, [["cmdline-oracle-connect", PW]]],
  [`sqlldr control=load.ctl userid=app/${PW2} data=data/x.csv`, [["cmdline-oracle-connect", PW2]]],
  [`dgmgrl -silent sys/${PW}@prim "show configuration"`, [["cmdline-oracle-connect", PW]]],
  [`rman target sys/${PW2}@prod catalog rco@rcat`, [["cmdline-oracle-connect", PW2]]],
  [`rman TARGET=sys/${PW}@prod cmdfile=backup.rcv log=backup.log`, [["cmdline-oracle-connect", PW]]],
  // lftp.
  [`lftp -u deploy,${PW} sftp://files.internal`, [["cmdline-lftp-user", PW]]],
  [`lftp -e "open -u ci,${PW2} ftp.internal; mirror -R dist /www; bye"`, [["cmdline-lftp-user", PW2]]],
  [`lftp -p 2121 -u 'ops,${PW}' ftp.internal`, [["cmdline-lftp-user", PW]]],
  [
    `lftp -c "open --user ci --password ${PW2} ftp://files.internal; get a.tgz"`,
    [["cmdline-lftp-user", PW2]],
  ],
  // RDP clients.
  [
    `xfreerdp /v:win01.corp.internal /u:CORP\\ops /p:${PW} /cert:ignore +clipboard`,
    [["cmdline-rdp-password", PW]],
  ],
  [`xfreerdp3 /v:10.0.0.7 /u:admin2 /pth:${NT}`, [["cmdline-rdp-password", NT]]],
  [`sdl-freerdp3 /v:win01 /u:ops "/p:${PW2}" /dynamic-resolution`, [["cmdline-rdp-password", PW2]]],
  [`wlfreerdp /v:win01 /u:ops /gp:${PW} /g:gw.corp`, [["cmdline-rdp-password", PW]]],
  [`rdesktop -u ops -p '${PW2}' -g 1280x800 win01.corp.internal`, [["cmdline-rdp-password", PW2]]],
  [`rdesktop -u ops -p${PW} win01`, [["cmdline-rdp-password", PW]]],
];

const NO_MATCH: string[] = [
  // Prompts, files and standard input.
  "ldapsearch -x -D cn=admin,dc=corp -W -b dc=corp",
  "ldapsearch -x -D cn=admin,dc=corp -y /etc/ldap.secret -b dc=corp",
  "ldappasswd -x -D uid=jdoe,dc=corp -W -A -S",
  "ldappasswd -x -D uid=jdoe,dc=corp -y pw.txt -T new.txt -t old.txt",
  "7z a -p -mhe=on secrets.7z keys/",
  "unrar x -p- archive.rar",
  "rar a -p archive.rar docs/",
  "zip -e backup.zip db/",
  "zipcloak backup.zip",
  "sqlcmd -S db.internal -U sa",
  "sqlcmd -S db.internal -E -Q 'SELECT 1'",
  "sqlplus / as sysdba",
  'sqlplus -s "/ as sysdba" @run.sql',
  "sqlplus -s /nolog @scripts/run.sql",
  "sqlplus app@db.internal/ORCLPDB1",
  "sqlldr app/@prod control=load.ctl data=data/x.csv",
  'expdp \\"/ as sysdba\\" directory=DP dumpfile=full.dmp',
  "rman target / catalog rco@rcat",
  "rman target sys@prod",
  "lftp -u deploy sftp://files.internal",
  "lftp -p 2121 -u ops --env-password ftp.internal",
  "xfreerdp /v:win01.corp.internal /u:ops /port:3389",
  "rdesktop -u ops -p - win01.corp.internal",
  // Other options of the same tools that are not passwords.
  "ldapsearch -x -H ldap://ldap -p 389 -P 3 -s sub -a always -b dc=corp uid=jdoe",
  "ldapsearch -LLL -x -b dc=corp -s base namingContexts",
  "sqlplus -s app/Xq7vLm2Rt5Wp/extra @x.sql",
  "sqlplus -s @scripts/run.sql",
  "sqlldr data/x.csv",
  "sqlldr data/loader.ctl",
  "rdesktop -g 1024x768 -a 16 win01.corp.internal:3389",
  "xfreerdp /v:host /u:ops /proxy:http://proxy:3128 /pcb:abc",
  "unzip -p release.zip app/config.json",
  "scp -P 2222 app.zip host:/srv/",
  // References.
  'ldapsearch -x -D cn=admin,dc=corp -w "$LDAP_BIND_PW" -b dc=corp',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell command, not a template
  "ldapsearch -x -D cn=admin,dc=corp -w ${LDAP_PW} -b dc=corp",
  'unzip -P "$ZIP_PASSWORD" data.zip',
  "7z x -p$(cat /run/secrets/zip) data.7z",
  "rar a -hp%RAR_PASS% backup.rar docs",
  '/opt/mssql-tools18/bin/sqlcmd -S localhost -U sa -P "$MSSQL_SA_PASSWORD" -C -Q "SELECT 1"',
  "sqlcmd -S %DB_HOST% -U sa -P %SA_PASSWORD% -i init.sql",
  "bcp shop.dbo.t out t.dat -S db -U app -P $(BCP_PASS) -c",
  'sqlplus -s "$DB_USER/$DB_PASS@$DB_TNS" @report.sql',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell command, not a template
  "sqlplus -s app/${DB_PASS}@prod @report.sql",
  "expdp userid=system/$ORACLE_PWD@prod directory=DP",
  "sqlplus system/%ORACLE_PWD%@XE",
  'lftp -u "deploy,$FTP_PASSWORD" sftp://files.internal',
  'xfreerdp /v:host /u:ops /p:"$RDP_PASSWORD"',
  "rdesktop -u ops -p $RDP_PW win01",
  // Placeholders, documentation words and defaults.
  "ldapadd -x -D cn=admin,dc=corp -w password -f users.ldif",
  "ldapsearch -x -D cn=admin -w <secret> -b dc=example,dc=com",
  "zip -P <password> out.zip file",
  "7z a -pPASSWORD out.7z dir",
  "sqlcmd -S localhost -U sa -P <YourStrong@Passw0rd>",
  "sqlcmd -S localhost -U sa -P ****",
  "sqlplus scott/tiger@orcl",
  "sqlplus user/password@db",
  "lftp -u user,pass ftp.example.com",
  "xfreerdp /v:host /u:user /p:password",
  "rdesktop -u admin -p admin host",
  // The password flag belongs to another command of the line.
  `ldapsearch -x -b dc=corp uid=jdoe | grep -w ${PW}`,
  `zip -r out.zip dir && mysql -u app -P ${PW}`,
  `sqlcmd -S db -E -Q "select 1"; tool -P ${PW}`,
  `lftp ftp.internal; ssh -u x,${PW}`,
  `rdesktop win01 & foo -p ${PW}`,
  // Python and other words holding a tool's name.
  "pairs = list(zip(names, values))",
  `for a, b in zip(xs, ys): print(a, b) -P ${PW}`,
  `import library -P ${PW}`,
  `gzip -P ${PW} file`,
  `the performance -p${PW}`,
  `bunzip2 -P ${PW} x.bz2`,
  // Help text describing the flags.
  "  -w passwd  bind password (for simple authentication)",
  "# ldapsearch -W prompts for the bind password; never pass -w on a shared host",
  "  -P p Use password p to decrypt files.  THIS IS INSECURE!",
  "-p{Password} : set Password",
  "# sqlplus /nolog, then CONNECT inside the session",
];

describe("command-line credentials, second round: exact rule and value per line (issue 15)", () => {
  it("has at least 3 lines per new rule", () => {
    for (const id of IDS) {
      expect(MATCH.filter(([, e]) => e.some(([r]) => r === id)).length, id).toBeGreaterThanOrEqual(3);
    }
  });
  lineTable(found, MATCH, NO_MATCH);
});

const IDS = [
  "cmdline-ldap-password",
  "cmdline-archive-password",
  "cmdline-sqlserver-password",
  "cmdline-oracle-connect",
  "cmdline-lftp-user",
  "cmdline-rdp-password",
];

// 1 MB of a near miss of each rule finds nothing (each keyword start reads at most 128 characters
// of its command; recheck judges the regexes in test/rules/rules.test.ts).
const FLOODS: [string, string][] = [
  ["cmdline-ldap-password", "ldapsearch "],
  ["cmdline-ldap-password", "ldapsearch -w ab "],
  ["cmdline-ldap-password", "ldappasswd -x -s -"],
  ["cmdline-archive-password", "zip(a, b) "],
  ["cmdline-archive-password", "library "],
  ["cmdline-archive-password", "7z a -p "],
  ["cmdline-archive-password", "unzip -P -"],
  ["cmdline-archive-password", "rar -p- "],
  ["cmdline-sqlserver-password", "sqlcmd -P -"],
  ["cmdline-sqlserver-password", "bcp "],
  ["cmdline-oracle-connect", "sqlplus -s -s "],
  ["cmdline-oracle-connect", "sqlplus a/@ "],
  ["cmdline-oracle-connect", "expdp userid=a/b "],
  ["cmdline-oracle-connect", "rman target "],
  ["cmdline-oracle-connect", "performance "],
  ["cmdline-oracle-connect", `sqlplus -M "${"a".repeat(200)} `],
  ["cmdline-lftp-user", "lftp -u a"],
  ["cmdline-lftp-user", "lftp -u ab,-c "],
  ["cmdline-rdp-password", "xfreerdp /p:- "],
  ["cmdline-rdp-password", "rdesktop -p - "],
  // A backslash before a carriage return could be read two ways by the shared command body
  // (`\\\r?\n?` or `\\` then `\r`): 40 such pairs within a command's 128 characters were 2^40
  // tries. These rules read a backslash with its line break only (`\\(?:\r?\n)?`).
  ["cmdline-ldap-password", "ldapsearch\r\v\\\r\v\\\r"],
  ["cmdline-archive-password", "unzip\r\v\\\r\v\\\r"],
  ["cmdline-sqlserver-password", "sqlcmd\r\v\\\r\v\\\r"],
  ["cmdline-oracle-connect", "rman\r\v\\\r\v\\\r"],
  ["cmdline-lftp-user", "lftp\r\v\\\r\v\\\r"],
  ["cmdline-rdp-password", "xfreerdp\r\v\\\r\v\\\r"],
];

describe("second-round command-line rules on 1 MB floods (issue 8, issue 15)", () => {
  it("covers every new rule", () => {
    expect([...new Set(FLOODS.map(([id]) => id))].sort()).toEqual([...IDS].sort());
  });
  floodTable(scanner, rules, FLOODS, 24);
  it("a backslash-carriage-return run after a tool's name ends (one command, one line)", () => {
    for (const [id, tool] of [
      ["cmdline-ldap-password", "ldapsearch"],
      ["cmdline-archive-password", "zip"],
      ["cmdline-sqlserver-password", "bcp"],
      ["cmdline-oracle-connect", "expdp"],
      ["cmdline-lftp-user", "lftp"],
      ["cmdline-rdp-password", "rdesktop"],
    ] as const) {
      const text = `${tool}\r${"\v\\\r".repeat(60)};`;
      // An exact result, not a time: a regression of the backtracking would not end at all.
      expect(scanner.scan(text, { rules: [ruleOf(rules, id)], honourInlineAllows: false }), id).toEqual([]);
    }
  });
  it("still finds a real command line right after a flood", () => {
    const text = `${flood("library ")}\nunzip -P ${PW} release.zip\n`;
    const hits = scanner.scan(text, {
      rules: [ruleOf(rules, "cmdline-archive-password")],
      honourInlineAllows: false,
    });
    expect(hits.map((h) => [h.ruleId, h.secret, h.line])).toEqual([["cmdline-archive-password", PW, 2]]);
  });
});

// End to end: a fake home's .bash_history and a tree's shell script, through the real inventory
// and the CLI's reports.
const V = {
  ldap: "Hk4Lm9Qw2Zx7",
  zip: "Rb5Tn8Vc3Xq1",
  sevenZip: "Wm3Ks7Pd9Lf2",
  sqlcmd: "Gy6Jr2Nb8Tv4",
  sqlplus: "Qv8Zs3Lk6Hw1",
  lftp: "Nc7Vb2Xk9Qm4",
  rdp: "Pz4Wq8Ld1Ks6",
  rman: "Fs9Tk3Mv7Rc2",
  ldappasswd: "Jd2Hx8Qn5Ws3",
  bcp: "Lk5Rz9Tb3Yp7",
  unrar: "Cq6Wv1Ns8Jm4",
  pth: "3f9c2a71d04e8b56a1c7e2f0b9d84a63",
};
const t = tempTree({
  "home/.bash_history": [
    "cd ~/src",
    `ldapsearch -x -D cn=admin,dc=corp -w ${V.ldap} -b dc=corp uid=jdoe`,
    "ldapsearch -x -D cn=admin,dc=corp -W -b dc=corp",
    `zip -r -P ${V.zip} backup.zip db/`,
    `7z a -p${V.sevenZip} -mhe=on keys.7z keys/`,
    "7z a -p keys.7z keys/",
    `sqlcmd -S db.internal -U sa -P '${V.sqlcmd}' -Q "SELECT 1"`,
    `sqlplus -s app/${V.sqlplus}@db.internal:1521/ORCLPDB1 @scripts/report.sql`,
    "sqlplus / as sysdba",
    `lftp -u deploy,${V.lftp} sftp://files.internal`,
    `xfreerdp /v:win01 /u:ops /p:${V.rdp} +clipboard`,
    "",
  ].join("\n"),
  "work/scripts/nightly.sh": [
    "#!/bin/sh",
    "set -eu",
    "# sqlplus /nolog, ldapsearch -W and 7z -p prompt; nothing to report here",
    `rman target sys/${V.rman}@prod cmdfile=backup.rcv`,
    `ldappasswd -x -D cn=admin,dc=corp -y /etc/ldap.secret -s ${V.ldappasswd} uid=jdoe,dc=corp`,
    `bcp shop.dbo.orders out /backup/orders.dat -S db -U app -P${V.bcp} -c`,
    'unzip -P "$ZIP_PASSWORD" incoming.zip',
    `unrar x -p${V.unrar} incoming.rar /srv/in/`,
    `xfreerdp3 /v:10.0.0.7 /u:admin2 /pth:${V.pth} \\`,
    "  /cert:ignore",
    "pairs = zip(a, b)",
    "",
  ].join("\n"),
  "system/.keep": "",
});
afterAll(() => t.cleanup());
const home = join(t.dir, "home");
const root = join(t.dir, "work");

describe("second-round command-line credentials through the inventory (issue 15)", () => {
  it("reports each planted password at its file and line, with its rule and severity", async () => {
    const res = await inventory({ sources: ["home", "tree"], home, root, systemRoot: join(t.dir, "system") });
    const got = findingRows(res.findings);
    expect(got).toEqual([
      "home .bash_history:10 cmdline-lftp-user high",
      "home .bash_history:11 cmdline-rdp-password high",
      "home .bash_history:2 cmdline-ldap-password high",
      "home .bash_history:4 cmdline-archive-password high",
      "home .bash_history:5 cmdline-archive-password high",
      "home .bash_history:7 cmdline-sqlserver-password high",
      "home .bash_history:8 cmdline-oracle-connect high",
      "tree scripts/nightly.sh:4 cmdline-oracle-connect high",
      "tree scripts/nightly.sh:5 cmdline-ldap-password high",
      "tree scripts/nightly.sh:6 cmdline-sqlserver-password high",
      "tree scripts/nightly.sh:8 cmdline-archive-password high",
      "tree scripts/nightly.sh:9 cmdline-rdp-password high",
    ]);
    expect(res.issues).toEqual([]);
  });

  noLeakInEveryFormat(sandboxArgs(home, root, join(t.dir, "system"), "home,tree"), V, 1);
});
