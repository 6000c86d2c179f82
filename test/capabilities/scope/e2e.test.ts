import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { InventoryResult } from "../../../src/capabilities/inventory/index.js";
import { ScopeCollector, type ScopeResult } from "../../../src/capabilities/scope/index.js";
import { inventory } from "../../helpers/inventory.js";
import { tempTree } from "../../helpers/tmp.js";
import { awsKeyId, awsSecretKey, githubToken, legacySaToken, makeJwt, NOW, opensshKey } from "./helpers.js";

// Step 6 end to end: the inventory over a temp home hands every listed secret to the collector
// (ScanOptions.onListed); the collector's findings, issues and verdict are exact.

const SECRETS = {
  akia: awsKeyId("AKIA", 101),
  akiaSecret: awsSecretKey(101),
  asia: awsKeyId("ASIA", 102),
  asiaSecret: awsSecretKey(102),
  asiaSession: `IQoJb3JpZ2luX2VjE${"Lm2XwRt5Yp8Nc7Hk".repeat(8)}`,
  ghp: githubToken("ghp", 103),
  saToken: legacySaToken("deployer"),
  boundToken: makeJwt({
    iss: "https://kubernetes.default.svc.cluster.local",
    sub: "system:serviceaccount:agents:runner",
    exp: NOW / 1000 + 3600,
  }),
  kubePassword: "Zq8vLm2XwRt5Yp8Nc7Hk",
  sshKey: opensshKey("none", 104),
  sshKeyEncrypted: opensshKey("aes256-ctr", 105),
};

const FILES = {
  ".aws/credentials": [
    "[default]",
    `aws_access_key_id = ${SECRETS.akia}`,
    `aws_secret_access_key = ${SECRETS.akiaSecret}`,
    "",
    "[session]",
    `aws_access_key_id = ${SECRETS.asia}`,
    `aws_secret_access_key = ${SECRETS.asiaSecret}`,
    `aws_session_token = ${SECRETS.asiaSession}`,
    "",
  ].join("\n"),
  ".aws/config": [
    "[default]",
    "region = us-east-1",
    "[profile admin]",
    "role_arn = arn:aws:iam::123456789012:role/OrganizationAccountAccessRole",
    "source_profile = default",
    "",
  ].join("\n"),
  ".bashrc": `export PATH="$HOME/bin:$PATH"\nexport GITHUB_TOKEN=${SECRETS.ghp}\n`,
  ".kube/config": [
    "apiVersion: v1",
    "kind: Config",
    "users:",
    "- name: deployer",
    "  user:",
    `    token: ${SECRETS.saToken}`,
    "- name: runner",
    "  user:",
    `    token: ${SECRETS.boundToken}`,
    "- name: staging-admin",
    "  user:",
    `    password: ${SECRETS.kubePassword}`,
    "",
  ].join("\n"),
  ".ssh/id_ed25519": SECRETS.sshKey,
  ".ssh/id_deploy": SECRETS.sshKeyEncrypted,
};

let inv: InventoryResult;
let scope: ScopeResult;
let listed: string[];
let cleanup: () => void;

beforeAll(async () => {
  const t = tempTree(FILES);
  cleanup = t.cleanup;
  const collector = new ScopeCollector({ home: t.dir, now: () => NOW });
  listed = [];
  inv = await inventory({
    sources: ["home"],
    home: t.dir,
    onListed: (d, f) => {
      listed.push(f.fingerprint);
      collector.onListed(d, f);
    },
  });
  scope = await collector.finish();
});
afterAll(() => cleanup());

describe("step 6 over a home (inventory -> onListed -> ScopeCollector)", () => {
  it("reports exactly the long-lived and broad credentials, each at its secret's place", () => {
    expect(
      scope.findings.map((f) => [
        f.ruleId,
        f.severity,
        f.location.path,
        f.location.line,
        f.location.name ?? "",
      ]),
    ).toEqual([
      ["aws-admin-role-profile", "high", ".aws/credentials", 2, ""],
      ["aws-long-lived-access-key", "high", ".aws/credentials", 2, ""],
      ["github-classic-pat-broad", "high", ".bashrc", 2, ""],
      // The kubeconfig user token is the parser's finding, with its key path (issue 15: structural verdicts first).
      ["kubernetes-sa-token-no-expiry", "high", ".kube/config", 6, "users.deployer.user.token"],
      ["kubernetes-admin-user", "high", ".kube/config", 12, "users.staging-admin.user.password"],
      ["private-key-unencrypted", "high", ".ssh/id_ed25519", 1, "OPENSSH PRIVATE KEY"],
    ]);
    expect(
      scope.findings.every((f) => f.kind === "scope" && f.control === "credential-scope" && !f.accepted),
    ).toBe(true);
    expect(scope.issues).toEqual([]);
  });

  it("hears of every finding the inventory lists, once", () => {
    expect(listed.sort()).toEqual(inv.findings.map((f) => f.fingerprint).sort());
    expect(listed.length).toBe(11);
  });

  it("hears nothing of a rule the config disables; a value a generic rule lists instead is still judged", async () => {
    const t = tempTree(FILES);
    try {
      const heard: string[] = [];
      const collector = new ScopeCollector({ home: t.dir, now: () => NOW });
      await inventory({
        sources: ["home"],
        home: t.dir,
        disabledRules: new Set(["github-pat-classic", "github-token"]),
        onListed: (d, f) => {
          heard.push(d.ruleId);
          collector.onListed(d, f);
        },
      });
      expect(heard.filter((id) => id.startsWith("github"))).toEqual([]);
      const r = await collector.finish();
      expect(
        r.findings.filter((f) => f.location.path === ".bashrc").map((f) => [f.ruleId, f.location.line]),
      ).toEqual([["github-classic-pat-broad", 2]]);
    } finally {
      t.cleanup();
    }
  });

  it("judges every secret the inventory listed, each under its inventory finding", () => {
    // Each scope finding sits where an inventory finding of the same place is.
    const places = new Set(inv.findings.map((f) => `${f.location.path}:${f.location.line}`));
    expect(scope.findings.filter((f) => !places.has(`${f.location.path}:${f.location.line}`))).toEqual([]);
    expect(inv.findings.length).toBe(11);
  });

  it("fails step 6 with the high-risk findings as evidence", () => {
    expect(scope.step).toEqual({
      status: "fail",
      summary:
        "6 high-risk credential scope findings (long-lived or broad) not in the accepted inventory; 11 credentials judged",
      evidence: scope.findings.map((f) => f.fingerprint),
    });
  });

  it("passes once the baseline accepts every scope finding", async () => {
    const t = tempTree(FILES);
    try {
      const collector = new ScopeCollector({
        home: t.dir,
        now: () => NOW,
        accepted: new Set(scope.findings.map((f) => f.fingerprint)),
      });
      await inventory({ sources: ["home"], home: t.dir, onListed: collector.onListed });
      const again = await collector.finish();
      // Fingerprints do not depend on the temp home's path.
      expect(again.findings.map((f) => [f.fingerprint, f.accepted])).toEqual(
        scope.findings.map((f) => [f.fingerprint, true]),
      );
      expect(again.step).toEqual({
        status: "pass",
        summary: "11 credentials judged: none found long-lived or broad (6 accepted in the baseline)",
        evidence: [],
      });
    } finally {
      t.cleanup();
    }
  });

  it("never lets a raw value (or a claim of a token) into findings, issues or the step", () => {
    const out = JSON.stringify({ findings: scope.findings, issues: scope.issues, step: scope.step });
    const leaks: string[] = [];
    for (const [name, secret] of Object.entries(SECRETS)) {
      // A key's armour lines (-----BEGIN OPENSSH PRIVATE KEY-----) are its label, not its value.
      const value = secret.replace(/-----(BEGIN|END) [A-Z ]+-----/g, "");
      for (let i = 4; i + 8 <= value.length; i++) if (out.includes(value.slice(i, i + 8))) leaks.push(name);
    }
    expect([...new Set(leaks)]).toEqual([]);
    for (const claim of [
      "deployer-token-x7k2p",
      "system:serviceaccount",
      "123456789012",
      "OrganizationAccountAccessRole",
    ])
      expect(out).not.toContain(claim);
  });
});
