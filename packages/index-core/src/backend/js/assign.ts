import type { Matrix } from '../../matrix.js';
import { foldRowMin } from '../fold-row-min.js';
import { forEachScoreTile } from './dot-tile.js';
import { SMALL_DIM_MAX, smallDimAssign } from './small-dim-assign.js';

/** Nearest centroid in L2 (ties go to the lower centroid number, as in a sequential scan). */
export function assign(x: Matrix, centroids: Matrix): { labels: Int32Array; distances: Float32Array } {
  const labels = new Int32Array(x.rows).fill(-1);
  const distances = new Float32Array(x.rows).fill(Infinity);
  if (x.dim <= SMALL_DIM_MAX) {
    smallDimAssign(x.dim)(x.data, x.rows, centroids.data, centroids.rows, labels, distances);
    return { labels, distances };
  }
  forEachScoreTile(x.data, x.rows, centroids.data, centroids.rows, x.dim, true, (i0, i1, j0, j1, tile) => {
    const w = j1 - j0;
    for (let i = i0; i < i1; i++) foldRowMin(tile, (i - i0) * w, w, j0, i, distances, labels);
  });
  return { labels, distances };
}
