import {
  acceptValue,
  classifyKey,
  decodeBase64,
  decodeBasicAuth,
  detection,
  type Found,
  isPlaceholder,
  type ParseInput,
  type ParseResult,
  uniqueBySecret,
} from "./common.js";
import { readIni } from "./ini.js";

// .npmrc (https://docs.npmjs.com/cli/v10/configuring-npm/npmrc#auth-related-configuration):
// `//registry.example.com/:_authToken=<token>`, `_auth=<base64 user:pass>`,
// `//host/:username=` + `//host/:_password=<base64 password>`. `${NPM_TOKEN}` is expanded by npm
// from the environment at run time: a reference, not a secret.

export function parseNpmrc(input: ParseInput): ParseResult {
  const entries = readIni(input.text, { colon: false });
  if (!entries) return { detections: [], malformed: "not valid npmrc" };
  const found: Found[] = [];
  for (const e of entries) {
    const key = e.key;
    const last = key.replace(/^.*:/, ""); // `//host/:_authToken` → `_authToken`
    const v = e.value;
    if (!v || isPlaceholder(v)) continue;
    if (last === "_auth") {
      const basic = decodeBasicAuth(v);
      if (basic?.password && !isPlaceholder(basic.password))
        found.push({ secret: basic.password, type: "password", name: key, line: e.line, encoded: v });
      else if (!basic && acceptValue("token", v))
        found.push({ secret: v, type: "token", name: key, line: e.line });
      continue;
    }
    if (last === "_password") {
      const buf = decodeBase64(v);
      const pw = buf?.toString("utf8");
      const secret = pw && /^[\x20-\x7e]+$/.test(pw) ? pw : v;
      if (!isPlaceholder(secret) && secret.length >= 4)
        found.push({ secret, type: "password", name: key, line: e.line, encoded: v });
      continue;
    }
    if (last === "_authToken") {
      if (v.length >= 8) found.push({ secret: v, type: "token", name: key, line: e.line });
      continue;
    }
    const type = classifyKey(last);
    if (type && acceptValue(type, v)) found.push({ secret: v, type, name: key, line: e.line });
  }
  return { detections: uniqueBySecret(found).map((f) => detection(input, f)) };
}
