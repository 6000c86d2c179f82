import { defaultRules } from "../rules/catalog.js";
import { type ContentScanner, sharedScanner } from "./content.js";
import { looksRandom } from "./randomness.js";
import { redactText } from "./redact.js";

// The one place where a loader error (config, baseline, passwd) decides whether a name it read may
// be printed (issue 8 item 5). Such a file can be the agent's and any name in it a token: glued to a
// prefix (`my-`, `x`, `a.`) the redactor's word-boundary search misses it, and a low-entropy token
// (`AKIA` + 16 `A`s) does not look generated. So a name is shown only when it is positively plain;
// everything else is shown by its length. Did-you-mean hints (did-you-mean.ts) name known keys only.

/** A name that could be a real key, rule id or user name: short, an identifier. */
const PLAIN = /^[A-Za-z_][A-Za-z0-9_.-]{0,40}$/;
/** A number (a uid, an index): never a token of any rule. */
const NUMBER = /^\d{1,10}$/;
/**
 * Longest part between joiners (`-`, `_`, `.`) a name holding a content rule's keyword may have:
 * real names are words (`github-pat-classic`), a token has a long body after its keyword.
 */
const MAX_WORD_WITH_KEYWORD = 12;

let scanner: ContentScanner | null | undefined;
/**
 * The packaged content rules' keyword prefilter; null when the rules cannot load (then: fail closed).
 * The packaged rules on purpose, not the scan's rule set (issue 9): echo decides what an error about
 * the config, the baseline or passwd may print, and those are read before any rule set is chosen
 * (the config is what would choose one). The packaged set is the widest net at hand; a custom set
 * could only narrow what is masked.
 */
function keywordScanner(): ContentScanner | null {
  if (scanner !== undefined) return scanner;
  try {
    scanner = sharedScanner(defaultRules());
  } catch {
    scanner = null;
  }
  return scanner;
}

/**
 * Whether a name read from a file the agent may write can be printed as it is: a plain identifier
 * of at most 41 characters (or a number) no word of which looks generated, in which no content rule's
 * keyword starts a long run (a keyword is fine inside a name made of short words), and which the
 * output redactor (a secret a rule knows, or one this run found) leaves unchanged.
 */
export function showable(name: string): boolean {
  if (NUMBER.test(name)) return true;
  if (!PLAIN.test(name) || !plainWords(name)) return false;
  return redactText(name) === name;
}

/**
 * Whether a run of identifier characters reads as words: no part between joiners looks generated
 * (part by part: `s3cmd-config` as a whole has the character classes of a generated string), and
 * when a content rule's keyword occurs, every part is short. False when the rules cannot load.
 */
function plainWords(run: string): boolean {
  const s = keywordScanner();
  if (s === null) return false;
  const keyword = s.candidates(run).length > 0;
  for (const word of run.split(/[-_.]/)) {
    if (looksRandom(word)) return false;
    if (keyword && word.length > MAX_WORD_WITH_KEYWORD) return false;
  }
  return true;
}

/** Longest run of identifier characters free text may keep (a longer one is no word). */
const MAX_RUN = 64;

/**
 * Free text read from a file the agent may write and written out again (a baseline entry's reason
 * and location: issue 8), with every secret masked: first the output redactor (known values,
 * content-rule matches, URL userinfo), then each run of identifier characters that does not read
 * as words (plainWords, at most MAX_RUN characters) becomes `<N characters, not shown>`, which
 * catches what the redactor's word-boundary search misses (a token glued to a prefix, `xAKIA...`).
 * Linear in the text.
 */
export function maskTokens(text: string): string {
  return redactText(text).replace(/[A-Za-z0-9_.-]+/g, (run) =>
    run.length <= MAX_RUN && (run.length < 8 || plainWords(run))
      ? run
      : `<${run.length} characters, not shown>`,
  );
}

/** A name as an error message quotes it: `"name"` when showable, else `<N characters, not shown>`. */
export function quoteName(name: string): string {
  return showable(name) ? JSON.stringify(name) : `<${name.length} characters, not shown>`;
}

/** A key path (`rules.severity.<id>`): indices as they are, each other segment as it is only when showable. */
export function shownPath(path: readonly PropertyKey[]): string {
  return (
    path
      .map((seg) => {
        if (typeof seg === "number") return String(seg);
        const s = String(seg);
        return showable(s) ? s : `<${s.length} characters, not shown>`;
      })
      .join(".") || "(root)"
  );
}
