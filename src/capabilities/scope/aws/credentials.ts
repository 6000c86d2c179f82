import { realpath } from "node:fs/promises";
import { join } from "node:path";
import { readIni } from "../../../detect/parsers/ini.js";
import { safeMessage } from "../../../util/errors.js";
import { readRegularText, UnsafeFileError } from "../../../util/safe-read.js";
import { MAX_AWS_CONFIG_BYTES, profileName } from "./config.js";

// Which AWS credentials `creds aws` (and `scan --aws`) analyse: the agent's AWS_* variables, or a
// profile's static keys in the audited home's ~/.aws/credentials. Read as data with our own INI
// reader: the SDK's profile loader would run a `credential_process` or follow SSO and role chains
// that the agent can write, so it is never handed the agent's files.

export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  /** Where they came from, for people: `environment` or `profile NAME in ~/.aws/credentials`. */
  source: string;
}

export class CredentialsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CredentialsError";
  }
}

const KEY_ID = /^(AKIA|ASIA)[A-Z2-7]{16}$/;

/**
 * The credentials to analyse: `profile` when given (from ~/.aws/credentials), else the environment's
 * AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, else the `default` profile. Throws a CredentialsError
 * (never quoting a value) when none are usable.
 */
export async function resolveCredentials(opts: {
  env: Readonly<Record<string, string | undefined>>;
  home?: string;
  profile?: string;
}): Promise<AwsCredentials> {
  const { env } = opts;
  if (opts.profile === undefined && env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY) {
    return build(env.AWS_ACCESS_KEY_ID, env.AWS_SECRET_ACCESS_KEY, env.AWS_SESSION_TOKEN, "environment");
  }
  const profile = opts.profile ?? "default";
  if (opts.home === undefined)
    throw new CredentialsError(
      "no AWS credentials in the environment, and no home to read ~/.aws/credentials from",
    );
  const text = await readCredentialsFile(opts.home);
  if (text === undefined)
    throw new CredentialsError(
      opts.profile === undefined
        ? "no AWS credentials: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY are not set and ~/.aws/credentials does not exist"
        : "~/.aws/credentials does not exist",
    );
  const values = new Map<string, string>();
  let found = false;
  for (const e of readIni(text) ?? []) {
    if (profileName(e.section, "credentials") !== profile) continue;
    found = true;
    values.set(e.key.trim().toLowerCase(), e.value.trim());
  }
  const shown = printableName(profile);
  if (!found) throw new CredentialsError(`profile ${shown} is not in ~/.aws/credentials`);
  const id = values.get("aws_access_key_id");
  const secret = values.get("aws_secret_access_key");
  if (!id || !secret)
    throw new CredentialsError(
      `profile ${shown} in ~/.aws/credentials has no static keys (role, SSO and credential_process profiles are not followed: pass --principal ARN with keys that can read it)`,
    );
  return build(id, secret, values.get("aws_session_token"), `profile ${shown} in ~/.aws/credentials`);
}

function build(id: string, secret: string, token: string | undefined, source: string): AwsCredentials {
  const keyId = id.trim();
  if (!KEY_ID.test(keyId))
    throw new CredentialsError(
      `the access key id from the ${source} is not an AWS access key id (AKIA or ASIA, 20 characters)`,
    );
  const out: AwsCredentials = { accessKeyId: keyId, secretAccessKey: secret.trim(), source };
  if (token?.trim()) out.sessionToken = token.trim();
  return out;
}

function printableName(s: string): string {
  const t = s.replace(/[^\x20-\x7e]/g, "?");
  return t.length > 64 ? `${t.slice(0, 64)}…` : t;
}

async function readCredentialsFile(home: string): Promise<string | undefined> {
  try {
    const root = await realpath(home);
    return await readRegularText(join(home, ".aws/credentials"), {
      maxBytes: MAX_AWS_CONFIG_BYTES,
      confineTo: root,
    });
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    if (code === "ENOENT" || code === "ENOTDIR") return undefined;
    const why =
      e instanceof UnsafeFileError
        ? e.code === "outside-root"
          ? "it leads outside the home"
          : e.message
        : safeMessage(e);
    throw new CredentialsError(`~/.aws/credentials not read: ${why}`);
  }
}
