import type { Metric } from '../../metric.js';
import { SlotResults } from './slot-results.js';
import type { KnnResult, ListView, Probes } from '../types.js';
import type { GpujsContext } from './context.js';
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
  const withTerms = listTables !== undefined;
  const kernel = withTerms
    ? ctx.kernel(`ivf-adc-terms:${M}:${ksub}`, SCAN_LIST_TERMS, { M, ksub, tsize })
    : ctx.kernel(`ivf-adc:${M}:${ksub}`, SCAN, { M, ksub, tsize });
  const results = new SlotResults(nq, k, metric);
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
    results.offerBatch(b, scores, lists);
  });
  return results.finish();
}
