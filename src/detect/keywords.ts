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
  /** Per state (by state index): the keywords that end there, longest first. */
  private readonly ends: number[][];
  readonly keywords: readonly string[];

  constructor(keywords: readonly string[]) {
    this.keywords = keywords;
    let classes = 1;
    const usable: number[] = [];
    keywords.forEach((k, i) => {
      // A keyword with a character outside latin1 can never occur in a latin1 view of a file.
      for (let j = 0; j < k.length; j++) if (k.charCodeAt(j) > 0xff) return;
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
    for (let h = 0; h < queue.length; h++) {
      const s = queue[h]!;
      ends[s] = [...ends[s]!, ...ends[fail[s]!]!];
      for (let c = 0; c < classes; c++) {
        const t = trie[s]![c]!;
        if (t > 0) {
          fail[t] = delta[fail[s]! * classes + c]!;
          delta[s * classes + c] = t;
          queue.push(t);
        } else {
          delta[s * classes + c] = delta[fail[s]! * classes + c]!;
        }
      }
    }
    for (const e of ends) e.sort((a, b) => keywords[b]!.length - keywords[a]!.length);
    this.ends = ends;
    this.lengths = Int32Array.from(keywords, (k) => k.length);
    this.firstStart = new Int32Array(keywords.length).fill(-1);
    this.next = new Int32Array(n * classes);
    for (let i = 0; i < n * classes; i++) {
      const t = delta[i]!;
      this.next[i] = ends[t]!.length ? -(t * classes) - 1 : t * classes;
    }
  }

  /**
   * Indexes of the keywords that occur in `input` (a Buffer, or a string read as latin1 char codes),
   * ordered by where each first starts (at one start, longest first): the order in which a
   * leftmost-longest alternation regex would first meet them.
   */
  find(input: Uint8Array | string, track?: KeywordPositions): number[] {
    const found: number[] = [];
    const { classOf, next, classes } = this;
    let s = 0;
    const len = input.length;
    if (typeof input === "string") {
      for (let i = 0; i < len; i++) {
        const code = input.charCodeAt(i);
        const t = next[s + (code > 0xff ? 0 : classOf[code]!)]!;
        if (t < 0) {
          s = -t - 1;
          this.record(s / classes, i, found, track);
        } else s = t;
      }
    } else {
      for (let i = 0; i < len; i++) {
        const t = next[s + classOf[input[i]!]!]!;
        if (t < 0) {
          s = -t - 1;
          this.record(s / classes, i, found, track);
        } else s = t;
      }
    }
    const first = this.firstStart;
    const lengths = this.lengths;
    found.sort((a, b) => first[a]! - first[b]! || lengths[b]! - lengths[a]!);
    for (const k of found) first[k] = -1;
    return found;
  }

  private record(state: number, end: number, found: number[], track: KeywordPositions | undefined): void {
    const first = this.firstStart;
    for (const k of this.ends[state]!) {
      const start = end - this.lengths[k]! + 1;
      if (first[k]! < 0) {
        first[k] = start;
        found.push(k);
      }
      const want = track?.wanted[k];
      if (want) {
        const list = track!.starts.get(k);
        if (!list) track!.starts.set(k, [start]);
        // A capped keyword (2) records at most CAPPED_STARTS starts, then -1: "more than that".
        else if (want === 1 || list.length < CAPPED_STARTS) list.push(start);
        else if (list[list.length - 1] !== -1) list.push(-1);
      }
    }
  }

  /** Keyword lengths, by index. */
  private readonly lengths: Int32Array;
  /** Scratch for find(): each keyword's first start in the current input, -1 when not (yet) seen. */
  private readonly firstStart: Int32Array;
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
