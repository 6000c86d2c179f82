// The one SDK client configuration of the AWS analysis (issue 13). Every setting the SDK would
// otherwise take from the environment or ~/.aws/config is given here: both are the agent's to
// write, and an `endpoint_url` or AWS_ENDPOINT_URL_IAM planted there would send the audit's signed
// calls to a server that answers "not admin".

export interface SdkClientOptions {
  credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  region?: string;
  /** An explicit endpoint (a test server, a proxy the operator chose); else the SDK's default for the region. */
  endpoint?: string;
  maxAttempts?: number;
}

/** A server that accepts the connection and never answers must not hang the audit, an apply or a rollback. */
export const CONNECT_TIMEOUT_MS = 5_000;
export const REQUEST_TIMEOUT_MS = 30_000;

export function sdkConfig(o: SdkClientOptions) {
  const { accessKeyId, secretAccessKey, sessionToken } = o.credentials;
  return {
    region: o.region ?? "us-east-1",
    // A copy: the SDK marks the credentials object it is given.
    credentials: { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) },
    maxAttempts: o.maxAttempts ?? 3,
    retryMode: "standard",
    defaultsMode: "standard" as const,
    ignoreConfiguredEndpointUrls: true,
    useFipsEndpoint: false,
    useDualstackEndpoint: false,
    // The options of the SDK's node:http handler (it builds the handler from them).
    requestHandler: {
      connectionTimeout: CONNECT_TIMEOUT_MS,
      requestTimeout: REQUEST_TIMEOUT_MS,
      throwOnRequestTimeout: true,
    },
    ...(o.endpoint ? { endpoint: o.endpoint } : {}),
  };
}
