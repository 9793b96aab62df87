import type { Matrix } from '../../matrix.js';
import type { Metric } from '../../metric.js';
import { TopK } from '../../topk.js';
import type { KnnResult } from '../types.js';
import type { GpujsContext } from './context.js';
import { offerScores } from './offer-scores.js';
import { forEachGpuScoreTile } from './score-tiles.js';

/** Exact top-k rows of y per row of x: scores from the gpu.js tile kernel, selection on the js heaps. */
export function gpuKnn(ctx: GpujsContext, x: Matrix, y: Matrix, k: number, metric: Metric): KnnResult {
  const distances = new Float32Array(x.rows * k);
  const labels = new Float64Array(x.rows * k);
  const heaps: TopK[] = [];
  forEachGpuScoreTile(
    ctx,
    x,
    y,
    metric,
    (i0, i1) => {
      // one heap per row of the block, reused across blocks
      while (heaps.length < i1 - i0) heaps.push(new TopK(k, metric));
    },
    (i0, i1, j0, j1, rows) => {
      for (let i = i0; i < i1; i++) offerScores(heaps[i - i0], rows[i - i0], 0, j1 - j0, 0, null, j0);
    },
    (i0, i1) => {
      for (let i = i0; i < i1; i++) heaps[i - i0].drainInto(distances, labels, i * k);
    },
  );
  return { distances, labels };
}
