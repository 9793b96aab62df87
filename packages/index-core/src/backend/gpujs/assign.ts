import type { Matrix } from '../../matrix.js';
import { foldRowMin } from '../fold-row-min.js';
import type { GpujsContext } from './context.js';
import { forEachGpuScoreTile } from './score-tiles.js';

/** Nearest centroid in L2: squared distances from the gpu.js tile kernel, argmin per row (ties → lower centroid). */
export function gpuAssign(ctx: GpujsContext, x: Matrix, centroids: Matrix): { labels: Int32Array; distances: Float32Array } {
  const labels = new Int32Array(x.rows).fill(-1);
  const distances = new Float32Array(x.rows).fill(Infinity);
  forEachGpuScoreTile(ctx, x, centroids, 'l2', null, (i0, i1, j0, j1, rows) => {
    const w = j1 - j0;
    for (let i = i0; i < i1; i++) foldRowMin(rows[i - i0], 0, w, j0, i, distances, labels);
  });
  return { labels, distances };
}
