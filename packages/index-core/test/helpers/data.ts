import { createRng, gaussian, type Matrix } from '../../src/index.js';

/** Gaussian data with a few dominant directions, so quantizers have structure to find. */
export function structuredData(rows: number, dim: number, seed: number): Matrix {
  const rng = createRng(seed);
  const data = new Float32Array(rows * dim);
  const scales = new Float32Array(dim);
  for (let j = 0; j < dim; j++) scales[j] = 1 / (1 + j * 0.3);
  for (let i = 0; i < rows; i++) {
    const a = gaussian(rng);
    for (let j = 0; j < dim; j++) data[i * dim + j] = scales[j] * gaussian(rng) + 0.5 * a * Math.sin(j + 1);
  }
  return { rows, dim, data };
}

export function randomData(rows: number, dim: number, seed: number): Matrix {
  const rng = createRng(seed);
  const data = new Float32Array(rows * dim);
  for (let i = 0; i < data.length; i++) data[i] = gaussian(rng);
  return { rows, dim, data };
}

/** float64 reference score of rows a_i and b_j. */
export function refScore(a: Matrix, i: number, b: Matrix, j: number, metric: 'ip' | 'l2'): number {
  let s = 0;
  for (let t = 0; t < a.dim; t++) {
    const x = a.data[i * a.dim + t];
    const y = b.data[j * b.dim + t];
    s += metric === 'ip' ? x * y : (x - y) * (x - y);
  }
  return s;
}

/** float64 brute-force top-k (ties by lower index). */
export function refKnn(q: Matrix, base: Matrix, k: number, metric: 'ip' | 'l2'): { labels: Int32Array; scores: Float64Array } {
  const labels = new Int32Array(q.rows * k).fill(-1);
  const scores = new Float64Array(q.rows * k);
  const all = new Float64Array(base.rows);
  const order = new Int32Array(base.rows);
  for (let i = 0; i < q.rows; i++) {
    for (let j = 0; j < base.rows; j++) {
      all[j] = refScore(q, i, base, j, metric);
      order[j] = j;
    }
    const sorted = Array.from(order).sort((a, b) => (all[a] !== all[b] ? (metric === 'ip' ? all[b] - all[a] : all[a] - all[b]) : a - b));
    for (let r = 0; r < Math.min(k, base.rows); r++) {
      labels[i * k + r] = sorted[r];
      scores[i * k + r] = all[sorted[r]];
    }
  }
  return { labels, scores };
}

/** Share of queries whose true nearest neighbour appears in the top-k labels. */
export function recallAt(labels: ArrayLike<number | bigint>, k: number, truth: Int32Array, truthK: number, nq: number): number {
  let hit = 0;
  for (let i = 0; i < nq; i++) {
    const t = truth[i * truthK];
    for (let r = 0; r < k; r++) if (Number(labels[i * k + r]) === t) { hit++; break; }
  }
  return hit / nq;
}
