import { readdirSync, readFileSync } from "node:fs";
import { join, posix } from "node:path";
import { describe, expect, it } from "vitest";

// Issue 9: the layered layout and its import rule (README, "Layout"). Every file under src/ may
// import only from its own layer and the layers this table allows; a capability never imports
// another capability; only the CLI imports commander. The test reads every import (static,
// `export ... from` and dynamic `import("...")`) and names the file and the import that break it.

const ALLOWED: Record<string, readonly string[]> = {
  cli: [
    "app",
    "capabilities",
    "fix",
    "report",
    "render",
    "config",
    "detect",
    "sources",
    "rules",
    "contract",
    "util",
  ],
  app: [
    "capabilities",
    "fix",
    "report",
    "render",
    "config",
    "detect",
    "sources",
    "rules",
    "contract",
    "util",
  ],
  capabilities: ["detect", "sources", "rules", "contract", "util"],
  fix: ["detect", "sources", "rules", "contract", "util"],
  config: ["detect", "sources", "rules", "contract", "util"],
  report: ["contract", "util"],
  render: ["contract", "util"],
  sources: ["detect", "rules", "contract", "util"],
  detect: ["rules", "contract", "util"],
  rules: ["contract", "util"],
  contract: ["util"],
  util: [],
};
const CLI_ONLY_PACKAGES = new Set(["commander"]);

const SRC = join(process.cwd(), "src");

function sourceFiles(dir = SRC, rel = ""): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...sourceFiles(join(dir, e.name), r));
    else if (e.name.endsWith(".ts")) out.push(r);
  }
  return out.sort();
}

/** Every module specifier a file imports: `import ... from`, `export ... from`, `import("...")`. */
function importsOf(text: string): string[] {
  const specs: string[] = [];
  const re = /(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)(["'])([^"'\n]+)\1/gm;
  for (let m = re.exec(text); m; m = re.exec(text)) specs.push(m[2]!);
  return specs;
}

/** The layer of a path under src/: its first folder, or `capabilities/<name>` for a capability. */
function layerOf(rel: string): string {
  const parts = rel.split("/");
  return parts[0] === "capabilities" && parts.length > 2 ? `capabilities/${parts[1]}` : parts[0]!;
}

function violation(file: string, spec: string): string | undefined {
  const from = layerOf(file);
  const fromTop = from.split("/")[0]!;
  if (!spec.startsWith(".")) {
    const pkg = spec.startsWith("@") ? spec.split("/").slice(0, 2).join("/") : spec.split("/")[0]!;
    return CLI_ONLY_PACKAGES.has(pkg) && fromTop !== "cli"
      ? `${file}: imports ${spec} (only src/cli may)`
      : undefined;
  }
  const target = posix.normalize(posix.join(posix.dirname(file), spec));
  if (target.startsWith("..")) return `${file}: imports ${spec}, outside src/`;
  const to = layerOf(target);
  if (!(to.split("/")[0]! in ALLOWED)) return `${file}: imports ${spec}, in no layer (${to})`;
  if (to === from) return undefined;
  const toTop = to.split("/")[0]!;
  if (fromTop === "capabilities" && toTop === "capabilities") {
    return `${file}: imports ${spec} (a capability never imports another capability)`;
  }
  if (toTop === fromTop && fromTop !== "capabilities") return undefined;
  return ALLOWED[fromTop]!.includes(toTop)
    ? undefined
    : `${file}: imports ${spec} (${fromTop} may not import ${toTop})`;
}

describe("the import rule (issue 9)", () => {
  const files = sourceFiles();

  it("every file under src/ is in a layer", () => {
    expect(files.filter((f) => !(layerOf(f).split("/")[0]! in ALLOWED))).toEqual([]);
  });

  it("no file imports against the rule", () => {
    const bad: string[] = [];
    for (const f of files) {
      for (const spec of importsOf(readFileSync(join(SRC, f), "utf8"))) {
        const v = violation(f, spec);
        if (v) bad.push(v);
      }
    }
    expect(bad).toEqual([]);
  });

  it("names the file and the import that break the rule", () => {
    expect(violation("render/table.ts", "../detect/redact.js")).toBe(
      "render/table.ts: imports ../detect/redact.js (render may not import detect)",
    );
    expect(violation("capabilities/egress/index.ts", "../inventory/index.js")).toBe(
      "capabilities/egress/index.ts: imports ../inventory/index.js (a capability never imports another capability)",
    );
    expect(violation("sources/env.ts", "commander")).toBe(
      "sources/env.ts: imports commander (only src/cli may)",
    );
    expect(violation("util/paths.ts", "../contract/types.js")).toBe(
      "util/paths.ts: imports ../contract/types.js (util may not import contract)",
    );
    expect(violation("cli/scan.ts", "../app/scan.js")).toBeUndefined();
    expect(violation("capabilities/egress/plan.ts", "./wire.js")).toBeUndefined();
    expect(violation("detect/parsers/json.ts", "../content.js")).toBeUndefined();
    expect(
      importsOf('import a from "./a.js";\nexport { b } from "../b.js";\nconst c = await import("./c.js");'),
    ).toEqual(["./a.js", "../b.js", "./c.js"]);
  });
});
