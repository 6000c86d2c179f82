/**
 * Runs tasks with at most `concurrency` in flight and a total time budget. Each task receives the time
 * it may use (its own timeout, cut to what is left of the budget); a task that cannot start with at
 * least `minSliceMs` left is not started and gets `onSkip` instead. Results keep the input order.
 */
export async function runPool<T>(
  tasks: ((timeoutMs: number) => Promise<T>)[],
  opts: {
    concurrency: number;
    timeoutMs: number;
    budgetMs: number;
    onSkip: (index: number) => T;
    now?: () => number;
    minSliceMs?: number;
  },
): Promise<T[]> {
  const now = opts.now ?? Date.now;
  const deadline = now() + opts.budgetMs;
  const minSlice = opts.minSliceMs ?? 50;
  const results = new Array<T>(tasks.length);
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) {
      const i = next++;
      const left = deadline - now();
      if (left < minSlice) {
        results[i] = opts.onSkip(i);
        continue;
      }
      results[i] = await tasks[i]!(Math.min(opts.timeoutMs, left));
    }
  };
  const n = Math.max(1, Math.min(opts.concurrency, tasks.length));
  await Promise.all(Array.from({ length: n }, worker));
  return results;
}

/** Races a promise against a timer; the loser is ignored (lookups cannot be cancelled). */
export function withTimeout<T>(p: Promise<T>, ms: number, onTimeout: () => T): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => resolve(onTimeout()), ms);
    p.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e) => {
        clearTimeout(timer);
        reject(e);
      },
    );
  });
}
