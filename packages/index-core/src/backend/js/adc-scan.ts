import type { Metric } from '../../metric.js';
import { TopK } from '../../topk.js';
import type { KnnResult } from '../types.js';
import { UNROLL_MAX_M, unrolledScan } from './unrolled-scan.js';

/**
 * Scores codes[start..end) of one block against one query's table and offers them to the heap.
 * This is the hottest loop of PQ search: M table look-ups per code, with the heap touched only by
 * candidates that beat its current threshold. Fully unrolled (generated) for M ≤ 64.
 */
export function scanCodes(
  table: Float32Array,
  codes: Uint8Array,
  n: number,
  M: number,
  ksub: number,
  bias: number,
  ids: Float64Array | null,
  heap: TopK,
): void {
  const hib = heap.higherIsBetter;
  if (M <= UNROLL_MAX_M) {
    unrolledScan(M, ksub, hib)(table, codes, n, bias, ids, heap);
    return;
  }
  let thr = heap.threshold();
  let o = 0;
  for (let i = 0; i < n; i++, o += M) {
    let s = bias;
    for (let m = 0; m < M; m++) s += table[m * ksub + codes[o + m]];
    if (hib ? s > thr : s < thr) {
      heap.push(s, ids === null ? i : ids[i]);
      thr = heap.threshold();
    }
  }
}

export function adcScan(
  tables: Float32Array,
  codes: Uint8Array,
  n: number,
  M: number,
  ksub: number,
  k: number,
  metric: Metric,
): KnnResult {
  const nq = tables.length / (M * ksub);
  const heap = new TopK(k, metric);
  const distances = new Float32Array(nq * k);
  const labels = new Float64Array(nq * k);
  for (let q = 0; q < nq; q++) {
    const table = tables.subarray(q * M * ksub, (q + 1) * M * ksub);
    scanCodes(table, codes, n, M, ksub, 0, null, heap);
    heap.drainInto(distances, labels, q * k);
  }
  return { distances, labels };
}
