import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { cli } from "./helpers/cli.js";
import { tempTree } from "./helpers/tmp.js";

// Regressions from the security review: each input once made a secret reach an output, or made a
// failure pass silently.
const TOKEN = "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";
const PW = "Zx9LEAKurlPw2Qm7Kp";
const cleanups: (() => void)[] = [];
afterAll(() => {
  for (const c of cleanups) c();
});
function tree(files: Record<string, string>) {
  const t = tempTree(files);
  cleanups.push(t.cleanup);
  return t.dir;
}
const json = (r: { stdout: string }) => JSON.parse(r.stdout);

describe("review regressions", () => {
  it("secrets used as keys (registry URLs with passwords, tokens) never appear in location names", async () => {
    const home = tree({
      ".composer/auth.json": JSON.stringify({
        "http-basic": {
          [`https://bob:${PW}@packages.example.com`]: { username: "bob", password: "q8Zr!v2Lp#x9Wm4T" },
        },
        [TOKEN]: { token: "Tz7Kq2Wn9Xr4Vb8Lm3PdTz7K" },
      }),
      ".docker/config.json": JSON.stringify({
        auths: { [`https://alice:${PW}@ghcr.io`]: { identitytoken: "Tz7Kq2Wn9Xr4Vb8Lm3PdQ" } },
      }),
      ".netrc": `machine https://u:${PW}@host.example login u password Tz7Kq2Wn9Xr4Vb8Lm3Pd\n`,
    });
    for (const format of ["json", "table", "markdown"]) {
      const r = await cli([
        "scan",
        "--no-env",
        "--home",
        home,
        "--root",
        home,
        "--sources",
        "home",
        "--format",
        format,
      ]);
      expect(r.code).toBe(1);
      expect(r.stdout).not.toContain(PW);
      expect(r.stdout).not.toContain(TOKEN.slice(4));
    }
    const out = join(home, "bl.json");
    const b = await cli([
      "baseline",
      "--no-env",
      "--home",
      home,
      "--root",
      home,
      "--sources",
      "home",
      "--output",
      out,
    ]);
    expect(b.code).toBe(0);
    const { readFileSync } = await import("node:fs");
    const text = readFileSync(out, "utf8");
    expect(text).not.toContain(PW);
    expect(text).not.toContain(TOKEN.slice(4));
  });

  it("an env pointer holding data instead of a path is never printed", async () => {
    const d = tree({
      env: `GOOGLE_APPLICATION_CREDENTIALS='{"type":"service_account","private_key":"-----BEGIN PRIVATE KEY-----\\nMIIEvgIBADANBgkqhkiG9w0BAQEFAASCBKgwggSkAgEAAoIBAQC7${"Q".repeat(300)}"}'\n`,
    });
    const r = await cli([
      "scan",
      "--environ",
      join(d, "env"),
      "--home",
      d,
      "--root",
      d,
      "--sources",
      "env,home",
      "--format",
      "json",
    ]);
    expect(r.stdout).not.toContain("MIIEvgIBADAN");
    expect(json(r).issues).toEqual([
      {
        where: "$GOOGLE_APPLICATION_CREDENTIALS",
        message: "does not name a file (the value is not a path; not printed)",
      },
    ]);
  });

  it("a file nested 20,000 deep is parsed without a crash (issue 8: the key walks are iterative)", async () => {
    const deep = `${"[".repeat(20000)}${"]".repeat(20000)}`;
    const deepObject = `${'{"a":'.repeat(20000)}1${"}".repeat(20000)}`;
    const root = tree({
      ".mcp.json": `{"mcpServers":{"gh":{"env":{"GITHUB_TOKEN":"${TOKEN}"}}},"x":${deep},"y":${deepObject}}`,
    });
    const r = await cli([
      "scan",
      "--no-env",
      "--home",
      root,
      "--root",
      root,
      "--sources",
      "tree",
      "--format",
      "json",
    ]);
    expect(r.code).toBe(1);
    const report = json(r);
    // The token, and (step 6) its scope finding at the same place.
    expect(report.findings.map((f: { ruleId: string }) => f.ruleId)).toEqual([
      "github-pat-classic",
      "github-classic-pat-broad",
    ]);
    expect(report.findings[0].location).toEqual({ source: "tree", path: ".mcp.json", line: 1 });
    expect(report.findings[1].location).toEqual({ source: "tree", path: ".mcp.json", line: 1 });
    // Issue 16: the MCP server discovery reads configs with a depth limit, and says it could not.
    expect(report.issues).toEqual([
      {
        where: join(root, ".mcp.json"),
        message: "not parsed: nested deeper than 64 levels at line 1, column 157",
      },
    ]);
  });

  it("step 1 is warn, not pass, when part of the tree could not be scanned", async () => {
    const root = tree({
      "big.txt": `${"x".repeat(2000)}\nAWS_SECRET_ACCESS_KEY=kT9vB2xQ7mL4pW8rZ3nY6cF1hJ5dS0gA9eR2tU7i\n`,
    });
    const r = await cli([
      "scan",
      "--no-env",
      "--home",
      root,
      "--root",
      root,
      "--sources",
      "tree",
      "--max-file-size",
      "1k",
      "--format",
      "json",
    ]);
    expect(r.code).toBe(0);
    const step1 = json(r).checklist[0];
    expect(step1.status).toBe("warn");
    expect(step1.summary).toBe(
      "0 findings: none high/critical; but 1 path could not be scanned (see issues), so the inventory may be incomplete",
    );
  });

  it("a URL with a password is a secret in any environment variable", async () => {
    const d = tree({ env: `FOO_URL=https://svc:${PW}@h.example/api\nHOMEPAGE=https://example.com\n` });
    const r = await cli([
      "scan",
      "--environ",
      join(d, "env"),
      "--home",
      d,
      "--root",
      d,
      "--sources",
      "env",
      "--format",
      "json",
    ]);
    expect(r.code).toBe(1);
    expect(
      json(r).findings.map(
        (f: { ruleId: string; location: { name: string } }) => `${f.ruleId} ${f.location.name}`,
      ),
    ).toEqual(["url-credentials FOO_URL"]);
    expect(r.stdout).not.toContain(PW);
  });

  it("commander's own errors do not echo credentials", async () => {
    const r = await cli(["scan", `--proxyy=http://u:${PW}@h:1`]);
    expect(r.code).toBe(2);
    expect(r.stderr).not.toContain(PW);
    expect(r.stderr).toBe("error: unknown option (argument 2)\n");
  });
});

describe("git-credentials with an unencoded @ in the password", () => {
  it("reports the whole password as the secret and only the host as the name", async () => {
    const { parseGitCredentials } = await import("../src/detect/parsers/git-credentials.js");
    const r = parseGitCredentials({
      text: "https://bob:Zx9p@ssLEAK7Qm2Kp@git.example.com/x\n",
      path: ".git-credentials",
    });
    expect(r.detections.map((d) => [d.secret, d.name, d.line])).toEqual([
      ["Zx9p@ssLEAK7Qm2Kp", "git.example.com", 1],
    ]);
  });
});
