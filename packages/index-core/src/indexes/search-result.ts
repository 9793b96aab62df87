/** Caller-owned result arrays (SearchParams.out): faiss's D and I. */
export interface SearchOutput {
  /** rows × k scores. */
  distances: Float32Array;
  /** rows × k ids (-1: no result). */
  labels: Float64Array;
}

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

/**
 * A search's result as the caller asked for it: in `out` (SearchParams.out) when given — copied there unless the
 * search already wrote into it — else `r` itself.
 */
export function deliverResult(r: SearchResult, out: SearchOutput | undefined): SearchResult {
  if (out === undefined || (r.distances === out.distances && r.labels === out.labels)) return r;
  out.distances.set(r.distances);
  out.labels.set(r.labels);
  return new SearchResult(out.distances, out.labels, r.k);
}

/** A result that lies in buffers the library reuses (threads' shared memory): copied into `out`, or into new arrays. */
export function resultFromScratch(distances: Float32Array, labels: Float64Array, k: number, out: SearchOutput | undefined): SearchResult {
  if (out === undefined) return new SearchResult(distances.slice(), labels.slice(), k);
  return deliverResult(new SearchResult(distances, labels, k), out);
}

/** Where `out` may receive a search's results directly: arrays of exactly `cells` entries (else: none). */
export function outOfSize(out: SearchOutput | undefined, cells: number): SearchOutput | undefined {
  return out !== undefined && out.distances.length === cells ? out : undefined;
}
