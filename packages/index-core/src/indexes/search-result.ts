/** One result of one query: the stored id and its score (the `distances` entry). */
export interface Neighbor {
  readonly id: number;
  /** ip: the inner product (higher is better); l2: the squared distance (lower is better). */
  readonly score: number;
}

/**
 * rows × k results, best first, as flat arrays (faiss's D and I) and per query (`toArray`). Rows with fewer than
 * k results are padded with label -1 and the worst score (−∞ for ip, +∞ for l2), as in faiss. Labels are plain
 * numbers (ids are integers below 2^53), so results go through JSON.stringify and structuredClone as they are.
 */
export class SearchResult {
  constructor(
    readonly distances: Float32Array,
    readonly labels: Float64Array,
    readonly k: number,
  ) {}

  /** The number of queries. */
  get rows(): number {
    return this.labels.length / this.k;
  }

  /** Query `row`'s results, best first, the padding left out. */
  neighbors(row: number): Neighbor[] {
    const out: Neighbor[] = [];
    for (let j = row * this.k, end = j + this.k; j < end && this.labels[j] !== -1; j++) out.push({ id: this.labels[j], score: this.distances[j] });
    return out;
  }

  /** Every query's results, best first, the padding left out. */
  toArray(): Neighbor[][] {
    const out: Neighbor[][] = [];
    for (let i = 0; i < this.rows; i++) out.push(this.neighbors(i));
    return out;
  }

  /** JSON.stringify gives { k, distances, labels } with plain number arrays (non-finite padding scores as null). */
  toJSON(): { k: number; distances: number[]; labels: number[] } {
    return { k: this.k, distances: Array.from(this.distances), labels: Array.from(this.labels) };
  }
}
