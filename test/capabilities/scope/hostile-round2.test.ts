import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ScopeCollector, type ScopeOptions } from "../../../src/capabilities/scope/index.js";
import { MAX_JWT_PAYLOAD } from "../../../src/capabilities/scope/jwt.js";
import type { ObservedSecret } from "../../../src/capabilities/scope/types.js";
import { tempTree } from "../../helpers/tmp.js";
import { makeJwt, NOW, observed } from "./helpers.js";

// Hostile review of step 6, round 2 (issue 10): a token padded past the JWT cap, and kubeconfig and
// ~/.aws/config files the agent made a FIFO or over 1 MiB.

async function judge(secrets: ObservedSecret[], opts: ScopeOptions = {}) {
  const c = new ScopeCollector({ now: () => NOW, ...opts });
  for (const s of secrets) c.add(s);
  return c.finish();
}

describe("a JWT over the 16 KiB cap", () => {
  it("is not judged, and says so in an issue (it was a silent pass)", async () => {
    const padded = makeJwt({ sub: "svc", pad: "x".repeat(MAX_JWT_PAYLOAD) }); // no exp
    const s = observed("jwt", padded, { location: { source: "home", path: ".config/app/token", line: 2 } });
    const r = await judge([s]);
    expect(r.findings).toEqual([]);
    expect(r.issues).toEqual([
      {
        where: ".config/app/token",
        message: "a JWT was not judged for expiry: its header or payload is over 16 KiB",
      },
    ]);
    expect(JSON.stringify(r)).not.toContain(padded.slice(0, 40));
  });
  it("a padded header counts too; a JWT under the cap is judged with no issue", async () => {
    const header = makeJwt({ sub: "svc" }, { alg: "RS256", pad: "y".repeat(MAX_JWT_PAYLOAD) });
    const small = makeJwt({ sub: "svc" });
    const a = observed("jwt", header, {
      location: { source: "tree", path: "deploy/env", line: 1, name: "TOKEN" },
    });
    const b = observed("jwt", small, { location: { source: "tree", path: "deploy/env2", line: 1 } });
    const r = await judge([a, b]);
    expect(r.findings.map((f) => [f.ruleId, f.location.path])).toEqual([["jwt-no-expiry", "deploy/env2"]]);
    expect(r.issues).toEqual([
      {
        where: "deploy/env TOKEN",
        message: "a JWT was not judged for expiry: its header or payload is over 16 KiB",
      },
    ]);
  });
  it("no issue when the JWT checks are switched off", async () => {
    const s = observed("jwt", makeJwt({ pad: "x".repeat(MAX_JWT_PAYLOAD) }));
    const r = await judge([s], {
      disabledRules: new Set(["jwt-no-expiry", "jwt-long-expiry", "kubernetes-sa-token-no-expiry"]),
    });
    expect(r.issues).toEqual([]);
  });
});

describe("kubeconfig and ~/.aws/config the agent shaped", () => {
  const named = () =>
    observed("kubeconfig", "Zq8vLm2XwRt5Yp8Nc7Hk", {
      location: { source: "home", path: ".kube/config", line: 9, name: "users.ops.user.password" },
    });
  const jwtIn = () =>
    observed("jwt", makeJwt({ sub: "x", exp: NOW / 1000 + 600 }), {
      location: { source: "home", path: ".kube/config", line: 3 },
    });
  it("a kubeconfig that is a FIFO: an issue, no hang, no finding", async () => {
    const t = tempTree();
    try {
      mkdirSync(join(t.dir, ".kube"));
      execFileSync("mkfifo", [join(t.dir, ".kube/config")]);
      const r = await judge([jwtIn(), named()], { home: t.dir });
      expect(r.findings).toEqual([]);
      expect(r.issues).toEqual([
        {
          where: ".kube/config",
          message: "not read for step 6 (admin-named kubeconfig users): is a FIFO, not a regular file",
        },
      ]);
    } finally {
      t.cleanup();
    }
  });
  it("a kubeconfig over 1 MiB naming an admin context: an issue, not read", async () => {
    const t = tempTree();
    try {
      mkdirSync(join(t.dir, ".kube"));
      const big = `contexts:\n- name: cluster-admin\n  context: {user: ops}\nusers:\n- name: ops\n  user: {password: Zq8vLm2XwRt5Yp8Nc7Hk}\n# ${"p".repeat(1024 * 1024)}\n`;
      writeFileSync(join(t.dir, ".kube/config"), big);
      const size = Buffer.byteLength(big);
      const r = await judge([named()], { home: t.dir });
      expect(r.findings).toEqual([]);
      expect(r.issues).toEqual([
        {
          where: ".kube/config",
          message: `not read for step 6 (admin-named kubeconfig users): is ${size} bytes, over the 1048576-byte limit`,
        },
      ]);
    } finally {
      t.cleanup();
    }
  });
});
