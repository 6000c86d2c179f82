import type { AuditReport } from "../../contract/types.js";
import { showable } from "../../detect/echo.js";
import { type CommandPrefix, credentialReadPrefix, secretPrintPrefix } from "./commands.js";
import { credentialPaths } from "./common.js";

// The command prefixes a report adds to the fixed ones of commands.ts: reading the credential files
// the inventory found (and the well-known ones), and printing the secret-holding variables it found
// in the environment (by name; a name that could itself be a token is left out).

export function reportPrefixes(report: AuditReport, home: string): CommandPrefix[] {
  const { paths } = credentialPaths(report);
  const names = report.findings
    .filter((f) => f.location.source === "env" && f.location.name !== undefined)
    .map((f) => f.location.name!)
    .filter((n) => showable(n));
  const printing = secretPrintPrefix(names);
  return [
    credentialReadPrefix(
      paths.filter((p) => p.base === "home").map((p) => p.path),
      paths.filter((p) => p.base === "tree").map((p) => p.path),
      home,
    ),
    ...(printing ? [printing] : []),
  ];
}
