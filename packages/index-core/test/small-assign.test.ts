import { describe, expect, it } from 'vitest';
import { SMALL_DIM_MAX, smallAssign } from '../src/backend/js/wasm/small-assign.js';
import { createRng } from '../src/random.js';

/*
 * The small-dimension assignment kernel (PQ sub-spaces, 4 points per SIMD vector) against a one-point-at-a-time
 * oracle in the same float32 arithmetic: Σ_t (x_t − c_t)² in t order, the first (lowest) centroid on ties. Equal
 * labels and bit-equal distances, at point counts around the kernel's groups of 4 and chunks of 4,096, with coordinates from a few quarter steps so that distances tie often.
 */
function oracle(x: Float32Array, n: number, c: Float32Array, k: number, dim: number): { labels: Int32Array; distances: Float32Array } {
  const f = Math.fround;
  const labels = new Int32Array(n);
  const distances = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let best = Infinity;
    let arg = -1;
    for (let j = 0; j < k; j++) {
      let s = 0;
      for (let t = 0; t < dim; t++) {
        const d = f(x[i * dim + t] - c[j * dim + t]);
        s = t === 0 ? f(d * d) : f(s + f(d * d));
      }
      if (s < best) {
        best = s;
        arg = j;
      }
    }
    labels[i] = arg;
    distances[i] = best;
  }
  return { labels, distances };
}

describe('smallAssign: nearest centroid for PQ sub-spaces, exactly as a sequential float32 scan', () => {
  for (let dim = 1; dim <= SMALL_DIM_MAX; dim++) {
    it(`dim ${dim}`, () => {
      const rng = createRng(100 + dim);
      const step = () => Math.floor(rng.next() * 9) / 4 - 1;
      for (const k of [1, 3, 16, 37, 256]) {
        for (const n of k > 37 ? [1, 5, 9] : [1, 2, 3, 4, 5, 7, 9, 4097, 4099]) {
          const x = Float32Array.from({ length: n * dim }, step);
          // Some centroids repeat: equal distances to different centroids, which the lower one must win.
          const c = Float32Array.from({ length: k * dim }, step);
          if (k > 3) c.copyWithin(2 * dim, 0, dim);
          const labels = new Int32Array(n).fill(-7);
          const distances = new Float32Array(n).fill(-7);
          smallAssign(x, n, c, k, labels, distances, dim);
          const want = oracle(x, n, c, k, dim);
          expect(labels).toEqual(want.labels);
          expect(distances).toEqual(want.distances);
        }
      }
    });
  }
});
