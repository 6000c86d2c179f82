import { execFileSync } from "node:child_process";
import { chmodSync, mkdirSync, readdirSync, readFileSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defaultRules } from "../../src/rules/catalog.js";
import { cli } from "../helpers/cli.js";
import { tempTree } from "../helpers/tmp.js";

// Issue 9: the installed package was not the checkout. dist/rules-cache.json was not packed (every
// run re-validated the rules), and npm dropped .npmrc, .env, .gitignore and node_modules/ from
// fixtures/demo (an installed `scan --demo` found 39 findings instead of 43). Here `npm pack`'s
// tarball is unpacked the way npm installs it (lib/node_modules/agent-audit, bin/agent-audit a link
// to its bin script); its dependencies are linked from this checkout, so no registry is contacted.
const work = tempTree({}, "aa-package-");
let bin = "";
let pkg = "";
let files: string[] = [];
afterAll(() => work.cleanup());

beforeAll(() => {
  const pack = join(work.dir, "pack");
  mkdirSync(pack);
  const out = execFileSync("npm", ["pack", "--json", "--ignore-scripts", "--pack-destination", pack], {
    cwd: process.cwd(),
    encoding: "utf8",
  });
  files = (JSON.parse(out) as { files: { path: string }[] }[])[0]!.files.map((f) => f.path);
  const tgz = readdirSync(pack).find((f) => f.endsWith(".tgz"))!;
  pkg = join(work.dir, "lib/node_modules/agent-audit");
  mkdirSync(pkg, { recursive: true });
  execFileSync("tar", ["-xzf", join(pack, tgz), "-C", pkg, "--strip-components=1"]);
  symlinkSync(join(process.cwd(), "node_modules"), join(pkg, "node_modules"));
  // The script package.json's bin names (npm links it as bin/agent-audit and makes it executable).
  const manifest = JSON.parse(readFileSync(join(pkg, "package.json"), "utf8")) as {
    bin: Record<string, string>;
  };
  const script = join(pkg, manifest.bin["agent-audit"]!);
  chmodSync(script, 0o755);
  mkdirSync(join(work.dir, "bin"));
  bin = join(work.dir, "bin/agent-audit");
  symlinkSync(script, bin);
}, 60_000);

const run = (args: string[]) =>
  execFileSync(bin, args, { encoding: "utf8", env: { PATH: process.env.PATH ?? "" }, cwd: work.dir });

describe("the installed package (issue 9)", () => {
  it("packs the rules cache and the demo sandbox, not the fixture directory", () => {
    expect(files).toContain("dist/rules-cache.json");
    expect(files).toContain("dist/demo-sandbox.json");
    expect(files.filter((f) => f.startsWith("fixtures/"))).toEqual([]);
    expect(files.filter((f) => f.startsWith("test/") || f.startsWith("src/"))).toEqual([]);
  });

  it("answers the Claude Code hook from the installed binary (the CommonJS fast path)", () => {
    const input = JSON.stringify({ tool_name: "Bash", tool_input: { command: "rm -rf /" }, cwd: work.dir });
    const out = execFileSync(bin, ["gate", "hook", "claude-code", "--no-log"], {
      input,
      encoding: "utf8",
      env: { PATH: process.env.PATH ?? "", HOME: work.dir },
      cwd: work.dir,
    });
    expect(JSON.parse(out).hookSpecificOutput.permissionDecision).toBe("deny");
    expect(files).toContain("dist/src/cli/gate-hook.bundle.cjs");
    expect(files).toContain("dist/src/cli/launch.cjs");
    expect(files).toContain("dist/gate-policy.json");
  });

  it("--help works from the installed binary", () => {
    expect(run(["--help"])).toContain("Usage: agent-audit [options] [command]");
    expect(run(["scan", "--help"])).toContain("--demo");
  });

  it("scan --demo gives the checkout's report: same findings, same issues", async () => {
    const installed = JSON.parse(run(["scan", "--demo", "--exit-zero", "--format", "json"])) as Report;
    const checkout = JSON.parse(
      (await cli(["scan", "--demo", "--exit-zero", "--format", "json"])).stdout,
    ) as Report;
    expect(installed.findings.length).toBe(71);
    // Runtime config findings and their issues name the demo's temporary copy by absolute path:
    // compared with each run's own home and root shown as ~/ and ./.
    expect(installed.findings.map((f) => local(installed, key(f)))).toEqual(
      checkout.findings.map((f) => local(checkout, key(f))),
    );
    expect(local(installed, JSON.stringify(installed.issues))).toEqual(
      local(checkout, JSON.stringify(checkout.issues)),
    );
  }, 60_000);

  it("loads its rules from the packed cache: neither zod nor yaml is loaded", () => {
    const probe = `
      import { createRequire } from "node:module";
      const { defaultRules } = await import(${JSON.stringify(join(pkg, "dist/src/rules/catalog.js"))});
      const rules = defaultRules();
      const loaded = Object.keys(createRequire(import.meta.url).cache);
      console.log(JSON.stringify({
        content: rules.content.length,
        zod: loaded.some((k) => k.includes("/zod/")),
        yaml: loaded.some((k) => k.includes("/yaml/")),
      }));`;
    const r = JSON.parse(
      execFileSync(process.execPath, ["--input-type=module", "-e", probe], {
        encoding: "utf8",
        cwd: work.dir,
      }),
    ) as { content: number; zod: boolean; yaml: boolean };
    expect(r.content).toBe(defaultRules().content.length);
    expect({ zod: r.zod, yaml: r.yaml }).toEqual({ zod: false, yaml: false });
  });
});

/** The text with the report's own home and root shown as ~/ and ./ (they differ from run to run). */
function local(r: Report, text: string): string {
  return text.split(`${r.target.root}/`).join("./").split(`${r.target.home}/`).join("~/");
}

interface Report {
  target: { home: string; root: string };
  findings: { ruleId: string; fingerprint: string; location: unknown }[];
  issues: unknown[];
}
const key = (f: Report["findings"][number]) => `${f.ruleId} ${f.fingerprint} ${JSON.stringify(f.location)}`;
