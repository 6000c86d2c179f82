import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { tempTree } from "../helpers/tmp.js";

// Issue 9: `agent-audit <cmd>` imports only that command's module (the gate hook will run on every
// tool call and cannot afford to load the scanner). The built CLI runs with a resolve hook that
// records every module of ours the process loads; the test asserts which command modules and
// which layers were loaded. The installed binary (bin.js) runs the program from the build's bundle
// (scripts/bundle-cli.mjs, issue 15), whose chunks keep the commands apart as the modules do: the
// modules are checked through the program's own entry (main.js, which bin.js loads when there is
// no bundle), the chunks through bin.js.
const bin = join(process.cwd(), "dist/src/cli/bin.js");
const modulesEntry = join(process.cwd(), "dist/src/cli/main.js");
const DIST = join(process.cwd(), "dist/src/");
const HOOK = `
import { register } from "node:module";
import { MessageChannel } from "node:worker_threads";
const seen = new Set();
const { port1, port2 } = new MessageChannel();
port1.on("message", (s) => seen.add(s));
port1.unref();
register(
  "data:text/javascript," +
    encodeURIComponent(
      "let port; export function initialize(d) { port = d.port; }" +
        "export async function resolve(s, c, next) { const r = await next(s, c); port.postMessage(r.url); return r; }",
    ),
  { data: { port: port2 }, transferList: [port2] },
);
process.on("exit", () => process.stderr.write("LOADED " + JSON.stringify([...seen]) + "\\n"));
`;
const t = tempTree({ "hook.mjs": HOOK });
afterAll(() => t.cleanup());

/** Our modules (paths under dist/src/, sorted) that `agent-audit ...args` loaded (from `entry`). */
function loaded(args: string[], entry = modulesEntry): string[] {
  const r = spawnSync(process.execPath, ["--import", join(t.dir, "hook.mjs"), entry, ...args], {
    encoding: "utf8",
    env: { PATH: process.env.PATH ?? "" },
  });
  expect(r.status).toBe(0);
  const line = r.stderr.split("\n").find((l) => l.startsWith("LOADED "));
  const urls = JSON.parse(line!.slice("LOADED ".length)) as string[];
  return urls
    .filter((u) => u.startsWith(`file://${DIST}`))
    .map((u) => u.slice(`file://${DIST}`.length))
    .sort();
}

const commandModules = (mods: string[]) => mods.filter((m) => /^cli\/(scan|probe|baseline)\.js$/.test(m));
const layers = (mods: string[]) => [...new Set(mods.map((m) => m.split("/")[0]))].sort();

describe("each command loads only its own module (issue 9)", () => {
  it("--version and --help load no command and nothing of the scanner", () => {
    for (const args of [["--version"], ["--help"]]) {
      const mods = loaded(args);
      expect(commandModules(mods)).toEqual([]);
      // The program, the output boundary (redaction needs the rules) and the bottom layers only.
      expect(layers(mods)).toEqual(["cli", "contract", "detect", "rules", "util"]);
      expect(mods.filter((m) => m.startsWith("detect/parsers/") || m.startsWith("sources/"))).toEqual([]);
    }
  });

  it("`probe --help` loads the probe command alone; `baseline --help` the baseline command alone", () => {
    expect(commandModules(loaded(["probe", "--help"]))).toEqual(["cli/probe.js"]);
    expect(commandModules(loaded(["baseline", "--help"]))).toEqual(["cli/baseline.js"]);
    expect(commandModules(loaded(["help", "scan"]))).toEqual(["cli/scan.js"]);
  });

  it("the bundle's chunks keep the commands apart: a command's chunk loads with that command alone", () => {
    const commandChunks = (mods: string[]) =>
      mods.filter((m) => /^bundle\/(scan|probe|baseline)-[A-Z0-9]+\.js$/.test(m)).map((m) => m.split("-")[0]);
    const version = loaded(["--version"], bin);
    // The program ran from the bundle, not from the separate modules.
    expect(version.filter((m) => !m.startsWith("bundle/"))).toEqual(["cli/bin.js", "cli/gate-hook-args.js"]);
    expect(version).toContain("bundle/main.js");
    expect(commandChunks(version)).toEqual([]);
    expect(commandChunks(loaded(["probe", "--help"], bin))).toEqual(["bundle/probe"]);
    expect(commandChunks(loaded(["baseline", "--help"], bin))).toEqual(["bundle/baseline"]);
    expect(commandChunks(loaded(["help", "scan"], bin))).toEqual(["bundle/scan"]);
    // --help loads no scanner code: the scan worker's entry is loaded by none of these.
    expect(loaded(["--help"], bin)).not.toContain("bundle/scan-worker.js");
  });

  it("`scan --help` lists every option of scan, `--help` lists every command", () => {
    const help = spawnSync(process.execPath, [bin, "--help"], { encoding: "utf8" }).stdout;
    for (const name of ["scan", "probe", "baseline"]) expect(help).toMatch(new RegExp(`^  ${name} `, "m"));
    const scanHelp = spawnSync(process.execPath, [bin, "scan", "--help"], { encoding: "utf8" }).stdout;
    for (const flag of ["--demo", "--environ", "--fail-on", "--canary", "--update-baseline", "--workers"]) {
      expect(scanHelp).toContain(flag);
    }
  });

  it("`gate hook claude-code` loads only the gate (no commander, no scanner); the redactor only when it logs (issue 11)", () => {
    const hookLoads = (command: string, args: string[]) => {
      const input = JSON.stringify({
        hook_event_name: "PreToolUse",
        tool_name: "Bash",
        cwd: "/home/agent/project",
        tool_input: { command },
      });
      const r = spawnSync(
        process.execPath,
        ["--import", join(t.dir, "hook.mjs"), bin, "gate", "hook", "claude-code", ...args],
        { input, encoding: "utf8", env: { PATH: process.env.PATH ?? "", HOME: t.dir } },
      );
      expect(r.status).toBe(0);
      const line = r.stderr.split("\n").find((l) => l.startsWith("LOADED "));
      const urls = JSON.parse(line!.slice("LOADED ".length)) as string[];
      // Nothing from node_modules (commander, zod, yaml): the hook loads only node: builtins and ours.
      expect(urls.filter((u) => !u.startsWith("node:") && !u.startsWith(`file://${DIST}`))).toEqual([]);
      return urls
        .filter((u) => u.startsWith(`file://${DIST}`))
        .map((u) => u.slice(`file://${DIST}`.length))
        .sort();
    };
    // The build joins the hook's modules into one file (scripts/bundle-hook.mjs).
    const gateOnly = ["cli/bin.js", "cli/gate-hook-args.js", "cli/gate-hook.bundle.js"];
    const allowed = (m: string) => gateOnly.includes(m);
    // An allowed command and a denied one without a log: the gate alone.
    for (const [command, args] of [
      ["npm test", []],
      ["rm -rf /", ["--no-log"]],
    ] as const) {
      const mods = hookLoads(command, [...args]);
      expect(mods.filter((m) => !allowed(m))).toEqual([]);
      expect(mods).toEqual(gateOnly);
    }
    // A logged decision adds the redactor (detect/ with the rules it needs), never sources/ or commander.
    const logged = hookLoads("rm -rf /", ["--log", join(t.dir, "decisions.jsonl")]);
    expect(logged).toContain("detect/redact.js");
    expect(layers(logged)).toEqual(["cli", "contract", "detect", "rules", "util"]);
    expect(logged.filter((m) => m.startsWith("sources/") || m.startsWith("detect/parsers/"))).toEqual([]);
    expect(logged.filter((m) => m.startsWith("cli/"))).toEqual([
      "cli/bin.js",
      "cli/gate-hook-args.js",
      "cli/gate-hook.bundle.js",
    ]);
  });
});
