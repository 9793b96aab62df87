import type { TopK } from '../../topk.js';

/**
 * Offers n kernel scores (scores[offset..offset+n), each plus `bias`) to a heap, labelled ids[i] or
 * idBase + i. Only candidates that reach the heap's threshold touch it; ties at the threshold go in so the
 * heap's own rule (ties keep the smaller id) decides, as it does for the js backend.
 */
export function offerScores(
  heap: TopK,
  scores: Float32Array,
  offset: number,
  n: number,
  bias: number,
  ids: Float64Array | null,
  idBase: number,
): void {
  const hib = heap.higherIsBetter;
  let thr = heap.threshold();
  for (let i = 0; i < n; i++) {
    const s = scores[offset + i] + bias;
    if (hib ? s >= thr : s <= thr) {
      heap.push(s, ids === null ? idBase + i : ids[i]);
      thr = heap.threshold();
    }
  }
}
