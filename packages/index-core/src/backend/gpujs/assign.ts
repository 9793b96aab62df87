import type { Matrix } from '../../matrix.js';
import type { Metric } from '../../metric.js';
import { foldRowMin } from '../fold-row-min.js';
import type { GpujsContext } from './context.js';
import { gpuKnn } from './knn.js';
import { forEachGpuScoreTile } from './score-tiles.js';

/**
 * Nearest centroid: l2 → squared distances from the gpu.js tile kernel, argmin per row; ip → gpuKnn's top-1 (the
 * tile kernel's inner products), its labels as int32 (ties → lower centroid).
 */
export function gpuAssign(ctx: GpujsContext, x: Matrix, centroids: Matrix, metric: Metric = 'l2'): { labels: Int32Array; distances: Float32Array } {
  if (metric === 'ip') {
    const r = gpuKnn(ctx, x, centroids, 1, 'ip');
    return { labels: Int32Array.from(r.labels), distances: r.distances };
  }
  const labels = new Int32Array(x.rows).fill(-1);
  const distances = new Float32Array(x.rows).fill(Infinity);
  forEachGpuScoreTile(ctx, x, centroids, 'l2', null, (i0, i1, j0, j1, rows) => {
    const w = j1 - j0;
    for (let i = i0; i < i1; i++) foldRowMin(rows[i - i0], 0, w, j0, i, distances, labels);
  });
  return { labels, distances };
}
