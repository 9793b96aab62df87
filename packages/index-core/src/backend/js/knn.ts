import type { Matrix } from '../../matrix.js';
import type { Metric } from '../../metric.js';
import { TopK } from '../../topk.js';
import type { KnnResult } from '../types.js';
import { forEachScoreTile } from './dot-tile.js';

export function knn(x: Matrix, y: Matrix, k: number, metric: Metric): KnnResult {
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
