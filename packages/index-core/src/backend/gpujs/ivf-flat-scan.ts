import type { Matrix } from '../../matrix.js';
import type { Metric } from '../../metric.js';
import { SlotResults } from './slot-results.js';
import type { KnnResult, ListView, Probes } from '../types.js';
import type { GpujsContext } from './context.js';
import { type ScanBatch, forEachScanBatch } from './scan-batches.js';

// One thread per (probe slot, list row): the exact score of the slot's query against the stored vector.
const IP = `function ivfFlatScoresIp(q, vectors, rowOf, slotOf, slotQuery) {
  const qo = slotQuery[slotOf[this.thread.x]] * this.constants.d;
  const vo = rowOf[this.thread.x] * this.constants.d;
  let s = 0;
  for (let t = 0; t < this.constants.d; t++) {
    s += q[qo + t] * vectors[vo + t];
  }
  return s;
}`;
const L2 = `function ivfFlatScoresL2(q, vectors, rowOf, slotOf, slotQuery) {
  const qo = slotQuery[slotOf[this.thread.x]] * this.constants.d;
  const vo = rowOf[this.thread.x] * this.constants.d;
  let s = 0;
  for (let t = 0; t < this.constants.d; t++) {
    const u = q[qo + t] - vectors[vo + t];
    s += u * u;
  }
  return s;
}`;

/** Exact scores against the raw vectors of the probed lists (on gpu.js), top-k per query on a js heap. */
export function gpuIvfFlatScan(ctx: GpujsContext, q: Matrix, lists: ListView, probes: Probes, k: number, metric: Metric): KnnResult {
  const d = q.dim;
  const nq = q.rows;
  const kernel = ctx.kernel(`ivf-flat:${metric}:${d}`, metric === 'l2' ? L2 : IP, { d });
  const results = new SlotResults(nq, k, metric);
  forEachScanBatch(lists, probes, nq, { rowBytes: 4 * d, rowElements: d, queryElements: d, listElements: 0 }, ctx.maxOutput, (b: ScanBatch) => {
    const vectors = new Float32Array(b.data.buffer, b.data.byteOffset, b.dataRows * d);
    const scores = ctx.run1D(
      kernel,
      b.entries,
      q.data.subarray(b.q0 * d, b.q1 * d),
      vectors,
      b.rowOf.subarray(0, b.entries),
      b.slotOf.subarray(0, b.entries),
      b.slotQuery.subarray(0, b.slots),
    );
    results.offerBatch(b, scores, lists);
  });
  return results.finish();
}
