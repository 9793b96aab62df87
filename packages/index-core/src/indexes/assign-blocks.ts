import { type Matrix, sliceRows } from '../matrix.js';
import type { ProgressCallback } from '../progress.js';

/** Rows assigned per report: a block of 100-d vectors against 1024 centroids is well under a second. */
const BLOCK = 8192;

/**
 * The list of every row of `x` (`assign`: the index's nearest-centroid search), a block of rows at a time, each
 * block reported as stage 'assign'. IVF-PQ training assigns its whole PQ sample (65,536 rows at 8 bits) between
 * the coarse k-means and the PQ stage: a silent pass of several seconds that a progress bar would otherwise show
 * as the finished k-means, "100% ETA 0.0s".
 */
export function assignInBlocks(assign: (rows: Matrix) => Int32Array, x: Matrix, onProgress?: ProgressCallback): Int32Array {
  if (!onProgress) return assign(x);
  const out = new Int32Array(x.rows);
  onProgress(0, x.rows, 'assign');
  for (let r0 = 0; r0 < x.rows; r0 += BLOCK) {
    const r1 = Math.min(x.rows, r0 + BLOCK);
    out.set(assign(sliceRows(x, r0, r1)), r0);
    onProgress(r1, x.rows, 'assign');
  }
  return out;
}
