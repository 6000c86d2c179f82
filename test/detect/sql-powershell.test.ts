// biome-ignore-all lint/suspicious/noTemplateCurlyInString: SQL migrations write ${VAR} references, which these strings hold as data
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ContentScanner } from "../../src/detect/content.js";
import { defaultRules } from "../../src/rules/catalog.js";
import { inventory } from "../helpers/inventory.js";
import { findingRows, noLeakInEveryFormat, sandboxArgs } from "../helpers/leaks.js";
import { floodTable, foundBy, lineTable, type Row } from "../helpers/rule-table.js";
import { tempTree } from "../helpers/tmp.js";

// Issue 15, credentials in scripts: passwords written into SQL (init scripts, migrations, the
// clients' histories) and into PowerShell (scripts, PSReadLine's history). Each line is scanned with
// the whole catalog and deduplicated as a file's detections are; the exact [rule id, secret] list is
// asserted. All values are fake.
const rules = defaultRules();
const scanner = new ContentScanner(rules);
const found = foundBy(scanner);
const PW = "Xq7vLm2Rt5Wp";
const PW2 = "Tz8k@Lm2Qw9vB";
const I = "sql-identified-by-password";
const S = "sql-role-password";
const PS = "powershell-plaintext-securestring";

const MATCH: Row[] = [
  // MySQL / MariaDB / Oracle: IDENTIFIED BY, quoted or (Oracle) not.
  [`CREATE USER 'app'@'%' IDENTIFIED BY '${PW}';`, [[I, PW]]],
  [`GRANT ALL PRIVILEGES ON shop.* TO 'app'@'localhost' IDENTIFIED BY '${PW2}';`, [[I, PW2]]],
  [`ALTER USER 'root'@'localhost' IDENTIFIED BY '${PW}';`, [[I, PW]]],
  [`create user app identified by ${PW};`, [[I, PW]]],
  [`CREATE USER app IDENTIFIED BY ${PW} DEFAULT TABLESPACE users;`, [[I, PW]]],
  [`CREATE USER app IDENTIFIED BY\t'${PW}'`, [[I, PW]]],
  // libedit's mysql history: \040 for each space.
  [`CREATE\\040USER\\040'app'@'%'\\040IDENTIFIED\\040BY\\040'${PW}';`, [[I, PW]]],
  // PostgreSQL: PASSWORD '...' (the value must look generated).
  [`ALTER USER app WITH PASSWORD '${PW}';`, [[S, PW]]],
  [`CREATE ROLE app LOGIN ENCRYPTED PASSWORD '${PW2}' VALID UNTIL 'infinity';`, [[S, PW2]]],
  [`CREATE USER app PASSWORD '${PW}';`, [[S, PW]]],
  // PowerShell: ConvertTo-SecureString with a literal, every argument order.
  [`$pw = ConvertTo-SecureString '${PW}' -AsPlainText -Force`, [[PS, PW]]],
  [`$pw = ConvertTo-SecureString -String "${PW2}" -AsPlainText -Force`, [[PS, PW2]]],
  [`$pw = convertto-securestring -AsPlainText -Force '${PW}'`, [[PS, PW]]],
  [
    `$cred = New-Object PSCredential('admin', (ConvertTo-SecureString '${PW}' -AsPlainText -Force))`,
    [[PS, PW]],
  ],
];

const NO_MATCH: string[] = [
  // Hashes, not passwords.
  "CREATE USER 'app'@'%' IDENTIFIED BY PASSWORD '*6BB4837EB74329105EE4568DDA7DC67ED2CA2AD9';",
  "CREATE USER app IDENTIFIED BY VALUES 'S:8F2D3C';",
  "ALTER USER app WITH PASSWORD 'md5a3556571e93b0d20722ba62be61e8c2d';",
  "ALTER ROLE app PASSWORD 'SCRAM-SHA-256$4096:c2FsdA==$c3RvcmVk:c2VydmVy';",
  // Variables, bind parameters, NULL, external authentication.
  "CREATE USER app IDENTIFIED BY :pw;",
  "CREATE USER app IDENTIFIED BY '${APP_PASSWORD}';",
  "ALTER USER app WITH PASSWORD '${APP_PASSWORD}';",
  "ALTER USER app WITH PASSWORD $1;",
  "CREATE ROLE app LOGIN PASSWORD NULL;",
  "CREATE USER app IDENTIFIED EXTERNALLY;",
  "CREATE USER ops IDENTIFIED GLOBALLY AS 'CN=ops,O=example';",
  // Placeholder words and well-known defaults.
  "CREATE USER 'app'@'%' IDENTIFIED BY 'password';",
  "ALTER USER postgres PASSWORD 'postgres';",
  "CREATE USER app IDENTIFIED BY changeme;",
  // Prose.
  "-- change the password 'later' in prod",
  "the column is identified by its name",
  "each row is identified by a UUID",
  "each user is identified by their email",
  " *   { {PBES2-params IDENTIFIED BY id-PBES2}, ...}",
  "CREATE USER app IDENTIFIED BY tiger;",
  "set the password 'to something long' first",
  // PowerShell without a literal.
  '$pw = ConvertTo-SecureString "$env:DB_PASSWORD" -AsPlainText -Force',
  "$pw = ConvertTo-SecureString $plain -AsPlainText -Force",
  "$pw = ConvertTo-SecureString (Get-Content pw.txt) -AsPlainText -Force",
  "$pw = Read-Host -AsSecureString",
  "$pw = ConvertTo-SecureString 'password' -AsPlainText -Force",
];

describe("passwords in SQL and PowerShell: exact rule and value per line (issue 15)", () => {
  lineTable(found, MATCH, NO_MATCH);
});

describe("the SQL and PowerShell rules on 1 MB floods (issue 8)", () => {
  floodTable(
    scanner,
    rules,
    [
      [I, "identified by "],
      [I, "IDENTIFIED BY 'x1y2z3w4 "],
      [I, "identified\\040by\\040"],
      [S, "password '"],
      [S, "PASSWORD 'abcdefgh "],
      [PS, "ConvertTo-SecureString "],
      [PS, "ConvertTo-SecureString -AsPlainText -Force $x "],
    ],
    24,
  );
});

// End to end: a database init script in the tree, the mysql and psql histories and PSReadLine's
// history in the home, a PowerShell script in the tree.
const V = {
  init: "Hk4Lm9Qw2Zx7",
  mysqlHist: "Rb5Tn8Vc3Xq1",
  psqlHist: "Gy6Jr2Nb8Tv4",
  psHist: "Qv8Zs3Lk6Hw1",
  ps1: "Pz4Wq8Ld1Ks6",
};
const t = tempTree({
  "work/docker-entrypoint-initdb.d/01-users.sql": [
    "-- application user",
    "CREATE DATABASE shop;",
    `CREATE USER 'shop'@'%' IDENTIFIED BY '${V.init}';`,
    "GRANT ALL ON shop.* TO 'shop'@'%';",
    "",
  ].join("\n"),
  "work/deploy/setup.ps1": [
    "param([string]$Server)",
    `$secure = ConvertTo-SecureString '${V.ps1}' -AsPlainText -Force`,
    "$cred = New-Object System.Management.Automation.PSCredential('deploy', $secure)",
    "",
  ].join("\n"),
  "home/.mysql_history": [
    "_HiStOrY_V2_",
    "show\\040databases;",
    `CREATE\\040USER\\040'ro'@'%'\\040IDENTIFIED\\040BY\\040'${V.mysqlHist}';`,
    "",
  ].join("\n"),
  "home/.psql_history": ["\\dt", `ALTER USER reporting WITH PASSWORD '${V.psqlHist}';`, ""].join("\n"),
  "home/.local/share/powershell/PSReadLine/ConsoleHost_history.txt": [
    "Get-ChildItem",
    `$p = ConvertTo-SecureString -String "${V.psHist}" -AsPlainText -Force`,
    "",
  ].join("\n"),
  "system/.keep": "",
});
afterAll(() => t.cleanup());
const home = join(t.dir, "home");
const root = join(t.dir, "work");

describe("SQL and PowerShell passwords through the inventory (issue 15)", () => {
  it("reports each planted password at its file and line, with its rule and severity", async () => {
    const res = await inventory({ sources: ["tree", "home"], home, root, systemRoot: join(t.dir, "system") });
    expect(findingRows(res.findings, (id) => id === I || id === S || id === PS)).toEqual([
      `home .local/share/powershell/PSReadLine/ConsoleHost_history.txt:2 ${PS} high`,
      `home .mysql_history:3 ${I} high`,
      `home .psql_history:2 ${S} high`,
      `tree deploy/setup.ps1:2 ${PS} high`,
      `tree docker-entrypoint-initdb.d/01-users.sql:3 ${I} high`,
    ]);
    expect(res.issues).toEqual([]);
  });

  noLeakInEveryFormat(sandboxArgs(home, root, join(t.dir, "system"), "tree,home"), { ...V });
});
