import { describe, expect, it } from "vitest";
import type { Command, Part, Redirect, Script, Word } from "../../../src/capabilities/gate/ast.js";
import { PARSE_LIMITS, ParseError, parseScript } from "../../../src/capabilities/gate/parse.js";

// A compact, exact rendering of the tree: every test compares the whole parse.
function part(p: Part): string {
  switch (p.type) {
    case "lit":
      return p.quoted ? `'${p.value}'` : p.value;
    case "param":
      return `\${${p.name}${p.op ? `|${p.op}` : ""}}`;
    case "cmdsub":
      return `$(${show(p.body)})`;
    case "procsub":
      return `${p.dir}(${show(p.body)})`;
    case "arith":
      return `$((${p.raw}))`;
  }
}
const word = (w: Word) => w.parts.map(part).join("");
const redir = (r: Redirect) =>
  `${r.fd ?? ""}${r.op}${word(r.target)}${r.heredoc ? `[${r.heredoc.quoted ? "q:" : ""}${r.heredoc.body}]` : ""}`;
const redirs = (rs: Redirect[]) => (rs.length ? ` ${rs.map(redir).join(" ")}` : "");
function cmd(c: Command): string {
  switch (c.type) {
    case "simple": {
      const a = c.assigns.map(
        (x) =>
          `${x.name}${x.append ? "+" : ""}=${x.array ? `(${x.array.map(word).join(",")})` : word(x.value!)}`,
      );
      return `[${[...a, ...c.words.map(word)].join(" ")}${redirs(c.redirects)}]`;
    }
    case "subshell":
      return `(${show(c.body)})${redirs(c.redirects)}`;
    case "group":
      return `{${show(c.body)}}${redirs(c.redirects)}`;
    case "if":
      return `if(${c.clauses.map((x) => `${show(x.cond)}?${show(x.body)}`).join(" : ")}${c.orElse ? ` else ${show(c.orElse)}` : ""})`;
    case "loop":
      return `${c.kind}(${show(c.cond)} do ${show(c.body)})${redirs(c.redirects)}`;
    case "for":
      return `for(${c.name}${c.items ? ` in ${c.items.map(word).join(",")}` : ""} do ${show(c.body)})`;
    case "case":
      return `case(${word(c.word)} ${c.arms.map((a) => `${a.patterns.map(word).join("|")}=>${show(a.body)}`).join(" ")})`;
    case "function":
      return `fn ${c.name}${cmd(c.body)}`;
    case "test":
      return `[[${c.words.map(word).join(" ")}]]`;
    case "arith":
      return `((${c.raw}))`;
  }
}
function show(s: Script): string {
  return s.items
    .map((it, i) => {
      const p = `${it.pipeline.bang ? "!" : ""}${it.pipeline.commands.map(cmd).join(" | ")}`;
      return i < s.items.length - 1 || it.op === "&" ? `${p} ${it.op}` : p;
    })
    .join(" ");
}
const parse = (src: string) => show(parseScript(src));

describe("gate parser: simple commands, lists and pipelines", () => {
  it.each([
    ["ls -la", "[ls -la]"],
    ["  git   status  ", "[git status]"],
    ["a; b && c || d & e", "[a] ; [b] && [c] || [d] & [e]"],
    ["a | b |& c", "[a] | [b] | [c]"],
    ["a\nb\n\nc", "[a] ; [b] ; [c]"],
    ["! grep x f", "![grep x f]"],
    ["time -p make", "[make]"],
    ["ls # a comment", "[ls]"],
    ["# only\n# comments\nrm -rf x", "[rm -rf x]"],
    ["echo a#b", "[echo a#b]"],
    ["rm \\\n -rf x", "[rm -rf x]"],
    ["", ""],
  ])("%j", (src, want) => expect(parse(src)).toBe(want));
});

describe("gate parser: assignments and words", () => {
  it.each([
    ["FOO=1 BAR+=x cmd a=b", "[FOO=1 BAR+=x cmd a=b]"],
    ["X=r; ${X}m -rf /", "[X=r] ; [${X}m -rf /]"],
    ["arr=(a 'b c') ; a[1]=z", "[arr=(a,'b c')] ; [a=z]"],
    ["r''m -rf /", "[r'm -rf /]".replace("'m", "''m")],
    ['"r"m', "['r'm]"],
    ["r\\m", "[r'm'" + "]"],
    ["$'r\\155' $'\\x72\\x6d' $'a\\'b'", "['rm' 'rm' 'a'b']"],
    ['echo "a $HOME ${x:-d} $(pwd) `id`"', "[echo 'a '${HOME}' '${x|:-d}' '$([pwd])' '$([id])'']"],
    ["echo ${0/x/r}m ${#a} ${!p}", "[echo ${0|/x/r}m ${a|#} ${p|!}]"],
    ["echo ${x:-$(rm -rf ~)}", "[echo ${x|:-$(rm -rf ~)}$([rm -rf ~])]"],
    ["echo $((1+2)) $1 $@ $$", "[echo $((1+2)) ${1} ${@} ${$}]"],
    ["cat <(curl x) >(tee y)", "[cat <([curl x]) >([tee y])]"],
    ["ls !(a|b)", "[ls !(a|b)]"],
    ["echo $ end$", "[echo $ end$]"],
    ['echo ""', "[echo '']"],
  ])("%j", (src, want) => expect(parse(src)).toBe(want));
});

describe("gate parser: redirections and here-documents", () => {
  it.each([
    ["echo x > ~/.bashrc 2>&1", "[echo x >~/.bashrc 2>&1]"],
    ["cmd &>/dev/null &>>log 3<in <>rw >|f", "[cmd &>/dev/null &>>log 3<in <>rw >|f]"],
    ["bash <<EOF\nrm -rf ~\nEOF\nls", "[bash <<EOF[rm -rf ~\n]] ; [ls]"],
    ["python3 - <<'PY'\nimport os\nPY", "[python3 - <<'PY'[q:import os\n]]"],
    ["cat <<-E\n\tx\n\tE\n", "[cat <<-E[x\n]]"],
    ["cat <<A <<B\na\nA\nb\nB", "[cat <<A[a\n] <<B[b\n]]"],
    ["sh <<< 'rm -rf ~'", "[sh <<<'rm -rf ~']"],
    ["cat <<EOF; ls\nbody\nEOF", "[cat <<EOF[body\n]] ; [ls]"],
    ["x=$(cat <<EOF\nhi\nEOF\n)", "[x=$([cat <<EOF[hi\n]])]"],
    ["cat <<EOF", "[cat <<EOF[]]"],
    ["cat <<EOF\nunterminated", "[cat <<EOF[unterminated\n]]"],
  ])("%j", (src, want) => expect(parse(src)).toBe(want));
});

describe("gate parser: compound commands", () => {
  it.each([
    ["(cd x && rm -rf y)", "([cd x] && [rm -rf y])"],
    ["{ rm -rf ~; }", "{[rm -rf ~]}"],
    ["{ls,-la}", "[{ls,-la}]"],
    ["if [ -f a ]; then rm a; elif b; then c; else d; fi", "if([[ -f a ]]?[rm a] : [b]?[c] else [d])"],
    ["while read l; do echo $l; done < f", "while([read l] do [echo ${l}]) <f"],
    ["until false\ndo x\ndone", "until([false] do [x])"],
    ["for f in *.ts; do rm $f; done", "for(f in *.ts do [rm ${f}])"],
    ["for x; do y; done", "for(x do [y])"],
    ["for ((i=0;i<3;i++)); do z; done", "for( in  do [z])"],
    ["case $x in a|b) rm y;; (c) ;; *) z ;& esac", "case(${x} a|b=>[rm y] c=> *=>[z])"],
    ['f(){ rm -rf "$1"; }; f ~', "fn f{[rm -rf ${1}'']} ; [f ~]"],
    ["function g { ls; }", "fn g{[ls]}"],
    ["[[ $x =~ ^(a|b)$ && -n $y ]]", "[[${x} =~ ^ ( a | b ) $ && -n ${y}]]"],
    ["(( n++ ))", "(( n++ ))"],
    ["echo `echo \\`id\\``", "[echo $([echo $([id])])]"],
  ])("%j", (src, want) => expect(parse(src)).toBe(want));
});

describe("gate parser: errors (the gate asks)", () => {
  it.each([
    "echo 'unterminated",
    'echo "unterminated',
    "echo $(ls",
    "echo `ls",
    "if true; then",
    "a &&",
    "| ls",
    "ls )",
    "( )",
    "{ }",
    "echo ${}",
    "echo $((1 + $(id)))",
    "coproc x",
    "fi",
    ";;",
    "f() echo",
  ])("%j", (src) => expect(() => parseScript(src)).toThrow(ParseError));

  it("caps nesting and size", () => {
    expect(() =>
      parseScript("$(".repeat(PARSE_LIMITS.maxDepth + 1) + "ls" + ")".repeat(PARSE_LIMITS.maxDepth + 1)),
    ).toThrow(/nested too deeply/);
    expect(() => parseScript("a;".repeat(PARSE_LIMITS.maxNodes + 1))).toThrow(/too many commands/);
    expect(() => parseScript("rm -rf / ; $($($(".repeat(30))).toThrow(ParseError);
  });
});
