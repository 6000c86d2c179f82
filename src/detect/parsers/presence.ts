import { detection, type ParseInput, type ParseResult } from "./common.js";

// A file whose existence is the finding: an encrypted store, a keyring, a SQLite token database.
// It is not parsed; the secret is `presence:<path>`, used only for the fingerprint (never a value),
// the same subject src/sources/home.ts builds for a directory.

export function parsePresence(input: ParseInput): ParseResult {
  return {
    detections: [
      detection(input, { secret: `presence:${input.path}`, type: "credential-store", kind: "exposure" }),
    ],
  };
}
