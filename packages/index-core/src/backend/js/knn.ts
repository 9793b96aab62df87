import type { Matrix } from '../../matrix.js';
import type { Metric } from '../../metric.js';
import { TopK } from '../../topk.js';
import type { KnnResult } from '../types.js';
import { foldRowMax, foldRowMin } from '../fold-row-min.js';
import { forEachScoreTile } from './dot-tile.js';

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
 * k = 1 (k-means' inner-product assignment, IVF's list assignment): a running best per row instead of one heap
 * per row. Same result as the heap (ties go to the lower id; no candidate: label -1, distance ±Infinity), without
 * the two typed arrays per row that made a 262,144-point k-means hold ~600 MB of garbage.
 */
function nearestOne(x: Matrix, y: Matrix, metric: Metric): KnnResult {
  const hib = metric === 'ip';
  const best = new Float32Array(x.rows).fill(hib ? -Infinity : Infinity);
  const ids = new Int32Array(x.rows).fill(-1);
  const fold = hib ? foldRowMax : foldRowMin;
  forEachScoreTile(x.data, x.rows, y.data, y.rows, x.dim, !hib, (i0, i1, j0, j1, tile) => {
    const w = j1 - j0;
    for (let i = i0; i < i1; i++) fold(tile, (i - i0) * w, w, j0, i, best, ids);
  });
  return { distances: best, labels: Float64Array.from(ids) };
}
