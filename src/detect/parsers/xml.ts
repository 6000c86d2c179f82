import { TextIndex } from "../content.js";
import {
  detection,
  type Found,
  isPlaceholder,
  type ParseInput,
  type ParseResult,
  uniqueBySecret,
} from "./common.js";

// Two XML files, read with targeted regular expressions rather than an XML library (the shapes are
// fixed and small; a full parser would add a dependency for two elements):
// - Maven `settings.xml` (https://maven.apache.org/settings.html#servers): `<server>` holds
//   `<password>`, `<passphrase>` and `<privateKey>` (a path). A value in braces, `{...}`, is
//   encrypted with the master password of settings-security.xml
//   (https://maven.apache.org/guides/mini/guide-encryption.html): reported, at low severity.
//   `${env.X}` is a reference.
// - NuGet `NuGet.Config` (https://learn.microsoft.com/en-us/nuget/reference/nuget-config-file#packagesourcecredentials):
//   `<add key="ClearTextPassword" value="..."/>` is plaintext; `key="Password"` is DPAPI-encrypted
//   and only decryptable by the same Windows user: not reported.

const ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };
const decodeEntities = (s: string) => s.replace(/&(amp|lt|gt|quot|apos);/g, (_, e: string) => ENTITIES[e]!);

export function parseXml(input: ParseInput): ParseResult {
  const text = input.text;
  if (!/^\s*(<\?xml|<!--|<[A-Za-z])/.test(text)) return { detections: [], malformed: "not valid XML" };
  const found: Found[] = [];
  const index = new TextIndex(text);
  const lower = text.toLowerCase();
  for (const m of text.matchAll(/<(password|passphrase)>/gi)) {
    const tag = m[1]!.toLowerCase();
    const start = m.index + m[0].length;
    const raw = elementText(text, lower, start, `</${tag}>`);
    if (raw === undefined) continue;
    const value = raw.trim();
    if (value.length < 4 || isPlaceholder(value)) continue;
    const encrypted = /^\{[A-Za-z0-9+/=]+\}$/.test(value);
    found.push({
      secret: value,
      type: encrypted ? "encrypted-password" : "password",
      name: m[1]!,
      line: index.lineOf(firstNonSpace(text, start)) + 1,
      ...(encrypted ? { severity: "low" as const } : {}),
    });
  }
  for (const m of text.matchAll(/<add\s+key\s*=\s*"ClearTextPassword"\s+value\s*=\s*"([^"]*)"/gi)) {
    const value = decodeEntities(m[1]!);
    if (value.length < 4 || isPlaceholder(value)) continue;
    found.push({
      secret: value,
      type: "password",
      name: "ClearTextPassword",
      line: index.lineOf(m.index) + 1,
    });
  }
  return { detections: uniqueBySecret(found).map((f) => detection(input, f)) };
}

/**
 * The text of an element from `start` to its closing tag: character data with entities decoded and
 * CDATA sections taken as they are (issue 8: a Maven password in `<![CDATA[...]]>` was missed).
 * Undefined when the element holds markup other than CDATA (a comment, a child element) or never
 * closes. One pass from `start`, so the work is linear in the element's length.
 */
function elementText(text: string, lower: string, start: number, close: string): string | undefined {
  let out = "";
  let i = start;
  while (i < text.length) {
    const lt = text.indexOf("<", i);
    if (lt === -1) return undefined;
    out += decodeEntities(text.slice(i, lt));
    if (text.startsWith("<![CDATA[", lt)) {
      const end = text.indexOf("]]>", lt + 9);
      if (end === -1) return undefined;
      out += text.slice(lt + 9, end);
      i = end + 3;
      continue;
    }
    return lower.startsWith(close, lt) ? out : undefined;
  }
  return undefined;
}

function firstNonSpace(text: string, i: number): number {
  while (i < text.length && /\s/.test(text[i]!)) i++;
  return i;
}
