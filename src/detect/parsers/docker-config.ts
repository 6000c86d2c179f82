import {
  decodeBasicAuth,
  detection,
  type Found,
  isObj,
  isPlaceholder,
  type Obj,
  type ParseInput,
  type ParseResult,
  TextLocator,
  uniqueBySecret,
} from "./common.js";
import { parseJsonText } from "./json.js";

// Docker `config.json` (https://docs.docker.com/reference/cli/docker/login/#credential-stores) and
// the containers-auth.json(5) format shared by podman, buildah and skopeo: `auths.<registry>.auth`
// is base64 of `user:password`; `identitytoken` and `registrytoken` are OAuth tokens. `credsStore`
// and `credHelpers` mean the secret is held by a helper program, not by this file: no finding.
// The legacy `~/.dockercfg` is the `auths` map at the top level.

export function parseDockerConfig(input: ParseInput): ParseResult {
  const r = parseJsonText(input.text);
  if (!r.ok || !isObj(r.value)) return { detections: [], malformed: "not valid JSON" };
  const root = r.value;
  const auths = isObj(root.auths) ? root.auths : root.auths === undefined ? legacy(root) : {};
  // One locator for the whole file: lines in linear time (issue 8).
  const loc = new TextLocator(input.text);
  const found: Found[] = [];
  for (const [registry, entry] of Object.entries(auths)) {
    if (!isObj(entry)) continue;
    const base = root.auths ? `auths.${registry}` : registry;
    if (typeof entry.auth === "string" && entry.auth && !isPlaceholder(entry.auth)) {
      const line = loc.line(entry.auth);
      const basic = decodeBasicAuth(entry.auth);
      if (basic) {
        if (basic.password && !isPlaceholder(basic.password))
          found.push({
            secret: basic.password,
            type: "password",
            name: `${base}.auth`,
            line,
            encoded: entry.auth,
          });
      } else if (entry.auth.length >= 8) {
        found.push({ secret: entry.auth, type: "token", name: `${base}.auth`, line });
      }
    }
    if (typeof entry.password === "string" && entry.password.length >= 4 && !isPlaceholder(entry.password))
      found.push({
        secret: entry.password,
        type: "password",
        name: `${base}.password`,
        line: loc.line(entry.password),
      });
    for (const k of ["identitytoken", "registrytoken"]) {
      const v = entry[k];
      if (typeof v === "string" && v.length >= 8 && !isPlaceholder(v))
        found.push({ secret: v, type: "token", name: `${base}.${k}`, line: loc.line(v) });
    }
  }
  return { detections: uniqueBySecret(found).map((f) => detection(input, f)) };
}

/**
 * `~/.dockercfg`: registries at the top level, each with `auth` (and `email`). A null-prototype
 * object (issue 8): a registry named `__proto__` is a key like any other.
 */
function legacy(root: Obj): Obj {
  const out: Obj = Object.create(null);
  for (const [k, v] of Object.entries(root)) if (isObj(v) && Object.hasOwn(v, "auth")) out[k] = v;
  return out;
}
