import type { Matrix } from '../../matrix.js';
import type { Metric } from '../../metric.js';
import { type BestColumns, bestColumns } from './dot-tile.js';
import { SMALL_DIM_MAX, smallAssign } from './wasm/small-assign.js';

/** Nearest centroid by the metric (ties go to the lower centroid number, as in a sequential scan). */
export function assignOver(best: BestColumns, x: Matrix, centroids: Matrix, metric: Metric = 'l2'): { labels: Int32Array; distances: Float32Array } {
  if (metric === 'ip') {
    const r = best(x.data, x.rows, centroids.data, centroids.rows, x.dim, false);
    return { labels: r.arg, distances: r.best };
  }
  const labels = new Int32Array(x.rows).fill(-1);
  const distances = new Float32Array(x.rows).fill(Infinity);
  // Small dimensions (PQ sub-spaces) go to a dedicated kernel on every backend: a GEMM of depth ≤ 16 is mostly overhead.
  if (x.dim <= SMALL_DIM_MAX) {
    smallAssign(x.data, x.rows, centroids.data, centroids.rows, labels, distances, x.dim);
    return { labels, distances };
  }
  const r = best(x.data, x.rows, centroids.data, centroids.rows, x.dim, true);
  return { labels: r.arg, distances: r.best };
}

export function assign(x: Matrix, centroids: Matrix, metric: Metric = 'l2'): { labels: Int32Array; distances: Float32Array } {
  return assignOver(bestColumns, x, centroids, metric);
}
