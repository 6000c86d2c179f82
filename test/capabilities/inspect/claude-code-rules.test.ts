import { describe, expect, it } from "vitest";
import {
  bashRuleMatches,
  broadDomain,
  coversWholeTool,
  MATCHER_MAX,
  matcherSelects,
  parseRule,
  pathRuleCovers,
  shellWords,
} from "../../../src/capabilities/inspect/claude-rules.js";

// Claude Code's matching rules as the inspector models them (issue 10; research
// egress-approval.md §2.3 permission rules, §2.5 hook matchers).

const rule = (r: string) => parseRule(r)!;
const bash = (r: string, cmd: string) => bashRuleMatches(rule(r), cmd);

describe("permission rules", () => {
  it("parses a rule into its tool and content", () => {
    expect(parseRule("Bash")).toEqual({ tool: "Bash", content: undefined });
    expect(parseRule("Bash(npm run test *)")).toEqual({ tool: "Bash", content: "npm run test *" });
    expect(parseRule("Read(~/.ssh/**)")).toEqual({ tool: "Read", content: "~/.ssh/**" });
    expect(parseRule("not a rule!")).toBeUndefined();
  });

  it("a bare tool, `*` and `:*` cover the whole tool", () => {
    for (const r of ["Bash", "Bash(*)", "Bash(:*)", "Bash()"]) expect(coversWholeTool(rule(r)), r).toBe(true);
    for (const r of ["Bash(npm *)", "Bash(*.sh)"]) expect(coversWholeTool(rule(r)), r).toBe(false);
  });

  it("Bash patterns: exact, ` *` with a word boundary, `*` anywhere, legacy `:*`", () => {
    expect(bash("Bash(npm run build)", "npm run build")).toBe(true);
    expect(bash("Bash(npm run build)", "npm run build --prod")).toBe(false);
    expect(bash("Bash(ls *)", "ls")).toBe(true);
    expect(bash("Bash(ls *)", "ls -la")).toBe(true);
    expect(bash("Bash(ls *)", "lsof")).toBe(false);
    expect(bash("Bash(ls*)", "lsof")).toBe(true);
    expect(bash("Bash(npm install:*)", "npm install left-pad")).toBe(true);
    expect(bash("Bash(npm install:*)", "npm installer")).toBe(false);
    expect(bash("Bash(rm -rf *)", "rm -rf build")).toBe(true);
    expect(bash("Bash(rm -rf *)", "rm -r build")).toBe(false);
    expect(bash("Bash(* install *)", "pip install requests")).toBe(true);
    expect(bash("Bash(curl *)", "Curl x")).toBe(false);
    // Parameter rules constrain a parameter, not the command text.
    expect(bash("Bash(dangerouslyDisableSandbox:true)", "dangerouslyDisableSandbox:true")).toBe(false);
    // Regex metacharacters are literal.
    expect(bash("Bash(a.b)", "axb")).toBe(false);
    expect(bash("Read(~/x)", "anything")).toBe(false);
  });

  it("Read and Edit paths: ~/, //, /, ./, bare names, ** and parent directories", () => {
    const bases = { home: "/h", root: "/p", source: "/h/.claude" };
    const covers = (r: string, file: string) => pathRuleCovers(rule(r), "Read", file, bases);
    expect(covers("Read(~/.ssh/**)", "/h/.ssh/id_ed25519")).toBe(true);
    expect(covers("Read(~/.ssh)", "/h/.ssh/id_ed25519")).toBe(true);
    expect(covers("Read(~/.ssh/)", "/h/.ssh/id_ed25519")).toBe(true);
    expect(covers("Read(~/.ssh/id_*)", "/h/.ssh/id_ed25519")).toBe(true);
    expect(covers("Read(~/.ssh/*.pub)", "/h/.ssh/id_ed25519")).toBe(false);
    expect(covers("Read(~/.ss)", "/h/.ssh/id_ed25519")).toBe(false);
    expect(covers("Read(//h/.aws/**)", "/h/.aws/credentials")).toBe(true);
    // `/x` is relative to the settings source: in user settings, ~/.claude/x.
    expect(covers("Read(/.aws/**)", "/h/.aws/credentials")).toBe(false);
    expect(covers("Read(/secrets/**)", "/h/.claude/secrets/a")).toBe(true);
    expect(covers("Read(./.env)", "/p/.env")).toBe(true);
    expect(covers("Read(.env)", "/p/app/.env")).toBe(true);
    expect(covers("Read(**/.env)", "/p/.env")).toBe(true);
    expect(covers("Read(.env)", "/h/.env")).toBe(false);
    expect(covers("Read", "/anything")).toBe(true);
    expect(covers("Edit(~/.ssh/**)", "/h/.ssh/id_ed25519")).toBe(false);
    expect(covers("Read(~/.ssh/[a)", "/h/.ssh/[a")).toBe(true);
  });
});

describe("hook matchers", () => {
  it("*, empty and omitted select every tool; names and lists are exact; anything else is an unanchored regex", () => {
    for (const m of [undefined, "", "*"]) expect(matcherSelects(m, "Bash")).toBe(true);
    expect(matcherSelects("Bash", "Bash")).toBe(true);
    expect(matcherSelects("Bash|PowerShell", "Bash")).toBe(true);
    expect(matcherSelects("Edit, Bash", "Bash")).toBe(true);
    expect(matcherSelects("Bas", "Bash")).toBe(false);
    expect(matcherSelects("bash", "Bash")).toBe(false);
    expect(matcherSelects("Edit.*", "NotebookEdit")).toBe(true);
    expect(matcherSelects("B.sh", "Bash")).toBe(true);
    expect(matcherSelects("^Edit", "Bash")).toBe(false);
    expect(matcherSelects("Bash(", "Bash")).toBe("invalid");
    expect(matcherSelects(`(${"a".repeat(MATCHER_MAX)})`, "Bash")).toBe("invalid");
  });

  it("a catastrophic regex is only ever tried against a tool name", () => {
    // The vitest timeout is the hang guard; the regex only ever sees "Bash".
    expect(matcherSelects("(a+)+$", "Bash")).toBe(false);
  });
});

describe("hook command words", () => {
  const ctx = { home: "/h", root: "/p", systemRoot: "/", env: undefined };
  it("quotes, ~, $HOME and $CLAUDE_PROJECT_DIR; other variables and substitutions are computed (null)", () => {
    expect(shellWords("~/bin/gate --x 'a b'", ctx, 8)).toEqual(["/h/bin/gate", "--x", "a b"]);
    expect(shellWords('"$CLAUDE_PROJECT_DIR"/.claude/hooks/g.sh', ctx, 8)).toEqual(["/p/.claude/hooks/g.sh"]);
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell command, not a template
    expect(shellWords("${HOME}/x a\\ b", ctx, 8)).toEqual(["/h/x", "a b"]);
    expect(shellWords("'~/x' \"~\"", ctx, 8)).toEqual(["~/x", "~"]);
    expect(shellWords("$GATE --x", ctx, 8)).toEqual([null, "--x"]);
    expect(shellWords("$(which gate)", ctx, 8)).toEqual([null]);
    expect(shellWords("`which gate`", ctx, 8)).toEqual([null]);
    expect(shellWords("gate; rm -rf /", ctx, 8)).toEqual(["gate"]);
    expect(shellWords("a b c d", ctx, 2)).toEqual(["a", "b"]);
    expect(shellWords("", ctx, 8)).toEqual([]);
  });
});

describe("broad sandbox domains", () => {
  it("wildcards over everything or a TLD, and hosts anyone can publish to", () => {
    for (const d of [
      "*",
      "*.com",
      "*.co.uk",
      "github.com",
      "*.githubusercontent.com",
      "raw.githubusercontent.com",
      "*.amazonaws.com",
      "s3.amazonaws.com",
      "storage.googleapis.com",
      "*.googleapis.com",
      "pastebin.com",
      "x.ngrok.io",
      "GitHub.com.",
    ])
      expect(broadDomain(d), d).toBeDefined();
    for (const d of [
      "registry.npmjs.org",
      "pypi.org",
      "files.pythonhosted.org",
      "api.anthropic.com",
      "*.npmjs.org",
      "docs.github.example.com",
    ])
      expect(broadDomain(d), d).toBeUndefined();
    expect(broadDomain("*")).toBe("matches every domain");
    expect(broadDomain("*.com")).toBe("matches every domain under a top-level domain");
  });
});
