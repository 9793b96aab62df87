/**
 * The float64 reference math the backend conformance suite checks kernels against: brute force, no
 * shortcuts (no norms expansion, no heaps), so it is obviously right and independent of every backend.
 */
import type { Matrix } from '../matrix.js';
import type { Metric } from '../metric.js';
import { createRng, gaussian } from '../random.js';

/** rows × dim standard Gaussian floats from `seed` (the same matrix on every platform). */
export function randomData(rows: number, dim: number, seed: number): Matrix {
  const rng = createRng(seed);
  const data = new Float32Array(rows * dim);
  for (let i = 0; i < data.length; i++) data[i] = gaussian(rng);
  return { rows, dim, data };
}

/** Score of one pair of vectors in float64: ip → Σ a·b, l2 → Σ (a − b)². */
export function refPairScore(a: ArrayLike<number>, aAt: number, b: ArrayLike<number>, bAt: number, dim: number, metric: Metric): number {
  let s = 0;
  for (let t = 0; t < dim; t++) {
    const x = a[aAt + t];
    const y = b[bAt + t];
    s += metric === 'ip' ? x * y : (x - y) * (x - y);
  }
  return s;
}

/** float64 reference score of rows a_i and b_j. */
export function refScore(a: Matrix, i: number, b: Matrix, j: number, metric: Metric): number {
  return refPairScore(a.data, i * a.dim, b.data, j * b.dim, a.dim, metric);
}

/** A candidate result: its label (row number or id) and its float64 score. */
export interface Scored {
  id: number;
  s: number;
}

/** Sorts candidates best first (ip: highest, l2: lowest), ties to the lower id, as every backend must. */
export function rankBestFirst(cands: Scored[], metric: Metric): Scored[] {
  return cands.sort((a, b) => (a.s !== b.s ? (metric === 'ip' ? b.s - a.s : a.s - b.s) : a.id - b.id));
}

/** float64 brute-force top-k (ties by lower index); rows past base.rows keep label −1. */
export function refKnn(q: Matrix, base: Matrix, k: number, metric: Metric): { labels: Int32Array; scores: Float64Array } {
  const labels = new Int32Array(q.rows * k).fill(-1);
  const scores = new Float64Array(q.rows * k);
  for (let i = 0; i < q.rows; i++) {
    const all: Scored[] = [];
    for (let j = 0; j < base.rows; j++) all.push({ id: j, s: refScore(q, i, base, j, metric) });
    const best = rankBestFirst(all, metric);
    for (let r = 0; r < Math.min(k, base.rows); r++) {
      labels[i * k + r] = best[r].id;
      scores[i * k + r] = best[r].s;
    }
  }
  return { labels, scores };
}
