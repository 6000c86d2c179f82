import { afterEach, describe, expect, it } from "vitest";
import { inventory } from "../helpers/inventory.js";
import { tempTree } from "../helpers/tmp.js";

// Review of 6f6c14c (listAll: `baseline` lists every finding, no cap of 100 per rule and file):
// the Lister lists all of them, but capIssues() still reports "N findings: the first 100 are
// listed, N - 100 more are counted here only" for the file, so `agent-audit baseline` says "the
// scan reported 1 issue (paths skipped or not read)" although nothing was skipped and every finding
// was written to the baseline.

let cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups) c();
  cleanups = [];
});

/** Fake AWS access key ids built at run time from a seeded generator (never a real key). */
function keyIds(n: number): string[] {
  let s = 5;
  const A = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  const out: string[] = [];
  for (let k = 0; k < n; k++) {
    let id = "AK" + "IA";
    for (let i = 0; i < 16; i++) {
      s ^= s << 13;
      s >>>= 0;
      s ^= s >>> 17;
      s ^= s << 5;
      s >>>= 0;
      id += A[s % 32];
    }
    out.push(id);
  }
  return out;
}

describe("listing cap with listAll (review)", () => {
  it("lists all 130 findings of a file and reports no cap issue", async () => {
    const t = tempTree(
      {
        "keys.cfg": keyIds(130)
          .map((k) => `AWS=${k}`)
          .join("\n"),
      },
      "aa-listall-review-",
    );
    cleanups.push(t.cleanup);
    const res = await inventory({ sources: ["tree"], root: t.dir, listAll: true });
    expect(res.findings.filter((f) => f.ruleId === "aws-access-key-id")).toHaveLength(130);
    expect(res.issues).toEqual([]);
  });

  it("without listAll, the same file lists 100 and counts 30 in one issue", async () => {
    const t = tempTree(
      {
        "keys.cfg": keyIds(130)
          .map((k) => `AWS=${k}`)
          .join("\n"),
      },
      "aa-listall-review-",
    );
    cleanups.push(t.cleanup);
    const res = await inventory({ sources: ["tree"], root: t.dir });
    expect(res.findings.filter((f) => f.ruleId === "aws-access-key-id")).toHaveLength(100);
    expect(res.issues.map((i) => i.message)).toEqual([
      "130 aws-access-key-id findings: the first 100 are listed, 30 more are counted here only",
    ]);
  });
});
