// The keyword prefilter: which of many literal keywords occur in a text, case-insensitively, in one
// pass. An Aho-Corasick automaton (Aho & Corasick, "Efficient string matching", CACM 18(6), 1975)
// compiled to a dense DFA over byte classes: one table lookup per byte whatever the number of
// keywords. With the ~140 keywords of rules/secrets/ it runs about 4x faster than the equivalent
// case-insensitive alternation regex (measured with test/bench/scan-bench.mjs), and it reads a
// Buffer directly, so a file without any keyword is never decoded to a string.

/** ASCII and latin1 case folding, as a case-insensitive (non-unicode) RegExp does on latin1 text. */
function fold(code: number): number {
  if (code >= 0x41 && code <= 0x5a) return code + 0x20;
  if (code >= 0xc0 && code <= 0xde && code !== 0xd7) return code + 0x20;
  return code;
}

export class KeywordMatcher {
  /** Byte (or latin1 char code) to input class; 0 = a byte no keyword contains. */
  private readonly classOf = new Uint8Array(256);
  private readonly classes: number;
  /** Next state, premultiplied by `classes`; negative = -(state * classes) - 1 when the state ends a keyword. */
  private readonly next: Int32Array;
  readonly keywords: readonly string[];

  constructor(keywords: readonly string[]) {
    this.keywords = keywords;
    let classes = 1;
    const usable: number[] = [];
    keywords.forEach((k, i) => {
      // A keyword with a character outside latin1 can never occur in a latin1 view of a file. One
      // with a NUL is not matched either (the rules' schema refuses it): NUL stays in class 0, the
      // class asBytes gives the characters past latin1.
      for (let j = 0; j < k.length; j++) {
        const c = k.charCodeAt(j);
        if (c > 0xff || c === 0) return;
      }
      if (k.length > 0) usable.push(i);
    });
    for (const i of usable) {
      const k = keywords[i]!;
      for (let j = 0; j < k.length; j++) {
        const c = fold(k.charCodeAt(j));
        if (this.classOf[c] === 0) this.classOf[c] = classes++;
      }
    }
    for (let b = 0; b < 256; b++) this.classOf[b] = this.classOf[fold(b)]!;
    this.classes = classes;

    // The trie.
    const trie: Int32Array[] = [new Int32Array(classes).fill(-1)];
    const ends: number[][] = [[]];
    for (const i of usable) {
      const k = keywords[i]!;
      let s = 0;
      for (let j = 0; j < k.length; j++) {
        const c = this.classOf[k.charCodeAt(j)]!;
        if (trie[s]![c] === -1) {
          trie[s]![c] = trie.length;
          trie.push(new Int32Array(classes).fill(-1));
          ends.push([]);
        }
        s = trie[s]![c]!;
      }
      ends[s]!.push(i);
    }
    // Failure links, breadth first, folded into a full transition table.
    const n = trie.length;
    const delta = new Int32Array(n * classes);
    const fail = new Int32Array(n);
    const queue: number[] = [];
    for (let c = 0; c < classes; c++) {
      const t = trie[0]![c]!;
      delta[c] = Math.max(t, 0);
      if (t > 0) queue.push(t);
    }
    // One call per state, not one loop over all of them: this runs once per thread, and a loop
    // of ~100,000 steps in the constructor had the whole constructor compiled by the optimizing
    // compiler mid-run (on-stack replacement), then thrown away and compiled again at the next
    // loop: ~90 ms of compiler time per run (--trace-opt, issue 15). A small function compiles fast.
    for (let h = 0; h < queue.length; h++) {
      const s = queue[h]!;
      ends[s] = [...ends[s]!, ...ends[fail[s]!]!];
      linkState(s, trie[s]!, fail, delta, queue, classes);
    }
    for (const e of ends) e.sort((a, b) => keywords[b]!.length - keywords[a]!.length);
    this.endFrom = new Int32Array(n + 1);
    for (let st = 0; st < n; st++) this.endFrom[st + 1] = this.endFrom[st]! + ends[st]!.length;
    this.endList = Int32Array.from(ends.flat());
    this.lengths = Int32Array.from(keywords, (k) => k.length);
    this.longest = Math.max(1, ...this.lengths);
    this.firstStart = new Int32Array(keywords.length).fill(-1);
    this.listsA = { byKeyword: new Array(keywords.length).fill(undefined), touched: [] };
    this.listsB = { byKeyword: new Array(keywords.length).fill(undefined), touched: [] };
    this.next = new Int32Array(n * classes);
    const endsIn = Uint8Array.from(ends, (e) => (e.length ? 1 : 0));
    for (let st = 0; st < n; st++) premultiply(this.next, delta, endsIn, st * classes, classes);
  }

  /**
   * Indexes of the keywords that occur in `input` (a Buffer, or a string read as latin1 char codes),
   * ordered by where each first starts (at one start, longest first): the order in which a
   * leftmost-longest alternation regex would first meet them.
   *
   * An input of SPLIT_MIN or more is read as two halves at once, each by its own copy of the
   * automaton, interleaved in one loop: a step's table lookup waits on the one before it, and two
   * independent chains keep the core busy while either waits (with the flat tables below: 3.5 ->
   * 2.1 ns per byte of the keyword-dense tree, test/bench/keyword-bench.mjs). The first half's copy reads on past the middle, up to the
   * longest keyword's length, and keeps only the keywords that start before the middle; the
   * second's starts at the middle from the root, so finds only those that start there or later:
   * each occurrence is found by exactly one of them, and each half's starts are ascending.
   */
  find(input: Uint8Array | string, track?: KeywordPositions): number[] {
    // One kind of input for the loops below (a string is read as its bytes, see asBytes): loops
    // that met both kinds had their optimized code thrown away when the second kind came (issue 15).
    return this.findBytes(typeof input === "string" ? this.asBytes(input) : input, track);
  }

  /** find() of bytes: what the scan of a file calls (a caller of find() sees strings too). */
  findBytes(bytes: Uint8Array, track?: KeywordPositions): number[] {
    const found: number[] = [];
    if (this.classes === 1 || bytes.length === 0) return found;
    this.scan(bytes, found, track?.wanted);
    const first = this.firstStart;
    const lengths = this.lengths;
    found.sort((a, b) => first[a]! - first[b]! || lengths[b]! - lengths[a]!);
    for (let i = 0; i < found.length; i++) first[found[i]!] = -1;
    this.collect(track);
    return found;
  }

  /**
   * A string's char codes as bytes, for the automaton: a code past latin1 (no keyword holds one)
   * becomes a NUL, which no keyword holds either, so each position reads the same.
   */
  private asBytes(text: string): Uint8Array {
    // A Buffer, as the files' bytes are: a Uint8Array is an object of another shape to the loops.
    const out = Buffer.allocUnsafe(text.length);
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      out[i] = c > 0xff ? 0 : c;
    }
    return out;
  }

  /** The whole input: in one pass below SPLIT_MIN, else as two halves at once (see find). */
  private scan(input: Uint8Array, found: number[], wanted: Uint8Array | undefined): void {
    const { classOf, next, listsA, listsB, pair } = this;
    const len = input.length;
    if (len < SPLIT_MIN) {
      this.run(input, 0, len, 0, len, found, wanted, listsA);
      return;
    }
    const half = len >> 1;
    pair[0] = 0;
    pair[1] = 0;
    for (
      let i = stepPairBytes(input, classOf, next, pair, 0, half);
      i < half;
      i = stepPairBytes(input, classOf, next, pair, i + 1, half)
    ) {
      const ta: number = pair[0]!;
      const tb: number = pair[1]!;
      if (ta < 0) {
        pair[0] = -ta - 1;
        this.record(pair[0]!, i, half, found, wanted, listsA);
      }
      if (tb < 0) {
        pair[1] = -tb - 1;
        this.record(pair[1]!, i + half, len, found, wanted, listsB);
      }
    }
    const a = pair[0]!;
    // The second half's odd last byte, then the first half's copy on past the middle.
    this.run(input, pair[1]!, len, half * 2, len, found, wanted, listsB);
    this.run(input, a, Math.min(len, half + this.longest - 1), half, half, found, wanted, listsA);
    this.appendB(wanted);
  }

  /** One copy of the automaton over input[from, to), keeping keywords that start before `limit`. */
  private run(
    input: Uint8Array,
    state: number,
    to: number,
    from: number,
    limit: number,
    found: number[],
    wanted: Uint8Array | undefined,
    lists: Lists,
  ): number {
    const st = this.pair;
    st[0] = state;
    for (
      let i = stepBytes(input, this.classOf, this.next, st, from, to);
      i < to;
      i = stepBytes(input, this.classOf, this.next, st, i + 1, to)
    ) {
      st[0] = -st[0]! - 1;
      this.record(st[0]!, i, limit, found, wanted, lists);
    }
    return st[0]!;
  }

  /**
   * The keywords that end at `end` in the (premultiplied) state `s`, those that start before
   * `limit`: each is noted once in `found` with its first start, and a wanted one's start is added
   * to its list (a capped one's list stops at CAPPED_STARTS starts with a -1: "more than that").
   */
  private record(
    s: number,
    end: number,
    limit: number,
    found: number[],
    wanted: Uint8Array | undefined,
    lists: Lists,
  ): void {
    const state = (s / this.classes) | 0;
    const first = this.firstStart;
    const endList = this.endList;
    for (let e = this.endFrom[state]!, stop = this.endFrom[state + 1]!; e < stop; e++) {
      const k = endList[e]!;
      const start = end - this.lengths[k]! + 1;
      if (start >= limit) continue;
      const f = first[k]!;
      if (f < 0) {
        first[k] = start;
        found.push(k);
      } else if (start < f) first[k] = start;
      const want = wanted === undefined ? 0 : wanted[k]!;
      if (want === 0) continue;
      let list = lists.byKeyword[k];
      if (list === undefined) {
        list = [start];
        lists.byKeyword[k] = list;
        lists.touched.push(k);
      } else if (want === 1 || list.length < CAPPED_STARTS) list.push(start);
      else if (list[list.length - 1] !== -1) list.push(-1);
    }
  }

  /** The second half's starts after the first's (both ascending), capped as record() caps. */
  private appendB(wanted: Uint8Array | undefined): void {
    const { listsA, listsB } = this;
    for (let t = 0; t < listsB.touched.length; t++) {
      const k = listsB.touched[t]!;
      const b = listsB.byKeyword[k]!;
      listsB.byKeyword[k] = undefined;
      const a = listsA.byKeyword[k];
      if (a === undefined) {
        listsA.byKeyword[k] = b;
        listsA.touched.push(k);
        continue;
      }
      if (a[a.length - 1] === -1) continue;
      const capped = wanted !== undefined && wanted[k] === 2;
      for (let i = 0; i < b.length; i++) {
        const p = b[i]!;
        if (capped && (p === -1 || a.length >= CAPPED_STARTS)) {
          a.push(-1);
          break;
        }
        a.push(p);
      }
    }
    listsB.touched.length = 0;
  }

  /** Hands the recorded starts to the caller's request, and clears the scratch lists. */
  private collect(track: KeywordPositions | undefined): void {
    const lists = this.listsA;
    for (let t = 0; t < lists.touched.length; t++) {
      const k = lists.touched[t]!;
      track?.starts.set(k, lists.byKeyword[k]!);
      lists.byKeyword[k] = undefined;
    }
    lists.touched.length = 0;
  }

  /** Keyword lengths, by index. */
  private readonly lengths: Int32Array;
  /** The scanning loops' states (see stepBytes). */
  private readonly pair = new Int32Array(2);
  /** The longest keyword's length: how far the first half's copy reads past the middle. */
  private readonly longest: number;
  /** The keywords that end in each state (by state index), longest first: endList[endFrom[s], endFrom[s + 1]). */
  private readonly endFrom: Int32Array;
  private readonly endList: Int32Array;
  /** Scratch for find(): each keyword's first start in the current input, -1 when not (yet) seen. */
  private readonly firstStart: Int32Array;
  /** Scratch for find(): the starts recorded in each half. */
  private readonly listsA: Lists;
  private readonly listsB: Lists;
}

/**
 * The transitions of trie state `s` (its children, else its failure state's transition), and the
 * failure links of its children, which join the breadth-first queue.
 */
function linkState(
  s: number,
  children: Int32Array,
  fail: Int32Array,
  delta: Int32Array,
  queue: number[],
  classes: number,
): void {
  const base = s * classes;
  const failBase = fail[s]! * classes;
  for (let c = 0; c < classes; c++) {
    const t = children[c]!;
    if (t > 0) {
      fail[t] = delta[failBase + c]!;
      delta[base + c] = t;
      queue.push(t);
    } else {
      delta[base + c] = delta[failBase + c]!;
    }
  }
}

/** One state's row of the scan table: next states premultiplied, negative where a keyword ends. */
function premultiply(
  next: Int32Array,
  delta: Int32Array,
  endsIn: Uint8Array,
  from: number,
  classes: number,
): void {
  for (let i = from; i < from + classes; i++) {
    const t = delta[i]!;
    next[i] = endsIn[t] ? -(t * classes) - 1 : t * classes;
  }
}

// The scanning loops, with no call inside and their arrays as arguments: they return at each
// keyword end, and the caller records it. A loop with a call in it may have its arrays' bounds and
// data pointers reloaded on every byte (measured in development: the same loop ran slower as a
// method holding its calls than as these functions).

/**
 * Steps the automaton (state st[0]) over input[from, to) until a transition ends a keyword; returns
 * that index, with the raw (negative) transition in st[0], or `to`, with the state in st[0].
 */
function stepBytes(
  input: Uint8Array,
  classOf: Uint8Array,
  next: Int32Array,
  st: Int32Array,
  from: number,
  to: number,
): number {
  let s = st[0]!;
  for (let i = from; i < to; i++) {
    const t = next[s + classOf[input[i]!]!]!;
    if (t < 0) {
      st[0] = t;
      return i;
    }
    s = t;
  }
  st[0] = s;
  return to;
}

/**
 * Two copies of the automaton (states st[0], st[1]) over input[i] and input[i + half], for i from
 * `from` until either ends a keyword; returns that i with both raw transitions in st (one or both
 * negative), or `half` with both states.
 */
function stepPairBytes(
  input: Uint8Array,
  classOf: Uint8Array,
  next: Int32Array,
  st: Int32Array,
  from: number,
  half: number,
): number {
  let a = st[0]!;
  let b = st[1]!;
  for (let i = from; i < half; i++) {
    const ta = next[a + classOf[input[i]!]!]!;
    const tb = next[b + classOf[input[i + half]!]!]!;
    if ((ta | tb) < 0) {
      st[0] = ta;
      st[1] = tb;
      return i;
    }
    a = ta;
    b = tb;
  }
  st[0] = a;
  st[1] = b;
  return half;
}

/** Inputs shorter than this are read in one pass (the split's set-up costs more than it saves). */
const SPLIT_MIN = 256;

/** Per keyword, the starts recorded so far, and which keywords have a list. */
interface Lists {
  byKeyword: (number[] | undefined)[];
  touched: number[];
}

/** How many starts a capped keyword records before it is only known to be frequent. */
export const CAPPED_STARTS = 4096;

/**
 * Asks find() for the start positions of some keywords, indexed like `keywords`: 1 = every start;
 * 2 = at most CAPPED_STARTS starts, then a -1 that says there are more.
 */
export interface KeywordPositions {
  wanted: Uint8Array;
  starts: Map<number, number[]>;
}
