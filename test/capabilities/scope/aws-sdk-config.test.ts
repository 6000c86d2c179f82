import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GetUserCommand, IAMClient } from "@aws-sdk/client-iam";
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { afterEach, describe, expect, it, vi } from "vitest";
import { sdkConfig } from "../../../src/capabilities/scope/aws/sdk.js";

// The agent writes the environment and ~/.aws/config the auditor may run with: an endpoint planted
// there must not redirect the audit's calls. A request handler that records the host and sends
// nothing shows where a call would go, without any network.

function capture() {
  const hosts: string[] = [];
  const requestHandler = {
    handle: async (req: { hostname: string; protocol: string; port?: number }) => {
      hosts.push(`${req.protocol}//${req.hostname}${req.port ? `:${req.port}` : ""}`);
      throw new Error("not sent");
    },
  };
  return { hosts, requestHandler };
}

const CREDS = { accessKeyId: "AKIAIOSFODNN7SDKTEST", secretAccessKey: "sdk-config-test-secret" };

describe("SDK client configuration", () => {
  afterEach(() => vi.unstubAllEnvs());

  it("ignores endpoints planted in the environment and in ~/.aws/config", async () => {
    const dir = mkdtempSync(join(tmpdir(), "aa-sdk-"));
    writeFileSync(
      join(dir, "config"),
      "[default]\nendpoint_url = http://planted.invalid:1\nregion = eu-west-3\n[services x]\niam =\n  endpoint_url = http://planted.invalid:2\n",
    );
    vi.stubEnv("AWS_CONFIG_FILE", join(dir, "config"));
    vi.stubEnv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials");
    vi.stubEnv("AWS_ENDPOINT_URL", "http://planted.invalid:3");
    vi.stubEnv("AWS_ENDPOINT_URL_IAM", "http://planted.invalid:4");
    vi.stubEnv("AWS_ENDPOINT_URL_STS", "http://planted.invalid:5");
    vi.stubEnv("AWS_USE_FIPS_ENDPOINT", "true");
    const c = capture();
    const iam = new IAMClient({ ...sdkConfig({ credentials: CREDS }), requestHandler: c.requestHandler });
    const sts = new STSClient({ ...sdkConfig({ credentials: CREDS }), requestHandler: c.requestHandler });
    await expect(iam.send(new GetUserCommand({}))).rejects.toThrow("not sent");
    await expect(sts.send(new GetCallerIdentityCommand({}))).rejects.toThrow("not sent");
    expect(c.hosts).toEqual(["https://iam.amazonaws.com", "https://sts.us-east-1.amazonaws.com"]);
  });

  it("uses the endpoint the operator gives", async () => {
    const c = capture();
    const iam = new IAMClient({
      ...sdkConfig({ credentials: CREDS, endpoint: "http://127.0.0.1:9" }),
      requestHandler: c.requestHandler,
    });
    await expect(iam.send(new GetUserCommand({}))).rejects.toThrow("not sent");
    expect(c.hosts).toEqual(["http://127.0.0.1:9"]);
  });
});
