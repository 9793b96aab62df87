/** Seconds since t0 (a performance.now() reading). */
export const seconds = (t0: number) => (performance.now() - t0) / 1000;

/**
 * Search timing, the same in faiss_ivfpq.py: untimed passes over the whole batch until they add up to SEARCH_MIN_S
 * (JIT, caches; at least one, at most SEARCH_MAX_REPS), then timed passes until they add up to SEARCH_MIN_S (the
 * same bounds); the median. One untimed pass was not enough for V8: at the first nprobe the WebAssembly kernels
 * and the JavaScript around them were still tiering up, and a second round of that nprobe ran 1.3–1.9× faster
 * (GloVe `IVF1024,PQ50x4fsr`, nprobe 8).
 */
const SEARCH_MIN_S = 0.5;
const SEARCH_MAX_REPS = 10;
export function timedBatches(pass: () => void): { seconds: number; reps: number } {
  for (let reps = 0, t0 = performance.now(); reps < SEARCH_MAX_REPS && (reps === 0 || seconds(t0) < SEARCH_MIN_S); reps++) pass();
  const times: number[] = [];
  let total = 0;
  while (times.length < SEARCH_MAX_REPS && (times.length === 0 || total < SEARCH_MIN_S)) {
    const t0 = performance.now();
    pass();
    times.push(seconds(t0));
    total += times[times.length - 1];
  }
  times.sort((a, b) => a - b);
  return { seconds: times[times.length >> 1], reps: times.length };
}

/** The search of every query at each nprobe, timed (timedBatches), with the labels of its last pass. */
export function timedSweep(
  search: (nprobe: number) => { labels: ArrayLike<number> },
  nprobes: readonly number[],
): { nprobe: number; seconds: number; reps: number; labels: Int32Array }[] {
  return nprobes.map((nprobe) => {
    let last: { labels: ArrayLike<number> } | undefined;
    const t = timedBatches(() => {
      last = search(nprobe);
    });
    return { nprobe, ...t, labels: Int32Array.from(last!.labels, Number) };
  });
}
