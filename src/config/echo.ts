import { redactText } from "../core/redact.js";
import { looksRandom } from "../detectors/randomness.js";

/**
 * A name read from a config, baseline or passwd file (a key, a rule id, a user name), quoted as an
 * error message may show it. Such a file can be the agent's (issue 8), and a key can be a token:
 * a name is echoed only when it is short and plain (letters, digits, `_.-`) and does not look
 * generated, which keeps did-you-mean messages for typos; anything else is shown by its length.
 * What is shown also goes through the output redactor (a secret a rule knows, or one this run found).
 */
export function quoteName(name: string): string {
  if (name.length > 0 && name.length <= 48 && /^[A-Za-z0-9_.-]+$/.test(name) && !looksRandom(name, 12)) {
    return JSON.stringify(redactText(name));
  }
  return `<${name.length} characters, not shown>`;
}

/** A key path (`rules.severity.<id>`), each segment through quoteName unless it is an index or a plain name. */
export function shownPath(path: readonly PropertyKey[]): string {
  return (
    path
      .map((seg) => {
        const s = String(seg);
        const q = quoteName(s);
        return q.startsWith('"') ? s : q;
      })
      .join(".") || "(root)"
  );
}
