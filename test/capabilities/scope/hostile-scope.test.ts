import { describe, expect, it } from "vitest";
import { ScopeCollector, type ScopeOptions } from "../../../src/capabilities/scope/index.js";
import type { ObservedSecret } from "../../../src/capabilities/scope/types.js";
import { makeJwt, NOW, observed } from "./helpers.js";

// Hostile review of step 6 (issue 10): values and configs the agent under audit may have shaped.

async function checks(secrets: ObservedSecret[], opts: ScopeOptions = {}) {
  const c = new ScopeCollector({ now: () => NOW, ...opts });
  for (const s of secrets) c.add(s);
  const r = await c.finish();
  return r.findings.map((f) => [f.ruleId, f.fix?.params?.current, f.location.path]);
}

describe("hostile JWTs", () => {
  it("a service-account token with an exp years ahead is long-lived, not a bound token that dies with its pod", async () => {
    const now = NOW / 1000;
    const sa = (exp: number) =>
      makeJwt({
        iss: "kubernetes/serviceaccount",
        sub: "system:serviceaccount:default:deployer",
        exp,
      });
    const far = observed("jwt", sa(now + 100 * 365 * 24 * 3600));
    const huge = observed("jwt", sa(1e308));
    const bound = observed("jwt", sa(now + 3600));
    expect(await checks([far, huge, bound])).toEqual([
      ["jwt-long-expiry", "long-lived-token", far.location.path],
      ["jwt-long-expiry", "long-lived-token", huge.location.path],
    ]);
  });
  it("an exp that is not a number (string, null, NaN as text) counts as no expiry", async () => {
    const s1 = observed("jwt", makeJwt({ sub: "svc", exp: "99999999999" }));
    const s2 = observed("jwt", makeJwt({ sub: "svc", exp: null }));
    const r = await checks([s1, s2]);
    expect(r).toEqual([
      ["jwt-no-expiry", "no-expiry-token", s1.location.path],
      ["jwt-no-expiry", "no-expiry-token", s2.location.path],
    ]);
  });
});
