import { selectRank } from './select-rank.js';

/**
 * Top-k of integer scores by a reservoir (faiss's ReservoirHandler): candidates that beat the threshold are
 * appended; when the reservoir holds `capacity` of them, the k-th best score is found by selection and only
 * the k best are kept, raising the threshold to that score. O(1) amortised per candidate where a heap pays
 * O(log k), which for fast-scan (hundreds of candidates per query at k = 100) was the scan's largest cost.
 * Ties are kept in the order they came (earlier first), so results do not depend on anything but the scan order.
 */
export class Reservoir {
  readonly scores: Int32Array;
  readonly handles: Float64Array;
  private readonly keys: Float64Array;
  private readonly scratch: Int32Array;
  size = 0;
  /** The score a candidate must strictly beat (−∞ / +∞ until the first compaction). */
  private bound: number;

  constructor(
    readonly k: number,
    readonly higherIsBetter: boolean,
    readonly capacity = Math.max(2 * k, 64),
  ) {
    this.scores = new Int32Array(capacity);
    this.handles = new Float64Array(capacity);
    this.keys = new Float64Array(capacity);
    this.scratch = new Int32Array(capacity);
    this.bound = higherIsBetter ? -Infinity : Infinity;
  }

  reset(): void {
    this.size = 0;
    this.bound = this.higherIsBetter ? -Infinity : Infinity;
  }

  threshold(): number {
    return this.bound;
  }

  /** A candidate (the caller has checked it beats threshold()). */
  push(score: number, handle: number): void {
    if (this.size === this.capacity) {
      this.shrink();
      if (this.higherIsBetter ? score <= this.bound : score >= this.bound) return; // the bound rose past it
    }
    this.scores[this.size] = score;
    this.handles[this.size++] = handle;
  }

  /** Keeps the k best (ties: the earlier ones), and makes the k-th best score the threshold. */
  private shrink(): void {
    const { k, scores, handles, scratch } = this;
    const n = this.size;
    // Selection on a key where smaller is better: the k-th best score.
    const sign = this.higherIsBetter ? -1 : 1;
    for (let i = 0; i < n; i++) scratch[i] = sign * scores[i];
    const kth = sign * selectRank(scratch, n, k - 1);
    let better = 0;
    for (let i = 0; i < n; i++) if (this.higherIsBetter ? scores[i] > kth : scores[i] < kth) better++;
    let ties = k - better;
    let w = 0;
    for (let i = 0; i < n; i++) {
      const s = scores[i];
      const keep = this.higherIsBetter ? s > kth : s < kth;
      if (keep || (s === kth && ties-- > 0)) {
        scores[w] = s;
        handles[w++] = handles[i];
      }
    }
    this.size = w;
    this.bound = kth;
  }

  /** The k best, best first (ties: earlier first), into out at offset; −1 handles pad. Empties the reservoir. */
  drainInto(outScores: Int32Array, outHandles: Float64Array, offset: number): void {
    if (this.size > this.k) this.shrink();
    const { keys, scores } = this;
    const n = this.size;
    // One float64 key per entry orders by score, then by arrival (scores < 2^20 and n < 2^20 keep keys exact),
    // so a native typed-array sort does it without a comparison callback.
    const sign = this.higherIsBetter ? -1 : 1;
    for (let i = 0; i < n; i++) keys[i] = (sign * scores[i] + 2 ** 20) * 2 ** 20 + i;
    const sorted = keys.subarray(0, n).sort();
    for (let j = 0; j < this.k; j++) {
      if (j < n) {
        const i = sorted[j] % 2 ** 20;
        outScores[offset + j] = scores[i];
        outHandles[offset + j] = this.handles[i];
      } else {
        outScores[offset + j] = 0;
        outHandles[offset + j] = -1;
      }
    }
    this.reset();
  }
}
