import type { Metric } from '../../metric.js';
import { TopK } from '../../topk.js';
import type { KnnResult, ListView, Probes } from '../types.js';
import type { GpujsContext } from './context.js';
import { offerScores } from './offer-scores.js';
import { type ScanBatch, forEachScanBatch } from './scan-batches.js';

// One thread per (probe slot, list row): bias + Σ_m table[m][code_m], the query's table chosen by its slot.
const SCAN = `function ivfAdcScores(tables, codes, rowOf, slotOf, slotQuery, slotBias) {
  const slot = slotOf[this.thread.x];
  const to = slotQuery[slot] * this.constants.tsize;
  const co = rowOf[this.thread.x] * this.constants.M;
  let s = slotBias[slot];
  for (let m = 0; m < this.constants.M; m++) {
    s += tables[to + m * this.constants.ksub + codes[co + m]];
  }
  return s;
}`;
// l2 by residual: the list's query-independent M×ksub term is added to the query's table entry by entry.
const SCAN_LIST_TERMS = `function ivfAdcScoresListTerms(tables, codes, rowOf, slotOf, slotQuery, slotBias, terms, slotListIndex) {
  const slot = slotOf[this.thread.x];
  const to = slotQuery[slot] * this.constants.tsize;
  const lo = slotListIndex[slot] * this.constants.tsize;
  const co = rowOf[this.thread.x] * this.constants.M;
  let s = slotBias[slot];
  for (let m = 0; m < this.constants.M; m++) {
    const j = m * this.constants.ksub + codes[co + m];
    s += tables[to + j] + terms[lo + j];
  }
  return s;
}`;

/** Per query: bias + table sums over every code of its probed lists; the sums on gpu.js, top-k on a js heap. */
export function gpuIvfAdcScan(
  ctx: GpujsContext,
  tables: Float32Array,
  lists: ListView,
  probes: Probes,
  M: number,
  ksub: number,
  k: number,
  metric: Metric,
  listTables?: (list: number) => Float32Array,
): KnnResult {
  const tsize = M * ksub;
  const nq = tables.length / tsize;
  const distances = new Float32Array(nq * k);
  const labels = new Float64Array(nq * k);
  const withTerms = listTables !== undefined;
  const kernel = withTerms
    ? ctx.kernel(`ivf-adc-terms:${M}:${ksub}`, SCAN_LIST_TERMS, { M, ksub, tsize })
    : ctx.kernel(`ivf-adc:${M}:${ksub}`, SCAN, { M, ksub, tsize });
  const heap = new TopK(k, metric);
  let current = -1; // query whose results the heap holds
  let drained = 0; // queries 0..drained-1 are written out
  const finishUpTo = (q: number): void => {
    // writes the heap (the current query) and pads queries that probed nothing
    for (; drained < q; drained++) heap.drainInto(distances, labels, drained * k);
  };
  let terms: Float32Array | null = null;
  forEachScanBatch(lists, probes, nq, { rowBytes: M, rowElements: M, queryElements: tsize, listElements: withTerms ? tsize : 0 }, ctx.maxOutput, (b: ScanBatch) => {
    const tb = tables.subarray(b.q0 * tsize, b.q1 * tsize);
    const common = [tb, b.data.subarray(0, b.dataRows * M), b.rowOf.subarray(0, b.entries), b.slotOf.subarray(0, b.entries), b.slotQuery.subarray(0, b.slots), b.slotBias.subarray(0, b.slots)];
    let scores: Float32Array;
    if (listTables) {
      if (terms === null || terms.length < b.lists.length * tsize) terms = new Float32Array(b.lists.length * tsize);
      for (let i = 0; i < b.nLists; i++) terms.set(listTables(b.lists[i]), i * tsize);
      scores = ctx.run1D(kernel, b.entries, ...common, terms.subarray(0, b.nLists * tsize), b.slotListIndex.subarray(0, b.slots));
    } else {
      scores = ctx.run1D(kernel, b.entries, ...common);
    }
    for (let s = 0; s < b.slots; s++) {
      const q = b.slotQ[s];
      if (q !== current) {
        finishUpTo(q);
        current = q;
      }
      const r0 = b.slotRow0[s];
      const n = b.slotRows[s];
      offerScores(heap, scores, b.slotEntry0[s], n, 0, lists.ids[b.slotList[s]].subarray(r0, r0 + n), 0);
    }
  });
  finishUpTo(nq);
  return { distances, labels };
}
