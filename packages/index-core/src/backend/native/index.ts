import { invalidArgument } from '../../errors.js';
import { jsBackend } from '../js/index.js';
import { assignOver } from '../js/assign.js';
import { type BestColumns, type ScoreTiles } from '../js/dot-tile.js';
import { distancesOver } from '../js/distances.js';
import { knnOver } from '../js/knn.js';
import type { Backend } from '../types.js';
import { DEFAULT_TILE_CELLS, forEachNativeScoreTile, nativeBestColumns, nativeKnn, openNativeSessions, POOLED_TILE_CELLS } from './dense.js';

export interface NativeBackendOptions {
  /**
   * Most float32 scores one onnxruntime call writes; bigger work is split into tiles. Default 2^18 (1 MiB) on each
   * thread's own sessions and 2^20 (4 MiB) for k-means on onnxruntime's pool of threads (dense.ts says why).
   */
  maxOutput?: number;
}

/**
 * The native backend: the dense products (k-means and list assignment, exact k-NN, distance matrices) on
 * onnxruntime-node's MLAS GEMM, an optional peer dependency loaded when the backend is made; everything else
 * (PQ tables, ADC and fast-scan scans, the small-dimension assignment of PQ training) is the js backend's.
 * Results agree with the js backend within the conformance suite's tolerances, not bit for bit: MLAS sums
 * the inner products in another order (and with FMA). The same backend gives the same bytes, run after run,
 * and for any number of threads (each thread runs its rows on a single-threaded session).
 */
export function createNativeBackend(opts: NativeBackendOptions = {}): Backend {
  if (opts.maxOutput !== undefined && (!Number.isInteger(opts.maxOutput) || opts.maxOutput < 1)) throw invalidArgument('maxOutput', 'a positive integer', opts.maxOutput);
  const cells = opts.maxOutput ?? DEFAULT_TILE_CELLS;
  const pooledCells = opts.maxOutput ?? POOLED_TILE_CELLS;
  openNativeSessions();
  const tiles: ScoreTiles = (x, xRows, y, yRows, dim, l2, visit) => forEachNativeScoreTile(x, xRows, y, yRows, dim, l2, visit, cells);
  const best: BestColumns = (x, xRows, y, yRows, dim, l2) => nativeBestColumns(x, xRows, y, yRows, dim, l2, cells);
  return {
    ...jsBackend,
    name: 'native',
    distances: (x, y, metric) => distancesOver(tiles, x, y, metric),
    // k = 1 on the best graph (one column per row); more on the TopK graph, which selects where it multiplies.
    knn: (x, y, k, metric) => (k === 1 ? knnOver(tiles, best, x, y, k, metric) : nativeKnn(x, y, k, metric === 'l2', cells)),
    assign: (x, c, metric) => assignOver(best, x, c, metric),
    assignOnThreads: (x, c, metric, threads) =>
      assignOver((x2, xRows, y, yRows, dim, l2) => nativeBestColumns(x2, xRows, y, yRows, dim, l2, pooledCells, threads), x, c, metric),
  };
}
