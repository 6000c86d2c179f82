import {
  detection,
  type Found,
  isPlaceholder,
  lineOfValue,
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
  for (const m of text.matchAll(/<(password|passphrase)>\s*([^<]*?)\s*<\/\1>/gi)) {
    const raw = m[2]!;
    const value = decodeEntities(raw);
    if (value.length < 4 || isPlaceholder(value)) continue;
    const encrypted = /^\{[A-Za-z0-9+/=]+\}$/.test(value);
    found.push({
      secret: value,
      type: encrypted ? "encrypted-password" : "password",
      name: m[1]!,
      line: lineOfValue(text, m[0]),
      ...(encrypted ? { severity: "low" as const } : {}),
    });
  }
  for (const m of text.matchAll(/<add\s+key\s*=\s*"ClearTextPassword"\s+value\s*=\s*"([^"]*)"/gi)) {
    const value = decodeEntities(m[1]!);
    if (value.length < 4 || isPlaceholder(value)) continue;
    found.push({ secret: value, type: "password", name: "ClearTextPassword", line: lineOfValue(text, m[0]) });
  }
  return { detections: uniqueBySecret(found).map((f) => detection(input, f)) };
}
