// The unified diff `agent-audit fix --apply --dry-run` prints for each file it would change: a
// line-based LCS over the lines between the common head and tail, three lines of context, the
// `diff -u` hunk format. Pure.

const CONTEXT = 3;
/** Above this many LCS cells the changed middle is shown as removed then added whole (still a valid diff). */
const MAX_CELLS = 4_000_000;

type Op = { kind: " " | "-" | "+"; line: string };

function splitLines(text: string): { lines: string[]; noEol: boolean } {
  if (text === "") return { lines: [], noEol: false };
  const lines = text.split("\n");
  const noEol = lines[lines.length - 1] !== "";
  if (!noEol) lines.pop();
  return { lines, noEol };
}

function lcsOps(a: string[], b: string[]): Op[] {
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (
    tail < a.length - head &&
    tail < b.length - head &&
    a[a.length - 1 - tail] === b[b.length - 1 - tail]
  )
    tail++;
  const am = a.slice(head, a.length - tail);
  const bm = b.slice(head, b.length - tail);
  const ops: Op[] = a.slice(0, head).map((line) => ({ kind: " ", line }));
  if (am.length * bm.length > MAX_CELLS) {
    for (const line of am) ops.push({ kind: "-", line });
    for (const line of bm) ops.push({ kind: "+", line });
  } else {
    const n = am.length;
    const m = bm.length;
    // len[i][j]: the LCS length of am[i..] and bm[j..], in one flat array.
    const len = new Uint32Array((n + 1) * (m + 1));
    for (let i = n - 1; i >= 0; i--)
      for (let j = m - 1; j >= 0; j--)
        len[i * (m + 1) + j] =
          am[i] === bm[j]
            ? len[(i + 1) * (m + 1) + j + 1]! + 1
            : Math.max(len[(i + 1) * (m + 1) + j]!, len[i * (m + 1) + j + 1]!);
    let i = 0;
    let j = 0;
    while (i < n || j < m) {
      if (i < n && j < m && am[i] === bm[j]) {
        ops.push({ kind: " ", line: am[i]! });
        i++;
        j++;
      } else if (i < n && (j === m || len[(i + 1) * (m + 1) + j]! >= len[i * (m + 1) + j + 1]!)) {
        // Deletions before insertions at the same point, as diff -u prints them.
        ops.push({ kind: "-", line: am[i]! });
        i++;
      } else {
        ops.push({ kind: "+", line: bm[j]! });
        j++;
      }
    }
  }
  for (const line of a.slice(a.length - tail)) ops.push({ kind: " ", line });
  return ops;
}

function range(start: number, count: number): string {
  // diff -u: a hunk with no lines of a side names the line before it.
  if (count === 0) return `${start - 1},0`;
  return count === 1 ? `${start}` : `${start},${count}`;
}

/**
 * The unified diff from `before` to `after` with the given labels (`/dev/null` for a file created),
 * or "" when they are equal. A last line without a newline is marked `\ No newline at end of file`.
 */
export function unifiedDiff(before: string, after: string, fromLabel: string, toLabel: string): string {
  if (before === after) return "";
  const a = splitLines(before);
  const b = splitLines(after);
  const ops = lcsOps(a.lines, b.lines);
  // Which op is the last line of each side (for the no-newline marker).
  let aSeen = 0;
  let bSeen = 0;
  const marks: { aLast: boolean; bLast: boolean }[] = ops.map((op) => {
    if (op.kind !== "+") aSeen++;
    if (op.kind !== "-") bSeen++;
    return {
      aLast: op.kind !== "+" && aSeen === a.lines.length && a.noEol,
      bLast: op.kind !== "-" && bSeen === b.lines.length && b.noEol,
    };
  });
  // A context line whose newline status differs on the two sides is a change.
  const edited: Op[] = [];
  const editedMarks: { aLast: boolean; bLast: boolean }[] = [];
  ops.forEach((op, k) => {
    const mk = marks[k]!;
    if (op.kind === " " && mk.aLast !== mk.bLast) {
      edited.push({ kind: "-", line: op.line }, { kind: "+", line: op.line });
      editedMarks.push({ aLast: mk.aLast, bLast: false }, { aLast: false, bLast: mk.bLast });
    } else {
      edited.push(op);
      editedMarks.push(mk);
    }
  });
  // Within a run of changes, every removed line comes before the added ones (as diff -u prints).
  for (let s = 0; s < edited.length; ) {
    if (edited[s]!.kind === " ") {
      s++;
      continue;
    }
    let e = s;
    while (e < edited.length && edited[e]!.kind !== " ") e++;
    const idx = [...Array(e - s).keys()].map((x) => x + s);
    const order = [
      ...idx.filter((x) => edited[x]!.kind === "-"),
      ...idx.filter((x) => edited[x]!.kind === "+"),
    ];
    const ops2 = order.map((x) => edited[x]!);
    const marks2 = order.map((x) => editedMarks[x]!);
    edited.splice(s, e - s, ...ops2);
    editedMarks.splice(s, e - s, ...marks2);
    s = e;
  }
  const out = [`--- ${fromLabel}`, `+++ ${toLabel}`];
  const changes = edited.map((op, k) => (op.kind === " " ? -1 : k)).filter((k) => k >= 0);
  let k = 0;
  while (k < changes.length) {
    const first = changes[k]!;
    let last = first;
    while (k + 1 < changes.length && changes[k + 1]! - last <= 2 * CONTEXT + 1) last = changes[++k]!;
    k++;
    const from = Math.max(0, first - CONTEXT);
    const to = Math.min(edited.length - 1, last + CONTEXT);
    let aStart = 1;
    let bStart = 1;
    for (let x = 0; x < from; x++) {
      if (edited[x]!.kind !== "+") aStart++;
      if (edited[x]!.kind !== "-") bStart++;
    }
    let aCount = 0;
    let bCount = 0;
    const body: string[] = [];
    for (let x = from; x <= to; x++) {
      const op = edited[x]!;
      if (op.kind !== "+") aCount++;
      if (op.kind !== "-") bCount++;
      body.push(op.kind + op.line);
      const mk = editedMarks[x]!;
      if ((op.kind === "-" && mk.aLast) || (op.kind === "+" && mk.bLast) || (op.kind === " " && mk.aLast))
        body.push("\\ No newline at end of file");
    }
    out.push(`@@ -${range(aStart, aCount)} +${range(bStart, bCount)} @@`, ...body);
  }
  return `${out.join("\n")}\n`;
}
