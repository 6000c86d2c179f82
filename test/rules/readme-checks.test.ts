import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { defaultRules } from "../../src/rules/catalog.js";

// The README lists every runtime and scope check (issue 10): a check added without documentation,
// or documented after it was removed, fails here.
describe("README: agent runtimes and credential scope", () => {
  const readme = readFileSync("README.md", "utf8");
  const start = readme.indexOf("## Agent runtimes and credential scope");
  // The section ends where the next one starts (`fix`'s table names targets such as `claude-code`).
  const section = readme.slice(start, readme.indexOf("\n## ", start + 1));
  const rules = defaultRules();
  it("names every check of rules/runtime and rules/scope", () => {
    const missing = [...rules.runtime, ...rules.scope]
      .map((c) => c.id)
      .filter((id) => !section.includes(`\`${id}\``));
    expect(missing).toEqual([]);
  });
  it("names no check that does not exist", () => {
    const ids = new Set([...rules.runtime, ...rules.scope].map((c) => c.id));
    const named = [...section.matchAll(/`((?:claude|codex|gemini|hermes|srt)-[a-z0-9-]+)`/g)].map(
      (m) => m[1]!,
    );
    expect(named.filter((id) => !ids.has(id))).toEqual([]);
  });
});

// Issue 16: the same for every check of rules/mcp.
describe("README: MCP servers, skills and instruction files", () => {
  const readme = readFileSync("README.md", "utf8");
  const start = readme.indexOf("## MCP servers, skills and instruction files");
  const section = readme.slice(start, readme.indexOf("\n## ", start + 1));
  const rules = defaultRules();
  it("has the section", () => expect(start).toBeGreaterThan(0));
  it("names every check of rules/mcp", () => {
    expect(rules.mcp.map((c) => c.id).filter((id) => !section.includes(`\`${id}\``))).toEqual([]);
  });
  it("names no check that does not exist", () => {
    // Package names the section quotes are not checks.
    const ids = new Set([...rules.mcp.map((c) => c.id), "mcp-remote", "mcp-shell-server"]);
    const named = [...section.matchAll(/`((?:mcp|skill|instructions)-[a-z0-9-]+)`/g)].map((m) => m[1]!);
    expect(named.filter((id) => !ids.has(id))).toEqual([]);
  });
});

// The home inventory's count of path rules (issue 15 follow-up: the count had gone stale).
describe("README: the credential-file catalog's size", () => {
  const readme = readFileSync("README.md", "utf8");
  const rules = defaultRules();
  it("states how many home and tree entries rules/paths holds", () => {
    const home = rules.paths.filter((p) => p.scope === "home").length;
    const tree = rules.paths.filter((p) => p.scope === "tree").length;
    expect(readme).toContain(
      `\`rules/paths/\` (${home} entries, one YAML file each; ${tree} more, \`scope: tree\`,`,
    );
  });
});

// The same for the content and environment rules (the count had gone stale: 144 stated, 161 held).
describe("README: the secret rules' count", () => {
  const readme = readFileSync("README.md", "utf8");
  const rules = defaultRules();
  it("states how many content rules, providers and environment rules the catalog holds", () => {
    const providers = new Set(rules.content.map((c) => c.provider)).size;
    expect(readme).toContain(
      `agent-audit ships ${rules.content.length} content rules (${providers} providers, counting \`generic\`) and ${rules.env.length} environment-name rules`,
    );
  });
});
