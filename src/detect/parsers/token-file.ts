import {
  acceptValue,
  detection,
  type Found,
  type ParseInput,
  type ParseResult,
  uniqueBySecret,
} from "./common.js";

// Files that hold a bare secret, one per line: ~/.vault-token
// (https://developer.hashicorp.com/vault/docs/commands/token-helper), the Hugging Face token
// (https://huggingface.co/docs/huggingface_hub/package_reference/environment_variables#hftokenpath),
// age identities in SOPS `keys.txt` (`AGE-SECRET-KEY-1…` lines under `#` comments:
// https://github.com/getsops/sops#encrypting-using-age). Each non-comment line that looks generated
// is a secret.

export function parseTokenFile(input: ParseInput): ParseResult {
  const found: Found[] = [];
  const lines = input.text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const v = lines[i]!.trim();
    if (v === "" || v.startsWith("#")) continue;
    const type = v.startsWith("AGE-SECRET-KEY-") ? "private-key" : "token";
    if (acceptValue("token", v)) found.push({ secret: v, type, line: i + 1 });
  }
  return { detections: uniqueBySecret(found).map((f) => detection(input, f)) };
}
