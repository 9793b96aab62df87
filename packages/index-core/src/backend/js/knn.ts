import type { Matrix } from '../../matrix.js';
import type { Metric } from '../../metric.js';
import { TopK } from '../../topk.js';
import type { KnnResult } from '../types.js';
import { bestColumns, forEachScoreTile } from './dot-tile.js';

export function knn(x: Matrix, y: Matrix, k: number, metric: Metric): KnnResult {
  if (k === 1) return nearestOne(x, y, metric);
  const heaps: TopK[] = [];
  for (let i = 0; i < x.rows; i++) heaps.push(new TopK(k, metric));
  const hib = metric === 'ip';
  forEachScoreTile(x.data, x.rows, y.data, y.rows, x.dim, !hib, (i0, i1, j0, j1, tile) => {
    const w = j1 - j0;
    for (let i = i0; i < i1; i++) {
      const h = heaps[i];
      const o = (i - i0) * w;
      let thr = h.threshold();
      for (let j = 0; j < w; j++) {
        const s = tile[o + j];
        // Strict test first: most candidates lose and cost one comparison.
        if (hib ? s >= thr : s <= thr) {
          h.push(s, j0 + j);
          thr = h.threshold();
        }
      }
    }
  });
  const distances = new Float32Array(x.rows * k);
  const labels = new Float64Array(x.rows * k);
  for (let i = 0; i < x.rows; i++) heaps[i].drainInto(distances, labels, i * k);
  return { distances, labels };
}

/**
 * k = 1 (k-means' inner-product assignment, IVF's list assignment): the fused GEMM + arg-max kernel, a running
 * best per row instead of one heap per row (ties go to the lower id; no candidate: label -1, distance ±Infinity).
 */
function nearestOne(x: Matrix, y: Matrix, metric: Metric): KnnResult {
  const { best, arg } = bestColumns(x.data, x.rows, y.data, y.rows, x.dim, metric === 'l2');
  return { distances: best, labels: Float64Array.from(arg) };
}
