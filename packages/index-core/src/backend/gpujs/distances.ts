import type { Matrix } from '../../matrix.js';
import type { Metric } from '../../metric.js';
import type { GpujsContext } from './context.js';
import { forEachGpuScoreTile } from './score-tiles.js';

/** n×m scores (ip → x·y, l2 → ‖x − y‖²), row-major as the js backend lays them out. */
export function gpuDistances(ctx: GpujsContext, x: Matrix, y: Matrix, metric: Metric): Float32Array {
  const m = y.rows;
  const out = new Float32Array(x.rows * m);
  forEachGpuScoreTile(ctx, x, y, metric, null, (i0, i1, j0, j1, rows) => {
    for (let i = i0; i < i1; i++) out.set(rows[i - i0].subarray(0, j1 - j0), i * m + j0);
  });
  return out;
}
