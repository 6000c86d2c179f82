import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  BASELINE_NOTE,
  type Baseline,
  buildBaseline,
  displayPath,
  parseBaseline,
  pruneBaseline,
  readBaseline,
  serializeBaseline,
  staleEntries,
  staleIssues,
  writeBaseline,
} from "../../src/config/baseline.js";
import type { Finding } from "../../src/contract/types.js";

const FP = (n: number) => n.toString(16).padStart(24, "0");

function finding(n: number, location: Finding["location"], ruleId = "github-pat-classic"): Finding {
  return {
    fingerprint: FP(n),
    ruleId,
    control: "secret-inventory",
    kind: "secret",
    severity: "critical",
    title: "t",
    remediation: "r",
    location,
    secret: { provider: "github", type: "personal-access-token", preview: "ghp_…(40)" },
    accepted: false,
  };
}

const findings = [
  finding(3, { source: "tree", path: "b.env", line: 7 }),
  finding(1, { source: "env", name: "GITHUB_TOKEN" }),
  finding(2, { source: "tree", path: "a.env", line: 1 }),
  finding(4, { source: "home", path: ".aws/credentials", line: 2 }, "aws-access-key-id"),
];

describe("buildBaseline", () => {
  it("keeps fingerprint, rule and location without the line, in a deterministic order", () => {
    expect(buildBaseline(findings)).toEqual({
      schemaVersion: 1,
      note: BASELINE_NOTE,
      entries: [
        {
          fingerprint: FP(1),
          ruleId: "github-pat-classic",
          location: { source: "env", name: "GITHUB_TOKEN" },
          reason: "",
        },
        {
          fingerprint: FP(4),
          ruleId: "aws-access-key-id",
          location: { source: "home", path: ".aws/credentials" },
          reason: "",
        },
        {
          fingerprint: FP(2),
          ruleId: "github-pat-classic",
          location: { source: "tree", path: "a.env" },
          reason: "",
        },
        {
          fingerprint: FP(3),
          ruleId: "github-pat-classic",
          location: { source: "tree", path: "b.env" },
          reason: "",
        },
      ],
    });
    expect(buildBaseline([...findings].reverse())).toEqual(buildBaseline(findings));
  });

  it("carries reasons over for fingerprints that still match and drops the rest", () => {
    const previous: Baseline = {
      schemaVersion: 1,
      entries: [
        {
          fingerprint: FP(2),
          ruleId: "github-pat-classic",
          location: { source: "tree", path: "a.env" },
          reason: "test fixture",
        },
        {
          fingerprint: FP(9),
          ruleId: "github-pat-classic",
          location: { source: "tree", path: "gone.env" },
          reason: "old",
        },
      ],
    };
    const next = buildBaseline(findings, previous);
    expect(next.entries.map((e) => [e.fingerprint, e.reason])).toEqual([
      [FP(1), ""],
      [FP(4), ""],
      [FP(2), "test fixture"],
      [FP(3), ""],
    ]);
  });

  it("keeps, as they are, the previous entries this run could not see", () => {
    const previous: Baseline = {
      schemaVersion: 1,
      entries: [
        {
          fingerprint: FP(1),
          ruleId: "github-pat-classic",
          location: { source: "env", name: "GITHUB_TOKEN" },
          reason: "ci",
        },
        {
          fingerprint: FP(7),
          ruleId: "egress-proxy-missing",
          location: { source: "probe", target: "proxy" },
          reason: "tracked",
        },
        {
          fingerprint: FP(9),
          ruleId: "github-pat-classic",
          location: { source: "tree", path: "gone.env" },
          reason: "old",
        },
      ],
    };
    // --no-env, no probes: the env and egress entries stay; the tree entry is gone with its secret.
    const next = buildBaseline([findings[0]!], previous, { ran: new Set(["tree", "home"]), probed: false });
    expect(next.entries.map((e) => [e.fingerprint, e.reason])).toEqual([
      [FP(1), "ci"],
      [FP(7), "tracked"],
      [FP(3), ""],
    ]);
    // With every source and the probes, only current findings remain.
    const all = buildBaseline([findings[0]!], previous, {
      ran: new Set(["env", "home", "tree"]),
      probed: true,
    });
    expect(all.entries.map((e) => e.fingerprint)).toEqual([FP(3)]);
  });

  it("writes one entry per fingerprint", () => {
    expect(buildBaseline([findings[0]!, findings[0]!]).entries.length).toBe(1);
  });
});

describe("serializeBaseline / parseBaseline", () => {
  it("round-trips, with a fixed key order and no line, preview or value", () => {
    const text = serializeBaseline(buildBaseline(findings));
    expect(parseBaseline(text, "b.json")).toEqual(buildBaseline(findings));
    expect(Object.keys(JSON.parse(text))).toEqual(["schemaVersion", "note", "entries"]);
    expect(Object.keys(JSON.parse(text).entries[0])).toEqual(["fingerprint", "ruleId", "location", "reason"]);
    expect(text).not.toMatch(/"line"|"preview"|ghp_/);
    expect(text.endsWith("}\n")).toBe(true);
  });

  it("fills a missing reason with the empty string", () => {
    const text = JSON.stringify({
      schemaVersion: 1,
      entries: [{ fingerprint: FP(1), ruleId: "r", location: { source: "env", name: "X" } }],
    });
    expect(parseBaseline(text, "b.json").entries[0]!.reason).toBe("");
  });

  const bad: [string, string][] = [
    ["{", "invalid baseline b.json: not valid JSON (line 1, column 2)"],
    ["[]", "invalid baseline b.json: (root): Invalid input: expected object, received array"],
    [
      JSON.stringify({ schemaVersion: 2, entries: [] }),
      "invalid baseline b.json: schemaVersion: Invalid input: expected 1",
    ],
    [
      JSON.stringify({
        schemaVersion: 1,
        entries: [{ fingerprint: "xyz", ruleId: "r", location: { source: "env" }, reason: "" }],
      }),
      "invalid baseline b.json: entries.0.fingerprint: must be 24 lowercase hex characters",
    ],
    [
      JSON.stringify({
        schemaVersion: 1,
        entries: [{ fingerprint: FP(1), ruleId: "R", location: { source: "disk" }, reason: 3 }],
      }),
      "invalid baseline b.json: entries.0.ruleId: must be a kebab-case rule id (and 2 more)",
    ],
    [
      JSON.stringify({ schemaVersion: 1, entries: [], extra: true }),
      'invalid baseline b.json: (root): unknown key "extra"',
    ],
    [
      JSON.stringify({
        schemaVersion: 1,
        entries: [
          { fingerprint: FP(1), ruleId: "r", location: { source: "env" }, reason: "" },
          { fingerprint: FP(1), ruleId: "r", location: { source: "env" }, reason: "" },
        ],
      }),
      "invalid baseline b.json: entries.1.fingerprint: duplicate of an earlier entry",
    ],
  ];
  for (const [text, message] of bad) {
    it(`rejects ${text.slice(0, 50)}`, () => {
      expect(() => parseBaseline(text, "b.json")).toThrow(message);
      try {
        parseBaseline(text, "b.json");
      } catch (e) {
        expect((e as Error).message).toBe(message);
        expect((e as Error).name).toBe("UsageError");
      }
    });
  }

  it("names the position of a JSON syntax error without quoting the text", () => {
    const secret = "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";
    let message = "";
    try {
      parseBaseline(`{\n  "schemaVersion": 1,\n  ${secret}\n}`, "b.json");
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/^invalid baseline b\.json: not valid JSON( \(line 3, column \d+\))?$/);
    expect(message).not.toContain(secret.slice(4));
  });
});

describe("readBaseline / writeBaseline", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "aa-baseline-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("treats a missing file as no baseline, unless it is required", async () => {
    const path = join(dir, "none.json");
    expect(await readBaseline(path)).toBeUndefined();
    await expect(readBaseline(path, { required: true })).rejects.toThrow(`--baseline ${path}: no such file`);
  });

  it("writes atomically, leaving no temporary file, and reads back what it wrote", async () => {
    const path = join(dir, ".agent-audit-baseline.json");
    writeFileSync(path, "old");
    const b = buildBaseline(findings);
    await writeBaseline(path, b);
    expect(readdirSync(dir)).toEqual([".agent-audit-baseline.json"]);
    expect(readFileSync(path, "utf8")).toBe(serializeBaseline(b));
    expect(await readBaseline(path)).toEqual(b);
  });

  it("reports a write into a missing directory as a usage error and leaves nothing behind", async () => {
    const path = join(dir, "missing", "b.json");
    await expect(writeBaseline(path, buildBaseline([]))).rejects.toThrow(
      `cannot write baseline ${path}: no such file or directory (ENOENT)`,
    );
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe("stale entries", () => {
  const baseline = buildBaseline(findings);

  it("are entries matching no finding, judged only for sources that ran", () => {
    const now = [findings[1]!]; // only the env finding remains
    expect(staleEntries(baseline, now, new Set(["env", "home", "tree"])).map((e) => e.fingerprint)).toEqual([
      FP(4),
      FP(2),
      FP(3),
    ]);
    // --sources tree: the home entry could not have been seen, so it is not stale.
    expect(staleEntries(baseline, now, new Set(["tree"])).map((e) => e.fingerprint)).toEqual([FP(2), FP(3)]);
    // --no-env: the env entry is not stale either.
    expect(staleEntries(baseline, [], new Set(["home"])).map((e) => e.fingerprint)).toEqual([FP(4)]);
    expect(staleEntries(baseline, findings, new Set(["env", "home", "tree"]))).toEqual([]);
  });

  it("never judges entries from sources outside the inventory", () => {
    const b: Baseline = {
      schemaVersion: 1,
      entries: [
        { fingerprint: FP(7), ruleId: "x", location: { source: "probe", target: "1.1.1.1:53" }, reason: "" },
      ],
    };
    expect(staleEntries(b, [], new Set(["env", "home", "tree", "mounts", "sockets", "processes"]))).toEqual(
      [],
    );
    // Egress entries are judged only when the probes ran.
    expect(staleEntries(b, [], new Set(["tree"]), true).map((e) => e.fingerprint)).toEqual([FP(7)]);
  });

  it("become one issue each, and are what pruning removes", () => {
    const stale = staleEntries(baseline, [findings[1]!], new Set(["env", "tree"]));
    expect(staleIssues(stale, ".agent-audit-baseline.json")).toEqual([
      {
        where: ".agent-audit-baseline.json",
        message:
          "stale baseline entry github-pat-classic at tree:a.env: no longer found (run scan --update-baseline to prune)",
      },
      {
        where: ".agent-audit-baseline.json",
        message:
          "stale baseline entry github-pat-classic at tree:b.env: no longer found (run scan --update-baseline to prune)",
      },
    ]);
    expect(pruneBaseline(baseline, stale).entries.map((e) => e.fingerprint)).toEqual([FP(1), FP(4)]);
  });
});

describe("displayPath", () => {
  it("is relative inside the root and absolute outside it", () => {
    expect(displayPath("/r/.agent-audit-baseline.json", "/r")).toBe(".agent-audit-baseline.json");
    expect(displayPath("/r/ci/b.json", "/r")).toBe("ci/b.json");
    expect(displayPath("/elsewhere/b.json", "/r")).toBe("/elsewhere/b.json");
  });
});
