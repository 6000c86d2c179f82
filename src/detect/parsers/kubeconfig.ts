import {
  acceptValue,
  decodeBase64,
  detection,
  envVarFindings,
  type Found,
  isObj,
  isPlaceholder,
  type ParseInput,
  type ParseResult,
  TextLocator,
  uniqueBySecret,
} from "./common.js";
import { findPemKeys } from "./pem.js";
import { parseYamlText } from "./yaml.js";

// kubeconfig (https://kubernetes.io/docs/reference/config-api/kubeconfig.v1/): credentials live in
// `users[].user`: `token`, `password`, `client-key-data` (base64 of a PEM private key),
// `auth-provider.config` (`refresh-token`, `id-token`, `access-token`, `client-secret`) and
// `exec.env[]` ({name, value}). `tokenFile`, `client-key` and `exec.command` name files and
// programs: no secret in this file.

// A Set, not an object's keys (issue 8): `constructor` in the file must not find Object.prototype's.
const AUTH_PROVIDER_KEYS = new Set(["refresh-token", "id-token", "access-token", "client-secret"]);

export function parseKubeconfig(input: ParseInput): ParseResult {
  const docs = parseYamlText(input.text);
  if (!docs) return { detections: [], malformed: "not valid YAML" };
  // One locator for the whole file: lines in linear time (issue 8).
  const loc = new TextLocator(input.text);
  const found: Found[] = [];
  for (const doc of docs) {
    if (!isObj(doc) || !Array.isArray(doc.users)) continue;
    doc.users.forEach((entry, i) => {
      if (!isObj(entry) || !isObj(entry.user)) return;
      const u = entry.user;
      const base = `users.${typeof entry.name === "string" ? entry.name : i}.user`;
      const str = (k: string) => (typeof u[k] === "string" ? (u[k] as string) : undefined);
      const token = str("token");
      if (token && acceptValue("token", token))
        found.push({ secret: token, type: "token", name: `${base}.token`, line: loc.line(token) });
      const password = str("password");
      if (password && acceptValue("password", password))
        found.push({
          secret: password,
          type: "password",
          name: `${base}.password`,
          line: loc.line(password),
        });
      const keyData = str("client-key-data");
      if (keyData && !isPlaceholder(keyData)) {
        const line = loc.line(keyData);
        const pem = decodeBase64(keyData)?.toString("utf8");
        const keys = pem ? findPemKeys(pem) : undefined;
        if (keys && keys.length > 0) {
          for (const k of keys)
            found.push({
              secret: k.block,
              type: k.encrypted ? "encrypted-private-key" : "private-key",
              name: `${base}.client-key-data`,
              line,
              encoded: keyData,
              ...(k.encrypted ? { severity: "low" as const } : {}),
            });
        } else if (acceptValue("private-key", keyData)) {
          // Not a PEM inside: still key material in a field that only ever holds a private key.
          found.push({ secret: keyData, type: "private-key", name: `${base}.client-key-data`, line });
        }
      }
      const ap = isObj(u["auth-provider"]) ? u["auth-provider"] : undefined;
      if (ap && isObj(ap.config)) {
        for (const [k, v] of Object.entries(ap.config)) {
          // The key is the type (`refresh-token`, `client-secret`...).
          if (AUTH_PROVIDER_KEYS.has(k) && typeof v === "string" && acceptValue(k, v))
            found.push({
              secret: v,
              type: k,
              name: `${base}.auth-provider.config.${k}`,
              line: loc.line(v),
            });
        }
      }
      const exec = isObj(u.exec) ? u.exec : undefined;
      if (exec && Array.isArray(exec.env)) {
        for (const e of exec.env) {
          if (!isObj(e) || typeof e.name !== "string" || typeof e.value !== "string") continue;
          for (const f of envVarFindings(e.name, e.value, `${base}.exec.env.${e.name}`, loc)) found.push(f);
        }
      }
    });
  }
  return { detections: uniqueBySecret(found).map((f) => detection(input, f)) };
}
