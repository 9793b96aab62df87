import type { Metric } from '../../metric.js';
import { TopK } from '../../topk.js';
import type { KnnResult, ListView } from '../types.js';
import { offerScores } from './offer-scores.js';
import type { ScanBatch } from './scan-batches.js';

/**
 * The per-query top-k of the IVF scans (ADC and flat): a batch's kernel scores arrive slot by slot
 * (one slot = one probed list of one query, queries in order), go to one heap, and each query's results are
 * written out when the next query starts; queries that probed nothing are padded.
 */
export class SlotResults {
  readonly distances: Float32Array;
  readonly labels: Float64Array;
  private readonly heap: TopK;
  private current = -1; // query whose results the heap holds
  private drained = 0; // queries 0..drained-1 are written out

  constructor(
    private readonly nq: number,
    private readonly k: number,
    metric: Metric,
  ) {
    this.distances = new Float32Array(nq * k);
    this.labels = new Float64Array(nq * k);
    this.heap = new TopK(k, metric);
  }

  /** Offers every slot of a batch: scores[slotEntry0[s] ..] are the rows of that slot's list. */
  offerBatch(b: ScanBatch, scores: Float32Array, lists: ListView): void {
    for (let s = 0; s < b.slots; s++) {
      const q = b.slotQ[s];
      if (q !== this.current) {
        this.finishUpTo(q);
        this.current = q;
      }
      const r0 = b.slotRow0[s];
      const n = b.slotRows[s];
      offerScores(this.heap, scores, b.slotEntry0[s], n, 0, lists.ids[b.slotList[s]].subarray(r0, r0 + n), 0);
    }
  }

  /** Writes out the last query and pads the rest. */
  finish(): KnnResult {
    this.finishUpTo(this.nq);
    return { distances: this.distances, labels: this.labels };
  }

  private finishUpTo(q: number): void {
    for (; this.drained < q; this.drained++) this.heap.drainInto(this.distances, this.labels, this.drained * this.k);
  }
}
