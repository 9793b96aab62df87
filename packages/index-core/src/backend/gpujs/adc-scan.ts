import type { Metric } from '../../metric.js';
import { TopK } from '../../topk.js';
import type { KnnResult } from '../types.js';
import type { GpujsContext } from './context.js';
import { MAX_ELEMENTS, MAX_SIDE } from './limits.js';
import { offerScores } from './offer-scores.js';

// One thread per (query i, code r): thread.y = i, thread.x = r; Σ_m table_i[m][code_r[m]].
const ADC = `function adcScores(tables, codes) {
  const to = this.thread.y * this.constants.tsize;
  const co = this.thread.x * this.constants.M;
  let s = 0;
  for (let m = 0; m < this.constants.M; m++) {
    s += tables[to + m * this.constants.ksub + codes[co + m]];
  }
  return s;
}`;

/**
 * Top-k over n codes by table look-ups: the sums run in the gpu.js kernel over blocks of queries × codes,
 * the selection on one js heap per query of the block.
 */
export function gpuAdcScan(
  ctx: GpujsContext,
  tables: Float32Array,
  codes: Uint8Array,
  n: number,
  M: number,
  ksub: number,
  k: number,
  metric: Metric,
): KnnResult {
  const tsize = M * ksub;
  const nq = tables.length / tsize;
  const distances = new Float32Array(nq * k);
  const labels = new Float64Array(nq * k);
  const kernel = ctx.kernel(`adc:${M}:${ksub}`, ADC, { M, ksub, tsize });
  const codeBlock = Math.max(1, Math.min(n, MAX_SIDE, Math.floor(MAX_ELEMENTS / M), ctx.maxOutput));
  const queryBlock = Math.max(1, Math.min(nq, MAX_SIDE, Math.floor(MAX_ELEMENTS / tsize), Math.floor(ctx.maxOutput / codeBlock)));
  const heaps = Array.from({ length: Math.min(nq, queryBlock) }, () => new TopK(k, metric));
  for (let q0 = 0; q0 < nq; q0 += queryBlock) {
    const q1 = Math.min(nq, q0 + queryBlock);
    const tb = tables.subarray(q0 * tsize, q1 * tsize);
    for (let r0 = 0; r0 < n; r0 += codeBlock) {
      const r1 = Math.min(n, r0 + codeBlock);
      const rows = ctx.run2D(kernel, r1 - r0, q1 - q0, tb, codes.subarray(r0 * M, r1 * M));
      for (let i = q0; i < q1; i++) offerScores(heaps[i - q0], rows[i - q0], 0, r1 - r0, 0, null, r0);
    }
    for (let i = q0; i < q1; i++) heaps[i - q0].drainInto(distances, labels, i * k);
  }
  return { distances, labels };
}
