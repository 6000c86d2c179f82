import { execFileSync } from "node:child_process";
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { inventory } from "../helpers/inventory.js";
import { tempTree } from "../helpers/tmp.js";

// Fake fixture secrets shaped like the real thing; none is a live credential.
const AWS_KEY_ID = "AKIAQ3EGRSXMPL7NBDZW";
const DB_PASSWORD = "q8Zr!v2Lp#x9Wm4TzK";
const CRED = "Tz7Kq2Wn9Xr4Vb8Lm3Pd";
// A JWT-shaped service-account token (header.payload.signature, base64url); the signature is made up.
const SA_TOKEN =
  "eyJhbGciOiJSUzI1NiIsImtpZCI6Im1vY2sifQ.eyJpc3MiOiJrdWJlcm5ldGVzL3NlcnZpY2VhY2NvdW50Iiwic3ViIjoic3lzdGVtOnNlcnZpY2VhY2NvdW50OmRlZmF1bHQ6YWdlbnQifQ.c2lnbmF0dXJlLW5vdC1yZWFsLWJ1dC1sb25nLWVub3VnaA";
const IRSA_TOKEN =
  "eyJhbGciOiJSUzI1NiIsImtpZCI6ImlyIn0.eyJhdWQiOlsic3RzLmFtYXpvbmF3cy5jb20iXSwic3ViIjoic3lzdGVtOnNlcnZpY2VhY2NvdW50OmFpOmFnZW50In0.aXJzYS1zaWduYXR1cmUtbm90LXJlYWw";
const CERT = "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUQm9ndXNDZXJ0\n-----END CERTIFICATE-----\n";

let cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups) c();
  cleanups = [];
});
function sysroot(files: Record<string, string | Buffer>) {
  const t = tempTree(files, "aa-mounts-");
  cleanups.push(t.cleanup);
  return t.dir;
}
const summary = (fs: { ruleId: string; severity: string; location: { path?: string }; secret?: unknown }[]) =>
  fs.map((f) => ({ ruleId: f.ruleId, severity: f.severity, path: f.location.path, secret: f.secret }));

/** The Kubernetes atomic-writer layout: data in ..<timestamp>, a ..data symlink, public names linking into it. */
function kubernetesVolume(root: string, dir: string, files: Record<string, string>) {
  const base = join(root, dir);
  const version = "..2026_11_27_13_00_00.1234567";
  mkdirSync(join(base, version), { recursive: true });
  for (const [name, content] of Object.entries(files)) writeFileSync(join(base, version, name), content);
  symlinkSync(version, join(base, "..data"));
  for (const name of Object.keys(files)) symlinkSync(join("..data", name), join(base, name));
}

describe("mounted secrets source", () => {
  it("reports docker, systemd and Kubernetes secrets at the paths the agent sees", async () => {
    const root = sysroot({
      "run/secrets/db_password": `${DB_PASSWORD}\n`,
      "run/secrets/aws": `aws_access_key_id = ${AWS_KEY_ID}\n`,
      "run/secrets/empty": "",
      "run/secrets/blank": "\n  \n",
      "run/secrets/ca.crt": CERT,
      "run/secrets/bundle.pem": CERT,
      "run/secrets/big": `${"a".repeat(70 * 1024)}\n`,
      "run/credentials/app.service/api-token": CRED,
      "etc/secret-volume/password": `${DB_PASSWORD}\n`,
    });
    kubernetesVolume(root, "var/run/secrets/kubernetes.io/serviceaccount", {
      token: SA_TOKEN,
      "ca.crt": CERT,
      namespace: "agents",
    });
    kubernetesVolume(root, "var/run/secrets/eks.amazonaws.com/serviceaccount", { token: IRSA_TOKEN });
    // A FIFO is never opened: opening one for reading would block the scan forever.
    execFileSync("mkfifo", [join(root, "run/secrets/pipe")]);

    const res = await inventory({ sources: ["mounts"], systemRoot: root });
    // Sorted by severity, source, then path.
    expect(summary(res.findings)).toEqual([
      {
        ruleId: "mounted-secret-file",
        severity: "high",
        path: "/etc/secret-volume/password",
        secret: { provider: "mount", type: "secret-file", preview: "q8Zr…(18)" },
      },
      {
        ruleId: "mounted-secret-file",
        severity: "high",
        path: "/run/credentials/app.service/api-token",
        secret: { provider: "mount", type: "secret-file", preview: "Tz7K…(20)" },
      },
      {
        ruleId: "aws-access-key-id",
        severity: "high",
        path: "/run/secrets/aws",
        secret: { provider: "aws", type: "access-key-id", preview: "AKIA…(20)" },
      },
      {
        ruleId: "mounted-secret-file",
        severity: "high",
        path: "/run/secrets/db_password",
        secret: { provider: "mount", type: "secret-file", preview: "q8Zr…(18)" },
      },
      {
        ruleId: "aws-eks-web-identity-token",
        severity: "high",
        path: "/var/run/secrets/eks.amazonaws.com/serviceaccount/token",
        secret: { provider: "aws", type: "web-identity-token", preview: `eyJh…(${IRSA_TOKEN.length})` },
      },
      {
        ruleId: "kubernetes-service-account-token",
        severity: "high",
        path: "/var/run/secrets/kubernetes.io/serviceaccount/token",
        secret: {
          provider: "kubernetes",
          type: "service-account-token",
          preview: `eyJh…(${SA_TOKEN.length})`,
        },
      },
    ]);
    expect(res.findings.every((f) => f.location.source === "mount")).toBe(true);
    // The FIFO among the secrets is never opened, and said (issue 8).
    expect(res.issues).toEqual([{ where: "/run/secrets/pipe", message: "skipped: a FIFO (never opened)" }]);
    const json = JSON.stringify(res);
    for (const s of [AWS_KEY_ID, DB_PASSWORD, CRED, SA_TOKEN, IRSA_TOKEN]) expect(json).not.toContain(s);
  });

  it("reports a file reached through /var/run -> /run once, under the spelling its rule knows", async () => {
    const root = sysroot({ "run/secrets/db_password": DB_PASSWORD });
    kubernetesVolume(root, "run/secrets/kubernetes.io/serviceaccount", { token: SA_TOKEN, namespace: "x" });
    mkdirSync(join(root, "var"));
    symlinkSync("../run", join(root, "var/run"));
    const res = await inventory({ sources: ["mounts"], systemRoot: root });
    expect(res.findings.map((f) => `${f.ruleId} ${f.location.path}`)).toEqual([
      "mounted-secret-file /run/secrets/db_password",
      "kubernetes-service-account-token /var/run/secrets/kubernetes.io/serviceaccount/token",
    ]);
  });

  it("follows CREDENTIALS_DIRECTORY and never leaves the system root through a symlink", async () => {
    const outside = sysroot({ "elsewhere.txt": CRED, "secrets/leak": CRED });
    const root = sysroot({ "srv/creds/token": CRED });
    mkdirSync(join(root, "run/secrets"), { recursive: true });
    symlinkSync(join(outside, "elsewhere.txt"), join(root, "run/secrets/escape"));
    // An absolute /var/run symlink, as in an unpacked image: it must not lead to this machine's /run.
    mkdirSync(join(root, "var"));
    symlinkSync(outside, join(root, "var/run"));
    const res = await inventory({
      sources: ["mounts"],
      systemRoot: root,
      env: { CREDENTIALS_DIRECTORY: "/srv/creds" },
    });
    expect(res.findings.map((f) => `${f.ruleId} ${f.location.path}`)).toEqual([
      "mounted-secret-file /srv/creds/token",
    ]);
    expect(res.issues).toEqual([
      { where: "/run/secrets/escape", message: "skipped: a symlink leads outside --system-root" },
      { where: "/var/run/secrets", message: "skipped: a symlink leads outside --system-root" },
    ]);
  });

  it("reports nothing when no secret mount exists", async () => {
    const root = sysroot({ "etc/hostname": "box\n" });
    const res = await inventory({ sources: ["mounts"], systemRoot: root });
    expect(res.findings).toEqual([]);
    expect(res.issues).toEqual([]);
  });
});

describe("special files in a secret mount (issue 8)", () => {
  it("a FIFO or a device link where a secret file belongs is an issue, never opened", async () => {
    const root = sysroot({ "run/secrets/db_password": "Zq8vLm2Xw7Rt5Yp8\n" });
    execFileSync("mkfifo", [join(root, "run/secrets/api_token")]);
    symlinkSync("/dev/zero", join(root, "run/secrets/zero"));
    const res = await inventory({ sources: ["mounts"], systemRoot: root });
    expect(res.findings.map((f) => `${f.ruleId} ${f.location.path}`)).toEqual([
      "mounted-secret-file /run/secrets/db_password",
    ]);
    expect(res.issues).toEqual([
      { where: "/run/secrets/api_token", message: "skipped: a FIFO (never opened)" },
      { where: "/run/secrets/zero", message: "skipped: a symlink leads outside --system-root" },
    ]);
  });
});
