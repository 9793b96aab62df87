import type { Metric } from './metric.js';

/**
 * Bounded top-k selection for one query, as a binary heap whose root is the worst kept result.
 * For 'ip' higher scores are better (min-heap on score); for 'l2' lower is better (max-heap).
 * The heap lives in caller-owned typed arrays so a search loop allocates nothing per candidate.
 */
export class TopK {
  readonly k: number;
  readonly higherIsBetter: boolean;
  readonly scores: Float32Array;
  readonly ids: Float64Array;
  size = 0;

  constructor(k: number, metric: Metric) {
    this.k = k;
    this.higherIsBetter = metric === 'ip';
    this.scores = new Float32Array(k);
    this.ids = new Float64Array(k);
  }

  reset(): void {
    this.size = 0;
  }

  /** Score a new candidate must beat to enter (the worst kept once the heap is full). */
  threshold(): number {
    if (this.size < this.k) return this.higherIsBetter ? -Infinity : Infinity;
    return this.scores[0];
  }

  /** Offers one candidate; ties keep the smaller id (deterministic output). */
  push(score: number, id: number): void {
    const { k, scores, ids } = this;
    const hib = this.higherIsBetter;
    if (this.size < k) {
      // sift up
      let i = this.size++;
      while (i > 0) {
        const p = (i - 1) >> 1;
        if (!worse(score, id, scores[p], ids[p], hib)) break;
        scores[i] = scores[p];
        ids[i] = ids[p];
        i = p;
      }
      scores[i] = score;
      ids[i] = id;
      return;
    }
    if (!worse(scores[0], ids[0], score, id, hib)) return;
    this.replaceRoot(score, id);
  }

  private replaceRoot(score: number, id: number): void {
    const { scores, ids, size } = this;
    const hib = this.higherIsBetter;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= size) break;
      const r = l + 1;
      let c = l;
      if (r < size && worse(scores[r], ids[r], scores[l], ids[l], hib)) c = r;
      if (!worse(scores[c], ids[c], score, id, hib)) break;
      scores[i] = scores[c];
      ids[i] = ids[c];
      i = c;
    }
    scores[i] = score;
    ids[i] = id;
  }

  /**
   * Writes the kept results best first into out arrays at offset, padding with -1 labels and
   * -Infinity (ip) / +Infinity (l2) distances, as faiss does. Empties the heap.
   */
  drainInto(outScores: Float32Array, outLabels: BigInt64Array | Int32Array | Float64Array, offset: number): void {
    const { k } = this;
    const n = this.size;
    const pad = this.higherIsBetter ? -Infinity : Infinity;
    for (let j = n; j < k; j++) {
      outScores[offset + j] = pad;
      setLabel(outLabels, offset + j, -1);
    }
    // Pop the worst repeatedly into the back.
    for (let j = n - 1; j >= 0; j--) {
      outScores[offset + j] = this.scores[0];
      setLabel(outLabels, offset + j, this.ids[0]);
      const lastS = this.scores[this.size - 1];
      const lastI = this.ids[this.size - 1];
      this.size--;
      if (this.size > 0) this.replaceRoot(lastS, lastI);
    }
    this.size = 0;
  }
}

function setLabel(out: BigInt64Array | Int32Array | Float64Array, i: number, v: number): void {
  if (out instanceof BigInt64Array) out[i] = BigInt(v);
  else out[i] = v;
}

/** True when (sa, ia) ranks below (sb, ib). */
function worse(sa: number, ia: number, sb: number, ib: number, higherIsBetter: boolean): boolean {
  if (sa !== sb) return higherIsBetter ? sa < sb : sa > sb;
  return ia > ib;
}
